/*
 * helper_resolve.c: re-resolving upstream server names, in the helper
 * process (see helper_main.c).
 * For each server with resolve = true it asks a DNS server (the upstream's
 * resolver, else the first nameserver of /etc/resolv.conf) for A and AAAA
 * records over UDP, publishes a changed address set in the shared peer
 * table, and asks again when the answers' TTL runs out (with a resolver) or
 * every resolve_interval.  A name that fails keeps its last good addresses.
 *
 * A small stub resolver of its own: getaddrinfo() would block the helper's
 * loop, and gives no TTLs.
 */
#include "helper.h"
#include "../common/clock.h"
#include "../common/peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define DNS_TIMEOUT_MSEC 2000
#define DNS_MIN_TTL_MSEC 1000

struct bn_lookup_s {
    bn_conf_upstream_t *up;
    bn_conf_peer_t *peer;
    int fd; /* -1 while idle */
    bn_msec_t next_at, deadline;
    uint16_t id;
    bool answered[2]; /* A, AAAA */
    bn_addr_t found[BN_PEER_MAX_ADDRS];
    unsigned nfound;
    uint32_t min_ttl;
    bool failed;
};

typedef bn_lookup_t lookup_t;

static lookup_t *lookups;
static size_t nlookups;
static bn_addr_t system_ns;

static void
read_resolv_conf(void)
{
    FILE *f = fopen("/etc/resolv.conf", "re");
    char line[256], ip[128], err[128];

    bn_addr_parse("127.0.0.1:53", false, &system_ns, err, sizeof(err));
    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "nameserver %127s", ip) == 1) {
            char addr[160];
            snprintf(addr, sizeof(addr), strchr(ip, ':') ? "[%s]:53" : "%s:53", ip);
            bn_addr_parse(addr, false, &system_ns, err, sizeof(err));
            break;
        }
    }
    fclose(f);
}

size_t
bn_resolve_init(bn_conf_t *conf)
{
    read_resolv_conf();
    for (size_t i = 0; i < conf->nupstreams; i++) {
        for (size_t k = 0; k < conf->upstreams[i].npeers; k++) {
            nlookups += conf->upstreams[i].peers[k].resolve;
        }
    }
    lookups = calloc(nlookups + 1, sizeof(lookup_t));
    if (lookups == NULL) {
        return 0;
    }
    nlookups = 0;
    for (size_t i = 0; i < conf->nupstreams; i++) {
        bn_conf_upstream_t *up = &conf->upstreams[i];
        for (size_t k = 0; k < up->npeers; k++) {
            struct sockaddr_storage ss;
            const char *h = up->peers[k].host;
            /* An address needs no resolving. */
            if (up->peers[k].resolve && h != NULL && bn_ip_parse(h, strlen(h), &ss) != BN_OK) {
                lookups[nlookups].up = up;
                lookups[nlookups].peer = &up->peers[k];
                lookups[nlookups].fd = -1;
                lookups[nlookups++].next_at = bn_current_msec;
            }
        }
    }
    return nlookups;
}

static size_t
put_query(unsigned char *q, uint16_t id, const char *name, uint16_t type)
{
    size_t n = 0;

    q[n++] = (unsigned char) (id >> 8);
    q[n++] = (unsigned char) id;
    q[n++] = 0x01; /* recursion desired */
    q[n++] = 0x00;
    memcpy(q + n, "\0\1\0\0\0\0\0\0", 8);
    n += 8;
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t len = dot ? (size_t) (dot - name) : strlen(name);
        if (len == 0 || len > 63 || n + len + 6 > 300) {
            return 0;
        }
        q[n++] = (unsigned char) len;
        memcpy(q + n, name, len);
        n += len;
        name += len + (dot != NULL);
    }
    q[n++] = 0;
    q[n++] = 0;
    q[n++] = (unsigned char) type;
    q[n++] = 0;
    q[n++] = 1; /* IN */
    return n;
}

/* Skips a (possibly compressed) name; returns the offset after it, or 0. */
static size_t
skip_name(const unsigned char *m, size_t len, size_t off)
{
    while (off < len) {
        if (m[off] == 0) {
            return off + 1;
        }
        if ((m[off] & 0xc0) == 0xc0) {
            return off + 2 <= len ? off + 2 : 0;
        }
        off += (size_t) m[off] + 1;
    }
    return 0;
}

/* Takes the A/AAAA records of one answer into l; BN_ERROR when malformed
 * or the server said the name does not exist. */
static int
parse_answer(lookup_t *l, const unsigned char *m, size_t len, int *which)
{
    unsigned qd, an, rcode;
    size_t off = 12;

    if (len < 12 || (m[2] & 0x80) == 0) {
        return BN_ERROR;
    }
    *which = ((unsigned) m[0] << 8 | m[1]) - l->id;
    if (*which != 0 && *which != 1) {
        return BN_DECLINED; /* a late answer to an earlier query */
    }
    rcode = m[3] & 0x0f;
    qd = (unsigned) m[4] << 8 | m[5];
    an = (unsigned) m[6] << 8 | m[7];
    if (rcode != 0) {
        return BN_ERROR;
    }
    for (unsigned i = 0; i < qd; i++) {
        off = skip_name(m, len, off);
        if (off == 0 || off + 4 > len) {
            return BN_ERROR;
        }
        off += 4;
    }
    for (unsigned i = 0; i < an; i++) {
        unsigned type, rdlen;
        uint32_t ttl;
        off = skip_name(m, len, off);
        if (off == 0 || off + 10 > len) {
            return BN_ERROR;
        }
        type = (unsigned) m[off] << 8 | m[off + 1];
        ttl = (uint32_t) m[off + 4] << 24 | (uint32_t) m[off + 5] << 16 | (uint32_t) m[off + 6] << 8
              | m[off + 7];
        rdlen = (unsigned) m[off + 8] << 8 | m[off + 9];
        off += 10;
        if (off + rdlen > len) {
            return BN_ERROR;
        }
        if (((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))
            && l->nfound < BN_PEER_MAX_ADDRS) {
            bn_addr_t *a = &l->found[l->nfound];
            char ip[64], text[96], err[128];
            inet_ntop(type == 1 ? AF_INET : AF_INET6, m + off, ip, sizeof(ip));
            snprintf(text, sizeof(text), type == 1 ? "%s:%s" : "[%s]:%s", ip, l->peer->port);
            if (bn_addr_parse(text, false, a, err, sizeof(err)) == BN_OK) {
                l->nfound++;
                l->min_ttl = BN_MIN(l->min_ttl, ttl);
            }
        }
        off += rdlen;
    }
    return BN_OK;
}

