/*
 * tap.h: just enough TAP for the C unit tests; t/unit.t runs each binary.
 */
#ifndef BN_TAP_H
#define BN_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
    do {                                                                                           \
        int ok_ = (cond) ? 1 : 0;                                                                  \
        printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n);                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        if (!ok_) {                                                                                \
            tap_failed++;                                                                          \
            printf("#   failed at %s line %d\n", __FILE__, __LINE__);                              \
        }                                                                                          \
    } while (0)

#define is_int(got, want, ...)                                                                     \
    do {                                                                                           \
        long long g_ = (long long) (got), w_ = (long long) (want);                                 \
        ok(g_ == w_, __VA_ARGS__);                                                                 \
        if (g_ != w_) {                                                                            \
            printf("#   got %lld, want %lld\n", g_, w_);                                           \
        }                                                                                          \
    } while (0)

/*
 * Appends n bytes at s to the NUL-terminated text in buf (size bytes, *len
 * of them used), bytes outside 0x20-0x7e and those in `special` as \xHH:
 * what a parser reported becomes one string to compare with what a test
 * wants.  What does not fit is dropped.
 */
static inline void
tap_escape(char *buf, size_t size, size_t *len, const char *s, size_t n, const char *special)
{
    for (size_t i = 0; i < n && *len + 5 < size; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c < 0x20 || c > 0x7e || strchr(special, c) != NULL) {
            *len += (size_t) snprintf(buf + *len, 5, "\\x%02x", c);
        } else {
            buf[(*len)++] = (char) c;
        }
    }
    buf[*len] = '\0';
}

/* The same for a string as it is. */
static inline void
tap_append(char *buf, size_t size, size_t *len, const char *s)
{
    size_t n = strlen(s);

    if (*len + n < size) {
        memcpy(buf + *len, s, n + 1);
        *len += n;
    }
}

static inline int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
