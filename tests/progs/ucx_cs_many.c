/* Test program: many client/server endpoints in one process. A server
 * worker listens on 127.0.0.1:PORT and accepts every connection; a client
 * worker (multi-threaded, shared by T threads) creates N endpoints to it,
 * T threads at once. One tag message per endpoint so wireup completes.
 * Then: -c closes every endpoint (each thread its own, while the others
 * still create: endpoints closed under other threads' rechecks), else the
 * workers are destroyed with all endpoints still open.
 * usage: ucx_cs_many -p PORT [-n N] [-t T] [-c]
 * prints "ucx_cs_many: connected N accepted M"; exit 0 when all worked. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ucp/api/ucp.h>

#define MAXEP 4096

static ucp_worker_h    srv, cli;
static ucp_ep_h        srv_eps[MAXEP];
static int             naccepted, per_thread = 1, do_close, failed;
static struct sockaddr_in sa;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_peer_error(void *arg, ucp_ep_h ep, ucs_status_t status)
{
    (void)arg;
    (void)ep;
    (void)status;   /* the client closed by force: expected */
}

static void on_conn(ucp_conn_request_h req, void *arg)
{
    ucp_ep_params_t p;

    (void)arg;
    memset(&p, 0, sizeof(p));
    p.field_mask   = UCP_EP_PARAM_FIELD_CONN_REQUEST | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                     UCP_EP_PARAM_FIELD_ERR_HANDLER;
    p.conn_request = req;
    p.err_mode     = UCP_ERR_HANDLING_MODE_PEER;
    p.err_handler.cb = on_peer_error;
    if (naccepted < MAXEP && ucp_ep_create(srv, &p, &srv_eps[naccepted]) == UCS_OK) {
        naccepted++;
    }
}

static void *server_loop(void *arg)
{
    double *until = arg;

    while (now() < *until) {
        ucp_worker_progress(srv);
    }
    return NULL;
}

static void *client(void *arg)
{
    ucp_ep_h           *eps = calloc((size_t)per_thread, sizeof(*eps));
    ucp_request_param_t rp;
    uint64_t            v = 7;
    int                 i, bad = 0;

    (void)arg;
    memset(&rp, 0, sizeof(rp));
    for (i = 0; i < per_thread; i++) {
        ucp_ep_params_t p;
        void           *req;
        double          deadline = now() + 20;
        memset(&p, 0, sizeof(p));
        p.field_mask       = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR |
                             UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE;
        p.flags            = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
        p.sockaddr.addr    = (struct sockaddr *)&sa;
        p.sockaddr.addrlen = sizeof(sa);
        p.err_mode         = UCP_ERR_HANDLING_MODE_PEER;
        if (ucp_ep_create(cli, &p, &eps[i]) != UCS_OK) {
            eps[i] = NULL;
            bad++;
            continue;
        }
        req = ucp_tag_send_nbx(eps[i], &v, sizeof(v), 1, &rp);   /* completes wireup */
        if (UCS_PTR_IS_PTR(req) && req != NULL) {
            while (ucp_request_check_status(req) == UCS_INPROGRESS && now() < deadline) {
                ucp_worker_progress(cli);
            }
            ucp_request_free(req);
        }
        if (do_close && i > 0) {   /* close the previous one while others create */
            ucp_request_param_t cp;
            memset(&cp, 0, sizeof(cp));
            cp.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
            cp.flags        = UCP_EP_CLOSE_FLAG_FORCE;
            req = ucp_ep_close_nbx(eps[i - 1], &cp);
            if (UCS_PTR_IS_PTR(req) && req != NULL) {
                ucp_request_free(req);
            }
            eps[i - 1] = NULL;
        }
    }
    free(eps);   /* the rest go with the worker */
    pthread_mutex_lock(&lock);
    failed += bad;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    ucp_params_t          params;
    ucp_worker_params_t   wp;
    ucp_listener_params_t lp;
    ucp_listener_h        listener;
    ucp_context_h         ctx;
    pthread_t             tid[64], st;
    int                   threads = 1, n = 100, port = 0, opt, i;
    double                until;

    while ((opt = getopt(argc, argv, "p:n:t:c")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'c': do_close = 1; break;
        default: return 2;
        }
    }
    if (port <= 0 || threads < 1 || threads > 64 || n < threads || n > MAXEP) {
        fprintf(stderr, "usage: ucx_cs_many -p PORT [-n N] [-t T] [-c]\n");
        return 2;
    }
    per_thread = n / threads;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family      = AF_INET;
    sa.sin_port        = htons((uint16_t)port);
    sa.sin_addr.s_addr = inet_addr("127.0.0.1");
    memset(&params, 0, sizeof(params));
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    params.features   = UCP_FEATURE_TAG;
    if (ucp_init(&params, NULL, &ctx) != UCS_OK) {
        return 1;
    }
    memset(&wp, 0, sizeof(wp));
    wp.field_mask  = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    wp.thread_mode = UCS_THREAD_MODE_MULTI;
    if (ucp_worker_create(ctx, &wp, &srv) != UCS_OK || ucp_worker_create(ctx, &wp, &cli) != UCS_OK) {
        return 1;
    }
    memset(&lp, 0, sizeof(lp));
    lp.field_mask       = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
    lp.sockaddr.addr    = (struct sockaddr *)&sa;
    lp.sockaddr.addrlen = sizeof(sa);
    lp.conn_handler.cb  = on_conn;
    if (ucp_listener_create(srv, &lp, &listener) != UCS_OK) {
        printf("ucx_cs_many: listen failed\n");
        return 1;
    }
    until = now() + 1e9;
    pthread_create(&st, NULL, server_loop, &until);
    for (i = 0; i < threads; i++) {
        pthread_create(&tid[i], NULL, client, NULL);
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    for (double end = now() + 20; naccepted < per_thread * threads && now() < end;) {
        ucp_worker_progress(cli);
    }
    for (double end = now() + 0.5; now() < end;) {
        ucp_worker_progress(cli);   /* let the last wireup messages land */
    }
    until = 0;
    pthread_join(st, NULL);
    printf("ucx_cs_many: connected %d accepted %d\n", per_thread * threads - failed, naccepted);
    fflush(stdout);
    ucp_listener_destroy(listener);
    ucp_worker_destroy(cli);
    ucp_worker_destroy(srv);
    ucp_cleanup(ctx);
    return failed == 0 && naccepted == per_thread * threads ? 0 : 1;
}
