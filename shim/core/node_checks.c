/* `fabguard node`: the capability checklist on a probed node. */
#include "fabguard/node.h"
#include "fabguard/libfabric_env.h"
#include "fabguard/sysfs_text.h"
#include "fabguard/sysread.h"
#include "fabguard/ucx_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first HCA whose RoCE netdev carries the default route. */
static const fg_rdma_dev_t *mgmt_roce(const fg_node_t *n)
{
    int i;
    for (i = 0; i < n->ndev; i++) {
        if (fg_node_dev_on_mgmt(n, &n->dev[i])) return &n->dev[i];
    }
    return NULL;
}

static void check_rdma(const fg_node_t *n, fg_checks_t *out)
{
    const fg_rdma_dev_t *on_mgmt = mgmt_roce(n);
    char                 list[400];
    fg_sbuf_t            sb;
    int                  i, missing = 0, denied = 0;

    if (n->ndev == 0) {
        fg_checks_add(out, "rdma_devices", FG_CHECK_FAIL,
                      "give the pod RDMA devices (RDMA device plugin / resource request, or hostNetwork)",
                      "no RDMA devices in /sys/class/infiniband: only TCP is possible");
        return;
    }
    fg_sb_init(&sb, list, sizeof(list));
    for (i = 0; i < n->ndev; i++) {
        fg_sb_printf(&sb, "%s%s", i ? " " : "", n->dev[i].name);
        missing += !n->dev[i].dev_node;
        denied += n->dev[i].dev_openable == 0;
    }
    if (!n->dev_infiniband || missing == n->ndev) {
        fg_checks_add(out, "rdma_devices", FG_CHECK_FAIL,
                      "mount /dev/infiniband into the container (RDMA device plugin or a hostPath volume)",
                      "%d HCA(s) in sysfs (%s) but /dev/infiniband%s is missing", n->ndev, list,
                      n->dev_infiniband ? "/uverbs*" : "");
    } else if (missing > 0 || denied > 0) {
        fg_checks_add(out, "rdma_devices", FG_CHECK_WARN,
                      "check the device plugin exposes every uverbs device and its permissions",
                      "%s: %d without a device node, %d not openable", list, missing, denied);
    } else if (on_mgmt != NULL) {
        fg_checks_add(out, "rdma_devices", FG_CHECK_WARN,
                      "keep RDMA off it: UCX_NET_DEVICES / NCCL_IB_HCA naming the other HCAs (see `fabguard env`)",
                      "%d HCA(s): %s; %s is a RoCE port of %s, the management NIC (default route)", n->ndev, list,
                      on_mgmt->name, on_mgmt->netdev);
    } else {
        fg_checks_add(out, "rdma_devices", FG_CHECK_OK, "", "%d HCA(s): %s", n->ndev, list);
    }
}

/* EFA devices (bound to the `efa` driver) are RDMA devices of their own
 * kind: no IB or RoCE link layer (sysfs says "Unknown"), no netdev, used
 * through libfabric's efa provider (aws-ofi-nccl, NIXL's LIBFABRIC backend)
 * or UCX's srd transport. Noted in rdma_devices' detail (and hint, when
 * /dev/infiniband is missing) rather than as a check of its own. */
/* An EFA device: bound to the efa driver; where the driver link could not
 * be read, by the efa driver's device names (fg_node_dev_is_efa). */
static int is_efa(const fg_rdma_dev_t *d)
{
    return d->driver[0] ? strcmp(d->driver, "efa") == 0 : fg_node_dev_is_efa(d);
}

static void note_efa(const fg_node_t *n, fg_checks_t *out)
{
    fg_check_t *c = fg_checks_find(out, "rdma_devices");
    char        list[200], ll[16] = "";
    fg_sbuf_t   sb;
    int         i, nefa = 0;

    if (c == NULL) return;
    fg_sb_init(&sb, list, sizeof(list));
    for (i = 0; i < n->ndev; i++) {
        if (!is_efa(&n->dev[i])) continue;
        fg_sb_printf(&sb, "%s%s", nefa ? " " : "", n->dev[i].name);
        if (ll[0] == '\0' && n->dev[i].nport > 0) fg_strlcpy(ll, n->dev[i].port[0].link_layer, sizeof(ll));
        nefa++;
    }
    if (nefa == 0) return;
    fg_sb_init(&sb, c->detail + strlen(c->detail), sizeof(c->detail) - strlen(c->detail));
    fg_sb_printf(&sb, "; %s EFA (driver efa, link layer %s: AWS SRD, used through libfabric's efa provider, "
                      "not NCCL's NET/IB)%s%s", nefa == n->ndev ? (nefa == 1 ? "it is" : "all are") : "these are",
                 ll[0] ? ll : "?", nefa == n->ndev ? "" : ": ", nefa == n->ndev ? "" : list);
    if (c->status == FG_CHECK_FAIL && !n->dev_infiniband) {
        fg_strlcpy(c->hint, "mount /dev/infiniband into the container: request vpc.amazonaws.com/efa from the "
                   "EFA device plugin (without it libfabric falls back to tcp)", sizeof(c->hint));
    }
}

