/*
 * libFuzzer target for the WAF's transformations: whatever the input, each
 * transformation, and a chain of four that the first two bytes choose,
 * writes no more bytes than it read (each output buffer is allocated to
 * exactly its input's length, so ASan sees a byte too many), raises
 * BN_WAF_F_CHANGED exactly when the output differs, and leaves what it
 * promises: lower case, no NUL, single spaces, and a path in normal form
 * that a second pass leaves alone.
 *
 *   make fuzz && objs/fuzz_waf_transform -max_total_time=600 t/fuzz/corpus/waf_transform
 */
#include "../../common/waf_transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

_Noreturn void
bn_assert_fail(const char *file, int line, const char *func, const char *expr)
{
    fprintf(stderr, "assertion \"%s\" failed in %s() at %s:%d\n", expr, func, file, line);
    abort();
}

static size_t
run(bn_waf_transform_t t, const char *in, size_t n, char **out)
{
    unsigned flags = 0;
    size_t len;

    *out = malloc(n ? n : 1);
    if (*out == NULL) {
        abort();
    }
    len = bn_waf_transform(t, in, n, *out, &flags);
    if (len > n) {
        __builtin_trap();
    }
    if (!!(flags & BN_WAF_F_CHANGED) != (len != n || memcmp(in, *out, len) != 0)) {
        __builtin_trap();
    }
    return len;
}

static void
check(bn_waf_transform_t t, const char *o, size_t len)
{
    char *again;
    size_t len2;

    for (size_t i = 0; i < len; i++) {
        switch (t) {
        case BN_WAF_T_LOWER:
            if (o[i] >= 'A' && o[i] <= 'Z') {
                __builtin_trap();
            }
            break;
        case BN_WAF_T_NUL:
            if (o[i] == '\0') {
                __builtin_trap();
            }
            break;
        case BN_WAF_T_SPACE:
            if ((o[i] >= '\t' && o[i] <= '\r') || (o[i] == ' ' && i + 1 < len && o[i + 1] == ' ')
                || (o[i] == '\xc2' && i + 1 < len && o[i + 1] == '\xa0')) {
                __builtin_trap();
            }
            break;
        case BN_WAF_T_PATH:
            if (o[i] == '\\' || (o[i] == '/' && i + 1 < len && o[i + 1] == '/')) {
                __builtin_trap();
            }
            break;
        default:
            break;
        }
    }
    if (t == BN_WAF_T_PATH || t == BN_WAF_T_SPACE || t == BN_WAF_T_LOWER || t == BN_WAF_T_NUL) {
        len2 = run(t, o, len, &again);
        if (len2 != len || memcmp(again, o, len) != 0) {
            __builtin_trap();
        }
        free(again);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const char *in = (const char *) d;
    char *out, *next;
    size_t len, len2;

    for (int t = 0; t < BN_WAF_NTRANSFORMS; t++) {
        len = run((bn_waf_transform_t) t, in, n, &out);
        check((bn_waf_transform_t) t, out, len);
        free(out);
    }
    if (n < 2) {
        return 0;
    }
    /* A chain of four, each chosen by a nibble of the first two bytes. */
    len = run((bn_waf_transform_t) ((d[0] & 15) % BN_WAF_NTRANSFORMS), in + 2, n - 2, &out);
    for (int k = 1; k < 4; k++) {
        unsigned nib = (k < 2 ? d[0] >> 4 : k == 2 ? d[1] & 15 : d[1] >> 4);

        len2 = run((bn_waf_transform_t) (nib % BN_WAF_NTRANSFORMS), out, len, &next);
        free(out);
        out = next;
        len = len2;
    }
    free(out);
    return 0;
}
