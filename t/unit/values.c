/*
 * Unit tests of the config value syntaxes: sizes, durations, addresses,
 * networks; and of the memory pool.
 */
#include "../../common/addr.h"
#include "../../common/pool.h"
#include "../../common/str.h"
#include "../../common/template.h"
#include "../../common/uri.h"
#include "tap.h"

#include <arpa/inet.h>

static void
test_sizes(void)
{
    uint64_t v;

    ok(bn_parse_size("512", &v) == BN_OK && v == 512, "512");
    ok(bn_parse_size("16k", &v) == BN_OK && v == 16384, "16k");
    ok(bn_parse_size("64m", &v) == BN_OK && v == 64ull << 20, "64m");
    ok(bn_parse_size("1g", &v) == BN_OK && v == 1ull << 30, "1g");
    ok(bn_parse_size("1G", &v) == BN_OK && v == 1ull << 30, "1G");
    ok(bn_parse_size("-1", &v) == BN_ERROR, "negative refused");
    ok(bn_parse_size("1 k", &v) == BN_ERROR, "space refused");
    ok(bn_parse_size("1kb", &v) == BN_ERROR, "kb refused");
    ok(bn_parse_size("", &v) == BN_ERROR, "empty refused");
    ok(bn_parse_size("99999999999999999999", &v) == BN_ERROR, "overflow refused");
    ok(bn_parse_size("17179869184g", &v) == BN_ERROR, "overflow by the suffix refused");

    ok(bn_parse_duration("250ms", &v) == BN_OK && v == 250, "250ms");
    ok(bn_parse_duration("5s", &v) == BN_OK && v == 5000, "5s");
    ok(bn_parse_duration("5", &v) == BN_OK && v == 5000, "bare seconds");
    ok(bn_parse_usec("50us", &v) == BN_OK && v == 50, "50us");
    ok(bn_parse_usec("2ms", &v) == BN_OK && v == 2000, "2ms in microseconds");
    ok(bn_parse_usec("0", &v) == BN_OK && v == 0, "0 without a unit");
    ok(bn_parse_usec("5", &v) == BN_ERROR, "a bare number other than 0 is refused");
    ok(bn_parse_usec("1s", &v) == BN_ERROR, "seconds are refused");
    ok(bn_parse_duration("10m", &v) == BN_OK && v == 600000, "10m");
    ok(bn_parse_duration("1h", &v) == BN_OK && v == 3600000, "1h");
    ok(bn_parse_duration("1d", &v) == BN_OK && v == 86400000, "1d");
    ok(bn_parse_duration("1w", &v) == BN_ERROR, "unknown unit refused");
    ok(bn_parse_duration("s", &v) == BN_ERROR, "no number refused");
    ok(bn_parse_duration("2.5s", &v) == BN_OK && v == 2500, "2.5s");
    ok(bn_parse_duration("0.25s", &v) == BN_OK && v == 250, "0.25s");
    ok(bn_parse_duration("1.5m", &v) == BN_OK && v == 90000, "1.5m");
    ok(bn_parse_duration("1.5ms", &v) == BN_ERROR, "less than a millisecond refused");
    ok(bn_parse_duration("0.0001s", &v) == BN_ERROR, "a fourth decimal refused");
    ok(bn_parse_duration("1.s", &v) == BN_ERROR, "a point without decimals refused");
    ok(bn_parse_duration(".5s", &v) == BN_ERROR, "decimals without a whole part refused");

    is_int(bn_edit_distance("workerz", "workers"), 1, "edit distance");
    is_int(bn_edit_distance("", "abc"), 3, "edit distance from empty");
}

static void
test_addrs(void)
{
    bn_addr_t a;
    char err[256];

    ok(bn_addr_parse("127.0.0.1:80", false, &a, err, sizeof(err)) == BN_OK
           && strcmp(a.text, "127.0.0.1:80") == 0,
       "IPv4");
    ok(bn_addr_parse("[::1]:8080", false, &a, err, sizeof(err)) == BN_OK
           && strcmp(a.text, "[::1]:8080") == 0,
       "IPv6");
    ok(bn_addr_parse("unix:/run/x.sock", false, &a, err, sizeof(err)) == BN_OK
           && a.sa.ss_family == AF_UNIX,
       "unix socket");
    ok(bn_addr_parse("*:80", true, &a, err, sizeof(err)) == BN_OK
           && strcmp(a.text, "0.0.0.0:80") == 0,
       "wildcard listener");
    ok(bn_addr_parse("127.0.0.1", false, &a, err, sizeof(err)) == BN_ERROR, "no port");
    ok(bn_addr_parse("127.0.0.1:0", false, &a, err, sizeof(err)) == BN_ERROR, "port 0");
    ok(bn_addr_parse("::1:80", false, &a, err, sizeof(err)) == BN_ERROR
           && strstr(err, "brackets") != NULL,
       "IPv6 without brackets");
    ok(bn_addr_parse("unix:rel", false, &a, err, sizeof(err)) == BN_ERROR, "relative unix path");
}

