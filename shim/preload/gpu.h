/* Which GPU this process moves over the network, and where its NICs sit:
 * the inputs of the topology judges (fabguard/judge_topo.h) inside the shim. */
#ifndef FG_SHIM_GPU_H
#define FG_SHIM_GPU_H

#include "core.h"
#include "fabguard/judge_topo.h"
#include "fabguard/topo.h"

/* ucp_mem_map of `addr` succeeded (declared_cuda: the caller said CUDA
 * memory): remember the GPU it lives on, asked of the CUDA driver already
 * loaded in the process. Never loads libcuda, never blocks. */
FG_HIDDEN void fg_gpu_note_mapped(const void *addr, int declared_cuda);

/* The node GPU index whose memory this process mapped, when exactly one GPU
 * was seen and the node's rail table knows it; -1 otherwise (then *t_p is
 * untouched). The table is read from /sys once, by the first caller; a
 * caller that finds it being read gets -1 rather than waiting. */
FG_HIDDEN int fg_gpu_rail(const fg_topo_t **t_p);

/* The node's rail table (read from /sys once, by the first caller); NULL
 * while another thread reads it or when it cannot be read. */
FG_HIDDEN const fg_topo_t *fg_gpu_topo(void);

/* 1 once any CUDA memory was mapped (same-host judgements need it). */
FG_HIDDEN int fg_gpu_memory_seen(void);

/* Topology findings ([topology]) for an endpoint's lanes, added to out: the
 * rail of the process's GPU, and — for a peer on this node (locality
 * "intra-node", or shared-memory lanes present) — whether GPU memory can
 * use cuda_ipc. Nothing when the process mapped no GPU memory. */
FG_HIDDEN void fg_gpu_judge_lanes(const fg_lane_set_t *lanes, const char *locality,
                                  fg_findings_t *out);

/* The event's `gpu` (sysfs spelling) and `nic` (network lanes' devices,
 * without port) for report's rail table; 0 when no single GPU is known. */
FG_HIDDEN int fg_gpu_fields(const fg_lane_set_t *lanes, char *gpu, size_t gcap,
                            char *nic, size_t ncap);

/* Report advisory findings (rules set to `warn`): one stderr NOTE line per
 * distinct finding in warn/enforce mode; never acted on. */
FG_HIDDEN void fg_gpu_note_advisories(const fg_findings_t *adv);

#endif
