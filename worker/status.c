/*
 * status.c: the status listener's one route: /metrics, /status.json and the
 * dashboard, made by common/status_pages.c, with the headers each needs.
 */
#include "status.h"

#include "../common/heritage.h"
#include "../common/status_pages.h"

#include <sys/random.h>

int
bn_status_respond(bn_request_t *r)
{
    const char *path = r->path != NULL ? r->path : "";
    const char *ctype, *body, *extra = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
    bn_status_page_t which;
    char nonce[33] = "";

    if (strcmp(r->method, "GET") != 0 && !r->head_method) {
        r->ops->respond(r, 405, "Allow: GET, HEAD\r\n", NULL, NULL);
        return BN_DONE;
    }
    if (strcmp(path, "/metrics") == 0) {
        which = BN_STATUS_METRICS;
        ctype = "text/plain; version=0.0.4; charset=utf-8";
    } else if (strcmp(path, "/status.json") == 0) {
        which = BN_STATUS_JSON;
        ctype = "application/json";
    } else if (strcmp(path, "/") == 0) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof(raw), GRND_NONBLOCK) != sizeof(raw)) {
            r->ops->respond(r, 503, NULL, NULL, NULL);
            return BN_DONE;
        }
        for (size_t i = 0; i < sizeof(raw); i++) {
            snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
        }
        which = BN_STATUS_DASHBOARD;
        ctype = "text/html; charset=utf-8";
        /* Nothing but its own inline script and style, and status.json from
         * its own origin: the page loads nothing from anywhere else. */
        extra = bn_psprintf(r->pool,
                            "%sContent-Security-Policy: default-src 'none'; script-src "
                            "'nonce-%s'; style-src 'nonce-%s'; connect-src 'self'; img-src "
                            "'self'; base-uri 'none'; form-action 'none'; frame-ancestors "
                            "'none'\r\nReferrer-Policy: no-referrer\r\n",
                            extra, nonce, nonce);
    } else {
        r->ops->respond(r, 404, NULL, NULL, NULL);
        return BN_DONE;
    }
    body = bn_status_page(bn_heritage.conf, r->pool, which, nonce);
    if (body == NULL) {
        bn_log_error(BN_LOG_ERR, &r->client->log, 0, "the status page could not be made");
        r->ops->respond(r, 500, NULL, NULL, NULL);
        return BN_DONE;
    }
    r->ops->respond(r, 200, extra, ctype, body);
    return BN_DONE;
}
