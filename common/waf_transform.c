/*
 * waf_transform.c: the WAF's transformations, each a pure function of its
 * input (no heap, no state kept between calls, linear time).
 *
 * Why the output is never longer than the input.  Every transformation is
 * one left-to-right pass that, at each step, consumes a span of k >= 1
 * input bytes and writes at most k bytes; so after any step the output is
 * no longer than the input consumed so far, and that holds at the end.
 * The steps, and why each writes no more than it consumes:
 *
 * - A copied byte or sequence: as many bytes as it spans.
 * - url: %HH (3 bytes) gives 1.  '+' gives 1.  %uHHHH (6) gives a BMP
 *   character, at most 3 bytes, or U+FFFD (3) for a lone surrogate;
 *   %uHHHH%uHHHH (12) gives a pair's character, 4.  A later round reads
 *   the previous one's output, so each round is bounded by the last.
 * - html: a numeric reference spans "&#" and d >= 1 digits, d + 2 bytes
 *   (or "&#x", d + 3).  A code point needs 2 UTF-8 bytes from U+0080, which
 *   takes 3 decimal digits or 2 hex ones (span >= 5); 3 bytes from U+0800,
 *   4 digits or 3 hex (span >= 6); 4 bytes from U+10000, 5 digits or 5 hex
 *   (span >= 7).  Leading zeros only lengthen the span.  U+FFFD (3 bytes),
 *   written for 0, surrogates and anything past U+10FFFF, and the
 *   windows-1252 characters (at most 3) for 128-159 (span >= 5) fit too,
 *   as every span is at least 3.  A named reference spans '&', its name
 *   and usually ';'; every name has at least 2 letters and a value of at
 *   most 3 bytes, and bn_waf_transform_check_tables() checks each
 *   value fits its shortest spelling.
 * - js: \xHH (4) gives U+00HH, at most 2; \uHHHH (6) at most 3 (U+FFFD for
 *   a lone surrogate); a pair of \u escapes (a surrogate takes 4 hex
 *   digits, so each spans at least 6) gives 4; \u{d hex} spans d + 4:
 *   2 bytes need d >= 2 (span 6), 3 need d >= 3, 4 need d >= 5, and
 *   U+FFFD is written only for spans >= 5.  \OOO (4) is at most U+00FF,
 *   2 bytes; \O (2) and \<char> (2) give 1; an escaped line break gives
 *   nothing.  CSS \ and d hex digits (d + 1 bytes): d = 1 is below U+0010
 *   (1 byte), d = 2 below U+0100 (2), d = 3 or 4 below U+10000 (3), d = 5
 *   or 6 at most 4 bytes (U+FFFD, 3, for a value past U+10FFFF, which
 *   takes 6 digits).
 * - unicode: a mapped character gives 1 byte or none; its UTF-8 form is
 *   at least 2 (U+00A0 up) bytes long.
 * - lower, nul: one byte gives one or none.
 * - space: a run of whitespace (at least 1 byte) gives 1.
 * - sqlcomment: "/ *" with what follows, at least 2 bytes, gives 1 space;
 *   "/ *!" with its version (3 or more) gives 1, as does "* /" (2) ending
 *   it; "--" and its line (at least 2) gives 1, "#" and its line 1.
 * - path: the leading '/' stands for the first separator, a segment is
 *   copied, or dropped with what was written for it, and the '/' written
 *   after a segment stands for at least one separator read after it.
 */
#include "waf_transform.h"
#include "str.h"

#define REPLACEMENT 0xfffd
#define CP_TOO_BIG 0x110000 /* where digit loops saturate: past U+10FFFF */
#define URL_ROUNDS 4

static const char *const names[BN_WAF_NTRANSFORMS] = {
    "url", "html", "js", "unicode", "lower", "space", "sqlcomment", "path", "nul",
};

static bool
is_surrogate(uint32_t cp)
{
    return cp >= 0xd800 && cp <= 0xdfff;
}

/* Unicode 15, table 3-7: the length of the well-formed sequence at s and
 * its code point in *cp; 0 when s does not start one. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t need, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0f;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n <= need || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return need + 1;
}

/* The length of the overlong sequence at s (see bn_waf_utf8_overlong()),
 * 0 when there is none: the lead byte, a second byte low enough that the
 * value would fit a shorter form, and all its continuation bytes. */
