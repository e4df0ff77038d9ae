/*
 * addr.h: socket addresses as the config writes them ("host:port",
 * "[v6]:port", "unix:/path") and networks ("10.0.0.0/8", "::1/128").
 */
#ifndef BN_ADDR_H
#define BN_ADDR_H

#include "bouncer.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#define BN_ADDR_TEXT_LEN 128

/* A peer's address in the room an IP address needs (a unix peer keeps only
 * its family): what a client connection holds for as long as it is open. */
typedef union {
    struct sockaddr sa;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
} bn_peer_addr_t;

typedef struct {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[BN_ADDR_TEXT_LEN]; /* canonical form, for logs and comparison */
} bn_addr_t;

/*
 * Parses s into a.  Host names are resolved with getaddrinfo() (blocking:
 * only the master calls this, at config load).  When passive is set, "*:80"
 * and ":80" mean every IPv4 address.  Returns BN_OK, or BN_ERROR with a
 * message in err.
 */
int bn_addr_parse(const char *s, bool passive, bn_addr_t *a, char *err, size_t errlen);
/* The same, keeping up to max addresses of a name (distinct, in the
 * resolver's order) in a[0..*n).  BN_DECLINED: well-formed, but the name
 * does not resolve now. */
int bn_addr_parse_all(const char *s, bool passive, bn_addr_t *a, unsigned max, unsigned *n,
                      char *err, size_t errlen);

/* Writes "1.2.3.4", "::1" or "unix:" (no port) into buf; returns buf. */
char *bn_sockaddr_host(const struct sockaddr *sa, char *buf, size_t len);

/* Writes "1.2.3.4:80", "[::1]:80" or "unix:/path"; returns buf. */
char *bn_sockaddr_text(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

bool bn_sockaddr_equal(const bn_addr_t *a, const bn_addr_t *b);

/* The port of an IPv4 or IPv6 address; 0 for a unix socket. */
unsigned bn_addr_port(const bn_addr_t *a);

typedef struct {
    int family;
    uint8_t addr[16];
    uint8_t mask[16];
} bn_cidr_t;

/* "10.0.0.0/8", "::1/128", or a bare address (a /32 or /128). */
int bn_cidr_parse(const char *s, bn_cidr_t *c);

/* IPv4-mapped IPv6 peers (::ffff:a.b.c.d) match IPv4 networks. */
bool bn_cidr_match(const bn_cidr_t *c, const struct sockaddr *sa);
/* Whether sa is in any of the n networks of list. */
bool bn_cidr_list_match(const bn_cidr_t *list, size_t n, const struct sockaddr *sa);

/* Parses a bare IPv4 or IPv6 address (no port) into ss; BN_OK or BN_ERROR. */
int bn_ip_parse(const char *s, size_t len, struct sockaddr_storage *ss);

#endif
