/*
 * Unit tests of response compression's grammar (common/encoding.c): the
 * Accept-Encoding negotiation of RFC 9110 12.5.3 against a route's
 * algorithms, and the media-type patterns of compress.types.
 */
#include "../../common/bouncer.h"
#include "../../common/encoding.h"
#include "tap.h"

static const uint8_t br_gzip[] = { BN_ENC_BR, BN_ENC_GZIP };
static const uint8_t gzip_br[] = { BN_ENC_GZIP, BN_ENC_BR };
static const uint8_t gzip_only[] = { BN_ENC_GZIP };

static const char *
nego(const char *ae, const uint8_t *algs, size_t n)
{
    return bn_encoding_name(bn_encoding_negotiate(ae, ae != NULL ? strlen(ae) : 0, algs, n));
}

#define NEGO(ae, want, why)                                                                        \
    do {                                                                                           \
        const char *got_ = nego(ae, br_gzip, 2);                                                   \
        ok(strcmp(got_, want) == 0, "\"%s\": %s (%s)", ae != NULL ? ae : "(none)", want, why);     \
        if (strcmp(got_, want) != 0) {                                                             \
            printf("#   got %s\n", got_);                                                          \
        }                                                                                          \
    } while (0)

int
main(void)
{
    static const char *const types[] = { "text/*", "application/json", "image/svg+xml" };
    char big[20000];

    /* The route's order among equal q; the client's q first. */
    NEGO(NULL, "identity", "no Accept-Encoding: nothing was accepted by name");
    NEGO("", "identity", "empty");
    NEGO("gzip", "gzip", "one coding");
    NEGO("br", "br", "the other");
    NEGO("gzip, br", "br", "equal q: the route's order");
    NEGO("gzip, deflate, br, zstd", "br", "curl's list");
    NEGO("br;q=0.5, gzip;q=0.8", "gzip", "higher q wins");
    NEGO("br;q=0.8, gzip;q=0.5", "br", "higher q wins");
    NEGO("gzip;q=1.0, br;q=0.999", "gzip", "1.0 over 0.999");
    NEGO("gzip;q=1.000, br;q=1", "br", "1.000 equals 1");
    NEGO("gzip;q=0.001", "gzip", "the smallest q that accepts");
    ok(strcmp(nego("gzip, br", gzip_br, 2), "gzip") == 0, "the other order: gzip first");
    ok(strcmp(nego("br", gzip_only, 1), "identity") == 0,
       "a route with gzip only, a client with br only");
    ok(strcmp(nego("br, gzip;q=0.1", gzip_only, 1), "gzip") == 0, "gzip only: gzip at any q");

    /* Refusal, identity and "*". */
    NEGO("gzip;q=0", "identity", "q=0 is a refusal");
    NEGO("gzip;q=0.000, br;q=0.0", "identity", "q=0.000 too");
    NEGO("gzip, gzip;q=0", "identity", "listed twice: the refusal holds");
    NEGO("gzip;q=0, gzip", "identity", "in either order");
    NEGO("*", "br", "* accepts every coding");
    NEGO("*;q=0", "identity", "*;q=0 refuses every coding");
    NEGO("*;q=0, gzip", "gzip", "a coding named beside *;q=0");
    NEGO("*, br;q=0", "gzip", "* less a refused one");
    NEGO("*;q=0.5, gzip", "gzip", "named beats *");
    NEGO("identity", "identity", "identity only");
    NEGO("identity;q=0", "identity", "identity refused, nothing else: identity all the same");
    NEGO("gzip;q=0.5, identity", "identity", "identity preferred");
    NEGO("gzip;q=0.5, identity;q=0.5", "gzip", "identity equal: coded");
    NEGO("gzip, identity;q=0", "gzip", "identity refused");
    NEGO("*;q=0.5, gzip;q=0.4", "br", "* gives br its q, over gzip's");

    /* Case, spacing, aliases. */
    NEGO("GZIP", "gzip", "tokens are case-insensitive");
    NEGO("Br", "br", "tokens are case-insensitive");
    NEGO("gzip;Q=0.5", "gzip", "Q in upper case");
    NEGO("  gzip  ;  q=0.5  ,  br ; q = 0.4 ", "gzip", "spaces around everything");
    NEGO("\tbr\t", "br", "tabs");
    NEGO("x-gzip", "gzip", "x-gzip is gzip (RFC 9110 8.4.1.3)");
    NEGO(",,gzip,,", "gzip", "empty list members");

    /* Junk never makes a coding acceptable. */
    NEGO("gzip;q=2", "identity", "q above 1");
    NEGO("gzip;q=1.5", "identity", "1.5");
    NEGO("gzip;q=1.001", "identity", "1.001");
    NEGO("gzip;q=0.5555", "identity", "four decimals");
    NEGO("gzip;q=.5", "identity", "no leading digit");
    NEGO("gzip;q=-1", "identity", "negative");
    NEGO("gzip;q=abc", "identity", "letters");
    NEGO("gzip;q=", "identity", "empty q");
    NEGO("gzip;q", "identity", "no =");
    NEGO("gzip;", "identity", "a bare ;");
    NEGO("gzip;level=9", "identity", "another parameter");
    NEGO("gzip;q=1;x=2", "identity", "a parameter after q");
    NEGO("gz ip", "identity", "a space in a token");
    NEGO("\"gzip\"", "identity", "quoted");
    NEGO("gzip/1", "identity", "a slash");
    NEGO("gzipx, brr, xbr", "identity", "names that only start like ours");
    NEGO("gzip;q=2, br;q=0.5", "br", "a bad member beside a good one");
    NEGO(";;;===,,,", "identity", "punctuation");
    NEGO("\x80\xff gzip", "identity", "high bytes before a token");
    NEGO("\x80\xff, gzip", "gzip", "a high-byte member beside a good one");

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    NEGO(big, "identity", "20000 bytes of one token");
    memcpy(big + sizeof(big) - 7, ", gzip", 6);
    NEGO(big, "gzip", "... and gzip at its end");
    for (size_t i = 0; i + 2 < sizeof(big); i += 2) {
        big[i] = ';';
        big[i + 1] = ',';
    }
    NEGO(big, "identity", "20000 bytes of ; and ,");
    is_int(bn_encoding_negotiate("gzip", 2, br_gzip, 2), BN_ENC_IDENTITY,
           "the length counts, not the NUL: \"gz\"");

    /* Names. */
    is_int(bn_encoding_from_name("gzip"), BN_ENC_GZIP, "gzip is a name");
    is_int(bn_encoding_from_name("br"), BN_ENC_BR, "br is a name");
    is_int(bn_encoding_from_name("deflate"), -1, "deflate is not");
    is_int(bn_encoding_from_name("GZIP"), -1, "config names are exact");

    /* Patterns. */
    ok(bn_encoding_type_valid("text/html"), "text/html is a pattern");
    ok(bn_encoding_type_valid("text/*"), "text/* is a pattern");
    ok(bn_encoding_type_valid("image/svg+xml"), "image/svg+xml is a pattern");
    ok(bn_encoding_type_valid("Application/JSON"), "any case");
    ok(!bn_encoding_type_valid("text"), "text alone is not");
    ok(!bn_encoding_type_valid("text/"), "text/ is not");
    ok(!bn_encoding_type_valid("/html"), "/html is not");
    ok(!bn_encoding_type_valid("*/*"), "*/* is not");
    ok(!bn_encoding_type_valid("*/html"), "*/html is not");
    ok(!bn_encoding_type_valid("text/html; charset=utf-8"), "parameters are not");
    ok(!bn_encoding_type_valid("text/ html"), "spaces are not");
    ok(!bn_encoding_type_valid("text/html/x"), "two slashes are not");
    ok(!bn_encoding_type_valid(""), "empty is not");

    /* Matching a Content-Type. */
#define MATCH(ct, want)                                                                            \
    ok(bn_encoding_type_match(ct, strlen(ct), types, BN_NELEMS(types)) == (want),                  \
       "Content-Type \"%s\" %s", ct, (want) ? "matches" : "does not match")
    MATCH("text/html", true);
    MATCH("text/html; charset=utf-8", true);
    MATCH("TEXT/PLAIN", true);
    MATCH(" text/css", true);
    MATCH("application/json", true);
    MATCH("application/json;charset=utf-8", true);
    MATCH("Application/Json ; charset=utf-8", true);
    MATCH("image/svg+xml", true);
    MATCH("application/jsonx", false);
    MATCH("application/json-patch", false);
    MATCH("image/png", false);
    MATCH("textual/html", false);
    MATCH("text", false);
    MATCH("text/", false);
    MATCH("", false);
    MATCH(";", false);
    MATCH("image/svg", false);
    return done_testing();
}
