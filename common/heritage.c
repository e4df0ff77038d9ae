/*
 * heritage.c: the one instance of what the master hands its children, and
 * the first steps every child (worker or helper) takes with it.
 */
#include "heritage.h"
#include "log.h"

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>

bn_heritage_t bn_heritage;

void
bn_child_init(void)
{
    bn_conf_t *conf = bn_heritage.conf;

    if (bn_heritage.drop_privileges) {
        if (setgid(bn_heritage.gid) == -1 || initgroups(conf->user, bn_heritage.gid) == -1
            || setuid(bn_heritage.uid) == -1) {
            bn_log_error(BN_LOG_EMERG, NULL, errno, "cannot switch to user \"%s\" group \"%s\"",
                         conf->user, conf->group);
            exit(2);
        }
    }
    /* A dumpable child can be ptraced by any other process of its user
     * (nobody, often shared), which could read the TLS keys, the ticket
     * keys and the sticky secret from its memory.  setuid() may leave it
     * dumpable (fs.suid_dumpable), so say it either way; debug_dumpable
     * brings core dumps back for debugging. */
    prctl(PR_SET_DUMPABLE, conf->debug_dumpable ? 1 : 0, 0, 0, 0);
    /* Should the master vanish without telling us, finish and go.  Set
     * after the privilege drop, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGQUIT, 0, 0, 0);
    if (getppid() != bn_heritage.master_pid) {
        raise(SIGQUIT); /* it went before we could ask */
    }
}
