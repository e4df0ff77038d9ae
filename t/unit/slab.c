/*
 * Unit tests of common/slab.c: size classes, reuse, a full zone, pages
 * going back, data kept intact, sharing across fork(), and a holder that
 * died.
 */
#include "tap.h"
#include "../../common/slab.h"

#include <sys/wait.h>

int
main(void)
{
    bn_slab_t *s = bn_slab_create(1024 * 1024, 1000);
    bn_slab_stats_t st, st0;
    void *a, *b, *c, *many[4096];
    size_t n = 0;
    pid_t pid;
    int status;

    ok(s != NULL, "a 1 MiB zone");
    ok(bn_slab_create(8192, 0) == NULL && errno == EINVAL,
       "a zone too small to hold anything is refused");
    ok(bn_slab_data(s) != NULL, "the reserved area");
    memset(bn_slab_data(s), 0xab, 1000);

    bn_slab_lock(s);
    bn_slab_stats_locked(s, &st0);
    a = bn_slab_alloc_locked(s, 10);
    b = bn_slab_alloc_locked(s, 16);
    c = bn_slab_alloc_locked(s, 17);
    ok(a && b && c, "small allocations");
    ok((char *) b - (char *) a == 16, "10 and 16 bytes share the 16-byte class");
    bn_slab_stats_locked(s, &st);
    is_int(st.used_bytes, 16 + 16 + 32, "17 bytes take a 32-byte chunk");
    ok(bn_slab_alloc_locked(s, 0) == NULL, "0 bytes: refused");
    ok(bn_slab_alloc_locked(s, BN_SLAB_PAGE / 2 + 1) == NULL, "above half a page: refused");
    void *half = bn_slab_alloc_locked(s, BN_SLAB_PAGE / 2);
    ok(half != NULL, "half a page: given");
    bn_slab_free_locked(s, half);
    memset(a, 1, 10);
    memset(b, 2, 16);
    bn_slab_free_locked(s, a);
    ok(*(unsigned char *) b == 2 && ((unsigned char *) b)[15] == 2,
       "freeing a neighbour leaves a chunk intact");
    void *a2 = bn_slab_alloc_locked(s, 12);
    ok(a2 == a, "a freed chunk is reused first");
    ok(((unsigned char *) a2)[0] == 0, "and comes back zeroed");
    bn_slab_free_locked(s, a2);
    bn_slab_free_locked(s, b);
    bn_slab_free_locked(s, c);

    /* Fill the zone with 1 KiB chunks until it refuses. */
    while (n < 4096 && (many[n] = bn_slab_alloc_locked(s, 1024)) != NULL) {
        memset(many[n], (int) (n & 0xff), 1024);
        n++;
    }
    bn_slab_stats_locked(s, &st);
    ok(n > 200 && st.free_pages == 0, "the zone fills (%zu chunks of 1 KiB) and then refuses", n);
    ok(bn_slab_alloc_locked(s, 16) == NULL, "a full zone refuses even small requests");
    {
        int intact = 1;
        for (size_t i = 0; i < n; i++) {
            intact = intact && ((unsigned char *) many[i])[1023] == (i & 0xff);
        }
        ok(intact, "every chunk kept its own bytes");
    }
    for (size_t i = 0; i < n; i += 2) {
        bn_slab_free_locked(s, many[i]);
    }
    ok(bn_slab_alloc_locked(s, 16) == NULL, "half-used pages of one class do not serve another");
    for (size_t i = 1; i < n; i += 2) {
        bn_slab_free_locked(s, many[i]);
    }
    bn_slab_stats_locked(s, &st);
    is_int(st.free_pages, st0.free_pages + 0, "every page went back to the zone");
    ok(bn_slab_alloc_locked(s, 16) != NULL, "and serves another class again");
    bn_slab_unlock(s);

    /* Shared across fork: the child's allocation is seen by the parent. */
    pid = fork();
    if (pid == 0) {
        bn_slab_lock(s);
        char *p = bn_slab_alloc_locked(s, 64);
        strcpy(p, "from the child");
        *(char **) bn_slab_data(s) = p;
        bn_slab_unlock(s);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    ok(!bn_slab_lock(s), "a lock given back: nothing to rebuild");
    ok(strcmp(*(char **) bn_slab_data(s), "from the child") == 0,
       "a chunk allocated in a child is seen by the parent");
    bn_slab_unlock(s);

    /* A child that dies holding the lock, halfway through its changes. */
    pid = fork();
    if (pid == 0) {
        bn_slab_lock(s);
        bn_slab_alloc_locked(s, 100);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    ok(bn_slab_lock(s), "a lock held by a process that died is taken over, and says so");
    bn_slab_stats_locked(s, &st);
    ok(st.free_pages == st.pages && st.used_bytes == 0, "with every chunk free again");
    ok(bn_slab_alloc_locked(s, 100) != NULL, "and serving");
    bn_slab_unlock(s);
    ok(!bn_slab_lock(s), "consistent again once the rebuilder unlocked");
    bn_slab_unlock(s);
    bn_slab_destroy(s);

    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
