/* variables.h: what worker/variables.c exports. */
#ifndef BN_WORKER_VARIABLES_H
#define BN_WORKER_VARIABLES_H

#include "types.h"

/* The value of template t for r, in r's pool; NULL when memory runs out. */
char *bn_var_expand(bn_request_t *r, const bn_template_t *t);
const char *bn_request_id(bn_request_t *r);
/* The value of cookie name in r's Cookie headers; *v NULL when absent. */
void bn_var_cookie(bn_request_t *r, const char *name, const char **v, size_t *len);
/* A credential where auth's from says (BN_FROM_*: a header, a cookie, a
 * query argument as sent); *v NULL when the request has none there. */
void bn_var_credential(bn_request_t *r, int kind, const char *name, size_t nlen, const char **v,
                       size_t *len);

#endif
