/*
 * conf_server.c: the servers list: a server block's listen and tls_listen
 * addresses, its TLS, names, forwarded and real_ip; its routes are
 * conf_route.c.
 */
#include "conf_load.h"

/* The tls group of a server block; the context is made here, so a bad
 * certificate fails `check` and `reload`. */
void
bn_conf_load_server_tls(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_server_t *srv,
                        bool has_tls_listen)
{
    static const char *const keys[] = {
        "certificates",    "protocols",           "ciphers", "redirect_http", "hsts", "client_ca",
        "session_tickets", "ticket_key_rotation", NULL
    };
    static const char *const cert_keys[] = { "cert", "key", "ocsp_file", NULL };
    bn_conf_server_tls_t *t = &srv->tls;
    config_setting_t *tg = bn_conf_want_group(ld, g, "tls"), *certs, *pr;
    const char **protos, *str;
    char e[512], ctxname[32];
    size_t np, nerrs = ld->errs->n;
    int nc;

    if (tg == NULL) {
        if (has_tls_listen) {
            bn_conf_err_at(ld, g, "tls", "required with tls_listen: the certificates to serve");
        }
        return;
    }
    bn_conf_check_known(ld, tg, keys);
    if (!has_tls_listen) {
        bn_conf_err(ld, tg, "this server has no tls_listen address to use it on");
        return;
    }
    t->enabled = true;
    t->conf.min_version = TLS1_2_VERSION;
    t->conf.max_version = TLS1_3_VERSION;
    pr = bn_conf_member(tg, "protocols");
    np = bn_conf_get_strings(ld, tg, "protocols", &protos);
    if (pr != NULL) {
        t->conf.min_version = TLS1_3_VERSION + 1;
        t->conf.max_version = 0;
        for (size_t i = 0; i < np; i++) {
            int v = strcmp(protos[i], "TLSv1.2") == 0   ? TLS1_2_VERSION
                    : strcmp(protos[i], "TLSv1.3") == 0 ? TLS1_3_VERSION
                                                        : 0;
            if (v == 0) {
                bn_conf_err(
                    ld, config_setting_get_elem(pr, (unsigned) i),
                    "\"%s\": expected \"TLSv1.2\" or \"TLSv1.3\" (older versions are not offered)",
                    protos[i]);
                continue;
            }
            t->conf.min_version = BN_MIN(t->conf.min_version, v);
            t->conf.max_version = BN_MAX(t->conf.max_version, v);
        }
        if (t->conf.max_version == 0) {
            bn_conf_err(ld, pr, "expected at least one of \"TLSv1.2\", \"TLSv1.3\"");
            return;
        }
    }
    str = bn_conf_get_string(ld, tg, "ciphers", "");
    t->conf.ciphers = str[0] != '\0' ? str : BN_TLS_INTERMEDIATE_CIPHERS;
    t->redirect_http = bn_conf_get_bool(ld, tg, "redirect_http", false);
    str = bn_conf_get_string(ld, tg, "hsts", "");
    t->hsts = str[0] != '\0' ? str : NULL;
    if (t->hsts != NULL && strpbrk(t->hsts, "\r\n") != NULL) {
        bn_conf_err(ld, bn_conf_member(tg, "hsts"), "a header value cannot hold a line break");
        t->hsts = NULL;
    }
    str = bn_conf_get_string(ld, tg, "client_ca", "");
    t->conf.client_ca = str[0] != '\0' ? bn_conf_abs_path(ld, str) : NULL;
    t->conf.session_tickets = bn_conf_get_bool(ld, tg, "session_tickets", true);
    t->conf.http2 = srv->http2;
    t->ticket_key_rotation = bn_conf_get_duration(ld, tg, "ticket_key_rotation", "12h");
    if (t->ticket_key_rotation < 1000) {
        bn_conf_err(ld, bn_conf_member(tg, "ticket_key_rotation"), "expected at least \"1s\"");
        t->ticket_key_rotation = 12 * 3600 * 1000;
    }
    snprintf(ctxname, sizeof(ctxname), "bouncer-server-%u", srv->index);
    t->conf.session_context = bn_pstrdup(ld->conf->pool, ctxname);

    certs = bn_conf_want_list(ld, tg, "certificates");
    nc = certs ? config_setting_length(certs) : 0;
    if (nc == 0) {
        bn_conf_err_at(ld, tg, certs ? NULL : "certificates",
                       "at least one { cert = \"...\"; key = \"...\"; } is needed");
        return;
    }
    t->conf.certs = bn_pcalloc(ld->conf->pool, sizeof(bn_tls_cert_t) * (size_t) nc);
    if (t->conf.certs == NULL) {
        return;
    }
    for (int i = 0; i < nc; i++) {
        config_setting_t *cs = config_setting_get_elem(certs, (unsigned) i);
        bn_tls_cert_t *c = &t->conf.certs[t->conf.ncerts];
        if (config_setting_type(cs) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, cs, "expected a group { cert = \"...\"; key = \"...\"; }");
            continue;
        }
        bn_conf_check_known(ld, cs, cert_keys);
        c->cert = bn_conf_get_string(ld, cs, "cert", NULL);
        c->key = bn_conf_get_string(ld, cs, "key", NULL);
        str = bn_conf_get_string(ld, cs, "ocsp_file", "");
        if (c->cert == NULL || c->key == NULL) {
            bn_conf_err_at(ld, cs, c->cert ? "key" : "cert", "required");
            continue;
        }
        c->cert = bn_conf_abs_path(ld, c->cert);
        c->key = bn_conf_abs_path(ld, c->key);
        c->ocsp_file = str[0] != '\0' ? bn_conf_abs_path(ld, str) : NULL;
        t->conf.ncerts++;
    }
    if (ld->errs->n > nerrs) {
        return; /* the file errors below would only repeat what is wrong */
    }
    t->ctx = bn_tls_server_ctx(&t->conf, e, sizeof(e));
    if (t->ctx == NULL) {
        bn_conf_err(ld, tg, "%s", e);
    }
}

