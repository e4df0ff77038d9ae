/*
 * access_waf.c: the WAF, the last access handler.  It inspects every value
 * the request carries, in the part it came in (common/waf.h scores them):
 * the path as sent and as normalised, each query argument's name and
 * value, each cookie, each header but the framing ones, and then the body
 * as its Content-Type says (form, JSON, multipart; anything else as lines
 * of text), parsed as it arrives.
 *
 * An inspected body reaches the upstream only after the decision: the
 * handler reads it (sending "100 Continue" first when the client waits for
 * one), holds what it read, up to max_body, in memory counted against
 * limits.waf_body_memory, and once it has decided hands the held bytes to
 * the request pipe, which sends them before the rest.  Beyond max_body,
 * strict_body refuses (413) and otherwise the rest passes uninspected.
 */
#include "access_waf.h"
#include "pipe.h"
#include "request.h"
#include "variables.h"
#include "../common/form.h"
#include "../common/json.h"
#include "../common/multipart.h"
#include "../common/waf.h"

/* The headers not inspected: framing bouncer checked itself, and Cookie,
 * inspected cookie by cookie. */
static const char *const skip_headers[] = { "host", "content-length", "transfer-encoding",
                                            "connection", "cookie", "keep-alive", "te",
                                            NULL };

enum { BODY_NONE = 0, BODY_FORM, BODY_JSON, BODY_MULTIPART, BODY_TEXT };

/* A line of a text body longer than this is inspected in pieces of it,
 * each beginning with the last TEXT_OVERLAP bytes of the one before, so
 * that an attack no longer than that is whole in one piece wherever the
 * cut falls. */
#define TEXT_LINE_MAX 4096
#define TEXT_OVERLAP 1024

typedef struct {
    bn_request_t *r;
    const bn_conf_waf_t *conf;
    bn_waf_scan_t scan;
    int kind; /* BODY_* */
    bool timed_out;
    bool body_error; /* it did not parse */
    bool short_memory; /* a value could not be gathered whole: no decision on it */
    bn_buf_t hold;   /* the body read so far; malloc'd */
    size_t hold_cap; /* the most hold may grow to */
    size_t fed;      /* bytes of hold the parser has seen */
    size_t slack;    /* one read of the client buffer */
    size_t counted;  /* bytes of waf_body_memory this request holds */
    const char *cont; /* the rest of "100 Continue" to send; NULL: none */
    size_t cont_len;
    bn_timer_t timer;

    /* The value being gathered, and the name it belongs to. */
    bn_waf_part_t part;
    char *val;
    size_t val_len, val_cap;
    size_t carried; /* text: the bytes of val the piece before had, inspected */
    char name[64];
    size_t name_len;
    bool in_file; /* multipart: the part is a file, its contents skipped */
    bool plus_space; /* form encoding: '+' is a space */

    /* JSON: hashes of the keys of every open object, to refuse a key given
     * twice (two parsers that keep different ones see different values).
     * An object's first KEY_SCAN keys are compared one by one; past that
     * its keys are also in ktab, so that an object of many thousand keys
     * costs a probe a key, not a pass over all before it. */
    uint64_t *keys;
    size_t nkeys, keys_cap;
    size_t *key_base; /* where each open object's keys begin, by depth */
    uint64_t key_hash;
    bool in_key;
    uint32_t *ktab; /* open-addressed, linear probing */
    size_t ktab_cap, ktab_used; /* cap: a power of two */

    /* The body's parser, made once there is a body of a parsed type (a
     * multipart parser is 8 KiB: a GET makes none). */
    union {
        bn_form_t form;
        bn_json_stream_t json;
        bn_multipart_t mp;
    } *p;
} waf_ctx_t;

/* What this worker's requests hold of bodies, against waf_body_memory. */
static size_t body_memory;

static bool
wanted(const bn_conf_route_t *rt)
{
    return rt->waf.mode != BN_WAF_OFF && rt->waf.rules != NULL;
}

static int
count_memory(waf_ctx_t *x, size_t more)
{
    if (body_memory + more > bn_heritage.conf->limits.waf_body_memory) {
        return BN_ERROR;
    }
    body_memory += more;
    x->counted += more;
    return BN_OK;
}

static void
forget(void *data)
{
    waf_ctx_t *x = data;

    bn_timer_del(&x->timer);
    free(x->hold.start);
    free(x->val);
    free(x->keys);
    free(x->ktab);
    body_memory -= x->counted;
}

/* ---- values ------------------------------------------------------------------------ */

/* A value is inspected up to max_body (or, in the head, as long as a head
 * may be): what lies beyond passes.  A value of a body of known length is
 * no longer than the body, and its buffer grows no further, however the
 * body is cut into reads (HTTP/2 DATA frames, a slow client). */
static size_t
value_most(const waf_ctx_t *x)
{
    size_t most =
        BN_MAX((size_t) x->conf->max_body, (size_t) bn_heritage.conf->limits.max_header_size);
    const bn_request_t *r = x->r;

    if (x->part == BN_WAF_PART_BODY && r->req_pipe.in_mode == BN_BODY_LENGTH
        && r->head.content_length >= 0 && (uint64_t) r->head.content_length < most) {
        most = (size_t) r->head.content_length;
    }
    return most;
}

