/*
 * helper_health.c: active health checks, in the helper process (see
 * helper_main.c).  It probes every server once per interval (not once per
 * worker, as a per-worker checker would), and writes its verdicts into the
 * shared peer table, where every worker reads them.
 *
 * The helper's one poll() loop drives all probes without blocking: connect,
 * send a GET, read the status line, close.
 */
#include "helper.h"
#include "../common/clock.h"
#include "../common/peers.h"

#include <poll.h>
#include <sys/socket.h>

#define PROBE_MAX_RESPONSE 512

typedef enum { PROBE_IDLE = 0, PROBE_CONNECTING, PROBE_SENDING, PROBE_READING } phase_t;

struct bn_probe_s {
    bn_conf_upstream_t *up;
    bn_conf_peer_t *peer;
    phase_t phase;
    int fd;
    bn_msec_t next_at;  /* when the next probe starts */
    bn_msec_t deadline; /* when the current one times out */
    char addr[BN_ADDR_TEXT_LEN];
    char req[1024];
    size_t req_len, sent;
    char resp[PROBE_MAX_RESPONSE];
    size_t got;
};

typedef bn_probe_t probe_t;

static probe_t *probes;
static size_t nprobes;

static bool
status_expected(const bn_conf_health_t *h, unsigned status)
{
    if (status >= 100 && status < 600 && (h->expect_classes & (1u << (status / 100)))) {
        return true;
    }
    for (size_t i = 0; i < h->nexpect_status; i++) {
        if (h->expect_status[i] == status) {
            return true;
        }
    }
    return false;
}

/* Records one probe's outcome; a change of state is logged once, here. */
static void
verdict(probe_t *pr, bool ok, const char *why)
{
    bn_peer_state_t *st = pr->peer->state;
    const bn_conf_health_t *h = &pr->up->health;

    if (pr->fd != -1) {
        close(pr->fd);
        pr->fd = -1;
    }
    pr->phase = PROBE_IDLE;
    if (ok) {
        atomic_store(&st->check_fails, 0);
        if (atomic_fetch_add(&st->check_passes, 1) + 1 >= h->passes
            && atomic_load(&st->checked_down)) {
            atomic_store(&st->down_until, 0);
            atomic_store(&st->up_since, bn_current_msec);
            atomic_store(&st->checked_down, false);
            bn_log_error(BN_LOG_NOTICE, NULL, 0,
                         "upstream server %s of \"%s\" is up: %u health check%s passed",
                         pr->peer->label, pr->up->name, h->passes, h->passes == 1 ? "" : "s");
        }
        return;
    }
    atomic_store(&st->check_passes, 0);
    bn_log_error(BN_LOG_INFO, NULL, 0, "health check of %s (%s) of \"%s\" failed: %s",
                 pr->peer->address, pr->addr, pr->up->name, why);
    if (atomic_fetch_add(&st->check_fails, 1) + 1 >= h->fails && !atomic_load(&st->checked_down)) {
        atomic_store(&st->checked_down, true);
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "upstream server %s of \"%s\" is down: %u health check%s failed, the last: %s",
                     pr->peer->label, pr->up->name, h->fails, h->fails == 1 ? "" : "s", why);
    }
}

static void
probe_start(probe_t *pr)
{
    bn_conf_upstream_t *up = pr->up;
    const char *host = up->host_header  ? up->host_header
                       : pr->peer->host ? pr->peer->host
                                        : "localhost";
    bn_addr_t a;
    int n;

    pr->next_at = bn_current_msec + up->health.interval;
    pr->deadline = bn_current_msec + up->health.timeout;
    pr->got = pr->sent = 0;
    if (bn_peer_pick_addr(pr->peer, 0, &a) == -1) {
        verdict(pr, false, "no address");
        return;
    }
    memcpy(pr->addr, a.text, sizeof(pr->addr));
    n = snprintf(pr->req, sizeof(pr->req),
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bouncer-health-check\r\n"
                 "Connection: close\r\n\r\n",
                 up->health.path, host);
    pr->req_len = (size_t) BN_MIN(n, (int) sizeof(pr->req) - 1);
    pr->fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (pr->fd == -1) {
        verdict(pr, false, strerror(errno));
        return;
    }
    if (connect(pr->fd, (struct sockaddr *) &a.sa, a.len) == -1 && errno != EINPROGRESS) {
        verdict(pr, false, strerror(errno));
        return;
    }
    pr->phase = PROBE_CONNECTING;
}

