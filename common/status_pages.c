/*
 * status_pages.c: the status pages, made from the shared metrics
 * (metrics.h), the peers' shared state and the cache zones by whichever
 * process is asked: a worker for the status listener (/metrics in the
 * Prometheus text format, /status.json, the dashboard), the master for
 * `bouncer status --json`.
 */
#include "status_pages.h"

#include "cache.h"
#include "clock.h"
#include "metrics.h"
#include "peers.h"
#include "waf.h"

#include <libconfig.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>

static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
static const char *const tls_names[] = { "TLSv1.2", "TLSv1.3", "other" };
static const char *const http_names[] = { "HTTP/1.0", "HTTP/1.1", "HTTP/2" };
static const char *const peer_failures[] = { "connect", "timeout", "reset", "5xx" };
static const char *const cache_results[] = { "hit",         "miss",    "stale", "updating",
                                             "revalidated", "expired", "bypass" };
static const char *const auth_outcomes[] = { "ok", "unauthorized", "forbidden", "error" };

typedef struct {
    bn_conf_t *conf;
    const bn_metrics_t *m;
    const bn_metric_series_t *series;
    size_t nseries;
    unsigned *waf_ids; /* of every rule set, each once, increasing */
    size_t nwaf_ids;
    bn_line_t *l;
} page_t;

static uint64_t
value(const page_t *pg, const bn_metric_series_t *s, unsigned off)
{
    return bn_metrics_read(pg->m, s->base + off);
}

/* The series whose first value is at base (a config object's metrics), or NULL. */
static const bn_metric_series_t *
series_at(const page_t *pg, int32_t base)
{
    for (size_t i = 0; base >= 0 && i < pg->nseries; i++) {
        if ((int32_t) pg->series[i].base == base) {
            return &pg->series[i];
        }
    }
    return NULL;
}

static const char *
libconfig_version(void)
{
    static char v[32];

    snprintf(v, sizeof(v), "%d.%d.%d", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
             LIBCONFIG_VER_REVISION);
    return v;
}

static const char *
pcre2_version(void)
{
    static char v[64];

    if (v[0] == '\0' && pcre2_config(PCRE2_CONFIG_VERSION, v) < 0) {
        snprintf(v, sizeof(v), "unknown");
    }
    return v;
}

static const char *
signal_label(unsigned sig, char *buf, size_t len)
{
    const char *n = sig != 0 ? sigabbrev_np((int) sig) : NULL;

    if (sig == 0) {
        return "exit";
    }
    if (n == NULL) {
        snprintf(buf, len, "%u", sig);
    } else {
        snprintf(buf, len, "SIG%s", n);
    }
    return buf;
}

/* ---- /metrics ---------------------------------------------------------------------- */

/* A label value as the text format wants it: \\, \" and \n escaped. */
static void
label(bn_line_t *l, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            bn_line_add(l, "\\", 1);
            bn_line_add(l, v, 1);
        } else if (*v == '\n') {
            bn_line_add(l, "\\n", 2);
        } else {
            bn_line_add(l, v, 1);
        }
    }
}

