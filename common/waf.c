/*
 * waf.c: the WAF's rules text, and the scan that runs them over a request's
 * values (waf.h says what both are).  Runs in the master (parsing, at load)
 * and in workers (scans).
 */
#include "waf.h"
#include "str.h"
#include "waf_detect.h"
#include "waf_transform.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/random.h>

static const char *const part_names[BN_WAF_NPARTS] = { "path", "query", "cookie", "header",
                                                       "body" };

const char *
bn_waf_part_name(bn_waf_part_t part)
{
    return part < BN_WAF_NPARTS ? part_names[part] : "?";
}

/* ---- the rules text ---------------------------------------------------------------- */

typedef struct {
    const char *key;
    size_t key_len;
    char *val; /* unquoted, NUL-terminated, in the pool */
    size_t val_len;
} field_t;

#define MAX_FIELDS 12

/* Splits one line into key=value fields; returns their count, or -1 with
 * err set. */
static int
split_fields(bn_pool_t *pool, const char *p, const char *end, field_t *f, const char **err)
{
    int n = 0;

    for (;;) {
        const char *k, *v;
        char *out;
        size_t len = 0;

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }
        if (p == end || *p == '#') {
            return n;
        }
        if (n == MAX_FIELDS) {
            *err = "too many fields";
            return -1;
        }
        k = p;
        while (p < end && *p != '=' && *p != ' ' && *p != '\t') {
            p++;
        }
        if (p == end || *p != '=' || p == k) {
            *err = "expected key=value";
            return -1;
        }
        f[n].key = k;
        f[n].key_len = (size_t) (p - k);
        p++;
        out = bn_palloc(pool, (size_t) (end - p) + 1);
        if (out == NULL) {
            *err = "out of memory";
            return -1;
        }
        if (p < end && *p == '"') {
            p++;
            for (;;) {
                if (p == end) {
                    *err = "unterminated quoted value";
                    return -1;
                }
                if (*p == '"') {
                    p++;
                    break;
                }
                if (*p == '\\' && p + 1 < end) {
                    /* Kept as written (a regex has escapes of its own);
                     * unescape() reads them for the other fields. */
                    out[len++] = *p++;
                }
                out[len++] = *p++;
            }
            if (p < end && *p != ' ' && *p != '\t') {
                *err = "expected a space after a quoted value";
                return -1;
            }
        } else {
            v = p;
            while (p < end && *p != ' ' && *p != '\t') {
                p++;
            }
            len = (size_t) (p - v);
            memcpy(out, v, len);
        }
        out[len] = '\0';
        f[n].val = out;
        f[n].val_len = len;
        n++;
    }
}

static bool
key_is(const field_t *f, const char *k)
{
    return f->key_len == strlen(k) && memcmp(f->key, k, f->key_len) == 0;
}

/* Finds or adds the chain named by a transforms list; -1 with err. */
static int
chain_index(bn_waf_rules_t *set, const char *list, const char **err)
{
    bn_waf_chain_t c;
    const char *p = list;

    memset(&c, 0, sizeof(c));
    while (*p != '\0' && strcmp(list, "none") != 0) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t) (comma - p) : strlen(p);
        int t = bn_waf_transform_by_name(p, len);
        if (t < 0) {
            *err = "unknown transform";
            return -1;
        }
        if (c.n == BN_WAF_MAX_CHAIN) {
            *err = "too many transforms";
            return -1;
        }
        c.t[c.n++] = (unsigned char) t;
        p += len + (comma != NULL);
    }
    for (unsigned i = 0; i < c.n; i++) {
        size_t l = strlen(c.name);
        snprintf(c.name + l, sizeof(c.name) - l, "%s%s", i ? "," : "",
                 bn_waf_transform_name((bn_waf_transform_t) c.t[i]));
    }
    if (c.n == 0) {
        strcpy(c.name, "none");
    }
    c.parent = -1; /* bn_waf_rules_finish() finds it */
    for (unsigned i = 0; i < set->nchains; i++) {
        if (set->chains[i].n == c.n && memcmp(set->chains[i].t, c.t, c.n) == 0) {
            return (int) i;
        }
    }
    if (set->nchains == BN_WAF_MAX_CHAINS) {
        *err = "too many different transform chains";
        return -1;
    }
    set->chains[set->nchains] = c;
    return (int) set->nchains++;
}

static int
parse_parts(const char *list, unsigned *parts)
{
    const char *p = list;

    *parts = 0;
    if (strcmp(list, "all") == 0) {
        *parts = (1u << BN_WAF_NPARTS) - 1;
        return BN_OK;
    }
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t) (comma - p) : strlen(p);
        unsigned k;
        for (k = 0; k < BN_WAF_NPARTS; k++) {
            if (strlen(part_names[k]) == len && memcmp(part_names[k], p, len) == 0) {
                break;
            }
        }
        if (k == BN_WAF_NPARTS) {
            return BN_ERROR;
        }
        *parts |= 1u << k;
        p += len + (comma != NULL);
    }
    return *parts != 0 ? BN_OK : BN_ERROR;
}

