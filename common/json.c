/*
 * json.c: strict JSON (RFC 8259): a resumable byte-at-a-time tokenizer, and
 * a tree builder that is one of its handlers.
 */
#include "json.h"
#include "str.h"

#define STREAM_MAGIC 0x6a736f6eU

enum {
    S_VALUE,        /* a value must come: at the top, after ':', after ',' in an array */
    S_VALUE_OR_END, /* after '[' */
    S_KEY_OR_END,   /* after '{' */
    S_KEY,          /* after ',' in an object */
    S_COLON,
    S_AFTER, /* after a member: ',' or the closer */
    S_DONE,  /* after the top-level value: only whitespace */
    S_STRING,
    S_ESC,
    S_HEX,
    S_LOW_BS, /* after a high surrogate: its low half must follow */
    S_LOW_U,
    S_UTF8,
    S_LIT,
    S_MINUS,
    S_ZERO,
    S_INT,
    S_DOT,
    S_FRAC,
    S_E,
    S_ESIGN,
    S_EXP,
    S_ERROR
};

static int
fail(bn_json_stream_t *st, const char *why)
{
    st->err = why;
    st->err_off = st->offset;
    st->state = S_ERROR;
    return BN_ERROR;
}

/* A token's event; it and the few functions that make one run for every
 * token, inlined (-12% instructions a parse of an API body). */
#define HOT static inline __attribute__((always_inline))

HOT int
emit(bn_json_stream_t *st, bn_json_ev_type_t type, const char *data, size_t len, bool last)
{
    bn_json_ev_t ev = { type, data, len, last, st->depth, NULL };

    if (st->handler != NULL && st->handler(st->ctx, &ev) != BN_OK) {
        return fail(st, ev.err != NULL ? ev.err : "refused");
    }
    return BN_OK;
}

static int
flush(bn_json_stream_t *st, bool last)
{
    size_t n = st->buf_len;

    st->buf_len = 0;
    return emit(st, st->tok, st->buf, n, last);
}

/* Room for n more bytes in the piece buffer, handing it on when full. */
static int
room(bn_json_stream_t *st, size_t n)
{
    if (st->buf_len + n > sizeof(st->buf)) {
        return flush(st, false);
    }
    return BN_OK;
}

static int
add_byte(bn_json_stream_t *st, unsigned char c)
{
    if (room(st, 1) != BN_OK) {
        return BN_ERROR;
    }
    st->buf[st->buf_len++] = (char) c;
    return BN_OK;
}

static int
add_cp(bn_json_stream_t *st, uint32_t cp)
{
    char u[4];
    size_t n = bn_utf8_encode(cp, u);

    if (room(st, n) != BN_OK) {
        return BN_ERROR;
    }
    memcpy(st->buf + st->buf_len, u, n);
    st->buf_len += n;
    return BN_OK;
}

static bool
is_object(const bn_json_stream_t *st)
{
    size_t i = st->depth - 1;

    return (st->stack[i / 64] >> (i % 64)) & 1;
}

static void
value_done(bn_json_stream_t *st)
{
    st->state = st->depth == 0 ? S_DONE : S_AFTER;
}

HOT int
open_container(bn_json_stream_t *st, bool object)
{
    size_t i = st->depth;

    if (st->depth >= st->max_depth) {
        return fail(st, "nested too deep");
    }
    if (emit(st, object ? BN_JSON_EV_OBJECT_BEGIN : BN_JSON_EV_ARRAY_BEGIN, NULL, 0, true)
        != BN_OK) {
        return BN_ERROR;
    }
    if (object) {
        st->stack[i / 64] |= (uint64_t) 1 << (i % 64);
    } else {
        st->stack[i / 64] &= ~((uint64_t) 1 << (i % 64));
    }
    st->depth++;
    st->state = object ? S_KEY_OR_END : S_VALUE_OR_END;
    return BN_OK;
}

HOT int
close_container(bn_json_stream_t *st, bool object)
{
    if (st->depth == 0 || is_object(st) != object) {
        return fail(st, "unexpected character");
    }
    st->depth--;
    if (emit(st, object ? BN_JSON_EV_OBJECT_END : BN_JSON_EV_ARRAY_END, NULL, 0, true) != BN_OK) {
        return BN_ERROR;
    }
    value_done(st);
    return BN_OK;
}

