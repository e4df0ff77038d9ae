/*
 * jwt.c: JWS compact verification (RFC 7515, 7518, 7519, 8037; the rules of
 * RFC 8725) through OpenSSL 3's EVP interfaces.
 */
#include "jwt.h"
#include "str.h"

#include <ctype.h>

#include <fcntl.h>
#include <math.h>
#include <strings.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define KEYS_MAGIC 0x6a776b73U

enum { KTY_OCT, KTY_RSA, KTY_EC, KTY_OKP };

typedef struct {
    int kty;
    int alg;                     /* -1: any that fits the kty */
    int curve;                   /* KTY_EC: the ES alg its curve fits */
    const char *kid;             /* NULL: none */
    EVP_PKEY *pkey;              /* RSA, EC, OKP */
    const unsigned char *secret; /* oct */
    size_t secret_len;
} jwt_key_t;

struct bn_jwt_keys_s {
    unsigned magic;
    jwt_key_t *v;
    size_t n, size;
};

static const struct {
    const char *name;
    int kty;
    const char *md; /* NULL: EdDSA hashes itself */
    size_t ec_size; /* ES: the size of R and of S */
} algs[BN_JWT_NALGS] = {
    { "HS256", KTY_OCT, "SHA256", 0 }, { "HS384", KTY_OCT, "SHA384", 0 },
    { "HS512", KTY_OCT, "SHA512", 0 }, { "RS256", KTY_RSA, "SHA256", 0 },
    { "RS384", KTY_RSA, "SHA384", 0 }, { "RS512", KTY_RSA, "SHA512", 0 },
    { "PS256", KTY_RSA, "SHA256", 0 }, { "PS384", KTY_RSA, "SHA384", 0 },
    { "PS512", KTY_RSA, "SHA512", 0 }, { "ES256", KTY_EC, "SHA256", 32 },
    { "ES384", KTY_EC, "SHA384", 48 }, { "ES512", KTY_EC, "SHA512", 66 },
    { "EdDSA", KTY_OKP, NULL, 0 },
};

int
bn_jwt_alg(const char *name)
{
    for (int i = 0; i < BN_JWT_NALGS; i++) {
        if (strcmp(name, algs[i].name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
bn_jwt_alg_name(int alg)
{
    return alg >= 0 && alg < BN_JWT_NALGS ? algs[alg].name : NULL;
}

/* --- base64url ----------------------------------------------------------- */

ssize_t
bn_jwt_base64url_decode(const char *in, size_t len, unsigned char *out)
{
    size_t n;

    return bn_base64_decode(in, len, out, &n, true) == BN_OK ? (ssize_t) n : -1;
}

/* --- key sets ---------------------------------------------------------------- */

static void
free_pkey(void *data)
{
    EVP_PKEY_free(data);
}

static bn_jwt_keys_t *
keys_new(bn_pool_t *pool)
{
    bn_jwt_keys_t *k = bn_pcalloc(pool, sizeof(*k));

    if (k != NULL) {
        k->magic = KEYS_MAGIC;
    }
    return k;
}

/* A new slot, or NULL when out of memory. */
static jwt_key_t *
keys_add(bn_pool_t *pool, bn_jwt_keys_t *k)
{
    jwt_key_t *v;

    if (k->n == k->size) {
        size_t size = k->size ? k->size * 2 : 4;

        if ((v = bn_palloc(pool, size * sizeof(*v))) == NULL) {
            return NULL;
        }
        if (k->n > 0) {
            memcpy(v, k->v, k->n * sizeof(*v));
        }
        k->v = v;
        k->size = size;
    }
    v = &k->v[k->n++];
    memset(v, 0, sizeof(*v));
    v->alg = -1;
    return v;
}

/*
 * Takes pkey (freed on every path, by the pool once kept) and fills key from
 * it; BN_ERROR with a reason in err for a type or size we do not accept.
 */
static int
key_from_pkey(bn_pool_t *pool, jwt_key_t *key, EVP_PKEY *pkey, char *err, size_t errlen)
{
    char group[64];
    size_t glen;

    if (bn_pool_cleanup_add(pool, free_pkey, pkey) != BN_OK) {
        EVP_PKEY_free(pkey);
        snprintf(err, errlen, "out of memory");
        return BN_ERROR;
    }
    key->pkey = pkey;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        key->kty = KTY_RSA;
        /* RFC 7518 3.3: 2048 bits or larger. */
        if (EVP_PKEY_get_bits(pkey) < 2048) {
            snprintf(err, errlen, "RSA key of %d bits (at least 2048 needed)",
                     EVP_PKEY_get_bits(pkey));
            return BN_ERROR;
        }
        return BN_OK;
    }
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        key->kty = KTY_OKP;
        return BN_OK;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        key->kty = KTY_EC;
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &glen)
            != 1) {
            snprintf(err, errlen, "EC key without a named curve");
            return BN_ERROR;
        }
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            key->curve = BN_JWT_ES256;
        } else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
            key->curve = BN_JWT_ES384;
        } else if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0) {
            key->curve = BN_JWT_ES512;
        } else {
            snprintf(err, errlen, "EC curve %s (expected P-256, P-384 or P-521)", group);
            return BN_ERROR;
        }
        return BN_OK;
    }
    snprintf(err, errlen, "%s key (expected RSA, EC or Ed25519)", EVP_PKEY_get0_type_name(pkey));
    return BN_ERROR;
}

