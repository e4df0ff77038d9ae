/*
 * str.c: sizes, durations and string helpers.
 */
#include "str.h"

#include <ctype.h>
#include <strings.h>

/* Parses the leading decimal digits of s; sets *end past them. */
static int
parse_digits(const char *s, uint64_t *v, const char **end)
{
    uint64_t n = 0;
    const char *p = s;

    if (!isdigit((unsigned char) *p)) {
        return BN_ERROR;
    }
    for (; isdigit((unsigned char) *p); p++) {
        unsigned d = (unsigned) (*p - '0');
        if (n > (UINT64_MAX - d) / 10) {
            return BN_ERROR;
        }
        n = n * 10 + d;
    }
    *v = n;
    *end = p;
    return BN_OK;
}

static int
scale(uint64_t n, uint64_t mult, uint64_t *out)
{
    if (mult != 0 && n > UINT64_MAX / mult) {
        return BN_ERROR;
    }
    *out = n * mult;
    return BN_OK;
}

int
bn_parse_size(const char *s, uint64_t *bytes)
{
    uint64_t n, mult;
    const char *p;

    if (parse_digits(s, &n, &p) != BN_OK) {
        return BN_ERROR;
    }
    switch (*p) {
    case '\0':
        return scale(n, 1, bytes);
    case 'k':
    case 'K':
        mult = 1024;
        break;
    case 'm':
    case 'M':
        mult = 1024 * 1024;
        break;
    case 'g':
    case 'G':
        mult = 1024 * 1024 * 1024;
        break;
    default:
        return BN_ERROR;
    }
    if (p[1] != '\0') {
        return BN_ERROR;
    }
    return scale(n, mult, bytes);
}

int
bn_parse_duration(const char *s, uint64_t *msec)
{
    uint64_t n, mult, frac = 0, whole;
    const char *p;

    if (parse_digits(s, &n, &p) != BN_OK) {
        return BN_ERROR;
    }
    if (*p == '.') {
        /* "2.5s": up to three decimals, thousandths of the unit */
        unsigned digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++digits > 3) {
                return BN_ERROR;
            }
            frac = frac * 10 + (uint64_t) (*p - '0');
        }
        if (digits == 0) {
            return BN_ERROR;
        }
        for (; digits < 3; digits++) {
            frac *= 10;
        }
    }
    if (strcmp(p, "") == 0 || strcmp(p, "s") == 0) {
        mult = 1000;
    } else if (strcmp(p, "ms") == 0) {
        mult = 1;
    } else if (strcmp(p, "m") == 0) {
        mult = 60 * 1000;
    } else if (strcmp(p, "h") == 0) {
        mult = 3600 * 1000;
    } else if (strcmp(p, "d") == 0) {
        mult = 86400 * 1000;
    } else {
        return BN_ERROR;
    }
    if (frac * mult % 1000 != 0 || scale(n, mult, &whole) != BN_OK) {
        return BN_ERROR; /* less than a millisecond */
    }
    *msec = whole + frac * mult / 1000;
    return *msec < whole ? BN_ERROR : BN_OK;
}

int
bn_parse_usec(const char *s, uint64_t *usec)
{
    uint64_t n;
    const char *p;

    if (parse_digits(s, &n, &p) != BN_OK) {
        return BN_ERROR;
    }
    if (strcmp(p, "us") == 0 || (strcmp(p, "") == 0 && n == 0)) {
        *usec = n;
        return BN_OK;
    }
    if (strcmp(p, "ms") == 0) {
        return scale(n, 1000, usec);
    }
    return BN_ERROR;
}

unsigned
bn_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[64], prev, tmp;

    if (la >= BN_NELEMS(row) || lb >= BN_NELEMS(row)) {
        return 255;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = (unsigned) j;
    }
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = (unsigned) i;
        for (size_t j = 1; j <= lb; j++) {
            tmp = row[j];
            unsigned cost = tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]);
            unsigned best = prev + cost;
            if (row[j] + 1 < best) {
                best = row[j] + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            prev = tmp;
        }
    }
    return BN_MIN(row[lb], 255u);
}

bool
bn_strncaseeq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && strncasecmp(a, b, alen) == 0;
}

bool
bn_str_has_ctl(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char) s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            return true;
        }
    }
    return false;
}

void
bn_line_init(bn_line_t *l, char *buf, size_t size)
{
    /* No room at all: a line of one byte, its NUL, where nothing fits. */
    static char none[1];

    l->data = size > 0 ? buf : none;
    l->len = 0;
    l->size = size > 0 ? size : 1;
    l->cut = size == 0;
    l->data[0] = '\0';
}

