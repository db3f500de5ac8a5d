/* Topology judges: the right path, not just "not TCP". Pure.
 * Rules: topology.rail_affinity (GPU traffic through a NIC farther than
 * rail_max_distance while a nearer one exists) and topology.same_host_gpu
 * (GPU memory between peers on one node not over NVLink/PCIe peer paths).
 * Findings of a rule set to `warn` are advisories: reported with verdict
 * info, never acted on (fg_topo_finding_is_advisory). */
#ifndef FABGUARD_JUDGE_TOPO_H
#define FABGUARD_JUDGE_TOPO_H

#include "fabguard/finding.h"
#include "fabguard/lanes.h"
#include "fabguard/nccl_log.h"
#include "fabguard/policy.h"
#include "fabguard/topo.h"

/* UCX endpoint moving memory of node GPU `gpu`: each network lane's NIC. */
void fg_judge_rail_lanes(const fg_policy_t *pol, const fg_topo_t *t, int gpu,
                         const fg_lane_set_t *lanes, fg_findings_t *out);

/* UCX endpoint whose peer is on this node and that carries GPU memory:
 * lanes must include cuda_ipc (NVLink/PCIe peer), not only a NIC loopback
 * (rc/dc/ud on an HCA) or host shared memory (posix/sysv/cma/xpmem). */
void fg_judge_same_host_lanes(const fg_policy_t *pol, const fg_lane_set_t *lanes,
                              fg_findings_t *out);

/* NCCL channel of a rank on GPU `busid` (NCCL's spelling, e.g. "1b000"):
 * "NET/IB/<n>…" is device n of the process's "NET/IB : Using" list. */
void fg_judge_rail_nccl_channel(const fg_policy_t *pol, const fg_topo_t *t,
                                const char *busid, const fg_nccl_proc_t *proc,
                                const fg_nccl_channel_t *ch, fg_findings_t *out);

/* NCCL channel between two ranks of one node (nNodes 1, or both local):
 * NET/… instead of P2P/NVLS/SHM is a NIC loopback. */
void fg_judge_same_host_nccl_channel(const fg_policy_t *pol,
                                     const fg_nccl_channel_t *ch,
                                     fg_findings_t *out);

/* Whether a channel's two ranks are on one node (explain: from the peer's
 * host in a whole job's log); NULL: the comm's own "nNodes 1". */
typedef int (*fg_nccl_intra_fn)(void *ctx, const fg_nccl_comm_t *c, const fg_nccl_channel_t *ch);

/* All topology findings of one communicator of process `proc`: rails
 * (t != NULL and the comm's busId logged) and intra-node NET channels; each
 * distinct NET transport is judged once (eight channels over NET/IB/0 make
 * one finding). Used by explain and by the shim's in-process reader. */
void fg_judge_topo_nccl_comm(const fg_policy_t *pol, const fg_topo_t *t,
                             const fg_nccl_proc_t *proc, const fg_nccl_comm_t *c,
                             fg_nccl_intra_fn intra, void *ctx, fg_findings_t *out);

/* Index of the net device a channel uses ("NET/IB/3/GDRDMA" -> 3), -1 if
 * the channel is not a NET one or carries no index. */
int fg_nccl_channel_net_index(const char *transport);

/* 1 when this finding's rule is set to `warn` (report, never act). */
int fg_topo_finding_is_advisory(const fg_policy_t *pol, const fg_finding_t *f);
/* Move the advisory findings of f into adv (order kept in both). */
void fg_topo_split_advisories(const fg_policy_t *pol, fg_findings_t *f,
                              fg_findings_t *adv);

#endif
