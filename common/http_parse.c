/*
 * http_parse.c: the HTTP/1.x head and chunked parsers.  Each is a
 * byte-at-a-time switch over a state kept in the caller's object, so half a
 * header in one read is the normal case, not a special one.
 */
#include "http_parse.h"

#include <strings.h>

enum {
    S_START = 0,
    S_METHOD,
    S_TARGET,
    S_VERSION,
    S_LINE_LF,
    S_STATUS_VERSION,
    S_STATUS_CODE,
    S_STATUS_REASON,
    S_HEADER_START,
    S_HEADER_NAME,
    S_HEADER_OWS,
    S_HEADER_VALUE,
    S_HEADER_LF,
    S_END_LF,
    S_DONE,
};

/* clang-format off */
#define T 1
const uint8_t bn_http_token_char[256] = {
    ['!'] = T, ['#'] = T, ['$'] = T, ['%'] = T, ['&'] = T, ['\''] = T, ['*'] = T, ['+'] = T,
    ['-'] = T, ['.'] = T, ['^'] = T, ['_'] = T, ['`'] = T, ['|'] = T, ['~'] = T,
    ['0'] = T, ['1'] = T, ['2'] = T, ['3'] = T, ['4'] = T, ['5'] = T, ['6'] = T, ['7'] = T,
    ['8'] = T, ['9'] = T,
    ['A'] = T, ['B'] = T, ['C'] = T, ['D'] = T, ['E'] = T, ['F'] = T, ['G'] = T, ['H'] = T,
    ['I'] = T, ['J'] = T, ['K'] = T, ['L'] = T, ['M'] = T, ['N'] = T, ['O'] = T, ['P'] = T,
    ['Q'] = T, ['R'] = T, ['S'] = T, ['T'] = T, ['U'] = T, ['V'] = T, ['W'] = T, ['X'] = T,
    ['Y'] = T, ['Z'] = T,
    ['a'] = T, ['b'] = T, ['c'] = T, ['d'] = T, ['e'] = T, ['f'] = T, ['g'] = T, ['h'] = T,
    ['i'] = T, ['j'] = T, ['k'] = T, ['l'] = T, ['m'] = T, ['n'] = T, ['o'] = T, ['p'] = T,
    ['q'] = T, ['r'] = T, ['s'] = T, ['t'] = T, ['u'] = T, ['v'] = T, ['w'] = T, ['x'] = T,
    ['y'] = T, ['z'] = T,
};

/*
 * RFC 3986 characters allowed in a request-target: unreserved, gen-delims
 * but '#', sub-delims and '%'.  Anything else ('"', '<', '\\', '{', controls,
 * bytes above 0x7e) is rejected rather than passed to a backend that may
 * read it differently.  '#' above all: no form of request-target has a
 * fragment (RFC 9112 3.2), and a backend that cuts the path there would
 * see another path than the routes matched.
 */
static const uint8_t target_char[256] = {
    ['!'] = T, ['$'] = T, ['%'] = T, ['&'] = T, ['\''] = T, ['('] = T, [')'] = T, ['*'] = T,
    ['+'] = T, [','] = T, ['-'] = T, ['.'] = T, ['/'] = T, [':'] = T, [';'] = T, ['='] = T,
    ['?'] = T, ['@'] = T, ['['] = T, [']'] = T, ['_'] = T, ['~'] = T,
    ['0'] = T, ['1'] = T, ['2'] = T, ['3'] = T, ['4'] = T, ['5'] = T, ['6'] = T, ['7'] = T,
    ['8'] = T, ['9'] = T,
    ['A'] = T, ['B'] = T, ['C'] = T, ['D'] = T, ['E'] = T, ['F'] = T, ['G'] = T, ['H'] = T,
    ['I'] = T, ['J'] = T, ['K'] = T, ['L'] = T, ['M'] = T, ['N'] = T, ['O'] = T, ['P'] = T,
    ['Q'] = T, ['R'] = T, ['S'] = T, ['T'] = T, ['U'] = T, ['V'] = T, ['W'] = T, ['X'] = T,
    ['Y'] = T, ['Z'] = T,
    ['a'] = T, ['b'] = T, ['c'] = T, ['d'] = T, ['e'] = T, ['f'] = T, ['g'] = T, ['h'] = T,
    ['i'] = T, ['j'] = T, ['k'] = T, ['l'] = T, ['m'] = T, ['n'] = T, ['o'] = T, ['p'] = T,
    ['q'] = T, ['r'] = T, ['s'] = T, ['t'] = T, ['u'] = T, ['v'] = T, ['w'] = T, ['x'] = T,
    ['y'] = T, ['z'] = T,
};

