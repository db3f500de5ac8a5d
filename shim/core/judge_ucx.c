/* UCX rules (design: policy [ucx] + fabguard.management_ifaces). */
#include "fabguard/judge.h"

#include <string.h>
#include <stdio.h>
#include <strings.h>

/* Transports that move data through memory or an accelerator, not a
 * network: their "devices" (memory, memory0, cuda, gdr_copy…) are not NICs.
 * Names from UCX's uct components: src/uct/sm/{self,mm/posix,mm/sysv,
 * mm/xpmem,scopy/cma,scopy/knem}, src/uct/cuda/{cuda_ipc,cuda_copy,gdr_copy},
 * src/uct/rocm, src/uct/ze. */

static int is_rdma_transport(const char *tl)
{
    return fg_glob_match("rc*|dc*|ud*|ib*|srd*", tl);
}

static const char *forbid_fix(const char *tl)
{
    if (strcmp(tl, "tcp") == 0) {
        return "set UCX_TLS to include rc (or dc/ud) and cuda_ipc/cuda_copy, and "
               "UCX_NET_DEVICES to an RDMA port such as mlx5_0:1";
    }
    return "remove it from UCX_TLS (or ^-exclude it) and pin UCX_NET_DEVICES";
}

void fg_judge_ucx_lanes(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                        const fg_lane_set_t *lanes, fg_findings_t *out)
{
    char   allowed[160], fix[256];
    size_t i, j;

    for (i = 0; i < lanes->n; i++) {
        const fg_lane_t *l = &lanes->lane[i];
        const char      *via;
        int              seen = 0;
        if (fg_lane_is_cm(l)) {
            continue;   /* connection manager: carries no data */
        }
        for (j = 0; j < i && !seen; j++) {   /* same pair already judged */
            seen = strcmp(lanes->lane[j].transport, l->transport) == 0 &&
                   strcmp(lanes->lane[j].device, l->device) == 0;
        }
        if (seen) {
            continue;
        }
        if (fg_list_match(&pol->ucx.forbid_transports, l->transport)) {
            fg_findings_add(out, "ucx.forbid_transports", forbid_fix(l->transport),
                            "lane %zu uses %s on %s", i, l->transport,
                            l->device[0] ? l->device : "?");
        }
        if (fg_lane_is_memory(l->transport)) {
            continue;
        }
        if (!fg_list_empty(&pol->ucx.allow_devices) &&
            !fg_list_match(&pol->ucx.allow_devices, l->device)) {
            fg_policy_value_text(pol, FG_KEY_UCX_ALLOW_DEVICES, allowed, sizeof(allowed));
            snprintf(fix, sizeof(fix), "set UCX_NET_DEVICES to a device matching %s", allowed);
            fg_findings_add(out, "ucx.allow_devices", fix,
                            "lane %zu uses %s on %s, outside allow_devices", i,
                            l->transport, l->device);
        }
        via = mgmt != NULL ? fg_ifset_via(mgmt, l->device) : NULL;
        if (via != NULL) {
            snprintf(fix, sizeof(fix),
                     "set UCX_NET_DEVICES to an HCA port of the data fabric, not %s (RoCE on %s)",
                     l->device, via);
            fg_findings_add(out, "fabguard.management_ifaces", fix,
                            "lane %zu uses %s on %s (RoCE port of %s, the management NIC)", i,
                            l->transport, l->device, via);
        } else if (mgmt != NULL && fg_ifset_contains(mgmt, l->device)) {
            snprintf(fix, sizeof(fix),
                     "set UCX_NET_DEVICES to the data NIC or HCA (e.g. mlx5_0:1), not %s",
                     l->device);
            fg_findings_add(out, "fabguard.management_ifaces", fix,
                            "lane %zu uses %s on %s (management NIC)", i,
                            l->transport, l->device);
        }
    }
}

/* A UCX boolean that says no ("try" for ternary options is not one). */
static int is_false(const char *v)
{
    int b;
    return fg_parse_bool(v, &b) && !b;
}

static int offers(const fg_ucx_context_info_t *ctx, const char *group)
{
    size_t i;

    for (i = 0; i < ctx->resources.n; i++) {
        if (fg_glob_match(group, ctx->resources.lane[i].transport)) {
            return 1;
        }
    }
    return 0;
}

void fg_judge_ucx_context(const fg_policy_t *pol,
                          const fg_ucx_context_info_t *ctx, fg_findings_t *out)
{
    size_t i;
    int    rdma = 0;

    for (i = 0; i < pol->ucx.require_transports.n; i++) {
        const char *group = pol->ucx.require_transports.item[i];
        if (!offers(ctx, group)) {
            fg_findings_add(out, "ucx.require_transports",
                            "check UCX_TLS (it must not exclude them) and that the "
                            "devices are visible in the pod (/dev/infiniband, GPU)",
                            "context offers no transport matching %s (UCX_TLS=%s)",
                            group, ctx->tls[0] ? ctx->tls : "all");
        }
    }
    for (i = 0; i < ctx->resources.n; i++) {
        rdma |= is_rdma_transport(ctx->resources.lane[i].transport);
    }
    if (ctx->node_has_rdma && !rdma) {
        fg_findings_add(out, "ucx.rdma_missing",
                        "include rc/dc/ud in UCX_TLS, mount /dev/infiniband into the "
                        "container, and use a UCX built with verbs (ucx_info -d)",
                        "this node has RDMA devices but the UCX context has no RDMA "
                        "transport (UCX_TLS=%s)", ctx->tls[0] ? ctx->tls : "all");
    }
    if (pol->ucx.gpu_direct_rdma == FG_GDR_REQUIRE && ctx->gpu_direct_rdma[0] != '\0' &&
        is_false(ctx->gpu_direct_rdma)) {
        fg_findings_add(out, "ucx.gpu_direct_rdma",
                        "unset UCX_IB_GPU_DIRECT_RDMA or set it to yes/try, and load nvidia_peermem",
                        "GPUDirect RDMA switched off (UCX_IB_GPU_DIRECT_RDMA=%s)",
                        ctx->gpu_direct_rdma);
    }
}