bn_jwt_keys_t *
bn_jwt_keys_from_pem(bn_pool_t *pool, const char *text, size_t len, char *err, size_t errlen)
{
    bn_jwt_keys_t *k = keys_new(pool);
    jwt_key_t *key;
    EVP_PKEY *pkey = NULL;
    X509 *x509;
    BIO *bio;

    if (k == NULL || (key = keys_add(pool, k)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (len > INT_MAX || (bio = BIO_new_mem_buf(text, (int) len)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (memmem(text, len, "-----BEGIN CERTIFICATE-----", 27) != NULL) {
        x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x509 != NULL) {
            pkey = X509_get_pubkey(x509);
            X509_free(x509);
        }
    } else if (memmem(text, len, "-----BEGIN PUBLIC KEY-----", 26) != NULL) {
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    } else {
        BIO_free(bio);
        snprintf(err, errlen, "neither a JWKS nor a PEM PUBLIC KEY or CERTIFICATE");
        return NULL;
    }
    BIO_free(bio);
    if (pkey == NULL) {
        snprintf(err, errlen, "unreadable PEM: %s", ERR_reason_error_string(ERR_get_error()));
        ERR_clear_error();
        return NULL;
    }
    if (key_from_pkey(pool, key, pkey, err, errlen) != BN_OK) {
        return NULL;
    }
    return k;
}

/* A JWK member that must be base64url; the bytes in pool, or NULL. */
static unsigned char *
jwk_bytes(bn_pool_t *pool, const bn_json_t *jwk, const char *name, size_t *n, const char **why)
{
    const bn_json_t *v = bn_json_get(jwk, name);
    unsigned char *b;
    ssize_t r;

    if (v == NULL || v->type != BN_JSON_STRING || v->len == 0) {
        *why = "missing";
        return NULL;
    }
    if ((b = bn_palloc(pool, v->len)) == NULL) {
        *why = "out of memory";
        return NULL;
    }
    if ((r = bn_jwt_base64url_decode(v->str, v->len, b)) <= 0) {
        *why = "not base64url";
        return NULL;
    }
    *n = (size_t) r;
    return b;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            pkey = NULL;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* One JWK into key; BN_DECLINED: skipped (its use or alg is not ours). */
static int
jwk_load(bn_pool_t *pool, jwt_key_t *key, const bn_json_t *jwk, char *err, size_t errlen)
{
    const bn_json_t *kty = bn_json_get(jwk, "kty"), *use = bn_json_get(jwk, "use");
    const bn_json_t *alg = bn_json_get(jwk, "alg"), *kid = bn_json_get(jwk, "kid");
    const bn_json_t *crv = bn_json_get(jwk, "crv");
    unsigned char *a, *b, *pub;
    size_t alen, blen, size;
    const char *why = NULL, *field = NULL;
    OSSL_PARAM_BLD *bld;
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *check;
    int ok;

    if (jwk->type != BN_JSON_OBJECT) {
        snprintf(err, errlen, "not an object");
        return BN_ERROR;
    }
    if (kid != NULL) {
        if (kid->type != BN_JSON_STRING) {
            snprintf(err, errlen, "kid is not a string");
            return BN_ERROR;
        }
        key->kid = kid->str;
    }
    /* RFC 7517 4.2: a key for encryption is not for us. */
    if (use != NULL && (use->type != BN_JSON_STRING || strcmp(use->str, "sig") != 0)) {
        return BN_DECLINED;
    }
    if (alg != NULL) {
        if (alg->type != BN_JSON_STRING) {
            snprintf(err, errlen, "alg is not a string");
            return BN_ERROR;
        }
        if ((key->alg = bn_jwt_alg(alg->str)) == -1) {
            return BN_DECLINED;
        }
    }
    if (kty == NULL || kty->type != BN_JSON_STRING) {
        snprintf(err, errlen, "no kty");
        return BN_ERROR;
    }
    if (strcmp(kty->str, "oct") == 0) {
        key->kty = KTY_OCT;
        if ((key->secret = jwk_bytes(pool, jwk, "k", &key->secret_len, &why)) == NULL) {
            field = "k";
            goto bad;
        }
    } else if (strcmp(kty->str, "RSA") == 0) {
        if ((a = jwk_bytes(pool, jwk, "n", &alen, &why)) == NULL) {
            field = "n";
            goto bad;
        }
        if ((b = jwk_bytes(pool, jwk, "e", &blen, &why)) == NULL) {
            field = "e";
            goto bad;
        }
        if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
            goto oom;
        }
        n = BN_bin2bn(a, (int) alen, NULL);
        e = BN_bin2bn(b, (int) blen, NULL);
        if (n != NULL && e != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1
            && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1) {
            pkey = pkey_fromdata("RSA", bld);
        }
        OSSL_PARAM_BLD_free(bld);
        BN_free(n);
        BN_free(e);
    } else if (strcmp(kty->str, "EC") == 0) {
        static const char *const curves[] = { "P-256", "P-384", "P-521" };
        size_t c;

        for (c = 0; c < BN_NELEMS(curves); c++) {
            if (crv != NULL && crv->type == BN_JSON_STRING && strcmp(crv->str, curves[c]) == 0) {
                break;
            }
        }
        if (c == BN_NELEMS(curves)) {
            snprintf(err, errlen, "crv is not P-256, P-384 or P-521");
            return BN_ERROR;
        }
        size = algs[BN_JWT_ES256 + c].ec_size;
        if ((a = jwk_bytes(pool, jwk, "x", &alen, &why)) == NULL) {
            field = "x";
            goto bad;
        }
        if ((b = jwk_bytes(pool, jwk, "y", &blen, &why)) == NULL) {
            field = "y";
            goto bad;
        }
        /* RFC 7518 6.2.1.2 wants x and y at the full size of the curve's
         * field, but some writers drop leading zero bytes (P-521's first
         * byte is often 0): shorter ones are padded, the point is checked
         * on the curve below either way. */
        if (alen > size || blen > size) {
            snprintf(err, errlen, "x or y is longer than %zu bytes", size);
            return BN_ERROR;
        }
        if ((pub = bn_pcalloc(pool, 1 + 2 * size)) == NULL
            || (bld = OSSL_PARAM_BLD_new()) == NULL) {
            goto oom;
        }
        pub[0] = 0x04; /* SEC 1 2.3.3: uncompressed */
        memcpy(pub + 1 + size - alen, a, alen);
        memcpy(pub + 1 + 2 * size - blen, b, blen);
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curves[c], 0) == 1
            && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * size)
                   == 1) {
            pkey = pkey_fromdata("EC", bld);
        }
        OSSL_PARAM_BLD_free(bld);
    } else if (strcmp(kty->str, "OKP") == 0) {
        if (crv == NULL || crv->type != BN_JSON_STRING || strcmp(crv->str, "Ed25519") != 0) {
            snprintf(err, errlen, "crv is not Ed25519");
            return BN_ERROR;
        }
        if ((a = jwk_bytes(pool, jwk, "x", &alen, &why)) == NULL) {
            field = "x";
            goto bad;
        }
        if (alen != 32) {
            snprintf(err, errlen, "x is not 32 bytes");
            return BN_ERROR;
        }
        pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, a, alen);
    } else {
        snprintf(err, errlen, "kty \"%s\" (expected RSA, EC, OKP or oct)", kty->str);
        return BN_ERROR;
    }

    if (strcmp(kty->str, "oct") != 0) {
        if (pkey == NULL) {
            ERR_clear_error();
            snprintf(err, errlen, "not a valid %s public key", kty->str);
            return BN_ERROR;
        }
        if (key_from_pkey(pool, key, pkey, err, errlen) != BN_OK) {
            return BN_ERROR;
        }
        /* The point must be on the curve (and the like for the other types). */
        check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        ok = check != NULL && EVP_PKEY_public_check(check) == 1;
        EVP_PKEY_CTX_free(check);
        if (!ok) {
            ERR_clear_error();
            snprintf(err, errlen, "not a valid %s public key", kty->str);
            return BN_ERROR;
        }
    }
    if (key->alg != -1 && algs[key->alg].kty != key->kty) {
        snprintf(err, errlen, "alg %s does not fit kty %s", algs[key->alg].name, kty->str);
        return BN_ERROR;
    }
    if (key->alg != -1 && key->kty == KTY_EC && key->alg != key->curve) {
        snprintf(err, errlen, "alg %s does not fit crv %s", algs[key->alg].name, crv->str);
        return BN_ERROR;
    }
    return BN_OK;

