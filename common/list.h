/*
 * list.h: the one doubly linked list: intrusive and circular, with a
 * sentinel, as the Linux kernel's and nginx's queues.  An object holds a
 * bn_list_t for each list it can be on; bn_list_data() finds the object
 * from its link.  Insert and remove are O(1) and never allocate; an
 * unlinked link has NULL pointers, so bn_list_linked() tells whether an
 * object is on a list.
 */
#ifndef BN_LIST_H
#define BN_LIST_H

#include "bouncer.h"

typedef struct bn_list_s {
    struct bn_list_s *prev, *next;
} bn_list_t;

/* A sentinel, empty, as a static initialiser: static bn_list_t l = BN_LIST_INIT(l); */
#define BN_LIST_INIT(l)                                                                            \
    {                                                                                              \
        &(l), &(l)                                                                                 \
    }

#define bn_list_data(link, type, member) ((type *) (void *) ((char *) (link) - offsetof(type, member)))

/* Walks the list from the head; the current object may be removed on the way. */
#define bn_list_foreach(l, it, nx) for ((it) = (l)->next, (nx) = (it)->next; (it) != (l); (it) = (nx), (nx) = (it)->next)

static inline void
bn_list_init(bn_list_t *l)
{
    l->prev = l->next = l;
}

static inline bool
bn_list_empty(const bn_list_t *l)
{
    return l->next == l;
}

static inline bool
bn_list_linked(const bn_list_t *e)
{
    return e->next != NULL;
}

/* Links e between prev and next, which are neighbours. */
static inline void
bn_list_insert_between(bn_list_t *prev, bn_list_t *next, bn_list_t *e)
{
    e->prev = prev;
    e->next = next;
    prev->next = e;
    next->prev = e;
}

static inline void
bn_list_insert_head(bn_list_t *l, bn_list_t *e)
{
    bn_list_insert_between(l, l->next, e);
}

static inline void
bn_list_insert_tail(bn_list_t *l, bn_list_t *e)
{
    bn_list_insert_between(l->prev, l, e);
}

static inline void
bn_list_remove(bn_list_t *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = NULL;
}

/* The first (or last) link, or NULL on an empty list. */
static inline bn_list_t *
bn_list_head(const bn_list_t *l)
{
    return l->next != l ? l->next : NULL;
}

static inline bn_list_t *
bn_list_tail(const bn_list_t *l)
{
    return l->prev != l ? l->prev : NULL;
}

#endif
