/* Test program: a UCX worker creating endpoints to its own worker address
 * (the self-loopback NIXL does), optionally in several threads with one
 * worker each, then closing them. Prints what the application sees:
 * "ucx_ep: created N failed M status <last error>" and exits 0 when every
 * call succeeded, 1 otherwise.
 * usage: ucx_ep [-n endpoints] [-t threads] [-m (config_modify TLS=tcp)]
 *        [-T (print time spent creating endpoints)]
 *        [-s (all threads share one multi-threaded worker)]
 *        [-g (map a buffer as CUDA memory first, with libcuda.so.1 loaded:
 *             the CUDA driver double where no GPU exists)] */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ucp/api/ucp.h>

static ucp_context_h ctx;
static int           per_thread = 1;
static int           created, failed;
static double        create_us;   /* -T: time spent in ucp_ep_create */
static ucp_worker_h  shared;      /* -s: one multi-threaded worker for all threads */
static ucp_address_t *shared_addr;
static ucs_status_t  last_err = UCS_OK;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void close_ep(ucp_worker_h w, ucp_ep_h ep)
{
    ucp_request_param_t p;
    void               *req;

    memset(&p, 0, sizeof(p));
    p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    p.flags        = UCP_EP_CLOSE_FLAG_FORCE;
    req            = ucp_ep_close_nbx(ep, &p);
    if (UCS_PTR_IS_PTR(req) && req != NULL) {
        while (ucp_request_check_status(req) == UCS_INPROGRESS) {
            ucp_worker_progress(w);
        }
        ucp_request_free(req);
    }
}

static void *run(void *arg)
{
    ucp_worker_params_t wp;
    ucp_worker_h        w;
    ucp_address_t      *addr;
    size_t              alen;
    ucp_ep_h           *eps = calloc((size_t)per_thread, sizeof(*eps));
    int                 i, ok = 0, bad = 0;
    ucs_status_t        err = UCS_OK;
    struct timespec     t0, t1;

    (void)arg;
    memset(&wp, 0, sizeof(wp));
    wp.field_mask  = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    wp.thread_mode = UCS_THREAD_MODE_MULTI;
    if (shared != NULL) {
        w    = shared;
        addr = shared_addr;
    } else if (ucp_worker_create(ctx, &wp, &w) != UCS_OK ||
               ucp_worker_get_address(w, &addr, &alen) != UCS_OK) {
        fprintf(stderr, "ucx_ep: worker setup failed\n");
        exit(2);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < per_thread; i++) {
        ucp_ep_params_t ep;
        ucs_status_t    st;
        memset(&ep, 0, sizeof(ep));
        ep.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
        ep.address    = addr;
        st            = ucp_ep_create(w, &ep, &eps[i]);
        if (st == UCS_OK) {
            ok++;
        } else {
            eps[i] = NULL;
            bad++;
            err = st;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (i = 0; i < per_thread; i++) {
        if (eps[i] != NULL) {
            close_ep(w, eps[i]);
        }
    }
    if (shared == NULL) {
        ucp_worker_release_address(w, addr);
        ucp_worker_destroy(w);
    }
    free(eps);
    pthread_mutex_lock(&lock);
    created += ok;
    create_us += (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    failed += bad;
    if (err != UCS_OK) {
        last_err = err;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    ucp_params_t  params;
    ucp_config_t *cfg;
    int           threads = 1, opt, i, modify = 0, timing = 0, share = 0;
    static pthread_t tid[4096];
    ucs_status_t  st;

    int           gpu = 0;
    static char   gpu_buf[4096];
    ucp_mem_h     memh = NULL;

    while ((opt = getopt(argc, argv, "n:t:mTsg")) != -1) {
        switch (opt) {
        case 'n': per_thread = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'm': modify = 1; break;
        case 'T': timing = 1; break;
        case 's': share = 1; break;
        case 'g': gpu = 1; break;
        default: return 2;
        }
    }
    if (threads < 1 || threads > 4096 || per_thread < 1) {
        return 2;
    }
    if (ucp_config_read(NULL, NULL, &cfg) != UCS_OK) {
        return 2;
    }
    if (modify && ucp_config_modify(cfg, "TLS", "tcp") != UCS_OK) {   /* as NIXL does in code */
        return 2;
    }
    memset(&params, 0, sizeof(params));
    params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED;
    params.features   = UCP_FEATURE_TAG | UCP_FEATURE_RMA;
    params.mt_workers_shared = 1;
    st = ucp_init(&params, cfg, &ctx);
    ucp_config_release(cfg);
    if (st != UCS_OK) {
        printf("ucx_ep: created 0 failed 1 status %s (context)\n", ucs_status_string(st));
        return 1;
    }
    if (gpu) {   /* as a GPU worker registers its KV cache before connecting */
        ucp_mem_map_params_t mp;
        if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL) == NULL) {
            fprintf(stderr, "ucx_ep: %s\n", dlerror());
            return 2;
        }
        memset(&mp, 0, sizeof(mp));
        mp.field_mask  = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH |
                         UCP_MEM_MAP_PARAM_FIELD_MEMORY_TYPE;
        mp.address     = gpu_buf;
        mp.length      = sizeof(gpu_buf);
        mp.memory_type = UCS_MEMORY_TYPE_CUDA;
        if (ucp_mem_map(ctx, &mp, &memh) != UCS_OK) {
            fprintf(stderr, "ucx_ep: ucp_mem_map of CUDA memory failed\n");
            return 2;
        }
    }
    if (share) {
        ucp_worker_params_t wp;
        size_t              alen;
        memset(&wp, 0, sizeof(wp));
        wp.field_mask  = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
        wp.thread_mode = UCS_THREAD_MODE_MULTI;
        if (ucp_worker_create(ctx, &wp, &shared) != UCS_OK ||
            ucp_worker_get_address(shared, &shared_addr, &alen) != UCS_OK) {
            return 2;
        }
    }
    for (i = 0; i < threads; i++) {
        if (pthread_create(&tid[i], NULL, run, NULL) != 0) {
            fprintf(stderr, "ucx_ep: cannot start thread %d\n", i);
            return 2;
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    if (shared != NULL) {
        ucp_worker_release_address(shared, shared_addr);
        ucp_worker_destroy(shared);
    }
    if (memh != NULL) {
        ucp_mem_unmap(ctx, memh);
    }
    ucp_cleanup(ctx);
    printf("ucx_ep: created %d failed %d status %s\n", created, failed,
           ucs_status_string(last_err));
    if (timing) {
        printf("create_us %.0f\n", create_us);
    }
    return failed == 0 ? 0 : 1;
}
