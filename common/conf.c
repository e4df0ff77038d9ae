/*
 * conf.c: loading bouncer.conf into typed structs.
 *
 * Every setting is read through one of the typed getters below, which report
 * errors in one form: "FILE:LINE: path.to.setting: what was expected".  A
 * semantic error does not stop loading, so `bouncer check` reports all of
 * them; only a syntax error (libconfig stops there) ends it early.
 */
#include "conf.h"
#include "log.h"
#include "str.h"

#include <ctype.h>
#include <grp.h>
#include <inttypes.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>

typedef struct {
    bn_conf_t *conf;
    bn_conf_errors_t *errs;
    size_t nerrs_at_start;
} loader_t;

/* libconfig's lookup, but a missing group simply has no members. */
static config_setting_t *
member(const config_setting_t *g, const char *name)
{
    return g != NULL ? config_setting_get_member(g, name) : NULL;
}

static const char *abs_path(loader_t *ld, const char *p);

/* ---- errors --------------------------------------------------------------- */

void
bn_conf_errors_add(bn_conf_errors_t *e, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        char **l = realloc(e->lines, cap * sizeof(char *));
        if (l == NULL) {
            return;
        }
        e->lines = l;
        e->cap = cap;
    }
    e->lines[e->n] = strdup(line);
    if (e->lines[e->n] != NULL) {
        e->n++;
    }
}

void
bn_conf_errors_free(bn_conf_errors_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->lines[i]);
    }
    free(e->lines);
    e->lines = NULL;
    e->n = e->cap = 0;
}

/* Appends s's path (servers[0].routes[2].match) to line. */
static void
setting_path(const config_setting_t *s, bn_line_t *line)
{
    const char *name;

    if (s == NULL || config_setting_is_root(s)) {
        return;
    }
    setting_path(config_setting_parent(s), line);
    name = config_setting_name(s);
    if (name != NULL) {
        bn_line_printf(line, "%s%s", line->len ? "." : "", name);
    } else {
        bn_line_printf(line, "[%d]", config_setting_index(s));
    }
}

/*
 * Reports an error at setting s, or, when s is absent (a required setting),
 * at its parent group with the missing name appended to the path.
 */
static void __attribute__((format(printf, 4, 5)))
err_at(loader_t *ld, const config_setting_t *s, const char *missing, const char *fmt, ...)
{
    char path[512], msg[1024], line[1800];
    bn_line_t p;
    const char *file;
    va_list ap;

    bn_line_init(&p, path, sizeof(path));
    setting_path(s, &p);
    if (missing != NULL) {
        bn_line_printf(&p, "%s%s", p.len ? "." : "", missing);
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    file = s != NULL ? config_setting_source_file(s) : NULL;
    if (file != NULL && file[0] != '/') {
        /* An @include, named as written: relative to the main file's folder. */
        file = abs_path(ld, file);
    }
    snprintf(line, sizeof(line), "%s:%u: %s: %s", file ? file : ld->conf->file,
             s != NULL ? config_setting_source_line(s) : 0, path, msg);
    bn_conf_errors_add(ld->errs, "%s", line);
}

#define err(ld, s, ...) err_at(ld, s, NULL, __VA_ARGS__)

/* ---- schema checks ----------------------------------------------------------- */

/* Reports every member of group g whose name is not in known. */
static void
check_known(loader_t *ld, const config_setting_t *g, const char *const *known)
{
    int n = config_setting_length(g);

    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(g, (unsigned) i);
        const char *name = config_setting_name(m);
        const char *best = NULL;
        unsigned bestd = 255, d;
        size_t k;

        if (name == NULL) {
            continue;
        }
        for (k = 0; known[k] != NULL; k++) {
            if (strcmp(name, known[k]) == 0) {
                break;
            }
            d = bn_edit_distance(name, known[k]);
            if (d < bestd) {
                bestd = d;
                best = known[k];
            }
        }
        if (known[k] != NULL) {
            continue;
        }
        if (best != NULL && bestd <= 2 + strlen(name) / 6) {
            err(ld, m, "unknown setting (did you mean \"%s\"?)", best);
        } else {
            err(ld, m, "unknown setting");
        }
    }
}

/* Settings that a later release implements: present is an error, not a no-op. */
static void
not_yet(loader_t *ld, const config_setting_t *g, const char *name)
{
    config_setting_t *s = member(g, name);

    if (s != NULL) {
        err(ld, s, "not supported yet by this version of bouncer");
    }
}

static config_setting_t *
want_group(loader_t *ld, const config_setting_t *g, const char *name)
{
    config_setting_t *s = member(g, name);

    if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        err(ld, s, "expected a group { ... }");
        return NULL;
    }
    return s;
}

/* A list ( ... ) or array [ ... ]; NULL when absent or of another type. */
static config_setting_t *
want_list(loader_t *ld, const config_setting_t *g, const char *name)
{
    config_setting_t *s = member(g, name);

    if (s != NULL && config_setting_type(s) != CONFIG_TYPE_LIST
        && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
        err(ld, s, "expected a list ( ... ) or an array [ ... ]");
        return NULL;
    }
    return s;
}

/* ---- typed getters ------------------------------------------------------------ */

static bool
get_bool(loader_t *ld, const config_setting_t *g, const char *name, bool def)
{
    config_setting_t *s = member(g, name);

    if (s == NULL) {
        return def;
    }
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        err(ld, s, "expected true or false");
        return def;
    }
    return config_setting_get_bool(s) != 0;
}

static bool
is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

static unsigned
get_uint(loader_t *ld, const config_setting_t *g, const char *name, unsigned def, long long min,
         long long max)
{
    config_setting_t *s = member(g, name);
    long long v;

    if (s == NULL) {
        return def;
    }
    if (!is_int(s)) {
        err(ld, s, "expected an integer from %lld to %lld", min, max);
        return def;
    }
    v = config_setting_get_int64(s);
    if (v < min || v > max) {
        err(ld, s, "%lld is out of range (expected %lld to %lld)", v, min, max);
        return def;
    }
    return (unsigned) v;
}

static const char *
get_string(loader_t *ld, const config_setting_t *g, const char *name, const char *def)
{
    config_setting_t *s = member(g, name);

    if (s == NULL) {
        return def;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        err(ld, s, "expected a string");
        return def;
    }
    return bn_pstrdup(ld->conf->pool, config_setting_get_string(s));
}

/* A size: "16k" or a bare integer of bytes. */
static uint64_t
get_size(loader_t *ld, const config_setting_t *g, const char *name, const char *def)
{
    config_setting_t *s = member(g, name);
    uint64_t v = 0;

    if (s != NULL && is_int(s) && config_setting_get_int64(s) >= 0) {
        return (uint64_t) config_setting_get_int64(s);
    }
    if (s != NULL
        && (config_setting_type(s) != CONFIG_TYPE_STRING
            || bn_parse_size(config_setting_get_string(s), &v) != BN_OK)) {
        err(ld, s, "expected a size such as \"512\", \"16k\", \"64m\" or \"1g\"");
        s = NULL;
    }
    if (s == NULL) {
        bn_parse_size(def, &v);
    }
    return v;
}

/* A duration in milliseconds: "250ms", "5s", "10m", "1h", "1d", or seconds. */
static uint64_t
get_duration(loader_t *ld, const config_setting_t *g, const char *name, const char *def)
{
    config_setting_t *s = member(g, name);
    uint64_t v = 0;

    if (s != NULL && is_int(s) && config_setting_get_int64(s) >= 0
        && config_setting_get_int64(s) < INT64_MAX / 1000) {
        return (uint64_t) config_setting_get_int64(s) * 1000;
    }
    if (s != NULL
        && (config_setting_type(s) != CONFIG_TYPE_STRING
            || bn_parse_duration(config_setting_get_string(s), &v) != BN_OK)) {
        err(ld, s, "expected a duration such as \"250ms\", \"5s\", \"10m\", \"1h\" or \"1d\"");
        s = NULL;
    }
    if (s == NULL) {
        bn_parse_duration(def, &v);
    }
    return v;
}

