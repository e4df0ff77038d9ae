/*
 * http.h: the worker's HTTP objects: client connections, upstream
 * connections and the request that joins them.
 *
 * A request is driven by one function, bn_http_run() in http.c, that moves
 * bytes in both directions until nothing more can move without waiting;
 * every event on either connection just calls it again.  Each direction is
 * a bn_pipe_t: a source buffer, the framing of what is read, and the framing
 * of what is written, so bouncer always frames what it forwards itself.
 */
#ifndef BN_HTTP_H
#define BN_HTTP_H

#include "../common/addr.h"
#include "../common/bouncer.h"
#include "../common/buf.h"
#include "../common/cache.h"
#include "../common/conf.h"
#include "../common/http_parse.h"
#include "../common/list.h"
#include "../common/log.h"
#include "../common/pool.h"
#include "../common/template.h"
#include "cache.h"
#include "event.h"

#include <sys/uio.h>
#include "../common/heritage.h"

#define BN_CLIENT_MAGIC 0x636c6e74U
#define BN_UPCONN_MAGIC 0x7570636eU
#define BN_REQUEST_MAGIC 0x72657175U

#define BN_BODY_BUF_SIZE 32768

typedef struct bn_request_s bn_request_t;

/*
 * How the owner of a request hears from the layers under it: set when the
 * request is made (http.c for a client's, cache_refresh.c for a background
 * refresh).  upstream.c and cache.c report through it and never call into
 * their owner's file.  run: an event or a change; move what can move.
 * failed: the upstream could not be had (or broke) with this status.
 * respond: answer with a response of bouncer's own (bn_http_respond()).
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
} bn_conn_t;

typedef enum {
    BN_CLIENT_READING = 0, /* waiting for (the rest of) a request head */
    BN_CLIENT_IDLE,        /* keep-alive, no byte of the next request yet */
    BN_CLIENT_BUSY,        /* a request is in progress */
    BN_CLIENT_LINGERING,   /* after an error response: drain, then close */
    BN_CLIENT_HANDSHAKE,   /* TLS handshake in progress */
    BN_CLIENT_HS_QUEUED,   /* new TLS connection, its handshake not begun */
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
    bn_log_t log;  /* log.conn is the connection's number */
    bn_peer_addr_t peer;
    unsigned nrequests;
    bn_conf_listen_t *listen;
    bn_conf_server_t *tls_server; /* the block whose certificate the handshake used */
    char *client_subject;         /* verified client certificate (malloc'd), or NULL */
    bn_buf_t in;                  /* request heads and bodies, pipelined bytes */
    bn_timer_t timer;
    bn_request_t *req;
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
} bn_pipe_t;

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
    char request_id[33];              /* made when first asked for */
    size_t captures[20];              /* the route regex's ovector, for $1..$9 */
    size_t ncaptures;
    int version;
    bool keepalive; /* the client connection may serve another request */
    bool websocket; /* a valid WebSocket handshake on a route that tunnels */
    bool head_method;

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
    unsigned tries;
    int peer;       /* index + 1 of the server whose slot r holds; 0: none */
    uint32_t hash;  /* hash and ip_hash: the key's */
    bool trial;     /* this try is the trial of a server that was down */
    bool sticky_ok; /* the sticky cookie chose the server: no new cookie */
    bool queued;    /* waiting for a server below max_conns */
    bn_list_t qlink; /* on its upstream's queue (upstream.c) */
    bool sent_any;             /* a byte of this try reached the upstream */
    int fail_status;           /* how the last try failed (502, 504), if no other works */
    bool peer_failure_counted; /* passive health counted this try */
    bool stale_retried;        /* sent again after a pooled connection failed */
    bool body_replayable;      /* the whole body is still in the client buffer */
    uint64_t tried_mask;       /* peers tried, by index modulo 64 */
    unsigned addrs_tried;      /* resolve = true: addresses of this try's server, by index */
    unsigned group;            /* 1 + a configured server's group: pick only its addresses */
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
    bn_msec_t start_msec;
    bn_msec_t upstream_start_msec;
    int64_t upstream_msec;   /* -1: no upstream */
    uint64_t bytes_received; /* tunnel: from the client */

    /* The cache (cache.c); cache_status also says whether the route caches. */
    const char *cache_status; /* X-Cache-Status; NULL: the route does not cache */
    bn_cache_req_t cache;

    struct bn_tunnel_s *tunnel; /* after 101: the tunnel's state (tunnel.c) */
    char upstream_addr[BN_ADDR_TEXT_LEN];
};

