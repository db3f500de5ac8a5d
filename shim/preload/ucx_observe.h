/* What UCX negotiated (ucx_observe.c). */
#ifndef FG_SHIM_UCX_OBSERVE_H
#define FG_SHIM_UCX_OBSERVE_H

#include <sys/socket.h>
#include "ucx_copy.h"
#include "fabguard/lanes.h"
#include "fabguard/judge.h"
#include "fabguard/ucx_context.h"

/* An endpoint's lanes (ucp_ep_query, else ucp_ep_print_info); *source
 * says which. 0 on success. */
FG_HIDDEN int  fg_ucx_query_lanes(fg_ucx_copy_t *c, ucp_ep_h ep, fg_lane_set_t *lanes,
                                  const char **source);
/* A context's configuration (`config`, else the environment's) and
 * resources. */
FG_HIDDEN void fg_ucx_context_info(fg_ucx_copy_t *c, const ucp_config_t *config,
                                   ucp_context_h ctx, fg_ucx_context_info_t *info);
FG_HIDDEN int  fg_ucx_is_client_server(const ucp_ep_params_t *params);
/* 0 worker-address, 1 client, 2 server */
FG_HIDDEN unsigned fg_ucx_kind_of(const ucp_ep_params_t *params);
FG_HIDDEN void fg_ucx_sockaddr_text(const struct sockaddr *sa, char *out, size_t cap);
/* The peer of a client (its sockaddr) or server (the connection request's
 * client address) endpoint; NULL for worker-address endpoints. */
FG_HIDDEN const struct sockaddr *fg_ucx_peer_sockaddr(const fg_ucx_copy_t *c,
                                                      const ucp_ep_params_t *params,
                                                      struct sockaddr_storage *buf);
/* "ip:port" of that peer, "" unknown. */
FG_HIDDEN void fg_ucx_peer_of(const fg_ucx_copy_t *c, const ucp_ep_params_t *params,
                              char *out, size_t cap);
FG_HIDDEN void fg_ucx_observe_after_fork(void);

#endif
