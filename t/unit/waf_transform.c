/*
 * Unit tests of the WAF's transformations (common/waf_transform.c): each
 * one on plain and hostile inputs, the flags it raises, and on random
 * inputs, alone and chained, that no output is ever longer than its input.
 */
#include "../../common/waf_transform.h"
#include "tap.h"

typedef struct {
    bn_waf_transform_t t;
    const char *in;
    size_t inlen; /* 0: strlen(in) */
    const char *want;
    size_t wantlen; /* 0: strlen(want) */
    unsigned flags; /* all but BN_WAF_F_CHANGED, which is checked against the output */
} xform_case_t;

#define U BN_WAF_T_URL
#define H BN_WAF_T_HTML
#define J BN_WAF_T_JS
#define N BN_WAF_T_UNICODE
#define SQ BN_WAF_T_SQLCOMMENT
#define P BN_WAF_T_PATH
#define F_PCT BN_WAF_F_BAD_PERCENT
#define F_OVL BN_WAF_F_OVERLONG
#define F_UTF BN_WAF_F_BAD_UTF8
#define F_NUL BN_WAF_F_NUL
#define FFFD "\xef\xbf\xbd"
#define GRIN "\xf0\x9f\x98\x80" /* U+1F600, \uD83D\uDE00 */

static const xform_case_t cases[] = {
    { U, "a%20b+c", 0, "a b+c", 0, 0 },
    { U, "plain", 0, "plain", 0, 0 },
    { U, "%252e%252e%252f", 0, "../", 0, 0 },
    { U, "%25252e%25%32%65", 0, "..", 0, 0 },
    { U, "%2525252e", 0, ".", 0, 0 },
    { U, "%252525252e", 0, "%2e", 0, 0 },
    { U, "%c0%af", 0, "\xc0\xaf", 0, F_OVL },
    { U, "..%e0%80%af", 0, "..\xe0\x80\xaf", 0, F_OVL },
    { U, "%25c0%25af", 0, "\xc0\xaf", 0, F_OVL },
    { U, "%", 0, "%", 0, F_PCT },
    { U, "abc%4", 0, "abc%4", 0, F_PCT },
    { U, "%zz%41", 0, "%zzA", 0, F_PCT },
    { U, "%%41", 0, "%A", 0, F_PCT },
    { U, "100%25", 0, "100%", 0, 0 },
    { U, "c%2B%2B", 0, "c++", 0, 0 },
    { U, "a%00b", 0, "a\0b", 3, F_NUL },
    { U, "%u0041%U0042", 0, "AB", 0, 0 },
    { U, "%uff1cscript%uFF1E", 0, "\xef\xbc\x9cscript\xef\xbc\x9e", 0, 0 },
    { U, "%uD83D%uDE00", 0, GRIN, 0, 0 },
    { U, "%uD83D", 0, FFFD, 0, F_UTF },
    { U, "%uDE00%uD83D", 0, FFFD FFFD, 0, F_UTF },
    { U, "%u12", 0, "%u12", 0, F_PCT },
    { U, "%2%35", 0, "%", 0, F_PCT },

    { H, "&lt;script&gt;", 0, "<script>", 0, 0 },
    { H, "&#x6A&#x61&#x76&#x61", 0, "java", 0, 0 },
    { H, "&#106;&#0000097;&#X76;&#x000061", 0, "java", 0, 0 },
    { H, "&#1065", 0, "\xd0\xa9", 0, 0 },
    { H, "&#60abc", 0, "<abc", 0, 0 },
    { H, "&#99999999999;x", 0, FFFD "x", 0, F_UTF },
    { H, "&#x110000;", 0, FFFD, 0, F_UTF },
    { H, "&#xD800;", 0, FFFD, 0, F_UTF },
    { H, "&#0;", 0, FFFD, 0, F_UTF },
    { H, "&#128;", 0, "\xe2\x82\xac", 0, 0 },
    { H, "&#129;", 0, "\xc2\x81", 0, 0 },
    { H, "&#;&#x;&#xg;", 0, "&#;&#x;&#xg;", 0, 0 },
    { H, "javascript&colon;alert&lpar;1&rpar;", 0, "javascript:alert(1)", 0, 0 },
    { H, "java&Tab;script&NewLine;", 0, "java\tscript\n", 0, 0 },
    { H, "&colon", 0, "&colon", 0, 0 },
    { H, "&ltscript", 0, "<script", 0, 0 },
    { H, "&amp;lt;", 0, "&lt;", 0, 0 },
    { H, "&nbsp;&nbsp", 0, "\xc2\xa0\xc2\xa0", 0, 0 },
    { H, "&unknown; a&b & &", 0, "&unknown; a&b & &", 0, 0 },
    { H, "&LT;&Lt;&Hat;&hat;", 0, "<&Lt;^&hat;", 0, 0 },
    { H, "&quot&#39;&apos;", 0, "\"''", 0, 0 },
    { H, "&ZeroWidthSpace;", 0, "\xe2\x80\x8b", 0, 0 },

    { J, "\\x3cscript\\x3E", 0, "<script>", 0, 0 },
    { J, "\\u003c\\u{3c}\\u{00000003c}", 0, "<<<", 0, 0 },
    { J, "\\uD83D\\uDE00", 0, GRIN, 0, 0 },
    { J, "\\u{D83D}\\u{DE00}", 0, GRIN, 0, 0 },
    { J, "\\uD83D", 0, FFFD, 0, F_UTF },
    { J, "\\uDE00x\\uD83Dy", 0, FFFD "x" FFFD "y", 0, F_UTF },
    { J, "\\u{110000}", 0, FFFD, 0, F_UTF },
    { J, "\\u{1F600}", 0, GRIN, 0, 0 },
    { J, "\\074script\\076", 0, "<script>", 0, 0 },
    { J, "\\141lert", 0, "alert", 0, 0 },
    { J, "\\3c script", 0, "<script", 0, 0 },
    { J, "\\65xpression", 0, "expression", 0, 0 },
    { J, "java\\73 cript", 0, "javascript", 0, 0 },
    { J, "\\000041\\41\r\n", 0, "AA", 0, 0 },
    { J, "\\'\\\"\\\\x41", 0, "'\"\\x41", 0, 0 },
    { J, "a\\\nb\\\r\nc", 0, "abc", 0, 0 },
    { J, "\\n\\t\\e\\b", 0, "\n\te\b", 0, 0 },
    { J, "\\0", 0, "\0", 1, F_NUL },
    { J, "\\x4", 0, "x4", 0, 0 },
    { J, "abc\\", 0, "abc\\", 0, 0 },
    { J, "\\u00", 0, "u00", 0, 0 },
    { J, "\\u{}\\u{41", 0, "u{}u{41", 0, 0 },
    { J, "\\\xc3\xa9", 0, "\xc3\xa9", 0, 0 },
    { J, "\\110000 ", 0, FFFD, 0, F_UTF },

    { N, "\xef\xbc\x9c\xef\xbd\x93\xef\xbd\x83\xef\xbd\x92\xef\xbc\x9e", 0, "<scr>", 0, 0 },
    { N,
      "a\xe3\x80\x80"
      "b",
      0, "a b", 0, 0 },
    { N,
      "sel\xe2\x80\x8b"
      "ect\xef\xbb\xbf",
      0, "select", 0, 0 },
    { N, "\xe2\x80\x98or\xe2\x80\x99 \xca\xbc \xef\xbc\x87", 0, "'or' ' '", 0, 0 },
    { N,
      "\xe2\x88\x95"
      "etc\xef\xb9\xa8",
      0, "/etc\\", 0, 0 },
    { N, "..\xc0\xaf", 0, "..\xc0\xaf", 0, F_OVL },
    { N, "\xe0\x80\xaf", 0, "\xe0\x80\xaf", 0, F_OVL },
    { N, "\xf0\x80\x80\xaf", 0, "\xf0\x80\x80\xaf", 0, F_OVL },
    { N, "\xf8\x80\x80\x80\xaf", 0, "\xf8\x80\x80\x80\xaf", 0, F_OVL },
    { N, "\xfc\x80\x80\x80\x80\xaf", 0, "\xfc\x80\x80\x80\x80\xaf", 0, F_OVL },
    { N, "\xff", 0, "\xff", 0, F_UTF },
    { N, "\xed\xa0\x80", 0, "\xed\xa0\x80", 0, F_UTF },
    { N, "ab\xc3", 0, "ab\xc3", 0, F_UTF },
    { N, "\xc0", 0, "\xc0", 0, F_UTF },
    { N, "caf\xc3\xa9 \xe2\x82\xac " GRIN, 0, "caf\xc3\xa9 \xe2\x82\xac " GRIN, 0, 0 },

    { BN_WAF_T_LOWER, "SeLeCT \xc3\x84Z@[", 0, "select \xc3\x84z@[", 0, 0 },

    { BN_WAF_T_SPACE, "a \t\n\r\v\fb", 0, "a b", 0, 0 },
    { BN_WAF_T_SPACE, "a\xc2\xa0\xc2\xa0 b  ", 0, "a b ", 0, 0 },
    { BN_WAF_T_SPACE, "\xc2", 0, "\xc2", 0, 0 },

    { SQ, "un/**/ion", 0, "un ion", 0, 0 },
    { SQ, "1/*!50000union*/select", 0, "1 union select", 0, 0 },
    { SQ, "/*!12345678x*/", 0, " 678x ", 0, 0 },
    { SQ, "/*!100100 select*/", 0, "  select ", 0, 0 },
    { SQ, "/*M!100100select*/", 0, " select ", 0, 0 },
    { SQ, "/*!select*/", 0, " select ", 0, 0 },
    { SQ, "/*!1234x*/", 0, " 1234x ", 0, 0 },
    { SQ, "/*!a/*b*/c*/", 0, " a c ", 0, 0 },
    { SQ, "1' or 1=1-- x\nand", 0, "1' or 1=1 \nand", 0, 0 },
    { SQ, "admin'--", 0, "admin' ", 0, 0 },
    { SQ, "1--x", 0, "1--x", 0, 0 },
    { SQ, "a# c\nb", 0, "a \nb", 0, 0 },
    { SQ, "x/* unterminated", 0, "x ", 0, 0 },
    { SQ, "a*/b", 0, "a*/b", 0, 0 },
    { SQ, "/*/ x */y", 0, " y", 0, 0 },
    { SQ, "/*!", 0, " ", 0, 0 },

    { P, "/a/b/../c", 0, "/a/c", 0, 0 },
    { P, "/a/./b/.", 0, "/a/b/", 0, 0 },
    { P, "a\\..\\..\\windows\\win.ini", 0, "../windows/win.ini", 0, 0 },
    { P, "/../../etc/passwd", 0, "/../../etc/passwd", 0, 0 },
    { P, "/a/../../etc", 0, "/../etc", 0, 0 },
    { P, "//a///b/", 0, "/a/b/", 0, 0 },
    { P, "/a/b/..", 0, "/a/", 0, 0 },
    { P, "/..", 0, "/..", 0, 0 },
    { P, "./a", 0, "a", 0, 0 },
    { P, ".", 0, "", 0, 0 },
    { P, "/", 0, "/", 0, 0 },
    { P, "/..;/manager", 0, "/..;/manager", 0, 0 },
    { P, "/app/..;jsessionid=1/manager/./;/x", 0, "/manager/;/x", 0, 0 },
    { P, ".../a/../b", 0, ".../b", 0, 0 },
    { P, "../a/../b", 0, "../b", 0, 0 },

    { BN_WAF_T_NUL, "a\0b\0", 4, "ab", 0, F_NUL },
    { BN_WAF_T_NUL, "ab", 0, "ab", 0, 0 },
};

