/*
 * Unit tests of JWS verification (common/jwt.c) for what needs no outside
 * tool: algorithm names, base64url, the token's form, the header's rules,
 * HS256 (RFC 7515 A.1) and the claims; and JWKS loading errors.  Public-key
 * algorithms and the attacks on them are t/jwt_verify.t's.
 */
#include "../../common/jwt.h"
#include "tap.h"

/* RFC 7515 A.1: the HS256 example and its key. */
#define A1_HEADER "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
#define A1_CLAIMS                                                                                  \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl" \
    "fQ"
#define A1_SIG "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define A1 A1_HEADER "." A1_CLAIMS "." A1_SIG
#define A1_NOW 1300819379
static const char a1_jwks[] =
    "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a1\",\"k\":"
    "\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}]}";

static bn_pool_t *pool;
static bn_jwt_keys_t *keys;

static void
test_algs(void)
{
    static const char *names[] = { "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
                                   "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA" };

    for (int i = 0; i < BN_JWT_NALGS; i++) {
        ok(bn_jwt_alg(names[i]) == i && strcmp(bn_jwt_alg_name(i), names[i]) == 0, "alg %s",
           names[i]);
    }
    ok(bn_jwt_alg("none") == -1 && bn_jwt_alg("None") == -1, "none is no algorithm");
    ok(bn_jwt_alg("rs256") == -1 && bn_jwt_alg("RS256 ") == -1 && bn_jwt_alg("") == -1
           && bn_jwt_alg("EDDSA") == -1 && bn_jwt_alg("ES256K") == -1,
       "names are exact");
    ok(bn_jwt_alg_name(-1) == NULL && bn_jwt_alg_name(BN_JWT_NALGS) == NULL,
       "no name out of range");
}

static void
test_base64url(void)
{
    unsigned char out[64];

    is_int(bn_jwt_base64url_decode("", 0, out), 0, "empty");
    ok(bn_jwt_base64url_decode("Zg", 2, out) == 1 && out[0] == 'f', "Zg: f");
    ok(bn_jwt_base64url_decode("Zm8", 3, out) == 2 && memcmp(out, "fo", 2) == 0, "Zm8: fo");
    ok(bn_jwt_base64url_decode("Zm9v", 4, out) == 3 && memcmp(out, "foo", 3) == 0, "Zm9v: foo");
    ok(bn_jwt_base64url_decode("-_-_", 4, out) == 3 && out[0] == 0xfb && out[1] == 0xff
           && out[2] == 0xbf,
       "- and _ are 62 and 63");
    is_int(bn_jwt_base64url_decode("Zg==", 4, out), -1, "padding refused");
    is_int(bn_jwt_base64url_decode("+/+/", 4, out), -1, "the base64 alphabet's + and / refused");
    is_int(bn_jwt_base64url_decode("Zm 9v", 5, out), -1, "a space refused");
    is_int(bn_jwt_base64url_decode("Zm9vY", 5, out), -1, "a length of 4n+1 refused");
    is_int(bn_jwt_base64url_decode("Zh", 2, out), -1, "non-zero unused bits refused");
    is_int(bn_jwt_base64url_decode("Zm9", 3, out), -1, "non-zero unused bits refused (2 bytes)");
    is_int(bn_jwt_base64url_decode("Zg\0", 3, out), -1, "NUL refused");
}

/* The token text with its header replaced by the base64url of json. */
static const char *
with_header(const char *json)
{
    static char t[1024];
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(json), i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t) (unsigned char) json[i] << 16
                     | (uint32_t) (unsigned char) json[i + 1] << 8 | (unsigned char) json[i + 2];
        t[o++] = tbl[v >> 18];
        t[o++] = tbl[(v >> 12) & 63];
        t[o++] = tbl[(v >> 6) & 63];
        t[o++] = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t) (unsigned char) json[i] << 16;
        t[o++] = tbl[v >> 18];
        t[o++] = tbl[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v =
            (uint32_t) (unsigned char) json[i] << 16 | (uint32_t) (unsigned char) json[i + 1] << 8;
        t[o++] = tbl[v >> 18];
        t[o++] = tbl[(v >> 12) & 63];
        t[o++] = tbl[(v >> 6) & 63];
    }
    snprintf(t + o, sizeof(t) - o, ".%s.%s", A1_CLAIMS, A1_SIG);
    return t;
}

