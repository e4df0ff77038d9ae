/*
 * auth_api_key.c: API keys (auth = { api_key = { ... } }): a key from a
 * header or a query argument, matched against the keys file in constant
 * time; its name becomes $api_key_name and $auth_user.
 */
#include "auth.h"

int
bn_auth_api_key(bn_request_t *r, bn_auth_try_t *t)
{
    const bn_conf_auth_t *a = t->policy;
    const bn_conf_from_t *where;
    const char *key, *name;
    size_t len;

    if (bn_auth_credential(r, a, &key, &len, &where) != BN_OK) {
        return BN_DECLINED;
    }
    t->sent = true;
    name = bn_apikeys_match(a->api_key.keys, key, len);
    if (name == NULL) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0, "api_key auth: unknown key in %s \"%s\"",
                     where->kind == BN_FROM_HEADER ? "header" : "query argument", where->name);
        return 401;
    }
    r->api_key_name = name;
    if (bn_auth_passed(r, "api_key", name, strlen(name)) != BN_OK
        || (r->route->strip_credentials && bn_auth_strip(r, a) != BN_OK)) {
        return 500;
    }
    return BN_OK;
}
