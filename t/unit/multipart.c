/*
 * Unit tests of the multipart/form-data parser (common/multipart.c): the
 * boundary parameter, bodies as curl and browsers send them, and every kind
 * of bad input with its reason; each body fed whole, in pieces of every
 * size, and cut in two at every byte, giving the same parts and the same
 * error.
 */
#include "../../common/multipart.h"
#include "tap.h"

#include <time.h>

/* What a parse told its handler, as text: "<name|filename|filename*|type>"
 * for a part's header block ("~" for an absent field), its contents, "$"
 * at its end, then "!reason" when it failed; "?" marks an event out of
 * order. */
typedef struct {
    char out[1 << 20];
    size_t len;
    bool open, ended; /* inside a part; its last DATA came */
    size_t index;
    size_t data; /* contents bytes handed on */
} rec_t;

#define put(r, s, n) tap_escape((r)->out, sizeof((r)->out), &(r)->len, s, n, "<>|$~!\\")
#define put_str(r, s) tap_append((r)->out, sizeof((r)->out), &(r)->len, s)

static void
put_field(rec_t *r, const char *s, size_t n)
{
    if (s == NULL) {
        put_str(r, "~");
    } else {
        put(r, s, n);
    }
}

/* A part whose name is "refuse" is refused at its PART_BEGIN. */
static int
handler(void *ctx, bn_multipart_ev_t *ev)
{
    rec_t *r = ctx;
    const bn_multipart_part_t *p = ev->part;

    if (p == NULL) {
        put_str(r, "?part");
        return BN_OK;
    }
    switch (ev->type) {
    case BN_MULTIPART_EV_PART_BEGIN:
        if (r->open || ev->index != r->index) {
            put_str(r, "?begin");
        }
        r->open = true;
        r->ended = false;
        put_str(r, "<");
        put_field(r, p->name, p->name_len);
        put_str(r, "|");
        put_field(r, p->filename, p->filename_len);
        put_str(r, "|");
        put_field(r, p->filename_ext, p->filename_ext_len);
        put_str(r, "|");
        put_field(r, p->content_type, p->content_type_len);
        put_str(r, ">");
        if (p->name_len == 6 && memcmp(p->name, "refuse", 6) == 0) {
            ev->err = "refused by test";
            return BN_ERROR;
        }
        break;
    case BN_MULTIPART_EV_DATA:
        if (!r->open || r->ended || ev->index != r->index) {
            put_str(r, "?data");
        }
        put(r, ev->data, ev->len);
        r->data += ev->len;
        r->ended = ev->last;
        break;
    case BN_MULTIPART_EV_PART_END:
        if (!r->open || !r->ended || ev->index != r->index) {
            put_str(r, "?end");
        }
        r->open = false;
        r->index++;
        put_str(r, "$");
        break;
    }
    return BN_OK;
}

static const char *boundary = "XyZ";
static bn_multipart_limits_t *limits;

/* Feeds body in pieces of `step` bytes (0: whole), or cut in two at `cut`
 * when step is (size_t) -1. */
static const char *
run(rec_t *r, const char *body, size_t len, size_t step, size_t cut)
{
    bn_multipart_t *mp = malloc(sizeof(*mp));
    size_t i, k;
    int rc = BN_OK;

    memset(r, 0, sizeof(*r));
    if (mp == NULL
        || bn_multipart_init(mp, boundary, strlen(boundary), limits, handler, r) != BN_OK) {
        free(mp);
        return "init failed";
    }
    if (step == (size_t) -1) {
        rc = bn_multipart_feed(mp, body, cut);
        if (rc == BN_OK) {
            rc = bn_multipart_feed(mp, body + cut, len - cut);
        }
    } else {
        for (i = 0; rc == BN_OK && i < len; i += k) {
            k = step == 0 ? len - i : BN_MIN(step, len - i);
            rc = bn_multipart_feed(mp, body + i, k);
        }
    }
    if (rc == BN_OK) {
        rc = bn_multipart_finish(mp);
    }
    if (rc != BN_OK) {
        put_str(r, "!");
        put_str(r, mp->err);
    }
    free(mp);
    return r->out;
}

