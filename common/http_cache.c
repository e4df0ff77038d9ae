/*
 * HTTP caching's field grammar and arithmetic (see http_cache.h).
 *
 * Where the RFCs leave a recipient a choice, the choice made is the one the
 * community suite http-tests/cache-tests expects of a conformant (and, where
 * it says so, an optimal) cache; each is written where it is made.  Nothing
 * here reads the clock, the locale or the environment: the same bytes give
 * the same answer everywhere.
 */
#include "http_cache.h"
#include "http_parse.h"

#include <string.h>

static bool
is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII only: tolower() would follow the locale. */
static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char) (c + ('a' - 'A')) : c;
}

static bool
caseeq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);

    if (alen != blen) {
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        if (lower((unsigned char) a[i]) != lower((unsigned char) b[i])) {
            return false;
        }
    }
    return true;
}

/* Drops SP and HTAB at both ends of s[0..*n). */
static const char *
trim(const char *s, size_t *n)
{
    while (*n > 0 && is_blank((unsigned char) s[0])) {
        s++;
        (*n)--;
    }
    while (*n > 0 && is_blank((unsigned char) s[*n - 1])) {
        (*n)--;
    }
    return s;
}

/*
 * delta-seconds (RFC 9111 1.2.2): one or more digits, nothing else, so no
 * sign ("-3600" is no lifetime: cache-tests' freshness-max-age-negative),
 * no fraction and no blank.  A value past 2^31 is 2^31, however many
 * digits it has; leading zeros are no overflow ("003600" is 3600, which
 * freshness-max-age-leading-zero requires).  In a quoted-string argument
 * a quoted-pair stands for its second byte; esc says the bytes may hold
 * them.
 */
static bool
delta_seconds(const char *p, size_t n, bool esc, int64_t *out)
{
    int64_t v = 0;
    size_t digits = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) p[i];
        if (esc && c == '\\' && i + 1 < n) {
            c = (unsigned char) p[++i];
        }
        if (!is_digit(c)) {
            return false;
        }
        v = v * 10 + (c - '0');
        if (v > BN_CC_DELTA_MAX) {
            v = BN_CC_DELTA_MAX;
        }
        digits++;
    }
    if (digits == 0) {
        return false;
    }
    *out = v;
    return true;
}

/* Cache-Control ------------------------------------------------------ */

enum {
    D_DELTA,  /* int64_t seconds */
    D_STALE,  /* max-stale: seconds, or none for any */
    D_FLAG,   /* bool, set by the name alone */
    D_STRICT, /* bool that restricts what a cache may do: see apply() */
    D_FIELDS, /* no-cache, private: bool, and a bool for the qualified form */
};

typedef struct {
    const char *name;
    int kind;
    size_t off;      /* of the int64_t or the bool */
    size_t off_list; /* D_FIELDS: of the "qualified" bool */
    bool response;   /* a response directive, for the targeted fields */
} directive_t;

#define OFF(f) offsetof(bn_cache_control_t, f)

static const directive_t directives[] = {
    { "max-age", D_DELTA, OFF(max_age), 0, true },
    { "s-maxage", D_DELTA, OFF(s_maxage), 0, true },
    { "stale-while-revalidate", D_DELTA, OFF(stale_while_revalidate), 0, true },
    { "stale-if-error", D_DELTA, OFF(stale_if_error), 0, true },
    { "min-fresh", D_DELTA, OFF(min_fresh), 0, false },
    { "max-stale", D_STALE, OFF(max_stale), 0, false },
    { "no-store", D_STRICT, OFF(no_store), 0, true },
    { "must-revalidate", D_STRICT, OFF(must_revalidate), 0, true },
    { "proxy-revalidate", D_STRICT, OFF(proxy_revalidate), 0, true },
    { "no-transform", D_STRICT, OFF(no_transform), 0, true },
    { "only-if-cached", D_STRICT, OFF(only_if_cached), 0, false },
    { "public", D_FLAG, OFF(public_), 0, true },
    /* must-understand lets a cache store despite no-store: it widens, so it
     * counts only when written well. */
    { "must-understand", D_FLAG, OFF(must_understand), 0, true },
    { "immutable", D_FLAG, OFF(immutable), 0, true },
    { "no-cache", D_FIELDS, OFF(no_cache), OFF(no_cache_fields), true },
    { "private", D_FIELDS, OFF(private_), OFF(private_fields), true },
};

static const directive_t *
find_directive(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
        if (caseeq(name, len, directives[i].name)) {
            return &directives[i];
        }
    }
    return NULL;
}

static int64_t *
delta_field(bn_cache_control_t *cc, const directive_t *d)
{
    return (int64_t *) (void *) ((char *) cc + d->off);
}

