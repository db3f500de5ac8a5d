/* Pure questions about a probed node (fg_node_t): the PCI distance of two
 * devices from their sysfs paths, and whether an HCA is a RoCE port of the
 * management NIC. The probe itself (reading sysfs) is shim/probe/. */
#include "fabguard/node.h"

#include <stdio.h>
#include <string.h>

/* Components of a /sys/devices/pci… path: ["pci0000:00", "0000:00:01.0", …] */
static int split(const char *path, char parts[][32], int max)
{
    const char *p = strstr(path, "/sys/devices/");
    int         n = 0;

    if (p == NULL) return 0;
    p += 13;
    while (*p && n < max) {
        size_t len = strcspn(p, "/");
        if (len >= 32) len = 31;
        memcpy(parts[n], p, len);
        parts[n][len] = '\0';
        n++;
        p += strcspn(p, "/");
        if (*p == '/') p++;
    }
    return n;
}

const char *fg_pci_relation(const char *a, int numa_a, const char *b, int numa_b)
{
    char pa[16][32], pb[16][32];
    int  na = split(a, pa, 16), nb = split(b, pb, 16), common = 0;

    if (na == 0 || nb == 0) return "SYS";
    while (common < na && common < nb && strcmp(pa[common], pb[common]) == 0) {
        common++;
    }
    if (common == 0) {   /* different root complexes */
        return (numa_a >= 0 && numa_a == numa_b) ? "NODE" : "SYS";
    }
    /* only the host bridge in common: the path crosses it */
    if (common == 1) return "PHB";
    /* below one PCIe switch (its upstream port in common, one downstream
     * port each) or one bridge: nvidia-smi's PIX; deeper trees: PXB */
    if (na - common <= 2 && nb - common <= 2) return "PIX";
    return "PXB";
}

int fg_node_dev_on_mgmt(const fg_node_t *n, const fg_rdma_dev_t *d)
{
    return d->netdev[0] != '\0' && fg_ifset_contains(&n->mgmt, d->netdev);
}
