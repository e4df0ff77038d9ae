/*
 * worker_state.c: what every part of a worker may read of the worker
 * itself (its pid, whether it quits, its descriptors in use, connection
 * ids).  worker.c sets them; they live apart so that reading them is no
 * call up into the worker's loop.
 */
#include "worker_state.h"

uint64_t bn_worker_conn_count;
bool bn_worker_quitting;
pid_t bn_worker_pid;

static uint64_t conn_ids;

uint64_t
bn_worker_next_conn_id(void)
{
    /* Unique across workers: the pid in the high bits. */
    return ((uint64_t) bn_worker_pid << 32) | ++conn_ids;
}
