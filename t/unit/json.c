/*
 * Unit tests of the strict JSON parser (common/json.c): every rule, good
 * and bad, through the whole-text parse and through the stream fed in two
 * pieces cut at every byte boundary and in one-byte pieces.
 */
#include "../../common/json.h"
#include "../tools/json_canon.h"
#include "tap.h"

typedef struct {
    const char *text;
    size_t len;       /* 0: strlen(text) */
    const char *want; /* the canonical form, or "error: REASON" */
} json_case_t;

static const json_case_t cases[] = {
    /* Values. */
    { "null", 0, "null" },
    { "true", 0, "true" },
    { "false", 0, "false" },
    { " \t\r\n 1 \t\r\n", 0, "1=1" },
    { "0", 0, "0=0" },
    { "-0", 0, "-0=-0" },
    { "-12.5e-3", 0, "-12.5e-3=-0.012500000000000001" },
    { "1E+2", 0, "1E+2=100" },
    { "0.0e0", 0, "0.0e0=0" },
    { "1e400", 0, "1e400=inf" },
    { "123456789012345678901234567890", 0,
      "123456789012345678901234567890=1.2345678901234568e+29" },
    { "\"\"", 0, "\"\"" },
    { "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", 0, "\"a\\x22b\\x5cc/d\\x08\\x0c\\x0a\\x0d\\x09\"" },
    { "\"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\"", 0,
      "\"A\\xc3\\xa9\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80\"" },
    { "\"\\u0000x\"", 0, "\"\\x00x\"" },
    { "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf\"", 0,
      "\"\\xc3\\xa9\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80\\xf4\\x8f\\xbf\\xbf\\xef\\xbf\\xbf\"" },
    { "\"\x7f\"", 0, "\"\\x7f\"" },
    { "[]", 0, "[]" },
    { "{}", 0, "{}" },
    { "[ 1 , [ ] , { } , \"x\" , null ]", 0, "[1=1,[],{},\"x\",null]" },
    { "{\"a\":{\"a\":1},\"b\":[true,false]}", 0, "{\"a\":{\"a\":1=1},\"b\":[true,false]}" },
    { "{\"\":0,\"\\u0000\":1}", 0, "{\"\":0=0,\"\\x00\":1=1}" },
    { "{\"a\":1,\"A\":2}", 0, "{\"a\":1=1,\"A\":2=2}" },
    { "{\"\\u00e9\":1,\"\xc3\xa9\x20\":2}", 0, "{\"\\xc3\\xa9\":1=1,\"\\xc3\\xa9 \":2=2}" },

    /* Structure. */
    { "", 0, "error: unexpected end of input" },
    { "   ", 0, "error: unexpected end of input" },
    { "[1,]", 0, "error: trailing comma" },
    { "{\"a\":1,}", 0, "error: trailing comma" },
    { "[1,,2]", 0, "error: unexpected character" },
    { "[,1]", 0, "error: unexpected character" },
    { "{,}", 0, "error: expected a key" },
    { "{\"a\" 1}", 0, "error: expected ':'" },
    { "{\"a\":}", 0, "error: unexpected character" },
    { "{a:1}", 0, "error: expected a key" },
    { "{1:1}", 0, "error: expected a key" },
    { "[1 2]", 0, "error: expected ',' or a closer" },
    { "[1}", 0, "error: unexpected character" },
    { "{\"a\":1]", 0, "error: unexpected character" },
    { "]", 0, "error: unexpected character" },
    { "[", 0, "error: unexpected end of input" },
    { "[1", 0, "error: unexpected end of input" },
    { "{\"a\"", 0, "error: unexpected end of input" },
    { "1 2", 0, "error: text after the value" },
    { "{} {}", 0, "error: text after the value" },
    { "nullx", 0, "error: text after the value" },
    { "[1]x", 0, "error: text after the value" },
    { "/* c */ 1", 0, "error: comments are not allowed" },
    { "1 // c", 0, "error: text after the value" },
    { "[1 /* c */]", 0, "error: comments are not allowed" },
    { "{/*c*/}", 0, "error: comments are not allowed" },
    { "\xef\xbb\xbf{}", 0, "error: unexpected character" },
    { "\x0c 1", 0, "error: unexpected character" },
    { "\xc2\xa0 1", 0, "error: unexpected character" },
    { "1\x00", 2, "error: text after the value" },
    { "tru", 0, "error: unexpected end of input" },
    { "trUe", 0, "error: unexpected character" },
    { "True", 0, "error: unexpected character" },
    { "nul", 0, "error: unexpected end of input" },
    { "{\"a\":1,\"a\":2}", 0, "error: duplicate key" },
    { "{\"a\":1,\"b\":{\"a\":1,\"a\":1}}", 0, "error: duplicate key" },
    { "{\"\\u0061\":1,\"a\":2}", 0, "error: duplicate key" },
    { "{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9,\"5\":0}", 0,
      "error: duplicate key" },
    { "{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9,\"10\":0}", 0,
      "{\"1\":1=1,\"2\":2=2,\"3\":3=3,\"4\":4=4,\"5\":5=5,\"6\":6=6,\"7\":7=7,\"8\":8=8,\"9\":9=9,"
      "\"10\":0=0}" },

    /* Numbers. */
    { "01", 0, "error: leading zero" },
    { "-01", 0, "error: leading zero" },
    { "00", 0, "error: leading zero" },
    { "[01]", 0, "error: leading zero" },
    { "+1", 0, "error: unexpected character" },
    { "-", 0, "error: unexpected end of input" },
    { "[-]", 0, "error: bad number" },
    { "- 1", 0, "error: bad number" },
    { "1.", 0, "error: unexpected end of input" },
    { "[1.]", 0, "error: bad number" },
    { ".5", 0, "error: unexpected character" },
    { "1.e5", 0, "error: bad number" },
    { "1e", 0, "error: unexpected end of input" },
    { "[1e]", 0, "error: bad number" },
    { "1e+", 0, "error: unexpected end of input" },
    { "[1e+]", 0, "error: bad number" },
    /* Numbers whole in the input, read where they lie, end at any closer
     * or blank; anything odd goes byte by byte, with the same reasons. */
    { "[1E+2,-0.5e-3,0,-0,10]", 0, "[1E+2=100,-0.5e-3=-0.00050000000000000001,0=0,-0=-0,10=10]" },
    { "{\"a\":12}", 0, "{\"a\":12=12}" },
    { "[1 ,2\t]", 0, "[1=1,2=2]" },
    { "[1e5x]", 0, "error: expected ',' or a closer" },
    { "[-a]", 0, "error: bad number" },
    { "[1.5.5]", 0, "error: expected ',' or a closer" },
    { "[0e]", 0, "error: bad number" },
    { "[[],{},[[]],{\"b\":{}}]", 0, "[[],{},[[]],{\"b\":{}}]" },
    { "[}", 0, "error: unexpected character" },
    { "{]", 0, "error: expected a key" },
    { "[1}", 0, "error: unexpected character" },
    { "1.5.2", 0, "error: text after the value" },
    { "1e5e5", 0, "error: text after the value" },
    { "0x10", 0, "error: text after the value" },
    { "NaN", 0, "error: unexpected character" },
    { "Infinity", 0, "error: unexpected character" },
    { "-Infinity", 0, "error: bad number" },
    { "[nan]", 0, "error: unexpected character" },

    /* Strings. */
    { "\"abc", 0, "error: unexpected end of input" },
    { "\"a\tb\"", 0, "error: control character in string" },
    { "\"a\nb\"", 0, "error: control character in string" },
    { "\"a\x00\"", 3, "error: control character in string" },
    { "\"\x1f\"", 0, "error: control character in string" },
    { "'a'", 0, "error: unexpected character" },
    { "\"\\x41\"", 0, "error: bad escape" },
    { "\"\\a\"", 0, "error: bad escape" },
    { "\"\\U0041\"", 0, "error: bad escape" },
    { "\"\\\x00\"", 4, "error: bad escape" },
    { "\"\\u12\"", 0, "error: bad \\u escape" },
    { "\"\\u12G4\"", 0, "error: bad \\u escape" },
    { "\"\\uD800\"", 0, "error: lone surrogate" },
    { "\"\\uD800x\"", 0, "error: lone surrogate" },
    { "\"\\uD800\\n\"", 0, "error: lone surrogate" },
    { "\"\\uD800\\u0041\"", 0, "error: lone surrogate" },
    { "\"\\uD800\\uD800\"", 0, "error: lone surrogate" },
    { "\"\\uDC00\"", 0, "error: lone surrogate" },
    { "\"\\uDFFF\\uD800\"", 0, "error: lone surrogate" },
    { "\"\\uDBFF\\uDFFF\"", 0, "\"\\xf4\\x8f\\xbf\\xbf\"" },
    { "\"\x80\"", 0, "error: invalid UTF-8" },
    { "\"\xbf\"", 0, "error: invalid UTF-8" },
    { "\"\xc0\xaf\"", 0, "error: invalid UTF-8" },         /* overlong '/' */
    { "\"\xc1\xbf\"", 0, "error: invalid UTF-8" },         /* overlong */
    { "\"\xe0\x80\xaf\"", 0, "error: invalid UTF-8" },     /* overlong */
    { "\"\xe0\x9f\xbf\"", 0, "error: invalid UTF-8" },     /* overlong */
    { "\"\xf0\x80\x80\xaf\"", 0, "error: invalid UTF-8" }, /* overlong */
    { "\"\xf0\x8f\xbf\xbf\"", 0, "error: invalid UTF-8" }, /* overlong */
    { "\"\xed\xa0\x80\"", 0, "error: invalid UTF-8" },     /* U+D800 */
    { "\"\xed\xbf\xbf\"", 0, "error: invalid UTF-8" },     /* U+DFFF */
    { "\"\xed\x9f\xbf\"", 0, "\"\\xed\\x9f\\xbf\"" },      /* U+D7FF */
    { "\"\xf4\x90\x80\x80\"", 0, "error: invalid UTF-8" }, /* U+110000 */
    { "\"\xf5\x80\x80\x80\"", 0, "error: invalid UTF-8" },
    { "\"\xf8\x88\x80\x80\x80\"", 0, "error: invalid UTF-8" },
    { "\"\xff\"", 0, "error: invalid UTF-8" },
    { "\"\xc3\"", 0, "error: invalid UTF-8" },
    { "\"\xc3x\"", 0, "error: invalid UTF-8" },
    { "\"\xe2\x82\"", 0, "error: invalid UTF-8" },
    { "\"\xe2\x82", 0, "error: unexpected end of input" },
    { "\"\xf0\x9f\x98\"", 0, "error: invalid UTF-8" },
    { "{\"\xc0\x80\":1}", 0, "error: invalid UTF-8" },
};

