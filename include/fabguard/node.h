/* The node as sysfs/procfs describe it, read below a root directory ("/" on
 * the live system, a fixture tree in tests), and the checklist run on it.
 * Files read (kernel source that defines each):
 *   /sys/class/infiniband/<dev>            drivers/infiniband/core/sysfs.c
 *     ports/<n>/{state,phys_state,link_layer,rate}, ports/<n>/gids/<i>,
 *     ports/<n>/gid_attrs/types/<i>, ports/<n>/gid_attrs/ndevs/<i>
 *     device -> ../../../<pci device>   (the PCI function of the HCA)
 *     device/infiniband_verbs/uverbs<k>  drivers/infiniband/core/uverbs_main.c
 *     device/driver -> …/bus/pci/drivers/<name>  drivers/base/bus.c (the bound
 *                                        driver: "mlx5_core", "efa" for AWS EFA)
 *   /dev/infiniband/uverbs<k>             the verbs char device (rdma-core opens it)
 *   /sys/class/net/<if>                    net/core/net-sysfs.c (device link, operstate)
 *   /proc/net/route, /proc/net/ipv6_route  default routes (management NIC)
 *   /sys/bus/pci/devices/<bdf>/{class,vendor,numa_node}  drivers/pci/pci-sysfs.c
 *   /proc/modules                          kernel/module/procfs.c
 *   /sys/kernel/mm/memory_peers/<client>/version  MLNX_OFED ib_core peer memory
 *   /dev/gdrdrv                            GDRCopy's gdrdrv module */
#ifndef FABGUARD_NODE_H
#define FABGUARD_NODE_H

#include <stddef.h>
#include "fabguard/checks.h"
#include "fabguard/nccl_list.h"
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"

#define FG_NODE_MAX_DEVS  32
#define FG_NODE_MAX_PORTS 4
#define FG_NODE_MAX_GIDS  16
#define FG_NODE_MAX_GPUS  16

typedef struct {
    int  num;
    char state[32], phys_state[32], link_layer[16], rate[48];
    char gid[FG_NODE_MAX_GIDS][48], gid_type[FG_NODE_MAX_GIDS][16], gid_ndev[FG_NODE_MAX_GIDS][16];
    int  ngid;
} fg_port_t;

typedef struct {
    char      name[32];
    char      pci_path[512];   /* resolved /sys/devices/pci… path, "" unknown */
    char      uverbs[16];      /* "uverbs0", "" unknown */
    int       dev_node;        /* /dev/infiniband/uverbsN present */
    int       dev_openable;    /* live system only: -1 not checked */
    char      netdev[32];      /* RoCE: the netdev behind the port, "" IB */
    int       numa;            /* device/numa_node, -1 unknown */
    fg_port_t port[FG_NODE_MAX_PORTS];
    int       nport;
    char      driver[32];      /* device/driver link's last component, "" unknown */
} fg_rdma_dev_t;

typedef struct {
    char bdf[16];
    char pci_path[512];
    int  numa;
} fg_gpu_t;

typedef struct {
    fg_rdma_dev_t dev[FG_NODE_MAX_DEVS];
    int           ndev;
    fg_gpu_t      gpu[FG_NODE_MAX_GPUS];
    int           ngpu;
    fg_ifset_t    ifaces;          /* /sys/class/net */
    fg_ifset_t    mgmt;            /* default-route interfaces */
    int           dev_infiniband;  /* /dev/infiniband exists */
    int           peermem_loaded;  /* nvidia_peermem or nv_peer_mem in /proc/modules */
    char          peermem_name[32];
    int           peermem_registered;
    int           gdrdrv;
    int           live;            /* root is "/" */
} fg_node_t;

void fg_node_probe(const char *root, fg_node_t *node);
/* True when D is a RoCE HCA whose netdev is a management interface of N. */
int fg_node_dev_on_mgmt(const fg_node_t *n, const fg_rdma_dev_t *d);

/* PCI distance in nvidia-smi topo terms: "PIX", "PXB", "PHB", "NODE", "SYS". */
const char *fg_pci_relation(const char *path_a, int numa_a, const char *path_b, int numa_b);

/* `fabguard node`: rdma_devices port_state roce_gid peermem gdrcopy nvlink
 * gpu_nic_affinity. get reads UCX_NET_DEVICES / NCCL_IB_HCA. */
void fg_node_checks(const fg_node_t *node, fg_getenv_fn get, fg_checks_t *out);
/* `fabguard env`: every interconnect variable, against this node. */
void fg_env_checks(const fg_node_t *node, char *const *envp, fg_checks_t *out);

/* One policy for every judge (issue 16): what the shim would refuse, said
 * before the job starts. `env`: the variables against the policy's rules
 * (ucx.forbid_transports vs UCX_TLS, ucx.allow_devices vs UCX_NET_DEVICES,
 * *.gpu_direct_rdma vs UCX_IB_GPU_DIRECT_RDMA / NCCL_NET_GDR_LEVEL and the
 * node's peermem, nccl.require_net vs NCCL_NET / NCCL_IB_DISABLE,
 * nccl.allow_hcas vs NCCL_IB_HCA, nccl.forbid_transports NET/Socket vs a
 * node without usable RDMA). A check the policy decides names the rule in
 * its detail ("policy ucx.forbid_transports=tcp: …"). */
void fg_env_policy_checks(const fg_node_t *node, const fg_policy_t *pol,
                          char *const *envp, fg_checks_t *out);
/* `node`: rdma_devices / port_state / peermem judged by the policy (a node
 * without usable RDMA fails when tcp or NET/Socket is forbidden, warns when
 * the policy allows them; missing peermem fails when GPUDirect RDMA is
 * required, warns when it is not). */
void fg_node_policy_checks(const fg_node_t *node, const fg_policy_t *pol,
                           fg_checks_t *out);
/* Whether the node has's usable RDMA (an HCA with an Active port). */
int fg_node_usable_rdma(const fg_node_t *node);

/* NCCL's configuration file syntax (NCCL src/misc/param.cc setEnvFile):
 * a line starting with '#' is a comment, NAME=VALUE otherwise (no trimming:
 * "NAME = V" sets "NAME " to " V"), lines without '=' are ignored. Calls
 * cb for each setting; returns how many. */
typedef void (*fg_nccl_conf_cb)(const char *name, const char *value,
                                unsigned line, void *arg);
int fg_nccl_conf_parse(const char *text, size_t len, fg_nccl_conf_cb cb, void *arg);

#endif
