/*
 * slab.c: the shared-zone slab allocator (see slab.h).
 */
#include "slab.h"

#include <sys/mman.h>

#define MIN_SHIFT 4  /* 16-byte chunks */
#define MAX_SHIFT 11 /* 2048: half a page */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define NONE UINT32_MAX

/* One per page of the zone, kept apart from the pages themselves so that a
 * chunk's neighbours cannot corrupt it. */
typedef struct {
    uint32_t prev, next; /* in its class's list of pages with free chunks, or the free pages */
    uint32_t free_chunk; /* offset in the page of the first free chunk; NONE: full */
    uint16_t nfree;
    int8_t cls; /* size class; -1: a free page */
    uint8_t on_list;
} page_t;

struct bn_slab_s {
    pthread_mutex_t lock;
    bool recovering; /* the last holder died: consistent again at unlock */
    size_t map_size;
    uint32_t npages;    /* pages for chunks */
    uint32_t free_head; /* free pages */
    uint32_t nfree_pages;
    size_t used_bytes;
    uint32_t partial[NCLASSES]; /* per class: pages with free chunks */
    page_t *pages;
    char *base; /* the first chunk page */
    char *data; /* the caller's reserved area */
};

static size_t
round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Every page free, as a new zone has them. */
static void
reset(bn_slab_t *s)
{
    for (uint32_t i = 0; i < s->npages; i++) {
        s->pages[i] = (page_t){ .prev = i > 0 ? i - 1 : NONE,
                                .next = i + 1 < s->npages ? i + 1 : NONE,
                                .free_chunk = NONE,
                                .cls = -1 };
    }
    s->free_head = 0;
    s->nfree_pages = s->npages;
    s->used_bytes = 0;
    for (int c = 0; c < NCLASSES; c++) {
        s->partial[c] = NONE;
    }
}

bn_slab_t *
bn_slab_create(size_t size, size_t reserve)
{
    size_t head, npages, total = size / BN_SLAB_PAGE * BN_SLAB_PAGE;
    pthread_mutexattr_t a;
    bn_slab_t *s;
    void *m;

    /* Bookkeeping first: the header, the reserved area, the page table. */
    head = round_up(sizeof(bn_slab_t), 64) + round_up(reserve, 64);
    npages = (total - head) / (BN_SLAB_PAGE + sizeof(page_t));
    head = round_up(head + npages * sizeof(page_t), BN_SLAB_PAGE);
    if (total < head + 4 * BN_SLAB_PAGE) {
        errno = EINVAL;
        return NULL;
    }
    npages = (total - head) / BN_SLAB_PAGE;
    m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return NULL;
    }
    s = m;
    s->map_size = total;
    s->data = (char *) m + round_up(sizeof(bn_slab_t), 64);
    s->pages = (page_t *) (s->data + round_up(reserve, 64));
    s->base = (char *) m + head;
    s->npages = (uint32_t) npages;
    reset(s);
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pthread_mutex_init(&s->lock, &a) != 0) {
        pthread_mutexattr_destroy(&a);
        munmap(m, total);
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutexattr_destroy(&a);
    return s;
}

void
bn_slab_destroy(bn_slab_t *s)
{
    if (s != NULL) {
        munmap(s, s->map_size);
    }
}

void *
bn_slab_data(bn_slab_t *s)
{
    return s->data;
}

bool
bn_slab_lock(bn_slab_t *s)
{
    int rc = pthread_mutex_lock(&s->lock);

    if (rc == EOWNERDEAD) {
        /* The holder died mid-change: any list of the slab, or of what the
         * caller keeps in it, may be half relinked.  No pointer of it can
         * be trusted, so the slab starts over and the caller rebuilds.  The
         * lock is marked consistent only at unlock: a caller killed while
         * rebuilding leaves the next one to rebuild again. */
        s->recovering = true;
        reset(s);
        return true;
    }
    BN_ASSERT(rc == 0);
    return false;
}

