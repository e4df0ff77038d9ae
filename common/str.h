/*
 * str.h: the value syntaxes of the config file (sizes, durations) and the
 * small string helpers the rest of bouncer shares.
 */
#ifndef BN_STR_H
#define BN_STR_H

#include "bouncer.h"

typedef struct {
    const char *data;
    size_t len;
} bn_str_t;

#define bn_string(s)                                                                               \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

/*
 * "512", "16k", "64m", "1g": bytes.  Returns BN_OK, or BN_ERROR for anything
 * else (signs, spaces, overflow, unknown suffix).
 */
int bn_parse_size(const char *s, uint64_t *bytes);

/*
 * "250ms", "5s", "10m", "1h", "1d", or bare seconds.  Returns BN_OK or
 * BN_ERROR, as bn_parse_size().
 */
int bn_parse_duration(const char *s, uint64_t *msec);

/* "50us", "1ms", or "0": a short wait in microseconds, as bn_parse_size(). */
int bn_parse_usec(const char *s, uint64_t *usec);

/* Levenshtein distance, capped at 255; for "did you mean" hints. */
unsigned bn_edit_distance(const char *a, const char *b);

bool bn_strncaseeq(const char *a, size_t alen, const char *b, size_t blen);

/* Whether s holds a byte that cannot stand in a header value (RFC 9110
 * 5.5): a control character other than tab (NUL, CR and LF among them). */
bool bn_str_has_ctl(const char *s, size_t len);

/*
 * Strict base64 (RFC 4648 4: padded, '+' '/') or base64url (5: unpadded,
 * '-' '_').  out needs len * 3 / 4 bytes.  BN_ERROR on any character
 * outside the alphabet, bad padding, or non-zero leftover bits: one value,
 * one spelling.
 */
/*
 * FNV-1a over n bytes at p, going on from h (BN_FNV1A_START for a new
 * hash): for hash tables whose keys nobody picks to collide, or that mix
 * in a secret seed.
 */
#define BN_FNV1A_START 0xcbf29ce484222325ULL

static inline uint64_t
bn_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 0x100000001b3ULL;
    }
    return h;
}

/* The value of a hex digit, either case; -1 for any other byte. */
int bn_hex_value(int c);

/* Writes the UTF-8 form of cp (at most U+10FFFF) to out: 1 to 4 bytes, the
 * count returned.  Surrogates are the caller's to refuse. */
size_t bn_utf8_encode(uint32_t cp, char *out);

int bn_base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen, bool url);

/*
 * A line written into a fixed buffer.  Every append clamps to the room left
 * (one byte is kept for the terminating NUL) and sets `cut` when it dropped
 * anything, so a caller can never write past the buffer whatever the input,
 * and says so once at the end instead of checking each step.
 */
typedef struct {
    char *data;
    size_t len;
    size_t size;
    bool cut;
} bn_line_t;

void bn_line_init(bn_line_t *l, char *buf, size_t size);
void bn_line_add(bn_line_t *l, const char *s, size_t n);
void bn_line_printf(bn_line_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bn_line_vprintf(bn_line_t *l, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define BN_ESCAPE_LOG 0  /* '"' and '\\' get a backslash, other bytes outside 0x20-0x7e \xHH */
#define BN_ESCAPE_JSON 1 /* the same, with \u00HH: a JSON string's contents */

/*
 * Appends s escaped as `how` says, at most `max` bytes of output; a value
 * that needs more is cut at a whole escape and ends in "..." (and `cut` is
 * not set: the field was shortened on purpose, the line is whole).
 */
void bn_line_escape(bn_line_t *l, const char *s, size_t max, int how);
/* The same for n bytes that may hold a NUL. */
void bn_line_escape_bytes(bn_line_t *l, const char *s, size_t n, size_t max, int how);

/*
 * When the line was cut, puts marker (and nothing after it) in place of its
 * last bytes, so whoever reads it sees where it was cut.
 */
void bn_line_mark_cut(bn_line_t *l, const char *marker);

#endif
