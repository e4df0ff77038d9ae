/*
 * encoding.c: content-coding names, Accept-Encoding negotiation and the
 * media-type patterns of response compression (encoding.h).
 */
#include "encoding.h"
#include "str.h"

static const char *const names[BN_ENC_COUNT] = { "identity", "gzip", "br" };

const char *
bn_encoding_name(int enc)
{
    return enc > 0 && enc < BN_ENC_COUNT ? names[enc] : names[BN_ENC_IDENTITY];
}

int
bn_encoding_from_name(const char *name)
{
    if (strcmp(name, "gzip") == 0) {
        return BN_ENC_GZIP;
    }
    if (strcmp(name, "br") == 0) {
        return BN_ENC_BR;
    }
    return -1;
}

/* RFC 9110 5.6.2: tchar. */
static bool
tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
 * as thousandths; -1 for anything else ("0.5000", ".5", "2", "1.5").
 */
static int
qvalue(const char *p, size_t n)
{
    int v = 0, scale = 100;

    if (n == 0 || (p[0] != '0' && p[0] != '1')) {
        return -1;
    }
    if (n == 1) {
        return p[0] == '1' ? 1000 : 0;
    }
    if (p[1] != '.' || n > 5) {
        return -1;
    }
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (p[i] < '0' || p[i] > '9' || (p[0] == '1' && p[i] != '0')) {
            return -1;
        }
        v += (p[i] - '0') * scale;
    }
    return p[0] == '1' ? 1000 : v;
}

/*
 * One member of the list, p[0..n) with no comma in it: its coding token in
 * *tok, *tlen and its weight, or -1 when the member does not parse.
 */
static int
member(const char *p, size_t n, const char **tok, size_t *tlen)
{
    const char *end = p + n, *q;

    while (p < end && ows(*p)) {
        p++;
    }
    while (end > p && ows(end[-1])) {
        end--;
    }
    *tok = p;
    while (p < end && tchar((unsigned char) *p)) {
        p++;
    }
    *tlen = (size_t) (p - *tok);
    if (*tlen == 0) {
        return -1;
    }
    while (p < end && ows(*p)) {
        p++;
    }
    if (p == end) {
        return 1000;
    }
    if (*p++ != ';') {
        return -1;
    }
    while (p < end && ows(*p)) {
        p++;
    }
    if (p == end || (*p != 'q' && *p != 'Q')) {
        return -1; /* a parameter other than the weight: not ours to guess */
    }
    p++;
    while (p < end && ows(*p)) {
        p++;
    }
    if (p == end || *p++ != '=') {
        return -1;
    }
    while (p < end && ows(*p)) {
        p++;
    }
    q = p;
    return qvalue(q, (size_t) (end - q));
}

/* A coding listed again keeps its lowest weight: a refusal stays one. */
static void
weigh(int *slot, int q)
{
    *slot = *slot < 0 || q < *slot ? q : *slot;
}

int
bn_encoding_negotiate(const char *v, size_t len, const uint8_t *algs, size_t n)
{
    int q[BN_ENC_COUNT] = { -1, -1, -1 }, star = -1, best = BN_ENC_IDENTITY, bestq = 0, idq;
    const char *end;

    if (v == NULL) {
        return BN_ENC_IDENTITY;
    }
    end = v + len;
    while (v < end) {
        const char *comma = memchr(v, ',', (size_t) (end - v)), *tok;
        size_t mlen = comma != NULL ? (size_t) (comma - v) : (size_t) (end - v), tlen;
        int w = member(v, mlen, &tok, &tlen);

        v += mlen + (comma != NULL);
        if (w < 0) {
            continue;
        }
        if (bn_strncaseeq(tok, tlen, "gzip", 4) || bn_strncaseeq(tok, tlen, "x-gzip", 6)) {
            weigh(&q[BN_ENC_GZIP], w);
        } else if (bn_strncaseeq(tok, tlen, "br", 2)) {
            weigh(&q[BN_ENC_BR], w);
        } else if (bn_strncaseeq(tok, tlen, "identity", 8)) {
            weigh(&q[BN_ENC_IDENTITY], w);
        } else if (tlen == 1 && tok[0] == '*') {
            weigh(&star, w);
        }
    }
    for (size_t i = 0; i < n; i++) {
        int a = algs[i], w;
        if (a <= BN_ENC_IDENTITY || a >= BN_ENC_COUNT) {
            continue;
        }
        w = q[a] >= 0 ? q[a] : star >= 0 ? star : 0;
        if (w > bestq) {
            best = a;
            bestq = w;
        }
    }
    /* Identity is acceptable unless refused (12.5.3); it wins only when
     * the client said, by name or by "*", that it prefers it. */
    idq = q[BN_ENC_IDENTITY] >= 0 ? q[BN_ENC_IDENTITY] : star;
    if (bestq == 0 || idq > bestq) {
        return BN_ENC_IDENTITY;
    }
    return best;
}

/* The length of the token at p (RFC 9110 5.6.2). */
static size_t
token_len(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && tchar((unsigned char) p[i])) {
        i++;
    }
    return i;
}

bool
bn_encoding_type_valid(const char *pattern)
{
    size_t n = strlen(pattern), t = token_len(pattern, n), s;

    if (t == 0 || t == n || pattern[t] != '/' || (t == 1 && pattern[0] == '*')) {
        return false;
    }
    s = token_len(pattern + t + 1, n - t - 1);
    return s > 0 && t + 1 + s == n;
}

bool
bn_encoding_type_match(const char *ct, size_t len, const char *const *patterns, size_t n)
{
    const char *end = ct + len, *slash;
    size_t tl;

    while (ct < end && ows(*ct)) {
        ct++;
    }
    /* The media type, without its parameters (RFC 9110 8.3.1). */
    len = token_len(ct, (size_t) (end - ct));
    if (len == 0 || ct + len == end || ct[len] != '/') {
        return false;
    }
    slash = ct + len;
    tl = len;
    len += 1 + token_len(slash + 1, (size_t) (end - slash - 1));
    if (len == tl + 1) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *p = patterns[i];
        size_t pl = strlen(p);
        if (pl >= 2 && p[pl - 1] == '*' && p[pl - 2] == '/') {
            if (bn_strncaseeq(ct, tl, p, pl - 2)) {
                return true;
            }
        } else if (bn_strncaseeq(ct, len, p, pl)) {
            return true;
        }
    }
    return false;
}

size_t
bn_encoding_state_size(int enc, unsigned level)
{
    /* Brotli's peak, measured through counting allocators on 5 MB of text
     * read in 32 KiB pieces, at lgwin 18, quality 0..11, rounded up: its
     * ring buffer, hash tables that grow with the quality, block buffers.
     * A short body costs less, but not in proportion. */
    static const size_t brotli_kib[12] = { 224,  400,   1500,  1530,  2850,  3420,
                                           4530, 11320, 20320, 41090, 13250, 23390 };
    size_t out = BN_ENCODING_OUT_SIZE + 16;

    if (enc == BN_ENC_GZIP) {
        /* zlib's deflate state: (1 << (windowBits + 2)) + (1 << (memLevel
         * + 9)) and about 6 KiB of struct (zconf.h). */
        return ((size_t) 1 << 17) + ((size_t) 1 << 17) + 6144 + out;
    }
    return brotli_kib[level > 11 ? 11 : level] * 1024 + out;
}
