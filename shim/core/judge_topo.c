/* Topology judges (see fabguard/judge_topo.h). */
#include "fabguard/judge_topo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_RAIL     "topology.rail_affinity"
#define RULE_SAMEHOST "topology.same_host_gpu"

/* One NIC used by GPU g: farther than allowed while a nearer one exists? */
static void judge_nic(const fg_policy_t *pol, const fg_topo_t *t, int g,
                      const char *nicname, const char *what, fg_findings_t *out)
{
    char      near[160], fix[256];
    int       i = fg_topo_nic_by_name(t, nicname);
    fg_dist_t d;

    if (pol->topology.rail_affinity == FG_RAIL_ANY || g < 0 || g >= t->ngpu ||
        i < 0 || t->flat) {
        return;   /* a flat (VM) tree has no distances to judge */
    }
    d = t->nic[i].dist[g];
    if (d <= pol->topology.rail_max_distance || t->best[g] >= d) {
        return;
    }
    fg_topo_nearest(t, g, near, sizeof(near));
    snprintf(fix, sizeof(fix),
             "use the NIC next to GPU %s (%s, %s): UCX_NET_DEVICES / NCCL_IB_HCA per "
             "local rank, or NCCL_CROSS_NIC=0", t->gpu_bdf[g], near,
             fg_dist_name(t->best[g]));
    fg_findings_add(out, RULE_RAIL, fix,
                    "%s of GPU %s goes through %s, %s away (nearest: %s, %s; "
                    "rail_max_distance=%s)", what, t->gpu_bdf[g], t->nic[i].name,
                    fg_dist_name(d), near, fg_dist_name(t->best[g]),
                    fg_dist_name(pol->topology.rail_max_distance));
}

static int is_network_lane(const fg_lane_t *l)
{
    return !fg_lane_is_cm(l) && !fg_lane_is_memory(l->transport) && l->device[0] != '\0';
}

void fg_judge_rail_lanes(const fg_policy_t *pol, const fg_topo_t *t, int gpu,
                         const fg_lane_set_t *lanes, fg_findings_t *out)
{
    char   what[64];
    size_t i;

    for (i = 0; i < lanes->n; i++) {
        if (is_network_lane(&lanes->lane[i])) {
            snprintf(what, sizeof(what), "lane %zu (%s)", i, lanes->lane[i].transport);
            judge_nic(pol, t, gpu, lanes->lane[i].device, what, out);
        }
    }
}

static int is_shm_transport(const char *t)
{
    return strcmp(t, "posix") == 0 || strcmp(t, "sysv") == 0 ||
           strcmp(t, "cma") == 0 || strcmp(t, "xpmem") == 0 || strcmp(t, "knem") == 0;
}

void fg_judge_same_host_lanes(const fg_policy_t *pol, const fg_lane_set_t *lanes,
                              fg_findings_t *out)
{
    const char *via = NULL, *dev = "";
    size_t      i;

    if (pol->topology.same_host_gpu == FG_SAMEHOST_ANY) return;
    for (i = 0; i < lanes->n; i++) {
        const fg_lane_t *l = &lanes->lane[i];
        if (strcmp(l->transport, "cuda_ipc") == 0) return;
        if (via == NULL && is_network_lane(l)) { via = l->transport; dev = l->device; }
    }
    for (i = 0; via == NULL && i < lanes->n; i++) {
        if (is_shm_transport(lanes->lane[i].transport)) via = lanes->lane[i].transport;
    }
    if (via == NULL) return;
    fg_findings_add(out, RULE_SAMEHOST,
                    "add cuda_ipc (and cuda_copy) to UCX_TLS, share the IPC namespace "
                    "between the pods (hostIPC) and check peer access between the GPUs",
                    "GPU memory to a peer on this node moves over %s%s%s%s, not cuda_ipc",
                    via, dev[0] ? " on " : "", dev,
                    dev[0] ? " (NIC loopback)" : " (host shared memory)");
}