static void
gather(waf_ctx_t *x, const char *p, size_t n)
{
    size_t most = value_most(x);
    size_t room = most > x->val_len ? most - x->val_len : 0;

    n = BN_MIN(n, room);
    if (n == 0) {
        return;
    }
    if (x->val_len + n > x->val_cap) {
        size_t cap = BN_MAX(x->val_cap * 2, BN_MAX(x->val_len + n, (size_t) 256));
        char *m;
        cap = BN_MIN(cap, most);
        if (count_memory(x, cap - x->val_cap) != BN_OK || (m = realloc(x->val, cap)) == NULL) {
            /* Out of room: a value inspected only as far as it got would
             * let what lies beyond pass, so the request is refused (503). */
            x->short_memory = true;
            return;
        }
        x->val = m;
        x->val_cap = cap;
    }
    memcpy(x->val + x->val_len, p, n);
    if (x->plus_space) {
        for (size_t i = x->val_len; i < x->val_len + n; i++) {
            if (x->val[i] == '+') {
                x->val[i] = ' ';
            }
        }
    }
    x->val_len += n;
}

static void
set_name(waf_ctx_t *x, const char *p, size_t n)
{
    x->name_len = BN_MIN(n, sizeof(x->name));
    memcpy(x->name, p, x->name_len);
}

/* Inspects v[0..n) as a value of part (named name for the log); what was
 * gathered is done with.  A text body's lines and a file's contents are
 * raw bytes, not fields that a parser took apart. */
static void
inspect_value(waf_ctx_t *x, const char *v, size_t n, const char *name, size_t name_len)
{
    if (x->part == BN_WAF_PART_BODY
        && (x->kind == BODY_TEXT || (x->kind == BODY_MULTIPART && x->in_file))) {
        bn_waf_scan_raw(&x->scan, x->part, name, name_len, v, n);
    } else {
        bn_waf_scan_value(&x->scan, x->part, name, name_len, v, n);
    }
    x->val_len = 0;
    x->carried = 0;
}

/* Inspects what was gathered. */
static void
inspect(waf_ctx_t *x, const char *name, size_t name_len)
{
    inspect_value(x, x->val ? x->val : "", x->val_len, name, name_len);
}

/* A JSON key's or string's bytes once its last piece came: that piece
 * itself when the value came in one (most do: not copied), else all that
 * was gathered. */
static void
json_whole(waf_ctx_t *x, const bn_json_ev_t *ev, const char **v, size_t *n)
{
    if (x->val_len == 0) {
        *v = ev->data != NULL ? ev->data : "";
        *n = BN_MIN(ev->len, value_most(x));
        return;
    }
    gather(x, ev->data, ev->len);
    *v = x->val != NULL ? x->val : "";
    *n = x->val_len;
}

/* ---- the head ---------------------------------------------------------------------- */

/* A query string or form body: each name, then its value. */
static int
form_event(void *ctx, bn_form_ev_t *ev)
{
    waf_ctx_t *x = ctx;

    gather(x, ev->data, ev->len);
    if (!ev->last) {
        return BN_OK;
    }
    if (ev->type == BN_FORM_EV_NAME) {
        set_name(x, x->val ? x->val : "", x->val_len);
    }
    inspect(x, x->name, x->name_len);
    return bn_waf_scan_over(&x->scan) ? BN_ERROR : BN_OK;
}

static void
inspect_query(waf_ctx_t *x, const char *q, size_t n)
{
    bn_form_limits_t lim = { x->conf->max_args };
    bn_form_t f;
    int rc;

    x->part = BN_WAF_PART_QUERY;
    x->plus_space = true;
    bn_form_init(&f, &lim, form_event, x);
    rc = bn_form_feed(&f, q, n);
    if (rc == BN_OK) {
        rc = bn_form_finish(&f);
    }
    x->plus_space = false;
    if (rc != BN_OK && !bn_waf_scan_over(&x->scan)) {
        /* More arguments than max_args: those past it were not looked at,
         * which must not be a way past the WAF. */
        bn_waf_scan_malformed(&x->scan, BN_WAF_PART_QUERY, f.err);
    }
}

/* Cookie: a=1; b=2 (RFC 6265 4.2.1), each name and value. */
static void
inspect_cookies(waf_ctx_t *x, const char *v, size_t n)
{
    const char *p = v, *end = v + n;

    while (p < end && !bn_waf_scan_over(&x->scan)) {
        const char *semi = memchr(p, ';', (size_t) (end - p));
        const char *e = semi ? semi : end, *eq;

        while (p < e && (*p == ' ' || *p == '\t')) {
            p++;
        }
        eq = memchr(p, '=', (size_t) (e - p));
        if (p < e) {
            const char *nm = p, *val = eq ? eq + 1 : e;
            size_t nl = (size_t) ((eq ? eq : e) - p);
            bn_waf_scan_value(&x->scan, BN_WAF_PART_COOKIE, nm, nl, nm, nl);
            if (eq != NULL) {
                bn_waf_scan_value(&x->scan, BN_WAF_PART_COOKIE, nm, nl, val, (size_t) (e - val));
            }
        }
        p = semi ? semi + 1 : end;
    }
}