static void
family(bn_line_t *l, const char *name, const char *type, const char *help)
{
    bn_line_printf(l, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k1="v1",k2="v2"} n, with "" keys left out. */
static void
sample(bn_line_t *l, const char *name, const char *k1, const char *v1, const char *k2,
       const char *v2, const char *k3, const char *v3, uint64_t n)
{
    const char *k[3] = { k1, k2, k3 }, *v[3] = { v1, v2, v3 };
    bool any = false;

    bn_line_printf(l, "%s", name);
    for (int i = 0; i < 3; i++) {
        if (k[i] == NULL) {
            continue;
        }
        bn_line_printf(l, "%s%s=\"", any ? "," : "{", k[i]);
        label(l, v[i]);
        bn_line_add(l, "\"", 1);
        any = true;
    }
    bn_line_printf(l, "%s %" PRIu64 "\n", any ? "}" : "", n);
}

/* Seconds from msec, as the text format's float. */
static void
seconds(bn_line_t *l, uint64_t msec)
{
    bn_line_printf(l, "%" PRIu64 ".%03u", msec / 1000, (unsigned) (msec % 1000));
}

static void
histogram(const page_t *pg, const char *name, const bn_metric_series_t *s, unsigned off,
          const char *k1, const char *k2)
{
    bn_line_t *l = pg->l;
    uint64_t cum = 0;

    for (unsigned b = 0; b <= s->nbuckets; b++) {
        cum += value(pg, s, off + b);
        bn_line_printf(l, "%s_bucket{%s=\"", name, k1);
        label(l, s->label[0]);
        bn_line_printf(l, "\",%s=\"", k2);
        label(l, s->label[1]);
        bn_line_add(l, "\",le=\"", 6);
        if (b < s->nbuckets) {
            seconds(l, s->bounds[b]);
        } else {
            bn_line_add(l, "+Inf", 4);
        }
        bn_line_printf(l, "\"} %" PRIu64 "\n", cum);
    }
    bn_line_printf(l, "%s_sum{%s=\"", name, k1);
    label(l, s->label[0]);
    bn_line_printf(l, "\",%s=\"", k2);
    label(l, s->label[1]);
    bn_line_add(l, "\"} ", 3);
    seconds(l, value(pg, s, off + s->nbuckets + 1));
    bn_line_printf(l, "\n%s_count{%s=\"", name, k1);
    label(l, s->label[0]);
    bn_line_printf(l, "\",%s=\"", k2);
    label(l, s->label[1]);
    bn_line_printf(l, "\"} %" PRIu64 "\n", cum);
}

/* Every live series of kind, in the order they were registered. */
#define EACH_SERIES(pg, which, s)                                                                  \
    for (const bn_metric_series_t *s = (pg)->series; s < (pg)->series + (pg)->nseries; s++)        \
        if (s->kind == (which) && !s->retired)

static void
metrics_global(const page_t *pg, const bn_metric_series_t *g)
{
    bn_conf_t *conf = pg->conf;
    bn_metrics_t *m = conf->metrics;
    const bn_metric_master_t *ms = bn_metrics_master(m);
    bn_line_t *l = pg->l;
    char sb[16];

    family(l, "bouncer_build_info", "gauge", "Versions of bouncer and the libraries it runs on.");
    bn_line_printf(l, "bouncer_build_info{version=\"%s\",openssl=\"", BN_VERSION);
    label(l, OpenSSL_version(OPENSSL_VERSION));
    bn_line_printf(l, "\",pcre2=\"");
    label(l, pcre2_version());
    bn_line_printf(l, "\",libconfig=\"%s\"} 1\n", libconfig_version());
    family(l, "bouncer_start_time_seconds", "gauge", "When the master process started.");
    bn_line_printf(l, "bouncer_start_time_seconds %" PRId64 "\n", ms->started);
    family(l, "bouncer_config_loaded_time_seconds", "gauge",
           "When the running configuration was loaded.");
    bn_line_printf(l, "bouncer_config_loaded_time_seconds %" PRId64 "\n", ms->loaded);
    family(l, "bouncer_generation", "gauge", "Configurations loaded since start (1 at start).");
    bn_line_printf(l, "bouncer_generation %u\n", ms->generation);
    if (g == NULL) {
        return;
    }
    family(l, "bouncer_client_connections", "gauge", "Client connections open.");
    sample(l, "bouncer_client_connections", NULL, NULL, NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_CONNS));
    family(l, "bouncer_client_tls_connections", "gauge", "Client connections open over TLS.");
    sample(l, "bouncer_client_tls_connections", NULL, NULL, NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_TLS_CONNS));
    family(l, "bouncer_client_http2_connections", "gauge", "Client connections open over HTTP/2.");
    sample(l, "bouncer_client_http2_connections", NULL, NULL, NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_H2_CONNS));
    family(l, "bouncer_websocket_tunnels", "gauge", "WebSocket tunnels open.");
    sample(l, "bouncer_websocket_tunnels", NULL, NULL, NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_TUNNELS));
    family(l, "bouncer_http_requests_by_protocol_total", "counter",
           "Requests from clients, by the protocol they came in.");
    for (unsigned k = 0; k < BN_NELEMS(http_names); k++) {
        sample(l, "bouncer_http_requests_by_protocol_total", "protocol", http_names[k], NULL, NULL, NULL,
               NULL, value(pg, g, BN_MV_REQUESTS_PROTO + k));
    }
    family(l, "bouncer_http2_calm_total", "counter",
           "HTTP/2 connections closed with GOAWAY ENHANCE_YOUR_CALM: floods and rapid reset.");
    sample(l, "bouncer_http2_calm_total", NULL, NULL, NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_H2_CALM));
    family(l, "bouncer_tls_handshakes_total", "counter", "TLS handshakes with clients, by protocol.");
    for (unsigned k = 0; k < 3; k++) {
        sample(l, "bouncer_tls_handshakes_total", "protocol", tls_names[k], NULL, NULL, NULL, NULL,
               value(pg, g, BN_MV_HANDSHAKES + k));
    }
    family(l, "bouncer_tls_resumptions_total", "counter",
           "TLS handshakes that resumed a session, by protocol.");
    for (unsigned k = 0; k < 3; k++) {
        sample(l, "bouncer_tls_resumptions_total", "protocol", tls_names[k], NULL, NULL, NULL,
               NULL, value(pg, g, BN_MV_RESUMED + k));
    }
    family(l, "bouncer_reloads_total", "counter", "Reloads of the configuration, by result.");
    sample(l, "bouncer_reloads_total", "result", "ok", NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_RELOADS_OK));
    sample(l, "bouncer_reloads_total", "result", "failed", NULL, NULL, NULL, NULL,
           value(pg, g, BN_MV_RELOADS_FAILED));
    family(l, "bouncer_worker_restarts_total", "counter",
           "Worker and helper processes that died and were started again, by signal (exit: "
           "they exited).");
    for (unsigned sig = 0; sig < 65; sig++) {
        uint64_t n = value(pg, g, BN_MV_RESTARTS + sig);
        if (n > 0 || sig == 0 || sig == SIGKILL || sig == SIGSEGV) {
            sample(l, "bouncer_worker_restarts_total", "signal", signal_label(sig, sb, sizeof(sb)),
                   NULL, NULL, NULL, NULL, n);
        }
    }
}

