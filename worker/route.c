/*
 * route.c: where a request goes: the server block its Host names on the
 * listener it came in on, the first route of that block that matches its
 * path and method, whether the client may use it, and the rewritten target.
 */
#include "route.h"

#include <openssl/x509v3.h>
#include "request.h"
#include "../common/uri.h"

#include <strings.h>

/*
 * The host name of a Host value or an absolute-form authority, without its
 * port, in lower case and without a trailing dot: what selects the server
 * block and what $host (and so the cache key) says.  NULL when the value
 * is not a valid authority (bn_http_parse_host()): the request is 400,
 * so that what goes upstream is always what was checked.
 */
char *
bn_route_host(bn_request_t *r, const char *h, size_t len)
{
    size_t n;
    char *s;

    if (bn_http_parse_host(h, len, &n) != BN_OK) {
        return NULL;
    }
    s = bn_pstrndup(r->pool, h, n);
    if (s == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z') {
            s[i] = (char) (s[i] | 0x20);
        }
    }
    if (n > 0 && s[n - 1] == '.') {
        s[n - 1] = '\0';
    }
    return s;
}

static bool
server_has_listen(const bn_conf_server_t *s, const bn_conf_listen_t *l)
{
    for (size_t i = 0; i < s->nlistens; i++) {
        if (s->listens[i] == l) {
            return true;
        }
    }
    return false;
}

static bool
name_matches(const char *pattern, const char *host)
{
    size_t hl, pl;

    if (pattern[0] != '*') {
        return strcasecmp(pattern, host) == 0;
    }
    /* "*.example.com" matches "a.example.com" and "a.b.example.com". */
    hl = strlen(host);
    pl = strlen(pattern + 1);
    return hl > pl && strcasecmp(host + hl - pl, pattern + 1) == 0;
}

bn_conf_server_t *
bn_route_server(bn_conf_listen_t *l, const char *host)
{
    bn_conf_t *conf = bn_heritage.conf;

    if (host != NULL) {
        for (int wild = 0; wild < 2; wild++) {
            for (size_t i = 0; i < conf->nservers; i++) {
                bn_conf_server_t *s = &conf->servers[i];
                if (!server_has_listen(s, l)) {
                    continue;
                }
                for (size_t k = 0; k < s->nnames; k++) {
                    if ((s->names[k][0] == '*') == wild && name_matches(s->names[k], host)) {
                        return s;
                    }
                }
            }
        }
    }
    return l->default_server;
}

static const char *
server_name(const bn_conf_server_t *s)
{
    for (size_t i = 0; i < s->nnames; i++) {
        if (s->names[i][0] != '*') {
            return s->names[i];
        }
    }
    return NULL;
}

static bool
method_allowed(const bn_conf_route_t *rt, const char *method)
{
    if (rt->methods == NULL) {
        return true;
    }
    for (size_t i = 0; i < rt->nmethods; i++) {
        if (strcmp(rt->methods[i], method) == 0) {
            return true;
        }
    }
    return false;
}

static bn_conf_route_t *
find_route(bn_request_t *r)
{
    /* One per worker, made once: $0..$9 is all a route can use. */
    static pcre2_match_data *md;
    size_t plen = strlen(r->path);
    int rc = 0;

    if (md == NULL && (md = pcre2_match_data_create(BN_NELEMS(r->captures) / 2, NULL)) == NULL) {
        return NULL;
    }

    for (size_t i = 0; i < r->server->nroutes; i++) {
        bn_conf_route_t *rt = &r->server->routes[i];
        bool match = false;

        switch (rt->match_kind) {
        case BN_MATCH_EXACT:
            match = plen == rt->match_len && memcmp(r->path, rt->match, plen) == 0;
            break;
        case BN_MATCH_PREFIX:
            match = plen >= rt->match_len && memcmp(r->path, rt->match, rt->match_len) == 0;
            break;
        case BN_MATCH_REGEX:
            rc = pcre2_match(rt->regex, (PCRE2_SPTR) r->path, plen, 0, 0, md, NULL);
            match = rc >= 0;
            break;
        }
        if (match && method_allowed(rt, r->method)) {
            if (rt->match_kind == BN_MATCH_REGEX) {
                /* Kept for "$1" in a redirect.  rc counts the pairs set (0:
                 * more groups than room, so all the room is set). */
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                r->ncaptures = rc == 0 ? BN_NELEMS(r->captures) / 2 : (size_t) rc;
                for (size_t k = 0; k < 2 * r->ncaptures; k++) {
                    r->captures[k] = ov[k];
                }
            }
            return rt;
        }
    }
    return NULL;
}