/* The result of text fed in the given pieces (cuts: offsets, ascending). */
static char *
parse_cut(const char *text, size_t len, const size_t *cuts, size_t ncuts,
          const bn_json_limits_t *lim)
{
    bn_pool_t *pool = bn_pool_create(1024);
    bn_json_tree_t *t = bn_json_tree_create(pool, lim);
    bn_json_t *j;
    const char *err;
    size_t off, at = 0, i;
    char *out;

    for (i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;

        if (bn_json_tree_feed(t, text + at, end - at) != BN_OK) {
            break;
        }
        at = end;
    }
    j = bn_json_tree_finish(t, &err, &off);
    if (j != NULL) {
        out = canon_text(j);
    } else if (asprintf(&out, "error: %s", err) == -1) {
        out = NULL;
    }
    bn_pool_destroy(pool);
    return out;
}

static void
test_cases(void)
{
    for (size_t c = 0; c < BN_NELEMS(cases); c++) {
        const json_case_t *k = &cases[c];
        size_t len = k->len ? k->len : strlen(k->text);
        bn_pool_t *pool = bn_pool_create(1024);
        const char *err = NULL;
        bn_json_t *j = bn_json_parse(pool, k->text, len, NULL, &err, NULL);
        char *got = NULL, *s;
        int bad = 0;
        size_t cut, *each;

        if (j != NULL) {
            got = canon_text(j);
        } else if (asprintf(&got, "error: %s", err) == -1) {
            got = NULL;
        }
        ok(got != NULL && strcmp(got, k->want) == 0, "case %zu: %s", c, k->want);
        if (got == NULL || strcmp(got, k->want) != 0) {
            printf("#   got %s\n", got ? got : "(null)");
        }
        bn_pool_destroy(pool);
        free(got);

        for (cut = 0; cut <= len; cut++) {
            s = parse_cut(k->text, len, &cut, 1, NULL);
            if (s == NULL || strcmp(s, k->want) != 0) {
                printf("#   cut at %zu: %s\n", cut, s ? s : "(null)");
                bad++;
            }
            free(s);
        }
        each = malloc((len + 1) * sizeof(*each));
        for (cut = 0; cut < len; cut++) {
            each[cut] = cut + 1;
        }
        s = parse_cut(k->text, len, each, len ? len - 1 : 0, NULL);
        if (s == NULL || strcmp(s, k->want) != 0) {
            printf("#   byte by byte: %s\n", s ? s : "(null)");
            bad++;
        }
        free(s);
        free(each);
        ok(bad == 0, "case %zu cut at every byte and byte by byte", c);
    }
}