static bool
skipped_header(const char *name, size_t len)
{
    for (size_t i = 0; skip_headers[i] != NULL; i++) {
        if (bn_strncaseeq(name, len, skip_headers[i], strlen(skip_headers[i]))) {
            return true;
        }
    }
    return false;
}

static void
inspect_head(waf_ctx_t *x)
{
    bn_request_t *r = x->r;
    /* What the client sent, not what a rewrite made of it: a rewrite that
     * drops the query string must not hide it. */
    const char *buf = r->client->in.start, *t = r->request_uri, *q = strchr(t, '?');
    size_t plen = q ? (size_t) (q - t) : strlen(t);

    /* The path as sent, and as routing saw it when that differs. */
    bn_waf_scan_value(&x->scan, BN_WAF_PART_PATH, NULL, 0, t, plen);
    if (strlen(r->path) != plen || memcmp(r->path, t, plen) != 0) {
        bn_waf_scan_value(&x->scan, BN_WAF_PART_PATH, NULL, 0, r->path, strlen(r->path));
    }
    if (q != NULL && !bn_waf_scan_over(&x->scan)) {
        inspect_query(x, q + 1, strlen(q + 1));
    }
    for (unsigned i = 0; i < r->head.nheaders && !bn_waf_scan_over(&x->scan); i++) {
        const bn_http_header_t *h = &r->head.headers[i];
        const char *name = buf + h->name;
        if (bn_strncaseeq(name, h->name_len, "cookie", 6)) {
            inspect_cookies(x, buf + h->value, h->value_len);
        } else if (!skipped_header(name, h->name_len)) {
            bn_waf_scan_value(&x->scan, BN_WAF_PART_HEADER, name, h->name_len, buf + h->value, h->value_len);
        }
    }
}

/* ---- the body ---------------------------------------------------------------------- */

/*
 * The keys of objects of more than KEY_SCAN keys, as indexes into keys
 * (plus one; 0 is a free slot), placed by a keyed hash of the key's hash:
 * FNV-1a is no secret, and keys made to share a slot would make each probe
 * walk all of them.  An index at or past the open object's key_base is one
 * of its own keys: those of the objects around it lie before.  When an
 * object closes its indexes are taken out again (backward shift, no
 * tombstones), so the table holds only keys of open objects.
 */
#define KEY_SCAN 16

static size_t
key_home(const waf_ctx_t *x, uint64_t hash)
{
    return (size_t) bn_waf_keyed_hash(&hash, sizeof(hash)) & (x->ktab_cap - 1);
}

/* The slot of a key of the open object at base with that hash, or the free
 * slot where it would go. */
static size_t
key_find(const waf_ctx_t *x, uint64_t hash, size_t base)
{
    size_t i = key_home(x, hash);

    while (x->ktab[i] != 0 && (x->ktab[i] - 1 < base || x->keys[x->ktab[i] - 1] != hash)) {
        i = (i + 1) & (x->ktab_cap - 1);
    }
    return i;
}

/* Places keys[k], which no slot holds. */
static void
key_place(waf_ctx_t *x, size_t k)
{
    size_t i = key_home(x, x->keys[k]);

    while (x->ktab[i] != 0) {
        i = (i + 1) & (x->ktab_cap - 1);
    }
    x->ktab[i] = (uint32_t) (k + 1);
}

static int
key_add(waf_ctx_t *x, size_t k)
{
    if ((x->ktab_used + 1) * 2 > x->ktab_cap) {
        size_t cap = BN_MAX(x->ktab_cap * 2, (size_t) 64), old_cap = x->ktab_cap;
        uint32_t *old = x->ktab, *m;
        if (count_memory(x, (cap - old_cap) * sizeof(*m)) != BN_OK
            || (m = calloc(cap, sizeof(*m))) == NULL) {
            return BN_ERROR;
        }
        x->ktab = m;
        x->ktab_cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i] != 0) {
                key_place(x, old[i] - 1);
            }
        }
        free(old);
    }
    key_place(x, k);
    x->ktab_used++;
    return BN_OK;
}

static void
key_remove(waf_ctx_t *x, size_t k)
{
    size_t mask = x->ktab_cap - 1, i = key_home(x, x->keys[k]), j;

    while (x->ktab[i] != k + 1) {
        i = (i + 1) & mask;
    }
    /* Each entry after the hole that may move into it does, up to the
     * first free slot: probing for any entry still finds it. */
    for (j = i;;) {
        size_t h;
        j = (j + 1) & mask;
        if (x->ktab[j] == 0) {
            break;
        }
        h = key_home(x, x->keys[x->ktab[j] - 1]);
        if (i <= j ? (i < h && h <= j) : (i < h || h <= j)) {
            continue; /* its home lies after the hole: it stays */
        }
        x->ktab[i] = x->ktab[j];
        i = j;
    }
    x->ktab[i] = 0;
    x->ktab_used--;
}

