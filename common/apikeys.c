/*
 * apikeys.c: loading a keys file and matching a presented key.
 */
#include "apikeys.h"
#include "str.h"

#include <openssl/crypto.h>

#define SHA256_PREFIX "sha256:"

/* SHA-256 of the empty string: a "sha256:" line of it is an empty key. */
static const unsigned char empty_sha256[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

static int
sha256(const char *s, size_t n, unsigned char md[32])
{
    const EVP_MD *sha = bn_credfile_md(BN_CRED_SHA256);

    return sha != NULL && EVP_Digest(s, n, md, NULL, sha, NULL) == 1 ? BN_OK : BN_ERROR;
}

typedef struct {
    const bn_apikey_t *keys;
    const char *name;
    const unsigned char *sha256;
} key_key_t;

static bool
name_eq(const void *ctx, uint32_t i)
{
    const key_key_t *k = ctx;

    return strcmp(k->keys[i].name, k->name) == 0;
}

static bool
digest_eq(const void *ctx, uint32_t i)
{
    const key_key_t *k = ctx;

    return memcmp(k->keys[i].sha256, k->sha256, 32) == 0;
}

static int
parse_line(bn_credfile_t *f, bn_pool_t *pool, const char *s, size_t n, bn_apikey_t *k)
{
    const char *colon = memchr(s, ':', n), *v;
    size_t vn;

    if (colon == NULL) {
        return bn_credfile_error(f, "no ':' (expected NAME:KEY or NAME:sha256:HEX)");
    }
    if (colon == s) {
        return bn_credfile_error(f, "empty name");
    }
    if (bn_credfile_has_ctl(s, (size_t) (colon - s))) {
        return bn_credfile_error(f, "the name holds a control character");
    }
    v = colon + 1;
    vn = (size_t) (s + n - v);
    if (vn == 0) {
        return bn_credfile_error(f, "empty key");
    }
    for (size_t i = 0; i < vn; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            return bn_credfile_error(f, "the key holds whitespace");
        }
    }
    if (bn_credfile_has_ctl(v, vn)) {
        return bn_credfile_error(f, "the key holds a control character");
    }
    memset(k, 0, sizeof(*k));
    if (vn >= sizeof(SHA256_PREFIX) - 1
        && memcmp(v, SHA256_PREFIX, sizeof(SHA256_PREFIX) - 1) == 0) {
        const char *hex = v + sizeof(SHA256_PREFIX) - 1;
        size_t hn = vn - (sizeof(SHA256_PREFIX) - 1);

        if (hn != 64) {
            return bn_credfile_error(f, "sha256: takes 64 hex digits, not %zu characters", hn);
        }
        for (size_t i = 0; i < 32; i++) {
            int hi = bn_hex_value(hex[2 * i]), lo = bn_hex_value(hex[2 * i + 1]);

            if (hi == -1 || lo == -1) {
                return bn_credfile_error(f, "sha256: takes 64 hex digits (0-9a-f)");
            }
            k->sha256[i] = (unsigned char) (hi << 4 | lo);
        }
        if (memcmp(k->sha256, empty_sha256, 32) == 0) {
            return bn_credfile_error(f, "the SHA-256 of an empty key");
        }
    } else if (sha256(v, vn, k->sha256) != BN_OK) {
        return bn_credfile_error(f, "SHA-256 failed (OpenSSL)");
    }
    k->name = bn_pstrndup(pool, s, (size_t) (colon - s));
    if (k->name == NULL) {
        return bn_credfile_error(f, "out of memory");
    }
    k->line = f->line;
    return BN_OK;
}

typedef struct {
    bn_pool_t *pool;
    bn_apikeys_t k;
    bn_credindex_t names, digests;
} load_t;

static int
keys_begin(bn_credfile_t *f, size_t max, void *ctx)
{
    load_t *ld = ctx;

    ld->k.keys = bn_palloc(ld->pool, max * sizeof(bn_apikey_t));
    if (ld->k.keys == NULL || bn_credindex_init(ld->pool, &ld->names, max) != BN_OK
        || bn_credindex_init(ld->pool, &ld->digests, max) != BN_OK) {
        return bn_credfile_error(f, "out of memory");
    }
    return BN_OK;
}

static int
keys_entry(bn_credfile_t *f, const char *s, size_t n, void *ctx)
{
    load_t *ld = ctx;
    bn_apikey_t k;
    key_key_t key = { ld->k.keys, NULL, NULL };
    uint32_t *by_name, *by_digest;
    char tail[48];

    if (parse_line(f, ld->pool, s, n, &k) != BN_OK) {
        return BN_ERROR;
    }
    key.name = k.name;
    key.sha256 = k.sha256;
    by_name =
        bn_credindex_slot(&ld->names, bn_credindex_hash(k.name, strlen(k.name)), name_eq, &key);
    if (*by_name != 0) {
        snprintf(tail, sizeof(tail), " (first on line %u)", ld->k.keys[*by_name - 1].line);
        return bn_credfile_error_quoted(f, "duplicate name ", k.name, tail);
    }
    by_digest = bn_credindex_slot(&ld->digests, bn_credindex_hash(k.sha256, 32), digest_eq, &key);
    if (*by_digest != 0) {
        const bn_apikey_t *first = &ld->k.keys[*by_digest - 1];

        /* Never the key itself: the error goes to logs and terminals. */
        snprintf(tail, sizeof(tail), " on line %u", first->line);
        return bn_credfile_error_quoted(f, "the same key as ", first->name, tail);
    }
    ld->k.keys[ld->k.n] = k;
    ld->k.n++;
    *by_name = (uint32_t) ld->k.n;
    *by_digest = (uint32_t) ld->k.n;
    return BN_OK;
}

int
bn_apikeys_load(bn_pool_t *pool, const char *path, bn_apikeys_t *out, char *err, size_t errlen)
{
    load_t ld = { .pool = pool };

    memset(out, 0, sizeof(*out));
    if (bn_credfile_load(path, "keys", keys_begin, keys_entry, &ld, err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    *out = ld.k;
    return BN_OK;
}

const char *
bn_apikeys_match(const bn_apikeys_t *k, const char *key, size_t len)
{
    unsigned char md[32];
    size_t found = 0;

    if (len == 0 || sha256(key, len, md) != BN_OK) {
        return NULL;
    }
    for (size_t i = 0; i < k->n; i++) {
        /* eq is 1 when the digests are equal, else 0, and chooses i + 1 by
         * a mask rather than a branch: every key costs the same. */
        unsigned d = (unsigned) CRYPTO_memcmp(md, k->keys[i].sha256, sizeof(md));
        size_t eq = 1 ^ ((d | (0u - d)) >> (sizeof(unsigned) * 8 - 1));
        size_t mask = 0 - eq;

        found = (found & ~mask) | ((i + 1) & mask);
    }
    OPENSSL_cleanse(md, sizeof(md));
    return found != 0 ? k->keys[found - 1].name : NULL;
}
