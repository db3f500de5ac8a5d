/* Test plugin: a shared object linked against libucp that creates a
 * context, a worker and one self endpoint — the shape of NIXL's UCX backend
 * plugin. fg_plugin_run() returns the endpoint creation status (0 = UCS_OK).
 * With -DFG_PLUGIN_CTOR it runs from its constructor instead. */
#include <stdio.h>
#include <string.h>
#include <ucp/api/ucp.h>

int fg_plugin_run(void)
{
    ucp_params_t        params;
    ucp_worker_params_t wp;
    ucp_ep_params_t     ep;
    ucp_context_h       ctx;
    ucp_worker_h        w;
    ucp_address_t      *addr;
    size_t              alen;
    ucp_ep_h            e;
    ucs_status_t        st;

    memset(&params, 0, sizeof(params));
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    params.features   = UCP_FEATURE_TAG;
    if ((st = ucp_init(&params, NULL, &ctx)) != UCS_OK) {
        return (int)st;
    }
    memset(&wp, 0, sizeof(wp));
    if ((st = ucp_worker_create(ctx, &wp, &w)) != UCS_OK) {
        return (int)st;
    }
    ucp_worker_get_address(w, &addr, &alen);
    memset(&ep, 0, sizeof(ep));
    ep.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep.address    = addr;
    st            = ucp_ep_create(w, &ep, &e);
    if (st == UCS_OK) {
        ucp_request_param_t p;
        void               *req;
        memset(&p, 0, sizeof(p));
        p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
        p.flags        = UCP_EP_CLOSE_FLAG_FORCE;
        req            = ucp_ep_close_nbx(e, &p);
        if (UCS_PTR_IS_PTR(req) && req != NULL) {
            while (ucp_request_check_status(req) == UCS_INPROGRESS) {
                ucp_worker_progress(w);
            }
            ucp_request_free(req);
        }
    }
    ucp_worker_release_address(w, addr);
    ucp_worker_destroy(w);
    ucp_cleanup(ctx);
    return (int)st;
}