static void check_ports(const fg_node_t *n, fg_checks_t *out)
{
    char      list[480];
    fg_sbuf_t sb;
    int       i, k, active = 0, total = 0;

    if (n->ndev == 0) {
        fg_checks_add(out, "port_state", FG_CHECK_SKIP, "", "no RDMA devices");
        return;
    }
    fg_sb_init(&sb, list, sizeof(list));
    for (i = 0; i < n->ndev; i++) {
        for (k = 0; k < n->dev[i].nport; k++) {
            const fg_port_t *p = &n->dev[i].port[k];
            int              up = strstr(p->state, "ACTIVE") != NULL && strstr(p->phys_state, "LinkUp") != NULL;
            total++;
            active += up;
            fg_sb_printf(&sb, "%s%s:%d %s %s%s%s", sb.len ? ", " : "", n->dev[i].name, p->num,
                         up ? "Active" : (p->state[0] ? strchr(p->state, ' ') ? strchr(p->state, ' ') + 1 : p->state : "?"),
                         p->link_layer, p->rate[0] ? " " : "", p->rate);
        }
    }
    if (active == 0) {
        fg_checks_add(out, "port_state", FG_CHECK_FAIL, "check cabling, the subnet manager (IB) or the switch port (RoCE): ibstat",
                      "no port is Active/LinkUp: %s", list);
    } else if (active < total) {
        fg_checks_add(out, "port_state", FG_CHECK_WARN, "ports that are down are not usable: check ibstat",
                      "%d of %d ports Active: %s", active, total, list);
    } else {
        fg_checks_add(out, "port_state", FG_CHECK_OK, "", "%s", list);
    }
}

/* RoCE: the GID NCCL/UCX will use must be RoCE v2 and not link-local. */
static void check_gids(const fg_node_t *n, fg_getenv_fn get, fg_checks_t *out)
{
    const char *idx_s = get("NCCL_IB_GID_INDEX");
    int         i, k, g, roce = 0, good = 0, idx = idx_s ? atoi(idx_s) : -1;
    char        bad[300] = "";

    for (i = 0; i < n->ndev; i++) {
        for (k = 0; k < n->dev[i].nport; k++) {
            const fg_port_t *p = &n->dev[i].port[k];
            if (strcmp(p->link_layer, "Ethernet") != 0) continue;
            roce++;
            for (g = 0; g < p->ngid; g++) {
                int v2 = fg_gid_is_v2(p->gid_type[g]);
                int ll = fg_gid_is_link_local(p->gid[g]);
                int zero = fg_gid_is_zero(p->gid[g]);
                if (idx >= 0 && g == idx && (!v2 || ll || zero)) {
                    snprintf(bad, sizeof(bad), "%s:%d GID index %d is %s%s%s", n->dev[i].name, p->num, g,
                             zero ? "empty" : ll ? "link-local " : "", zero ? "" : p->gid_type[g], "");
                }
                if (v2 && !ll && !zero) good++;
            }
        }
    }
    if (roce == 0) {
        fg_checks_add(out, "roce_gid", FG_CHECK_SKIP, "", "no RoCE (Ethernet link layer) ports");
    } else if (bad[0]) {
        fg_checks_add(out, "roce_gid", FG_CHECK_FAIL,
                      "set NCCL_IB_GID_INDEX to a RoCE v2 GID with a routable address (show_gids)", "%s", bad);
    } else if (good == 0) {
        fg_checks_add(out, "roce_gid", FG_CHECK_FAIL, "assign an IP address to the RoCE netdev",
                      "no RoCE v2 GID with a routable address on %d RoCE port(s)", roce);
    } else {
        fg_checks_add(out, "roce_gid", FG_CHECK_OK, "", "%d usable RoCE v2 GID(s)%s%s", good,
                      idx_s ? ", NCCL_IB_GID_INDEX=" : "", idx_s ? idx_s : "");
    }
}

static void check_peermem(const fg_node_t *n, fg_checks_t *out)
{
    if (n->peermem_loaded && n->peermem_registered) {
        fg_checks_add(out, "peermem", FG_CHECK_OK, "", "%s loaded and registered as a memory peer", n->peermem_name);
    } else if (n->peermem_loaded) {
        fg_checks_add(out, "peermem", FG_CHECK_FAIL,
                      "load nvidia_peermem after the IB stack it must register with (MLNX_OFED), or use dma-buf",
                      "%s loaded but not registered (no /sys/kernel/mm/memory_peers/nv_mem): NCCL will report GDR disabled",
                      n->peermem_name);
    } else if (n->ngpu == 0) {
        fg_checks_add(out, "peermem", FG_CHECK_SKIP, "", "no NVIDIA GPU");
    } else if (n->ndev == 0) {
        fg_checks_add(out, "peermem", FG_CHECK_SKIP, "", "no RDMA devices");
    } else {
        fg_checks_add(out, "peermem", FG_CHECK_FAIL,
                      "modprobe nvidia_peermem (or nv_peer_mem), or use a driver/kernel with dma-buf",
                      "nvidia_peermem not loaded: RDMA will stage through host memory");
    }
}

