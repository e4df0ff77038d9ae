/* variables.h: what worker/variables.c exports. */
#ifndef BN_WORKER_VARIABLES_H
#define BN_WORKER_VARIABLES_H

#include "types.h"

/* The value of template t for r, in r's pool; NULL when memory runs out.
 * A variable that does not apply to r is empty. */
char *bn_var_expand(bn_request_t *r, const bn_template_t *t);

/* Room for a number's text, for bn_var_value(). */
#define BN_VAR_NUM 32
/*
 * The value of one part of a template for r: *v (not NUL-terminated) and
 * *len, pointing into r, its pool, the config, or num (BN_VAR_NUM bytes,
 * for numbers).  Returns false, *v NULL, when the variable does not apply
 * to r (no such header, no upstream, no TLS).
 */
bool bn_var_value(bn_request_t *r, const bn_template_part_t *part, char *num, const char **v,
                  size_t *len);

/*
 * r's request id: the client's X-Request-Id when it is 1 to 128 printable
 * ASCII characters (0x21-0x7e), else one made here (32 hex digits), made
 * on first call and the same for the rest of the request.
 */
const char *bn_request_id(bn_request_t *r);

/* The value of cookie name in r's Cookie headers; *v NULL when absent. */
void bn_var_cookie(bn_request_t *r, const char *name, const char **v, size_t *len);
/* A credential where auth's from says (BN_FROM_*: a header, a cookie, a
 * query argument as sent); *v NULL when the request has none there. */
void bn_var_credential(bn_request_t *r, int kind, const char *name, size_t nlen, const char **v,
                       size_t *len);

#endif