/* s[0..n) with its non-printable bytes as \xHH, for a test's name. */
static const char *
esc(const char *s, size_t n)
{
    static char buf[512];
    size_t o = 0;

    for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++) {
        unsigned char c = (unsigned char) s[i];

        o += (size_t) snprintf(buf + o, sizeof(buf) - o, c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x",
                               c);
    }
    buf[o] = '\0';
    return buf;
}

static void
test_cases(void)
{
    char out[256];
    unsigned flags;
    size_t inlen, wantlen, len;

    for (size_t i = 0; i < BN_NELEMS(cases); i++) {
        const xform_case_t *c = &cases[i];

        inlen = c->inlen ? c->inlen : strlen(c->in);
        wantlen = c->wantlen ? c->wantlen : strlen(c->want);
        flags = 0;
        len = bn_waf_transform(c->t, c->in, inlen, out, &flags);
        ok(len == wantlen && memcmp(out, c->want, len) == 0
               && (flags & ~BN_WAF_F_CHANGED) == c->flags
               && !!(flags & BN_WAF_F_CHANGED) == (len != inlen || memcmp(out, c->in, len) != 0),
           "%s: %s", bn_waf_transform_name(c->t), esc(c->in, inlen));
        if (len != wantlen || memcmp(out, c->want, len) != 0) {
            printf("#   got \"%s\"\n", esc(out, len));
        }
        if ((flags & ~BN_WAF_F_CHANGED) != c->flags) {
            printf("#   flags 0x%x, want 0x%x\n", flags & ~BN_WAF_F_CHANGED, c->flags);
        }
    }
}

