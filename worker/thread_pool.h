/*
 * thread_pool.h: a few threads per worker for work that takes real time
 * (a bcrypt or SHA-crypt password check: tens of milliseconds by design).
 * The event loop hands a job over and hears back through an eventfd it
 * watches like any socket, so it never waits for one.
 */
#ifndef BN_WORKER_THREAD_POOL_H
#define BN_WORKER_THREAD_POOL_H

#include "types.h"

typedef struct bn_job_s bn_job_t;

struct bn_job_s {
    /* Runs in a pool thread: it may touch only the job's own memory. */
    void (*work)(bn_job_t *j);
    /* Runs on the event loop once work() has returned; frees the job. */
    void (*done)(bn_job_t *j);
    bn_job_t *next;
};

/* Starts n threads (at most once per worker; later calls do nothing). */
int bn_thread_pool_start(unsigned n);

/* Queues j.  BN_ERROR when the pool could not be started. */
int bn_thread_pool_post(bn_job_t *j);

#endif
