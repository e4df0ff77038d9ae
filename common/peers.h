/*
 * peers.h: the upstream state every worker must agree on, in one shared
 * memory table the master maps before it forks anything.  Each server of
 * each upstream owns a slot, found by a hash of the upstream's name and the
 * server's address, so a reload (which makes new config structs) and a
 * worker crash (which loses a process) both find the same slot again:
 * connection counts, health and slow-start progress carry over.
 *
 * Every field is an atomic: workers update counts on every request, and a
 * lock would put all of them in one line.  The address set of a server that
 * is re-resolved is the one multi-word value; it is guarded by a sequence
 * counter (written only by the helper process, read by the workers).
 */
#ifndef BN_PEERS_H
#define BN_PEERS_H

#include "addr.h"
#include "bouncer.h"
#include "conf.h"

#define BN_PEERS_MAX 4096  /* slots: servers of all upstreams, plus one per upstream */
#define BN_PEERS_PROCS 256 /* worker processes whose counts are tracked (all generations) */

struct bn_peer_state_s {
    _Atomic uint64_t key; /* 0: free */
    bool upstream;        /* an upstream's own slot (queued), not a server's */
    atomic_uint conns;    /* requests on this server now, all workers */
    atomic_uint queued;   /* an upstream's slot: requests in its queue */

    /* Passive health: fails counted since fail_start; down until down_until,
     * then one trial request (trial set) decides. */
    atomic_uint fails;
    _Atomic uint64_t fail_start;
    _Atomic uint64_t down_until;
    _Atomic uint64_t trial; /* a trial request is out until then */

    /* Active health, written by the helper process only. */
    atomic_bool checked_down;
    atomic_uint check_fails, check_passes;

    _Atomic uint64_t up_since; /* when it last came back: slow_start ramps from here */
    atomic_uint next_addr;     /* rotates new connections over its addresses */

    /*
     * Addresses of a re-resolved name, in two sets.  The helper fills the
     * one addr_cur does not name (its seq odd meanwhile), then points
     * addr_cur at it.  A helper killed halfway leaves torn only a set that
     * no reader is sent to, so a reader never waits on a writer that is
     * gone; the next helper's write makes that set whole again.
     */
    atomic_uint addr_cur;
    struct {
        atomic_uint seq; /* odd while written; 0: never written */
        unsigned n;
        bn_addr_t addrs[BN_PEER_MAX_ADDRS];
    } addr_set[2];
};

/* A server's health now, as every process sees it: up, down (by active
 * checks or passive failures), or due a trial request. */
typedef enum { BN_PEER_UP = 0, BN_PEER_DOWN, BN_PEER_TRIAL } bn_peer_health_t;
bn_peer_health_t bn_peer_health(const bn_conf_peer_t *p, uint64_t now_msec);
/* The same for the status pages: "up", "down", "trial", or "disabled"
 * (down = true in the config). */
const char *bn_peer_health_name(const bn_conf_peer_t *p, uint64_t now_msec);

/* Maps the table (master, once); BN_OK or BN_ERROR with errno. */
int bn_peers_create(void);

/*
 * Gives every server and upstream of conf its slot: the one it had under
 * the same name and address, or a fresh one.  Slots no config uses any more
 * are reused only when the table is full.  BN_ERROR when conf has more
 * servers than the table holds.
 */
int bn_peers_assign(bn_conf_t *conf, char *err, size_t errlen);

/*
 * Master, once conf is sure to serve (a reload cannot fail any more): the
 * servers no health check of conf probes (their upstream has none now, or
 * they are down = true) lose what earlier checks said of them, so that a
 * server once checked down is not down for good when the checks go, nor
 * when they come back.
 */
void bn_peers_forget_checks(const bn_conf_t *conf);

/* The addresses to connect to: the re-resolved set when p->resolve and the
 * helper has one, else those found at load.  Copies up to max into out. */
unsigned bn_peer_addrs(const bn_conf_peer_t *p, bn_addr_t *out, unsigned max);

/* Publishes a new address set (helper, the only writer). */
void bn_peer_set_addrs(bn_conf_peer_t *p, const bn_addr_t *addrs, unsigned n);

/* Whether p has an address to connect to: one found at load, or a set the
 * helper published. */
bool bn_peer_has_addrs(const bn_conf_peer_t *p);

/* A server's address as a connection should use it now (rotating over a
 * name's several addresses), leaving out those whose bit is set in skip.
 * Returns its index among the server's addresses, or -1 when none is left. */
int bn_peer_pick_addr(const bn_conf_peer_t *p, unsigned skip, bn_addr_t *out);
/* How many addresses the server has now. */
unsigned bn_peer_naddrs(const bn_conf_peer_t *p);

/*
 * What one process holds, counted a second time per process so that the
 * master can give it back when the process dies without doing so itself:
 * a SIGKILLed worker must not keep its servers' max_conns slots (or queue
 * places) taken forever.  proc is the process's tracking index (the
 * heritage's), -1 when it has none.
 */
void bn_peer_hold(bn_peer_state_t *st, int proc);
void bn_peer_unhold(bn_peer_state_t *st, int proc);
/* Master: returns everything process proc held. */
void bn_peers_release_proc(int proc);

/* Decrements without wrapping: a slot reset by a reload must not go to 4G. */
void bn_atomic_dec(atomic_uint *v);

#endif
