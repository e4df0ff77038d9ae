/*
 * htpasswd.c: loading a users file of Apache's htpasswd and verifying its
 * passwords.  bcrypt and the SHA crypts go to libxcrypt's crypt_rn(); APR1
 * (which no library has: it is Apache's own MD5 variant) and {SHA} are
 * computed here over OpenSSL's EVP digests.
 *
 * A hash is checked whole at load, down to the characters an encoder can
 * write last, so that every entry that loads is one its scheme can match:
 * crypt(3) would cut a long salt or refuse an odd rounds= at verify time,
 * and a user whose entry could never verify is better told at load.
 */
#include "htpasswd.h"

#include <crypt.h>
#include <openssl/crypto.h>

#define BCRYPT_LEN 60 /* "$2y$" "12" "$" 22 of salt, 31 of hash */
#define SHA512_OUT 86 /* characters of the hash after the salt */
#define SHA256_OUT 43
#define SHA_SALT_MAX 16
#define SHA_ROUNDS_MIN 1000
#define SHA_ROUNDS_MAX 999999999
#define APR1_MAGIC "$apr1$"
#define APR1_SALT_MAX 8
#define APR1_OUT 22
#define APR1_ROUNDS 1000
#define SHA1_B64_LEN 28 /* base64 of 20 bytes, with one '=' */

static const char crypt64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char bcrypt64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static const char *const kind_names[] = { "bcrypt", "sha512", "sha256", "apr1", "sha1" };

/* A verify's rough cost in nanoseconds, measured on a 2020s x86 core: only
 * compared with each other, to pick what a made-up user burns. */
#define COST_BCRYPT_UNIT 55000 /* times 2^cost */
#define COST_SHA512_ROUND 310
#define COST_SHA256_ROUND 340
#define COST_APR1 240000
#define COST_SHA1 1000

const char *
bn_pw_kind_name(bn_pw_kind_t kind)
{
    BN_ASSERT((size_t) kind < BN_NELEMS(kind_names));
    return kind_names[kind];
}

bool
bn_pw_slow(bn_pw_kind_t kind)
{
    return kind == BN_PW_BCRYPT || kind == BN_PW_SHA512 || kind == BN_PW_SHA256;
}

/* The value of c in alphabet, or -1. */
static int
b64_value(const char *alphabet, char c)
{
    const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

    return p != NULL ? (int) (p - alphabet) : -1;
}

static bool
all_crypt64(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b64_value(crypt64, s[i]) == -1) {
            return false;
        }
    }
    return true;
}

/* --- checking the hashes at load ----------------------------------------- */

static int
check_bcrypt(bn_credfile_t *f, const char *h, size_t n, bn_htpasswd_entry_t *e)
{
    unsigned cost;

    /* "$2y$" is matched by the caller. */
    if (n != BCRYPT_LEN || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$'
        || !all_crypt64(h + 7, BCRYPT_LEN - 7)) {
        return bn_credfile_error(f,
                                 "malformed bcrypt hash (expected %.4sNN$ and 53 characters "
                                 "of ./0-9A-Za-z, 60 in all)",
                                 h);
    }
    cost = (unsigned) (h[4] - '0') * 10 + (unsigned) (h[5] - '0');
    if (cost < 4 || cost > 31) {
        return bn_credfile_error(f, "bcrypt cost %u out of range (4..31)", cost);
    }
    /* 16 bytes of salt in 22 characters and 23 of hash in 31 leave bits
     * over.  bcrypt writes them 0, and writes the salt back so: an entry
     * with any of them set could match no password. */
    if (b64_value(bcrypt64, h[7 + 21]) % 16 != 0
        || b64_value(bcrypt64, h[BCRYPT_LEN - 1]) % 4 != 0) {
        return bn_credfile_error(f, "malformed bcrypt hash (its last salt or hash character is "
                                    "none that bcrypt writes: cut or edited?)");
    }
    e->kind = BN_PW_BCRYPT;
    e->cost = (uint64_t) COST_BCRYPT_UNIT << cost;
    return BN_OK;
}

/* Whether the last of an encoding's characters leaves the unused bits 0. */
static bool
last_ok(char c, int bits)
{
    return b64_value(crypt64, c) < (1 << bits);
}

