/* Judges: observations in, findings out. Pure; shared by the shim, `explain`
 * and `pair`. */
#ifndef FABGUARD_JUDGE_H
#define FABGUARD_JUDGE_H

#include "fabguard/finding.h"
#include "fabguard/lanes.h"
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"

/* What a UCX context was configured with and got. Empty string = not set. */
typedef struct {
    char          tls[256];              /* UCX_TLS */
    char          net_devices[256];      /* UCX_NET_DEVICES */
    char          gpu_direct_rdma[32];   /* UCX_IB_GPU_DIRECT_RDMA */
    char          rndv_scheme[64];       /* UCX_RNDV_SCHEME */
    fg_lane_set_t resources;             /* transport/device pairs the context got */
    int           node_has_rdma;         /* /sys/class/infiniband has devices */
} fg_ucx_context_info_t;

/* Context-level rules: require_transports, RDMA present on the node but not
 * in the context, gpu_direct_rdma = require with GPUDirect off. */
void fg_judge_ucx_context(const fg_policy_t *pol,
                          const fg_ucx_context_info_t *ctx,
                          fg_findings_t *out);

/* Endpoint lanes: forbid_transports, allow_devices, management NIC.
 * Connection-manager lanes are never judged. */
void fg_judge_ucx_lanes(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                        const fg_lane_set_t *lanes, fg_findings_t *out);

/* NCCL rules ([nccl] + management_ifaces) for a process's facts and one
 * communicator (comm < 0: the process alone, e.g. an init that failed). */
#include "fabguard/nccl_log.h"
void fg_judge_nccl(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                   const fg_nccl_log_t *log, long proc, long comm,
                   fg_findings_t *out);
/* One channel as it arrives (lazy connections after init). */
void fg_judge_nccl_channel(const fg_policy_t *pol, const fg_nccl_channel_t *ch,
                           fg_findings_t *out);

#endif
