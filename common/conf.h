/*
 * conf.h: the configuration as typed structs.  bn_conf_load() reads a
 * libconfig file with the schema of bouncer.conf.example, checks every
 * setting and reference, and returns one bn_conf_t allocated in its own pool
 * (one pool per config generation).  Sizes and durations are parsed here,
 * once; nothing downstream sees a string where a number is meant.
 */
#ifndef BN_CONF_H
#define BN_CONF_H

#include "addr.h"
#include "bouncer.h"
#include "apikeys.h"
#include "htpasswd.h"
#include "jwt.h"
#include "pool.h"
#include "template.h"
#include "tls.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

typedef struct bn_conf_s bn_conf_t;
typedef struct bn_conf_server_s bn_conf_server_t;

/* In the order of the spec's list of balance values. */
enum {
    BN_BALANCE_ROUND_ROBIN = 0,
    BN_BALANCE_LEAST_CONN,
    BN_BALANCE_IP_HASH,
    BN_BALANCE_HASH,
    BN_BALANCE_RANDOM2,
};

/* Where the state every worker must agree on lives: common/peers.h. */
typedef struct bn_peer_state_s bn_peer_state_t;

#define BN_PEER_MAX_ADDRS 8 /* addresses kept of a name that resolves to more */

/* passive_fail_on: what counts against max_fails. */
enum {
    BN_FAIL_ERROR = 1 << 0,
    BN_FAIL_TIMEOUT = 1 << 1,
    BN_FAIL_HTTP_500 = 1 << 2,
    BN_FAIL_HTTP_502 = 1 << 3,
    BN_FAIL_HTTP_503 = 1 << 4,
    BN_FAIL_HTTP_504 = 1 << 5,
};

enum {
    BN_FORWARDED_X = 1,       /* X-Forwarded-For, -Proto, -Host, X-Real-IP */
    BN_FORWARDED_RFC7239 = 2, /* Forwarded */
};

/* log.access.format: a name, or BN_ACCESS_TEMPLATE: conf->access_template. */
enum { BN_ACCESS_COMBINED = 0, BN_ACCESS_JSON, BN_ACCESS_OFF, BN_ACCESS_TEMPLATE };

/*
 * One server of an upstream as the balancer sees it.  A name that resolves
 * to several addresses at load (resolve = false) gives one of these per
 * address, as in nginx: each is a server of its own for balancing,
 * failover and passive health, and they share the group of the server
 * written in the config, so that a connect refused by one address goes on
 * to the next without counting against retries.
 */
typedef struct {
    const char *address; /* as written */
    const char *label;   /* for logs and keys: address, or "address (IP:port)" */
    unsigned group;      /* index of the configured server this came from */
    const char *host;    /* the name or address part, without the port */
    const char *port;
    bn_addr_t addr;   /* the first address it resolved to at load */
    bn_addr_t *addrs; /* all of them (up to BN_PEER_MAX_ADDRS) */
    unsigned naddrs;
    unsigned weight;
    unsigned max_fails;
    uint64_t fail_timeout;
    unsigned max_conns; /* 0: unlimited */
    uint64_t slow_start;
    bool backup;
    bool down;
    bool probed;            /* by active health checks: their verdict counts */
    bool resolve;           /* re-resolved by the helper; addresses in state */
    bn_peer_state_t *state; /* shared memory; set by the master */
    int32_t metrics;        /* its series (metrics.h); -1: none */
} bn_conf_peer_t;

typedef struct {
    bool enabled;
    const char *path;
    uint64_t interval;
    uint64_t timeout;
    unsigned fails;
    unsigned passes;
    uint32_t expect_classes; /* bit n: status class nxx */
    unsigned *expect_status; /* single statuses listed */
    size_t nexpect_status;
} bn_conf_health_t;

typedef struct {
    bool enabled;
    const char *cookie;
    const char *path;
    uint64_t max_age; /* 0: a session cookie */
    bool secure;
    bool httponly;
    const char *samesite; /* "" : none sent */
} bn_conf_sticky_t;

