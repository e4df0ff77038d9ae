/*
 * control.h: what control.c exports: the control socket, both ends.
 */
#ifndef BN_MASTER_CONTROL_H
#define BN_MASTER_CONTROL_H

#include "../common/bouncer.h"
#include "../common/conf.h"
#include "../common/log.h"

int bn_control_listen(const char *path, char *err, size_t errlen);
/* Moves the socket bn_control_listen() bound to the path to (rename(2):
 * clients never find the path missing); BN_ERROR with errno. */
int bn_control_rename(const char *to);
/* At exit: removes the socket bound, unless its path now names another
 * (a new master's, after an upgrade). */
void bn_control_remove(void);
/* Client side: sends cmd, prints the answer; returns the exit status. */
int bn_control_command(const char *sock_path, const char *cmd, unsigned wait_secs);
/* Client side: sends cmd; returns the whole answer (malloc'd, NUL-ended,
 * *len bytes), or NULL when the master cannot be reached. */
char *bn_control_query(const char *sock_path, const char *cmd, unsigned wait_secs, size_t *len);

#endif