/*
 * The families made of one value per series (or one per value of a third
 * label, at off + i): which kind of series, the names of its labels, the
 * value.
 */
typedef struct {
    const char *name, *type, *help;
    bn_metric_kind_t kind;
    const char *k1, *k2;            /* the series' label[0] and label[1]; NULL: unused */
    const char *k3;                 /* NULL, or a label over the values ... */
    const char *const *k3_values;   /* ... named these */
    unsigned nk3;
    unsigned off;
} family_t;

static const family_t families[] = {
    { "bouncer_http_requests_total", "counter",
      "Client requests answered, by server block, route and status class (route \"\": none "
      "matched, a bad request).",
      BN_MK_ROUTE, "server", "route", "code", classes, 5, BN_MV_CLASS },
    { "bouncer_http_received_bytes_total", "counter",
      "Bytes of requests (heads and bodies, tunnels' too), by server block.", BN_MK_SERVER,
      "server", NULL, NULL, NULL, 0, BN_MV_BYTES_IN },
    { "bouncer_http_sent_bytes_total", "counter",
      "Bytes of responses (heads and bodies, tunnels' too), by server block.", BN_MK_SERVER,
      "server", NULL, NULL, NULL, 0, BN_MV_BYTES_OUT },
    { "bouncer_upstream_requests_total", "counter",
      "Requests an upstream server answered (each try).", BN_MK_PEER, "upstream", "server", NULL,
      NULL, 0, BN_MV_PEER_REQUESTS },
    { "bouncer_upstream_failures_total", "counter",
      "Tries of an upstream server that failed, by kind: connect, timeout, reset (the "
      "connection broke), 5xx (it answered with one).",
      BN_MK_PEER, "upstream", "server", "kind", peer_failures, 4, BN_MV_PEER_FAIL_CONNECT },
    { "bouncer_upstream_idle_connections", "gauge",
      "Kept-alive connections to an upstream server, waiting for a request.", BN_MK_PEER,
      "upstream", "server", NULL, NULL, 0, BN_MV_PEER_IDLE },
    { "bouncer_cache_responses_total", "counter",
      "Responses of routes that cache, by zone and what the cache did (X-Cache-Status).",
      BN_MK_CACHE, "zone", NULL, "result", cache_results, BN_NELEMS(cache_results), 0 },
    { "bouncer_auth_requests_total", "counter",
      "Requests an auth policy decided, by outcome (error: 5xx, its backend failed).",
      BN_MK_AUTH, "policy", NULL, "outcome", auth_outcomes, BN_NELEMS(auth_outcomes), 0 },
    { "bouncer_rate_limit_rejections_total", "counter", "Requests a rate_limits rule rejected.",
      BN_MK_RATE, "rule", NULL, NULL, NULL, 0, BN_MV_RATE_REJECTED },
    { "bouncer_rate_limit_delayed_total", "counter",
      "Requests a rate_limits rule held back until their turn.", BN_MK_RATE, "rule", NULL, NULL,
      NULL, 0, BN_MV_RATE_DELAYED },
    { "bouncer_rate_limit_dry_run_rejections_total", "counter",
      "Requests a rate_limits rule in dry_run would have rejected.", BN_MK_RATE, "rule", NULL,
      NULL, NULL, 0, BN_MV_RATE_DRY_RUN },
    { "bouncer_limit_conn_rejections_total", "counter", "Requests a limit_conn rule rejected.",
      BN_MK_CONN, "rule", NULL, NULL, NULL, 0, BN_MV_RATE_REJECTED },
};

static void
family_page(const page_t *pg, const family_t *f)
{
    family(pg->l, f->name, f->type, f->help);
    EACH_SERIES(pg, f->kind, s)
    {
        for (unsigned i = 0; i < (f->k3 != NULL ? f->nk3 : 1); i++) {
            sample(pg->l, f->name, f->k1, s->label[0], f->k2, f->k2 ? s->label[1] : NULL, f->k3,
                   f->k3 ? f->k3_values[i] : NULL, value(pg, s, f->off + i));
        }
    }
}