static int
start_value(bn_json_stream_t *st, unsigned char c)
{
    switch (c) {
    case '{':
        return open_container(st, true);
    case '[':
        return open_container(st, false);
    case '"':
        st->tok = BN_JSON_EV_STRING;
        st->state = S_STRING;
        return BN_OK;
    case '-':
        st->tok = BN_JSON_EV_NUMBER;
        st->state = S_MINUS;
        return add_byte(st, c);
    case '0':
        st->tok = BN_JSON_EV_NUMBER;
        st->state = S_ZERO;
        return add_byte(st, c);
    case 't':
        st->tok = BN_JSON_EV_TRUE;
        st->lit = "rue";
        st->state = S_LIT;
        return BN_OK;
    case 'f':
        st->tok = BN_JSON_EV_FALSE;
        st->lit = "alse";
        st->state = S_LIT;
        return BN_OK;
    case 'n':
        st->tok = BN_JSON_EV_NULL;
        st->lit = "ull";
        st->state = S_LIT;
        return BN_OK;
    case '/':
        return fail(st, "comments are not allowed");
    }
    if (c >= '1' && c <= '9') {
        st->tok = BN_JSON_EV_NUMBER;
        st->state = S_INT;
        return add_byte(st, c);
    }
    return fail(st, "unexpected character");
}

/* Unicode 15, table 3-7: the well-formed UTF-8 sequences, by their first byte. */
static int
utf8_lead(bn_json_stream_t *st, unsigned char c)
{
    st->lo = 0x80;
    st->hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        st->need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        st->need = 2;
        if (c == 0xe0) {
            st->lo = 0xa0; /* overlong below */
        } else if (c == 0xed) {
            st->hi = 0x9f; /* U+D800-U+DFFF */
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        st->need = 3;
        if (c == 0xf0) {
            st->lo = 0x90;
        } else if (c == 0xf4) {
            st->hi = 0x8f; /* above U+10FFFF */
        }
    } else {
        return fail(st, "invalid UTF-8");
    }
    st->seq[0] = c;
    st->nseq = 1;
    st->state = S_UTF8;
    return BN_OK;
}

/* RFC 8259 7: a character outside the BMP is escaped as a UTF-16 surrogate pair. */
static int
got_escape(bn_json_stream_t *st)
{
    uint32_t cp = st->cp;

    if (st->high != 0) {
        if (cp < 0xdc00 || cp > 0xdfff) {
            return fail(st, "lone surrogate");
        }
        cp = 0x10000 + ((st->high - 0xd800) << 10) + (cp - 0xdc00);
        st->high = 0;
    } else if (cp >= 0xd800 && cp <= 0xdbff) {
        st->high = cp;
        st->state = S_LOW_BS;
        return BN_OK;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return fail(st, "lone surrogate");
    }
    st->state = S_STRING;
    return add_cp(st, cp);
}

/* The closing quote of a key or string whose last piece is data[0..n). */
HOT int
string_end(bn_json_stream_t *st, const char *data, size_t n)
{
    if (emit(st, st->tok, data, n, true) != BN_OK) {
        return BN_ERROR;
    }
    if (st->tok == BN_JSON_EV_KEY) {
        st->state = S_COLON;
    } else {
        value_done(st);
    }
    return BN_OK;
}

static int
string_byte(bn_json_stream_t *st, unsigned char c)
{
    size_t n;

    switch (c) {
    case '"':
        n = st->buf_len;
        st->buf_len = 0;
        return string_end(st, st->buf, n);
    case '\\':
        st->state = S_ESC;
        return BN_OK;
    }
    if (c < 0x20) {
        return fail(st, "control character in string");
    }
    if (c < 0x80) {
        return add_byte(st, c);
    }
    return utf8_lead(st, c);
}