/* Applies the route's rewrite to the path; the query string is kept. */
static int
rewrite(bn_request_t *r)
{
    const bn_conf_route_t *rt = r->route;
    const char *q = strchr(r->target, '?');
    PCRE2_UCHAR out[8192];
    PCRE2_SIZE outlen = sizeof(out);
    int rc;

    rc =
        pcre2_substitute(rt->rewrite, (PCRE2_SPTR) r->path, PCRE2_ZERO_TERMINATED, 0, 0, NULL, NULL,
                         (PCRE2_SPTR) rt->rewrite_replace, PCRE2_ZERO_TERMINATED, out, &outlen);
    if (rc < 0) {
        return BN_ERROR;
    }
    if (rc == 0) {
        return BN_OK;
    }
    if (outlen == 0 || out[0] != '/') {
        r->target = bn_psprintf(r->pool, "/%.*s%s", (int) outlen, (char *) out, q ? q : "");
    } else {
        r->target = bn_psprintf(r->pool, "%.*s%s", (int) outlen, (char *) out, q ? q : "");
    }
    return r->target != NULL ? BN_OK : BN_ERROR;
}

/* Turns "http://host/path" (RFC 9112 3.2.2) into origin-form and a host. */
int
bn_route_absolute_form(bn_request_t *r)
{
    const char *t = r->target, *slash;

    if (strncasecmp(t, "http://", 7) != 0) {
        return BN_DECLINED;
    }
    slash = strchr(t + 7, '/');
    r->host = bn_route_host(r, t + 7, slash ? (size_t) (slash - t - 7) : strlen(t + 7));
    if (r->host == NULL || r->host[0] == '\0') {
        return BN_ERROR;
    }
    /* RFC 9112 3.2.2: the authority replaces Host, port and all. */
    r->authority = bn_pstrndup(r->pool, t + 7, slash ? (size_t) (slash - t - 7) : strlen(t + 7));
    r->target = bn_pstrdup(r->pool, slash ? slash : "/");
    return r->authority != NULL && r->target != NULL ? BN_OK : BN_ERROR;
}

/* Only matching uses the normalised path; the target forwarded stays as the
 * client wrote it (common/uri.c says how). */
int
bn_route_normalize(bn_request_t *r)
{
    size_t n = strlen(r->path);
    char *out = bn_palloc(r->pool, n + 2);

    if (out == NULL || bn_uri_normalize(r->path, n, out) < 0) {
        return BN_ERROR;
    }
    r->path = out;
    return BN_OK;
}

/* ---- the phases routing makes --------------------------------------------------- */

/* Whether a handshake made for block b lets a request reach block a: only
 * when a asks nothing more of the client's certificate than b did. */
static bool
same_client_rules(const bn_conf_server_t *a, const bn_conf_server_t *b)
{
    const char *ca = a->tls.conf.client_ca, *cb = b->tls.conf.client_ca;

    return ca == NULL || (cb != NULL && strcmp(ca, cb) == 0);
}

int
bn_route_phase_server(bn_request_t *r)
{
    bn_client_t *c = r->client;

    r->server = bn_route_server(c->listen, r->host);
    if (r->host == NULL) {
        /* No Host (HTTP/1.0): the block's name stands for it, in $host, the
         * cache key and the Host sent upstream alike, so that what is
         * stored under a name is what that name's backend answered. */
        r->host = (char *) server_name(r->server);
    }
    if (c->conn.ssl != NULL && r->server != c->tls_server
        && (c->sni || !same_client_rules(r->server, c->tls_server))) {
        /* The handshake was made under another block's rules (its client
         * certificates above all): this block must not be reached with it. */
        bn_log_error(BN_LOG_INFO, &c->log, 0,
                     "Host names another server than the TLS handshake chose");
        return 421;
    }
    if (c->h2_stream && c->conn.ssl != NULL && r->server != c->tls_server
        && (!r->server->http2
            || X509_check_host(SSL_get_certificate(c->conn.ssl), r->host, 0, 0, NULL) != 1)) {
        /* A browser coalesces onto one HTTP/2 connection the names its
         * certificate covers (RFC 9113 9.1.1): a block that turns HTTP/2
         * off, or a name the certificate does not cover, is sent back to
         * a connection of its own. */
        bn_log_error(BN_LOG_INFO, &c->log, 0,
                     "an HTTP/2 request for a server block its connection cannot serve");
        return 421;
    }
    return BN_OK;
}

int
bn_route_phase_post_read(bn_request_t *r)
{
    bn_client_t *c = r->client;

    r->peer_trusted =
        bn_cidr_list_match(r->server->real_ip_from, r->server->nreal_ip_from, &c->peer.sa);
    r->remote_addr = r->peer_trusted ? bn_http_real_ip(r) : r->peer_text;
    return BN_OK;
}

int
bn_route_phase_redirect(bn_request_t *r)
{
    unsigned port = r->server->tls.https_port;
    char *loc;

    if (r->client->conn.ssl != NULL || !r->server->tls.redirect_http || r->host == NULL) {
        return BN_OK;
    }
    loc = port == 443 ? bn_psprintf(r->pool, "Location: https://%s%s\r\n", r->host, r->request_uri)
                      : bn_psprintf(r->pool, "Location: https://%s:%u%s\r\n", r->host, port,
                                    r->request_uri);
    r->ops->respond(r, 308, loc, NULL, NULL);
    return BN_DONE;
}

int
bn_route_phase_route(bn_request_t *r)
{
    r->route = find_route(r);
    if (r->route == NULL) {
        return 404;
    }
    if (r->route->rewrite != NULL && rewrite(r) != BN_OK) {
        return 500;
    }
    return BN_OK;
}