static void
test_limits(void)
{
    bn_pool_t *pool = bn_pool_create(1024);
    bn_json_limits_t lim = { 3, 0 };
    const char *err = NULL;
    size_t off = 0;
    char deep[200];

    ok(bn_json_parse(pool, "[[[1]]]", 7, &lim, &err, NULL) != NULL, "depth 3 at a limit of 3");
    ok(bn_json_parse(pool, "[[[[1]]]]", 9, &lim, &err, &off) == NULL
           && strcmp(err, "nested too deep") == 0 && off == 3,
       "depth 4 over a limit of 3, at offset 3");
    ok(bn_json_parse(pool, "{\"a\":{\"b\":[{}]}}", 16, &lim, &err, NULL) == NULL
           && strcmp(err, "nested too deep") == 0,
       "objects count as levels");
    memset(deep, '[', 32);
    memset(deep + 32, ']', 32);
    ok(bn_json_parse(pool, deep, 64, NULL, &err, NULL) != NULL, "the default depth is 32");
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    ok(bn_json_parse(pool, deep, 66, NULL, &err, NULL) == NULL
           && strcmp(err, "nested too deep") == 0,
       "33 levels over the default");

    lim.max_depth = 0;
    lim.max_size = 8;
    ok(bn_json_parse(pool, "[1,2,3] ", 8, &lim, &err, NULL) != NULL, "8 bytes at a limit of 8");
    ok(bn_json_parse(pool, "[1,2,3]  ", 9, &lim, &err, &off) == NULL
           && strcmp(err, "too large") == 0 && off == 8,
       "9 bytes over a limit of 8");
    ok(bn_json_parse(pool, "[1,2,3,4]", 9, &lim, &err, &off) == NULL
           && strcmp(err, "too large") == 0,
       "a value cut by the size limit");
    ok(bn_json_parse(pool, "[1,2,x,4]", 9, &lim, &err, &off) == NULL
           && strcmp(err, "unexpected character") == 0 && off == 5,
       "an error within the limit is reported first");
    bn_pool_destroy(pool);
}

