/*
 * testhook.h: crash points, for the tests of what must survive a process
 * killed at the worst moment (a lock holder halfway through an update, a
 * writer between the two halves of a change).  They exist only in the
 * binary the test suite builds, objs/bouncer-hooks (compiled with
 * BN_TEST_HOOKS); in objs/bouncer BN_CRASH_POINT() is nothing at all.
 *
 * A process that reaches crash point NAME while the file
 * $BOUNCER_CRASH_DIR/NAME exists removes that file and SIGKILLs itself.
 * Whoever removes it dies, so each file a test makes kills exactly one
 * process, and the one respawned in its place runs on.
 */
#ifndef BN_TESTHOOK_H
#define BN_TESTHOOK_H

#include "bouncer.h"

#ifdef BN_TEST_HOOKS

#include <limits.h>
#include <signal.h>

static inline void
bn_crash_point(const char *name)
{
    const char *dir = getenv("BOUNCER_CRASH_DIR");
    char path[PATH_MAX];

    if (dir == NULL) {
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (unlink(path) == 0) {
        raise(SIGKILL);
    }
}

#define BN_CRASH_POINT(name) bn_crash_point(name)

#else

#define BN_CRASH_POINT(name) ((void) 0)

#endif

#endif
