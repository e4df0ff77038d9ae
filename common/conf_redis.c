/*
 * conf_redis.c: the redis group: the Redis that limits with scope =
 * "cluster" share.  Read once by the master: the address is resolved here
 * (as an upstream's is) and the password file read here, so a worker never
 * waits on a resolver or opens a file that only root may read.
 */
#include "conf_load.h"

#include <limits.h>

#define BN_REDIS_PASSWORD_MAX 4096

void
bn_conf_load_redis(bn_conf_loader_t *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "address", "password_file", "database", "timeout", "on_error", "max_pending", NULL,
    };
    static const char *const on_error[] = { "local", "allow", "deny", NULL };
    bn_conf_redis_t *r = &ld->conf->redis;
    config_setting_t *g = bn_conf_want_group(ld, root, "redis");
    const config_setting_t *s;
    const char *pwfile;
    char err[512];

    if (g == NULL) {
        return;
    }
    r->enabled = true;
    bn_conf_check_known(ld, g, keys);

    r->address = bn_conf_get_string(ld, g, "address", "");
    s = bn_conf_member(g, "address");
    if (s == NULL) {
        bn_conf_err_at(ld, g, "address", "required: \"host:port\" or \"unix:/path\"");
    } else if (config_setting_type(s) == CONFIG_TYPE_STRING
               && bn_addr_parse(r->address, false, &r->addr, err, sizeof(err)) != BN_OK) {
        bn_conf_err(ld, s, "%s", err);
    }

    pwfile = bn_conf_get_string(ld, g, "password_file", "");
    if (pwfile[0] != '\0') {
        const char *path = bn_conf_abs_path(ld, pwfile);
        size_t len = 0;
        unsigned char *pw;

        s = bn_conf_member(g, "password_file");
        pw = bn_conf_read_secret(ld, s, path, BN_REDIS_PASSWORD_MAX, &len);
        if (pw != NULL && len == 0) {
            bn_conf_err(ld, s, "%s: empty (no password in it)", path);
        } else if (pw != NULL && memchr(pw, '\n', len) != NULL) {
            bn_conf_err(ld, s, "%s: more than one line (expected the password alone)", path);
        } else if (pw != NULL) {
            r->password = (const char *) pw;
            r->password_len = len;
        }
    }

    r->database = bn_conf_get_uint(ld, g, "database", 0, 0, INT_MAX);
    r->timeout = bn_conf_get_duration(ld, g, "timeout", "50ms");
    if (r->timeout == 0) {
        bn_conf_err(ld, bn_conf_member(g, "timeout"), "expected more than 0 (such as \"50ms\")");
        r->timeout = 50;
    }
    r->on_error = bn_conf_get_enum(ld, g, "on_error", on_error, BN_REDIS_ON_ERROR_LOCAL);
    r->max_pending = bn_conf_get_uint(ld, g, "max_pending", 10000, 1, 1000000);
}
