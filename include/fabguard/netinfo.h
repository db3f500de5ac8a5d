/* Interfaces from the kernel's text tables (pure: callers pass the text, so
 * the shim reads its own namespace's /proc/self/net/route and tests pass
 * fixtures). Format: Linux net/ipv4/fib_trie.c fib_route_seq_show()
 * ("Iface\tDestination\tGateway…", hex little-endian addresses) and
 * net/ipv6/route.c ipv6_route_seq_show(). */
#ifndef FABGUARD_NETINFO_H
#define FABGUARD_NETINFO_H

#include <stddef.h>
#include "fabguard/common.h"

#define FG_MAX_IFACES 32

/* Interface names or globs; an RDMA port ("mlx5_0:1") entry carries the
 * interface it is a RoCE port of in via[] ("" for plain interfaces). */
typedef struct {
    size_t n;
    char   name[FG_MAX_IFACES][16];
    char   via[FG_MAX_IFACES][16];
} fg_ifset_t;

void fg_ifset_add(fg_ifset_t *set, const char *name);
void fg_ifset_add_via(fg_ifset_t *set, const char *port, const char *iface);
int  fg_ifset_contains(const fg_ifset_t *set, const char *name);
/* The interface behind NAME when it is an RDMA port entry, else NULL. */
const char *fg_ifset_via(const fg_ifset_t *set, const char *name);

/* Interfaces carrying a default route in /proc/net/route text. */
int fg_route_default_ifaces(const char *route_text, fg_ifset_t *out);
/* Same for /proc/net/ipv6_route text (destination ::/0, skips lo). */
int fg_route6_default_ifaces(const char *route6_text, fg_ifset_t *out);

/* Defined by the /proc-/sys reader (sysread.h, which declares it too);
 * declared here as well only for shim/preload/core.h until it includes
 * sysread.h. */
struct fg_policy;
int fg_mgmt_ifaces(const struct fg_policy *pol, const char *root,
                   fg_ifset_t *out);

#endif