/* A short wait in microseconds: "50us", "1ms", or 0; at most max. */
static uint64_t
get_usec(loader_t *ld, const config_setting_t *g, const char *name, const char *def, uint64_t max)
{
    config_setting_t *s = member(g, name);
    uint64_t v = 0;

    if (s != NULL && is_int(s) && config_setting_get_int64(s) == 0) {
        return 0;
    }
    if (s != NULL
        && (config_setting_type(s) != CONFIG_TYPE_STRING
            || bn_parse_usec(config_setting_get_string(s), &v) != BN_OK || v > max)) {
        err(ld, s, "expected a time such as \"50us\" or \"1ms\" (at most %" PRIu64 "us), or 0",
            max);
        s = NULL;
    }
    if (s == NULL) {
        bn_parse_usec(def, &v);
    }
    return v;
}

/* One of choices; returns its index, or def when absent or wrong. */
static int
get_enum(loader_t *ld, const config_setting_t *g, const char *name, const char *const *choices,
         int def)
{
    config_setting_t *s = member(g, name);
    char list[256];
    bn_line_t l;

    if (s == NULL) {
        return def;
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        for (int i = 0; choices[i] != NULL; i++) {
            if (strcmp(config_setting_get_string(s), choices[i]) == 0) {
                return i;
            }
        }
    }
    bn_line_init(&l, list, sizeof(list));
    for (int i = 0; choices[i] != NULL; i++) {
        bn_line_printf(&l, "%s%s", i ? ", " : "", choices[i]);
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        err(ld, s, "unknown value \"%s\" (expected one of: %s)", config_setting_get_string(s),
            list);
    } else {
        err(ld, s, "expected a string, one of: %s", list);
    }
    return def;
}

/*
 * An array or list of strings, copied into the pool.  Returns the count and
 * sets *out (NULL when absent or empty).
 */
static size_t
get_strings(loader_t *ld, const config_setting_t *g, const char *name, const char ***out)
{
    config_setting_t *s = want_list(ld, g, name);
    int n;
    const char **v;

    *out = NULL;
    if (s == NULL || (n = config_setting_length(s)) == 0) {
        return 0;
    }
    v = bn_pcalloc(ld->conf->pool, sizeof(char *) * (size_t) n);
    if (v == NULL) {
        return 0;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            err(ld, e, "expected a string");
            return 0;
        }
        v[i] = bn_pstrdup(ld->conf->pool, config_setting_get_string(e));
    }
    *out = v;
    return (size_t) n;
}

static size_t
get_cidrs(loader_t *ld, const config_setting_t *g, const char *name, bn_cidr_t **out)
{
    const char **v;
    size_t n = get_strings(ld, g, name, &v);
    config_setting_t *s = member(g, name);

    *out = NULL;
    if (n == 0) {
        return 0;
    }
    *out = bn_pcalloc(ld->conf->pool, sizeof(bn_cidr_t) * n);
    if (*out == NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (bn_cidr_parse(v[i], &(*out)[i]) != BN_OK) {
            err(ld, config_setting_get_elem(s, (unsigned) i),
                "\"%s\": expected an address or network such as \"10.0.0.0/8\" or \"::1/128\"",
                v[i]);
        }
    }
    return n;
}

/*
 * Relative paths in the config are taken from the folder of the main config
 * file, as @include does, so a config moved with its files still works.
 */
static const char *
abs_path(loader_t *ld, const char *p)
{
    char *dir, *copy;
    const char *r;

    if (p == NULL || p[0] == '/' || p[0] == '\0') {
        return p;
    }
    copy = strdup(ld->conf->file);
    if (copy == NULL) {
        return p;
    }
    dir = dirname(copy);
    r = bn_psprintf(ld->conf->pool, "%s/%s", dir, p);
    free(copy);
    return r;
}

static pcre2_code *
compile_regex(loader_t *ld, const config_setting_t *s, const char *re)
{
    int ec;
    PCRE2_SIZE off;
    PCRE2_UCHAR msg[256];
    pcre2_code *code;

    code = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
    if (code == NULL) {
        pcre2_get_error_message(ec, msg, sizeof(msg));
        err(ld, s, "regex \"%s\" does not compile at offset %zu: %s", re, (size_t) off, msg);
        return NULL;
    }
    /* JIT is an optimisation: where it is unavailable the interpreter runs. */
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (bn_pool_cleanup_add(ld->conf->pool, (bn_pool_cleanup_pt) pcre2_code_free, code) != BN_OK) {
        pcre2_code_free(code);
        return NULL;
    }
    return code;
}

/* ---- sections ---------------------------------------------------------------- */

static void
load_log(loader_t *ld, const config_setting_t *root)
{
    static const char *const log_keys[] = { "error", "access", NULL };
    static const char *const error_keys[] = { "path", "level", NULL };
    static const char *const access_keys[] = { "path", "format", NULL };
    static const char *const formats[] = { "combined", "json", "off", NULL };
    bn_conf_t *c = ld->conf;
    config_setting_t *log = want_group(ld, root, "log"), *e = NULL, *a = NULL, *lv;
    const char *level;

    c->error_log = BN_LOG_PATH "/error.log";
    c->access_log = BN_LOG_PATH "/access.log";
    c->error_log_level = BN_LOG_NOTICE;
    c->access_format = BN_ACCESS_COMBINED;
    if (log == NULL) {
        return;
    }
    check_known(ld, log, log_keys);
    if ((e = want_group(ld, log, "error")) != NULL) {
        check_known(ld, e, error_keys);
        c->error_log = abs_path(ld, get_string(ld, e, "path", c->error_log));
        level = get_string(ld, e, "level", "notice");
        if ((c->error_log_level = bn_log_level_parse(level)) == -1) {
            lv = member(e, "level");
            err(ld, lv,
                "unknown value \"%s\" (expected one of: debug, info, notice, warn, error, crit, "
                "alert, emerg)",
                level);
            c->error_log_level = BN_LOG_NOTICE;
        }
    }
    if ((a = want_group(ld, log, "access")) != NULL) {
        check_known(ld, a, access_keys);
        c->access_log = abs_path(ld, get_string(ld, a, "path", c->access_log));
        c->access_format = get_enum(ld, a, "format", formats, BN_ACCESS_COMBINED);
    }
}

static void
load_limits(loader_t *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "header_timeout",
        "body_timeout",
        "send_timeout",
        "keepalive_timeout",
        "keepalive_requests",
        "max_uri_size",
        "max_header_size",
        "max_headers",
        "max_body_size",
        "max_upstream_header_size",
        "tls_handshake_timeout",
        "lingering_timeout",
        NULL,
    };
    bn_conf_limits_t *l = &ld->conf->limits;
    config_setting_t *g = want_group(ld, root, "limits");

    if (g != NULL) {
        check_known(ld, g, keys);
    }
    /* get_* take the default when g (and so the setting) is absent. */
    l->header_timeout = get_duration(ld, g, "header_timeout", "10s");
    l->body_timeout = get_duration(ld, g, "body_timeout", "60s");
    l->send_timeout = get_duration(ld, g, "send_timeout", "60s");
    l->keepalive_timeout = get_duration(ld, g, "keepalive_timeout", "75s");
    l->keepalive_requests = get_uint(ld, g, "keepalive_requests", 1000, 0, INT_MAX);
    l->max_header_size = get_size(ld, g, "max_header_size", "16k");
    l->max_headers = get_uint(ld, g, "max_headers", 100, 1, 10000);
    l->max_body_size = get_size(ld, g, "max_body_size", "1m");
    l->max_upstream_header_size = get_size(ld, g, "max_upstream_header_size", "16k");
    l->tls_handshake_timeout = get_duration(ld, g, "tls_handshake_timeout", "10s");
    l->lingering_timeout = get_duration(ld, g, "lingering_timeout", "5s");

    if (l->max_header_size < 1024 || l->max_header_size > 1024 * 1024) {
        err(ld, member(g, "max_header_size"), "expected from \"1k\" to \"1m\"");
        l->max_header_size = 16384;
    }
    if (l->max_upstream_header_size < 1024 || l->max_upstream_header_size > 1024 * 1024) {
        err(ld, member(g, "max_upstream_header_size"), "expected from \"1k\" to \"1m\"");
        l->max_upstream_header_size = 16384;
    }
    /* The request line is part of the head: a max_header_size below "8k"
     * lowers the default max_uri_size rather than making it an error. */
    l->max_uri_size = member(g, "max_uri_size") != NULL ? get_size(ld, g, "max_uri_size", "8k")
                                                        : BN_MIN(8192, l->max_header_size);
    if (l->max_uri_size < 16 || l->max_uri_size > l->max_header_size) {
        err(ld, member(g, "max_uri_size"), "expected from \"16\" to max_header_size");
        l->max_uri_size = BN_MIN(8192, l->max_header_size);
    }
}