bad:
    snprintf(err, errlen, "%s: %s", field, why);
    return BN_ERROR;
oom:
    snprintf(err, errlen, "out of memory");
    return BN_ERROR;
}

bn_jwt_keys_t *
bn_jwt_keys_from_jwks(bn_pool_t *pool, const char *text, size_t len, char *err, size_t errlen)
{
    bn_json_limits_t lim = { 8, BN_JWT_MAX_FILE };
    const bn_json_t *set, *keys, *jwk;
    bn_jwt_keys_t *k = keys_new(pool);
    const char *why;
    size_t off, i;
    jwt_key_t *key;
    char e[200];
    int rc;

    if (k == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if ((set = bn_json_parse(pool, text, len, &lim, &why, &off)) == NULL) {
        snprintf(err, errlen, "JWKS is not JSON: %s at byte %zu", why, off);
        return NULL;
    }
    keys = bn_json_get(set, "keys");
    if (keys == NULL || keys->type != BN_JSON_ARRAY) {
        snprintf(err, errlen, "JWKS without a \"keys\" array");
        return NULL;
    }
    for (i = 0, jwk = keys->child; jwk != NULL; i++, jwk = jwk->next) {
        if ((key = keys_add(pool, k)) == NULL) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        e[0] = '\0';
        rc = jwk_load(pool, key, jwk, e, sizeof(e));
        if (rc == BN_ERROR) {
            if (key->kid != NULL) {
                snprintf(err, errlen, "keys[%zu] (kid \"%s\"): %s", i, key->kid, e);
            } else {
                snprintf(err, errlen, "keys[%zu]: %s", i, e);
            }
            return NULL;
        }
        if (rc == BN_DECLINED) {
            k->n--;
        }
    }
    return k;
}

bn_jwt_keys_t *
bn_jwt_keys_load_file(bn_pool_t *pool, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len = 0, i;
    ssize_t r;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((text = bn_palloc(pool, BN_JWT_MAX_FILE + 1)) == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (len <= BN_JWT_MAX_FILE && (r = read(fd, text + len, BN_JWT_MAX_FILE + 1 - len)) != 0) {
        if (r == -1) {
            if (errno == EINTR) {
                continue;
            }
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return NULL;
        }
        len += (size_t) r;
    }
    close(fd);
    if (len > BN_JWT_MAX_FILE) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, BN_JWT_MAX_FILE);
        return NULL;
    }
    text[len] = '\0';
    for (i = 0; i < len && strchr(" \t\r\n", text[i]) != NULL; i++) {
        continue;
    }
    if (i < len && text[i] == '{') {
        return bn_jwt_keys_from_jwks(pool, text, len, err, errlen);
    }
    return bn_jwt_keys_from_pem(pool, text, len, err, errlen);
}

