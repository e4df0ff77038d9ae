/*
 * conf_lint.c: the warnings of `bouncer check`: settings that load and
 * work but are most often a mistake with a price (a shared cache leaking
 * one user's page to another, a lost client address, an open door, a
 * certificate about to lapse).  A warning never fails a load.
 *
 * This runs once the whole config has loaded without an error, over both
 * the settings (for FILE:LINE and the path) and what they loaded into (for
 * what a route inherits from its server block, the ciphers OpenSSL would
 * agree to, the certificates' dates).  With no error, the loader skipped
 * no group: servers[i] is the i-th group of the servers list, routes[k]
 * the k-th of its routes, upstreams[i] the i-th upstream.
 */
#include "conf_load.h"
#include "encoding.h"
#include "str.h"

#include <arpa/inet.h>
#include <inttypes.h>

#define CERT_WARN_DAYS 14      /* a certificate that ends sooner is warned about */
#define WS_IDLE_MIN_MSEC 60000 /* a shorter websocket.idle_timeout is */

/* A network of every address of its family: "0.0.0.0/0", "::/0". */
static bool
everyone(const bn_cidr_t *c)
{
    static const uint8_t zero[sizeof(c->mask)];

    return memcmp(c->mask, zero, sizeof(zero)) == 0;
}

/* s's value as written, for a message: "30s" (quoted) or 30. */
static const char *
value_text(const config_setting_t *s, char *buf, size_t len)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        snprintf(buf, len, "\"%s\"", config_setting_get_string(s));
    } else if (bn_conf_is_int(s)) {
        snprintf(buf, len, "%lld", config_setting_get_int64(s));
    } else {
        snprintf(buf, len, "this value");
    }
    return buf;
}

/* Whether key t tells apart who is asking, or which cookies they sent. */
static bool
key_names_user(const bn_template_t *t)
{
    for (size_t i = 0; i < t->nparts; i++) {
        const bn_template_part_t *p = &t->parts[i];
        if (p->kind == BN_VAR_AUTH_USER || p->kind == BN_VAR_API_KEY_NAME
            || p->kind == BN_VAR_JWT_CLAIM
            || (p->kind == BN_VAR_HTTP && bn_strncaseeq(p->text, p->len, "authorization", 13))) {
            return true;
        }
    }
    return false;
}

static bool
key_names_cookie(const bn_template_t *t)
{
    for (size_t i = 0; i < t->nparts; i++) {
        const bn_template_part_t *p = &t->parts[i];
        if (p->kind == BN_VAR_COOKIE
            || (p->kind == BN_VAR_HTTP && bn_strncaseeq(p->text, p->len, "cookie", 6))) {
            return true;
        }
    }
    return false;
}

/* ---- routes --------------------------------------------------------------- */

static void
lint_route_cache(bn_conf_loader_t *ld, const config_setting_t *rs, const bn_conf_route_t *r)
{
    const config_setting_t *cg = bn_conf_member(rs, "cache");

    if (r->cache.zone == NULL) {
        return;
    }
    if (r->auth != NULL) {
        /* RFC 9111 3.5 keeps most such answers out, but not one the
         * backend marks public or s-maxage. */
        if (!key_names_user(&r->cache.key)) {
            bn_conf_warn(ld, cg,
                         "this route caches and has auth (%s): a response its backend marks "
                         "public or s-maxage is stored once and served to everyone who passes "
                         "auth, whoever they are; put who asks in cache.key ($auth_user, "
                         "$api_key_name, $jwt_claim_sub), or cache only routes without auth",
                         bn_conf_member(rs, "auth") != NULL ? "its own" : "the server block's");
        }
        return;
    }
    /* A status listed in valid is stored for its TTL when the response
     * says nothing of freshness; the request's cookies play no part. */
    if (r->cache.nvalid > 0 && !key_names_cookie(&r->cache.key)) {
        bn_conf_warn(ld, bn_conf_member(cg, "valid"),
                     "responses without Cache-Control are stored for these TTLs whatever Cookie "
                     "the request sent, and cache.key has no $cookie_*: a page the backend "
                     "makes for one user's session is served to everyone; have the backend send "
                     "Cache-Control (private for such pages) and list fewer statuses, or add the "
                     "session cookie to the key (\"$scheme$host$request_uri$cookie_session\")");
    }
}

/*
 * A compress group that cannot act: on a route that answers itself, or
 * with an algorithm whose one stream is more than limits.compress_memory
 * (worker/compress.c starts none then).
 */
