/*
 * upgrade.h: what upgrade.c exports: starting a new binary as the next
 * master (the old master's end), and what that master inherits (the new
 * one's end).
 */
#ifndef BN_MASTER_UPGRADE_H
#define BN_MASTER_UPGRADE_H

#include "../common/bouncer.h"
#include "../common/addr.h"
#include "../common/conf.h"
#include "../common/log.h"

/* main(), before the master starts: keeps the binary's path (from
 * /proc/self/exe, resolved now) and argv, which the process title
 * overwrites later. */
void bn_upgrade_save_exe(int argc, char **argv);
/* At exit: what bn_upgrade_save_exe() kept, and any inherited listener
 * left unclaimed. */
void bn_upgrade_free_exe(void);
const char *bn_upgrade_exe(void);

/*
 * Forks and execs the saved binary with the saved argv, handing it conf's
 * listeners and the pid file's descriptor pid_fd.  Returns its pid, with
 * *channel the old master's end of the channel (non-blocking), or -1 with
 * err.  A failed exec is said on the channel and the child exits 127.
 */
pid_t bn_upgrade_exec(const bn_conf_t *conf, int pid_fd, int *channel, char *err, size_t errlen);

/* At start: the channel when this master was started by an upgrade (and
 * *pid_fd the inherited pid file), else -1.  The inherited listeners wait
 * for bn_upgrade_take_listeners(). */
int bn_upgrade_inherit(int *pid_fd);
/* Gives conf's listeners the inherited sockets of the same address;
 * closes those conf does not name. */
void bn_upgrade_take_listeners(bn_conf_t *conf);

/* One message from the channel into buf: BN_OK, BN_AGAIN (none yet), or
 * BN_DONE (the other end closed). */
int bn_upgrade_recv(int channel, char *buf, size_t len);
void bn_upgrade_send(int channel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