static int
escape_byte(bn_json_stream_t *st, unsigned char c)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e;

    if (c == 'u') {
        st->cp = 0;
        st->need = 4;
        st->state = S_HEX;
        return BN_OK;
    }
    e = c != '\0' ? strchr(from, c) : NULL;
    if (e == NULL) {
        return fail(st, "bad escape");
    }
    st->state = S_STRING;
    return add_byte(st, (unsigned char) to[e - from]);
}

/* The bytes a string holds as they are, copied in runs: printable ASCII
 * but the quote and the backslash (a control byte is an error, a byte past
 * 0x7f starts UTF-8 that string_byte() checks). */
static const unsigned char plain_in_string[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The bytes of x that plain_in_string refuses (a quote, a backslash, a
 * control byte, one past 0x7f), each as its high bit.  Borrows run only
 * upwards, so bits above the first such byte may be wrong, never the first. */
static inline uint64_t
not_plain(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x) | x) & HIGHS;
}

/* The end of the run of plain_in_string bytes from p[i], below take:
 * eight bytes a test (the last eight of p[..take) for the tail, moved down
 * so that its zero fill stops the run at take).  Little-endian hosts. */
static inline size_t
plain_run(const char *p, size_t i, size_t take)
{
    uint64_t x, m;

    if (take < 8) {
        while (i < take && plain_in_string[(unsigned char) p[i]]) {
            i++;
        }
        return i;
    }
    for (; i + 8 <= take; i += 8) {
        memcpy(&x, p + i, 8);
        if ((m = not_plain(x)) != 0) {
            return i + (size_t) __builtin_ctzll(m) / 8;
        }
    }
    if (i == take) {
        return i;
    }
    memcpy(&x, p + take - 8, 8);
    x >>= 8 * (8 - (take - i));
    return i + (size_t) __builtin_ctzll(not_plain(x)) / 8;
}

/* Returns BN_OK, BN_ERROR, or BN_AGAIN: the number ended before c, which
 * must be read again as what follows it. */
static int
number_byte(bn_json_stream_t *st, unsigned char c)
{
    bool digit = c >= '0' && c <= '9';

    switch (st->state) {
    case S_MINUS:
        if (!digit) {
            return fail(st, "bad number");
        }
        st->state = c == '0' ? S_ZERO : S_INT;
        return add_byte(st, c);
    case S_DOT:
    case S_ESIGN:
        if (!digit) {
            return fail(st, "bad number");
        }
        st->state = st->state == S_DOT ? S_FRAC : S_EXP;
        return add_byte(st, c);
    case S_E:
        if (c == '+' || c == '-') {
            st->state = S_ESIGN;
        } else if (digit) {
            st->state = S_EXP;
        } else {
            return fail(st, "bad number");
        }
        return add_byte(st, c);
    case S_ZERO:
        if (digit) {
            return fail(st, "leading zero");
        }
        /* fall through */
    case S_INT:
    case S_FRAC:
        if (digit) {
            return add_byte(st, c);
        }
        if (c == '.' && st->state != S_FRAC) {
            st->state = S_DOT;
            return add_byte(st, c);
        }
        if (c == 'e' || c == 'E') {
            st->state = S_E;
            return add_byte(st, c);
        }
        break;
    case S_EXP:
        if (digit) {
            return add_byte(st, c);
        }
        break;
    }
    if (flush(st, true) != BN_OK) {
        return BN_ERROR;
    }
    value_done(st);
    return BN_AGAIN;
}

/* JSON's four blanks, by a table: one load a byte. */
static const bool blank[256] = { [' '] = true, ['\t'] = true, ['\n'] = true, ['\r'] = true };

static bool
is_space(unsigned char c)
{
    return blank[c];
}

