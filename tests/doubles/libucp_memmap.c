/* Test double: the libucp double (libucp.c, which has no ucp_mem_map, so
 * faults.sh can prove a missing symbol is handled) plus ucp_mem_map and
 * ucp_mem_unmap, for the rail tests (tests/e2e/rail_shim.sh): registration
 * succeeds for any memory type, the CUDA driver double vouches for "CUDA"
 * memory. One library, because the shim resolves each call in the UCX copy
 * that created the handle. */
#include "libucp.c"

struct ucp_mem { int unused; };

ucs_status_t ucp_mem_map(ucp_context_h c, const ucp_mem_map_params_t *p, ucp_mem_h *m)
{
    (void)c; (void)p;
    *m = calloc(1, sizeof(**m));
    return *m ? UCS_OK : UCS_ERR_NO_MEMORY;
}

ucs_status_t ucp_mem_unmap(ucp_context_h c, ucp_mem_h m)
{
    (void)c;
    free(m);
    return UCS_OK;
}
