/*
 * uri.h: the normal form of a request path, the one routes are matched
 * against: percent-encoded unreserved characters decoded (RFC 3986
 * 6.2.2.2), other escapes kept with their hex in upper case, repeated
 * slashes merged, and "." and ".." segments resolved (5.2.4); so
 * "/x/../admin", "/%61dmin" and "//admin" all read "/admin".
 */
#ifndef BN_URI_H
#define BN_URI_H

#include "bouncer.h"

/*
 * Writes the normal form of in[0..n) (a path, starting with "/") to out,
 * which has room for n + 2 bytes, NUL-terminated.  Returns its length, or
 * -1 for a broken escape or a ".." that climbs above the root.
 */
ssize_t bn_uri_normalize(const char *in, size_t n, char *out);

#endif
