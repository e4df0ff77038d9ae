/* access_log.h: what worker/access_log.c exports. */
#ifndef BN_WORKER_ACCESS_LOG_H
#define BN_WORKER_ACCESS_LOG_H

#include "types.h"

void bn_access_log_write(bn_request_t *r);
int bn_access_log_fd(void);
void bn_access_log_set_fd(int fd, int format);

#endif
