/* A plugin that uses libfabric, as aws-ofi-nccl does inside NCCL: it links
 * libfabric.so.1 itself and is dlopen'ed RTLD_LOCAL by a program that does
 * not (tests/progs/noucx_dlopen), so libfabric is only in the plugin's own
 * scope. fg_plugin_run opens a tcp;ofi_rxm RDM fabric, domain and endpoint
 * and returns 0 when all three open. */
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>

#include <string.h>

int fg_plugin_run(void)
{
    struct fi_info    *hints = fi_allocinfo(), *info = NULL;
    struct fid_fabric *fabric = NULL;
    struct fid_domain *domain = NULL;
    struct fid_ep     *ep = NULL;
    int                rc;

    if (hints == NULL) {
        return -1;
    }
    hints->ep_attr->type          = FI_EP_RDM;
    hints->caps                   = FI_MSG;
    hints->mode                   = ~0ULL;
    hints->fabric_attr->prov_name = strdup("tcp;ofi_rxm");
    rc = fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, hints, &info);
    fi_freeinfo(hints);
    if (rc != 0) {
        return rc;
    }
    rc = fi_fabric(info->fabric_attr, &fabric, NULL);
    if (rc == 0) {
        rc = fi_domain(fabric, info, &domain, NULL);
    }
    if (rc == 0) {
        rc = fi_endpoint(domain, info, &ep, NULL);
    }
    /* left to process exit (see tests/progs/fi_open.c) */
    fi_freeinfo(info);
    return rc;
}