static const char *
compile_rule_regex(bn_pool_t *pool, bn_waf_rule_t *r, const char *re)
{
    static char msg[160];
    PCRE2_UCHAR e[120];
    PCRE2_SIZE off;
    int ec;

    r->re = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
    if (r->re == NULL) {
        pcre2_get_error_message(ec, e, sizeof(e));
        snprintf(msg, sizeof(msg), "regex does not compile at offset %zu: %s", (size_t) off,
                 (char *) e);
        return msg;
    }
    pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
    if (bn_pool_cleanup_add(pool, (bn_pool_cleanup_pt) pcre2_code_free, r->re) != BN_OK) {
        pcre2_code_free(r->re);
        return "out of memory";
    }
    return NULL;
}

static inline void
bytes_add(bn_waf_bytes_t *b, unsigned char c)
{
    b->w[c >> 6] |= 1ULL << (c & 63);
}

static inline bool
bytes_has(const bn_waf_bytes_t *b, unsigned char c)
{
    return (b->w[c >> 6] >> (c & 63)) & 1;
}

/*
 * A quoted value's escapes, for every field but regex (whose escapes are
 * PCRE2's, and which loses only the backslash of \"): \" \\ \n \r \t
 * and \xHH; any other backslash stays.  In place; returns the length.
 */
static size_t
unescape(char *v, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '\\' && i + 1 < n) {
            char e = v[i + 1];
            if (e == '"' || e == '\\') {
                c = e;
                i++;
            } else if (e == 'n' || e == 'r' || e == 't') {
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
                i++;
            } else if (e == 'x' && i + 3 < n && bn_hex_value(v[i + 2]) >= 0
                       && bn_hex_value(v[i + 3]) >= 0) {
                c = (char) (bn_hex_value(v[i + 2]) * 16 + bn_hex_value(v[i + 3]));
                i += 3;
            }
        }
        v[o++] = c;
    }
    v[o] = '\0';
    return o;
}

/* A regex as PCRE2 takes it: only \" loses its backslash. */
static void
regex_unquote(char *v)
{
    size_t o = 0;

    for (size_t i = 0; v[i] != '\0'; i++) {
        if (v[i] == '\\' && v[i + 1] == '"') {
            continue;
        }
        if (v[i] == '\\' && v[i + 1] != '\0') {
            v[o++] = v[i++];
        }
        v[o++] = v[i];
    }
    v[o] = '\0';
}

/* One rule line into r; NULL, or what is wrong with it. */
static const char *
parse_rule(bn_waf_rules_t *set, bn_pool_t *pool, field_t *f, int nf, bn_waf_rule_t *r)
{
    static const struct {
        const char *name;
        unsigned score;
    } severities[] = { { "critical", 5 }, { "error", 4 }, { "warning", 3 }, { "notice", 2 } };
    static const char *const detectors[] = { "sqli", "xss", "traversal", "cmdi" };
    static const char *const flags[] = { "bad_percent", "overlong", "bad_utf8", "nul" };
    static const unsigned flag_bits[] = { BN_WAF_F_BAD_PERCENT, BN_WAF_F_OVERLONG,
                                          BN_WAF_F_BAD_UTF8, BN_WAF_F_NUL };
    const char *err = NULL;
    int nops = 0, c;
    bool have_id = false;

    memset(r, 0, sizeof(*r));
    r->score = 5;
    r->paranoia = 1;
    r->parts = (1u << BN_WAF_NPARTS) - 1;
    r->raw = true;
    c = chain_index(set, "none", &err);
    r->chain = (unsigned) c;
    for (int i = 0; i < nf; i++) {
        char *v = f[i].val, *end;
        if (key_is(&f[i], "regex")) {
            regex_unquote(v);
        } else {
            f[i].val_len = unescape(v, f[i].val_len);
        }
        if (key_is(&f[i], "id")) {
            unsigned long id = strtoul(v, &end, 10);
            if (*v < '1' || *v > '9' || *end != '\0' || id > 0xffffffffUL) {
                return "id: expected a number from 1 to 4294967295";
            }
            r->id = (unsigned) id;
            have_id = true;
        } else if (key_is(&f[i], "detect")) {
            size_t k;
            for (k = 0; k < BN_NELEMS(detectors) && strcmp(v, detectors[k]) != 0; k++) {
            }
            if (k == BN_NELEMS(detectors)) {
                return "detect: expected one of sqli, xss, traversal, cmdi";
            }
            r->op = (bn_waf_op_t) (BN_WAF_OP_SQLI + k);
            nops++;
        } else if (key_is(&f[i], "regex")) {
            const char *e = compile_rule_regex(pool, r, v);
            if (e != NULL) {
                return e;
            }
            r->op = BN_WAF_OP_REGEX;
            nops++;
        } else if (key_is(&f[i], "contains")) {
            if (f[i].val_len == 0) {
                return "contains: expected some text";
            }
            r->op = BN_WAF_OP_CONTAINS;
            r->arg = v;
            r->arg_len = f[i].val_len;
            nops++;
        } else if (key_is(&f[i], "flag")) {
            size_t k;
            for (k = 0; k < BN_NELEMS(flags) && strcmp(v, flags[k]) != 0; k++) {
            }
            if (k == BN_NELEMS(flags)) {
                return "flag: expected one of bad_percent, overlong, bad_utf8, nul";
            }
            r->op = BN_WAF_OP_FLAG;
            r->flag = flag_bits[k];
            nops++;
        } else if (key_is(&f[i], "malformed")) {
            if (strcmp(v, "yes") != 0) {
                return "malformed: expected yes";
            }
            r->op = BN_WAF_OP_MALFORMED;
            nops++;
        } else if (key_is(&f[i], "parts")) {
            if (parse_parts(v, &r->parts) != BN_OK) {
                return "parts: expected all, or a list of path, query, cookie, header, body";
            }
        } else if (key_is(&f[i], "raw")) {
            if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
                return "raw: expected yes or no";
            }
            r->raw = v[0] == 'y';
        } else if (key_is(&f[i], "transforms")) {
            if ((c = chain_index(set, v, &err)) < 0) {
                return err;
            }
            r->chain = (unsigned) c;
        } else if (key_is(&f[i], "severity")) {
            size_t k;
            for (k = 0; k < BN_NELEMS(severities) && strcmp(v, severities[k].name) != 0; k++) {
            }
            if (k == BN_NELEMS(severities)) {
                return "severity: expected one of critical, error, warning, notice";
            }
            r->score = severities[k].score;
        } else if (key_is(&f[i], "paranoia")) {
            if (v[0] < '1' || v[0] > '4' || v[1] != '\0') {
                return "paranoia: expected 1, 2, 3 or 4";
            }
            r->paranoia = (unsigned) (v[0] - '0');
        } else if (key_is(&f[i], "needs")) {
            if (f[i].val_len == 0) {
                return "needs: expected some bytes";
            }
            memset(&r->needs, 0, sizeof(r->needs));
            for (size_t k = 0; k < f[i].val_len; k++) {
                bytes_add(&r->needs, (unsigned char) v[k]);
            }
            r->has_needs = true;
        } else if (key_is(&f[i], "msg")) {
            r->msg = v;
        } else {
            return "unknown field (known: id, detect, regex, contains, flag, malformed, parts, "
                   "raw, transforms, severity, paranoia, needs, msg)";
        }
    }
    if (!have_id) {
        return "id: required";
    }
    if (nops != 1) {
        return "expected exactly one of detect, regex, contains, flag, malformed";
    }
    if (r->msg == NULL) {
        return "msg: required";
    }
    return NULL;
}