/* What a field value may hold (RFC 9110 5.5): visible characters, SP, HTAB
 * and obs-text; not CR, LF, NUL, other controls or DEL. */
#define V16 T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T
static const uint8_t value_char[256] = {
    ['\t'] = T,
    [0x20] = V16, V16, V16, V16, V16, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
    [0x80] = V16, V16, V16, V16, V16, V16, V16, V16,
};
#undef V16
#undef T
/* clang-format on */

void
bn_http_head_init(bn_http_head_t *h, int kind)
{
    bn_http_header_t *headers = h->headers;
    size_t max_head = h->max_head, max_uri = h->max_uri;
    unsigned max_headers = h->max_headers;

    memset(h, 0, sizeof(*h));
    h->kind = kind;
    h->headers = headers;
    h->max_head = max_head;
    h->max_uri = max_uri;
    h->max_headers = max_headers;
    h->state = kind == BN_HTTP_PARSE_REQUEST ? S_START : S_STATUS_VERSION;
    h->content_length = -1;
    h->host = -1;
    h->upgrade = -1;
}

static int
fail(bn_http_head_t *h, int status, const char *reason)
{
    h->error = status;
    h->reason = reason;
    return BN_ERROR;
}

static bool
eq(const char *buf, uint32_t off, uint32_t len, const char *s)
{
    size_t n = strlen(s);
    return len == n && strncasecmp(buf + off, s, n) == 0;
}

/* Connection: a comma-separated list of tokens (RFC 9110 7.6.1). */
static void
parse_connection(bn_http_head_t *h, const char *v, size_t len)
{
    size_t i = 0, s;

    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) {
            i++;
        }
        s = i;
        while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t') {
            i++;
        }
        if (i - s == 5 && strncasecmp(v + s, "close", 5) == 0) {
            h->conn_close = true;
        } else if (i - s == 10 && strncasecmp(v + s, "keep-alive", 10) == 0) {
            h->conn_keepalive = true;
        } else if (i - s == 7 && strncasecmp(v + s, "upgrade", 7) == 0) {
            h->conn_upgrade = true;
        } else if (i > s) {
            h->conn_other = true;
        }
    }
}

/* Called once per complete header line, to gather what framing depends on. */
static int
header_done(bn_http_head_t *h, const char *buf)
{
    bn_http_header_t *hd = &h->headers[h->nheaders - 1];
    const char *v = buf + hd->value;
    uint32_t vl = hd->value_len;

    if (eq(buf, hd->name, hd->name_len, "content-length")) {
        int64_t n = 0;
        /* RFC 9112 6.3: several or invalid lengths are unrecoverable. */
        if (h->content_length != -1) {
            return fail(h, 400, "several Content-Length headers");
        }
        if (vl == 0) {
            return fail(h, 400, "empty Content-Length");
        }
        for (uint32_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9') {
                return fail(h, 400, "invalid Content-Length");
            }
            if (n > (INT64_MAX - 9) / 10) {
                return fail(h, 400, "Content-Length overflows");
            }
            n = n * 10 + (v[i] - '0');
        }
        h->content_length = n;
    } else if (eq(buf, hd->name, hd->name_len, "transfer-encoding")) {
        if (h->chunked || !eq(buf, hd->value, vl, "chunked")) {
            if (h->kind == BN_HTTP_PARSE_RESPONSE) {
                /* A response coding other than chunked is read until close. */
                h->chunked = false;
                h->conn_close = true;
                return BN_OK;
            }
            return fail(h, 501, "unsupported Transfer-Encoding");
        }
        h->chunked = true;
    } else if (eq(buf, hd->name, hd->name_len, "connection")) {
        parse_connection(h, v, vl);
    } else if (eq(buf, hd->name, hd->name_len, "host")) {
        if (h->host != -1 && h->kind == BN_HTTP_PARSE_REQUEST) {
            return fail(h, 400, "several Host headers");
        }
        h->host = (int) h->nheaders - 1;
    } else if (eq(buf, hd->name, hd->name_len, "upgrade")) {
        h->upgrade = (int) h->nheaders - 1;
    } else if (eq(buf, hd->name, hd->name_len, "expect")) {
        if (eq(buf, hd->value, vl, "100-continue")) {
            h->expect_continue = true;
        }
    }
    return BN_OK;
}

