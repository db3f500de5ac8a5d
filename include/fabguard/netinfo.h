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

typedef struct {
    size_t n;
    char   name[FG_MAX_IFACES][16];
} fg_ifset_t;

void fg_ifset_add(fg_ifset_t *set, const char *name);
int  fg_ifset_contains(const fg_ifset_t *set, const char *name);

/* Interfaces carrying a default route in /proc/net/route text. */
int fg_route_default_ifaces(const char *route_text, fg_ifset_t *out);
/* Same for /proc/net/ipv6_route text (destination ::/0, skips lo). */
int fg_route6_default_ifaces(const char *route6_text, fg_ifset_t *out);

/* Read a small text file below root (root NULL or "" = "/") into buf.
 * Returns bytes read or -1 with errno set. Opens O_RDONLY|O_CLOEXEC. */
long fg_read_text(const char *root, const char *path, char *buf, size_t cap);

/* Management interfaces per policy: "auto" = default-route interfaces of the
 * namespace seen through root/proc/net/{route,ipv6_route}. */
struct fg_policy;
int fg_mgmt_ifaces(const struct fg_policy *pol, const char *root,
                   fg_ifset_t *out);

#endif