/* "host:port": the parts, and every address the name has now (none yet is
 * fine for a server with resolve = true). */
static void
load_peer_address(loader_t *ld, config_setting_t *s, bn_conf_peer_t *p)
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
        err(ld, member(s, "address"), "%s", e);
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
load_health(loader_t *ld, const config_setting_t *g, bn_conf_health_t *h)
{
    static const char *const keys[] = { "path",   "interval", "timeout", "fails",
                                        "passes", "expect",   NULL };
    config_setting_t *s = want_group(ld, g, "health_check"), *ex;
    const char **v;
    size_t n;

    if (s == NULL) {
        return;
    }
    check_known(ld, s, keys);
    h->enabled = true;
    h->path = get_string(ld, s, "path", NULL);
    if (h->path == NULL || h->path[0] != '/' || strpbrk(h->path, " \t\r\n") != NULL) {
        if (h->path == NULL) {
            err_at(ld, s, "path", "required: the path to probe, such as \"/healthz\"");
        } else {
            err(ld, member(s, "path"), "expected a path starting with \"/\", without spaces");
        }
        h->path = "/";
    }
    h->interval = get_duration(ld, s, "interval", "5s");
    h->timeout = get_duration(ld, s, "timeout", "2s");
    if (h->interval < 100 || h->timeout < 10) {
        err(ld, s, "interval must be at least \"100ms\" and timeout at least \"10ms\"");
        h->interval = 5000;
        h->timeout = 2000;
    }
    h->fails = get_uint(ld, s, "fails", 3, 1, 1000);
    h->passes = get_uint(ld, s, "passes", 2, 1, 1000);
    ex = member(s, "expect");
    n = get_strings(ld, s, "expect", &v);
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
            err(ld, config_setting_get_elem(ex, (unsigned) i),
                "expected a status (\"200\") or a class (\"2xx\"), not \"%s\"", x);
        }
    }
    if (n == 0) {
        err(ld, ex, "expected at least one status or class");
    }
}

