/*
 * types.h: the worker's HTTP objects: client connections, upstream
 * connections and the request that joins them.
 *
 * A request is driven by one function, request_run() in http.c, that moves
 * bytes in both directions until nothing more can move without waiting;
 * every event on either connection just calls it again.  Each direction is
 * a bn_pipe_t: a source buffer, the framing of what is read, and the framing
 * of what is written, so bouncer always frames what it forwards itself.
 */
#ifndef BN_WORKER_TYPES_H
#define BN_WORKER_TYPES_H

#include "../common/addr.h"
#include "../common/bouncer.h"
#include "../common/buf.h"
#include "../common/cache.h"
#include "../common/conf.h"
#include "../common/http_parse.h"
#include "../common/list.h"
#include "../common/log.h"
#include "../common/pool.h"
#include "../common/str.h"
#include "../common/template.h"
#include "cache_types.h"
#include "upstream_types.h"
#include "event.h"

#include <sys/uio.h>
#include "../common/heritage.h"

#define BN_CLIENT_MAGIC 0x636c6e74U
#define BN_UPCONN_MAGIC 0x7570636eU
#define BN_REQUEST_MAGIC 0x72657175U

#define BN_BODY_BUF_SIZE 32768

typedef struct bn_request_s bn_request_t;
typedef struct bn_compress_s bn_compress_t; /* worker/compress.c */

/*
 * How the owner of a request hears from the layers under it: set when the
 * request is made (http.c for a client's, cache_refresh.c for a background
 * refresh).  upstream.c and cache.c report through it and never call into
 * their owner's file.  run: an event or a change; move what can move.
 * failed: the upstream could not be had (or broke) with this status.
 * respond: answer with a response of bouncer's own (respond() in http.c).
 * done: the request is over and its connection goes (a tunnel's end).
 */
typedef struct {
    void (*run)(bn_request_t *r);
    void (*failed)(bn_request_t *r, int status, const char *why);
    void (*respond)(bn_request_t *r, int status, const char *extra, const char *ctype,
                    const char *body);
    void (*done)(bn_request_t *r);
} bn_request_ops_t;
typedef struct bn_access_module_s bn_access_module_t;
typedef struct bn_upconn_s bn_upconn_t;

/* What both sides of a proxied request have: an fd and its readiness. */
typedef struct {
    bn_io_t io;
    SSL *ssl;      /* a TLS connection (worker/tls.c); NULL: plain */
    bool readable; /* EPOLLIN seen and recv() has not said EAGAIN since */
    bool writable;
    /* The peer shut its side: EPOLLRDHUP seen, or a read of 0.  It stays
     * set, so a keep-alive connection whose FIN came with (or after) the
     * last bytes of a response is never pooled or reused. */
    bool rdhup;
    /* The last send had MSG_MORE: its bytes may wait in the kernel for the
     * FIN.  close() must then shut writing down first, or unread input
     * would turn the FIN into a reset that throws them away. */
    bool unpushed;
    /* TLS: the socket's last read() came back short, and no EPOLLIN has
     * come since.  Reads of what OpenSSL holds do not touch it. */
    bool drained;
    /* An HTTP/2 stream's stand-in client (worker/http2.c): its bytes go
     * through the stream, never a socket of its own. */
    struct bn_conn_stream_s *stream;
} bn_conn_t;

/*
 * A connection that is no socket of its own but a stream of another
 * (http2.c): pipe.c moves its bytes through these in place of recv() and
 * send(), as they say readiness on the connection they are given.
 */
typedef struct bn_conn_stream_s {
    ssize_t (*recv)(bn_conn_t *c, char *p, size_t n);
    ssize_t (*sendv)(bn_conn_t *c, struct iovec *iov, int n);
} bn_conn_stream_t;

