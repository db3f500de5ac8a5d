/* Opens what a libfabric application opens on its control path:
 * fi_getinfo -> fi_fabric -> fi_domain -> fi_endpoint, then closes all.
 * Prints one line "getinfo=RC fabric=RC domain=RC endpoint=RC provider=P
 * domain_name=D" so tests can assert the return codes the application
 * saw. Links libfabric like any application (fi_getinfo@@FABRIC_1.3,
 * fi_fabric@@FABRIC_1.1); --abi10 calls the FABRIC_1.0 versions instead,
 * as a binary built against libfabric 1.0 does.
 * --attr-only opens the fabric from an attribute it fills in itself (no
 * fi_getinfo), as a program that saved a fabric name does.
 *   fi_open [--prov NAME] [--domain NAME] [--ep rdm|msg|dgram] [--hmem] [--abi10]
 *           [--attr-only FABRIC_NAME] */
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fi_getinfo_v10(uint32_t, const char *, const char *, uint64_t,
                   const struct fi_info *, struct fi_info **);
int fi_fabric_v10(struct fi_fabric_attr *, struct fid_fabric **, void *);
void fi_freeinfo_v10(struct fi_info *);
__asm__(".symver fi_getinfo_v10,fi_getinfo@FABRIC_1.0");
__asm__(".symver fi_fabric_v10,fi_fabric@FABRIC_1.0");
__asm__(".symver fi_freeinfo_v10,fi_freeinfo@FABRIC_1.0");

static enum fi_ep_type ep_type_of(const char *s)
{
    if (strcmp(s, "msg") == 0) return FI_EP_MSG;
    if (strcmp(s, "dgram") == 0) return FI_EP_DGRAM;
    return FI_EP_RDM;
}

/* The first entry of the wanted provider and domain (the tcp provider of
 * 1.17 does not filter on a domain name hint, and the 1.0 entry point gets
 * no hints here: its fi_info is the 1.0 layout). */
static struct fi_info *pick(struct fi_info *list, const char *prov, const char *dom)
{
    for (; list != NULL; list = list->next) {
        if ((prov == NULL || strcmp(list->fabric_attr->prov_name, prov) == 0) &&
            (dom == NULL || (list->domain_attr->name != NULL &&
                             strcmp(list->domain_attr->name, dom) == 0))) {
            return list;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char        *prov = NULL, *dom = NULL, *ep = "rdm", *attr_only = NULL;
    int                hmem = 0, abi10 = 0, i;
    int                rg, rf = 1, rd = 1, re = 1;
    struct fi_info    *hints, *list = NULL, *info = NULL;
    struct fid_fabric *fabric = NULL;
    struct fid_domain *domain = NULL;
    struct fid_ep     *endpoint = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--prov") == 0 && i + 1 < argc) prov = argv[++i];
        else if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc) dom = argv[++i];
        else if (strcmp(argv[i], "--ep") == 0 && i + 1 < argc) ep = argv[++i];
        else if (strcmp(argv[i], "--hmem") == 0) hmem = 1;
        else if (strcmp(argv[i], "--abi10") == 0) abi10 = 1;
        else if (strcmp(argv[i], "--attr-only") == 0 && i + 1 < argc) attr_only = argv[++i];
        else {
            fprintf(stderr, "usage: fi_open [--prov P] [--domain D] [--ep rdm|msg|dgram] [--hmem] [--abi10]\n");
            return 2;
        }
    }
    if (attr_only != NULL) {
        struct fi_fabric_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.name        = (char *)attr_only;
        attr.prov_name   = (char *)(prov ? prov : "tcp");
        attr.api_version = FI_VERSION(1, 9);
        rf = fi_fabric(&attr, &fabric, NULL);
        printf("getinfo=none fabric=%d\n", rf);
        return rf == 0 ? 0 : 1;
    }
    if (abi10) {
        rg = fi_getinfo_v10(FI_VERSION(1, 0), NULL, NULL, 0, NULL, &list);
        info = rg == 0 ? pick(list, prov, dom) : NULL;
        if (rg == 0 && info == NULL) rg = -FI_ENODATA;
    } else {
        hints = fi_allocinfo();
        if (hints == NULL) return 1;
        hints->ep_attr->type = ep_type_of(ep);
        hints->caps          = FI_MSG | (hmem ? FI_HMEM : 0);
        hints->mode          = ~0ULL;
        hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED |
                                      FI_MR_PROV_KEY | FI_MR_ENDPOINT | FI_MR_HMEM;
        if (prov != NULL) hints->fabric_attr->prov_name = strdup(prov);
        rg   = fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, hints, &list);
        info = rg == 0 ? pick(list, NULL, dom) : NULL;
        if (rg == 0 && info == NULL) rg = -FI_ENODATA;
        fi_freeinfo(hints);
    }
    if (info != NULL) {
        rf = abi10 ? fi_fabric_v10(info->fabric_attr, &fabric, NULL)
                   : fi_fabric(info->fabric_attr, &fabric, NULL);
    }
    if (fabric != NULL && rf == 0) {
        rd = fi_domain(fabric, info, &domain, NULL);
    }
    if (domain != NULL && rd == 0) {
        re = fi_endpoint(domain, info, &endpoint, NULL);
    }
    printf("getinfo=%d fabric=%d domain=%d endpoint=%d provider=%s domain_name=%s\n",
           rg, rf, rd, re, info ? info->fabric_attr->prov_name : "-",
           info && info->domain_attr->name ? info->domain_attr->name : "-");
    fflush(stdout);
    /* Objects are left to process exit: libfabric 1.17's ofi_rxm crashes
     * closing an endpoint that was never bound to a CQ/AV (seen without
     * fabguard too), and closing is not what this program tests. */
    if (list != NULL) {
        if (abi10) fi_freeinfo_v10(list); else fi_freeinfo(list);
    }
    return (rg == 0 && rf == 0 && rd == 0 && re == 0) ? 0 : 1;
}
