/*
 * compress.c: response compression on a worker (a route's compress group).
 *
 * The decision is made once per response, from its head (bn_compress_plan):
 * who may have what (the client's Accept-Encoding against the route's
 * algorithms, common/encoding.c), and what the response allows (its type,
 * length, status, Content-Encoding and no-transform).  The body is then
 * coded as it streams (worker/pipe.c for a proxied body, worker/cache.c for
 * one served from the cache): each step takes what input is there and
 * returns what the encoder made, so no body is ever held whole.
 *
 * Memory.  An encoder's state is the one cost that grows with concurrent
 * responses, so it is counted: every allocation zlib and Brotli make goes
 * through allocators here that add it to this worker's total, and a new
 * encoder starts only when its expected size still fits under
 * limits.compress_memory; otherwise the response goes out uncoded.  Each
 * stream is charged the larger of its estimate and what it really
 * allocated.  The state is freed when the stream ends, and in any case by
 * a cleanup of the request's pool, however the request ends.
 *
 * Windows (README, "Compression"): gzip uses zlib's windowBits 15 and
 * memLevel 8 (about 262 KiB of state), Brotli a window of 2^18 bytes
 * (BROTLI_PARAM_LGWIN 18); a body whose length is known and short gets
 * smaller windows, as nginx does, since a window larger than the body
 * gains nothing.
 */
#include "compress.h"
#include "request.h"
#include "../common/encoding.h"
#include "../common/http_cache.h"

#include <brotli/encode.h>
#include <stddef.h>
#include <sys/uio.h>
#include <zlib.h>

#define BN_COMPRESS_MAGIC 0x636d7072U

/* The output of one step: one chunk on the wire. */
#define OUT_SIZE BN_ENCODING_OUT_SIZE

#define GZIP_WBITS 15
#define GZIP_MEMLEVEL 8
#define BROTLI_WBITS 18

struct bn_compress_s {
    unsigned magic;
    int enc;
    int pending; /* a FLUSH or FINISH that filled the output goes on; else RUN */
    bool dirty;  /* input taken since the last flush */
    bool finished;
    bool live;        /* the encoder's state is allocated */
    size_t allocated; /* by the encoder's allocator, now */
    size_t charged;   /* counted in in_use: max(estimate, peak allocated) */
    z_stream zs;
    BrotliEncoderState *br;
    char *out;

    /* bn_compress_next(): the frame being written, its chunk header, the
     * output, then "\r\n" (tail); term: the chunked terminator. */
    char hdr[24];
    size_t hdr_len;
    size_t out_len;
    bool tail;
    bool term;
    bool framed;
    size_t sent;
};

/* This worker's encoder state, as charged. */
static uint64_t in_use;

/* Allocations carry their size before them, for the count on free; the
 * union keeps what follows aligned for any type. */
typedef union {
    size_t size;
    max_align_t align;
} alloc_hdr_t;

static void *
counted_alloc(bn_compress_t *z, size_t size)
{
    alloc_hdr_t *h = malloc(sizeof(alloc_hdr_t) + size);

    if (h == NULL) {
        return NULL;
    }
    h->size = size;
    z->allocated += sizeof(alloc_hdr_t) + size;
    if (z->allocated > z->charged) {
        in_use += z->allocated - z->charged;
        z->charged = z->allocated;
    }
    return h + 1;
}

static void
counted_free(bn_compress_t *z, void *p)
{
    alloc_hdr_t *h;

    if (p == NULL) {
        return;
    }
    h = (alloc_hdr_t *) p - 1;
    z->allocated -= sizeof(alloc_hdr_t) + h->size;
    free(h);
}

static voidpf
zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    if (size != 0 && items > SIZE_MAX / size) {
        return Z_NULL;
    }
    return counted_alloc(opaque, (size_t) items * size);
}

static void
zlib_free(voidpf opaque, voidpf p)
{
    counted_free(opaque, p);
}

static void *
brotli_alloc(void *opaque, size_t size)
{
    return counted_alloc(opaque, size);
}

static void
brotli_free(void *opaque, void *p)
{
    counted_free(opaque, p);
}

