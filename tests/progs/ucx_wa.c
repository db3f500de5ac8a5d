/* Test program: two processes over a worker address. The receiver never
 * calls ucp_ep_create: UCX creates its endpoint itself when the sender
 * connects (a receive-only MPI rank, a NIXL target). Prints what the
 * application sees.
 * usage: ucx_wa recv ADDRFILE [BYTES] | ucx_wa send ADDRFILE [BYTES]
 * exit 0 on success, 1 when a UCX call failed, 2 on usage/timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucp/api/ucp.h>

#define TAG 0x5aULL

static ucp_worker_h worker;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int wait_req(void *req, const char *what)
{
    double deadline = now() + 30;

    if (req == NULL) {
        return 0;
    }
    if (UCS_PTR_IS_ERR(req)) {
        printf("ucx_wa: %s failed: %s\n", what, ucs_status_string(UCS_PTR_STATUS(req)));
        return 1;
    }
    while (ucp_request_check_status(req) == UCS_INPROGRESS) {
        ucp_worker_progress(worker);
        if (now() > deadline) {
            printf("ucx_wa: %s timed out\n", what);
            exit(2);
        }
    }
    ucp_request_free(req);
    return 0;
}

static int publish(const char *path)
{
    ucp_address_t *addr;
    size_t         len, i;
    char           tmp[4096];
    FILE          *f;

    if (ucp_worker_get_address(worker, &addr, &len) != UCS_OK) {
        return 1;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((f = fopen(tmp, "w")) == NULL) {
        return 1;
    }
    for (i = 0; i < len; i++) {
        fprintf(f, "%02x", ((unsigned char *)addr)[i]);
    }
    fclose(f);
    ucp_worker_release_address(worker, addr);
    return rename(tmp, path) == 0 ? 0 : 1;
}

static unsigned char *read_address(const char *path)
{
    static unsigned char addr[8192];
    double               deadline = now() + 30;
    FILE                *f;
    unsigned             b;
    size_t               n = 0;

    while ((f = fopen(path, "r")) == NULL) {
        if (now() > deadline) {
            return NULL;
        }
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    while (n < sizeof(addr) && fscanf(f, "%2x", &b) == 1) {
        addr[n++] = (unsigned char)b;
    }
    fclose(f);
    return n ? addr : NULL;
}

int main(int argc, char **argv)
{
    ucp_params_t        params;
    ucp_worker_params_t wp;
    ucp_request_param_t rp;
    ucp_context_h       ctx;
    size_t              bytes = argc > 3 ? strtoul(argv[3], NULL, 10) : 8;
    char               *buf;
    int                 rc = 0, recv;

    if (argc < 3 || (strcmp(argv[1], "recv") && strcmp(argv[1], "send")) || bytes == 0) {
        fprintf(stderr, "usage: ucx_wa recv|send ADDRFILE [BYTES]\n");
        return 2;
    }
    recv = strcmp(argv[1], "recv") == 0;
    buf  = calloc(1, bytes);
    memset(&params, 0, sizeof(params));
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    params.features   = UCP_FEATURE_TAG;
    if (ucp_init(&params, NULL, &ctx) != UCS_OK) {
        printf("ucx_wa: context failed\n");
        return 1;
    }
    memset(&wp, 0, sizeof(wp));
    if (ucp_worker_create(ctx, &wp, &worker) != UCS_OK) {
        return 1;
    }
    memset(&rp, 0, sizeof(rp));
    if (recv) {
        if (publish(argv[2]) != 0) {
            printf("ucx_wa: cannot publish the address\n");
            return 1;
        }
        rc = wait_req(ucp_tag_recv_nbx(worker, buf, bytes, TAG, ~0ULL, &rp), "recv");
        if (rc == 0) {
            /* answer so the sender knows the data arrived before it closes */
            rc = wait_req(ucp_tag_recv_nbx(worker, buf, 1, TAG + 1, ~0ULL, &rp), "recv2");
        }
        printf("ucx_wa: %s %zu\n", rc ? "receive failed" : "received", bytes);
        fflush(stdout);
        for (double end = now() + 0.5; now() < end;) {
            ucp_worker_progress(worker);   /* let the sender's flushing close finish */
        }
    } else {
        ucp_ep_params_t ep_params;
        ucp_ep_h        ep;
        ucs_status_t    st;
        unsigned char  *addr = read_address(argv[2]);
        if (addr == NULL) {
            printf("ucx_wa: no address\n");
            return 2;
        }
        memset(&ep_params, 0, sizeof(ep_params));
        ep_params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
        ep_params.address    = (ucp_address_t *)addr;
        if ((st = ucp_ep_create(worker, &ep_params, &ep)) != UCS_OK) {
            printf("ucx_wa: endpoint failed: %s\n", ucs_status_string(st));
            return 1;
        }
        rc = wait_req(ucp_tag_send_nbx(ep, buf, bytes, TAG, &rp), "send") ||
             wait_req(ucp_tag_send_nbx(ep, buf, 1, TAG + 1, &rp), "send2");
        printf("ucx_wa: %s %zu\n", rc ? "send failed" : "sent", bytes);
        wait_req(ucp_ep_close_nbx(ep, &rp), "close");   /* flush: the receiver lingers */
    }
    ucp_worker_destroy(worker);
    ucp_cleanup(ctx);
    free(buf);
    return rc;
}
