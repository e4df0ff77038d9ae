/*
 * libFuzzer target for the strict JSON parser: whatever the input, the
 * whole-text parse, the tree fed in pieces (cut where the first byte says)
 * and the bare stream (no handler) agree on accepting it, on the reason
 * and offset when not, and on the tree when they accept; an error's offset
 * is within the text.
 *
 *   make fuzz && objs/fuzz_json -max_total_time=600 t/fuzz/corpus/json
 */
#include "../tools/json_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

_Noreturn void
bn_assert_fail(const char *file, int line, const char *func, const char *expr)
{
    fprintf(stderr, "assertion \"%s\" failed in %s() at %s:%d\n", expr, func, file, line);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    bn_json_limits_t lim = { 8, 4096 };
    bn_pool_t *pool;
    bn_json_tree_t *t;
    bn_json_stream_t st;
    bn_json_t *a, *b;
    const char *ea = NULL, *eb = NULL, *text;
    size_t oa = 0, ob = 0, i, step;
    unsigned cut;
    char *ca, *cb;
    int rc;

    if (n == 0) {
        return 0;
    }
    cut = d[0];
    text = (const char *) d + 1;
    n--;
    if ((pool = bn_pool_create(1024)) == NULL) {
        return 0;
    }
    a = bn_json_parse(pool, text, n, &lim, &ea, &oa);

    t = bn_json_tree_create(pool, &lim);
    for (i = 0; t != NULL && i < n; i += step) {
        step = BN_MIN(n - i, (size_t) (cut & 7) + 1);
        cut = cut * 1103515245u + 12345u;
        if (bn_json_tree_feed(t, text + i, step) != BN_OK) {
            break;
        }
    }
    b = bn_json_tree_finish(t, &eb, &ob);

    bn_json_stream_init(&st, &lim, NULL, NULL);
    rc = bn_json_stream_feed(&st, text, n);
    if (rc == BN_OK) {
        rc = bn_json_stream_finish(&st);
    }

    if ((a == NULL) != (b == NULL)) {
        __builtin_trap();
    }
    if (a == NULL) {
        if (strcmp(ea, eb) != 0 || oa != ob || oa > n) {
            __builtin_trap();
        }
        /* A duplicate key is the tree's own rule: the bare stream takes it. */
        if (strcmp(ea, "duplicate key") != 0
            && (rc != BN_ERROR || strcmp(st.err, ea) != 0 || st.err_off != oa)) {
            __builtin_trap();
        }
    } else {
        if (rc != BN_OK) {
            __builtin_trap();
        }
        ca = canon_text(a);
        cb = canon_text(b);
        if (ca != NULL && cb != NULL && strcmp(ca, cb) != 0) {
            __builtin_trap();
        }
        free(ca);
        free(cb);
    }
    bn_pool_destroy(pool);
    return 0;
}
