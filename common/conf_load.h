/*
 * conf_load.h: the loader's internals, shared by the files that read
 * bouncer.conf (common/conf_*.c) and included by nothing else; the rest of
 * bouncer reads the result through conf.h.
 *
 * conf_file.c reads the file and calls each section's loader in order; a
 * section's loader is bn_conf_load_<section>() in common/conf_<section>.c.
 * Every loader reads its settings through the schema helpers of
 * conf_schema.c, which report an error as "FILE:LINE: path.to.setting: what
 * was expected" and go on, so that `bouncer check` reports every error.
 * A section file depends on conf_schema.c and on the sections it refers to
 * (a server on its routes, a route on the upstreams), never the other way.
 */
#ifndef BN_CONF_LOAD_H
#define BN_CONF_LOAD_H

#include "conf.h"

#include <libconfig.h>

typedef struct {
    bn_conf_t *conf;
    bn_conf_errors_t *errs;
    bn_conf_errors_t *warns; /* NULL: the caller wants none (conf_lint.c) */
    size_t nerrs_at_start;
    bool dump; /* `bouncer dump`: the getters write the defaults they take into the tree */
} bn_conf_loader_t;

/* ---- conf_schema.c: errors, schema checks, typed getters ------------------ */

/* libconfig's lookup, but a missing group simply has no members. */
config_setting_t *bn_conf_member(const config_setting_t *g, const char *name);

/*
 * Reports an error at setting s, or, when s is absent (a required setting),
 * at its parent group with the missing name appended to the path.
 */
