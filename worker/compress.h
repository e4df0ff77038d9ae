/*
 * compress.h: what worker/compress.c exports: whether a response is
 * compressed (a route's compress group, the client's Accept-Encoding, the
 * response's own fields), and the streaming gzip and Brotli encoders whose
 * state this worker counts against limits.compress_memory.
 */
#ifndef BN_WORKER_COMPRESS_H
#define BN_WORKER_COMPRESS_H

#include "types.h"

/* What the head of the response to be sent says, for bn_compress_plan(). */
typedef struct {
    int status;
    const char *ctype; /* its Content-Type value; NULL: none */
    size_t ctype_len;
    const char *etag; /* its ETag value; NULL: none */
    size_t etag_len;
    bool encoded;      /* it has a Content-Encoding (never coded twice) */
    bool no_transform; /* Cache-Control: no-transform (RFC 9110 7.7) */
    int64_t length;    /* of its body; -1: not known before it ends */
    bool body;         /* a body goes out: not HEAD, 204 or 304 */
} bn_compress_resp_t;

/* What to do to the response: bn_compress_plan()'s answer. */
typedef struct {
    int enc;     /* BN_ENC_*: the coding applied; BN_ENC_IDENTITY: none */
    bool vary;   /* Vary gets Accept-Encoding: the type is one the route compresses */
    bool weaken; /* a strong ETag goes out weak (W/"...") */
} bn_compress_plan_t;

/*
 * Decides for r's response, described by resp, on r's route: the coding
 * (and then r->compress holds a started encoder, freed with r's pool), and
 * the Vary and ETag rules.  Nothing when the route does not compress.  A
 * response is coded only when its type matches compress.types, its length
 * is unknown or at least min_length, it has a body and is no partial one
 * (206, or the answer to a Range request), carries no Content-Encoding
 * and no no-transform, is no upgrade, and the client's Accept-Encoding
 * names a coding the route has; and only while this worker's compressors
 * stay within limits.compress_memory (else it goes out as it is).
 */
void bn_compress_plan(bn_request_t *r, const bn_compress_resp_t *resp, bn_compress_plan_t *plan);

enum { BN_COMPRESS_RUN = 0, BN_COMPRESS_FLUSH, BN_COMPRESS_FINISH };

/*
 * One step of z's encoder.  op RUN takes input from *in (advancing *in and
 * *inlen over what it took); FLUSH, then, also pushes out all it holds, so
 * what came so far can be decoded (a sync flush: the upstream is slow);
 * FINISH ends the stream.  A FLUSH or FINISH that fills the output goes on
 * at the next call, whatever op that call asks, taking no input until it
 * is complete.  *out, *outlen: the bytes made, in z's own buffer, valid
 * until the next call; *outlen 0 means there is nothing more to do for op
 * now (RUN: the input was all taken; FLUSH: flushed, or nothing to flush;
 * FINISH: the stream ended, and its state is freed).  BN_OK, or BN_ERROR
 * when the encoder failed (the response cannot be completed).
 */
int bn_compress_step(bn_compress_t *z, const char **in, size_t *inlen, int op, const char **out,
                     size_t *outlen);
/* Whether z took input since its last flush. */
bool bn_compress_dirty(const bn_compress_t *z);
/* Whether z's stream ended (FINISH completed). */
bool bn_compress_finished(const bn_compress_t *z);

/*
 * For a body at hand whole (a cache hit; a proxied one is coded within
 * worker/pipe.c's framing): the next bytes to write of its coded form, in
 * iov[0..*niov) (at most 3), framed as chunks when chunked, else as they
 * are (the connection closes after them).  Input comes from *in, *inlen
 * (advanced over what the encoder took); last: nothing follows it, so the
 * stream ends, then the chunked terminator.  *niov 0: more input is
 * needed, or, when bn_compress_ended(), all is written.  The caller writes
 * what it can and says how much with bn_compress_wrote().  BN_OK, or
 * BN_ERROR when the encoder failed.
 */
int bn_compress_next(bn_compress_t *z, const char **in, size_t *inlen, bool last, bool chunked,
                     struct iovec *iov, int *niov);
void bn_compress_wrote(bn_compress_t *z, size_t n);
bool bn_compress_ended(const bn_compress_t *z);

/* Bytes of encoder state this worker holds now, as counted against
 * limits.compress_memory. */
uint64_t bn_compress_memory(void);

#endif
