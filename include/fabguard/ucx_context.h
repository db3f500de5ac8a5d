/* What a UCX context was configured with and got, read from UCX's own
 * printers (pure; the shim feeds it ucp_config_print/ucp_context_print_info
 * output, tests feed fixtures). */
#ifndef FABGUARD_UCX_CONTEXT_H
#define FABGUARD_UCX_CONTEXT_H

#include <stddef.h>
#include "fabguard/judge.h"

/* ucp_config_print(UCS_CONFIG_PRINT_CONFIG) lines "UCX_TLS=tcp,self"; keys
 * set with ucp_config_modify for other layers print without the prefix
 * ("IB_GPU_DIRECT_RDMA=no", UCX src/ucs/config/parser.c
 * ucs_config_parser_print_opts + cached env keys). Fills the known fields. */
void fg_ucx_config_from_print(const char *text, size_t len,
                              fg_ucx_context_info_t *info);

/* ucp_context_print_info lines "#      resource 1  :  md 1  dev 1  flags --
 * tcp/eth0" (UCX src/ucp/core/ucp_context.c ucp_context_print_info):
 * transport/device pairs. Returns how many were found. */
int fg_ucx_resources_from_print(const char *text, size_t len,
                                fg_lane_set_t *out);

#endif