static void
metrics_page(const page_t *pg)
{
    bn_conf_t *conf = pg->conf;
    bn_line_t *l = pg->l;
    const bn_metric_series_t *g = NULL;

    EACH_SERIES(pg, BN_MK_GLOBAL, s)
    {
        g = s;
    }
    metrics_global(pg, g);
    for (size_t i = 0; i < BN_NELEMS(families); i++) {
        family_page(pg, &families[i]);
    }

    family(l, "bouncer_http_request_duration_seconds", "histogram",
           "Time from a request's first byte to its last byte sent.");
    EACH_SERIES(pg, BN_MK_ROUTE, s)
    {
        histogram(pg, "bouncer_http_request_duration_seconds", s, BN_MV_ROUTE_HIST, "server",
                  "route");
    }
    family(l, "bouncer_upstream_response_duration_seconds", "histogram",
           "Time from a try's start to the end of the upstream server's answer.");
    EACH_SERIES(pg, BN_MK_PEER, s)
    {
        histogram(pg, "bouncer_upstream_response_duration_seconds", s, BN_MV_PEER_HIST,
                  "upstream", "server");
    }
    /* What the running config's objects are now, read where they are. */
    family(l, "bouncer_upstream_up", "gauge",
           "1 when an upstream server of the running configuration takes requests, 0 when "
           "health checks or failures took it out (or it is down = true).");
    for (size_t i = 0; i < conf->nupstreams; i++) {
        const bn_conf_upstream_t *u = &conf->upstreams[i];
        for (size_t k = 0; k < u->npeers; k++) {
            const char *h = bn_peer_health_name(&u->peers[k], bn_current_msec);
            sample(l, "bouncer_upstream_up", "upstream", u->name, "server", u->peers[k].label, NULL,
                   NULL, strcmp(h, "up") == 0 || strcmp(h, "trial") == 0);
        }
    }
    family(l, "bouncer_upstream_active_connections", "gauge",
           "Requests on an upstream server now, all workers.");
    for (size_t i = 0; i < conf->nupstreams; i++) {
        const bn_conf_upstream_t *u = &conf->upstreams[i];
        for (size_t k = 0; k < u->npeers; k++) {
            sample(l, "bouncer_upstream_active_connections", "upstream", u->name, "server",
                   u->peers[k].label, NULL, NULL, atomic_load(&u->peers[k].state->conns));
        }
    }
    for (int what = 0; what < 3; what++) {
        static const char *const names[] = { "bouncer_cache_evictions_total",
                                             "bouncer_cache_entries", "bouncer_cache_used_bytes" };
        static const char *const helps[] = {
            "Entries a cache zone dropped to make room or because they went unused.",
            "Entries in a cache zone.", "Bytes of a cache zone's files."
        };
        family(l, names[what], what == 0 ? "counter" : "gauge", helps[what]);
        for (size_t i = 0; i < conf->ncache_zones; i++) {
            bn_cache_zone_t *z = conf->cache_zones[i].zone;
            size_t entries;
            uint64_t bytes;
            bn_cache_usage(z, &entries, &bytes);
            sample(l, names[what], "zone", conf->cache_zones[i].name, NULL, NULL, NULL, NULL,
                   what == 0 ? bn_cache_evictions(z) : what == 1 ? entries : bytes);
        }
    }
    for (int blocks = 0; blocks <= 1; blocks++) {
        const char *name = blocks ? "bouncer_waf_blocks_total" : "bouncer_waf_matches_total";
        family(l, name, "counter",
               blocks ? "Requests the WAF refused, by the rules that matched and their part."
                      : "WAF rule matches, by rule and request part.");
        for (size_t i = 0; i < pg->nwaf_ids; i++) {
            for (unsigned part = 0; part < BN_WAF_NPARTS; part++) {
                uint64_t n[2];
                char id[16];
                bn_waf_counts(conf->waf_counters, pg->waf_ids[i], part, &n[0], &n[1]);
                if (n[0] == 0 && n[1] == 0) {
                    continue;
                }
                snprintf(id, sizeof(id), "%u", pg->waf_ids[i]);
                sample(l, name, "rule", id, "part", bn_waf_part_name(part), NULL, NULL,
                       n[blocks]);
            }
        }
    }
}

/* ---- /status.json -------------------------------------------------------------------- */

static void
jstr(bn_line_t *l, const char *v)
{
    bn_line_add(l, "\"", 1);
    bn_line_escape(l, v, 1024, BN_ESCAPE_JSON);
    bn_line_add(l, "\"", 1);
}

/* {"buckets":[cumulative counts],"sum":seconds,"count":n} */
static void
jhistogram(const page_t *pg, const bn_metric_series_t *s, unsigned off)
{
    bn_line_t *l = pg->l;
    uint64_t cum = 0;

    bn_line_add(l, "{\"le\":[", 7);
    for (unsigned b = 0; b < s->nbuckets; b++) {
        bn_line_printf(l, "%s", b ? "," : "");
        seconds(l, s->bounds[b]);
    }
    bn_line_add(l, "],\"buckets\":[", 13);
    for (unsigned b = 0; b <= s->nbuckets; b++) {
        cum += value(pg, s, off + b);
        bn_line_printf(l, "%s%" PRIu64, b ? "," : "", cum);
    }
    bn_line_add(l, "],\"sum\":", 8);
    seconds(l, value(pg, s, off + s->nbuckets + 1));
    bn_line_printf(l, ",\"count\":%" PRIu64 "}", cum);
}

