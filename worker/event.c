/*
 * event.c: epoll, timers and deferred frees for one worker.
 */
#include "event.h"
#include "../common/log.h"

#include <signal.h>
#include <sys/epoll.h>

#define BN_TIMER_LAZY_MSEC 25
/* The first window of busy polling, once sleeps turn out to be short. */
#define BN_SPIN_START_NSEC 10000

static int ep = -1;
static struct epoll_event *events;
static unsigned nevents;
static uint64_t busy_poll_nsec;    /* the longest window */
static uint64_t spin_nsec;         /* the current one */
static bool had_events;            /* the last wait returned some: the loop is busy */
static bool (*after_events)(void); /* work the loop does between waits */
static bn_list_t posted = BN_LIST_INIT(posted);
static bool work_left;             /* ... which is not finished: do not sleep */

static bn_timer_t **heap;
static size_t heap_len, heap_cap;

typedef struct {
    void (*fn)(void *);
    void *data;
} deferred_t;

static deferred_t *deferred;
static size_t ndeferred, deferred_cap;

void
bn_event_after_events(bool (*fn)(void))
{
    after_events = fn;
}

void
bn_event_busy_poll(uint64_t usec)
{
    busy_poll_nsec = usec * 1000;
}

int
bn_event_init(unsigned max_events)
{
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "epoll_create1() failed");
        return BN_ERROR;
    }
    nevents = max_events;
    events = calloc(nevents, sizeof(struct epoll_event));
    if (events == NULL) {
        return BN_ERROR;
    }
    return BN_OK;
}

int
bn_event_add(bn_io_t *io)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = io };

    if (epoll_ctl(ep, EPOLL_CTL_ADD, io->fd, &ev) == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "epoll_ctl(ADD, %d) failed", io->fd);
        return BN_ERROR;
    }
    return BN_OK;
}

int
bn_event_add_listener(bn_io_t *io)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = io };

    if (epoll_ctl(ep, EPOLL_CTL_ADD, io->fd, &ev) == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "epoll_ctl(ADD, listener %d) failed", io->fd);
        return BN_ERROR;
    }
    return BN_OK;
}

static int
level(bn_io_t *io, int op, bool write)
{
    struct epoll_event ev = { .events = EPOLLIN | (write ? EPOLLOUT : 0), .data.ptr = io };

    if (epoll_ctl(ep, op, io->fd, &ev) == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "epoll_ctl(%s, %d) failed",
                     op == EPOLL_CTL_ADD ? "ADD" : "MOD", io->fd);
        return BN_ERROR;
    }
    return BN_OK;
}

int
bn_event_add_level(bn_io_t *io, bool write)
{
    return level(io, EPOLL_CTL_ADD, write);
}

int
bn_event_level_write(bn_io_t *io, bool write)
{
    return level(io, EPOLL_CTL_MOD, write);
}

void
bn_event_del(bn_io_t *io)
{
    if (io->fd != -1 && epoll_ctl(ep, EPOLL_CTL_DEL, io->fd, NULL) == -1 && errno != ENOENT
        && errno != EBADF) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "epoll_ctl(DEL, %d) failed", io->fd);
    }
}

/* ---- timers: a binary min-heap on deadline -------------------------------------- */

static void
heap_swap(size_t a, size_t b)
{
    bn_timer_t *t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
    heap[a]->slot = a + 1;
    heap[b]->slot = b + 1;
}

static void
heap_up(size_t i)
{
    while (i > 0 && heap[(i - 1) / 2]->deadline > heap[i]->deadline) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void
heap_down(size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && heap[l]->deadline < heap[m]->deadline) {
            m = l;
        }
        if (r < heap_len && heap[r]->deadline < heap[m]->deadline) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(i, m);
        i = m;
    }
}

void
bn_timer_del(bn_timer_t *t)
{
    size_t i;

    if (t->slot == 0) {
        return;
    }
    i = t->slot - 1;
    BN_ASSERT(i < heap_len && heap[i] == t);
    t->slot = 0;
    heap_len--;
    if (i == heap_len) {
        return;
    }
    heap[i] = heap[heap_len];
    heap[i]->slot = i + 1;
    heap_up(i);
    heap_down(i);
}

void
bn_timer_set(bn_timer_t *t, bn_msec_t msec)
{
    bn_msec_t deadline = bn_current_msec + msec;

    if (t->slot != 0) {
        /* Progress re-arms timeouts many times a second; moving a deadline
         * later by a few ms is not worth two heap walks. */
        if (deadline >= t->deadline && deadline - t->deadline < BN_TIMER_LAZY_MSEC) {
            return;
        }
        t->deadline = deadline;
        heap_up(t->slot - 1);
        heap_down(t->slot - 1);
        return;
    }
    if (heap_len == heap_cap) {
        size_t cap = heap_cap ? heap_cap * 2 : 1024;
        bn_timer_t **h = realloc(heap, cap * sizeof(*h));
        /* Without room for the timer the connection could hang forever. */
        BN_ASSERT(h != NULL);
        heap = h;
        heap_cap = cap;
    }
    t->deadline = deadline;
    heap[heap_len] = t;
    t->slot = ++heap_len;
    heap_up(heap_len - 1);
}