static void
check(const char *body, size_t len, const char *want, const char *what)
{
    static rec_t r;
    bool same = true;
    size_t k;

    if (len == 0) {
        len = strlen(body);
    }
    run(&r, body, len, 0, 0);
    ok(strcmp(r.out, want) == 0, "%s", what);
    if (strcmp(r.out, want) != 0) {
        printf("#   got  %s\n#   want %s\n", r.out, want);
        return;
    }
    for (k = 1; k <= len && same; k++) {
        if (strcmp(run(&r, body, len, k, 0), want) != 0) {
            printf("#   pieces of %zu: %s\n", k, r.out);
            same = false;
        }
    }
    for (k = 0; k <= len && same; k++) {
        if (strcmp(run(&r, body, len, (size_t) -1, k), want) != 0) {
            printf("#   cut at %zu: %s\n", k, r.out);
            same = false;
        }
    }
    ok(same, "%s: the same in pieces of every size and cut anywhere", what);
}

#define CD "Content-Disposition: form-data; name="
#define CDA(n) "--XyZ\r\n" CD "\"" n "\"\r\n\r\n"

static void
test_boundary(void)
{
    static const struct {
        const char *ct;
        const char *want; /* NULL: BN_ERROR */
    } cases[] = {
        { "multipart/form-data; boundary=abc", "abc" },
        { "multipart/form-data;boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
          "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
        { "multipart/form-data; boundary=------------------------d74496d66958873e",
          "------------------------d74496d66958873e" },
        { "multipart/form-data; boundary=\"a b:c/d=e?f\"", "a b:c/d=e?f" },
        { "Multipart/Form-Data; charset=utf-8; BOUNDARY=xyz", "xyz" },
        { "multipart/form-data; BoUnDaRy=\"q\" ; charset=\"utf-8\"", "q" },
        { "multipart/form-data; boundary=a=b", "a=b" },
        { "multipart/form-data; boundary='()+_,-./:=?", "'()+_,-./:=?" },
        { "multipart/form-data; foo=\"x; boundary=evil\"; boundary=real", "real" },
        { "multipart/form-data; boundary=x;", "x" },
        { "multipart/form-data", NULL },
        { "multipart/form-data; charset=utf-8", NULL },
        { "multipart/form-data; boundary=", NULL },
        { "multipart/form-data; boundary=\"\"", NULL },
        { "multipart/form-data; boundary=\"abc \"", NULL },
        { "multipart/form-data; boundary=a; boundary=b", NULL },
        { "multipart/form-data; boundary=\"a\\\"b\"", NULL },
        { "multipart/form-data; boundary=\"a\\b\"", NULL },
        { "multipart/form-data; boundary=abc def", NULL },
        { "multipart/form-data; boundary=a@b", NULL },
        { "multipart/form-data; boundary=\"a@b\"", NULL },
        { "multipart/form-data; boundary=\"unterminated", NULL },
        { "multipart/form-data; boundary = abc", NULL },
        { "multipart/form-data; charset; boundary=abc", NULL },
        { "; boundary=abc", NULL },
        { "multipart; boundary=abc", NULL },
        { "", NULL },
    };
    char out[BN_MULTIPART_BOUNDARY_MAX + 1], ct[200];
    size_t i, blen;
    int rc;

    for (i = 0; i < BN_NELEMS(cases); i++) {
        blen = 0;
        rc = bn_multipart_boundary(cases[i].ct, strlen(cases[i].ct), out, sizeof(out), &blen);
        if (cases[i].want == NULL) {
            is_int(rc, BN_ERROR, "boundary of [%s]: refused", cases[i].ct);
        } else {
            ok(rc == BN_OK && blen == strlen(cases[i].want) && strcmp(out, cases[i].want) == 0,
               "boundary of [%s]: %s", cases[i].ct, cases[i].want);
        }
    }
    memcpy(ct, "multipart/form-data; boundary=", 30);
    memset(ct + 30, 'b', 71);
    rc = bn_multipart_boundary(ct, 30 + 70, out, sizeof(out), &blen);
    ok(rc == BN_OK && blen == 70, "a boundary of 70 characters");
    is_int(bn_multipart_boundary(ct, 30 + 71, out, sizeof(out), &blen), BN_ERROR,
           "a boundary of 71 characters is refused");
    is_int(bn_multipart_boundary(ct, 30 + 10, out, 10, &blen), BN_ERROR,
           "a boundary that does not fit out is refused");
}

static void
test_good(void)
{
    static const char curl[] =
        "--------------------------d74496d66958873e\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--------------------------d74496d66958873e\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\nworld\r\n\r\n"
        "--------------------------d74496d66958873e--\r\n";
    static const char chrome[] =
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"q\"\r\n"
        "\r\n"
        "' OR 1=1 --\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"upload\"; filename=\"my file %22x%22.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\x00\x01\r\n--\r\n------WebKitFormBoundary7MA4YWxkTrZu0gX\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";

    boundary = "------------------------d74496d66958873e";
    check(curl, 0, "<field|~|~|~>value$<file|a.txt|~|text/plain>hello\\x0d\\x0aworld\\x0d\\x0a$",
          "curl -F: a field and a file");
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    check(chrome, sizeof(chrome) - 1,
          "<q|~|~|~>' OR 1=1 --$"
          "<upload|my file %22x%22.txt|~|application/octet-stream>"
          "\\x00\\x01\\x0d\\x0a--\\x0d\\x0a------WebKitFormBoundary7MA4YWxkTrZu0gX$"
          "<empty||~|application/octet-stream>$",
          "a browser's form: a field, a file holding near-delimiters, no file chosen");
    boundary = "XyZ";

    check("--XyZ--", 0, "", "no parts");
    check("--XyZ--\r\n", 0, "", "no parts, CRLF after the closing delimiter");
    check(CDA("a") "1\r\n--XyZ--", 0, "<a|~|~|~>1$", "one part, the body ends at the delimiter");
    check(CDA("a") "\r\n--XyZ--", 0, "<a|~|~|~>$", "an empty part");
    check(CDA("a") "\r\n\r\n--XyZ--", 0, "<a|~|~|~>\\x0d\\x0a$", "a part that is one CRLF");
    check("preamble\r\n--not it\r\n" CDA("a") "1\r\n--XyZ--\r\nepilogue\r\n--XyW\r\n", 0,
          "<a|~|~|~>1$", "preamble and epilogue are ignored");
    check("\r\n--XyZ\r\n" CD "a\r\n\r\n1\r\n--XyZ--", 0, "<a|~|~|~>1$",
          "a preamble that is one CRLF; a token name");
    check("--XyZ \t \r\n" CD "a\r\n\r\n1\r\n--XyZ\t\r\n" CD "b\r\n\r\n2\r\n--XyZ--  ", 0,
          "<a|~|~|~>1$<b|~|~|~>2$", "transport padding after the boundary");
    check(CDA("a") "\r\n--Xy\r\n-\r\r\n\r\r\n--\r\n--X\r\n--XyZ--", 0,
          "<a|~|~|~>\\x0d\\x0a--Xy\\x0d\\x0a-\\x0d\\x0d\\x0a\\x0d\\x0d\\x0a--\\x0d\\x0a--X$",
          "contents holding prefixes of the delimiter");
    check(CDA("a") "\r\r\r\n--XyZ--", 0, "<a|~|~|~>\\x0d\\x0d$", "CRs before the delimiter");
    check("--XyZ\r\n"
          "content-disposition:FORM-DATA;NAME=x;Filename=\"C:\\dir\\f.txt\";filename*=UTF-8''%e2%"
          "82%ac.txt\r\n"
          "CONTENT-TYPE:  text/plain; charset=utf-8  \r\n"
          "Content-Transfer-Encoding: binary\r\n"
          "X-Other: ignored\r\n"
          "\r\n"
          "v\r\n--XyZ--",
          0, "<x|C:\\x5cdir\\x5cf.txt|UTF-8''%e2%82%ac.txt|text/plain; charset=utf-8>v$",
          "names in any case, a Windows path, filename* raw, other headers ignored");
    check("--XyZ\r\n" CD "\"a \\\"b\\\" \\\\ c;d=e\"; filename=\"x y\" ; ; other=\"1;2\";\r\n\r\n"
          "v\r\n--XyZ--",
          0, "<a \"b\" \\x5c c;d=e|x y|~|~>v$",
          "quoted-pairs, ';' in a quoted name, spaces in a filename, empty parameters");
}

static void
test_many(void)
{
    static char body[200000];
    static rec_t r;
    bn_multipart_limits_t lim = { 0, 0, 0 };
    size_t n = 0, i;

    for (i = 0; i < 1000; i++) {
        n += (size_t) snprintf(body + n, 100, "--XyZ\r\n" CD "\"f%zu\"\r\n\r\n%zu\r\n", i, i);
    }
    memcpy(body + n, "--XyZ--", 7);
    run(&r, body, n + 7, 0, 0);
    ok(r.index == 1000 && strchr(r.out, '!') == NULL && strchr(r.out, '?') == NULL,
       "1000 parts: the default limit");
    n += (size_t) snprintf(body + n, 100, "--XyZ\r\n" CD "\"f%zu\"\r\n\r\n%zu\r\n", i, i);
    memcpy(body + n, "--XyZ--", 7);
    run(&r, body, n + 7, 0, 0);
    ok(r.index == 1000 && strstr(r.out, "!too many parts") != NULL, "1001 parts: too many parts");
    lim.max_parts = 2;
    limits = &lim;
    check(CDA("a") "1\r\n" CDA("b") "2\r\n" CDA("c") "3\r\n--XyZ--", 0,
          "<a|~|~|~>1$<b|~|~|~>2$!too many parts", "three parts over max_parts 2");
    limits = NULL;
}

static void
test_bad(void)
{
    static char body[20000];
    static rec_t r;
    static bn_multipart_t mp;
    bn_multipart_limits_t lim = { 0, 0, 0 };
    size_t n;

    check("", 0, "!no opening boundary", "an empty body");
    check("hello world", 0, "!no opening boundary", "no delimiter at all");
    check("--XyY\r\n" CD "a\r\n\r\n1\r\n--XyY--", 0, "!no opening boundary", "another boundary");
    check("-XyZ\r\n", 0, "!no opening boundary", "one dash");
    check("--XyZ", 0, "!body ends before the closing delimiter", "only the opening boundary");
    check("--XyZ\r\n" CD "a\r\n", 0, "!body ends before the closing delimiter",
          "the body ends in a header block");
    check(CDA("a") "1\r\n--XyZ-", 0, "<a|~|~|~>1$!body ends before the closing delimiter",
          "the body ends in the closing delimiter");
    check(CDA("a") "1234", 0, "<a|~|~|~>1234!body ends before the closing delimiter",
          "the body ends in a part");
    check(CDA("a") "1\r\n--XyZ\r\n", 0, "<a|~|~|~>1$!body ends before the closing delimiter",
          "the body ends after a delimiter");
    check(CDA("a") "1\r\n--XyZ--\r\n--XyZ\r\n" CD "b\r\n\r\n2\r\n--XyZ--", 0,
          "<a|~|~|~>1$!delimiter after the closing delimiter",
          "a part after the closing delimiter");

    /* Line ends. */
    check("--XyZ\n" CD "a\n\n1\n--XyZ--\n", 0, "!bad delimiter line", "LF-only line ends");
    check("--XyZ\r\n" CD "a\n\n1\r\n--XyZ--", 0, "!bare LF in part headers",
          "a bare LF in the header block");
    check("--XyZ\r\n" CD "a\r\r\n\r\n1\r\n--XyZ--", 0, "!CR without LF in part headers",
          "a CR without LF in the header block");
    check(CDA("a") "1\n--XyZ--", 0, "<a|~|~|~>1!delimiter not after CRLF",
          "a delimiter after a bare LF");
    check("preamble\n--XyZ\r\n" CD "a\r\n\r\n1\r\n--XyZ--", 0, "!delimiter not after CRLF",
          "the first delimiter after a bare LF");
    check(CDA("a") "--XyZ--", 0, "<a|~|~|~>!delimiter not after CRLF",
          "a delimiter right after the header block");
    check("--XyZ\r" CD "a\r\n\r\n1\r\n--XyZ--", 0, "!bad delimiter line",
          "CR without LF after a delimiter");
    check("--XyZ x\r\n", 0, "!bad delimiter line", "text after the boundary");
    check("--XyZQ\r\n", 0, "!bad delimiter line", "a longer boundary");
    check(CDA("a") "1\r\n--XyZ-x", 0, "<a|~|~|~>1$!bad delimiter line", "one dash after it");

    /* Header blocks. */
    check("--XyZ\r\n\r\n1\r\n--XyZ--", 0, "!missing Content-Disposition", "no header at all");
    check("--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--", 0,
          "!missing Content-Disposition", "no Content-Disposition");
    check("--XyZ\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\n1\r\n--XyZ--", 0,
          "!missing name", "no name");
    check("--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XyZ--", 0, "!missing name",
          "no parameters");
    check("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--XyZ--", 0,
          "!bad Content-Disposition", "an attachment");
    check("--XyZ\r\nContent-Disposition: name=a\r\n\r\n--XyZ--", 0, "!bad Content-Disposition",
          "no disposition type");
    check("--XyZ\r\n" CD "\"a\r\n\r\n1\r\n--XyZ--", 0, "!bad Content-Disposition",
          "an unterminated quoted name");
    check("--XyZ\r\n" CD "a b\r\n\r\n1\r\n--XyZ--", 0, "!bad Content-Disposition",
          "a name with a space, unquoted");
    check("--XyZ\r\n" CD "\r\n\r\n1\r\n--XyZ--", 0, "!bad Content-Disposition", "an empty name");
    check("--XyZ\r\n" CD "a; name=b\r\n\r\n1\r\n--XyZ--", 0, "!bad Content-Disposition",
          "two names");
    check("--XyZ\r\n" CD "a; filename=x; FILENAME=y\r\n\r\n1\r\n--XyZ--", 0,
          "!bad Content-Disposition", "two filenames");
    check("--XyZ\r\n" CD "a\r\n" CD "b\r\n\r\n1\r\n--XyZ--", 0, "!bad Content-Disposition",
          "two Content-Disposition lines");
    check("--XyZ\r\n" CD "a; x\r\n\r\n1\r\n--XyZ--", 0, "!bad Content-Disposition",
          "a parameter without a value");
    check("--XyZ\r\n" CD "a\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n1\r\n--XyZ--", 0,
          "!duplicate Content-Type", "two Content-Type lines");
    check("--XyZ\r\n" CD "a\r\nContent-Transfer-Encoding: base64\r\n\r\nMQ==\r\n--XyZ--", 0,
          "!unsupported Content-Transfer-Encoding", "a base64 part");
    check("--XyZ\r\n" CD "a\r\n x\r\n\r\n1\r\n--XyZ--", 0, "!folded part header", "a folded line");
    check("--XyZ\r\n" CD "a\r\nNo colon\r\n\r\n1\r\n--XyZ--", 0, "!bad part header",
          "a line without a colon");
    check("--XyZ\r\n" CD "a\r\nName : x\r\n\r\n1\r\n--XyZ--", 0, "!bad part header",
          "a space before the colon");
    check("--XyZ\r\n" CD "a\r\n: x\r\n\r\n1\r\n--XyZ--", 0, "!bad part header", "an empty name");
    check("--XyZ\r\n" CD "\"a\x00\"\r\n\r\n1\r\n--XyZ--",
          sizeof("--XyZ\r\n" CD "\"a\x00\"\r\n\r\n1\r\n--XyZ--") - 1,
          "!control character in part headers", "a NUL in a header");
    check("--XyZ\r\n" CD "refuse\r\n\r\n1\r\n--XyZ--", 0, "<refuse|~|~|~>!refused by test",
          "a handler's refusal");

    /* Limits of a header block. */
    n = (size_t) snprintf(body, sizeof(body), "--XyZ\r\n" CD "\"");
    memset(body + n, 'n', 9000);
    n += 9000;
    n += (size_t) snprintf(body + n, sizeof(body) - n, "\"\r\n\r\n1\r\n--XyZ--");
    run(&r, body, n, 0, 0);
    ok(strcmp(r.out, "!header block too large") == 0, "a 9000-byte name: header block too large");
    run(&r, body, n, 1, 0);
    ok(strcmp(r.out, "!header block too large") == 0, "the same, fed a byte at a time");
    /* The block: a line of 40 bytes, its CRLF and the empty line's. */
    lim.max_head = 43;
    limits = &lim;
    check("--XyZ\r\n" CD "abc\r\n\r\n\r\n--XyZ--", 0, "!header block too large",
          "a header block of 44 bytes over max_head 43");
    lim.max_head = 44;
    check("--XyZ\r\n" CD "abc\r\n\r\n\r\n--XyZ--", 0, "<abc|~|~|~>$",
          "a header block of 44 bytes with max_head 44");
    lim.max_head = 0;
    lim.max_lines = 2;
    check("--XyZ\r\n" CD "a\r\nA: 1\r\nB: 2\r\n\r\n1\r\n--XyZ--", 0, "!too many header lines",
          "three header lines over max_lines 2");
    limits = NULL;
    n = (size_t) snprintf(body, sizeof(body), "--XyZ\r\n" CD "a\r\n");
    for (int i = 0; i < 32; i++) {
        n += (size_t) snprintf(body + n, sizeof(body) - n, "X-A: b\r\n");
    }
    n += (size_t) snprintf(body + n, sizeof(body) - n, "\r\n1\r\n--XyZ--");
    run(&r, body, n, 0, 0);
    ok(strcmp(r.out, "!too many header lines") == 0, "33 header lines: too many header lines");

    is_int(bn_multipart_init(&mp, "", 0, NULL, NULL, NULL), BN_ERROR,
           "init refuses an empty boundary");
    memset(body, 'b', 71);
    is_int(bn_multipart_init(&mp, body, 71, NULL, NULL, NULL), BN_ERROR,
           "init refuses a boundary of 71 characters");
    is_int(bn_multipart_init(&mp, body, 70, NULL, NULL, NULL), BN_OK,
           "init takes a boundary of 70 characters");
    is_int(bn_multipart_feed(&mp, "--", 2), BN_OK, "no handler: fed");
    is_int(bn_multipart_feed(&mp, body, 70), BN_OK, "no handler: the boundary");
    is_int(bn_multipart_feed(&mp, "--\r\n", 4), BN_OK, "no handler: the closing delimiter");
    is_int(bn_multipart_finish(&mp), BN_OK, "no handler: finished");
    is_int(bn_multipart_feed(&mp, "x", 1), BN_ERROR, "a feed after finish fails");
    is_int(bn_multipart_finish(&mp), BN_ERROR, "a second finish fails");
}

/* Contents full of near-delimiters: linear, and nothing held back beyond
 * the delimiter's length. */
static void
test_pathological(void)
{
    static char body[6100000];
    static rec_t r;
    static const char head[] = CDA("a");
    bn_multipart_t *mp = malloc(sizeof(*mp));
    size_t n, i, held = 0, fed;
    struct timespec t0, t1;
    double ms;
    int rc = BN_OK;

    memcpy(body, head, sizeof(head) - 1);
    n = sizeof(head) - 1;
    for (i = 0; i < 1000000; i++) {
        memcpy(body + n, "\r\n--Xy", 6);
        n += 6;
    }
    memcpy(body + n, "\r\n--XyZ--", 9);
    n += 9;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run(&r, body, n, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
    ok(r.data == 6000000 && r.index == 1 && strchr(r.out, '!') == NULL,
       "\"\\r\\n--Xy\" a million times: one part of 6000000 bytes");
    printf("# %.1f ms for %zu bytes\n", ms, n);

    /* Fed a byte at a time, what was handed on trails what was fed by at
     * most the delimiter's length (CRLF "--" and the boundary). */
    memset(&r, 0, sizeof(r));
    bn_multipart_init(mp, "XyZ", 3, NULL, handler, &r);
    for (i = 0; rc == BN_OK && i < 60000 + sizeof(head) - 1; i++) {
        rc = bn_multipart_feed(mp, body + i, 1);
        if (i >= sizeof(head) - 1) {
            fed = i + 1 - (sizeof(head) - 1);
            held = BN_MAX(held, fed - r.data);
        }
    }
    ok(rc == BN_OK && held == 6, "a byte at a time: at most %zu bytes held back (%zu)", held,
       (size_t) 3 + 4);
    free(mp);
}

int
main(void)
{
    test_boundary();
    test_good();
    test_many();
    test_bad();
    test_pathological();
    return done_testing();
}