void bn_conf_err_at(bn_conf_loader_t *ld, const config_setting_t *s, const char *missing,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define bn_conf_err(ld, s, ...) bn_conf_err_at(ld, s, NULL, __VA_ARGS__)

/* A warning at s, "FILE:LINE: warning: path: message", into ld->warns (when
 * the caller asked for them); it does not fail the load. */
void bn_conf_warn_at(bn_conf_loader_t *ld, const config_setting_t *s, const char *missing,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define bn_conf_warn(ld, s, ...) bn_conf_warn_at(ld, s, NULL, __VA_ARGS__)

/* Reports every member of group g whose name is not in known. */
void bn_conf_check_known(bn_conf_loader_t *ld, const config_setting_t *g, const char *const *known);
/* Settings that a later release implements: present is an error, not a no-op. */
void bn_conf_not_yet(bn_conf_loader_t *ld, const config_setting_t *g, const char *name);
/* A group { ... }; NULL when absent or of another type. */
config_setting_t *bn_conf_want_group(bn_conf_loader_t *ld, const config_setting_t *g,
                                     const char *name);
/*
 * A section whose absence means all its defaults (limits, log): the group,
 * or when dumping (ld->dump) an empty one added for the defaults read in it
 * to be written into; NULL when absent otherwise, or of another type.
 */
config_setting_t *bn_conf_section(bn_conf_loader_t *ld, config_setting_t *g, const char *name);
/* For a setting read without a typed getter: when dumping and g has no
 * name, the default in force written as text. */
void bn_conf_note_default(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                          const char *text);
/* When dumping: the default written for g's name becomes v, the value a
 * setting left out takes from elsewhere (a route's from its block's). */
void bn_conf_set_default_bool(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                              bool v);
/* A list ( ... ) or array [ ... ]; NULL when absent or of another type. */
config_setting_t *bn_conf_want_list(bn_conf_loader_t *ld, const config_setting_t *g,
                                    const char *name);

/*
 * The typed getters: each returns the value of g's member name, or def when
 * it is absent (or g is NULL) or wrong, the wrong one reported.  Strings are
 * copied into the config's pool.
 */
bool bn_conf_get_bool(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, bool def);
bool bn_conf_is_int(const config_setting_t *s);
unsigned bn_conf_get_uint(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                          unsigned def, long long min, long long max);
const char *bn_conf_get_string(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                               const char *def);
/* A size: "16k" or a bare integer of bytes. */
uint64_t bn_conf_get_size(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                          const char *def);
/* A duration in milliseconds: "250ms", "5s", "10m", "1h", "1d", or seconds. */
uint64_t bn_conf_get_duration(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                              const char *def);
/* A short wait in microseconds: "50us", "1ms", or 0; at most max. */
uint64_t bn_conf_get_usec(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                          const char *def, uint64_t max);
/* One of choices; returns its index, or def when absent or wrong. */
int bn_conf_get_enum(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                     const char *const *choices, int def);
/*
 * An array or list of strings, copied into the pool.  Returns the count and
 * sets *out (NULL when absent or empty).
 */
size_t bn_conf_get_strings(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                           const char ***out);
/* A list of addresses or networks, as bn_conf_get_strings(). */
size_t bn_conf_get_cidrs(bn_conf_loader_t *ld, const config_setting_t *g, const char *name,
                         bn_cidr_t **out);
/* p taken from the folder of the main config file, in the pool. */
const char *bn_conf_abs_path(bn_conf_loader_t *ld, const char *p);
/* A compiled (JIT where available) regex freed with the pool; NULL, reported,
 * when it does not compile. */
pcre2_code *bn_conf_compile_regex(bn_conf_loader_t *ld, const config_setting_t *s, const char *re);

/*
 * A file holding one secret (a key, a password), read whole, one trailing
 * newline dropped, into the pool with a NUL after it (*len excludes it).
 * NULL, reported at s, when it cannot be read or holds more than max bytes.
 */
unsigned char *bn_conf_read_secret(bn_conf_loader_t *ld, const config_setting_t *s,
                                   const char *path, size_t max, size_t *len);

/* ---- the sections, in the order conf_file.c loads them -------------------- */

/* conf_cache.c: the cache_zones list, into conf->cache_zones. */
void bn_conf_load_cache_zones(bn_conf_loader_t *ld, const config_setting_t *root);
/* conf_processes.c: daemon, workers, user, pid_file, control_socket, ... */
void bn_conf_load_processes(bn_conf_loader_t *ld, const config_setting_t *root);
/* conf_log.c: the log group. */
void bn_conf_load_log(bn_conf_loader_t *ld, const config_setting_t *root);
/* conf_limits.c: the limits group. */
void bn_conf_load_limits(bn_conf_loader_t *ld, const config_setting_t *root);

/* conf_auth.c: auth_threads and the auth_policies list. */
void bn_conf_load_auth_policies(bn_conf_loader_t *ld, const config_setting_t *root);
/* g's auth setting: its policy, or NULL for "off" or none. */
bn_conf_auth_t *bn_conf_load_auth(bn_conf_loader_t *ld, const config_setting_t *g);

/* conf_ratelimit.c: the rate_limits and limit_conn lists. */
void bn_conf_load_rate_limits(bn_conf_loader_t *ld, const config_setting_t *root);
bn_conf_rate_limit_t *bn_conf_find_rate_limit(bn_conf_t *c, const char *name);
bn_conf_limit_conn_t *bn_conf_find_limit_conn(bn_conf_t *c, const char *name);
/* g's rate_limit and limit_conn settings (none for "off" or absent). */
/* conf_waf.c: g's waf group over base (the block's; NULL: the defaults);
 * then, once merged, its rule set. */
void bn_conf_load_waf(bn_conf_loader_t *ld, const config_setting_t *g, const bn_conf_waf_t *base,
                      bn_conf_waf_t *w);
void bn_conf_finish_waf(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_waf_t *w);
void bn_conf_load_limit_refs(bn_conf_loader_t *ld, const config_setting_t *g,
                             bn_conf_rate_limit_t ***rates, size_t *nrates,
                             bn_conf_limit_conn_t ***conns, size_t *nconns);
/* Refuses limits keyed on identity on route r, which has no auth (reported at g). */
void bn_conf_check_identity_limits(bn_conf_loader_t *ld, const config_setting_t *g,
                                   const bn_conf_route_t *r);
/* conf_redis.c: the redis group, into conf->redis (enabled when present). */
void bn_conf_load_redis(bn_conf_loader_t *ld, const config_setting_t *root);

/* conf_upstream.c: one group of the upstreams list into u. */
void bn_conf_load_upstream(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_upstream_t *u);
/* The upstream loaded so far that is named name, or NULL. */
bn_conf_upstream_t *bn_conf_find_upstream(bn_conf_t *c, const char *name);

/* conf_server.c: one group of the servers list into srv, its listeners into
 * conf->listens (at most max_listens in all). */
/* The tls group of server block g (or the status group). */
void bn_conf_load_server_tls(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_server_t *srv,
                             bool has_tls_listen);
/* The listener for address text, shared with another block that lists it;
 * NULL after an error at s. */
bn_conf_listen_t *bn_conf_add_listen(bn_conf_loader_t *ld, config_setting_t *s, const char *text,
                                     bn_conf_server_t *srv, bool tls);
/* conf_status.c: the status group, a server block of its own after the
 * others (servers has room for it). */
void bn_conf_load_status(bn_conf_loader_t *ld, config_setting_t *root, size_t max_listens);
void bn_conf_load_server(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_server_t *srv,
                         size_t max_listens);

/* conf_route.c: one group of a server's routes into r; the upstreams and
 * cache zones it names are loaded already. */
void bn_conf_load_route(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_route_t *r);

/* conf_lint.c: once everything loaded without an error, the warnings of
 * `bouncer check` about root's settings and what they loaded into. */
void bn_conf_lint(bn_conf_loader_t *ld, const config_setting_t *root);

#endif