typedef struct {
    const char *name;
    unsigned index;
    int balance;
    bn_conf_peer_t *peers;
    size_t npeers;
    const char *host_header; /* NULL: pass the client's */
    unsigned keepalive;
    uint64_t keepalive_timeout;
    uint64_t keepalive_surplus_timeout; /* idle connections over keepalive */
    uint64_t connect_timeout;
    uint64_t read_timeout;
    uint64_t send_timeout;
    unsigned retries;
    uint64_t retry_timeout; /* no further try starts this long after the first */
    unsigned fail_on;       /* BN_FAIL_* bits */
    bn_template_t hash_key;
    unsigned queue_size; /* 0: no queue */
    uint64_t queue_timeout;
    int queue_fd; /* eventfd shared by the workers: a slot freed; -1 without a queue */
    uint64_t resolve_interval;
    bn_addr_t resolver; /* family 0: the nameserver of /etc/resolv.conf */
    bool has_resolve;   /* some server has resolve = true */
    bn_conf_health_t health;
    bn_conf_sticky_t sticky;
    bn_peer_state_t *state; /* the upstream's own shared slot (queue length) */
    bn_tls_client_conf_t tls;
    SSL_CTX *tls_ctx; /* NULL: plain HTTP to the servers */
} bn_conf_upstream_t;

typedef struct {
    const char *name; /* "X-Env" */
    size_t name_len;
    const char *value; /* "prod", or "$remote_addr" */
    bn_template_t tpl;
} bn_conf_header_t;

typedef struct {
    bn_conf_header_t *set, *add;
    size_t nset, nadd;
    const char **remove;
    size_t nremove;
} bn_conf_headers_t;

typedef struct {
    const char *name;
    const char *path;
    uint64_t memory;
    uint64_t max_size; /* 0: only memory bounds the zone */
    uint64_t inactive;
    uint64_t hot_max_object;      /* the memory tier: entries up to this size; 0: off */
    uint64_t hot_memory;          /* ... and the share of memory its copies may take */
    struct bn_cache_zone_s *zone; /* the shared index; made by the master */
    int32_t metrics;              /* its series (metrics.h); -1: none */
} bn_conf_cache_zone_t;

typedef struct {
    unsigned *statuses;
    size_t nstatuses;
    uint64_t ttl;
} bn_conf_cache_valid_t;

typedef struct {
    bn_conf_cache_zone_t *zone; /* NULL: the route does not cache */
    bn_template_t key;
    bn_conf_cache_valid_t *valid;
    size_t nvalid;
    bool status_header;
    unsigned use_stale; /* BN_STALE_* bits */
    bool lock;
    uint64_t lock_timeout;
    uint64_t heuristic_max; /* msec: cap of heuristic freshness; 0: none */
    bool targeted;          /* Bouncer-Cache-Control and CDN-Cache-Control are obeyed */
    bn_cidr_t *purge_allow; /* who may send PURGE */
    size_t npurge_allow;
} bn_conf_cache_t;

/* cache.use_stale: when a stale entry may answer. */
enum {
    BN_STALE_ERROR = 1 << 0,
    BN_STALE_TIMEOUT = 1 << 1,
    BN_STALE_HTTP_5XX = 1 << 2,
    BN_STALE_UPDATING = 1 << 3,
};

/* Where a credential is read: "header:NAME", "cookie:NAME", "query:NAME". */
enum { BN_FROM_HEADER = 0, BN_FROM_COOKIE, BN_FROM_QUERY };

typedef struct {
    int kind;
    const char *name;
    size_t name_len;
} bn_conf_from_t;

enum { BN_AUTH_BASIC = 0, BN_AUTH_JWT, BN_AUTH_API_KEY, BN_AUTH_FORWARD, BN_AUTH_ANY };

#define BN_AUTH_ANY_MAX 16 /* policies an any may list */

/* jwt.require: a claim holds a word (contains) or is one of the values (equals). */
typedef struct {
    const char *claim;
    bool contains;
    const char **values;
    size_t nvalues;
} bn_conf_jwt_require_t;

/* "claim: Header" (jwt.claims_to_headers) or "Header" (forward.copy_headers). */
typedef struct {
    const char *claim;
    const char *header;
    size_t header_len;
} bn_conf_auth_header_t;

/* An http:// or https:// URL bouncer fetches itself (forward auth, jwks_url). */
typedef struct {
    const char *text;
    bool tls;
    bn_addr_t addr;
    const char *host; /* as in the URL: the Host header */
    const char *name; /* the host without port or brackets: SNI, the certificate's name */
    const char *path; /* with its query */
} bn_conf_url_t;

