/* Test program: UCX client/server over a socket address, one message each
 * way (so wireup completes), then close. Prints what the application sees.
 * usage: ucx_cs server [IP] PORT | ucx_cs client IP PORT
 * FGT_ITERS=N FGT_BYTES=B: first N messages of B bytes client -> server
 * (B >= 1 MiB goes by rendezvous). A failed close is reported and fails.
 * FGT_WAIT=S: how long the server waits for a client (default 30 s).
 * exit 0 on success, 1 when a UCX call failed, 2 on usage/timeout. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucp/api/ucp.h>

#define TAG 0x77ULL

static ucp_conn_request_h conn_req;
static ucp_worker_h       worker;

static void on_conn(ucp_conn_request_h req, void *arg)
{
    (void)arg;
    conn_req = req;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int wait_req(void *req, const char *what)
{
    double deadline = now() + 20;

    if (req == NULL) {
        return 0;
    }
    if (UCS_PTR_IS_ERR(req)) {
        printf("ucx_cs: %s failed: %s\n", what, ucs_status_string(UCS_PTR_STATUS(req)));
        return 1;
    }
    while (ucp_request_check_status(req) == UCS_INPROGRESS) {
        ucp_worker_progress(worker);
        if (now() > deadline) {
            printf("ucx_cs: %s timed out\n", what);
            exit(2);
        }
    }
    ucp_request_free(req);
    return 0;
}

static int bulk(ucp_ep_h ep, int server)
{
    ucp_request_param_t p;
    const char         *ni = getenv("FGT_ITERS"), *nb = getenv("FGT_BYTES");
    long                iters = ni ? atol(ni) : 0, i;
    size_t              bytes = nb ? (size_t)atol(nb) : 8, total = 0;
    char               *buf   = calloc(1, bytes ? bytes : 1);

    memset(&p, 0, sizeof(p));
    for (i = 0; i < iters; i++) {
        if (server ? wait_req(ucp_tag_recv_nbx(worker, buf, bytes, TAG + 1, ~0ULL, &p), "bulk recv")
                   : wait_req(ucp_tag_send_nbx(ep, buf, bytes, TAG + 1, &p), "bulk send")) {
            free(buf);
            return 1;
        }
        total += bytes;
    }
    if (iters > 0) {
        printf("ucx_cs: %s %zu bytes\n", server ? "received" : "sent", total);
    }
    free(buf);
    return 0;
}

static int exchange(ucp_ep_h ep, int server)
{
    ucp_request_param_t p;
    uint64_t            out = 42, in = 0;

    if (bulk(ep, server)) {
        return 1;
    }
    memset(&p, 0, sizeof(p));
    if (server) {
        if (wait_req(ucp_tag_recv_nbx(worker, &in, sizeof(in), TAG, ~0ULL, &p), "recv")) return 1;
        if (wait_req(ucp_tag_send_nbx(ep, &out, sizeof(out), TAG, &p), "send")) return 1;
    } else {
        if (wait_req(ucp_tag_send_nbx(ep, &out, sizeof(out), TAG, &p), "send")) return 1;
        if (wait_req(ucp_tag_recv_nbx(worker, &in, sizeof(in), TAG, ~0ULL, &p), "recv")) return 1;
    }
    return in == 42 ? 0 : 1;
}

/* A flushing close races with the peer's own close (UCX then reports an
 * endpoint timeout or reset, also without fabguard): only other errors fail. */
static int close_ep(ucp_ep_h ep)
{
    ucp_request_param_t p;
    void               *req;
    ucs_status_t        st;

    memset(&p, 0, sizeof(p));
    req = ucp_ep_close_nbx(ep, &p);
    if (UCS_PTR_IS_PTR(req) && req != NULL) {
        while ((st = ucp_request_check_status(req)) == UCS_INPROGRESS) {
            ucp_worker_progress(worker);
        }
        ucp_request_free(req);
    } else {
        st = UCS_PTR_STATUS(req);
    }
    if (st == UCS_OK || st == UCS_ERR_ENDPOINT_TIMEOUT || st == UCS_ERR_CONNECTION_RESET) {
        return 0;
    }
    printf("ucx_cs: close failed: %s\n", ucs_status_string(st));
    return 1;
}

int main(int argc, char **argv)
{
    ucp_params_t        params;
    ucp_worker_params_t wp;
    ucp_ep_params_t     ep_params;
    struct sockaddr_in  sa;
    ucp_ep_h            ep = NULL;
    ucp_context_h       ctx;
    ucp_listener_h      listener = NULL;
    ucs_status_t        st;
    int                 server, rc = 0;
    double              deadline;

    if (argc < 3 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
        fprintf(stderr, "usage: ucx_cs server [IP] PORT | client IP PORT\n");
        return 2;
    }
    server = strcmp(argv[1], "server") == 0;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port   = htons((uint16_t)atoi(argv[argc - 1]));
    sa.sin_addr.s_addr = (argc == 4) ? inet_addr(argv[2]) : INADDR_ANY;

    memset(&params, 0, sizeof(params));
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    params.features   = UCP_FEATURE_TAG;
    if ((st = ucp_init(&params, NULL, &ctx)) != UCS_OK) {
        printf("ucx_cs: context failed: %s\n", ucs_status_string(st));
        return 1;
    }
    memset(&wp, 0, sizeof(wp));
    if (ucp_worker_create(ctx, &wp, &worker) != UCS_OK) {
        return 1;
    }
    memset(&ep_params, 0, sizeof(ep_params));
    if (server) {
        ucp_listener_params_t lp;
        memset(&lp, 0, sizeof(lp));
        lp.field_mask         = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
        lp.sockaddr.addr      = (struct sockaddr *)&sa;
        lp.sockaddr.addrlen   = sizeof(sa);
        lp.conn_handler.cb    = on_conn;
        if ((st = ucp_listener_create(worker, &lp, &listener)) != UCS_OK) {
            printf("ucx_cs: listen failed: %s\n", ucs_status_string(st));
            return 1;
        }
        printf("ucx_cs: listening\n");
        fflush(stdout);
        deadline = now() + (getenv("FGT_WAIT") ? atof(getenv("FGT_WAIT")) : 30);
        while (conn_req == NULL) {
            ucp_worker_progress(worker);
            if (now() > deadline) {
                printf("ucx_cs: no client\n");
                return 2;
            }
        }
        ep_params.field_mask   = UCP_EP_PARAM_FIELD_CONN_REQUEST;
        ep_params.conn_request = conn_req;
    } else {
        ep_params.field_mask       = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR;
        ep_params.flags            = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
        ep_params.sockaddr.addr    = (struct sockaddr *)&sa;
        ep_params.sockaddr.addrlen = sizeof(sa);
    }
    st = ucp_ep_create(worker, &ep_params, &ep);
    if (st != UCS_OK) {
        printf("ucx_cs: endpoint failed: %s\n", ucs_status_string(st));
        rc = 1;
    } else {
        rc = exchange(ep, server);
        rc |= close_ep(ep);
        printf("ucx_cs: %s %s\n", argv[1], rc == 0 ? "ok" : "failed");
    }
    if (listener != NULL) {
        ucp_listener_destroy(listener);
    }
    ucp_worker_destroy(worker);
    ucp_cleanup(ctx);
    return rc;
}