bn_jwt_keys_t *
bn_jwt_keys_add_secret(bn_pool_t *pool, bn_jwt_keys_t *keys, const unsigned char *s, size_t len)
{
    jwt_key_t *key;
    unsigned char *copy;

    if (keys == NULL && (keys = keys_new(pool)) == NULL) {
        return NULL;
    }
    BN_CHECK_OBJ(keys, KEYS_MAGIC);
    if ((copy = bn_palloc(pool, len ? len : 1)) == NULL || (key = keys_add(pool, keys)) == NULL) {
        return NULL;
    }
    memcpy(copy, s, len);
    key->kty = KTY_OCT;
    key->secret = copy;
    key->secret_len = len;
    return keys;
}

size_t
bn_jwt_keys_count(const bn_jwt_keys_t *keys)
{
    BN_CHECK_OBJ(keys, KEYS_MAGIC);
    return keys->n;
}

/* --- verification ---------------------------------------------------------- */

static EVP_MAC *hmac; /* fetched once: OpenSSL 3 looks names up under locks */

static bool
verify_hmac(int alg, const jwt_key_t *key, const char *input, size_t ilen, const unsigned char *sig,
            size_t slen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;
    size_t mdlen = 0;
    bool ok;

    if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
        return false;
    }
    if ((ctx = EVP_MAC_CTX_new(hmac)) == NULL) {
        return false;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) algs[alg].md, 0);
    params[1] = OSSL_PARAM_construct_end();
    /* An empty secret still goes through: EVP_MAC_init wants a non-NULL key. */
    ok = EVP_MAC_init(ctx, key->secret_len ? key->secret : (const unsigned char *) "",
                      key->secret_len, params)
             == 1
         && EVP_MAC_update(ctx, (const unsigned char *) input, ilen) == 1
         && EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1;
    EVP_MAC_CTX_free(ctx);
    return ok && mdlen == slen && CRYPTO_memcmp(md, sig, slen) == 0;
}