static void
test_names(void)
{
    bool all = true;

    for (int t = 0; t < BN_WAF_NTRANSFORMS; t++) {
        const char *name = bn_waf_transform_name((bn_waf_transform_t) t);

        all = all && bn_waf_transform_by_name(name, strlen(name)) == t;
    }
    ok(all, "every name reads back as its transformation");
    is_int(bn_waf_transform_by_name("sqlcomment", 10), BN_WAF_T_SQLCOMMENT, "sqlcomment");
    is_int(bn_waf_transform_by_name("URL", 3), BN_ERROR, "names are lower case");
    is_int(bn_waf_transform_by_name("ur", 2), BN_ERROR, "a prefix is no name");
    is_int(bn_waf_transform_by_name("urls", 4), BN_ERROR, "nor a longer word");
    ok(strcmp(bn_waf_transform_name(BN_WAF_T_NUL), "nul") == 0, "nul's name");
    ok(bn_waf_transform_check_tables(), "the tables are sorted and no entity grows");
    ok(bn_waf_utf8_overlong("a\xc0\xaf", 3) && !bn_waf_utf8_overlong("a\xc0", 2)
           && !bn_waf_utf8_overlong("\xc3\xa9", 2),
       "bn_waf_utf8_overlong");
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned) (rng % n);
}

