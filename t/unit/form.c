/*
 * Unit tests of the form parser (common/form.c): pairs, empty names and
 * values, raw bytes, the pair limit and a handler's refusal, each fed whole,
 * in pieces of every size, and cut in two at every byte.
 */
#include "../../common/form.h"
#include "tap.h"

/* The length of a name whose pair the handler refuses, or 0. */
static size_t refuse_len;

/* What a parse told its handler, as text: "[name]=[value]" per pair, then
 * "!reason" when it failed; "?" marks an event out of order. */
typedef struct {
    char out[1 << 20];
    size_t len;
    int want; /* 0: a NAME piece or its start, 1: a VALUE piece */
    size_t pair;
    const char *in; /* the input fed, to check pieces point into it */
    size_t in_len;
    size_t name_len;
    bool open; /* a pair's NAME has begun */
} rec_t;

#define put(r, s, n) tap_escape((r)->out, sizeof((r)->out), &(r)->len, s, n, "[]\\")
#define put_str(r, s) tap_append((r)->out, sizeof((r)->out), &(r)->len, s)

static int
handler(void *ctx, bn_form_ev_t *ev)
{
    rec_t *r = ctx;
    bool name = ev->type == BN_FORM_EV_NAME;

    if (!r->open && name) {
        r->open = true;
        put_str(r, r->len == 0 ? "[" : " [");
        if (ev->pair != r->pair++) {
            put_str(r, "?pair");
        }
    }
    if (name != (r->want == 0)) {
        put_str(r, "?order");
    }
    if (ev->len > 0 && r->in != NULL
        && (ev->data < r->in || ev->data + ev->len > r->in + r->in_len)) {
        put_str(r, "?copied");
    }
    put(r, ev->data, ev->len);
    if (name) {
        r->name_len += ev->len;
    }
    if (ev->last) {
        put_str(r, name ? "]=[" : "]");
        r->want = name ? 1 : 0;
        r->open = name;
        if (name && refuse_len != 0 && r->name_len == refuse_len) {
            ev->err = "refused by test";
            return BN_ERROR;
        }
        r->name_len = 0;
    }
    return BN_OK;
}

/* Feeds text in pieces of `step` bytes (0: whole), or cut in two at `cut`
 * when step is (size_t) -1. */
static const char *
run(rec_t *r, const char *text, size_t len, const bn_form_limits_t *lim, size_t step, size_t cut)
{
    bn_form_t f;
    size_t i, k;
    int rc = BN_OK;

    memset(r, 0, sizeof(*r));
    r->in = text;
    r->in_len = len;
    bn_form_init(&f, lim, handler, r);
    if (step == (size_t) -1) {
        rc = bn_form_feed(&f, text, cut);
        if (rc == BN_OK) {
            rc = bn_form_feed(&f, text + cut, len - cut);
        }
    } else {
        for (i = 0; rc == BN_OK && i < len; i += k) {
            k = step == 0 ? len - i : BN_MIN(step, len - i);
            rc = bn_form_feed(&f, text + i, k);
        }
    }
    if (rc == BN_OK) {
        rc = bn_form_finish(&f);
    }
    if (rc != BN_OK) {
        put_str(r, "!");
        put_str(r, f.err);
    }
    return r->out;
}

typedef struct {
    const char *text;
    const char *want;
} form_case_t;

static const form_case_t cases[] = {
    { "", "" },
    { "a=1&b=2", "[a]=[1] [b]=[2]" },
    { "a", "[a]=[]" },
    { "a&b", "[a]=[] [b]=[]" },
    { "&&a=1&&&b&", "[a]=[1] [b]=[]" },
    { "&", "" },
    { "=", "[]=[]" },
    { "=x", "[]=[x]" },
    { "a=", "[a]=[]" },
    { "a==b=c", "[a]=[=b=c]" },
    { "a=1;b=2", "[a]=[1;b=2]" },
    { "&=&=&", "[]=[] []=[]" },
    { "q=%27%20OR%201%3D1--+x&%zz=%", "[q]=[%27%20OR%201%3D1--+x] [%zz]=[%]" },
    { "n=a\r\nb\x01\xff", "[n]=[a\\x0d\\x0ab\\x01\\xff]" },
    { "user=O'Brien&text=select+the+best&x=<script>",
      "[user]=[O'Brien] [text]=[select+the+best] [x]=[<script>]" },
};

