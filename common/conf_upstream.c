/*
 * conf_upstream.c: the upstreams list: each upstream's servers, balancing,
 * queue, health checks, sticky cookie and TLS to the servers.
 */
#include "conf_load.h"

#include <limits.h>

/* "host:port": the parts, and every address the name has now (none yet is
 * fine for a server with resolve = true). */
static void
load_peer_address(bn_conf_loader_t *ld, config_setting_t *s, bn_conf_peer_t *p)
{
    bn_addr_t addrs[BN_PEER_MAX_ADDRS];
    const char *colon;
    char e[256];
    unsigned n;

    int rc = bn_addr_parse_all(p->address, false, addrs, BN_PEER_MAX_ADDRS, &n, e, sizeof(e));

    if (rc == BN_DECLINED && p->resolve) {
        /* The helper will keep asking; until a name resolves, its server
         * is skipped like one that is down. */
        n = 0;
    } else if (rc != BN_OK) {
        bn_conf_err(ld, bn_conf_member(s, "address"), "%s", e);
        return;
    }
    p->addrs = bn_palloc(ld->conf->pool, sizeof(bn_addr_t) * n);
    if (p->addrs != NULL) {
        memcpy(p->addrs, addrs, sizeof(bn_addr_t) * n);
        p->naddrs = n;
    }
    colon = strrchr(p->address, ':');
    if (strncmp(p->address, "unix:", 5) != 0 && colon != NULL) {
        const char *h = p->address, *he = colon;
        if (h[0] == '[') {
            h++;
            he--;
        }
        p->host = bn_pstrndup(ld->conf->pool, h, (size_t) (he - h));
        p->port = bn_pstrdup(ld->conf->pool, colon + 1);
    }
}

static void
load_health(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_health_t *h)
{
    static const char *const keys[] = { "path",   "interval", "timeout", "fails",
                                        "passes", "expect",   NULL };
    config_setting_t *s = bn_conf_want_group(ld, g, "health_check"), *ex;
    const char **v;
    size_t n;

    if (s == NULL) {
        return;
    }
    bn_conf_check_known(ld, s, keys);
    h->enabled = true;
    h->path = bn_conf_get_string(ld, s, "path", NULL);
    if (h->path == NULL || h->path[0] != '/' || strpbrk(h->path, " \t\r\n") != NULL) {
        if (h->path == NULL) {
            bn_conf_err_at(ld, s, "path", "required: the path to probe, such as \"/healthz\"");
        } else {
            bn_conf_err(ld, bn_conf_member(s, "path"),
                        "expected a path starting with \"/\", without spaces");
        }
        h->path = "/";
    }
    h->interval = bn_conf_get_duration(ld, s, "interval", "5s");
    h->timeout = bn_conf_get_duration(ld, s, "timeout", "2s");
    if (h->interval < 100 || h->timeout < 10) {
        bn_conf_err(ld, s, "interval must be at least \"100ms\" and timeout at least \"10ms\"");
        h->interval = 5000;
        h->timeout = 2000;
    }
    h->fails = bn_conf_get_uint(ld, s, "fails", 3, 1, 1000);
    h->passes = bn_conf_get_uint(ld, s, "passes", 2, 1, 1000);
    ex = bn_conf_member(s, "expect");
    n = bn_conf_get_strings(ld, s, "expect", &v);
    if (ex == NULL) {
        h->expect_classes = 1u << 2 | 1u << 3;
        return;
    }
    h->expect_status = bn_palloc(ld->conf->pool, sizeof(unsigned) * (n + 1));
    for (size_t i = 0; i < n && h->expect_status != NULL; i++) {
        const char *x = v[i];
        if (strlen(x) == 3 && x[0] >= '1' && x[0] <= '5' && x[1] == 'x' && x[2] == 'x') {
            h->expect_classes |= 1u << (x[0] - '0');
        } else if (strlen(x) == 3 && x[0] >= '1' && x[0] <= '5' && x[1] >= '0' && x[1] <= '9'
                   && x[2] >= '0' && x[2] <= '9') {
            h->expect_status[h->nexpect_status++] = (unsigned) atoi(x);
        } else {
            bn_conf_err(ld, config_setting_get_elem(ex, (unsigned) i),
                        "expected a status (\"200\") or a class (\"2xx\"), not \"%s\"", x);
        }
    }
    if (n == 0) {
        bn_conf_err(ld, ex, "expected at least one status or class");
    }
}