static int
check_sha_crypt(bn_credfile_t *f, const char *h, size_t n, bn_htpasswd_entry_t *e)
{
    bool is512 = h[1] == '6';
    const char *name = is512 ? "SHA-512" : "SHA-256";
    size_t out = is512 ? SHA512_OUT : SHA256_OUT;
    const char *p = h + 3, *end = h + n, *salt;
    uint64_t rounds = 5000;

    if ((size_t) (end - p) > 7 && memcmp(p, "rounds=", 7) == 0) {
        const char *digits = p + 7;

        for (p = digits, rounds = 0; p < end && *p >= '0' && *p <= '9' && p - digits < 10; p++) {
            rounds = rounds * 10 + (uint64_t) (*p - '0');
        }
        if (p == digits || p == end || *p != '$') {
            return bn_credfile_error(f, "malformed %s crypt hash (rounds= takes a number and '$')",
                                     name);
        }
        /* crypt(3) refuses these rather than clamp them, and a leading 0
         * would not be written back the same. */
        if (rounds < SHA_ROUNDS_MIN || rounds > SHA_ROUNDS_MAX || *digits == '0') {
            return bn_credfile_error(f, "%s crypt rounds=%.*s out of range (%u..%u)", name,
                                     (int) (p - digits), digits, SHA_ROUNDS_MIN, SHA_ROUNDS_MAX);
        }
        p++;
    }
    salt = p;
    while (p < end && *p != '$') {
        p++;
    }
    if (p == end || (size_t) (end - p - 1) != out || !all_crypt64(salt, (size_t) (p - salt))
        || !all_crypt64(p + 1, out)) {
        return bn_credfile_error(f,
                                 "malformed %s crypt hash (expected %.3s[rounds=N$]SALT$ and "
                                 "%zu characters of ./0-9A-Za-z)",
                                 name, h, out);
    }
    if (p - salt > SHA_SALT_MAX) {
        return bn_credfile_error(f, "%s crypt salt longer than %d characters", name, SHA_SALT_MAX);
    }
    /* 64 bytes end in a group of one byte (2 bits over), 32 in one of two (4 over). */
    if (!last_ok(end[-1], is512 ? 2 : 4)) {
        return bn_credfile_error(f,
                                 "malformed %s crypt hash (its last character is none that "
                                 "crypt writes: cut or edited?)",
                                 name);
    }
    e->kind = is512 ? BN_PW_SHA512 : BN_PW_SHA256;
    e->cost = rounds * (is512 ? COST_SHA512_ROUND : COST_SHA256_ROUND);
    return BN_OK;
}

static int
check_apr1(bn_credfile_t *f, const char *h, size_t n, bn_htpasswd_entry_t *e)
{
    const char *salt = h + sizeof(APR1_MAGIC) - 1, *end = h + n;
    const char *p = salt;

    while (p < end && *p != '$') {
        p++;
    }
    if (p == end || p == salt || p - salt > APR1_SALT_MAX || (size_t) (end - p - 1) != APR1_OUT
        || !all_crypt64(salt, (size_t) (p - salt)) || !all_crypt64(p + 1, APR1_OUT)
        || !last_ok(end[-1], 2)) {
        return bn_credfile_error(f, "malformed APR1 hash (expected $apr1$SALT$ and 22 characters "
                                    "of ./0-9A-Za-z, SALT 1 to 8 of them)");
    }
    if (bn_credfile_md(BN_CRED_MD5) == NULL) {
        return bn_credfile_error(f, "APR1 needs MD5, which this OpenSSL does not offer (FIPS "
                                    "mode?); make a bcrypt hash with htpasswd -B");
    }
    e->kind = BN_PW_APR1;
    e->cost = COST_APR1;
    return BN_OK;
}

static int
check_sha1(bn_credfile_t *f, const char *h, size_t n, bn_htpasswd_entry_t *e)
{
    unsigned char md[24];
    unsigned char b64[SHA1_B64_LEN + 1];

    /* Decoded and encoded again: only what an encoder writes comes back the same. */
    if (n != 5 + SHA1_B64_LEN || h[n - 1] != '='
        || EVP_DecodeBlock(md, (const unsigned char *) h + 5, SHA1_B64_LEN) != 21
        || EVP_EncodeBlock(b64, md, 20) != SHA1_B64_LEN || memcmp(b64, h + 5, SHA1_B64_LEN) != 0) {
        return bn_credfile_error(f, "malformed {SHA} hash (expected {SHA} and the base64 of 20 "
                                    "bytes, 28 characters)");
    }
    if (bn_credfile_md(BN_CRED_SHA1) == NULL) {
        return bn_credfile_error(f, "{SHA} needs SHA-1, which this OpenSSL does not offer");
    }
    e->kind = BN_PW_SHA1;
    e->cost = COST_SHA1;
    return BN_OK;
}