static size_t
overlong_len(const unsigned char *s, size_t n)
{
    size_t need, i;
    unsigned char max;

    switch (s[0]) {
    case 0xc0:
    case 0xc1:
        need = 1;
        max = 0xbf;
        break;
    case 0xe0:
        need = 2;
        max = 0x9f;
        break;
    case 0xf0:
        need = 3;
        max = 0x8f;
        break;
    case 0xf8:
        need = 4;
        max = 0x87;
        break;
    case 0xfc:
        need = 5;
        max = 0x83;
        break;
    default:
        return 0;
    }
    if (n <= need || s[1] < 0x80 || s[1] > max) {
        return 0;
    }
    for (i = 2; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    return need + 1;
}

bool
bn_waf_utf8_overlong(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *) s;

    for (size_t i = 0; i < n; i++) {
        if (u[i] >= 0xc0 && overlong_len(u + i, n - i) != 0) {
            return true;
        }
    }
    return false;
}

/* The value of the 4 hex digits at s (n bytes there), or -1. */
static long
hex4(const unsigned char *s, size_t n)
{
    long v = 0;
    int h;

    if (n < 4) {
        return -1;
    }
    for (size_t i = 0; i < 4; i++) {
        if ((h = bn_hex_value(s[i])) == -1) {
            return -1;
        }
        v = v << 4 | h;
    }
    return v;
}

/*
 * url: one round of percent-decoding from in to out, which may be the same
 * buffer: out never gets ahead of in (see the proof above), and each span
 * is read whole before its bytes are written.  Returns the length; *again
 * says whether another round could change it (this one decoded something
 * and its output holds a '%'), *high whether a decoded byte may lead a
 * UTF-8 sequence, *bad whether a '%' began no escape.
 */
static size_t
url_round(const char *in, size_t n, char *out, bool plus, bool *again, bool *high, bool *bad,
          unsigned *flags)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, span;
    bool did = false, pct = false;
    long cp, lo;
    int h1, h2;

    while (i < n) {
        /* A forward copy is safe in place: o <= i. */
        if (u[i] != '%' && u[i] != '+') {
            out[o++] = in[i++];
            continue;
        }
        if (u[i] == '+') {
            out[o++] = plus ? ' ' : '+';
            did = did || plus;
            i++;
            continue;
        }
        if (i + 2 < n && (h1 = bn_hex_value(u[i + 1])) != -1
            && (h2 = bn_hex_value(u[i + 2])) != -1) {
            out[o] = (char) (h1 << 4 | h2);
            pct = pct || out[o] == '%';
            *high = *high || (unsigned char) out[o] >= 0xc0;
            o++;
            i += 3;
            did = true;
            continue;
        }
        /* IIS's %uHHHH: a UTF-16 code unit, a pair when one follows another. */
        if (i + 1 < n && (u[i + 1] == 'u' || u[i + 1] == 'U')
            && (cp = hex4(u + i + 2, n - i - 2)) != -1) {
            span = 6;
            if (cp >= 0xd800 && cp <= 0xdbff && i + 11 < n && u[i + 6] == '%'
                && (u[i + 7] == 'u' || u[i + 7] == 'U')
                && (lo = hex4(u + i + 8, n - i - 8)) >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                span = 12;
            } else if (is_surrogate((uint32_t) cp)) {
                cp = REPLACEMENT;
                *flags |= BN_WAF_F_BAD_UTF8;
            }
            i += span;
            o += bn_utf8_encode((uint32_t) cp, out + o);
            /* Never an overlong form itself: bn_utf8_encode() writes the
             * shortest, and its lead byte is no continuation of another. */
            pct = pct || cp == '%';
            did = true;
            continue;
        }
        *bad = true;
        pct = true;
        out[o++] = in[i++];
    }
    *again = did && pct;
    return o;
}

/*
 * Decoded until a round changes nothing, at most URL_ROUNDS rounds, so
 * %252e%252e%252f reads "../".  Only the first round reports a bad '%': a
 * "%" that a round decoded is data ("50%25 off").
 */
