/*
 * jwt.h: JSON Web Tokens in the JWS compact form (RFC 7515, 7518, 7519,
 * 8037), verified with OpenSSL 3 under the rules of RFC 8725: the algorithm
 * comes from a list the operator allowed, never from the token alone; an
 * HMAC algorithm is checked only with a secret, a public-key algorithm only
 * with a public key of the right type and curve.
 */
#ifndef BN_JWT_H
#define BN_JWT_H

#include "bouncer.h"
#include "json.h"
#include "pool.h"

enum {
    BN_JWT_HS256 = 0,
    BN_JWT_HS384,
    BN_JWT_HS512,
    BN_JWT_RS256,
    BN_JWT_RS384,
    BN_JWT_RS512,
    BN_JWT_PS256,
    BN_JWT_PS384,
    BN_JWT_PS512,
    BN_JWT_ES256,
    BN_JWT_ES384,
    BN_JWT_ES512,
    BN_JWT_EDDSA,
    BN_JWT_NALGS
};

/* "RS256" -> BN_JWT_RS256 (exact case); -1: unknown (and "none"). */
int bn_jwt_alg(const char *name);
/* The name of a BN_JWT_* ("EdDSA" for BN_JWT_EDDSA), or NULL when out of range. */
const char *bn_jwt_alg_name(int alg);

#define BN_JWT_MAX_TOKEN 16384 /* bytes: a longer token is refused unread */
#define BN_JWT_MAX_DEPTH 16    /* of the header's and the claims' JSON */
#define BN_JWT_MAX_FILE (1024 * 1024)

/* Opaque; lives in a pool, its EVP_PKEYs freed by a pool cleanup. */
typedef struct bn_jwt_keys_s bn_jwt_keys_t;

/*
 * A PEM public key file (SPKI "PUBLIC KEY", or an X.509 certificate: its
 * key), or a JWKS file ({"keys":[...]}, kty RSA, EC (P-256, P-384, P-521),
 * OKP (Ed25519) or oct; kid, alg and use honoured: a key whose use is not
 * "sig", or whose alg is not a JWS algorithm known here, is skipped); told
 * apart by content (a JWKS starts with '{').  RSA keys under 2048 bits are
 * refused.  NULL with a reason in err (naming the key's index and kid for a
 * JWKS).
 */
bn_jwt_keys_t *bn_jwt_keys_load_file(bn_pool_t *pool, const char *path, char *err, size_t errlen);
bn_jwt_keys_t *bn_jwt_keys_from_jwks(bn_pool_t *pool, const char *text, size_t len, char *err,
                                     size_t errlen);
/* A PEM text, as bn_jwt_keys_load_file() reads it. */
bn_jwt_keys_t *bn_jwt_keys_from_pem(bn_pool_t *pool, const char *text, size_t len, char *err,
                                    size_t errlen);
/* An HS secret (secret_file's bytes, copied); keys may be NULL: a set with only the secret is made.
 * NULL when the pool is out of memory. */
bn_jwt_keys_t *bn_jwt_keys_add_secret(bn_pool_t *pool, bn_jwt_keys_t *keys, const unsigned char *s,
                                      size_t len);
size_t bn_jwt_keys_count(const bn_jwt_keys_t *keys);

typedef struct {
    unsigned algorithms; /* bit (1u << BN_JWT_*) per allowed algorithm */
    const char *issuer;  /* NULL or "": not checked */
    const char *const *audience;
    size_t naudience; /* 0: not checked; else aud (string or array) must hold one */
    int64_t leeway;   /* seconds, for exp and nbf */
} bn_jwt_rules_t;

typedef struct {
    int alg;
    const char *kid;            /* NULL: none */
    bn_json_t *header, *claims; /* in the pool given to verify */
} bn_jwt_t;

/*
 * BN_OK: valid (signature, alg allowed, exp/nbf/iss/aud).  BN_ERROR: *why a
 * static short reason for the log ("malformed token", "bad base64url",
 * "header is not JSON", "alg none", "algorithm not allowed", "no key for the
 * algorithm", "bad signature", "expired", "not yet valid", "wrong issuer",
 * "wrong audience", ...).  BN_DECLINED: the kid is unknown (the caller may
 * refetch a JWKS and try again; *why is "unknown kid").  A kid holding
 * anything but [A-Za-z0-9._~-] is an unknown kid.  Segments are base64url
 * without padding: '=' is refused, as is any whitespace.
 */
int bn_jwt_verify(bn_pool_t *pool, const char *token, size_t len, const bn_jwt_keys_t *keys,
                  const bn_jwt_rules_t *rules, int64_t now, bn_jwt_t *out, const char **why);

/* RFC 4648 5 without padding, strict (no '=', no whitespace, unused bits zero): the length
 * written to out (room for len * 3 / 4 bytes), or -1. */
ssize_t bn_jwt_base64url_decode(const char *in, size_t len, unsigned char *out);

#endif
