/*
 * Unit tests of the address text forms (common/addr.c): the IPv4 form that
 * bn_sockaddr_host() writes by hand must be inet_ntop()'s, byte for byte,
 * for every octet value in every position; IPv6 and a short buffer go to
 * inet_ntop() itself.
 */
#include "../../common/addr.h"
#include "tap.h"

#include <arpa/inet.h>

static int
same_as_libc(uint32_t host_order)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    char got[INET6_ADDRSTRLEN], want[INET_ADDRSTRLEN];

    sin.sin_addr.s_addr = htonl(host_order);
    memset(got, 'x', sizeof(got));
    bn_sockaddr_host((struct sockaddr *) &sin, got, sizeof(got));
    inet_ntop(AF_INET, &sin.sin_addr, want, sizeof(want));
    return strcmp(got, want) == 0;
}

int
main(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
    char buf[INET6_ADDRSTRLEN], small[16];
    int bad = 0;

    printf("1..6\n");
    for (uint32_t v = 0; v < 256; v++) {
        /* Each octet value at each of the four places, the others varied. */
        bad += !same_as_libc(v << 24 | 1);
        bad += !same_as_libc(v << 16 | 0x0a000000u);
        bad += !same_as_libc(v << 8 | 0xff0000ffu);
        bad += !same_as_libc(v | 0x7f000000u);
        bad += !same_as_libc(v * 0x01010101u);
    }
    is_int(bad, 0, "IPv4: each octet in each place is written as inet_ntop() writes it");
    sin.sin_addr.s_addr = htonl(0xffffffffu);
    ok(strcmp(bn_sockaddr_host((struct sockaddr *) &sin, buf, sizeof(buf)), "255.255.255.255") == 0,
       "IPv4: the longest form fits INET_ADDRSTRLEN");
    sin.sin_addr.s_addr = 0;
    ok(strcmp(bn_sockaddr_host((struct sockaddr *) &sin, buf, INET_ADDRSTRLEN), "0.0.0.0") == 0,
       "IPv4: 0.0.0.0 in a buffer of exactly INET_ADDRSTRLEN");
    sin.sin_addr.s_addr = htonl(0xc0a80001u);
    memset(small, 'x', sizeof(small));
    bn_sockaddr_host((struct sockaddr *) &sin, small, 8); /* "192.168.0.1" needs 12 */
    ok(memcmp(small + 8, "xxxxxxxx", 8) == 0, "IPv4: a buffer too short is not overrun");
    inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
    ok(strcmp(bn_sockaddr_host((struct sockaddr *) &sin6, buf, sizeof(buf)), "2001:db8::1") == 0,
       "IPv6: inet_ntop()'s compressed form");
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &sin6.sin6_addr);
    ok(strcmp(bn_sockaddr_host((struct sockaddr *) &sin6, buf, sizeof(buf)), "::ffff:10.1.2.3")
           == 0,
       "IPv6: a mapped IPv4 address");
    return tap_failed != 0;
}