/* Refuses a key its object has already; else adds it to the object's. */
static int
key_unique(waf_ctx_t *x, bn_json_ev_t *ev)
{
    size_t base = x->key_base[ev->depth], have = x->nkeys - base;
    uint64_t h = x->key_hash;

    if (have <= KEY_SCAN) {
        for (size_t i = base; i < x->nkeys; i++) {
            if (x->keys[i] == h) {
                ev->err = "duplicate key";
                return BN_ERROR;
            }
        }
    } else if (x->ktab[key_find(x, h, base)] != 0) {
        ev->err = "duplicate key";
        return BN_ERROR;
    }
    if (x->nkeys == x->keys_cap) {
        size_t cap = BN_MAX(x->keys_cap * 2, (size_t) 64);
        uint64_t *m;
        if (count_memory(x, (cap - x->keys_cap) * sizeof(*m)) != BN_OK
            || (m = realloc(x->keys, cap * sizeof(*m))) == NULL) {
            ev->err = "out of memory";
            return BN_ERROR;
        }
        x->keys = m;
        x->keys_cap = cap;
    }
    x->keys[x->nkeys++] = h;
    /* The object's KEY_SCAN + 1st key puts them all in the table. */
    for (size_t i = have == KEY_SCAN ? base : x->nkeys - 1; have >= KEY_SCAN && i < x->nkeys; i++) {
        if (key_add(x, i) != BN_OK) {
            ev->err = "out of memory";
            return BN_ERROR;
        }
    }
    return BN_OK;
}

static int
json_event(void *ctx, bn_json_ev_t *ev)
{
    waf_ctx_t *x = ctx;
    const char *v;
    size_t n, base;

    switch (ev->type) {
    case BN_JSON_EV_OBJECT_BEGIN:
        x->key_base[ev->depth + 1] = x->nkeys;
        return BN_OK;
    case BN_JSON_EV_OBJECT_END:
        base = x->key_base[ev->depth + 1];
        if (x->nkeys - base > KEY_SCAN) {
            for (size_t i = base; i < x->nkeys; i++) {
                key_remove(x, i);
            }
        }
        x->nkeys = base;
        return BN_OK;
    case BN_JSON_EV_KEY:
        if (!x->in_key) {
            x->key_hash = BN_FNV1A_START;
            x->in_key = true;
        }
        x->key_hash = bn_fnv1a(x->key_hash, ev->data, ev->len);
        if (!ev->last) {
            gather(x, ev->data, ev->len);
            return BN_OK;
        }
        x->in_key = false;
        if (key_unique(x, ev) != BN_OK) {
            return BN_ERROR;
        }
        json_whole(x, ev, &v, &n);
        set_name(x, v, n);
        inspect_value(x, v, n, x->name, x->name_len);
        break;
    case BN_JSON_EV_STRING:
        if (!ev->last) {
            gather(x, ev->data, ev->len);
            return BN_OK;
        }
        json_whole(x, ev, &v, &n);
        inspect_value(x, v, n, x->name, x->name_len);
        break;
    default:
        return BN_OK;
    }
    return bn_waf_scan_over(&x->scan) ? BN_ERROR : BN_OK;
}

static int
multipart_event(void *ctx, bn_multipart_ev_t *ev)
{
    waf_ctx_t *x = ctx;
    const bn_multipart_part_t *pt = ev->part;

    switch (ev->type) {
    case BN_MULTIPART_EV_PART_BEGIN:
        if (pt->name != NULL) {
            set_name(x, pt->name, pt->name_len);
            bn_waf_scan_value(&x->scan, BN_WAF_PART_BODY, x->name, x->name_len, pt->name, pt->name_len);
        }
        x->in_file = pt->filename != NULL || pt->filename_ext != NULL;
        if (pt->filename != NULL) {
            bn_waf_scan_value(&x->scan, BN_WAF_PART_BODY, x->name, x->name_len, pt->filename,
                        pt->filename_len);
        }
        if (pt->filename_ext != NULL) {
            bn_waf_scan_value(&x->scan, BN_WAF_PART_BODY, x->name, x->name_len, pt->filename_ext,
                        pt->filename_ext_len);
        }
        break;
    case BN_MULTIPART_EV_DATA:
        if (x->in_file && !x->conf->inspect_files) {
            return BN_OK;
        }
        gather(x, ev->data, ev->len);
        if (ev->last) {
            inspect(x, x->name, x->name_len);
        }
        break;
    case BN_MULTIPART_EV_PART_END:
        x->in_file = false;
        x->val_len = 0;
        break;
    }
    return bn_waf_scan_over(&x->scan) ? BN_ERROR : BN_OK;
}

/* A body of no parsed type: its lines, each on its own. */
static void
text_feed(waf_ctx_t *x, const char *p, size_t n)
{
    const char *end = p + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        const char *e = nl ? nl : end;
        size_t take = BN_MIN((size_t) (e - p), TEXT_LINE_MAX - x->val_len);

        gather(x, p, take);
        p += take;
        if (x->val_len == TEXT_LINE_MAX) {
            inspect(x, NULL, 0);
            memmove(x->val, x->val + TEXT_LINE_MAX - TEXT_OVERLAP, TEXT_OVERLAP);
            x->val_len = x->carried = TEXT_OVERLAP;
        }
        if (nl != NULL && p == nl) {
            if (x->val_len > x->carried) {
                inspect(x, NULL, 0);
            }
            x->val_len = x->carried = 0;
            p++;
        }
    }
}

