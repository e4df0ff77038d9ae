/*
 * conf_schema.c: the loader's vocabulary.  Every setting is read through one
 * of the typed getters below, which report errors in one form:
 * "FILE:LINE: path.to.setting: what was expected".  A semantic error does not
 * stop loading, so `bouncer check` reports all of them.
 */
#include "conf_load.h"
#include "str.h"

#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <unistd.h>

/*
 * `bouncer dump` (bn_conf_dump()) loads with ld->dump set: then each typed
 * getter that takes its default writes that default into the group it read,
 * and bn_conf_section() adds the sections that are absent, so that the tree
 * written out at the end holds every setting read, with the value in force.
 * What the getters add is marked with this hook and stays invisible to
 * bn_conf_member(): the loader sees the file as written, and a test of
 * whether a setting is present (a route inheriting its block's) still says
 * what it said.  Since every setting is read through a getter, a new one
 * shows in the dump with no more code.
 */
static char added_default;

/* libconfig's lookup, but a missing group simply has no members. */
config_setting_t *
bn_conf_member(const config_setting_t *g, const char *name)
{
    config_setting_t *s = g != NULL ? config_setting_get_member(g, name) : NULL;

    return s != NULL && config_setting_get_hook(s) == &added_default ? NULL : s;
}

/* A new member of g for the dump, marked as a default; NULL when not dumping. */
static config_setting_t *
add_default(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, int type)
{
    config_setting_t *s;

    if (!ld->dump || g == NULL || config_setting_type(g) != CONFIG_TYPE_GROUP
        || config_setting_get_member(g, name) != NULL) {
        return NULL;
    }
    s = config_setting_add((config_setting_t *) g, name, type);
    if (s != NULL) {
        config_setting_set_hook(s, &added_default);
    }
    return s;
}

void
bn_conf_note_default(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                     const char *text)
{
    config_setting_t *s = bn_conf_member(g, name) == NULL && text != NULL
                              ? add_default(ld, g, name, CONFIG_TYPE_STRING)
                              : NULL;

    if (s != NULL) {
        config_setting_set_string(s, text);
    }
}

void
bn_conf_set_default_bool(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, bool v)
{
    config_setting_t *s = g != NULL ? config_setting_get_member(g, name) : NULL;

    if (s != NULL && config_setting_get_hook(s) == &added_default
        && config_setting_type(s) == CONFIG_TYPE_BOOL) {
        config_setting_set_bool(s, v);
    }
}

config_setting_t *
bn_conf_section(bn_conf_loader_t *ld, config_setting_t *g, const char *name)
{
    config_setting_t *s = bn_conf_want_group(ld, g, name);

    if (s == NULL && bn_conf_member(g, name) == NULL) {
        s = add_default(ld, g, name, CONFIG_TYPE_GROUP);
    }
    return s;
}

/* ---- errors --------------------------------------------------------------- */

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
 * "FILE:LINE: <tag>path: message" into line: the file, line and path of
 * setting s (with missing appended to the path when s is the group a
 * required setting is missing from); tag is "warning: " or "".
 */
static void
format_at(bn_conf_loader_t *ld, const config_setting_t *s, const char *missing, const char *tag,
          const char *fmt, va_list ap, char *line, size_t len)
{
    char path[512], msg[1024];
    bn_line_t p;
    const char *file;

    bn_line_init(&p, path, sizeof(path));
    setting_path(s, &p);
    if (missing != NULL) {
        bn_line_printf(&p, "%s%s", p.len ? "." : "", missing);
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    file = s != NULL ? config_setting_source_file(s) : NULL;
    if (file != NULL && file[0] != '/') {
        /* An @include, named as written: relative to the main file's folder. */
        file = bn_conf_abs_path(ld, file);
    }
    snprintf(line, len, "%s:%u: %s%s: %s", file ? file : ld->conf->file,
             s != NULL ? config_setting_source_line(s) : 0, tag, path, msg);
}

/*
 * Reports an error at setting s, or, when s is absent (a required setting),
 * at its parent group with the missing name appended to the path.
 */
void __attribute__((format(printf, 4, 5)))
bn_conf_err_at(bn_conf_loader_t *ld, const config_setting_t *s, const char *missing,
               const char *fmt, ...)
{
    char line[1800];
    va_list ap;

    va_start(ap, fmt);
    format_at(ld, s, missing, "", fmt, ap, line, sizeof(line));
    va_end(ap);
    bn_conf_errors_add(ld->errs, "%s", line);
}

/* A warning, in the same form with "warning: " before the path; kept only
 * when the caller of the load asked for warnings. */
void __attribute__((format(printf, 4, 5)))
bn_conf_warn_at(bn_conf_loader_t *ld, const config_setting_t *s, const char *missing,
                const char *fmt, ...)
{
    char line[1800];
    va_list ap;

    if (ld->warns == NULL) {
        return;
    }
    va_start(ap, fmt);
    format_at(ld, s, missing, "warning: ", fmt, ap, line, sizeof(line));
    va_end(ap);
    bn_conf_errors_add(ld->warns, "%s", line);
}

/* ---- schema checks ----------------------------------------------------------- */

/* Reports every member of group g whose name is not in known. */
void
bn_conf_check_known(bn_conf_loader_t *ld, const config_setting_t *g, const char *const *known)
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
            bn_conf_err(ld, m, "unknown setting (did you mean \"%s\"?)", best);
        } else {
            bn_conf_err(ld, m, "unknown setting");
        }
    }
}

