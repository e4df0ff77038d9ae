/*
 * count.c: what a worker adds to the shared metrics (common/metrics.h): a
 * request when it ends, a client connection while it is open, a TLS
 * handshake, a tunnel, an HTTP/2 connection, an upstream server's failures and idle connections.
 * Each is a store into this worker's own row: nothing here waits.  The
 * status listener's own traffic is not counted.
 */
#include "count.h"

#include "../common/heritage.h"
#include "../common/metrics.h"

static bool
counted_client(const bn_client_t *c)
{
    return c->listen != NULL && !c->listen->default_server->status;
}

void
bn_count_client(const bn_client_t *c, int delta)
{
    int32_t g = bn_heritage.conf->metrics_global;

    if (!counted_client(c)) {
        return;
    }
    if (delta > 0) {
        bn_metric_add(g, BN_MV_CONNS, 1);
        if (c->listen->tls) {
            bn_metric_add(g, BN_MV_TLS_CONNS, 1);
        }
    } else {
        bn_metric_sub(g, BN_MV_CONNS);
        if (c->listen->tls) {
            bn_metric_sub(g, BN_MV_TLS_CONNS);
        }
    }
}

void
bn_count_handshake(const bn_client_t *c, const char *protocol, bool resumed)
{
    int32_t g = bn_heritage.conf->metrics_global;
    unsigned k = BN_METRIC_TLS_OTHER;

    if (!counted_client(c)) {
        return;
    }
    if (protocol != NULL && strcmp(protocol, "TLSv1.3") == 0) {
        k = BN_METRIC_TLS13;
    } else if (protocol != NULL && strcmp(protocol, "TLSv1.2") == 0) {
        k = BN_METRIC_TLS12;
    }
    bn_metric_add(g, BN_MV_HANDSHAKES + k, 1);
    if (resumed) {
        bn_metric_add(g, BN_MV_RESUMED + k, 1);
    }
}

void
bn_count_tunnel(int delta)
{
    if (delta > 0) {
        bn_metric_add(bn_heritage.conf->metrics_global, BN_MV_TUNNELS, 1);
    } else {
        bn_metric_sub(bn_heritage.conf->metrics_global, BN_MV_TUNNELS);
    }
}

void
bn_count_h2(const bn_client_t *c, int delta)
{
    if (!counted_client(c)) {
        return;
    }
    if (delta > 0) {
        bn_metric_add(bn_heritage.conf->metrics_global, BN_MV_H2_CONNS, 1);
    } else {
        bn_metric_sub(bn_heritage.conf->metrics_global, BN_MV_H2_CONNS);
    }
}

void
bn_count_h2_calm(const bn_client_t *c)
{
    if (counted_client(c)) {
        bn_metric_add(bn_heritage.conf->metrics_global, BN_MV_H2_CALM, 1);
    }
}

void
bn_count_peer(const bn_conf_peer_t *p, unsigned what, int delta)
{
    if (delta >= 0) {
        bn_metric_add(p->metrics, what, (uint64_t) delta);
    } else {
        bn_metric_sub(p->metrics, what);
    }
}

/* X-Cache-Status, as cache.c sets it, to its value in a zone's series. */
static int
cache_value(const char *status)
{
    static const struct {
        const char *name;
        unsigned v;
    } map[] = {
        { "HIT", BN_MV_CACHE_HIT },         { "MISS", BN_MV_CACHE_MISS },
        { "STALE", BN_MV_CACHE_STALE },     { "UPDATING", BN_MV_CACHE_UPDATING },
        { "REVALIDATED", BN_MV_CACHE_REVALIDATED }, { "EXPIRED", BN_MV_CACHE_EXPIRED },
        { "BYPASS", BN_MV_CACHE_BYPASS },
    };

    for (size_t i = 0; status != NULL && i < BN_NELEMS(map); i++) {
        if (strcmp(status, map[i].name) == 0) {
            return (int) map[i].v;
        }
    }
    return -1;
}

void
bn_count_request(bn_request_t *r)
{
    bn_conf_t *conf = bn_heritage.conf;
    const bn_conf_server_t *srv = r->server;
    const bn_conf_route_t *rt = r->route;
    uint64_t msec = bn_current_msec - r->start_msec;
    int cls = r->status / 100, cv;

    if (srv == NULL && r->client != NULL && r->client->listen != NULL) {
        srv = r->client->listen->default_server;
    }
    if (srv == NULL || srv->status) {
        return;
    }
    /* A head too bad to say its version counts as what the connection spoke. */
    bn_metric_add(conf->metrics_global,
                  BN_MV_REQUESTS_PROTO
                      + (r->version == 20   ? BN_METRIC_HTTP2
                         : r->version == 10 ? BN_METRIC_HTTP10
                                            : BN_METRIC_HTTP11),
                  1);
    bn_metric_add(srv->metrics, BN_MV_BYTES_IN,
                  (uint64_t) r->head.head_len + r->req_pipe.body_in + r->bytes_received);
    bn_metric_add(srv->metrics, BN_MV_BYTES_OUT, r->bytes_sent);
    {
        /* A request no route took (a bad head) counts under the block's
         * series for no route. */
        int32_t series = rt != NULL ? rt->metrics : srv->metrics_unrouted;
        if (cls >= 1 && cls <= 5) {
            bn_metric_add(series, BN_MV_CLASS + (unsigned) (cls - 1), 1);
        }
        bn_metric_observe(series, BN_MV_ROUTE_HIST, conf->status.buckets, conf->status.nbuckets,
                          msec);
    }
    if (rt != NULL && rt->cache.zone != NULL && (cv = cache_value(r->cache_status)) >= 0) {
        bn_metric_add(rt->cache.zone->metrics, (unsigned) cv, 1);
    }
}

void
bn_count_peer_answer(const bn_request_t *r, const bn_conf_peer_t *p)
{
    bn_conf_t *conf = bn_heritage.conf;

    bn_metric_add(p->metrics, BN_MV_PEER_REQUESTS, 1);
    if (r->upstream_status >= 500) {
        bn_metric_add(p->metrics, BN_MV_PEER_FAIL_5XX, 1);
    }
    bn_metric_observe(p->metrics, BN_MV_PEER_HIST, conf->status.buckets, conf->status.nbuckets,
                      bn_current_msec - r->upstream_start_msec);
}