/* Checks that need the whole head (RFC 9112 3.2, 6.1, 6.3). */
static int
head_done(bn_http_head_t *h, const char *buf)
{
    (void) buf;
    if (h->kind == BN_HTTP_PARSE_RESPONSE) {
        if (h->chunked && h->content_length != -1) {
            /* RFC 9112 6.3: Transfer-Encoding overrides; never trust both. */
            h->content_length = -1;
        }
        return BN_OK;
    }
    if (h->chunked && h->content_length != -1) {
        return fail(h, 400, "both Transfer-Encoding and Content-Length");
    }
    if (h->chunked && h->version == 10) {
        return fail(h, 400, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (h->version == 11 && h->host == -1) {
        return fail(h, 400, "no Host header");
    }
    return BN_OK;
}

/*
 * From p, skips the bytes that only continue what h's state is reading (a
 * target, a field name, a field value) without the switch, and returns
 * where it stopped: at len, at a limit, or at a byte the state machine must
 * judge.  The bulk of a head goes by here.
 */
static size_t
skip_run(bn_http_head_t *h, const char *buf, size_t p, size_t len)
{
    size_t end = BN_MIN(len, h->max_head);
    const unsigned char *b = (const unsigned char *) buf;

    switch (h->state) {
    case S_TARGET:
        end = BN_MIN(end, (size_t) h->target + h->max_uri);
        while (p < end && target_char[b[p]]) {
            p++;
        }
        break;
    case S_HEADER_NAME:
        while (p < end && bn_http_token_char[b[p]]) {
            p++;
        }
        break;
    case S_HEADER_VALUE:
        while (p < end && value_char[b[p]]) {
            if (b[p] != ' ' && b[p] != '\t') {
                h->value_end = (uint32_t) (p + 1);
            }
            p++;
        }
        break;
    }
    return p;
}

int
bn_http_parse_head(bn_http_head_t *h, const char *buf, size_t len)
{
    size_t p = h->pos;
    unsigned char ch;
    bool req = h->kind == BN_HTTP_PARSE_REQUEST;

    for (; p < len; p++) {
        if ((p = skip_run(h, buf, p, len)) == len) {
            break;
        }
        ch = (unsigned char) buf[p];
        if (p >= h->max_head) {
            h->pos = p;
            /* A head that fills up within its target is a long URI: 414,
             * whichever limit it met first (RFC 9112 3). */
            return h->state == S_TARGET ? fail(h, 414, "request-target too long")
                                        : fail(h, 431, "request head too large");
        }
        switch (h->state) {

        case S_START:
            /* RFC 9112 2.2: ignore empty lines before the request-line. */
            if (ch == '\r' || ch == '\n') {
                break;
            }
            if (!bn_http_token_char[ch]) {
                return fail(h, 400, "invalid method");
            }
            h->method = (uint32_t) p;
            h->state = S_METHOD;
            break;

        case S_METHOD:
            if (ch == ' ') {
                h->method_len = (uint32_t) (p - h->method);
                h->target = (uint32_t) (p + 1);
                h->state = S_TARGET;
            } else if (!bn_http_token_char[ch]) {
                return fail(h, 400, "invalid method");
            }
            break;

        case S_TARGET:
            if (ch == ' ') {
                h->target_len = (uint32_t) (p - h->target);
                if (h->target_len == 0) {
                    return fail(h, 400, "empty request-target");
                }
                h->mark = (uint32_t) (p + 1);
                h->state = S_VERSION;
            } else if (!target_char[ch]) {
                return fail(h, 400, "invalid character in request-target");
            } else if (p - h->target >= h->max_uri) {
                return fail(h, 414, "request-target too long");
            }
            break;

        case S_VERSION:
            if (ch == '\r' || ch == '\n') {
                size_t vl = p - h->mark;
                if (vl != 8 || strncmp(buf + h->mark, "HTTP/1.", 7) != 0) {
                    if (vl == 8 && strncmp(buf + h->mark, "HTTP/", 5) == 0
                        && buf[h->mark + 5] >= '0' && buf[h->mark + 5] <= '9'
                        && buf[h->mark + 6] == '.' && buf[h->mark + 7] >= '0'
                        && buf[h->mark + 7] <= '9') {
                        return fail(h, 505, "unsupported HTTP version");
                    }
                    return fail(h, 400, "invalid HTTP version");
                }
                if (buf[h->mark + 7] == '1') {
                    h->version = 11;
                } else if (buf[h->mark + 7] == '0') {
                    h->version = 10;
                } else {
                    return fail(h, 505, "unsupported HTTP version");
                }
                h->state = ch == '\r' ? S_LINE_LF : S_HEADER_START;
            } else if (ch < 0x21 || ch > 0x7e || p - h->mark >= 8) {
                return fail(h, 400, "invalid HTTP version");
            }
            break;

        case S_STATUS_VERSION:
            /* "HTTP/1.x " */
            if (p < 8) {
                if (ch != (unsigned char) "HTTP/1.x"[p] && !(p == 7 && (ch == '0' || ch == '1'))) {
                    return fail(h, 502, "invalid status line");
                }
                if (p == 7) {
                    h->version = ch == '1' ? 11 : 10;
                }
            } else if (ch != ' ') {
                return fail(h, 502, "invalid status line");
            } else {
                h->state = S_STATUS_CODE;
                h->mark = (uint32_t) (p + 1);
            }
            break;

        case S_STATUS_CODE:
            if (ch >= '0' && ch <= '9' && p - h->mark < 3) {
                h->status = h->status * 10 + (ch - '0');
            } else if (p - h->mark == 3 && (ch == ' ' || ch == '\r' || ch == '\n')) {
                if (h->status < 100) {
                    return fail(h, 502, "invalid status code");
                }
                h->state = ch == ' ' ? S_STATUS_REASON : ch == '\r' ? S_LINE_LF : S_HEADER_START;
            } else {
                return fail(h, 502, "invalid status code");
            }
            break;

        case S_STATUS_REASON:
            if (ch == '\r') {
                h->state = S_LINE_LF;
            } else if (ch == '\n') {
                h->state = S_HEADER_START;
            } else if (ch < 0x20 && ch != '\t') {
                return fail(h, 502, "invalid reason phrase");
            }
            break;

        case S_LINE_LF:
            if (ch != '\n') {
                return fail(h, req ? 400 : 502, "bare CR");
            }
            h->state = S_HEADER_START;
            break;

        case S_HEADER_START:
            if (ch == '\r') {
                h->state = S_END_LF;
                break;
            }
            if (ch == '\n') {
                goto done;
            }
            if (ch == ' ' || ch == '\t') {
                /* RFC 9112 5.2: obs-fold is rejected in requests. */
                return fail(h, req ? 400 : 502, "obsolete line folding");
            }
            if (!bn_http_token_char[ch]) {
                return fail(h, req ? 400 : 502, "invalid header name");
            }
            if (h->nheaders == h->max_headers) {
                return fail(h, req ? 431 : 502, "too many headers");
            }
            h->mark = (uint32_t) p;
            h->state = S_HEADER_NAME;
            break;

        case S_HEADER_NAME:
            if (ch == ':') {
                bn_http_header_t *hd = &h->headers[h->nheaders];
                hd->name = h->mark;
                hd->name_len = (uint32_t) (p - h->mark);
                h->state = S_HEADER_OWS;
            } else if (!bn_http_token_char[ch]) {
                /* RFC 9112 5.1: no whitespace between name and colon. */
                return fail(h, req ? 400 : 502, "invalid header name");
            }
            break;

        case S_HEADER_OWS:
            if (ch == ' ' || ch == '\t') {
                break;
            }
            h->mark2 = (uint32_t) p;
            h->value_end = (uint32_t) p;
            h->state = S_HEADER_VALUE;
            /* fall through */

        case S_HEADER_VALUE:
            if (ch == '\r' || ch == '\n') {
                bn_http_header_t *hd = &h->headers[h->nheaders++];
                hd->value = h->mark2;
                hd->value_len = h->value_end - h->mark2;
                if (header_done(h, buf) != BN_OK) {
                    return BN_ERROR;
                }
                h->state = ch == '\r' ? S_HEADER_LF : S_HEADER_START;
            } else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                return fail(h, req ? 400 : 502, "control character in a header value");
            } else if (ch != ' ' && ch != '\t') {
                h->value_end = (uint32_t) (p + 1);
            }
            break;

        case S_HEADER_LF:
            if (ch != '\n') {
                return fail(h, req ? 400 : 502, "bare CR");
            }
            h->state = S_HEADER_START;
            break;

        case S_END_LF:
            if (ch != '\n') {
                return fail(h, req ? 400 : 502, "bare CR");
            }
            goto done;

        default:
            return fail(h, 500, "parser state");
        }
    }
    h->pos = p;
    return BN_AGAIN;

done:
    h->pos = p + 1;
    h->head_len = p + 1;
    h->state = S_DONE;
    return head_done(h, buf);
}

int
bn_http_find_header(const bn_http_head_t *h, const char *buf, const char *name)
{
    size_t n = strlen(name);

    for (unsigned i = 0; i < h->nheaders; i++) {
        if (h->headers[i].name_len == n && strncasecmp(buf + h->headers[i].name, name, n) == 0) {
            return (int) i;
        }
    }
    return -1;
}

/* ---- chunked ------------------------------------------------------------------ */

enum {
    C_SIZE_START = 0,
    C_SIZE,
    C_EXT,
    C_SIZE_LF,
    C_DATA,
    C_DATA_CR,
    C_DATA_LF,
    C_TRAILER_START,
    C_TRAILER_NAME,
    C_TRAILER,
    C_TRAILER_LF,
    C_END_LF,
    C_DONE,
};

#define CHUNK_EXT_MAX 4096
#define CHUNK_TRAILER_MAX 16384

static int
hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}

