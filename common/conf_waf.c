/*
 * conf_waf.c: a server block's or route's waf group, and the rule sets it
 * names.  A route's group is merged key by key over its block's: a key the
 * route sets replaces the block's, exclude adds to it, and only
 * mode = "off" turns the WAF off.
 */
#include "conf_load.h"
#include "json.h"
#include "waf.h"

#include <sys/stat.h>

#define WAF_RULES_FILE_MAX (4 * 1024 * 1024)

/*
 * The rule set of the built-in rules and, when path is not NULL, a site's
 * file: made once per config for each file, and shared by every route that
 * names it.
 */
static bn_waf_rules_t *
rule_set(bn_conf_loader_t *ld, const config_setting_t *at, const char *path)
{
    bn_conf_t *c = ld->conf;
    bn_waf_rules_t *set, **grown;
    char err[512], *text = NULL;
    size_t n = 0;

    for (size_t i = 0; i < c->nwaf_rules; i++) {
        const char *p = c->waf_rules[i]->path;
        if (p == path || (p != NULL && path != NULL && strcmp(p, path) == 0)) {
            return c->waf_rules[i];
        }
    }
    if (path != NULL) {
        struct stat st;
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            bn_conf_err(ld, at, "cannot open \"%s\": %s", path, strerror(errno));
            return NULL;
        }
        if (fstat(fileno(f), &st) == -1 || st.st_size > WAF_RULES_FILE_MAX) {
            bn_conf_err(ld, at, "\"%s\": expected a rules file of at most 4 MiB", path);
            fclose(f);
            return NULL;
        }
        text = bn_palloc(c->pool, (size_t) st.st_size + 1);
        n = text ? fread(text, 1, (size_t) st.st_size, f) : 0;
        fclose(f);
        if (text == NULL) {
            return NULL;
        }
    }
    set = bn_pcalloc(c->pool, sizeof(*set));
    grown = bn_palloc(c->pool, sizeof(*grown) * (c->nwaf_rules + 1));
    if (set == NULL || grown == NULL) {
        return NULL;
    }
    set->path = path;
    if (bn_waf_rules_parse(set, c->pool, bn_waf_builtin_rules, strlen(bn_waf_builtin_rules),
                           "built-in rules", err, sizeof(err))
            != BN_OK
        || (path != NULL && bn_waf_rules_parse(set, c->pool, text, n, path, err, sizeof(err)) != BN_OK)
        || bn_waf_rules_finish(set, err, sizeof(err)) != BN_OK) {
        bn_conf_err(ld, at, "%s", err);
        return NULL;
    }
    if (c->nwaf_rules > 0) {
        memcpy(grown, c->waf_rules, sizeof(*grown) * c->nwaf_rules);
    }
    grown[c->nwaf_rules++] = set;
    c->waf_rules = grown;
    return set;
}

/* exclude = [ 942100, "941100" ]: ids, appended to w's. */
static void
load_exclude(bn_conf_loader_t *ld, const config_setting_t *s, bn_conf_waf_t *w)
{
    int n = config_setting_length(s);
    unsigned *ids;

    if (config_setting_is_aggregate(s) == CONFIG_FALSE
        || config_setting_type(s) == CONFIG_TYPE_GROUP) {
        bn_conf_err(ld, s, "expected a list of rule ids [ 942100, 941100 ]");
        return;
    }
    if (n == 0) {
        return;
    }
    ids = bn_palloc(ld->conf->pool, sizeof(*ids) * (w->nexclude + (size_t) n));
    if (ids == NULL) {
        return;
    }
    if (w->nexclude > 0) {
        memcpy(ids, w->exclude, sizeof(*ids) * w->nexclude);
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
        long long id = -1;
        if (bn_conf_is_int(e)) {
            id = config_setting_get_int64(e);
        } else if (config_setting_type(e) == CONFIG_TYPE_STRING) {
            const char *v = config_setting_get_string(e);
            char *end;
            id = *v >= '1' && *v <= '9' ? strtoll(v, &end, 10) : -1;
            if (id != -1 && *end != '\0') {
                id = -1;
            }
        }
        if (id < 1 || id > 0xffffffffLL) {
            bn_conf_err(ld, e, "expected a rule id");
            continue;
        }
        ids[w->nexclude++] = (unsigned) id;
    }
    w->exclude = ids;
}

/*
 * Loads g's waf group into w, over base (the server block's, for a route;
 * NULL for a block: the defaults).
 */
