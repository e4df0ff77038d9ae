/*
 * conf_file.c: loading bouncer.conf.  libconfig reads the file and its
 * @includes; a syntax error ends loading there, with FILE:LINE.  Then the
 * root group's sections are loaded in order, each by its own file (see
 * conf_load.h), and every semantic error is collected before giving up.
 */
#include "conf_load.h"

#include <openssl/evp.h>

#include <libgen.h>
#include <limits.h>

static void
load_root(bn_conf_loader_t *ld, config_setting_t *root)
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
        "upgrade_timeout",
        "debug_dumpable",
        "config_history",
        "log",
        "limits",
        "status",
        "cache_zones",
        "auth_threads",
        "auth_cache_memory",
        "auth_policies",
        "rate_limits",
        "limit_conn",
        "redis",
        "upstreams",
        "servers",
        NULL,
    };
    bn_conf_t *c = ld->conf;
    config_setting_t *ups, *srvs;
    int n;
    size_t max_listens = 0;

    bn_conf_check_known(ld, root, keys);
    bn_conf_load_cache_zones(ld, root);
    bn_conf_load_processes(ld, root);
    bn_conf_load_log(ld, root);
    bn_conf_load_limits(ld, root);
    bn_conf_load_auth_policies(ld, root);
    bn_conf_load_redis(ld, root);
    bn_conf_load_rate_limits(ld, root);

    ups = bn_conf_want_list(ld, root, "upstreams");
    n = ups ? config_setting_length(ups) : 0;
    c->upstreams = bn_pcalloc(c->pool, sizeof(bn_conf_upstream_t) * (size_t) (n + 1));
    for (int i = 0; c->upstreams != NULL && i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ups, (unsigned) i);
        bn_conf_upstream_t *u = &c->upstreams[c->nupstreams];
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, g, "expected a group { name = ...; servers = (...); }");
            continue;
        }
        bn_conf_load_upstream(ld, g, u);
        if (bn_conf_find_upstream(c, u->name) != NULL) {
            bn_conf_err(ld, bn_conf_member(g, "name") ?: g,
                        "another upstream is already named \"%s\"", u->name);
        }
        u->index = (unsigned) c->nupstreams++;
    }

    srvs = bn_conf_want_list(ld, root, "servers");
    n = srvs ? config_setting_length(srvs) : 0;
    if (n == 0) {
        if (bn_conf_member(root, "servers") == NULL) {
            bn_conf_err_at(ld, root, "servers", "at least one server block is needed");
        } else if (srvs != NULL) {
            bn_conf_err(ld, srvs, "at least one server block is needed");
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *l = bn_conf_member(config_setting_get_elem(srvs, (unsigned) i), "listen");
        config_setting_t *tl =
            bn_conf_member(config_setting_get_elem(srvs, (unsigned) i), "tls_listen");
        max_listens += l ? (size_t) config_setting_length(l) : 0;
        max_listens += tl ? (size_t) config_setting_length(tl) : 0;
    }
    {
        config_setting_t *st = bn_conf_member(root, "status");
        config_setting_t *l = bn_conf_member(st, "listen"), *tl = bn_conf_member(st, "tls_listen");
        max_listens += l ? (size_t) config_setting_length(l) : 0;
        max_listens += tl ? (size_t) config_setting_length(tl) : 0;
    }
    c->listens = bn_pcalloc(c->pool, sizeof(bn_conf_listen_t) * (max_listens + 1));
    /* and one more for the status listener's */
    c->servers = bn_pcalloc(c->pool, sizeof(bn_conf_server_t) * (size_t) (n + 1));
    if (c->listens == NULL || c->servers == NULL) {
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(srvs, (unsigned) i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, g, "expected a group { listen = [...]; routes = (...); }");
            continue;
        }
        c->servers[c->nservers].index = (unsigned) c->nservers;
        bn_conf_load_server(ld, g, &c->servers[c->nservers], max_listens);
        c->nservers++;
    }
    bn_conf_load_status(ld, root, max_listens);
}

/*
 * A parse error as "FILE:LINE: message", FILE absolute.  libconfig's
 * "cannot open include file" names no file: the @include on that line
 * does, and opening it says why it could not be opened.
 */
static void
parse_error(bn_conf_loader_t *ld, config_t *cfg, char *line, size_t len)
{
    const char *file = config_error_file(cfg) ? config_error_file(cfg) : ld->conf->file;
    const char *text = config_error_text(cfg);
    char buf[1024], name[PATH_MAX];
    FILE *f;
    int n = 0;

    file = bn_conf_abs_path(ld, file);
    snprintf(line, len, "%s:%d: %s", file, config_error_line(cfg), text);
    if (strcmp(text, "cannot open include file") != 0 || (f = fopen(file, "r")) == NULL) {
        return;
    }
    while (fgets(buf, sizeof(buf), f) != NULL && ++n < config_error_line(cfg)) {
    }
    fclose(f);
    if (n == config_error_line(cfg) && sscanf(buf, " @include \"%4095[^\"]\"", name) == 1) {
        const char *inc = bn_conf_abs_path(ld, name);
        FILE *g = fopen(inc, "r");
        snprintf(line, len, "%s:%d: cannot open include file \"%s\": %s", file,
                 config_error_line(cfg), inc, g == NULL ? strerror(errno) : "it could not be read");
        if (g != NULL) {
            fclose(g);
        }
    }
}

/*
 * The parsed tree as libconfig writes it, and its SHA-256: the config as it
 * loaded, whatever its @includes, comments and layout were.  *text is
 * malloc'd.
 */