int
bn_http_parse_chunked(bn_http_chunked_t *c, const char *p, size_t len, size_t *consumed,
                      const char **data, size_t *dlen)
{
    size_t i = 0;
    unsigned char ch;
    int d;

    *data = NULL;
    *dlen = 0;
    while (i < len) {
        ch = (unsigned char) p[i];
        switch (c->state) {
        case C_SIZE_START:
        case C_SIZE:
            d = hexval(ch);
            if (d >= 0) {
                if (c->size > (UINT64_MAX >> 4)) {
                    goto bad;
                }
                c->size = (c->size << 4) | (uint64_t) d;
                c->state = C_SIZE;
            } else if (c->state == C_SIZE && (ch == ';' || ch == ' ' || ch == '\t')) {
                c->state = C_EXT;
                c->ext_len = 0;
            } else if (c->state == C_SIZE && ch == '\r') {
                c->state = C_SIZE_LF;
            } else {
                goto bad;
            }
            break;
        case C_EXT:
            if (ch == '\r') {
                c->state = C_SIZE_LF;
            } else if ((ch < 0x20 && ch != '\t') || ++c->ext_len > CHUNK_EXT_MAX) {
                goto bad;
            }
            break;
        case C_SIZE_LF:
            if (ch != '\n') {
                goto bad;
            }
            c->state = c->size == 0 ? C_TRAILER_START : C_DATA;
            break;
        case C_DATA: {
            size_t n = len - i;
            if (n > c->size) {
                n = (size_t) c->size;
            }
            c->size -= n;
            if (c->size == 0) {
                c->state = C_DATA_CR;
            }
            *data = p + i;
            *dlen = n;
            *consumed = i + n;
            return BN_OK;
        }
        case C_DATA_CR:
            if (ch != '\r') {
                goto bad;
            }
            c->state = C_DATA_LF;
            break;
        case C_DATA_LF:
            if (ch != '\n') {
                goto bad;
            }
            c->state = C_SIZE_START;
            break;
        case C_TRAILER_START:
            /* RFC 9112 7.1.2: a trailer section is field lines, each a
             * name, ':' and a value, ended by CRLF; anything else (a bare
             * LF above all: a lenient front proxy would end the body
             * there, and what follows would be read as another request
             * by one and as trailers by the other) is refused. */
            if (ch == '\r') {
                c->state = C_END_LF;
                break;
            }
            if (!bn_http_token_char[ch]) {
                goto bad;
            }
            c->state = C_TRAILER_NAME;
            break;
        case C_TRAILER_NAME:
            if (ch == ':') {
                c->state = C_TRAILER;
            } else if (!bn_http_token_char[ch] || ++c->trailer_len > CHUNK_TRAILER_MAX) {
                goto bad;
            }
            break;
        case C_TRAILER:
            /* Trailers are read and dropped. */
            if (ch == '\r') {
                c->state = C_TRAILER_LF;
            } else if ((ch < 0x20 && ch != '\t') || ++c->trailer_len > CHUNK_TRAILER_MAX) {
                goto bad;
            }
            break;
        case C_TRAILER_LF:
            if (ch != '\n') {
                goto bad;
            }
            c->state = C_TRAILER_START;
            break;
        case C_END_LF:
            if (ch != '\n') {
                goto bad;
            }
            c->state = C_DONE;
            *consumed = i + 1;
            return BN_DONE;
        default:
            goto bad;
        }
        i++;
    }
    *consumed = i;
    return BN_AGAIN;

bad:
    *consumed = i;
    return BN_ERROR;
}

