/* UCX's info-level line for each new endpoint configuration, printed for
 * every endpoint UCX configures (those it creates itself on a received
 * connection included). Formats (ucp_worker_print_used_tls):
 *   1.13: "ep_cfg[1]: tag(tcp/lo tcp/eth0) rma(self/memory0 posix/memory)"
 *   1.22: "[<context name> ]intra-node|inter-node|self cfg#1 tag(cma/memory)
 *          rma(…) am(…) ka(tcp/lo)"   (feature groups: tag rma rma_am amo
 *          amo_am device am stream ka)
 * Each group lists lanes as transport/device. */
#ifndef FABGUARD_UCX_EP_CFG_H
#define FABGUARD_UCX_EP_CFG_H

#include "fabguard/lanes.h"

typedef struct {
    int           cfg_index;     /* N of ep_cfg[N] / cfg#N */
    char          locality[16];  /* intra-node | inter-node | self | "" (1.13) */
    char          context[64];   /* the context's name (1.22, when set) */
    fg_lane_set_t lanes;         /* distinct transport/device; usage = groups */
} fg_ucx_ep_cfg_t;

/* 0 when `line` is an endpoint-configuration line, -1 otherwise. */
int fg_ucx_ep_cfg_parse(const char *line, fg_ucx_ep_cfg_t *out);

#endif