/* pipe.c */
#define BN_PIPE_SRC_ERROR -1
#define BN_PIPE_DST_ERROR -2
#define BN_PIPE_TOO_LARGE -3

/* Records what an epoll event says of c's readiness (edge-triggered). */
void bn_conn_ready(bn_conn_t *c, uint32_t events);
/* Returns bytes read, 0 at EOF, BN_AGAIN or BN_ERROR (errno set). */
ssize_t bn_conn_recv(bn_conn_t *c, char *p, size_t n);
/* Returns bytes written, BN_AGAIN or BN_ERROR (errno set).  flags is 0, or
 * MSG_MORE when more bytes follow at once (plain TCP only). */
ssize_t bn_conn_sendv(bn_conn_t *c, struct iovec *iov, int n, int flags);
/* Sends what b holds; returns bytes sent (maybe 0), or BN_ERROR. */
ssize_t bn_conn_send_buf(bn_conn_t *c, bn_buf_t *b, int flags);
void bn_pipe_init(bn_pipe_t *p, bn_buf_t *buf, int in_mode, int64_t length, bool out_chunked);
/* Gives back the kernel pipe a spliced body held (the request is over). */
void bn_pipe_release(bn_pipe_t *p);
/*
 * Moves body bytes from src through p->buf to dst until one side would
 * block.  Returns 1 after progress, 0 when blocked (need_read/need_write say
 * on what), or BN_PIPE_SRC_ERROR, BN_PIPE_DST_ERROR or BN_PIPE_TOO_LARGE
 * with *why set.  dst NULL: the body is only read (and teed to tee_fd).
 */
int bn_pipe_run(bn_pipe_t *p, bn_conn_t *src, bn_conn_t *dst, const char **why);

/* route.c */
/* Host without port, lower case, in r's pool; NULL when it is not valid. */
char *bn_route_host(bn_request_t *r, const char *h, size_t len);
bn_conf_server_t *bn_route_server(bn_conf_listen_t *l, const char *host);
/* The block's first name that is not a wildcard (what stands for a missing Host), or NULL. */
const char *bn_route_server_name(const bn_conf_server_t *s);
/* Normalises r->path for matching; BN_ERROR means 400. */
int bn_route_normalize(bn_request_t *r);
/* The first route matching r->path and r->method, or NULL (404). */
bn_conf_route_t *bn_route_find(bn_request_t *r);
/* Applies r->route's rewrite to r->target; BN_OK or BN_ERROR. */
int bn_route_rewrite(bn_request_t *r);
/* "http://host/path" (RFC 9112 3.2.2): sets r->host and r->target.
 * Returns BN_OK, BN_DECLINED (origin-form) or BN_ERROR. */
int bn_route_absolute_form(bn_request_t *r);

/* headers.c */
/* RFC 9110 15: the reason phrase; "" for codes without one here. */
const char *bn_http_status_reason(int status);
/* The route's set/add header lines for r, variables expanded (r's pool). */
char *bn_http_header_lines(bn_request_t *r, const bn_conf_headers_t *h);
/* Writes r->out: the request head for the upstream.  BN_OK or BN_ERROR. */
int bn_http_build_upstream_head(bn_request_t *r);
/* The client address when the peer is a trusted proxy (real_ip). */
const char *bn_http_real_ip(bn_request_t *r);
/* Copies the upstream's 1xx response to r->rout for the client. */
void bn_http_interim_response(bn_request_t *r);
/* How an upstream's response head h frames its body (BN_BODY_*); no_body:
 * it has none whatever it says (HEAD, 204, 304). */
int bn_http_body_mode(const bn_http_head_t *h, bool no_body);
/* Writes the client's response head to r->rout and sets up the body pipe. */
int bn_http_build_response_head(bn_request_t *r);
/* The upstream's header lines to keep with a cached body, into out. */
int bn_http_cacheable_lines(bn_request_t *r, bn_buf_t *out);
/* Writes to r->rout the head of a response served from the cache. */
int bn_http_build_cached_head(bn_request_t *r, int status, const char *lines, size_t len,
                              int64_t age, uint64_t length, bool body);
/* Writes the 101 head for a WebSocket the upstream accepted. */
int bn_http_build_switch_head(bn_request_t *r);
/* Whether the upstream's 101 completes the client's WebSocket handshake. */
bool bn_http_websocket_accepted(bn_request_t *r);

