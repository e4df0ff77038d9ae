/*
 * conf_route.c: a server block's routes: match, the action (upstream,
 * redirect, respond), rewrite, headers, timeouts, allow/deny, cache and
 * websocket.
 */
#include "conf_load.h"
#include "encoding.h"

#include <ctype.h>

/* "Name: value" lines of request_headers/response_headers. */
static void
load_headers(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
             bn_conf_headers_t *h)
{
    static const char *const keys[] = { "set", "add", "remove", NULL };
    config_setting_t *hg = bn_conf_want_group(ld, g, name);
    const char **v;
    size_t n;
    char e[512];

    memset(h, 0, sizeof(*h));
    if (hg == NULL) {
        return;
    }
    bn_conf_check_known(ld, hg, keys);
    for (int verb = 0; verb < 2; verb++) {
        const char *vname = verb == 0 ? "set" : "add";
        config_setting_t *vs = bn_conf_member(hg, vname);
        bn_conf_header_t *out;
        n = bn_conf_get_strings(ld, hg, vname, &v);
        if (n == 0) {
            continue;
        }
        out = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_header_t) * n);
        if (out == NULL) {
            return;
        }
        for (size_t i = 0; i < n; i++) {
            const char *colon = strchr(v[i], ':');
            const char *val;
            size_t nl;
            config_setting_t *es = config_setting_get_elem(vs, (unsigned) i);
            if (colon == NULL || colon == v[i]) {
                bn_conf_err(ld, es, "\"%s\": expected \"Name: value\"", v[i]);
                continue;
            }
            nl = (size_t) (colon - v[i]);
            for (size_t k = 0; k < nl; k++) {
                if (!strchr("!#$%&'*+-.^_`|~", v[i][k]) && !isalnum((unsigned char) v[i][k])) {
                    bn_conf_err(ld, es,
                                "\"%s\": the header name has a character not allowed in a token",
                                v[i]);
                    break;
                }
            }
            val = colon + 1;
            while (*val == ' ' || *val == '\t') {
                val++;
            }
            for (const char *p = val; *p; p++) {
                if ((unsigned char) *p < 0x20 && *p != '\t') {
                    bn_conf_err(ld, es, "\"%s\": control characters are not allowed in a value",
                                v[i]);
                    break;
                }
            }
            out[i].name = bn_pstrndup(ld->conf->pool, v[i], nl);
            out[i].name_len = nl;
            out[i].value = val;
            if (bn_template_compile(ld->conf->pool, val, false, &out[i].tpl, e, sizeof(e))
                != BN_OK) {
                bn_conf_err(ld, es, "%s", e);
            }
        }
        if (verb == 0) {
            h->set = out;
            h->nset = n;
        } else {
            h->add = out;
            h->nadd = n;
        }
    }
    h->nremove = bn_conf_get_strings(ld, hg, "remove", &h->remove);
}