int
bn_waf_rules_parse(bn_waf_rules_t *set, bn_pool_t *pool, const char *text, size_t len,
                   const char *file, char *err, size_t errsize)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;

    set->pool = pool;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t) (end - p));
        const char *le = eol ? eol : end;
        field_t f[MAX_FIELDS];
        const char *why = NULL;
        int nf;

        line++;
        if (le > p && le[-1] == '\r') {
            le--;
        }
        nf = split_fields(pool, p, le, f, &why);
        if (nf > 0) {
            bn_waf_rule_t *grown;
            if (set->nrules % 32 == 0) {
                grown = bn_palloc(pool, sizeof(*grown) * (set->nrules + 32));
                if (grown == NULL) {
                    snprintf(err, errsize, "%s: out of memory", file);
                    return BN_ERROR;
                }
                if (set->nrules > 0) {
                    memcpy(grown, set->rules, sizeof(*grown) * set->nrules);
                }
                set->rules = grown;
            }
            why = parse_rule(set, pool, f, nf, &set->rules[set->nrules]);
            if (why == NULL) {
                set->nrules++;
            }
        }
        if (why != NULL) {
            snprintf(err, errsize, "%s:%u: %s", file, line, why);
            return BN_ERROR;
        }
        p = eol ? eol + 1 : end;
    }
    return BN_OK;
}

/* The bytes each transformation acts on: a value with none of them is
 * what the transformation would make of it, and is not copied. */
static bn_waf_bytes_t triggers[BN_WAF_NTRANSFORMS];
static bool triggers_made;

static void
make_triggers(void)
{
    static const struct {
        bn_waf_transform_t t;
        const char *bytes;
    } simple[] = {
        { BN_WAF_T_URL, "%+" },  { BN_WAF_T_HTML, "&" }, { BN_WAF_T_JS, "\\" },
        { BN_WAF_T_SPACE, " \t\n\r\v\f" }, { BN_WAF_T_SQLCOMMENT, "/-#" },
        { BN_WAF_T_PATH, "/\\." },
    };

    for (size_t i = 0; i < BN_NELEMS(simple); i++) {
        for (const char *p = simple[i].bytes; *p != '\0'; p++) {
            bytes_add(&triggers[simple[i].t], (unsigned char) *p);
        }
    }
    for (unsigned c = 0x80; c < 0x100; c++) {
        bytes_add(&triggers[BN_WAF_T_UNICODE], (unsigned char) c); /* and NBSP for space */
        bytes_add(&triggers[BN_WAF_T_SPACE], (unsigned char) c);
    }
    for (unsigned c = 'A'; c <= 'Z'; c++) {
        bytes_add(&triggers[BN_WAF_T_LOWER], (unsigned char) c);
    }
    bytes_add(&triggers[BN_WAF_T_NUL], 0);
    triggers_made = true;
}

