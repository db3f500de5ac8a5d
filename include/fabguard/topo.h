/* Rail topology: for each GPU of a node, how far every RDMA NIC is on the
 * PCIe tree (nvidia-smi topo -m terms), and which NICs are its rail. Pure:
 * built from an fg_node_t (sysfs below a root), no process state. Used by
 * the shim (which GPU an endpoint/communicator moves), explain --root and
 * report. */
#ifndef FABGUARD_TOPO_H
#define FABGUARD_TOPO_H

#include <stddef.h>
#include "fabguard/node.h"
#include "fabguard/pcidist.h"

#define FG_TOPO_MAX_NICS FG_NODE_MAX_DEVS

typedef struct {
    char      name[32];                       /* "mlx5_0" */
    char      netdev[32];                     /* RoCE netdev, "" for IB */
    fg_dist_t dist[FG_NODE_MAX_GPUS];         /* to each GPU */
} fg_topo_nic_t;

typedef struct {
    int           ngpu;
    char          gpu_bdf[FG_NODE_MAX_GPUS][16];   /* "0000:1b:00.0", PCI order */
    fg_dist_t     best[FG_NODE_MAX_GPUS];          /* nearest NIC's distance */
    int           nnic;
    fg_topo_nic_t nic[FG_TOPO_MAX_NICS];
    int           flat;   /* every GPU-NIC pair at PHB or worse: a VM that
                             hides the PCIe tree, distances say nothing */
} fg_topo_t;

void fg_topo_build(const fg_node_t *node, fg_topo_t *t);

/* GPU index from a PCI bus id in any spelling NCCL, nvidia-smi or sysfs
 * print: "0000:1b:00.0", "00000000:1B:00.0", "1b:00.0", NCCL's "1b000"
 * (domain<<20 | bus<<12 | dev<<4 | fn, hex). -1 when not on this node. */
int fg_topo_gpu_by_busid(const fg_topo_t *t, const char *busid);
/* NIC index from "mlx5_0", "mlx5_0:1", "mlx5_0:1/IB" or a RoCE netdev. */
int fg_topo_nic_by_name(const fg_topo_t *t, const char *name);
/* Comma-separated names of the NICs at the GPU's best distance. */
void fg_topo_nearest(const fg_topo_t *t, int gpu, char *out, size_t cap);

/* GPUs this process sees, as node GPU indexes, from CUDA_VISIBLE_DEVICES
 * (NULL or unset: all, in PCI order; integers index the PCI order, as with
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, which is what NCCL and Kubernetes device
 * plugins arrange; "GPU-<uuid>"/"MIG-" entries cannot be mapped from sysfs
 * and end the list, as CUDA stops at the first invalid entry). Returns the
 * count written to idx. */
int fg_topo_visible_gpus(const fg_topo_t *t, const char *cuda_visible,
                         int *idx, int max);

#endif