static size_t
t_url(const char *in, size_t n, char *out, unsigned *flags)
{
    bool again, high = false, bad = false, ignored = false;
    size_t len;

    /* A '+' is a space only in form encoding (a query string, a form
     * body), which the WAF's reader of those undoes itself: elsewhere, in
     * a path, a cookie, a header or a JSON string, it is a '+'. */
    len = url_round(in, n, out, false, &again, &high, &bad, flags);
    for (int round = 1; again && round < URL_ROUNDS; round++) {
        len = url_round(out, len, out, false, &again, &high, &ignored, flags);
    }
    if (bad) {
        *flags |= BN_WAF_F_BAD_PERCENT;
    }
    if (high && bn_waf_utf8_overlong(out, len)) {
        *flags |= BN_WAF_F_OVERLONG;
    }
    return len;
}

/* HTML's named character references that matter to a payload (the
 * punctuation and spaces, WHATWG's full list has 2,231), sorted by strcmp()
 * for the binary search; legacy ones are also recognised without ';'. */
typedef struct {
    const char *name;
    uint32_t cp;
    bool legacy;
} html_entity_t;

static const html_entity_t entities[] = {
    { "AMP", 0x26, true },
    { "DiacriticalGrave", 0x60, false },
    { "GT", 0x3e, true },
    { "Hat", 0x5e, false },
    { "LT", 0x3c, true },
    { "NewLine", 0x0a, false },
    { "NonBreakingSpace", 0xa0, false },
    { "QUOT", 0x22, true },
    { "Tab", 0x09, false },
    { "UnderBar", 0x5f, false },
    { "VerticalLine", 0x7c, false },
    { "ZeroWidthSpace", 0x200b, false },
    { "amp", 0x26, true },
    { "apos", 0x27, false },
    { "ast", 0x2a, false },
    { "bsol", 0x5c, false },
    { "colon", 0x3a, false },
    { "comma", 0x2c, false },
    { "commat", 0x40, false },
    { "dollar", 0x24, false },
    { "equals", 0x3d, false },
    { "excl", 0x21, false },
    { "grave", 0x60, false },
    { "gt", 0x3e, true },
    { "lbrace", 0x7b, false },
    { "lbrack", 0x5b, false },
    { "lcub", 0x7b, false },
    { "ldquo", 0x201c, false },
    { "lowbar", 0x5f, false },
    { "lpar", 0x28, false },
    { "lsaquo", 0x2039, false },
    { "lsqb", 0x5b, false },
    { "lsquo", 0x2018, false },
    { "lt", 0x3c, true },
    { "midast", 0x2a, false },
    { "minus", 0x2212, false },
    { "nbsp", 0xa0, true },
    { "num", 0x23, false },
    { "percnt", 0x25, false },
    { "period", 0x2e, false },
    { "plus", 0x2b, false },
    { "quest", 0x3f, false },
    { "quot", 0x22, true },
    { "rbrace", 0x7d, false },
    { "rbrack", 0x5d, false },
    { "rcub", 0x7d, false },
    { "rdquo", 0x201d, false },
    { "rpar", 0x29, false },
    { "rsaquo", 0x203a, false },
    { "rsqb", 0x5d, false },
    { "rsquo", 0x2019, false },
    { "semi", 0x3b, false },
    { "shy", 0xad, true },
    { "sol", 0x2f, false },
    { "verbar", 0x7c, false },
    { "vert", 0x7c, false },
};

#define ENTITY_NAME_MAX 16 /* the longest name above */