void
bn_line_add(bn_line_t *l, const char *s, size_t n)
{
    size_t room = l->size - 1 - l->len;

    if (n > room) {
        n = room;
        l->cut = true;
    }
    memcpy(l->data + l->len, s, n);
    l->len += n;
    l->data[l->len] = '\0';
}

void
bn_line_printf(bn_line_t *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    bn_line_vprintf(l, fmt, ap);
    va_end(ap);
}

void
bn_line_vprintf(bn_line_t *l, const char *fmt, va_list ap)
{
    size_t room = l->size - l->len;
    int n = vsnprintf(l->data + l->len, room, fmt, ap);

    if (n < 0) {
        l->data[l->len] = '\0';
        l->cut = true;
    } else if ((size_t) n >= room) {
        l->len = l->size - 1;
        l->cut = true;
    } else {
        l->len += (size_t) n;
    }
}

/* Writes ch as `how` escapes it into esc (6 bytes at most); returns its length. */
static size_t
escape_byte(unsigned char ch, int how, char *esc)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    if (ch == '"' || ch == '\\') {
        esc[n++] = '\\';
        esc[n++] = (char) ch;
    } else if (ch < 0x20 || ch > 0x7e) {
        esc[n++] = '\\';
        if (how == BN_ESCAPE_JSON) {
            memcpy(esc + n, "u00", 3);
            n += 3;
        } else {
            esc[n++] = 'x';
        }
        esc[n++] = hex[ch >> 4];
        esc[n++] = hex[ch & 15];
    } else {
        esc[n++] = (char) ch;
    }
    return n;
}

void
bn_line_escape(bn_line_t *l, const char *s, size_t max, int how)
{
    bn_line_escape_bytes(l, s, strlen(s), max, how);
}

void
bn_line_escape_bytes(bn_line_t *l, const char *s, size_t n, size_t max, int how)
{
    char esc[6];
    size_t need = 0, used = 0, i;

    for (i = 0; i < n && need <= max; i++) {
        need += escape_byte((unsigned char) s[i], how, esc);
    }
    if (need <= max) {
        for (i = 0; i < n; i++) {
            bn_line_add(l, esc, escape_byte((unsigned char) s[i], how, esc));
        }
        return;
    }
    /* Too long: as much as leaves room for the "...", cut at a whole escape. */
    for (i = 0; i < n; i++) {
        size_t k = escape_byte((unsigned char) s[i], how, esc);
        if (used + k + 3 > max) {
            break;
        }
        bn_line_add(l, esc, k);
        used += k;
    }
    bn_line_add(l, "...", 3);
}

void
bn_line_mark_cut(bn_line_t *l, const char *marker)
{
    size_t n = BN_MIN(strlen(marker), l->size - 1);

    if (!l->cut) {
        return;
    }
    l->len = BN_MIN(l->len, l->size - 1 - n);
    memcpy(l->data + l->len, marker, n);
    l->len += n;
    l->data[l->len] = '\0';
}

/* The value of each base64 character (RFC 4648 4 and 5), -1 for others. */
static int
b64_value(unsigned char ch, bool url)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    if (ch == (url ? '-' : '+')) {
        return 62;
    }
    if (ch == (url ? '_' : '/')) {
        return 63;
    }
    return -1;
}

size_t
bn_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *u = (unsigned char *) out;

    if (cp < 0x80) {
        u[0] = (unsigned char) cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (unsigned char) (0xc0 | (cp >> 6));
        u[1] = (unsigned char) (0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char) (0xe0 | (cp >> 12));
        u[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        u[2] = (unsigned char) (0x80 | (cp & 0x3f));
        return 3;
    }
    u[0] = (unsigned char) (0xf0 | (cp >> 18));
    u[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    u[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    u[3] = (unsigned char) (0x80 | (cp & 0x3f));
    return 4;
}

int
bn_base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen, bool url)
{
    uint32_t acc = 0;
    size_t n = 0, bits = 0, i;

    if (!url) {
        /* Padded: whole quads, '=' only at the end. */
        if (len % 4 != 0) {
            return BN_ERROR;
        }
        if (len > 0 && in[len - 1] == '=') {
            len -= len > 1 && in[len - 2] == '=' ? 2 : 1;
        }
    }
    for (i = 0; i < len; i++) {
        int v = b64_value((unsigned char) in[i], url);
        if (v < 0) {
            return BN_ERROR;
        }
        acc = (acc << 6) | (uint32_t) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char) (acc >> bits);
        }
    }
    /* One character left over makes no byte; the bits a short tail
     * leaves must be zero, or two texts would decode alike. */
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) {
        return BN_ERROR;
    }
    *outlen = n;
    return BN_OK;
}

int
bn_hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}
