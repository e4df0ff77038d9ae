/*
 * Unit tests of the request/response head and chunked parsers, fed whole
 * and one byte at a time (resumability).
 */
#include "../../common/http_parse.h"
#include "tap.h"

static bn_http_header_t hdrs[64];

/* Parses s fed in slices of step bytes; returns the final rc. */
static int
parse(bn_http_head_t *h, int kind, const char *s, size_t step)
{
    size_t len = strlen(s), fed = 0;
    int rc = BN_AGAIN;

    h->headers = hdrs;
    h->max_head = 4096;
    h->max_uri = 1024;
    h->max_headers = 64;
    bn_http_head_init(h, kind);
    while (rc == BN_AGAIN && fed < len) {
        fed = fed + step > len ? len : fed + step;
        rc = bn_http_parse_head(h, s, fed);
    }
    return rc;
}

static int
req_status(const char *s)
{
    bn_http_head_t h;
    int a = parse(&h, BN_HTTP_PARSE_REQUEST, s, 1 << 20);
    int ea = h.error;
    int b = parse(&h, BN_HTTP_PARSE_REQUEST, s, 1);

    if (a != b || (a == BN_ERROR && ea != h.error)) {
        return -1; /* whole and byte-at-a-time must agree */
    }
    return a == BN_OK ? 0 : a == BN_ERROR ? h.error : 1;
}