static const html_entity_t *
entity_find(const unsigned char *name, size_t len)
{
    size_t lo = 0, hi = BN_NELEMS(entities), mid, elen;
    int c;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        elen = strlen(entities[mid].name);
        c = memcmp(name, entities[mid].name, BN_MIN(len, elen));
        if (c == 0) {
            c = len < elen ? -1 : len > elen;
        }
        if (c == 0) {
            return &entities[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/* WHATWG HTML 13.2.5.80: what a numeric reference to 0x80-0x9F means
 * (windows-1252); 0 for the five it leaves alone. */
/* clang-format off */
static const uint16_t c1_remap[32] = {
    0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
    0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};
/* clang-format on */

/* The numeric reference at u (after "&#"), as a browser reads it: digits
 * greedily, ';' optional.  Returns the span after "&#", 0 for none. */
static size_t
html_numeric(const unsigned char *u, size_t n, uint32_t *cp, unsigned *flags)
{
    size_t i = 0, start;
    uint32_t v = 0;
    bool hex = n > 0 && (u[0] == 'x' || u[0] == 'X');
    int d;

    if (hex) {
        i = 1;
    }
    start = i;
    while (i < n) {
        if (hex) {
            d = bn_hex_value(u[i]);
        } else {
            d = u[i] >= '0' && u[i] <= '9' ? u[i] - '0' : -1;
        }
        if (d == -1) {
            break;
        }
        v = v * (hex ? 16 : 10) + (uint32_t) d;
        if (v >= CP_TOO_BIG) {
            v = CP_TOO_BIG;
        }
        i++;
    }
    if (i == start) {
        return 0;
    }
    if (i < n && u[i] == ';') {
        i++;
    }
    if (v == 0 || v >= CP_TOO_BIG || is_surrogate(v)) {
        *flags |= BN_WAF_F_BAD_UTF8;
        v = REPLACEMENT;
    } else if (v >= 0x80 && v <= 0x9f && c1_remap[v - 0x80] != 0) {
        v = c1_remap[v - 0x80];
    }
    *cp = v;
    return i;
}

/* The named reference at u (after '&'): the name with ';', or the longest
 * legacy name that starts the run of letters and digits there, as a
 * browser reads text.  Returns its span after '&', 0 for none. */
static size_t
html_named(const unsigned char *u, size_t n, uint32_t *cp)
{
    const html_entity_t *e;
    size_t len = 0, best = 0, elen;

    while (len < n && len <= ENTITY_NAME_MAX
           && (((u[len] | 0x20) >= 'a' && (u[len] | 0x20) <= 'z')
               || (u[len] >= '0' && u[len] <= '9'))) {
        len++;
    }
    if (len == 0) {
        return 0;
    }
    if (len < n && u[len] == ';' && (e = entity_find(u, len)) != NULL) {
        *cp = e->cp;
        return len + 1;
    }
    for (size_t k = 0; k < BN_NELEMS(entities); k++) {
        elen = strlen(entities[k].name);
        if (entities[k].legacy && elen <= len && elen > best
            && memcmp(u, entities[k].name, elen) == 0) {
            best = elen;
            *cp = entities[k].cp;
        }
    }
    return best;
}

static size_t
t_html(const char *in, size_t n, char *out, unsigned *flags)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, span;
    uint32_t cp = 0;

    while (i < n) {
        span = 0;
        if (u[i] == '&' && i + 1 < n) {
            if (u[i + 1] == '#') {
                span = html_numeric(u + i + 2, n - i - 2, &cp, flags);
                span = span ? span + 2 : 0;
            } else {
                span = html_named(u + i + 1, n - i - 1, &cp);
                span = span ? span + 1 : 0;
            }
        }
        if (span == 0) {
            out[o++] = in[i++];
            continue;
        }
        o += bn_utf8_encode(cp, out + o);
        i += span;
    }
    return o;
}

/* A JS \u escape at u (after the backslash): \uHHHH or \u{H...}.  Returns
 * its span and the code unit or point in *cp, 0 when there is none. */
static size_t
js_u(const unsigned char *u, size_t n, uint32_t *cp)
{
    size_t i;
    uint32_t v = 0;
    long h4;
    int d;

    if (n < 2 || u[0] != 'u') {
        return 0;
    }
    if (u[1] != '{') {
        if ((h4 = hex4(u + 1, n - 1)) == -1) {
            return 0;
        }
        *cp = (uint32_t) h4;
        return 5;
    }
    for (i = 2; i < n && (d = bn_hex_value(u[i])) != -1; i++) {
        v = v << 4 | (uint32_t) d;
        if (v >= CP_TOO_BIG) {
            v = CP_TOO_BIG;
        }
    }
    if (i == 2 || i == n || u[i] != '}') {
        return 0;
    }
    *cp = v;
    return i + 1;
}

static bool
is_octal(unsigned char c)
{
    return c >= '0' && c <= '7';
}

static bool
is_css_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/*
 * The escape at u (after a backslash, n >= 1 bytes there), JS or CSS.
 * Where the two read the same bytes differently, the choice is: 3 octal
 * digits from \000 to \377 are JS octal (\074 is '<'); any other run of
 * 2 to 6 hex digits, or one digit and a space, is CSS (\3c, \65 xpression);
 * a lone digit or letter is JS's (\0 NUL, \b backspace, \e 'e').  Returns
 * the span, with the code point in *cp or -1 in *cp for "nothing".
 */
static size_t
js_escape(const unsigned char *u, size_t n, long *cp, unsigned *flags)
{
    static const char from[] = "bfnrtv", to[] = "\b\f\n\r\t\v";
    const char *e;
    uint32_t v = 0, lo;
    size_t span, span2, i;
    int d;

    switch (u[0]) {
    case 'x':
        if (n >= 3 && (d = bn_hex_value(u[1])) != -1 && bn_hex_value(u[2]) != -1) {
            *cp = d << 4 | bn_hex_value(u[2]);
            return 3;
        }
        break;
    case 'u':
        if ((span = js_u(u, n, &v)) == 0) {
            break;
        }
        if (v >= 0xd800 && v <= 0xdbff && span + 1 < n && u[span] == '\\'
            && (span2 = js_u(u + span + 1, n - span - 1, &lo)) != 0 && lo >= 0xdc00
            && lo <= 0xdfff) {
            *cp = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
            return span + 1 + span2;
        }
        if (is_surrogate(v) || v >= CP_TOO_BIG) {
            *flags |= BN_WAF_F_BAD_UTF8;
            v = REPLACEMENT;
        }
        *cp = v;
        return span;
    case '\n':
        *cp = -1;
        return 1;
    case '\r':
        *cp = -1;
        return n >= 2 && u[1] == '\n' ? 2 : 1;
    case 0xe2:
        /* U+2028 and U+2029 end a line in JS, so they continue one too. */
        if (n >= 3 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) {
            *cp = -1;
            return 3;
        }
        break;
    }
    if (n >= 3 && u[0] <= '3' && is_octal(u[0]) && is_octal(u[1]) && is_octal(u[2])
        && (n == 3 || bn_hex_value(u[3]) == -1)) {
        *cp = (u[0] - '0') << 6 | (u[1] - '0') << 3 | (u[2] - '0');
        return 3;
    }
    for (i = 0; i < n && i < 6 && (d = bn_hex_value(u[i])) != -1; i++) {
        v = v << 4 | (uint32_t) d;
    }
    if (i >= 2 || (i == 1 && n > 1 && is_css_space(u[1]))) {
        span = i;
        if (span < n && is_css_space(u[span])) {
            span += u[span] == '\r' && span + 1 < n && u[span + 1] == '\n' ? 2 : 1;
        }
        if (is_surrogate(v) || v >= CP_TOO_BIG) {
            *flags |= BN_WAF_F_BAD_UTF8;
            v = REPLACEMENT;
        }
        *cp = v;
        return span;
    }
    if (is_octal(u[0])) {
        *cp = u[0] - '0';
    } else if ((e = memchr(from, u[0], sizeof(from) - 1)) != NULL) {
        *cp = to[e - from];
    } else if (u[0] < 0x80) {
        *cp = u[0];
    } else {
        /* A non-ASCII character stands for itself too: drop the backslash
         * and let the next step copy its bytes. */
        *cp = -1;
        return 0;
    }
    return 1;
}

static size_t
t_js(const char *in, size_t n, char *out, unsigned *flags)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, span;
    long cp;

    while (i < n) {
        if (u[i] != '\\' || i + 1 == n) {
            out[o++] = in[i++];
            continue;
        }
        span = js_escape(u + i + 1, n - i - 1, &cp, flags);
        i += 1 + span;
        if (cp >= 0) {
            o += bn_utf8_encode((uint32_t) cp, out + o);
        }
    }
    return o;
}

/* Look-alikes that a backend's own normalisation (NFKC, Windows' best-fit
 * code pages, SQL Server's collations) or a careless reader turns into
 * the ASCII that matters to a payload; 0 removes the character (zero-width
 * ones hide keywords: sel\u200bect).  Sorted for the binary search.  The
 * fullwidth forms U+FF01-U+FF5E and U+3000 are handled by range. */
static const struct {
    uint32_t cp;
    char to;
} lookalikes[] = {
    { 0x00a0, ' ' },  /* no-break space */
    { 0x00a5, '\\' }, /* yen sign: a backslash in Shift_JIS best fit */
    { 0x00ad, 0 },    /* soft hyphen */
    { 0x02b9, '\'' }, { 0x02ba, '"' },  { 0x02bc, '\'' }, { 0x02c2, '<' },  { 0x02c3, '>' },
    { 0x02c4, '^' },  { 0x02c6, '^' },  { 0x02c8, '\'' }, { 0x02cb, '`' },  { 0x02cd, '_' },
    { 0x02d0, ':' },  { 0x02dc, '~' },  { 0x2000, ' ' },  { 0x2001, ' ' },  { 0x2002, ' ' },
    { 0x2003, ' ' },  { 0x2004, ' ' },  { 0x2005, ' ' },  { 0x2006, ' ' },  { 0x2007, ' ' },
    { 0x2008, ' ' },  { 0x2009, ' ' },  { 0x200a, ' ' },  { 0x200b, 0 },    { 0x200c, 0 },
    { 0x200d, 0 },    { 0x2010, '-' },  { 0x2011, '-' },  { 0x2012, '-' },  { 0x2013, '-' },
    { 0x2014, '-' },  { 0x2018, '\'' }, { 0x2019, '\'' }, { 0x201a, ',' },  { 0x201b, '\'' },
    { 0x201c, '"' },  { 0x201d, '"' },  { 0x201e, '"' },  { 0x201f, '"' },  { 0x2024, '.' },
    { 0x2028, '\n' }, { 0x2029, '\n' }, { 0x202f, ' ' },  { 0x2032, '\'' }, { 0x2033, '"' },
    { 0x2035, '`' },  { 0x2039, '<' },  { 0x203a, '>' },  { 0x2044, '/' },  { 0x204e, '*' },
    { 0x205f, ' ' },  { 0x2060, 0 },    { 0x20a9, '\\' }, { 0x2212, '-' },  { 0x2215, '/' },
    { 0x2216, '\\' }, { 0x2217, '*' },  { 0x2223, '|' },  { 0x2236, ':' },  { 0x223c, '~' },
    { 0x2329, '<' },  { 0x232a, '>' },  { 0x27e8, '<' },  { 0x27e9, '>' },  { 0x29f5, '\\' },
    { 0x29f8, '/' },  { 0x3008, '<' },  { 0x3009, '>' },  { 0xfe50, ',' },  { 0xfe52, '.' },
    { 0xfe54, ';' },  { 0xfe55, ':' },  { 0xfe56, '?' },  { 0xfe57, '!' },  { 0xfe59, '(' },
    { 0xfe5a, ')' },  { 0xfe5b, '{' },  { 0xfe5c, '}' },  { 0xfe5f, '#' },  { 0xfe60, '&' },
    { 0xfe61, '*' },  { 0xfe62, '+' },  { 0xfe63, '-' },  { 0xfe64, '<' },  { 0xfe65, '>' },
    { 0xfe66, '=' },  { 0xfe68, '\\' }, { 0xfe69, '$' },  { 0xfe6a, '%' },  { 0xfe6b, '@' },
    { 0xfeff, 0 },
};

/* The ASCII byte cp stands for, 0 to drop it, or -1 to keep it. */
static int
lookalike(uint32_t cp)
{
    size_t lo = 0, hi = BN_NELEMS(lookalikes), mid;

    if (cp >= 0xff01 && cp <= 0xff5e) {
        return (int) (cp - 0xff01 + 0x21);
    }
    if (cp == 0x3000) {
        return ' ';
    }
    while (lo < hi) {
        mid = (lo + hi) / 2;
        if (lookalikes[mid].cp == cp) {
            return lookalikes[mid].to;
        }
        if (lookalikes[mid].cp < cp) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

static size_t
t_unicode(const char *in, size_t n, char *out, unsigned *flags)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, len;
    uint32_t cp;
    int to;

    while (i < n) {
        if (u[i] < 0x80) {
            out[o++] = in[i++];
            continue;
        }
        len = utf8_decode(u + i, n - i, &cp);
        if (len == 0) {
            /* Kept as they are: the flag lets the engine refuse them, and
             * a rule still sees the bytes the backend would get. */
            if ((len = overlong_len(u + i, n - i)) != 0) {
                *flags |= BN_WAF_F_OVERLONG;
            } else {
                *flags |= BN_WAF_F_BAD_UTF8;
                len = 1;
            }
            memcpy(out + o, in + i, len);
            o += len;
            i += len;
            continue;
        }
        to = lookalike(cp);
        if (to == -1) {
            memcpy(out + o, in + i, len);
            o += len;
        } else if (to != 0) {
            out[o++] = (char) to;
        }
        i += len;
    }
    return o;
}

static size_t
t_lower(const char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char) (in[i] | 0x20) : in[i];
    }
    return n;
}