static void
load_sticky(loader_t *ld, const config_setting_t *g, bn_conf_sticky_t *st)
{
    static const char *const keys[] = { "cookie",   "path",     "max_age", "secure",
                                        "httponly", "samesite", NULL };
    static const char *const samesites[] = { "Lax", "Strict", "None", "", NULL };
    config_setting_t *s = want_group(ld, g, "sticky");

    if (s == NULL) {
        return;
    }
    check_known(ld, s, keys);
    st->enabled = true;
    st->cookie = get_string(ld, s, "cookie", NULL);
    if (st->cookie == NULL || st->cookie[0] == '\0'
        || strspn(st->cookie, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
               != strlen(st->cookie)) {
        if (st->cookie == NULL) {
            err_at(ld, s, "cookie", "required: the cookie's name");
        } else {
            err(ld, member(s, "cookie"),
                "a cookie name is a token: letters, digits and !#$%%&'*+-.^_`|~");
        }
        st->cookie = "bouncer_srv";
    }
    st->path = get_string(ld, s, "path", "/");
    if (st->path[0] != '/' || strpbrk(st->path, ";, \t\r\n") != NULL) {
        err(ld, member(s, "path"), "expected a path starting with \"/\", without ; , or spaces");
        st->path = "/";
    }
    st->max_age = get_duration(ld, s, "max_age", "0s");
    st->secure = get_bool(ld, s, "secure", false);
    st->httponly = get_bool(ld, s, "httponly", true);
    st->samesite = samesites[get_enum(ld, s, "samesite", samesites, 0)];
    if (strcmp(st->samesite, "None") == 0 && !st->secure) {
        err(ld, member(s, "samesite"), "browsers ignore SameSite=None without secure = true");
    }
}

static void
load_upstream_tls(loader_t *ld, const config_setting_t *g, bn_conf_upstream_t *u)
{
    static const char *const keys[] = { "verify", "ca", "sni", "cert", "key", NULL };
    config_setting_t *tg = want_group(ld, g, "tls");
    const char *str;
    char e[512];

    if (tg == NULL) {
        return;
    }
    check_known(ld, tg, keys);
    u->tls.verify = get_bool(ld, tg, "verify", true);
    u->tls.ca = abs_path(ld, get_string(ld, tg, "ca", "/etc/ssl/certs/ca-certificates.crt"));
    str = get_string(ld, tg, "sni", "");
    u->tls.sni = str[0] != '\0' ? str : NULL;
    str = get_string(ld, tg, "cert", "");
    u->tls.cert = str[0] != '\0' ? abs_path(ld, str) : NULL;
    str = get_string(ld, tg, "key", "");
    u->tls.key = str[0] != '\0' ? abs_path(ld, str) : NULL;
    if ((u->tls.cert == NULL) != (u->tls.key == NULL)) {
        err(ld, tg, "cert and key go together");
        return;
    }
    u->tls_ctx = bn_tls_client_ctx(&u->tls, e, sizeof(e));
    if (u->tls_ctx == NULL) {
        err(ld, tg, "%s", e);
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
expand_peers(loader_t *ld, bn_conf_upstream_t *u)
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

static void
load_upstream(loader_t *ld, config_setting_t *g, bn_conf_upstream_t *u)
{
    static const char *const keys[] = {
        "name",      "balance",           "hash_key",        "servers",      "host_header",
        "keepalive", "keepalive_timeout", "connect_timeout", "read_timeout", "send_timeout",
        "retries",   "retry_timeout",     "passive_fail_on", "queue",        "resolve_interval",
        "resolver",  "health_check",      "sticky",          "tls",          NULL,
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

    check_known(ld, g, keys);
    u->name = get_string(ld, g, "name", NULL);
    if (u->name == NULL) {
        err_at(ld, g, "name", "required: every upstream has a name");
        u->name = "";
    }
    u->balance = get_enum(ld, g, "balance", balances, BN_BALANCE_ROUND_ROBIN);
    str = get_string(ld, g, "hash_key", "");
    if (u->balance == BN_BALANCE_HASH && str[0] == '\0') {
        err_at(ld, g, member(g, "hash_key") ? NULL : "hash_key",
               "required with balance = \"hash\" (for example \"$request_uri\")");
    } else if (str[0] != '\0' && u->balance != BN_BALANCE_HASH) {
        err(ld, member(g, "hash_key"), "used only with balance = \"hash\"");
    } else if (str[0] != '\0'
               && bn_template_compile(ld->conf->pool, str, false, &u->hash_key, e, sizeof(e))
                      != BN_OK) {
        err(ld, member(g, "hash_key"), "%s", e);
    }
    u->queue_fd = -1;
    u->queue_timeout = 10000;
    if ((s = want_group(ld, g, "queue")) != NULL) {
        static const char *const queue_keys[] = { "size", "timeout", NULL };
        check_known(ld, s, queue_keys);
        u->queue_size = get_uint(ld, s, "size", 0, 0, 1000000);
        u->queue_timeout = get_duration(ld, s, "timeout", "10s");
    }
    load_health(ld, g, &u->health);
    load_sticky(ld, g, &u->sticky);
    load_upstream_tls(ld, g, u);
    str = get_string(ld, g, "resolver", "");
    if (str[0] != '\0'
        && (bn_addr_parse(str, false, &u->resolver, e, sizeof(e)) != BN_OK
            || (u->resolver.sa.ss_family != AF_INET && u->resolver.sa.ss_family != AF_INET6))) {
        err(ld, member(g, "resolver"), "expected \"IP:port\" of a DNS server");
        memset(&u->resolver, 0, sizeof(u->resolver));
    }
    u->resolve_interval = get_duration(ld, g, "resolve_interval", "30s");
    if (u->resolve_interval < 1000) {
        err(ld, member(g, "resolve_interval"), "expected at least \"1s\"");
        u->resolve_interval = 30000;
    }
    u->host_header = get_string(ld, g, "host_header", "");
    if (u->host_header[0] == '\0') {
        u->host_header = NULL;
    }
    u->keepalive = get_uint(ld, g, "keepalive", 32, 0, 100000);
    u->keepalive_timeout = get_duration(ld, g, "keepalive_timeout", "60s");
    u->connect_timeout = get_duration(ld, g, "connect_timeout", "5s");
    u->read_timeout = get_duration(ld, g, "read_timeout", "60s");
    u->send_timeout = get_duration(ld, g, "send_timeout", "60s");
    u->retries = get_uint(ld, g, "retries", 1, 0, 100);
    u->retry_timeout = get_duration(ld, g, "retry_timeout", "60s");
    {
        static const char *const fail_on[] = { "error",    "timeout",  "http_500", "http_502",
                                               "http_503", "http_504", NULL };
        const char **v;
        size_t nv = get_strings(ld, g, "passive_fail_on", &v);
        config_setting_t *pf = member(g, "passive_fail_on");
        u->fail_on = pf == NULL ? BN_FAIL_ERROR | BN_FAIL_TIMEOUT : 0;
        for (size_t i = 0; i < nv; i++) {
            size_t k;
            for (k = 0; fail_on[k] != NULL && strcmp(fail_on[k], v[i]) != 0; k++) {
            }
            if (fail_on[k] != NULL) {
                u->fail_on |= 1u << k; /* BN_FAIL_* follow the order of fail_on[] */
            } else {
                err(ld, config_setting_get_elem(pf, (unsigned) i),
                    "unknown value \"%s\" (expected one of: error, timeout, http_500, http_502, "
                    "http_503, http_504)",
                    v[i]);
            }
        }
    }

    servers = want_list(ld, g, "servers");
    if (servers == NULL || (n = config_setting_length(servers)) == 0) {
        err_at(ld, g, servers ? NULL : "servers", "an upstream needs at least one server");
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
            err(ld, s, "expected a group { address = \"host:port\"; ... }");
            continue;
        }
        check_known(ld, s, peer_keys);
        p->address = get_string(ld, s, "address", NULL);
        p->resolve = get_bool(ld, s, "resolve", false);
        if (p->address == NULL) {
            err_at(ld, s, "address", "required");
        } else {
            load_peer_address(ld, s, p);
        }
        p->weight = get_uint(ld, s, "weight", 1, 0, 1000);
        p->max_fails = get_uint(ld, s, "max_fails", 1, 0, 1000);
        p->fail_timeout = get_duration(ld, s, "fail_timeout", "10s");
        p->backup = get_bool(ld, s, "backup", false);
        p->down = get_bool(ld, s, "down", false);
        p->max_conns = get_uint(ld, s, "max_conns", 0, 0, INT_MAX);
        p->slow_start = get_duration(ld, s, "slow_start", "0s");
        u->has_resolve = u->has_resolve || p->resolve;
        if (p->resolve && p->address != NULL && strncmp(p->address, "unix:", 5) == 0) {
            err(ld, member(s, "resolve"), "a unix socket has no name to resolve");
            p->resolve = false;
        }
        if (p->backup && (u->balance == BN_BALANCE_HASH || u->balance == BN_BALANCE_IP_HASH)) {
            /* As nginx: a key must map to the same server whatever is down. */
            err(ld, member(s, "backup"), "backup servers cannot be used with balance = \"%s\"",
                balances[u->balance]);
        }
    }
    expand_peers(ld, u);
}

static bn_conf_upstream_t *
find_upstream(bn_conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nupstreams; i++) {
        if (strcmp(c->upstreams[i].name, name) == 0) {
            return &c->upstreams[i];
        }
    }
    return NULL;
}

/* "Name: value" lines of request_headers/response_headers. */
static void
load_headers(loader_t *ld, const config_setting_t *g, const char *name, bn_conf_headers_t *h)
{
    static const char *const keys[] = { "set", "add", "remove", NULL };
    config_setting_t *hg = want_group(ld, g, name);
    const char **v;
    size_t n;
    char e[512];

    memset(h, 0, sizeof(*h));
    if (hg == NULL) {
        return;
    }
    check_known(ld, hg, keys);
    for (int verb = 0; verb < 2; verb++) {
        const char *vname = verb == 0 ? "set" : "add";
        config_setting_t *vs = member(hg, vname);
        bn_conf_header_t *out;
        n = get_strings(ld, hg, vname, &v);
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
                err(ld, es, "\"%s\": expected \"Name: value\"", v[i]);
                continue;
            }
            nl = (size_t) (colon - v[i]);
            for (size_t k = 0; k < nl; k++) {
                if (!strchr("!#$%&'*+-.^_`|~", v[i][k]) && !isalnum((unsigned char) v[i][k])) {
                    err(ld, es, "\"%s\": the header name has a character not allowed in a token",
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
                    err(ld, es, "\"%s\": control characters are not allowed in a value", v[i]);
                    break;
                }
            }
            out[i].name = bn_pstrndup(ld->conf->pool, v[i], nl);
            out[i].name_len = nl;
            out[i].value = val;
            if (bn_template_compile(ld->conf->pool, val, false, &out[i].tpl, e, sizeof(e))
                != BN_OK) {
                err(ld, es, "%s", e);
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
    h->nremove = get_strings(ld, hg, "remove", &h->remove);
}

static void
load_cache_zones(loader_t *ld, const config_setting_t *root)
{
    static const char *const keys[] = { "name",     "path",           "memory",     "max_size",
                                        "inactive", "hot_max_object", "hot_memory", NULL };
    config_setting_t *zs = want_list(ld, root, "cache_zones");
    bn_conf_t *c = ld->conf;
    int n = zs ? config_setting_length(zs) : 0;

    c->cache_zones = bn_pcalloc(c->pool, sizeof(bn_conf_cache_zone_t) * (size_t) (n + 1));
    for (int i = 0; c->cache_zones != NULL && i < n; i++) {
        config_setting_t *g = config_setting_get_elem(zs, (unsigned) i);
        bn_conf_cache_zone_t *z = &c->cache_zones[c->ncache_zones];
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            err(ld, g, "expected a group { name = ...; path = ...; }");
            continue;
        }
        check_known(ld, g, keys);
        z->name = get_string(ld, g, "name", NULL);
        z->path = get_string(ld, g, "path", NULL);
        if (z->name == NULL || z->path == NULL) {
            err_at(ld, g, z->name ? "path" : "name", "required");
            continue;
        }
        z->path = abs_path(ld, z->path);
        if (strlen(z->path) >= PATH_MAX - 96) {
            err(ld, member(g, "path"), "too long");
        }
        z->memory = get_size(ld, g, "memory", "10m");
        z->max_size = get_size(ld, g, "max_size", "0");
        z->inactive = get_duration(ld, g, "inactive", "10m");
        if (z->memory < 256 * 1024) {
            err(ld, member(g, "memory"), "expected at least \"256k\"");
            z->memory = 10 * 1024 * 1024;
        }
        z->hot_max_object = get_size(ld, g, "hot_max_object", "16k");
        z->hot_memory =
            member(g, "hot_memory") ? get_size(ld, g, "hot_memory", NULL) : z->memory / 2;
        if (z->hot_max_object > 1024 * 1024) {
            err(ld, member(g, "hot_max_object"), "expected at most \"1m\"");
        }
        if (z->hot_memory > z->memory * 3 / 4) {
            err(ld, member(g, "hot_memory"),
                "expected at most three quarters of memory (the index needs the rest)");
        }
        for (size_t k = 0; k < c->ncache_zones; k++) {
            if (strcmp(c->cache_zones[k].name, z->name) == 0) {
                err(ld, member(g, "name"), "another cache zone is named \"%s\"", z->name);
            }
            if (strcmp(c->cache_zones[k].path, z->path) == 0) {
                err(ld, member(g, "path"), "cache zone \"%s\" uses this path already",
                    c->cache_zones[k].name);
            }
        }
        c->ncache_zones++;
    }
}

static void
load_route_cache(loader_t *ld, const config_setting_t *g, bn_conf_route_t *r)
{
    static const char *const keys[] = { "zone",          "key",          "valid",
                                        "lock",          "lock_timeout", "use_stale",
                                        "status_header", "purge_allow",  NULL };
    config_setting_t *cg = want_group(ld, g, "cache"), *vs;
    bn_conf_cache_t *cc = &r->cache;
    const char *name, *key;
    char e[512];
    int nv;

    if (cg == NULL) {
        return;
    }
    check_known(ld, cg, keys);
    cc->lock = get_bool(ld, cg, "lock", false);
    cc->lock_timeout = get_duration(ld, cg, "lock_timeout", "5s");
    {
        static const char *const stale[] = { "error", "timeout", "http_5xx", "updating", NULL };
        config_setting_t *us = member(cg, "use_stale");
        const char **v;
        size_t nus = get_strings(ld, cg, "use_stale", &v);
        for (size_t i = 0; i < nus; i++) {
            size_t k;
            for (k = 0; stale[k] != NULL && strcmp(stale[k], v[i]) != 0; k++) {
            }
            if (stale[k] == NULL) {
                err(ld, config_setting_get_elem(us, (unsigned) i),
                    "unknown value \"%s\" (expected any of: error, timeout, http_5xx, updating)",
                    v[i]);
                continue;
            }
            cc->use_stale |= 1u << k; /* BN_STALE_* follow the order of stale[] */
        }
    }
    cc->npurge_allow = get_cidrs(ld, cg, "purge_allow", &cc->purge_allow);
    name = get_string(ld, cg, "zone", NULL);
    if (name == NULL) {
        err_at(ld, cg, "zone", "required: the cache zone to use");
        return;
    }
    for (size_t i = 0; i < ld->conf->ncache_zones; i++) {
        if (strcmp(ld->conf->cache_zones[i].name, name) == 0) {
            cc->zone = &ld->conf->cache_zones[i];
        }
    }
    if (cc->zone == NULL) {
        err(ld, member(cg, "zone"), "no cache zone is named \"%s\"", name);
    }
    key = get_string(ld, cg, "key", "$scheme$host$request_uri");
    if (bn_template_compile(ld->conf->pool, key, true, &cc->key, e, sizeof(e)) != BN_OK) {
        err(ld, member(cg, "key"), "%s", e);
    }
    cc->status_header = get_bool(ld, cg, "status_header", true);
    vs = want_list(ld, cg, "valid");
    nv = vs ? config_setting_length(vs) : 0;
    cc->valid = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_cache_valid_t) * (size_t) (nv + 1));
    for (int i = 0; cc->valid != NULL && i < nv; i++) {
        static const char *const vkeys[] = { "status", "ttl", NULL };
        config_setting_t *v = config_setting_get_elem(vs, (unsigned) i), *sl;
        bn_conf_cache_valid_t *cv = &cc->valid[cc->nvalid];
        const char **st;
        size_t ns;
        if (config_setting_type(v) != CONFIG_TYPE_GROUP) {
            err(ld, v, "expected a group { status = [ \"200\" ]; ttl = \"10m\"; }");
            continue;
        }
        check_known(ld, v, vkeys);
        sl = member(v, "status");
        ns = get_strings(ld, v, "status", &st);
        if (ns == 0 || member(v, "ttl") == NULL) {
            err_at(ld, v, ns == 0 ? "status" : "ttl", "required");
            continue;
        }
        cv->ttl = get_duration(ld, v, "ttl", "0s");
        cv->statuses = bn_palloc(ld->conf->pool, sizeof(unsigned) * ns);
        for (size_t k = 0; cv->statuses != NULL && k < ns; k++) {
            char *end;
            long code = strtol(st[k], &end, 10);
            if (*end != '\0' || code < 200 || code > 599) {
                err(ld, config_setting_get_elem(sl, (unsigned) k),
                    "expected a final status from \"200\" to \"599\", not \"%s\"", st[k]);
                continue;
            }
            cv->statuses[cv->nstatuses++] = (unsigned) code;
        }
        cc->nvalid++;
    }
}

static void
load_route(loader_t *ld, config_setting_t *g, bn_conf_route_t *r)
{
    static const char *const keys[] = {
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
        "allow",
        "deny",
        "auth",
        "waf",
        "websocket",
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

    check_known(ld, g, keys);
    load_route_cache(ld, g, r);
    not_yet(ld, g, "rate_limit");
    not_yet(ld, g, "auth");
    not_yet(ld, g, "waf");

    m = want_group(ld, g, "match");
    if (m == NULL) {
        err_at(ld, g, "match", "required: one of exact, prefix or regex");
    } else {
        check_known(ld, m, match_keys);
        for (int k = 0; k < 3; k++) {
            const char *v = get_string(ld, m, kinds[k], NULL);
            if (v == NULL) {
                continue;
            }
            nkinds++;
            r->match_kind = k;
            r->match = v;
            r->match_len = strlen(v);
            s = member(m, kinds[k]);
            if (k == BN_MATCH_REGEX) {
                r->regex = compile_regex(ld, s, v);
            } else if (v[0] != '/') {
                err(ld, s, "\"%s\": a path starts with \"/\"", v);
            }
        }
        if (nkinds != 1) {
            err(ld, m, "expected exactly one of exact, prefix or regex");
        }
        r->nmethods = get_strings(ld, m, "methods", &r->methods);
    }

    r->status = 0;
    up = get_string(ld, g, "upstream", NULL);
    if (up != NULL) {
        nactions++;
        r->action = BN_ROUTE_UPSTREAM;
        r->upstream = find_upstream(ld->conf, up);
        if (r->upstream == NULL) {
            err(ld, member(g, "upstream"), "no upstream is named \"%s\"", up);
        }
    }
    if ((s = want_group(ld, g, "redirect")) != NULL) {
        nactions++;
        check_known(ld, s, redirect_keys);
        r->action = BN_ROUTE_REDIRECT;
        r->redirect_to = get_string(ld, s, "to", NULL);
        if (r->redirect_to == NULL) {
            err_at(ld, s, "to", "required");
        } else if (bn_template_compile(ld->conf->pool, r->redirect_to,
                                       r->match_kind == BN_MATCH_REGEX, &r->redirect_tpl, e,
                                       sizeof(e))
                   != BN_OK) {
            err(ld, member(s, "to"), "%s", e);
        }
        r->status = get_uint(ld, s, "status", 301, 301, 308);
        if (r->status != 301 && r->status != 302 && r->status != 303 && r->status != 307
            && r->status != 308) {
            err(ld, member(s, "status"), "expected one of 301, 302, 303, 307, 308");
        }
    }
    if ((s = want_group(ld, g, "respond")) != NULL) {
        nactions++;
        check_known(ld, s, respond_keys);
        r->action = BN_ROUTE_RESPOND;
        r->status = get_uint(ld, s, "status", 200, 200, 599);
        r->body = get_string(ld, s, "body", "");
        r->content_type = get_string(ld, s, "content_type", "text/plain");
    }
    if (nactions != 1) {
        err(ld, g, "expected exactly one of upstream, redirect or respond");
    }

    if ((s = want_group(ld, g, "rewrite")) != NULL) {
        const char *re;
        check_known(ld, s, rewrite_keys);
        re = get_string(ld, s, "regex", NULL);
        r->rewrite_replace = get_string(ld, s, "replace", NULL);
        if (re == NULL || r->rewrite_replace == NULL) {
            err(ld, s, "expected both regex and replace");
        } else {
            r->rewrite = compile_regex(ld, member(s, "regex"), re);
        }
    }
    load_headers(ld, g, "request_headers", &r->request_headers);
    load_headers(ld, g, "response_headers", &r->response_headers);

    r->max_body_size =
        member(g, "max_body_size") ? (int64_t) get_size(ld, g, "max_body_size", "0") : -1;
    if ((s = want_group(ld, g, "timeouts")) != NULL) {
        check_known(ld, s, timeout_keys);
        r->read_timeout = get_duration(ld, s, "read", "0s");
        r->send_timeout = get_duration(ld, s, "send", "0s");
        r->connect_timeout = get_duration(ld, s, "connect", "0s");
    }
    r->nallow = get_cidrs(ld, g, "allow", &r->allow);
    r->ndeny = get_cidrs(ld, g, "deny", &r->deny);

    r->websocket = true;
    r->websocket_idle_timeout = 3600 * 1000;
    r->websocket_drain_timeout = 3600 * 1000;
    if ((s = want_group(ld, g, "websocket")) != NULL) {
        check_known(ld, s, ws_keys);
        r->websocket = get_bool(ld, s, "enabled", true);
        r->websocket_idle_timeout = get_duration(ld, s, "idle_timeout", "1h");
        r->websocket_drain_timeout = get_duration(ld, s, "drain_timeout", "1h");
        /* The master waits this long for an old worker before it kills it:
         * a week is already more than any reload should keep a tunnel. */
        if (r->websocket_drain_timeout > BN_WS_DRAIN_MAX) {
            err(ld, member(s, "drain_timeout"), "expected at most \"7d\"");
            r->websocket_drain_timeout = BN_WS_DRAIN_MAX;
        }
    }
}

/* The tls group of a server block; the context is made here, so a bad
 * certificate fails `check` and `reload`. */
static void
load_server_tls(loader_t *ld, config_setting_t *g, bn_conf_server_t *srv, bool has_tls_listen)
{
    static const char *const keys[] = {
        "certificates",    "protocols",           "ciphers", "redirect_http", "hsts", "client_ca",
        "session_tickets", "ticket_key_rotation", NULL
    };
    static const char *const cert_keys[] = { "cert", "key", "ocsp_file", NULL };
    bn_conf_server_tls_t *t = &srv->tls;
    config_setting_t *tg = want_group(ld, g, "tls"), *certs, *pr;
    const char **protos, *str;
    char e[512], ctxname[32];
    size_t np, nerrs = ld->errs->n;
    int nc;

    if (tg == NULL) {
        if (has_tls_listen) {
            err_at(ld, g, "tls", "required with tls_listen: the certificates to serve");
        }
        return;
    }
    check_known(ld, tg, keys);
    if (!has_tls_listen) {
        err(ld, tg, "this server has no tls_listen address to use it on");
        return;
    }
    t->enabled = true;
    t->conf.min_version = TLS1_2_VERSION;
    t->conf.max_version = TLS1_3_VERSION;
    pr = member(tg, "protocols");
    np = get_strings(ld, tg, "protocols", &protos);
    if (pr != NULL) {
        t->conf.min_version = TLS1_3_VERSION + 1;
        t->conf.max_version = 0;
        for (size_t i = 0; i < np; i++) {
            int v = strcmp(protos[i], "TLSv1.2") == 0   ? TLS1_2_VERSION
                    : strcmp(protos[i], "TLSv1.3") == 0 ? TLS1_3_VERSION
                                                        : 0;
            if (v == 0) {
                err(ld, config_setting_get_elem(pr, (unsigned) i),
                    "\"%s\": expected \"TLSv1.2\" or \"TLSv1.3\" (older versions are not offered)",
                    protos[i]);
                continue;
            }
            t->conf.min_version = BN_MIN(t->conf.min_version, v);
            t->conf.max_version = BN_MAX(t->conf.max_version, v);
        }
        if (t->conf.max_version == 0) {
            err(ld, pr, "expected at least one of \"TLSv1.2\", \"TLSv1.3\"");
            return;
        }
    }
    str = get_string(ld, tg, "ciphers", "");
    t->conf.ciphers = str[0] != '\0' ? str : BN_TLS_INTERMEDIATE_CIPHERS;
    t->redirect_http = get_bool(ld, tg, "redirect_http", false);
    str = get_string(ld, tg, "hsts", "");
    t->hsts = str[0] != '\0' ? str : NULL;
    if (t->hsts != NULL && strpbrk(t->hsts, "\r\n") != NULL) {
        err(ld, member(tg, "hsts"), "a header value cannot hold a line break");
        t->hsts = NULL;
    }
    str = get_string(ld, tg, "client_ca", "");
    t->conf.client_ca = str[0] != '\0' ? abs_path(ld, str) : NULL;
    t->conf.session_tickets = get_bool(ld, tg, "session_tickets", true);
    t->ticket_key_rotation = get_duration(ld, tg, "ticket_key_rotation", "12h");
    if (t->ticket_key_rotation < 1000) {
        err(ld, member(tg, "ticket_key_rotation"), "expected at least \"1s\"");
        t->ticket_key_rotation = 12 * 3600 * 1000;
    }
    snprintf(ctxname, sizeof(ctxname), "bouncer-server-%u", srv->index);
    t->conf.session_context = bn_pstrdup(ld->conf->pool, ctxname);

    certs = want_list(ld, tg, "certificates");
    nc = certs ? config_setting_length(certs) : 0;
    if (nc == 0) {
        err_at(ld, tg, certs ? NULL : "certificates",
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
            err(ld, cs, "expected a group { cert = \"...\"; key = \"...\"; }");
            continue;
        }
        check_known(ld, cs, cert_keys);
        c->cert = get_string(ld, cs, "cert", NULL);
        c->key = get_string(ld, cs, "key", NULL);
        str = get_string(ld, cs, "ocsp_file", "");
        if (c->cert == NULL || c->key == NULL) {
            err_at(ld, cs, c->cert ? "key" : "cert", "required");
            continue;
        }
        c->cert = abs_path(ld, c->cert);
        c->key = abs_path(ld, c->key);
        c->ocsp_file = str[0] != '\0' ? abs_path(ld, str) : NULL;
        t->conf.ncerts++;
    }
    if (ld->errs->n > nerrs) {
        return; /* the file errors below would only repeat what is wrong */
    }
    t->ctx = bn_tls_server_ctx(&t->conf, e, sizeof(e));
    if (t->ctx == NULL) {
        err(ld, tg, "%s", e);
    }
}

static bn_conf_listen_t *
add_listen(loader_t *ld, config_setting_t *s, const char *text, bn_conf_server_t *srv, bool tls)
{
    bn_conf_t *c = ld->conf;
    bn_addr_t a;
    char e[256];

    if (bn_addr_parse(text, true, &a, e, sizeof(e)) != BN_OK) {
        err(ld, s, "%s", e);
        return NULL;
    }
    for (size_t i = 0; i < srv->nlistens; i++) {
        if (bn_sockaddr_equal(&srv->listens[i]->addr, &a)) {
            err(ld, s, "\"%s\" is listed twice in this server block", text);
            return NULL;
        }
    }
    for (size_t i = 0; i < c->nlistens; i++) {
        if (bn_sockaddr_equal(&c->listens[i].addr, &a)) {
            if (c->listens[i].tls != tls) {
                err(ld, s, "\"%s\" is a %s listener in another server block", text,
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

static void
load_server(loader_t *ld, config_setting_t *g, bn_conf_server_t *srv, size_t max_listens)
{
    static const char *const keys[] = { "listen",  "tls_listen", "names",  "forwarded",
                                        "real_ip", "tls",        "routes", NULL };
    static const char *const real_ip_keys[] = { "from", "header", NULL };
    static const char *const forwarded[] = { "x-forwarded", "rfc7239", "both", "none", NULL };
    static const unsigned forwarded_bits[] = { BN_FORWARDED_X, BN_FORWARDED_RFC7239,
                                               BN_FORWARDED_X | BN_FORWARDED_RFC7239, 0 };
    config_setting_t *ls, *routes, *ri;
    const char **addrs, **tls_addrs;
    size_t n, ntls;
    int nr;

    check_known(ld, g, keys);

    n = get_strings(ld, g, "listen", &addrs);
    ntls = get_strings(ld, g, "tls_listen", &tls_addrs);
    ls = member(g, "listen");
    if (n + ntls == 0) {
        err_at(ld, g, ls ? NULL : "listen",
               "a server needs at least one listen or tls_listen address");
    }
    srv->listens = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_listen_t *) * (n + ntls + 1));
    if (srv->listens == NULL) {
        return;
    }
    for (size_t i = 0; i < n + ntls && ld->conf->nlistens < max_listens; i++) {
        bool tls = i >= n;
        config_setting_t *at = config_setting_get_elem(member(g, tls ? "tls_listen" : "listen"),
                                                       (unsigned) (tls ? i - n : i));
        bn_conf_listen_t *l = add_listen(ld, at, tls ? tls_addrs[i - n] : addrs[i], srv, tls);
        if (l != NULL) {
            srv->listens[srv->nlistens++] = l;
            if (tls && srv->tls.https_port == 0) {
                srv->tls.https_port = bn_addr_port(&l->addr);
            }
        }
    }
    load_server_tls(ld, g, srv, ntls > 0);
    srv->nnames = get_strings(ld, g, "names", &srv->names);
    for (size_t i = 0; i < srv->nnames; i++) {
        const char *nm = srv->names[i];
        if (nm[0] == '\0' || strchr(nm + (nm[0] == '*'), '*') != NULL
            || (nm[0] == '*' && nm[1] != '.')) {
            err(ld, config_setting_get_elem(member(g, "names"), (unsigned) i),
                "\"%s\": expected a host name or a leading wildcard \"*.example.com\"", nm);
        }
    }
    srv->forwarded = forwarded_bits[get_enum(ld, g, "forwarded", forwarded, 0)];
    srv->real_ip_header = "X-Forwarded-For";
    if ((ri = want_group(ld, g, "real_ip")) != NULL) {
        check_known(ld, ri, real_ip_keys);
        srv->nreal_ip_from = get_cidrs(ld, ri, "from", &srv->real_ip_from);
        srv->real_ip_header = get_string(ld, ri, "header", "X-Forwarded-For");
    }

    routes = want_list(ld, g, "routes");
    nr = routes ? config_setting_length(routes) : 0;
    if (nr == 0) {
        err_at(ld, g, routes ? NULL : "routes", "a server needs at least one route");
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
            err(ld, rs, "expected a group { match = ...; ... }");
            continue;
        }
        load_route(ld, rs, &srv->routes[i]);
    }
}

/* "default: beside the pid file": bouncer.pid gives bouncer.sock. */
static const char *
default_control_socket(bn_pool_t *pool, const char *pid_file)
{
    const char *dot = strrchr(pid_file, '.');

    if (dot != NULL && strcmp(dot, ".pid") == 0) {
        return bn_psprintf(pool, "%.*s.sock", (int) (dot - pid_file), pid_file);
    }
    return bn_psprintf(pool, "%s.sock", pid_file);
}

static void
load_processes(loader_t *ld, const config_setting_t *root)
{
    bn_conf_t *c = ld->conf;
    config_setting_t *w = member(root, "workers");
    long ncpu;

    c->daemon = get_bool(ld, root, "daemon", true);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = ncpu > 0 ? (unsigned) ncpu : 1;
    if (w != NULL) {
        if (config_setting_type(w) == CONFIG_TYPE_STRING
            && strcmp(config_setting_get_string(w), "auto") == 0) {
            /* one per CPU, as above */
        } else if (is_int(w) && config_setting_get_int64(w) >= 1
                   && config_setting_get_int64(w) <= 1024) {
            c->workers = (unsigned) config_setting_get_int64(w);
        } else {
            err(ld, w, "expected \"auto\" or a number from 1 to 1024");
        }
    }
    c->user = get_string(ld, root, "user", "nobody");
    c->group = get_string(ld, root, "group", "nogroup");
    /* Only root changes user; checking the names elsewhere would fail for nothing. */
    if (geteuid() == 0) {
        if (getpwnam(c->user) == NULL) {
            err(ld, member(root, "user") ?: root, "no user \"%s\" on this system", c->user);
        }
        if (getgrnam(c->group) == NULL) {
            err(ld, member(root, "group") ?: root, "no group \"%s\" on this system", c->group);
        }
    }
    c->pid_file = abs_path(ld, get_string(ld, root, "pid_file", BN_PID_PATH));
    c->control_socket = default_control_socket(c->pool, c->pid_file);
    c->control_socket = abs_path(ld, get_string(ld, root, "control_socket", c->control_socket));
    if (strlen(c->control_socket) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
        err(ld, member(root, "control_socket") ?: root,
            "\"%s\": a unix socket path must be shorter than 108 bytes", c->control_socket);
    }
    c->worker_connections = get_uint(ld, root, "worker_connections", 10000, 16, 10000000);
    c->backlog = (int) get_uint(ld, root, "backlog", 511, 1, 65535);
    c->smart_accept = get_bool(ld, root, "smart_accept", true);
    c->defer_accept = get_bool(ld, root, "defer_accept", true);
    c->tcp_notsent_lowat = get_size(ld, root, "tcp_notsent_lowat", "64k");
    if (c->tcp_notsent_lowat > 1024 * 1024 * 1024) {
        err(ld, member(root, "tcp_notsent_lowat"), "expected at most \"1g\"");
    }
    c->shutdown_timeout = get_duration(ld, root, "shutdown_timeout", "30s");
    c->busy_poll = get_usec(ld, root, "busy_poll", "20us", 10000);
    c->max_draining_generations = get_uint(ld, root, "max_draining_generations", 4, 1, 64);
    c->debug_dumpable = get_bool(ld, root, "debug_dumpable", false);
}

static void
load_root(loader_t *ld, config_setting_t *root)
{
    static const char *const keys[] = {
        "daemon",
        "workers",
        "user",
        "group",
        "pid_file",
        "control_socket",
        "worker_connections",
        "backlog",
        "smart_accept",
        "defer_accept",
        "tcp_notsent_lowat",
        "shutdown_timeout",
        "busy_poll",
        "max_draining_generations",
        "debug_dumpable",
        "log",
        "limits",
        "status",
        "cache_zones",
        "rate_limits",
        "upstreams",
        "servers",
        NULL,
    };
    bn_conf_t *c = ld->conf;
    config_setting_t *ups, *srvs;
    int n;
    size_t max_listens = 0;

    check_known(ld, root, keys);
    not_yet(ld, root, "status");
    load_cache_zones(ld, root);
    not_yet(ld, root, "rate_limits");
    load_processes(ld, root);
    load_log(ld, root);
    load_limits(ld, root);

    ups = want_list(ld, root, "upstreams");
    n = ups ? config_setting_length(ups) : 0;
    c->upstreams = bn_pcalloc(c->pool, sizeof(bn_conf_upstream_t) * (size_t) (n + 1));
    for (int i = 0; c->upstreams != NULL && i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ups, (unsigned) i);
        bn_conf_upstream_t *u = &c->upstreams[c->nupstreams];
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            err(ld, g, "expected a group { name = ...; servers = (...); }");
            continue;
        }
        load_upstream(ld, g, u);
        if (find_upstream(c, u->name) != NULL) {
            err(ld, member(g, "name") ?: g, "another upstream is already named \"%s\"", u->name);
        }
        u->index = (unsigned) c->nupstreams++;
    }

    srvs = want_list(ld, root, "servers");
    n = srvs ? config_setting_length(srvs) : 0;
    if (n == 0) {
        if (member(root, "servers") == NULL) {
            err_at(ld, root, "servers", "at least one server block is needed");
        } else if (srvs != NULL) {
            err(ld, srvs, "at least one server block is needed");
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *l = member(config_setting_get_elem(srvs, (unsigned) i), "listen");
        config_setting_t *tl = member(config_setting_get_elem(srvs, (unsigned) i), "tls_listen");
        max_listens += l ? (size_t) config_setting_length(l) : 0;
        max_listens += tl ? (size_t) config_setting_length(tl) : 0;
    }
    c->listens = bn_pcalloc(c->pool, sizeof(bn_conf_listen_t) * (max_listens + 1));
    c->servers = bn_pcalloc(c->pool, sizeof(bn_conf_server_t) * (size_t) n);
    if (c->listens == NULL || c->servers == NULL) {
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(srvs, (unsigned) i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            err(ld, g, "expected a group { listen = [...]; routes = (...); }");
            continue;
        }
        c->servers[c->nservers].index = (unsigned) c->nservers;
        load_server(ld, g, &c->servers[c->nservers], max_listens);
        c->nservers++;
    }
}

/*
 * A parse error as "FILE:LINE: message", FILE absolute.  libconfig's
 * "cannot open include file" names no file: the @include on that line
 * does, and opening it says why it could not be opened.
 */
static void
parse_error(loader_t *ld, config_t *cfg, char *line, size_t len)
{
    const char *file = config_error_file(cfg) ? config_error_file(cfg) : ld->conf->file;
    const char *text = config_error_text(cfg);
    char buf[1024], name[PATH_MAX];
    FILE *f;
    int n = 0;

    file = abs_path(ld, file);
    snprintf(line, len, "%s:%d: %s", file, config_error_line(cfg), text);
    if (strcmp(text, "cannot open include file") != 0 || (f = fopen(file, "r")) == NULL) {
        return;
    }
    while (fgets(buf, sizeof(buf), f) != NULL && ++n < config_error_line(cfg)) {
    }
    fclose(f);
    if (n == config_error_line(cfg) && sscanf(buf, " @include \"%4095[^\"]\"", name) == 1) {
        const char *inc = abs_path(ld, name);
        FILE *g = fopen(inc, "r");
        snprintf(line, len, "%s:%d: cannot open include file \"%s\": %s", file,
                 config_error_line(cfg), inc, g == NULL ? strerror(errno) : "it could not be read");
        if (g != NULL) {
            fclose(g);
        }
    }
}

bn_conf_t *
bn_conf_load(const char *path, bn_conf_errors_t *errs)
{
    config_t cfg;
    bn_conf_t *c;
    bn_pool_t *pool;
    loader_t ld;
    char line[1400], resolved[PATH_MAX], *dir;

    pool = bn_pool_create(16384);
    if (pool == NULL) {
        bn_conf_errors_add(errs, "out of memory");
        return NULL;
    }
    c = bn_pcalloc(pool, sizeof(*c));
    if (c == NULL) {
        bn_pool_destroy(pool);
        bn_conf_errors_add(errs, "out of memory");
        return NULL;
    }
    c->pool = pool;
    if (realpath(path, resolved) == NULL) {
        snprintf(line, sizeof(line), "%s: cannot open: %s", path, strerror(errno));
        bn_conf_errors_add(errs, "%s", line);
        bn_pool_destroy(pool);
        return NULL;
    }
    c->file = bn_pstrdup(pool, resolved);

    config_init(&cfg);
    dir = bn_pstrdup(pool, resolved);
    config_set_include_dir(&cfg, dirname(dir));
    if (config_read_file(&cfg, c->file) != CONFIG_TRUE) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO && config_error_file(&cfg) == NULL) {
            snprintf(line, sizeof(line), "%s: cannot read: %s", c->file, strerror(errno));
        } else {
            ld.conf = c;
            parse_error(&ld, &cfg, line, sizeof(line));
        }
        bn_conf_errors_add(errs, "%s", line);
        config_destroy(&cfg);
        bn_pool_destroy(pool);
        return NULL;
    }

    ld.conf = c;
    ld.errs = errs;
    ld.nerrs_at_start = errs->n;
    load_root(&ld, config_root_setting(&cfg));
    config_destroy(&cfg);
    if (errs->n != ld.nerrs_at_start) {
        bn_conf_free(c); /* the TLS contexts made before the error too */
        return NULL;
    }
    return c;
}

void
bn_conf_free(bn_conf_t *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->nupstreams; i++) {
        if (c->upstreams[i].queue_fd != -1) {
            close(c->upstreams[i].queue_fd);
        }
        SSL_CTX_free(c->upstreams[i].tls_ctx);
    }
    for (size_t i = 0; i < c->nservers; i++) {
        bn_conf_server_tls_t *t = &c->servers[i].tls;
        SSL_CTX_free(t->ctx);
        for (size_t k = 0; k < t->conf.ncerts; k++) {
            OPENSSL_free(t->conf.certs[k].ocsp);
        }
    }
    bn_pool_destroy(c->pool);
}

