/*
 * waf_transform.h: the transformations the WAF runs on an inspected value
 * before its rules match it (URL, HTML and JS/CSS decoding, Unicode
 * look-alikes, case, whitespace, SQL comments, paths, NUL bytes).
 *
 * Each is a pure function of its input: no heap, no state between calls,
 * linear time, and its output is never longer than its input, so a caller
 * can size every buffer of a chain of them by the value it started from.
 */
#ifndef BN_WAF_TRANSFORM_H
#define BN_WAF_TRANSFORM_H

#include "bouncer.h"

typedef enum {
    BN_WAF_T_URL = 0, /* %HH, %uHHHH to UTF-8, until stable (4 rounds); '+' stays a '+' */
    BN_WAF_T_HTML,    /* &#DDD; &#xHH; (';' optional) and named references, to UTF-8 */
    BN_WAF_T_JS,      /* JS \xHH \uHHHH \u{H..} \OOO \<char>; CSS \HHHHHH */
    BN_WAF_T_UNICODE, /* fullwidth forms and a few look-alikes to ASCII; bad UTF-8 flagged */
    BN_WAF_T_LOWER,   /* ASCII case folding */
    BN_WAF_T_SPACE,   /* runs of whitespace (and U+00A0) to one space */
    BN_WAF_T_SQLCOMMENT, /* SQL comments to one space; MySQL's executable ones keep their content */
    BN_WAF_T_PATH,       /* '\\' to '/', "//" "/./" "/../" resolved, never above the start */
    BN_WAF_T_NUL,        /* NUL bytes removed */
    BN_WAF_NTRANSFORMS
} bn_waf_transform_t;

#define BN_WAF_F_BAD_PERCENT 0x01 /* an invalid %-sequence in the input (kept as is) */
#define BN_WAF_F_OVERLONG 0x02    /* overlong UTF-8 (incl. %c0%af after URL decoding) */
#define BN_WAF_F_BAD_UTF8 0x04    /* other invalid UTF-8, or an escape of no character */
#define BN_WAF_F_NUL 0x08         /* a NUL byte in the input or the output */
#define BN_WAF_F_CHANGED 0x10     /* the output differs from the input */

/*
 * Writes transformation t of in[0..n) to out, which has room for n bytes
 * (no transformation makes its input longer: see the proof in
 * waf_transform.c); out may not overlap in.  Returns the output's length
 * and ORs into *flags what it saw.  t must be one of the above.
 */
size_t bn_waf_transform(bn_waf_transform_t t, const char *in, size_t n, char *out, unsigned *flags);

/* "url", "html", "js", "unicode", "lower", "space", "sqlcomment", "path", "nul". */
const char *bn_waf_transform_name(bn_waf_transform_t t);

/* The transformation spelt name[0..len) (exactly, in lower case), or BN_ERROR. */
int bn_waf_transform_by_name(const char *name, size_t len);

/*
 * Whether s[0..n) holds an overlong UTF-8 sequence: a character encoded in
 * more bytes than it needs (C0 AF, E0 80 AF, F0 80 80 AF, and the old
 * five- and six-byte forms F8 80 80 80 AF, FC 80 80 80 80 AF), the way
 * "/" and "." are smuggled past a decoder that checks only for ASCII.
 */
bool bn_waf_utf8_overlong(const char *s, size_t n);

/*
 * For the unit test: whether the tables the binary searches read are
 * sorted, and each entity's value is no longer than the shortest spelling
 * of it ('&' and the name, with ';' unless it is a legacy one).
 */
bool bn_waf_transform_check_tables(void);

#endif