static void
lint_route_compress(bn_conf_loader_t *ld, const config_setting_t *rs, const bn_conf_route_t *r)
{
    const bn_conf_compress_t *cc = &r->compress;
    const config_setting_t *cg = bn_conf_member(rs, "compress");
    uint64_t limit = ld->conf->limits.compress_memory;
    bool fits = false;

    if (!cc->enabled || cg == NULL) {
        return;
    }
    if (r->action != BN_ROUTE_UPSTREAM) {
        bn_conf_warn(ld, cg,
                     "does nothing here: only responses from an upstream (or the cache) are "
                     "compressed, and this route answers itself");
        return;
    }
    for (size_t i = 0; i < cc->nalgorithms; i++) {
        fits = fits || bn_encoding_state_size(cc->algorithms[i], cc->brotli_level, 0) <= limit;
    }
    for (size_t i = 0; i < cc->nalgorithms; i++) {
        int enc = cc->algorithms[i];
        size_t need = bn_encoding_state_size(enc, cc->brotli_level, 0);
        if (need <= limit) {
            continue;
        }
        bn_conf_warn(ld, cg,
                     "one %s stream%s of unknown or large length takes up to %zu KiB of "
                     "encoder state, more than limits.compress_memory (%" PRIu64 " KiB): %s",
                     bn_encoding_name(enc), enc == BN_ENC_BR ? " at this brotli_level" : "",
                     (need + 1023) / 1024, limit / 1024,
                     fits ? "its responses go out in another algorithm, or uncompressed"
                          : "nothing is ever compressed; raise compress_memory");
    }
}

static void
lint_route(bn_conf_loader_t *ld, const config_setting_t *rs, const bn_conf_route_t *r)
{
    const config_setting_t *s;
    char v[64];

    lint_route_cache(ld, rs, r);
    lint_route_compress(ld, rs, r);
    if (r->action != BN_ROUTE_UPSTREAM) {
        return;
    }
    s = bn_conf_member(bn_conf_member(rs, "websocket"), "idle_timeout");
    if (r->websocket && s != NULL && r->websocket_idle_timeout < WS_IDLE_MIN_MSEC) {
        bn_conf_warn(ld, s,
                     "%s closes a WebSocket that is quiet that long, and many applications send "
                     "nothing for a minute or more (browsers send no pings of their own); set at "
                     "least \"60s\"",
                     value_text(s, v, sizeof(v)));
    }
    s = bn_conf_member(rs, "max_body_size");
    if (s != NULL && r->max_body_size == 0 && r->auth == NULL) {
        bn_conf_warn(ld, s,
                     "0 (unlimited) on a route without auth: anyone may stream a body of any "
                     "size to the backend; set a limit (\"100m\" for uploads), or put auth on "
                     "the route");
    }
}

/* limits.max_body_size = 0 reaches every route without a limit of its own. */
static void
lint_body_limit(bn_conf_loader_t *ld, const config_setting_t *root)
{
    const bn_conf_t *c = ld->conf;
    const bn_conf_route_t *first = NULL;
    size_t n = 0;

    if (c->limits.max_body_size != 0) {
        return;
    }
    for (size_t i = 0; i < c->nservers; i++) {
        for (size_t k = 0; k < c->servers[i].nroutes; k++) {
            const bn_conf_route_t *r = &c->servers[i].routes[k];
            if (r->action == BN_ROUTE_UPSTREAM && r->max_body_size < 0 && r->auth == NULL) {
                first = first ? first : r;
                n++;
            }
        }
    }
    if (n > 0) {
        bn_conf_warn(ld, bn_conf_member(bn_conf_member(root, "limits"), "max_body_size"),
                     "0 (unlimited) applies to %zu route%s without auth (\"%s\"%s): anyone may "
                     "stream a body of any size to the backends; set a limit (\"10m\"), and a "
                     "larger max_body_size only on the routes that take uploads",
                     n, n > 1 ? "s" : "", first->name, n > 1 ? " and others" : "");
    }
}

/* ---- TLS ------------------------------------------------------------------- */

/* Whether a token of a cipher list names a weak cipher or family: a word
 * of it, split at "-" and "_" (OpenSSL's and IANA's names), is one of these. */
