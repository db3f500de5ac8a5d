/* Client/server endpoints in enforce mode: their data lanes are final only
 * after wireup, but what a context can use to reach a peer is known at
 * ucp_ep_create: its resources (recorded at context creation), minus the
 * memory transports when the peer is on another node. When every one of
 * them is forbidden, the endpoint cannot carry data on an allowed path: it
 * is refused then, before any data moves (the client before UCX even
 * connects). Otherwise the verdict waits for the final lanes. */
#include "ucx_route.h"
#include "core.h"

#include "fabguard/judge.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    const void   *ctx;
    fg_lane_set_t res;
} ctx_res_t;

static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static ctx_res_t      *res;
static size_t          nres, res_cap;

void fg_ucx_route_add_context(const void *ctx, const fg_lane_set_t *resources)
{
    pthread_mutex_lock(&res_lock);
    if (nres == res_cap) {
        size_t     cap = res_cap ? res_cap * 2 : 4;
        ctx_res_t *p   = realloc(res, cap * sizeof(*p));
        if (p == NULL) {
            pthread_mutex_unlock(&res_lock);
            return;   /* no early verdict for this context; never fatal */
        }
        res     = p;
        res_cap = cap;
    }
    res[nres].ctx = ctx;
    res[nres].res = *resources;
    nres++;
    pthread_mutex_unlock(&res_lock);
}

void fg_ucx_route_del_context(const void *ctx)
{
    size_t i;

    pthread_mutex_lock(&res_lock);
    for (i = 0; i < nres; i++) {
        if (res[i].ctx == ctx) {
            res[i] = res[--nres];
            break;
        }
    }
    pthread_mutex_unlock(&res_lock);
}

void fg_ucx_route_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    res_lock = fresh;
    nres     = 0;
}

static int get_resources(const void *ctx, fg_lane_set_t *out)
{
    size_t i;
    int    found = 0;

    pthread_mutex_lock(&res_lock);
    for (i = 0; i < nres && !found; i++) {
        if (res[i].ctx == ctx) {
            *out  = res[i].res;
            found = 1;
        }
    }
    pthread_mutex_unlock(&res_lock);
    return found;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family) {
        return 0;
    }
    if (a->sa_family == AF_INET) {
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    }
    return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* The interface the kernel routes `peer` through (a UDP connect sends
 * nothing), and whether the peer is this node. 0, or -1 when unknown. */
int fg_ucx_route_of(const struct sockaddr *peer, char *iface, size_t cap, int *local)
{
    struct sockaddr_storage me;
    socklen_t               len = sizeof(me);
    struct ifaddrs         *ifa, *i;
    socklen_t               plen;
    int                     fd, rc = -1;

    iface[0] = '\0';
    *local   = 0;
    if (peer == NULL || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)) {
        return -1;
    }
    plen = peer->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    fd   = socket(peer->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, peer, plen) == 0 && getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
        getifaddrs(&ifa) == 0) {
        for (i = ifa; i != NULL; i = i->ifa_next) {
            if (i->ifa_addr == NULL) {
                continue;
            }
            if (same_addr(i->ifa_addr, peer)) {
                *local = 1;   /* the peer's address is ours */
            }
            if (iface[0] == '\0' && same_addr(i->ifa_addr, (struct sockaddr *)&me)) {
                snprintf(iface, cap, "%s", i->ifa_name);
            }
        }
        freeifaddrs(ifa);
        if (strcmp(iface, "lo") == 0) {
            *local = 1;
        }
        rc = 0;
    }
    close(fd);
    return rc;
}

/* 1 when every transport of `ctx` that could reach the peer is forbidden;
 * `usable` gets those transports (the evidence). */
int fg_ucx_route_all_forbidden(const void *ctx, int peer_local, fg_lane_set_t *usable)
{
    fg_lane_set_t all;
    size_t        i;

    usable->n = 0;
    if (!get_resources(ctx, &all)) {
        return 0;
    }
    for (i = 0; i < all.n; i++) {
        fg_lane_set_t one;
        fg_findings_t f;
        if (fg_lane_is_memory(all.lane[i].transport) && !peer_local) {
            continue;   /* shared memory cannot reach another node */
        }
        one.n       = 1;
        one.lane[0] = all.lane[i];
        memset(&f, 0, sizeof(f));
        fg_judge_ucx_lanes(fg_core_policy(), fg_core_mgmt(), &one, &f);
        if (f.n == 0) {
            return 0;   /* an allowed path exists: wait for the final lanes */
        }
        fg_lane_set_add(usable, all.lane[i].transport, all.lane[i].device, "usable");
    }
    return usable->n > 0;
}
