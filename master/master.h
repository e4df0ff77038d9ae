/*
 * master.h: what master.c exports (the master's start).  The other master/
 * files have a header each (listen.h, process.h, control.h); the helper
 * process's files (helper_*.c) have theirs, helper.h.  Nothing here is seen
 * by workers.
 */
#ifndef BN_MASTER_H
#define BN_MASTER_H

#include "../common/bouncer.h"
#include "../common/conf.h"
#include "../common/log.h"

/* master.c: start, the master loop, reload and worker supervision. */
int bn_master_start(const char *conf_path, bool foreground);

#endif
