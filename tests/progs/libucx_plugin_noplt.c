/* The test plugin as built with -fno-plt: every UCX call goes through a GOT
 * entry (R_X86_64_GLOB_DAT), a relocation the loader never reports to an
 * audit module. Loaded RTLD_DEEPBIND it stays invisible even with LD_AUDIT,
 * and the shim must say so rather than call the process clean. */
#include <ucp/api/ucp.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define NOPLT __attribute__((noplt))
NOPLT ucs_status_t ucp_init_version(unsigned, unsigned, const ucp_params_t *,
                                    const ucp_config_t *, ucp_context_h *);
NOPLT ucs_status_t ucp_worker_create(ucp_context_h, const ucp_worker_params_t *,
                                     ucp_worker_h *);
NOPLT ucs_status_t ucp_worker_get_address(ucp_worker_h, ucp_address_t **, size_t *);
NOPLT void ucp_worker_release_address(ucp_worker_h, ucp_address_t *);
NOPLT ucs_status_t ucp_ep_create(ucp_worker_h, const ucp_ep_params_t *, ucp_ep_h *);
NOPLT ucs_status_ptr_t ucp_ep_close_nbx(ucp_ep_h, const ucp_request_param_t *);
NOPLT ucs_status_t ucp_request_check_status(void *);
NOPLT unsigned ucp_worker_progress(ucp_worker_h);
NOPLT void ucp_request_free(void *);
NOPLT void ucp_worker_destroy(ucp_worker_h);
NOPLT void ucp_cleanup(ucp_context_h);

#include "libucx_plugin.c"
