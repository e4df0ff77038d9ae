/* access_limit.h: what worker/access_limit.c exports. */
#ifndef BN_WORKER_ACCESS_LIMIT_H
#define BN_WORKER_ACCESS_LIMIT_H

#include "phase_types.h"

/* Before authentication: the rules keyed on the client. */
extern const bn_access_module_t bn_access_limit;
/* After it: the rules keyed on $auth_*, $jwt_claim_* or $api_key_name. */
extern const bn_access_module_t bn_access_limit_identity;

#endif