static bool
media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    return bn_strncaseeq(ct, BN_MIN(strlen(ct), n), type, n)
           && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/*
 * Whether a media type is one a backend reads as JSON: application/json
 * and text/json (ASP.NET takes both), x-json and jsonrequest (Rails), and
 * any +json type (RFC 6839).  Parsed as JSON here too: read as text, its
 * \u0027 escapes would stay escapes to the WAF and be quotes to the backend.
 */
static bool
json_type(const char *ct)
{
    size_t tl = strcspn(ct, "; \t");
    const char *slash = memchr(ct, '/', tl), *sub;
    size_t sl;

    if (slash == NULL) {
        return false;
    }
    sub = slash + 1;
    sl = (size_t) (ct + tl - sub);
    return bn_strncaseeq(sub, sl, "json", 4) || bn_strncaseeq(sub, sl, "x-json", 6)
           || bn_strncaseeq(sub, sl, "jsonrequest", 11)
           || (sl > 5 && bn_strncaseeq(sub + sl - 5, 5, "+json", 5));
}

/*
 * Whether every charset parameter of a Content-Type value names a charset
 * whose bytes mean to the inspectors what they mean to the backend: ASCII
 * and the charsets that extend it byte for byte.  A backend that decodes a
 * form in IBM037 or text in UTF-7 (ASP.NET does) sees characters the WAF
 * never saw.  Quoted values are read as quoted strings, so a ';' inside
 * one (a boundary's) does not begin a parameter.
 */
static bool
charset_readable(const char *ct)
{
    static const char *const readable[] = { "utf-8",      "utf8",        "us-ascii",
                                            "ascii",      "iso-8859-1",  "latin1",
                                            "iso-8859-15", "windows-1252", NULL };
    const char *p = strchr(ct, ';');

    while (p != NULL) {
        const char *name, *v;
        size_t nl, vl;
        bool ok = false;

        for (p++; *p == ' ' || *p == '\t'; p++) {
        }
        name = p;
        p += strcspn(p, "=; \t");
        nl = (size_t) (p - name);
        for (; *p == ' ' || *p == '\t'; p++) {
        }
        if (*p != '=') {
            p = strchr(p, ';');
            continue;
        }
        for (p++; *p == ' ' || *p == '\t'; p++) {
        }
        v = p;
        if (*p == '"') {
            for (v = ++p; *p != '\0' && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0') {
                    p++;
                }
            }
            vl = (size_t) (p - v);
            p += *p == '"';
        } else {
            p += strcspn(p, "; \t");
            vl = (size_t) (p - v);
        }
        if (bn_strncaseeq(name, nl, "charset", 7)) {
            for (size_t i = 0; readable[i] != NULL && !ok; i++) {
                ok = bn_strncaseeq(v, vl, readable[i], strlen(readable[i]));
            }
            if (!ok) {
                return false;
            }
        }
        p = strchr(p, ';');
    }
    return true;
}

/* What the body is parsed as, from its Content-Type; BN_ERROR with *why
 * when the type itself is a reason to refuse the body. */
static int
body_kind(waf_ctx_t *x, const char **why)
{
    bn_request_t *r = x->r;
    const char *buf = r->client->in.start;
    char *ct;
    char boundary[BN_MULTIPART_BOUNDARY_MAX + 1];
    size_t blen;
    unsigned lines = 0;

    /* RFC 9110 8.3: one media type.  Joined, two lines read as neither;
     * the backend would take one of them (most take the first). */
    for (unsigned i = 0; i < r->head.nheaders; i++) {
        const bn_http_header_t *h = &r->head.headers[i];
        lines += bn_strncaseeq(buf + h->name, h->name_len, "content-type", 12);
    }
    if (lines > 1) {
        *why = "several Content-Type header lines";
        return BN_ERROR;
    }
    ct = bn_http_header(r, "content-type");
    if (ct == NULL) {
        return BODY_TEXT;
    }
    if (!charset_readable(ct)) {
        *why = "a charset the WAF does not read";
        return BN_ERROR;
    }
    x->p = bn_palloc(r->pool, sizeof(*x->p));
    if (x->p == NULL) {
        *why = "out of memory";
        return BN_ERROR;
    }
    if (media_type_is(ct, "application/x-www-form-urlencoded")) {
        bn_form_limits_t lim = { x->conf->max_args };
        bn_form_init(&x->p->form, &lim, form_event, x);
        x->plus_space = true; /* the body is all form from here on */
        return BODY_FORM;
    }
    if (json_type(ct)) {
        bn_json_limits_t lim = { x->conf->max_depth, (size_t) x->conf->max_body };
        /* An object at the deepest level the stream allows has its keys
         * one level further in. */
        x->key_base = bn_pcalloc(x->r->pool, sizeof(size_t) * (x->conf->max_depth + 2));
        if (x->key_base == NULL) {
            *why = "out of memory";
            return BN_ERROR;
        }
        bn_json_stream_init(&x->p->json, &lim, json_event, x);
        return BODY_JSON;
    }
    if (media_type_is(ct, "multipart/form-data")) {
        bn_multipart_limits_t lim = { 0, x->conf->max_args, 0 };
        if (bn_multipart_boundary(ct, strlen(ct), boundary, sizeof(boundary), &blen) != BN_OK
            || bn_multipart_init(&x->p->mp, boundary, blen, &lim, multipart_event, x) != BN_OK) {
            *why = "multipart without a valid boundary";
            return BN_ERROR;
        }
        return BODY_MULTIPART;
    }
    return BODY_TEXT;
}

