/*
 * form.h: application/x-www-form-urlencoded bodies and query strings, as a
 * push parser that takes the text in pieces of any size and reports the
 * pairs through a callback, so a body can be inspected as it arrives
 * without being held.
 *
 * Pairs are split on '&' only (';' is part of a name or value, as the URL
 * Standard and every browser have it), a pair on its first '='.  The bytes
 * are handed on raw, as sent: no percent-decoding, '+' stays '+'.  Whoever
 * inspects the values decodes them (once per transformation chain), and a
 * byte the sender encoded twice is still visible as such.
 */
#ifndef BN_FORM_H
#define BN_FORM_H

#include "bouncer.h"

/* 0 in a field: its default (1000 pairs). */
typedef struct {
    size_t max_pairs;
} bn_form_limits_t;

#define BN_FORM_DEFAULT_PAIRS 1000

typedef enum { BN_FORM_EV_NAME, BN_FORM_EV_VALUE } bn_form_ev_type_t;

/*
 * What the handler is told, for every pair in order: its NAME in one or
 * more pieces, the last one with `last` set, then its VALUE the same way.
 * A pair without '=' has an empty value ("a&b=1": a is "", b is "1"); an
 * empty pair ("&&", a leading or trailing '&') is skipped; "=x" is an empty
 * name with the value "x".  A piece points into what was fed (nothing is
 * copied) and is valid only during the call; any piece may be empty, and
 * where the text was cut between feeds decides only how a name or value
 * is divided into pieces, never the bytes or the pairs.
 */
typedef struct {
    bn_form_ev_type_t type;
    const char *data;
    size_t len;
    bool last;
    size_t pair;     /* which pair, from 0 */
    const char *err; /* the handler's static reason when it returns BN_ERROR */
} bn_form_ev_t;

/* BN_OK to go on, BN_ERROR to stop (with ev->err set, or "refused"). */
typedef int (*bn_form_handler_pt)(void *ctx, bn_form_ev_t *ev);

/* The fields are the parser's own; read only err and err_off. */
typedef struct {
    unsigned magic;
    int state;
    size_t max_pairs;
    size_t pairs;  /* pairs begun so far */
    size_t offset; /* bytes consumed so far */
    bn_form_handler_pt handler;
    void *ctx;
    const char *err; /* static reason once feed or finish returned BN_ERROR */
    size_t err_off;  /* the offset of the byte where it was seen */
} bn_form_t;

/* lim may be NULL (the defaults); h may be NULL (only the limits are checked). */
void bn_form_init(bn_form_t *f, const bn_form_limits_t *lim, bn_form_handler_pt h, void *ctx);
/* BN_OK: all of p was taken; BN_ERROR: f->err says why ("too many fields", or
 * the handler's), and every later call fails. */
int bn_form_feed(bn_form_t *f, const char *p, size_t n);
/* The end of the text: ends the pair being read.  BN_OK, or BN_ERROR as
 * bn_form_feed(); nothing may be fed after it. */
int bn_form_finish(bn_form_t *f);

#endif
