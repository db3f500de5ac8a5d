/* Create-time verdicts for client/server endpoints (ucx_route.c). */
#ifndef FG_SHIM_UCX_ROUTE_H
#define FG_SHIM_UCX_ROUTE_H

#include <stddef.h>
#include "fabguard/lanes.h"

#define FG_HIDDEN __attribute__((visibility("hidden")))

struct sockaddr;
FG_HIDDEN void fg_ucx_route_add_context(const void *ctx, const fg_lane_set_t *resources);
FG_HIDDEN void fg_ucx_route_del_context(const void *ctx);
FG_HIDDEN void fg_ucx_route_after_fork(void);
FG_HIDDEN int  fg_ucx_route_of(const struct sockaddr *peer, char *iface, size_t cap,
                               int *local);
FG_HIDDEN int  fg_ucx_route_all_forbidden(const void *ctx, int peer_local,
                                          fg_lane_set_t *usable);

#endif
