/* UCX interposition, shared between the wrappers (ucx.c) and the capture
 * of UCX's endpoint-configuration log lines (ucx_log.c). */
#ifndef FG_SHIM_UCX_H
#define FG_SHIM_UCX_H

#include <ucp/api/ucp.h>

#include "core.h"
#include "fabguard/lanes.h"

/* One loaded libucp (a renamed wheel copy included), resolved from that
 * very object; published once, never changed afterwards except the log
 * capture fields, which are written once under the copy's install. */
typedef struct {
    const void *base;
    char        object[64];   /* file name of this libucp copy, for events */
    char        version[24];  /* "1.13.1" */
    unsigned    major, minor;
    ucs_status_t (*init_version)(unsigned, unsigned, const ucp_params_t *,
                                 const ucp_config_t *, ucp_context_h *);
    void (*cleanup)(ucp_context_h);
    ucs_status_t (*worker_create)(ucp_context_h, const ucp_worker_params_t *,
                                  ucp_worker_h *);
    void (*worker_destroy)(ucp_worker_h);
    ucs_status_t (*ep_create)(ucp_worker_h, const ucp_ep_params_t *, ucp_ep_h *);
    ucs_status_ptr_t (*ep_close_nbx)(ucp_ep_h, const ucp_request_param_t *);
    ucs_status_ptr_t (*ep_close_nb)(ucp_ep_h, unsigned);
    void (*ep_destroy)(ucp_ep_h);
    ucs_status_ptr_t (*disconnect_nb)(ucp_ep_h);
    ucs_status_t (*ep_rkey_unpack)(ucp_ep_h, const void *, ucp_rkey_h *);
    ucs_status_t (*mem_map)(ucp_context_h, const ucp_mem_map_params_t *, ucp_mem_h *);
    ucs_status_t (*mem_unmap)(ucp_context_h, ucp_mem_h);
    ucs_status_t (*worker_get_address)(ucp_worker_h, ucp_address_t **, size_t *);
    void (*ep_print_info)(ucp_ep_h, FILE *);
    ucs_status_t (*ep_query)(ucp_ep_h, void *);
    void (*get_version)(unsigned *, unsigned *, unsigned *);
    void (*context_print_info)(ucp_context_h, FILE *);
    ucs_status_t (*config_read)(const char *, const char *, ucp_config_t **);
    void (*config_print)(const ucp_config_t *, FILE *, const char *, ucs_config_print_flags_t);
    void (*config_release)(ucp_config_t *);
    ucs_status_t (*conn_request_query)(ucp_conn_request_h, ucp_conn_request_attr_t *);
    ucs_status_t (*request_check_status)(void *);
    void (*request_free)(void *);
    /* log capture (ucx_log.c) */
    const void *ucs_opts;     /* this copy's ucs_global_opts (log component first) */
    int         user_level;   /* the log level the user asked for */
    int         capture;      /* 1 once the handler is pushed */
} fg_ucx_copy_t;

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
/* The copy whose libucs global options live at `opts`, or NULL. */
FG_HIDDEN fg_ucx_copy_t *fg_ucx_copy_by_opts(const void *opts);
/* Is this thread inside our ucp_ep_create wrapper (the configuration UCX
 * prints now belongs to the endpoint that wrapper judges)? */
FG_HIDDEN int fg_ucx_creating(void);
/* Are client/server endpoints tracked (their wireup may be under way)? */
FG_HIDDEN int fg_ucx_cs_pending(void);

/* Endpoint configurations seen in UCX's log (ucx_log.c): a new one
 * printed inside this thread's ucp_ep_create belongs to that endpoint; an
 * endpoint created without a new one uses a configuration seen before, and
 * when the process has seen exactly one distinct lane set, that is it.
 * Either way its lanes are known without ucp_ep_print_info (the cost of
 * judging: issue 12 item 8). Call before ucp_ep_create: */
FG_HIDDEN void fg_ucx_cfg_begin(void);
/* After it: 1 and the lanes when they are known from the log, else 0. */
FG_HIDDEN int  fg_ucx_cfg_lanes(const fg_ucx_copy_t *c, fg_lane_set_t *out);

/* Start seeing UCX's endpoint-configuration lines of copy `c` (idempotent). */
FG_HIDDEN void fg_ucx_log_install(fg_ucx_copy_t *c);


/* Create-time verdicts for client/server endpoints (ucx_route.c). */
struct sockaddr;
FG_HIDDEN void fg_ucx_route_add_context(const void *ctx, const fg_lane_set_t *resources);
FG_HIDDEN void fg_ucx_route_del_context(const void *ctx);
FG_HIDDEN void fg_ucx_route_after_fork(void);
FG_HIDDEN int  fg_ucx_route_of(const struct sockaddr *peer, char *iface, size_t cap,
                               int *local);
FG_HIDDEN int  fg_ucx_route_all_forbidden(const void *ctx, int peer_local,
                                          fg_lane_set_t *usable);

#endif