static void
json_page(const page_t *pg)
{
    bn_conf_t *conf = pg->conf;
    bn_metrics_t *m = conf->metrics;
    const bn_metric_master_t *ms = bn_metrics_master(m);
    const bn_metric_series_t *g = NULL;
    bn_line_t *l = pg->l;
    uint64_t total[5] = { 0 };
    bool first = true;
    char sb[16];

    EACH_SERIES(pg, BN_MK_GLOBAL, s)
    {
        g = s;
    }
    EACH_SERIES(pg, BN_MK_ROUTE, s)
    {
        for (unsigned c = 0; c < 5; c++) {
            total[c] += value(pg, s, BN_MV_CLASS + c);
        }
    }
    bn_line_printf(l, "{\"version\":\"%s\",\"pid\":%d,\"generation\":%u,\"time\":%" PRId64
                      ",\"started\":%" PRId64 ",\"uptime\":%" PRId64 ",\"config\":{\"file\":",
                   BN_VERSION, (int) ms->pid, ms->generation, (int64_t) time(NULL), ms->started,
                   (int64_t) time(NULL) - ms->started);
    jstr(l, ms->config);
    bn_line_printf(l, ",\"loaded\":%" PRId64 "},\"workers\":[", ms->loaded);
    for (int i = 0; i < BN_PEERS_PROCS; i++) {
        const bn_metric_proc_t *p = bn_metrics_proc(m, i);
        if (p->pid == 0) {
            continue;
        }
        bn_line_printf(l,
                       "%s{\"pid\":%d,\"generation\":%u,\"started\":%" PRId64
                       ",\"kind\":\"%s\",\"draining\":%s}",
                       first ? "" : ",", (int) p->pid, p->generation, p->started,
                       p->helper ? "helper" : "worker", p->draining ? "true" : "false");
        first = false;
    }
    bn_line_add(l, "]", 1);
    if (g != NULL) {
        bn_line_printf(l,
                       ",\"connections\":{\"client\":%" PRIu64 ",\"tls\":%" PRIu64
                       ",\"http2\":%" PRIu64 ",\"tunnels\":%" PRIu64 "},\"protocols\":{",
                       value(pg, g, BN_MV_CONNS), value(pg, g, BN_MV_TLS_CONNS),
                       value(pg, g, BN_MV_H2_CONNS), value(pg, g, BN_MV_TUNNELS));
        for (unsigned k = 0; k < BN_NELEMS(http_names); k++) {
            bn_line_printf(l, "%s\"%s\":%" PRIu64, k ? "," : "", http_names[k],
                           value(pg, g, BN_MV_REQUESTS_PROTO + k));
        }
        bn_line_printf(l, "},\"http2_calm\":%" PRIu64 ",\"tls\":{\"handshakes\":{",
                       value(pg, g, BN_MV_H2_CALM));
        for (unsigned k = 0; k < 3; k++) {
            bn_line_printf(l, "%s\"%s\":%" PRIu64, k ? "," : "", tls_names[k],
                           value(pg, g, BN_MV_HANDSHAKES + k));
        }
        bn_line_add(l, "},\"resumptions\":{", 17);
        for (unsigned k = 0; k < 3; k++) {
            bn_line_printf(l, "%s\"%s\":%" PRIu64, k ? "," : "", tls_names[k],
                           value(pg, g, BN_MV_RESUMED + k));
        }
        bn_line_printf(l, "}},\"reloads\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 "},\"restarts\":{",
                       value(pg, g, BN_MV_RELOADS_OK), value(pg, g, BN_MV_RELOADS_FAILED));
        first = true;
        for (unsigned sig = 0; sig < 65; sig++) {
            uint64_t n = value(pg, g, BN_MV_RESTARTS + sig);
            if (n > 0) {
                bn_line_printf(l, "%s\"%s\":%" PRIu64, first ? "" : ",",
                               signal_label(sig, sb, sizeof(sb)), n);
                first = false;
            }
        }
        bn_line_add(l, "}", 1);
    }
    bn_line_add(l, ",\"requests\":{", 13);
    for (unsigned c = 0; c < 5; c++) {
        bn_line_printf(l, "%s\"%s\":%" PRIu64, c ? "," : "", classes[c], total[c]);
    }
    bn_line_add(l, "},\"routes\":[", 12);
    first = true;
    EACH_SERIES(pg, BN_MK_ROUTE, s)
    {
        bn_line_printf(l, "%s{\"server\":", first ? "" : ",");
        jstr(l, s->label[0]);
        bn_line_add(l, ",\"route\":", 9);
        jstr(l, s->label[1]);
        bn_line_add(l, ",\"requests\":{", 13);
        for (unsigned c = 0; c < 5; c++) {
            bn_line_printf(l, "%s\"%s\":%" PRIu64, c ? "," : "", classes[c],
                           value(pg, s, BN_MV_CLASS + c));
        }
        bn_line_add(l, "},\"duration\":", 13);
        jhistogram(pg, s, BN_MV_ROUTE_HIST);
        bn_line_add(l, "}", 1);
        first = false;
    }
    bn_line_add(l, "],\"servers\":[", 13);
    first = true;
    EACH_SERIES(pg, BN_MK_SERVER, s)
    {
        bn_line_printf(l, "%s{\"server\":", first ? "" : ",");
        jstr(l, s->label[0]);
        bn_line_printf(l, ",\"bytes_received\":%" PRIu64 ",\"bytes_sent\":%" PRIu64 "}",
                       value(pg, s, BN_MV_BYTES_IN), value(pg, s, BN_MV_BYTES_OUT));
        first = false;
    }
    bn_line_add(l, "],\"upstreams\":[", 15);
    first = true;
    for (size_t i = 0; i < conf->nupstreams; i++) {
        const bn_conf_upstream_t *u = &conf->upstreams[i];
        for (size_t k = 0; k < u->npeers; k++) {
            const bn_conf_peer_t *p = &u->peers[k];
            const bn_metric_series_t *s = series_at(pg, p->metrics);
            bn_line_printf(l, "%s{\"upstream\":", first ? "" : ",");
            jstr(l, u->name);
            bn_line_add(l, ",\"server\":", 10);
            jstr(l, p->label);
            bn_line_printf(l, ",\"state\":\"%s\",\"backup\":%s,\"active\":%u",
                           bn_peer_health_name(p, bn_current_msec), p->backup ? "true" : "false",
                           atomic_load(&p->state->conns));
            if (s != NULL) {
                bn_line_printf(l, ",\"idle\":%" PRIu64 ",\"requests\":%" PRIu64 ",\"failures\":{",
                               value(pg, s, BN_MV_PEER_IDLE), value(pg, s, BN_MV_PEER_REQUESTS));
                for (unsigned f = 0; f < 4; f++) {
                    bn_line_printf(l, "%s\"%s\":%" PRIu64, f ? "," : "", peer_failures[f],
                                   value(pg, s, BN_MV_PEER_FAIL_CONNECT + f));
                }
                bn_line_add(l, "},\"response_time\":", 18);
                jhistogram(pg, s, BN_MV_PEER_HIST);
            }
            bn_line_add(l, "}", 1);
            first = false;
        }
    }
    bn_line_add(l, "],\"cache\":[", 11);
    for (size_t i = 0; i < conf->ncache_zones; i++) {
        const bn_conf_cache_zone_t *z = &conf->cache_zones[i];
        size_t entries;
        uint64_t bytes;
        bn_cache_usage(z->zone, &entries, &bytes);
        bn_line_printf(l, "%s{\"zone\":", i ? "," : "");
        jstr(l, z->name);
        bn_line_printf(l, ",\"entries\":%zu,\"bytes\":%" PRIu64 ",\"evictions\":%" PRIu64, entries,
                       bytes, bn_cache_evictions(z->zone));
        const bn_metric_series_t *s = series_at(pg, z->metrics);
        for (unsigned k = 0; s != NULL && k < BN_NELEMS(cache_results); k++) {
            bn_line_printf(l, ",\"%s\":%" PRIu64, cache_results[k], value(pg, s, k));
        }
        bn_line_add(l, "}", 1);
    }
    bn_line_add(l, "],\"auth\":[", 10);
    first = true;
    EACH_SERIES(pg, BN_MK_AUTH, s)
    {
        bn_line_printf(l, "%s{\"policy\":", first ? "" : ",");
        jstr(l, s->label[0]);
        for (unsigned k = 0; k < BN_NELEMS(auth_outcomes); k++) {
            bn_line_printf(l, ",\"%s\":%" PRIu64, auth_outcomes[k], value(pg, s, k));
        }
        bn_line_add(l, "}", 1);
        first = false;
    }
    bn_line_add(l, "],\"rate_limits\":[", 17);
    first = true;
    EACH_SERIES(pg, BN_MK_RATE, s)
    {
        bn_line_printf(l, "%s{\"rule\":", first ? "" : ",");
        jstr(l, s->label[0]);
        bn_line_printf(l, ",\"rejected\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"dry_run\":%" PRIu64 "}",
                       value(pg, s, BN_MV_RATE_REJECTED), value(pg, s, BN_MV_RATE_DELAYED),
                       value(pg, s, BN_MV_RATE_DRY_RUN));
        first = false;
    }
    bn_line_add(l, "],\"limit_conn\":[", 16);
    first = true;
    EACH_SERIES(pg, BN_MK_CONN, s)
    {
        bn_line_printf(l, "%s{\"rule\":", first ? "" : ",");
        jstr(l, s->label[0]);
        bn_line_printf(l, ",\"rejected\":%" PRIu64 "}", value(pg, s, BN_MV_RATE_REJECTED));
        first = false;
    }
    bn_line_add(l, "],\"waf\":[", 9);
    first = true;
    for (size_t i = 0; i < pg->nwaf_ids; i++) {
        for (unsigned part = 0; part < BN_WAF_NPARTS; part++) {
            uint64_t matches, blocks;
            bn_waf_counts(conf->waf_counters, pg->waf_ids[i], part, &matches, &blocks);
            if (matches == 0 && blocks == 0) {
                continue;
            }
            bn_line_printf(l,
                           "%s{\"rule\":%u,\"part\":\"%s\",\"matches\":%" PRIu64
                           ",\"blocks\":%" PRIu64 "}",
                           first ? "" : ",", pg->waf_ids[i], bn_waf_part_name(part), matches,
                           blocks);
            first = false;
        }
    }
    bn_line_add(l, "]}\n", 3);
}