bn_conf_listen_t *
bn_conf_add_listen(bn_conf_loader_t *ld, config_setting_t *s, const char *text,
                   bn_conf_server_t *srv, bool tls)
{
    bn_conf_t *c = ld->conf;
    bn_addr_t a;
    char e[256];

    if (bn_addr_parse(text, true, &a, e, sizeof(e)) != BN_OK) {
        bn_conf_err(ld, s, "%s", e);
        return NULL;
    }
    for (size_t i = 0; i < srv->nlistens; i++) {
        if (bn_sockaddr_equal(&srv->listens[i]->addr, &a)) {
            bn_conf_err(ld, s, "\"%s\" is listed twice in this server block", text);
            return NULL;
        }
    }
    for (size_t i = 0; i < c->nlistens; i++) {
        if (bn_sockaddr_equal(&c->listens[i].addr, &a)) {
            if (c->listens[i].tls != tls) {
                bn_conf_err(ld, s, "\"%s\" is a %s listener in another server block", text,
                            tls ? "plain" : "TLS");
                return NULL;
            }
            return &c->listens[i];
        }
    }
    c->listens[c->nlistens].tls = tls;
    c->listens[c->nlistens].addr = a;
    c->listens[c->nlistens].fd = -1;
    c->listens[c->nlistens].default_server = srv;
    return &c->listens[c->nlistens++];
}

