/* A test double of libfabric's EFA provider, loaded the way libfabric loads
 * every external provider: a file named lib<name>-fi.so in FI_PROVIDER_PATH
 * whose fi_prov_ini() returns a struct fi_provider (rdma/providers/fi_prov.h).
 * It registers under the name "efa" and answers fi_getinfo with one RDM
 * domain "rdmap0s31-rdm" on fabric "efa", with FI_HMEM, as an EFA device
 * does; fi_fabric / fi_domain / fi_endpoint open minimal objects. No machine
 * here has an EFA device; nothing else in the tests needs this double.
 * FG_EFA_DOUBLE_NODEVICE=1 makes it behave like a pod without
 * /dev/infiniband: no info (-FI_ENODATA), so libfabric falls back. */
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_prov.h>

#include <stdlib.h>
#include <string.h>

#define EFA_DOUBLE_CAPS (FI_MSG | FI_TAGGED | FI_RMA | FI_HMEM | FI_SEND | FI_RECV | \
                         FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE)

static int obj_close(struct fid *fid)
{
    free(fid);
    return 0;
}

static struct fi_ops obj_fid_ops = {
    .size  = sizeof(struct fi_ops),
    .close = obj_close,
};

static int ep_open(struct fid_domain *domain, struct fi_info *info,
                   struct fid_ep **ep, void *context)
{
    struct fid_ep *e = calloc(1, sizeof(*e));

    (void)domain;
    (void)info;
    if (e == NULL) {
        return -FI_ENOMEM;
    }
    e->fid.fclass  = FI_CLASS_EP;
    e->fid.context = context;
    e->fid.ops     = &obj_fid_ops;
    *ep            = e;
    return 0;
}

static struct fi_ops_domain domain_ops = {
    .size     = sizeof(struct fi_ops_domain),
    .endpoint = ep_open,
};

static int domain_open(struct fid_fabric *fabric, struct fi_info *info,
                       struct fid_domain **dom, void *context)
{
    struct fid_domain *d = calloc(1, sizeof(*d));

    (void)fabric;
    if (info == NULL || info->domain_attr == NULL || info->domain_attr->name == NULL ||
        strcmp(info->domain_attr->name, "rdmap0s31-rdm") != 0) {
        free(d);
        return -FI_EINVAL;
    }
    if (d == NULL) {
        return -FI_ENOMEM;
    }
    d->fid.fclass  = FI_CLASS_DOMAIN;
    d->fid.context = context;
    d->fid.ops     = &obj_fid_ops;
    d->ops         = &domain_ops;
    *dom           = d;
    return 0;
}

static struct fi_ops_fabric fabric_ops = {
    .size   = sizeof(struct fi_ops_fabric),
    .domain = domain_open,
};

static int efa_fabric(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
                      void *context)
{
    struct fid_fabric *f = calloc(1, sizeof(*f));

    (void)attr;
    if (f == NULL) {
        return -FI_ENOMEM;
    }
    f->fid.fclass  = FI_CLASS_FABRIC;
    f->fid.context = context;
    f->fid.ops     = &obj_fid_ops;
    f->ops         = &fabric_ops;
    *fabric        = f;
    return 0;
}

/* Allocated with calloc/strdup: libfabric frees it with fi_freeinfo. */
static struct fi_info *one_info(void)
{
    struct fi_info *i = calloc(1, sizeof(*i));

    if (i == NULL) {
        return NULL;
    }
    i->tx_attr     = calloc(1, sizeof(*i->tx_attr));
    i->rx_attr     = calloc(1, sizeof(*i->rx_attr));
    i->ep_attr     = calloc(1, sizeof(*i->ep_attr));
    i->domain_attr = calloc(1, sizeof(*i->domain_attr));
    i->fabric_attr = calloc(1, sizeof(*i->fabric_attr));
    if (!i->tx_attr || !i->rx_attr || !i->ep_attr || !i->domain_attr || !i->fabric_attr) {
        free(i->tx_attr); free(i->rx_attr); free(i->ep_attr);
        free(i->domain_attr); free(i->fabric_attr); free(i);
        return NULL;
    }
    i->caps                       = EFA_DOUBLE_CAPS;
    i->addr_format                = FI_ADDR_EFA;
    i->tx_attr->caps              = EFA_DOUBLE_CAPS;
    i->rx_attr->caps              = EFA_DOUBLE_CAPS;
    i->ep_attr->type              = FI_EP_RDM;
    i->ep_attr->protocol          = FI_PROTO_EFA;
    i->domain_attr->name          = strdup("rdmap0s31-rdm");
    i->domain_attr->mr_mode       = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED |
                                    FI_MR_PROV_KEY | FI_MR_HMEM;
    i->domain_attr->threading     = FI_THREAD_SAFE;
    i->fabric_attr->name          = strdup("efa");
    i->fabric_attr->prov_version  = FI_VERSION(1, 0);
    return i;
}

static int efa_getinfo(uint32_t version, const char *node, const char *service,
                       uint64_t flags, const struct fi_info *hints,
                       struct fi_info **info)
{
    const char *nodev = getenv("FG_EFA_DOUBLE_NODEVICE");

    (void)version; (void)node; (void)service; (void)flags;
    if (nodev != NULL && strcmp(nodev, "1") == 0) {
        return -FI_ENODATA;
    }
    if (hints != NULL) {
        if (hints->ep_attr != NULL && hints->ep_attr->type != FI_EP_UNSPEC &&
            hints->ep_attr->type != FI_EP_RDM) {
            return -FI_ENODATA;
        }
        if ((hints->caps & ~EFA_DOUBLE_CAPS) != 0) {
            return -FI_ENODATA;
        }
    }
    *info = one_info();
    return *info != NULL ? 0 : -FI_ENOMEM;
}

static void efa_cleanup(void)
{
}

static struct fi_provider efa_double = {
    .version    = FI_VERSION(1, 0),
    .fi_version = FI_VERSION(1, 17),
    .name       = "efa",
    .getinfo    = efa_getinfo,
    .fabric     = efa_fabric,
    .cleanup    = efa_cleanup,
};

__attribute__((visibility("default"))) struct fi_provider *fi_prov_ini(void)
{
    return &efa_double;
}
