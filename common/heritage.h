/*
 * heritage.h: everything the master hands a worker at fork, in one struct
 * (after Varnish's heritage.h).  The worker's entry point is declared here
 * too, so that master/ never includes a worker/ header.
 */
#ifndef BN_HERITAGE_H
#define BN_HERITAGE_H

#include "bouncer.h"
#include "conf.h"

typedef struct {
    bn_conf_t *conf; /* the generation's config, inherited by fork */
    unsigned generation;
    unsigned slot; /* this worker's number within the generation */
    int proc;      /* index for what it holds in shared memory (peers.h); -1: none */
    pid_t master_pid;
    int access_log_fd;    /* opened by the master, before privileges drop */
    bool drop_privileges; /* started as root: become conf->user/group */
    uid_t uid;
    gid_t gid;
    unsigned char secret[32]; /* keys sticky cookies; kept across restarts */
    int ready_fd; /* -1, or where a worker writes a byte once it accepts (upgrade) */
} bn_heritage_t;

extern bn_heritage_t bn_heritage;

/* Runs a worker process; never returns. */
_Noreturn void bn_worker_main(void);

/* A child's first steps: become the configured user, and follow the master
 * out should it die.  Signal handlers must be in place before. */
void bn_child_init(void);

/*
 * Process titles, as ps(1) shows them ("bouncer: worker process").  The
 * master calls bn_proctitle_init() with main()'s argv before anything else.
 */
void bn_proctitle_init(int argc, char **argv);
void bn_proctitle_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