static bool
prefix(const char *h, size_t n, const char *p)
{
    size_t pn = strlen(p);

    return n >= pn && memcmp(h, p, pn) == 0;
}

/* Finds the kind of h[0..n) and checks it is well formed. */
static int
check_hash(bn_credfile_t *f, const char *h, size_t n, bn_htpasswd_entry_t *e)
{
    const char *close;
    char scheme[32];

    if (prefix(h, n, "$2y$") || prefix(h, n, "$2b$") || prefix(h, n, "$2a$")) {
        return check_bcrypt(f, h, n, e);
    }
    if (prefix(h, n, "$6$") || prefix(h, n, "$5$")) {
        return check_sha_crypt(f, h, n, e);
    }
    if (prefix(h, n, APR1_MAGIC)) {
        return check_apr1(f, h, n, e);
    }
    if (prefix(h, n, "{SHA}")) {
        return check_sha1(f, h, n, e);
    }
    if (prefix(h, n, "$1$")) {
        return bn_credfile_error(f, "MD5-crypt ($1$) is refused as weak; make a bcrypt hash "
                                    "with htpasswd -B");
    }
    if (n == 0) {
        return bn_credfile_error(f, "no hash after the ':'");
    }
    if ((h[0] == '$' && (close = memchr(h + 1, '$', n - 1)) != NULL)
        || (h[0] == '{' && (close = memchr(h + 1, '}', n - 1)) != NULL)) {
        if ((size_t) (close - h) < sizeof(scheme) - 1) {
            memcpy(scheme, h, (size_t) (close - h) + 1);
            scheme[close - h + 1] = '\0';
            return bn_credfile_error_quoted(f, "unknown hash scheme ", scheme,
                                            " (accepted: bcrypt $2y$ $2b$ $2a$, SHA crypt $6$ "
                                            "$5$, $apr1$, {SHA})");
        }
    }
    return bn_credfile_error(f, "a plain-text password or a DES crypt hash (the two cannot be "
                                "told apart, and both are refused); make a bcrypt hash with "
                                "htpasswd -B");
}

/* --- loading --------------------------------------------------------------- */

typedef struct {
    const bn_htpasswd_entry_t *entries;
    const char *user;
    size_t len;
} user_key_t;

static bool
user_eq(const void *ctx, uint32_t i)
{
    const user_key_t *k = ctx;
    const bn_htpasswd_entry_t *e = &k->entries[i];

    return e->user_len == k->len && memcmp(e->user, k->user, k->len) == 0;
}

static int
parse_line(bn_credfile_t *f, bn_pool_t *pool, const char *s, size_t n, bn_htpasswd_entry_t *e)
{
    const char *colon, *h, *end;
    char *copy;

    /* As Apache's ap_cfg_getline(): spaces and tabs around a line go. */
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    colon = memchr(s, ':', n);
    if (colon == NULL) {
        return bn_credfile_error(f, "no ':' (expected USER:HASH)");
    }
    if (colon == s) {
        return bn_credfile_error(f, "empty user name");
    }
    if (bn_credfile_has_ctl(s, (size_t) (colon - s))) {
        return bn_credfile_error(f, "the user name holds a control character");
    }
    /* As mod_authn_file: the hash ends at a second ':', if any. */
    h = colon + 1;
    end = memchr(h, ':', (size_t) (s + n - h));
    if (end == NULL) {
        end = s + n;
    }
    memset(e, 0, sizeof(*e));
    if (check_hash(f, h, (size_t) (end - h), e) != BN_OK) {
        return BN_ERROR;
    }
    copy = bn_palloc(pool, (size_t) (end - s) + 1);
    if (copy == NULL) {
        return bn_credfile_error(f, "out of memory");
    }
    memcpy(copy, s, (size_t) (end - s));
    copy[colon - s] = '\0';
    copy[end - s] = '\0';
    e->user = copy;
    e->user_len = (size_t) (colon - s);
    e->hash = copy + (colon - s) + 1;
    e->line = f->line;
    return BN_OK;
}