void
bn_slab_unlock(bn_slab_t *s)
{
    if (s->recovering) {
        s->recovering = false;
        pthread_mutex_consistent(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
}

/* Removes page i from the list whose head is *head. */
static void
unlink_page(bn_slab_t *s, uint32_t *head, uint32_t i)
{
    page_t *p = &s->pages[i];

    if (p->prev != NONE) {
        s->pages[p->prev].next = p->next;
    } else {
        *head = p->next;
    }
    if (p->next != NONE) {
        s->pages[p->next].prev = p->prev;
    }
    p->prev = p->next = NONE;
    p->on_list = 0;
}

static void
push_page(bn_slab_t *s, uint32_t *head, uint32_t i)
{
    page_t *p = &s->pages[i];

    p->prev = NONE;
    p->next = *head;
    if (*head != NONE) {
        s->pages[*head].prev = i;
    }
    *head = i;
    p->on_list = 1;
}

static int
size_class(size_t size)
{
    int c = MIN_SHIFT;

    while (((size_t) 1 << c) < size) {
        c++;
    }
    return c - MIN_SHIFT;
}

void *
bn_slab_alloc_locked(bn_slab_t *s, size_t size)
{
    int c;
    uint32_t i;
    page_t *p;
    char *page;
    size_t chunk;

    if (size == 0 || size > BN_SLAB_PAGE / 2) {
        return NULL;
    }
    c = size_class(size);
    chunk = (size_t) 1 << (c + MIN_SHIFT);
    i = s->partial[c];
    if (i == NONE) {
        /* A fresh page for this class: its chunks linked in order. */
        i = s->free_head;
        if (i == NONE) {
            return NULL;
        }
        unlink_page(s, &s->free_head, i);
        s->nfree_pages--;
        p = &s->pages[i];
        page = s->base + (size_t) i * BN_SLAB_PAGE;
        p->cls = (int8_t) c;
        p->nfree = (uint16_t) (BN_SLAB_PAGE / chunk);
        p->free_chunk = 0;
        for (size_t off = 0; off < BN_SLAB_PAGE; off += chunk) {
            *(uint32_t *) (page + off) =
                off + chunk < BN_SLAB_PAGE ? (uint32_t) (off + chunk) : NONE;
        }
        push_page(s, &s->partial[c], i);
    }
    p = &s->pages[i];
    page = s->base + (size_t) i * BN_SLAB_PAGE;
    BN_ASSERT(p->free_chunk != NONE && p->cls == c);
    {
        char *ch = page + p->free_chunk;
        p->free_chunk = *(uint32_t *) ch;
        p->nfree--;
        if (p->free_chunk == NONE) {
            unlink_page(s, &s->partial[c], i); /* full */
        }
        s->used_bytes += chunk;
        memset(ch, 0, chunk);
        return ch;
    }
}

void
bn_slab_free_locked(bn_slab_t *s, void *ptr)
{
    char *ch = ptr;
    uint32_t i;
    page_t *p;
    size_t chunk;

    if (ch == NULL) {
        return;
    }
    BN_ASSERT(ch >= s->base && ch < s->base + (size_t) s->npages * BN_SLAB_PAGE);
    i = (uint32_t) ((size_t) (ch - s->base) / BN_SLAB_PAGE);
    p = &s->pages[i];
    BN_ASSERT(p->cls >= 0);
    chunk = (size_t) 1 << (p->cls + MIN_SHIFT);
    BN_ASSERT((size_t) (ch - s->base) % chunk == 0);
    *(uint32_t *) ch = p->free_chunk;
    p->free_chunk = (uint32_t) ((size_t) (ch - s->base) % BN_SLAB_PAGE);
    p->nfree++;
    s->used_bytes -= chunk;
    if (!p->on_list) {
        push_page(s, &s->partial[p->cls], i); /* was full */
    }
    if (p->nfree == BN_SLAB_PAGE / chunk) {
        /* Every chunk is free: the page goes back to the zone. */
        unlink_page(s, &s->partial[p->cls], i);
        p->cls = -1;
        push_page(s, &s->free_head, i);
        s->nfree_pages++;
    }
}

void
bn_slab_stats_locked(bn_slab_t *s, bn_slab_stats_t *st)
{
    st->pages = s->npages;
    st->free_pages = s->nfree_pages;
    st->used_bytes = s->used_bytes;
}
