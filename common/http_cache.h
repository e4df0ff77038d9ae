/*
 * HTTP caching's field grammar and arithmetic (RFC 9111, RFC 9110 5.6.7,
 * 14, RFC 5861, RFC 9213 with RFC 8941 dictionaries): pure functions, no
 * I/O and no allocation, shared by the worker's cache and its tests.
 */
#ifndef BN_HTTP_CACHE_H
#define BN_HTTP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A directive that is absent, or whose value did not parse. */
#define BN_CC_ABSENT (-1)
/* Delta-seconds past 2^31 saturate here (RFC 9111 1.2.2). */
#define BN_CC_DELTA_MAX 2147483648LL
/* max-stale without a value: any staleness. */
#define BN_CC_ANY_STALE INT64_MAX

typedef struct {
    /* Response directives (RFC 9111 5.2.2, RFC 5861), in seconds. */
    int64_t max_age;
    int64_t s_maxage;
    int64_t stale_while_revalidate;
    int64_t stale_if_error;
    bool no_store;
    bool no_cache;        /* unqualified, or qualified (no_cache_fields) */
    bool no_cache_fields; /* no-cache="field, ...": the response may be reused without those */
    bool private_;        /* unqualified, or qualified (private_fields) */
    bool private_fields;
    bool public_;
    bool must_revalidate;
    bool proxy_revalidate;
    bool must_understand;
    bool no_transform;
    bool immutable;
    bool bad_lifetime; /* a max-age or s-maxage whose value is not delta-seconds */

    /* Request directives (RFC 9111 5.2.1), in seconds. */
    int64_t max_stale; /* BN_CC_ANY_STALE when it came without a value */
    int64_t min_fresh;
    bool only_if_cached;
} bn_cache_control_t;

/* All directives absent. */
void bn_cache_control_init(bn_cache_control_t *cc);

/*
 * Adds the directives of a Cache-Control field value v[0..n) (several
 * field lines joined with ", " as RFC 9110 5.3 allows) to cc.  Names are
 * case-insensitive; an argument is a token or a quoted-string; a directive
 * given twice keeps its first valid occurrence (RFC 9111 4.2.1); a
 * delta-seconds argument that is not all digits makes that directive
 * absent.  Never fails: what does not parse is passed over, so that one
 * bad directive does not hide the others.  Two refinements, both the
 * stricter reading: a directive that only restricts (no-store, no-cache,
 * private, must-revalidate, proxy-revalidate, no-transform, only-if-cached)
 * counts even when its member is malformed ("no-store =1"), and
 * unqualified no-cache or private wins over a qualified one in any order.
 */
void bn_cache_control_parse(bn_cache_control_t *cc, const char *v, size_t n);

/*
 * A targeted cache-control field (RFC 9213: CDN-Cache-Control, and
 * bouncer's own Bouncer-Cache-Control), an RFC 8941 Dictionary.  Parses
 * into cc (from bn_cache_control_init()); false when the value is not a
 * valid Dictionary, or is empty (RFC 9213 2.1), and then the field is to
 * be ignored whole (cc is left as init made it).  Keys are lower case
 * ("Max-Age" makes the field invalid); a key given twice takes its last
 * value (RFC 8941 4.2.2); a value of the wrong type (max-age="60",
 * max-age=1.5, max-age=-1) leaves its directive absent, except that the
 * restricting directives then count unqualified unless the value is ?0.
 * Parameters and request directives are passed over.
 */
bool bn_cache_control_parse_targeted(bn_cache_control_t *cc, const char *v, size_t n);

/*
 * An HTTP-date (RFC 9110 5.6.7): IMF-fixdate, and the obsolete RFC 850 and
 * asctime forms a recipient must accept.  *t: seconds since the epoch.
 * false when s[0..n) is not a date (an Expires that is not means "already
 * expired", RFC 9111 5.3; the caller decides).
 */
bool bn_http_date_parse(const char *s, size_t n, int64_t *t);

/* Writes t as an IMF-fixdate into out (30 bytes: 29 and a NUL). */
void bn_http_date_format(int64_t t, char out[30]);

/*
 * The Age field (RFC 9111 5.1): its first member, a non-negative integer
 * (past 2^31: BN_CC_DELTA_MAX); BN_CC_ABSENT when that member is invalid,
 * and then the field is ignored.
 */
int64_t bn_http_age_parse(const char *s, size_t n);

/*
 * A response's current age (RFC 9111 4.2.3), in seconds: age_value is its
 * Age (0 when absent), date its Date (or response_time when absent),
 * request_time and response_time when the request went and the response
 * came, now the present.
 */
int64_t bn_cache_current_age(int64_t age_value, int64_t date, int64_t request_time,
                             int64_t response_time, int64_t now);

/*
 * A heuristic freshness lifetime (RFC 9111 4.2.2): a tenth of the time
 * from last_modified to date, at most cap; 0 when last_modified is not
 * before date, or cap is 0.
 */
int64_t bn_cache_heuristic_lifetime(int64_t date, int64_t last_modified, int64_t cap);

/* Whether status is heuristically cacheable by default (RFC 9110 15.1). */
bool bn_cache_heuristic_status(int status);

/*
 * A request's Range (RFC 9110 14.2) against a representation of size
 * bytes.  BN_RANGE_NONE: no usable range (absent, not "bytes", or a
 * syntax error: the whole response is sent); BN_RANGE_ONE: one range,
 * [*first, *last]; BN_RANGE_MANY: more than one satisfiable range;
 * BN_RANGE_UNSATISFIABLE: none of them can be met (416).  Unsatisfiable
 * members next to a satisfiable one are dropped ("0-4,900-" on 100 bytes
 * is ONE [0, 4]); overlapping ones are not merged.  *first and *last are
 * written for BN_RANGE_ONE only.  An empty representation gives NONE for
 * a suffix-range (nothing to cut from it) and UNSATISFIABLE otherwise.
 */
enum { BN_RANGE_NONE = 0, BN_RANGE_ONE, BN_RANGE_MANY, BN_RANGE_UNSATISFIABLE };
int bn_http_range_parse(const char *v, size_t n, uint64_t size, uint64_t *first, uint64_t *last);

/*
 * A request field's value as a Vary key compares it: lines joined, blanks
 * around commas and at the ends dropped, runs of blanks made one space,
 * and, for the fields whose values are case-insensitive tokens (Accept,
 * Accept-Charset, Accept-Encoding, Accept-Language), lower case and no
 * blanks around ';' either.  A quoted-string is kept byte for byte.
 * Writes at most cap - 1 bytes and a NUL into out; returns the length, or
 * cap when it did not fit.
 */
size_t bn_vary_normalize(const char *name, const char *v, size_t n, char *out, size_t cap);

#endif
