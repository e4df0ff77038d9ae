/*
 * multipart.c: multipart/form-data (RFC 7578, RFC 2046 5.1.1), a resumable
 * byte-at-a-time parser.  The delimiter is found without looking back: it
 * begins with CR or LF and no other byte of it is one (a boundary has no
 * control characters), so when a partial match fails, no later start can
 * lie inside what matched, and the bytes held so far are the delimiter's
 * own prefix, handed on from delim[].  Every byte is looked at once.
 */
#include "multipart.h"
#include "http_parse.h"
#include "str.h"

#define MULTIPART_MAGIC 0x6d706172U

enum {
    S_PREAMBLE,    /* before the first delimiter: dropped */
    S_AFTER_DELIM, /* after the boundary: "--", padding or CRLF */
    S_CLOSE,       /* after the boundary and one '-' */
    S_PAD,         /* transport padding after the boundary */
    S_DELIM_LF,    /* the CR that ends the delimiter line was read */
    S_HEAD,        /* a header line */
    S_HEAD_LF,     /* the CR that ends a header line was read */
    S_DATA,        /* a part's contents */
    S_EPILOGUE,    /* after the closing delimiter: dropped */
    S_DONE,        /* finished */
    S_ERROR
};

/* RFC 2046 5.1.1 bchars, without the space (bcharsnospace). */
static bool
bchar_nospace(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c != '\0' && strchr("'()+_,-./:=?", c) != NULL);
}

static bool
ows(char c)
{
    return c == ' ' || c == '\t';
}

static size_t
skip_ows(const char *s, size_t i, size_t len)
{
    while (i < len && ows(s[i])) {
        i++;
    }
    return i;
}

static size_t
skip_token(const char *s, size_t i, size_t len)
{
    while (i < len && bn_http_token_char[(unsigned char) s[i]]) {
        i++;
    }
    return i;
}

/*
 * A quoted-string at s[*i] (the opening quote), its contents unquoted in
 * place from s[*i] on.  A backslash quotes only '"' and '\', not any byte
 * as RFC 9110 5.6.4 has it: a browser sends "C:\dir\f.txt" as it is.
 * Returns the length, *i after the closing quote; -1 if it does not end.
 */
static ssize_t
unquote(char *s, size_t *i, size_t len)
{
    size_t in = *i + 1, out = *i, start = *i;

    while (in < len && s[in] != '"') {
        if (s[in] == '\\' && in + 1 < len && (s[in + 1] == '"' || s[in + 1] == '\\')) {
            in++;
        }
        s[out++] = s[in++];
    }
    if (in == len) {
        return -1;
    }
    *i = in + 1;
    return (ssize_t) (out - start);
}

/*
 * The next parameter of a header value, from s[*i] (after the value before
 * it): skips white space, the ';' and empty parameters, reads the name and
 * the '='.  BN_OK with the name at s[*name] (*nlen bytes) and *i after the
 * '='; BN_DONE at the end of the value; BN_ERROR when it is not well formed
 * (RFC 9110 5.6.6: no white space around the '=').
 */
static int
next_param(const char *s, size_t *i, size_t len, size_t *name, size_t *nlen)
{
    size_t k = *i;

    for (;;) {
        k = skip_ows(s, k, len);
        if (k == len) {
            return BN_DONE;
        }
        if (s[k] != ';') {
            return BN_ERROR;
        }
        k = skip_ows(s, k + 1, len);
        if (k < len && s[k] != ';') {
            break;
        }
    }
    *name = k;
    k = skip_token(s, k, len);
    if (k == *name || k == len || s[k] != '=') {
        return BN_ERROR;
    }
    *nlen = k - *name;
    *i = k + 1;
    return BN_OK;
}