static int
next_timeout(void)
{
    if (heap_len == 0) {
        return -1;
    }
    if (heap[0]->deadline <= bn_current_msec) {
        return 0;
    }
    return (int) BN_MIN(heap[0]->deadline - bn_current_msec, 60000u);
}

static void
expire_timers(void)
{
    while (heap_len > 0 && heap[0]->deadline <= bn_current_msec) {
        bn_timer_t *t = heap[0];
        bn_timer_del(t);
        t->handler(t);
    }
}

int
bn_event_defer_free(void (*fn)(void *), void *data)
{
    if (ndeferred == deferred_cap) {
        size_t cap = deferred_cap ? deferred_cap * 2 : 64;
        deferred_t *d = realloc(deferred, cap * sizeof(*d));
        BN_ASSERT(d != NULL);
        deferred = d;
        deferred_cap = cap;
    }
    deferred[ndeferred].fn = fn;
    deferred[ndeferred].data = data;
    ndeferred++;
    return BN_OK;
}

static void
run_deferred(void)
{
    /* A free may defer another; run until none are left. */
    for (size_t i = 0; i < ndeferred; i++) {
        deferred[i].fn(deferred[i].data);
    }
    ndeferred = 0;
}

static uint64_t
monotonic_nsec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/*
 * Signals are blocked except while waiting here: no flag set between the
 * check and the wait can be missed.
 *
 * A busy worker polls for a while before it sleeps.  When the peers answer
 * within that time (a backend on the same host, a client in the middle of
 * its requests), the worker is not put to sleep and woken again: that trip
 * through the scheduler, paid by the worker and by whoever wakes it, costs
 * more than a few polls.  When they do not, the polls are wasted CPU.  So
 * the window adapts, as KVM's halt polling does: a sleep that the full
 * busy_poll would have covered doubles it, a longer one halves it, and an
 * idle worker (its last wait returned nothing) sleeps at once.
 */
static int
wait_events(void)
{
    sigset_t unblocked;
    int n, timeout = work_left ? 0 : next_timeout();
    uint64_t start, end;

    sigemptyset(&unblocked);
    if (busy_poll_nsec == 0 || timeout == 0 || !had_events) {
        return epoll_pwait(ep, events, (int) nevents, timeout, &unblocked);
    }
    start = monotonic_nsec();
    while (spin_nsec > 0) {
        n = epoll_pwait(ep, events, (int) nevents, 0, &unblocked);
        if (n != 0) {
            return n;
        }
        if (monotonic_nsec() - start >= spin_nsec) {
            break;
        }
    }
    n = epoll_pwait(ep, events, (int) nevents, timeout, &unblocked);
    if (n > 0) {
        end = monotonic_nsec();
        if (end - start <= busy_poll_nsec) {
            spin_nsec = spin_nsec == 0 ? BN_SPIN_START_NSEC : BN_MIN(spin_nsec * 2, busy_poll_nsec);
        } else {
            spin_nsec = spin_nsec / 2 < BN_SPIN_START_NSEC ? 0 : spin_nsec / 2;
        }
    }
    return n;
}

void
bn_event_post(bn_posted_t *p)
{
    if (!bn_list_linked(&p->link)) {
        bn_list_insert_tail(&posted, &p->link);
    }
}

void
bn_event_unpost(bn_posted_t *p)
{
    if (bn_list_linked(&p->link)) {
        bn_list_remove(&p->link);
    }
}

/* Runs what was posted, and what that posts in turn, then the frees. */
static void
run_posted(void)
{
    bn_list_t *first;

    while ((first = bn_list_head(&posted)) != NULL) {
        bn_posted_t *p = bn_list_data(first, bn_posted_t, link);
        bn_list_remove(&p->link);
        p->handler(p);
    }
    run_deferred();
}

void
bn_event_process(void)
{
    int n;

    n = wait_events();
    had_events = n > 0;
    bn_time_update();
    if (n == -1 && errno != EINTR) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "epoll_pwait() failed");
    }
    for (int i = 0; i < n; i++) {
        bn_io_t *io = events[i].data.ptr;
        if (!io->closed) {
            io->handler(io, events[i].events);
        }
    }
    run_posted();
    if (after_events != NULL) {
        work_left = after_events();
        run_posted();
    }
    expire_timers();
    run_posted();
}