void
bn_conf_load_waf(bn_conf_loader_t *ld, const config_setting_t *g, const bn_conf_waf_t *base,
                 bn_conf_waf_t *w)
{
    static const char *const keys[] = { "mode",      "paranoia",    "threshold",     "exclude",
                                        "max_body",  "strict_body", "inspect_files", "rules",
                                        "max_args",  "max_depth",   "match_limit",   NULL };
    static const char *const modes[] = { "off", "detect", "block", NULL };
    config_setting_t *wg, *s;

    if (base != NULL) {
        *w = *base;
    } else {
        memset(w, 0, sizeof(*w));
        w->mode = BN_WAF_OFF;
        w->paranoia = 1;
        w->threshold = 5;
        w->max_body = 128 * 1024;
        w->max_args = 1000;
        w->max_depth = 64;
        w->match_limit = BN_WAF_MATCH_LIMIT;
        w->rules_file = "";
    }
    wg = bn_conf_want_group(ld, g, "waf");
    if (wg == NULL) {
        return;
    }
    bn_conf_check_known(ld, wg, keys);
    if (bn_conf_member(wg, "mode") != NULL) {
        w->mode = (unsigned) bn_conf_get_enum(ld, wg, "mode", modes, BN_WAF_OFF);
    }
    if (bn_conf_member(wg, "paranoia") != NULL) {
        w->paranoia = bn_conf_get_uint(ld, wg, "paranoia", 1, 1, 4);
    }
    if (bn_conf_member(wg, "threshold") != NULL) {
        w->threshold = bn_conf_get_uint(ld, wg, "threshold", 5, 1, 10000);
    }
    if (bn_conf_member(wg, "max_body") != NULL) {
        w->max_body = bn_conf_get_size(ld, wg, "max_body", "128k");
        if (w->max_body == 0 || w->max_body > 64 * 1024 * 1024) {
            bn_conf_err(ld, bn_conf_member(wg, "max_body"), "expected from \"1\" to \"64m\"");
            w->max_body = 128 * 1024;
        }
    }
    if (bn_conf_member(wg, "max_args") != NULL) {
        w->max_args = bn_conf_get_uint(ld, wg, "max_args", 1000, 1, 100000);
    }
    if (bn_conf_member(wg, "max_depth") != NULL) {
        w->max_depth = bn_conf_get_uint(ld, wg, "max_depth", 64, 1, BN_JSON_MAX_DEPTH);
    }
    if (bn_conf_member(wg, "match_limit") != NULL) {
        w->match_limit = bn_conf_get_uint(ld, wg, "match_limit", BN_WAF_MATCH_LIMIT, 1000, 100000000);
    }
    if (bn_conf_member(wg, "strict_body") != NULL) {
        w->strict_body = bn_conf_get_bool(ld, wg, "strict_body", false);
    }
    if (bn_conf_member(wg, "inspect_files") != NULL) {
        w->inspect_files = bn_conf_get_bool(ld, wg, "inspect_files", false);
    }
    if (bn_conf_member(wg, "rules") != NULL) {
        const char *f = bn_conf_get_string(ld, wg, "rules", "");
        w->rules_file = f[0] != '\0' ? bn_conf_abs_path(ld, f) : "";
        w->rules = NULL;
    }
    if ((s = bn_conf_member(wg, "exclude")) != NULL) {
        load_exclude(ld, s, w);
    }
}

/* Gives w its rule set and checks its excludes against it: a typo in an
 * id would leave the false positive it meant to silence. */
void
bn_conf_finish_waf(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_waf_t *w)
{
    config_setting_t *wg = bn_conf_member(g, "waf");
    config_setting_t *at = wg ? bn_conf_member(wg, "rules") : NULL;

    if (w->mode == BN_WAF_OFF) {
        return;
    }
    if (w->rules == NULL) {
        w->rules = w->rules_file[0] != '\0' ? rule_set(ld, at ? at : g, w->rules_file)
                                            : rule_set(ld, wg ? wg : g, NULL);
    }
    if (w->rules == NULL) {
        return;
    }
    /* Checked where the group is written, not again in every route that
     * inherits it. */
    for (size_t i = 0; wg != NULL && i < w->nexclude; i++) {
        if (bn_waf_rule_by_id(w->rules, w->exclude[i]) == NULL) {
            config_setting_t *s = wg ? bn_conf_member(wg, "exclude") : NULL;
            bn_conf_err(ld, s ? s : g, "no WAF rule has id %u", w->exclude[i]);
        }
    }
}
