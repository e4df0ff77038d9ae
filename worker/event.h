/*
 * event.h: the worker's event loop: epoll (edge-triggered for connections,
 * level-triggered with EPOLLEXCLUSIVE for listeners), timers in a binary
 * heap, and deferred frees so a handler may close any connection, even one
 * with an event still pending in the same batch.
 */
#ifndef BN_EVENT_H
#define BN_EVENT_H

#include "../common/bouncer.h"
#include "../common/clock.h"
#include "../common/list.h"

typedef struct bn_io_s bn_io_t;
typedef void (*bn_io_handler_pt)(bn_io_t *io, uint32_t events);

/* The head of every object registered with epoll. */
struct bn_io_s {
    int fd;
    bool closed; /* events for it are dropped until it is freed */
    bn_io_handler_pt handler;
};

typedef struct bn_timer_s bn_timer_t;
typedef void (*bn_timer_handler_pt)(bn_timer_t *t);

struct bn_timer_s {
    bn_msec_t deadline;
    size_t slot; /* heap position + 1; 0 when not armed */
    bn_timer_handler_pt handler;
    void *data;
};

int bn_event_init(unsigned max_events);
/* fn runs after each batch of events; while it returns true (work left),
 * the loop polls without sleeping. */
void bn_event_after_events(bool (*fn)(void));
/* How long a busy loop polls before it sleeps (busy_poll); 0: never. */
void bn_event_busy_poll(uint64_t usec);

/* Edge-triggered EPOLLIN|EPOLLOUT|EPOLLRDHUP: one stable interest set. */
int bn_event_add(bn_io_t *io);
/* Level-triggered EPOLLIN|EPOLLEXCLUSIVE, for listening sockets. */
int bn_event_add_listener(bn_io_t *io);
void bn_event_del(bn_io_t *io);
/*
 * Level-triggered EPOLLIN, with EPOLLOUT too while write is set: for a
 * library that reads one buffer per call and says when it wants to write
 * (hiredis, worker/redis.c).  bn_event_level_write() changes the EPOLLOUT
 * half of an fd added so.
 */
int bn_event_add_level(bn_io_t *io, bool write);
int bn_event_level_write(bn_io_t *io, bool write);

/* Waits for events until the nearest timer, runs handlers and timers. */
void bn_event_process(void);

/* Arms t to fire after msec (re-arming moves it). */
void bn_timer_set(bn_timer_t *t, bn_msec_t msec);
void bn_timer_del(bn_timer_t *t);

static inline bool
bn_timer_armed(const bn_timer_t *t)
{
    return t->slot != 0;
}

/*
 * Runs fn(data) after the current batch of events, when no handler of the
 * batch can still reach what it frees.
 */
int bn_event_defer_free(void (*fn)(void *), void *data);

/*
 * A posted event (nginx's posted events): work that must not run inside
 * the handler that asks for it, for it may reach other requests (waking a
 * queue from inside a close would run another request's code there).
 * bn_event_post() runs p->handler once, from the loop, after the current
 * handler returns; posting one that is posted already does nothing.  p
 * must live until it has run (the upstreams' dispatch lives as long as
 * the worker).
 */
typedef struct bn_posted_s bn_posted_t;

struct bn_posted_s {
    bn_list_t link;
    void (*handler)(bn_posted_t *p);
    void *data;
};

void bn_event_post(bn_posted_t *p);

/* Takes back a posted event that has not run yet (what it would run is going). */
void bn_event_unpost(bn_posted_t *p);

#endif
