/*
 * addr.c: address and network parsing.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netdb.h>

static int
fail(char *err, size_t errlen, const char *fmt, const char *s)
{
    snprintf(err, errlen, fmt, s);
    return BN_ERROR;
}

int
bn_addr_parse(const char *s, bool passive, bn_addr_t *a, char *err, size_t errlen)
{
    unsigned n;

    return bn_addr_parse_all(s, passive, a, 1, &n, err, errlen);
}

int
bn_addr_parse_all(const char *s, bool passive, bn_addr_t *a, unsigned max, unsigned *n, char *err,
                  size_t errlen)
{
    char host[256];
    const char *port, *colon;
    size_t hlen;
    char *end;
    long pn;
    struct addrinfo hints, *res, *ai;
    int rc;

    memset(a, 0, sizeof(*a));
    *n = 1;
    if (strncmp(s, "unix:", 5) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *) &a->sa;
        const char *path = s + 5;
        if (path[0] != '/') {
            return fail(err, errlen, "\"%s\": a unix socket path must be absolute", s);
        }
        if (strlen(path) >= sizeof(un->sun_path)) {
            return fail(err, errlen, "\"%s\": unix socket path too long", s);
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, path);
        a->len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
        snprintf(a->text, sizeof(a->text), "%s", s);
        return BN_OK;
    }

    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':') {
            return fail(err, errlen, "\"%s\": expected \"[IPv6]:port\"", s);
        }
        hlen = (size_t) (rb - s - 1);
        if (hlen == 0 || hlen >= sizeof(host)) {
            return fail(err, errlen, "\"%s\": bad IPv6 address", s);
        }
        memcpy(host, s + 1, hlen);
        host[hlen] = '\0';
        port = rb + 2;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            return fail(err, errlen,
                        "\"%s\": expected \"host:port\", \"[IPv6]:port\" or \"unix:/path\"", s);
        }
        if (strchr(s, ':') != colon) {
            return fail(err, errlen, "\"%s\": an IPv6 address needs brackets: \"[addr]:port\"", s);
        }
        hlen = (size_t) (colon - s);
        if (hlen >= sizeof(host)) {
            return fail(err, errlen, "\"%s\": host name too long", s);
        }
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        port = colon + 1;
    }

    errno = 0;
    pn = strtol(port, &end, 10);
    if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 || pn < 1 || pn > 65535) {
        return fail(err, errlen, "\"%s\": the port must be a number from 1 to 65535", s);
    }

    if (passive && (strcmp(host, "*") == 0 || host[0] == '\0')) {
        strcpy(host, "0.0.0.0");
    }
    if (host[0] == '\0') {
        return fail(err, errlen, "\"%s\": missing host", s);
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "\"%s\": cannot resolve \"%s\": %s", s, host, gai_strerror(rc));
        return BN_DECLINED;
    }
    *n = 0;
    for (ai = res; ai != NULL && *n < max; ai = ai->ai_next) {
        bn_addr_t *x = &a[*n];
        bool dup = false;
        for (unsigned k = 0; k < *n; k++) {
            dup =
                dup || (a[k].len == ai->ai_addrlen && memcmp(&a[k].sa, ai->ai_addr, a[k].len) == 0);
        }
        if (dup) {
            continue;
        }
        memset(x, 0, sizeof(*x));
        memcpy(&x->sa, ai->ai_addr, ai->ai_addrlen);
        x->len = ai->ai_addrlen;
        bn_sockaddr_text((struct sockaddr *) &x->sa, x->len, x->text, sizeof(x->text));
        (*n)++;
    }
    freeaddrinfo(res);
    return BN_OK;
}

char *
bn_sockaddr_host(const struct sockaddr *sa, char *buf, size_t len)
{
    switch (sa->sa_family) {
    case AF_INET:
        if (len >= INET_ADDRSTRLEN) {
            /* Every request's $remote_addr: glibc's inet_ntop() formats
             * an IPv4 address with sprintf(), a cost seen in profiles. */
            const unsigned char *a =
                (const unsigned char *) &((const struct sockaddr_in *) sa)->sin_addr;
            char *p = buf;
            for (int i = 0; i < 4; i++) {
                unsigned v = a[i];
                if (v >= 100) {
                    *p++ = (char) ('0' + v / 100);
                }
                if (v >= 10) {
                    *p++ = (char) ('0' + v / 10 % 10);
                }
                *p++ = (char) ('0' + v % 10);
                *p++ = i < 3 ? '.' : '\0';
            }
            break;
        }
        inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf, (socklen_t) len);
        break;
    case AF_INET6:
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, buf, (socklen_t) len);
        break;
    case AF_UNIX:
        snprintf(buf, len, "unix:");
        break;
    default:
        snprintf(buf, len, "?");
    }
    return buf;
}