static void
probe_event(probe_t *pr, short revents)
{
    int err = 0;
    socklen_t len = sizeof(err);
    ssize_t n;

    if (pr->phase == PROBE_CONNECTING) {
        if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
            err = errno;
        }
        if (err != 0) {
            verdict(pr, false, strerror(err));
            return;
        }
        pr->phase = PROBE_SENDING;
    }
    if (pr->phase == PROBE_SENDING) {
        n = send(pr->fd, pr->req + pr->sent, pr->req_len - pr->sent, MSG_NOSIGNAL);
        if (n == -1 && errno != EAGAIN) {
            verdict(pr, false, strerror(errno));
            return;
        }
        pr->sent += n > 0 ? (size_t) n : 0;
        if (pr->sent == pr->req_len) {
            pr->phase = PROBE_READING;
        }
        return;
    }
    if (pr->phase == PROBE_READING && (revents & (POLLIN | POLLHUP | POLLERR))) {
        char *eol;
        unsigned status;
        n = recv(pr->fd, pr->resp + pr->got, sizeof(pr->resp) - 1 - pr->got, 0);
        if (n == -1 && errno == EAGAIN) {
            return;
        }
        if (n <= 0) {
            verdict(pr, false, n == 0 ? "closed before a status line" : strerror(errno));
            return;
        }
        pr->got += (size_t) n;
        pr->resp[pr->got] = '\0';
        eol = strstr(pr->resp, "\r\n");
        if (eol == NULL && pr->got < sizeof(pr->resp) - 1) {
            return;
        }
        if (eol == NULL || sscanf(pr->resp, "HTTP/1.%*1[01] %3u ", &status) != 1) {
            verdict(pr, false, "not an HTTP response");
            return;
        }
        if (!status_expected(&pr->up->health, status)) {
            char why[64];
            snprintf(why, sizeof(why), "status %u", status);
            verdict(pr, false, why);
            return;
        }
        verdict(pr, true, NULL);
    }
}

int
bn_health_init(bn_conf_t *conf, size_t *n)
{
    for (size_t i = 0; i < conf->nupstreams; i++) {
        if (conf->upstreams[i].health.enabled) {
            nprobes += conf->upstreams[i].npeers;
        }
    }
    probes = calloc(nprobes + 1, sizeof(probe_t));
    if (probes == NULL) {
        *n = nprobes = 0;
        return BN_ERROR;
    }
    nprobes = 0;
    for (size_t i = 0; i < conf->nupstreams; i++) {
        bn_conf_upstream_t *up = &conf->upstreams[i];
        for (size_t k = 0; up->health.enabled && k < up->npeers; k++) {
            if (up->peers[k].down) {
                continue; /* drained by hand: nothing to learn */
            }
            probes[nprobes].up = up;
            probes[nprobes].peer = &up->peers[k];
            probes[nprobes].fd = -1;
            probes[nprobes++].next_at = bn_current_msec;
        }
    }
    *n = nprobes;
    return BN_OK;
}

uint64_t
bn_health_poll(struct pollfd *pfd, bn_probe_t **owner, nfds_t *n)
{
    bn_msec_t next = bn_current_msec + 60000;

    for (size_t i = 0; i < nprobes; i++) {
        probe_t *pr = &probes[i];
        if (pr->phase == PROBE_IDLE && pr->next_at <= bn_current_msec) {
            probe_start(pr);
        } else if (pr->phase != PROBE_IDLE && pr->deadline <= bn_current_msec) {
            verdict(pr, false, "timed out");
        }
        if (pr->phase != PROBE_IDLE) {
            pfd[*n].fd = pr->fd;
            pfd[*n].events = pr->phase == PROBE_READING ? POLLIN : POLLOUT;
            owner[(*n)++] = pr;
            next = BN_MIN(next, pr->deadline);
        } else {
            next = BN_MIN(next, pr->next_at);
        }
    }
    return next;
}

void
bn_health_event(bn_probe_t *pr, short revents)
{
    probe_event(pr, revents);
}