static void
load_route_cache(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_route_t *r)
{
    static const char *const keys[] = { "zone",          "key",           "valid",
                                        "lock",          "lock_timeout",  "use_stale",
                                        "status_header", "heuristic_max", "targeted",
                                        "purge_allow",   NULL };
    config_setting_t *cg = bn_conf_want_group(ld, g, "cache"), *vs;
    bn_conf_cache_t *cc = &r->cache;
    const char *name, *key;
    char e[512];
    int nv;

    if (cg == NULL) {
        return;
    }
    bn_conf_check_known(ld, cg, keys);
    cc->lock = bn_conf_get_bool(ld, cg, "lock", false);
    cc->lock_timeout = bn_conf_get_duration(ld, cg, "lock_timeout", "5s");
    cc->heuristic_max = bn_conf_get_duration(ld, cg, "heuristic_max", "1d");
    cc->targeted = bn_conf_get_bool(ld, cg, "targeted", true);
    {
        static const char *const stale[] = { "error", "timeout", "http_5xx", "updating", NULL };
        config_setting_t *us = bn_conf_member(cg, "use_stale");
        const char **v;
        size_t nus = bn_conf_get_strings(ld, cg, "use_stale", &v);
        for (size_t i = 0; i < nus; i++) {
            size_t k;
            for (k = 0; stale[k] != NULL && strcmp(stale[k], v[i]) != 0; k++) {
            }
            if (stale[k] == NULL) {
                bn_conf_err(
                    ld, config_setting_get_elem(us, (unsigned) i),
                    "unknown value \"%s\" (expected any of: error, timeout, http_5xx, updating)",
                    v[i]);
                continue;
            }
            cc->use_stale |= 1u << k; /* BN_STALE_* follow the order of stale[] */
        }
    }
    cc->npurge_allow = bn_conf_get_cidrs(ld, cg, "purge_allow", &cc->purge_allow);
    name = bn_conf_get_string(ld, cg, "zone", NULL);
    if (name == NULL) {
        bn_conf_err_at(ld, cg, "zone", "required: the cache zone to use");
        return;
    }
    for (size_t i = 0; i < ld->conf->ncache_zones; i++) {
        if (strcmp(ld->conf->cache_zones[i].name, name) == 0) {
            cc->zone = &ld->conf->cache_zones[i];
        }
    }
    if (cc->zone == NULL) {
        bn_conf_err(ld, bn_conf_member(cg, "zone"), "no cache zone is named \"%s\"", name);
    }
    key = bn_conf_get_string(ld, cg, "key", "$scheme$host$request_uri");
    if (bn_template_compile(ld->conf->pool, key, true, &cc->key, e, sizeof(e)) != BN_OK) {
        bn_conf_err(ld, bn_conf_member(cg, "key"), "%s", e);
    }
    cc->status_header = bn_conf_get_bool(ld, cg, "status_header", true);
    vs = bn_conf_want_list(ld, cg, "valid");
    nv = vs ? config_setting_length(vs) : 0;
    cc->valid = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_cache_valid_t) * (size_t) (nv + 1));
    for (int i = 0; cc->valid != NULL && i < nv; i++) {
        static const char *const vkeys[] = { "status", "ttl", NULL };
        config_setting_t *v = config_setting_get_elem(vs, (unsigned) i), *sl;
        bn_conf_cache_valid_t *cv = &cc->valid[cc->nvalid];
        const char **st;
        size_t ns;
        if (config_setting_type(v) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, v, "expected a group { status = [ \"200\" ]; ttl = \"10m\"; }");
            continue;
        }
        bn_conf_check_known(ld, v, vkeys);
        sl = bn_conf_member(v, "status");
        ns = bn_conf_get_strings(ld, v, "status", &st);
        if (ns == 0 || bn_conf_member(v, "ttl") == NULL) {
            bn_conf_err_at(ld, v, ns == 0 ? "status" : "ttl", "required");
            continue;
        }
        cv->ttl = bn_conf_get_duration(ld, v, "ttl", "0s");
        cv->statuses = bn_palloc(ld->conf->pool, sizeof(unsigned) * ns);
        for (size_t k = 0; cv->statuses != NULL && k < ns; k++) {
            char *end;
            long code = strtol(st[k], &end, 10);
            if (*end != '\0' || code < 200 || code > 599) {
                bn_conf_err(ld, config_setting_get_elem(sl, (unsigned) k),
                            "expected a final status from \"200\" to \"599\", not \"%s\"", st[k]);
                continue;
            }
            cv->statuses[cv->nstatuses++] = (unsigned) code;
        }
        cc->nvalid++;
    }
}

/*
 * The route's compress group (worker/compress.c does the work).  Present,
 * even empty, it turns compression on with the defaults of the example
 * config.
 */
static void
load_route_compress(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_route_t *r)
{
    static const char *const keys[] = { "types",      "min_length",   "algorithms",
                                        "gzip_level", "brotli_level", NULL };
    static const char *const default_types[] = { "text/*", "application/json",
                                                 "application/javascript", "image/svg+xml" };
    config_setting_t *cg = bn_conf_want_group(ld, g, "compress"), *ls;
    bn_conf_compress_t *cc = &r->compress;
    const char **v;
    size_t n;

    if (cg == NULL) {
        return;
    }
    bn_conf_check_known(ld, cg, keys);
    cc->enabled = true;

    n = bn_conf_get_strings(ld, cg, "types", &v);
    ls = bn_conf_member(cg, "types");
    if (ls != NULL && n == 0) {
        bn_conf_err(ld, ls, "expected at least one media type, such as \"text/*\"");
    }
    if (ls == NULL) {
        v = (const char **) default_types;
        n = BN_NELEMS(default_types);
    }
    cc->types = v;
    cc->ntypes = n;
    for (size_t i = 0; ls != NULL && i < n; i++) {
        if (!bn_encoding_type_valid(v[i])) {
            bn_conf_err(ld, config_setting_get_elem(ls, (unsigned) i),
                        "\"%s\" is not a media type pattern (expected \"type/subtype\" or "
                        "\"type/*\", such as \"text/html\" or \"text/*\")",
                        v[i]);
        }
    }

    cc->min_length = bn_conf_get_size(ld, cg, "min_length", "1k");
    cc->gzip_level = bn_conf_get_uint(ld, cg, "gzip_level", 5, 1, 9);
    cc->brotli_level = bn_conf_get_uint(ld, cg, "brotli_level", 4, 0, 11);

    n = bn_conf_get_strings(ld, cg, "algorithms", &v);
    ls = bn_conf_member(cg, "algorithms");
    if (ls == NULL) {
        cc->algorithms[0] = BN_ENC_BR;
        cc->algorithms[1] = BN_ENC_GZIP;
        cc->nalgorithms = 2;
        return;
    }
    if (n == 0) {
        bn_conf_err(ld, ls, "expected at least one of: br, gzip");
    }
    for (size_t i = 0; i < n; i++) {
        int enc = bn_encoding_from_name(v[i]);
        bool again = false;
        for (size_t k = 0; enc >= 0 && k < cc->nalgorithms; k++) {
            again = again || cc->algorithms[k] == enc;
        }
        if (enc < 0) {
            bn_conf_err(ld, config_setting_get_elem(ls, (unsigned) i),
                        "unknown algorithm \"%s\" (expected any of: br, gzip)", v[i]);
        } else if (again) {
            bn_conf_err(ld, config_setting_get_elem(ls, (unsigned) i), "\"%s\" is listed twice",
                        v[i]);
        } else {
            cc->algorithms[cc->nalgorithms++] = (uint8_t) enc;
        }
    }
}

