/*
 * Unit tests of HTTP caching's field grammar and arithmetic
 * (common/http_cache.c): Cache-Control and the targeted fields, HTTP-dates
 * both ways, Age, the current age and heuristic freshness, Range and Vary
 * normalisation.  Where a case comes from http-tests/cache-tests its id is
 * named.
 */
#include "../../common/bouncer.h"
#include "../../common/http_cache.h"
#include "tap.h"

#include <time.h>

/* The directives cc holds, in a fixed order; a qualified no-cache or
 * private is written "no-cache=#". */
static const char *
cc_str(const bn_cache_control_t *cc)
{
    static char buf[512];
    size_t len = 0;
    struct {
        const char *name;
        int64_t v;
    } deltas[] = {
        { "max-age", cc->max_age },
        { "s-maxage", cc->s_maxage },
        { "stale-while-revalidate", cc->stale_while_revalidate },
        { "stale-if-error", cc->stale_if_error },
        { "max-stale", cc->max_stale },
        { "min-fresh", cc->min_fresh },
    };
    struct {
        const char *name;
        bool on;
    } flags[] = {
        { "no-store", cc->no_store },
        { cc->no_cache_fields ? "no-cache=#" : "no-cache", cc->no_cache },
        { cc->private_fields ? "private=#" : "private", cc->private_ },
        { "public", cc->public_ },
        { "must-revalidate", cc->must_revalidate },
        { "proxy-revalidate", cc->proxy_revalidate },
        { "must-understand", cc->must_understand },
        { "no-transform", cc->no_transform },
        { "immutable", cc->immutable },
        { "only-if-cached", cc->only_if_cached },
    };

    buf[0] = '\0';
    for (size_t i = 0; i < BN_NELEMS(deltas); i++) {
        char one[64];
        if (deltas[i].v == BN_CC_ABSENT) {
            continue;
        }
        if (deltas[i].v == BN_CC_ANY_STALE) {
            snprintf(one, sizeof(one), "%s%s=any", len ? " " : "", deltas[i].name);
        } else {
            snprintf(one, sizeof(one), "%s%s=%lld", len ? " " : "", deltas[i].name,
                     (long long) deltas[i].v);
        }
        tap_append(buf, sizeof(buf), &len, one);
    }
    for (size_t i = 0; i < BN_NELEMS(flags); i++) {
        if (flags[i].on) {
            if (len) {
                tap_append(buf, sizeof(buf), &len, " ");
            }
            tap_append(buf, sizeof(buf), &len, flags[i].name);
        }
    }
    /* A qualified flag without its directive is an inconsistency. */
    if ((cc->no_cache_fields && !cc->no_cache) || (cc->private_fields && !cc->private_)) {
        tap_append(buf, sizeof(buf), &len, " ?fields");
    }
    return buf;
}

static const char *
esc(const char *s, size_t n)
{
    static char buf[512];
    size_t len = 0;

    tap_escape(buf, sizeof(buf), &len, s, n, "");
    return buf;
}

typedef struct {
    const char *in;
    const char *want;
} cc_case_t;

