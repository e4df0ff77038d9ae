/*
 * master.h: the pieces of the master process, shared between master/ files
 * only.  Nothing here is seen by workers.  The helper process's files
 * (helper_*.c) have their own header, helper.h.
 */
#ifndef BN_MASTER_H
#define BN_MASTER_H

#include "../common/bouncer.h"
#include "../common/conf.h"
#include "../common/log.h"

/* master.c: start, the master loop, reload and worker supervision. */
int bn_master_start(const char *conf_path, bool foreground);

/* listen.c: binding listeners, and carrying them over a reload. */
int bn_listen_open(bn_conf_t *conf, bn_conf_t *old, bn_conf_errors_t *errs);
void bn_listen_undo(bn_conf_t *conf, bn_conf_t *old);
void bn_listen_close_all(bn_conf_t *conf);

/* process.c: the pid file, daemonizing, logs and the worker user. */
int bn_pidfile_lock(const char *path, char *err, size_t errlen);
int bn_pidfile_write(void);
void bn_pidfile_remove(void);
pid_t bn_pidfile_read(const char *path);
/* The locked pid file's descriptor: children close it, so the lock goes
 * with the master. */
int bn_pidfile_fd(void);
int bn_daemonize(int *ready_fd);
void bn_raise_nofile(bn_conf_t *conf);
int bn_worker_identity(bn_conf_t *conf, uid_t *uid, gid_t *gid, bool *drop);
int bn_open_logs(bn_conf_t *conf, uid_t uid, gid_t gid, bool chown_them, int *error_fd,
                 int *access_fd, char *err, size_t errlen);
/*
 * BN_OK when the workers (uid, in gid and the groups of user) cannot change
 * what path names: they cannot write its folder, nor a folder above it
 * (short of the sticky bit's protection).  Else BN_ERROR, with err naming
 * the folder.  Root checks this before it creates, opens or chowns anything
 * for the workers.
 */
int bn_path_safe_from_workers(const char *path, const char *user, uid_t uid, gid_t gid,
                              char *err, size_t errlen);
/* strerror(), but ELOOP from an O_NOFOLLOW open says a link was refused. */
const char *bn_nofollow_strerror(int err);
void bn_save_last_good(bn_conf_t *conf);
void bn_load_secret(bn_conf_t *conf, unsigned char *key, size_t len);

/* control.c: the control socket, both ends. */
int bn_control_listen(const char *path, char *err, size_t errlen);
/* Client side: sends cmd, prints the answer; returns the exit status. */
int bn_control_command(const char *sock_path, const char *cmd, unsigned wait_secs);

#endif