static const char *
parser_error(waf_ctx_t *x)
{
    switch (x->kind) {
    case BODY_FORM:
        return x->p->form.err;
    case BODY_JSON:
        return x->p->json.err;
    case BODY_MULTIPART:
        return x->p->mp.err;
    }
    return NULL;
}

/* Feeds the parser what hold has that it has not seen, up to max_body;
 * at the body's end, tells it so. */
static void
feed(waf_ctx_t *x, bool end)
{
    size_t upto = BN_MIN(bn_buf_len(&x->hold), (size_t) x->conf->max_body);
    const char *p = x->hold.start + x->fed;
    size_t n = upto > x->fed ? upto - x->fed : 0;
    int rc = BN_OK;

    x->fed += n;
    if (bn_waf_scan_over(&x->scan) || x->body_error) {
        return;
    }
    switch (x->kind) {
    case BODY_FORM:
        rc = bn_form_feed(&x->p->form, p, n);
        if (rc == BN_OK && end) {
            rc = bn_form_finish(&x->p->form);
        }
        break;
    case BODY_JSON:
        rc = bn_json_stream_feed(&x->p->json, p, n);
        if (rc == BN_OK && end) {
            rc = bn_json_stream_finish(&x->p->json);
        }
        break;
    case BODY_MULTIPART:
        rc = bn_multipart_feed(&x->p->mp, p, n);
        if (rc == BN_OK && end) {
            rc = bn_multipart_finish(&x->p->mp);
        }
        break;
    default:
        text_feed(x, p, n);
        if (end && x->val_len > x->carried) {
            inspect(x, NULL, 0);
        }
        break;
    }
    if (rc != BN_OK && !bn_waf_scan_over(&x->scan)) {
        /* The handlers stop a parser once the score is reached; any other
         * stop is the body's fault. */
        x->body_error = true;
        bn_waf_scan_malformed(&x->scan, BN_WAF_PART_BODY,
                              parser_error(x) ? parser_error(x) : "refused");
    }
}

static void
body_timeout(bn_timer_t *t)
{
    waf_ctx_t *x = t->data;

    x->timed_out = true;
    bn_phase_wake(x->r);
}

/*
 * Makes room in hold for one more read: a frame may be as long as the
 * client buffer (slack) however little room is left, except when hold is
 * the whole body's length.  BN_ERROR when the worker's waf_body_memory has
 * no room for it.
 */
static int
hold_room(waf_ctx_t *x)
{
    size_t len = bn_buf_len(&x->hold), cap = (size_t) (x->hold.end - x->hold.start), grow;
    char *m;

    if (cap > 0 && cap - len > x->slack) {
        return BN_OK;
    }
    grow = x->slack == 0 ? x->hold_cap
                         : BN_MIN(BN_MAX(cap * 2, len + x->slack + 16384), x->hold_cap);
    if (grow <= cap) {
        return BN_OK; /* as large as it gets: max_body stops the reading */
    }
    if (count_memory(x, grow - cap) != BN_OK) {
        return BN_ERROR;
    }
    m = realloc(x->hold.start, grow);
    if (m == NULL) {
        return BN_ERROR;
    }
    x->hold.pos = m;
    x->hold.last = m + len;
    x->hold.start = m;
    x->hold.end = m + grow;
    return BN_OK;
}

static int
body_start(waf_ctx_t *x)
{
    bn_request_t *r = x->r;
    bn_client_t *c = r->client;
    bn_conf_t *conf = bn_heritage.conf;
    const char *why = NULL;

    if (r->req_pipe.in_mode == BN_BODY_NONE) {
        return BN_OK;
    }
    /* The route's limit first, as PREPARE applies it: no byte of a body it
     * refuses is read. */
    if (bn_request_body_limit(r) != BN_OK) {
        return 413;
    }
    if (x->conf->strict_body && r->head.content_length > (int64_t) x->conf->max_body) {
        bn_log_error(BN_LOG_INFO, &c->log, 0,
                     "waf: a body of %" PRId64 " bytes is over waf.max_body (%" PRIu64
                     ") and strict_body refuses it",
                     r->head.content_length, x->conf->max_body);
        return 413;
    }
    x->part = BN_WAF_PART_BODY;
    x->kind = body_kind(x, &why);
    if (x->kind == BN_ERROR) {
        x->kind = BODY_NONE;
        x->body_error = true;
        if (bn_waf_scan_malformed(&x->scan, BN_WAF_PART_BODY, why)) {
            return BN_OK; /* decided without a byte of it */
        }
    }
    x->slack = (size_t) (r->body.end - r->body.start);
    x->hold_cap = (size_t) x->conf->max_body + x->slack;
    if (r->req_pipe.in_mode == BN_BODY_LENGTH
        && r->head.content_length <= (int64_t) x->conf->max_body) {
        x->hold_cap = (size_t) r->head.content_length;
        x->slack = 0; /* the frames never pass the length */
    }
    if (r->head.expect_continue && r->version >= 11 && bn_buf_len(&r->body) == 0) {
        /* The client waits for a word before it sends the body, and the
         * WAF must see the body before it decides. */
        x->cont = "HTTP/1.1 100 Continue\r\n\r\n";
        x->cont_len = 25;
        r->continue_sent = true;
    }
    x->timer.handler = body_timeout;
    x->timer.data = x;
    bn_timer_set(&x->timer, conf->limits.body_timeout);
    return BN_AGAIN;
}

