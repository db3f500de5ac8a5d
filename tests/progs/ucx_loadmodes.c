/* UCX reached through each loading mode, in one process (it links libucp,
 * so the public copy is in the global scope):
 *   direct          calls through this program's own PLT
 *   dlsym:LIB       dlopen(LIB, RTLD_LOCAL) + dlsym(handle, ...) (ctypes' way)
 *   dlsymdb:LIB     the same with RTLD_DEEPBIND (a renamed second UCX copy
 *                   must bind to itself, not to the public copy)
 *   deepbind:PLUGIN dlopen(PLUGIN, RTLD_DEEPBIND) and run its fg_plugin_run
 *                   (NIXL's UCX plugin with NIXL_UCX_DEEPBIND=1)
 *   dlmopen:LIB     dlmopen(LM_ID_NEWLM, LIB) + dlsym: a UCX in its own link
 *                   namespace, where no preload is
 *   kill            SIGKILL itself (a worker stopped before its exit summary)
 * Each creates a context, a worker and an endpoint to its own worker
 * address, and prints "MODE status N" (the ucp_ep_create status). */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucp/api/ucp.h>

typedef struct {
    ucs_status_t (*init_version)(unsigned, unsigned, const ucp_params_t *,
                                 const ucp_config_t *, ucp_context_h *);
    ucs_status_t (*worker_create)(ucp_context_h, const ucp_worker_params_t *,
                                  ucp_worker_h *);
    ucs_status_t (*get_address)(ucp_worker_h, ucp_address_t **, size_t *);
    void (*release_address)(ucp_worker_h, ucp_address_t *);
    ucs_status_t (*ep_create)(ucp_worker_h, const ucp_ep_params_t *, ucp_ep_h *);
    ucs_status_ptr_t (*ep_close_nbx)(ucp_ep_h, const ucp_request_param_t *);
    ucs_status_t (*request_check_status)(void *);
    unsigned (*worker_progress)(ucp_worker_h);
    void (*request_free)(void *);
    void (*worker_destroy)(ucp_worker_h);
    void (*cleanup)(ucp_context_h);
} api_t;

static int api_from(void *h, api_t *a)
{
#define GET(f, n) (*(void **)&a->f = dlsym(h, n)) == NULL
    if (GET(init_version, "ucp_init_version") || GET(worker_create, "ucp_worker_create") ||
        GET(get_address, "ucp_worker_get_address") ||
        GET(release_address, "ucp_worker_release_address") ||
        GET(ep_create, "ucp_ep_create") || GET(ep_close_nbx, "ucp_ep_close_nbx") ||
        GET(request_check_status, "ucp_request_check_status") ||
        GET(worker_progress, "ucp_worker_progress") ||
        GET(request_free, "ucp_request_free") || GET(worker_destroy, "ucp_worker_destroy") ||
        GET(cleanup, "ucp_cleanup")) {
        return -1;
    }
#undef GET
    return 0;
}

static void api_direct(api_t *a)
{
    a->init_version         = ucp_init_version;
    a->worker_create        = ucp_worker_create;
    a->get_address          = ucp_worker_get_address;
    a->release_address      = ucp_worker_release_address;
    a->ep_create            = ucp_ep_create;
    a->ep_close_nbx         = ucp_ep_close_nbx;
    a->request_check_status = ucp_request_check_status;
    a->worker_progress      = ucp_worker_progress;
    a->request_free         = ucp_request_free;
    a->worker_destroy       = ucp_worker_destroy;
    a->cleanup              = ucp_cleanup;
}

static int run(const api_t *a)
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
    if ((st = a->init_version(UCP_API_MAJOR, UCP_API_MINOR, &params, NULL, &ctx)) != UCS_OK) {
        return (int)st;
    }
    memset(&wp, 0, sizeof(wp));
    if ((st = a->worker_create(ctx, &wp, &w)) != UCS_OK) {
        a->cleanup(ctx);
        return (int)st;
    }
    a->get_address(w, &addr, &alen);
    memset(&ep, 0, sizeof(ep));
    ep.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep.address    = addr;
    st            = a->ep_create(w, &ep, &e);
    if (st == UCS_OK) {
        ucp_request_param_t p;
        void               *req;
        memset(&p, 0, sizeof(p));
        p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
        p.flags        = UCP_EP_CLOSE_FLAG_FORCE;
        req            = a->ep_close_nbx(e, &p);
        if (UCS_PTR_IS_PTR(req) && req != NULL) {
            while (a->request_check_status(req) == UCS_INPROGRESS) {
                a->worker_progress(w);
            }
            a->request_free(req);
        }
    }
    a->release_address(w, addr);
    a->worker_destroy(w);
    a->cleanup(ctx);
    return (int)st;
}

int main(int argc, char **argv)
{
    int i, rc = 0;

    for (i = 1; i < argc; i++) {
        api_t a;
        int   st;
        void *h;

        if (strcmp(argv[i], "kill") == 0) {
            fflush(stdout);
            raise(SIGKILL);
        }
        if (strcmp(argv[i], "direct") == 0) {
            api_direct(&a);
            st = run(&a);
        } else if (strncmp(argv[i], "dlsym:", 6) == 0 ||
                   strncmp(argv[i], "dlsymdb:", 8) == 0) {
            int db = argv[i][5] != ':';
            if ((h = dlopen(strchr(argv[i], ':') + 1,
                            RTLD_NOW | RTLD_LOCAL | (db ? RTLD_DEEPBIND : 0))) == NULL ||
                api_from(h, &a) < 0) {
                printf("%s: %s\n", argv[i], dlerror());
                return 2;
            }
            st = run(&a);
        } else if (strncmp(argv[i], "dlmopen:", 8) == 0) {
            if ((h = dlmopen(LM_ID_NEWLM, argv[i] + 8, RTLD_NOW | RTLD_LOCAL)) == NULL ||
                api_from(h, &a) < 0) {
                printf("%s: %s\n", argv[i], dlerror());
                return 2;
            }
            st = run(&a);
        } else if (strncmp(argv[i], "deepbind:", 9) == 0) {
            int (*plugin_run)(void);
            if ((h = dlopen(argv[i] + 9, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)) == NULL ||
                (*(void **)&plugin_run = dlsym(h, "fg_plugin_run")) == NULL) {
                printf("%s: %s\n", argv[i], dlerror());
                return 2;
            }
            st = plugin_run();
        } else {
            fprintf(stderr, "usage: ucx_loadmodes direct|dlsym:LIB|dlsymdb:LIB|dlmopen:LIB|deepbind:PLUGIN...\n");
            return 2;
        }
        printf("%s status %d\n", argv[i], st);
        rc |= st != 0;
    }
    return rc;
}