typedef enum {
    BN_CLIENT_READING = 0, /* waiting for (the rest of) a request head */
    BN_CLIENT_IDLE,        /* keep-alive, no byte of the next request yet */
    BN_CLIENT_BUSY,        /* a request is in progress */
    BN_CLIENT_LINGERING,   /* after an error response: drain, then close */
    BN_CLIENT_HANDSHAKE,   /* TLS handshake in progress */
    BN_CLIENT_HS_QUEUED,   /* new TLS connection, its handshake not begun */
    BN_CLIENT_H2,          /* speaks HTTP/2: its streams are requests (http2.c) */
} bn_client_state_t;

/*
 * A client connection.  Kept small: an idle keep-alive connection holds
 * only this (no buffer, no pool), so ten thousand of them cost about 2 MiB.
 * The address's text form lives in each request (r->peer_text).
 */
typedef struct bn_client_s {
    bn_conn_t conn;
    unsigned magic;
    uint8_t state; /* bn_client_state_t */
    bool sni;      /* tls_server was chosen by the client's SNI */
    /* An HTTP/2 stream's stand-in: a request's client, made by
     * bn_http_stream_client() and living no longer than its request. */
    bool h2_stream;
    bool head_cut; /* its fields went over http2_max_header_list_size */
    uint32_t h2_id; /* its stream's id */
    bn_log_t log;  /* log.conn is the connection's number */
    bn_peer_addr_t peer;
    unsigned nrequests;
    bn_conf_listen_t *listen;
    bn_conf_server_t *tls_server; /* the block whose certificate the handshake used */
    char *client_subject;         /* verified client certificate (malloc'd), or NULL */
    bn_buf_t in;                  /* request heads and bodies, pipelined bytes */
    bn_timer_t timer;
    bn_request_t *req;
    struct bn_h2_conn_s *h2; /* BN_CLIENT_H2: its session and streams */
    bn_list_t link; /* on the worker's list of open clients, for graceful quit; or free */
} bn_client_t;

struct bn_upconn_s {
    bn_conn_t conn;
    unsigned magic;
    bn_conf_upstream_t *upstream;
    unsigned peer; /* index into upstream->peers */
    bool connected;
    bool handshaking; /* TLS to the upstream, not done yet */
    bool reused;      /* taken from the keep-alive pool */
    bool pooled;      /* idle, on its upstream's pool list */
    bool surplus;     /* ... over its keepalive: on keepalive_surplus_timeout */
    bn_timer_t timer; /* idle timeout while pooled */
    char addr_text[BN_ADDR_TEXT_LEN];
    bn_request_t *req;        /* NULL while pooled */
    bn_list_t link;           /* on its upstream's pool while idle */
};

enum { BN_BODY_NONE = 0, BN_BODY_LENGTH, BN_BODY_CHUNKED, BN_BODY_CLOSE };