/* The length of the whitespace character at u: space \t \n \v \f \r or
 * U+00A0 in UTF-8; 0 for anything else. */
static size_t
space_len(const unsigned char *u, size_t n)
{
    if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r')) {
        return 1;
    }
    return n >= 2 && u[0] == 0xc2 && u[1] == 0xa0 ? 2 : 0;
}

static size_t
t_space(const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, len;
    bool run = false;

    while (i < n) {
        if ((len = space_len(u + i, n - i)) != 0) {
            if (!run) {
                out[o++] = ' ';
            }
            run = true;
            i += len;
            continue;
        }
        run = false;
        out[o++] = in[i++];
    }
    return o;
}

/*
 * "--" starts a comment in every SQL dialect when a space or a control
 * character (or the end) follows; MySQL needs that, so "1--x" is not one
 * and a payload after "--'" must stay visible.  "#" is MySQL's.  Both run
 * to the end of the line, whose line break is kept.  MySQL runs what is in
 * "/ *! ... * /" (and MariaDB in "/ *M! ... * /") when its server is at
 * least the 5 or 6 digit version that may follow the '!': the content
 * stays, without the version.
 */
static size_t
t_sqlcomment(const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, j, d;
    bool exec = false;

    while (i < n) {
        if (u[i] == '/' && i + 1 < n && u[i + 1] == '*') {
            j = 0;
            if (!exec && i + 2 < n && u[i + 2] == '!') {
                j = i + 3;
            } else if (!exec && i + 3 < n && u[i + 2] == 'M' && u[i + 3] == '!') {
                j = i + 4;
            }
            if (j != 0) {
                for (d = 0; j + d < n && d < 6 && u[j + d] >= '0' && u[j + d] <= '9'; d++) {
                }
                /* Five digits are a version, and so are six; a longer run is
                 * a five-digit version and a number. */
                if (d == 6 && (j + 6 == n || u[j + 6] < '0' || u[j + 6] > '9')) {
                    i = j + 6;
                } else {
                    i = d >= 5 ? j + 5 : j;
                }
                out[o++] = ' ';
                exec = true;
                continue;
            }
            for (j = i + 2; j + 1 < n && !(u[j] == '*' && u[j + 1] == '/'); j++) {
            }
            i = j + 1 < n ? j + 2 : n;
            out[o++] = ' ';
            continue;
        }
        if (exec && u[i] == '*' && i + 1 < n && u[i + 1] == '/') {
            i += 2;
            out[o++] = ' ';
            exec = false;
            continue;
        }
        if ((u[i] == '-' && i + 1 < n && u[i + 1] == '-' && (i + 2 == n || u[i + 2] <= ' '))
            || u[i] == '#') {
            while (i < n && u[i] != '\n') {
                i++;
            }
            out[o++] = ' ';
            continue;
        }
        out[o++] = in[i++];
    }
    return o;
}