/* RFC 7518 3.4: R || S, each the curve's size, into the DER that EVP wants. */
static unsigned char *
ecdsa_der(bn_pool_t *pool, int alg, const unsigned char *sig, size_t slen, size_t *dlen)
{
    size_t size = algs[alg].ec_size;
    ECDSA_SIG *es;
    BIGNUM *r, *s;
    unsigned char *der = NULL, *p;
    int n;

    if (slen != 2 * size || (es = ECDSA_SIG_new()) == NULL) {
        return NULL;
    }
    r = BN_bin2bn(sig, (int) size, NULL);
    s = BN_bin2bn(sig + size, (int) size, NULL);
    if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return NULL;
    }
    n = i2d_ECDSA_SIG(es, NULL);
    if (n > 0 && (der = bn_palloc(pool, (size_t) n)) != NULL) {
        p = der;
        *dlen = (size_t) i2d_ECDSA_SIG(es, &p);
    }
    ECDSA_SIG_free(es);
    return der;
}

static bool
verify_pkey(bn_pool_t *pool, int alg, const jwt_key_t *key, const char *input, size_t ilen,
            const unsigned char *sig, size_t slen)
{
    EVP_MD_CTX *ctx;
    EVP_PKEY_CTX *pctx = NULL;
    const unsigned char *s = sig;
    size_t n = slen;
    bool ok = false;

    if (algs[alg].kty == KTY_EC && (s = ecdsa_der(pool, alg, sig, slen, &n)) == NULL) {
        return false;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL) {
        return false;
    }
    if (EVP_DigestVerifyInit_ex(ctx, &pctx, algs[alg].md, NULL, NULL, key->pkey, NULL) == 1) {
        ok = true;
        if (alg >= BN_JWT_PS256 && alg <= BN_JWT_PS512) {
            /* RFC 7518 3.5: MGF1 with the same hash, a salt as long as the hash. */
            ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
                 && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
        }
        ok = ok && EVP_DigestVerify(ctx, s, n, (const unsigned char *) input, ilen) == 1;
    }
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* Whether key may check a token of alg: RFC 8725 3.1, never across types. */
static bool
key_fits(const jwt_key_t *key, int alg)
{
    if (key->kty != algs[alg].kty || (key->alg != -1 && key->alg != alg)) {
        return false;
    }
    return key->kty != KTY_EC || key->curve == alg;
}

static bool
kid_ok(const bn_json_t *kid)
{
    if (kid->len == 0) {
        return false;
    }
    for (size_t i = 0; i < kid->len; i++) {
        unsigned char c = (unsigned char) kid->str[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
              || c == '_' || c == '~' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* A segment's JSON; NULL with *why "bad base64url" or not_json. */
static bn_json_t *
decode_json(bn_pool_t *pool, const char *seg, size_t len, const char *not_json, const char **why)
{
    bn_json_limits_t lim = { BN_JWT_MAX_DEPTH, BN_JWT_MAX_TOKEN };
    unsigned char *raw = bn_palloc(pool, len + 1);
    const char *err;
    ssize_t n;

    if (raw == NULL) {
        *why = "out of memory";
        return NULL;
    }
    if ((n = bn_jwt_base64url_decode(seg, len, raw)) == -1) {
        *why = "bad base64url";
        return NULL;
    }
    *why = not_json;
    return bn_json_parse(pool, (const char *) raw, (size_t) n, &lim, &err, NULL);
}

static bool
str_is(const bn_json_t *v, const char *s)
{
    size_t n = strlen(s);

    return v->type == BN_JSON_STRING && v->len == n && memcmp(v->str, s, n) == 0;
}

static bool
aud_ok(const bn_json_t *aud, const bn_jwt_rules_t *rules)
{
    const bn_json_t *v;

    if (aud == NULL) {
        return false;
    }
    /* RFC 7519 4.1.3: a string, or an array of strings. */
    for (v = aud->type == BN_JSON_ARRAY ? aud->child : aud; v != NULL;
         v = aud->type == BN_JSON_ARRAY ? v->next : NULL) {
        for (size_t i = 0; i < rules->naudience; i++) {
            if (str_is(v, rules->audience[i])) {
                return true;
            }
        }
    }
    return false;
}

static int
check_claims(const bn_json_t *claims, const bn_jwt_rules_t *rules, int64_t now, const char **why)
{
    const bn_json_t *exp = bn_json_get(claims, "exp"), *nbf = bn_json_get(claims, "nbf");
    const bn_json_t *iss = bn_json_get(claims, "iss");
    double t = (double) now, leeway = (double) (rules->leeway > 0 ? rules->leeway : 0);

    /* RFC 7519 4.1.4, 4.1.5: NumericDate, seconds; iat is not checked. */
    if (exp != NULL) {
        if (exp->type != BN_JSON_NUMBER || !isfinite(exp->num)) {
            *why = "exp is not a number";
            return BN_ERROR;
        }
        if (t >= exp->num + leeway) {
            *why = "expired";
            return BN_ERROR;
        }
    }
    if (nbf != NULL) {
        if (nbf->type != BN_JSON_NUMBER || !isfinite(nbf->num)) {
            *why = "nbf is not a number";
            return BN_ERROR;
        }
        if (t + leeway < nbf->num) {
            *why = "not yet valid";
            return BN_ERROR;
        }
    }
    if (rules->issuer != NULL && rules->issuer[0] != '\0'
        && (iss == NULL || !str_is(iss, rules->issuer))) {
        *why = "wrong issuer";
        return BN_ERROR;
    }
    if (rules->naudience > 0 && !aud_ok(bn_json_get(claims, "aud"), rules)) {
        *why = "wrong audience";
        return BN_ERROR;
    }
    return BN_OK;
}

int
bn_jwt_verify(bn_pool_t *pool, const char *token, size_t len, const bn_jwt_keys_t *keys,
              const bn_jwt_rules_t *rules, int64_t now, bn_jwt_t *out, const char **why)
{
    const char *dot1, *dot2, *payload, *sigseg, *name;
    const bn_json_t *alg_v, *kid_v;
    bn_json_t *header, *claims;
    unsigned char *sig;
    ssize_t slen;
    size_t hlen, plen, ilen, i, tried = 0;
    int alg;
    bool good = false;

    BN_CHECK_OBJ(keys, KEYS_MAGIC);
    memset(out, 0, sizeof(*out));
    out->alg = -1;
    if (len > BN_JWT_MAX_TOKEN) {
        *why = "token too large";
        return BN_ERROR;
    }
    /* RFC 7515 7.1: three base64url segments; the signature may not be
     * empty, since "none" is refused. */
    dot1 = memchr(token, '.', len);
    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', (size_t) (token + len - dot1 - 1)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t) (token + len - dot2 - 1)) != NULL) {
        *why = "malformed token";
        return BN_ERROR;
    }
    hlen = (size_t) (dot1 - token);
    payload = dot1 + 1;
    plen = (size_t) (dot2 - payload);
    sigseg = dot2 + 1;
    ilen = (size_t) (dot2 - token);
    if (hlen == 0 || plen == 0 || sigseg == token + len) {
        *why = "malformed token";
        return BN_ERROR;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) token[i];
        if (c != '.' && c != '-' && c != '_' && !isalnum(c)) {
            *why = "bad base64url";
            return BN_ERROR;
        }
    }

    if ((header = decode_json(pool, token, hlen, "header is not JSON", why)) == NULL) {
        return BN_ERROR;
    }
    if (header->type != BN_JSON_OBJECT) {
        *why = "header is not an object";
        return BN_ERROR;
    }
    alg_v = bn_json_get(header, "alg");
    if (alg_v == NULL || alg_v->type != BN_JSON_STRING) {
        *why = "header has no alg";
        return BN_ERROR;
    }
    name = alg_v->str;
    if (strcasecmp(name, "none") == 0) {
        *why = "alg none";
        return BN_ERROR;
    }
    if ((alg = bn_jwt_alg(name)) == -1 || strlen(name) != alg_v->len) {
        *why = "unknown algorithm";
        return BN_ERROR;
    }
    if (!(rules->algorithms & (1u << alg))) {
        *why = "algorithm not allowed";
        return BN_ERROR;
    }
    /* RFC 7515 4.1.11: we understand no extension, so any crit is refused. */
    if (bn_json_get(header, "crit") != NULL) {
        *why = "crit header";
        return BN_ERROR;
    }
    kid_v = bn_json_get(header, "kid");
    if (kid_v != NULL && kid_v->type != BN_JSON_STRING) {
        *why = "kid is not a string";
        return BN_ERROR;
    }

    if ((sig = bn_palloc(pool, len - ilen)) == NULL) {
        *why = "out of memory";
        return BN_ERROR;
    }
    if ((slen = bn_jwt_base64url_decode(sigseg, (size_t) (token + len - sigseg), sig)) == -1) {
        *why = "bad base64url";
        return BN_ERROR;
    }

    for (i = 0; i < keys->n && !good; i++) {
        const jwt_key_t *key = &keys->v[i];

        if (kid_v != NULL
            && (key->kid == NULL || !kid_ok(kid_v) || strcmp(key->kid, kid_v->str) != 0)) {
            continue;
        }
        if (!key_fits(key, alg)) {
            continue;
        }
        tried++;
        if (key->kty == KTY_OCT) {
            good = verify_hmac(alg, key, token, ilen, sig, (size_t) slen);
        } else {
            good = verify_pkey(pool, alg, key, token, ilen, sig, (size_t) slen);
        }
    }
    if (!good) {
        if (tried > 0) {
            *why = "bad signature";
            return BN_ERROR;
        }
        if (kid_v != NULL) {
            for (i = 0; i < keys->n; i++) {
                if (keys->v[i].kid != NULL && kid_ok(kid_v)
                    && strcmp(keys->v[i].kid, kid_v->str) == 0) {
                    break;
                }
            }
            if (i == keys->n) {
                *why = "unknown kid";
                return BN_DECLINED;
            }
        }
        *why = "no key for the algorithm";
        return BN_ERROR;
    }

    /* The claims are read only once the signature holds. */
    if ((claims = decode_json(pool, payload, plen, "claims are not JSON", why)) == NULL) {
        return BN_ERROR;
    }
    if (claims->type != BN_JSON_OBJECT) {
        *why = "claims are not an object";
        return BN_ERROR;
    }
    if (check_claims(claims, rules, now, why) != BN_OK) {
        return BN_ERROR;
    }
    out->alg = alg;
    out->kid = kid_v != NULL ? kid_v->str : NULL;
    out->header = header;
    out->claims = claims;
    *why = NULL;
    return BN_OK;
}