static void
test_cidrs(void)
{
    bn_cidr_t c;
    struct sockaddr_in s4 = { .sin_family = AF_INET };
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

    inet_pton(AF_INET, "10.1.2.3", &s4.sin_addr);
    ok(bn_cidr_parse("10.0.0.0/8", &c) == BN_OK && bn_cidr_match(&c, (struct sockaddr *) &s4),
       "10.1.2.3 in 10.0.0.0/8");
    ok(bn_cidr_parse("10.1.2.0/25", &c) == BN_OK && bn_cidr_match(&c, (struct sockaddr *) &s4),
       "in a /25");
    ok(bn_cidr_parse("11.0.0.0/8", &c) == BN_OK && !bn_cidr_match(&c, (struct sockaddr *) &s4),
       "not in 11.0.0.0/8");
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6.sin6_addr);
    ok(bn_cidr_parse("10.0.0.0/8", &c) == BN_OK && bn_cidr_match(&c, (struct sockaddr *) &s6),
       "an IPv4-mapped address matches the IPv4 network");
    inet_pton(AF_INET6, "::1", &s6.sin6_addr);
    ok(bn_cidr_parse("::1/128", &c) == BN_OK && bn_cidr_match(&c, (struct sockaddr *) &s6),
       "::1/128");
    ok(bn_cidr_parse("10.0.0.0/33", &c) == BN_ERROR, "/33 refused");
    ok(bn_cidr_parse("10.0.0/8", &c) == BN_ERROR, "short address refused");
    ok(bn_cidr_parse("0.0.0.0/0", &c) == BN_OK && bn_cidr_match(&c, (struct sockaddr *) &s4),
       "/0 matches all");
}

static int cleanups_run;

static void
count_cleanup(void *data)
{
    cleanups_run += *(int *) data;
}

static void
test_pool(void)
{
    static int one = 1;
    bn_pool_t *p = bn_pool_create(1024);
    char *a, *b, *big;

    ok(p != NULL, "pool created");
    a = bn_palloc(p, 10);
    b = bn_palloc(p, 10);
    ok(a != NULL && b != NULL && a != b && ((uintptr_t) b & 15) == 0, "aligned allocations");
    big = bn_palloc(p, 100000);
    ok(big != NULL, "large allocation");
    memset(big, 1, 100000);
    for (int i = 0; i < 1000; i++) {
        bn_palloc(p, 100);
    }
    ok(strcmp(bn_psprintf(p, "%d-%s", 42, "x"), "42-x") == 0, "psprintf");
    ok(strcmp(bn_pstrndup(p, "abcdef", 3), "abc") == 0, "pstrndup");
    bn_pool_cleanup_add(p, count_cleanup, &one);
    bn_pool_cleanup_add(p, count_cleanup, &one);
    bn_pool_reset(p);
    is_int(cleanups_run, 2, "reset runs the cleanups");
    ok(bn_palloc(p, 10) != NULL, "usable after reset");
    bn_pool_destroy(p);
    is_int(cleanups_run, 2, "and they do not run twice");
}

static void
norm_is(const char *in, const char *want)
{
    char out[256];
    ssize_t n = bn_uri_normalize(in, strlen(in), out);

    if (want == NULL) {
        ok(n == -1, "%s is refused", in);
    } else {
        ok(n >= 0 && strcmp(out, want) == 0, "%s -> %s (got %s)", in, want, n >= 0 ? out : "-1");
    }
}

static void
test_uri(void)
{
    norm_is("/", "/");
    norm_is("/a/b", "/a/b");
    norm_is("/a/./b", "/a/b");
    norm_is("/a/../b", "/b");
    norm_is("/x/../admin", "/admin");
    norm_is("/%61dmin", "/admin");
    norm_is("/%7euser", "/~user");
    norm_is("//admin//x", "/admin/x");
    norm_is("/a/b/..", "/a/");
    norm_is("/a/b/.", "/a/b/");
    norm_is("/a%2fb", "/a%2Fb");
    norm_is("/%2e%2e/x", NULL);
    norm_is("/..", NULL);
    norm_is("/a/../..", NULL);
    norm_is("/bad%zz", NULL);
    norm_is("/bad%2", NULL);
    norm_is("/a/.../b", "/a/.../b");
    norm_is("/a/..b/c", "/a/..b/c");
}

