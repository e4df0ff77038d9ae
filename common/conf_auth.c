/*
 * conf_auth.c: authentication policies: the auth_policies list, and the
 * auth setting of a server block or route (a policy's name, one written
 * inline, or "off").  The files a policy names (htpasswd, keys, secrets)
 * are read here, at load, so that a reload which cannot read one fails
 * and the old generation goes on with what it had.
 */
#include "conf_load.h"
#include "http_parse.h"
#include "jwks.h"

#include <strings.h>

#define SECRET_MAX 4096 /* bytes of an HS secret_file */

/* Names a policy may not set upstream: framing, hop-by-hop, routing. */
static bool
reserved_header(const char *s)
{
    static const char *const names[] = { "host",    "content-length", "transfer-encoding",
                                         "connection", "keep-alive",  "proxy-connection",
                                         "te",      "trailer",        "upgrade",
                                         "expect" };

    for (size_t i = 0; i < BN_NELEMS(names); i++) {
        if (strcasecmp(s, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool
is_token(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s; s++) {
        if (!bn_http_token_char[(unsigned char) *s]) {
            return false;
        }
    }
    return true;
}

/* A policy made here is numbered among all of them, inline ones too. */
static bn_conf_auth_t *
new_policy(bn_conf_loader_t *ld, const char *name)
{
    bn_conf_t *c = ld->conf;
    bn_conf_auth_t *a = bn_pcalloc(c->pool, sizeof(*a)), **grown;

    if (a == NULL) {
        return NULL;
    }
    /* Doubling in the pool: the old arrays stay until the config goes. */
    if ((c->nauth_policies & (c->nauth_policies - 1)) == 0) {
        grown = bn_palloc(c->pool, sizeof(*grown) * (c->nauth_policies ? 2 * c->nauth_policies : 4));
        if (grown == NULL) {
            return NULL;
        }
        if (c->nauth_policies > 0) {
            memcpy(grown, c->auth_policies, sizeof(*grown) * c->nauth_policies);
        }
        c->auth_policies = grown;
    }
    a->name = name;
    a->index = (unsigned) c->nauth_policies;
    c->auth_policies[c->nauth_policies++] = a;
    return a;
}

static bn_conf_auth_t *
find_policy(bn_conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nnamed_policies; i++) {
        if (strcmp(c->auth_policies[i]->name, name) == 0) {
            return c->auth_policies[i];
        }
    }
    return NULL;
}

/* from = [ "header:NAME", "cookie:NAME", "query:NAME" ] */
static void
load_from(bn_conf_loader_t *ld, const config_setting_t *g, bn_conf_auth_t *a, const char *def)
{
    static const char *const kinds[] = { "header:", "cookie:", "query:" };
    config_setting_t *fs = bn_conf_member(g, "from");
    const char **v;
    size_t n = bn_conf_get_strings(ld, g, "from", &v);

    if (n == 0) {
        if (fs != NULL) {
            bn_conf_err(ld, fs, "expected at least one place to read the credential from");
        }
        v = &def;
        n = 1;
        fs = NULL;
    }
    a->from = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_from_t) * n);
    if (a->from == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        config_setting_t *es = fs ? config_setting_get_elem(fs, (unsigned) i) : NULL;
        bn_conf_from_t *f = &a->from[a->nfrom];
        int k;

        for (k = 0; k < 3 && strncmp(v[i], kinds[k], strlen(kinds[k])) != 0; k++) {
        }
        if (k == 3 || !is_token(v[i] + strlen(kinds[k]))) {
            bn_conf_err(ld, es ?: fs,
                        "\"%s\": expected \"header:NAME\", \"cookie:NAME\" or \"query:NAME\"", v[i]);
            continue;
        }
        f->kind = k;
        f->name = v[i] + strlen(kinds[k]);
        f->name_len = strlen(f->name);
        a->nfrom++;
    }
}

