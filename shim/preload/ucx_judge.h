/* Judging one UCX endpoint (or endpoint configuration) and handing the
 * verdict on (ucx_judge.c). */
#ifndef FG_SHIM_UCX_JUDGE_H
#define FG_SHIM_UCX_JUDGE_H

#include "ucx_copy.h"
#include "verdict.h"
#include "fabguard/lanes.h"

/* What an endpoint event is about (design: Events). */
typedef struct {
    const char *kind;     /* worker-address | client | server | internal */
    const char *source;   /* ucp_ep_query | print_info | log */
    const char *when;
    const char *peer;     /* "" unknown */
    const char *locality; /* intra-node | inter-node | self | "" */
    const char *if_fail;  /* what enforce+fail does here: refused | reported | … */
    int         not_final;/* lanes may still change: report, never act */
    char        id[40];   /* stable endpoint id */
} fg_ucx_ep_desc_t;

/* Order-sensitive hash of transports and devices (never 0). */
FG_HIDDEN uint64_t fg_ucx_lanes_fingerprint(const fg_lane_set_t *lanes);
/* Judge lanes of one endpoint (or endpoint configuration) and report. */
FG_HIDDEN fg_outcome_t fg_ucx_judge(const fg_ucx_copy_t *c, const fg_lane_set_t *lanes,
                                    const fg_ucx_ep_desc_t *d);
#endif
