/*
 * conf.c: what the rest of bouncer calls on a config once it is loaded: its
 * list of errors, its drain time, and freeing it.  Loading is conf_file.c
 * and the section files it calls (see conf_load.h); this file calls none of
 * them, so that they can all include conf.h without a cycle.
 */
#include "conf.h"

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
