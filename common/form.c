/*
 * form.c: application/x-www-form-urlencoded, a resumable scanner that hands
 * on the pieces of every name and value as they are in the input.
 */
#include "form.h"

#define FORM_MAGIC 0x666f726dU

enum {
    S_START, /* before a pair: nothing of it read yet */
    S_NAME,
    S_VALUE,
    S_DONE, /* finished */
    S_ERROR
};

static int
fail(bn_form_t *f, size_t off, const char *why)
{
    f->err = why;
    f->err_off = off;
    f->state = S_ERROR;
    return BN_ERROR;
}

static int
emit(bn_form_t *f, size_t off, bn_form_ev_type_t type, const char *data, size_t len, bool last)
{
    bn_form_ev_t ev = { type, data, len, last, f->pairs - 1, NULL };

    if (f->handler != NULL && f->handler(f->ctx, &ev) != BN_OK) {
        return fail(f, off, ev.err != NULL ? ev.err : "refused");
    }
    return BN_OK;
}

void
bn_form_init(bn_form_t *f, const bn_form_limits_t *lim, bn_form_handler_pt h, void *ctx)
{
    memset(f, 0, sizeof(*f));
    f->magic = FORM_MAGIC;
    f->state = S_START;
    f->max_pairs = lim != NULL && lim->max_pairs != 0 ? lim->max_pairs : BN_FORM_DEFAULT_PAIRS;
    f->handler = h;
    f->ctx = ctx;
}

int
bn_form_feed(bn_form_t *f, const char *p, size_t n)
{
    size_t i, mark = 0;
    char c;

    BN_CHECK_OBJ(f, FORM_MAGIC);
    if (f->state == S_ERROR) {
        return BN_ERROR;
    }
    if (f->state == S_DONE) {
        return fail(f, f->offset, "fed after the end");
    }
    for (i = 0; i < n; i++) {
        c = p[i];
        switch (f->state) {
        case S_START:
            if (c == '&') {
                break;
            }
            if (++f->pairs > f->max_pairs) {
                return fail(f, f->offset + i, "too many fields");
            }
            mark = i;
            if (c != '=') {
                f->state = S_NAME;
                break;
            }
            /* "=x" is an empty name. */
            /* fall through */
        case S_NAME:
            if (c == '&') {
                if (emit(f, f->offset + i, BN_FORM_EV_NAME, p + mark, i - mark, true) != BN_OK
                    || emit(f, f->offset + i, BN_FORM_EV_VALUE, p + i, 0, true) != BN_OK) {
                    return BN_ERROR;
                }
                f->state = S_START;
            } else if (c == '=') {
                if (emit(f, f->offset + i, BN_FORM_EV_NAME, p + mark, i - mark, true) != BN_OK) {
                    return BN_ERROR;
                }
                mark = i + 1;
                f->state = S_VALUE;
            }
            break;
        case S_VALUE:
            if (c == '&') {
                if (emit(f, f->offset + i, BN_FORM_EV_VALUE, p + mark, i - mark, true) != BN_OK) {
                    return BN_ERROR;
                }
                f->state = S_START;
            }
            break;
        }
    }
    /* What is left of a name or value is handed on now: p is the caller's
     * only until this call returns. */
    if ((f->state == S_NAME || f->state == S_VALUE) && mark < n) {
        if (emit(f, f->offset + n, f->state == S_NAME ? BN_FORM_EV_NAME : BN_FORM_EV_VALUE,
                 p + mark, n - mark, false)
            != BN_OK) {
            return BN_ERROR;
        }
    }
    f->offset += n;
    return BN_OK;
}

int
bn_form_finish(bn_form_t *f)
{
    BN_CHECK_OBJ(f, FORM_MAGIC);
    switch (f->state) {
    case S_ERROR:
        return BN_ERROR;
    case S_DONE:
        return fail(f, f->offset, "fed after the end");
    case S_NAME:
        if (emit(f, f->offset, BN_FORM_EV_NAME, "", 0, true) != BN_OK) {
            return BN_ERROR;
        }
        /* A pair without '=' has an empty value. */
        /* fall through */
    case S_VALUE:
        if (emit(f, f->offset, BN_FORM_EV_VALUE, "", 0, true) != BN_OK) {
            return BN_ERROR;
        }
        break;
    }
    f->state = S_DONE;
    return BN_OK;
}