static bool
weak_token(const char *t, size_t len)
{
    static const char *const weak[] = { "RC4",        "DES", "3DES",   "NULL",     "aNULL",
                                        "eNULL",      "EXP", "EXPORT", "EXPORT40", "EXPORT56",
                                        "EXPORT1024", "MD5", "ADH",    "AECDH",    "anon",
                                        "LOW",        NULL };
    size_t i = 0;

    while (i < len) {
        size_t w = i;
        while (w < len && t[w] != '-' && t[w] != '_') {
            w++;
        }
        for (size_t k = 0; weak[k] != NULL; k++) {
            if (bn_strncaseeq(t + i, w - i, weak[k], strlen(weak[k]))) {
                return true;
            }
        }
        i = w + 1;
    }
    return false;
}

/*
 * tls.ciphers that names a weak cipher (which OpenSSL may leave out
 * anyway: the intent is still wrong, and a build with them would offer
 * them), or lets one in through a family ("ALL:@SECLEVEL=0").
 */
static void
lint_ciphers(bn_conf_loader_t *ld, const config_setting_t *tg, const bn_conf_server_tls_t *t)
{
    const config_setting_t *s = bn_conf_member(tg, "ciphers");
    char list[600], enabled[512];
    bn_line_t l;
    size_t n = 0;

    if (s == NULL || config_setting_type(s) != CONFIG_TYPE_STRING || t->ctx == NULL) {
        return;
    }
    bn_line_init(&l, list, sizeof(list));
    for (const char *p = config_setting_get_string(s); *p != '\0';) {
        size_t len = strcspn(p, ": ,;");
        /* "!RC4" and "-RC4" take a cipher out; "+RC4" only moves it. */
        if (len > 0 && p[0] != '!' && p[0] != '-' && weak_token(p, len)) {
            bn_line_printf(&l, "%s%.*s", n++ ? ", " : "", (int) len, p);
        }
        p += len + (p[len] != '\0');
    }
    if (bn_tls_weak_ciphers(t->ctx, enabled, sizeof(enabled)) > 0) {
        bn_line_printf(&l, "%s%s", n++ ? "; let in: " : "let in: ", enabled);
    }
    bn_line_mark_cut(&l, "...");
    if (n > 0) {
        bn_conf_warn(ld, s,
                     "weak ciphers (RC4, DES, 3DES, NULL, EXPORT, anonymous or MD5): %s; take "
                     "them out, or leave ciphers unset for the default (Mozilla's intermediate "
                     "list)",
                     list);
    }
}

static void
lint_cert(bn_conf_loader_t *ld, const config_setting_t *s, const char *file, const X509 *x)
{
    bn_tls_cert_info_t info;

    if (x == NULL) {
        return;
    }
    bn_tls_cert_info(x, &info);
    if (info.seconds_left >= (int64_t) CERT_WARN_DAYS * 86400) {
        return;
    }
    bn_conf_warn(ld, s,
                 "certificate \"%s\" expires in %" PRId64 " day%s (%s); renew it before then: "
                 "bouncer refuses to load it once it has expired, and clients refuse it",
                 file, info.days_left, info.days_left == 1 ? "" : "s", info.not_after);
}

/* The tls group tg of a server block or of the status listener. */
static void
lint_tls(bn_conf_loader_t *ld, const config_setting_t *tg, const bn_conf_server_t *srv)
{
    const config_setting_t *certs = bn_conf_member(tg, "certificates");

    if (!srv->tls.enabled) {
        return;
    }
    if (!srv->status && !srv->tls.redirect_http && srv->tls.hsts == NULL) {
        bn_conf_warn(ld, tg,
                     "neither redirect_http nor hsts: a browser that comes in over http:// "
                     "stays on plain HTTP, where its cookies and forms can be read; set hsts = "
                     "\"max-age=31536000\", and redirect_http = true where the block also "
                     "listens in plain HTTP");
    }
    lint_ciphers(ld, tg, &srv->tls);
    for (size_t k = 0; k < srv->tls.conf.ncerts; k++) {
        const config_setting_t *cs = config_setting_get_elem(certs, (unsigned) k);
        lint_cert(ld, bn_conf_member(cs, "cert"), srv->tls.conf.certs[k].cert,
                  srv->tls.conf.certs[k].leaf);
    }
}

/* ---- server blocks, the status listener, the rest -------------------------- */