typedef struct {
    bn_pool_t *pool;
    bn_htpasswd_t h;
} load_t;

static int
users_begin(bn_credfile_t *f, size_t max, void *ctx)
{
    load_t *ld = ctx;

    ld->h.entries = bn_palloc(ld->pool, max * sizeof(bn_htpasswd_entry_t));
    if (ld->h.entries == NULL || bn_credindex_init(ld->pool, &ld->h.index, max) != BN_OK) {
        return bn_credfile_error(f, "out of memory");
    }
    return BN_OK;
}

static int
users_entry(bn_credfile_t *f, const char *s, size_t n, void *ctx)
{
    load_t *ld = ctx;
    bn_htpasswd_entry_t e;
    user_key_t key = { ld->h.entries, NULL, 0 };
    uint32_t *slot;
    char tail[48];

    if (parse_line(f, ld->pool, s, n, &e) != BN_OK) {
        return BN_ERROR;
    }
    key.user = e.user;
    key.len = e.user_len;
    slot = bn_credindex_slot(&ld->h.index, bn_credindex_hash(e.user, e.user_len), user_eq, &key);
    if (*slot != 0) {
        snprintf(tail, sizeof(tail), " (first on line %u)", ld->h.entries[*slot - 1].line);
        return bn_credfile_error_quoted(f, "duplicate user ", e.user, tail);
    }
    ld->h.entries[ld->h.n] = e;
    *slot = (uint32_t) ++ld->h.n;
    if (ld->h.costliest == NULL || e.cost > ld->h.costliest->cost) {
        ld->h.costliest = &ld->h.entries[ld->h.n - 1];
    }
    return BN_OK;
}

