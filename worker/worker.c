/*
 * worker.c: a worker process: privilege drop, signals, the listeners, the
 * accept path (with its back-off when descriptors or worker_connections run
 * out), graceful quit and log reopening.
 */
#include "access_log.h"
#include "cache.h"
#include "cache_refresh.h"
#include "event.h"
#include "http.h"
#include "http2.h"
#include "phase.h"
#include "redis.h"
#include "tls.h"
#include "tunnel.h"
#include "upstream.h"
#include "worker_state.h"
#include "../common/heritage.h"
#include "../common/clock.h"
#include "../common/metrics.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define ACCEPT_PAUSE_MSEC 100

/* sig_replaced: a reload replaced this worker's generation (SIGHUP); it
 * drains as on a quit, but keeps its WebSocket tunnels longer. */
static volatile sig_atomic_t sig_quit, sig_replaced, sig_terminate, sig_reopen;

typedef struct {
    bn_io_t io;
    bn_conf_listen_t *conf;
    bool active;
} listener_t;

#define ACCEPT_BATCH 64
#define ACCEPT_BATCH_TLS 16

static listener_t *listeners;
static size_t nlisteners;
static bool accept_paused;
static bn_timer_t accept_timer, quit_timer, exit_timer;
static bn_log_limit_t pause_log;

static void
on_signal(int signo)
{
    switch (signo) {
    case SIGQUIT:
        sig_quit = 1;
        break;
    case SIGHUP:
        sig_replaced = 1;
        break;
    case SIGTERM:
    case SIGINT:
        sig_terminate = 1;
        break;
    case SIGUSR1:
        sig_reopen = 1;
        break;
    }
}

static void
setup_signals(void)
{
    struct sigaction sa;
    int sigs[] = { SIGQUIT, SIGHUP, SIGTERM, SIGINT, SIGUSR1 };

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < BN_NELEMS(sigs); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    /* Signals stay blocked; bn_event_process() lets them in only while it
     * waits, so none is lost between a check of the flags and the wait. */
}

static void listener_event(bn_io_t *io, uint32_t events);

static void
listeners_enable(bool on)
{
    for (size_t i = 0; i < nlisteners; i++) {
        listener_t *l = &listeners[i];
        if (l->io.fd == -1 || l->active == on) {
            continue;
        }
        if (on) {
            if (bn_event_add_listener(&l->io) == BN_OK) {
                l->active = true;
            }
        } else {
            bn_event_del(&l->io);
            l->active = false;
        }
    }
}

static void
accept_resume(bn_timer_t *t)
{
    (void) t;
    accept_paused = false;
    if (!bn_worker_quitting) {
        listeners_enable(true);
    }
}

/* Stops accepting for a moment; the connections already open go on. */
static void
accept_pause(int level, int err, const char *why)
{
    unsigned suppressed;

    if (bn_log_limited(&pause_log, &suppressed)) {
        bn_log_error(level, NULL, err, "%s; not accepting new connections for %dms", why,
                     ACCEPT_PAUSE_MSEC);
    }
    accept_paused = true;
    listeners_enable(false);
    bn_timer_set(&accept_timer, ACCEPT_PAUSE_MSEC);
}

static void
listener_event(bn_io_t *io, uint32_t events)
{
    listener_t *l = (listener_t *) io;
    bn_conf_t *conf = bn_heritage.conf;

    (void) events;
    /*
     * Fewer connections per wakeup on TLS listeners.  The batch once set
     * how long open connections waited behind new handshakes; now those
     * wait in a queue and run two per pass of the loop (http.c), so the
     * batch only sets how many join the queue at once.  16 was the
     * measured balance before the queue and is kept until measured again
     * (make bench tlsclose, see README).  The listener is level-triggered:
     * the rest are reported again by the next epoll_wait.
     */
    int batch = l->conf->tls ? ACCEPT_BATCH_TLS : ACCEPT_BATCH;
    for (int i = 0; i < batch && !accept_paused; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        bn_client_t *c;
        int fd;

        if (bn_worker_conn_count >= conf->worker_connections) {
            accept_pause(BN_LOG_WARN, 0, "worker_connections are not enough");
            return;
        }
        fd = accept4(io->fd, (struct sockaddr *) &ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            switch (errno) {
            case EAGAIN:
            case EINTR:
            case ECONNABORTED:
            case EPROTO:
                return;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                accept_pause(BN_LOG_CRIT, errno, "accept4() failed");
                return;
            default:
                bn_log_error(BN_LOG_ALERT, NULL, errno, "accept4() failed");
                return;
            }
        }
        c = bn_http_client_alloc();
        if (c == NULL) {
            close(fd);
            accept_pause(BN_LOG_CRIT, ENOMEM, "out of memory for a connection");
            return;
        }
        /* TCP_NODELAY comes from the listener (master/listen.c). */
        c->conn.io.fd = fd;
        memcpy(&c->peer, &ss, BN_MIN((size_t) len, sizeof(c->peer)));
        c->peer.sa.sa_family = ss.ss_family;
        c->listen = l->conf;
        bn_worker_conn_count++;
        if (bn_event_add(&c->conn.io) != BN_OK) {
            close(fd);
            bn_http_client_free(c);
            bn_worker_conn_count--;
            continue;
        }
        bn_http_init_client(c);
    }
}

/* shutdown_timeout passed: what is left goes, but for WebSocket tunnels
 * (which have a deadline of their own, tunnel.c). */
static void
quit_timeout(bn_timer_t *t)
{
    (void) t;
    if (bn_tunnel_count() == 0) {
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "shutdown_timeout passed with connections still open; exiting");
        exit(0);
    }
    bn_log_error(BN_LOG_NOTICE, NULL, 0,
                 "shutdown_timeout passed: closing every connection but %zu websocket tunnels",
                 bn_tunnel_count());
    bn_http_close_all_but_tunnels();
}

