/*
 * idle.c: holds N keep-alive client connections open against a proxy, for
 * t/bench/run.sh's memory scenario.  Each connection makes one request,
 * reads its whole response (Content-Length framing) and then sits idle, as
 * a browser's connection does between page loads.  Prints "ready N" once
 * every response is in, then holds the connections until stdin closes or
 * the hold time passes, whichever comes first.
 *
 *   idle HOST PORT N PATH HOLD_SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    size_t got;
    long need; /* head + body bytes; -1 until the head is in */
    char head[512];
} idle_conn_t;

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns 1 when the response is complete, 0 when more is to come, -1 on error. */
static int
conn_read(idle_conn_t *c)
{
    char buf[65536];

    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n == 0) {
            return -1;
        }
        if (n < 0) {
            return errno == EAGAIN ? 0 : -1;
        }
        if (c->need < 0) {
            if (c->got >= sizeof(c->head) - 1) {
                return -1; /* a head this long is not what the bench serves */
            }
            size_t keep = sizeof(c->head) - 1 - c->got;
            memcpy(c->head + c->got, buf, (size_t) n < keep ? (size_t) n : keep);
            c->head[c->got + ((size_t) n < keep ? (size_t) n : keep)] = '\0';
            char *end = strstr(c->head, "\r\n\r\n");
            char *cl = strcasestr(c->head, "\r\ncontent-length:");
            if (end != NULL) {
                if (cl == NULL || cl > end) {
                    return -1; /* only Content-Length framing is expected */
                }
                c->need = (end + 4 - c->head) + strtol(cl + 17, NULL, 10);
            }
        }
        c->got += (size_t) n;
        if (c->need >= 0 && (long) c->got >= c->need) {
            return 1;
        }
    }
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct rlimit rl;
    struct epoll_event ev, evs[256];
    char req[512];
    long n, done = 0, deadline;
    idle_conn_t *conns;
    int ep, one = 1;

    if (argc != 6) {
        fprintf(stderr, "usage: idle HOST PORT N PATH HOLD_SECONDS\n");
        return 2;
    }
    n = strtol(argv[3], NULL, 10);
    if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 || n <= 0) {
        fprintf(stderr, "idle: bad address or count\n");
        return 2;
    }
    sin.sin_port = htons((uint16_t) atoi(argv[2]));
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", argv[4]);

    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    conns = calloc((size_t) n, sizeof(*conns));
    ep = epoll_create1(0);
    if (conns == NULL || ep == -1) {
        perror("idle");
        return 1;
    }
    /* Connect in batches so the listen backlog never overflows. */
    for (long i = 0; i < n; i++) {
        idle_conn_t *c = &conns[i];
        c->need = -1;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd == -1 || connect(c->fd, (struct sockaddr *) &sin, sizeof(sin)) == -1) {
            fprintf(stderr, "idle: connection %ld: %s\n", i, strerror(errno));
            return 1;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (write(c->fd, req, strlen(req)) != (ssize_t) strlen(req)) {
            fprintf(stderr, "idle: write: %s\n", strerror(errno));
            return 1;
        }
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }

    deadline = now_ms() + 30000;
    while (done < n && now_ms() < deadline) {
        int k = epoll_wait(ep, evs, 256, 1000);
        for (int i = 0; i < k; i++) {
            idle_conn_t *c = evs[i].data.ptr;
            int rc = conn_read(c);
            if (rc != 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                if (rc < 0) {
                    fprintf(stderr, "idle: connection closed or unframed response\n");
                    return 1;
                }
                done++;
            }
        }
    }
    if (done < n) {
        fprintf(stderr, "idle: %ld of %ld responses in 30 s\n", done, n);
        return 1;
    }
    printf("ready %ld\n", n);
    fflush(stdout);

    /* Hold: until stdin closes or the time is up. */
    struct pollfd pfd = { .fd = 0, .events = POLLIN };
    deadline = now_ms() + strtol(argv[5], NULL, 10) * 1000;
    while (now_ms() < deadline) {
        char b[64];
        if (poll(&pfd, 1, 200) == 1 && read(0, b, sizeof(b)) <= 0) {
            break;
        }
    }
    return 0;
}
