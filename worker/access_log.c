/*
 * access_log.c: one line per request, in Apache's combined format (what
 * GoAccess and friends read) or as one JSON object, written with a single
 * write(2) so lines from several workers never interleave.
 */
#include "http.h"
#include "../common/clock.h"

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

/* Copies s into out, escaping what could break the line or the quoting:
 * '"' and '\\' get a backslash, other bytes outside 0x20-0x7e become \xHH
 * (combined) or \u00HH (JSON). */
static size_t
escape(char *out, size_t room, const char *s, bool json)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (; *s != '\0' && n + 7 < room; s++) {
        unsigned char ch = (unsigned char) *s;
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char) ch;
        } else if (ch < 0x20 || ch > 0x7e) {
            if (json) {
                memcpy(out + n, "\\u00", 4);
                n += 4;
            } else {
                out[n++] = '\\';
                out[n++] = 'x';
            }
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        } else {
            out[n++] = (char) ch;
        }
    }
    out[n] = '\0';
    return n;
}

/* Appends a JSON string value, or null. */
static size_t
json_str(char *out, size_t room, const char *key, const char *v)
{
    size_t n;

    if (room < 16) {
        return 0;
    }
    n = (size_t) snprintf(out, room, ",\"%s\":", key);
    if (n >= room) {
        return room - 1;
    }
    if (v == NULL) {
        n += (size_t) snprintf(out + n, room - n, "null");
        return BN_MIN(n, room - 1);
    }
    out[n++] = '"';
    n += escape(out + n, room - n - 2, v, true);
    out[n++] = '"';
    out[n] = '\0';
    return n;
}

void
bn_access_log_write(bn_request_t *r)
{
    char line[8192], a[2048], b[512], c2[512];
    bn_client_t *c = r->client;
    int n = 0;
    size_t len;

    if (log_fd == -1 || log_format == BN_ACCESS_OFF) {
        return;
    }
    if (log_format == BN_ACCESS_COMBINED) {
        if (r->method != NULL && r->target != NULL) {
            char t[1024];
            escape(t, sizeof(t), r->target, false);
            escape(b, sizeof(b), r->method, false);
            snprintf(a, sizeof(a), "%s %s HTTP/1.%d", b, t, r->version == 10 ? 0 : 1);
        } else {
            snprintf(a, sizeof(a), "-");
        }
        escape(b, sizeof(b), r->referer ? r->referer : "-", false);
        escape(c2, sizeof(c2), r->user_agent ? r->user_agent : "-", false);
        n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %" PRIu64 " \"%s\" \"%s\"\n",
                     r->remote_addr ? r->remote_addr : r->peer_text, bn_time_combined(), a,
                     r->status, r->bytes_sent, b, c2);
    } else {
        char proto[16];
        len = 0;
        snprintf(proto, sizeof(proto), "HTTP/1.%d", r->version == 10 ? 0 : 1);
        len += (size_t) snprintf(line, sizeof(line), "{\"time\":\"%s\"", bn_time_iso8601());
        len += json_str(line + len, sizeof(line) - len, "remote_addr",
                        r->remote_addr ? r->remote_addr : r->peer_text);
        len += json_str(line + len, sizeof(line) - len, "request_id", bn_request_id(r));
        len += json_str(line + len, sizeof(line) - len, "method", r->method);
        len += json_str(line + len, sizeof(line) - len, "uri", r->target);
        len += json_str(line + len, sizeof(line) - len, "protocol", r->method ? proto : NULL);
        len += (size_t) snprintf(line + len, sizeof(line) - len,
                                 ",\"status\":%d,\"bytes_sent\":%" PRIu64 ",\"request_time\":%.3f",
                                 r->status, r->bytes_sent,
                                 (double) (bn_current_msec - r->start_msec) / 1000.0);
        if (r->upstream_msec >= 0) {
            len += (size_t) snprintf(line + len, sizeof(line) - len, ",\"upstream_time\":%.3f",
                                     (double) r->upstream_msec / 1000.0);
        } else {
            len += (size_t) snprintf(line + len, sizeof(line) - len, ",\"upstream_time\":null");
        }
        len += json_str(line + len, sizeof(line) - len, "upstream_addr",
                        r->upstream_addr[0] ? r->upstream_addr : NULL);
        if (r->upstream_status > 0) {
            len += (size_t) snprintf(line + len, sizeof(line) - len, ",\"upstream_status\":%d",
                                     r->upstream_status);
        } else {
            len += (size_t) snprintf(line + len, sizeof(line) - len, ",\"upstream_status\":null");
        }
        len += json_str(line + len, sizeof(line) - len, "cache", r->cache_status);
        len += json_str(line + len, sizeof(line) - len, "user_agent", r->user_agent);
        len += json_str(line + len, sizeof(line) - len, "referer", r->referer);
        len += (size_t) snprintf(line + len, sizeof(line) - len, ",\"worker_pid\":%d",
                                 (int) bn_worker_pid);
        len += json_str(line + len, sizeof(line) - len, "tls_protocol", bn_tls_protocol(&c->conn));
        len += (size_t) snprintf(line + len, sizeof(line) - len, ",\"tls_resumed\":%s",
                                 c->conn.ssl == NULL        ? "null"
                                 : bn_tls_resumed(&c->conn) ? "true"
                                                            : "false");
        len += json_str(line + len, sizeof(line) - len, "tls_client_subject", c->client_subject);
        len += (size_t) snprintf(line + len, sizeof(line) - len, "}\n");
        n = (int) BN_MIN(len, sizeof(line) - 1);
        if (line[n - 1] != '\n') {
            line[n - 1] = '\n';
        }
    }
    if (n > 0 && write(log_fd, line, BN_MIN((size_t) n, sizeof(line) - 1)) == -1) {
        bn_log_error(BN_LOG_ERR, NULL, errno, "cannot write the access log");
    }
}
