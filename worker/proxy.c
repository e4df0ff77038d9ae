/*
 * proxy.c: the PREPARE and CONTENT phases (phase.h): a route's body limit,
 * then for an upstream route what proxying needs (the WebSocket handshake
 * check, the upstream head, the buffers, 100 Continue), and the route's
 * content: its own response, a redirect, or the upstream.
 */
#include "proxy.h"
#include "status.h"
#include "headers.h"
#include "request.h"
#include "upstream.h"
#include "variables.h"
#include "../common/clock.h"
#include "../common/str.h"

int
bn_http_phase_prepare(bn_request_t *r)
{
    bn_client_t *c = r->client;
    bn_conf_t *conf = bn_heritage.conf;

    if (bn_request_body_limit(r) != BN_OK) {
        return 413;
    }
    if (r->route->action != BN_ROUTE_UPSTREAM) {
        return BN_OK;
    }

    r->upstream = r->route->upstream;
    if (r->route->websocket && r->head.upgrade >= 0 && r->head.conn_upgrade
        && bn_strncaseeq(c->in.start + r->head.headers[r->head.upgrade].value,
                         r->head.headers[r->head.upgrade].value_len, "websocket", 9)) {
        const char *key = bn_http_header(r, "sec-websocket-key");
        /* RFC 6455 4.1: GET, HTTP/1.1, a 16-byte key in base64, no body. */
        if (r->version != 11 || strcmp(r->method, "GET") != 0 || key == NULL || strlen(key) != 24
            || key[22] != '=' || key[23] != '=' || r->req_pipe.in_mode != BN_BODY_NONE) {
            bn_log_error(BN_LOG_INFO, &c->log, 0, "client sent an invalid websocket handshake");
            r->keepalive = false;
            return 400;
        }
        r->websocket = true;
    }
    r->req_header_lines = bn_http_header_lines(r, &r->route->request_headers);
    r->resp_header_lines = bn_http_header_lines(r, &r->route->response_headers);
    if (r->req_header_lines == NULL || r->resp_header_lines == NULL) {
        return 500;
    }
    if (bn_http_build_upstream_head(r) != BN_OK) {
        bn_log_error(BN_LOG_ERR, &c->log, 0, "the upstream request head does not fit");
        return 500;
    }
    /* Kept: bn_conn_send_buf() empties the buffer once it is sent. */
    r->out_len = bn_buf_len(&r->out);
    {
        size_t rsize = BN_MAX(conf->limits.max_upstream_header_size, BN_BODY_BUF_SIZE);
        char *m = bn_palloc(r->pool, rsize);
        char *o = bn_palloc(r->pool, conf->limits.max_upstream_header_size + 1024
                                         + strlen(r->resp_header_lines));
        if (m == NULL || o == NULL) {
            return 500;
        }
        bn_buf_init(&r->rbuf, m, rsize);
        bn_buf_init(&r->rout, o,
                    conf->limits.max_upstream_header_size + 1024 + strlen(r->resp_header_lines));
    }
    if (r->head.expect_continue && r->version >= 11 && !r->req_pipe.in_done
        && bn_buf_len(&r->body) == 0 && !r->continue_sent) {
        /* Answered here, once ACCESS admitted the request: the upstream
         * never sees Expect, so it cannot stall us. */
        bn_buf_printf(&r->rout, "HTTP/1.1 100 Continue\r\n\r\n");
        r->continue_sent = true;
    }
    r->rhead.max_head = conf->limits.max_upstream_header_size;
    r->rhead.max_headers = conf->limits.max_headers;
    r->rhead.headers = bn_palloc(r->pool, sizeof(bn_http_header_t) * conf->limits.max_headers);
    if (r->rhead.headers == NULL) {
        return 500;
    }
    bn_http_head_init(&r->rhead, BN_HTTP_PARSE_RESPONSE);
    return BN_OK;
}

int
bn_http_phase_content(bn_request_t *r)
{
    const bn_conf_route_t *rt = r->route;

    switch (rt->action) {
    case BN_ROUTE_RESPOND:
        r->ops->respond(r, (int) rt->status, NULL, rt->content_type, rt->body);
        return BN_DONE;
    case BN_ROUTE_STATUS:
        return bn_status_respond(r);
    case BN_ROUTE_REDIRECT: {
        char *to = bn_var_expand(r, &rt->redirect_tpl);
        char *loc = to ? bn_psprintf(r->pool, "Location: %s\r\n", to) : NULL;
        r->ops->respond(r, (int) rt->status, loc, NULL, NULL);
        return BN_DONE;
    }
    default:
        r->state = BN_REQ_CONNECTING;
        r->upstream_start_msec = bn_current_msec;
        bn_upstream_connect(r);
        return BN_DONE;
    }
}
