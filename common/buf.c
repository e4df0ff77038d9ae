/*
 * buf.c: formatted appends to a buffer, for the heads that are not on the
 * hot path (bouncer's own responses, Forwarded).
 */
#include "buf.h"

int
bn_buf_printf(bn_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(b->last, bn_buf_room(b), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= bn_buf_room(b)) {
        return BN_ERROR;
    }
    b->last += n;
    return BN_OK;
}
