/* access_auth.h: what worker/access_auth.c exports. */
#ifndef BN_WORKER_ACCESS_AUTH_H
#define BN_WORKER_ACCESS_AUTH_H

#include "phase_types.h"

extern const bn_access_module_t bn_access_auth;

#endif