/*
 * Finds the control socket of the master that runs path, even when path no
 * longer loads: `bouncer reload` must reach the master to hear why a new
 * config is rejected.  A file that does not even parse is scanned for the
 * two settings as text.
 */
char *
bn_conf_control_socket(const char *path)
{
    bn_conf_t c;
    loader_t ld;
    bn_conf_errors_t errs = { 0 };
    config_t cfg;
    const char *pid = NULL, *sock = NULL, *v;
    char resolved[PATH_MAX], *dir, *r = NULL;
    char pidbuf[PATH_MAX], sockbuf[PATH_MAX], line[PATH_MAX + 64];
    FILE *f;

    memset(&c, 0, sizeof(c));
    if (realpath(path, resolved) == NULL) {
        snprintf(resolved, sizeof(resolved), "%s", path);
    }
    c.pool = bn_pool_create(4096);
    if (c.pool == NULL) {
        return NULL;
    }
    c.file = resolved;
    ld.conf = &c;
    ld.errs = &errs;
    config_init(&cfg);
    dir = bn_pstrdup(c.pool, resolved);
    config_set_include_dir(&cfg, dirname(dir));
    if (config_read_file(&cfg, resolved) == CONFIG_TRUE) {
        if (config_lookup_string(&cfg, "pid_file", &v) == CONFIG_TRUE) {
            pid = bn_pstrdup(c.pool, v);
        }
        if (config_lookup_string(&cfg, "control_socket", &v) == CONFIG_TRUE) {
            sock = bn_pstrdup(c.pool, v);
        }
    } else if ((f = fopen(resolved, "r")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            if (sscanf(line, " pid_file = \"%4095[^\"]\"", pidbuf) == 1) {
                pid = pidbuf;
            } else if (sscanf(line, " control_socket = \"%4095[^\"]\"", sockbuf) == 1) {
                sock = sockbuf;
            }
        }
        fclose(f);
    }
    config_destroy(&cfg);
    pid = abs_path(&ld, pid ? pid : BN_PID_PATH);
    sock = sock ? abs_path(&ld, sock) : default_control_socket(c.pool, pid);
    if (sock != NULL) {
        r = strdup(sock);
    }
    bn_pool_destroy(c.pool);
    bn_conf_errors_free(&errs);
    return r;
}

uint64_t
bn_conf_drain_time(const bn_conf_t *conf)
{
    uint64_t t = conf->shutdown_timeout;

    for (size_t i = 0; i < conf->nservers; i++) {
        for (size_t k = 0; k < conf->servers[i].nroutes; k++) {
            const bn_conf_route_t *rt = &conf->servers[i].routes[k];
            if (rt->action == BN_ROUTE_UPSTREAM && rt->websocket
                && rt->websocket_drain_timeout + BN_WS_CLOSE_MSEC > t) {
                t = rt->websocket_drain_timeout + BN_WS_CLOSE_MSEC;
            }
        }
    }
    return t;
}
