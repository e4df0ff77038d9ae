/*
 * encoding.h: content codings (RFC 9110 8.4.1) as response compression sees
 * them: the names a route's compress.algorithms may give, the client's
 * Accept-Encoding weighed against them (12.5.3), and the media-type
 * patterns of compress.types.  Pure functions over bytes, so that the
 * negotiation is unit-tested without a server (t/unit/encoding.c).
 */
#ifndef BN_ENCODING_H
#define BN_ENCODING_H

#include "bouncer.h"

/* The output of one encoder step: the largest chunk of a coded body. */
#define BN_ENCODING_OUT_SIZE (16 * 1024)

/* The codings bouncer makes; the values index bn_encoding_name(). */
enum { BN_ENC_IDENTITY = 0, BN_ENC_GZIP, BN_ENC_BR, BN_ENC_COUNT };

/* "gzip", "br", or "identity". */
const char *bn_encoding_name(int enc);

/* The coding a config name stands for (exact, lower case, as written in
 * compress.algorithms): BN_ENC_GZIP, BN_ENC_BR, or -1 for any other. */
int bn_encoding_from_name(const char *name);

/*
 * Which of the codings algs[0..n) (in the route's order of preference)
 * r's Accept-Encoding value v[0..len) lets a response use; v NULL: the
 * request had none.  RFC 9110 12.5.3: a coding is acceptable when it, or
 * else "*", is listed with a qvalue above 0 (no weight is q=1); the
 * highest qvalue wins, and among equal ones the earlier in algs.  Tokens
 * compare case-insensitively; "x-gzip" is gzip (8.4.1.3).  Returns
 * BN_ENC_IDENTITY when none is acceptable, when the request had no
 * Accept-Encoding (no client is sent a coding it did not name), or when
 * identity itself is listed (or "*" counts for it) with a higher qvalue
 * than the best coding.  A member that does not parse (a bad token, a
 * weight that is not a qvalue, any other parameter) counts as not
 * listed, so junk can never make a coding acceptable; a coding listed
 * twice takes the lower of its qvalues, so "q=0" is never undone.
 */
int bn_encoding_negotiate(const char *v, size_t len, const uint8_t *algs, size_t n);

/*
 * Whether pattern is one compress.types accepts: "type/subtype" or
 * "type/" and a star, each part an RFC 9110 token, in any case.
 */
bool bn_encoding_type_valid(const char *pattern);

/*
 * Whether the Content-Type value ct[0..len) (its parameters ignored) is
 * matched by one of patterns[0..n), compared case-insensitively.
 */
bool bn_encoding_type_match(const char *ct, size_t len, const char *const *patterns, size_t n);

/*
 * The most memory one response's encoder of enc at level (Brotli's) is
 * expected to hold with window wbits, output buffer included: what
 * limits.compress_memory is charged when a stream starts
 * (worker/compress.c).  wbits 0: bouncer's largest windows (zlib's
 * windowBits 15 and memLevel 8; Brotli's lgwin 18), the cost of a body of
 * unknown or large length, which `check` compares with the limit.
 */
size_t bn_encoding_state_size(int enc, unsigned level, int wbits);

#endif