static int
verify(const char *token, size_t len, const bn_jwt_rules_t *rules, int64_t now, const char **why)
{
    bn_jwt_t out;

    *why = "(none)";
    return bn_jwt_verify(pool, token, len ? len : strlen(token), keys, rules, now, &out, why);
}

#define is_why(token, len, rules, now, rc, reason)                                                 \
    do {                                                                                           \
        const char *w_;                                                                            \
        int r_ = verify(token, len, rules, now, &w_);                                              \
        ok(r_ == (rc) && strcmp(w_, reason) == 0, "%s", reason);                                   \
        if (r_ != (rc) || strcmp(w_, reason) != 0) {                                               \
            printf("#   got %d \"%s\"\n", r_, w_);                                                 \
        }                                                                                          \
    } while (0)

static void
test_verify(void)
{
    bn_jwt_rules_t hs = { 1u << BN_JWT_HS256, NULL, NULL, 0, 0 };
    bn_jwt_rules_t rs = { 1u << BN_JWT_RS256, NULL, NULL, 0, 0 };
    const char *auds[] = { "x", "y" };
    bn_jwt_rules_t iss = { 1u << BN_JWT_HS256, "joe", auds, 2, 0 };
    bn_jwt_t out;
    const char *why;
    char err[256], big[BN_JWT_MAX_TOKEN + 2];

    keys = bn_jwt_keys_from_jwks(pool, a1_jwks, sizeof(a1_jwks) - 1, err, sizeof(err));
    ok(keys != NULL && bn_jwt_keys_count(keys) == 1, "the RFC 7515 A.1 key as a JWKS");
    ok(bn_jwt_verify(pool, A1, strlen(A1), keys, &hs, A1_NOW, &out, &why) == BN_OK
           && out.alg == BN_JWT_HS256 && out.kid == NULL && bn_json_get(out.claims, "iss") != NULL
           && strcmp(bn_json_get(out.claims, "iss")->str, "joe") == 0
           && bn_json_get(out.header, "typ") != NULL,
       "RFC 7515 A.1 verifies; the header and claims are kept");
    is_why(A1, 0, &hs, A1_NOW + 1, BN_ERROR, "expired");
    is_why(A1, 0, &rs, A1_NOW, BN_ERROR, "algorithm not allowed");
    is_why(A1 "x", 0, &hs, A1_NOW, BN_ERROR, "bad signature");
    is_why(A1 "xx", 0, &hs, A1_NOW, BN_ERROR, "bad base64url");
    is_why(A1_HEADER "." A1_CLAIMS "."
                     "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
           0, &hs, A1_NOW, BN_ERROR, "bad signature");
    is_why(A1_HEADER "." A1_CLAIMS, 0, &hs, A1_NOW, BN_ERROR, "malformed token");
    is_why(A1_HEADER "." A1_CLAIMS ".", 0, &hs, A1_NOW, BN_ERROR, "malformed token");
    is_why(A1 "." A1_SIG, 0, &hs, A1_NOW, BN_ERROR, "malformed token");
    is_why("." A1_CLAIMS "." A1_SIG, 0, &hs, A1_NOW, BN_ERROR, "malformed token");
    is_why(A1_HEADER ".." A1_SIG, 0, &hs, A1_NOW, BN_ERROR, "malformed token");
    is_why("", 0, &hs, A1_NOW, BN_ERROR, "malformed token");
    is_why(A1 "\n", 0, &hs, A1_NOW, BN_ERROR, "bad base64url");
    is_why(" " A1, 0, &hs, A1_NOW, BN_ERROR, "bad base64url");
    is_why(A1 "=", 0, &hs, A1_NOW, BN_ERROR, "bad base64url");
    is_why(A1_HEADER "." A1_CLAIMS "=." A1_SIG, 0, &hs, A1_NOW, BN_ERROR, "bad base64url");
    is_why(A1_HEADER "." A1_CLAIMS "."
                     "dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk",
           0, &hs, A1_NOW, BN_ERROR, "bad base64url");
    is_why(A1_HEADER "\0." A1_CLAIMS "." A1_SIG, sizeof(A1_HEADER "\0." A1_CLAIMS "." A1_SIG) - 1,
           &hs, A1_NOW, BN_ERROR, "bad base64url");
    memset(big, 'A', sizeof(big));
    is_why(big, BN_JWT_MAX_TOKEN + 1, &hs, A1_NOW, BN_ERROR, "token too large");

    /* The header's rules: these are refused before any signature check. */
    is_why(with_header("{\"alg\":\"none\"}"), 0, &hs, A1_NOW, BN_ERROR, "alg none");
    is_why(with_header("{\"alg\":\"None\"}"), 0, &hs, A1_NOW, BN_ERROR, "alg none");
    is_why(with_header("{\"alg\":\"NONE\"}"), 0, &hs, A1_NOW, BN_ERROR, "alg none");
    is_why(with_header("{\"alg\":\"HS256\\u0000\"}"), 0, &hs, A1_NOW, BN_ERROR,
           "unknown algorithm");
    is_why(with_header("{\"alg\":\"hs256\"}"), 0, &hs, A1_NOW, BN_ERROR, "unknown algorithm");
    is_why(with_header("{\"alg\":\"HS384\"}"), 0, &hs, A1_NOW, BN_ERROR, "algorithm not allowed");
    is_why(with_header("{\"alg\":256}"), 0, &hs, A1_NOW, BN_ERROR, "header has no alg");
    is_why(with_header("{\"typ\":\"JWT\"}"), 0, &hs, A1_NOW, BN_ERROR, "header has no alg");
    is_why(with_header("[\"HS256\"]"), 0, &hs, A1_NOW, BN_ERROR, "header is not an object");
    is_why(with_header("\"HS256\""), 0, &hs, A1_NOW, BN_ERROR, "header is not an object");
    is_why(with_header("{\"alg\":\"HS256\""), 0, &hs, A1_NOW, BN_ERROR, "header is not JSON");
    is_why(with_header("{\"alg\":\"HS256\",\"alg\":\"none\"}"), 0, &hs, A1_NOW, BN_ERROR,
           "header is not JSON");
    is_why(with_header("{\"alg\":\"HS256\",}"), 0, &hs, A1_NOW, BN_ERROR, "header is not JSON");
    is_why(with_header("{\"alg\":\"HS256\",\"x\":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}"), 0, &hs,
           A1_NOW, BN_ERROR, "header is not JSON");
    is_why(with_header("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}"), 0, &hs, A1_NOW,
           BN_ERROR, "crit header");
    is_why(with_header("{\"alg\":\"HS256\",\"crit\":[]}"), 0, &hs, A1_NOW, BN_ERROR, "crit header");
    is_why(with_header("{\"alg\":\"HS256\",\"kid\":7}"), 0, &hs, A1_NOW, BN_ERROR,
           "kid is not a string");
    is_why(with_header("{\"alg\":\"HS256\",\"kid\":\"nope\"}"), 0, &hs, A1_NOW, BN_DECLINED,
           "unknown kid");
    is_why(with_header("{\"alg\":\"HS256\",\"kid\":\"../a1\"}"), 0, &hs, A1_NOW, BN_DECLINED,
           "unknown kid");
    is_why(with_header("{\"alg\":\"HS256\",\"kid\":\"a1\\u0000\"}"), 0, &hs, A1_NOW, BN_DECLINED,
           "unknown kid");
    is_why(with_header("{\"alg\":\"HS256\",\"kid\":\"\"}"), 0, &hs, A1_NOW, BN_DECLINED,
           "unknown kid");
    /* A header that passes: the signature (over another header) does not. */
    is_why(with_header("{\"alg\":\"HS256\",\"kid\":\"a1\"}"), 0, &hs, A1_NOW, BN_ERROR,
           "bad signature");

    /* The claims: A.1's have iss "joe", exp 1300819380, no aud. */
    is_why(A1, 0, &iss, A1_NOW, BN_ERROR, "wrong audience");
    iss.naudience = 0;
    ok(verify(A1, 0, &iss, A1_NOW, &why) == BN_OK, "issuer joe");
    iss.issuer = "jo";
    is_why(A1, 0, &iss, A1_NOW, BN_ERROR, "wrong issuer");
    iss.issuer = "";
    ok(verify(A1, 0, &iss, A1_NOW, &why) == BN_OK, "an empty issuer is not checked");
    iss.leeway = 30;
    ok(verify(A1, 0, &iss, A1_NOW + 30, &why) == BN_OK, "expired 29 s ago, within a leeway of 30");
    is_why(A1, 0, &iss, A1_NOW + 31, BN_ERROR, "expired");

    /* Without a matching key type. */
    keys = bn_jwt_keys_add_secret(pool, NULL, (const unsigned char *) "k", 1);
    ok(keys != NULL && bn_jwt_keys_count(keys) == 1, "a set of one secret");
    is_why(A1, 0, &hs, A1_NOW, BN_ERROR, "bad signature");
    is_why(with_header("{\"alg\":\"RS256\"}"), 0, &rs, A1_NOW, BN_ERROR,
           "no key for the algorithm");
}