static bool
is_sep(unsigned char c)
{
    return c == '/' || c == '\\';
}

/* 1 for a "." segment, 2 for "..", 0 for any other; a ";" and what follows
 * it are ignored (Tomcat reads "/..;x/" as "/../"). */
static int
dot_segment(const unsigned char *s, size_t len)
{
    const unsigned char *semi = memchr(s, ';', len);

    if (semi != NULL) {
        len = (size_t) (semi - s);
    }
    if (len == 1 && s[0] == '.') {
        return 1;
    }
    return len == 2 && s[0] == '.' && s[1] == '.' ? 2 : 0;
}

/*
 * Segments are copied, each followed by '/' when a separator followed it;
 * "." is dropped, ".." drops the last segment copied.  One that cannot
 * (at the start, or after other such "..") is copied, and `floor` marks
 * the end of those: "/a/../../etc" reads "/../etc", so a rule still sees
 * the traversal.
 */
static size_t
t_path(const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i = 0, o = 0, floor = 0, s;

    if (n > 0 && is_sep(u[0])) {
        out[o++] = '/';
        floor = 1;
    }
    while (i < n) {
        while (i < n && is_sep(u[i])) {
            i++;
        }
        if (i == n) {
            break;
        }
        for (s = i; i < n && !is_sep(u[i]); i++) {
        }
        switch (dot_segment(u + s, i - s)) {
        case 1:
            continue;
        case 2:
            if (o > floor) {
                /* out ends with the '/' after the segment to drop. */
                for (o--; o > floor && out[o - 1] != '/'; o--) {
                }
                continue;
            }
            memcpy(out + o, in + s, i - s);
            o += i - s;
            if (i < n) {
                out[o++] = '/';
            }
            floor = o;
            continue;
        }
        memcpy(out + o, in + s, i - s);
        o += i - s;
        if (i < n) {
            out[o++] = '/';
        }
    }
    return o;
}