/* One byte; BN_AGAIN: read c again in the state it left. */
static int
step(bn_json_stream_t *st, unsigned char c)
{
    int v;

    switch (st->state) {
    case S_VALUE:
    case S_VALUE_OR_END:
    case S_KEY_OR_END:
    case S_KEY:
    case S_COLON:
    case S_AFTER:
    case S_DONE:
        if (is_space(c)) {
            return BN_OK;
        }
        break;
    case S_STRING:
        return string_byte(st, c);
    case S_ESC:
        return escape_byte(st, c);
    case S_HEX:
        if ((v = bn_hex_value(c)) == -1) {
            return fail(st, "bad \\u escape");
        }
        st->cp = st->cp << 4 | (uint32_t) v;
        return --st->need == 0 ? got_escape(st) : BN_OK;
    case S_LOW_BS:
    case S_LOW_U:
        if (c != (st->state == S_LOW_BS ? '\\' : 'u')) {
            return fail(st, "lone surrogate");
        }
        if (st->state == S_LOW_BS) {
            st->state = S_LOW_U;
        } else {
            st->cp = 0;
            st->need = 4;
            st->state = S_HEX;
        }
        return BN_OK;
    case S_UTF8:
        if (c < st->lo || c > st->hi) {
            return fail(st, "invalid UTF-8");
        }
        st->seq[st->nseq++] = c;
        st->lo = 0x80;
        st->hi = 0xbf;
        if (--st->need > 0) {
            return BN_OK;
        }
        if (room(st, st->nseq) != BN_OK) {
            return BN_ERROR;
        }
        memcpy(st->buf + st->buf_len, st->seq, st->nseq);
        st->buf_len += st->nseq;
        st->state = S_STRING;
        return BN_OK;
    case S_LIT:
        if (c != (unsigned char) *st->lit) {
            return fail(st, "unexpected character");
        }
        if (*++st->lit == '\0') {
            if (emit(st, st->tok, NULL, 0, true) != BN_OK) {
                return BN_ERROR;
            }
            value_done(st);
        }
        return BN_OK;
    case S_ERROR:
        return BN_ERROR;
    default:
        return number_byte(st, c);
    }

    /* The structural states, past whitespace. */
    switch (st->state) {
    case S_VALUE_OR_END:
        if (c == ']') {
            return close_container(st, false);
        }
        return start_value(st, c);
    case S_VALUE:
        if ((c == ']' || c == '}') && st->depth > 0 && !is_object(st)) {
            return fail(st, "trailing comma");
        }
        return start_value(st, c);
    case S_KEY_OR_END:
    case S_KEY:
        if (c == '}') {
            if (st->state == S_KEY) {
                return fail(st, "trailing comma");
            }
            return close_container(st, true);
        }
        if (c != '"') {
            return fail(st, c == '/' ? "comments are not allowed" : "expected a key");
        }
        st->tok = BN_JSON_EV_KEY;
        st->state = S_STRING;
        return BN_OK;
    case S_COLON:
        if (c != ':') {
            return fail(st, "expected ':'");
        }
        st->state = S_VALUE;
        return BN_OK;
    case S_AFTER:
        if (c == ',') {
            st->state = is_object(st) ? S_KEY : S_VALUE;
            return BN_OK;
        }
        if (c == '}' || c == ']') {
            return close_container(st, c == '}');
        }
        return fail(st, c == '/' ? "comments are not allowed" : "expected ',' or a closer");
    }
    /* S_DONE */
    return fail(st, "text after the value");
}

static bool
in_token(const bn_json_stream_t *st)
{
    return st->state >= S_STRING && st->state <= S_UTF8
               ? true
               : st->state >= S_MINUS && st->state <= S_EXP;
}