static void
test_jwks(void)
{
    static const struct {
        const char *jwks, *err;
        size_t n;
    } cases[] = {
        { "{\"keys\":[]}", NULL, 0 },
        { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"use\":\"enc\"}]}", NULL, 0 },
        { "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", NULL,
          0 },
        { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"},{\"kty\":\"oct\",\"k\":\"AAAA\",\"alg\":"
          "\"HS512\"}]}",
          NULL, 2 },
        { "[]", "JWKS without a \"keys\" array", 0 },
        { "{\"keys\":{}}", "JWKS without a \"keys\" array", 0 },
        { "{\"keys\":[1]}", "keys[0]: not an object", 0 },
        { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"},{\"k\":\"AAAA\",\"kid\":\"b\"}]}",
          "keys[1] (kid \"b\"): no kty", 0 },
        { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA=A\"}]}", "keys[0]: k: not base64url", 0 },
        { "{\"keys\":[{\"kty\":\"oct\"}]}", "keys[0]: k: missing", 0 },
        { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"alg\":\"RS256\"}]}",
          "keys[0]: alg RS256 does not fit kty oct", 0 },
        { "{\"keys\":[{\"kty\":\"DSA\"}]}", "keys[0]: kty \"DSA\" (expected RSA, EC, OKP or oct)",
          0 },
        { "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-192\"}]}",
          "keys[0]: crv is not P-256, P-384 or P-521", 0 },
        { "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
          "keys[0]: not a valid EC public key", 0 },
        { "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"y\":\"AAAA\",\"x\":"
          "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
          "keys[0]: x or y is longer than 32 bytes", 0 },
        { "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}]}",
          "keys[0]: crv is not Ed25519", 0 },
        { "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
          "keys[0]: RSA key of 17 bits (at least 2048 needed)", 0 },
        { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"kid\":1}]}", "keys[0]: kid is not a string",
          0 },
        { "{\"keys\":[],\"keys\":[]}", "JWKS is not JSON: duplicate key at byte 20", 0 },
    };
    char err[256];

    for (size_t i = 0; i < BN_NELEMS(cases); i++) {
        bn_jwt_keys_t *k;

        err[0] = '\0';
        k = bn_jwt_keys_from_jwks(pool, cases[i].jwks, strlen(cases[i].jwks), err, sizeof(err));
        if (cases[i].err == NULL) {
            ok(k != NULL && bn_jwt_keys_count(k) == cases[i].n, "JWKS %zu: %zu keys", i,
               cases[i].n);
        } else {
            ok(k == NULL && strcmp(err, cases[i].err) == 0, "JWKS %zu: %s", i, cases[i].err);
        }
        if ((k == NULL) != (cases[i].err != NULL)
            || (k == NULL && strcmp(err, cases[i].err) != 0)) {
            printf("#   got %s\n", k ? "a set" : err);
        }
    }
    ok(bn_jwt_keys_from_pem(pool, "hello", 5, err, sizeof(err)) == NULL
           && strcmp(err, "neither a JWKS nor a PEM PUBLIC KEY or CERTIFICATE") == 0,
       "neither PEM nor JWKS");
    ok(bn_jwt_keys_load_file(pool, "/nonexistent/keys", err, sizeof(err)) == NULL
           && strcmp(err, "/nonexistent/keys: No such file or directory") == 0,
       "a missing file");
}

int
main(void)
{
    pool = bn_pool_create(4096);
    test_algs();
    test_base64url();
    test_verify();
    test_jwks();
    bn_pool_destroy(pool);
    return done_testing();
}
