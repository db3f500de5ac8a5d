/* `fabguard env` for libfabric's variables (shim/env_lint_fi.c), run by
 * fg_env_checks beside the UCX/NCCL ones. */
#ifndef FABGUARD_LIBFABRIC_ENV_H
#define FABGUARD_LIBFABRIC_ENV_H

#include "fabguard/node.h"

/* FI_PROVIDER, FI_EFA_USE_DEVICE_RDMA, FI_HMEM, FI_HMEM_DISABLE_P2P,
 * FI_PROVIDER_PATH, FI_HOOK, FI_TCP_IFACE, FI_SOCKETS_IFACE, and likely
 * typos of FI_* names. */
void fg_env_checks_libfabric(const fg_node_t *node, char *const *envp, fg_checks_t *out);

/* An EFA device as the node probe names it (rdmap<pci>, efa_<n>). */
int fg_node_dev_is_efa(const fg_rdma_dev_t *d);

#endif