void
bn_conf_load_server(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_server_t *srv,
                    size_t max_listens)
{
    static const char *const keys[] = { "listen", "tls_listen", "names", "forwarded", "real_ip",
                                        "tls",    "routes",     "allow", "deny",
                                        "auth",   "strip_credentials", "rate_limit",
                                        "limit_conn", "waf", "http2", "http2_cleartext", NULL };
    static const char *const real_ip_keys[] = { "from", "header", NULL };
    static const char *const forwarded[] = { "x-forwarded", "rfc7239", "both", "none", NULL };
    static const unsigned forwarded_bits[] = { BN_FORWARDED_X, BN_FORWARDED_RFC7239,
                                               BN_FORWARDED_X | BN_FORWARDED_RFC7239, 0 };
    config_setting_t *ls, *routes, *ri;
    const char **addrs, **tls_addrs;
    size_t n, ntls;
    int nr;

    bn_conf_check_known(ld, g, keys);

    srv->http2 = bn_conf_get_bool(ld, g, "http2", true);
    srv->http2_cleartext = bn_conf_get_bool(ld, g, "http2_cleartext", false);
    n = bn_conf_get_strings(ld, g, "listen", &addrs);
    ntls = bn_conf_get_strings(ld, g, "tls_listen", &tls_addrs);
    ls = bn_conf_member(g, "listen");
    if (n + ntls == 0) {
        bn_conf_err_at(ld, g, ls ? NULL : "listen",
                       "a server needs at least one listen or tls_listen address");
    }
    srv->listens = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_listen_t *) * (n + ntls + 1));
    if (srv->listens == NULL) {
        return;
    }
    for (size_t i = 0; i < n + ntls && ld->conf->nlistens < max_listens; i++) {
        bool tls = i >= n;
        config_setting_t *at = config_setting_get_elem(
            bn_conf_member(g, tls ? "tls_listen" : "listen"), (unsigned) (tls ? i - n : i));
        bn_conf_listen_t *l =
            bn_conf_add_listen(ld, at, tls ? tls_addrs[i - n] : addrs[i], srv, tls);
        if (l != NULL && !tls && l->default_server == srv) {
            l->h2c = srv->http2_cleartext;
        } else if (l != NULL && !tls && l->h2c != srv->http2_cleartext) {
            /* The h2c preface comes before any Host could pick a block. */
            config_setting_t *h = bn_conf_member(g, "http2_cleartext");
            bn_conf_err(ld, h != NULL ? h : at,
                        "\"%s\" is shared with a server block whose http2_cleartext is %s: the "
                        "blocks of a plain listener must agree",
                        addrs[i], l->h2c ? "true" : "false");
        }
        if (l != NULL) {
            srv->listens[srv->nlistens++] = l;
            if (tls && srv->tls.https_port == 0) {
                srv->tls.https_port = bn_addr_port(&l->addr);
            }
        }
    }
    bn_conf_load_server_tls(ld, g, srv, ntls > 0);
    srv->nnames = bn_conf_get_strings(ld, g, "names", &srv->names);
    srv->label = srv->nnames > 0      ? srv->names[0]
                 : srv->nlistens > 0 ? srv->listens[0]->addr.text
                                     : "";
    for (size_t i = 0; i < srv->nnames; i++) {
        const char *nm = srv->names[i];
        if (nm[0] == '\0' || strchr(nm + (nm[0] == '*'), '*') != NULL
            || (nm[0] == '*' && nm[1] != '.')) {
            bn_conf_err(ld, config_setting_get_elem(bn_conf_member(g, "names"), (unsigned) i),
                        "\"%s\": expected a host name or a leading wildcard \"*.example.com\"", nm);
        }
    }
    srv->forwarded = forwarded_bits[bn_conf_get_enum(ld, g, "forwarded", forwarded, 0)];
    srv->real_ip_header = "X-Forwarded-For";
    if ((ri = bn_conf_want_group(ld, g, "real_ip")) != NULL) {
        bn_conf_check_known(ld, ri, real_ip_keys);
        srv->nreal_ip_from = bn_conf_get_cidrs(ld, ri, "from", &srv->real_ip_from);
        srv->real_ip_header = bn_conf_get_string(ld, ri, "header", "X-Forwarded-For");
    }

    srv->nallow = bn_conf_get_cidrs(ld, g, "allow", &srv->allow);
    srv->ndeny = bn_conf_get_cidrs(ld, g, "deny", &srv->deny);
    srv->auth = bn_conf_load_auth(ld, g);
    srv->strip_credentials = bn_conf_get_bool(ld, g, "strip_credentials", false);
    bn_conf_load_limit_refs(ld, g, &srv->rate_limits, &srv->nrate_limits, &srv->limit_conns,
                            &srv->nlimit_conns);
    bn_conf_load_waf(ld, g, NULL, &srv->waf);
    bn_conf_finish_waf(ld, g, &srv->waf);

    routes = bn_conf_want_list(ld, g, "routes");
    nr = routes ? config_setting_length(routes) : 0;
    if (nr == 0) {
        bn_conf_err_at(ld, g, routes ? NULL : "routes", "a server needs at least one route");
        return;
    }
    srv->routes = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_route_t) * (size_t) nr);
    if (srv->routes == NULL) {
        return;
    }
    srv->nroutes = (size_t) nr;
    for (int i = 0; i < nr; i++) {
        config_setting_t *rs = config_setting_get_elem(routes, (unsigned) i);
        if (config_setting_type(rs) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, rs, "expected a group { match = ...; ... }");
            continue;
        }
        bn_conf_load_route(ld, rs, &srv->routes[i]);
        /* The spec's inheritance: a route that sets neither list of its own
         * takes the block's; one it sets (allow = [] too) replaces it. */
        if (bn_conf_member(rs, "allow") == NULL) {
            srv->routes[i].allow = srv->allow;
            srv->routes[i].nallow = srv->nallow;
        }
        if (bn_conf_member(rs, "deny") == NULL) {
            srv->routes[i].deny = srv->deny;
            srv->routes[i].ndeny = srv->ndeny;
        }
        /* auth likewise; a route turns the block's off with auth = "off". */
        if (bn_conf_member(rs, "auth") == NULL) {
            srv->routes[i].auth = srv->auth;
        }
        if (bn_conf_member(rs, "strip_credentials") == NULL) {
            srv->routes[i].strip_credentials = srv->strip_credentials;
            /* The dump writes what the route inherits, not the getter's default. */
            bn_conf_set_default_bool(ld, rs, "strip_credentials", srv->strip_credentials);
        }
        if (bn_conf_member(rs, "rate_limit") == NULL) {
            srv->routes[i].rate_limits = srv->rate_limits;
            srv->routes[i].nrate_limits = srv->nrate_limits;
        }
        if (bn_conf_member(rs, "limit_conn") == NULL) {
            srv->routes[i].limit_conns = srv->limit_conns;
            srv->routes[i].nlimit_conns = srv->nlimit_conns;
        }
        bn_conf_check_identity_limits(ld, rs, &srv->routes[i]);
        /* waf is merged key by key over the block's (conf_waf.c). */
        bn_conf_load_waf(ld, rs, &srv->waf, &srv->routes[i].waf);
        bn_conf_finish_waf(ld, rs, &srv->routes[i].waf);
        for (int k = 0; k < i; k++) {
            bn_conf_route_t *a = &srv->routes[k], *b = &srv->routes[i];
            if (a->name == NULL || b->name == NULL || strcmp(a->name, b->name) != 0) {
                continue;
            }
            if (b->name_default) {
                /* Their counts would be one series: the later one is told
                 * apart by its place. */
                b->name = bn_psprintf(ld->conf->pool, "%s #%d", b->name, i + 1);
            } else {
                bn_conf_err(ld, bn_conf_member(rs, "name"),
                            "route %d of this server block is named \"%s\" too", k + 1,
                            b->name);
            }
            break;
        }
    }
}
