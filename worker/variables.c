/*
 * variables.c: the values of template variables for one request.
 */
#include "variables.h"
#include "request.h"
#include "tls.h"
#include "trace.h"
#include "worker_state.h"
#include "../common/clock.h"
#include "../common/json.h"
#include "../common/str.h"

#include <stdarg.h>
#include <strings.h>

/* The values of every request header named name, joined with ", ". */
static void
header_values(bn_request_t *r, const char *name, size_t nlen, const char **v, size_t *len, char sep)
{
    const char *buf = r->client->in.start;
    char *joined = NULL;
    size_t jl = 0;

    *v = NULL;
    *len = 0;
    for (unsigned i = 0; i < r->head.nheaders; i++) {
        const bn_http_header_t *h = &r->head.headers[i];
        if (!bn_strncaseeq(buf + h->name, h->name_len, name, nlen)) {
            continue;
        }
        if (*v == NULL) {
            *v = buf + h->value;
            *len = h->value_len;
            continue;
        }
        /* A second line: join into the pool (RFC 9110 5.3). */
        joined = bn_palloc(r->pool, jl = *len + 2 + h->value_len);
        if (joined == NULL) {
            return;
        }
        memcpy(joined, *v, *len);
        joined[*len] = sep;
        joined[*len + 1] = ' ';
        memcpy(joined + *len + 2, buf + h->value, h->value_len);
        *v = joined;
        *len = jl;
    }
}

/*
 * The client's X-Request-Id when it is one of 1 to 128 printable ASCII
 * characters (0x21-0x7e: no space, no control byte, so it is safe in a
 * header and a log line); several lines read as one list, which has a
 * space, so they never are.  Only a head parsed whole is read.
 */
static bool
client_request_id(bn_request_t *r)
{
    const char *v;
    size_t len;

    if (r->head.head_len == 0 || r->client == NULL || r->client->in.start == NULL) {
        return false;
    }
    header_values(r, "x-request-id", 12, &v, &len, ',');
    if (v == NULL || len == 0 || len >= sizeof(r->request_id)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char) v[i] < 0x21 || (unsigned char) v[i] > 0x7e) {
            return false;
        }
    }
    memcpy(r->request_id, v, len);
    r->request_id[len] = '\0';
    return true;
}

const char *
bn_request_id(bn_request_t *r)
{
    static uint64_t id_seed, id_counter;

    if (r->request_id[0] == '\0' && !client_request_id(r)) {
        if (id_seed == 0) {
            id_seed = bn_random64();
        }
        snprintf(r->request_id, sizeof(r->request_id), "%016" PRIx64 "%016" PRIx64, id_seed,
                 ++id_counter);
    }
    return r->request_id;
}

/* Finds name=value in a list "a=1; b=2" (cookies) or "a=1&b=2" (query). */
static void
list_value(const char *s, size_t slen, char sep, const char *name, size_t nlen, const char **v,
           size_t *len)
{
    const char *p = s, *end = s + slen;

    *v = NULL;
    *len = 0;
    while (p < end) {
        const char *item, *eq, *next;
        while (p < end && (*p == ' ' || *p == sep)) {
            p++;
        }
        item = p;
        next = memchr(p, sep, (size_t) (end - p));
        if (next == NULL) {
            next = end;
        }
        eq = memchr(item, '=', (size_t) (next - item));
        if (eq != NULL && (size_t) (eq - item) == nlen && memcmp(item, name, nlen) == 0) {
            *v = eq + 1;
            *len = (size_t) (next - eq - 1);
            return;
        }
        p = next;
    }
}

static void
cookie_value(bn_request_t *r, const char *name, size_t nlen, const char **v, size_t *len)
{
    const char *c;
    size_t cl;

    *v = NULL;
    *len = 0;
    header_values(r, "cookie", 6, &c, &cl, ';');
    if (c != NULL) {
        list_value(c, cl, ';', name, nlen, v, len);
    }
}

void
bn_var_cookie(bn_request_t *r, const char *name, const char **v, size_t *len)
{
    cookie_value(r, name, strlen(name), v, len);
}

