/*
 * libFuzzer target for Accept-Encoding negotiation and Content-Type
 * matching (common/encoding.c): whatever the input, the answer is a coding
 * of the route's list or identity, a coding the input refuses outright
 * ("gzip;q=0" in front of it) is never chosen, and nothing reads past the
 * input.
 *
 *   make fuzz && objs/fuzz_encoding -max_total_time=600 t/fuzz/corpus/encoding
 */
#include "../../common/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const uint8_t algs[] = { BN_ENC_BR, BN_ENC_GZIP };
    static const char *const types[] = { "text/*", "application/json" };
    char *v = malloc(n + 32);
    int enc;

    if (v == NULL) {
        return 0;
    }
    /* An exact copy, so that ASan sees any read past it. */
    memcpy(v, d, n);
    enc = bn_encoding_negotiate(v, n, algs, 2);
    if (enc != BN_ENC_IDENTITY && enc != BN_ENC_GZIP && enc != BN_ENC_BR) {
        abort();
    }
    (void) bn_encoding_type_match(v, n, types, 2);
    /* The same list after "gzip;q=0, br;q=0,": nothing may undo those. */
    memcpy(v, "gzip;q=0, br;q=0,", 17);
    memcpy(v + 17, d, n);
    if (bn_encoding_negotiate(v, n + 17, algs, 2) != BN_ENC_IDENTITY) {
        abort();
    }
    free(v);
    return 0;
}