int
bn_multipart_boundary(const char *content_type, size_t len, char *out, size_t outsize, size_t *blen)
{
    const char *s = content_type, *v;
    size_t i, name, nlen, vlen = 0;
    bool found = false, is_boundary;
    int rc;

    i = skip_ows(s, 0, len);
    name = i;
    i = skip_token(s, i, len);
    if (i == name || i == len || s[i] != '/') {
        return BN_ERROR;
    }
    name = ++i;
    i = skip_token(s, i, len);
    if (i == name) {
        return BN_ERROR;
    }
    while ((rc = next_param(s, &i, len, &name, &nlen)) == BN_OK) {
        is_boundary = bn_strncaseeq(s + name, nlen, "boundary", 8);
        if (is_boundary && found) {
            return BN_ERROR;
        }
        v = s + i;
        if (i < len && s[i] == '"') {
            /* Without unquoting: no bchar needs it, and a backslash in a
             * boundary is refused below. */
            while (++i < len && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < len) {
                    i++;
                }
            }
            if (i == len) {
                return BN_ERROR;
            }
            v++;
            vlen = (size_t) (s + i - v);
            i++;
        } else if (is_boundary) {
            /* Unquoted, RFC 9110 wants a token; clients send '=', '/', ':'
             * and '?' unquoted too, and servers take them. */
            while (i < len && bchar_nospace((unsigned char) s[i])) {
                i++;
            }
            vlen = (size_t) (s + i - v);
        } else {
            i = skip_token(s, i, len);
            vlen = (size_t) (s + i - v);
            if (vlen == 0) {
                return BN_ERROR;
            }
        }
        if (is_boundary) {
            if (vlen == 0 || vlen > BN_MULTIPART_BOUNDARY_MAX || vlen >= outsize
                || v[vlen - 1] == ' ') {
                return BN_ERROR;
            }
            for (size_t k = 0; k < vlen; k++) {
                if (v[k] != ' ' && !bchar_nospace((unsigned char) v[k])) {
                    return BN_ERROR;
                }
            }
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            *blen = vlen;
            found = true;
        }
    }
    return rc == BN_DONE && found ? BN_OK : BN_ERROR;
}

/* --- the parser ---------------------------------------------------------- */

/* The run of contents in the current input not yet handed on. */
typedef struct {
    const char *p;
    size_t mark, len;
} run_t;

static int
fail(bn_multipart_t *mp, size_t off, const char *why)
{
    mp->err = why;
    mp->err_off = off;
    mp->state = S_ERROR;
    return BN_ERROR;
}

static int
emit(bn_multipart_t *mp, size_t off, bn_multipart_ev_type_t type, const char *data, size_t len,
     bool last)
{
    bn_multipart_ev_t ev = { type, data, len, last, mp->parts - 1, &mp->part, NULL };

    if (mp->handler != NULL && mp->handler(mp->ctx, &ev) != BN_OK) {
        return fail(mp, off, ev.err != NULL ? ev.err : "refused");
    }
    return BN_OK;
}

static int
flush_run(bn_multipart_t *mp, run_t *r, size_t off, bool last)
{
    size_t len = r->len;

    r->len = 0;
    if (len == 0 && !last) {
        return BN_OK;
    }
    return emit(mp, off, BN_MULTIPART_EV_DATA, r->p + r->mark, len, last);
}

static void
start_match(bn_multipart_t *mp, bool line_start)
{
    mp->matched = line_start ? 2 : 0;
    mp->hold = line_start ? 2 : 0;
}

static int
parse_disposition(bn_multipart_t *mp, size_t off, char *v, size_t len)
{
    static const char bad[] = "bad Content-Disposition";
    bn_multipart_part_t *pt = &mp->part;
    const char **field;
    size_t *field_len;
    size_t i, name, nlen;
    ssize_t n;
    char *val;
    int rc;

    i = skip_token(v, 0, len);
    /* RFC 7578 4.2: the disposition type is "form-data". */
    if (!bn_strncaseeq(v, i, "form-data", 9)) {
        return fail(mp, off, bad);
    }
    while ((rc = next_param(v, &i, len, &name, &nlen)) == BN_OK) {
        if (bn_strncaseeq(v + name, nlen, "name", 4)) {
            field = &pt->name;
            field_len = &pt->name_len;
        } else if (bn_strncaseeq(v + name, nlen, "filename", 8)) {
            field = &pt->filename;
            field_len = &pt->filename_len;
        } else if (bn_strncaseeq(v + name, nlen, "filename*", 9)) {
            field = &pt->filename_ext;
            field_len = &pt->filename_ext_len;
        } else {
            field = NULL;
            field_len = NULL;
        }
        val = v + i; /* a quoted value is unquoted in place from its quote on */
        if (i < len && v[i] == '"') {
            if ((n = unquote(v, &i, len)) == -1) {
                return fail(mp, off, bad);
            }
        } else {
            name = i;
            i = skip_token(v, i, len);
            if (i == name) {
                return fail(mp, off, bad);
            }
            n = (ssize_t) (i - name);
        }
        if (field != NULL) {
            /* A parameter given twice is read one way here and the other
             * way by someone else. */
            if (*field != NULL) {
                return fail(mp, off, bad);
            }
            *field = val;
            *field_len = (size_t) n;
        }
    }
    return rc == BN_DONE ? BN_OK : fail(mp, off, bad);
}

