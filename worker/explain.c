/*
 * explain.c: `bouncer explain` (common/explain.h).  The request asked about
 * is made as a worker makes one: its head is written out and parsed by the
 * parser, read by bn_http_request_parsed(), and taken through the phases
 * that need only the config (server, post_read, redirect, route) by the
 * phase engine, on a client that has a listener, an address and, for
 * https, a TLS object chosen by SNI as the handshake would, but no socket.
 * What comes after (access, cache, content) is described from the route
 * the worker chose, with its own access list and its own cache key; only
 * allow/deny, which needs nothing but the client's address, is run.
 *
 * It runs in the command line's process, never in a worker: nothing here is
 * on an event loop.
 */
#include "../common/explain.h"
#include "../common/heritage.h"
#include "cache.h"
#include "http.h"
#include "phase.h"
#include "request.h"
#include "tls.h"
#include "variables.h"
#include "../common/encoding.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <strings.h>

#define HEAD_MAX (256 * 1024)

static void __attribute__((format(printf, 3, 4)))
add(bn_explain_t *e, const char *key, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;

    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 32;
        bn_explain_line_t *l = bn_palloc(e->pool, cap * sizeof(*l));
        if (l == NULL) {
            return;
        }
        if (e->n > 0) {
            memcpy(l, e->lines, e->n * sizeof(*l));
        }
        e->lines = l;
        e->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    e->lines[e->n].key = key;
    e->lines[e->n].value = bn_pstrdup(e->pool, buf);
    if (e->lines[e->n].value != NULL) {
        e->n++;
    }
}

/* A duration of the config as it could be written back. */
static const char *
msec_text(bn_explain_t *e, uint64_t ms)
{
    if (ms != 0 && ms % 1000 != 0) {
        return bn_psprintf(e->pool, "%" PRIu64 "ms", ms);
    }
    return bn_psprintf(e->pool, "%" PRIu64 "s", ms / 1000);
}

static const char *
cidr_text(bn_explain_t *e, const bn_cidr_t *c)
{
    char a[INET6_ADDRSTRLEN];
    unsigned bits = 0, n = c->family == AF_INET ? 4 : 16;

    for (unsigned i = 0; i < n; i++) {
        bits += (unsigned) __builtin_popcount(c->mask[i]);
    }
    inet_ntop(c->family, c->addr, a, sizeof(a));
    return bn_psprintf(e->pool, "%s/%u", a, bits);
}

static const char *
cidr_list(bn_explain_t *e, const bn_cidr_t *list, size_t n)
{
    const char *s = "";

    for (size_t i = 0; i < n && s != NULL; i++) {
        s = bn_psprintf(e->pool, "%s%s%s", s, i ? " " : "", cidr_text(e, &list[i]));
    }
    return s;
}

static const char *
server_text(bn_explain_t *e, const bn_conf_server_t *s)
{
    const char *t = bn_psprintf(e->pool, "#%u", s->index);

    for (size_t i = 0; i < s->nnames && t != NULL; i++) {
        t = bn_psprintf(e->pool, "%s%s%s", t, i ? " " : " (names: ", s->names[i]);
    }
    return s->nnames > 0 && t != NULL ? bn_psprintf(e->pool, "%s)", t) : t;
}

/* ---- the request ------------------------------------------------------------------ */

/* What a worker answers itself: there is nothing more to explain. */
static int
answered(bn_explain_t *e, int status, const char *why)
{
    e->status = status;
    e->why = why;
    if (status != 0) {
        add(e, "status", "%d (%s)", status, why);
    } else {
        add(e, "status", "none: %s", why);
    }
    return BN_OK;
}

/* The answer being made: what a phase answers through r->ops lands there
 * (the command line explains one request at a time). */
static bn_explain_t *current;

static void
explain_respond(bn_request_t *r, int status, const char *extra, const char *ctype,
                const char *body)
{
    bn_explain_t *e = current;

    e->status = status;
    if (extra != NULL) {
        size_t n = strcspn(extra, "\r\n");
        e->why = bn_psprintf(e->pool, "answered by bouncer: %.*s", (int) n, extra);
    }
}

static void
explain_nothing(bn_request_t *r)
{
}

static void
explain_failed(bn_request_t *r, int status, const char *why)
{
}

static const bn_request_ops_t explain_ops = { explain_nothing, explain_failed, explain_respond,
                                              explain_nothing };