static bool
same_set(const bn_addr_t *a, unsigned na, const bn_addr_t *b, unsigned nb)
{
    if (na != nb) {
        return false;
    }
    for (unsigned i = 0; i < na; i++) {
        bool found = false;
        for (unsigned k = 0; k < nb && !found; k++) {
            found = strcmp(a[i].text, b[k].text) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static void
lookup_done(lookup_t *l)
{
    bn_addr_t cur[BN_PEER_MAX_ADDRS];
    bool resolver = l->up->resolver.sa.ss_family != 0;
    unsigned ncur;

    close(l->fd);
    l->fd = -1;
    if (l->failed || l->nfound == 0) {
        bn_log_error(BN_LOG_WARN, NULL, 0,
                     "cannot resolve \"%s\" of upstream \"%s\"; keeping its last good addresses",
                     l->peer->host, l->up->name);
        l->next_at = bn_current_msec + l->up->resolve_interval;
        return;
    }
    ncur = bn_peer_addrs(l->peer, cur, BN_PEER_MAX_ADDRS);
    if (!same_set(cur, ncur, l->found, l->nfound)) {
        char list[512];
        bn_line_t line;
        bn_line_init(&line, list, sizeof(list));
        for (unsigned i = 0; i < l->nfound; i++) {
            bn_line_printf(&line, "%s%s", i ? " " : "", l->found[i].text);
        }
        bn_line_mark_cut(&line, " ...");
        bn_peer_set_addrs(l->peer, l->found, l->nfound);
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "upstream server %s of \"%s\" now resolves to %s",
                     l->peer->address, l->up->name, list);
    }
    l->next_at = bn_current_msec
                 + (resolver ? BN_MAX((uint64_t) l->min_ttl * 1000, DNS_MIN_TTL_MSEC)
                             : l->up->resolve_interval);
}

static void
lookup_start(lookup_t *l)
{
    const bn_addr_t *ns = l->up->resolver.sa.ss_family != 0 ? &l->up->resolver : &system_ns;
    unsigned char q[320];
    size_t n;

    l->nfound = 0;
    l->failed = false;
    l->min_ttl = UINT32_MAX;
    l->answered[0] = l->answered[1] = false;
    l->id = (uint16_t) (rand() & 0xfffe);
    l->deadline = bn_current_msec + DNS_TIMEOUT_MSEC;
    l->fd = socket(ns->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd == -1 || connect(l->fd, (struct sockaddr *) &ns->sa, ns->len) == -1) {
        l->failed = true;
        if (l->fd == -1) {
            l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        }
        lookup_done(l);
        return;
    }
    for (int i = 0; i < 2; i++) {
        n = put_query(q, (uint16_t) (l->id + i), l->peer->host, i == 0 ? 1 : 28);
        if (n == 0 || send(l->fd, q, n, 0) != (ssize_t) n) {
            l->failed = true;
            lookup_done(l);
            return;
        }
    }
}

static void
lookup_read(lookup_t *l)
{
    unsigned char m[1500];
    ssize_t n;
    int which = -1;

    while ((n = recv(l->fd, m, sizeof(m), 0)) > 0) {
        int rc = parse_answer(l, m, (size_t) n, &which);
        if (rc == BN_DECLINED) {
            continue;
        }
        if (rc == BN_ERROR && (which == 0 || which == 1)) {
            l->answered[which] = true; /* NXDOMAIN, or no usable records */
            continue;
        }
        l->answered[which] = true;
    }
    if (n == -1 && errno != EAGAIN) {
        l->failed = true; /* ICMP port unreachable: no DNS server there */
        lookup_done(l);
        return;
    }
    if (l->answered[0] && l->answered[1]) {
        lookup_done(l);
    }
}

uint64_t
bn_resolve_poll(struct pollfd *pfd, bn_lookup_t **owner, nfds_t *n)
{
    bn_msec_t next = bn_current_msec + 60000;

    for (size_t i = 0; i < nlookups; i++) {
        lookup_t *l = &lookups[i];
        if (l->fd == -1 && l->next_at <= bn_current_msec) {
            lookup_start(l);
        } else if (l->fd != -1 && l->deadline <= bn_current_msec) {
            l->failed = l->nfound == 0;
            lookup_done(l);
        }
        if (l->fd != -1) {
            pfd[*n].fd = l->fd;
            pfd[*n].events = POLLIN;
            owner[(*n)++] = l;
            next = BN_MIN(next, l->deadline);
        } else {
            next = BN_MIN(next, l->next_at);
        }
    }
    return next;
}

void
bn_resolve_event(bn_lookup_t *l)
{
    lookup_read(l);
}