/* The header line head[line, head_len), just read. */
static int
header_line(bn_multipart_t *mp, size_t off)
{
    char *s = mp->head + mp->line;
    size_t len = mp->head_len - mp->line, i, v, end;

    if (++mp->lines > mp->max_lines) {
        return fail(mp, off, "too many header lines");
    }
    if (ows(s[0])) {
        return fail(mp, off, "folded part header");
    }
    i = skip_token(s, 0, len);
    if (i == 0 || i == len || s[i] != ':') {
        return fail(mp, off, "bad part header");
    }
    end = len;
    while (end > i + 1 && ows(s[end - 1])) {
        end--;
    }
    v = skip_ows(s, i + 1, end);

    if (bn_strncaseeq(s, i, "Content-Disposition", 19)) {
        if (mp->have_disp) {
            return fail(mp, off, "bad Content-Disposition");
        }
        mp->have_disp = true;
        return parse_disposition(mp, off, s + v, end - v);
    }
    if (bn_strncaseeq(s, i, "Content-Type", 12)) {
        if (mp->part.content_type != NULL) {
            return fail(mp, off, "duplicate Content-Type");
        }
        mp->part.content_type = s + v;
        mp->part.content_type_len = end - v;
        return BN_OK;
    }
    /* RFC 7578 4.7: senders do not encode parts.  One that says it did
     * would be decoded by some servers and not by others. */
    if (bn_strncaseeq(s, i, "Content-Transfer-Encoding", 25)
        && !bn_strncaseeq(s + v, end - v, "binary", 6) && !bn_strncaseeq(s + v, end - v, "8bit", 4)
        && !bn_strncaseeq(s + v, end - v, "7bit", 4)) {
        return fail(mp, off, "unsupported Content-Transfer-Encoding");
    }
    return BN_OK;
}

static int
head_end(bn_multipart_t *mp, size_t off)
{
    if (!mp->have_disp) {
        return fail(mp, off, "missing Content-Disposition");
    }
    if (mp->part.name == NULL) {
        return fail(mp, off, "missing name");
    }
    if (emit(mp, off, BN_MULTIPART_EV_PART_BEGIN, NULL, 0, true) != BN_OK) {
        return BN_ERROR;
    }
    mp->state = S_DATA;
    /* The CRLF that ends the block does not start a delimiter: contents
     * that begin with the boundary are an error, not an empty part. */
    start_match(mp, true);
    return BN_OK;
}

static int
part_begin(bn_multipart_t *mp, size_t off)
{
    if (++mp->parts > mp->max_parts) {
        return fail(mp, off, "too many parts");
    }
    memset(&mp->part, 0, sizeof(mp->part));
    mp->have_disp = false;
    mp->head_raw = 0;
    mp->head_len = 0;
    mp->line = 0;
    mp->lines = 0;
    mp->state = S_HEAD;
    return BN_OK;
}

/* The delimiter has matched in the preamble, contents or epilogue. */
static int
delimiter(bn_multipart_t *mp, run_t *r, size_t off)
{
    if (mp->state == S_EPILOGUE) {
        return fail(mp, off, "delimiter after the closing delimiter");
    }
    /* A server that takes a bare LF for a line break, or the empty line of
     * a header block for the one before the delimiter, would end the part
     * here; one that does not would read on. */
    if (mp->hold == 1 || (mp->hold == 2 && mp->state == S_DATA)) {
        /* The contents before it were handed on, whatever the pieces. */
        if (mp->state == S_DATA && flush_run(mp, r, off, false) != BN_OK) {
            return BN_ERROR;
        }
        return fail(mp, off, "delimiter not after CRLF");
    }
    if (mp->state == S_DATA) {
        if (flush_run(mp, r, off, true) != BN_OK
            || emit(mp, off, BN_MULTIPART_EV_PART_END, NULL, 0, true) != BN_OK) {
            return BN_ERROR;
        }
    }
    mp->state = S_AFTER_DELIM;
    return BN_OK;
}

/*
 * One byte of the preamble, contents or epilogue (p[i]), through the
 * delimiter matcher; only the contents are handed on.
 */
static int
scan(bn_multipart_t *mp, run_t *r, const char *p, size_t i, size_t off)
{
    unsigned char c = (unsigned char) p[i];
    bool data = mp->state == S_DATA;

    if (mp->matched >= 2 ? c == (unsigned char) mp->delim[mp->matched]
                         : mp->matched == 1 && c == '\n') {
        if (++mp->matched == mp->dlen) {
            return delimiter(mp, r, off);
        }
        return BN_OK;
    }
    if (mp->matched > mp->hold && data) {
        /* Not a delimiter after all: what was held back is contents. */
        if (flush_run(mp, r, off, false) != BN_OK
            || emit(mp, off, BN_MULTIPART_EV_DATA, mp->delim + mp->hold, mp->matched - mp->hold,
                    false)
                   != BN_OK) {
            return BN_ERROR;
        }
    }
    mp->matched = 0;
    if (c == '\r') {
        mp->matched = 1;
        mp->hold = 0;
    } else if (c == '\n') {
        mp->matched = 2;
        mp->hold = 1;
    } else if (data) {
        if (r->len == 0) {
            r->mark = i;
        }
        BN_ASSERT(r->mark + r->len == i);
        r->len++;
    }
    return BN_OK;
}