/* Frees z's encoder and gives its charge back; z itself is the pool's. */
static void
release(bn_compress_t *z)
{
    if (z->live) {
        if (z->enc == BN_ENC_GZIP) {
            (void) deflateEnd(&z->zs);
        } else {
            BrotliEncoderDestroyInstance(z->br);
            z->br = NULL;
        }
        z->live = false;
    }
    counted_free(z, z->out);
    z->out = NULL;
    BN_ASSERT(z->allocated == 0);
    BN_ASSERT(in_use >= z->charged);
    in_use -= z->charged;
    z->charged = 0;
}

static void
cleanup(void *data)
{
    bn_compress_t *z = data;

    BN_CHECK_OBJ(z, BN_COMPRESS_MAGIC);
    release(z);
    z->magic = 0;
}

/*
 * The window for a body of length (-1: unknown): the largest, halved while
 * the body would fit in half of it.  zlib's gzip takes windowBits 9 at the
 * least, Brotli 10 (BROTLI_MIN_WINDOW_BITS).
 */
static int
window_bits(int max, int min, int64_t length)
{
    int w = max;

    while (length >= 0 && w > min && length <= ((int64_t) 1 << (w - 1))) {
        w--;
    }
    return w;
}

/* What a new stream will cost, charged before it starts
 * (bn_encoding_state_size() says how it was found). */
static size_t
estimate(int enc, int wbits, unsigned level)
{
    return bn_encoding_state_size(enc, level, wbits);
}

/* Starts r's encoder: NULL when memory is short (over the limit, or
 * malloc failed), and the response goes out uncoded. */
static bn_compress_t *
start(bn_request_t *r, int enc, int64_t length)
{
    const bn_conf_compress_t *cc = &r->route->compress;
    int wbits = enc == BN_ENC_GZIP ? window_bits(GZIP_WBITS, 9, length)
                                   : window_bits(BROTLI_WBITS, BROTLI_MIN_WINDOW_BITS, length);
    size_t need = estimate(enc, wbits, cc->brotli_level);
    uint64_t limit = bn_heritage.conf->limits.compress_memory;
    bn_compress_t *z;

    if (in_use + need > limit) {
        bn_log_debug(&r->client->log,
                     "compress: %" PRIu64 " bytes of encoders in use, another "
                     "%zu would pass compress_memory: sending identity",
                     in_use, need);
        return NULL;
    }
    z = bn_pcalloc(r->pool, sizeof(*z));
    if (z == NULL) {
        return NULL;
    }
    z->magic = BN_COMPRESS_MAGIC;
    z->enc = enc;
    z->charged = need;
    in_use += need;
    if (bn_pool_cleanup_add(r->pool, cleanup, z) != BN_OK) {
        in_use -= need;
        z->magic = 0;
        return NULL;
    }
    z->out = counted_alloc(z, OUT_SIZE);
    if (z->out == NULL) {
        return NULL; /* the cleanup gives the charge back */
    }
    if (enc == BN_ENC_GZIP) {
        int mem = GZIP_MEMLEVEL - (GZIP_WBITS - wbits);
        z->zs.zalloc = zlib_alloc;
        z->zs.zfree = zlib_free;
        z->zs.opaque = z;
        /* 16 + windowBits: a gzip header and trailer (RFC 1952), not zlib's. */
        if (deflateInit2(&z->zs, (int) cc->gzip_level, Z_DEFLATED, 16 + wbits, mem < 1 ? 1 : mem,
                         Z_DEFAULT_STRATEGY)
            != Z_OK) {
            return NULL;
        }
    } else {
        z->br = BrotliEncoderCreateInstance(brotli_alloc, brotli_free, z);
        if (z->br == NULL
            || !BrotliEncoderSetParameter(z->br, BROTLI_PARAM_QUALITY, cc->brotli_level)
            || !BrotliEncoderSetParameter(z->br, BROTLI_PARAM_LGWIN, (uint32_t) wbits)
            /* A hint of 1 MiB or more makes quality 4 take a hash table
             * of 4 MiB; below, the hint only makes the tables smaller. */
            || (length > 0 && length < (1 << 20)
                && !BrotliEncoderSetParameter(z->br, BROTLI_PARAM_SIZE_HINT, (uint32_t) length))) {
            if (z->br != NULL) {
                BrotliEncoderDestroyInstance(z->br);
                z->br = NULL;
            }
            return NULL;
        }
    }
    z->live = true;
    return z;
}

