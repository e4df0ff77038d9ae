/*
 * access_log.c: one line per request, in Apache's combined format (what
 * GoAccess and friends read) or as one JSON object, written with a single
 * write(2) so lines from several workers never interleave.
 */
#include "access_log.h"
#include "tls.h"
#include "variables.h"
#include "worker_state.h"
#include "../common/clock.h"
#include "../common/str.h"

static int log_fd = -1;
static int log_format = BN_ACCESS_COMBINED;

void
bn_access_log_set_fd(int fd, int format)
{
    log_fd = fd;
    log_format = format;
}

int
bn_access_log_fd(void)
{
    return log_fd;
}

/*
 * The most of one field that goes into a line, escaped.  What a client sends
 * can be as long as the request head allows (and grow 6x when escaped); the
 * caps keep the whole line within ACCESS_LINE_MAX, so a line is only ever cut by its
 * own fields, each ending in "..." where it was.
 */
#define ACCESS_LINE_MAX 16384
#define FIELD_URI 8192
#define FIELD_HEADER 2048
#define FIELD_SHORT 256

/* Appends ,"key":"value" (escaped, at most max bytes of it), or ,"key":null. */
static void
json_str(bn_line_t *l, const char *key, const char *v, size_t max)
{
    bn_line_printf(l, ",\"%s\":", key);
    if (v == NULL) {
        bn_line_add(l, "null", 4);
        return;
    }
    bn_line_add(l, "\"", 1);
    bn_line_escape(l, v, max, BN_ESCAPE_JSON);
    bn_line_add(l, "\"", 1);
}

static void
write_combined(bn_line_t *l, bn_request_t *r)
{
    bn_line_printf(l, "%s - ", r->remote_addr ? r->remote_addr : r->peer_text);
    if (r->auth_user != NULL && r->auth_user[0] != '\0') {
        bn_line_escape(l, r->auth_user, FIELD_SHORT, BN_ESCAPE_LOG);
    } else {
        bn_line_add(l, "-", 1);
    }
    bn_line_printf(l, " [%s] \"", bn_time_combined());
    if (r->method != NULL && r->target != NULL) {
        bn_line_escape(l, r->method, FIELD_SHORT, BN_ESCAPE_LOG);
        bn_line_add(l, " ", 1);
        bn_line_escape(l, r->target, FIELD_URI, BN_ESCAPE_LOG);
        bn_line_printf(l, " HTTP/1.%d", r->version == 10 ? 0 : 1);
    } else {
        bn_line_add(l, "-", 1);
    }
    bn_line_printf(l, "\" %d %" PRIu64 " \"", r->status, r->bytes_sent);
    bn_line_escape(l, r->referer ? r->referer : "-", FIELD_HEADER, BN_ESCAPE_LOG);
    bn_line_add(l, "\" \"", 3);
    bn_line_escape(l, r->user_agent ? r->user_agent : "-", FIELD_HEADER, BN_ESCAPE_LOG);
    bn_line_add(l, "\"", 1);
}

static void
write_json(bn_line_t *l, bn_request_t *r)
{
    bn_client_t *c = r->client;
    char proto[16];

    snprintf(proto, sizeof(proto), "HTTP/1.%d", r->version == 10 ? 0 : 1);
    bn_line_printf(l, "{\"time\":\"%s\"", bn_time_iso8601());
    json_str(l, "remote_addr", r->remote_addr ? r->remote_addr : r->peer_text, FIELD_SHORT);
    json_str(l, "request_id", bn_request_id(r), FIELD_SHORT);
    json_str(l, "method", r->method, FIELD_SHORT);
    json_str(l, "uri", r->target, FIELD_URI);
    json_str(l, "protocol", r->method ? proto : NULL, FIELD_SHORT);
    bn_line_printf(l, ",\"status\":%d,\"bytes_sent\":%" PRIu64 ",\"request_time\":%.3f",
                   r->status, r->bytes_sent,
                   (double) (bn_current_msec - r->start_msec) / 1000.0);
    /* The whole request: head and body, or for a tunnel all it brought. */
    bn_line_printf(l, ",\"bytes_received\":%" PRIu64,
                   (uint64_t) r->head.head_len + r->req_pipe.body_in + r->bytes_received);
    if (r->upstream_msec >= 0) {
        bn_line_printf(l, ",\"upstream_time\":%.3f", (double) r->upstream_msec / 1000.0);
    } else {
        bn_line_printf(l, ",\"upstream_time\":null");
    }
    json_str(l, "upstream_addr", r->upstream_addr[0] ? r->upstream_addr : NULL, FIELD_SHORT);
    if (r->upstream_status > 0) {
        bn_line_printf(l, ",\"upstream_status\":%d", r->upstream_status);
    } else {
        bn_line_printf(l, ",\"upstream_status\":null");
    }
    json_str(l, "cache", r->cache_status, FIELD_SHORT);
    json_str(l, "user_agent", r->user_agent, FIELD_HEADER);
    json_str(l, "referer", r->referer, FIELD_HEADER);
    bn_line_printf(l, ",\"worker_pid\":%d", (int) bn_worker_pid);
    json_str(l, "tls_protocol", bn_tls_protocol(&c->conn), FIELD_SHORT);
    bn_line_printf(l, ",\"tls_resumed\":%s",
                   c->conn.ssl == NULL        ? "null"
                   : bn_tls_resumed(&c->conn) ? "true"
                                              : "false");
    json_str(l, "tls_client_subject", c->client_subject, FIELD_HEADER);
    json_str(l, "auth_user", r->auth_user, FIELD_SHORT);
    json_str(l, "rate_limit", r->rate_limit, FIELD_SHORT);
    json_str(l, "waf", r->waf_rules, FIELD_SHORT);
    bn_line_add(l, "}", 1);
}

void
bn_access_log_write(bn_request_t *r)
{
    char buf[ACCESS_LINE_MAX];
    bn_line_t line;

    if (log_fd == -1 || log_format == BN_ACCESS_OFF) {
        return;
    }
    /* Room for the newline is kept out of the line itself. */
    bn_line_init(&line, buf, sizeof(buf) - 1);
    if (log_format == BN_ACCESS_COMBINED) {
        write_combined(&line, r);
    } else {
        write_json(&line, r);
    }
    /* The caps above keep this from happening; if it ever does, say so. */
    bn_line_mark_cut(&line, log_format == BN_ACCESS_COMBINED ? " [cut]" : "\"}");
    buf[line.len++] = '\n';
    if (write(log_fd, buf, line.len) == -1) {
        bn_log_error(BN_LOG_ERR, NULL, errno, "cannot write the access log");
    }
}
