/* fabguard pair --listen [HOST:]PORT | --connect HOST:PORT: a real UCX
 * client/server transfer between two hosts or pods. Both sides report the
 * lanes they negotiated (after wireup: measured on UCX 1.13, client/server
 * endpoints have their data lanes only after the first message) and the
 * verdict under the policy; the server sends its lanes to the client. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucp/api/ucp.h>

#include "fabguard/judge.h"
#include "fabguard/json.h"
#include "fabguard/ucx_text.h"
#include "cli.h"

#define TAG_CTRL 0x11ULL
#define TAG_DATA 0x22ULL
#define MAX_SIZES 16

typedef struct {
    ucp_context_h      ctx;
    ucp_worker_h       worker;
    ucp_listener_h     listener;
    ucp_ep_h           ep;
    ucp_conn_request_h conn;
    ucs_status_t       ep_error;
    double             deadline;
    const char        *step;
    char               where[300];
} pair_t;

typedef struct { size_t size; double lat_us, bw_mbs; } result_t;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_conn(ucp_conn_request_h req, void *arg) { ((pair_t *)arg)->conn = req; }
static void on_ep_error(void *arg, ucp_ep_h ep, ucs_status_t st) { (void)ep; ((pair_t *)arg)->ep_error = st; }

/* Drive a request to completion before the deadline; 0 or -1. */
static int wait_req(pair_t *p, void *req)
{
    if (req == NULL) return 0;
    if (UCS_PTR_IS_ERR(req)) { p->ep_error = UCS_PTR_STATUS(req); return -1; }
    while (ucp_request_check_status(req) == UCS_INPROGRESS) {
        ucp_worker_progress(p->worker);
        if (p->ep_error != UCS_OK || now() > p->deadline) {
            ucp_request_cancel(p->worker, req);
            while (ucp_request_check_status(req) == UCS_INPROGRESS) ucp_worker_progress(p->worker);
            ucp_request_free(req);
            if (p->ep_error == UCS_OK) p->ep_error = UCS_ERR_TIMED_OUT;
            return -1;
        }
    }
    if (ucp_request_check_status(req) != UCS_OK && p->ep_error == UCS_OK) p->ep_error = ucp_request_check_status(req);
    ucp_request_free(req);
    return p->ep_error == UCS_OK ? 0 : -1;
}

static int send_buf(pair_t *p, const void *b, size_t n, ucp_tag_t tag)
{
    ucp_request_param_t prm;
    memset(&prm, 0, sizeof(prm));
    return wait_req(p, ucp_tag_send_nbx(p->ep, b, n, tag, &prm));
}

static int recv_buf(pair_t *p, void *b, size_t n, ucp_tag_t tag)
{
    ucp_request_param_t prm;
    memset(&prm, 0, sizeof(prm));
    return wait_req(p, ucp_tag_recv_nbx(p->worker, b, n, tag, ~0ULL, &prm));
}

