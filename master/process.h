/*
 * process.h: what process.c exports: the pid file, daemonizing, logs and the worker user.
 */
#ifndef BN_MASTER_PROCESS_H
#define BN_MASTER_PROCESS_H

#include "../common/bouncer.h"
#include "../common/conf.h"
#include "../common/log.h"

int bn_pidfile_lock(const char *path, char *err, size_t errlen);
int bn_pidfile_write(void);
void bn_pidfile_remove(void);
/* A new master of `bouncer upgrade`: takes the old one's descriptor of
 * path, and with it the lock; BN_ERROR (err says why) when fd is not that
 * file (the config names another pid_file). */
int bn_pidfile_adopt(int fd, const char *path, char *err, size_t errlen);
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
void bn_load_secret(bn_conf_t *conf, unsigned char *key, size_t len);

#endif