static bool *
bool_field(bn_cache_control_t *cc, size_t off)
{
    return (bool *) (void *) ((char *) cc + off);
}

void
bn_cache_control_init(bn_cache_control_t *cc)
{
    memset(cc, 0, sizeof(*cc));
    cc->max_age = BN_CC_ABSENT;
    cc->s_maxage = BN_CC_ABSENT;
    cc->stale_while_revalidate = BN_CC_ABSENT;
    cc->stale_if_error = BN_CC_ABSENT;
    cc->max_stale = BN_CC_ABSENT;
    cc->min_fresh = BN_CC_ABSENT;
}

typedef struct {
    const char *p; /* a token, or the inside of a quoted-string */
    size_t n;
    bool present;
    bool quoted;
} cc_arg_t;

/*
 * One Cache-Control member, name=arg.  well_formed is false when the
 * member was not token [ "=" ( token / quoted-string ) ] followed by OWS:
 * "max-age =3600", "max-age= 3600", "max-age=3600 x", "no-store;x".
 */
static void
apply(bn_cache_control_t *cc, const char *name, size_t len, const cc_arg_t *arg, bool well_formed)
{
    const directive_t *d = find_directive(name, len);
    int64_t v, *dv;
    bool *flag, *list;

    if (d == NULL) {
        return;
    }
    switch (d->kind) {
    case D_DELTA:
        /* cache-tests' freshness-max-age-space-before-equals and -after-
         * equals: a malformed member grants no lifetime.  RFC 9111 4.2.1:
         * of two occurrences the first is used, so a later one is passed
         * over (freshness-max-age-two-fresh-stale-*); the first *valid*
         * one, since an invalid one is as if it were not there. */
        dv = delta_field(cc, d);
        if (well_formed && arg->present && delta_seconds(arg->p, arg->n, arg->quoted, &v)) {
            if (*dv == BN_CC_ABSENT) {
                *dv = v;
            }
        } else if (d->off == OFF(max_age) || d->off == OFF(s_maxage)) {
            /* RFC 9111 4.2.1: invalid freshness information is better
             * taken as stale than passed over for Expires or a heuristic. */
            cc->bad_lifetime = true;
        }
        break;
    case D_STALE:
        dv = delta_field(cc, d);
        if (!well_formed || *dv != BN_CC_ABSENT) {
            break;
        }
        if (!arg->present) {
            *dv = BN_CC_ANY_STALE;
        } else if (delta_seconds(arg->p, arg->n, arg->quoted, &v)) {
            *dv = v;
        }
        break;
    case D_STRICT:
        /* A directive that only forbids counts by its name, even when its
         * member is malformed ("no-store =1", "must-revalidate;x"): reading
         * a sender's slip the safe way costs a cache miss at worst, the
         * other way can serve what must not be served.  RFC 9111 5.2
         * allows these no argument; one given does not undo them. */
        *bool_field(cc, d->off) = true;
        break;
    case D_FLAG:
        if (well_formed) {
            *bool_field(cc, d->off) = true;
        }
        break;
    case D_FIELDS:
        /* RFC 9111 5.2.2.4 and 5.2.2.7: with field names the directive
         * applies to those fields only.  Names are a quoted-string that
         * senders must use, and a token that recipients accept too (5.2).
         * The unqualified form wins over a qualified one wherever either
         * comes (4.2.1: the most restrictive directive is honoured), and
         * a malformed member is read unqualified, as for D_STRICT. */
        flag = bool_field(cc, d->off);
        list = bool_field(cc, d->off_list);
        if (well_formed && arg->present) {
            if (!*flag) {
                *flag = true;
                *list = true;
            }
        } else {
            *flag = true;
            *list = false;
        }
        break;
    }
}

/* From the '"' at s[i], sets *end just past the quoted-string that starts
 * there; false when it does not end (and *end is n). */
static bool
skip_quoted(const char *s, size_t n, size_t i, size_t *end)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            *end = i + 1;
            return true;
        }
    }
    *end = n;
    return false;
}

