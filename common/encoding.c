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
bn_encoding_state_size(int enc, unsigned level, int wbits)
{
    /*
     * Brotli's peak in KiB, by window (lgwin 10 to 18) and quality (0 to
     * 11), measured through counting allocators like worker/compress.c's on
     * text fed in 32 KiB pieces, with the size hint bouncer gives, plus 15%:
     * rows 10 to 17 for the lengths that get that window (up to 2^lgwin),
     * row 18 the worst of any length, streamed without a flush (no pause
     * of the upstream).  Its ring buffer, hash tables that grow with the
     * quality (and with a hint of 1 MiB or more, which bouncer therefore
     * does not give), block and output buffers.
     */
    static const uint16_t brotli_kib[9][12] = {
        { 19, 16, 323, 333, 638, 638, 638, 638, 638, 1522, 843, 843 },
        { 19, 31, 344, 351, 656, 656, 656, 656, 656, 1539, 870, 870 },
        { 47, 52, 378, 385, 691, 691, 691, 691, 691, 1575, 923, 1073 },
        { 66, 112, 447, 454, 764, 764, 762, 762, 762, 1645, 1028, 1306 },
        { 195, 213, 622, 629, 910, 909, 903, 903, 903, 1787, 1390, 2014 },
        { 234, 416, 696, 702, 1199, 1197, 1197, 1191, 1191, 2074, 2106, 3431 },
        { 234, 416, 843, 850, 1924, 1919, 1917, 1917, 1911, 2795, 3762, 6412 },
        { 234, 416, 1281, 997, 2277, 2887, 4059, 11159, 20574, 40373, 6927, 12226 },
        { 234, 416, 1575, 1597, 5200, 4693, 5821, 12892, 22355, 43692, 14435, 25033 },
    };
    size_t out = BN_ENCODING_OUT_SIZE + 16;

    if (enc == BN_ENC_GZIP) {
        /* zlib's deflate state: (1 << (windowBits + 2)) + (1 << (memLevel
         * + 9)) and about 6 KiB of struct (zconf.h); memLevel goes down
         * with the window, from 8 at 15. */
        int w = wbits < 9 || wbits > 15 ? 15 : wbits, mem = 8 - (15 - w);
        mem = mem < 1 ? 1 : mem;
        return ((size_t) 1 << (w + 2)) + ((size_t) 1 << (mem + 9)) + 6144 + out;
    }
    if (wbits < 10 || wbits > 18) {
        wbits = 18;
    }
    return (size_t) brotli_kib[wbits - 10][level > 11 ? 11 : level] * 1024 + out;
}