int
bn_htpasswd_load(bn_pool_t *pool, const char *path, bn_htpasswd_t *out, char *err, size_t errlen)
{
    load_t ld = { .pool = pool };

    memset(out, 0, sizeof(*out));
    if (bn_credfile_load(path, "users", users_begin, users_entry, &ld, err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    *out = ld.h;
    return BN_OK;
}

const bn_htpasswd_entry_t *
bn_htpasswd_find(const bn_htpasswd_t *h, const char *user, size_t len)
{
    user_key_t key = { h->entries, user, len };
    uint32_t *slot;

    if (h->n == 0) {
        return NULL;
    }
    slot = bn_credindex_slot(&h->index, bn_credindex_hash(user, len), user_eq, &key);
    return *slot != 0 ? &h->entries[*slot - 1] : NULL;
}

/* --- verifying ------------------------------------------------------------- */

/* Whether the computed hash is the stored one: lengths are no secret (the
 * scheme fixes them), the bytes are compared in constant time. */
static bool
same_hash(const char *computed, size_t n, const char *stored)
{
    return n == strlen(stored) && CRYPTO_memcmp(computed, stored, n) == 0;
}

typedef struct {
    struct crypt_data data;
    char pw[CRYPT_MAX_PASSPHRASE_SIZE + 1];
} crypt_work_t;

static bool
verify_crypt(const char *hash, const char *pw, size_t pw_len)
{
    crypt_work_t *w;
    const char *r;
    bool ok;

    if (pw_len > CRYPT_MAX_PASSPHRASE_SIZE) {
        return false;
    }
    /* crypt_data is 32 KiB: too much for the stack of a small pool thread. */
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return false;
    }
    memcpy(w->pw, pw, pw_len);
    w->pw[pw_len] = '\0';
    r = crypt_rn(w->pw, hash, &w->data, (int) sizeof(w->data));
    ok = r != NULL && same_hash(r, strlen(r), hash);
    OPENSSL_cleanse(w, sizeof(*w));
    free(w);
    return ok;
}

typedef struct {
    EVP_MD_CTX *ctx;
    bool ok;
} md_t;

static void
md_init(md_t *m)
{
    m->ok = m->ok && EVP_DigestInit_ex2(m->ctx, bn_credfile_md(BN_CRED_MD5), NULL) == 1;
}

static void
md_add(md_t *m, const void *p, size_t n)
{
    m->ok = m->ok && EVP_DigestUpdate(m->ctx, p, n) == 1;
}

static void
md_final(md_t *m, unsigned char out[16])
{
    m->ok = m->ok && EVP_DigestFinal_ex(m->ctx, out, NULL) == 1;
}

static char *
to64(char *s, unsigned long v, int n)
{
    while (--n >= 0) {
        *s++ = crypt64[v & 0x3f];
        v >>= 6;
    }
    return s;
}

/*
 * Apache's APR1 (apr_md5_encode() in apr-util's crypto/apr_md5.c, itself
 * Poul-Henning Kamp's FreeBSD MD5-crypt with another magic), written into
 * out: "$apr1$" SALT "$" and 22 characters.  false when a digest failed.
 */
static bool
apr1(const char *pw, size_t pw_len, const char *salt, size_t salt_len,
     char out[sizeof(APR1_MAGIC) + APR1_SALT_MAX + 1 + APR1_OUT + 1])
{
    static const unsigned char zero[1];
    unsigned char fin[16];
    md_t m = { EVP_MD_CTX_new(), true };
    char *p;

    if (m.ctx == NULL) {
        return false;
    }
    md_init(&m);
    md_add(&m, pw, pw_len);
    md_add(&m, APR1_MAGIC, sizeof(APR1_MAGIC) - 1);
    md_add(&m, salt, salt_len);

    /* The inner digest of pw salt pw, added once per 16 bytes of pw. */
    {
        md_t m1 = { EVP_MD_CTX_new(), true };

        if (m1.ctx == NULL) {
            EVP_MD_CTX_free(m.ctx);
            return false;
        }
        md_init(&m1);
        md_add(&m1, pw, pw_len);
        md_add(&m1, salt, salt_len);
        md_add(&m1, pw, pw_len);
        md_final(&m1, fin);
        m.ok = m.ok && m1.ok;
        EVP_MD_CTX_free(m1.ctx);
    }
    for (size_t left = pw_len; left > 0; left -= BN_MIN(left, 16)) {
        md_add(&m, fin, BN_MIN(left, 16));
    }
    /* "Don't leave anything around in vm they could use" (the original),
     * and then the original's odd bit loop: a zero byte or pw's first. */
    OPENSSL_cleanse(fin, sizeof(fin));
    for (size_t i = pw_len; i != 0; i >>= 1) {
        md_add(&m, (i & 1) ? zero : (const unsigned char *) pw, 1);
    }
    md_final(&m, fin);

    /* 1000 rounds, to slow a guesser down (in 1995). */
    for (int i = 0; i < APR1_ROUNDS; i++) {
        md_init(&m);
        if (i & 1) {
            md_add(&m, pw, pw_len);
        } else {
            md_add(&m, fin, 16);
        }
        if (i % 3) {
            md_add(&m, salt, salt_len);
        }
        if (i % 7) {
            md_add(&m, pw, pw_len);
        }
        if (i & 1) {
            md_add(&m, fin, 16);
        } else {
            md_add(&m, pw, pw_len);
        }
        md_final(&m, fin);
    }
    EVP_MD_CTX_free(m.ctx);

    p = out;
    memcpy(p, APR1_MAGIC, sizeof(APR1_MAGIC) - 1);
    p += sizeof(APR1_MAGIC) - 1;
    memcpy(p, salt, salt_len);
    p += salt_len;
    *p++ = '$';
    p = to64(p, ((unsigned long) fin[0] << 16) | ((unsigned long) fin[6] << 8) | fin[12], 4);
    p = to64(p, ((unsigned long) fin[1] << 16) | ((unsigned long) fin[7] << 8) | fin[13], 4);
    p = to64(p, ((unsigned long) fin[2] << 16) | ((unsigned long) fin[8] << 8) | fin[14], 4);
    p = to64(p, ((unsigned long) fin[3] << 16) | ((unsigned long) fin[9] << 8) | fin[15], 4);
    p = to64(p, ((unsigned long) fin[4] << 16) | ((unsigned long) fin[10] << 8) | fin[5], 4);
    p = to64(p, fin[11], 2);
    *p = '\0';
    OPENSSL_cleanse(fin, sizeof(fin));
    return m.ok;
}

static bool
verify_apr1(const char *hash, const char *pw, size_t pw_len)
{
    char out[sizeof(APR1_MAGIC) + APR1_SALT_MAX + 1 + APR1_OUT + 1];
    const char *salt = hash + sizeof(APR1_MAGIC) - 1;
    const char *end = strchr(salt, '$');
    bool ok;

    /* Checked at load; an entry made by hand may be anything. */
    if (end == NULL || end - salt > APR1_SALT_MAX) {
        return false;
    }
    ok = apr1(pw, pw_len, salt, (size_t) (end - salt), out) && same_hash(out, strlen(out), hash);
    OPENSSL_cleanse(out, sizeof(out));
    return ok;
}

static bool
verify_sha1(const char *hash, const char *pw, size_t pw_len)
{
    unsigned char md[20];
    char out[5 + SHA1_B64_LEN + 1] = "{SHA}";
    const EVP_MD *sha1 = bn_credfile_md(BN_CRED_SHA1);
    bool ok;

    if (sha1 == NULL || EVP_Digest(pw, pw_len, md, NULL, sha1, NULL) != 1) {
        return false;
    }
    EVP_EncodeBlock((unsigned char *) out + 5, md, sizeof(md));
    ok = same_hash(out, strlen(out), hash);
    OPENSSL_cleanse(md, sizeof(md));
    OPENSSL_cleanse(out, sizeof(out));
    return ok;
}

bool
bn_pw_verify(const bn_htpasswd_entry_t *e, const char *pw, size_t pw_len)
{
    /* No hash that htpasswd wrote holds a NUL (it reads C strings), and
     * crypt(3) would stop at one: a password with one matches nothing. */
    if (e == NULL || memchr(pw, '\0', pw_len) != NULL) {
        return false;
    }
    switch (e->kind) {
    case BN_PW_BCRYPT:
    case BN_PW_SHA512:
    case BN_PW_SHA256:
        return verify_crypt(e->hash, pw, pw_len);
    case BN_PW_APR1:
        return verify_apr1(e->hash, pw, pw_len);
    case BN_PW_SHA1:
        return verify_sha1(e->hash, pw, pw_len);
    }
    return false;
}

/*
 * Hashes of long random passwords nobody kept, one per kind, with
 * htpasswd's default costs: what a user who is not in the file burns.
 */
static const bn_htpasswd_entry_t dummies[] = {
    [BN_PW_BCRYPT] = { .user = "",
                       .hash = "$2y$05$SxCFvEMgw2a89eTMmO/eUOG/yrQ5eAr4mbLHFHx9o.LPAhm9bWL7y",
                       .kind = BN_PW_BCRYPT },
    [BN_PW_SHA512] = { .user = "",
                       .hash =
                           "$6$hIyJYlDQTSGRwmr3$3z5TtauyoN.76zRseI.L6Yku3VNmi2EpqOCYulcgkFfmAI9Nph"
                           "QHf1xjPIf68aeqZ5GqM6E8.zB8Uu7yMofOw/",
                       .kind = BN_PW_SHA512 },
    [BN_PW_SHA256] = { .user = "",
                       .hash = "$5$uFnt74OmXXxJczsB$/v3idztWU4YF4htif5kUUzqY53oec4IUjx4/T7ulKM/",
                       .kind = BN_PW_SHA256 },
    [BN_PW_APR1] = { .user = "",
                     .hash = "$apr1$XAjt69mX$wSSmDsYO2OKFPxdF5jM1u1",
                     .kind = BN_PW_APR1 },
    [BN_PW_SHA1] = { .user = "", .hash = "{SHA}VUizqll4d86A6hxeCTXs3WLKYUM=", .kind = BN_PW_SHA1 },
};

bool
bn_pw_dummy_verify(bn_pw_kind_t kind, const char *pw, size_t pw_len)
{
    BN_ASSERT((size_t) kind < BN_NELEMS(dummies));
    (void) bn_pw_verify(&dummies[kind], pw, pw_len);
    return false;
}

bool
bn_htpasswd_dummy_verify(const bn_htpasswd_t *h, const char *pw, size_t pw_len)
{
    (void) bn_pw_verify(h->costliest != NULL ? h->costliest : &dummies[BN_PW_BCRYPT], pw, pw_len);
    return false;
}

bn_pw_kind_t
bn_htpasswd_dummy_kind(const bn_htpasswd_t *h)
{
    return h->costliest != NULL ? h->costliest->kind : BN_PW_BCRYPT;
}