/* A quit: the tunnels had shutdown_timeout and their close; none may stay
 * longer. */
static void
exit_timeout(bn_timer_t *t)
{
    (void) t;
    bn_log_error(BN_LOG_NOTICE, NULL, 0,
                 "websocket tunnels still open after shutdown_timeout; exiting");
    bn_tunnel_end_all();
    exit(0);
}

static void
start_quit(void)
{
    if (bn_worker_quitting) {
        return;
    }
    bn_log_error(BN_LOG_INFO, NULL, 0, "gracefully shutting down");
    bn_proctitle_set("bouncer: worker process is shutting down");
    listeners_enable(false);
    /*
     * A connection may have woken only this worker (EPOLLEXCLUSIVE) just
     * before it left the wait queue: accept what is queued now, so nothing
     * waits for a wakeup that will not come.  Later arrivals wake the new
     * generation.
     */
    accept_paused = false;
    for (size_t i = 0; i < nlisteners; i++) {
        if (listeners[i].io.fd != -1) {
            listener_event(&listeners[i].io, EPOLLIN);
            close(listeners[i].io.fd);
            listeners[i].io.fd = -1;
        }
    }
    bn_worker_quitting = true;
    bn_timer_del(&accept_timer);
    bn_upstream_close_idle();
    /* Idle keep-alive connections stay: their next request is answered
     * with "Connection: close" (see bn_http_close_all_but_tunnels()).  An
     * HTTP/2 client is told now, by GOAWAY: its open streams finish, and
     * the connection closes after them. */
    bn_h2_quit();
    quit_timer.handler = quit_timeout;
    bn_timer_set(&quit_timer, bn_heritage.conf->shutdown_timeout);
}

static void
reopen_logs(void)
{
    bn_conf_t *conf = bn_heritage.conf;
    int fd;

    fd = bn_log_open_file(conf->error_log, bn_heritage.drop_privileges);
    if (fd == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "cannot reopen \"%s\"", conf->error_log);
    } else {
        if (bn_log_fd != STDERR_FILENO) {
            close(bn_log_fd);
        }
        bn_log_fd = fd;
    }
    if (bn_access_log_fd() != -1) {
        fd = bn_log_open_file(conf->access_log, bn_heritage.drop_privileges);
        if (fd == -1) {
            bn_log_error(BN_LOG_ALERT, NULL, errno, "cannot reopen \"%s\"", conf->access_log);
        } else {
            close(bn_access_log_fd());
            bn_access_log_set_fd(fd, conf->access_format);
        }
    }
    bn_log_error(BN_LOG_INFO, NULL, 0, "logs reopened");
}

_Noreturn void
bn_worker_main(void)
{
    bn_conf_t *conf = bn_heritage.conf;

    bn_proctitle_set("bouncer: worker process");
    bn_worker_pid = getpid();
    setup_signals();
    bn_child_init();
    bn_log_level = conf->error_log_level;
    bn_access_log_set_fd(bn_heritage.access_log_fd, conf->access_format);
    bn_metrics_use_row(conf->metrics, bn_heritage.proc);
    bn_time_update();

    bn_event_busy_poll(conf->busy_poll);
    bn_event_after_events(bn_http_run_handshakes);
    if (bn_event_init(512) != BN_OK || bn_upstream_init(conf) != BN_OK
        || bn_cache_init(conf) != BN_OK || bn_tls_init(conf) != BN_OK
        || bn_phase_init(conf) != BN_OK) {
        bn_log_error(BN_LOG_EMERG, NULL, 0, "worker initialisation failed");
        exit(2);
    }
    if (conf->redis.enabled) {
        bn_redis_init(&conf->redis);
    }
    listeners = calloc(conf->nlistens + 1, sizeof(listener_t));
    if (listeners == NULL) {
        exit(2);
    }
    nlisteners = conf->nlistens;
    for (size_t i = 0; i < nlisteners; i++) {
        listeners[i].io.fd = conf->listens[i].fd;
        listeners[i].io.handler = listener_event;
        listeners[i].conf = &conf->listens[i];
    }
    accept_timer.handler = accept_resume;
    listeners_enable(true);
    /* A master started by an upgrade waits for this before the old one
     * lets its workers go. */
    if (bn_heritage.ready_fd != -1) {
        if (write(bn_heritage.ready_fd, "", 1) == -1) {
            /* The master stopped waiting; nothing to tell. */
        }
        close(bn_heritage.ready_fd);
        bn_heritage.ready_fd = -1;
    }

    for (;;) {
        if (sig_terminate) {
            bn_log_error(BN_LOG_INFO, NULL, 0, "exiting");
            bn_tunnel_end_all();
            exit(0);
        }
        if (sig_replaced) {
            sig_replaced = 0;
            start_quit();
            bn_tunnel_drain(true);
        }
        if (sig_quit) {
            sig_quit = 0;
            start_quit();
            bn_tunnel_drain(false);
            if (!bn_timer_armed(&exit_timer)) {
                /* After the tunnels' own close (BN_WS_CLOSE_MSEC), so that
                 * they end on their own if they can. */
                exit_timer.handler = exit_timeout;
                bn_timer_set(&exit_timer, conf->shutdown_timeout + BN_WS_CLOSE_MSEC + 100);
            }
        }
        if (sig_reopen) {
            sig_reopen = 0;
            reopen_logs();
        }
        if (bn_worker_quitting && !bn_http_have_clients() && bn_cache_refreshes() == 0) {
            bn_log_error(BN_LOG_INFO, NULL, 0, "exiting");
            exit(0);
        }
        bn_event_process();
    }
}
