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

#endif