static const cc_case_t cc_cases[] = {
    { "", "" },
    { ",", "" },
    { "   ", "" },
    { "max-age=3600", "max-age=3600" },
    { "MaX-aGe=3600", "max-age=3600" },            /* freshness-max-age-case-insenstive */
    { "max-age=1800, max-age=1", "max-age=1800" }, /* freshness-max-age-two-fresh-stale-* */
    { "max-age=1, max-age=1800", "max-age=1" },    /* RFC 9111 4.2.1: the first */
    { "max-age=\"3600\"", "max-age=3600" },        /* freshness-max-age-quoted */
    { "max-age=\"36\\00\"", "max-age=3600" },      /* a quoted-pair */
    { "extension=\"max-age=3600\", max-age=1", "max-age=1" }, /* -ignore-quoted */
    { "max-age=1, extension=\"max-age=3600\"", "max-age=1" }, /* -ignore-quoted-rev */
    { "extension=\"a, max-age=3600, b\"", "" },
    { "x=\"a\\\"b, max-age=5\", s-maxage=7", "s-maxage=7" },
    { "max-age =3600", "" },              /* freshness-max-age-space-before-equals */
    { "max-age= 3600", "" },              /* -space-after-equals */
    { "max-age=003600", "max-age=3600" }, /* -leading-zero */
    { "max-age='3600'", "" },             /* -single-quoted */
    { "max-age=3600.0", "" },             /* -decimal-zero */
    { "max-age=3600.5", "" },             /* -decimal-five */
    { "max-age=a3600", "" },              /* -a100 */
    { "max-age=3600a", "" },              /* -100a */
    { "max-age=-3600", "" },              /* freshness-max-age-negative */
    { "max-age=+3600", "" },
    { "max-age=", "" },
    { "max-age=\"\"", "" },
    { "max-age", "" },
    { "max-age=\"5", "" },
    { "max-age=0", "max-age=0" },
    { "max-age=2147483647", "max-age=2147483647" },  /* -max-minus-1 */
    { "max-age=2147483648", "max-age=2147483648" },  /* -max */
    { "max-age=2147483649", "max-age=2147483648" },  /* -max-plus-1 */
    { "max-age=99999999999", "max-age=2147483648" }, /* -max-plus */
    { "max-age=999999999999999999999999999999", "max-age=2147483648" },
    { "max-age=000000000000000000000000000010", "max-age=10" },
    { "max-age=abc, max-age=10", "max-age=10" },
    { "foobar, max-age=3600", "max-age=3600" }, /* freshness-max-age-extension */
    { " , ,max-age=5 ,, ", "max-age=5" },
    { "max-age=5 , public", "max-age=5 public" },
    { "max-age=5\t,\tpublic", "max-age=5 public" },
    { "max-age=5 garbage, public", "public" },
    { "max-age=5;x=1, public", "public" },
    { "max-age=5=6, public", "public" },
    { "\"max-age=5\", public", "public" },
    { "=5, max-age=6", "max-age=6" },
    { "foo=\"unterminated, max-age=5", "" },
    { "foo bar=\"a, max-age=5\", s-maxage=2", "s-maxage=2" },
    { "\x01\xff, max-age=5", "max-age=5" },
    { "max-age=5\x7f, s-maxage=1", "s-maxage=1" },
    { "s-maxage=1, max-age=3600", "max-age=3600 s-maxage=1" },
    { "max-age=0, s-maxage=3600", "max-age=0 s-maxage=3600" },
    { "stale-while-revalidate=4, stale-if-error=60", "stale-while-revalidate=4 stale-if-error=60" },
    { "no-store", "no-store" },
    { "No-StOrE", "no-store" },
    { "no-store =1", "no-store" },
    { "no-store=1", "no-store" },
    { "no-store;x", "no-store" },
    { "max-age=10000, no-store", "max-age=10000 no-store" },
    { "public", "public" },
    { "public x", "" },
    { "public=1", "public" },
    { "must-understand, no-store", "no-store must-understand" },
    { "must-understand =1, no-store", "no-store" },
    { "must-revalidate;x, proxy-revalidate x", "must-revalidate proxy-revalidate" },
    { "no-transform, immutable", "no-transform immutable" },
    { "immutable x", "" },
    { "no-cache", "no-cache" },
    { "No-CaChE", "no-cache" },
    { "no-cache=\"a\"", "no-cache=#" },
    { "no-cache=\"a, b\"", "no-cache=#" },
    { "no-cache=a", "no-cache=#" },
    { "no-cache=\"\"", "no-cache=#" },
    { "no-cache=\"a\", no-cache", "no-cache" },
    { "no-cache, no-cache=\"a\"", "no-cache" },
    { "no-cache =\"a\"", "no-cache" },
    { "no-cache=", "no-cache" },
    { "no-cache=\"a", "no-cache" },
    { "private", "private" },
    { "private=\"set-cookie\"", "private=#" },
    { "private=\"a\", private", "private" },
    { "private, max-age=3600", "max-age=3600 private" },
    /* Request directives. */
    { "max-stale", "max-stale=any" },
    { "max-stale=1000", "max-stale=1000" },
    { "max-stale=\"1000\"", "max-stale=1000" },
    { "max-stale=abc", "" },
    { "max-stale =5", "" },
    { "max-stale, max-stale=5", "max-stale=any" },
    { "max-stale=5, max-stale", "max-stale=5" },
    { "min-fresh=2000", "min-fresh=2000" },
    { "min-fresh", "" },
    { "only-if-cached", "only-if-cached" },
    { "only-if-cached=1", "only-if-cached" },
    { "no-cache, max-age=0", "max-age=0 no-cache" },
};

static void
test_cache_control(void)
{
    bn_cache_control_t cc;

    for (size_t i = 0; i < BN_NELEMS(cc_cases); i++) {
        const cc_case_t *c = &cc_cases[i];
        bn_cache_control_init(&cc);
        bn_cache_control_parse(&cc, c->in, strlen(c->in));
        const char *got = cc_str(&cc);
        ok(strcmp(got, c->want) == 0, "Cache-Control: %s -> [%s]", esc(c->in, strlen(c->in)),
           c->want);
        if (strcmp(got, c->want) != 0) {
            printf("#   got [%s]\n", got);
        }
    }

    bn_cache_control_init(&cc);
    ok(strcmp(cc_str(&cc), "") == 0, "init: every directive absent");

    /* A lifetime that is no number is marked, for the caller to take as
     * stale (RFC 9111 4.2.1); a good one first is not undone by it. */
    {
        static const struct {
            const char *in;
            bool bad;
        } lifetimes[] = {
            { "max-age=abc", true },        { "max-age='3600'", true },
            { "s-maxage=-1", true },        { "max-age =60", true },
            { "max-age", true },            { "max-age=60", false },
            { "max-age=60, max-age=x", true }, { "no-cache, public", false },
        };
        for (size_t i = 0; i < BN_NELEMS(lifetimes); i++) {
            bn_cache_control_init(&cc);
            bn_cache_control_parse(&cc, lifetimes[i].in, strlen(lifetimes[i].in));
            ok(cc.bad_lifetime == lifetimes[i].bad, "bad_lifetime of %s: %d", lifetimes[i].in,
               lifetimes[i].bad);
        }
        bn_cache_control_init(&cc);
        bn_cache_control_parse(&cc, "max-age=60, max-age=x", 21);
        is_int(cc.max_age, 60, "the valid max-age before it stays");
    }

    /* Two field lines in two calls: the first occurrence still wins. */
    bn_cache_control_init(&cc);
    bn_cache_control_parse(&cc, "max-age=1", 9);
    bn_cache_control_parse(&cc, "max-age=1800", 12);
    is_int(cc.max_age, 1, "a second line does not replace max-age");
    bn_cache_control_init(&cc);
    bn_cache_control_parse(&cc, "no-cache=\"a\"", 12);
    bn_cache_control_parse(&cc, "no-cache", 8);
    ok(cc.no_cache && !cc.no_cache_fields, "a later unqualified no-cache line wins");

    /* Bytes past n are not read; a NUL is a byte like another. */
    bn_cache_control_init(&cc);
    bn_cache_control_parse(&cc, "max-age=12345", 10);
    is_int(cc.max_age, 12, "the value ends at n");
    bn_cache_control_init(&cc);
    bn_cache_control_parse(&cc, "max-age=5\0, s-maxage=1", 22);
    ok(strcmp(cc_str(&cc), "s-maxage=1") == 0, "a NUL makes its member malformed");
}

