/*
 * libFuzzer target for the HTTP/2 input path: the bytes a client sends
 * after its preface go to an nghttp2 server session set up as
 * worker/http2.c sets it up, and every request head HPACK decodes goes
 * through common/h2_head.c as a stream's does.  The HTTP/1.1 head it
 * writes is parsed again by bouncer's own parser, which must find exactly
 * one head, all of it, no more header lines than fields were accepted,
 * and the body framing the fields said: nothing an HTTP/2 client frames
 * may reframe the request the rest of bouncer and the backend read.
 *
 *   make fuzz && objs/fuzz_h2 -max_total_time=600 t/fuzz/corpus/h2
 */
#include "../../common/h2_head.h"
#include "../../common/http_parse.h"

#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT 16384

typedef struct {
    bn_h2_head_t head;
    bool open;
    bool bad;
} stream_t;

static stream_t streams[8]; /* by stream id, modulo: one head is built at a time */
static char out[LIMIT];
static bn_http_header_t hdrs[101];

static stream_t *
stream_of(int32_t id)
{
    return &streams[(id / 2) % 8];
}

static void
check(stream_t *s, bool body)
{
    bn_buf_t b;
    bn_http_head_t h;
    size_t len;
    int rc;

    bn_buf_init(&b, out, sizeof(out));
    if (bn_h2_head_write(&s->head, body, &b) != BN_OK) {
        return; /* malformed: the stream is reset, nothing is parsed */
    }
    len = bn_buf_len(&b);
    h.headers = hdrs;
    h.max_head = LIMIT;
    h.max_uri = 8192;
    h.max_headers = 101;
    bn_http_head_init(&h, BN_HTTP_PARSE_REQUEST);
    rc = bn_http_parse_head(&h, b.pos, len);
    if (rc == BN_OK) {
        /* One head, the whole of what was written, no line but those
         * written for fields that passed (Host, Cookie and the chunked
         * framing aside). */
        if (s->head.cut || h.head_len != len || h.nheaders > s->head.nfields + 3) {
            __builtin_trap();
        }
        if (h.chunked != (body && !s->head.has_length)) {
            __builtin_trap();
        }
        if ((h.content_length >= 0) != s->head.has_length) {
            __builtin_trap();
        }
        if (memchr(b.pos, '\0', len) != NULL) {
            __builtin_trap();
        }
    } else if (rc == BN_AGAIN && !s->head.cut && len < LIMIT) {
        __builtin_trap(); /* a head written whole must end */
    }
}

static int
on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    stream_t *s;

    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0;
    }
    s = stream_of(frame->hd.stream_id);
    if (s->open) {
        bn_h2_head_free(&s->head);
    }
    bn_h2_head_init(&s->head, LIMIT);
    s->open = true;
    s->bad = false;
    return 0;
}

static int
on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
          const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    stream_t *s = stream_of(frame->hd.stream_id);

    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST
        || !s->open) {
        return 0;
    }
    if (!s->bad && bn_h2_head_field(&s->head, name, namelen, value, valuelen) != BN_OK) {
        s->bad = true;
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

/* As worker/http2.c: a field nghttp2 finds invalid makes the request malformed. */
static int
on_invalid_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                  size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                  void *user_data)
{
    stream_of(frame->hd.stream_id)->bad = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int
on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    stream_t *s = stream_of(frame->hd.stream_id);

    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST
        && s->open) {
        if (!s->bad) {
            check(s, !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM));
        }
        bn_h2_head_free(&s->head);
        s->open = false;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static nghttp2_session_callbacks *cb;
    static nghttp2_option *opt;
    static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                     "\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    nghttp2_session *session;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 128 },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, LIMIT },
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
    };

    if (cb == NULL) {
        nghttp2_session_callbacks_new(&cb);
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_invalid_header_callback(cb, on_invalid_header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
        nghttp2_option_new(&opt);
        nghttp2_option_set_max_continuations(opt, 8);
        nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
        nghttp2_option_set_max_settings(opt, 32);
    }
    if (nghttp2_session_server_new2(&session, cb, NULL, opt) != 0) {
        return 0;
    }
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, 3);
    if (nghttp2_session_mem_recv(session, preface, sizeof(preface) - 1) >= 0) {
        /* In two pieces where the input says, as reads would cut it. */
        size_t cut = n > 0 ? d[0] % (n + 1) : 0;
        if (nghttp2_session_mem_recv(session, d, cut) >= 0) {
            (void) nghttp2_session_mem_recv(session, d + cut, n - cut);
        }
    }
    nghttp2_session_del(session);
    for (size_t i = 0; i < 8; i++) {
        if (streams[i].open) {
            bn_h2_head_free(&streams[i].head);
            streams[i].open = false;
        }
    }
    return 0;
}
