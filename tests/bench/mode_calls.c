/* Per-call cost of a wrapped UCX control call on an existing handle
 * (ucp_worker_get_address; its release is not wrapped), for comparing the
 * shim's modes with no shim. Prints "ns_per_call X" (best of 5 batches). */
#include <ucp/api/ucp.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    long                n = argc > 1 ? atol(argv[1]) : 20000;
    ucp_params_t        p = { .field_mask = UCP_PARAM_FIELD_FEATURES, .features = UCP_FEATURE_TAG };
    ucp_worker_params_t wp = { .field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
                               .thread_mode = UCS_THREAD_MODE_SINGLE };
    ucp_context_h       ctx;
    ucp_worker_h        w;
    ucp_address_t      *addr;
    size_t              len;
    double              best = 1e300;
    int                 b;
    long                i;

    if (ucp_init(&p, NULL, &ctx) != UCS_OK || ucp_worker_create(ctx, &wp, &w) != UCS_OK) {
        fprintf(stderr, "mode_calls: UCX init failed\n");
        return 1;
    }
    for (b = 0; b < 5; b++) {
        double t0 = now_ns();
        for (i = 0; i < n; i++) {
            if (ucp_worker_get_address(w, &addr, &len) != UCS_OK) {
                return 1;
            }
            ucp_worker_release_address(w, addr);
        }
        double t = (now_ns() - t0) / (double)n;
        best = t < best ? t : best;
    }
    printf("ns_per_call %.1f\n", best);
    ucp_worker_destroy(w);
    ucp_cleanup(ctx);
    return 0;
}