/* "Name" or "claim: Name" lists: the headers an admitted request gains. */
static size_t
load_auth_headers(bn_conf_loader_t *ld, const config_setting_t *g, const char *name, bool claims,
                  bn_conf_auth_header_t **out)
{
    config_setting_t *ls = bn_conf_member(g, name);
    const char **v;
    size_t n = bn_conf_get_strings(ld, g, name, &v), k = 0;
    bn_conf_auth_header_t *h;

    *out = NULL;
    if (n == 0 || (h = bn_pcalloc(ld->conf->pool, sizeof(*h) * n)) == NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        config_setting_t *es = config_setting_get_elem(ls, (unsigned) i);
        char *hdr = (char *) v[i];

        if (claims) {
            char *colon = strchr(hdr, ':');
            if (colon == NULL || colon == hdr) {
                bn_conf_err(ld, es, "\"%s\": expected \"claim: Header-Name\"", v[i]);
                continue;
            }
            h[k].claim = bn_pstrndup(ld->conf->pool, hdr, (size_t) (colon - hdr));
            hdr = colon + 1;
            while (*hdr == ' ') {
                hdr++;
            }
        }
        if (!is_token(hdr)) {
            bn_conf_err(ld, es, "\"%s\": expected a header name", v[i]);
            continue;
        }
        if (reserved_header(hdr)) {
            bn_conf_err(ld, es,
                        "\"%s\": %s frames or routes the request; a policy cannot set it", v[i],
                        hdr);
            continue;
        }
        h[k].header = hdr;
        h[k].header_len = strlen(hdr);
        k++;
    }
    *out = h;
    return k;
}

static void
load_basic(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_auth_t *a)
{
    static const char *const keys[] = { "realm", "users", "remember", "max_pending", NULL };
    const char *users;
    char err[1024];

    bn_conf_check_known(ld, g, keys);
    a->realm = bn_conf_get_string(ld, g, "realm", a->realm);
    a->basic.remember = bn_conf_get_duration(ld, g, "remember", "30s");
    a->basic.max_pending = bn_conf_get_uint(ld, g, "max_pending", 32, 1, 100000);
    users = bn_conf_get_string(ld, g, "users", NULL);
    if (users == NULL) {
        bn_conf_err_at(ld, g, "users", "required: the htpasswd file");
        return;
    }
    a->basic.users = bn_pcalloc(ld->conf->pool, sizeof(bn_htpasswd_t));
    if (a->basic.users != NULL
        && bn_htpasswd_load(ld->conf->pool, bn_conf_abs_path(ld, users), a->basic.users, err,
                            sizeof(err))
               != BN_OK) {
        bn_conf_err(ld, bn_conf_member(g, "users"), "%s", err);
    }
}

static void
load_api_key(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_auth_t *a)
{
    static const char *const keys[] = { "keys", "from", "realm", NULL };
    const char *file;
    char err[1024];

    bn_conf_check_known(ld, g, keys);
    a->realm = bn_conf_get_string(ld, g, "realm", a->realm);
    load_from(ld, g, a, "header:X-API-Key");
    file = bn_conf_get_string(ld, g, "keys", NULL);
    if (file == NULL) {
        bn_conf_err_at(ld, g, "keys", "required: the file of NAME:KEY lines");
        return;
    }
    a->api_key.keys = bn_pcalloc(ld->conf->pool, sizeof(bn_apikeys_t));
    if (a->api_key.keys != NULL
        && bn_apikeys_load(ld->conf->pool, bn_conf_abs_path(ld, file), a->api_key.keys, err,
                           sizeof(err))
               != BN_OK) {
        bn_conf_err(ld, bn_conf_member(g, "keys"), "%s", err);
    }
}

