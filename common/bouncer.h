/*
 * bouncer.h: what every file of bouncer includes: the system headers, the
 * shared return codes, and the assertion and magic-number checks.
 */
#ifndef BN_BOUNCER_H
#define BN_BOUNCER_H

#include "config.h" /* objs/config.h, written by ./configure */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define BN_OK 0
#define BN_ERROR -1
#define BN_AGAIN -2    /* would block: call again when the fd is ready */
#define BN_DECLINED -3 /* not mine: try the next handler */
#define BN_DONE -4

#define BN_NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define BN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BN_MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Assertions stay on in release builds: a worker that trips one dies and the
 * master respawns it, which is better than running on with corrupt state.
 */
#define BN_ASSERT(e)                                                                               \
    do {                                                                                           \
        if (__builtin_expect(!(e), 0)) {                                                           \
            bn_assert_fail(__FILE__, __LINE__, __func__, #e);                                      \
        }                                                                                          \
    } while (0)

#define BN_CHECK_OBJ(p, m)                                                                         \
    do {                                                                                           \
        BN_ASSERT((p) != NULL);                                                                    \
        BN_ASSERT((p)->magic == (m));                                                              \
    } while (0)

_Noreturn void bn_assert_fail(const char *file, int line, const char *func, const char *expr);

#endif