void
bn_var_credential(bn_request_t *r, int kind, const char *name, size_t nlen, const char **v,
                  size_t *len)
{
    const char *q;

    *v = NULL;
    *len = 0;
    switch (kind) {
    case BN_FROM_HEADER:
        header_values(r, name, nlen, v, len, ',');
        break;
    case BN_FROM_COOKIE:
        cookie_value(r, name, nlen, v, len);
        break;
    case BN_FROM_QUERY:
        q = strchr(r->request_uri, '?');
        if (q != NULL) {
            list_value(q + 1, strlen(q + 1), '&', name, nlen, v, len);
        }
        break;
    }
}

/*
 * A scalar claim as text: a string as it is, a number as written.  A
 * string with a control character (JSON's \r, \n, \u0000) is none: in a
 * header value it would end the line, or cut the value short.
 */
static bool
claim_text(const bn_json_t *j, const char **v, size_t *len)
{
    switch (j->type) {
    case BN_JSON_STRING:
    case BN_JSON_NUMBER:
        if (bn_str_has_ctl(j->str, j->len)) {
            return false;
        }
        *v = j->str;
        *len = j->len;
        return true;
    case BN_JSON_TRUE:
        *v = "true";
        *len = 4;
        return true;
    case BN_JSON_FALSE:
        *v = "false";
        *len = 5;
        return true;
    default:
        return false;
    }
}

/* $jwt_claim_<name>: a top-level claim; an array's scalars joined with ",". */
static void
jwt_claim(bn_request_t *r, const char *name, size_t nlen, const char **v, size_t *len)
{
    const bn_json_t *j = NULL;
    size_t total = 0, n;
    char *out, *p;

    if (r->jwt_claims == NULL) {
        return;
    }
    for (const bn_json_t *m = r->jwt_claims->child; m != NULL; m = m->next) {
        if (m->key_len == nlen && memcmp(m->key, name, nlen) == 0) {
            j = m;
        }
    }
    if (j == NULL || claim_text(j, v, len) || j->type != BN_JSON_ARRAY) {
        return;
    }
    for (const bn_json_t *e = j->child; e != NULL; e = e->next) {
        total += claim_text(e, v, &n) ? n + 1 : 0;
    }
    *v = "";
    *len = 0;
    if (total == 0 || (out = bn_palloc(r->pool, total)) == NULL) {
        return;
    }
    p = out;
    for (const bn_json_t *e = j->child; e != NULL; e = e->next) {
        const char *s;
        if (claim_text(e, &s, &n)) {
            if (p > out) {
                *p++ = ',';
            }
            memcpy(p, s, n);
            p += n;
        }
    }
    *v = out;
    *len = (size_t) (p - out);
}

