/*
 * libFuzzer target for the WAF's scan: the built-in rules over one value in
 * every part, and the rules parser over the same bytes as a rules text.
 * Whatever the input: no crash, no read out of bounds, the score only
 * grows, a value scanned twice scores the same (nothing is kept
 * between values but the score), and as raw body bytes it scores no more
 * than as a body field (raw bytes run a subset of the rules).
 *
 *   make fuzz && objs/fuzz_waf_scan -max_total_time=600 t/fuzz/corpus/waf_scan
 */
#include "../../common/pool.h"
#include "../../common/waf.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

_Noreturn void
bn_assert_fail(const char *file, int line, const char *func, const char *expr)
{
    fprintf(stderr, "assertion \"%s\" failed in %s() at %s:%d\n", expr, func, file, line);
    abort();
}

static bn_waf_rules_t builtin;
static bn_pool_t *pool;

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    bn_waf_scan_t a, b;
    bn_waf_rules_t set;
    bn_pool_t *p;
    char err[256];

    if (pool == NULL) {
        pool = bn_pool_create(65536);
        if (bn_waf_rules_parse(&builtin, pool, bn_waf_builtin_rules, strlen(bn_waf_builtin_rules),
                               "built-in", err, sizeof(err))
                != BN_OK
            || bn_waf_rules_finish(&builtin, err, sizeof(err)) != BN_OK) {
            fprintf(stderr, "%s\n", err);
            abort();
        }
    }
    for (unsigned paranoia = 1; paranoia <= 4; paranoia += 3) {
        bn_waf_scan_init(&a, &builtin, paranoia, 1000000, NULL, 0, BN_WAF_MATCH_LIMIT);
        bn_waf_scan_init(&b, &builtin, paranoia, 1000000, NULL, 0, BN_WAF_MATCH_LIMIT);
        for (int part = 0; part < BN_WAF_NPARTS; part++) {
            unsigned before = a.score;
            bn_waf_scan_value(&a, (bn_waf_part_t) part, (const char *) d, BN_MIN(n, 40),
                              (const char *) d, n);
            BN_ASSERT(a.score >= before);
            bn_waf_scan_value(&b, (bn_waf_part_t) part, NULL, 0, (const char *) d, n);
        }
        BN_ASSERT(a.score == b.score);
        BN_ASSERT(a.nmatches <= BN_WAF_MAX_MATCHES);
        bn_waf_scan_init(&a, &builtin, paranoia, 1000000, NULL, 0, BN_WAF_MATCH_LIMIT);
        bn_waf_scan_init(&b, &builtin, paranoia, 1000000, NULL, 0, BN_WAF_MATCH_LIMIT);
        bn_waf_scan_raw(&a, BN_WAF_PART_BODY, NULL, 0, (const char *) d, n);
        bn_waf_scan_value(&b, BN_WAF_PART_BODY, NULL, 0, (const char *) d, n);
        BN_ASSERT(a.score <= b.score);
    }

    /* The same bytes as a site's rules file: parsed or refused, cleanly. */
    p = bn_pool_create(4096);
    memset(&set, 0, sizeof(set));
    if (bn_waf_rules_parse(&set, p, (const char *) d, n, "fuzz", err, sizeof(err)) == BN_OK) {
        bn_waf_rules_finish(&set, err, sizeof(err));
    }
    bn_pool_destroy(p);
    return 0;
}
