/* top.h: `bouncer top` (top.c), run in the command's process. */
#ifndef BN_MASTER_TOP_H
#define BN_MASTER_TOP_H

#include "../common/bouncer.h"

/* The live view over the master at sock_path; once (or stdout not a
 * terminal): one view, printed.  Returns the exit status. */
int bn_top(const char *sock_path, bool once);

#endif
