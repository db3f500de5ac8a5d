/* Every read of /proc and /sys, below a root ("/" live, a fixture tree in
 * tests). The text goes to the pure parsers (netinfo.h). */
#ifndef FABGUARD_SYSREAD_H
#define FABGUARD_SYSREAD_H

#include <stddef.h>
#include "fabguard/netinfo.h"

struct fg_policy;

/* Read a small text file below root (root NULL or "" = "/") into buf.
 * Returns bytes read or -1 with errno set. Opens O_RDONLY|O_CLOEXEC. */
long fg_read_text(const char *root, const char *path, char *buf, size_t cap);

/* Management interfaces per policy: "auto" = default-route interfaces of the
 * namespace seen through root/proc/net/{route,ipv6_route}. Also adds the
 * RoCE ports whose netdev is one of them (root/sys/class/infiniband/D/
 * ports/P/gid_attrs/ndevs/I), as "D:P" with via = the interface: RDMA on a
 * RoCE port of the management NIC is still traffic on the management NIC. */
int fg_mgmt_ifaces(const struct fg_policy *pol, const char *root,
                   fg_ifset_t *out);

/* Default-route interfaces of root/proc/net/{route,ipv6_route}. */
void fg_sys_default_routes(const char *root, fg_ifset_t *out);
/* The netdev of RDMA port DEV:PORT: the first GID entry naming one
 * (gid_attrs/ndevs/I); "" for an InfiniBand port. */
void fg_sys_roce_netdev(const char *root, const char *dev, const char *port,
                        char *out, size_t cap);
/* Whether `nvidia-smi topo -m` shows an NV# link (0 when it is absent). */
int fg_sys_nvidia_smi_nvlink(void);

#endif
