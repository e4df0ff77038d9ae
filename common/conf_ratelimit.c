/*
 * conf_ratelimit.c: the rate_limits and limit_conn lists, and the
 * rate_limit and limit_conn settings of a server block or route (a rule's
 * name, a list of names, or "off").
 */
#include "conf_load.h"

#include <stdlib.h>

/* Whether a key uses what only authentication sets: it is counted after auth. */
static bool
identity_key(const bn_template_t *t)
{
    for (size_t i = 0; i < t->nparts; i++) {
        switch (t->parts[i].kind) {
        case BN_VAR_AUTH_USER:
        case BN_VAR_AUTH_METHOD:
        case BN_VAR_API_KEY_NAME:
        case BN_VAR_JWT_CLAIM:
            return true;
        default:
            break;
        }
    }
    return false;
}

/* "10r/s", "10/s", "1000/m", "50r/h": n per window seconds. */
static int
parse_rate(const char *s, unsigned *n, unsigned *window)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (end == s || v == 0 || v > 1000000000UL) {
        return BN_ERROR;
    }
    if (*end == 'r') {
        end++;
    }
    if (strcmp(end, "/s") == 0) {
        *window = 1;
    } else if (strcmp(end, "/m") == 0) {
        *window = 60;
    } else if (strcmp(end, "/h") == 0) {
        *window = 3600;
    } else {
        return BN_ERROR;
    }
    *n = (unsigned) v;
    return BN_OK;
}

static void
load_key(bn_conf_loader_t *ld, const config_setting_t *g, bn_template_t *key, bool *identity)
{
    const char *k = bn_conf_get_string(ld, g, "key", NULL);
    char e[512];

    if (k == NULL) {
        bn_conf_err_at(ld, g, "key", "required: the variables that tell clients apart");
        return;
    }
    if (bn_template_compile(ld->conf->pool, k, false, key, e, sizeof(e)) != BN_OK) {
        bn_conf_err(ld, bn_conf_member(g, "key"), "%s", e);
        return;
    }
    *identity = identity_key(key);
}

static void
load_memory(bn_conf_loader_t *ld, const config_setting_t *g, uint64_t *memory)
{
    *memory = bn_conf_get_size(ld, g, "memory", "10m");
    if (*memory < 64 * 1024) {
        bn_conf_err(ld, bn_conf_member(g, "memory"), "expected at least \"64k\"");
    }
}

/* name must be new among the rules of its list. */
static const char *
load_name(bn_conf_loader_t *ld, const config_setting_t *g, const char *list, bool taken)
{
    const char *name = bn_conf_get_string(ld, g, "name", NULL);

    if (name == NULL || name[0] == '\0' || strcmp(name, "off") == 0) {
        bn_conf_err_at(ld, name ? bn_conf_member(g, "name") : g, name ? NULL : "name",
                       name ? "\"%s\" cannot name a rule" : "required", name ? name : "");
        return NULL;
    }
    if (taken) {
        bn_conf_err(ld, bn_conf_member(g, "name"), "another entry of %s is already named \"%s\"",
                    list, name);
        return NULL;
    }
    return name;
}

void
bn_conf_load_rate_limits(bn_conf_loader_t *ld, const config_setting_t *root)
{
    static const char *const keys[] = { "name",   "key",     "rate",   "burst", "delay",
                                        "status", "dry_run", "memory", "scope", NULL };
    static const char *const lkeys[] = { "name", "key", "max", "status", "memory", NULL };
    static const char *const scopes[] = { "local", "cluster", NULL };
    bn_conf_t *c = ld->conf;
    config_setting_t *ls = bn_conf_want_list(ld, root, "rate_limits");
    int n = ls ? config_setting_length(ls) : 0;

    c->rate_limits = bn_pcalloc(c->pool, sizeof(bn_conf_rate_limit_t) * (size_t) (n + 1));
    for (int i = 0; c->rate_limits != NULL && i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ls, (unsigned) i);
        bn_conf_rate_limit_t *rl = &c->rate_limits[c->nrate_limits];
        const char *rate, *name;

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, g, "expected a group { name = ...; key = ...; rate = ...; }");
            continue;
        }
        bn_conf_check_known(ld, g, keys);
        name = bn_conf_get_string(ld, g, "name", NULL);
        rl->name = load_name(ld, g, "rate_limits",
                             name != NULL && bn_conf_find_rate_limit(c, name) != NULL);
        load_key(ld, g, &rl->key, &rl->identity);
        rate = bn_conf_get_string(ld, g, "rate", NULL);
        if (rate == NULL) {
            bn_conf_err_at(ld, g, "rate", "required: \"10r/s\", \"1000/m\", \"50/h\"");
        } else if (parse_rate(rate, &rl->rate_n, &rl->rate_window) != BN_OK) {
            bn_conf_err(ld, bn_conf_member(g, "rate"),
                        "\"%s\": expected N/s, N/m or N/h (\"10r/s\", \"1000/m\")", rate);
        } else {
            rl->interval = (int64_t) rl->rate_window * 1000000 / rl->rate_n;
            if (rl->interval == 0) {
                rl->interval = 1;
            }
        }
        rl->burst = bn_conf_get_uint(ld, g, "burst", 0, 0, 1000000);
        rl->delay = bn_conf_get_uint(ld, g, "delay", rl->burst, 0, 1000000);
        if (rl->delay > rl->burst) {
            bn_conf_err(ld, bn_conf_member(g, "delay"), "expected at most burst (%u)", rl->burst);
        }
        rl->status = bn_conf_get_uint(ld, g, "status", 429, 400, 599);
        rl->dry_run = bn_conf_get_bool(ld, g, "dry_run", false);
        load_memory(ld, g, &rl->memory);
        rl->cluster = bn_conf_get_enum(ld, g, "scope", scopes, 0) == 1;
        if (rl->cluster && !c->redis.enabled) {
            bn_conf_err(ld, bn_conf_member(g, "scope"),
                        "\"cluster\" needs the redis group, where the budget is kept");
        }
        if (rl->name != NULL) {
            c->nrate_limits++;
        }
    }

    ls = bn_conf_want_list(ld, root, "limit_conn");
    n = ls ? config_setting_length(ls) : 0;
    c->limit_conns = bn_pcalloc(c->pool, sizeof(bn_conf_limit_conn_t) * (size_t) (n + 1));
    for (int i = 0; c->limit_conns != NULL && i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ls, (unsigned) i);
        bn_conf_limit_conn_t *lc = &c->limit_conns[c->nlimit_conns];
        const char *name;

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, g, "expected a group { name = ...; key = ...; max = ...; }");
            continue;
        }
        bn_conf_check_known(ld, g, lkeys);
        name = bn_conf_get_string(ld, g, "name", NULL);
        lc->name = load_name(ld, g, "limit_conn",
                             name != NULL && bn_conf_find_limit_conn(c, name) != NULL);
        load_key(ld, g, &lc->key, &lc->identity);
        if (bn_conf_member(g, "max") == NULL) {
            bn_conf_err_at(ld, g, "max", "required: concurrent requests per key");
        }
        lc->max = bn_conf_get_uint(ld, g, "max", 1, 1, 100000000);
        lc->status = bn_conf_get_uint(ld, g, "status", 429, 400, 599);
        load_memory(ld, g, &lc->memory);
        if (lc->name != NULL) {
            c->nlimit_conns++;
        }
    }
}