/* "http[s]://host[:port]/path?query": resolved now, as upstream addresses are. */
static void
load_url(bn_conf_loader_t *ld, const config_setting_t *s, const char *url, bool https_ok,
         bn_conf_url_t *u)
{
    bool tls = strncmp(url, "https://", 8) == 0;
    const char *host = url + (tls ? 8 : 7), *slash, *colon;
    char hostport[300], err[256];
    size_t hl, nl;

    u->text = url;
    if (!(tls && https_ok) && strncmp(url, "http://", 7) != 0) {
        bn_conf_err(ld, s, https_ok ? "\"%s\": expected an http:// or https:// URL"
                                    : "\"%s\": expected an http:// URL (the service is asked in "
                                      "plain HTTP, on a trusted network)",
                    url);
        return;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '#') {
            bn_conf_err(ld, s, "\"%s\": a URL has no spaces, control characters or fragment", url);
            return;
        }
    }
    slash = strchr(host, '/');
    hl = slash ? (size_t) (slash - host) : strlen(host);
    if (hl == 0 || hl >= sizeof(hostport) - 6 || memchr(host, '@', hl) != NULL) {
        bn_conf_err(ld, s, "\"%s\": expected %s://host[:port]/path", url, tls ? "https" : "http");
        return;
    }
    u->tls = tls;
    u->host = bn_pstrndup(ld->conf->pool, host, hl);
    u->path = slash ? slash : "/";
    if (host[0] == '[') {
        const char *close = memchr(host, ']', hl);
        nl = close ? (size_t) (close - host - 1) : 0;
        u->name = bn_pstrndup(ld->conf->pool, host + 1, nl);
        colon = close && close + 1 < host + hl && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(host, ':', hl);
        nl = colon ? (size_t) (colon - host) : hl;
        u->name = bn_pstrndup(ld->conf->pool, host, nl);
    }
    /* A port-less authority means the scheme's; bn_addr_parse() wants one. */
    snprintf(hostport, sizeof(hostport), "%.*s%s", (int) hl, host,
             colon ? "" : tls ? ":443" : ":80");
    if (bn_addr_parse(hostport, false, &u->addr, err, sizeof(err)) != BN_OK) {
        bn_conf_err(ld, s, "\"%s\": %s", url, err);
    }
}

/* secret_file's bytes, one trailing newline dropped, into the pool. */
static unsigned char *
read_secret(bn_conf_loader_t *ld, const config_setting_t *s, const char *path, size_t *len)
{
    unsigned char *buf = bn_conf_read_secret(ld, s, path, SECRET_MAX, len);

    /* RFC 7518 3.2: an HS256 key at least as long as the hash. */
    if (buf != NULL && *len < 32) {
        bn_conf_err(ld, s, "%s: a secret of %zu bytes; at least 32 are needed", path, *len);
        return NULL;
    }
    return buf;
}