/*
 * An authentication policy: a named one of auth_policies, or one written
 * inline in a route or server block.  Its files (htpasswd, keys) are read
 * at load, by the master, so a worker never opens them and a reload that
 * cannot read them fails with the old ones still in force.
 */
typedef struct bn_conf_auth_s bn_conf_auth_t;
struct bn_conf_auth_s {
    const char *name; /* the policy's; "" when inline */
    int32_t metrics;  /* its series (metrics.h); -1: none */
    unsigned index;   /* among every policy, inline ones too: each worker's state for it */
    int method;       /* BN_AUTH_* */
    const char *realm;
    bn_conf_from_t *from; /* jwt, api_key: where the credential is, tried in order */
    size_t nfrom;

    struct {
        bn_htpasswd_t *users;
        uint64_t remember;    /* msec a verified user and password are remembered; 0: never */
        unsigned max_pending; /* per worker: hash checks queued or running, over it 503 */
    } basic;
    struct {
        bn_jwt_keys_t *keys;
        unsigned algorithms; /* 1u << BN_JWT_* */
        const char *issuer;
        const char **audience;
        size_t naudience;
        uint64_t leeway; /* msec */
        bn_conf_url_t jwks_url; /* text NULL: none */
        const char *jwks_ca;    /* CA file for an https jwks_url; NULL: the system's */
        uint64_t jwks_refresh;
        uint64_t jwks_timeout;
        struct bn_jwks_slot_s *jwks; /* what the helper fetched, for the workers */
        bn_conf_jwt_require_t *require;
        size_t nrequire;
        bn_conf_auth_header_t *to_headers;
        size_t nto_headers;
    } jwt;
    struct {
        bn_apikeys_t *keys;
    } api_key;
    struct {
        bn_conf_url_t url;
        uint64_t timeout;
        const char **pass_headers;
        size_t npass_headers;
        bn_conf_auth_header_t *copy_headers;
        size_t ncopy_headers;
        const char *user_header; /* NULL: none */
        uint64_t cache;          /* msec answers are kept; 0: not at all */
    } forward;
    struct {
        bn_conf_auth_t **policies;
        size_t n;
    } any;
};

/* A rate_limits rule (scope local: a shared zone of this host; cluster: Redis). */
typedef struct {
    const char *name;
    bn_template_t key;
    bool identity;     /* the key uses $auth_*, $jwt_claim_* or $api_key_name: after auth */
    int64_t interval;  /* microseconds between requests at the rate */
    unsigned rate_n;   /* the rate as written: rate_n per rate_window seconds */
    unsigned rate_window;
    unsigned burst, delay;
    unsigned status;
    bool dry_run;
    bool cluster;
    uint64_t memory;
    struct bn_limit_zone_s *zone; /* made by the master */
    int32_t metrics;              /* its series (metrics.h); -1: none */
} bn_conf_rate_limit_t;

/* A limit_conn rule: concurrent requests (and open tunnels) per key. */
typedef struct {
    const char *name;
    bn_template_t key;
    bool identity;
    unsigned max;
    unsigned status;
    uint64_t memory;
    struct bn_limit_zone_s *zone;
    int32_t metrics;
} bn_conf_limit_conn_t;

/* waf.mode */
enum { BN_WAF_OFF = 0, BN_WAF_DETECT, BN_WAF_BLOCK };

/* A route's waf, merged key by key over its server block's. */
typedef struct {
    unsigned mode; /* BN_WAF_* */
    unsigned paranoia;
    unsigned threshold;
    unsigned *exclude; /* rule ids not run here */
    size_t nexclude;
    uint64_t max_body; /* of a body inspected */
    unsigned max_args;  /* query or form arguments, multipart parts; more: a critical match */
    unsigned max_depth; /* JSON nesting; deeper: the body does not parse */
    unsigned match_limit; /* PCRE2's match limit for each regex run */
    bool strict_body;  /* a longer body: 413 */
    bool inspect_files;
    const struct bn_waf_rules_s *rules; /* built-in, and the site's file if set */
    const char *rules_file;             /* "" : none */
} bn_conf_waf_t;

/* A route's compress group (worker/compress.c); enabled false: absent. */
typedef struct {
    bool enabled;
    const char **types; /* media-type patterns, as "text/html" or "text/..." */
    size_t ntypes;
    uint64_t min_length;  /* a body known to be shorter goes out as it is */
    uint8_t algorithms[2]; /* BN_ENC_* (common/encoding.h), in preference order */
    size_t nalgorithms;
    unsigned gzip_level;   /* 1..9 */
    unsigned brotli_level; /* 0..11 */
} bn_conf_compress_t;