/* tunnel.c */
/* Turns r into a two-way tunnel (after 101) and runs it. */
void bn_tunnel_start(bn_request_t *r);
void bn_tunnel_run(bn_request_t *r);
/* The worker drains (reload: true; quit: false): every tunnel, and every
 * one that opens from now on, ends by its route's drain_timeout (reload) or
 * shutdown_timeout (quit), counted from now; called again, the sooner
 * deadline holds. */
void bn_tunnel_drain(bool reload);
/* The number of open tunnels. */
size_t bn_tunnel_count(void);
/* The worker exits now: each tunnel gets its close frames when they can go
 * at once, and its access log line. */
void bn_tunnel_end_all(void);

/* http.c */
bn_client_t *bn_http_client_alloc(void);
void bn_http_client_free(bn_client_t *c);
void bn_http_init_client(bn_client_t *c);
bool bn_http_run_handshakes(void);
void bn_http_client_event(bn_io_t *io, uint32_t events);
void bn_http_close_client(bn_client_t *c);
/* Called on any event of the request's upstream connection. */
void bn_http_run(bn_request_t *r);
/* A response of bouncer's own: status, extra header lines (each with its
 * CRLF), Content-Type and body, or NULL for the status page. */
void bn_http_respond(bn_request_t *r, int status, const char *extra, const char *ctype,
                     const char *body);
/* shutdown_timeout passed: closes every client connection but tunnels. */
void bn_http_close_all_but_tunnels(void);
bool bn_http_have_clients(void);
/* The client_ops of http.c: a client's request failed upstream. */
void bn_http_upstream_failed(bn_request_t *r, int status, const char *why);
/* The value of r's request header name (the first line), in r's pool; NULL
 * when absent. */
/*
 * The value of header name (lower case) in head h over buf, in pool: RFC
 * 9110 5.3, a field on several lines is one field, the lines' values
 * joined by ", ".  NULL when absent (or out of memory).  Every rule about a
 * header reads it this way, so a second line can never slip past one that
 * read only the first.
 */
char *bn_http_field(bn_pool_t *pool, const bn_http_head_t *h, const char *buf, const char *name);
/* bn_http_field() of the request head. */
char *bn_http_header(bn_request_t *r, const char *name);
/* The Strict-Transport-Security value for r's responses, or NULL. */
const char *bn_http_hsts(const bn_request_t *r);
/* Ends r's tunnel or exchange: access log, both connections closed. */
void bn_http_finish_closing(bn_request_t *r);

/* upstream.c */
int bn_upstream_init(bn_conf_t *conf);
/* Gives r a connection (pooled or new); calls back into http.c when ready. */
void bn_upstream_connect(bn_request_t *r);
/* Sends r again, from its first byte, to the same server on a new
 * connection (not the pool). */
void bn_upstream_reconnect(bn_request_t *r);
/* Returns the connection to the pool when reusable, else closes it. */
void bn_upstream_release(bn_request_t *r, bool reusable);
/* Counts a failure of the peer of r->up (passive health), when its
 * upstream's passive_fail_on lists why (a BN_FAIL_* bit). */
void bn_upstream_peer_failed(bn_request_t *r, unsigned why);
void bn_upstream_close_idle(void);
/* Sends r to the server pick_peer() gave it (queue dispatch, connect). */
void bn_upstream_connect_picked(bn_request_t *r);
/* Tries r on another server when that is safe (see the function), logging
 * why; false when it is not, and the caller answers the client. */
bool bn_upstream_retry(bn_request_t *r, int status, const char *why);
void bn_upstream_dequeue(bn_request_t *r);
/* Whether all of r may be sent again: an idempotent method whose whole
 * body (if any) is still in the client buffer. */
bool bn_upstream_replayable(const bn_request_t *r);
/* The sticky cookie value to set on r's response, or NULL. */
const char *bn_upstream_sticky_value(bn_request_t *r);

/* variables.c */
/* The value of template t for r, in r's pool; NULL when memory runs out. */
char *bn_var_expand(bn_request_t *r, const bn_template_t *t);
const char *bn_request_id(bn_request_t *r);
/* The value of cookie name in r's Cookie headers; *v NULL when absent. */
void bn_var_cookie(bn_request_t *r, const char *name, const char **v, size_t *len);

