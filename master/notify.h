/* notify.h: telling systemd what the master does (notify.c). */
#ifndef BN_MASTER_NOTIFY_H
#define BN_MASTER_NOTIFY_H

#include "../common/bouncer.h"
#include "../common/log.h"

/* Reads $NOTIFY_SOCKET (at start). */
void bn_notify_init(void);
/* Sends one message ("READY=1\nSTATUS=..."); nothing without a socket. */
void bn_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in microseconds, as RELOADING=1's MONOTONIC_USEC wants. */
uint64_t bn_notify_monotonic_usec(void);

#endif