enum { BN_MATCH_PREFIX = 0, BN_MATCH_EXACT, BN_MATCH_REGEX };
enum { BN_ROUTE_UPSTREAM = 0, BN_ROUTE_REDIRECT, BN_ROUTE_RESPOND, BN_ROUTE_STATUS };

typedef struct {
    const char *name; /* the route's label in metrics: its name, else "prefix:/api/" */
    bool name_default; /* not set: made from the match */
    int32_t metrics;  /* its series (metrics.h); -1: none */
    int match_kind;
    const char *match;
    size_t match_len;
    pcre2_code *regex;
    const char **methods; /* NULL: any */
    size_t nmethods;

    int action;
    bn_conf_upstream_t *upstream;
    const char *redirect_to;
    bn_template_t redirect_tpl; /* may use the match regex's $1..$9 */
    unsigned status;            /* redirect or respond */
    const char *body;
    const char *content_type;

    pcre2_code *rewrite;
    const char *rewrite_replace;

    bn_conf_headers_t request_headers;
    bn_conf_headers_t response_headers;

    int64_t max_body_size;                                /* -1: limits.max_body_size */
    uint64_t read_timeout, send_timeout, connect_timeout; /* 0: the upstream's */

    bn_cidr_t *allow, *deny;
    size_t nallow, ndeny;
    bn_conf_auth_t *auth; /* NULL: none (or "off") */
    bool strip_credentials;
    bn_conf_rate_limit_t **rate_limits; /* each applies, in order */
    size_t nrate_limits;
    bn_conf_limit_conn_t **limit_conns;
    size_t nlimit_conns;
    bn_conf_waf_t waf;

    /* Filled by each worker at start (worker/phase.c): the access handlers
     * this route runs, in order; none for a route with nothing to check. */
    const struct bn_access_module_s **access;
    unsigned naccess;

    bool websocket;
    uint64_t websocket_idle_timeout;
    uint64_t websocket_drain_timeout; /* after a reload: how long an old worker keeps a tunnel */
    bn_conf_cache_t cache;
    bn_conf_compress_t compress;
} bn_conf_route_t;

/* One listening address, shared by every server block that lists it. */
typedef struct {
    bn_addr_t addr;
    bool tls;                         /* a tls_listen address */
    bool h2c;                         /* plain: HTTP/2 with prior knowledge too */
    int fd;                           /* bound by the master; -1 until then */
    bn_conf_server_t *default_server; /* the first server that lists it */
} bn_conf_listen_t;

typedef struct {
    bool enabled;
    bn_tls_server_conf_t conf;
    SSL_CTX *ctx;
    bool redirect_http;
    const char *hsts;    /* NULL: no Strict-Transport-Security */
    unsigned https_port; /* of the first tls_listen, for redirect_http */
    uint64_t ticket_key_rotation;
} bn_conf_server_tls_t;

struct bn_conf_server_s {
    unsigned index;
    bool status;     /* the status listener's, made from the status group */
    const char *label; /* in metrics: its first name, else its first address */
    int32_t metrics; /* its series (metrics.h); -1: none */
    int32_t metrics_unrouted; /* requests no route took (a bad head) */
    bn_conf_server_tls_t tls;
    const char **names;
    size_t nnames;
    bn_conf_listen_t **listens;
    size_t nlistens;
    unsigned forwarded; /* BN_FORWARDED_* bits */
    bool http2;           /* h2 offered by ALPN on its TLS listeners */
    bool http2_cleartext; /* its plain listeners take h2c with prior knowledge */
    bn_cidr_t *real_ip_from;
    size_t nreal_ip_from;
    const char *real_ip_header;
    bn_cidr_t *allow, *deny; /* what its routes inherit, each list unless they set their own */
    size_t nallow, ndeny;
    bn_conf_auth_t *auth; /* ... and auth, and strip_credentials */
    bool strip_credentials;
    bn_conf_rate_limit_t **rate_limits; /* ... and these */
    size_t nrate_limits;
    bn_conf_limit_conn_t **limit_conns;
    size_t nlimit_conns;
    bn_conf_waf_t waf;
    bn_conf_route_t *routes;
    size_t nroutes;
};