typedef struct {
    char log[1024];
    size_t len;
    int refuse_at;
    int n;
} ev_log_t;

static int
log_handler(void *ctx, bn_json_ev_t *ev)
{
    static const char *names[] = { "{", "}", "[", "]", "K", "S", "N", "T", "F", "0" };
    ev_log_t *l = ctx;

    if (++l->n == l->refuse_at) {
        ev->err = "refused by the test";
        return BN_ERROR;
    }
    l->len += (size_t) snprintf(l->log + l->len, sizeof(l->log) - l->len, "%s%zu%s%.*s%s ",
                                names[ev->type], ev->depth, ev->data ? "(" : "", (int) ev->len,
                                ev->data ? ev->data : "", ev->data ? (ev->last ? ")" : ")+") : "");
    return BN_OK;
}

static void
test_stream(void)
{
    bn_json_stream_t st;
    ev_log_t l = { { 0 }, 0, 0, 0 };
    char big[700];

    bn_json_stream_init(&st, NULL, log_handler, &l);
    ok(bn_json_stream_feed(&st, "{\"ab", 4) == BN_OK
           && bn_json_stream_feed(&st, "c\":[12", 6) == BN_OK
           && bn_json_stream_feed(&st, "3,tr", 4) == BN_OK
           && bn_json_stream_feed(&st, "ue,\"\xc3", 5) == BN_OK
           && bn_json_stream_feed(&st, "\xa9\"]}", 4) == BN_OK
           && bn_json_stream_finish(&st) == BN_OK,
       "stream fed in pieces");
    ok(strcmp(l.log, "{0 K1(ab)+ K1(c) [1 N2(12)+ N2(3) T2 S2(\xc3\xa9) ]1 }0 ") == 0,
       "events, pieces at the input's cuts, a UTF-8 sequence held whole: %s", l.log);

    memset(&l, 0, sizeof(l));
    bn_json_stream_init(&st, NULL, log_handler, &l);
    big[0] = '"';
    memset(big + 1, 'x', 600);
    big[601] = '"';
    ok(bn_json_stream_feed(&st, big, 602) == BN_OK && bn_json_stream_finish(&st) == BN_OK,
       "a 600-byte string");
    is_int(l.n, 3, "comes in three pieces of at most BN_JSON_PIECE bytes");

    memset(&l, 0, sizeof(l));
    l.refuse_at = 3;
    bn_json_stream_init(&st, NULL, log_handler, &l);
    ok(bn_json_stream_feed(&st, "[1,2,3]", 7) == BN_ERROR
           && strcmp(st.err, "refused by the test") == 0 && st.err_off == 4,
       "a handler's refusal stops the stream with its reason at offset 4");
    ok(bn_json_stream_feed(&st, "]", 1) == BN_ERROR && bn_json_stream_finish(&st) == BN_ERROR,
       "and the stream stays failed");

    bn_json_stream_init(&st, NULL, NULL, NULL);
    ok(bn_json_stream_feed(&st, "[1", 2) == BN_OK && bn_json_stream_finish(&st) == BN_ERROR
           && strcmp(st.err, "unexpected end of input") == 0 && st.err_off == 2,
       "no handler: a validator; the end of input at offset 2");
}