int fg_nccl_channel_net_index(const char *transport)
{
    const char *p;
    char       *end;
    long        v;

    if (strncmp(transport, "NET/", 4) != 0) return -1;
    p = strchr(transport + 4, '/');          /* after the net's name */
    if (p == NULL || !isdigit((unsigned char)p[1])) return -1;
    v = strtol(p + 1, &end, 10);
    return (v >= 0 && v < 1024) ? (int)v : -1;
}

void fg_judge_rail_nccl_channel(const fg_policy_t *pol, const fg_topo_t *t,
                                const char *busid, const fg_nccl_proc_t *proc,
                                const fg_nccl_channel_t *ch, fg_findings_t *out)
{
    char what[96];
    int  n = fg_nccl_channel_net_index(ch->transport);

    if (n < 0 || proc == NULL || (size_t)n >= proc->ndev) return;
    snprintf(what, sizeof(what), "channel %02d %ld -> %ld (%s)", ch->channel,
             ch->from_rank, ch->to_rank, ch->transport);
    judge_nic(pol, t, fg_topo_gpu_by_busid(t, busid), proc->net_devices[n], what, out);
}

void fg_judge_same_host_nccl_channel(const fg_policy_t *pol,
                                     const fg_nccl_channel_t *ch,
                                     fg_findings_t *out)
{
    if (pol->topology.same_host_gpu == FG_SAMEHOST_ANY ||
        strncmp(ch->transport, "NET/", 4) != 0) {
        return;
    }
    fg_findings_add(out, RULE_SAMEHOST,
                    "check NCCL_P2P_DISABLE / NCCL_SHM_DISABLE / NCCL_P2P_LEVEL and that "
                    "the pods share the IPC namespace (hostIPC) on this node",
                    "channel %02d %ld -> %ld between ranks of one node uses %s (NIC "
                    "loopback), not P2P/NVLS/SHM", ch->channel, ch->from_rank,
                    ch->to_rank, ch->transport);
}

static int channel_intra(const fg_nccl_comm_t *c, const fg_nccl_channel_t *ch,
                         fg_nccl_intra_fn intra, void *ctx)
{
    return c->nnodes == 1 || (intra != NULL && intra(ctx, c, ch));
}

void fg_judge_topo_nccl_comm(const fg_policy_t *pol, const fg_topo_t *t,
                             const fg_nccl_proc_t *proc, const fg_nccl_comm_t *c,
                             fg_nccl_intra_fn intra, void *ctx, fg_findings_t *out)
{
    size_t i, k;

    for (i = 0; i < c->nch; i++) {
        const fg_nccl_channel_t *ch = &c->channels[i];
        int                      in, seen = 0;
        if (strncmp(ch->transport, "NET/", 4) != 0) continue;
        in = channel_intra(c, ch, intra, ctx);
        for (k = 0; k < i && !seen; k++) {
            seen = strcmp(c->channels[k].transport, ch->transport) == 0 &&
                   channel_intra(c, &c->channels[k], intra, ctx) == in;
        }
        if (seen) continue;
        if (in) fg_judge_same_host_nccl_channel(pol, ch, out);
        if (t != NULL && c->busid[0] != '\0') {
            fg_judge_rail_nccl_channel(pol, t, c->busid, proc, ch, out);
        }
    }
}

int fg_topo_finding_is_advisory(const fg_policy_t *pol, const fg_finding_t *f)
{
    if (strcmp(f->rule, RULE_RAIL) == 0) {
        return pol->topology.rail_affinity != FG_RAIL_REQUIRE;
    }
    if (strcmp(f->rule, RULE_SAMEHOST) == 0) {
        return pol->topology.same_host_gpu != FG_SAMEHOST_REQUIRE_NVLINK;
    }
    return 0;
}

void fg_topo_split_advisories(const fg_policy_t *pol, fg_findings_t *f,
                              fg_findings_t *adv)
{
    size_t i, k = 0;

    memset(adv, 0, sizeof(*adv));
    for (i = 0; i < f->n; i++) {
        if (fg_topo_finding_is_advisory(pol, &f->v[i])) {
            adv->v[adv->n++] = f->v[i];
        } else {
            f->v[k++] = f->v[i];
        }
    }
    f->n = k;
}