typedef struct {
    uint64_t header_timeout;
    uint64_t body_timeout;
    uint64_t send_timeout;
    uint64_t keepalive_timeout;
    unsigned keepalive_requests;
    uint64_t max_uri_size;
    uint64_t max_header_size;
    unsigned max_headers;
    uint64_t max_body_size; /* 0: unlimited */
    uint64_t max_upstream_header_size;
    uint64_t tls_handshake_timeout;
    uint64_t lingering_timeout;
    uint64_t waf_body_memory; /* per worker, for bodies the WAF holds */
    unsigned http2_max_concurrent_streams;
    uint64_t http2_max_header_list_size;
    uint64_t http2_idle_timeout; /* an HTTP/2 connection with no stream open */
    unsigned http2_max_resets;   /* streams a client may cancel, per connection */
    uint64_t compress_memory; /* per worker, for compressor state */
} bn_conf_limits_t;

/* redis.on_error: what a limit with scope = "cluster" does while Redis fails. */
enum { BN_REDIS_ON_ERROR_LOCAL = 0, BN_REDIS_ON_ERROR_ALLOW, BN_REDIS_ON_ERROR_DENY };

/*
 * The Redis that limits with scope = "cluster" share (worker/redis.h).  The
 * address is resolved and the password read by the master at load, so a
 * worker neither looks a name up nor opens a root-only file.
 */
typedef struct {
    bool enabled;         /* the redis group is present */
    const char *address;  /* as written, for logs */
    bn_addr_t addr;       /* IPv4, IPv6 or unix */
    const char *password; /* NULL: no AUTH */
    size_t password_len;
    unsigned database;    /* SELECTed when not 0 */
    uint64_t timeout;     /* msec a call may take */
    int on_error;         /* BN_REDIS_ON_ERROR_* */
    unsigned max_pending; /* calls in flight per worker; over it, a call fails at once */
} bn_conf_redis_t;

#define BN_CONF_HASH_LEN 32 /* SHA-256 */

struct bn_conf_s {
    bn_pool_t *pool;
    const char *file; /* absolute path */
    /* The config as libconfig parsed it, written back by libconfig: one
     * text, @includes in place, comments gone.  What a history entry keeps
     * for a rollback to load, and what sha256 is taken over, so an edit
     * of comments or layout alone is the same config. */
    const char *text;
    size_t text_len;
    unsigned char sha256[BN_CONF_HASH_LEN];
    unsigned config_history; /* entries kept in bouncer.conf.history/; 0: last-good only */

    bool daemon;
    unsigned workers;
    const char *user;
    const char *group;
    const char *pid_file;
    const char *control_socket;
    unsigned worker_connections;
    int backlog;
    bool smart_accept;          /* a new connection's first request is ACKed by the response */
    bool defer_accept;          /* accept() a connection once its first bytes are in */
    uint64_t tcp_notsent_lowat; /* bytes a client socket holds unsent; 0: the kernel's */
    uint64_t shutdown_timeout;
    uint64_t busy_poll; /* microseconds a busy worker polls before it sleeps */
    unsigned max_draining_generations;
    uint64_t upgrade_timeout; /* a new binary's master has this long to serve */
    bool debug_dumpable; /* workers and helper may leave a core (and be ptraced) */

    const char *error_log;
    int error_log_level;
    const char *access_log;
    int access_format;
    bn_template_t access_template; /* BN_ACCESS_TEMPLATE: the line, variables in it */
    uint64_t slow_request;         /* ms; a request slower than this is logged at warn; 0: off */
    bool trace_context;            /* W3C traceparent kept or made, sent upstream, logged */

    bn_conf_limits_t limits;
    unsigned auth_threads;      /* per worker, for password hashes */
    uint64_t auth_cache_memory; /* forward auth's kept answers, all workers; fixed at start */

    bn_conf_rate_limit_t *rate_limits;
    size_t nrate_limits;
    bn_conf_limit_conn_t *limit_conns;
    size_t nlimit_conns;
    bn_conf_redis_t redis;

    bn_conf_auth_t **auth_policies; /* every policy, inline ones too, by index */
    size_t nauth_policies;
    size_t nnamed_policies; /* the first ones: auth_policies as written */

    /* The WAF's rule sets: the built-in one, and one per rules file. */
    struct bn_waf_rules_s **waf_rules;
    size_t nwaf_rules;
    struct bn_waf_counters_s *waf_counters; /* the master's, kept across reloads */