/* One direction of a proxied exchange, see the top of this file. */
typedef struct {
    bn_buf_t *buf;
    int in_mode;  /* BN_BODY_*: how the source frames its body */
    int64_t left; /* BN_BODY_LENGTH: bytes still to read */
    bn_http_chunked_t chunk;
    bool out_chunked; /* re-frame as chunked for the sink */
    bool in_done;     /* the whole body was read */
    bool done;        /* ... and written, terminator included */
    bool need_read;   /* blocked: waiting for the source */
    bool need_write;  /* blocked: waiting for the sink */
    bool terminator;  /* the chunked terminator is (being) sent */
    bn_buf_t *prefix; /* sent before the first frame (the head) */
    bool close_after; /* the sink is closed once done: its FIN may ride
                         in the last frame's segment (MSG_MORE) */

    /* The frame being written: hdr, data, then "\r\n" when tail. */
    bool frame;
    char hdr[24];
    size_t hdr_len;
    const char *data;
    size_t data_len;
    bool tail;
    size_t sent;
    uint64_t bytes_out;
    uint64_t body_in; /* body bytes read (decoded) so far */
    int tee_fd;       /* a copy of the decoded body goes here (the cache); -1: none */
    bool tee_failed;
    int tee_errno;     /* why it failed */
    uint64_t max_body; /* 0: no limit; above it: PIPE_TOO_LARGE */

    /* splice(2): the body moves from socket to socket through a kernel
     * pipe and never enters this process (plain connections, a body passed
     * on as it came, no cache copy). */
    bool may_splice;    /* the caller allows it */
    bool splicing;      /* kfd holds a kernel pipe */
    int kfd[2];         /* its read and write ends */
    size_t kpipe_bytes; /* in the kernel pipe, not yet sent */

    /* A body the WAF holds until it has decided (worker/access_waf.c).
     * While hold is set, what is read is decoded into it and goes nowhere
     * (bn_pipe_hold()); once it is held, it goes out first, then the rest
     * as it comes. */
    bn_buf_t *hold;
    size_t hold_max;  /* read no more once hold has this much */
    bn_buf_t *held;   /* being sent */
    bool held_whole;  /* held is the whole body: it can be sent again */
    bool frame_held;  /* the frame being written is held's */

    /* A body coded on its way (worker/compress.c): what is read and
     * decoded goes to the tee as it is, then through z, and the frames
     * sent are z's output.  z_in, z_in_len: decoded bytes in buf that z
     * has not taken yet; z_take: all of them, freed from buf once taken. */
    bn_compress_t *z;
    const char *z_in;
    size_t z_in_len;
    size_t z_take;
    bool frame_z; /* the frame being written is z's output */
} bn_pipe_t;

/*
 * The access handlers (phase.c runs them in this order), each with a slot
 * in the request for its own state: r->access_ctx[id].  What a handler
 * must undo when the request ends (a count, a subrequest) it registers as
 * a cleanup of r->pool, which runs however the request ends.
 */
typedef enum {
    BN_ACCESS_ACL = 0,
    BN_ACCESS_LIMIT,          /* rate_limit and limit_conn keyed on the client */
    BN_ACCESS_AUTH,
    BN_ACCESS_LIMIT_IDENTITY, /* ... keyed on who authenticated */
    BN_ACCESS_WAF,
    BN_ACCESS_NMODULES,
} bn_access_id_t;

typedef enum {
    BN_REQ_CONNECTING = 0,
    BN_REQ_PROXYING,
    BN_REQ_RESPONDING, /* a response made by bouncer */
    BN_REQ_TUNNEL,     /* after 101: bytes both ways (tunnel.c) */
    BN_REQ_CACHED,     /* served from the cache (cache.c) */
    BN_REQ_PHASES,     /* in its phases (phase.c), maybe parked in one */
} bn_req_state_t;

struct bn_request_s {
    unsigned magic;
    bn_pool_t *pool;
    bn_client_t *client;
    bn_req_state_t state;
    const bn_request_ops_t *ops;
    unsigned phase;       /* bn_phase_t: where bn_phase_run() goes on */
    unsigned access_next; /* in ACCESS: the route's next access handler */
    void *access_ctx[BN_ACCESS_NMODULES];
    bn_posted_t wake; /* bn_phase_wake(): a parked request goes on */
    /* Parked on the client's body (the WAF reads it before deciding): the
     * client's events wake the request, rather than being left for later. */
    bool phase_reads_body;
    bool continue_sent; /* "100 Continue" went to the client */

    bn_http_head_t head;
    char *method;
    char *target;    /* as sent, for the upstream and the log */
    char *path;      /* target without the query, for routing */
    char *host;      /* lower case, no port */
    char *authority; /* of an absolute-form target: the Host to send */
    char *user_agent;
    char *referer;
    char *request_uri;                /* the target as the client sent it */
    char peer_text[INET6_ADDRSTRLEN]; /* the client connection's address, no port */
    const char *remote_addr;          /* the client, after real_ip */
    bool peer_trusted;                /* the peer is in real_ip.from */
    char request_id[129];             /* bn_request_id(): the client's, or made */
    struct bn_trace_s *trace;         /* W3C trace context (trace.c); NULL until asked */
    size_t captures[20];              /* the route regex's ovector, for $1..$9 */
    size_t ncaptures;
    int version;
    bool keepalive; /* the client connection may serve another request */
    bool websocket; /* a valid WebSocket handshake on a route that tunnels */
    bool head_method;

