/*
 * libFuzzer target for the request and response head parsers and the
 * chunked decoder.  Each input is parsed whole and again in random-sized
 * slices (from the input's first byte), and the two runs must agree: the
 * parsers are resumable, so how the bytes arrive must never matter.
 *
 *   make fuzz && objs/fuzz_http_parse -max_total_time=600 t/fuzz/corpus/http_parse
 */
#include "../../common/http_parse.h"

static bn_http_header_t hdrs[100];

static int
run_head(int kind, const uint8_t *d, size_t n, size_t step, bn_http_head_t *h)
{
    int rc = BN_AGAIN;
    size_t fed = 0;

    h->headers = hdrs;
    h->max_head = 16384;
    h->max_uri = 8192;
    h->max_headers = 100;
    bn_http_head_init(h, kind);
    while (rc == BN_AGAIN && fed < n) {
        fed = fed + step > n ? n : fed + step;
        rc = bn_http_parse_head(h, (const char *) d, fed);
    }
    return rc;
}

static void
run_chunked(const uint8_t *d, size_t n, size_t step)
{
    bn_http_chunked_t c = { 0 };
    size_t pos = 0, consumed, dlen;
    const char *data;
    int rc = BN_OK;

    while (pos < n && rc != BN_DONE && rc != BN_ERROR) {
        size_t len = n - pos < step ? n - pos : step;
        rc = bn_http_parse_chunked(&c, (const char *) d + pos, len, &consumed, &data, &dlen);
        if (consumed > len || (data != NULL && (data < (const char *) d + pos
                                                || data + dlen > (const char *) d + pos + len))) {
            __builtin_trap();
        }
        pos += consumed;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    bn_http_head_t a, b;
    size_t step = n > 0 ? (size_t) (d[0] % 13) + 1 : 1;

    for (int kind = 0; kind < 2; kind++) {
        int ra = run_head(kind, d, n, n ? n : 1, &a);
        int rb = run_head(kind, d, n, step, &b);
        if (ra != rb || (ra == BN_OK && (a.head_len != b.head_len || a.nheaders != b.nheaders
                                         || a.content_length != b.content_length))
            || (ra == BN_ERROR && a.error != b.error)) {
            __builtin_trap();
        }
        if (ra == BN_OK && a.head_len > n) {
            __builtin_trap();
        }
    }
    run_chunked(d, n, n ? n : 1);
    run_chunked(d, n, step);
    return 0;
}
