/*
 * libFuzzer target for HTTP caching's field parsers (common/http_cache.c),
 * each fed the whole input: Cache-Control gives the same directives when
 * fed twice (the first occurrence wins), and only values in range; a
 * targeted field that fails leaves its directives as they were; a date
 * that parses formats to a date that parses back to it; an Age is absent
 * or delta-seconds; the age and heuristic arithmetic stay in range for
 * times read from the input; a single range lies inside the
 * representation; a Vary value normalises to no more bytes than it had,
 * normalising it again changes nothing, and a short buffer gets a prefix.
 *
 *   make objs/fuzz_http_cache && objs/fuzz_http_cache -max_total_time=600 \
 *       t/fuzz/corpus/http_cache
 */
#include "../../common/http_cache.h"
#include "../../common/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static bool
delta_ok(int64_t v, bool any)
{
    return v == BN_CC_ABSENT || (v >= 0 && v <= BN_CC_DELTA_MAX) || (any && v == BN_CC_ANY_STALE);
}

static void
check_cc(const bn_cache_control_t *cc)
{
    if (!delta_ok(cc->max_age, false) || !delta_ok(cc->s_maxage, false)
        || !delta_ok(cc->stale_while_revalidate, false) || !delta_ok(cc->stale_if_error, false)
        || !delta_ok(cc->max_stale, true) || !delta_ok(cc->min_fresh, false)) {
        __builtin_trap();
    }
    if ((cc->no_cache_fields && !cc->no_cache) || (cc->private_fields && !cc->private_)) {
        __builtin_trap();
    }
}

/* Eight bytes of the input from off (zeros past its end), as a number. */
static int64_t
take(const uint8_t *d, size_t n, size_t off)
{
    uint64_t v = 0;

    for (size_t i = 0; i < 8; i++) {
        v = v << 8 | (off + i < n ? d[off + i] : 0);
    }
    return (int64_t) v;
}

static const char *const vary_names[] = { "Foo", "Accept", "accept-language", "ACCEPT-ENCODING",
                                          "Accept-Charset" };

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const char *s = (const char *) d;
    bn_cache_control_t a, b, init;
    int64_t t, t2, age;
    char date[30];

    bn_cache_control_init(&init);

    a = init;
    bn_cache_control_parse(&a, s, n);
    check_cc(&a);
    b = a;
    bn_cache_control_parse(&b, s, n);
    if (memcmp(&a, &b, sizeof(a)) != 0) {
        __builtin_trap();
    }

    a = init;
    if (bn_cache_control_parse_targeted(&a, s, n)) {
        check_cc(&a);
    } else if (memcmp(&a, &init, sizeof(a)) != 0) {
        __builtin_trap();
    }

    if (bn_http_date_parse(s, n, &t)) {
        /* Years 0000-9999, a leap second past the last. */
        if (t < -62167219200LL || t > 253402300800LL) {
            __builtin_trap();
        }
        bn_http_date_format(t, date);
        if (strlen(date) != 29 || !bn_http_date_parse(date, 29, &t2)
            || t2 != (t > 253402300799LL ? 253402300799LL : t)) {
            __builtin_trap();
        }
    }
    bn_http_date_format(take(d, n, 0), date);
    if (strlen(date) != 29 || !bn_http_date_parse(date, 29, &t)) {
        __builtin_trap();
    }

    age = bn_http_age_parse(s, n);
    if (!delta_ok(age, false)) {
        __builtin_trap();
    }
    if (bn_cache_current_age(age == BN_CC_ABSENT ? 0 : age, take(d, n, 0), take(d, n, 8),
                             take(d, n, 16), take(d, n, 24))
        < 0) {
        __builtin_trap();
    }
    int64_t cap = take(d, n, 16);
    int64_t h = bn_cache_heuristic_lifetime(take(d, n, 0), take(d, n, 8), cap);
    if (h < 0 || h > (cap > 0 ? cap : 0)) {
        __builtin_trap();
    }

    uint64_t size = (uint64_t) take(d, n, 0) >> (n > 0 ? d[0] % 64 : 0), first = 0, last = 0;
    int r = bn_http_range_parse(s, n, size, &first, &last);
    if (r < BN_RANGE_NONE || r > BN_RANGE_UNSATISFIABLE
        || (r == BN_RANGE_ONE && (first > last || last >= size))) {
        __builtin_trap();
    }

    static char out[4096], again[4096], small[64];
    if (n < sizeof(out)) {
        const char *name = vary_names[n % (sizeof(vary_names) / sizeof(vary_names[0]))];
        size_t len = bn_vary_normalize(name, s, n, out, sizeof(out));
        if (len > n || out[len] != '\0') {
            __builtin_trap();
        }
        if (bn_vary_normalize(name, out, len, again, sizeof(again)) != len
            || memcmp(out, again, len) != 0) {
            __builtin_trap();
        }
        size_t cap_small = n > 0 ? d[n - 1] % sizeof(small) : 0;
        size_t got = bn_vary_normalize(name, s, n, small, cap_small);
        bool good;
        if (cap_small == 0) {
            good = got == 0;
        } else if (len < cap_small) {
            good = got == len && memcmp(small, out, len + 1) == 0;
        } else {
            good = got == cap_small && memcmp(small, out, cap_small - 1) == 0
                   && small[cap_small - 1] == '\0';
        }
        if (!good) {
            __builtin_trap();
        }
    }
    return 0;
}