static void
load_jwt(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_auth_t *a)
{
    static const char *const keys[] = {
        "keys",   "secret_file", "jwks_url", "jwks_refresh", "algorithms",        "issuer",
        "audience", "leeway",    "from",     "require",      "claims_to_headers", "realm",
        "jwks_ca",  "jwks_timeout", NULL,
    };
    config_setting_t *as = bn_conf_member(g, "algorithms"), *rs;
    const char **algs, *file, *secret, *url;
    size_t nalgs;
    bool want_hs = false, want_pk = false;
    char err[1024];

    bn_conf_check_known(ld, g, keys);
    a->realm = bn_conf_get_string(ld, g, "realm", a->realm);
    load_from(ld, g, a, "header:Authorization");
    nalgs = bn_conf_get_strings(ld, g, "algorithms", &algs);
    if (nalgs == 0) {
        bn_conf_err_at(ld, g, as ? NULL : "algorithms",
                       "required: the algorithms accepted, e.g. [ \"RS256\" ]");
    }
    for (size_t i = 0; i < nalgs; i++) {
        int alg = bn_jwt_alg(algs[i]);
        if (alg < 0) {
            bn_conf_err(ld, config_setting_get_elem(as, (unsigned) i),
                        "\"%s\": not an algorithm bouncer accepts (HS256/384/512, RS256/384/512, "
                        "PS256/384/512, ES256/384/512, EdDSA)",
                        algs[i]);
            continue;
        }
        a->jwt.algorithms |= 1u << alg;
        if (alg <= BN_JWT_HS512) {
            want_hs = true;
        } else {
            want_pk = true;
        }
    }
    a->jwt.issuer = bn_conf_get_string(ld, g, "issuer", "");
    a->jwt.naudience = bn_conf_get_strings(ld, g, "audience", &a->jwt.audience);
    a->jwt.leeway = bn_conf_get_duration(ld, g, "leeway", "30s");
    url = bn_conf_get_string(ld, g, "jwks_url", "");
    a->jwt.jwks_refresh = bn_conf_get_duration(ld, g, "jwks_refresh", "10m");
    if (a->jwt.jwks_refresh < 60 * 1000) {
        bn_conf_err(ld, bn_conf_member(g, "jwks_refresh"), "expected at least \"1m\"");
    }
    a->jwt.jwks_timeout = bn_conf_get_duration(ld, g, "jwks_timeout", "10s");
    a->jwt.jwks_ca = bn_conf_get_string(ld, g, "jwks_ca", "");
    a->jwt.jwks_ca = a->jwt.jwks_ca[0] ? bn_conf_abs_path(ld, a->jwt.jwks_ca) : NULL;
    if (url[0] != '\0') {
        load_url(ld, bn_conf_member(g, "jwks_url"), url, true, &a->jwt.jwks_url);
        a->jwt.jwks = bn_jwks_slot_create(ld->conf->pool);
        if (a->jwt.jwks == NULL) {
            bn_conf_err(ld, bn_conf_member(g, "jwks_url"), "cannot map shared memory: %s",
                        strerror(errno));
        }
    }

    file = bn_conf_get_string(ld, g, "keys", "");
    if (file[0] != '\0') {
        a->jwt.keys = bn_jwt_keys_load_file(ld->conf->pool, bn_conf_abs_path(ld, file), err,
                                            sizeof(err));
        if (a->jwt.keys == NULL) {
            bn_conf_err(ld, bn_conf_member(g, "keys"), "%s", err);
        }
    }
    secret = bn_conf_get_string(ld, g, "secret_file", "");
    if (secret[0] != '\0') {
        size_t len;
        unsigned char *s = read_secret(ld, bn_conf_member(g, "secret_file"),
                                       bn_conf_abs_path(ld, secret), &len);
        if (s != NULL) {
            a->jwt.keys = bn_jwt_keys_add_secret(ld->conf->pool, a->jwt.keys, s, len);
        }
    } else if (want_hs) {
        bn_conf_err(ld, as, "HS256/384/512 need secret_file: an HS token is never checked "
                            "against a public key");
    }
    if (want_pk && file[0] == '\0' && a->jwt.jwks_url.text == NULL) {
        bn_conf_err_at(ld, g, "keys", "required for the public-key algorithms listed");
    }

    rs = bn_conf_want_list(ld, g, "require");
    for (int i = 0; rs != NULL && i < config_setting_length(rs); i++) {
        static const char *const rkeys[] = { "claim", "contains", "equals", NULL };
        config_setting_t *e = config_setting_get_elem(rs, (unsigned) i);
        bn_conf_jwt_require_t *q;
        bool has_contains, has_equals;

        if (a->jwt.require == NULL) {
            a->jwt.require = bn_pcalloc(ld->conf->pool,
                                        sizeof(*a->jwt.require) * (size_t) config_setting_length(rs));
            if (a->jwt.require == NULL) {
                return;
            }
        }
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, e, "expected a group { claim = \"scope\"; contains = \"read\"; }");
            continue;
        }
        bn_conf_check_known(ld, e, rkeys);
        q = &a->jwt.require[a->jwt.nrequire];
        q->claim = bn_conf_get_string(ld, e, "claim", NULL);
        has_contains = bn_conf_member(e, "contains") != NULL;
        has_equals = bn_conf_member(e, "equals") != NULL;
        if (q->claim == NULL) {
            bn_conf_err_at(ld, e, "claim", "required");
            continue;
        }
        if (has_contains == has_equals) {
            bn_conf_err(ld, e, "expected exactly one of contains or equals");
            continue;
        }
        q->contains = has_contains;
        if (has_contains && config_setting_type(bn_conf_member(e, "contains")) == CONFIG_TYPE_STRING) {
            q->values = bn_palloc(ld->conf->pool, sizeof(char *));
            if (q->values != NULL) {
                q->values[0] = bn_conf_get_string(ld, e, "contains", "");
                q->nvalues = 1;
            }
        } else {
            q->nvalues = bn_conf_get_strings(ld, e, has_contains ? "contains" : "equals", &q->values);
        }
        if (q->nvalues == 0) {
            bn_conf_err(ld, bn_conf_member(e, has_contains ? "contains" : "equals"),
                        "expected at least one value");
            continue;
        }
        a->jwt.nrequire++;
    }
    a->jwt.nto_headers = load_auth_headers(ld, g, "claims_to_headers", true, &a->jwt.to_headers);
}

