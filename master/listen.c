/*
 * listen.c: listening sockets.  They are created once, by the master, and
 * inherited by every generation of workers; a reload keeps each address
 * that stays (the same socket, so no connection in its queue is lost),
 * opens the new ones and closes those that went.
 */
#include "listen.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/*
 * What accepted sockets inherit from their listener, set after listen()
 * (which resets the first) and again on reload to a listener kept:
 *
 * smart_accept: the kernel ACKs a new connection's first request at once,
 * although the response, moments later, would carry the ACK.  Delayed ACK
 * mode saves that packet, and the client's wakeup for it, on every new
 * connection (HAProxy's "option smart-accept").
 *
 * defer_accept: a connection is handed to accept() once its first bytes
 * are in (TCP_DEFER_ACCEPT), so the worker is woken once for it, not for
 * the connection and again for the request, and reads the request at
 * once rather than meeting EAGAIN.  One second: a client that connects
 * and says nothing is accepted after it, and header_timeout (or
 * tls_handshake_timeout) then applies as it would have.
 *
 * tcp_notsent_lowat: a response writes into the socket only while less
 * than this much of it waits unsent.  Without the bound a large body
 * queues as deep as the send buffer lets it, pinning kernel memory; and
 * what waits behind a full receive window goes out when the client's ACKs
 * open it, on the ACK's time rather than the worker's (on one host, the
 * client pays for sending it).
 */
static void
set_accept_options(const bn_conf_t *conf, const bn_conf_listen_t *l)
{
    int quick = !conf->smart_accept, lowat = (int) conf->tcp_notsent_lowat;
    int defer = conf->defer_accept ? 1 : 0;

    if (l->addr.sa.ss_family != AF_UNIX) {
        setsockopt(l->fd, IPPROTO_TCP, TCP_QUICKACK, &quick, sizeof(quick));
        setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
        /* 0 hands the bound back to the kernel's default (the sysctl). */
        setsockopt(l->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
    }
}

static int
bind_one(bn_conf_t *conf, bn_conf_listen_t *l, char *err, size_t errlen)
{
    int fd, one = 1;
    int family = l->addr.sa.ss_family;

    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        snprintf(err, errlen, "socket() for %s failed: %s", l->addr.text, strerror(errno));
        return BN_ERROR;
    }
    if (family != AF_UNIX) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* Accepted sockets inherit it: no setsockopt per connection.
         * Responses leave in whole writes, so Nagle could only delay them. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (family == AF_INET6) {
        /* "[::]:80" means IPv6 only; IPv4 gets its own "0.0.0.0:80". */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (family == AF_UNIX) {
        struct stat st;
        const char *path = ((struct sockaddr_un *) &l->addr.sa)->sun_path;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
            unlink(path);
        }
    }
    if (bind(fd, (struct sockaddr *) &l->addr.sa, l->addr.len) == -1) {
        snprintf(err, errlen, "cannot listen on %s: bind() failed: %s", l->addr.text,
                 strerror(errno));
        close(fd);
        return BN_ERROR;
    }
    if (listen(fd, conf->backlog) == -1) {
        snprintf(err, errlen, "cannot listen on %s: listen() failed: %s", l->addr.text,
                 strerror(errno));
        close(fd);
        return BN_ERROR;
    }
    l->fd = fd;
    return BN_OK;
}

int
bn_listen_open(bn_conf_t *conf, bn_conf_t *old, bn_conf_errors_t *errs)
{
    char err[512];
    int rc = BN_OK;

    for (size_t i = 0; i < conf->nlistens; i++) {
        bn_conf_listen_t *l = &conf->listens[i];

        for (size_t k = 0; old != NULL && k < old->nlistens; k++) {
            if (old->listens[k].fd != -1 && bn_sockaddr_equal(&old->listens[k].addr, &l->addr)) {
                l->fd = old->listens[k].fd;
                old->listens[k].fd = -1; /* moved: the new config owns it */
                break;
            }
        }
        if (l->fd != -1) {
            if (old != NULL && conf->backlog != old->backlog) {
                listen(l->fd, conf->backlog);
            }
            set_accept_options(conf, l);
            continue;
        }
        if (bind_one(conf, l, err, sizeof(err)) != BN_OK) {
            bn_conf_errors_add(errs, "%s: %s", conf->file, err);
            rc = BN_ERROR;
            continue;
        }
        set_accept_options(conf, l);
    }
    return rc;
}

/* A reload failed: hand the kept sockets back to the old config, close the
 * ones opened for the new one. */
void
bn_listen_undo(bn_conf_t *conf, bn_conf_t *old)
{
    for (size_t i = 0; i < conf->nlistens; i++) {
        bn_conf_listen_t *l = &conf->listens[i];
        bool given_back = false;

        if (l->fd == -1) {
            continue;
        }
        for (size_t k = 0; old != NULL && k < old->nlistens; k++) {
            if (old->listens[k].fd == -1 && bn_sockaddr_equal(&old->listens[k].addr, &l->addr)) {
                old->listens[k].fd = l->fd;
                given_back = true;
                break;
            }
        }
        if (!given_back) {
            close(l->fd);
        }
        l->fd = -1;
    }
}

void
bn_listen_close_all(bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nlistens; i++) {
        if (conf->listens[i].fd != -1) {
            close(conf->listens[i].fd);
            conf->listens[i].fd = -1;
        }
    }
}
