/* NCCL rules (design: policy [nccl] + fabguard.management_ifaces). */
#include "fabguard/judge.h"
#include "fabguard/libfabric.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* "NET/Socket" matches "NET/Socket/0": a pattern matches the transport or
 * any of its leading path components. */
static int transport_matches(const fg_list_t *list, const char *t)
{
    size_t i;
    char   pat[160];

    for (i = 0; i < list->n; i++) {
        snprintf(pat, sizeof(pat), "%s/*", list->item[i]);
        if (fg_glob_match(list->item[i], t) || fnmatch(pat, t, 0) == 0) {
            return 1;
        }
    }
    return 0;
}

void fg_judge_nccl_channel(const fg_policy_t *pol, const fg_nccl_channel_t *ch,
                           fg_findings_t *out)
{
    if (transport_matches(&pol->nccl.forbid_transports, ch->transport)) {
        fg_findings_add(out, "nccl.forbid_transports",
                        strncmp(ch->transport, "NET/Socket", 10) == 0
                            ? "NCCL is on sockets: unset NCCL_IB_DISABLE, mount /dev/infiniband, "
                              "install rdma-core/libibverbs in the image, check NCCL_IB_HCA"
                            : "check NCCL_P2P_LEVEL / NCCL_SHM_DISABLE / NCCL_NET for this transport",
                        "channel %02d %ld -> %ld%s%s uses %s", ch->channel, ch->from_rank,
                        ch->to_rank, ch->dir[0] ? " " : "", ch->dir, ch->transport);
    }
    if (pol->nccl.gpu_direct_rdma == FG_GDR_REQUIRE && ch->gdr == 0) {
        fg_findings_add(out, "nccl.gpu_direct_rdma",
                        "load nvidia_peermem (or use dma-buf), and check NCCL_NET_GDR_LEVEL",
                        "channel %02d %ld -> %ld uses %s without GPUDirect RDMA",
                        ch->channel, ch->from_rank, ch->to_rank, ch->transport);
    }
}

static int hca_allowed(const fg_list_t *allow, const char *dev)
{
    char   name[64];
    size_t n = strcspn(dev, ":");

    if (fg_list_empty(allow) || fg_list_match(allow, dev)) {
        return 1;
    }
    if (n >= sizeof(name)) {
        return 0;
    }
    memcpy(name, dev, n);   /* "mlx5_0:1" is allowed by "mlx5_0" */
    name[n] = '\0';
    return fg_list_match(allow, name);
}