static int
by_chain(const void *a, const void *b)
{
    const bn_waf_rule_t *x = a, *y = b;

    if (x->chain != y->chain) {
        return x->chain < y->chain ? -1 : 1;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

static int
by_id(const void *a, const void *b)
{
    const bn_waf_rule_t *const *x = a, *const *y = b;

    return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

int
bn_waf_rules_finish(bn_waf_rules_t *set, char *err, size_t errsize)
{
    const bn_waf_rule_t **ids;
    unsigned nclasses;

    if (set->nrules == 0) {
        return BN_OK;
    }
    ids = malloc(sizeof(*ids) * set->nrules);
    if (ids == NULL) {
        snprintf(err, errsize, "out of memory");
        return BN_ERROR;
    }
    for (size_t i = 0; i < set->nrules; i++) {
        ids[i] = &set->rules[i];
    }
    qsort(ids, set->nrules, sizeof(*ids), by_id);
    for (size_t i = 1; i < set->nrules; i++) {
        if (ids[i]->id == ids[i - 1]->id) {
            snprintf(err, errsize, "rule id %u is used twice", ids[i]->id);
            free(ids);
            return BN_ERROR;
        }
    }
    free(ids);
    qsort(set->rules, set->nrules, sizeof(*set->rules), by_chain);
    if (!triggers_made) {
        make_triggers();
    }
    /* A class each for the bytes of a transformation, then one for each
     * distinct needs; past 64 classes a rule's needs go unused (a rule not
     * gated by them still decides the same). */
    memset(set->byte_class, 0, sizeof(set->byte_class));
    for (unsigned t = 0; t < BN_WAF_NTRANSFORMS; t++) {
        for (unsigned c = 0; c < 256; c++) {
            if (bytes_has(&triggers[t], (unsigned char) c)) {
                set->byte_class[c] |= BN_WAF_TRANSFORM_CLASS(t);
            }
        }
    }
    nclasses = BN_WAF_NTRANSFORMS;
    for (size_t i = 0; i < set->nrules; i++) {
        bn_waf_rule_t *r = &set->rules[i];
        r->needs_class = 0;
        if (!r->has_needs) {
            continue;
        }
        for (size_t k = 0; k < i && r->needs_class == 0; k++) {
            if (set->rules[k].needs_class != 0
                && memcmp(&set->rules[k].needs, &r->needs, sizeof(r->needs)) == 0) {
                r->needs_class = set->rules[k].needs_class;
            }
        }
        if (r->needs_class == 0 && nclasses < 64) {
            r->needs_class = 1ULL << nclasses++;
            for (unsigned c = 0; c < 256; c++) {
                if (bytes_has(&r->needs, (unsigned char) c)) {
                    set->byte_class[c] |= r->needs_class;
                }
            }
        }
    }
    for (unsigned i = 0; i < set->nchains; i++) {
        bn_waf_chain_t *c = &set->chains[i];
        c->acts_on = 0;
        for (unsigned k = 0; k < c->n; k++) {
            c->acts_on |= BN_WAF_TRANSFORM_CLASS(c->t[k]);
        }
        c->parent = -1;
        for (unsigned k = 0; k < set->nchains; k++) {
            const bn_waf_chain_t *p = &set->chains[k];
            if (k != i && p->n < c->n && memcmp(p->t, c->t, p->n) == 0
                && (c->parent < 0 || p->n > set->chains[c->parent].n)) {
                c->parent = (int) k;
            }
        }
    }
    for (unsigned part = 0; part < BN_WAF_NPARTS; part++) {
        for (unsigned p = 0; p < BN_WAF_MAX_PARANOIA; p++) {
            bn_waf_step_t *st = bn_palloc(set->pool, sizeof(*st) * set->nrules);
            size_t n = 0;
            if (st == NULL) {
                snprintf(err, errsize, "out of memory");
                return BN_ERROR;
            }
            for (size_t i = 0; i < set->nrules; i++) {
                const bn_waf_rule_t *r = &set->rules[i];
                if ((r->parts & (1u << part)) && r->op != BN_WAF_OP_MALFORMED
                    && r->paranoia <= p + 1) {
                    st[n].rule = r;
                    st[n].gate = r->needs_class != 0
                                     ? r->needs_class | set->chains[r->chain].acts_on
                                     : 0;
                    st[n].acts_on = set->chains[r->chain].acts_on;
                    st[n].needs = r->needs_class;
                    n++;
                }
            }
            set->steps[part][p] = st;
            set->nsteps[part][p] = n;
            set->live[part][p] = bn_pcalloc(set->pool, sizeof(uint64_t) * BN_WAF_LIVE_WORDS
                                                           * BN_MAX((n + 63) / 64, 1));
            if (set->live[part][p] == NULL) {
                snprintf(err, errsize, "out of memory");
                return BN_ERROR;
            }
            for (size_t i = 0; i < n; i++) {
                uint64_t *w = set->live[part][p] + i / 64 * BN_WAF_LIVE_WORDS, bit = 1ULL << i % 64;
                if (st[i].gate == 0) {
                    w[BN_WAF_LIVE_WORDS - 1] |= bit;
                }
                for (unsigned c = 0; c < 64; c++) {
                    if (st[i].gate & (1ULL << c)) {
                        w[c] |= bit;
                    }
                }
            }
        }
    }
    return BN_OK;
}

const bn_waf_rule_t *
bn_waf_rule_by_id(const bn_waf_rules_t *set, unsigned id)
{
    for (size_t i = 0; i < set->nrules; i++) {
        if (set->rules[i].id == id) {
            return &set->rules[i];
        }
    }
    return NULL;
}

/* ---- scans ------------------------------------------------------------------------- */

void
bn_waf_scan_init(bn_waf_scan_t *s, const bn_waf_rules_t *set, unsigned paranoia,
                 unsigned threshold, const unsigned *exclude, size_t nexclude,
                 unsigned long match_limit)
{
    /* What besides the part and the bytes decides a value's verdict. */
    uint64_t h = BN_FNV1A_START;

    memset(s, 0, sizeof(*s));
    s->set = set;
    s->paranoia = paranoia;
    s->threshold = threshold;
    s->exclude = exclude;
    s->nexclude = nexclude;
    s->match_limit = match_limit;

    h = bn_fnv1a(h, &s->set, sizeof(s->set));
    h = bn_fnv1a(h, &s->paranoia, sizeof(s->paranoia));
    h = bn_fnv1a(h, &s->match_limit, sizeof(s->match_limit));
    h = bn_fnv1a(h, s->exclude, sizeof(*s->exclude) * s->nexclude);
    s->tag = h << 8;
}

static bool
excluded(const bn_waf_scan_t *s, unsigned id)
{
    for (size_t i = 0; i < s->nexclude; i++) {
        if (s->exclude[i] == id) {
            return true;
        }
    }
    return false;
}

/* An excerpt for the log line, escaped as the log escapes. */
static void
escape_excerpt(char *out, size_t outsize, const char *v, size_t n)
{
    bn_line_t l;

    bn_line_init(&l, out, outsize);
    bn_line_escape_bytes(&l, v, n, outsize - 1, BN_ESCAPE_LOG);
}

static void
record(bn_waf_scan_t *s, const bn_waf_rule_t *r, bn_waf_part_t part, const char *name,
       size_t name_len, const char *v, size_t n, const char *at, const char *why)
{
    s->score += r->score;
    s->nmatched++;
    if (s->nmatches < BN_WAF_MAX_MATCHES) {
        bn_waf_match_t *m = &s->matches[s->nmatches++];
        m->rule = r;
        m->part = part;
        m->why = why;
        escape_excerpt(m->name, sizeof(m->name), name ? name : "", name ? name_len : 0);
        /* The excerpt starts a little before where the rule matched, when
         * it knows where (a regex), so the line shows what it saw. */
        if (at != NULL && at > v + 16) {
            n -= (size_t) (at - 16 - v);
            v = at - 16;
        }
        escape_excerpt(m->excerpt, sizeof(m->excerpt), v, BN_MIN(n, (size_t) 48));
    }
}

/*
 * The transformed values of the value being scanned, one per chain, made
 * when a rule first needs it, from the output of the longest chain that
 * is a prefix of its own (url,unicode,nul,path goes on from
 * url,unicode,nul): each transformation runs once per value.  Buffers per
 * process, grown to the longest value seen (a body's field is at most its
 * max_body).
 */
typedef struct {
    char *buf;
    size_t size;
    const char *out;
    size_t len;
    unsigned flags;
    uint64_t classes; /* of the bytes out holds: the set's byte_class of each, or'ed */
    uint64_t gen;     /* the value it was made for */
} chain_out_t;

static chain_out_t outs[BN_WAF_MAX_CHAINS];
static char *tmp_buf;
static size_t tmp_size;
static uint64_t value_gen;

/* The classes v[0..n) has a byte of: two accumulators, so that the loads
 * do not wait on one another's OR. */
static uint64_t
classes_of(const bn_waf_rules_t *set, const char *v, size_t n)
{
    const unsigned char *p = (const unsigned char *) v;
    uint64_t a = 0, b = 0;
    size_t i = 0;

    for (; i + 2 <= n; i += 2) {
        a |= set->byte_class[p[i]];
        b |= set->byte_class[p[i + 1]];
    }
    if (i < n) {
        a |= set->byte_class[p[i]];
    }
    return a | b;
}

static int
grow(char **buf, size_t *size, size_t n)
{
    char *m;

    if (n <= *size) {
        return BN_OK;
    }
    n = BN_MAX(n, (size_t) 1024);
    m = realloc(*buf, n);
    if (m == NULL) {
        return BN_ERROR;
    }
    *buf = m;
    *size = n;
    return BN_OK;
}

/* chain c's output for value v (whose classes are raw); NULL when out of
 * memory. */
static chain_out_t *
chain_output(const bn_waf_rules_t *set, unsigned c, const char *v, size_t n, uint64_t raw)
{
    const bn_waf_chain_t *ch = &set->chains[c];
    chain_out_t *o = &outs[c];
    const char *cur = v;
    size_t len = n;
    unsigned flags = 0, from = 0;
    uint64_t classes = raw;

    if (o->gen == value_gen) {
        return o;
    }
    if (ch->parent >= 0) {
        chain_out_t *p = chain_output(set, (unsigned) ch->parent, v, n, raw);
        if (p == NULL) {
            return NULL;
        }
        cur = p->out;
        len = p->len;
        flags = p->flags;
        classes = p->classes;
        from = set->chains[ch->parent].n;
    }
    if (from < ch->n && (classes & ch->acts_on) != 0) {
        if (grow(&o->buf, &o->size, n + 1) != BN_OK || grow(&tmp_buf, &tmp_size, n + 1) != BN_OK) {
            return NULL;
        }
        for (unsigned k = from; k < ch->n; k++) {
            bn_waf_transform_t t = (bn_waf_transform_t) ch->t[k];
            char *dst;
            if (!(classes & BN_WAF_TRANSFORM_CLASS(t))) {
                continue; /* nothing for it to do */
            }
            /* Into whichever of the chain's buffer and tmp cur is not in:
             * no transformation makes its input longer. */
            dst = cur == o->buf ? tmp_buf : o->buf;
            len = bn_waf_transform(t, cur, len, dst, &flags);
            cur = dst;
            classes = classes_of(set, cur, len);
        }
        if (cur == tmp_buf) {
            /* tmp is every chain's scratch: an output left there would
             * be overwritten by the next chain's, and a chain that goes
             * on from this one would start from that. */
            memcpy(o->buf, tmp_buf, len);
            cur = o->buf;
        }
    }
    o->out = cur;
    o->len = len;
    o->flags = flags;
    o->classes = classes;
    o->gen = value_gen;
    return o;
}

static pcre2_match_data *match_data;
static pcre2_match_context *match_ctx;

/* Whether regex rule r matches; where it matched in *at. */
static bool
regex_match(bn_waf_scan_t *s, const bn_waf_rule_t *r, const char *v, size_t n, const char **at)
{
    int rc;

    if (match_data == NULL) {
        match_data = pcre2_match_data_create(1, NULL);
        match_ctx = pcre2_match_context_create(NULL);
        if (match_data == NULL || match_ctx == NULL) {
            return false;
        }
    }
    /* A field write each: the route's limit, whichever route asks. */
    pcre2_set_match_limit(match_ctx, s->match_limit);
    pcre2_set_depth_limit(match_ctx, BN_MAX(s->match_limit / 20, 100));
    rc = pcre2_match(r->re, (PCRE2_SPTR) v, n, 0, 0, match_data, match_ctx);
    if (rc >= 0) {
        *at = v + pcre2_get_ovector_pointer(match_data)[0];
        return true;
    }
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
        || rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
        s->nlimited++;
        return true;
    }
    return false;
}

static bool
rule_matches(bn_waf_scan_t *s, const bn_waf_rule_t *r, const char *v, size_t n, unsigned flags,
             const char **at, bn_waf_detect_t *d)
{
    *at = NULL;
    d->reason = NULL;
    switch (r->op) {
    case BN_WAF_OP_SQLI:
        return bn_waf_sqli(v, n, s->paranoia, d);
    case BN_WAF_OP_XSS:
        return bn_waf_xss(v, n, s->paranoia, d);
    case BN_WAF_OP_TRAVERSAL:
        return bn_waf_traversal(v, n, s->paranoia, d);
    case BN_WAF_OP_CMDI:
        return bn_waf_cmdi(v, n, s->paranoia, d);
    case BN_WAF_OP_REGEX:
        return regex_match(s, r, v, n, at);
    case BN_WAF_OP_CONTAINS:
        *at = memmem(v, n, r->arg, r->arg_len);
        return *at != NULL;
    case BN_WAF_OP_FLAG:
        return (flags & r->flag) != 0;
    case BN_WAF_OP_MALFORMED:
        return false;
    }
    return false;
}

/*
 * Values already found clean.  A value's verdict is a function of the rule
 * set, the route's paranoia, excludes and match limit, the part and the
 * bytes: nothing else.  The same User-Agent, Accept or JSON key comes again
 * and again, so a value that matched no rule is remembered, by a keyed hash
 * (SipHash-1-3 under a secret of this process, so that nobody can make a
 * value of theirs collide with one remembered clean) in a small direct-mapped
 * table, and not scanned again.  A value that matched anything, or that a
 * match limit cut, is never remembered.
 */
#define CLEAN_SLOTS 4096
#define CLEAN_MAX_LEN 4096 /* longer values seldom come twice */

bool bn_waf_clean_cache = true;
static uint64_t clean[CLEAN_SLOTS];
static uint64_t clean_key[2];
static bool clean_keyed;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

/* SipHash-1-3 of tag (8 bytes) then p[0..n), under clean_key: the rounds
 * Rust's HashMap keys its tables with, enough where the key stays secret. */
static uint64_t
siphash(uint64_t tag, const char *p, size_t n)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ clean_key[0], v1 = 0x646f72616e646f6dULL ^ clean_key[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ clean_key[0], v3 = 0x7465646279746573ULL ^ clean_key[1];
    uint64_t m, b = ((uint64_t) (n + 8)) << 56;
    size_t i = 0;

    v3 ^= tag;
    SIPROUND;
    v0 ^= tag;
    for (; i + 8 <= n; i += 8) {
        memcpy(&m, p + i, 8); /* little-endian hosts, as Linux on x86 and arm64 */
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (size_t k = 0; i + k < n; k++) {
        b |= (uint64_t) (unsigned char) p[i + k] << (8 * k);
    }
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return (v0 ^ v1 ^ v2 ^ v3) | 1; /* 0 marks a free slot */
}

static bool
clean_keyed_now(void)
{
    if (!clean_keyed) {
        /* Until the kernel's pool is ready (never, past early boot) the
         * table stays unused rather than keyed by something guessable. */
        clean_keyed = getrandom(clean_key, sizeof(clean_key), GRND_NONBLOCK) == sizeof(clean_key);
    }
    return clean_keyed;
}

uint64_t
bn_waf_keyed_hash(const void *p, size_t n)
{
    (void) clean_keyed_now(); /* unkeyed only before the kernel's pool is ready */
    return siphash(0, p, n);
}

/*
 * A value of up to BN_WAF_SEEN_LEN bytes as three words that hold every one
 * of its bytes: the first and last eight (or four, or three single bytes
 * when shorter), and bytes 8 to 15 when it is longer than 16.  With its
 * length they give the value back, so two values are the same exactly when
 * their words are: the memo compares three words, not bytes in a call, and
 * hashes them with two multiplies, not one a byte.
 */
static void
seen_pack(const char *v, size_t n, uint64_t w[3])
{
    uint32_t x, y;

    w[0] = w[1] = w[2] = 0;
    if (n >= 8) {
        memcpy(&w[0], v, 8);
        memcpy(&w[1], v + n - 8, 8);
        if (n > 16) {
            memcpy(&w[2], v + 8, 8);
        }
    } else if (n >= 4) {
        memcpy(&x, v, 4);
        memcpy(&y, v + n - 4, 4);
        w[0] = x;
        w[1] = y;
    } else {
        w[0] = (uint64_t) (unsigned char) v[0] << 16 | (uint64_t) (unsigned char) v[n / 2] << 8
               | (unsigned char) v[n - 1];
    }
}

static unsigned
seen_slot(const uint64_t w[3], size_t n, unsigned kind)
{
    uint64_t a = (w[0] ^ w[2] ^ (uint64_t) n << 56 ^ (uint64_t) kind << 48) * 0x9e3779b97f4a7c15ULL;
    uint64_t b = (w[1] ^ (a >> 29)) * 0xbf58476d1ce4e5b9ULL;

    return (unsigned) ((a ^ b) >> 40) % BN_WAF_SEEN_SLOTS;
}

static void
seen_keep(bn_waf_seen_t *seen, const uint64_t w[3], size_t n, unsigned kind)
{
    seen->len = (unsigned char) n;
    seen->kind = (unsigned char) kind;
    memcpy(seen->w, w, sizeof(seen->w));
}

/*
 * The rules live for v's bytes, run over it: whether it matched none and
 * all were looked at (what may be remembered clean).  Out of line: most
 * values are found in a memo, and a lookup should not pay for the frame
 * and registers of the rules' loop: with the loop inlined in scan(), the
 * 1,135 keys and strings of waf_cost's 16 KiB JSON body, all found in the
 * memo, took a third longer.
 */
static __attribute__((noinline)) bool
scan_rules(bn_waf_scan_t *s, bn_waf_part_t part, bool raw_bytes, const char *name,
           size_t name_len, const char *v, size_t n)
{
    const bn_waf_rules_t *set = s->set;
    unsigned matched = s->nmatched, limited = s->nlimited, p;
    uint64_t raw;
    bool oom = false;

    value_gen++;
    raw = classes_of(set, v, n);
    p = BN_MIN(BN_MAX(s->paranoia, 1u), BN_WAF_MAX_PARANOIA) - 1;
    for (size_t b = 0, nb = (set->nsteps[part][p] + 63) / 64; b < nb && !oom; b++) {
        const uint64_t *lw = set->live[part][p] + b * BN_WAF_LIVE_WORDS;
        uint64_t live = lw[BN_WAF_LIVE_WORDS - 1];

        for (uint64_t c = raw; c != 0; c &= c - 1) {
            live |= lw[__builtin_ctzll(c)];
        }
        for (; live != 0 && !bn_waf_scan_over(s); live &= live - 1) {
            const bn_waf_step_t *st = &set->steps[part][p][b * 64 + (size_t) __builtin_ctzll(live)];
            const bn_waf_rule_t *r = st->rule;
            const char *out = v, *at;
            size_t len = n;
            unsigned flags = 0;
            uint64_t classes = raw;
            bn_waf_detect_t d;

            if ((s->nexclude > 0 && excluded(s, r->id)) || (raw_bytes && !r->raw)) {
                continue;
            }
            /* Most values hold no byte any transformation of the rule's acts on
             * (no '%', '&', '\\', upper case, ...): those are their own output. */
            if (raw & st->acts_on) {
                chain_out_t *o = chain_output(set, r->chain, v, n, raw);
                if (o == NULL) {
                    oom = true; /* not all looked at: not clean */
                    break;      /* what was found counts */
                }
                out = o->out;
                len = o->len;
                flags = o->flags;
                classes = o->classes;
            }
            if (st->needs != 0 && !(classes & st->needs)) {
                continue;
            }
            if (rule_matches(s, r, out, len, flags, &at, &d)) {
                record(s, r, part, name, name_len, out, len, at, d.reason);
            }
        }
    }
    return s->nmatched == matched && s->nlimited == limited && !bn_waf_scan_over(s) && !oom;
}

/* Values of part, raw or not: kind is the part, with 8 for raw bytes (a
 * verdict depends on both, so the clean and seen tables key on both). */
static bool
scan(bn_waf_scan_t *s, bn_waf_part_t part, bool raw_bytes, const char *name, size_t name_len,
     const char *v, size_t n)
{
    unsigned kind = (unsigned) part | (raw_bytes ? 8u : 0u);
    uint64_t h = 0, w[3];
    bn_waf_seen_t *seen = NULL;

    /* Compared whole, not by hash: nothing a client sends can pass for a
     * value found clean before it. */
    if (n > 0 && n <= BN_WAF_SEEN_LEN) {
        seen_pack(v, n, w);
        seen = &s->seen[seen_slot(w, n, kind)];
        if (seen->len == n && seen->kind == kind && seen->w[0] == w[0] && seen->w[1] == w[1]
            && seen->w[2] == w[2]) {
            return bn_waf_scan_over(s);
        }
    }
    if (bn_waf_clean_cache && n <= CLEAN_MAX_LEN && clean_keyed_now()) {
        h = siphash(s->tag ^ kind, v, n);
        if (clean[h % CLEAN_SLOTS] == h) {
            if (seen != NULL) {
                /* Kept for this request too: the next of its JSON keys or
                 * repeated values is known without the hash. */
                seen_keep(seen, w, n, kind);
            }
            return bn_waf_scan_over(s);
        }
    }
    if (scan_rules(s, part, raw_bytes, name, name_len, v, n)) {
        if (h != 0) {
            clean[h % CLEAN_SLOTS] = h;
        }
        if (seen != NULL) {
            seen_keep(seen, w, n, kind);
        }
    }
    return bn_waf_scan_over(s);
}

bool
bn_waf_scan_value(bn_waf_scan_t *s, bn_waf_part_t part, const char *name, size_t name_len,
                  const char *v, size_t n)
{
    return scan(s, part, false, name, name_len, v, n);
}

bool
bn_waf_scan_raw(bn_waf_scan_t *s, bn_waf_part_t part, const char *name, size_t name_len,
                const char *v, size_t n)
{
    return scan(s, part, true, name, name_len, v, n);
}

bool
bn_waf_scan_malformed(bn_waf_scan_t *s, bn_waf_part_t part, const char *why)
{
    const bn_waf_rules_t *set = s->set;

    for (size_t i = 0; i < set->nrules; i++) {
        const bn_waf_rule_t *r = &set->rules[i];
        if (r->op == BN_WAF_OP_MALFORMED && (r->parts & (1u << part)) && r->paranoia <= s->paranoia
            && !excluded(s, r->id)) {
            record(s, r, part, NULL, 0, why, strlen(why), NULL, NULL);
        }
    }
    return bn_waf_scan_over(s);
}

/* ---- counters ---------------------------------------------------------------------- */

/*
 * An open-addressed table in shared memory: a slot is claimed for a (rule,
 * part) pair by compare-and-swap and never given back, so a key stays where
 * it is and readers need no lock.  Sized for far more pairs than a rule set
 * has; when it is full, the counts of new pairs are lost (never an error).
 */
#define COUNTER_SLOTS 4096

typedef struct {
    _Atomic uint64_t key; /* id << 8 | part + 1; 0: free */
    _Atomic uint64_t matches;
    _Atomic uint64_t blocks;
} counter_slot_t;

struct bn_waf_counters_s {
    counter_slot_t slots[COUNTER_SLOTS];
};

bn_waf_counters_t *
bn_waf_counters_create(void)
{
    void *m = mmap(NULL, sizeof(bn_waf_counters_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    return m == MAP_FAILED ? NULL : m;
}

static counter_slot_t *
counter_slot(bn_waf_counters_t *c, unsigned id, bn_waf_part_t part, bool claim)
{
    uint64_t key = ((uint64_t) id << 8) | ((uint64_t) part + 1);
    uint64_t h = bn_fnv1a(BN_FNV1A_START, &key, sizeof(key));

    for (unsigned i = 0; i < COUNTER_SLOTS; i++) {
        counter_slot_t *s = &c->slots[(h + i) % COUNTER_SLOTS];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_acquire);
        if (k == key) {
            return s;
        }
        if (k == 0) {
            uint64_t expect = 0;
            if (!claim) {
                return NULL;
            }
            if (atomic_compare_exchange_strong(&s->key, &expect, key) || expect == key) {
                return s;
            }
        }
    }
    return NULL;
}

void
bn_waf_count(bn_waf_counters_t *c, unsigned id, bn_waf_part_t part, bool blocked)
{
    counter_slot_t *s = c ? counter_slot(c, id, part, true) : NULL;

    if (s != NULL) {
        atomic_fetch_add_explicit(&s->matches, 1, memory_order_relaxed);
        if (blocked) {
            atomic_fetch_add_explicit(&s->blocks, 1, memory_order_relaxed);
        }
    }
}

void
bn_waf_counts(const bn_waf_counters_t *c, unsigned id, bn_waf_part_t part, uint64_t *matches,
              uint64_t *blocks)
{
    counter_slot_t *s = c ? counter_slot((bn_waf_counters_t *) c, id, part, false) : NULL;

    *matches = s ? atomic_load_explicit(&s->matches, memory_order_relaxed) : 0;
    *blocks = s ? atomic_load_explicit(&s->blocks, memory_order_relaxed) : 0;
}
