/*
 * access_log.c: one line per request, in Apache's combined format (what
 * GoAccess and friends read) or as one JSON object, written with a single
 * write(2) so lines from several workers never interleave.
 */
#include "access_log.h"
#include "request.h"
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
        bn_line_printf(l, " %s", bn_request_protocol(r));
    } else {
        bn_line_add(l, "-", 1);
    }
    bn_line_printf(l, "\" %d %" PRIu64 " \"", r->status, r->bytes_sent);
    bn_line_escape(l, r->referer ? r->referer : "-", FIELD_HEADER, BN_ESCAPE_LOG);
    bn_line_add(l, "\" \"", 3);
    bn_line_escape(l, r->user_agent ? r->user_agent : "-", FIELD_HEADER, BN_ESCAPE_LOG);
    bn_line_add(l, "\"", 1);
}

/* The most of a variable's value in a line: a URI's, or any other's. */
static size_t
field_max(bn_var_kind_t kind)
{
    switch (kind) {
    case BN_VAR_URI:
    case BN_VAR_REQUEST_URI:
    case BN_VAR_ARGS:
        return FIELD_URI;
    default:
        return FIELD_HEADER;
    }
}

/*
 * The JSON line's keys, each the log variable of its name (bn_var_value()),
 * so a template can say whatever this says.  RAW: a number or true/false,
 * written as it is; else a string, quoted and escaped.  null where the
 * variable does not apply.
 */
enum { JSON_STRING = 0, JSON_RAW };

static const struct {
    const char *key;
    bn_var_kind_t kind;
    uint8_t type;
    uint16_t max; /* the most of its value, escaped (the caps above) */
} json_keys[] = {
    { "time", BN_VAR_TIME, JSON_STRING, FIELD_SHORT },
    { "remote_addr", BN_VAR_REMOTE_ADDR, JSON_STRING, FIELD_SHORT },
    { "request_id", BN_VAR_REQUEST_ID, JSON_STRING, FIELD_SHORT },
    { "method", BN_VAR_METHOD, JSON_STRING, FIELD_SHORT },
    { "uri", BN_VAR_LITERAL, JSON_STRING, FIELD_URI }, /* r->target: as sent upstream, rewritten */
    { "protocol", BN_VAR_PROTOCOL, JSON_STRING, FIELD_SHORT },
    { "status", BN_VAR_STATUS, JSON_RAW, FIELD_SHORT },
    { "bytes_sent", BN_VAR_BYTES_SENT, JSON_RAW, FIELD_SHORT },
    { "request_time", BN_VAR_REQUEST_TIME, JSON_RAW, FIELD_SHORT },
    { "bytes_received", BN_VAR_BYTES_RECEIVED, JSON_RAW, FIELD_SHORT },
    { "upstream_time", BN_VAR_UPSTREAM_TIME, JSON_RAW, FIELD_SHORT },
    { "upstream_addr", BN_VAR_UPSTREAM_ADDR, JSON_STRING, FIELD_SHORT },
    { "upstream_status", BN_VAR_UPSTREAM_STATUS, JSON_RAW, FIELD_SHORT },
    { "cache", BN_VAR_CACHE, JSON_STRING, FIELD_SHORT },
    { "user_agent", BN_VAR_USER_AGENT, JSON_STRING, FIELD_HEADER },
    { "referer", BN_VAR_REFERER, JSON_STRING, FIELD_HEADER },
    { "worker_pid", BN_VAR_WORKER_PID, JSON_RAW, FIELD_SHORT },
    { "tls_protocol", BN_VAR_TLS_PROTOCOL, JSON_STRING, FIELD_SHORT },
    { "tls_resumed", BN_VAR_TLS_RESUMED, JSON_RAW, FIELD_SHORT },
    { "tls_client_subject", BN_VAR_SSL_CLIENT_SUBJECT, JSON_STRING, FIELD_HEADER },
    { "auth_user", BN_VAR_AUTH_USER, JSON_STRING, FIELD_SHORT },
    { "rate_limit", BN_VAR_RATE_LIMIT, JSON_STRING, FIELD_SHORT },
    { "waf", BN_VAR_WAF, JSON_STRING, FIELD_SHORT },
    { "trace_id", BN_VAR_TRACE_ID, JSON_STRING, FIELD_SHORT },
};

static void
write_json(bn_line_t *l, bn_request_t *r)
{
    char num[BN_VAR_NUM];

    for (size_t i = 0; i < BN_NELEMS(json_keys); i++) {
        bn_template_part_t part = { .kind = json_keys[i].kind };
        const char *v;
        size_t len;

        bn_line_printf(l, "%s\"%s\":", i == 0 ? "{" : ",", json_keys[i].key);
        if (json_keys[i].kind == BN_VAR_LITERAL) {
            v = r->target;
            len = v != NULL ? strlen(v) : 0;
        } else {
            bn_var_value(r, &part, num, &v, &len);
        }
        if (v == NULL) {
            bn_line_add(l, "null", 4);
        } else if (json_keys[i].type == JSON_RAW) {
            bn_line_add(l, v, len);
        } else {
            bn_line_add(l, "\"", 1);
            bn_line_escape_bytes(l, v, len, json_keys[i].max, BN_ESCAPE_JSON);
            bn_line_add(l, "\"", 1);
        }
    }
    bn_line_add(l, "}", 1);
}