void
bn_compress_plan(bn_request_t *r, const bn_compress_resp_t *resp, bn_compress_plan_t *plan)
{
    const bn_conf_compress_t *cc = &r->route->compress;
    const char *ae;
    int enc;

    plan->enc = BN_ENC_IDENTITY;
    plan->vary = false;
    plan->weaken = false;
    r->compress = NULL;
    if (!cc->enabled) {
        return;
    }
    /* A 304 has no body and seldom a type: it stands for the 200 it
     * validates, so it gets that one's Vary and ETag, type unknown. */
    if (resp->ctype != NULL
            ? !bn_encoding_type_match(resp->ctype, resp->ctype_len, cc->types, cc->ntypes)
            : resp->status != 304) {
        return;
    }
    plan->vary = true;
    if (resp->encoded || resp->no_transform || r->websocket || resp->status == 204
        || resp->status == 206 || (resp->status >= 100 && resp->status < 200)) {
        return;
    }
    /* A range is of the identity bytes (README, "Compression"): a request
     * with Range gets its answer as it is, 206 or 200 alike. */
    if (bn_http_header(r, "range") != NULL) {
        return;
    }
    ae = bn_http_header(r, "accept-encoding");
    enc = ae != NULL ? bn_encoding_negotiate(ae, strlen(ae), cc->algorithms, cc->nalgorithms)
                     : BN_ENC_IDENTITY;
    if (enc == BN_ENC_IDENTITY) {
        return;
    }
    if (resp->status == 304) {
        /* The 200 it validates went out coded, with a weak ETag. */
        plan->weaken = true;
        return;
    }
    if (!resp->body || (resp->length >= 0 && (uint64_t) resp->length < cc->min_length)) {
        return;
    }
    r->compress = start(r, enc, resp->length);
    if (r->compress == NULL && cc->nalgorithms > 1) {
        /* Brotli's state is some ten times gzip's: when one does not fit,
         * the other coding the client accepts may. */
        uint8_t other = cc->algorithms[0] == enc ? cc->algorithms[1] : cc->algorithms[0];
        enc = bn_encoding_negotiate(ae, strlen(ae), &other, 1);
        if (enc != BN_ENC_IDENTITY) {
            r->compress = start(r, enc, resp->length);
        }
    }
    if (r->compress == NULL) {
        return;
    }
    plan->enc = enc;
    plan->weaken = true;
}

int
bn_compress_step(bn_compress_t *z, const char **in, size_t *inlen, int op, const char **out,
                 size_t *outlen)
{
    bool cont = z->pending != BN_COMPRESS_RUN;
    size_t ilen, avail_out = OUT_SIZE, left;
    const uint8_t *next_in;
    uint8_t *next_out;

    BN_CHECK_OBJ(z, BN_COMPRESS_MAGIC);
    *out = z->out;
    *outlen = 0;
    if (z->finished) {
        release(z); /* its last output went: the memory goes back now */
        *out = NULL;
        return BN_OK;
    }
    if (cont) {
        op = z->pending; /* its input is all taken: none more until it is done */
    }
    if (*inlen == 0 && !cont && (op == BN_COMPRESS_RUN || (op == BN_COMPRESS_FLUSH && !z->dirty))) {
        return BN_OK;
    }
    ilen = cont ? 0 : *inlen;
    next_in = (const uint8_t *) (cont ? NULL : *in);
    next_out = (uint8_t *) z->out;

    if (z->enc == BN_ENC_GZIP) {
        static const int flush[] = { Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FINISH };
        int rc;
        z->zs.next_in = (Bytef *) next_in;
        z->zs.avail_in = (uInt) BN_MIN(ilen, (size_t) UINT_MAX);
        z->zs.next_out = next_out;
        z->zs.avail_out = (uInt) avail_out;
        rc = deflate(&z->zs, flush[op]);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            return BN_ERROR;
        }
        left = ilen > 0 ? ilen - (size_t) ((const uint8_t *) z->zs.next_in - next_in) : 0;
        avail_out = z->zs.avail_out;
        z->pending =
            op != BN_COMPRESS_RUN && avail_out == 0 && rc != Z_STREAM_END ? op : BN_COMPRESS_RUN;
        z->finished = rc == Z_STREAM_END;
    } else {
        static const BrotliEncoderOperation bop[] = { BROTLI_OPERATION_PROCESS,
                                                      BROTLI_OPERATION_FLUSH,
                                                      BROTLI_OPERATION_FINISH };
        size_t avail_in = ilen;
        for (;;) {
            if (!BrotliEncoderCompressStream(z->br, bop[op], &avail_in, &next_in, &avail_out,
                                             &next_out, NULL)) {
                return BN_ERROR;
            }
            if (avail_out == 0 || (op == BN_COMPRESS_FINISH && BrotliEncoderIsFinished(z->br))
                || (op != BN_COMPRESS_FINISH && avail_in == 0
                    && !BrotliEncoderHasMoreOutput(z->br))) {
                break;
            }
        }
        left = avail_in;
        z->finished = op == BN_COMPRESS_FINISH && BrotliEncoderIsFinished(z->br);
        z->pending = op != BN_COMPRESS_RUN && !z->finished
                             && (avail_in > 0 || BrotliEncoderHasMoreOutput(z->br))
                         ? op
                         : BN_COMPRESS_RUN;
    }
    if (!cont) {
        z->dirty = z->dirty || left < ilen;
        *in += ilen - left;
        *inlen -= ilen - left;
    }
    if (op != BN_COMPRESS_RUN && z->pending == BN_COMPRESS_RUN) {
        z->dirty = false;
    }
    *outlen = OUT_SIZE - avail_out;
    return BN_OK;
}