void
bn_cache_control_parse(bn_cache_control_t *cc, const char *v, size_t n)
{
    size_t i = 0;

    /*
     * RFC 9110 5.6.1: a list whose empty members ("a, , b", ", a,") are
     * passed over.  Commas inside a quoted-string separate nothing, so
     * that extension="max-age=3600, x" grants nothing (cache-tests'
     * freshness-max-age-ignore-quoted).
     */
    while (i < n) {
        while (i < n && (is_blank((unsigned char) v[i]) || v[i] == ',')) {
            i++;
        }
        if (i == n) {
            break;
        }

        size_t name = i;
        while (i < n && bn_http_token_char[(unsigned char) v[i]]) {
            i++;
        }
        size_t name_len = i - name;
        bool ok = name_len > 0;
        cc_arg_t arg = { NULL, 0, false, false };

        if (ok && i < n && v[i] == '=') {
            i++;
            arg.present = true;
            if (i < n && v[i] == '"') {
                /* max-age="3600" is 3600: RFC 9111 5.2 asks recipients to
                 * take both forms (cache-tests' freshness-max-age-quoted
                 * only asks; ATS, Caddy and HAProxy do). */
                size_t end;
                ok = skip_quoted(v, n, i, &end);
                arg.p = v + i + 1;
                arg.n = ok ? end - i - 2 : 0;
                arg.quoted = true;
                i = end;
            } else {
                /* max-age='3600' is the token '3600' with its quotes,
                 * not digits (cache-tests' freshness-max-age-single-
                 * quoted), and max-age=3600.0 the token "3600.0"; both
                 * leave max-age absent. */
                arg.p = v + i;
                while (i < n && bn_http_token_char[(unsigned char) v[i]]) {
                    i++;
                }
                arg.n = (size_t) (v + i - arg.p);
                ok = arg.n > 0;
            }
        }
        while (i < n && is_blank((unsigned char) v[i])) {
            i++;
        }
        if (i < n && v[i] != ',') {
            /* Whatever follows up to the next comma outside a string is
             * part of this malformed member. */
            ok = false;
            while (i < n && v[i] != ',') {
                if (v[i] == '"') {
                    skip_quoted(v, n, i, &i);
                } else {
                    i++;
                }
            }
        }
        if (name_len > 0) {
            apply(cc, v + name, name_len, &arg, ok);
        }
    }
}

/* Targeted fields: RFC 8941 Dictionaries ----------------------------- */

enum { SF_INTEGER, SF_DECIMAL, SF_STRING, SF_TOKEN, SF_BYTES, SF_BOOLEAN, SF_INNER_LIST };

typedef struct {
    const char *s;
    size_t n, i;
} sf_t;

typedef struct {
    int type;
    int64_t integer; /* SF_INTEGER; SF_BOOLEAN: 0 or 1 */
} sf_item_t;