typedef struct {
    const char *in;
    bool ok;
    const char *want;
} targeted_case_t;

static const targeted_case_t targeted_cases[] = {
    { "max-age=3600", true, "max-age=3600" },                  /* cdn-max-age */
    { "max-age=0", true, "max-age=0" },                        /* cdn-max-age-0 */
    { "max-age=2147483648", true, "max-age=2147483648" },      /* cdn-max-age-max */
    { "max-age=99999999999", true, "max-age=2147483648" },     /* cdn-max-age-max-plus */
    { "max-age=999999999999999", true, "max-age=2147483648" }, /* 15 digits */
    { "max-age=9999999999999999", false, "" },                 /* 16: no Integer */
    { "max-age=-1", true, "" },
    { "max-age=1.5", true, "" },
    { "max-age=\"10000\"", true, "" },     /* cdn-cc-invalid-sh-type-wrong */
    { "max-age=10000, &&&&&", false, "" }, /* cdn-cc-invalid-sh-type-unknown */
    { "max-age=tok", true, "" },
    { "max-age", true, "" },
    { "max-age=(1 2)", true, "" },
    { "MaX-aGe=3600", false, "" }, /* cdn-max-age-case-insensitive */
    { "Max-age=3600", false, "" },
    { "max-age =100", false, "" },                    /* cdn-max-age-space-before-equals */
    { "max-age= 100", false, "" },                    /* cdn-max-age-space-after-equals */
    { "foobar, max-age=3600", true, "max-age=3600" }, /* cdn-max-age-extension */
    { "max-age=10, max-age=20", true, "max-age=20" }, /* RFC 8941: the last */
    { "max-age=10, max-age=\"x\"", true, "" },
    { "max-age=10;foo=bar", true, "max-age=10" },
    { "max-age=10;foo", true, "max-age=10" },
    { "max-age=10; foo=1;bar=?0", true, "max-age=10" },
    { "max-age=10;Foo=1", false, "" },
    { "max-age=10;foo=", false, "" },
    { "max-age=10;", false, "" },
    { "max-age=10,", false, "" },
    { ",max-age=10", false, "" },
    { "max-age=10,,s-maxage=5", false, "" },
    { "max-age=10 x", false, "" },
    { "max-age=10x", false, "" },
    { " max-age=10 ", true, "max-age=10" },
    { "\tmax-age=10", false, "" },
    { "max-age=10\t", true, "max-age=10" }, /* OWS after a member */
    { "max-age=10 ,\ts-maxage=5", true, "max-age=10 s-maxage=5" },
    { "", false, "" },
    { "   ", false, "" },
    { "no-store", true, "no-store" }, /* cdn-no-store-cc-fresh */
    { "no-store=?1", true, "no-store" },
    { "no-store=?0", true, "" },
    { "no-store=1", true, "no-store" },
    { "no-store=\"x\"", true, "no-store" },
    { "no-store, no-store=?0", true, "" },
    { "no-store=?0, no-store", true, "no-store" },
    { "public", true, "public" },
    { "public=?0", true, "" },
    { "public=1", true, "" },
    { "no-cache", true, "no-cache" }, /* cdn-no-cache */
    { "no-cache=\"a, b\"", true, "no-cache=#" },
    { "no-cache=a", true, "no-cache" },
    { "no-cache=?0", true, "" },
    { "no-cache=\"a\", no-cache", true, "no-cache" },
    { "private", true, "private" }, /* cdn-private */
    { "private=\"set-cookie\"", true, "private=#" },
    { "private=(1)", true, "private" },
    { "s-maxage=5, stale-while-revalidate=10, stale-if-error=20", true,
      "s-maxage=5 stale-while-revalidate=10 stale-if-error=20" },
    { "must-revalidate, proxy-revalidate, immutable, no-transform, must-understand", true,
      "must-revalidate proxy-revalidate must-understand no-transform immutable" },
    { "max-stale=5, min-fresh=3, only-if-cached", true, "" },
    /* The rest of RFC 8941's bare items and keys. */
    { "a=(1 2 3), max-age=5", true, "max-age=5" },
    { "a=(), max-age=5", true, "max-age=5" },
    { "a=( 1  \"x\" );p=1", true, "" },
    { "a=(1 2", false, "" },
    { "a=(1,2)", false, "" },
    { "a=(1)x", false, "" },
    { "a=:YWJj:", true, "" },
    { "a=::", true, "" },
    { "a=:YW!j:", false, "" },
    { "a=:YWJj", false, "" },
    { "a=\"\\\"\\\\\"", true, "" },
    { "a=\"\\x\"", false, "" },
    { "a=\"x", false, "" },
    { "a=\"\xc3\xa9\"", false, "" },
    { "a=\"\t\"", false, "" },
    { "a=?2", false, "" },
    { "a=?", false, "" },
    { "a=@123", false, "" },
    { "a=%\"x\"", false, "" },
    { "*a=1", true, "" },
    { "a*_-.9=1", true, "" },
    { "9a=1", false, "" },
    { "_a=1", false, "" },
    { "a=1.", false, "" },
    { "a=1.1234", false, "" },
    { "a=1234567890123.1", false, "" },
    { "a=123456789012.123", true, "" },
    { "a=-", false, "" },
    { "a=-1", true, "" },
    { "a=--1", false, "" },
    { "a=tok:en/x*", true, "" },
    { "a=*", true, "" },
    { "a=1, b", true, "" },
};