static void
test_tree(void)
{
    bn_pool_t *pool = bn_pool_create(1024);
    const char *err;
    const char text[] = "{\"iss\":\"a\\u0000b\",\"exp\":1700000000,\"aud\":[\"x\",\"y\"],\"k\":{}}";
    bn_json_t *j = bn_json_parse(pool, text, sizeof(text) - 1, NULL, &err, NULL);
    const bn_json_t *v;

    ok(j != NULL && j->type == BN_JSON_OBJECT && j->n == 4, "an object of 4 members");
    v = bn_json_get(j, "iss");
    ok(v != NULL && v->type == BN_JSON_STRING && v->len == 3 && memcmp(v->str, "a\0b", 4) == 0,
       "a string holding \\0, NUL-terminated, len 3");
    v = bn_json_get(j, "exp");
    ok(v != NULL && v->type == BN_JSON_NUMBER && v->num == 1700000000.0
           && strcmp(v->str, "1700000000") == 0,
       "a number and its literal");
    v = bn_json_get(j, "aud");
    ok(v != NULL && v->type == BN_JSON_ARRAY && v->n == 2 && strcmp(v->child->str, "x") == 0
           && strcmp(v->child->next->str, "y") == 0 && v->child->next->next == NULL
           && v->child->key == NULL,
       "an array's members in order, without keys");
    ok(bn_json_get(j, "nope") == NULL && bn_json_get(j, "is") == NULL, "a missing key");
    ok(bn_json_get(v, "x") == NULL && bn_json_get(NULL, "x") == NULL, "get on a non-object");
    v = bn_json_get(j, "k");
    ok(v != NULL && v->type == BN_JSON_OBJECT && v->n == 0 && v->child == NULL, "an empty object");
    bn_pool_destroy(pool);
}

