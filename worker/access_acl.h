/* access_acl.h: what worker/access_acl.c exports. */
#ifndef BN_WORKER_ACCESS_ACL_H
#define BN_WORKER_ACCESS_ACL_H

#include "phase_types.h"

/* The access handlers (access_*.c). */
extern const bn_access_module_t bn_access_acl;

#endif