static void
load_forward(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_auth_t *a)
{
    static const char *const keys[] = { "url",          "timeout",     "pass_headers",
                                        "copy_headers", "user_header", "cache",
                                        NULL };
    static const char *pass_default[] = { "Authorization", "Cookie" };
    config_setting_t *ps = bn_conf_member(g, "pass_headers");
    const char *url;

    bn_conf_check_known(ld, g, keys);
    url = bn_conf_get_string(ld, g, "url", NULL);
    if (url == NULL) {
        bn_conf_err_at(ld, g, "url", "required: the authentication service to ask");
    } else {
        load_url(ld, bn_conf_member(g, "url"), url, false, &a->forward.url);
    }
    a->forward.timeout = bn_conf_get_duration(ld, g, "timeout", "2s");
    if (a->forward.timeout == 0) {
        bn_conf_err(ld, bn_conf_member(g, "timeout"), "expected more than 0s");
    }
    a->forward.cache = bn_conf_get_duration(ld, g, "cache", "0s");
    if (ps == NULL) {
        a->forward.pass_headers = pass_default;
        a->forward.npass_headers = 2;
    } else {
        a->forward.npass_headers = bn_conf_get_strings(ld, g, "pass_headers", &a->forward.pass_headers);
        for (size_t i = 0; i < a->forward.npass_headers; i++) {
            if (!is_token(a->forward.pass_headers[i])) {
                bn_conf_err(ld, config_setting_get_elem(ps, (unsigned) i),
                            "\"%s\": expected a header name", a->forward.pass_headers[i]);
            }
        }
    }
    a->forward.ncopy_headers =
        load_auth_headers(ld, g, "copy_headers", false, &a->forward.copy_headers);
    a->forward.user_header = bn_conf_get_string(ld, g, "user_header", "");
    if (a->forward.user_header[0] == '\0') {
        a->forward.user_header = NULL;
    } else if (!is_token(a->forward.user_header)) {
        bn_conf_err(ld, bn_conf_member(g, "user_header"), "expected a header name");
    }
}

/* any = [ "policy", ... ]: named policies only, and none of them an any. */
static void
load_any(bn_conf_loader_t *ld, config_setting_t *s, bn_conf_auth_t *a)
{
    const char **names;
    size_t n;

    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
        bn_conf_err(ld, s, "expected a list of policy names [ \"a\", \"b\" ]");
        return;
    }
    n = bn_conf_get_strings(ld, config_setting_parent(s), "any", &names);
    if (n == 0) {
        bn_conf_err(ld, s, "expected at least one policy name");
        return;
    }
    if (n > BN_AUTH_ANY_MAX) {
        bn_conf_err(ld, s, "expected at most %d policies", BN_AUTH_ANY_MAX);
        return;
    }
    a->any.policies = bn_pcalloc(ld->conf->pool, sizeof(bn_conf_auth_t *) * n);
    if (a->any.policies == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        config_setting_t *es = config_setting_get_elem(s, (unsigned) i);
        bn_conf_auth_t *p = find_policy(ld->conf, names[i]);

        if (p == NULL) {
            bn_conf_err(ld, es, "no auth policy before this one is named \"%s\"", names[i]);
        } else if (p->method == BN_AUTH_ANY) {
            bn_conf_err(ld, es, "\"%s\" is an any policy itself: list the methods it lists",
                        names[i]);
        } else {
            a->any.policies[a->any.n++] = p;
        }
    }
}