void
bn_json_stream_init(bn_json_stream_t *st, const bn_json_limits_t *lim, bn_json_handler_pt h,
                    void *ctx)
{
    memset(st, 0, sizeof(*st));
    st->magic = STREAM_MAGIC;
    st->state = S_VALUE;
    st->max_depth = lim != NULL && lim->max_depth != 0 ? lim->max_depth : BN_JSON_DEFAULT_DEPTH;
    if (st->max_depth > BN_JSON_MAX_DEPTH) {
        st->max_depth = BN_JSON_MAX_DEPTH;
    }
    st->max_size = lim != NULL && lim->max_size != 0 ? lim->max_size : BN_JSON_DEFAULT_SIZE;
    st->handler = h;
    st->ctx = ctx;
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/*
 * A number that lies whole in p[i..take), as number_byte() would read it
 * (RFC 8259 6), handed on from where it lies: the index past it, or i when
 * it is not plainly one (a bad number, or one the input cuts), which the
 * byte-at-a-time path then reads, with its errors.  From S_VALUE or
 * S_VALUE_OR_END, at a '-' or a digit.
 */
static size_t
number_whole(bn_json_stream_t *st, const char *p, size_t i, size_t take)
{
    const unsigned char *u = (const unsigned char *) p;
    size_t k = i + (u[i] == '-');

    if (k >= take || !is_digit(u[k])) {
        return i;
    }
    if (u[k++] != '0') {
        while (k < take && is_digit(u[k])) {
            k++;
        }
    }
    if (k < take && u[k] == '.') {
        if (++k >= take || !is_digit(u[k])) {
            return i;
        }
        while (k < take && is_digit(u[k])) {
            k++;
        }
    }
    if (k < take && (u[k] == 'e' || u[k] == 'E')) {
        k += k + 1 < take && (u[k + 1] == '+' || u[k + 1] == '-');
        if (++k >= take || !is_digit(u[k])) {
            return i;
        }
        while (k < take && is_digit(u[k])) {
            k++;
        }
    }
    /* Cut by the input, a piece longer than the buffer, or a digit after a
     * leading zero: the slow path decides. */
    if (k >= take || k - i > sizeof(st->buf) || is_digit(u[k])) {
        return i;
    }
    st->offset += k - i; /* a refusal is where the slow path would meet it: past the number */
    if (emit(st, BN_JSON_EV_NUMBER, p + i, k - i, true) != BN_OK) {
        return i;
    }
    value_done(st);
    return k;
}

/* Past blanks from p[i], below take. */
static inline size_t
skip_blanks(const unsigned char *u, size_t i, size_t take)
{
    while (i < take && is_space(u[i])) {
        i++;
    }
    return i;
}

/*
 * The commonest steps between tokens, as step() takes them, in a loop that
 * follows the grammar: a key, its ':', a value, the ',' or closer after it,
 * each expected where it comes, so that a token costs a few branches that
 * are mostly taken the same way, not a dispatch on every byte.  Tokens that
 * lie whole in the input are handed on from where they lie: a key or string
 * without escapes or UTF-8 and no longer than a piece, and a number
 * (number_whole()).  A string that does not is left open (S_STRING, its
 * quote taken); anything else (literals, errors, input that ends) is left
 * to step() in the state reached.  From a state of those before S_STRING;
 * returns where it stopped, with st->offset there.
 */
static size_t
between(bn_json_stream_t *st, const char *p, size_t i, size_t take)
{
    const unsigned char *u = (const unsigned char *) p;
    size_t base = st->offset - i; /* st->offset of p[j] is base + j */
    size_t k;
    unsigned char c;

    switch (st->state) {
    case S_VALUE:
    case S_VALUE_OR_END:
        goto value;
    case S_KEY_OR_END:
    case S_KEY:
        goto key;
    case S_COLON:
        goto colon;
    case S_AFTER:
        goto after;
    default:
        goto out;
    }

value: /* S_VALUE or S_VALUE_OR_END */
    if ((i = skip_blanks(u, i, take)) == take) {
        goto out;
    }
    c = u[i];
    if (c == '"') {
        st->tok = BN_JSON_EV_STRING;
        goto string;
    }
    if (is_digit(c) || c == '-') {
        st->offset = base + i;
        k = number_whole(st, p, i, take);
        if (st->state == S_ERROR) {
            return i; /* number_whole() moved the offset where the error is */
        }
        if (k == i) {
            goto out;
        }
        i = k;
        goto after;
    }
    if (c == '{' || c == '[') {
        st->offset = base + i; /* where an error is */
        if (open_container(st, c == '{') != BN_OK) {
            return i; /* S_ERROR: the caller's next step says so */
        }
        i++;
        if (c == '{') {
            goto key;
        }
        goto value;
    }
    if (c == ']' && st->state == S_VALUE_OR_END) {
        goto close;
    }
    goto out;

key: /* S_KEY or S_KEY_OR_END */
    if ((i = skip_blanks(u, i, take)) == take) {
        goto out;
    }
    c = u[i];
    if (c == '"') {
        st->tok = BN_JSON_EV_KEY;
        goto string;
    }
    if (c == '}' && st->state == S_KEY_OR_END) {
        goto close;
    }
    goto out;

string: /* at the opening quote of a key or string */
    st->state = S_STRING;
    k = plain_run(p, ++i, take);
    if (k == take || p[k] != '"' || k - i > sizeof(st->buf) || st->buf_len != 0) {
        goto out;
    }
    st->offset = base + k; /* at the closing quote, as the byte-wise path has it */
    if (string_end(st, p + i, k - i) != BN_OK) {
        return k;
    }
    i = k + 1;
    if (st->state != S_COLON) {
        goto after;
    }
    /* fall through */

colon: /* S_COLON */
    if ((i = skip_blanks(u, i, take)) == take || u[i] != ':') {
        goto out;
    }
    i++;
    st->state = S_VALUE;
    goto value;

after: /* S_AFTER or S_DONE */
    if (st->state != S_AFTER || (i = skip_blanks(u, i, take)) == take) {
        goto out;
    }
    c = u[i];
    if (c == ',') {
        i++;
        if (is_object(st)) {
            st->state = S_KEY;
            goto key;
        }
        st->state = S_VALUE;
        goto value;
    }
    if (c != '}' && c != ']') {
        goto out;
    }
    /* fall through */

close: /* at '}' or ']', where one may close (close_container() checks which) */
    st->offset = base + i;
    if (close_container(st, u[i] == '}') != BN_OK) {
        return i;
    }
    i++;
    goto after;

out:
    st->offset = base + i;
    return i;
}

int
bn_json_stream_feed(bn_json_stream_t *st, const char *p, size_t n)
{
    size_t i, take;
    unsigned char c;
    int rc;

    BN_CHECK_OBJ(st, STREAM_MAGIC);
    if (st->state == S_ERROR) {
        return BN_ERROR;
    }
    /* Only the bytes within the bound are read, so that the outcome does
     * not depend on where the pieces were cut. */
    take = BN_MIN(n, st->max_size - st->offset);
    for (i = 0; i < take;) {
        if (st->state == S_STRING) {
            /* Inside a string most bytes are plain ASCII, each added to the
             * piece as string_byte() would: copied in runs. */
            size_t k = plain_run(p, i, take);
            if (k < take && p[k] == '"' && st->buf_len == 0 && k - i <= sizeof(st->buf)) {
                /* The whole string in this input, without escapes, and no
                 * longer than a piece: handed on from where it lies, not
                 * copied. */
                st->offset += k - i;
                if (string_end(st, p + i, k - i) != BN_OK) {
                    return BN_ERROR;
                }
                st->offset++;
                i = k + 1;
                continue;
            }
            while (i < k) {
                size_t run;
                if (st->buf_len == sizeof(st->buf) && flush(st, false) != BN_OK) {
                    return BN_ERROR;
                }
                run = BN_MIN(sizeof(st->buf) - st->buf_len, k - i);
                memcpy(st->buf + st->buf_len, p + i, run);
                st->buf_len += run;
                st->offset += run;
                i += run;
            }
            if (i == take) {
                break;
            }
        }
        if (st->state <= S_DONE) {
            i = between(st, p, i, take);
            if (i == take || st->state == S_STRING) {
                continue;
            }
        }
        c = (unsigned char) p[i];
        rc = step(st, c);
        if (rc == BN_ERROR) {
            return BN_ERROR;
        }
        if (rc == BN_OK) {
            i++;
            st->offset++;
        }
    }
    if (take < n) {
        return fail(st, "too large");
    }
    if (in_token(st) && st->buf_len > 0) {
        return flush(st, false);
    }
    return BN_OK;
}

int
bn_json_stream_finish(bn_json_stream_t *st)
{
    BN_CHECK_OBJ(st, STREAM_MAGIC);
    switch (st->state) {
    case S_ERROR:
        return BN_ERROR;
    case S_ZERO:
    case S_INT:
    case S_FRAC:
    case S_EXP:
        /* A number ends at the end of the text only at the top level. */
        if (st->depth == 0) {
            if (flush(st, true) != BN_OK) {
                return BN_ERROR;
            }
            st->state = S_DONE;
            return BN_OK;
        }
        break;
    case S_DONE:
        return BN_OK;
    }
    return fail(st, "unexpected end of input");
}

/* --- the tree ---------------------------------------------------------------- */

#define TREE_MAGIC 0x6a747265U

typedef struct {
    bn_json_t *node, *last;
} tree_level_t;

struct bn_json_tree_s {
    unsigned magic;
    bn_json_stream_t st;
    bn_pool_t *pool;
    bn_json_t *root;
    tree_level_t *levels; /* max_depth of them: the containers open */
    char *buf;            /* the key, string or number being read */
    size_t len, size;
    const char *key; /* the key of the member whose value comes next */
    size_t key_len;
};

static const char oom[] = "out of memory";

static int
tree_append(bn_json_tree_t *t, bn_json_ev_t *ev)
{
    char *nb;
    size_t want = t->len + ev->len + 1;

    if (want > t->size) {
        /* Doubling, so a string read in many pieces costs at most twice its size. */
        size_t size = BN_MAX(BN_MAX(t->size * 2, want), 32);

        if ((nb = bn_palloc(t->pool, size)) == NULL) {
            ev->err = oom;
            return BN_ERROR;
        }
        if (t->len > 0) {
            memcpy(nb, t->buf, t->len);
        }
        t->buf = nb;
        t->size = size;
    }
    if (ev->len > 0) {
        memcpy(t->buf + t->len, ev->data, ev->len);
    }
    t->len += ev->len;
    t->buf[t->len] = '\0';
    return BN_OK;
}

static int
member_cmp(const void *a, const void *b)
{
    const bn_json_t *x = *(const bn_json_t *const *) a, *y = *(const bn_json_t *const *) b;
    int c = memcmp(x->key, y->key, BN_MIN(x->key_len, y->key_len));

    if (c != 0) {
        return c;
    }
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static bool
same_key(const bn_json_t *a, const bn_json_t *b)
{
    return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

/*
 * RFC 8259 4 leaves duplicate names to the implementation; two readers that
 * keep different ones disagree on what a token or body says, so we refuse
 * them.  Checked when the object closes, by sorting: no hash an attacker
 * could flood.
 */
static int
check_duplicates(bn_json_tree_t *t, const bn_json_t *obj, bn_json_ev_t *ev)
{
    const bn_json_t *a, *b, **v;
    size_t i;

    if (obj->n <= 8) {
        for (a = obj->child; a != NULL; a = a->next) {
            for (b = a->next; b != NULL; b = b->next) {
                if (same_key(a, b)) {
                    ev->err = "duplicate key";
                    return BN_ERROR;
                }
            }
        }
        return BN_OK;
    }
    if ((v = bn_palloc(t->pool, obj->n * sizeof(*v))) == NULL) {
        ev->err = oom;
        return BN_ERROR;
    }
    for (i = 0, a = obj->child; a != NULL; a = a->next) {
        v[i++] = a;
    }
    qsort(v, obj->n, sizeof(*v), member_cmp);
    for (i = 1; i < obj->n; i++) {
        if (same_key(v[i - 1], v[i])) {
            ev->err = "duplicate key";
            return BN_ERROR;
        }
    }
    return BN_OK;
}

static int
tree_node(bn_json_tree_t *t, bn_json_ev_t *ev, bn_json_type_t type)
{
    bn_json_t *j = bn_pcalloc(t->pool, sizeof(*j));
    tree_level_t *up;

    if (j == NULL) {
        ev->err = oom;
        return BN_ERROR;
    }
    j->type = type;
    if (type == BN_JSON_STRING || type == BN_JSON_NUMBER) {
        j->str = t->buf != NULL ? t->buf : "";
        j->len = t->len;
        t->buf = NULL;
        t->len = t->size = 0;
        if (type == BN_JSON_NUMBER) {
            /* The grammar was checked: strtod reads all of it (errno
             * ERANGE gives +-HUGE_VAL or a denormal/zero, kept as is). */
            j->num = strtod(j->str, NULL);
        }
    }
    if (ev->depth == 0) {
        t->root = j;
    } else {
        up = &t->levels[ev->depth - 1];
        if (up->node->type == BN_JSON_OBJECT) {
            j->key = t->key;
            j->key_len = t->key_len;
        }
        if (up->last == NULL) {
            up->node->child = j;
        } else {
            up->last->next = j;
        }
        up->last = j;
        up->node->n++;
    }
    if (type == BN_JSON_ARRAY || type == BN_JSON_OBJECT) {
        t->levels[ev->depth].node = j;
        t->levels[ev->depth].last = NULL;
    }
    return BN_OK;
}

static int
tree_handler(void *ctx, bn_json_ev_t *ev)
{
    bn_json_tree_t *t = ctx;

    switch (ev->type) {
    case BN_JSON_EV_OBJECT_BEGIN:
        return tree_node(t, ev, BN_JSON_OBJECT);
    case BN_JSON_EV_ARRAY_BEGIN:
        return tree_node(t, ev, BN_JSON_ARRAY);
    case BN_JSON_EV_OBJECT_END:
        return check_duplicates(t, t->levels[ev->depth].node, ev);
    case BN_JSON_EV_ARRAY_END:
        return BN_OK;
    case BN_JSON_EV_TRUE:
        return tree_node(t, ev, BN_JSON_TRUE);
    case BN_JSON_EV_FALSE:
        return tree_node(t, ev, BN_JSON_FALSE);
    case BN_JSON_EV_NULL:
        return tree_node(t, ev, BN_JSON_NULL);
    case BN_JSON_EV_KEY:
    case BN_JSON_EV_STRING:
    case BN_JSON_EV_NUMBER:
        break;
    }
    if (tree_append(t, ev) != BN_OK) {
        return BN_ERROR;
    }
    if (!ev->last) {
        return BN_OK;
    }
    if (ev->type == BN_JSON_EV_KEY) {
        t->key = t->buf;
        t->key_len = t->len;
        t->buf = NULL;
        t->len = t->size = 0;
        return BN_OK;
    }
    return tree_node(t, ev, ev->type == BN_JSON_EV_STRING ? BN_JSON_STRING : BN_JSON_NUMBER);
}

bn_json_tree_t *
bn_json_tree_create(bn_pool_t *pool, const bn_json_limits_t *lim)
{
    bn_json_tree_t *t = bn_pcalloc(pool, sizeof(*t));

    if (t == NULL) {
        return NULL;
    }
    t->magic = TREE_MAGIC;
    t->pool = pool;
    bn_json_stream_init(&t->st, lim, tree_handler, t);
    t->levels = bn_palloc(pool, t->st.max_depth * sizeof(tree_level_t));
    if (t->levels == NULL) {
        return NULL;
    }
    return t;
}

int
bn_json_tree_feed(bn_json_tree_t *t, const char *p, size_t n)
{
    BN_CHECK_OBJ(t, TREE_MAGIC);
    return bn_json_stream_feed(&t->st, p, n);
}

bn_json_t *
bn_json_tree_finish(bn_json_tree_t *t, const char **err, size_t *err_off)
{
    BN_CHECK_OBJ(t, TREE_MAGIC);
    if (bn_json_stream_finish(&t->st) != BN_OK) {
        *err = t->st.err;
        if (err_off != NULL) {
            *err_off = t->st.err_off;
        }
        return NULL;
    }
    return t->root;
}

bn_json_t *
bn_json_parse(bn_pool_t *pool, const char *text, size_t len, const bn_json_limits_t *lim,
              const char **err, size_t *err_off)
{
    bn_json_tree_t *t = bn_json_tree_create(pool, lim);

    if (t == NULL) {
        *err = oom;
        if (err_off != NULL) {
            *err_off = 0;
        }
        return NULL;
    }
    (void) bn_json_tree_feed(t, text, len);
    return bn_json_tree_finish(t, err, err_off);
}

const bn_json_t *
bn_json_get(const bn_json_t *obj, const char *key)
{
    const bn_json_t *m;
    size_t n;

    if (obj == NULL || obj->type != BN_JSON_OBJECT) {
        return NULL;
    }
    n = strlen(key);
    for (m = obj->child; m != NULL; m = m->next) {
        if (m->key_len == n && memcmp(m->key, key, n) == 0) {
            return m;
        }
    }
    return NULL;
}
