/*
 * thread_pool.c: the worker's threads for slow work (thread_pool.h).  Two
 * queues under one mutex: jobs to do, which the threads take in order,
 * and jobs done, which the loop drains when the eventfd says so.  The
 * threads block every signal: signals are the loop's.
 */
#include "thread_pool.h"
#include "event.h"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static bn_job_t *todo_head, **todo_tail = &todo_head;
static bn_job_t *done_head, **done_tail = &done_head;
static unsigned nthreads;
static bn_io_t done_io = { .fd = -1 };

static void *
thread_main(void *arg)
{
    uint64_t one = 1;

    (void) arg;
    for (;;) {
        bn_job_t *j;

        pthread_mutex_lock(&lock);
        while (todo_head == NULL) {
            pthread_cond_wait(&more, &lock);
        }
        j = todo_head;
        todo_head = j->next;
        if (todo_head == NULL) {
            todo_tail = &todo_head;
        }
        pthread_mutex_unlock(&lock);

        j->work(j);

        pthread_mutex_lock(&lock);
        j->next = NULL;
        *done_tail = j;
        done_tail = &j->next;
        pthread_mutex_unlock(&lock);
        /* A full counter (never, in practice) still leaves it readable. */
        (void) !write(done_io.fd, &one, sizeof(one));
    }
    return NULL;
}

static void
drain_done(bn_io_t *io, uint32_t events)
{
    uint64_t n;
    bn_job_t *j, *next;

    (void) events;
    while (read(io->fd, &n, sizeof(n)) > 0) {
    }
    pthread_mutex_lock(&lock);
    j = done_head;
    done_head = NULL;
    done_tail = &done_head;
    pthread_mutex_unlock(&lock);
    for (; j != NULL; j = next) {
        next = j->next;
        j->done(j);
    }
}

int
bn_thread_pool_start(unsigned n)
{
    sigset_t all, old;
    pthread_attr_t attr;

    if (nthreads > 0) {
        return BN_OK;
    }
    done_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (done_io.fd == -1) {
        bn_log_error(BN_LOG_ERR, NULL, errno, "eventfd() for the worker's threads failed");
        return BN_ERROR;
    }
    done_io.handler = drain_done;
    if (bn_event_add(&done_io) != BN_OK) {
        close(done_io.fd);
        done_io.fd = -1;
        return BN_ERROR;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* bcrypt and the SHA crypts need little stack; 256 KiB is plenty. */
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (unsigned i = 0; i < n; i++) {
        pthread_t t;
        int err = pthread_create(&t, &attr, thread_main, NULL);
        if (err != 0) {
            bn_log_error(BN_LOG_ERR, NULL, err, "pthread_create() failed");
            break;
        }
        nthreads++;
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return nthreads > 0 ? BN_OK : BN_ERROR;
}

int
bn_thread_pool_post(bn_job_t *j)
{
    if (nthreads == 0) {
        return BN_ERROR;
    }
    j->next = NULL;
    pthread_mutex_lock(&lock);
    *todo_tail = j;
    todo_tail = &j->next;
    pthread_cond_signal(&more);
    pthread_mutex_unlock(&lock);
    return BN_OK;
}
