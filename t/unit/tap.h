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

static inline int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
