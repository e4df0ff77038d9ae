/*
 * libFuzzer target for the form parser: whatever the text, fed whole and
 * fed in pieces (cut where the first byte says) it gives the same pairs
 * (names and values compared as streams, however they were divided) and
 * the same outcome; names and values alternate, each ended by a last
 * piece; and the bytes handed on are the text less its separators.
 *
 *   make fuzz && objs/fuzz_form -max_total_time=600 t/fuzz/corpus/form
 */
#include "../../common/form.h"
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
    size_t pairs, bytes;
    bool value; /* a VALUE piece comes next */
    const char *in;
    size_t in_len;
} rec_t;

static int
handler(void *ctx, bn_form_ev_t *ev)
{
    rec_t *r = ctx;
    const unsigned char *b = (const unsigned char *) ev->data;

    if ((ev->type == BN_FORM_EV_VALUE) != r->value || ev->pair != r->pairs) {
        __builtin_trap();
    }
    if (ev->len > 0 && (ev->data < r->in || ev->data + ev->len > r->in + r->in_len)) {
        __builtin_trap();
    }
    for (size_t i = 0; i < ev->len; i++) {
        if (b[i] == '&' || (ev->type == BN_FORM_EV_NAME && b[i] == '=')) {
            __builtin_trap();
        }
    }
    r->h = bn_fnv1a(r->h, b, ev->len);
    r->bytes += ev->len;
    if (ev->last) {
        /* An end is a byte no piece can hold: '&'. */
        r->h = bn_fnv1a(r->h, ev->type == BN_FORM_EV_NAME ? "&=" : "&&", 2);
        if (r->value) {
            r->pairs++;
        }
        r->value = !r->value;
    }
    return BN_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    bn_form_limits_t lim = { 0 };
    bn_form_t a, b;
    rec_t ra = { BN_FNV1A_START, 0, 0, false, NULL, 0 }, rb;
    const char *text;
    size_t i, step, seps = 0;
    unsigned cut;
    int rca, rcb;

    if (n == 0) {
        return 0;
    }
    cut = d[0];
    lim.max_pairs = (cut & 0x80) ? 0 : (cut & 7) + 1;
    text = (const char *) d + 1;
    n--;
    ra.in = text;
    ra.in_len = n;
    rb = ra;

    bn_form_init(&a, &lim, handler, &ra);
    rca = bn_form_feed(&a, text, n);
    if (rca == BN_OK) {
        rca = bn_form_finish(&a);
    }
    bn_form_init(&b, &lim, handler, &rb);
    rcb = BN_OK;
    for (i = 0; rcb == BN_OK && i < n; i += step) {
        step = BN_MIN(n - i, (size_t) (cut & 7) + 1);
        cut = cut * 1103515245u + 12345u;
        rcb = bn_form_feed(&b, text + i, step);
    }
    if (rcb == BN_OK) {
        rcb = bn_form_finish(&b);
    }
    if (rca != rcb || ra.h != rb.h || ra.pairs != rb.pairs || ra.bytes != rb.bytes) {
        __builtin_trap();
    }
    if (rca == BN_OK) {
        /* Every byte is in a name or value but the '&'s and each pair's
         * first '='. */
        for (i = 0; i < n; i++) {
            seps += text[i] == '&';
        }
        if (ra.value || ra.pairs > lim.max_pairs + (lim.max_pairs == 0) * BN_FORM_DEFAULT_PAIRS
            || ra.bytes + seps + ra.pairs < n || ra.bytes + seps > n) {
            __builtin_trap();
        }
    } else if (strcmp(a.err, b.err) != 0 || a.err_off != b.err_off || a.err_off > n) {
        __builtin_trap();
    }
    return 0;
}