char *
bn_sockaddr_text(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
    char h[INET6_ADDRSTRLEN];

    switch (sa->sa_family) {
    case AF_INET:
        bn_sockaddr_host(sa, h, sizeof(h));
        snprintf(buf, len, "%s:%u", h, ntohs(((const struct sockaddr_in *) sa)->sin_port));
        break;
    case AF_INET6:
        bn_sockaddr_host(sa, h, sizeof(h));
        snprintf(buf, len, "[%s]:%u", h, ntohs(((const struct sockaddr_in6 *) sa)->sin6_port));
        break;
    case AF_UNIX:
        if (salen > offsetof(struct sockaddr_un, sun_path)) {
            snprintf(buf, len, "unix:%s", ((const struct sockaddr_un *) sa)->sun_path);
        } else {
            snprintf(buf, len, "unix:");
        }
        break;
    default:
        snprintf(buf, len, "?");
    }
    return buf;
}

bool
bn_sockaddr_equal(const bn_addr_t *a, const bn_addr_t *b)
{
    return a->len == b->len && strcmp(a->text, b->text) == 0;
}

int
bn_cidr_parse(const char *s, bn_cidr_t *c)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t) (slash - s) : strlen(s);
    long bits;
    int max;
    char *end;

    if (alen == 0 || alen >= sizeof(buf)) {
        return BN_ERROR;
    }
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    memset(c, 0, sizeof(*c));
    if (inet_pton(AF_INET, buf, c->addr) == 1) {
        c->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
        c->family = AF_INET6;
        max = 128;
    } else {
        return BN_ERROR;
    }
    bits = max;
    if (slash != NULL) {
        errno = 0;
        bits = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno || bits < 0 || bits > max) {
            return BN_ERROR;
        }
    }
    for (int i = 0; i < max / 8; i++) {
        int b = (int) bits - i * 8;
        c->mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t) (0xff << (8 - b));
        c->addr[i] &= c->mask[i];
    }
    return BN_OK;
}

bool
bn_cidr_match(const bn_cidr_t *c, const struct sockaddr *sa)
{
    const uint8_t *a;
    int n;
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (sa->sa_family == AF_INET && c->family == AF_INET) {
        a = (const uint8_t *) &((const struct sockaddr_in *) sa)->sin_addr;
        n = 4;
    } else if (sa->sa_family == AF_INET6) {
        a = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
        n = 16;
        if (c->family == AF_INET) {
            if (memcmp(a, v4mapped, 12) != 0) {
                return false;
            }
            a += 12;
            n = 4;
        }
    } else {
        return false;
    }
    for (int i = 0; i < n; i++) {
        if ((a[i] & c->mask[i]) != c->addr[i]) {
            return false;
        }
    }
    return true;
}

bool
bn_cidr_list_match(const bn_cidr_t *list, size_t n, const struct sockaddr *sa)
{
    for (size_t i = 0; i < n; i++) {
        if (bn_cidr_match(&list[i], sa)) {
            return true;
        }
    }
    return false;
}

int
bn_ip_parse(const char *s, size_t len, struct sockaddr_storage *ss)
{
    char buf[INET6_ADDRSTRLEN + 2];

    if (len == 0 || len >= sizeof(buf)) {
        return BN_ERROR;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, buf, &((struct sockaddr_in *) ss)->sin_addr) == 1) {
        ss->ss_family = AF_INET;
        return BN_OK;
    }
    if (inet_pton(AF_INET6, buf, &((struct sockaddr_in6 *) ss)->sin6_addr) == 1) {
        ss->ss_family = AF_INET6;
        return BN_OK;
    }
    return BN_ERROR;
}

unsigned
bn_addr_port(const bn_addr_t *a)
{
    switch (a->sa.ss_family) {
    case AF_INET:
        return ntohs(((const struct sockaddr_in *) &a->sa)->sin_port);
    case AF_INET6:
        return ntohs(((const struct sockaddr_in6 *) &a->sa)->sin6_port);
    default:
        return 0;
    }
}