static void
test_targeted(void)
{
    bn_cache_control_t cc;

    for (size_t i = 0; i < BN_NELEMS(targeted_cases); i++) {
        const targeted_case_t *c = &targeted_cases[i];
        bn_cache_control_init(&cc);
        bool got_ok = bn_cache_control_parse_targeted(&cc, c->in, strlen(c->in));
        const char *got = cc_str(&cc);
        ok(got_ok == c->ok && strcmp(got, c->want) == 0, "targeted: %s -> %s [%s]",
           esc(c->in, strlen(c->in)), c->ok ? "valid" : "invalid", c->want);
        if (got_ok != c->ok || strcmp(got, c->want) != 0) {
            printf("#   got %s [%s]\n", got_ok ? "valid" : "invalid", got);
        }
    }

    /* A failure leaves cc as it was, even after members it had applied. */
    bn_cache_control_init(&cc);
    ok(!bn_cache_control_parse_targeted(&cc, "max-age=5, no-store, ?", 22)
           && strcmp(cc_str(&cc), "") == 0,
       "an invalid Dictionary leaves cc as init made it");
    bn_cache_control_init(&cc);
    ok(!bn_cache_control_parse_targeted(&cc, "max-age=5\0", 10), "a NUL makes it invalid");
}

typedef struct {
    const char *in;
    bool ok;
    int64_t t;
} date_case_t;

static const date_case_t date_cases[] = {
    { "Sun, 06 Nov 1994 08:49:37 GMT", true, 784111777 },
    { "Sunday, 06-Nov-94 08:49:37 GMT", true, 784111777 },
    { "Sun Nov  6 08:49:37 1994", true, 784111777 },
    { "Sun Nov 06 08:49:37 1994", true, 784111777 },
    { "Thu, 01 Jan 1970 00:00:00 GMT", true, 0 },
    { "Wed, 31 Dec 1969 23:59:59 GMT", true, -1 },
    { "Tue, 19 Jan 2038 03:14:08 GMT", true, 2147483648LL },
    { "Tue, 19 Jan 2038 14:14:08 GMT", true, 2147523248LL },    /* freshness-expires-32bit */
    { "Sun, 21 Nov 2286 04:46:39 GMT", true, 10000039599LL },   /* -far-future */
    { "Thursday, 18-Aug-50 02:01:18 GMT", true, 2544400878LL }, /* -rfc850 */
    { "Monday, 18-Aug-69 02:01:18 GMT", true, 3144016878LL },
    { "Monday, 18-Aug-70 02:01:18 GMT", true, 19792878 },
    { "Thu Aug  8 02:01:18 2050", true, 2543536878LL },      /* -ansi-c */
    { "THU, 18 Aug 2050 02:01:18 GMT", true, 2544400878LL }, /* -wrong-case-weekday */
    { "Thu, 18 AUG 2050 02:01:18 GMT", true, 2544400878LL }, /* -wrong-case-month */
    { "Thu, 18 Aug 2050 02:01:18 gMT", true, 2544400878LL }, /* -wrong-case-tz */
    { "thursday, 18-aug-50 02:01:18 gmt", true, 2544400878LL },
    { "thu aug  8 02:01:18 2050", true, 2543536878LL },
    { "  Thu, 18 Aug 2050 02:01:18 GMT \t", true, 2544400878LL },
    { "Mon, 18 Aug 2050 02:01:18 GMT", true, 2544400878LL }, /* the day name is not checked */
    { "Thu, 29 Feb 2024 00:00:00 GMT", true, 1709164800 },
    { "Tue, 29 Feb 2000 12:00:00 GMT", true, 951825600 },
    { "Sat, 31 Dec 2016 23:59:60 GMT", true, 1483228800 }, /* a leap second */
    { "Fri, 31 Dec 9999 23:59:59 GMT", true, 253402300799LL },
    { "Mon, 01 Jan 0001 00:00:00 GMT", true, -62135596800LL },
    { "Sat, 01 Jan 0000 00:00:00 GMT", true, -62167219200LL },
    /* Not dates. */
    { "", false, 0 },
    { "0", false, 0 }, /* freshness-expires-invalid */
    { "-1", false, 0 },
    { "foo", false, 0 },                            /* freshness-expires-invalid-date */
    { "Thu, 18 Aug 2050 02:01:18 UTC", false, 0 },  /* -invalid-utc */
    { "Thu, 18 Aug 2050 02:01:18 AEST", false, 0 }, /* -invalid-aest */
    { "Thu, 18 Aug 2050 02:01:18 +0000", false, 0 },
    { "Thu, 18 Aug 2050 02:01:18", false, 0 },
    { "Thu, 18 Aug 2050 02:01:18GMT", false, 0 },
    { "Thu, 18 Aug 2050 02:01:18 GMTx", false, 0 },
    { "Thu, 18 Aug 2050 02:01:18 GMT x", false, 0 },
    { "Thu, 18 Aug 50 02:01:18 GMT", false, 0 }, /* -invalid-2-digit-year */
    { "Thu, 18 Aug 050 02:01:18 GMT", false, 0 },
    { "Thu, 18 Aug 20500 02:01:18 GMT", false, 0 },
    { "Thu 18 Aug 2050 02:01:18 GMT", false, 0 },    /* -invalid-no-comma */
    { "Thu, 18  Aug  2050 02:01:18 GMT", false, 0 }, /* -invalid-multiple-spaces */
    { "Thu,  18 Aug 2050 02:01:18 GMT", false, 0 },
    { "Thu, 18 Aug 2050  02:01:18 GMT", false, 0 },
    { "Thu, 18\tAug 2050 02:01:18 GMT", false, 0 },
    { "Thu, 18-Aug-2050 02:01:18 GMT", false, 0 }, /* -invalid-date-dashes */
    { "Thu, 18 Aug 2050 02.01.18 GMT", false, 0 }, /* -invalid-time-periods */
    { "Thu, 18 Aug 2050 2:01:18 GMT", false, 0 },  /* -invalid-1-digit-hour */
    { "Thu, 18 Aug 2050 02:1:18 GMT", false, 0 },
    { "Thu, 18 Aug 2050 02:01:8 GMT", false, 0 },
    { "Thu, 18 Aug 2050 2:01:18 GMT, Thu, 18 Aug 2050 2:01:19 GMT", false,
      0 }, /* -multiple-lines */
    { "Thu, 18 Aug 2050 02:01:18 GMT, Thu, 18 Aug 2050 02:01:19 GMT", false, 0 },
    { "Thu, 8 Aug 2050 02:01:18 GMT", false, 0 },
    { "Thu, 32 Aug 2050 02:01:18 GMT", false, 0 },
    { "Thu, 00 Aug 2050 02:01:18 GMT", false, 0 },
    { "Thu, 31 Sep 2050 02:01:18 GMT", false, 0 },
    { "Wed, 29 Feb 2023 00:00:00 GMT", false, 0 },
    { "Thu, 29 Feb 1900 00:00:00 GMT", false, 0 },
    { "Thu, 18 Aug 2050 24:00:00 GMT", false, 0 },
    { "Thu, 18 Aug 2050 23:60:00 GMT", false, 0 },
    { "Thu, 18 Aug 2050 23:59:61 GMT", false, 0 },
    { "Thu, 18 Foo 2050 02:01:18 GMT", false, 0 },
    { "Thu, 18 August 2050 02:01:18 GMT", false, 0 },
    { "Thx, 18 Aug 2050 02:01:18 GMT", false, 0 },
    { "Thursday, 18 Aug 2050 02:01:18 GMT", false, 0 },
    { "Thu, 18-Aug-50 02:01:18 GMT", false, 0 },
    { "Thurs, 18-Aug-50 02:01:18 GMT", false, 0 },
    { "Thursday, 18-Aug-2050 02:01:18 GMT", false, 0 },
    { "Thursday 18-Aug-50 02:01:18 GMT", false, 0 },
    { "Thursday, 18-Aug-50 02:01:18", false, 0 },
    { "Thu Aug 8 02:01:18 2050", false, 0 },
    { "Thu Aug   8 02:01:18 2050", false, 0 },
    { "Thu Aug  8 02:01:18 50", false, 0 },
    { "Thu Aug  8 02:01:18 2050 GMT", false, 0 },
    { "Thu Aug 32 02:01:18 2050", false, 0 },
    { "Thursday Aug  8 02:01:18 2050", false, 0 },
    { "Thu, 18 Aug -050 02:01:18 GMT", false, 0 },
    { "Thu, 18 Aug 2050 02:01:18 \xc7MT", false, 0 },
    { "1994-11-06T08:49:37Z", false, 0 },
    { "784111777", false, 0 },
};