bn_conf_rate_limit_t *
bn_conf_find_rate_limit(bn_conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nrate_limits; i++) {
        if (strcmp(c->rate_limits[i].name, name) == 0) {
            return &c->rate_limits[i];
        }
    }
    return NULL;
}

bn_conf_limit_conn_t *
bn_conf_find_limit_conn(bn_conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nlimit_conns; i++) {
        if (strcmp(c->limit_conns[i].name, name) == 0) {
            return &c->limit_conns[i];
        }
    }
    return NULL;
}

/*
 * g's rate_limit or limit_conn: a name, a list of names, or "off" (none,
 * also for a route whose server block has some).
 */
static void **
load_refs(bn_conf_loader_t *ld, const config_setting_t *g, const char *setting, bool conn,
          size_t *n)
{
    config_setting_t *s = bn_conf_member(g, setting);
    const char **names;
    size_t k;
    void **out;

    *n = 0;
    if (s == NULL) {
        return NULL;
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        names = bn_palloc(ld->conf->pool, sizeof(char *));
        if (names == NULL) {
            return NULL;
        }
        names[0] = config_setting_get_string(s);
        k = 1;
        if (strcmp(names[0], "off") == 0) {
            return NULL;
        }
    } else {
        k = bn_conf_get_strings(ld, g, setting, &names);
    }
    out = bn_pcalloc(ld->conf->pool, sizeof(void *) * (k + 1));
    for (size_t i = 0; out != NULL && i < k; i++) {
        void *r = conn ? (void *) bn_conf_find_limit_conn(ld->conf, names[i])
                       : (void *) bn_conf_find_rate_limit(ld->conf, names[i]);
        if (r == NULL) {
            bn_conf_err(ld, config_setting_type(s) == CONFIG_TYPE_STRING
                                ? s
                                : config_setting_get_elem(s, (unsigned) i),
                        "no %s entry is named \"%s\"", conn ? "limit_conn" : "rate_limits",
                        names[i]);
            continue;
        }
        out[(*n)++] = r;
    }
    return out;
}

void
bn_conf_load_limit_refs(bn_conf_loader_t *ld, const config_setting_t *g,
                        bn_conf_rate_limit_t ***rates, size_t *nrates,
                        bn_conf_limit_conn_t ***conns, size_t *nconns)
{
    *rates = (bn_conf_rate_limit_t **) load_refs(ld, g, "rate_limit", false, nrates);
    *conns = (bn_conf_limit_conn_t **) load_refs(ld, g, "limit_conn", true, nconns);
}

void
bn_conf_check_identity_limits(bn_conf_loader_t *ld, const config_setting_t *g,
                              const bn_conf_route_t *r)
{
    /* A key of what only auth sets, on a route without auth, is never
     * set: the limit would silently not apply. */
    if (r->auth != NULL) {
        return;
    }
    for (size_t i = 0; i < r->nrate_limits; i++) {
        if (r->rate_limits[i]->identity) {
            bn_conf_err(ld, g,
                        "rate_limit \"%s\" is keyed on $auth_*, $jwt_claim_* or $api_key_name, "
                        "but the route has no auth: it would never apply",
                        r->rate_limits[i]->name);
        }
    }
    for (size_t i = 0; i < r->nlimit_conns; i++) {
        if (r->limit_conns[i]->identity) {
            bn_conf_err(ld, g,
                        "limit_conn \"%s\" is keyed on $auth_*, $jwt_claim_* or $api_key_name, "
                        "but the route has no auth: it would never apply",
                        r->limit_conns[i]->name);
        }
    }
}