/* limits.waf_body_memory has no room for what this request needs held or
 * gathered: 503, logged at warn. */
static int
memory_refused(waf_ctx_t *x)
{
    bn_log_error(BN_LOG_WARN, &x->r->client->log, 0,
                 "waf: limits.waf_body_memory (%" PRIu64 " bytes) is all held by "
                 "bodies being inspected",
                 bn_heritage.conf->limits.waf_body_memory);
    x->r->keepalive = false;
    return 503;
}

/* Reads the body into hold until it is whole or max_body is; BN_OK then,
 * BN_AGAIN to wait for more, BN_DONE when the request was ended, or a
 * status. */
static int
body_read(waf_ctx_t *x)
{
    bn_request_t *r = x->r;
    bn_client_t *c = r->client;
    const char *why = NULL;
    bool whole;
    int rc;

    for (;;) {
        size_t max, before = bn_buf_len(&x->hold);

        if (x->timed_out) {
            bn_log_error(BN_LOG_INFO, &c->log, 0, "client timed out sending the request body");
            r->keepalive = false;
            return 408;
        }
        while (x->cont != NULL) {
            struct iovec iov = { (void *) x->cont, x->cont_len };
            ssize_t n = bn_conn_sendv(&c->conn, &iov, 1, 0);
            if (n == BN_AGAIN) {
                return BN_AGAIN;
            }
            if (n < 0) {
                break; /* the read below finds the client gone */
            }
            x->cont += n;
            x->cont_len -= (size_t) n;
            if (x->cont_len == 0) {
                x->cont = NULL;
            }
        }
        if (hold_room(x) != BN_OK) {
            return memory_refused(x);
        }
        max = BN_MIN((size_t) x->conf->max_body,
                     (size_t) (x->hold.end - x->hold.start) - x->slack);
        rc = bn_pipe_hold(&r->req_pipe, &c->conn, &x->hold, max, &why);
        if (rc == BN_PIPE_TOO_LARGE) {
            bn_log_error(BN_LOG_INFO, &c->log, 0,
                         "client sent a chunked body over the limit of %" PRIu64 " bytes",
                         r->req_pipe.max_body);
            return 413;
        }
        if (rc == BN_PIPE_SRC_ERROR) {
            if (strcmp(why, "invalid chunked body") == 0) {
                bn_log_error(BN_LOG_INFO, &c->log, 0, "client sent an invalid chunked body");
                r->keepalive = false;
                return 400;
            }
            bn_log_error(BN_LOG_INFO, &c->log, 0,
                         "client closed the connection while sending the body");
            r->status = 499;
            r->ops->done(r);
            return BN_DONE;
        }
        if (bn_buf_len(&x->hold) > before) {
            bn_timer_set(&x->timer, bn_heritage.conf->limits.body_timeout);
        }
        /* The body's end is the parser's only when max_body has room for
         * all of it: a body read whole in one go may still be longer. */
        whole = r->req_pipe.in_done && bn_buf_len(&x->hold) <= x->conf->max_body;
        feed(x, whole);
        if (x->short_memory) {
            return memory_refused(x);
        }
        if (whole) {
            return BN_OK;
        }
        if (bn_buf_len(&x->hold) >= x->conf->max_body) {
            if (x->conf->strict_body) {
                bn_log_error(BN_LOG_INFO, &c->log, 0,
                             "waf: the body is over waf.max_body (%" PRIu64
                             " bytes) and strict_body refuses it",
                             x->conf->max_body);
                r->keepalive = false;
                return 413;
            }
            /* The value max_body cut is inspected as far as it came: an
             * attack must not pass for being followed by padding. */
            if (x->val_len > x->carried && !x->body_error && !bn_waf_scan_over(&x->scan)) {
                bool text =
                    x->kind != BODY_FORM && x->kind != BODY_JSON && x->kind != BODY_MULTIPART;
                inspect(x, text ? NULL : x->name, text ? 0 : x->name_len);
            }
            return BN_OK;
        }
        if (bn_waf_scan_over(&x->scan)) {
            return BN_OK; /* decided: the rest need not be read */
        }
        if (r->req_pipe.need_read) {
            return BN_AGAIN;
        }
    }
}

/* ---- the verdict ------------------------------------------------------------------- */

/* "942100,941100": the matched rules, for the access log. */
static const char *
rule_list(waf_ctx_t *x)
{
    char *s = bn_palloc(x->r->pool, x->scan.nmatches * 11 + 1), *o = s;

    if (s == NULL) {
        return NULL;
    }
    *o = '\0';
    for (unsigned i = 0; i < x->scan.nmatches; i++) {
        o += sprintf(o, "%s%u", i ? "," : "", x->scan.matches[i].rule->id);
    }
    return s;
}

