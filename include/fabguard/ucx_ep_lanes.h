/* An endpoint's lanes as the running UCX offers them: the transports of
 * ucp_ep_query (UCX >= 1.14, include/fabguard/ucx_abi.h) or, before that or
 * when the query fails, the text of ucp_ep_print_info. Entry points come in
 * as pointers so the shim (whichever UCX copy it resolved) and `pair` (the
 * linked UCX) share one lane model. */
#ifndef FABGUARD_UCX_EP_LANES_H
#define FABGUARD_UCX_EP_LANES_H

#include <stdio.h>
#include "fabguard/lanes.h"

typedef struct {
    unsigned major, minor;                   /* ucp_get_version */
    int  (*ep_query)(void *ep, void *attr);  /* ucp_ep_query, or NULL */
    void (*ep_print_info)(void *ep, FILE *); /* ucp_ep_print_info, or NULL */
} fg_ucx_ep_api_t;

/* 0 (possibly no lanes yet), or -1 when neither way answered. */
int fg_ucx_ep_lanes(const fg_ucx_ep_api_t *api, void *ep, fg_lane_set_t *out);
/* The same, naming the way that answered: "ucp_ep_query" or "print_info". */
int fg_ucx_ep_lanes_from(const fg_ucx_ep_api_t *api, void *ep, fg_lane_set_t *out,
                         const char **source);

#endif