static void
test_templates(void)
{
    bn_pool_t *p = bn_pool_create(4096);
    bn_template_t t;
    char err[256];

    ok(bn_template_compile(p, "plain", false, &t, err, sizeof(err)) == BN_OK && t.nparts == 1
           && !t.has_vars,
       "a literal");
    ok(bn_template_compile(p, "a$host-${http_x_req_id}b", false, &t, err, sizeof(err)) == BN_OK,
       "variables and ${name}");
    ok(t.nparts == 5 && t.parts[1].kind == BN_VAR_HOST && t.parts[3].kind == BN_VAR_HTTP
           && strcmp(t.parts[3].text, "x-req-id") == 0 && t.parts[4].len == 1,
       "parts: literal, $host, literal, $http_x_req_id as x-req-id, literal");
    ok(bn_template_compile(p, "$cookie_sid/$arg_q", false, &t, err, sizeof(err)) == BN_OK
           && t.parts[0].kind == BN_VAR_COOKIE && t.parts[2].kind == BN_VAR_ARG,
       "$cookie_ and $arg_");
    ok(bn_template_compile(p, "/$1/$2", true, &t, err, sizeof(err)) == BN_OK
           && t.parts[1].kind == BN_VAR_CAPTURE && t.parts[1].len == 1 && t.parts[3].len == 2,
       "captures where allowed");
    ok(bn_template_compile(p, "/$1", false, &t, err, sizeof(err)) == BN_ERROR
           && strstr(err, "not available here") != NULL,
       "captures refused elsewhere");
    ok(bn_template_compile(p, "$nope", false, &t, err, sizeof(err)) == BN_ERROR
           && strstr(err, "unknown variable \"$nope\"") != NULL,
       "unknown variable named");
    ok(bn_template_compile(p, "a$", false, &t, err, sizeof(err)) == BN_ERROR, "lone $");
    ok(bn_template_compile(p, "${host", false, &t, err, sizeof(err)) == BN_ERROR, "unclosed ${");
    ok(bn_template_compile(p, "$http_", false, &t, err, sizeof(err)) == BN_ERROR,
       "$http_ without a name");
    bn_pool_destroy(p);
}

/* Every size of input against every size of buffer: never past the end. */
static void
test_lines(void)
{
    char big[300], guard[64 + 8];
    bn_line_t l;
    bool fine = true;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t size = 1; size <= 64; size++) {
        for (size_t n = 0; n < sizeof(big); n += 7) {
            memset(guard, '#', sizeof(guard));
            bn_line_init(&l, guard, size);
            bn_line_printf(&l, "%.*s", (int) n, big);
            bn_line_add(&l, big, n);
            bn_line_escape(&l, "\"\x01zz", 32, BN_ESCAPE_JSON);
            bn_line_mark_cut(&l, "[cut]");
            fine = fine && l.len < size && guard[l.len] == '\0' && guard[size] == '#'
                   && (l.cut == (2 * n + 10 > size - 1));
        }
    }
    ok(fine, "appends clamp to the buffer and say when they cut");
    bn_line_init(&l, guard, sizeof(guard));
    bn_line_escape(&l, "ab\"c\xe9", 64, BN_ESCAPE_JSON);
    ok(strcmp(guard, "ab\\\"c\\u00e9") == 0, "JSON escapes: %s", guard);
    bn_line_init(&l, guard, sizeof(guard));
    bn_line_escape(&l, "ab\"c\xe9", 64, BN_ESCAPE_LOG);
    ok(strcmp(guard, "ab\\\"c\\xe9") == 0, "log escapes: %s", guard);
    bn_line_init(&l, guard, sizeof(guard));
    bn_line_escape(&l, "abcdefgh", 6, BN_ESCAPE_LOG);
    ok(strcmp(guard, "abc...") == 0 && !l.cut, "a long field ends in ... within its cap: %s",
       guard);
    bn_line_init(&l, guard, sizeof(guard));
    bn_line_escape(&l, "ab\xe9\xe9", 9, BN_ESCAPE_LOG);
    ok(strcmp(guard, "ab\\xe9...") == 0, "cut at a whole escape: %s", guard);
    bn_line_init(&l, guard, sizeof(guard));
    bn_line_escape(&l, "abcdef", 6, BN_ESCAPE_LOG);
    ok(strcmp(guard, "abcdef") == 0, "a field that fits exactly is whole");
    bn_line_init(&l, NULL, 0);
    bn_line_printf(&l, "%s", "x");
    bn_line_escape(&l, "abc", 8, BN_ESCAPE_LOG);
    bn_line_mark_cut(&l, "[cut]");
    ok(l.len == 0 && l.cut && l.data[0] == '\0', "a line of no room writes nothing and says so");
    bn_line_init(&l, guard, 10);
    bn_line_printf(&l, "%s", "0123456789abc");
    bn_line_mark_cut(&l, "[cut]");
    ok(strcmp(guard, "0123[cut]") == 0, "a cut line ends in its marker: %s", guard);
}

int
main(void)
{
    test_sizes();
    test_addrs();
    test_cidrs();
    test_pool();
    test_uri();
    test_templates();
    test_lines();
    return done_testing();
}
