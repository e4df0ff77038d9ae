/*
 * libFuzzer target for the chunked decoder, trailers included.  Each input
 * is decoded whole and in slices of a size its first byte picks; the two
 * runs must agree on the outcome, the bytes consumed and the data.  And
 * whatever it accepts is strict framing: every LF outside chunk data
 * follows a CR (a bare LF is where lenient parsers disagree, the root of
 * request smuggling), and every trailer line has a name and a colon.
 *
 *   make fuzz && objs/fuzz_chunked -max_total_time=600 t/fuzz/corpus/chunked
 */
#include "../../common/http_parse.h"

static int
decode(const uint8_t *d, size_t n, size_t step, uint8_t *out, size_t *olen, uint8_t *is_data,
       size_t *used)
{
    bn_http_chunked_t c = { 0 };
    size_t pos = 0, consumed, dlen;
    const char *data;
    int rc = BN_AGAIN;

    *olen = 0;
    while (pos < n && rc != BN_DONE && rc != BN_ERROR) {
        size_t len = n - pos < step ? n - pos : step;
        rc = bn_http_parse_chunked(&c, (const char *) d + pos, len, &consumed, &data, &dlen);
        if (consumed > len || (data != NULL && (data < (const char *) d + pos
                                                || data + dlen > (const char *) d + pos + len))) {
            __builtin_trap();
        }
        if (data != NULL) {
            memcpy(out + *olen, data, dlen);
            *olen += dlen;
            if (is_data != NULL) {
                memset(is_data + (data - (const char *) d), 1, dlen);
            }
        }
        pos += consumed;
    }
    *used = pos;
    return rc;
}

/*
 * The framing of an accepted body, its lines (the bytes that are not chunk
 * data, split at CRLF): every LF ends a CRLF, and once the size line of the
 * last chunk (size 0) is passed, each line up to the empty one that ends
 * the body is a trailer field: a name, then ':'.
 */
static void
check_framing(const uint8_t *d, size_t n, const uint8_t *is_data)
{
    size_t start = 0;
    bool trailers = false;

    for (size_t i = 0; i < n; i++) {
        if (is_data[i]) {
            start = i + 1;
            continue;
        }
        if (d[i] != '\n') {
            continue;
        }
        if (i == 0 || d[i - 1] != '\r' || is_data[i - 1]) {
            __builtin_trap(); /* a bare LF was accepted */
        }
        size_t len = i - 1 - start;
        const uint8_t *line = d + start;
        start = i + 1;
        if (trailers) {
            const uint8_t *colon = memchr(line, ':', len);
            if (len == 0) {
                return;
            }
            if (colon == NULL || colon == line) {
                __builtin_trap(); /* a trailer line that is no field */
            }
        } else if (len > 0) {
            uint64_t size = 0;
            for (size_t k = 0; k < len && bn_http_token_char[line[k]] && line[k] != ';'; k++) {
                size = size * 16 + (uint64_t) (line[k] <= '9' ? line[k] - '0' : (line[k] | 0x20) - 'a' + 10);
            }
            trailers = size == 0;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    uint8_t *a = malloc(n + 1), *b = malloc(n + 1), *is_data = calloc(n + 1, 1);
    size_t alen, blen, aused, bused, step = n > 0 ? (size_t) (d[0] % 7) + 1 : 1;
    int ra, rb;

    if (a == NULL || b == NULL || is_data == NULL) {
        goto done;
    }
    ra = decode(d, n, n ? n : 1, a, &alen, is_data, &aused);
    rb = decode(d, n, step, b, &blen, NULL, &bused);
    if ((ra == BN_DONE) != (rb == BN_DONE) || (ra == BN_ERROR) != (rb == BN_ERROR)) {
        __builtin_trap();
    }
    if (ra == BN_DONE && (aused != bused || alen != blen || memcmp(a, b, alen) != 0)) {
        __builtin_trap();
    }
    if (ra == BN_DONE) {
        check_framing(d, aused, is_data);
    }
done:
    free(a);
    free(b);
    free(is_data);
    return 0;
}
