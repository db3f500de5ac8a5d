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

/* ---- every UCX text shape users post, as configurations ------------------
 * A configuration is what UCX prints for one endpoint configuration; its name
 * says which, per shape (tests/corpus/ucx holds real examples of each):
 *   "ep_cfg[N]"          INFO "ep_cfg[1]: tag(self/memory cma/memory); rma(…);"
 *                        (1.6-1.13; trailing ';' up to 1.10)
 *   "<ctx> cfg#N"        INFO "<ctx> self|intra-node|inter-node cfg#N tag(…)
 *                        rma(…) amo(…) am(…) stream(…) ka(…) rma_am(…) amo_am(…)"
 *                        (1.14+; 1.13 printed "cfg#1tag(" without the space)
 *   "ep 0x…"             DEBUG lane dumps "ep 0x…: lane[0]: 0:tcp/eth0.0 md[0] ->
 *                        addr[0].md[0]/tcp/sysdev[0] seg 4294967295 rma_bw#1 am"
 *   "ep#K"               the K-th "UCP endpoint" block of ucp_ep_print_info /
 *                        ucx_info -e ("lane[1]:  0:tcp/eth0.0 md[0] -> … wireup")
 *   "<ctx> ep_cfg[N]",   UCX_PROTO_INFO tables: a header row "| <ctx> cfg#N | <op>
 *   "<ctx> cfg#N"        description |" and rows whose last cell names the lanes
 *                        ("tcp/lo", "55% on knem/memory and 45% on rc_mlx5/mlx5_0:1",
 *                        "rc_mlx5/mlx5_0:1/path0"); "software emulation" rows are
 *                        RMA/AMO emulated over active messages (rma_am, amo_am)
 * Lane usage holds the operations as words: tag rma amo am stream ka rma_am amo_am
 * (INFO lines), am am_bw rma rma_bw amo tag wireup keepalive rkey_ptr cm (lane
 * dumps). Resources (what a context or ucx_info -d offers, not what an endpoint
 * uses) come from "resource N : md … -- tl/dev" and from ucx_info -d's
 * "Transport:"/"Device:" pairs (pre-1.8 layout included); "Connection manager:"
 * is no transport. ucx_perftest result tables hold no lanes. */

typedef struct {
    char      proc[96];     /* "host:pid" from the log prefix, "" when none */
    char      name[96];     /* see above */
    char      scope[16];    /* "self", "intra-node", "inter-node", "" unknown */
    fg_lane_t *lane;
    size_t     n, cap;
} fg_ucx_config_t;

typedef struct {
    fg_ucx_config_t *cfg;
    size_t           n, cap;
    fg_lane_t       *res;          /* resources */
    size_t           nres, capres;
    char             version[32];  /* "Version 1.15.0" of an INFO line */
    long             ucx_lines;    /* lines that were UCX output of any kind */
    /* parser state */
    long   *hash;
    size_t  hashcap;
    long    table;                 /* config of the protocol table being read, -1 */
    char    table_op[8];
    long    ep_block;              /* "UCP endpoint" blocks seen */
    char    transport[32];         /* ucx_info -d: the current "Transport:" */
} fg_ucx_text_t;

void fg_ucx_text_init(fg_ucx_text_t *t);
void fg_ucx_text_free(fg_ucx_text_t *t);
/* One line (without its newline, any length); -1 on out of memory. */
int  fg_ucx_text_feed(fg_ucx_text_t *t, const char *line, size_t len);
/* A lane used for data (any operation besides keepalive/wireup/cm). */
int  fg_ucx_lane_is_data(const fg_lane_t *lane);

#endif
