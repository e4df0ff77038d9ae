/*
 * credfile.h: what the credential files (htpasswd.c's users, apikeys.c's
 * keys) share: the file read whole, its lines one at a time with their
 * numbers, errors as "PATH:LINE: reason", and an index of names.  Only the
 * master reads these files, at config load, so reading blocks.
 */
#ifndef BN_CREDFILE_H
#define BN_CREDFILE_H

#include "pool.h"
#include "str.h"

#include <openssl/evp.h>

/* A longer line is refused: no credential needs it, and a binary file or a
 * wrong path fails fast with a clear reason instead of a strange one. */
#define BN_CREDFILE_LINE_MAX 4096
#define BN_CREDFILE_SIZE_MAX ((size_t) 256 << 20)

typedef struct {
    const char *path;
    char *data; /* the whole file and a '\0', malloc'ed: bn_credfile_close() frees it */
    size_t len;
    size_t pos;
    unsigned line; /* of the line bn_credfile_next() returned last, from 1 */
    char *err;
    size_t errlen;
} bn_credfile_t;

/*
 * Reads path whole.  BN_OK, or BN_ERROR with "PATH: reason (strerror)" in
 * err (nothing to close then).  err is kept for the later calls' messages.
 */
int bn_credfile_open(bn_credfile_t *f, const char *path, char *err, size_t errlen);
void bn_credfile_close(bn_credfile_t *f);

/*
 * The next line that is neither blank nor a comment ('#' first), without its
 * LF or CRLF: BN_OK with *s and *len (the bytes stay valid until close, and
 * may hold any byte, NUL too), BN_DONE at the end of the file, BN_ERROR
 * (message written) for a line over BN_CREDFILE_LINE_MAX.
 */
int bn_credfile_next(bn_credfile_t *f, const char **s, size_t *len);

/* An upper bound of the lines bn_credfile_next() can return. */
size_t bn_credfile_lines(const bn_credfile_t *f);

/*
 * How a file's kind of entries is read: begin() is called once, with an
 * upper bound of the entries, to make room for them; entry() once a line
 * (that is neither blank nor a comment), to add it.  Each returns BN_OK, or
 * BN_ERROR with the message written (bn_credfile_error()).
 */
typedef int (*bn_credfile_begin_pt)(bn_credfile_t *f, size_t max, void *ctx);
typedef int (*bn_credfile_entry_pt)(bn_credfile_t *f, const char *s, size_t n, void *ctx);

/*
 * Reads path whole and hands its lines over as above.  BN_OK, or BN_ERROR
 * with the message in err: the callbacks' one, a file that cannot be read
 * or has a line too long, or "PATH: no WHAT" when no line is an entry.
 */
int bn_credfile_load(const char *path, const char *what, bn_credfile_begin_pt begin,
                     bn_credfile_entry_pt entry, void *ctx, char *err, size_t errlen);

/* Writes "PATH:LINE: " (before the first line, "PATH: ") and the message
 * into err; returns BN_ERROR. */
int bn_credfile_error(bn_credfile_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same: msg, then the string s quoted and escaped (at most 64 bytes of
 * it), then tail; for the names a file gives, which may hold any byte. */
int bn_credfile_error_quoted(bn_credfile_t *f, const char *msg, const char *s, const char *tail);

/* Whether s[0..n) holds a control character (0x00-0x1f, 0x7f). */
bool bn_credfile_has_ctl(const char *s, size_t n);

/*
 * The digests the files' hashes use, fetched once for every thread (OpenSSL 3
 * looks names up under locks).  NULL when this OpenSSL lacks one (MD5 in FIPS
 * mode).
 */
#define BN_CRED_MD5 0
#define BN_CRED_SHA1 1
#define BN_CRED_SHA256 2

const EVP_MD *bn_credfile_md(int which);

/*
 * An open-addressing index of names to entries (entry i is stored as i + 1,
 * 0 is empty), sized once for n entries: it never grows, never fills.
 */
typedef struct {
    uint32_t *slots;
    size_t mask;
} bn_credindex_t;

typedef bool (*bn_credindex_eq_pt)(const void *ctx, uint32_t i);

/* BN_OK, or BN_ERROR when memory is exhausted. */
int bn_credindex_init(bn_pool_t *pool, bn_credindex_t *ix, size_t n);
uint64_t bn_credindex_hash(const void *s, size_t n);
/*
 * The slot of the entry with this hash for which eq(ctx, i) holds, or the
 * empty slot (*slot == 0) where to store one: the caller writes i + 1 there.
 */
uint32_t *bn_credindex_slot(const bn_credindex_t *ix, uint64_t hash, bn_credindex_eq_pt eq,
                            const void *ctx);

#endif