/* Random inputs made mostly of the bytes the transformations react to. */
static size_t
random_input(char *buf, size_t max)
{
    static const char *const pieces[] = {
        "%",
        "%2",
        "%25",
        "%u",
        "%uD83D",
        "%uDE00",
        "%c0",
        "%af",
        "+",
        "&",
        "&#",
        "&#x",
        ";",
        "&lt",
        "&nbsp",
        "&colon;",
        "\\",
        "\\u",
        "\\u{",
        "}",
        "\\x",
        "\\0",
        "/*",
        "*/",
        "/*!",
        "--",
        "#",
        "\n",
        "\r",
        " ",
        "/",
        "..",
        ".",
        "\xc2\xa0",
        "\xef\xbc\x9c",
        "\xe3\x80\x80",
        "\xe2\x80\x8b",
        "\xc0",
        "\xe0\x80",
        "\xf8",
        "\xed\xa0\x80",
        "\0",
        "0",
        "7",
        "9",
        "a",
        "F",
        "x",
        "u",
        "D",
        "M!",
        "12345",
    };
    size_t len = 0, want = rnd((unsigned) max), k;
    const char *p;

    while (len < want) {
        if (rnd(4) == 0) {
            buf[len++] = (char) rnd(256);
            continue;
        }
        p = pieces[rnd(BN_NELEMS(pieces))];
        k = strlen(p) ? strlen(p) : 1; /* "\0" is one NUL byte */
        if (len + k > want) {
            break;
        }
        memcpy(buf + len, p, k);
        len += k;
    }
    return len;
}

#define GUARD 16

static void
test_never_grows(void)
{
    char in[512], a[512 + GUARD], b[512 + GUARD];
    size_t n, len, len2, grew[BN_WAF_NTRANSFORMS] = { 0 }, chains_grew = 0;
    unsigned flags;
    bn_waf_transform_t t, t2;
    bool guard_ok = true;

    for (int iter = 0; iter < 200000; iter++) {
        n = random_input(in, 200);
        t = (bn_waf_transform_t) (iter % BN_WAF_NTRANSFORMS);
        memset(a + n, 0x5a, GUARD);
        flags = 0;
        len = bn_waf_transform(t, in, n, a, &flags);
        if (len > n) {
            grew[t]++;
        }
        for (size_t g = 0; g < GUARD; g++) {
            guard_ok = guard_ok && a[n + g] == 0x5a;
        }
        /* A chain: the next one reads the last one's output. */
        t2 = (bn_waf_transform_t) rnd(BN_WAF_NTRANSFORMS);
        memset(b + len, 0x5a, GUARD);
        len2 = bn_waf_transform(t2, a, len, b, &flags);
        if (len2 > len) {
            chains_grew++;
        }
        for (size_t g = 0; g < GUARD; g++) {
            guard_ok = guard_ok && b[len + g] == 0x5a;
        }
    }
    for (int i = 0; i < BN_WAF_NTRANSFORMS; i++) {
        is_int(grew[i], 0, "%s never grows (random inputs)",
               bn_waf_transform_name((bn_waf_transform_t) i));
    }
    is_int(chains_grew, 0, "nor in a chain");
    ok(guard_ok, "nothing is written past the input's length");
}

int
main(void)
{
    test_cases();
    test_names();
    test_never_grows();
    return done_testing();
}