/*
 * log.access.format as a template: literals as written, each variable's
 * value escaped as the combined format escapes (a quote, a backslash, a
 * control byte: a client cannot end the line or forge a field), and "-"
 * for one that is empty or does not apply, so fields never vanish.
 */
static void
write_template(bn_line_t *l, bn_request_t *r, const bn_template_t *t)
{
    char num[BN_VAR_NUM];

    for (size_t i = 0; i < t->nparts; i++) {
        const bn_template_part_t *part = &t->parts[i];
        const char *v;
        size_t len;

        if (part->kind == BN_VAR_LITERAL) {
            bn_line_add(l, part->text, part->len);
        } else if (!bn_var_value(r, part, num, &v, &len) || len == 0) {
            bn_line_add(l, "-", 1);
        } else {
            bn_line_escape_bytes(l, v, len, field_max(part->kind), BN_ESCAPE_LOG);
        }
    }
}

/*
 * log.slow_request: a request whose whole time passed it gets a warn line
 * with where the time went: reading the head, ACCESS (auth, limits, WAF,
 * their waits), connecting to the upstream (0 for a pooled connection),
 * waiting for its first byte, and in all.
 */
#define SLOW_URI 1024 /* an error log line holds 2 KiB, its context too */

static void
log_slow(bn_request_t *r)
{
    uint64_t limit = bn_heritage.conf->slow_request;
    bn_msec_t total = bn_current_msec - r->start_msec, access = 0;
    char buf[SLOW_URI + 512], up[96];
    bn_line_t l;

    if (limit == 0 || total <= limit) {
        return;
    }
    /* A request answered in ACCESS (a 401, a WAF block) ends there: now. */
    if (r->access_start_msec != 0) {
        access = (r->access_end_msec ? r->access_end_msec : bn_current_msec)
                 - r->access_start_msec;
    }
    bn_line_init(&l, buf, sizeof(buf));
    bn_line_printf(&l, "slow request: %" PRIu64 "ms, head %" PRIu64 "ms, access %" PRIu64 "ms, ",
                   (uint64_t) total,
                   (uint64_t) (r->head_msec ? r->head_msec - r->start_msec : total),
                   (uint64_t) access);
    if (r->upstream_ready_msec != 0) {
        snprintf(up, sizeof(up), "upstream connect %" PRIu64 "ms, ",
                 (uint64_t) (r->upstream_ready_msec - r->upstream_start_msec));
    } else {
        snprintf(up, sizeof(up), "upstream connect -, ");
    }
    bn_line_add(&l, up, strlen(up));
    if (r->upstream_first_msec != 0) {
        bn_line_printf(&l, "first byte %" PRIu64 "ms, ",
                       (uint64_t) (r->upstream_first_msec - r->upstream_start_msec));
    } else {
        bn_line_add(&l, "first byte -, ", 14);
    }
    bn_line_add(&l, "method ", 7);
    bn_line_escape(&l, r->method ? r->method : "-", FIELD_SHORT, BN_ESCAPE_LOG);
    bn_line_add(&l, ", uri \"", 7);
    bn_line_escape(&l, r->target ? r->target : "-", SLOW_URI, BN_ESCAPE_LOG);
    bn_line_printf(&l, "\", status %d, request id ", r->status);
    bn_line_escape(&l, bn_request_id(r), FIELD_SHORT, BN_ESCAPE_LOG);
    bn_log_error(BN_LOG_WARN, &r->client->log, 0, "%s", buf);
}

void
bn_access_log_write(bn_request_t *r)
{
    char buf[ACCESS_LINE_MAX];
    bn_line_t line;

    log_slow(r);
    if (log_fd == -1 || log_format == BN_ACCESS_OFF) {
        return;
    }
    /* Room for the newline is kept out of the line itself. */
    bn_line_init(&line, buf, sizeof(buf) - 1);
    if (log_format == BN_ACCESS_COMBINED) {
        write_combined(&line, r);
    } else if (log_format == BN_ACCESS_JSON) {
        write_json(&line, r);
    } else {
        /* A template's line can outgrow the caps: its own marker says so. */
        write_template(&line, r, &bn_heritage.conf->access_template);
    }
    /* The caps above keep this from happening; if it ever does, say so. */
    bn_line_mark_cut(&line, log_format == BN_ACCESS_JSON ? "\"}" : " [cut]");
    buf[line.len++] = '\n';
    if (write(log_fd, buf, line.len) == -1) {
        bn_log_error(BN_LOG_ERR, NULL, errno, "cannot write the access log");
    }
}