static void
log_matches(waf_ctx_t *x, bool blocks)
{
    bn_request_t *r = x->r;
    char line[2048];
    size_t o;
    int level = blocks ? BN_LOG_WARN : BN_LOG_INFO;

    o = (size_t) snprintf(line, sizeof(line), "waf: %s, score %u (threshold %u), request id %s:",
                          !blocks ? "matched"
                          : x->conf->mode == BN_WAF_BLOCK ? "blocked"
                                                          : "would block (mode detect)",
                          x->scan.score, x->scan.threshold, bn_request_id(r));
    for (unsigned i = 0; i < x->scan.nmatches && o < sizeof(line); i++) {
        const bn_waf_match_t *m = &x->scan.matches[i];
        o += (size_t) snprintf(line + o, sizeof(line) - o,
                               "%s rule %u (%s%s%s) in %s%s%s%s after %s: \"%s\"", i ? ";" : "",
                               m->rule->id, m->rule->msg, m->why ? ", " : "", m->why ? m->why : "",
                               bn_waf_part_name(m->part), m->name[0] ? " \"" : "", m->name,
                               m->name[0] ? "\"" : "", x->scan.set->chains[m->rule->chain].name,
                               m->excerpt);
    }
    if (x->scan.nmatched > x->scan.nmatches && o < sizeof(line)) {
        o += (size_t) snprintf(line + o, sizeof(line) - o, "; and %u more",
                               x->scan.nmatched - x->scan.nmatches);
    }
    if (x->scan.nlimited > 0 && o < sizeof(line)) {
        snprintf(line + o, sizeof(line) - o, "; %u regex runs hit the match limit",
                 x->scan.nlimited);
    }
    bn_log_error(level, &r->client->log, 0, "%s", line);
}

/* s as HTML text, in pool: a request id may be the client's, and the page
 * must not run what it sent. */
static const char *
html_text(bn_pool_t *pool, const char *s)
{
    size_t n = 0;
    char *out, *o;

    for (const char *p = s; *p; p++) {
        n += strchr("<>&\"'", *p) != NULL ? 6 : 1;
    }
    if ((out = o = bn_palloc(pool, n + 1)) == NULL) {
        return NULL;
    }
    for (const char *p = s; *p; p++) {
        if (strchr("<>&\"'", *p) != NULL) {
            o += sprintf(o, "&#%d;", *p);
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static int
verdict(waf_ctx_t *x)
{
    bn_request_t *r = x->r;
    bool blocks = bn_waf_scan_over(&x->scan);
    bool refuse = blocks && x->conf->mode == BN_WAF_BLOCK;

    if (x->hold.start != NULL) {
        bn_pipe_send_held(&r->req_pipe, &x->hold);
    }
    if (x->scan.nmatched == 0) {
        return BN_OK;
    }
    r->waf_rules = rule_list(x);
    for (unsigned i = 0; i < x->scan.nmatches; i++) {
        bn_waf_count(bn_heritage.conf->waf_counters, x->scan.matches[i].rule->id,
                     x->scan.matches[i].part, refuse);
    }
    log_matches(x, blocks);
    if (!refuse) {
        return BN_OK;
    }
    {
        /* A short page that names nothing behind bouncer: the request id
         * lets the operator find the log line that says why. */
        const char *id = html_text(r->pool, bn_request_id(r));
        char *page = id == NULL ? NULL
                                : bn_psprintf(r->pool,
                                              "<html>\r\n<head><title>403 Forbidden</title></head>"
                                              "\r\n<body>\r\n<center><h1>403 Forbidden</h1>"
                                              "</center>\r\n<center>Request ID: %s</center>\r\n"
                                              "<hr><center>bouncer</center>\r\n</body>\r\n"
                                              "</html>\r\n",
                                              id);
        if (page == NULL) {
            return 403;
        }
        /* Its X-Request-Id comes with every response of bouncer's. */
        r->ops->respond(r, 403, NULL, "text/html", page);
        return BN_DONE;
    }
}

static int
handler(bn_request_t *r)
{
    waf_ctx_t *x = r->access_ctx[BN_ACCESS_WAF];
    int rc;

    if (x == NULL) {
        const bn_conf_waf_t *w = &r->route->waf;
        x = bn_pcalloc(r->pool, sizeof(*x));
        if (x == NULL || bn_pool_cleanup_add(r->pool, forget, x) != BN_OK) {
            return 500;
        }
        r->access_ctx[BN_ACCESS_WAF] = x;
        x->r = r;
        x->conf = w;
        bn_waf_scan_init(&x->scan, w->rules, w->paranoia, w->threshold, w->exclude, w->nexclude,
                         w->match_limit);
        inspect_head(x);
        if (x->short_memory) {
            return memory_refused(x);
        }
        if (bn_waf_scan_over(&x->scan)) {
            return verdict(x);
        }
        rc = body_start(x);
        if (rc != BN_AGAIN) {
            return rc == BN_OK ? verdict(x) : rc;
        }
    }
    rc = body_read(x);
    if (rc == BN_DONE) {
        return BN_DONE; /* the request is over: r is gone */
    }
    if (rc == BN_AGAIN) {
        r->phase_reads_body = true;
        return BN_AGAIN;
    }
    r->phase_reads_body = false;
    bn_timer_del(&x->timer);
    if (rc != BN_OK) {
        return rc;
    }
    return verdict(x);
}

const bn_access_module_t bn_access_waf = { "waf", BN_ACCESS_WAF, wanted, handler };