static size_t
t_nul(const char *in, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (in[i] != '\0') {
            out[o++] = in[i];
        }
    }
    return o;
}

size_t
bn_waf_transform(bn_waf_transform_t t, const char *in, size_t n, char *out, unsigned *flags)
{
    size_t len = 0;

    if (n == 0) {
        return 0;
    }
    switch (t) {
    case BN_WAF_T_URL:
        len = t_url(in, n, out, flags);
        break;
    case BN_WAF_T_HTML:
        len = t_html(in, n, out, flags);
        break;
    case BN_WAF_T_JS:
        len = t_js(in, n, out, flags);
        break;
    case BN_WAF_T_UNICODE:
        len = t_unicode(in, n, out, flags);
        break;
    case BN_WAF_T_LOWER:
        len = t_lower(in, n, out);
        break;
    case BN_WAF_T_SPACE:
        len = t_space(in, n, out);
        break;
    case BN_WAF_T_SQLCOMMENT:
        len = t_sqlcomment(in, n, out);
        break;
    case BN_WAF_T_PATH:
        len = t_path(in, n, out);
        break;
    case BN_WAF_T_NUL:
        len = t_nul(in, n, out);
        break;
    default:
        BN_ASSERT((unsigned) t < BN_WAF_NTRANSFORMS);
    }
    BN_ASSERT(len <= n);
    if (memchr(in, '\0', n) != NULL || memchr(out, '\0', len) != NULL) {
        *flags |= BN_WAF_F_NUL;
    }
    if (len != n || memcmp(in, out, n) != 0) {
        *flags |= BN_WAF_F_CHANGED;
    }
    return len;
}

const char *
bn_waf_transform_name(bn_waf_transform_t t)
{
    return (unsigned) t < BN_WAF_NTRANSFORMS ? names[t] : "unknown";
}

int
bn_waf_transform_by_name(const char *name, size_t len)
{
    for (int t = 0; t < BN_WAF_NTRANSFORMS; t++) {
        if (strlen(names[t]) == len && memcmp(names[t], name, len) == 0) {
            return t;
        }
    }
    return BN_ERROR;
}

bool
bn_waf_transform_check_tables(void)
{
    uint32_t cp;
    char u[4];

    for (size_t i = 0; i < BN_NELEMS(entities); i++) {
        if (bn_utf8_encode(entities[i].cp, u) > strlen(entities[i].name) + !entities[i].legacy
            || strlen(entities[i].name) > ENTITY_NAME_MAX
            || (i > 0 && strcmp(entities[i - 1].name, entities[i].name) >= 0)) {
            return false;
        }
    }
    for (size_t i = 0; i < BN_NELEMS(lookalikes); i++) {
        cp = lookalikes[i].cp;
        if (cp < 0x80 || (i > 0 && lookalikes[i - 1].cp >= cp)
            || lookalike(cp) != lookalikes[i].to) {
            return false;
        }
    }
    return true;
}
