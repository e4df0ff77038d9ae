/*
 * What the WAF's scan costs, without HTTP around it: the built-in rules at
 * paranoia 1 over the values of a typical GET (a path, three query
 * arguments, eight header values), over the keys and strings of a 16 KiB
 * JSON body as the stream parser hands them on, and over one input that
 * makes a backtracking regex run to its match limit.  Prints microseconds
 * per request (median of rounds), for values seen for the first time (the
 * table of values found clean off), for values seen before (on, as a
 * worker has it), and for a GET as a worker mostly sees one: the headers
 * seen before, the path and arguments new; make bench quotes it.
 *
 *   objs/t/waf_cost [ROUNDS]
 */
#include "../../common/json.h"
#include "../../common/pool.h"
#include "../../common/waf.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
by_value(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static const char *const get_values[][2] = {
    { NULL, "/search" },
    { "q", "blue+running+shoes" },
    { "page", "2" },
    { "sort", "price_asc" },
    { "Host", "shop.example.com" },
    { "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/120.0.0.0 Safari/537.36" },
    { "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8" },
    { "Accept-Language", "en-GB,en;q=0.9,de;q=0.7" },
    { "Accept-Encoding", "gzip, deflate, br" },
    { "Referer", "https://shop.example.com/search?q=shoes" },
    { "Cookie", "session=8f14e45fceea167a5a36dedd4bea2543" },
    { "Upgrade-Insecure-Requests", "1" },
};

static bn_waf_scan_t scan;

static int
json_value(void *ctx, bn_json_ev_t *ev)
{
    static char val[1024];
    static size_t len;

    (void) ctx;
    if (ev->type != BN_JSON_EV_KEY && ev->type != BN_JSON_EV_STRING) {
        return BN_OK;
    }
    if (ev->last && len == 0) {
        /* Came whole: scanned where it lies, as the worker does. */
        bn_waf_scan_value(&scan, BN_WAF_PART_BODY, NULL, 0, ev->data, ev->len);
        return BN_OK;
    }
    if (len + ev->len <= sizeof(val)) {
        memcpy(val + len, ev->data, ev->len);
        len += ev->len;
    }
    if (ev->last) {
        bn_waf_scan_value(&scan, BN_WAF_PART_BODY, NULL, 0, val, len);
        len = 0;
    }
    return BN_OK;
}

int
main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 9;
    bn_waf_rules_t set;
    bn_pool_t *pool = bn_pool_create(65536);
    char err[256], json[16384 + 256], *redos;
    size_t jlen = 0;
    double get_ns[64], mixed_ns[64], json_ns[64], redos_ns[64];
    const char *redos_rule = "id=1 regex=\"^(a+)+$\" parts=query msg=\"backtracks\"\n";

    memset(&set, 0, sizeof(set));
    if (bn_waf_rules_parse(&set, pool, bn_waf_builtin_rules, strlen(bn_waf_builtin_rules),
                           "built-in", err, sizeof(err))
            != BN_OK
        || bn_waf_rules_parse(&set, pool, redos_rule, strlen(redos_rule), "redos", err,
                              sizeof(err))
               != BN_OK
        || bn_waf_rules_finish(&set, err, sizeof(err)) != BN_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    jlen += (size_t) snprintf(json, sizeof(json), "{\"items\": [");
    for (int i = 0; jlen < 16384 - 200; i++) {
        jlen += (size_t) snprintf(json + jlen, sizeof(json) - jlen,
                                  "%s{\"id\": %d, \"name\": \"item %d\", \"note\": \"a plain "
                                  "description of item %d, nothing more\", \"tags\": [\"red\", "
                                  "\"small\"], \"price\": %d.5}",
                                  i ? ", " : "", i, i, i, i);
    }
    jlen += (size_t) snprintf(json + jlen, sizeof(json) - jlen, "]}");
    redos = malloc(5002);
    memset(redos, 'a', 5000);
    redos[5000] = '!';
    redos[5001] = '\0';

    rounds = rounds < 1 ? 1 : rounds > 64 ? 64 : rounds;
    for (int cached = 0; cached <= 1; cached++) {
        bn_waf_clean_cache = cached;
        for (int r = 0; r < rounds; r++) {
            int n = 20000;
            double t0 = now_ns();
            for (int k = 0; k < n; k++) {
                bn_waf_scan_init(&scan, &set, 1, 5, NULL, 0, BN_WAF_MATCH_LIMIT);
                for (size_t i = 0; i < BN_NELEMS(get_values); i++) {
                    const char *nm = get_values[i][0], *v = get_values[i][1];
                    bn_waf_scan_value(&scan,
                                      i == 0   ? BN_WAF_PART_PATH
                                      : i <= 3 ? BN_WAF_PART_QUERY
                                               : BN_WAF_PART_HEADER,
                                      nm, nm ? strlen(nm) : 0, v, strlen(v));
                }
                if (scan.nmatched != 0) {
                    fprintf(stderr, "the benign GET matched rule %u\n", scan.matches[0].rule->id);
                    return 1;
                }
            }
            get_ns[r] = (now_ns() - t0) / n;

            /* As a worker mostly sees a GET: its headers came before, its
             * path and arguments did not. */
            n = cached ? 20000 : 0;
            t0 = now_ns();
            for (int k = 0; k < n; k++) {
                bn_waf_scan_init(&scan, &set, 1, 5, NULL, 0, BN_WAF_MATCH_LIMIT);
                for (size_t i = 0; i < BN_NELEMS(get_values); i++) {
                    const char *nm = get_values[i][0], *v = get_values[i][1];
                    char fresh[64];
                    size_t len = strlen(v);
                    if (i <= 3) {
                        len = (size_t) snprintf(fresh, sizeof(fresh), "%s%d%d", v, r, k);
                        v = fresh;
                    }
                    bn_waf_scan_value(&scan,
                                      i == 0   ? BN_WAF_PART_PATH
                                      : i <= 3 ? BN_WAF_PART_QUERY
                                               : BN_WAF_PART_HEADER,
                                      nm, nm ? strlen(nm) : 0, v, len);
                }
                if (scan.nmatched != 0) {
                    fprintf(stderr, "the benign GET matched rule %u\n", scan.matches[0].rule->id);
                    return 1;
                }
            }
            mixed_ns[r] = n > 0 ? (now_ns() - t0) / n : 0;

            n = 200;
            t0 = now_ns();
            for (int k = 0; k < n; k++) {
                bn_json_stream_t st;
                bn_json_limits_t lim = { 64, 1 << 20 };
                bn_waf_scan_init(&scan, &set, 1, 5, NULL, 0, BN_WAF_MATCH_LIMIT);
                bn_json_stream_init(&st, &lim, json_value, NULL);
                if (bn_json_stream_feed(&st, json, jlen) != BN_OK
                    || bn_json_stream_finish(&st) != BN_OK) {
                    fprintf(stderr, "the JSON does not parse: %s\n", st.err);
                    return 1;
                }
                if (scan.nmatched != 0) {
                    fprintf(stderr, "the benign JSON matched rule %u\n", scan.matches[0].rule->id);
                    return 1;
                }
            }
            json_ns[r] = (now_ns() - t0) / n;

            n = 20;
            t0 = now_ns();
            for (int k = 0; k < n; k++) {
                bn_waf_scan_init(&scan, &set, 1, 1000, NULL, 0, BN_WAF_MATCH_LIMIT);
                bn_waf_scan_value(&scan, BN_WAF_PART_QUERY, "q", 1, redos, 5001);
            }
            redos_ns[r] = (now_ns() - t0) / n;
            if (scan.nlimited == 0) {
                fprintf(stderr, "the backtracking rule was not cut by the match limit\n");
                return 1;
            }
        }
        qsort(get_ns, (size_t) rounds, sizeof(double), by_value);
        qsort(mixed_ns, (size_t) rounds, sizeof(double), by_value);
        qsort(json_ns, (size_t) rounds, sizeof(double), by_value);
        qsort(redos_ns, (size_t) rounds, sizeof(double), by_value);
        printf("waf_cost (%s): a GET of 12 values %.2f us, a %zu-byte JSON body %.1f us, "
               "a 5,000-byte input cut by the match limit %.1f us (medians of %d rounds)\n",
               cached ? "values seen before" : "values seen for the first time",
               get_ns[rounds / 2] / 1000, jlen, json_ns[rounds / 2] / 1000,
               redos_ns[rounds / 2] / 1000, rounds);
    }
    printf("waf_cost (a GET whose 8 headers were seen before, its path and 3 arguments not): "
           "%.2f us (median of %d rounds)\n",
           mixed_ns[rounds / 2] / 1000, rounds);
    return 0;
}
