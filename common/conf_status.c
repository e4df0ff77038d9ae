/*
 * conf_status.c: the status group.  The status listener is made a server
 * block of its own, with one route whose action is the status pages, so it
 * is bound, handed to workers, parsed, allowed and authenticated as every
 * other block is; only its answer and its not being counted differ.
 */
#include "conf_load.h"

static const char *const default_buckets[] = { "5ms",  "10ms", "25ms", "50ms", "100ms", "250ms",
                                               "500ms", "1s",  "2.5s", "5s",   "10s" };

static void
load_buckets(bn_conf_loader_t *ld, config_setting_t *g)
{
    bn_conf_t *c = ld->conf;
    const char **list = (const char **) default_buckets;
    size_t n = BN_NELEMS(default_buckets);
    config_setting_t *s = bn_conf_member(g, "latency_buckets");

    if (s != NULL) {
        n = bn_conf_get_strings(ld, g, "latency_buckets", &list);
        if (n == 0 || n > BN_CONF_MAX_BUCKETS) {
            bn_conf_err(ld, s, "expected 1 to %d durations, in increasing order",
                        BN_CONF_MAX_BUCKETS);
            n = 0;
        }
    }
    c->status.buckets = bn_pcalloc(c->pool, sizeof(uint64_t) * (n + 1));
    if (c->status.buckets == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (bn_parse_duration(list[i], &v) != BN_OK || v == 0) {
            bn_conf_err(ld, config_setting_get_elem(s, (unsigned) i),
                        "expected a duration such as \"5ms\" or \"2.5s\", more than 0");
            return;
        }
        if (i > 0 && v <= c->status.buckets[i - 1]) {
            bn_conf_err(ld, config_setting_get_elem(s, (unsigned) i),
                        "\"%s\" is not more than the bucket before it", list[i]);
            return;
        }
        c->status.buckets[i] = v;
    }
    c->status.nbuckets = (unsigned) n;
}

void
bn_conf_load_status(bn_conf_loader_t *ld, config_setting_t *root, size_t max_listens)
{
    static const char *const keys[] = { "listen", "tls_listen", "allow", "auth", "tls",
                                        "latency_buckets", NULL };
    static const char *const default_allow[] = { "127.0.0.0/8", "::1/128" };
    bn_conf_t *c = ld->conf;
    config_setting_t *g = bn_conf_want_group(ld, root, "status");
    bn_conf_server_t *srv;
    bn_conf_route_t *rt;
    const char **addrs, **tls_addrs;
    size_t n, ntls;

    load_buckets(ld, g);
    if (g == NULL || c->servers == NULL) {
        return;
    }
    bn_conf_check_known(ld, g, keys);
    srv = &c->servers[c->nservers];
    memset(srv, 0, sizeof(*srv));
    srv->index = (unsigned) c->nservers;
    srv->status = true;
    srv->metrics = -1;

    n = bn_conf_get_strings(ld, g, "listen", &addrs);
    ntls = bn_conf_get_strings(ld, g, "tls_listen", &tls_addrs);
    if (n + ntls == 0) {
        bn_conf_err_at(ld, g, bn_conf_member(g, "listen") ? NULL : "listen",
                       "the status listener needs at least one listen or tls_listen address");
        return;
    }
    srv->listens = bn_pcalloc(c->pool, sizeof(bn_conf_listen_t *) * (n + ntls));
    rt = bn_pcalloc(c->pool, sizeof(*rt));
    if (srv->listens == NULL || rt == NULL) {
        return;
    }
    for (size_t i = 0; i < n + ntls && c->nlistens < max_listens; i++) {
        bool tls = i >= n;
        const char *text = tls ? tls_addrs[i - n] : addrs[i];
        config_setting_t *at = config_setting_get_elem(
            bn_conf_member(g, tls ? "tls_listen" : "listen"), (unsigned) (tls ? i - n : i));
        bn_addr_t a;
        char e[256];
        bn_conf_listen_t *l;

        if (bn_addr_parse(text, true, &a, e, sizeof(e)) != BN_OK) {
            bn_conf_err(ld, at, "%s", e);
            continue;
        }
        for (size_t k = 0; k < c->nlistens; k++) {
            if (bn_sockaddr_equal(&c->listens[k].addr, &a)) {
                /* Its own port: metrics and the dashboard are never answered
                 * to the internet by mistake of a shared one. */
                bn_conf_err(ld, at, "\"%s\" is also a server block's address; the status "
                            "listener needs one of its own", text);
                text = NULL;
                break;
            }
        }
        if (text != NULL && (l = bn_conf_add_listen(ld, at, text, srv, tls)) != NULL) {
            srv->listens[srv->nlistens++] = l;
        }
    }
    bn_conf_load_server_tls(ld, g, srv, ntls > 0);
    srv->label = "status";

    if (bn_conf_member(g, "allow") != NULL) {
        srv->nallow = bn_conf_get_cidrs(ld, g, "allow", &srv->allow);
    } else {
        srv->allow = bn_pcalloc(c->pool, sizeof(bn_cidr_t) * BN_NELEMS(default_allow));
        for (size_t i = 0; srv->allow != NULL && i < BN_NELEMS(default_allow); i++) {
            if (bn_cidr_parse(default_allow[i], &srv->allow[srv->nallow]) == BN_OK) {
                srv->nallow++;
            }
        }
    }
    srv->auth = bn_conf_load_auth(ld, g);

    rt->name = "status";
    rt->metrics = -1;
    rt->match_kind = BN_MATCH_PREFIX;
    rt->match = "/";
    rt->match_len = 1;
    rt->action = BN_ROUTE_STATUS;
    rt->max_body_size = -1;
    rt->allow = srv->allow;
    rt->nallow = srv->nallow;
    rt->auth = srv->auth;
    rt->strip_credentials = true; /* the operator's password goes nowhere */
    srv->routes = rt;
    srv->nroutes = 1;

    c->status.enabled = true;
    c->status.server = srv;
    c->nservers++;
}