static void
check_all_cuts(const char *text, size_t len, const bn_form_limits_t *lim, const char *want,
               const char *what)
{
    static rec_t r;
    bool same = true;
    size_t k;

    for (k = 1; k <= len && same; k++) {
        if (strcmp(run(&r, text, len, lim, k, 0), want) != 0) {
            printf("# %s: pieces of %zu: %s\n", what, k, r.out);
            same = false;
        }
    }
    for (k = 0; k <= len && same; k++) {
        if (strcmp(run(&r, text, len, lim, (size_t) -1, k), want) != 0) {
            printf("# %s: cut at %zu: %s\n", what, k, r.out);
            same = false;
        }
    }
    ok(same, "%s: the same in pieces of every size and cut anywhere", what);
}

int
main(void)
{
    static rec_t r;
    static char big[300000];
    bn_form_limits_t two = { 2 };
    bn_form_t f;
    size_t i, n;
    const char *got;

    for (i = 0; i < BN_NELEMS(cases); i++) {
        const form_case_t *c = &cases[i];
        size_t len = strlen(c->text);

        got = run(&r, c->text, len, NULL, 0, 0);
        ok(strcmp(got, c->want) == 0, "case %zu: %s", i, c->want);
        if (strcmp(got, c->want) != 0) {
            printf("#   got  %s\n#   want %s\n", got, c->want);
        }
        check_all_cuts(c->text, len, NULL, c->want, c->want);
    }

    /* Long names and values come in pieces, nothing buffered. */
    memset(big, 'n', 100000);
    big[100000] = '=';
    memset(big + 100001, 'v', 150000);
    n = 250001;
    got = run(&r, big, n, NULL, 4096, 0);
    ok(strncmp(got, "[nnn", 4) == 0 && r.len == 100000 + 150000 + 5 && r.pair == 1,
       "a 100000-byte name and a 150000-byte value, fed in 4 KiB pieces");

    /* The pair limit counts pairs, not separators. */
    check_all_cuts("a&b", 3, &two, "[a]=[] [b]=[]", "two pairs with max_pairs 2");
    check_all_cuts("&a&&b&&", 7, &two, "[a]=[] [b]=[]", "empty pairs do not count");
    check_all_cuts("a&b&c", 5, &two, "[a]=[] [b]=[]!too many fields",
                   "a third pair over max_pairs 2");
    n = 0;
    for (i = 0; i < 1000; i++) {
        n += (size_t) snprintf(big + n, 16, "%sk%zu", i ? "&" : "", i);
    }
    got = run(&r, big, n, NULL, 0, 0);
    ok(strchr(got, '!') == NULL && r.pair == 1000, "1000 pairs: the default limit");
    memcpy(big + n, "&last", 5);
    got = run(&r, big, n + 5, NULL, 0, 0);
    ok(strstr(got, "!too many fields") != NULL && r.pair == 1000, "1001 pairs: too many fields");

    /* The handler can stop it, with its reason. */
    refuse_len = 4; /* "stop" */
    got = run(&r, "a=1&stop=2&c=3", 14, NULL, 0, 0);
    ok(strcmp(got, "[a]=[1] [stop]=[!refused by test") == 0, "a handler's refusal stops it: %s",
       got);
    check_all_cuts("a=1&stop=2&c=3", 14, NULL, "[a]=[1] [stop]=[!refused by test",
                   "a handler's refusal");
    refuse_len = 0;

    /* Every later call fails; nothing may follow finish. */
    bn_form_init(&f, &two, NULL, NULL);
    is_int(bn_form_feed(&f, "a&b&c", 5), BN_ERROR, "no handler: the limit still holds");
    ok(f.err != NULL && strcmp(f.err, "too many fields") == 0 && f.err_off == 4,
       "the error's offset is the third pair's first byte");
    is_int(bn_form_feed(&f, "x", 1), BN_ERROR, "a feed after an error fails");
    is_int(bn_form_finish(&f), BN_ERROR, "finish after an error fails");
    bn_form_init(&f, NULL, NULL, NULL);
    is_int(bn_form_finish(&f), BN_OK, "an empty text is no pairs");
    is_int(bn_form_feed(&f, "a", 1), BN_ERROR, "a feed after finish fails");

    return done_testing();
}