/* Bytes of a host name, and of an IPv6 literal (without its brackets). */
static bool
host_name_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
           || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static bool
ipv6_char(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')
           || ch == ':' || ch == '.';
}

int
bn_http_parse_host(const char *s, size_t len, size_t *host_len)
{
    size_t i = 0, digits;
    unsigned port = 0;

    if (len > 0 && s[0] == '[') {
        /* IP-literal: hex digits, colons and, for an embedded IPv4 address,
         * dots; the address itself is checked where it is used, if ever. */
        for (i = 1; i < len && s[i] != ']'; i++) {
            unsigned char ch = (unsigned char) s[i];
            if (!ipv6_char(ch)) {
                return BN_ERROR;
            }
        }
        if (i == len || i == 1) {
            return BN_ERROR;
        }
        i++;
    } else {
        for (; i < len && s[i] != ':'; i++) {
            unsigned char ch = (unsigned char) s[i];
            if (!host_name_char(ch)) {
                return BN_ERROR;
            }
        }
    }
    *host_len = i;
    if (i == len) {
        return BN_OK;
    }
    if (s[i] != ':' || *host_len == 0) {
        return BN_ERROR;
    }
    digits = len - i - 1;
    if (digits > 5) {
        return BN_ERROR;
    }
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return BN_ERROR;
        }
        port = port * 10 + (unsigned) (s[i] - '0');
    }
    return port <= 65535 ? BN_OK : BN_ERROR;
}

static bool
method_in(const char *method, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(method, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool
bn_http_method_safe(const char *method)
{
    static const char *const safe[] = { "GET", "HEAD", "OPTIONS", "TRACE" };

    return method_in(method, safe, BN_NELEMS(safe));
}

bool
bn_http_method_idempotent(const char *method)
{
    static const char *const idempotent[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };

    return method_in(method, idempotent, BN_NELEMS(idempotent));
}
