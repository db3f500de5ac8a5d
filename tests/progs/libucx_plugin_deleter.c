/* The test plugin with the shape of NIXL 1.4's UCX plugin: ucp_init_version
 * and most calls through the PLT, but ucp_worker_destroy and ucp_cleanup
 * through GOT entries (their addresses are taken, as a unique_ptr deleter
 * takes them), which the loader never reports to an audit module. */
#include <ucp/api/ucp.h>

#define NOPLT __attribute__((noplt))
NOPLT void ucp_worker_destroy(ucp_worker_h);
NOPLT void ucp_cleanup(ucp_context_h);

#include "libucx_plugin.c"