typedef struct {
    bool tls;
    char host[256]; /* as in the URL, brackets kept */
    unsigned port;
    const char *authority; /* host[:port] as written */
    const char *target;    /* path and query, "/" when none */
} url_t;

/* http://host[:port][/path][?query]; a #fragment is the client's own. */
static int
parse_url(bn_explain_t *e, const char *url, url_t *u)
{
    const char *p, *auth, *end, *colon;
    size_t hl;
    long port;

    if (strncasecmp(url, "http://", 7) == 0) {
        u->tls = false;
        auth = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        u->tls = true;
        auth = url + 8;
    } else {
        e->why = "the URL is not http://HOST[:PORT]/PATH or https://...";
        return BN_ERROR;
    }
    end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', (size_t) (end - auth)) != NULL) {
        e->why = "the URL has user information (user@host): a client sends none";
        return BN_ERROR;
    }
    if (auth[0] == '[') {
        colon = memchr(auth, ']', (size_t) (end - auth));
        if (colon == NULL) {
            e->why = "the URL's IPv6 address has no closing \"]\"";
            return BN_ERROR;
        }
        colon++;
        hl = (size_t) (colon - auth);
    } else {
        colon = memchr(auth, ':', (size_t) (end - auth));
        hl = (size_t) ((colon ? colon : end) - auth);
    }
    if (hl == 0 || hl >= sizeof(u->host)) {
        e->why = "the URL has no host";
        return BN_ERROR;
    }
    memcpy(u->host, auth, hl);
    u->host[hl] = '\0';
    u->port = u->tls ? 443 : 80;
    if (colon != NULL && colon < end) {
        char *stop;
        if (*colon != ':') {
            e->why = "the URL's host is not followed by \":PORT\" or a path";
            return BN_ERROR;
        }
        port = strtol(colon + 1, &stop, 10);
        if (stop != end || colon + 1 == end || port < 1 || port > 65535) {
            e->why = "the URL's port is not a number from 1 to 65535";
            return BN_ERROR;
        }
        u->port = (unsigned) port;
    }
    u->authority = bn_pstrndup(e->pool, auth, (size_t) (end - auth));
    p = end;
    if (*p == '#' || *p == '\0') {
        u->target = "/";
    } else {
        u->target = bn_pstrndup(e->pool, p, strcspn(p, "#"));
        if (u->target != NULL && u->target[0] == '?') {
            u->target = bn_psprintf(e->pool, "/%s", u->target);
        }
    }
    return u->authority != NULL && u->target != NULL ? BN_OK : BN_ERROR;
}

/*
 * The listener a client connecting to the URL reaches: one of its port
 * and kind, the one of the URL's address when the host is an address, else
 * one listening on every address (else the first of the port).  *other is
 * set when only the other kind (plain or TLS) listens there.
 */
static bn_conf_listen_t *
find_listen(bn_conf_t *conf, const url_t *u, bool *other)
{
    struct sockaddr_storage ss;
    char host[256];
    size_t hl = strlen(u->host);
    bool literal;
    bn_conf_listen_t *first = NULL, *any = NULL;

    if (u->host[0] == '[') {
        memcpy(host, u->host + 1, hl - 2);
        host[hl - 2] = '\0';
    } else {
        memcpy(host, u->host, hl + 1);
    }
    literal = bn_ip_parse(host, strlen(host), &ss) == BN_OK;
    *other = false;
    for (size_t i = 0; i < conf->nlistens; i++) {
        bn_conf_listen_t *l = &conf->listens[i];
        const struct sockaddr *sa = (const struct sockaddr *) &l->addr.sa;
        bool wildcard;

        if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
            continue;
        }
        if (bn_addr_port(&l->addr) != u->port) {
            continue;
        }
        if (l->tls != u->tls) {
            *other = true;
            continue;
        }
        wildcard = sa->sa_family == AF_INET
                       ? ((const struct sockaddr_in *) sa)->sin_addr.s_addr == htonl(INADDR_ANY)
                       : IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *) sa)->sin6_addr);
        if (literal && ss.ss_family == sa->sa_family
            && (ss.ss_family == AF_INET
                    ? ((struct sockaddr_in *) &ss)->sin_addr.s_addr
                          == ((const struct sockaddr_in *) sa)->sin_addr.s_addr
                    : memcmp(&((struct sockaddr_in6 *) &ss)->sin6_addr,
                             &((const struct sockaddr_in6 *) sa)->sin6_addr, 16)
                          == 0)) {
            return l;
        }
        if (wildcard && any == NULL) {
            any = l;
        }
        if (first == NULL) {
            first = l;
        }
    }
    if (literal) {
        return any;
    }
    return any != NULL ? any : first;
}