bool
bn_compress_dirty(const bn_compress_t *z)
{
    return z->dirty;
}

bool
bn_compress_finished(const bn_compress_t *z)
{
    return z->finished;
}

uint64_t
bn_compress_memory(void)
{
    return in_use;
}

int
bn_compress_next(bn_compress_t *z, const char **in, size_t *inlen, bool last, bool chunked,
                 struct iovec *iov, int *niov)
{
    BN_CHECK_OBJ(z, BN_COMPRESS_MAGIC);
    *niov = 0;
    while (!z->framed) {
        const char *out;
        size_t outlen;

        if (z->term) {
            return BN_OK; /* all written */
        }
        if (bn_compress_step(z, in, inlen,
                             *inlen == 0 && last ? BN_COMPRESS_FINISH : BN_COMPRESS_RUN, &out,
                             &outlen)
            != BN_OK) {
            return BN_ERROR;
        }
        z->sent = 0;
        z->hdr_len = 0;
        z->tail = false;
        z->out_len = outlen;
        if (outlen > 0) {
            if (chunked) {
                z->hdr_len = (size_t) snprintf(z->hdr, sizeof(z->hdr), "%zx\r\n", outlen);
                z->tail = true;
            }
            z->framed = true;
        } else if (*inlen > 0 || !last || !z->finished) {
            return BN_OK; /* more input first */
        } else {
            /* The stream ended: the chunked terminator, or nothing more. */
            z->term = true;
            if (!chunked) {
                return BN_OK;
            }
            memcpy(z->hdr, "0\r\n\r\n", 5);
            z->hdr_len = 5;
            z->framed = true;
        }
    }
    {
        const char *parts[3] = { z->hdr, z->out, "\r\n" };
        size_t lens[3] = { z->hdr_len, z->out_len, z->tail ? 2 : 0 };
        size_t skip = z->sent;

        for (int i = 0; i < 3; i++) {
            if (skip >= lens[i]) {
                skip -= lens[i];
                continue;
            }
            iov[*niov].iov_base = (char *) parts[i] + skip;
            iov[*niov].iov_len = lens[i] - skip;
            skip = 0;
            (*niov)++;
        }
    }
    return BN_OK;
}

void
bn_compress_wrote(bn_compress_t *z, size_t n)
{
    size_t total = z->hdr_len + z->out_len + (z->tail ? 2 : 0);

    BN_CHECK_OBJ(z, BN_COMPRESS_MAGIC);
    z->sent += n;
    BN_ASSERT(z->sent <= total);
    if (z->sent == total) {
        z->framed = false;
    }
}

bool
bn_compress_ended(const bn_compress_t *z)
{
    return z->term && !z->framed;
}
