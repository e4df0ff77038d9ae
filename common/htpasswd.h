/*
 * htpasswd.h: the users file of basic authentication, as Apache's htpasswd
 * writes it: "user:hash" a line.
 *
 * Accepted hashes: bcrypt ($2y$, $2b$, $2a$; htpasswd -B), SHA-512 and
 * SHA-256 crypt ($6$, $5$, with or without rounds=; htpasswd -5, -2), APR1
 * ($apr1$; htpasswd -m, its default) and {SHA} (htpasswd -s).  Refused at
 * load: plain text and DES crypt (htpasswd -p, -d: the two cannot be told
 * apart, and DES keeps 8 bytes of a password), MD5-crypt $1$ (as weak as
 * APR1, and no htpasswd writes it: only the default of htpasswd is let
 * through), every other scheme, and any hash not well formed.
 *
 * Read as Apache reads it: blank lines and lines whose first non-blank is
 * '#' are skipped, spaces and tabs around a line are no part of it, CRLF is
 * LF, and what follows a second ':' is ignored (a comment field).  A user is
 * any bytes but control characters and ':', compared exactly.
 */
#ifndef BN_HTPASSWD_H
#define BN_HTPASSWD_H

#include "credfile.h"

typedef enum { BN_PW_BCRYPT, BN_PW_SHA512, BN_PW_SHA256, BN_PW_APR1, BN_PW_SHA1 } bn_pw_kind_t;

typedef struct {
    const char *user; /* NUL-terminated too: a user holds no NUL */
    size_t user_len;
    const char *hash; /* as in the file, NUL-terminated */
    bn_pw_kind_t kind;
    unsigned line;
    uint64_t cost; /* a rough estimate of one verify, in nanoseconds */
} bn_htpasswd_entry_t;

typedef struct {
    bn_htpasswd_entry_t *entries;
    size_t n;
    bn_credindex_t index;
    const bn_htpasswd_entry_t *costliest; /* what bn_htpasswd_dummy_verify() burns */
} bn_htpasswd_t;

/*
 * Reads the users file at path.  BN_OK, or BN_ERROR with "PATH:LINE: reason"
 * (or "PATH: reason") in err; a file with one bad line loads nothing.
 * Everything is in pool; the file is read whole, blocking (the master, at
 * config load).
 */
int bn_htpasswd_load(bn_pool_t *pool, const char *path, bn_htpasswd_t *out, char *err,
                     size_t errlen);

/* The entry for user (exact bytes), or NULL. */
const bn_htpasswd_entry_t *bn_htpasswd_find(const bn_htpasswd_t *h, const char *user, size_t len);

/*
 * Whether verifying this kind costs real time (crypt(3): bcrypt, the SHA
 * crypts, from about 2 ms at htpasswd's defaults to seconds) and must run
 * off the event loop.  APR1 (1000 MD5s, about 0.25 ms) and {SHA} (about a
 * microsecond) run on it.
 */
bool bn_pw_slow(bn_pw_kind_t kind);

/*
 * Whether pw matches.  Thread-safe: crypt_rn() with a crypt_data of its own
 * (32 KiB, malloc'ed, so any thread stack will do), OpenSSL's EVP digests
 * for APR1 and {SHA}.  The computed and stored hashes are compared in
 * constant time (CRYPTO_memcmp).  Never reads past pw_len; pw may hold any
 * byte, and one with a NUL, or longer than crypt(3) takes (512 bytes), is
 * false.  Also false when memory is exhausted.  bcrypt reads only the first
 * 72 bytes of a password (as everywhere): longer ones that share them match.
 */
bool bn_pw_verify(const bn_htpasswd_entry_t *e, const char *pw, size_t pw_len);

/*
 * For a user who is not in the file: as much work as verifying pw against a
 * hash of this kind with htpasswd's default cost (bcrypt cost 5, 5000
 * rounds), so that the answer's time does not tell whether the user exists.
 * Always false.
 */
bool bn_pw_dummy_verify(bn_pw_kind_t kind, const char *pw, size_t pw_len);

/*
 * The same, as costly as the costliest entry of h (bcrypt with the highest
 * cost, say): with cost 12 in the file, a made-up user costs what a real one
 * does.  Always false.  Slow when bn_pw_slow(bn_htpasswd_dummy_kind(h)).
 */
bool bn_htpasswd_dummy_verify(const bn_htpasswd_t *h, const char *pw, size_t pw_len);
bn_pw_kind_t bn_htpasswd_dummy_kind(const bn_htpasswd_t *h);

/* "bcrypt", "sha512", "sha256", "apr1", "sha1": for logs. */
const char *bn_pw_kind_name(bn_pw_kind_t kind);

#endif
