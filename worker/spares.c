/*
 * spares.c: what a request used (its pool, its head buffer, an HTTP/2
 * stream's output buffer) is kept for the next one, so a worker in its
 * stride allocates nothing per request.  What a burst needed goes back once
 * the burst is over: every second, the spares that nothing took during that
 * second are freed and malloc_trim() returns their pages, so what idle
 * connections cost is only what they hold themselves.
 */
#include "spares.h"
#include "event.h"

#include <malloc.h>

#define SPARES_TRIM_MSEC 1000
#define SPARES_KINDS 4

static void trim_spares(bn_timer_t *t);

static bn_spares_t *kinds[SPARES_KINDS];
static unsigned nkinds;
static bn_timer_t trim_timer = { .handler = trim_spares };
static bool freed_since_trim;

void *
bn_spare_get(bn_spares_t *s)
{
    if (s->n == 0) {
        return NULL;
    }
    s->n--;
    s->low = BN_MIN(s->low, s->n);
    return s->items[s->n];
}

void
bn_spare_put(bn_spares_t *s, void *item)
{
    if (!s->registered) {
        BN_ASSERT(nkinds < SPARES_KINDS);
        kinds[nkinds++] = s;
        s->registered = true;
    }
    if (s->n == BN_SPARES_MAX) {
        s->destroy(item);
        freed_since_trim = true;
    } else {
        s->items[s->n++] = item;
    }
    if (trim_timer.slot == 0) {
        bn_timer_set(&trim_timer, SPARES_TRIM_MSEC);
    }
}

static void
trim_one(bn_spares_t *s)
{
    unsigned k = s->low;

    for (unsigned i = 0; i < k; i++) {
        s->destroy(s->items[i]);
    }
    memmove(s->items, s->items + k, (s->n - k) * sizeof(s->items[0]));
    s->n -= k;
    s->low = s->n;
    freed_since_trim |= k > 0;
}

static void
trim_spares(bn_timer_t *t)
{
    unsigned held = 0;

    for (unsigned i = 0; i < nkinds; i++) {
        trim_one(kinds[i]);
        held += kinds[i]->n;
    }
    if (freed_since_trim) {
        malloc_trim(0);
        freed_since_trim = false;
    }
    if (held > 0) {
        bn_timer_set(t, SPARES_TRIM_MSEC);
    }
}
