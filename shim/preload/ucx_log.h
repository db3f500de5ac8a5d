/* UCX's endpoint-configuration log lines (ucx_log.c). */
#ifndef FG_SHIM_UCX_LOG_H
#define FG_SHIM_UCX_LOG_H

#include "ucx_copy.h"
#include "fabguard/lanes.h"

/* Endpoint configurations seen in UCX's log (ucx_log.c): a new one
 * printed inside this thread's ucp_ep_create belongs to that endpoint; an
 * endpoint created without a new one uses a configuration seen before, and
 * when the process has seen exactly one distinct lane set, that is it.
 * Either way its lanes are known without ucp_ep_print_info (the cost of
 * judging: issue 12 item 8). Call around ucp_ep_create (begin .. end): */
FG_HIDDEN void fg_ucx_cfg_begin(void);
FG_HIDDEN void fg_ucx_cfg_end(void);
/* After it: 1 and the lanes when they are known from the log, else 0. */
FG_HIDDEN int  fg_ucx_cfg_lanes(const fg_ucx_copy_t *c, fg_lane_set_t *out);

/* Start seeing UCX's endpoint-configuration lines of copy `c` (idempotent). */
FG_HIDDEN void fg_ucx_log_install(fg_ucx_copy_t *c);

#endif
