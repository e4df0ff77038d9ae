/*
 * buf.h: a flat byte buffer.  Bytes [pos, last) are unread; [last, end) is
 * room for more.  Callers compact (move the unread bytes to the start) only
 * when they need room, so a buffer drained in step with reads never moves.
 */
#ifndef BN_BUF_H
#define BN_BUF_H

#include "bouncer.h"

typedef struct {
    char *start;
    char *pos;
    char *last;
    char *end;
} bn_buf_t;

static inline size_t
bn_buf_len(const bn_buf_t *b)
{
    return (size_t) (b->last - b->pos);
}

static inline size_t
bn_buf_room(const bn_buf_t *b)
{
    return (size_t) (b->end - b->last);
}

/* Empties the buffer when all was read, or moves the unread bytes down. */
static inline void
bn_buf_compact(bn_buf_t *b)
{
    size_t n = bn_buf_len(b);

    if (b->pos == b->start) {
        return;
    }
    if (n != 0) {
        memmove(b->start, b->pos, n);
    }
    b->pos = b->start;
    b->last = b->start + n;
}

/* Appends n bytes; returns BN_ERROR when they do not fit. */
static inline int
bn_buf_append(bn_buf_t *b, const void *p, size_t n)
{
    if (bn_buf_room(b) < n) {
        return BN_ERROR;
    }
    memcpy(b->last, p, n);
    b->last += n;
    return BN_OK;
}

/* Appends printf output; BN_ERROR (and nothing appended) when it does not fit. */
int bn_buf_printf(bn_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets up b over size bytes of memory m. */
static inline void
bn_buf_init(bn_buf_t *b, char *m, size_t size)
{
    b->start = b->pos = b->last = m;
    b->end = m + size;
}

#endif