static void
load_sticky(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_sticky_t *st)
{
    static const char *const keys[] = { "cookie",   "path",     "max_age", "secure",
                                        "httponly", "samesite", NULL };
    static const char *const samesites[] = { "Lax", "Strict", "None", "", NULL };
    config_setting_t *s = bn_conf_want_group(ld, g, "sticky");

    if (s == NULL) {
        return;
    }
    bn_conf_check_known(ld, s, keys);
    st->enabled = true;
    st->cookie = bn_conf_get_string(ld, s, "cookie", NULL);
    if (st->cookie == NULL || st->cookie[0] == '\0'
        || strspn(st->cookie, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
               != strlen(st->cookie)) {
        if (st->cookie == NULL) {
            bn_conf_err_at(ld, s, "cookie", "required: the cookie's name");
        } else {
            bn_conf_err(ld, bn_conf_member(s, "cookie"),
                        "a cookie name is a token: letters, digits and !#$%%&'*+-.^_`|~");
        }
        st->cookie = "bouncer_srv";
    }
    st->path = bn_conf_get_string(ld, s, "path", "/");
    if (st->path[0] != '/' || strpbrk(st->path, ";, \t\r\n") != NULL) {
        bn_conf_err(ld, bn_conf_member(s, "path"),
                    "expected a path starting with \"/\", without ; , or spaces");
        st->path = "/";
    }
    st->max_age = bn_conf_get_duration(ld, s, "max_age", "0s");
    st->secure = bn_conf_get_bool(ld, s, "secure", false);
    st->httponly = bn_conf_get_bool(ld, s, "httponly", true);
    st->samesite = samesites[bn_conf_get_enum(ld, s, "samesite", samesites, 0)];
    if (strcmp(st->samesite, "None") == 0 && !st->secure) {
        bn_conf_err(ld, bn_conf_member(s, "samesite"),
                    "browsers ignore SameSite=None without secure = true");
    }
}

static void
load_upstream_tls(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_upstream_t *u)
{
    static const char *const keys[] = { "verify", "ca", "sni", "cert", "key", NULL };
    config_setting_t *tg = bn_conf_want_group(ld, g, "tls");
    const char *str;
    char e[512];

    if (tg == NULL) {
        return;
    }
    bn_conf_check_known(ld, tg, keys);
    u->tls.verify = bn_conf_get_bool(ld, tg, "verify", true);
    u->tls.ca = bn_conf_abs_path(
        ld, bn_conf_get_string(ld, tg, "ca", "/etc/ssl/certs/ca-certificates.crt"));
    str = bn_conf_get_string(ld, tg, "sni", "");
    u->tls.sni = str[0] != '\0' ? str : NULL;
    str = bn_conf_get_string(ld, tg, "cert", "");
    u->tls.cert = str[0] != '\0' ? bn_conf_abs_path(ld, str) : NULL;
    str = bn_conf_get_string(ld, tg, "key", "");
    u->tls.key = str[0] != '\0' ? bn_conf_abs_path(ld, str) : NULL;
    if ((u->tls.cert == NULL) != (u->tls.key == NULL)) {
        bn_conf_err(ld, tg, "cert and key go together");
        return;
    }
    u->tls_ctx = bn_tls_client_ctx(&u->tls, e, sizeof(e));
    if (u->tls_ctx == NULL) {
        bn_conf_err(ld, tg, "%s", e);
    }
}

/*
 * Gives each address of a name resolved at load its own server (see
 * bn_conf_peer_t).  A single address, a unix socket, and a name re-resolved
 * while running (resolve = true) stay one server; the label of those is the
 * address as written, so their shared state, sticky cookies and hash ring
 * points are what they were.
 */
static void
expand_peers(bn_conf_loader_t *ld, bn_conf_upstream_t *u)
{
    size_t total = 0, k = 0;
    bn_conf_peer_t *all;

    for (size_t i = 0; i < u->npeers; i++) {
        bn_conf_peer_t *p = &u->peers[i];
        p->group = (unsigned) i;
        p->label = p->address != NULL ? p->address : "";
        total += p->resolve || p->naddrs <= 1 ? 1 : p->naddrs;
    }
    if (total == u->npeers) {
        return;
    }
    all = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_peer_t) * total);
    if (all == NULL) {
        return;
    }
    for (size_t i = 0; i < u->npeers; i++) {
        bn_conf_peer_t *p = &u->peers[i];
        if (p->resolve || p->naddrs <= 1) {
            all[k++] = *p;
            continue;
        }
        for (unsigned a = 0; a < p->naddrs; a++) {
            all[k] = *p;
            all[k].addrs = &p->addrs[a];
            all[k].naddrs = 1;
            all[k].label = bn_psprintf(ld->conf->pool, "%s (%s)", p->address, p->addrs[a].text);
            if (all[k].label == NULL) {
                all[k].label = p->address;
            }
            k++;
        }
    }
    u->peers = all;
    u->npeers = total;
}

