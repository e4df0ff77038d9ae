/*
 * listen.h: what listen.c exports: binding listeners, and carrying them over a reload.
 */
#ifndef BN_MASTER_LISTEN_H
#define BN_MASTER_LISTEN_H

#include "../common/bouncer.h"
#include "../common/conf.h"
#include "../common/log.h"

int bn_listen_open(bn_conf_t *conf, bn_conf_t *old, bn_conf_errors_t *errs);
void bn_listen_undo(bn_conf_t *conf, bn_conf_t *old);
void bn_listen_close_all(bn_conf_t *conf);

#endif
