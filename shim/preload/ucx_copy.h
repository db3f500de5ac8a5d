/* The UCX copy table (ucx_copy.c). */
#ifndef FG_SHIM_UCX_COPY_H
#define FG_SHIM_UCX_COPY_H

#include <ucp/api/ucp.h>

#define FG_HIDDEN __attribute__((visibility("hidden")))

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

/* The copy a caller reaches for `name` (context creation, unknown
 * handles), built at first sight; NULL when no loaded UCX defines it. */
FG_HIDDEN fg_ucx_copy_t *fg_ucx_copy_for_caller(const char *name, const void *caller);
/* The copy whose libucs global options live at `opts`, or NULL. */
FG_HIDDEN fg_ucx_copy_t *fg_ucx_copy_by_opts(const void *opts);
FG_HIDDEN void fg_ucx_copy_after_fork(void);

#endif