/* A number's text in num (BN_VAR_NUM bytes). */
static void number(char *num, const char **v, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
number(char *num, const char **v, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(num, BN_VAR_NUM, fmt, ap);
    va_end(ap);
    *v = num;
    *len = n < 0 ? 0 : BN_MIN((size_t) n, BN_VAR_NUM - 1);
}

bool
bn_var_value(bn_request_t *r, const bn_template_part_t *part, char *num, const char **v,
             size_t *len)
{
    const char *q;

    *v = NULL;
    *len = 0;
    switch (part->kind) {
    case BN_VAR_LITERAL:
        *v = part->text;
        *len = part->len;
        return true;
    case BN_VAR_REMOTE_ADDR:
        /* A head refused before POST_READ has the connection's address. */
        *v = r->remote_addr ? r->remote_addr : r->peer_text;
        break;
    case BN_VAR_HOST:
        *v = r->host;
        break;
    case BN_VAR_URI:
        *v = r->path;
        break;
    case BN_VAR_REQUEST_URI:
        *v = r->request_uri;
        break;
    case BN_VAR_ARGS:
        q = r->request_uri ? strchr(r->request_uri, '?') : NULL;
        *v = q ? q + 1 : NULL;
        break;
    case BN_VAR_METHOD:
        *v = r->method;
        break;
    case BN_VAR_SCHEME:
        *v = r->client->conn.ssl != NULL ? "https" : "http";
        break;
    case BN_VAR_SERVER_NAME:
        *v = r->server && r->server->nnames ? r->server->names[0] : NULL;
        break;
    case BN_VAR_SSL_CLIENT_SUBJECT:
        *v = r->client->client_subject;
        break;
    case BN_VAR_REQUEST_ID:
        *v = bn_request_id(r);
        break;
    case BN_VAR_AUTH_USER:
        *v = r->auth_user;
        break;
    case BN_VAR_AUTH_METHOD:
        *v = r->auth_user ? r->auth_method : NULL;
        break;
    case BN_VAR_API_KEY_NAME:
        *v = r->api_key_name;
        break;
    case BN_VAR_JWT_CLAIM:
        jwt_claim(r, part->text, part->len, v, len);
        return *v != NULL;
    case BN_VAR_HTTP:
        header_values(r, part->text, part->len, v, len, ',');
        return *v != NULL;
    case BN_VAR_COOKIE:
        cookie_value(r, part->text, part->len, v, len);
        return *v != NULL;
    case BN_VAR_ARG:
        q = r->request_uri ? strchr(r->request_uri, '?') : NULL;
        if (q != NULL) {
            list_value(q + 1, strlen(q + 1), '&', part->text, part->len, v, len);
        }
        return *v != NULL;
    case BN_VAR_CAPTURE:
        if (part->len < r->ncaptures) {
            size_t s = r->captures[2 * part->len], e = r->captures[2 * part->len + 1];
            if (s != (size_t) -1 && e >= s) {
                *v = r->path + s;
                *len = e - s;
            }
        }
        return *v != NULL;

    /* The access log's: what the JSON line says, null there where *v is NULL here. */
    case BN_VAR_TIME:
        *v = bn_time_iso8601();
        break;
    case BN_VAR_PROTOCOL:
        *v = r->method == NULL ? NULL : bn_request_protocol(r);
        break;
    case BN_VAR_STATUS:
        number(num, v, len, "%d", r->status);
        return true;
    case BN_VAR_BYTES_SENT:
        number(num, v, len, "%" PRIu64, r->bytes_sent);
        return true;
    case BN_VAR_BYTES_RECEIVED:
        /* The whole request: head and body, or for a tunnel all it brought. */
        number(num, v, len, "%" PRIu64,
               (uint64_t) r->head.head_len + r->req_pipe.body_in + r->bytes_received);
        return true;
    case BN_VAR_REQUEST_TIME:
        number(num, v, len, "%.3f", (double) (bn_current_msec - r->start_msec) / 1000.0);
        return true;
    case BN_VAR_UPSTREAM_TIME:
        if (r->upstream_msec >= 0) {
            number(num, v, len, "%.3f", (double) r->upstream_msec / 1000.0);
        }
        return *v != NULL;
    case BN_VAR_UPSTREAM_ADDR:
        *v = r->upstream_addr[0] ? r->upstream_addr : NULL;
        break;
    case BN_VAR_UPSTREAM_STATUS:
        if (r->upstream_status > 0) {
            number(num, v, len, "%d", r->upstream_status);
        }
        return *v != NULL;
    case BN_VAR_CACHE:
        *v = r->cache_status;
        break;
    case BN_VAR_USER_AGENT:
        *v = r->user_agent;
        break;
    case BN_VAR_REFERER:
        *v = r->referer;
        break;
    case BN_VAR_WORKER_PID:
        number(num, v, len, "%d", (int) bn_worker_pid);
        return true;
    case BN_VAR_TLS_PROTOCOL:
        *v = bn_tls_protocol(&r->client->conn);
        break;
    case BN_VAR_TLS_RESUMED:
        *v = r->client->conn.ssl == NULL        ? NULL
             : bn_tls_resumed(&r->client->conn) ? "true"
                                                : "false";
        break;
    case BN_VAR_RATE_LIMIT:
        *v = r->rate_limit;
        break;
    case BN_VAR_WAF:
        *v = r->waf_rules;
        break;
    case BN_VAR_TRACE_ID:
        *v = bn_trace_id(r);
        break;
    }
    *len = *v != NULL ? strlen(*v) : 0;
    return *v != NULL;
}

char *
bn_var_expand(bn_request_t *r, const bn_template_t *t)
{
    size_t total = 0, len;
    const char *v;
    char *out, *p;

    char num[BN_VAR_NUM];

    /* A variable that does not apply is empty here. */
    for (size_t i = 0; i < t->nparts; i++) {
        bn_var_value(r, &t->parts[i], num, &v, &len);
        total += len;
    }
    out = bn_palloc(r->pool, total + 1);
    if (out == NULL) {
        return NULL;
    }
    p = out;
    for (size_t i = 0; i < t->nparts; i++) {
        bn_var_value(r, &t->parts[i], num, &v, &len);
        if (len > 0) {
            memcpy(p, v, len);
            p += len;
        }
    }
    *p = '\0';
    return out;
}