/* ---- what the route does ---------------------------------------------------------- */

static void
explain_access(bn_explain_t *e, bn_request_t *r)
{
    const bn_conf_route_t *rt = r->route;
    const bn_access_module_t *list[BN_PHASE_MAX_ACCESS];
    unsigned n = bn_phase_access_list(rt, list);

    if (n == 0) {
        add(e, "access", "none");
    }
    for (unsigned i = 0; i < n; i++) {
        const bn_access_module_t *m = list[i];
        bool identity = m->id == BN_ACCESS_LIMIT_IDENTITY;

        switch (m->id) {
        case BN_ACCESS_ACL:
            add(e, "access", "allow/deny: allow [%s] deny [%s]",
                cidr_list(e, rt->allow, rt->nallow), cidr_list(e, rt->deny, rt->ndeny));
            if (m->handler(r) != BN_OK) {
                answered(e, 403, bn_psprintf(e->pool, "allow/deny refuses the client %s",
                                             r->remote_addr));
                return;
            }
            break;
        case BN_ACCESS_LIMIT:
        case BN_ACCESS_LIMIT_IDENTITY:
            for (size_t k = 0; k < rt->nrate_limits; k++) {
                const bn_conf_rate_limit_t *rl = rt->rate_limits[k];
                if (rl->identity == identity) {
                    add(e, "access",
                        "rate_limit %s: %u per %us, burst %u, delay %u, status %u%s%s%s",
                        rl->name, rl->rate_n, rl->rate_window, rl->burst, rl->delay, rl->status,
                        rl->cluster ? ", scope cluster" : "", rl->dry_run ? ", dry_run" : "",
                        identity ? ", keyed on the identity (after auth)" : "");
                }
            }
            for (size_t k = 0; k < rt->nlimit_conns; k++) {
                const bn_conf_limit_conn_t *lc = rt->limit_conns[k];
                if (lc->identity == identity) {
                    add(e, "access", "limit_conn %s: at most %u at once, status %u%s", lc->name,
                        lc->max, lc->status, identity ? ", keyed on the identity (after auth)" : "");
                }
            }
            break;
        case BN_ACCESS_AUTH: {
            static const char *const methods[] = { "basic", "jwt", "api_key", "forward", "any" };
            add(e, "access", "auth: policy %s (%s)%s",
                rt->auth->name[0] ? rt->auth->name : "(inline)", methods[rt->auth->method],
                rt->strip_credentials ? ", credentials stripped before the upstream" : "");
            break;
        }
        case BN_ACCESS_WAF: {
            static const char *const modes[] = { "off", "detect", "block" };
            add(e, "access", "waf: mode %s, paranoia %u, threshold %u, max_body %" PRIu64,
                modes[rt->waf.mode], rt->waf.paranoia, rt->waf.threshold, rt->waf.max_body);
            break;
        }
        default:
            add(e, "access", "%s", m->name);
            break;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (list[i]->id != BN_ACCESS_ACL) {
            add(e, "runtime", "%s depends on the request's credentials and live state: "
                "not decided here", list[i]->name);
        }
    }
}

static void
explain_upstream(bn_explain_t *e, bn_request_t *r)
{
    static const char *const balances[] = { "round_robin", "least_conn", "ip_hash", "hash",
                                            "random2" };
    const bn_conf_route_t *rt = r->route;
    const bn_conf_upstream_t *u = rt->upstream;

    add(e, "upstream", "%s (balance %s)", u->name, balances[u->balance]);
    for (size_t i = 0; i < u->npeers; i++) {
        const bn_conf_peer_t *p = &u->peers[i];
        add(e, "upstream_server", "%s weight %u%s%s%s", p->label, p->weight,
            p->backup ? " backup" : "", p->down ? " down" : "",
            p->resolve ? " (resolved again at run time)" : "");
    }
    add(e, "upstream_target", "%s", r->target);
    if (u->host_header != NULL) {
        add(e, "upstream_host", "%s (the upstream's host_header)", u->host_header);
    } else {
        add(e, "upstream_host", "%s (the client's)",
            r->authority ? r->authority
                         : (bn_http_header(r, "host") ?: (r->host ? r->host : "(none)")));
    }
    add(e, "timeouts", "connect %s, read %s, send %s",
        msec_text(e, rt->connect_timeout ? rt->connect_timeout : u->connect_timeout),
        msec_text(e, rt->read_timeout ? rt->read_timeout : u->read_timeout),
        msec_text(e, rt->send_timeout ? rt->send_timeout : u->send_timeout));
    if (u->sticky.enabled) {
        add(e, "runtime", "sticky: the cookie %s, when the client sends one, picks the server",
            u->sticky.cookie);
    }
    add(e, "runtime", "which server answers depends on %s%s and on passive failures (max_fails)",
        u->balance == BN_BALANCE_ROUND_ROBIN || u->balance == BN_BALANCE_RANDOM2
                || u->balance == BN_BALANCE_LEAST_CONN
            ? "the balancer's state, "
            : "",
        u->health.enabled ? "health checks" : "server health");
    if (rt->websocket) {
        add(e, "websocket", "tunnels upgrades, idle timeout %s",
            msec_text(e, rt->websocket_idle_timeout));
    }
}

static void
explain_cache(bn_explain_t *e, bn_request_t *r)
{
    const bn_conf_route_t *rt = r->route;
    const char *why = NULL;
    bool no_cache;
    int rc;

    if (rt->cache.zone == NULL) {
        add(e, "cache", "off");
        return;
    }
    add(e, "cache_zone", "%s", rt->cache.zone->name);
    if (strcmp(r->method, "PURGE") == 0) {
        rc = bn_cache_request_key(r, &no_cache, NULL);
        add(e, "cache_key", "%s", r->cache.key_text ? r->cache.key_text : "");
        add(e, "cacheable", "no: PURGE drops the key (from %s)",
            rt->cache.npurge_allow
                ? cidr_list(e, rt->cache.purge_allow, rt->cache.npurge_allow)
                : "nowhere: cache.purge_allow is empty");
        return;
    }
    rc = bn_cache_request_key(r, &no_cache, &why);
    add(e, "cache_key", "%s", r->cache.key_text ? r->cache.key_text : "");
    if (rc != BN_OK) {
        add(e, "cacheable", "no: %s", why);
    } else if (no_cache) {
        add(e, "cacheable", "yes, but the client asks for the origin's word: a stored entry "
            "is revalidated");
    } else {
        add(e, "cacheable", "yes%s%s (whether it is stored depends on the response: its "
            "status, Cache-Control, cache.valid)", why ? ": " : "", why ? why : "");
    }
    if (rt->cache.lock) {
        add(e, "cache_lock", "one request fills a key, others wait up to %s",
            msec_text(e, rt->cache.lock_timeout));
    }
}

/* The route's compress group, and what this request's Accept-Encoding
 * would get of it (the response decides the rest). */
static void
explain_compress(bn_explain_t *e, bn_request_t *r)
{
    const bn_conf_compress_t *cc = &r->route->compress;
    const char *ae = bn_http_header(r, "accept-encoding"), *types = "";
    int enc;

    if (!cc->enabled) {
        add(e, "compress", "off");
        return;
    }
    for (size_t i = 0; i < cc->ntypes; i++) {
        types = bn_psprintf(e->pool, "%s%s%s", types, i ? ", " : "", cc->types[i]);
    }
    add(e, "compress", "%s%s for %s, of at least %" PRIu64 " bytes or of unknown length",
        bn_encoding_name(cc->algorithms[0]),
        cc->nalgorithms > 1 ? bn_psprintf(e->pool, ", %s", bn_encoding_name(cc->algorithms[1]))
                            : "",
        types ? types : "?", cc->min_length);
    enc = ae != NULL ? bn_encoding_negotiate(ae, strlen(ae), cc->algorithms, cc->nalgorithms)
                     : BN_ENC_IDENTITY;
    if (bn_http_header(r, "range") != NULL) {
        add(e, "compress_request", "identity: a request with Range gets the identity bytes");
    } else if (enc == BN_ENC_IDENTITY) {
        add(e, "compress_request", "identity: %s", ae != NULL ? "its Accept-Encoding accepts "
            "none of the route's algorithms" : "no Accept-Encoding");
    } else {
        add(e, "compress_request", "%s, if the response is of those types and not coded "
            "already (and limits.compress_memory has room)", bn_encoding_name(enc));
    }
}

static void
explain_route(bn_explain_t *e, bn_request_t *r)
{
    static const char *const kinds[] = { "prefix", "exact", "regex" };
    const bn_conf_route_t *rt = r->route;
    const bn_conf_limits_t *lim = &bn_heritage.conf->limits;
    const char *methods = "";

    for (size_t i = 0; i < rt->nmethods && methods != NULL; i++) {
        methods = bn_psprintf(e->pool, "%s%s%s", methods, i ? " " : ", methods ", rt->methods[i]);
    }
    add(e, "route", "%s (#%td of the block, match %s \"%s\"%s)", rt->name,
        rt - r->server->routes, kinds[rt->match_kind], rt->match, methods ? methods : "");
    if (rt->rewrite != NULL) {
        add(e, "rewrite", "%s -> %s", r->request_uri, r->target);
    }
    explain_access(e, r);
    if (e->status != 0) {
        return;
    }
    add(e, "max_body_size", "%" PRIu64 "%s",
        rt->max_body_size >= 0 ? (uint64_t) rt->max_body_size : lim->max_body_size,
        rt->max_body_size >= 0 ? " (the route's)" : " (limits.max_body_size; 0: unlimited)");
    add(e, "client_timeouts", "header %s, body %s, send %s, keepalive %s",
        msec_text(e, lim->header_timeout), msec_text(e, lim->body_timeout),
        msec_text(e, lim->send_timeout), msec_text(e, lim->keepalive_timeout));
    switch (rt->action) {
    case BN_ROUTE_UPSTREAM:
        add(e, "action", "upstream");
        explain_upstream(e, r);
        explain_cache(e, r);
        explain_compress(e, r);
        break;
    case BN_ROUTE_REDIRECT: {
        char *to = bn_var_expand(r, &rt->redirect_tpl);
        add(e, "action", "redirect");
        answered(e, (int) rt->status, bn_psprintf(e->pool, "redirect to %s", to ? to : "?"));
        break;
    }
    case BN_ROUTE_RESPOND:
        add(e, "action", "respond");
        answered(e, (int) rt->status, "the route's respond");
        break;
    case BN_ROUTE_STATUS:
        add(e, "action", "status pages");
        break;
    }
}

/* ---- the phases --------------------------------------------------------------------- */

int
bn_explain(bn_conf_t *conf, const bn_explain_query_t *q, bn_explain_t *e)
{
    static const char *const phase_why[] = { "server", "post_read", "redirect", "route" };
    bn_client_t c;
    bn_request_t *r;
    bn_conf_listen_t *l;
    bn_line_t head;
    char *buf;
    const char *why, *from = q->from ? q->from : "127.0.0.1";
    bool other, has_host = false;
    struct sockaddr_storage ss;
    url_t u;
    int rc;

    memset(e, 0, sizeof(*e));
    e->pool = bn_pool_create(64 * 1024);
    if (e->pool == NULL) {
        e->why = "out of memory";
        return BN_ERROR;
    }
    bn_heritage.conf = conf;
    if (parse_url(e, q->url, &u) != BN_OK) {
        return BN_ERROR;
    }
    if (bn_ip_parse(from, strlen(from), &ss) != BN_OK) {
        e->why = "--from is not an IPv4 or IPv6 address";
        return BN_ERROR;
    }

    /* The head, as the client would write it. */
    buf = bn_palloc(e->pool, HEAD_MAX);
    if (buf == NULL) {
        e->why = "out of memory";
        return BN_ERROR;
    }
    bn_line_init(&head, buf, HEAD_MAX);
    bn_line_printf(&head, "%s %s HTTP/1.1\r\n", q->method, u.target);
    for (size_t i = 0; i < q->nheaders; i++) {
        has_host = has_host || strncasecmp(q->headers[i], "host:", 5) == 0;
    }
    if (!has_host) {
        bn_line_printf(&head, "Host: %s\r\n", u.authority);
    }
    for (size_t i = 0; i < q->nheaders; i++) {
        bn_line_printf(&head, "%s\r\n", q->headers[i]);
    }
    bn_line_printf(&head, "\r\n");
    if (head.len + 1 >= HEAD_MAX) {
        e->why = "the request's head is too long to explain";
        return BN_ERROR;
    }

    add(e, "request", "%s %s (%s)", q->method, u.target, u.tls ? "TLS" : "plain");
    add(e, "client", "%s%s", from, q->from ? "" : " (the default; --from ADDR)");
    l = find_listen(conf, &u, &other);
    if (l == NULL) {
        if (other) {
            return answered(e, u.tls ? 0 : 400,
                            u.tls ? "port is a plain listener: the TLS handshake fails"
                                  : "the plain HTTP request was sent to HTTPS port");
        }
        return answered(e, 0,
                        bn_psprintf(e->pool, "no listener on port %u: connection refused", u.port));
    }
    add(e, "listener", "%s%s", l->addr.text, l->tls ? " (tls)" : "");

    /* The client a worker would have accepted, minus the socket. */
    memset(&c, 0, sizeof(c));
    c.magic = BN_CLIENT_MAGIC;
    c.state = BN_CLIENT_BUSY;
    c.listen = l;
    c.conn.io.fd = -1;
    memcpy(&c.peer, &ss, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                 : sizeof(struct sockaddr_in6));
    c.nrequests = 1;
    current = e;
    bn_buf_init(&c.in, buf, HEAD_MAX);
    c.in.last = buf + head.len;
    if (l->tls) {
        struct sockaddr_storage hs;
        char sni[256];
        size_t n = strlen(u.host);

        c.tls_server = l->default_server;
        c.conn.ssl = SSL_new(c.tls_server->tls.ctx);
        if (c.conn.ssl == NULL) {
            e->why = "SSL_new() failed";
            return BN_ERROR;
        }
        /* RFC 6066 3: a client names no address in SNI. */
        for (size_t i = 0; i <= n; i++) {
            sni[i] = (char) (u.host[i] >= 'A' && u.host[i] <= 'Z' ? u.host[i] + 32 : u.host[i]);
        }
        if (u.host[0] != '[' && bn_ip_parse(sni, n, &hs) != BN_OK) {
            c.sni = true;
            c.tls_server = bn_tls_sni_server(l, c.tls_server, sni);
            add(e, "tls", "SNI %s: certificate of server block %s", sni,
                server_text(e, c.tls_server));
        } else {
            add(e, "tls", "no SNI (an address): certificate of server block %s",
                server_text(e, c.tls_server));
        }
    }

    r = bn_pcalloc(e->pool, sizeof(*r));
    if (r == NULL || bn_http_request_init(r, &c, e->pool) != BN_OK) {
        SSL_free(c.conn.ssl);
        e->why = "out of memory";
        return BN_ERROR;
    }
    r->ops = &explain_ops;
    rc = bn_http_parse_head(&r->head, c.in.start, (size_t) (c.in.last - c.in.start));
    if (rc == BN_AGAIN) {
        rc = BN_ERROR;
        r->head.error = 431;
        r->head.reason = "request head too large";
    }
    if (rc == BN_ERROR) {
        SSL_free(c.conn.ssl);
        return answered(e, r->head.error,
                        bn_psprintf(e->pool, "the head does not parse: %s",
                                    r->head.reason ? r->head.reason : "invalid request"));
    }
    r->method = bn_pstrndup(r->pool, c.in.start + r->head.method, r->head.method_len);
    r->target = bn_pstrndup(r->pool, c.in.start + r->head.target, r->head.target_len);
    r->version = r->head.version ? r->head.version : 11;
    rc = bn_http_request_parsed(r, &why);
    if (rc != BN_OK) {
        SSL_free(c.conn.ssl);
        return answered(e, rc, why);
    }
    add(e, "path", "%s (as routing sees it)", r->path);
    add(e, "host", "%s", r->host ? r->host : "(none)");

    r->state = BN_REQ_PHASES;
    r->phase = BN_PHASE_SERVER;
    rc = bn_phase_run_until(r, BN_PHASE_ACCESS);
    if (r->server != NULL) {
        add(e, "server", "%s%s", server_text(e, r->server),
            r->server == l->default_server ? ", the listener's default" : "");
    }
    if (rc == BN_DONE) {
        rc = answered(e, e->status, e->why ? e->why : "answered by bouncer");
    } else if (rc != BN_OK) {
        const char *w = rc == 421   ? "the Host names another server block than the TLS "
                                      "handshake (SNI) chose"
                        : rc == 404 ? "no route of the server block matches the path and method"
                                    : bn_psprintf(e->pool, "refused in the %s phase",
                                                  r->phase < BN_NELEMS(phase_why)
                                                      ? phase_why[r->phase]
                                                      : "?");
        rc = answered(e, rc, w);
    } else {
        if (r->remote_addr != r->peer_text) {
            add(e, "client", "%s (real_ip from the trusted peer)", r->remote_addr);
        }
        explain_route(e, r);
        rc = BN_OK;
    }
    SSL_free(c.conn.ssl);
    return rc;
}

void
bn_explain_free(bn_explain_t *e)
{
    bn_pool_destroy(e->pool);
    e->pool = NULL;
}