void
bn_conf_load_route(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_route_t *r)
{
    static const char *const keys[] = {
        "name",
        "match",
        "upstream",
        "redirect",
        "respond",
        "rewrite",
        "request_headers",
        "response_headers",
        "max_body_size",
        "timeouts",
        "cache",
        "rate_limit",
        "limit_conn",
        "allow",
        "deny",
        "auth",
        "strip_credentials",
        "waf",
        "websocket",
        "compress",
        NULL,
    };
    static const char *const match_keys[] = { "exact", "prefix", "regex", "methods", NULL };
    static const char *const redirect_keys[] = { "to", "status", NULL };
    static const char *const respond_keys[] = { "status", "body", "content_type", NULL };
    static const char *const rewrite_keys[] = { "regex", "replace", NULL };
    static const char *const timeout_keys[] = { "read", "send", "connect", NULL };
    static const char *const ws_keys[] = { "enabled", "idle_timeout", "drain_timeout", NULL };
    static const char *const kinds[] = { "prefix", "exact", "regex" };
    config_setting_t *m, *s;
    int nkinds = 0, nactions = 0;
    const char *up;
    char e[512];

    bn_conf_check_known(ld, g, keys);
    load_route_cache(ld, g, r);
    load_route_compress(ld, g, r);

    m = bn_conf_want_group(ld, g, "match");
    if (m == NULL) {
        bn_conf_err_at(ld, g, "match", "required: one of exact, prefix or regex");
    } else {
        bn_conf_check_known(ld, m, match_keys);
        for (int k = 0; k < 3; k++) {
            const char *v = bn_conf_get_string(ld, m, kinds[k], NULL);
            if (v == NULL) {
                continue;
            }
            nkinds++;
            r->match_kind = k;
            r->match = v;
            r->match_len = strlen(v);
            s = bn_conf_member(m, kinds[k]);
            if (k == BN_MATCH_REGEX) {
                r->regex = bn_conf_compile_regex(ld, s, v);
            } else if (v[0] != '/') {
                bn_conf_err(ld, s, "\"%s\": a path starts with \"/\"", v);
            }
        }
        if (nkinds != 1) {
            bn_conf_err(ld, m, "expected exactly one of exact, prefix or regex");
        }
        r->nmethods = bn_conf_get_strings(ld, m, "methods", &r->methods);
    }
    /* Metrics label routes by name, so that a series stays put when routes
     * are reordered; without one, by the match. */
    r->name = bn_conf_get_string(ld, g, "name", NULL);
    if (r->name != NULL && r->name[0] == '\0') {
        bn_conf_err(ld, bn_conf_member(g, "name"), "a route's name is not empty");
    }
    if (r->name == NULL && r->match != NULL) {
        /* "prefix:/api/", "exact:/login POST": the match, with its methods */
        r->name = bn_psprintf(ld->conf->pool, "%s:%s", kinds[r->match_kind], r->match);
        for (size_t i = 0; r->name != NULL && i < r->nmethods; i++) {
            r->name = bn_psprintf(ld->conf->pool, "%s%s%s", r->name, i ? "," : " ", r->methods[i]);
        }
        r->name_default = true;
    }

    r->status = 0;
    up = bn_conf_get_string(ld, g, "upstream", NULL);
    if (up != NULL) {
        nactions++;
        r->action = BN_ROUTE_UPSTREAM;
        r->upstream = bn_conf_find_upstream(ld->conf, up);
        if (r->upstream == NULL) {
            bn_conf_err(ld, bn_conf_member(g, "upstream"), "no upstream is named \"%s\"", up);
        }
    }
    if ((s = bn_conf_want_group(ld, g, "redirect")) != NULL) {
        nactions++;
        bn_conf_check_known(ld, s, redirect_keys);
        r->action = BN_ROUTE_REDIRECT;
        r->redirect_to = bn_conf_get_string(ld, s, "to", NULL);
        if (r->redirect_to == NULL) {
            bn_conf_err_at(ld, s, "to", "required");
        } else if (bn_template_compile(ld->conf->pool, r->redirect_to,
                                       r->match_kind == BN_MATCH_REGEX, &r->redirect_tpl, e,
                                       sizeof(e))
                   != BN_OK) {
            bn_conf_err(ld, bn_conf_member(s, "to"), "%s", e);
        }
        r->status = bn_conf_get_uint(ld, s, "status", 301, 301, 308);
        if (r->status != 301 && r->status != 302 && r->status != 303 && r->status != 307
            && r->status != 308) {
            bn_conf_err(ld, bn_conf_member(s, "status"), "expected one of 301, 302, 303, 307, 308");
        }
    }
    if ((s = bn_conf_want_group(ld, g, "respond")) != NULL) {
        nactions++;
        bn_conf_check_known(ld, s, respond_keys);
        r->action = BN_ROUTE_RESPOND;
        r->status = bn_conf_get_uint(ld, s, "status", 200, 200, 599);
        r->body = bn_conf_get_string(ld, s, "body", "");
        r->content_type = bn_conf_get_string(ld, s, "content_type", "text/plain");
    }
    if (nactions != 1) {
        bn_conf_err(ld, g, "expected exactly one of upstream, redirect or respond");
    }

    if ((s = bn_conf_want_group(ld, g, "rewrite")) != NULL) {
        const char *re;
        bn_conf_check_known(ld, s, rewrite_keys);
        re = bn_conf_get_string(ld, s, "regex", NULL);
        r->rewrite_replace = bn_conf_get_string(ld, s, "replace", NULL);
        if (re == NULL || r->rewrite_replace == NULL) {
            bn_conf_err(ld, s, "expected both regex and replace");
        } else {
            r->rewrite = bn_conf_compile_regex(ld, bn_conf_member(s, "regex"), re);
        }
    }
    load_headers(ld, g, "request_headers", &r->request_headers);
    load_headers(ld, g, "response_headers", &r->response_headers);

    r->max_body_size = bn_conf_member(g, "max_body_size")
                           ? (int64_t) bn_conf_get_size(ld, g, "max_body_size", "0")
                           : -1;
    if ((s = bn_conf_want_group(ld, g, "timeouts")) != NULL) {
        bn_conf_check_known(ld, s, timeout_keys);
        r->read_timeout = bn_conf_get_duration(ld, s, "read", "0s");
        r->send_timeout = bn_conf_get_duration(ld, s, "send", "0s");
        r->connect_timeout = bn_conf_get_duration(ld, s, "connect", "0s");
    }
    r->nallow = bn_conf_get_cidrs(ld, g, "allow", &r->allow);
    r->ndeny = bn_conf_get_cidrs(ld, g, "deny", &r->deny);
    r->auth = bn_conf_load_auth(ld, g);
    r->strip_credentials = bn_conf_get_bool(ld, g, "strip_credentials", false);
    bn_conf_load_limit_refs(ld, g, &r->rate_limits, &r->nrate_limits, &r->limit_conns,
                            &r->nlimit_conns);

    r->websocket = true;
    r->websocket_idle_timeout = 3600 * 1000;
    r->websocket_drain_timeout = 3600 * 1000;
    if ((s = bn_conf_want_group(ld, g, "websocket")) != NULL) {
        bn_conf_check_known(ld, s, ws_keys);
        r->websocket = bn_conf_get_bool(ld, s, "enabled", true);
        r->websocket_idle_timeout = bn_conf_get_duration(ld, s, "idle_timeout", "1h");
        r->websocket_drain_timeout = bn_conf_get_duration(ld, s, "drain_timeout", "1h");
        /* The master waits this long for an old worker before it kills it:
         * a week is already more than any reload should keep a tunnel. */
        if (r->websocket_drain_timeout > BN_WS_DRAIN_MAX) {
            bn_conf_err(ld, bn_conf_member(s, "drain_timeout"), "expected at most \"7d\"");
            r->websocket_drain_timeout = BN_WS_DRAIN_MAX;
        }
    }
}