static void check_nvlink(const fg_node_t *n, fg_checks_t *out)
{
    if (n->ngpu < 2) {
        fg_checks_add(out, "nvlink", FG_CHECK_SKIP, "", "%d NVIDIA GPU(s): nothing to link", n->ngpu);
    } else if (n->live && fg_sys_nvidia_smi_nvlink()) {
        fg_checks_add(out, "nvlink", FG_CHECK_OK, "", "nvidia-smi topo -m shows NV# links between GPUs");
    } else {
        fg_checks_add(out, "nvlink", FG_CHECK_SKIP, "run nvidia-smi topo -m on the host",
                      "%d GPUs; sysfs does not describe NVLink and nvidia-smi %s", n->ngpu,
                      n->live ? "shows none or is absent" : "is not used under --root");
    }
}

/* Is RDMA device `d` selected by UCX_NET_DEVICES / NCCL_IB_HCA? */
static int selected(const fg_rdma_dev_t *d, const char *ucx, const char *nccl)
{
    int k;

    if (ucx == NULL && nccl == NULL) return 1;
    for (k = 0; k < d->nport; k++) {
        if (ucx != NULL && fg_ucx_net_devices_selects(ucx, d->name, d->port[k].num)) return 1;
        if (nccl != NULL && fg_nccl_list_selects(nccl, d->name, d->port[k].num)) return 1;
    }
    return 0;
}

static void check_affinity(const fg_node_t *n, fg_getenv_fn get, fg_checks_t *out)
{
    const char *ucx = get("UCX_NET_DEVICES"), *nccl = get("NCCL_IB_HCA");
    char        det[480];
    fg_sbuf_t   sb;
    int         g, i, worst = FG_CHECK_OK;
    static const char *const rank[] = { "PIX", "PXB", "PHB", "NODE", "SYS" };

    if (n->ngpu == 0 || n->ndev == 0) {
        fg_checks_add(out, "gpu_nic_affinity", FG_CHECK_SKIP, "", "%s", n->ngpu ? "no RDMA devices" : "no NVIDIA GPU");
        return;
    }
    fg_sb_init(&sb, det, sizeof(det));
    for (g = 0; g < n->ngpu; g++) {
        int best = 5, best_sel = 5, bi = -1, si = -1, r;
        for (i = 0; i < n->ndev; i++) {
            const char *rel = fg_pci_relation(n->gpu[g].pci_path, n->gpu[g].numa,
                                              n->dev[i].pci_path, n->dev[i].numa);
            for (r = 0; r < 5 && strcmp(rank[r], rel) != 0; r++) {}
            if (r < best) { best = r; bi = i; }
            if (selected(&n->dev[i], ucx, nccl) && r < best_sel) { best_sel = r; si = i; }
        }
        fg_sb_printf(&sb, "%sGPU %s: closest %s (%s)", g ? "; " : "", n->gpu[g].bdf,
                     bi >= 0 ? n->dev[bi].name : "-", bi >= 0 ? rank[best] : "-");
        if (si != bi && si >= 0) {
            fg_sb_printf(&sb, ", selected %s (%s)", n->dev[si].name, rank[best_sel]);
        }
        if (si < 0) {
            worst = FG_CHECK_FAIL;
            fg_sb_puts(&sb, ", no selected NIC");
        } else if (best_sel >= 4) {
            worst = FG_CHECK_FAIL;   /* the NIC it uses is on the far socket */
        } else if ((best_sel > best || best_sel >= 2) && worst < FG_CHECK_WARN) {
            worst = FG_CHECK_WARN;
        }
    }
    fg_checks_add(out, "gpu_nic_affinity", (fg_check_status_t)worst,
                  worst ? "set UCX_NET_DEVICES / NCCL_IB_HCA so each GPU uses its closest NIC (PIX/PXB)" : "",
                  "%s", det);
}

void fg_node_checks(const fg_node_t *n, fg_getenv_fn get, fg_checks_t *out)
{
    check_rdma(n, out);
    note_efa(n, out);
    check_ports(n, out);
    check_gids(n, get, out);
    check_peermem(n, out);
    if (n->gdrdrv) {
        fg_checks_add(out, "gdrcopy", FG_CHECK_OK, "", "/dev/gdrdrv present");
    } else {
        fg_checks_add(out, "gdrcopy", n->ngpu ? FG_CHECK_WARN : FG_CHECK_SKIP,
                      n->ngpu ? "install GDRCopy (gdrdrv) for low-latency small transfers" : "",
                      "/dev/gdrdrv absent%s", n->ngpu ? "" : " (no NVIDIA GPU)");
    }
    check_nvlink(n, out);
    check_affinity(n, get, out);
}
