/* UCX text formats -> the lane model. Pure; used by the shim (UCX < 1.14,
 * where ucp_ep_query has no transports), `explain` and `pair`. */
#ifndef FABGUARD_UCX_TEXT_H
#define FABGUARD_UCX_TEXT_H

#include <stddef.h>
#include "fabguard/common.h"
#include "fabguard/lanes.h"

/* Lanes from ucp_ep_print_info() output (UCX src/ucp/core/ucp_ep.c,
 * ucp_ep_config_lane_info_str): "lane[1]:  0:tcp/eth0.0 md[0] -> … wireup".
 * Returns 0 (lanes may be 0 for an endpoint that has none yet), or -1 with
 * err set when the text holds no UCP endpoint block. */
int fg_ucx_lanes_from_print_info(const char *text, size_t len,
                                 fg_lane_set_t *out, fg_error_t *err);

/* Lanes named in UCX_PROTO_INFO=y protocol tables (UCX >= 1.12): every
 * "tl/dev" in a row's last column, without duplicates, appended to out.
 * Returns how many were added. */
int fg_ucx_lanes_from_proto_info(const char *text, size_t len,
                                 fg_lane_set_t *out);

#endif