/* The method group of g (a policy, or an inline auth = { ... }). */
static void
load_method(bn_conf_loader_t *ld, config_setting_t *g, bn_conf_auth_t *a)
{
    static const char *const methods[] = { "basic", "jwt", "api_key", "forward", "any", NULL };
    config_setting_t *found = NULL;
    int nfound = 0;

    for (int m = 0; methods[m] != NULL; m++) {
        config_setting_t *s = bn_conf_member(g, methods[m]);
        if (s == NULL) {
            continue;
        }
        nfound++;
        found = s;
        a->method = m; /* BN_AUTH_* follow the order of methods[] */
    }
    if (nfound != 1) {
        bn_conf_err(ld, g, "expected exactly one of basic, jwt, api_key, forward, any");
        return;
    }
    if (a->realm == NULL) {
        a->realm = a->name[0] != '\0' ? a->name : "bouncer";
    }
    if (a->method == BN_AUTH_ANY) {
        load_any(ld, found, a);
        return;
    }
    if (config_setting_type(found) != CONFIG_TYPE_GROUP) {
        bn_conf_err(ld, found, "expected a group { ... }");
        return;
    }
    switch (a->method) {
    case BN_AUTH_BASIC:
        load_basic(ld, found, a);
        break;
    case BN_AUTH_JWT:
        load_jwt(ld, found, a);
        break;
    case BN_AUTH_API_KEY:
        load_api_key(ld, found, a);
        break;
    case BN_AUTH_FORWARD:
        load_forward(ld, found, a);
        break;
    }
    /* The realm is written into WWW-Authenticate as a quoted-string
     * (RFC 9110 11.6.1): a quote, a backslash or a line break would end
     * it, or the header. */
    if (strpbrk(a->realm, "\"\\") != NULL || bn_str_has_ctl(a->realm, strlen(a->realm))) {
        bn_conf_err(ld, bn_conf_member(found, "realm") ?: g,
                    "expected a realm without quotes, backslashes or control characters");
    }
}

void
bn_conf_load_auth_policies(bn_conf_loader_t *ld, const config_setting_t *root)
{
    static const char *const keys[] = { "name", "basic", "jwt", "api_key", "forward", "any", NULL };
    config_setting_t *ps = bn_conf_want_list(ld, root, "auth_policies");
    int n = ps ? config_setting_length(ps) : 0;

    ld->conf->auth_threads = bn_conf_get_uint(ld, root, "auth_threads", 2, 1, 64);
    ld->conf->auth_cache_memory = bn_conf_get_size(ld, root, "auth_cache_memory", "4m");
    if (ld->conf->auth_cache_memory < 64 * 1024) {
        bn_conf_err(ld, bn_conf_member(root, "auth_cache_memory"), "expected at least \"64k\"");
    }

    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ps, (unsigned) i);
        const char *name;
        bn_conf_auth_t *a;

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, g, "expected a group { name = ...; basic = { ... }; }");
            continue;
        }
        bn_conf_check_known(ld, g, keys);
        name = bn_conf_get_string(ld, g, "name", NULL);
        if (name == NULL || name[0] == '\0' || strcmp(name, "off") == 0) {
            bn_conf_err_at(ld, bn_conf_member(g, "name") ?: g, name ? NULL : "name",
                           name ? "\"%s\" cannot name a policy" : "required", name ? name : "");
            continue;
        }
        if (find_policy(ld->conf, name) != NULL) {
            bn_conf_err(ld, bn_conf_member(g, "name"), "another auth policy is already named \"%s\"",
                        name);
            continue;
        }
        a = new_policy(ld, name);
        if (a == NULL) {
            return;
        }
        load_method(ld, g, a);
        ld->conf->nnamed_policies = ld->conf->nauth_policies;
    }
}

bn_conf_auth_t *
bn_conf_load_auth(bn_conf_loader_t *ld, const config_setting_t *g)
{
    config_setting_t *s = bn_conf_member(g, "auth");
    bn_conf_auth_t *a;

    if (s == NULL) {
        return NULL;
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char *name = config_setting_get_string(s);
        if (strcmp(name, "off") == 0) {
            return NULL;
        }
        a = find_policy(ld->conf, name);
        if (a == NULL) {
            bn_conf_err(ld, s, "no auth policy is named \"%s\"", name);
        }
        return a;
    }
    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        bn_conf_err(ld, s, "expected a policy's name, \"off\", or a group { basic = { ... }; }");
        return NULL;
    }
    {
        static const char *const keys[] = { "basic", "jwt", "api_key", "forward", "any", NULL };
        bn_conf_check_known(ld, s, keys);
    }
    a = new_policy(ld, "");
    if (a != NULL) {
        load_method(ld, s, a);
    }
    return a;
}
