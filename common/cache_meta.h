/*
 * cache_meta.h: what names a cached response, and the line its file starts
 * with.  Workers write and read these files; the helper's loader reads them
 * back into the index (master/helper_cache.c).  Apart from cache.h so that
 * the index's private layout (cache_index.h) can use them without it.
 */
#ifndef BN_CACHE_META_H
#define BN_CACHE_META_H

#include "bouncer.h"

#define BN_CACHE_KEY_LEN 16 /* bytes of SHA-256 kept: the key's identity */

/*
 * A stored file: this fixed-size metadata line, the response's header
 * lines, then its body.  Workers write it; workers and the loader read it.
 */
#define BN_CACHE_META_LEN 128

typedef struct {
    unsigned char key[BN_CACHE_KEY_LEN];
    int64_t stored;  /* wall-clock seconds, when the response arrived */
    int64_t expires; /* fresh until (wall-clock seconds) */
    uint64_t size;   /* of the file: metadata line, head and body */
    uint32_t age;    /* its age when it arrived (RFC 9111 4.2.3's corrected_initial_age) */
    uint16_t status;
    uint8_t flags;   /* BN_CACHE_F_* */
} bn_cache_meta_t;

/* What the stored response's Cache-Control asks of every use. */
enum {
    BN_CACHE_F_NO_CACHE = 1 << 0, /* no-cache: revalidated before each use */
    BN_CACHE_F_NO_STALE = 1 << 1, /* must-revalidate, proxy-revalidate: never served stale */
};

/* Writes m's metadata line (stored, expires, status, the length of the
 * header lines that follow, age and flags) at the start of fd.  BN_OK or
 * BN_ERROR. */
int bn_cache_meta_write(int fd, const bn_cache_meta_t *m, size_t lines_len);
/* Reads it back from fd into m (not key or size) and *lines_len.  BN_OK;
 * BN_DECLINED: a file of an earlier format, to be dropped; BN_ERROR. */
int bn_cache_meta_read(int fd, bn_cache_meta_t *m, size_t *lines_len);

#endif
