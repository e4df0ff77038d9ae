/*
 * waf_detect.h: the WAF's detectors of SQL injection, XSS, path traversal
 * and command injection.  Each reads one inspected value (a path, a query
 * argument's name or value, a cookie, a header value, a body field) and
 * says whether it holds an attack of its kind.
 *
 * They are grammars, not pattern lists: the SQL detector tokenizes the value
 * in each context it could land in (as it is, after a single quote, after a
 * double quote) and judges the shape of the token stream; the XSS detector
 * reads HTML tags and attributes and the code-like shapes that break out of
 * a script string; traversal and command injection read path segments and
 * shell words.
 *
 * Pure functions: no allocation, no global mutable state, a few hundred
 * bytes of stack, and time linear in n with small constants whatever the
 * input (each reads at most a fixed number of tokens per context, and each
 * token once).  They run in every worker and in unit tests alike.
 *
 * The value given is already decoded by the engine (URL, HTML entities, JS
 * escapes undone, NUL removed) but not case-folded or whitespace-compressed:
 * the detectors do that themselves where the grammar needs it.  Bytes of any
 * value (NUL, invalid UTF-8) are accepted.
 *
 * paranoia is 1..4 (0 reads as 1, above 4 as 4): level 1 keeps false
 * positives on natural text rare (well under 1%); level 2 adds shapes that
 * natural text sometimes has (a bare "1 or 2", a word before a comment,
 * a sink call outside any HTML or script break-out, a lone "../"); 3 and 4
 * are the same as 2 today and exist so that rules may grow.
 */
#ifndef BN_WAF_DETECT_H
#define BN_WAF_DETECT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    /* What matched, a static string ("sqli: union select"); NULL when
     * nothing did. */
    const char *reason;
    /* The token shape that matched (the SQL detector's token letters, the
     * tag or command name for the others), NUL-terminated; "" when none. */
    char fingerprint[16];
} bn_waf_detect_t;

/*
 * Each returns true when s[0..n) holds an attack of its kind and then fills
 * *m; on false, m->reason is NULL and m->fingerprint "".  s need not be
 * NUL-terminated and may hold NUL bytes.
 */
bool bn_waf_sqli(const char *s, size_t n, unsigned paranoia, bn_waf_detect_t *m);
bool bn_waf_xss(const char *s, size_t n, unsigned paranoia, bn_waf_detect_t *m);
bool bn_waf_traversal(const char *s, size_t n, unsigned paranoia, bn_waf_detect_t *m);
bool bn_waf_cmdi(const char *s, size_t n, unsigned paranoia, bn_waf_detect_t *m);

/* The type of each of the four, for callers that keep them in a table. */
typedef bool (*bn_waf_detect_fn)(const char *s, size_t n, unsigned paranoia, bn_waf_detect_t *m);

/* The helpers the detectors share (common/waf_detect.c). */

#define BN_WAF_MIN(a, b) ((a) < (b) ? (a) : (b))

/* ASCII lower case of c; other bytes unchanged. */
static inline unsigned char
bn_waf_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20) : c;
}

/* Whether s[0..n) equals the lower-case word w in any ASCII case. */
bool bn_waf_word_eq(const char *s, size_t n, const char *w);

/* Whether s[0..n) starts with the lower-case literal w in any ASCII case. */
bool bn_waf_prefix_eq(const char *s, size_t n, const char *w);

/* Clears *m for a new call; returns paranoia clamped to 1..4. */
unsigned bn_waf_begin(bn_waf_detect_t *m, unsigned paranoia);

/* Fills *m with reason and up to 15 bytes of fp (fp_len of them); returns
 * true so that a detector can end with `return bn_waf_found(...)`. */
bool bn_waf_found(bn_waf_detect_t *m, const char *reason, const char *fp, size_t fp_len);

#endif