/* ---- / ---------------------------------------------------------------------------- */

extern const char bn_status_dashboard[]; /* made by make from status_dashboard.html */

static void
html(bn_line_t *l, const char *v)
{
    for (; *v != '\0'; v++) {
        switch (*v) {
        case '&':
            bn_line_add(l, "&amp;", 5);
            break;
        case '<':
            bn_line_add(l, "&lt;", 4);
            break;
        case '>':
            bn_line_add(l, "&gt;", 4);
            break;
        case '"':
            bn_line_add(l, "&quot;", 6);
            break;
        case '\'':
            bn_line_add(l, "&#39;", 5);
            break;
        default:
            bn_line_add(l, v, 1);
        }
    }
}

static void
row_start(bn_line_t *l, const char *a, const char *b)
{
    bn_line_add(l, "<tr><td>", 8);
    html(l, a);
    bn_line_add(l, " ", 1);
    html(l, b[0] != '\0' ? b : "(no route)");
    bn_line_add(l, "</td>", 5);
}

/* The tables, as the page's script draws them again from each answer: what
 * a browser without JavaScript shows. */
static void
dashboard_tables(const page_t *pg)
{
    bn_conf_t *conf = pg->conf;
    bn_line_t *l = pg->l;
    bool any = false;

    bn_line_add(l, "<div id=\"tables\">", 17);
    bn_line_printf(l, "<section class=\"wide\"><h2>Routes</h2><div class=\"scroll\"><table><tr>"
                      "<th>server / route</th><th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th>"
                      "<th>5xx</th></tr>");
    EACH_SERIES(pg, BN_MK_ROUTE, s)
    {
        row_start(l, s->label[0], s->label[1]);
        for (unsigned c = 0; c < 5; c++) {
            bn_line_printf(l, "<td>%" PRIu64 "</td>", value(pg, s, BN_MV_CLASS + c));
        }
        bn_line_add(l, "</tr>", 5);
    }
    bn_line_printf(l, "</table></div></section>");
    bn_line_printf(l, "<section class=\"wide\"><h2>Upstream servers</h2><div class=\"scroll\"><table>"
                      "<tr><th>upstream / server</th><th>state</th><th>active</th><th>idle</th>"
                      "<th>requests</th><th>connect</th><th>timeout</th><th>reset</th><th>5xx</th>"
                      "</tr>");
    for (size_t i = 0; i < conf->nupstreams; i++) {
        const bn_conf_upstream_t *u = &conf->upstreams[i];
        for (size_t k = 0; k < u->npeers; k++) {
            const bn_conf_peer_t *p = &u->peers[k];
            const char *h = bn_peer_health_name(p, bn_current_msec);
            bn_line_add(l, "<tr><td>", 8);
            html(l, u->name);
            bn_line_add(l, " ", 1);
            html(l, p->label);
            bn_line_printf(l, "</td><td><span class=\"state %s\">%s</span></td><td>%u</td>", h, h,
                           atomic_load(&p->state->conns));
            const bn_metric_series_t *s = series_at(pg, p->metrics);
            if (s != NULL) {
                bn_line_printf(l, "<td>%" PRIu64 "</td><td>%" PRIu64 "</td>",
                               value(pg, s, BN_MV_PEER_IDLE), value(pg, s, BN_MV_PEER_REQUESTS));
                for (unsigned f = 0; f < 4; f++) {
                    bn_line_printf(l, "<td>%" PRIu64 "</td>",
                                   value(pg, s, BN_MV_PEER_FAIL_CONNECT + f));
                }
            }
            bn_line_add(l, "</tr>", 5);
        }
    }
    bn_line_printf(l, "</table></div></section>");
    if (conf->ncache_zones > 0) {
        bn_line_printf(l, "<section class=\"wide\"><h2>Cache zones</h2><div class=\"scroll\"><table>"
                          "<tr><th>zone</th><th>hit</th><th>miss</th><th>stale</th><th>entries</th>"
                          "<th>bytes</th></tr>");
        for (size_t i = 0; i < conf->ncache_zones; i++) {
            const bn_conf_cache_zone_t *z = &conf->cache_zones[i];
            uint64_t v[3] = { 0, 0, 0 }, bytes;
            size_t entries;
            bn_cache_usage(z->zone, &entries, &bytes);
            const bn_metric_series_t *s = series_at(pg, z->metrics);
            if (s != NULL) {
                v[0] = value(pg, s, BN_MV_CACHE_HIT);
                v[1] = value(pg, s, BN_MV_CACHE_MISS);
                v[2] = value(pg, s, BN_MV_CACHE_STALE);
            }
            bn_line_add(l, "<tr><td>", 8);
            html(l, z->name);
            bn_line_printf(l,
                           "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
                           "</td><td>%zu</td><td>%" PRIu64 "</td></tr>",
                           v[0], v[1], v[2], entries, bytes);
        }
        bn_line_printf(l, "</table></div></section>");
    }
    EACH_SERIES(pg, BN_MK_AUTH, s)
    {
        any = true;
    }
    EACH_SERIES(pg, BN_MK_RATE, s)
    {
        any = true;
    }
    EACH_SERIES(pg, BN_MK_CONN, s)
    {
        any = true;
    }
    any |= pg->nwaf_ids > 0;
    if (any) {
        bn_line_printf(l, "<section class=\"wide\"><h2>Rejections</h2><div class=\"scroll\"><table>"
                          "<tr><th>by</th><th>requests</th></tr>");
        EACH_SERIES(pg, BN_MK_AUTH, s)
        {
            bn_line_add(l, "<tr><td>auth ", 13);
            html(l, s->label[0]);
            bn_line_printf(l, "</td><td>%" PRIu64 "</td></tr>",
                           value(pg, s, BN_MV_AUTH_UNAUTHORIZED) + value(pg, s, BN_MV_AUTH_FORBIDDEN));
        }
        EACH_SERIES(pg, BN_MK_RATE, s)
        {
            bn_line_add(l, "<tr><td>rate_limit ", 19);
            html(l, s->label[0]);
            bn_line_printf(l, "</td><td>%" PRIu64 "</td></tr>", value(pg, s, BN_MV_RATE_REJECTED));
        }
        EACH_SERIES(pg, BN_MK_CONN, s)
        {
            bn_line_add(l, "<tr><td>limit_conn ", 19);
            html(l, s->label[0]);
            bn_line_printf(l, "</td><td>%" PRIu64 "</td></tr>", value(pg, s, BN_MV_RATE_REJECTED));
        }
        for (size_t i = 0; i < pg->nwaf_ids; i++) {
            for (unsigned part = 0; part < BN_WAF_NPARTS; part++) {
                uint64_t matches, blocks;
                bn_waf_counts(conf->waf_counters, pg->waf_ids[i], part, &matches, &blocks);
                if (matches > 0 || blocks > 0) {
                    bn_line_printf(l, "<tr><td>waf %u %s</td><td>%" PRIu64 "</td></tr>",
                                   pg->waf_ids[i], bn_waf_part_name(part), blocks);
                }
            }
        }
        bn_line_printf(l, "</table></div></section>");
    }
    bn_line_add(l, "</div>", 6);
}

