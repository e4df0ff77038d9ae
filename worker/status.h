/* status.h: the status listener's pages (status.c). */
#ifndef BN_STATUS_H
#define BN_STATUS_H

#include "types.h"

/* Answers r, a request to the status listener: /metrics, /status.json, /. */
int bn_status_respond(bn_request_t *r);

#endif