    /* Once the route's authentication passed (access_auth.c). */
    const char *auth_user;   /* $auth_user; NULL: no one authenticated */
    const char *auth_method; /* $auth_method: basic, jwt, api_key, forward */
    const char *api_key_name;
    const char *rate_limit; /* the rule that refused the request, for the log */
    const char *waf_rules;  /* the WAF rules that matched ("942100,941100"), for the log */
    const struct bn_json_s *jwt_claims; /* the token's claims, for $jwt_claim_<name> */
    /* What access handlers change in the upstream request: the client's
     * headers of these names are not passed on (a credential stripped, a
     * header bouncer sets from a claim), these lines are added, and the
     * target may lose a query argument. */
    bn_str_t *up_drop;
    unsigned nup_drop, up_drop_cap;
    char *up_lines; /* "Name: value\r\n" lines; NULL: none */

    bn_conf_server_t *server;
    bn_conf_route_t *route;
    bn_conf_upstream_t *upstream;
    char *req_header_lines; /* the route's set/add lines, expanded */
    char *resp_header_lines;

    /* Client to upstream. */
    bn_buf_t out;   /* the request head for the upstream */
    size_t out_len; /* its length, to send it again */
    /*
     * The request body's bytes: the part of the client's buffer after the
     * head.  The body is read, drained and reset within it, so the head's
     * bytes, which the parsed head points into, stay as they came until
     * the request ends; what follows the body (a pipelined request) goes
     * back to the client's buffer then.
     */
    bn_buf_t body;
    bn_pipe_t req_pipe;
    uint64_t body_sent;
    bn_upconn_t *up;
    bn_upstream_try_t upstream_try; /* how the upstream is being tried (upstream.c) */
    bool sent_any;             /* a byte of this try reached the upstream */
    bool stale_retried;        /* sent again after a pooled connection failed */
    bool body_replayable;      /* the whole body is still in the client buffer */
    bn_timer_t up_timer;

    /* Upstream to client. */
    bn_buf_t rbuf; /* upstream bytes: response head, then body */
    bn_http_head_t rhead;
    bool rhead_done;
    bn_buf_t rout; /* response head (and small bodies) for the client */
    bn_pipe_t resp_pipe;
    bool resp_started; /* a byte of the final response went to the client */
    bool up_keepalive;

    /* For the access log. */
    int status;
    int upstream_status;
    uint64_t bytes_sent;
    bn_msec_t start_msec;        /* the first byte of its head was there */
    bn_msec_t head_msec;         /* ... the head was whole (0: never) */
    bn_msec_t access_start_msec; /* ACCESS began (0: never) */
    bn_msec_t access_end_msec;   /* ... and ended (0: not yet, or answered in it) */
    bn_msec_t upstream_start_msec;
    bn_msec_t upstream_ready_msec; /* connected (TLS too), or given a pooled one */
    bn_msec_t upstream_first_msec; /* the response's first byte came (0: none) */
    int64_t upstream_msec;         /* to the response head; -1: no upstream */
    uint64_t bytes_received;       /* tunnel: from the client */

    /* The cache (cache.c); cache_status also says whether the route caches. */
    const char *cache_status; /* X-Cache-Status; NULL: the route does not cache */
    bn_cache_req_t cache;
    bn_compress_t *compress; /* the response is coded (compress.c); NULL: as it is */

    struct bn_tunnel_s *tunnel; /* after 101: the tunnel's state (tunnel.c) */
    char upstream_addr[BN_ADDR_TEXT_LEN];
};

#endif
