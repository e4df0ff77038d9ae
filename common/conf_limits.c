/* conf_limits.c: the limits group: timeouts and sizes of client requests. */
#include "conf_load.h"

#include <limits.h>

void
bn_conf_load_limits(bn_conf_loader_t *ld, const config_setting_t *root)
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
        "waf_body_memory",
        "http2_max_concurrent_streams",
        "http2_max_header_list_size",
        "http2_idle_timeout",
        "http2_max_resets",
        "compress_memory",
        NULL,
    };
    bn_conf_limits_t *l = &ld->conf->limits;
    config_setting_t *g = bn_conf_section(ld, (config_setting_t *) root, "limits");

    if (g != NULL) {
        bn_conf_check_known(ld, g, keys);
    }
    /* get_* take the default when g (and so the setting) is absent. */
    l->header_timeout = bn_conf_get_duration(ld, g, "header_timeout", "10s");
    l->body_timeout = bn_conf_get_duration(ld, g, "body_timeout", "60s");
    l->send_timeout = bn_conf_get_duration(ld, g, "send_timeout", "60s");
    l->keepalive_timeout = bn_conf_get_duration(ld, g, "keepalive_timeout", "75s");
    l->keepalive_requests = bn_conf_get_uint(ld, g, "keepalive_requests", 1000, 0, INT_MAX);
    l->max_header_size = bn_conf_get_size(ld, g, "max_header_size", "16k");
    l->max_headers = bn_conf_get_uint(ld, g, "max_headers", 100, 1, 10000);
    l->max_body_size = bn_conf_get_size(ld, g, "max_body_size", "1m");
    l->max_upstream_header_size = bn_conf_get_size(ld, g, "max_upstream_header_size", "16k");
    l->tls_handshake_timeout = bn_conf_get_duration(ld, g, "tls_handshake_timeout", "10s");
    l->lingering_timeout = bn_conf_get_duration(ld, g, "lingering_timeout", "5s");
    l->waf_body_memory = bn_conf_get_size(ld, g, "waf_body_memory", "64m");
    l->http2_max_concurrent_streams =
        bn_conf_get_uint(ld, g, "http2_max_concurrent_streams", 128, 1, 65536);
    l->http2_idle_timeout = bn_conf_get_duration(ld, g, "http2_idle_timeout", "3m");
    l->http2_max_resets = bn_conf_get_uint(ld, g, "http2_max_resets", 100, 0, 1000000);
    /* "0" is allowed: compression configured but never started. */
    l->compress_memory = bn_conf_get_size(ld, g, "compress_memory", "64m");

    if (l->max_header_size < 1024 || l->max_header_size > 1024 * 1024) {
        bn_conf_err(ld, bn_conf_member(g, "max_header_size"), "expected from \"1k\" to \"1m\"");
        l->max_header_size = 16384;
    }
    if (l->max_upstream_header_size < 1024 || l->max_upstream_header_size > 1024 * 1024) {
        bn_conf_err(ld, bn_conf_member(g, "max_upstream_header_size"),
                    "expected from \"1k\" to \"1m\"");
        l->max_upstream_header_size = 16384;
    }
    /* The request line is part of the head: a max_header_size below "8k"
     * lowers the default max_uri_size rather than making it an error. */
    l->max_uri_size = bn_conf_member(g, "max_uri_size") != NULL
                          ? bn_conf_get_size(ld, g, "max_uri_size", "8k")
                          : BN_MIN(8192, l->max_header_size);
    if (l->max_uri_size < 16 || l->max_uri_size > l->max_header_size) {
        bn_conf_err(ld, bn_conf_member(g, "max_uri_size"),
                    "expected from \"16\" to max_header_size");
        l->max_uri_size = BN_MIN(8192, l->max_header_size);
    }
    /* HPACK-decoded, with RFC 9113's 32 bytes per field: what a stream's
     * fields may amount to, as max_header_size bounds an HTTP/1.1 head. */
    l->http2_max_header_list_size =
        bn_conf_member(g, "http2_max_header_list_size") != NULL
            ? bn_conf_get_size(ld, g, "http2_max_header_list_size", "16k")
            : l->max_header_size;
    if (l->http2_max_header_list_size < 1024 || l->http2_max_header_list_size > 1024 * 1024) {
        bn_conf_err(ld, bn_conf_member(g, "http2_max_header_list_size"),
                    "expected from \"1k\" to \"1m\"");
        l->http2_max_header_list_size = l->max_header_size;
    }
}