/*
 * A string's plain bytes are read eight at a time: a quote, a backslash, a
 * control byte or UTF-8 at every position of strings of every length up to
 * 40, at every alignment of the input, fed whole and cut just after the
 * special byte's start, must read as byte by byte.
 */
static void
test_plain_runs(void)
{
    static const struct {
        const char *in, *out; /* out NULL: "control character in string" */
    } specials[] = { { "", "" }, { "\\n", "\n" }, { "\xc3\xa9", "\xc3\xa9" }, { "\x01", NULL },
                     { "\x7f", "\x7f" } };
    char text[128], want[64];
    int bad = 0, tried = 0;

    for (size_t pad = 0; pad < 9; pad++) {
        for (size_t len = 0; len <= 40; len++) {
            for (size_t pos = 0; pos <= len; pos++) {
                for (size_t k = 0; k < BN_NELEMS(specials); k++) {
                    bn_pool_t *pool = bn_pool_create(1024);
                    const char *err = NULL;
                    size_t n = 0, w = 0, cut;
                    bn_json_t *j;
                    char *s;

                    if (k == 0 && pos != len) {
                        bn_pool_destroy(pool);
                        continue;
                    }
                    memset(text, ' ', pad);
                    n = pad;
                    text[n++] = '"';
                    memset(text + n, 'a', pos);
                    memset(want, 'a', pos);
                    n += pos;
                    w = pos;
                    memcpy(text + n, specials[k].in, strlen(specials[k].in));
                    cut = n + 1;
                    n += strlen(specials[k].in);
                    if (specials[k].out != NULL) {
                        memcpy(want + w, specials[k].out, strlen(specials[k].out));
                        w += strlen(specials[k].out);
                    }
                    memset(text + n, 'b', len - pos);
                    memset(want + w, 'b', len - pos);
                    n += len - pos;
                    w += len - pos;
                    text[n++] = '"';
                    tried++;
                    j = bn_json_parse(pool, text, n, NULL, &err, NULL);
                    if (specials[k].out == NULL
                            ? j != NULL || strcmp(err, "control character in string") != 0
                            : j == NULL || j->type != BN_JSON_STRING || j->len != w
                                  || memcmp(j->str, want, w) != 0) {
                        printf("#   pad %zu len %zu pos %zu special %zu: %s\n", pad, len, pos, k,
                               j == NULL ? err : "a wrong string");
                        bad++;
                    }
                    s = parse_cut(text, n, &cut, 1, NULL);
                    if (s == NULL
                        || (specials[k].out == NULL
                                ? strcmp(s, "error: control character in string") != 0
                                : strncmp(s, "error", 5) == 0)) {
                        printf("#   pad %zu len %zu pos %zu special %zu cut: %s\n", pad, len, pos,
                               k, s ? s : "(null)");
                        bad++;
                    }
                    free(s);
                    bn_pool_destroy(pool);
                }
            }
        }
    }
    ok(bad == 0, "%d strings with a special byte anywhere read as byte by byte", tried);
}

int
main(void)
{
    test_cases();
    test_plain_runs();
    test_limits();
    test_stream();
    test_tree();
    return done_testing();
}