/* Settings that a later release implements: present is an error, not a no-op. */
void
bn_conf_not_yet(bn_conf_loader_t *ld, const config_setting_t *g, const char *name)
{
    config_setting_t *s = bn_conf_member(g, name);

    if (s != NULL) {
        bn_conf_err(ld, s, "not supported yet by this version of bouncer");
    }
}

config_setting_t *
bn_conf_want_group(bn_conf_loader_t *ld, const config_setting_t *g, const char *name)
{
    config_setting_t *s = bn_conf_member(g, name);

    if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        bn_conf_err(ld, s, "expected a group { ... }");
        return NULL;
    }
    return s;
}

/* A list ( ... ) or array [ ... ]; NULL when absent or of another type. */
config_setting_t *
bn_conf_want_list(bn_conf_loader_t *ld, const config_setting_t *g, const char *name)
{
    config_setting_t *s = bn_conf_member(g, name);

    if (s != NULL && config_setting_type(s) != CONFIG_TYPE_LIST
        && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
        bn_conf_err(ld, s, "expected a list ( ... ) or an array [ ... ]");
        return NULL;
    }
    return s;
}

/* ---- typed getters ------------------------------------------------------------ */

bool
bn_conf_get_bool(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, bool def)
{
    config_setting_t *s = bn_conf_member(g, name);

    if (s == NULL) {
        if ((s = add_default(ld, g, name, CONFIG_TYPE_BOOL)) != NULL) {
            config_setting_set_bool(s, def);
        }
        return def;
    }
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        bn_conf_err(ld, s, "expected true or false");
        return def;
    }
    return config_setting_get_bool(s) != 0;
}

bool
bn_conf_is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

unsigned
bn_conf_get_uint(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, unsigned def,
                 long long min, long long max)
{
    config_setting_t *s = bn_conf_member(g, name);
    long long v;

    if (s == NULL) {
        if ((s = add_default(ld, g, name, def > INT32_MAX ? CONFIG_TYPE_INT64 : CONFIG_TYPE_INT))
            != NULL) {
            config_setting_set_int64(s, def);
        }
        return def;
    }
    if (!bn_conf_is_int(s)) {
        bn_conf_err(ld, s, "expected an integer from %lld to %lld", min, max);
        return def;
    }
    v = config_setting_get_int64(s);
    if (v < min || v > max) {
        bn_conf_err(ld, s, "%lld is out of range (expected %lld to %lld)", v, min, max);
        return def;
    }
    return (unsigned) v;
}

const char *
bn_conf_get_string(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                   const char *def)
{
    config_setting_t *s = bn_conf_member(g, name);

    if (s == NULL) {
        bn_conf_note_default(ld, g, name, def);
        return def;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        bn_conf_err(ld, s, "expected a string");
        return def;
    }
    return bn_pstrdup(ld->conf->pool, config_setting_get_string(s));
}

/* A size: "16k" or a bare integer of bytes. */
uint64_t
bn_conf_get_size(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, const char *def)
{
    config_setting_t *s = bn_conf_member(g, name);
    uint64_t v = 0;

    if (s != NULL && bn_conf_is_int(s) && config_setting_get_int64(s) >= 0) {
        return (uint64_t) config_setting_get_int64(s);
    }
    if (s != NULL
        && (config_setting_type(s) != CONFIG_TYPE_STRING
            || bn_parse_size(config_setting_get_string(s), &v) != BN_OK)) {
        bn_conf_err(ld, s, "expected a size such as \"512\", \"16k\", \"64m\" or \"1g\"");
        s = NULL;
    }
    if (s == NULL) {
        bn_parse_size(def, &v);
        if (bn_conf_member(g, name) == NULL) {
            bn_conf_note_default(ld, g, name, def);
        }
    }
    return v;
}

