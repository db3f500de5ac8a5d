/* libfabric observations and their judge (policy [libfabric] +
 * fabguard.management_ifaces). Pure: shared by the shim, `explain` and the
 * NCCL log reader (aws-ofi-nccl's "NET/OFI Selected provider is …"). */
#ifndef FABGUARD_LIBFABRIC_H
#define FABGUARD_LIBFABRIC_H

#include "fabguard/finding.h"
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"

/* What a process opened (or a log says it chose). "" = not known. */
typedef struct {
    char provider[64];    /* fabric_attr->prov_name: "efa", "tcp;ofi_rxm", … */
    char fabric[128];     /* fabric_attr->name: "efa", "192.0.2.0/24", "shm" */
    char domain[128];     /* domain_attr->name: "rdmap0s31-rdm", "eth0", "shm" */
    char ep_type[16];     /* "msg", "rdm", "dgram", "unspec" or "" */
    int  hmem;            /* 1 FI_HMEM in caps, 0 not, -1 unknown */
} fg_fi_obs_t;

/* Providers whose domain is a network interface (a host socket): the
 * management-NIC rule reads their domain name as a netdev. */
int fg_fi_provider_is_socket(const char *provider);

/* Does `list` match the provider name or one of its ';' layers? */
int fg_fi_provider_match(const fg_list_t *list, const char *provider);

/* Rule groups, so that the shim judges the provider once at fi_fabric and
 * the domain once at fi_domain (one finding per fact, not two). */
enum {
    FG_FI_RULES_PROVIDER = 1u << 0,   /* libfabric.forbid_providers */
    FG_FI_RULES_DOMAIN   = 1u << 1,   /* libfabric.allow_domains, management NIC */
    FG_FI_RULES_HMEM     = 1u << 2,   /* libfabric.hmem */
    FG_FI_RULES_ALL      = 7u
};

/* Rules: libfabric.forbid_providers, libfabric.allow_domains,
 * fabguard.management_ifaces (a socket provider on a management NIC, or an
 * RDMA device that is a RoCE port of it), libfabric.hmem. Fields that are
 * "" (or hmem -1: unknown) are not judged. */
void fg_judge_libfabric(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                        const fg_fi_obs_t *obs, unsigned rules,
                        fg_findings_t *out);

/* One line of aws-ofi-nccl's log (as NCCL prints it, any prefix):
 *   "NET/OFI Selected Provider is efa (found 4 nics)"       (≤ 1.7)
 *   "NET/OFI Selected Provider is tcp;ofi_rxm"              (some builds)
 *   "NET/OFI Selected provider is efa, fabric is efa-direct (found 32 nics)"
 * Fills provider/fabric (fabric "" when the line has none) and *nics
 * (-1 when absent). Returns 1 for such a line, 0 otherwise. */
int fg_fi_ofi_nccl_selected(const char *line, fg_fi_obs_t *obs, long *nics);

/* Both at once, for the NCCL log reader and `explain`: 1 when `line` is
 * aws-ofi-nccl's provider line (its facts in *obs, the [libfabric]
 * findings added to out: the provider rule; the line names no domain),
 * 0 otherwise (out untouched). */
int fg_judge_ofi_nccl_line(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                           const char *line, fg_fi_obs_t *obs, fg_findings_t *out);

/* fi_ep_type value -> "msg" | "rdm" | "dgram" | "unspec" | "?" */
const char *fg_fi_ep_type_name(int ep_type);

#endif
