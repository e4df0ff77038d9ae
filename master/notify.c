/*
 * notify.c: the sd_notify protocol, spoken by the master itself (no
 * libsystemd): a datagram of "NAME=value" lines to the socket systemd names
 * in $NOTIFY_SOCKET, for a unit of Type=notify.  Only the master speaks;
 * the unit's NotifyAccess=main has systemd hear no other process.
 */
#include "notify.h"

#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static struct sockaddr_un notify_addr;
static socklen_t notify_len;

void
bn_notify_init(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    size_t n;

    if (path == NULL || (path[0] != '/' && path[0] != '@')
        || (n = strlen(path)) >= sizeof(notify_addr.sun_path)) {
        return;
    }
    memset(&notify_addr, 0, sizeof(notify_addr));
    notify_addr.sun_family = AF_UNIX;
    memcpy(notify_addr.sun_path, path, n);
    if (path[0] == '@') {
        notify_addr.sun_path[0] = '\0'; /* the abstract namespace */
    }
    notify_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
}

void
bn_notify(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    int fd, n;

    if (notify_len == 0) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= sizeof(msg)) {
        return;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd == -1) {
        return;
    }
    /* A datagram: all of it arrives or none; systemd not listening (or
     * gone) costs nothing but this line. */
    if (sendto(fd, msg, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &notify_addr, notify_len)
        == -1) {
        bn_log_error(BN_LOG_WARN, NULL, errno, "cannot notify systemd");
    }
    close(fd);
}

uint64_t
bn_notify_monotonic_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}