static int
step(bn_multipart_t *mp, run_t *r, const char *p, size_t i)
{
    unsigned char c = (unsigned char) p[i];
    size_t off = mp->offset + i;

    switch (mp->state) {
    case S_PREAMBLE:
    case S_DATA:
    case S_EPILOGUE:
        return scan(mp, r, p, i, off);
    case S_AFTER_DELIM:
        if (c == '-') {
            mp->state = S_CLOSE;
            return BN_OK;
        }
        /* fall through */
    case S_PAD:
        if (ows(c)) {
            mp->state = S_PAD;
        } else if (c == '\r') {
            mp->state = S_DELIM_LF;
        } else {
            return fail(mp, off, "bad delimiter line");
        }
        return BN_OK;
    case S_CLOSE:
        if (c != '-') {
            return fail(mp, off, "bad delimiter line");
        }
        /* RFC 2046 5.1.1: what follows the closing delimiter is an
         * epilogue, to be ignored; it is read only for another delimiter. */
        mp->state = S_EPILOGUE;
        start_match(mp, false);
        return BN_OK;
    case S_DELIM_LF:
        if (c != '\n') {
            return fail(mp, off, "bad delimiter line");
        }
        return part_begin(mp, off);
    case S_HEAD:
    case S_HEAD_LF:
        if (++mp->head_raw > mp->max_head) {
            return fail(mp, off, "header block too large");
        }
        if (mp->state == S_HEAD_LF) {
            if (c != '\n') {
                return fail(mp, off, "CR without LF in part headers");
            }
            mp->state = S_HEAD;
            if (mp->head_len == mp->line) {
                return head_end(mp, off);
            }
            if (header_line(mp, off) != BN_OK) {
                return BN_ERROR;
            }
            mp->line = mp->head_len;
            return BN_OK;
        }
        if (c == '\r') {
            mp->state = S_HEAD_LF;
        } else if (c == '\n') {
            return fail(mp, off, "bare LF in part headers");
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return fail(mp, off, "control character in part headers");
        } else {
            mp->head[mp->head_len++] = (char) c;
        }
        return BN_OK;
    }
    return fail(mp, off, "fed after the end");
}

int
bn_multipart_init(bn_multipart_t *mp, const char *boundary, size_t blen,
                  const bn_multipart_limits_t *lim, bn_multipart_handler_pt h, void *ctx)
{
    if (blen == 0 || blen > BN_MULTIPART_BOUNDARY_MAX) {
        return BN_ERROR;
    }
    memset(mp, 0, sizeof(*mp));
    mp->magic = MULTIPART_MAGIC;
    mp->state = S_PREAMBLE;
    mp->max_head = lim != NULL && lim->max_head != 0 ? lim->max_head : BN_MULTIPART_HEAD_MAX;
    if (mp->max_head > BN_MULTIPART_HEAD_MAX) {
        mp->max_head = BN_MULTIPART_HEAD_MAX;
    }
    mp->max_parts =
        lim != NULL && lim->max_parts != 0 ? lim->max_parts : BN_MULTIPART_DEFAULT_PARTS;
    mp->max_lines =
        lim != NULL && lim->max_lines != 0 ? lim->max_lines : BN_MULTIPART_DEFAULT_LINES;
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, blen);
    mp->dlen = blen + 4;
    /* RFC 2046 5.1.1: the first delimiter may open the body, with no line
     * break before it. */
    start_match(mp, true);
    mp->handler = h;
    mp->ctx = ctx;
    return BN_OK;
}

int
bn_multipart_feed(bn_multipart_t *mp, const char *p, size_t n)
{
    run_t r = { p, 0, 0 };

    BN_CHECK_OBJ(mp, MULTIPART_MAGIC);
    if (mp->state == S_ERROR) {
        return BN_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        if (step(mp, &r, p, i) != BN_OK) {
            return BN_ERROR;
        }
    }
    /* p is the caller's only until this call returns. */
    if (flush_run(mp, &r, mp->offset + n, false) != BN_OK) {
        return BN_ERROR;
    }
    mp->offset += n;
    return BN_OK;
}

int
bn_multipart_finish(bn_multipart_t *mp)
{
    BN_CHECK_OBJ(mp, MULTIPART_MAGIC);
    switch (mp->state) {
    case S_ERROR:
        return BN_ERROR;
    case S_EPILOGUE:
        mp->state = S_DONE;
        return BN_OK;
    case S_PREAMBLE:
        return fail(mp, mp->offset, "no opening boundary");
    case S_DONE:
        return fail(mp, mp->offset, "fed after the end");
    }
    return fail(mp, mp->offset, "body ends before the closing delimiter");
}
