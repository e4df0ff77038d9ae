/*
 * jwks.h: the keys a jwt policy's jwks_url gives, passed from the helper
 * process, which fetches them, to the workers, which check tokens with
 * them.  One shared slot per such policy, made when the config loads:
 * two halves, of which the helper writes the one not being read and then
 * makes it current; an eventfd it writes after that wakes every worker
 * (never read: each write is an edge for every epoll that watches it).
 * A worker that meets an unknown kid asks for a fetch through a second
 * eventfd, which the helper polls.
 */
#ifndef BN_JWKS_H
#define BN_JWKS_H

#include "bouncer.h"
#include "pool.h"

#define BN_JWKS_MAX (64 * 1024) /* bytes of a JWKS document */

typedef struct bn_jwks_slot_s bn_jwks_slot_t;

/* Maps a slot, unmapped and closed with pool.  NULL with errno. */
bn_jwks_slot_t *bn_jwks_slot_create(bn_pool_t *pool);

/* The helper: makes text the current JWKS; wakes the workers. */
void bn_jwks_publish(bn_jwks_slot_t *s, const char *text, size_t len);
/* The helper: the descriptor a fetch request comes on; drains it and
 * returns whether one came. */
int bn_jwks_ask_fd(const bn_jwks_slot_t *s);
bool bn_jwks_asked(bn_jwks_slot_t *s);

/* A worker: the number of the current JWKS (0: none yet). */
unsigned bn_jwks_serial(const bn_jwks_slot_t *s);
/* A worker: copies the current JWKS into buf (BN_JWKS_MAX bytes); returns
 * its length and sets *serial, or 0 when there is none. */
size_t bn_jwks_read(const bn_jwks_slot_t *s, char *buf, unsigned *serial);
/* A worker: the descriptor that tells a new JWKS came. */
int bn_jwks_wake_fd(const bn_jwks_slot_t *s);
/* A worker: asks the helper for a fetch (it fetches at most once a minute). */
void bn_jwks_ask(bn_jwks_slot_t *s);

#endif