static void
dashboard_page(const page_t *pg, const char *nonce)
{
    const bn_metric_master_t *ms = bn_metrics_master(pg->conf->metrics);
    const char *p = bn_status_dashboard;
    bn_line_t *l = pg->l;

    for (;;) {
        const char *at = strchr(p, '@');
        if (at == NULL) {
            bn_line_add(l, p, strlen(p));
            return;
        }
        bn_line_add(l, p, (size_t) (at - p));
        if (strncmp(at, "@NONCE@", 7) == 0) {
            bn_line_add(l, nonce, strlen(nonce));
            p = at + 7;
        } else if (strncmp(at, "@HEADER@", 8) == 0) {
            int64_t up = (int64_t) time(NULL) - ms->started;
            bn_line_printf(l,
                           "<span>%s</span><span>up %" PRId64 "d %02" PRId64 ":%02" PRId64
                           "</span><span>generation %u</span><span>",
                           BN_VERSION, up / 86400, up % 86400 / 3600, up % 3600 / 60,
                           ms->generation);
            html(l, ms->config);
            bn_line_add(l, "</span>", 7);
            p = at + 8;
        } else if (strncmp(at, "@TABLES@", 8) == 0) {
            dashboard_tables(pg);
            p = at + 8;
        } else {
            bn_line_add(l, "@", 1);
            p = at + 1;
        }
    }
}