/* tls.c */
int bn_tls_init(bn_conf_t *conf);
/* SSL_set_fd() for c, with the socket's reads watched (c->drained). */
int bn_tls_set_fd(bn_conn_t *c, SSL *ssl);
/* Starts TLS on a client of a tls_listen listener; BN_OK or BN_ERROR. */
int bn_tls_accept(bn_client_t *c);
/* Moves the handshake on: BN_OK when done, BN_AGAIN, BN_ERROR (logged), or
 * BN_DECLINED: the client's first bytes are plain text, not TLS (nothing
 * of them is read). */
int bn_tls_handshake(bn_client_t *c);
ssize_t bn_tls_recv(bn_conn_t *c, char *p, size_t n);
ssize_t bn_tls_sendv(bn_conn_t *c, struct iovec *iov, int n);
/* Sends close_notify (one try) and frees the TLS state. */
void bn_tls_close(bn_conn_t *c);
/* Ends the sending side: close_notify when TLS, then a FIN. */
void bn_conn_shutdown_write(bn_conn_t *c);
const char *bn_tls_protocol(const bn_conn_t *c); /* NULL: plain */
bool bn_tls_resumed(const bn_conn_t *c);

/* cache.c */
/* The waiting lists of conf's cache zones, each woken by its zone's eventfd. */
int bn_cache_init(bn_conf_t *conf);
/* For a request on a caching route: answers it from the cache (BN_DONE),
 * waits for another request to fill the key (BN_AGAIN: the cache goes on
 * with it later), or marks it to be stored (BN_DECLINED: go upstream). */
int bn_cache_request(bn_request_t *r);
/* The upstream's head arrived, with a stale entry in hand: a 304 to its
 * validators refreshes and serves it, a 5xx may let it answer (use_stale).
 * BN_DONE when the cache took over the response, else BN_OK. */
int bn_cache_upstream_head(bn_request_t *r);
/* The upstream failed (status 502 or 504): true when a stale entry answers. */
bool bn_cache_stale_on_failure(bn_request_t *r, int status);
/* The upstream's head arrived: starts storing when the response may be. */
void bn_cache_response(bn_request_t *r);
/* A PURGE request: 200 when an entry went, 404 when there was none, 403
 * from outside purge_allow. */
int bn_cache_purge(bn_request_t *r);
/* Moves a cached response to the client: 1 progress, 0 blocked, BN_DONE,
 * BN_ERROR (the client is gone). */
int bn_cache_send(bn_request_t *r);
/* The request ends: a complete stored response enters the index, anything
 * else is thrown away; then its fill lock goes, waking who waits for it (a
 * waiter that ends leaves the waiting list). */
void bn_cache_finish(bn_request_t *r, bool complete);
/* The head of a background refresh's answer arrived (r->resp_pipe is set up
 * for its body): BN_DONE when a 304 renewed the entry, BN_OK when the body
 * is being stored (the pipe tees it), BN_DECLINED when the answer may not
 * be stored, BN_ERROR for a 5xx.  Except after BN_OK, the stale entry stays
 * as it was. */
int bn_cache_refresh_head(bn_request_t *r);

/* cache_refresh.c */
/*
 * Starts a request of its own, with no client, that fetches r's key again
 * while r is answered from the stale entry: a copy of r's head (as r holds
 * it now), r->out as its upstream head, r's stored entry's metadata, and
 * r's fill lock, which it gives up when it ends.  BN_OK, or BN_ERROR when
 * none could start (r keeps its lock and goes on as before).
 */
int bn_cache_refresh_start(bn_request_t *r);
/*
 * What a refresh reports to the cache that started it (cache.c hands these
 * over at start, so the refresh never calls up into it): head, when the
 * answer's head arrived (bn_cache_refresh_head()); finish, when it ends
 * (bn_cache_finish()).
 */
void bn_cache_refresh_hooks(int (*head)(bn_request_t *r), void (*finish)(bn_request_t *r, bool complete));
/* A background request's ops: what bn_http_run() and
 * bn_http_upstream_failed() are to a client's. */
void bn_cache_refresh_run(bn_request_t *r);
void bn_cache_refresh_failed(bn_request_t *r, int status, const char *why);
/* Background requests in flight: a quitting worker waits for them. */
unsigned bn_cache_refreshes(void);

/* access_log.c */
void bn_access_log_write(bn_request_t *r);
int bn_access_log_fd(void);
void bn_access_log_set_fd(int fd, int format);

/* worker_state.c (set by worker.c) */
extern uint64_t bn_worker_conn_count; /* client and upstream descriptors */
extern pid_t bn_worker_pid;           /* getpid(), once: it is asked per request */
extern bool bn_worker_quitting;
uint64_t bn_worker_next_conn_id(void);

#endif
