/*
 * jwks.c: the shared slot of a jwks_url (jwks.h).  A reader copies the
 * current half and checks the serial did not move meanwhile; the helper
 * publishes at most once a minute and a copy takes microseconds, so a
 * retry is all that a collision ever costs.
 */
#include "jwks.h"

#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

struct bn_jwks_slot_s {
    _Atomic unsigned serial; /* 0: nothing yet; the current half is serial % 2 */
    int wake_fd, ask_fd;
    size_t len[2];
    char text[2][BN_JWKS_MAX];
};

static void
slot_free(void *data)
{
    bn_jwks_slot_t *s = data;

    close(s->wake_fd);
    close(s->ask_fd);
    munmap(s, sizeof(*s));
}

bn_jwks_slot_t *
bn_jwks_slot_create(bn_pool_t *pool)
{
    bn_jwks_slot_t *s =
        mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (s == MAP_FAILED) {
        return NULL;
    }
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->ask_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->wake_fd == -1 || s->ask_fd == -1 || bn_pool_cleanup_add(pool, slot_free, s) != BN_OK) {
        int e = errno;
        if (s->wake_fd != -1) {
            close(s->wake_fd);
        }
        if (s->ask_fd != -1) {
            close(s->ask_fd);
        }
        munmap(s, sizeof(*s));
        errno = e;
        return NULL;
    }
    return s;
}

void
bn_jwks_publish(bn_jwks_slot_t *s, const char *text, size_t len)
{
    unsigned next = atomic_load(&s->serial) + 1;
    uint64_t one = 1;

    if (len > BN_JWKS_MAX) {
        return;
    }
    memcpy(s->text[next % 2], text, len);
    s->len[next % 2] = len;
    atomic_store(&s->serial, next);
    (void) !write(s->wake_fd, &one, sizeof(one));
}

int
bn_jwks_ask_fd(const bn_jwks_slot_t *s)
{
    return s->ask_fd;
}

bool
bn_jwks_asked(bn_jwks_slot_t *s)
{
    uint64_t n;

    return read(s->ask_fd, &n, sizeof(n)) == sizeof(n);
}

unsigned
bn_jwks_serial(const bn_jwks_slot_t *s)
{
    return atomic_load(&s->serial);
}

size_t
bn_jwks_read(const bn_jwks_slot_t *s, char *buf, unsigned *serial)
{
    for (;;) {
        unsigned a = atomic_load(&s->serial);
        size_t len;

        if (a == 0) {
            return 0;
        }
        len = s->len[a % 2];
        memcpy(buf, s->text[a % 2], len);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(&s->serial) == a) {
            *serial = a;
            return len;
        }
    }
}

int
bn_jwks_wake_fd(const bn_jwks_slot_t *s)
{
    return s->wake_fd;
}

void
bn_jwks_ask(bn_jwks_slot_t *s)
{
    uint64_t one = 1;

    (void) !write(s->ask_fd, &one, sizeof(one));
}