static void
test_requests(void)
{
    bn_http_head_t h;
    const char *r = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nX-A:  v  \r\n"
                    "Content-Length: 12\r\nConnection: keep-alive, Upgrade\r\n\r\nBODY";

    for (size_t step = 1; step <= 7; step += 3) {
        int rc = parse(&h, BN_HTTP_PARSE_REQUEST, r, step);
        is_int(rc, BN_OK, "request parses, %zu bytes at a time", step);
        ok(h.method_len == 3 && strncmp(r + h.method, "GET", 3) == 0, "method");
        ok(h.target_len == 8 && strncmp(r + h.target, "/a/b?c=d", 8) == 0, "target");
        is_int(h.version, 11, "version");
        is_int(h.nheaders, 4, "four headers");
        ok(h.headers[1].value_len == 1 && r[h.headers[1].value] == 'v', "value trimmed of OWS");
        is_int(h.content_length, 12, "Content-Length");
        ok(h.conn_keepalive && h.conn_upgrade && !h.conn_close, "Connection tokens");
        is_int(h.head_len, strlen(r) - 4, "head length excludes the body");
        is_int(h.host, 0, "Host found");
    }

    is_int(req_status("GET / HTTP/1.0\r\n\r\n"), 0, "HTTP/1.0 without Host is fine");
    is_int(req_status("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0, "leading empty line ignored");
    is_int(req_status("GET / HTTP/1.1\nHost: a\n\n"), 0, "bare LF line endings accepted");
    is_int(req_status("GET / HTTP/1.1\r\n\r\n"), 400, "HTTP/1.1 without Host: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400, "two Host: 400");
    is_int(
        req_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"),
        400, "two Content-Length: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n"), 400,
           "Content-Length list: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"), 400,
           "Content-Length sign: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"),
           400, "Content-Length overflow: 400");
    is_int(
        req_status(
            "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"),
        400, "TE and CL: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501,
           "TE other than chunked: 501");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                      "chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
           501, "duplicated TE: 501");
    is_int(req_status("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
           "TE in HTTP/1.0: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n"), 400,
           "space before the colon: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), 400, "obs-fold: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"), 400, "bare CR: 400");
    is_int(req_status("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\001c\r\n\r\n"), 400,
           "control character in a value: 400");
    is_int(req_status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "two spaces: 400");
    is_int(req_status("GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "'\"' in the target: 400");
    is_int(req_status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bad method: 400");
    is_int(req_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505, "HTTP/2.0 in a head: 505");
    is_int(req_status("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400, "junk version: 400");

    {
        char big[2048];
        memset(big, 'a', sizeof(big));
        memcpy(big, "GET /", 5);
        strcpy(big + 1500, " HTTP/1.1\r\nHost: a\r\n\r\n");
        is_int(req_status(big), 414, "long target: 414");
    }
    {
        char big[8192];
        size_t n = (size_t) snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\n");
        while (n < 5000) {
            n += (size_t) snprintf(big + n, sizeof(big) - n, "X-Pad: %s\r\n",
                                   "0123456789012345678901234567890123456789");
        }
        strcpy(big + n, "\r\n");
        is_int(req_status(big), 431, "head over max_head: 431");
    }
    {
        char many[4096];
        size_t n = (size_t) snprintf(many, sizeof(many), "GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i < 70; i++) {
            n += (size_t) snprintf(many + n, sizeof(many) - n, "X-%d: 1\r\n", i);
        }
        strcpy(many + n, "\r\n");
        is_int(req_status(many), 431, "too many headers: 431");
    }
}

static void
test_responses(void)
{
    bn_http_head_t h;
    int rc;

    rc = parse(&h, BN_HTTP_PARSE_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1);
    ok(rc == BN_OK && h.status == 200 && h.content_length == 5, "response head");
    rc = parse(&h, BN_HTTP_PARSE_RESPONSE, "HTTP/1.0 204\r\n\r\n", 2);
    ok(rc == BN_OK && h.status == 204 && h.version == 10, "status line without reason");
    rc = parse(&h, BN_HTTP_PARSE_RESPONSE,
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 3);
    ok(rc == BN_OK && h.chunked && h.content_length == -1, "response TE overrides CL");
    rc = parse(&h, BN_HTTP_PARSE_RESPONSE, "HTTP/1.1 2x0 OK\r\n\r\n", 1);
    is_int(rc, BN_ERROR, "bad status code");
    rc = parse(&h, BN_HTTP_PARSE_RESPONSE, "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 1);
    is_int(rc, BN_ERROR, "obs-fold in a response");
}

static void
test_chunked(void)
{
    const char *body = "5;ext=1\r\nhello\r\n0A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    char out[64];

    for (size_t step = 1; step <= 9; step += 4) {
        bn_http_chunked_t c = { 0 };
        size_t pos = 0, len = strlen(body), olen = 0, fed;
        int rc = BN_AGAIN;

        while (rc != BN_DONE && rc != BN_ERROR && pos < len) {
            size_t consumed;
            const char *data;
            size_t dlen;
            fed = pos + step > len ? len - pos : step;
            rc = bn_http_parse_chunked(&c, body + pos, fed, &consumed, &data, &dlen);
            memcpy(out + olen, data ? data : "", dlen);
            olen += dlen;
            pos += consumed;
        }
        out[olen] = '\0';
        ok(rc == BN_DONE && strcmp(out, "hello0123456789") == 0 && strcmp(body + pos, "NEXT") == 0,
           "chunked body decoded, %zu bytes at a time", step);
    }

    /* Bare LF anywhere in the framing, and a trailer that is no field
     * line (a request smuggled after the last chunk), are refused. */
    const char *bad[] = { "0x5\r\nhello\r\n0\r\n\r\n", "-5\r\n", " 5\r\n", "5\r\nhelloX\r\n",
                          "fffffffffffffffff\r\n", "5\nhello\r\n", "5\r\nhello\n0\r\n\r\n",
                          "5\r\nhello\r\n0\n\r\n", "0\r\n\nGET /x HTTP/1.1\r\n\r\n",
                          "0\r\nGET /x HTTP/1.1\r\n\r\n", "0\r\nA: b\nC: d\r\n\r\n",
                          "0\r\nA: b\r\n\n", "0\r\n\n", "0\r\n: b\r\n\r\n", "0\r\nA b\r\n\r\n",
                          "5;a\nb\r\nhello\r\n0\r\n\r\n" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bn_http_chunked_t c = { 0 };
        size_t pos = 0, len = strlen(bad[i]), consumed, dlen;
        const char *data;
        int rc = BN_OK;
        while (rc == BN_OK && pos < len) {
            rc = bn_http_parse_chunked(&c, bad[i] + pos, len - pos, &consumed, &data, &dlen);
            pos += consumed;
        }
        is_int(rc, BN_ERROR, "malformed chunked body %zu rejected", i);
    }
}

int
main(void)
{
    test_requests();
    test_responses();
    test_chunked();
    return done_testing();
}