/* A duration in milliseconds: "250ms", "5s", "10m", "1h", "1d", or seconds. */
uint64_t
bn_conf_get_duration(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                     const char *def)
{
    config_setting_t *s = bn_conf_member(g, name);
    uint64_t v = 0;

    if (s != NULL && bn_conf_is_int(s) && config_setting_get_int64(s) >= 0
        && config_setting_get_int64(s) < INT64_MAX / 1000) {
        return (uint64_t) config_setting_get_int64(s) * 1000;
    }
    if (s != NULL
        && (config_setting_type(s) != CONFIG_TYPE_STRING
            || bn_parse_duration(config_setting_get_string(s), &v) != BN_OK)) {
        bn_conf_err(ld, s,
                    "expected a duration such as \"250ms\", \"5s\", \"10m\", \"1h\" or \"1d\"");
        s = NULL;
    }
    if (s == NULL) {
        bn_parse_duration(def, &v);
        if (bn_conf_member(g, name) == NULL) {
            bn_conf_note_default(ld, g, name, def);
        }
    }
    return v;
}

/* A short wait in microseconds: "50us", "1ms", or 0; at most max. */
uint64_t
bn_conf_get_usec(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, const char *def,
                 uint64_t max)
{
    config_setting_t *s = bn_conf_member(g, name);
    uint64_t v = 0;

    if (s != NULL && bn_conf_is_int(s) && config_setting_get_int64(s) == 0) {
        return 0;
    }
    if (s != NULL
        && (config_setting_type(s) != CONFIG_TYPE_STRING
            || bn_parse_usec(config_setting_get_string(s), &v) != BN_OK || v > max)) {
        bn_conf_err(ld, s,
                    "expected a time such as \"50us\" or \"1ms\" (at most %" PRIu64 "us), or 0",
                    max);
        s = NULL;
    }
    if (s == NULL) {
        bn_parse_usec(def, &v);
        if (bn_conf_member(g, name) == NULL) {
            bn_conf_note_default(ld, g, name, def);
        }
    }
    return v;
}

/* One of choices; returns its index, or def when absent or wrong. */
int
bn_conf_get_enum(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                 const char *const *choices, int def)
{
    config_setting_t *s = bn_conf_member(g, name);
    char list[256];
    bn_line_t l;

    if (s == NULL) {
        bn_conf_note_default(ld, g, name, def >= 0 ? choices[def] : NULL);
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
        bn_conf_err(ld, s, "unknown value \"%s\" (expected one of: %s)",
                    config_setting_get_string(s), list);
    } else {
        bn_conf_err(ld, s, "expected a string, one of: %s", list);
    }
    return def;
}

/*
 * An array or list of strings, copied into the pool.  Returns the count and
 * sets *out (NULL when absent or empty).
 */
size_t
bn_conf_get_strings(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                    const char ***out)
{
    config_setting_t *s = bn_conf_want_list(ld, g, name);
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
            bn_conf_err(ld, e, "expected a string");
            return 0;
        }
        v[i] = bn_pstrdup(ld->conf->pool, config_setting_get_string(e));
    }
    *out = v;
    return (size_t) n;
}

size_t
bn_conf_get_cidrs(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                  bn_cidr_t **out)
{
    const char **v;
    size_t n = bn_conf_get_strings(ld, g, name, &v);
    config_setting_t *s = bn_conf_member(g, name);

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
            bn_conf_err(
                ld, config_setting_get_elem(s, (unsigned) i),
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
const char *
bn_conf_abs_path(bn_conf_loader_t *ld, const char *p)
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

pcre2_code *
bn_conf_compile_regex(bn_conf_loader_t *ld, const config_setting_t *s, const char *re)
{
    int ec;
    PCRE2_SIZE off;
    PCRE2_UCHAR msg[256];
    pcre2_code *code;

    code = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
    if (code == NULL) {
        pcre2_get_error_message(ec, msg, sizeof(msg));
        bn_conf_err(ld, s, "regex \"%s\" does not compile at offset %zu: %s", re, (size_t) off,
                    msg);
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

/*
 * The bytes of a file that holds one secret (a key, a password), read whole
 * by the master at load, one trailing newline dropped; in the pool, with a
 * NUL after them.  NULL, reported at s, when it cannot be read or holds more
 * than max bytes.
 */
unsigned char *
bn_conf_read_secret(bn_conf_loader_t *ld, const config_setting_t *s, const char *path, size_t max,
                    size_t *len)
{
    unsigned char *buf = bn_palloc(ld->conf->pool, max + 2);
    ssize_t n;
    int fd;

    if (buf == NULL) {
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        bn_conf_err(ld, s, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    n = read(fd, buf, max + 1);
    close(fd);
    if (n == -1) {
        bn_conf_err(ld, s, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    if ((size_t) n > max) {
        bn_conf_err(ld, s, "%s: a secret of more than %zu bytes", path, max);
        return NULL;
    }
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
    }
    buf[n] = '\0';
    *len = (size_t) n;
    return buf;
}