static int resolve(const char *hostport, int listen, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t cap)
{
    char             host[256] = "", *colon;
    const char      *port;
    struct addrinfo  hints, *ai;
    int              rc;

    fg_strlcpy(host, hostport, sizeof(host));
    colon = strrchr(host, ':');
    if (colon == NULL) {
        if (!listen) { snprintf(err, cap, "expected HOST:PORT, got '%s'", hostport); return -1; }
        port = hostport; host[0] = '\0';
    } else {
        *colon = '\0';
        port = colon + 1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = listen ? AI_PASSIVE : 0;
    if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0) {
        snprintf(err, cap, "cannot resolve '%s': %s", hostport, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

static int lanes_of(ucp_ep_h ep, fg_lane_set_t *lanes)
{
    char      *text = NULL;
    size_t     len = 0;
    FILE      *f = open_memstream(&text, &len);
    fg_error_t e;
    int        rc;

    if (f == NULL) return -1;
    ucp_ep_print_info(ep, f);
    fclose(f);
    rc = fg_ucx_lanes_from_print_info(text, len, lanes, &e);
    free(text);
    return rc;
}

static void lanes_text(const fg_lane_set_t *l, char *out, size_t cap)
{
    fg_sbuf_t sb;
    size_t    i;
    fg_sb_init(&sb, out, cap);
    for (i = 0; i < l->n; i++) {
        if (l->lane[i].device[0] == '\0') continue;   /* connection manager */
        fg_sb_printf(&sb, "%s%s/%s", sb.len ? " " : "", l->lane[i].transport, l->lane[i].device);
    }
}

static void lanes_parse(const char *text, fg_lane_set_t *l)
{
    char buf[2048], *tok, *save = NULL;
    l->n = 0;
    fg_strlcpy(buf, text, sizeof(buf));
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *sl = strchr(tok, '/');
        if (sl) { *sl = '\0'; fg_lane_set_add(l, tok, sl + 1, ""); }
    }
}

static int setup(pair_t *p)
{
    ucp_params_t        prm;
    ucp_worker_params_t wp;

    memset(&prm, 0, sizeof(prm));
    prm.field_mask = UCP_PARAM_FIELD_FEATURES;
    prm.features = UCP_FEATURE_TAG;
    if (ucp_init(&prm, NULL, &p->ctx) != UCS_OK) return -1;
    memset(&wp, 0, sizeof(wp));
    wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    wp.thread_mode = UCS_THREAD_MODE_SINGLE;
    return ucp_worker_create(p->ctx, &wp, &p->worker) == UCS_OK ? 0 : -1;
}

static void teardown(pair_t *p)
{
    if (p->ep) {
        ucp_request_param_t prm;
        void               *req;
        memset(&prm, 0, sizeof(prm));
        prm.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
        prm.flags = UCP_EP_CLOSE_FLAG_FORCE;
        req = ucp_ep_close_nbx(p->ep, &prm);
        if (UCS_PTR_IS_PTR(req) && req) {
            double d = now() + 2;
            while (ucp_request_check_status(req) == UCS_INPROGRESS && now() < d) ucp_worker_progress(p->worker);
            ucp_request_free(req);
        }
        p->ep = NULL;
    }
    if (p->listener) ucp_listener_destroy(p->listener);
    if (p->worker) ucp_worker_destroy(p->worker);
    if (p->ctx) ucp_cleanup(p->ctx);
}

/* Client drives: per size, latency ping-pong then a bandwidth burst. */
static int measure(pair_t *p, int client, const size_t *sizes, int nsizes, result_t *res)
{
    size_t max = 0;
    int    s, i;
    char  *buf;

    for (s = 0; s < nsizes; s++) if (sizes[s] > max) max = sizes[s];
    if ((buf = calloc(1, max)) == NULL) return -1;
    for (s = 0; s < nsizes; s++) {
        int    iters = sizes[s] <= 65536 ? 200 : 20, burst = sizes[s] <= 65536 ? 200 : 16;
        double t0;
        char   ack = 0;
        p->step = "transfer";
        t0 = now();
        for (i = 0; i < iters; i++) {
            if (client ? (send_buf(p, buf, sizes[s], TAG_DATA) || recv_buf(p, buf, sizes[s], TAG_DATA))
                       : (recv_buf(p, buf, sizes[s], TAG_DATA) || send_buf(p, buf, sizes[s], TAG_DATA))) {
                free(buf);
                return -1;
            }
        }
        res[s].size = sizes[s];
        res[s].lat_us = (now() - t0) / iters / 2 * 1e6;
        t0 = now();
        for (i = 0; i < burst; i++) {
            if (client ? send_buf(p, buf, sizes[s], TAG_DATA) : recv_buf(p, buf, sizes[s], TAG_DATA)) { free(buf); return -1; }
        }
        if (client ? recv_buf(p, &ack, 1, TAG_CTRL) : send_buf(p, &ack, 1, TAG_CTRL)) { free(buf); return -1; }
        res[s].bw_mbs = (double)sizes[s] * burst / (now() - t0) / 1e6;
    }
    free(buf);
    return 0;
}

static void report(const char *role, const char *peer, const fg_lane_set_t *mine, const fg_lane_set_t *theirs,
                   const fg_findings_t *f_mine, const fg_findings_t *f_theirs, const result_t *res, int nres, int json)
{
    char   a[1024], b[1024];
    size_t i;

    lanes_text(mine, a, sizeof(a));
    lanes_text(theirs, b, sizeof(b));
    if (json) {
        static char buf[16384];
        fg_sbuf_t   sb;
        int         first = 1;
        fg_sb_init(&sb, buf, sizeof(buf));
        fg_sb_putc(&sb, '{');
        fg_json_kv_str(&sb, &first, "role", role);
        fg_json_kv_str(&sb, &first, "peer", peer);
        fg_json_kv_str(&sb, &first, "local_lanes", a);
        fg_json_kv_str(&sb, &first, "remote_lanes", theirs->n ? b : NULL);
        fg_json_key(&sb, &first, "results");
        fg_sb_putc(&sb, '[');
        for (i = 0; i < (size_t)nres; i++) {
            fg_sb_printf(&sb, "%s{\"size\":%zu,\"latency_us\":%.2f,\"bandwidth_MBps\":%.1f}", i ? "," : "",
                         res[i].size, res[i].lat_us, res[i].bw_mbs);
        }
        fg_sb_puts(&sb, "],\"violations\":[");
        for (i = 0; i < f_mine->n + f_theirs->n; i++) {
            const fg_finding_t *x = i < f_mine->n ? &f_mine->v[i] : &f_theirs->v[i - f_mine->n];
            int f2 = 1;
            fg_sb_puts(&sb, i ? ",{" : "{");
            fg_json_kv_str(&sb, &f2, "side", i < f_mine->n ? "local" : "remote");
            fg_json_kv_str(&sb, &f2, "rule", x->rule);
            fg_json_kv_str(&sb, &f2, "detail", x->detail);
            fg_sb_putc(&sb, '}');
        }
        fg_sb_printf(&sb, "],\"verdict\":\"%s\"}", f_mine->n + f_theirs->n ? "violation" : "ok");
        puts(buf);
        return;
    }
    printf("fabguard pair (%s, peer %s)\n  local lanes   %s\n", role, peer, a);
    if (theirs->n) printf("  remote lanes  %s\n", b);
    if (nres) {
        printf("  %10s %12s %14s\n", "size", "latency us", "bandwidth MB/s");
        for (i = 0; i < (size_t)nres; i++) printf("  %10zu %12.2f %14.1f\n", res[i].size, res[i].lat_us, res[i].bw_mbs);
    }
    for (i = 0; i < f_mine->n; i++) printf("  VIOLATION local: %s (%s) \xe2\x80\x94 %s\n", f_mine->v[i].detail, f_mine->v[i].rule, f_mine->v[i].fix);
    for (i = 0; i < f_theirs->n; i++) printf("  VIOLATION remote: %s (%s)\n", f_theirs->v[i].detail, f_theirs->v[i].rule);
    printf("  verdict: %s\n", f_mine->n + f_theirs->n ? "VIOLATION" : "ok");
}

static const char *getenv_plain(const char *n) { return getenv(n); }

static int usage(FILE *o, int rc)
{
    fprintf(o, "usage: fabguard pair --listen [HOST:]PORT [--keep] | --connect HOST:PORT\n"
               "       [--json] [--timeout SEC (20)] [--policy FILE] [--sizes 8,4096,1048576]\n"
               "A UCX client/server transfer: lanes on both sides, latency and bandwidth per\n"
               "size, verdict under the policy. --listen serves one client (--keep: more) and\n"
               "gives up when none arrives within the timeout.\n"
               "exit: 0 clean, 1 violation or unreachable peer, 2 usage\n");
    return rc;
}

int cmd_pair(int argc, char **argv)
{
    const char             *listen_on = NULL, *connect_to = NULL, *policy = NULL, *sizes_s = "8,4096,65536,1048576,4194304";
    double                  timeout = 20;
    int                     json = 0, keep = 0, i, nsizes = 0, rc = FG_EXIT_OK;
    size_t                  sizes[MAX_SIZES];
    struct sockaddr_storage ss;
    socklen_t               sslen;
    char                    err[512], msg[1024], *tok, sbuf[256], *save = NULL;
    fg_policy_t             pol;
    fg_error_t              perr;
    fg_ifset_t              mgmt;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return usage(stdout, FG_EXIT_OK);
        else if (!strcmp(argv[i], "--listen") && i + 1 < argc) listen_on = argv[++i];
        else if (!strcmp(argv[i], "--connect") && i + 1 < argc) connect_to = argv[++i];
        else if (!strcmp(argv[i], "--policy") && i + 1 < argc) policy = argv[++i];
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) sizes_s = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--keep")) keep = 1;
        else { usage(stderr, 0); return cli_usage_error("pair", "unknown or incomplete option '%s'", argv[i]); }
    }
    if (!!listen_on == !!connect_to || timeout <= 0) {
        usage(stderr, 0);
        return cli_usage_error("pair", "give exactly one of --listen or --connect (and a positive --timeout)");
    }
    fg_strlcpy(sbuf, sizes_s, sizeof(sbuf));
    for (tok = strtok_r(sbuf, ",", &save); tok && nsizes < MAX_SIZES; tok = strtok_r(NULL, ",", &save)) {
        char *e;
        long  v = strtol(tok, &e, 10);
        if (*e || v <= 0 || v > (1L << 30)) return cli_usage_error("pair", "bad size '%s'", tok);
        sizes[nsizes++] = (size_t)v;
    }
    if (fg_policy_load(&pol, policy, getenv_plain, &perr) < 0) {
        fg_error_format(&perr, msg, sizeof(msg));
        return cli_usage_error("pair", "%s", msg);
    }
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(&pol, NULL, &mgmt);
    if (resolve(listen_on ? listen_on : connect_to, !!listen_on, &ss, &sslen, err, sizeof(err)) < 0) {
        fprintf(stderr, "fabguard pair: step resolve: %s\n", err);
        return listen_on ? FG_EXIT_USAGE : FG_EXIT_VIOLATION;
    }
    do {
        pair_t           p;
        ucp_ep_params_t  ep;
        fg_lane_set_t    mine, theirs;
        fg_findings_t    fm, ft;
        result_t         res[MAX_SIZES];
        char             lt[2048] = "", peer[300];
        uint32_t         n32;

        memset(&p, 0, sizeof(p));
        memset(&fm, 0, sizeof(fm));
        memset(&ft, 0, sizeof(ft));
        theirs.n = 0;
        fg_strlcpy(peer, listen_on ? "(waiting)" : connect_to, sizeof(peer));
        p.step = "setup";
        if (setup(&p) < 0) { fprintf(stderr, "fabguard pair: UCX initialisation failed\n"); teardown(&p); return FG_EXIT_VIOLATION; }
        p.deadline = now() + timeout;
        memset(&ep, 0, sizeof(ep));
        ep.field_mask = UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER;
        ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
        ep.err_handler.cb = on_ep_error;
        ep.err_handler.arg = &p;
        if (listen_on) {
            ucp_listener_params_t lp;
            memset(&lp, 0, sizeof(lp));
            lp.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
            lp.sockaddr.addr = (struct sockaddr *)&ss;
            lp.sockaddr.addrlen = sslen;
            lp.conn_handler.cb = on_conn;
            lp.conn_handler.arg = &p;
            p.step = "listen";
            if (ucp_listener_create(p.worker, &lp, &p.listener) != UCS_OK) {
                fprintf(stderr, "fabguard pair: step listen: cannot listen on %s\n", listen_on);
                teardown(&p);
                return FG_EXIT_USAGE;
            }
            if (!json) { printf("fabguard pair: listening on %s\n", listen_on); fflush(stdout); }
            while (p.conn == NULL && now() < p.deadline) ucp_worker_progress(p.worker);
            if (p.conn == NULL) {
                fprintf(stderr, "fabguard pair: step connect: no client reached %s within %.0f s\n", listen_on, timeout);
                teardown(&p);
                return FG_EXIT_VIOLATION;
            }
            {
                ucp_conn_request_attr_t ca;
                ca.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
                if (ucp_conn_request_query(p.conn, &ca) == UCS_OK) {
                    struct sockaddr_in *sin = (struct sockaddr_in *)&ca.client_address;
                    snprintf(peer, sizeof(peer), "%s:%u", inet_ntoa(sin->sin_addr), ntohs(sin->sin_port));
                }
            }
            ep.field_mask |= UCP_EP_PARAM_FIELD_CONN_REQUEST;
            ep.conn_request = p.conn;
        } else {
            ep.field_mask |= UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR;
            ep.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
            ep.sockaddr.addr = (struct sockaddr *)&ss;
            ep.sockaddr.addrlen = sslen;
        }
        p.step = "connect";
        if (ucp_ep_create(p.worker, &ep, &p.ep) != UCS_OK) {
            fprintf(stderr, "fabguard pair: step connect: cannot create an endpoint to %s\n", peer);
            teardown(&p);
            return FG_EXIT_VIOLATION;
        }
        /* wireup: one message each way, then the lanes are final */
        p.step = "wireup";
        n32 = 1;
        if ((listen_on ? recv_buf(&p, &n32, 4, TAG_CTRL) || send_buf(&p, &n32, 4, TAG_CTRL)
                       : send_buf(&p, &n32, 4, TAG_CTRL) || recv_buf(&p, &n32, 4, TAG_CTRL))) {
            fprintf(stderr, "fabguard pair: step wireup: %s did not answer: %s\n", peer, ucs_status_string(p.ep_error));
            teardown(&p);
            rc = FG_EXIT_VIOLATION;
            if (!keep) return rc;
            continue;
        }
        lanes_of(p.ep, &mine);
        fg_judge_ucx_lanes(&pol, &mgmt, &mine, &fm);
        lanes_text(&mine, lt, sizeof(lt));
        if (measure(&p, !listen_on, sizes, nsizes, res) < 0) {
            fprintf(stderr, "fabguard pair: step transfer with %s failed: %s\n", peer, ucs_status_string(p.ep_error));
            teardown(&p);
            return FG_EXIT_VIOLATION;
        }
        /* the server tells the client which lanes it negotiated */
        p.step = "lanes";
        {
            char remote[2048] = "";
            if (listen_on) {
                send_buf(&p, lt, sizeof(lt), TAG_CTRL);
            } else if (recv_buf(&p, remote, sizeof(remote), TAG_CTRL) == 0) {
                remote[sizeof(remote) - 1] = '\0';
                lanes_parse(remote, &theirs);
                fg_judge_ucx_lanes(&pol, NULL, &theirs, &ft);   /* its management NIC is judged there */
            }
        }
        report(listen_on ? "server" : "client", peer, &mine, &theirs, &fm, &ft, res, nsizes, json);
        if (fm.n + ft.n) rc = FG_EXIT_VIOLATION;
        fflush(stdout);
        {
            double d = now() + 0.5;   /* let the last message reach the peer */
            while (now() < d) ucp_worker_progress(p.worker);
        }
        teardown(&p);
    } while (keep);
    fg_policy_free(&pol);
    return rc;
}