static bool
sf_lcalpha(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static void
sf_skip_sp(sf_t *p)
{
    while (p->i < p->n && p->s[p->i] == ' ') {
        p->i++;
    }
}

static void
sf_skip_ows(sf_t *p)
{
    while (p->i < p->n && is_blank((unsigned char) p->s[p->i])) {
        p->i++;
    }
}

/* RFC 8941 4.2.3.3: lower case only; "Max-Age" is no key at all. */
static bool
sf_key(sf_t *p, const char **key, size_t *len)
{
    size_t start = p->i;

    if (p->i == p->n || !(sf_lcalpha((unsigned char) p->s[p->i]) || p->s[p->i] == '*')) {
        return false;
    }
    for (p->i++; p->i < p->n; p->i++) {
        unsigned char c = (unsigned char) p->s[p->i];
        if (!(sf_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*')) {
            break;
        }
    }
    *key = p->s + start;
    *len = p->i - start;
    return true;
}

/* RFC 8941 4.2.4: an Integer has at most 15 digits, a Decimal at most 12
 * before the point and 1 to 3 after it; anything longer is no number. */
static bool
sf_number(sf_t *p, sf_item_t *it)
{
    bool neg = false, decimal = false;
    size_t digits = 0, frac = 0;
    int64_t v = 0;

    if (p->s[p->i] == '-') {
        neg = true;
        p->i++;
    }
    if (p->i == p->n || !is_digit((unsigned char) p->s[p->i])) {
        return false;
    }
    for (; p->i < p->n; p->i++) {
        unsigned char c = (unsigned char) p->s[p->i];
        if (is_digit(c)) {
            if (decimal) {
                frac++;
            } else {
                v = v * 10 + (c - '0');
            }
            digits++;
        } else if (c == '.' && !decimal) {
            if (digits > 12) {
                return false;
            }
            decimal = true;
        } else {
            break;
        }
        if ((!decimal && digits > 15) || (decimal && digits + 1 > 16)) {
            return false;
        }
    }
    if (decimal) {
        if (frac == 0 || frac > 3) {
            return false;
        }
        it->type = SF_DECIMAL;
        return true;
    }
    it->type = SF_INTEGER;
    it->integer = neg ? -v : v;
    return true;
}

/* RFC 8941 4.2.5: printable ASCII; a backslash escapes '"' or '\' only. */
static bool
sf_string(sf_t *p)
{
    for (p->i++; p->i < p->n; p->i++) {
        unsigned char c = (unsigned char) p->s[p->i];
        if (c == '\\') {
            if (++p->i == p->n || (p->s[p->i] != '"' && p->s[p->i] != '\\')) {
                return false;
            }
        } else if (c == '"') {
            p->i++;
            return true;
        } else if (c < 0x20 || c > 0x7e) {
            return false;
        }
    }
    return false;
}

/* RFC 8941 4.2.6. */
static void
sf_token(sf_t *p)
{
    for (p->i++; p->i < p->n; p->i++) {
        unsigned char c = (unsigned char) p->s[p->i];
        if (!bn_http_token_char[c] && c != ':' && c != '/') {
            break;
        }
    }
}

/* RFC 8941 4.2.7: base64 characters between colons. */
static bool
sf_bytes(sf_t *p)
{
    for (p->i++; p->i < p->n; p->i++) {
        unsigned char c = (unsigned char) p->s[p->i];
        if (c == ':') {
            p->i++;
            return true;
        }
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '/' && c != '=') {
            return false;
        }
    }
    return false;
}

/*
 * RFC 8941 4.2.3.1.  The types are RFC 8941's: RFC 9651's Date ("@") and
 * Display String ("%") are not in the grammar that RFC 9213 cites, so a
 * field that holds one is not a Dictionary and is ignored whole.
 */
static bool
sf_bare_item(sf_t *p, sf_item_t *it)
{
    unsigned char c;

    if (p->i == p->n) {
        return false;
    }
    c = (unsigned char) p->s[p->i];
    if (c == '-' || is_digit(c)) {
        return sf_number(p, it);
    }
    if (c == '"') {
        it->type = SF_STRING;
        return sf_string(p);
    }
    if (c == '*' || is_alpha(c)) {
        it->type = SF_TOKEN;
        sf_token(p);
        return true;
    }
    if (c == ':') {
        it->type = SF_BYTES;
        return sf_bytes(p);
    }
    if (c == '?') {
        if (p->i + 1 == p->n || (p->s[p->i + 1] != '0' && p->s[p->i + 1] != '1')) {
            return false;
        }
        it->type = SF_BOOLEAN;
        it->integer = p->s[p->i + 1] == '1';
        p->i += 2;
        return true;
    }
    return false;
}

/* RFC 8941 4.2.3.2.  Parameters are checked and passed over: RFC 9213
 * 2.1 gives those of a cache directive no meaning. */
static bool
sf_parameters(sf_t *p)
{
    const char *key;
    size_t len;
    sf_item_t it;

    while (p->i < p->n && p->s[p->i] == ';') {
        p->i++;
        sf_skip_sp(p);
        if (!sf_key(p, &key, &len)) {
            return false;
        }
        if (p->i < p->n && p->s[p->i] == '=') {
            p->i++;
            if (!sf_bare_item(p, &it)) {
                return false;
            }
        }
    }
    return true;
}

/* RFC 8941 4.2.1.2, after its '('. */
static bool
sf_inner_list(sf_t *p)
{
    sf_item_t it;

    p->i++;
    while (p->i < p->n) {
        sf_skip_sp(p);
        if (p->i < p->n && p->s[p->i] == ')') {
            p->i++;
            return sf_parameters(p);
        }
        if (!sf_bare_item(p, &it) || !sf_parameters(p)) {
            return false;
        }
        if (p->i < p->n && p->s[p->i] != ' ' && p->s[p->i] != ')') {
            return false;
        }
    }
    return false;
}

/*
 * One Dictionary member for a targeted field.  RFC 8941 4.2.2: a key seen
 * again replaces its earlier value, so each member first clears what an
 * earlier one of its name set.  RFC 9213 2.1: a value of another type than
 * the directive's (max-age="60", max-age=1.5, max-age=-1, no-store=?0) is
 * not to be consumed; it leaves the directive absent, except that
 * no-store, no-cache, private and the other D_STRICT directives then count
 * unqualified when the value is anything but an explicit ?0 (as in
 * apply(), a sender's slip is read the safe way).
 */
static void
apply_targeted(bn_cache_control_t *cc, const char *key, size_t len, const sf_item_t *it)
{
    const directive_t *d = find_directive(key, len);
    bool is_true = it->type == SF_BOOLEAN && it->integer == 1;
    bool is_false = it->type == SF_BOOLEAN && it->integer == 0;

    if (d == NULL || !d->response) {
        return;
    }
    switch (d->kind) {
    case D_DELTA:
        *delta_field(cc, d) = it->type == SF_INTEGER && it->integer >= 0
                                  ? (it->integer > BN_CC_DELTA_MAX ? BN_CC_DELTA_MAX : it->integer)
                                  : BN_CC_ABSENT;
        break;
    case D_STRICT:
        *bool_field(cc, d->off) = !is_false;
        break;
    case D_FLAG:
        *bool_field(cc, d->off) = is_true;
        break;
    case D_FIELDS:
        *bool_field(cc, d->off) = !is_false;
        *bool_field(cc, d->off_list) = it->type == SF_STRING;
        break;
    }
}

bool
bn_cache_control_parse_targeted(bn_cache_control_t *cc, const char *v, size_t n)
{
    bn_cache_control_t t = *cc;
    sf_t p = { v, n, 0 };
    const char *key;
    size_t len;
    sf_item_t it;

    /* RFC 8941 4.2: only SP around the whole value. */
    sf_skip_sp(&p);
    while (p.n > p.i && p.s[p.n - 1] == ' ') {
        p.n--;
    }
    /* RFC 9213 2.1: an empty targeted field is ignored as if absent, so
     * that Cache-Control applies. */
    if (p.i == p.n) {
        return false;
    }
    for (;;) {
        if (!sf_key(&p, &key, &len)) {
            return false;
        }
        if (p.i < p.n && p.s[p.i] == '=') {
            p.i++;
            if (p.i < p.n && p.s[p.i] == '(') {
                it.type = SF_INNER_LIST;
                if (!sf_inner_list(&p)) {
                    return false;
                }
            } else if (!sf_bare_item(&p, &it) || !sf_parameters(&p)) {
                return false;
            }
        } else {
            it.type = SF_BOOLEAN;
            it.integer = 1;
            if (!sf_parameters(&p)) {
                return false;
            }
        }
        apply_targeted(&t, key, len, &it);

        sf_skip_ows(&p);
        if (p.i == p.n) {
            break;
        }
        if (p.s[p.i] != ',') {
            return false;
        }
        p.i++;
        sf_skip_ows(&p);
        if (p.i == p.n) {
            return false; /* a trailing comma */
        }
    }
    *cc = t;
    return true;
}

/* HTTP-date ---------------------------------------------------------- */

static const char *const day_short[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const day_long[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday" };
static const char *const month_name[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (the
 * era arithmetic of days_from_civil, counted from March so that the leap
 * day ends a year). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

typedef struct {
    const char *s;
    size_t n, i;
} cur_t;

static bool
cur_char(cur_t *c, char ch)
{
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return true;
    }
    return false;
}

/* Exactly `count` digits. */
static bool
cur_digits(cur_t *c, size_t count, unsigned *v)
{
    *v = 0;
    for (size_t k = 0; k < count; k++, c->i++) {
        if (c->i == c->n || !is_digit((unsigned char) c->s[c->i])) {
            return false;
        }
        *v = *v * 10 + (unsigned) (c->s[c->i] - '0');
    }
    return true;
}

/*
 * One of names[0..count), in any case: cache-tests' freshness-expires-
 * wrong-case-weekday, -month and -tz expect "THU", "AUG" and "gMT" of an
 * optimal cache, though RFC 9110 5.6.7 spells them case-sensitively.  The
 * name must end there: "Thux" is no day.
 */
static bool
cur_name(cur_t *c, const char *const *names, size_t count, unsigned *which)
{
    size_t len = 0;

    while (c->i + len < c->n && is_alpha((unsigned char) c->s[c->i + len])) {
        len++;
    }
    for (size_t k = 0; k < count; k++) {
        if (caseeq(c->s + c->i, len, names[k])) {
            *which = (unsigned) k;
            c->i += len;
            return true;
        }
    }
    return false;
}

/* time-of-day = hour ":" minute ":" second, each two digits: "2:01:18" is
 * no time (cache-tests' freshness-expires-invalid-1-digit-hour), nor is
 * "02.01.18".  A second of 60 is a leap second (RFC 9110 5.6.7) and lands
 * on the next minute's first. */
static bool
cur_time(cur_t *c, unsigned *hms)
{
    unsigned h, m, s;

    if (!cur_digits(c, 2, &h) || !cur_char(c, ':') || !cur_digits(c, 2, &m) || !cur_char(c, ':')
        || !cur_digits(c, 2, &s)) {
        return false;
    }
    if (h > 23 || m > 59 || s > 60) {
        return false;
    }
    *hms = h * 3600 + m * 60 + s;
    return true;
}

static bool
cur_gmt(cur_t *c)
{
    static const char *const gmt[1] = { "GMT" };
    unsigned which;

    return cur_char(c, ' ') && cur_name(c, gmt, 1, &which);
}

/* The two forms with a comma: day-name "," SP 2DIGIT sep month sep year
 * SP time-of-day SP "GMT", the year of year_digits digits. */
static bool
comma_date(cur_t *c, const char *const *days, char sep, size_t year_digits, unsigned *day,
           unsigned *mon, unsigned *year, unsigned *hms)
{
    unsigned wday;

    return cur_name(c, days, 7, &wday) && cur_char(c, ',') && cur_char(c, ' ')
           && cur_digits(c, 2, day) && cur_char(c, sep) && cur_name(c, month_name, 12, mon)
           && cur_char(c, sep) && cur_digits(c, year_digits, year) && cur_char(c, ' ')
           && cur_time(c, hms) && cur_gmt(c);
}

/*
 * The three forms of RFC 9110 5.6.7, each to the letter but for the case
 * of names: one SP wherever the grammar has SP (cache-tests' freshness-
 * expires-invalid-multiple-spaces), a comma after the day name of the
 * first two (-no-comma), a four-digit year in IMF-fixdate and asctime and
 * two in RFC 850 (-2-digit-year, -date-dashes), and "GMT" and nothing else
 * for the zone (-utc, -aest).  The day name is not checked against the
 * date: a recipient has no use for it, and RFC 9110 asks none.  The day of
 * the month must exist in its month and year.  Several dates, as two
 * Expires lines joined by a comma make, are no date: RFC 9111 4.2.1 lets a
 * cache take such a response as stale (-multiple-lines).  Nor is "0", the
 * Expires that RFC 9111 5.3 names as "already expired" (-invalid).
 */
bool
bn_http_date_parse(const char *s, size_t n, int64_t *t)
{
    cur_t c = { NULL, 0, 0 };
    unsigned wday, day, mon, year = 0, hms;
    size_t word = 0;
    int64_t y;

    c.s = trim(s, &n);
    c.n = n;
    while (word < n && is_alpha((unsigned char) c.s[word])) {
        word++;
    }
    if (word < n && c.s[word] == ',' && word == 3) {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        if (!comma_date(&c, day_short, ' ', 4, &day, &mon, &year, &hms)) {
            return false;
        }
        y = year;
    } else if (word < n && c.s[word] == ',') {
        /* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
        if (!comma_date(&c, day_long, '-', 2, &day, &mon, &year, &hms)) {
            return false;
        }
        /* RFC 9110 5.6.7 puts a two-digit year no more than 50 years
         * ahead of the present.  Reading the clock would make this
         * function answer differently from one year to the next, so the
         * window is fixed as POSIX strptime's %y fixes it: 70-99 are
         * 19xx, 00-69 20xx.  That agrees with the RFC's rule for every
         * year but 70-75 until 2026 and all of them until 2019+50; an
         * RFC 850 date has not been sent since the last century anyway.
         * cache-tests' freshness-expires-rfc850 ("18-Aug-50") is 2050. */
        y = year < 70 ? 2000 + year : 1900 + year;
    } else {
        /* asctime-date: Sun Nov  6 08:49:37 1994 */
        unsigned d1;
        if (!cur_name(&c, day_short, 7, &wday) || !cur_char(&c, ' ')
            || !cur_name(&c, month_name, 12, &mon) || !cur_char(&c, ' ')) {
            return false;
        }
        if (cur_char(&c, ' ')) {
            if (!cur_digits(&c, 1, &day)) {
                return false;
            }
        } else if (!cur_digits(&c, 2, &day)) {
            return false;
        }
        if (!cur_char(&c, ' ') || !cur_time(&c, &hms) || !cur_char(&c, ' ')
            || !cur_digits(&c, 4, &d1)) {
            return false;
        }
        y = d1;
    }
    if (c.i != c.n) {
        return false;
    }
    mon++;
    if (day < 1 || day > days_in_month(y, mon)) {
        return false;
    }
    *t = days_from_civil(y, mon, day) * 86400 + hms;
    return true;
}

static char *
put_digits(char *p, unsigned v, int width)
{
    for (int k = width - 1; k >= 0; k--) {
        p[k] = (char) ('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static char *
put_str(char *p, const char *s)
{
    size_t len = strlen(s);

    memcpy(p, s, len);
    return p + len;
}

/* Times outside the years 0000-9999 have no IMF-fixdate; they are written
 * as the nearest that has one. */
void
bn_http_date_format(int64_t t, char out[30])
{
    const int64_t lo = days_from_civil(0, 1, 1) * 86400;
    const int64_t hi = days_from_civil(9999, 12, 31) * 86400 + 86399;
    int64_t days, secs, y;
    unsigned m, d;
    char *p = out;

    if (t < lo) {
        t = lo;
    } else if (t > hi) {
        t = hi;
    }
    days = t / 86400;
    secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);

    p = put_str(p, day_short[((days % 7) + 11) % 7]); /* 1970-01-01 was a Thursday */
    p = put_str(p, ", ");
    p = put_digits(p, d, 2);
    *p++ = ' ';
    p = put_str(p, month_name[m - 1]);
    *p++ = ' ';
    p = put_digits(p, (unsigned) y, 4);
    *p++ = ' ';
    p = put_digits(p, (unsigned) (secs / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned) (secs / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned) (secs % 60), 2);
    p = put_str(p, " GMT");
    *p = '\0';
}

/* Age ---------------------------------------------------------------- */

/*
 * RFC 9111 5.1: the first member of a list ("7200, 0" is 7200, "0, 7200"
 * is 0: cache-tests' age-parse-suffix and -prefix; and of two lines, joined,
 * the first: -suffix-twoline, -prefix-twoline), empty members passed over.
 * That member is delta-seconds or the field is ignored: "abc", "-7200",
 * "7200.0" (age-parse-nonnumeric, -negative, -float), and "7200;foo=bar",
 * a parameter Age has no grammar for (cache-tests only asks whether a
 * cache does, in age-parse-parameter; RFC 9111 says ignore).  Past 2^31 it
 * is 2^31 (age-parse-large, -larger: stale).
 */
int64_t
bn_http_age_parse(const char *s, size_t n)
{
    size_t i = 0, start;
    int64_t v;

    while (i < n && (is_blank((unsigned char) s[i]) || s[i] == ',')) {
        i++;
    }
    start = i;
    while (i < n && s[i] != ',') {
        i++;
    }
    while (i > start && is_blank((unsigned char) s[i - 1])) {
        i--;
    }
    return delta_seconds(s + start, i - start, false, &v) ? v : BN_CC_ABSENT;
}

/* Age and freshness arithmetic ---------------------------------------- */

static int64_t
sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) {
        return INT64_MAX;
    }
    if (b < 0 && a < INT64_MIN - b) {
        return INT64_MIN;
    }
    return a + b;
}

static int64_t
sat_sub(int64_t a, int64_t b)
{
    if (b == INT64_MIN) {
        return a >= 0 ? INT64_MAX : a - INT64_MIN;
    }
    return sat_add(a, -b);
}

/*
 * RFC 9111 4.2.3, term by term.  Two terms the RFC leaves unbounded are
 * kept at 0 or more: response_delay and resident_time, which only a clock
 * stepped back can make negative, and which would then take age off a
 * response that has been through a longer chain than its Date says.
 */
int64_t
bn_cache_current_age(int64_t age_value, int64_t date, int64_t request_time, int64_t response_time,
                     int64_t now)
{
    int64_t apparent_age = BN_MAX(0, sat_sub(response_time, date));
    int64_t response_delay = BN_MAX(0, sat_sub(response_time, request_time));
    int64_t corrected_age_value = sat_add(BN_MAX(0, age_value), response_delay);
    int64_t corrected_initial_age = BN_MAX(apparent_age, corrected_age_value);
    int64_t resident_time = BN_MAX(0, sat_sub(now, response_time));

    return sat_add(corrected_initial_age, resident_time);
}

/* RFC 9111 4.2.2's "typical setting": 10% of the time since Last-Modified. */
int64_t
bn_cache_heuristic_lifetime(int64_t date, int64_t last_modified, int64_t cap)
{
    uint64_t tenth;

    if (last_modified >= date || cap <= 0) {
        return 0;
    }
    /* The difference of two int64_t fits a uint64_t when it is positive. */
    tenth = ((uint64_t) date - (uint64_t) last_modified) / 10;
    return tenth < (uint64_t) cap ? (int64_t) tenth : cap;
}

/* RFC 9110 15.1's list. */
bool
bn_cache_heuristic_status(int status)
{
    switch (status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
        return true;
    default:
        return false;
    }
}

/* Range -------------------------------------------------------------- */

/* 1*DIGIT at s[*i]; a number past 2^64 - 1 is 2^64 - 1, which is past the
 * end of any representation just as the number itself is. */
static bool
range_number(const char *s, size_t n, size_t *i, uint64_t *v)
{
    size_t start = *i;

    *v = 0;
    for (; *i < n && is_digit((unsigned char) s[*i]); (*i)++) {
        unsigned d = (unsigned) (s[*i] - '0');
        *v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
    }
    return *i > start;
}

/*
 * RFC 9110 14.1 and 14.2.  Range = range-unit "=" 1#range-spec with no
 * blank around the "=" or inside a range-spec, "bytes" in any case (range
 * units are case-insensitive, 14.1), and OWS and empty members around the
 * commas as in any list (5.6.1).  A member that is not int-range or
 * suffix-range (other-range, or "5-2": an int-range whose last-pos is
 * before its first-pos is invalid, 14.1.1) makes the whole field invalid,
 * which 14.2 lets a server ignore: BN_RANGE_NONE.  Members that no byte of
 * the representation meets are dropped (15.3.7: only the satisfiable ones
 * are sent); none left is BN_RANGE_UNSATISFIABLE.
 *
 * An empty representation has no byte to send: 14.1.2 counts a suffix-
 * range ("-500") as satisfiable even then, but what it selects is nothing,
 * so such a range-set is BN_RANGE_NONE (the empty 200), while int-ranges
 * alone are BN_RANGE_UNSATISFIABLE (a 416 whose Content-Range has "*" for the range).
 */
int
bn_http_range_parse(const char *v, size_t n, uint64_t size, uint64_t *first, uint64_t *last)
{
    size_t i = 0, specs = 0, satisfiable = 0;
    bool empty_suffix = false;
    uint64_t f = 0, l = 0, a, b;

    v = trim(v, &n);
    if (n < 6 || !caseeq(v, 5, "bytes") || v[5] != '=') {
        return BN_RANGE_NONE;
    }
    i = 6;
    for (;;) {
        while (i < n && (is_blank((unsigned char) v[i]) || v[i] == ',')) {
            i++;
        }
        if (i == n) {
            break;
        }
        if (v[i] == '-') {
            i++;
            if (!range_number(v, n, &i, &a)) {
                return BN_RANGE_NONE;
            }
            /* suffix-range: the last a bytes, or all when there are fewer;
             * "-0" asks for none. */
            if (a > 0 && size == 0) {
                empty_suffix = true;
            } else if (a > 0) {
                if (satisfiable++ == 0) {
                    f = a >= size ? 0 : size - a;
                    l = size - 1;
                }
            }
        } else {
            bool has_last;
            if (!range_number(v, n, &i, &a) || i == n || v[i] != '-') {
                return BN_RANGE_NONE;
            }
            i++;
            has_last = range_number(v, n, &i, &b);
            if (has_last && b < a) {
                return BN_RANGE_NONE;
            }
            if (a < size && satisfiable++ == 0) {
                f = a;
                l = !has_last || b >= size ? size - 1 : b;
            }
        }
        specs++;
        while (i < n && is_blank((unsigned char) v[i])) {
            i++;
        }
        if (i < n && v[i] != ',') {
            return BN_RANGE_NONE;
        }
    }
    if (specs == 0) {
        return BN_RANGE_NONE;
    }
    if (satisfiable == 0) {
        return empty_suffix ? BN_RANGE_NONE : BN_RANGE_UNSATISFIABLE;
    }
    if (satisfiable > 1) {
        return BN_RANGE_MANY;
    }
    *first = f;
    *last = l;
    return BN_RANGE_ONE;
}

/* Vary --------------------------------------------------------------- */

typedef struct {
    char *out;
    size_t cap, len;
    bool cut;
} vary_out_t;

static void
vary_put(vary_out_t *o, char c)
{
    if (o->len + 1 < o->cap) {
        o->out[o->len++] = c;
    } else {
        o->cut = true;
    }
}

/*
 * The Accept fields' values are lists of case-insensitive tokens with
 * parameters (RFC 9110 12.5), so for them case goes, and so do the blanks
 * around a ';' (5.6.6: OWS ";" OWS).  cache-tests' vary-normalise-lang-
 * case and -lang-space; the order of the members counts still (-lang-order
 * is a step no cache takes).  In every field a quoted-string is kept as it
 * is, case, blanks and commas: "a , b" in quotes is not a,b.  Other fields
 * lose only the blanks around commas and at the ends, which no list field
 * gives a meaning (5.6.1; vary-normalise-space, -combine).
 */
size_t
bn_vary_normalize(const char *name, const char *v, size_t n, char *out, size_t cap)
{
    vary_out_t o = { out, cap, 0, false };
    size_t len = strlen(name), i = 0;
    bool tokens = caseeq(name, len, "accept") || caseeq(name, len, "accept-charset")
                  || caseeq(name, len, "accept-encoding") || caseeq(name, len, "accept-language");
    bool blank = false;

    if (cap == 0) {
        return 0;
    }
    v = trim(v, &n);
    while (i < n) {
        unsigned char c = (unsigned char) v[i];
        if (is_blank(c)) {
            blank = true;
            i++;
        } else if (c == ',' || (tokens && c == ';')) {
            vary_put(&o, (char) c);
            blank = false;
            for (i++; i < n && is_blank((unsigned char) v[i]); i++) {
            }
        } else if (c == '"') {
            size_t end;
            skip_quoted(v, n, i, &end);
            if (blank) {
                vary_put(&o, ' ');
                blank = false;
            }
            for (; i < end; i++) {
                vary_put(&o, v[i]);
            }
        } else {
            if (blank) {
                vary_put(&o, ' ');
                blank = false;
            }
            vary_put(&o, (char) (tokens ? lower(c) : c));
            i++;
        }
    }
    out[o.len] = '\0';
    return o.cut ? cap : o.len;
}