static void
lint_server(bn_conf_loader_t *ld, const config_setting_t *g, const bn_conf_server_t *srv)
{
    const config_setting_t *from = bn_conf_member(bn_conf_member(g, "real_ip"), "from");
    const config_setting_t *routes = bn_conf_member(g, "routes");

    if (srv->forwarded == 0) {
        bn_conf_warn(ld, bn_conf_member(g, "forwarded"),
                     "\"none\": the backends see bouncer's address, not the client's (no "
                     "X-Forwarded-For, no Forwarded); leave the default, \"x-forwarded\", unless "
                     "the backends must not learn it");
    }
    for (size_t k = 0; k < srv->nreal_ip_from; k++) {
        if (everyone(&srv->real_ip_from[k])) {
            const config_setting_t *e = config_setting_get_elem(from, (unsigned) k);
            bn_conf_warn(ld, e,
                         "\"%s\" trusts %s from every client: anyone can claim any address, "
                         "past allow, deny and the rate limits; list only the addresses of the "
                         "proxies or load balancers in front of bouncer",
                         config_setting_get_string(e), srv->real_ip_header);
        }
    }
    lint_tls(ld, bn_conf_member(g, "tls"), srv);
    for (size_t k = 0; k < srv->nroutes; k++) {
        lint_route(ld, config_setting_get_elem(routes, (unsigned) k), &srv->routes[k]);
    }
}

static bool
loopback(const bn_addr_t *a)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *) &a->sa;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) &a->sa;

    switch (a->sa.ss_family) {
    case AF_INET:
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    case AF_INET6:
        return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)
               || (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127);
    default:
        return true; /* a unix socket: whoever may open the file */
    }
}

/*
 * The status pages name every route, upstream server and their traffic:
 * warned about when anyone who reaches a non-loopback listener may read
 * them.  Without an allow of its own the status listener allows loopback
 * only, so that is never it.
 */
static void
lint_status(bn_conf_loader_t *ld, const config_setting_t *root)
{
    const bn_conf_server_t *srv = ld->conf->status.server;
    const config_setting_t *g = bn_conf_member(root, "status");
    const config_setting_t *allow = bn_conf_member(g, "allow"), *at = NULL;
    const char *where = NULL;

    if (!ld->conf->status.enabled || srv == NULL) {
        return;
    }
    lint_tls(ld, bn_conf_member(g, "tls"), srv);
    if (srv->auth != NULL || allow == NULL) {
        return;
    }
    if (srv->nallow == 0) {
        at = allow;
    }
    for (size_t k = 0; at == NULL && k < srv->nallow; k++) {
        if (everyone(&srv->allow[k])) {
            at = config_setting_get_elem(allow, (unsigned) k);
        }
    }
    for (size_t k = 0; where == NULL && k < srv->nlistens; k++) {
        if (!loopback(&srv->listens[k]->addr)) {
            where = srv->listens[k]->addr.text;
        }
    }
    if (at != NULL && where != NULL) {
        bn_conf_warn(ld, at,
                     "anyone who reaches %s may read /metrics, /status.json and the dashboard "
                     "(every route, upstream address and their traffic); allow only your "
                     "monitoring hosts, or add auth",
                     where);
    }
}

static void
lint_upstreams(bn_conf_loader_t *ld, const config_setting_t *root)
{
    const config_setting_t *ups = bn_conf_member(root, "upstreams");

    for (size_t i = 0; i < ld->conf->nupstreams; i++) {
        const bn_conf_upstream_t *u = &ld->conf->upstreams[i];
        const config_setting_t *g = config_setting_get_elem(ups, (unsigned) i);
        if (u->tls_ctx != NULL && u->tls.cert != NULL) {
            lint_cert(ld, bn_conf_member(bn_conf_member(g, "tls"), "cert"), u->tls.cert,
                      SSL_CTX_get0_certificate(u->tls_ctx));
        }
    }
}

void
bn_conf_lint(bn_conf_loader_t *ld, const config_setting_t *root)
{
    const bn_conf_t *c = ld->conf;
    const config_setting_t *srvs = bn_conf_member(root, "servers");
    size_t n = c->nservers - (c->status.enabled ? 1 : 0);

    if (c->access_format == BN_ACCESS_OFF) {
        bn_conf_warn(
            ld, bn_conf_member(bn_conf_member(bn_conf_member(root, "log"), "access"), "format"),
            "\"off\": no request is logged, so nothing tells who was answered what, "
            "or what an attack tried; keep \"combined\" or \"json\" (logrotate keeps "
            "the files small)");
    }
    lint_body_limit(ld, root);
    lint_upstreams(ld, root);
    for (size_t i = 0; i < n; i++) {
        lint_server(ld, config_setting_get_elem(srvs, (unsigned) i), &c->servers[i]);
    }
    lint_status(ld, root);
}
