/*
 * access_acl.c: the route's allow and deny lists, the first access handler.
 * Both judge $remote_addr: the client real_ip found behind a trusted proxy,
 * else the peer; deny wins where both match.
 */
#include "access_acl.h"

#include <sys/socket.h>

static bool
wanted(const bn_conf_route_t *rt)
{
    return rt->nallow > 0 || rt->ndeny > 0;
}

static int
handler(bn_request_t *r)
{
    const bn_conf_route_t *rt = r->route;
    struct sockaddr_storage ss;
    const struct sockaddr *sa = &r->client->peer.sa;

    if (r->remote_addr != r->peer_text
        && bn_ip_parse(r->remote_addr, strlen(r->remote_addr), &ss) == BN_OK) {
        sa = (const struct sockaddr *) &ss;
    }
    if (rt->ndeny > 0 && bn_cidr_list_match(rt->deny, rt->ndeny, sa)) {
        return 403;
    }
    if (rt->nallow > 0 && !bn_cidr_list_match(rt->allow, rt->nallow, sa)) {
        return 403;
    }
    return BN_OK;
}

const bn_access_module_t bn_access_acl = { "allow/deny", BN_ACCESS_ACL, wanted, handler };