void
bn_conf_load_upstream(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_upstream_t *u)
{
    static const char *const keys[] = {
        "name",
        "balance",
        "hash_key",
        "servers",
        "host_header",
        "keepalive",
        "keepalive_timeout",
        "connect_timeout",
        "read_timeout",
        "send_timeout",
        "retries",
        "retry_timeout",
        "passive_fail_on",
        "queue",
        "resolve_interval",
        "resolver",
        "health_check",
        "sticky",
        "tls",
        "keepalive_surplus_timeout",
        NULL,
    };
    static const char *const peer_keys[] = {
        "address",    "weight", "max_fails", "fail_timeout", "max_conns",
        "slow_start", "backup", "down",      "resolve",      NULL,
    };
    static const char *const balances[] = { "round_robin", "least_conn", "ip_hash",
                                            "hash",        "random2",    NULL };
    config_setting_t *servers, *s;
    const char *str;
    char e[256];
    int n;

    bn_conf_check_known(ld, g, keys);
    u->name = bn_conf_get_string(ld, g, "name", NULL);
    if (u->name == NULL) {
        bn_conf_err_at(ld, g, "name", "required: every upstream has a name");
        u->name = "";
    }
    u->balance = bn_conf_get_enum(ld, g, "balance", balances, BN_BALANCE_ROUND_ROBIN);
    str = bn_conf_get_string(ld, g, "hash_key", "");
    if (u->balance == BN_BALANCE_HASH && str[0] == '\0') {
        bn_conf_err_at(ld, g, bn_conf_member(g, "hash_key") ? NULL : "hash_key",
                       "required with balance = \"hash\" (for example \"$request_uri\")");
    } else if (str[0] != '\0' && u->balance != BN_BALANCE_HASH) {
        bn_conf_err(ld, bn_conf_member(g, "hash_key"), "used only with balance = \"hash\"");
    } else if (str[0] != '\0'
               && bn_template_compile(ld->conf->pool, str, false, &u->hash_key, e, sizeof(e))
                      != BN_OK) {
        bn_conf_err(ld, bn_conf_member(g, "hash_key"), "%s", e);
    }
    u->queue_fd = -1;
    u->queue_timeout = 10000;
    if ((s = bn_conf_want_group(ld, g, "queue")) != NULL) {
        static const char *const queue_keys[] = { "size", "timeout", NULL };
        bn_conf_check_known(ld, s, queue_keys);
        u->queue_size = bn_conf_get_uint(ld, s, "size", 0, 0, 1000000);
        u->queue_timeout = bn_conf_get_duration(ld, s, "timeout", "10s");
    }
    load_health(ld, g, &u->health);
    load_sticky(ld, g, &u->sticky);
    load_upstream_tls(ld, g, u);
    str = bn_conf_get_string(ld, g, "resolver", "");
    if (str[0] != '\0'
        && (bn_addr_parse(str, false, &u->resolver, e, sizeof(e)) != BN_OK
            || (u->resolver.sa.ss_family != AF_INET && u->resolver.sa.ss_family != AF_INET6))) {
        bn_conf_err(ld, bn_conf_member(g, "resolver"), "expected \"IP:port\" of a DNS server");
        memset(&u->resolver, 0, sizeof(u->resolver));
    }
    u->resolve_interval = bn_conf_get_duration(ld, g, "resolve_interval", "30s");
    if (u->resolve_interval < 1000) {
        bn_conf_err(ld, bn_conf_member(g, "resolve_interval"), "expected at least \"1s\"");
        u->resolve_interval = 30000;
    }
    u->host_header = bn_conf_get_string(ld, g, "host_header", "");
    if (u->host_header[0] == '\0') {
        u->host_header = NULL;
    }
    u->keepalive = bn_conf_get_uint(ld, g, "keepalive", 32, 0, 100000);
    u->keepalive_timeout = bn_conf_get_duration(ld, g, "keepalive_timeout", "60s");
    u->keepalive_surplus_timeout = bn_conf_get_duration(ld, g, "keepalive_surplus_timeout", "1s");
    u->connect_timeout = bn_conf_get_duration(ld, g, "connect_timeout", "5s");
    u->read_timeout = bn_conf_get_duration(ld, g, "read_timeout", "60s");
    u->send_timeout = bn_conf_get_duration(ld, g, "send_timeout", "60s");
    u->retries = bn_conf_get_uint(ld, g, "retries", 1, 0, 100);
    u->retry_timeout = bn_conf_get_duration(ld, g, "retry_timeout", "60s");
    {
        static const char *const fail_on[] = { "error",    "timeout",  "http_500", "http_502",
                                               "http_503", "http_504", NULL };
        const char **v;
        size_t nv = bn_conf_get_strings(ld, g, "passive_fail_on", &v);
        config_setting_t *pf = bn_conf_member(g, "passive_fail_on");
        u->fail_on = pf == NULL ? BN_FAIL_ERROR | BN_FAIL_TIMEOUT : 0;
        for (size_t i = 0; i < nv; i++) {
            size_t k;
            for (k = 0; fail_on[k] != NULL && strcmp(fail_on[k], v[i]) != 0; k++) {
            }
            if (fail_on[k] != NULL) {
                u->fail_on |= 1u << k; /* BN_FAIL_* follow the order of fail_on[] */
            } else {
                bn_conf_err(
                    ld, config_setting_get_elem(pf, (unsigned) i),
                    "unknown value \"%s\" (expected one of: error, timeout, http_500, http_502, "
                    "http_503, http_504)",
                    v[i]);
            }
        }
    }

    servers = bn_conf_want_list(ld, g, "servers");
    if (servers == NULL || (n = config_setting_length(servers)) == 0) {
        bn_conf_err_at(ld, g, servers ? NULL : "servers", "an upstream needs at least one server");
        return;
    }
    u->peers = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_peer_t) * (size_t) n);
    if (u->peers == NULL) {
        return;
    }
    u->npeers = (size_t) n;
    for (int i = 0; i < n; i++) {
        bn_conf_peer_t *p = &u->peers[i];
        s = config_setting_get_elem(servers, (unsigned) i);
        if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, s, "expected a group { address = \"host:port\"; ... }");
            continue;
        }
        bn_conf_check_known(ld, s, peer_keys);
        p->address = bn_conf_get_string(ld, s, "address", NULL);
        p->resolve = bn_conf_get_bool(ld, s, "resolve", false);
        if (p->address == NULL) {
            bn_conf_err_at(ld, s, "address", "required");
        } else {
            load_peer_address(ld, s, p);
        }
        p->weight = bn_conf_get_uint(ld, s, "weight", 1, 0, 1000);
        p->max_fails = bn_conf_get_uint(ld, s, "max_fails", 1, 0, 1000);
        p->fail_timeout = bn_conf_get_duration(ld, s, "fail_timeout", "10s");
        p->backup = bn_conf_get_bool(ld, s, "backup", false);
        p->down = bn_conf_get_bool(ld, s, "down", false);
        p->probed = u->health.enabled && !p->down; /* as bn_health_init() does */
        p->max_conns = bn_conf_get_uint(ld, s, "max_conns", 0, 0, INT_MAX);
        p->slow_start = bn_conf_get_duration(ld, s, "slow_start", "0s");
        u->has_resolve = u->has_resolve || p->resolve;
        if (p->resolve && p->address != NULL && strncmp(p->address, "unix:", 5) == 0) {
            bn_conf_err(ld, bn_conf_member(s, "resolve"), "a unix socket has no name to resolve");
            p->resolve = false;
        }
        if (p->backup && (u->balance == BN_BALANCE_HASH || u->balance == BN_BALANCE_IP_HASH)) {
            /* As nginx: a key must map to the same server whatever is down. */
            bn_conf_err(ld, bn_conf_member(s, "backup"),
                        "backup servers cannot be used with balance = \"%s\"",
                        balances[u->balance]);
        }
    }
    expand_peers(ld, u);
}

bn_conf_upstream_t *
bn_conf_find_upstream(bn_conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nupstreams; i++) {
        if (strcmp(c->upstreams[i].name, name) == 0) {
            return &c->upstreams[i];
        }
    }
    return NULL;
}
