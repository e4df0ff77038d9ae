/* worker_state.h: what worker/worker_state.c exports (set by worker.c). */
#ifndef BN_WORKER_WORKER_STATE_H
#define BN_WORKER_WORKER_STATE_H

#include "types.h"

extern uint64_t bn_worker_conn_count; /* client and upstream descriptors */
extern pid_t bn_worker_pid;           /* getpid(), once: it is asked per request */
extern bool bn_worker_quitting;
uint64_t bn_worker_next_conn_id(void);

#endif