/* ---- the pages ----------------------------------------------------------------------- */

static int
by_id(const void *a, const void *b)
{
    unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;

    return x < y ? -1 : x > y;
}

/* Every rule id of the running rule sets, once each (the built-in rules
 * are in every set). */
static void
gather_waf_ids(bn_pool_t *pool, page_t *pg)
{
    bn_conf_t *conf = pg->conf;
    size_t n = 0, k = 0;

    for (size_t i = 0; i < conf->nwaf_rules; i++) {
        n += conf->waf_rules[i]->nrules;
    }
    pg->waf_ids = n > 0 ? bn_palloc(pool, sizeof(unsigned) * n) : NULL;
    if (pg->waf_ids == NULL) {
        return;
    }
    for (size_t i = 0; i < conf->nwaf_rules; i++) {
        for (size_t j = 0; j < conf->waf_rules[i]->nrules; j++) {
            pg->waf_ids[k++] = conf->waf_rules[i]->rules[j].id;
        }
    }
    qsort(pg->waf_ids, n, sizeof(unsigned), by_id);
    for (size_t i = 0; i < n; i++) {
        if (pg->nwaf_ids == 0 || pg->waf_ids[pg->nwaf_ids - 1] != pg->waf_ids[i]) {
            pg->waf_ids[pg->nwaf_ids++] = pg->waf_ids[i];
        }
    }
}

const char *
bn_status_page(bn_conf_t *conf, bn_pool_t *pool, bn_status_page_t which, const char *nonce)
{
    page_t pg;
    bn_line_t line;
    size_t size;
    char *buf;

    if (conf->metrics == NULL) {
        return NULL;
    }
    memset(&pg, 0, sizeof(pg));
    pg.conf = conf;
    pg.m = conf->metrics;
    pg.series = bn_metrics_list(conf->metrics, &pg.nseries);
    gather_waf_ids(pool, &pg);
    /* Room for the largest page the series can make: a histogram's lines
     * are the longest, under 200 bytes a bucket. */
    size = 64 * 1024 + strlen(bn_status_dashboard)
           + pg.nseries * (BN_METRICS_MAX_BUCKETS + 12) * 200 + pg.nwaf_ids * BN_WAF_NPARTS * 200;
    for (size_t i = 0; i < conf->nupstreams; i++) {
        size += conf->upstreams[i].npeers * 1024;
    }
    buf = bn_palloc(pool, size);
    if (buf == NULL) {
        return NULL;
    }
    bn_line_init(&line, buf, size);
    pg.l = &line;
    switch (which) {
    case BN_STATUS_METRICS:
        metrics_page(&pg);
        break;
    case BN_STATUS_JSON:
        json_page(&pg);
        break;
    case BN_STATUS_DASHBOARD:
        dashboard_page(&pg, nonce);
        break;
    }
    return line.cut ? NULL : line.data;
}