static int
tree_text(config_t *cfg, char **text, size_t *len, unsigned char *sha256)
{
    FILE *f;

    *text = NULL;
    *len = 0;
    f = open_memstream(text, len);
    if (f == NULL) {
        return BN_ERROR;
    }
    config_write(cfg, f);
    if (fclose(f) != 0
        || EVP_Digest(*text, *len, sha256, NULL, EVP_sha256(), NULL) != 1) {
        free(*text);
        *text = NULL;
        return BN_ERROR;
    }
    return BN_OK;
}


/*
 * The names of settings that would hold a secret written in the file
 * itself.  None does today: every secret is read from a file whose path is
 * the setting (password_file, secret_file, users, keys), and the dump
 * shows the path, never what the file holds.  A setting that ever takes a
 * secret inline is named here, and the dump writes it as "<hidden>"
 * (which still loads: a string) unless asked for secrets.
 */
static const char *const secret_names[] = { "password", "secret", "token", NULL };

static void
hide_secrets(config_setting_t *g)
{
    int n = config_setting_length(g);

    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
        const char *name = config_setting_name(s);

        if (config_setting_is_aggregate(s)) {
            hide_secrets(s);
            continue;
        }
        for (size_t k = 0; name != NULL && secret_names[k] != NULL; k++) {
            if (strcmp(name, secret_names[k]) == 0 && config_setting_type(s) == CONFIG_TYPE_STRING) {
                config_setting_set_string(s, "<hidden>");
            }
        }
    }
}

static bn_conf_t *
load(const char *path, const char *from, bn_conf_errors_t *errs, bn_conf_errors_t *warns,
     FILE *dump, bool secrets)
{
    config_t cfg;
    bn_conf_t *c;
    bn_pool_t *pool;
    bn_conf_loader_t ld;
    char line[1400], resolved[PATH_MAX], *dir, *text;
    const char *read_path;
    size_t text_len;

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
    read_path = from != NULL ? bn_pstrdup(pool, from) : c->file;

    config_init(&cfg);
    dir = bn_pstrdup(pool, read_path);
    config_set_include_dir(&cfg, dirname(dir));
    if (config_read_file(&cfg, read_path) != CONFIG_TRUE) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO && config_error_file(&cfg) == NULL) {
            snprintf(line, sizeof(line), "%s: cannot read: %s", read_path, strerror(errno));
        } else {
            ld.conf = c;
            parse_error(&ld, &cfg, line, sizeof(line));
        }
        bn_conf_errors_add(errs, "%s", line);
        config_destroy(&cfg);
        bn_pool_destroy(pool);
        return NULL;
    }
    if (tree_text(&cfg, &text, &text_len, c->sha256) != BN_OK
        || (c->text = bn_palloc(pool, text_len + 1)) == NULL) {
        free(text);
        bn_conf_errors_add(errs, "%s: out of memory", c->file);
        config_destroy(&cfg);
        bn_pool_destroy(pool);
        return NULL;
    }
    memcpy((char *) c->text, text, text_len + 1);
    c->text_len = text_len;
    free(text);

    ld.conf = c;
    ld.errs = errs;
    ld.warns = warns;
    ld.nerrs_at_start = errs->n;
    ld.dump = dump != NULL;
    load_root(&ld, config_root_setting(&cfg));
    /* Warnings only of a config that loads: one with errors gets those. */
    if (warns != NULL && errs->n == ld.nerrs_at_start) {
        bn_conf_lint(&ld, config_root_setting(&cfg));
    }
    if (dump != NULL && errs->n == ld.nerrs_at_start) {
        if (!secrets) {
            hide_secrets(config_root_setting(&cfg));
        }
        config_write(&cfg, dump);
    }
    config_destroy(&cfg);
    if (errs->n != ld.nerrs_at_start) {
        bn_conf_free(c); /* the TLS contexts made before the error too */
        return NULL;
    }
    return c;
}

bn_conf_t *
bn_conf_load(const char *path, bn_conf_errors_t *errs)
{
    return load(path, NULL, errs, NULL, NULL, false);
}

bn_conf_t *
bn_conf_load_warn(const char *path, bn_conf_errors_t *errs, bn_conf_errors_t *warns)
{
    return load(path, NULL, errs, warns, NULL, false);
}

bn_conf_t *
bn_conf_load_from(const char *path, const char *from, bn_conf_errors_t *errs,
                  bn_conf_errors_t *warns)
{
    return load(path, from, errs, warns, NULL, false);
}

int
bn_conf_hash_file(const char *path, unsigned char *sha256)
{
    config_t cfg;
    char resolved[PATH_MAX], dir[PATH_MAX], *text;
    size_t len;
    int rc = BN_ERROR;

    if (realpath(path, resolved) == NULL) {
        return BN_ERROR;
    }
    config_init(&cfg);
    snprintf(dir, sizeof(dir), "%s", resolved);
    config_set_include_dir(&cfg, dirname(dir)); /* it copies the name */
    if (config_read_file(&cfg, resolved) == CONFIG_TRUE
        && tree_text(&cfg, &text, &len, sha256) == BN_OK) {
        free(text);
        rc = BN_OK;
    }
    config_destroy(&cfg);
    return rc;
}

void
bn_conf_hash_hex(const unsigned char *sha256, char *out)
{
    for (size_t i = 0; i < BN_CONF_HASH_LEN; i++) {
        snprintf(out + 2 * i, 3, "%02x", sha256[i]);
    }
}

bn_conf_t *
bn_conf_dump(const char *path, bn_conf_errors_t *errs, FILE *out, bool secrets)
{
    return load(path, NULL, errs, NULL, out, secrets);
}