static void judge_process(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                          const fg_nccl_proc_t *p, const char *net,
                          fg_findings_t *out)
{
    const char *req = pol->nccl.require_net;
    size_t      i;
    char        fix[256];

    if (req != NULL && strcmp(req, "any") != 0 && net[0] != '\0' && strcasecmp(net, req) != 0) {
        if (strcmp(net, "Socket") == 0) {
            snprintf(fix, sizeof(fix), "NCCL fell back to sockets: unset NCCL_IB_DISABLE, mount "
                     "/dev/infiniband into the container, install libibverbs, check NCCL_IB_HCA");
        } else {
            snprintf(fix, sizeof(fix), "select the %s network (NCCL_NET=%s, NCCL_NET_PLUGIN)", req, req);
        }
        fg_findings_add(out, "nccl.require_net", fix, "using network %s, policy requires %s", net, req);
    }
    if (strcmp(net, "Socket") != 0) {
        for (i = 0; i < p->ndev; i++) {
            if (!hca_allowed(&pol->nccl.allow_hcas, p->net_devices[i])) {
                fg_policy_value_text(pol, FG_KEY_NCCL_ALLOW_HCAS, fix, 160);
                fg_findings_add(out, "nccl.allow_hcas", "set NCCL_IB_HCA to the allowed HCAs",
                                "NET device %s is outside allow_hcas (%s)", p->net_devices[i], fix);
            }
            const char *via = mgmt != NULL ? fg_ifset_via(mgmt, p->net_devices[i]) : NULL;
            if (via != NULL) {
                snprintf(fix, sizeof(fix), "set NCCL_IB_HCA to the data-fabric HCAs, not %s (RoCE on %s)",
                         p->net_devices[i], via);
                fg_findings_add(out, "fabguard.management_ifaces", fix,
                                "NET/%s device %s is the RoCE port of %s (management NIC)", net,
                                p->net_devices[i], via);
            }
        }
    } else if (mgmt != NULL) {
        for (i = 0; i < p->ndev; i++) {
            if (fg_ifset_contains(mgmt, p->net_devices[i])) {
                snprintf(fix, sizeof(fix), "set NCCL_SOCKET_IFNAME to a data interface, not %s",
                         p->net_devices[i]);
                fg_findings_add(out, "fabguard.management_ifaces", fix,
                                "NET/Socket traffic on %s (management NIC)", p->net_devices[i]);
            }
        }
    }
    if (mgmt != NULL && p->bootstrap_iface[0] != '\0' && fg_ifset_contains(mgmt, p->bootstrap_iface)) {
        snprintf(fix, sizeof(fix), "set NCCL_SOCKET_IFNAME to a data interface, not %s",
                 p->bootstrap_iface);
        fg_findings_add(out, "fabguard.management_ifaces", fix,
                        "bootstrap on %s (management NIC)", p->bootstrap_iface);
    }
    if (pol->nccl.gpu_direct_rdma == FG_GDR_REQUIRE && p->gdr == 0) {
        fg_findings_add(out, "nccl.gpu_direct_rdma",
                        "load nvidia_peermem (check /sys/kernel/mm/memory_peers) or use dma-buf",
                        "%s", p->gdr_detail);
    }
}

/* aws-ofi-nccl: the provider the plugin chose (its "NET/OFI Selected
 * provider" line) under the [libfabric] rules, as if a libfabric
 * application had opened it. The plugin logs no domain, so of those rules
 * only libfabric.forbid_providers can apply here; the domain rules
 * (allow_domains, management NIC, hmem) are the shim's libfabric wrappers'
 * when the plugin runs under the shim. */
static void judge_ofi(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                      const fg_nccl_proc_t *p, fg_findings_t *out)
{
    fg_fi_obs_t obs;
    size_t      i, n0 = out->n;
    char        detail[sizeof(out->v[0].detail) + 64], nics[32] = "";

    if (p->ofi_provider[0] == '\0') {
        return;
    }
    memset(&obs, 0, sizeof(obs));
    obs.hmem = -1;
    fg_strlcpy(obs.provider, p->ofi_provider, sizeof(obs.provider));
    fg_strlcpy(obs.fabric, p->ofi_fabric, sizeof(obs.fabric));
    fg_judge_libfabric(pol, mgmt, &obs, FG_FI_RULES_ALL, out);
    if (p->ofi_nics >= 0) {
        snprintf(nics, sizeof(nics), ", %ld NIC%s", p->ofi_nics, p->ofi_nics == 1 ? "" : "s");
    }
    for (i = n0; i < out->n; i++) {   /* say whose provider it was */
        snprintf(detail, sizeof(detail), "aws-ofi-nccl %s%s", out->v[i].detail, nics);
        fg_strlcpy(out->v[i].detail, detail, sizeof(out->v[i].detail));
    }
}

void fg_judge_nccl(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                   const fg_nccl_log_t *log, long proc, long comm,
                   fg_findings_t *out)
{
    const fg_nccl_comm_t *c = (comm >= 0) ? &log->comms[comm] : NULL;
    const fg_nccl_proc_t *p;
    size_t                i;

    if (c != NULL) {
        proc = (long)c->proc;
    }
    if (proc < 0 || (size_t)proc >= log->nprocs) {
        return;
    }
    p = &log->procs[proc];
    judge_process(pol, mgmt, p, (c != NULL && c->net[0]) ? c->net : p->net, out);
    judge_ofi(pol, mgmt, p, out);
    for (i = 0; c != NULL && i < c->nch; i++) {
        fg_judge_nccl_channel(pol, &c->channels[i], out);
    }
}