static void
test_dates(void)
{
    int64_t t;
    char out[30];

    for (size_t i = 0; i < BN_NELEMS(date_cases); i++) {
        const date_case_t *c = &date_cases[i];
        t = 12345;
        bool got = bn_http_date_parse(c->in, strlen(c->in), &t);
        if (c->ok) {
            ok(got && t == c->t, "date: \"%s\" -> %lld", esc(c->in, strlen(c->in)),
               (long long) c->t);
            if (!got || t != c->t) {
                printf("#   got %s %lld\n", got ? "true" : "false", (long long) t);
            }
        } else {
            ok(!got && t == 12345, "date: \"%s\" is no date", esc(c->in, strlen(c->in)));
        }
    }
    ok(!bn_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 28, &t), "the date ends at n");
    ok(!bn_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT\0", 30, &t), "a NUL after it");

    static const struct {
        int64_t t;
        const char *want;
    } fmt[] = {
        { 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
        { 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
        { -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
        { 951825600, "Tue, 29 Feb 2000 12:00:00 GMT" },
        { 10000039599LL, "Sun, 21 Nov 2286 04:46:39 GMT" },
        { 253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
        { 253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
        { INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
        { -62167219200LL, "Sat, 01 Jan 0000 00:00:00 GMT" },
        { INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT" },
    };
    for (size_t i = 0; i < BN_NELEMS(fmt); i++) {
        memset(out, 'x', sizeof(out));
        bn_http_date_format(fmt[i].t, out);
        ok(strcmp(out, fmt[i].want) == 0, "format %lld -> %s", (long long) fmt[i].t, fmt[i].want);
        if (strcmp(out, fmt[i].want) != 0) {
            printf("#   got %.30s\n", out);
        }
    }

    /* Against the C library's calendar, from year 0 to 9999: the format
     * names the same day and time as gmtime_r(), and parses back. */
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    size_t bad = 0, tried = 0;
    for (int64_t s = -62167219200LL; s <= 253402300799LL; s += 86400 * 37 + 4321) {
        time_t tt = (time_t) s;
        struct tm tm;
        char want[64];
        tried++;
        if (gmtime_r(&tt, &tm) == NULL) {
            bad++;
            continue;
        }
        snprintf(want, sizeof(want), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        bn_http_date_format(s, out);
        if (strcmp(out, want) != 0 || !bn_http_date_parse(out, 29, &t) || t != s) {
            if (bad++ < 3) {
                printf("#   %lld: %s, want %s\n", (long long) s, out, want);
            }
        }
    }
    ok(bad == 0 && tried > 90000, "format agrees with gmtime_r and parses back (%zu times)", tried);
}

typedef struct {
    const char *in;
    int64_t want;
} age_case_t;

static const age_case_t age_cases[] = {
    { "0", 0 },
    { "7200", 7200 },
    { "007200", 7200 },
    { " 3600 ", 3600 },
    { "abc", BN_CC_ABSENT },           /* age-parse-nonnumeric */
    { "-7200", BN_CC_ABSENT },         /* age-parse-negative */
    { "7200.0", BN_CC_ABSENT },        /* age-parse-float */
    { "2147483647", 2147483647 },      /* age-parse-large-minus-one */
    { "2147483648", BN_CC_DELTA_MAX }, /* age-parse-large */
    { "2147483649", BN_CC_DELTA_MAX }, /* age-parse-larger */
    { "99999999999999999999999999", BN_CC_DELTA_MAX },
    { "7200, 0", 7200 },              /* age-parse-suffix, -suffix-twoline */
    { "0, 7200", 0 },                 /* age-parse-prefix, -prefix-twoline */
    { "0, 0", 0 },                    /* age-parse-dup-0 */
    { "3600, 3600", 3600 },           /* age-parse-dup-old */
    { "7200;foo=bar", BN_CC_ABSENT }, /* age-parse-parameter */
    { "7200;foo=111", BN_CC_ABSENT }, /* age-parse-numeric-parameter */
    { "abc, 5", BN_CC_ABSENT },
    { ", 5", 5 },
    { "", BN_CC_ABSENT },
    { " , ", BN_CC_ABSENT },
    { "+5", BN_CC_ABSENT },
    { "5 6", BN_CC_ABSENT },
    { "\"5\"", BN_CC_ABSENT },
    { "0x10", BN_CC_ABSENT },
};

static void
test_age(void)
{
    for (size_t i = 0; i < BN_NELEMS(age_cases); i++) {
        const age_case_t *c = &age_cases[i];
        is_int(bn_http_age_parse(c->in, strlen(c->in)), c->want, "Age: \"%s\" -> %lld", c->in,
               (long long) c->want);
    }
    is_int(bn_http_age_parse("123", 2), 12, "Age ends at n");

    static const struct {
        int64_t age, date, req, resp, now, want;
        const char *what;
    } cur[] = {
        { 0, 1000, 1000, 1000, 1000, 0, "nothing has passed" },
        { 0, 1000, 1000, 1000, 1050, 50, "resident_time" },
        { 7200, 1000, 1000, 1000, 1000, 7200, "Age counts (freshness-max-age-age)" },
        { 0, 1000 - 7200, 1000, 1000, 1000, 7200, "apparent_age (freshness-max-age-date)" },
        { 10, 1000, 995, 1000, 1000, 15, "response_delay adds to the Age" },
        { 100, 9000, 9990, 10000, 10030, 1030, "apparent_age beats a smaller corrected age" },
        { 2000, 9000, 9990, 10000, 10030, 2040, "corrected age beats a smaller apparent age" },
        { 0, 1100, 1000, 1000, 1000, 0, "a Date ahead of the clock adds nothing" },
        { 15, 1010, 1000, 1000, 1000, 15, "freshness-expires-age-fast-date" },
        { 25, 990, 1000, 1000, 1000, 25, "freshness-expires-age-slow-date" },
        { 30, 1000, 1000, 1000, 1003, 33, "other-age-update-max-age" },
        { 0, 1000, 1010, 1000, 1000, 0, "a request_time after response_time adds nothing" },
        { 5, 1000, 1000, 1000, 900, 5, "a clock stepped back takes nothing off" },
        { -1, 1000, 1000, 1000, 1000, 0, "a negative Age counts as 0" },
        { BN_CC_DELTA_MAX, 0, 0, 0, INT64_MAX, INT64_MAX, "saturates" },
        { 0, INT64_MIN, 0, INT64_MAX, INT64_MAX, INT64_MAX, "saturates from Date" },
        { BN_CC_DELTA_MAX, 0, INT64_MIN, INT64_MAX, INT64_MAX, INT64_MAX, "saturates delay" },
    };
    for (size_t i = 0; i < BN_NELEMS(cur); i++) {
        is_int(bn_cache_current_age(cur[i].age, cur[i].date, cur[i].req, cur[i].resp, cur[i].now),
               cur[i].want, "current age: %s", cur[i].what);
    }
}

static void
test_heuristic(void)
{
    static const struct {
        int64_t date, lm, cap, want;
    } h[] = {
        { 86400, 0, 1000000, 8640 }, /* heuristic-delta-86400 */
        { 1000, 0, 1000000, 100 },
        { 1000, 0, 5, 5 },
        { 1000, 0, 100, 100 },
        { 100, 100, 1000, 0 },
        { 100, 200, 1000, 0 },
        { 100, 0, 0, 0 },
        { 100, 0, -5, 0 },
        { 105, 100, 1000, 0 }, /* heuristic-delta-5: a tenth of 5s is 0 */
        { 110, 100, 1000, 1 }, /* heuristic-delta-10 */
        { 0, -86400, 86400, 8640 },
        { INT64_MAX, INT64_MIN, INT64_MAX, 1844674407370955161LL },
        { INT64_MAX, INT64_MIN, 7, 7 },
    };
    for (size_t i = 0; i < BN_NELEMS(h); i++) {
        is_int(bn_cache_heuristic_lifetime(h[i].date, h[i].lm, h[i].cap), h[i].want,
               "heuristic lifetime: Date %lld, Last-Modified %lld, cap %lld", (long long) h[i].date,
               (long long) h[i].lm, (long long) h[i].cap);
    }

    static const int cacheable[] = { 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501 };
    size_t wrong = 0;
    for (int s = 0; s < 1000; s++) {
        bool want = false;
        for (size_t k = 0; k < BN_NELEMS(cacheable); k++) {
            want = want || cacheable[k] == s;
        }
        if (bn_cache_heuristic_status(s) != want) {
            wrong++;
            printf("#   status %d: got %d\n", s, !want);
        }
    }
    ok(wrong == 0, "heuristically cacheable: exactly RFC 9110 15.1's statuses of 0-999");
    ok(!bn_cache_heuristic_status(-200), "a negative status is not");
    ok(!bn_cache_heuristic_status(302) && !bn_cache_heuristic_status(307)
           && !bn_cache_heuristic_status(502) && !bn_cache_heuristic_status(599),
       "302, 307, 502, 599 are not (heuristic-502-not_cached, -599-not_cached)");
}

typedef struct {
    const char *in;
    uint64_t size;
    int want;
    uint64_t first, last;
} range_case_t;

#define NONE BN_RANGE_NONE
#define ONE BN_RANGE_ONE
#define MANY BN_RANGE_MANY
#define UNSAT BN_RANGE_UNSATISFIABLE

static const range_case_t range_cases[] = {
    { "bytes=0-0", 10, ONE, 0, 0 },
    { "bytes=0-1", 11, ONE, 0, 1 },  /* partial-store-complete-reuse-partial */
    { "bytes=1-", 11, ONE, 1, 10 },  /* ...-no-last */
    { "bytes=-1", 11, ONE, 10, 10 }, /* ...-suffix */
    { "bytes=-5", 10, ONE, 5, 9 },
    { "bytes=-500", 100, ONE, 0, 99 },
    { "bytes=-500", 10000, ONE, 9500, 9999 },
    { "bytes=500-", 10000, ONE, 500, 9999 },
    { "bytes=500-", 500, UNSAT, 0, 0 },
    { "bytes=500-", 100, UNSAT, 0, 0 },
    { "bytes=500-999", 1000, ONE, 500, 999 },
    { "bytes=0-999", 100, ONE, 0, 99 },
    { "bytes=99-99", 100, ONE, 99, 99 },
    { "bytes=99-", 100, ONE, 99, 99 },
    { "bytes=100-100", 100, UNSAT, 0, 0 },
    { "bytes=0-0,-1", 10, MANY, 0, 0 },
    { "bytes=0-0,-1", 1, MANY, 0, 0 },
    { "bytes=0-4,900-", 100, ONE, 0, 4 },
    { "bytes=900-,0-4", 100, ONE, 0, 4 },
    { "bytes=900-,950-", 100, UNSAT, 0, 0 },
    { "bytes=0-1,2-3,4-5", 100, MANY, 0, 0 },
    { "bytes=-0", 100, UNSAT, 0, 0 },
    { "bytes=-0,0-0", 100, ONE, 0, 0 },
    { "bytes=-000", 100, UNSAT, 0, 0 },
    { "bytes=005-010", 100, ONE, 5, 10 },
    { "bytes=5-2", 100, NONE, 0, 0 },
    { "bytes=0-1,5-2", 100, NONE, 0, 0 },
    { "bytes=", 100, NONE, 0, 0 },
    { "bytes=,", 100, NONE, 0, 0 },
    { "bytes= , ,", 100, NONE, 0, 0 },
    { "bytes=-", 100, NONE, 0, 0 },
    { "bytes=a-b", 100, NONE, 0, 0 },
    { "bytes=1-2-3", 100, NONE, 0, 0 },
    { "bytes=0-1;x", 100, NONE, 0, 0 },
    { "bytes=--1", 100, NONE, 0, 0 },
    { "bytes=1", 100, NONE, 0, 0 },
    { "bytes=+1-2", 100, NONE, 0, 0 },
    { "bytes=0x1-2", 100, NONE, 0, 0 },
    { "bytes=1-2 3", 100, NONE, 0, 0 },
    { "bytes=0-1,abc", 100, NONE, 0, 0 },
    { "bytes = 0-1", 100, NONE, 0, 0 },
    { "bytes =0-1", 100, NONE, 0, 0 },
    { "bytes= 0-1", 100, ONE, 0, 1 },
    { "bytes=0 -1", 100, NONE, 0, 0 },
    { "bytes=0- 1", 100, NONE, 0, 0 },
    { "bytes=- 1", 100, NONE, 0, 0 },
    { "bytes=0-1 , 3-4", 100, MANY, 0, 0 },
    { "bytes=0-1\t,\t3-4", 100, MANY, 0, 0 },
    { "  bytes=0-1  ", 100, ONE, 0, 1 },
    { "bytes=0-1,,", 100, ONE, 0, 1 },
    { "bytes=,0-1", 100, ONE, 0, 1 },
    { "Bytes=0-1", 100, ONE, 0, 1 },
    { "BYTES=0-1", 100, ONE, 0, 1 },
    { "bytesx=0-1", 100, NONE, 0, 0 },
    { "byte=0-1", 100, NONE, 0, 0 },
    { "items=0-1", 100, NONE, 0, 0 },
    { "bytes", 100, NONE, 0, 0 },
    { "", 100, NONE, 0, 0 },
    { "=0-1", 100, NONE, 0, 0 },
    { "bytes=0-99999999999999999999999", 100, ONE, 0, 99 },
    { "bytes=99999999999999999999999-", 100, UNSAT, 0, 0 },
    { "bytes=-99999999999999999999999", 100, ONE, 0, 99 },
    { "bytes=99999999999999999999999-1", 100, NONE, 0, 0 },
    { "bytes=99999999999999999999999-99999999999999999999999", 100, UNSAT, 0, 0 },
    { "bytes=18446744073709551614-", UINT64_MAX, ONE, UINT64_MAX - 1, UINT64_MAX - 1 },
    { "bytes=18446744073709551615-", UINT64_MAX, UNSAT, 0, 0 },
    { "bytes=-18446744073709551615", UINT64_MAX, ONE, 0, UINT64_MAX - 1 },
    { "bytes=0-0", 0, UNSAT, 0, 0 },
    { "bytes=0-", 0, UNSAT, 0, 0 },
    { "bytes=-5", 0, NONE, 0, 0 },
    { "bytes=0-,-5", 0, NONE, 0, 0 },
    { "bytes=-0", 0, UNSAT, 0, 0 },
};

static void
test_ranges(void)
{
    for (size_t i = 0; i < BN_NELEMS(range_cases); i++) {
        const range_case_t *c = &range_cases[i];
        uint64_t first = 77, last = 77;
        int got = bn_http_range_parse(c->in, strlen(c->in), c->size, &first, &last);
        bool good =
            got == c->want
            && (c->want == ONE ? first == c->first && last == c->last : first == 77 && last == 77);
        ok(good, "Range: \"%s\" on %llu bytes -> %d [%llu, %llu]", esc(c->in, strlen(c->in)),
           (unsigned long long) c->size, c->want, (unsigned long long) c->first,
           (unsigned long long) c->last);
        if (!good) {
            printf("#   got %d [%llu, %llu]\n", got, (unsigned long long) first,
                   (unsigned long long) last);
        }
    }
    uint64_t f, l;
    is_int(bn_http_range_parse("bytes=0-12", 9, 100, &f, &l), ONE, "Range ends at n");
    is_int(l, 1, "at n: [0, 1]");
}

typedef struct {
    const char *name, *in, *want;
} vary_case_t;

static const vary_case_t vary_cases[] = {
    { "Foo", "1, 2", "1,2" },   /* vary-normalise-combine */
    { "Foo", " 1, 2 ", "1,2" }, /* vary-normalise-space */
    { "Foo", "1,2", "1,2" },
    { "Foo", "1 ,2", "1,2" },
    { "Foo", "a  b", "a b" },
    { "Foo", "a \t b", "a b" },
    { "Foo", "A", "A" },
    { "Foo", "a ; b", "a ; b" },
    { "Foo", ", a,", ",a," },
    { "Foo", "", "" },
    { "Foo", " \t ", "" },
    { "Foo", "\"a , B\" , c", "\"a , B\",c" },
    { "Foo", "a \"b\"", "a \"b\"" },
    { "Foo", "x\"a\\\" ,b\"y", "x\"a\\\" ,b\"y" },
    { "Foo", "\"unterminated ,  x", "\"unterminated ,  x" },
    { "Accept-Language", "eN, De", "en,de" },     /* vary-normalise-lang-case */
    { "accept-language", " en ,   de", "en,de" }, /* vary-normalise-lang-space */
    { "ACCEPT-LANGUAGE", "de, en", "de,en" },     /* -lang-order: order counts */
    { "Accept", "Text/HTML; q=0.5 , */*", "text/html;q=0.5,*/*" },
    { "Accept", "text/html;x=\"Q , R\"", "text/html;x=\"Q , R\"" },
    { "Accept-Encoding", "GZIP, br ;q=1", "gzip,br;q=1" },
    { "Accept-Charset", "UTF-8", "utf-8" },
    { "Accept-Ranges", "A", "A" },
    { "Acceptx", "A ; B", "A ; B" },
};

static void
test_vary(void)
{
    char out[128];

    for (size_t i = 0; i < BN_NELEMS(vary_cases); i++) {
        const vary_case_t *c = &vary_cases[i];
        memset(out, 'x', sizeof(out));
        size_t got = bn_vary_normalize(c->name, c->in, strlen(c->in), out, sizeof(out));
        bool good = got == strlen(c->want) && strcmp(out, c->want) == 0;
        ok(good, "Vary %s: \"%s\" -> \"%s\"", c->name, esc(c->in, strlen(c->in)), c->want);
        if (!good) {
            printf("#   got %zu \"%s\"\n", got, out);
        }
    }

    memset(out, 'x', sizeof(out));
    is_int(bn_vary_normalize("Foo", "ab, c", 5, out, 5), 4, "a value that just fits");
    ok(strcmp(out, "ab,c") == 0, "... is written whole");
    memset(out, 'x', sizeof(out));
    is_int(bn_vary_normalize("Foo", "ab, cd", 6, out, 5), 5, "one byte too many: cap");
    ok(strcmp(out, "ab,c") == 0, "... and what fits, NUL-terminated");
    memset(out, 'x', sizeof(out));
    is_int(bn_vary_normalize("Foo", "a", 1, out, 1), 1, "cap 1 holds only the NUL");
    is_int(out[0], 0, "... which is written");
    is_int(bn_vary_normalize("Foo", "", 0, out, 1), 0, "an empty value fits in cap 1");
    out[0] = 'x';
    is_int(bn_vary_normalize("Foo", "a", 1, out, 0), 0, "cap 0: nothing written");
    is_int(out[0], 'x', "... not even the NUL");
    memset(out, 'x', sizeof(out));
    is_int(bn_vary_normalize("Foo", "a\0b", 3, out, sizeof(out)), 3, "a NUL is a byte");
    ok(memcmp(out, "a\0b", 4) == 0, "... copied as it is");
}

int
main(void)
{
    test_cache_control();
    test_targeted();
    test_dates();
    test_age();
    test_heuristic();
    test_ranges();
    test_vary();
    return done_testing();
}
