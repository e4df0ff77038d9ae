/*
 * apikeys.h: the keys file of API key authentication: "NAME:KEY" or
 * "NAME:sha256:HEX" a line, HEX being the 64 hex digits of the key's SHA-256
 * (so the file need hold no key).  Only digests are kept in memory.
 *
 * Blank lines and lines whose first non-blank is '#' are skipped, CRLF is
 * LF.  Refused, with "PATH:LINE: reason": an empty name or key, control
 * characters in either, whitespace in a key (a key is sent in a header or a
 * query, where it would not survive), a "sha256:" value that is not 64 hex
 * digits (so a key of its own cannot begin with "sha256:"), the same name or
 * the same key twice, and a file with no keys.
 */
#ifndef BN_APIKEYS_H
#define BN_APIKEYS_H

#include "credfile.h"

typedef struct {
    const char *name;
    unsigned char sha256[32];
    unsigned line;
} bn_apikey_t;

typedef struct {
    bn_apikey_t *keys;
    size_t n;
} bn_apikeys_t;

/*
 * Reads the keys file at path.  BN_OK, or BN_ERROR with "PATH:LINE: reason"
 * (or "PATH: reason") in err.  Everything is in pool; the file is read whole,
 * blocking (the master, at config load).
 */
int bn_apikeys_load(bn_pool_t *pool, const char *path, bn_apikeys_t *out, char *err, size_t errlen);

/*
 * The name of the key that matches, or NULL: the presented key's SHA-256
 * compared with every entry in constant time (CRYPTO_memcmp, no early exit,
 * no branch on a result), so timing tells nothing about which or how much
 * matched; it grows with the number of keys only.  Thread-safe.
 */
const char *bn_apikeys_match(const bn_apikeys_t *k, const char *key, size_t len);

#endif
