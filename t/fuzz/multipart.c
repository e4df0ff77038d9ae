/*
 * libFuzzer target for the multipart/form-data parser: whatever the body,
 * fed whole and fed in pieces (cut where the second byte says) it gives
 * the same events (the contents compared as one stream, however they were
 * divided), the same outcome, the same reason and offset; the events come
 * in order (PART_BEGIN, DATA, the last one marked, PART_END); and the body
 * read as a Content-Type value gives a boundary of 1 to 70 bchars or none.
 * The first byte picks the boundary and the limits.
 *
 *   make fuzz && objs/fuzz_multipart -max_total_time=600 t/fuzz/corpus/multipart
 */
#include "../../common/multipart.h"
#include "../../common/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

_Noreturn void
bn_assert_fail(const char *file, int line, const char *func, const char *expr)
{
    fprintf(stderr, "assertion \"%s\" failed in %s() at %s:%d\n", expr, func, file, line);
    abort();
}

typedef struct {
    uint64_t h;
    size_t parts, data;
    bool open, ended;
} rec_t;

static void
mix(rec_t *r, const void *p, size_t n)
{
    r->h = bn_fnv1a(r->h, p, n);
}

static void
mix_field(rec_t *r, const char *s, size_t n)
{
    mix(r, s == NULL ? "N" : "F", 1);
    mix(r, &n, sizeof(n));
    if (s != NULL) {
        mix(r, s, n);
    }
}

static int
handler(void *ctx, bn_multipart_ev_t *ev)
{
    rec_t *r = ctx;
    const bn_multipart_part_t *p = ev->part;

    if (p == NULL || ev->index != r->parts) {
        __builtin_trap();
    }
    switch (ev->type) {
    case BN_MULTIPART_EV_PART_BEGIN:
        if (r->open || p->name == NULL) {
            __builtin_trap();
        }
        r->open = true;
        r->ended = false;
        mix(r, "B", 1);
        mix_field(r, p->name, p->name_len);
        mix_field(r, p->filename, p->filename_len);
        mix_field(r, p->filename_ext, p->filename_ext_len);
        mix_field(r, p->content_type, p->content_type_len);
        break;
    case BN_MULTIPART_EV_DATA:
        if (!r->open || r->ended || (ev->len > 0 && ev->data == NULL)) {
            __builtin_trap();
        }
        mix(r, ev->data, ev->len);
        r->data += ev->len;
        r->ended = ev->last;
        break;
    case BN_MULTIPART_EV_PART_END:
        if (!r->open || !r->ended) {
            __builtin_trap();
        }
        r->open = false;
        r->parts++;
        mix(r, "E", 1);
        break;
    }
    return BN_OK;
}

static const char *const boundaries[] = { "XyZ", "b", "----WebKitFormBoundary7MA4YWxkTrZu0gW",
                                          "a'()+_,-./:=? z" };
static const bn_multipart_limits_t limits[] = {
    { 0, 0, 0 }, { 64, 4, 2 }, { 200, 30, 8 }, { 1, 1, 1 }
};

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static bn_multipart_t a, b;
    rec_t ra = { BN_FNV1A_START, 0, 0, false, false }, rb = ra;
    const char *body, *bd;
    char out[BN_MULTIPART_BOUNDARY_MAX + 1];
    size_t i, step, blen;
    unsigned cut;
    int rca, rcb;

    if (n < 2) {
        return 0;
    }
    bd = boundaries[d[0] & 3];
    const bn_multipart_limits_t *lim = &limits[(d[0] >> 2) & 3];
    cut = d[1];
    body = (const char *) d + 2;
    n -= 2;

    if (bn_multipart_boundary(body, n, out, sizeof(out), &blen) == BN_OK) {
        if (blen == 0 || blen > BN_MULTIPART_BOUNDARY_MAX || strlen(out) != blen
            || out[blen - 1] == ' ') {
            __builtin_trap();
        }
    }

    if (bn_multipart_init(&a, bd, strlen(bd), lim, handler, &ra) != BN_OK
        || bn_multipart_init(&b, bd, strlen(bd), lim, handler, &rb) != BN_OK) {
        __builtin_trap();
    }
    rca = bn_multipart_feed(&a, body, n);
    if (rca == BN_OK) {
        rca = bn_multipart_finish(&a);
    }
    rcb = BN_OK;
    for (i = 0; rcb == BN_OK && i < n; i += step) {
        /* Mostly small pieces, so that delimiters are cut everywhere. */
        step = BN_MIN(n - i, (cut & 0x80) ? (size_t) (cut & 0x7f) + 1 : (size_t) (cut & 7) + 1);
        cut = cut * 1103515245u + 12345u;
        rcb = bn_multipart_feed(&b, body + i, step);
    }
    if (rcb == BN_OK) {
        rcb = bn_multipart_finish(&b);
    }

    if (rca != rcb || ra.h != rb.h || ra.parts != rb.parts || ra.data != rb.data) {
        __builtin_trap();
    }
    if (rca == BN_OK) {
        if (ra.open || a.err != NULL) {
            __builtin_trap();
        }
    } else if (a.err == NULL || b.err == NULL || strcmp(a.err, b.err) != 0 || a.err_off != b.err_off
               || a.err_off > n) {
        __builtin_trap();
    }
    /* Contents never exceed the body. */
    if (ra.data > n) {
        __builtin_trap();
    }
    return 0;
}
