/*
 * helper_main.c: the helper process, forked by the master next to the
 * workers of each generation when the config has active health checks
 * (helper_health.c), servers whose names are re-resolved
 * (helper_resolve.c), cache zones (their loader and manager,
 * helper_cache.c), or jwt policies with a jwks_url (helper_jwks.c).  It never handles a request.  This file is its process
 * setup and its one poll() loop, which drives all three without blocking
 * (but for the cache loader, which reads the disk: here it delays only
 * health checks, lookups and fetches, never a request).
 */
#include "helper.h"
#include "../common/clock.h"
#include "../common/heritage.h"

#include <poll.h>
#include <signal.h>

#define CACHE_MANAGER_MSEC 5000 /* how often unused cache entries are looked for */

static volatile sig_atomic_t sig_quit, sig_reopen;

static void
on_signal(int signo)
{
    if (signo == SIGUSR1) {
        sig_reopen = 1;
    } else {
        sig_quit = 1;
    }
}

bool
bn_helper_needed(const bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nupstreams; i++) {
        if (conf->upstreams[i].health.enabled || conf->upstreams[i].has_resolve) {
            return true;
        }
    }
    for (size_t i = 0; i < conf->nauth_policies; i++) {
        if (conf->auth_policies[i]->jwt.jwks != NULL) {
            return true;
        }
    }
    return conf->ncache_zones > 0;
}

static void
reopen_log(void)
{
    int fd = bn_log_open_file(bn_heritage.conf->error_log, bn_heritage.drop_privileges);

    if (fd == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "cannot reopen \"%s\"",
                     bn_heritage.conf->error_log);
        return;
    }
    if (bn_log_fd != STDERR_FILENO) {
        close(bn_log_fd);
    }
    bn_log_fd = fd;
}

_Noreturn void
bn_helper_main(void)
{
    bn_conf_t *conf = bn_heritage.conf;
    struct sigaction sa;
    struct pollfd *pfd;
    bn_probe_t **owner;
    bn_lookup_t **lowner;
    bn_jwks_fetch_t **jowner;
    size_t nprobes, nlookups, njwks;
    int rc;
    bn_msec_t manager_at;
    sigset_t unblocked;

    bn_proctitle_set("bouncer: helper process");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    bn_child_init();
    bn_log_level = conf->error_log_level;
    /* Nothing here serves clients: let go of the listeners and the access log. */
    for (size_t i = 0; i < conf->nlistens; i++) {
        close(conf->listens[i].fd);
    }
    if (bn_heritage.access_log_fd != -1) {
        close(bn_heritage.access_log_fd);
    }
    bn_time_update();

    rc = bn_health_init(conf, &nprobes);
    nlookups = bn_resolve_init(conf);
    njwks = bn_jwks_init(conf);
    pfd = calloc(nprobes + nlookups + njwks + 1, sizeof(struct pollfd));
    owner = calloc(nprobes + 1, sizeof(bn_probe_t *));
    lowner = calloc(nlookups + 1, sizeof(bn_lookup_t *));
    jowner = calloc(njwks + 1, sizeof(bn_jwks_fetch_t *));
    if (rc != BN_OK || pfd == NULL || owner == NULL || lowner == NULL || jowner == NULL) {
        bn_log_error(BN_LOG_EMERG, NULL, ENOMEM, "helper initialisation failed");
        exit(2);
    }
    sigemptyset(&unblocked);
    bn_cache_load_zones(conf);
    bn_time_update();
    manager_at = bn_current_msec + CACHE_MANAGER_MSEC;

    for (;;) {
        bn_msec_t next;
        nfds_t n = 0, nl = 0, nj = 0;
        int timeout;

        if (sig_quit) {
            exit(0);
        }
        if (sig_reopen) {
            sig_reopen = 0;
            reopen_log();
        }
        next = bn_health_poll(pfd, owner, &n); /* at the latest a minute from now */
        if (conf->ncache_zones > 0) {
            if (manager_at <= bn_current_msec) {
                for (size_t i = 0; i < conf->ncache_zones; i++) {
                    bn_cache_expire_inactive(conf->cache_zones[i].zone);
                }
                bn_cache_load_zones(conf);
                manager_at = bn_current_msec + CACHE_MANAGER_MSEC;
            }
            next = BN_MIN(next, manager_at);
        }
        /* Called once: BN_MIN() evaluates its arguments twice, and each
         * call adds the lookups in flight to pfd again. */
        uint64_t resolve_at = bn_resolve_poll(pfd + n, lowner, &nl);
        next = BN_MIN(next, resolve_at);
        uint64_t jwks_at = bn_jwks_poll(pfd + n + nl, jowner, &nj);
        next = BN_MIN(next, jwks_at);
        timeout = next > bn_current_msec ? (int) (next - bn_current_msec) : 0;
        struct timespec ts = { .tv_sec = timeout / 1000, .tv_nsec = (timeout % 1000) * 1000000L };
        /* Signals are let in only while waiting, so none slips between the
         * check of the flags above and the wait. */
        if (ppoll(pfd, n + nl + nj, &ts, &unblocked) == -1 && errno != EINTR) {
            bn_log_error(BN_LOG_ALERT, NULL, errno, "ppoll() failed");
        }
        bn_time_update();
        for (nfds_t i = 0; i < n; i++) {
            if (pfd[i].revents != 0) {
                bn_health_event(owner[i], pfd[i].revents);
            }
        }
        for (nfds_t i = 0; i < nl; i++) {
            if (pfd[n + i].revents != 0) {
                bn_resolve_event(lowner[i]);
            }
        }
        for (nfds_t i = 0; i < nj; i++) {
            if (pfd[n + nl + i].revents != 0) {
                bn_jwks_event(jowner[i], pfd[n + nl + i].fd, pfd[n + nl + i].revents);
            }
        }
    }
}