    bn_conf_cache_zone_t *cache_zones;
    size_t ncache_zones;
    bn_conf_upstream_t *upstreams;
    size_t nupstreams;
    bn_conf_server_t *servers;
    size_t nservers;
    bn_conf_listen_t *listens;
    size_t nlistens;

    /* The status listener: a server block of its own (servers[nservers - 1]
     * when enabled), and what every process counts in. */
#define BN_CONF_MAX_BUCKETS 32
    struct {
        bool enabled;
        bn_conf_server_t *server;
        uint64_t *buckets; /* latency_buckets, msec, increasing */
        unsigned nbuckets;
    } status;
    struct bn_metrics_s *metrics; /* the master's, kept across reloads */
    int32_t metrics_global;      /* the global series */
    time_t loaded_at;            /* when this config was read */
};

/*
 * A list of error lines "FILE:LINE: path: message", kept in order.  Loading
 * goes on after a semantic error so `check` can report them all.
 */
typedef struct {
    char **lines;
    size_t n;
    size_t cap;
} bn_conf_errors_t;

/*
 * Loads and validates path.  Returns the config, or NULL with at least one
 * line in errs.  The caller owns both: bn_conf_free() and
 * bn_conf_errors_free().
 */
bn_conf_t *bn_conf_load(const char *path, bn_conf_errors_t *errs);
/*
 * As bn_conf_load(), and when it loads, the warnings of `bouncer check` in warns:
 * lines "FILE:LINE: warning: path: what is risky; what to do" about
 * settings that work but are most often a mistake (common/conf_lint.c).
 * They never fail the load.
 */
bn_conf_t *bn_conf_load_warn(const char *path, bn_conf_errors_t *errs, bn_conf_errors_t *warns);
/*
 * As bn_conf_load_warn(), but the text is read from the file "from" (a history
 * entry's loaded.conf, which has no @include left): path still names the
 * config, its relative paths are still taken from path's folder, and a
 * later reload reads path again.
 */
bn_conf_t *bn_conf_load_from(const char *path, const char *from, bn_conf_errors_t *errs,
                             bn_conf_errors_t *warns);
/*
 * The SHA-256 of the config at path as bn_conf_load() takes it (see
 * bn_conf_t.text), parsed only: nothing it names is opened.  BN_ERROR when
 * it does not parse.
 */
int bn_conf_hash_file(const char *path, unsigned char *sha256);
/* sha256 in lower-case hex, into out (2 * BN_CONF_HASH_LEN + 1 bytes). */
void bn_conf_hash_hex(const unsigned char *sha256, char *out);
/*
 * As bn_conf_load(), and then, when it loaded, the effective config written to
 * out as libconfig text: the @includes inlined, every setting the loader
 * read with its default when the file left it out, comments gone.  Secrets
 * written inline are "<hidden>" unless secrets is set.  Loading the text
 * again and dumping it gives the same text.
 */
bn_conf_t *bn_conf_dump(const char *path, bn_conf_errors_t *errs, FILE *out, bool secrets);
void bn_conf_free(bn_conf_t *conf);
void bn_conf_errors_free(bn_conf_errors_t *errs);
void bn_conf_errors_add(bn_conf_errors_t *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The control socket path of the config at path (malloc'd), even when the
 * file has errors; NULL when memory runs out. */
char *bn_conf_control_socket(const char *path);
/*
 * What the commands that read files beside the pid file need of the config
 * at path, found as bn_conf_control_socket() finds the socket (even when
 * the file has errors): the pid file (malloc'd) and config_history.  NULL
 * when memory runs out.
 */
char *bn_conf_pid_file(const char *path, unsigned *config_history);

/* websocket.drain_timeout is at most this (7 days). */
#define BN_WS_DRAIN_MAX (7ULL * 24 * 3600 * 1000)
/* How long a tunnel that bouncer ends may take to reach a frame boundary,
 * send its close frames and see both sides close, before it is cut. */
#define BN_WS_CLOSE_MSEC 1000

/* How long an old worker of conf may take after a reload: shutdown_timeout,
 * or the longest websocket.drain_timeout of a route that tunnels and the
 * close of its tunnels, whichever is more. */
uint64_t bn_conf_drain_time(const bn_conf_t *conf);

#endif
