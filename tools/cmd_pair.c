/* fabguard pair --listen [HOST:]PORT | --connect HOST:PORT: a real UCX
 * client/server transfer between two hosts or pods. Both sides report the
 * lanes they negotiated (after wireup: measured on UCX 1.13, client/server
 * endpoints have their data lanes only after the first message) and the
 * verdict under the policy; the server sends its lanes and memory kind to
 * the client. Buffers are in GPU memory when CUDA is there (pair_mem.c), and
 * the last transfer is checked byte for byte on the receiving side. */
#include <arpa/inet.h>
#include <endian.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ucp/api/ucp.h>

#include "fabguard/judge.h"
#include "fabguard/json.h"
#include "fabguard/ucx_ep_lanes.h"
#include "fabguard/sysread.h"
#include "cli.h"
#include "pair_mem.h"

#define TAG_CTRL 0x11ULL
#define TAG_DATA 0x22ULL
#define TAG_VERIFY 0x33ULL
#define MAX_SIZES 16

typedef struct {
    ucp_context_h      ctx;
    ucp_worker_h       worker;
    ucp_listener_h     listener;
    ucp_ep_h           ep;
    ucp_conn_request_h conn;
    ucs_status_t       ep_error;
    double             deadline;
    int                busy;     /* a client is being served */
    pair_mem_t         mem;
    void              *buf;      /* in mem; the largest size */
    size_t             buf_len;
} pair_t;

typedef struct { size_t size; double lat_us, bw_mbs; } result_t;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One client at a time: a second one is turned away, not queued. */
static void on_conn(ucp_conn_request_h req, void *arg)
{
    pair_t *p = arg;
    if (p->busy || p->conn != NULL) ucp_listener_reject(p->listener, req);
    else p->conn = req;
}
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

/* Control messages live in host memory; data in p->mem, whose type UCX is
 * told so it never has to guess (guessing needs its memory hooks). */
static void param_for(ucp_request_param_t *prm, ucs_memory_type_t mt)
{
    memset(prm, 0, sizeof(*prm));
    if (mt != UCS_MEMORY_TYPE_HOST) {
        prm->op_attr_mask = UCP_OP_ATTR_FIELD_MEMORY_TYPE;
        prm->memory_type = mt;
    }
}

static int send_mem(pair_t *p, const void *b, size_t n, ucp_tag_t tag, ucs_memory_type_t mt)
{
    ucp_request_param_t prm;
    param_for(&prm, mt);
    return wait_req(p, ucp_tag_send_nbx(p->ep, b, n, tag, &prm));
}

static int recv_mem(pair_t *p, void *b, size_t n, ucp_tag_t tag, ucs_memory_type_t mt)
{
    ucp_request_param_t prm;
    param_for(&prm, mt);
    return wait_req(p, ucp_tag_recv_nbx(p->worker, b, n, tag, ~0ULL, &prm));
}

static int send_buf(pair_t *p, const void *b, size_t n, ucp_tag_t tag) { return send_mem(p, b, n, tag, UCS_MEMORY_TYPE_HOST); }
static int recv_buf(pair_t *p, void *b, size_t n, ucp_tag_t tag) { return recv_mem(p, b, n, tag, UCS_MEMORY_TYPE_HOST); }
static int send_data(pair_t *p, size_t n, ucp_tag_t tag) { return send_mem(p, p->buf, n, tag, p->mem.type); }
static int recv_data(pair_t *p, size_t n, ucp_tag_t tag) { return recv_mem(p, p->buf, n, tag, p->mem.type); }

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

/* The shim's lane model: ucp_ep_query on UCX >= 1.14, else print_info. */
static int lanes_of(ucp_ep_h ep, fg_lane_set_t *lanes)
{
    fg_ucx_ep_api_t api;
    unsigned        rel;

    ucp_get_version(&api.major, &api.minor, &rel);
    api.ep_query = (int (*)(void *, void *))(void (*)(void))ucp_ep_query;
    api.ep_print_info = (void (*)(void *, FILE *))ucp_ep_print_info;
    return fg_ucx_ep_lanes(&api, ep, lanes);
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

static void close_ep(pair_t *p)
{
    ucp_request_param_t prm;
    void               *req;

    if (p->ep == NULL) return;
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

static void teardown(pair_t *p)
{
    close_ep(p);
    if (p->listener) ucp_listener_destroy(p->listener);
    if (p->worker) ucp_worker_destroy(p->worker);
    if (p->buf) pair_mem_free(&p->mem, p->buf);
    pair_mem_release(&p->mem);
    if (p->ctx) ucp_cleanup(p->ctx);
}

/* Client drives: per size, latency ping-pong then a bandwidth burst. */
static int measure(pair_t *p, int client, const size_t *sizes, int nsizes, result_t *res)
{
    int s, i;

    for (s = 0; s < nsizes; s++) {
        int    iters = sizes[s] <= 65536 ? 200 : 20, burst = sizes[s] <= 65536 ? 200 : 16;
        double t0 = now();
        char   ack = 0;
        for (i = 0; i < iters; i++) {
            if (client ? (send_data(p, sizes[s], TAG_DATA) || recv_data(p, sizes[s], TAG_DATA))
                       : (recv_data(p, sizes[s], TAG_DATA) || send_data(p, sizes[s], TAG_DATA))) return -1;
        }
        res[s].size = sizes[s];
        res[s].lat_us = (now() - t0) / iters / 2 * 1e6;
        t0 = now();
        for (i = 0; i < burst; i++) {
            if (client ? send_data(p, sizes[s], TAG_DATA) : recv_data(p, sizes[s], TAG_DATA)) return -1;
        }
        if (client ? recv_buf(p, &ack, 1, TAG_CTRL) : send_buf(p, &ack, 1, TAG_CTRL)) return -1;
        res[s].bw_mbs = (double)sizes[s] * burst / (now() - t0) / 1e6;
    }
    return 0;
}

static unsigned char pattern_byte(size_t i) { return (unsigned char)(i * 131 + 7 + (i >> 12)); }

/* The client sends a known pattern of the largest size from its buffer;
 * the server reads its buffer back through the host and compares. Proves
 * the bytes arrived, in whichever memory each side uses. 0 verified, -1
 * transport error, 1 mismatch (WHY says where). */
static int verify(pair_t *p, int client, char *why, size_t cap)
{
    unsigned char *host = malloc(p->buf_len), verdict = 0;
    size_t         i, bad = 0, first = 0;
    int            rc = -1;

    if (host == NULL) { snprintf(why, cap, "out of memory"); return -1; }
    if (client) {
        for (i = 0; i < p->buf_len; i++) host[i] = pattern_byte(i);
        if (pair_mem_put(&p->mem, p->buf, host, p->buf_len, why, cap) == 0 && send_data(p, p->buf_len, TAG_VERIFY) == 0 &&
            recv_buf(p, &verdict, 1, TAG_CTRL) == 0) {
            rc = verdict ? 0 : 1;
            if (verdict == 0) snprintf(why, cap, "the peer received different bytes than were sent");
        }
    } else if (recv_data(p, p->buf_len, TAG_VERIFY) == 0 && pair_mem_get(&p->mem, host, p->buf, p->buf_len, why, cap) == 0) {
        for (i = 0; i < p->buf_len; i++) {
            if (host[i] != pattern_byte(i) && bad++ == 0) first = i;
        }
        verdict = bad == 0;
        if (bad) snprintf(why, cap, "%zu of %zu bytes differ, the first at offset %zu", bad, p->buf_len, first);
        rc = send_buf(p, &verdict, 1, TAG_CTRL) < 0 ? -1 : bad ? 1 : 0;
    }
    free(host);
    return rc;
}

typedef struct {
    const char *role;
    char        peer[300];
    char        local_mem[256], remote_mem[256];
    const char *local_kind, *remote_kind, *mem_note, *gpu;
    size_t      verified;
} pair_info_t;

static void report_json(const pair_info_t *in, const char *a, const char *b, int have_remote, const fg_findings_t *f_mine,
                        const fg_findings_t *f_theirs, const result_t *res, int nres)
{
    static char buf[16384];
    fg_sbuf_t   sb;
    int         first = 1;
    size_t      i;

    fg_sb_init(&sb, buf, sizeof(buf));
    fg_sb_putc(&sb, '{');
    fg_json_kv_str(&sb, &first, "role", in->role);
    fg_json_kv_str(&sb, &first, "peer", in->peer);
    fg_json_kv_str(&sb, &first, "local_lanes", a);
    fg_json_kv_str(&sb, &first, "remote_lanes", have_remote ? b : NULL);
    fg_json_kv_str(&sb, &first, "local_memory", in->local_kind);
    fg_json_kv_str(&sb, &first, "remote_memory", in->remote_kind);
    fg_json_kv_str(&sb, &first, "gpu", in->gpu);
    fg_json_kv_str(&sb, &first, "memory_note", in->mem_note[0] ? in->mem_note : NULL);
    fg_sb_printf(&sb, ",\"verified_bytes\":%zu", in->verified);
    fg_json_key(&sb, &first, "results");
    fg_sb_putc(&sb, '[');
    for (i = 0; i < (size_t)nres; i++) {
        fg_sb_printf(&sb, "%s{\"size\":%zu,\"latency_us\":%.2f,\"bandwidth_MBps\":%.1f}", i ? "," : "", res[i].size,
                     res[i].lat_us, res[i].bw_mbs);
    }
    fg_sb_puts(&sb, "],\"violations\":[");
    for (i = 0; i < f_mine->n + f_theirs->n; i++) {
        const fg_finding_t *x = i < f_mine->n ? &f_mine->v[i] : &f_theirs->v[i - f_mine->n];
        int                 f2 = 1;
        fg_sb_puts(&sb, i ? ",{" : "{");
        fg_json_kv_str(&sb, &f2, "side", i < f_mine->n ? "local" : "remote");
        fg_json_kv_str(&sb, &f2, "rule", x->rule);
        fg_json_kv_str(&sb, &f2, "detail", x->detail);
        fg_sb_putc(&sb, '}');
    }
    fg_sb_printf(&sb, "],\"verdict\":\"%s\"}", f_mine->n + f_theirs->n ? "violation" : "ok");
    puts(buf);
}

static void report(const pair_info_t *in, const fg_lane_set_t *mine, const fg_lane_set_t *theirs,
                   const fg_findings_t *f_mine, const fg_findings_t *f_theirs, const result_t *res, int nres, int json)
{
    char   a[1024], b[1024];
    size_t i;

    lanes_text(mine, a, sizeof(a));
    lanes_text(theirs, b, sizeof(b));
    if (json) { report_json(in, a, b, theirs->n > 0, f_mine, f_theirs, res, nres); return; }
    printf("fabguard pair (%s, peer %s)\n  local lanes   %s\n", in->role, in->peer, a);
    if (theirs->n) printf("  remote lanes  %s\n", b);
    printf("  memory        local %s, remote %s\n", in->local_mem, in->remote_mem);
    if (in->mem_note[0]) printf("  note          %s\n", in->mem_note);
    if (nres) {
        printf("  %10s %12s %14s\n", "size", "latency us", "bandwidth MB/s");
        for (i = 0; i < (size_t)nres; i++) printf("  %10zu %12.2f %14.1f\n", res[i].size, res[i].lat_us, res[i].bw_mbs);
        printf("  data          %zu bytes verified on the receiving side\n", in->verified);
    }
    for (i = 0; i < f_mine->n; i++) printf("  VIOLATION local: %s (%s) \xe2\x80\x94 %s\n", f_mine->v[i].detail, f_mine->v[i].rule, f_mine->v[i].fix);
    for (i = 0; i < f_theirs->n; i++) printf("  VIOLATION remote: %s (%s)\n", f_theirs->v[i].detail, f_theirs->v[i].rule);
    printf("  verdict: %s\n", f_mine->n + f_theirs->n ? "VIOLATION" : "ok");
}


static int usage(FILE *o, int rc)
{
    fprintf(o, "usage: fabguard pair --listen [HOST:]PORT [--keep] | --connect HOST:PORT\n"
               "       [--json] [--timeout SEC (20)] [--policy FILE] [--sizes 8,4096,1048576 (client)]\n"
               "       [--mem auto|host|cuda (auto)] [--gpu N (0)] [--cudart LIB]\n"
               "A UCX client/server transfer: lanes on both sides, latency and bandwidth per\n"
               "size, the last transfer verified byte for byte, verdict under the policy.\n"
               "Buffers are in GPU memory when the CUDA runtime finds GPU N and this UCX can\n"
               "move GPU memory (auto; --mem cuda fails otherwise). --listen serves one\n"
               "client (--keep: more) and gives up when none arrives within the timeout.\n"
               "exit: 0 clean, 1 violation, unreachable peer or unusable GPU memory, 2 usage\n");
    return rc;
}

typedef struct {
    const char             *listen_on, *connect_to, *policy, *cudart;
    double                  timeout, start;   /* a client's whole run fits in the timeout */
    int                     json, keep, gpu, nsizes;
    pair_mem_mode_t         mem_mode;
    size_t                  sizes[MAX_SIZES];
    fg_policy_t             pol;
    fg_ifset_t              mgmt;
    struct sockaddr_storage ss;
    socklen_t               sslen;
} opts_t;

/* The server listens once for all its clients (a listener re-created on
 * the same port right after the last one may find it still taken). */
static int start_listener(pair_t *p, const opts_t *o)
{
    ucp_listener_params_t lp;

    memset(&lp, 0, sizeof(lp));
    lp.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
    lp.sockaddr.addr = (const struct sockaddr *)&o->ss;
    lp.sockaddr.addrlen = o->sslen;
    lp.conn_handler.cb = on_conn;
    lp.conn_handler.arg = p;
    if (ucp_listener_create(p->worker, &lp, &p->listener) != UCS_OK) {
        fprintf(stderr, "fabguard pair: step listen: cannot listen on %s\n", o->listen_on);
        return -1;
    }
    if (!o->json) { printf("fabguard pair: listening on %s\n", o->listen_on); fflush(stdout); }
    return 0;
}

/* Accept the next client (server) or connect (client) and create the
 * endpoint; the message names the step and the address. */
static int open_endpoint(pair_t *p, const opts_t *o, char *peer, size_t peer_cap)
{
    ucp_ep_params_t ep;

    memset(&ep, 0, sizeof(ep));
    ep.field_mask = UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER;
    ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
    ep.err_handler.cb = on_ep_error;
    ep.err_handler.arg = p;
    if (o->listen_on) {
        ucp_conn_request_attr_t ca;
        while (p->conn == NULL && now() < p->deadline) ucp_worker_progress(p->worker);
        if (p->conn == NULL) {
            fprintf(stderr, "fabguard pair: step connect: no client reached %s within %.0f s\n", o->listen_on, o->timeout);
            return -1;
        }
        ca.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
        if (ucp_conn_request_query(p->conn, &ca) == UCS_OK) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ca.client_address;
            snprintf(peer, peer_cap, "%s:%u", inet_ntoa(sin->sin_addr), ntohs(sin->sin_port));
        }
        ep.field_mask |= UCP_EP_PARAM_FIELD_CONN_REQUEST;
        ep.conn_request = p->conn;
        p->conn = NULL;
        p->busy = 1;
    } else {
        ep.field_mask |= UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR;
        ep.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
        ep.sockaddr.addr = (const struct sockaddr *)&o->ss;
        ep.sockaddr.addrlen = o->sslen;
    }
    if (ucp_ep_create(p->worker, &ep, &p->ep) != UCS_OK) {
        fprintf(stderr, "fabguard pair: step connect: cannot create an endpoint to %s\n", peer);
        return -1;
    }
    return 0;
}

/* Each side tells the other its lanes and memory, "LANES\nMEMORY": the
 * server first, then the client. */
static void exchange(pair_t *p, int server, const char *lanes, pair_info_t *in, fg_lane_set_t *theirs)
{
    char mine[2048], msg[2048] = "", *nl;

    snprintf(mine, sizeof(mine), "%s\n%s", lanes, in->local_mem);
    if (server && send_buf(p, mine, sizeof(mine), TAG_CTRL) != 0) return;
    if (recv_buf(p, msg, sizeof(msg), TAG_CTRL) != 0) return;
    if (!server) send_buf(p, mine, sizeof(mine), TAG_CTRL);
    msg[sizeof(msg) - 1] = '\0';
    if ((nl = strchr(msg, '\n')) != NULL) {
        *nl = '\0';
        fg_strlcpy(in->remote_mem, nl + 1, sizeof(in->remote_mem));
        in->remote_kind = strncmp(nl + 1, "cuda", 4) ? "host" : "cuda";
    }
    lanes_parse(msg, theirs);
}

/* The wireup message: a version tag and the client's sizes, big-endian. */
#define PLAN_MAGIC 0x66677031u   /* "fgp1" */
typedef struct {
    uint32_t magic, n;
    uint64_t size[MAX_SIZES];
} plan_t;

static void plan_from(plan_t *pl, const size_t *sizes, int n)
{
    int i;
    memset(pl, 0, sizeof(*pl));
    pl->magic = htonl(PLAN_MAGIC);
    pl->n = htonl((uint32_t)n);
    for (i = 0; i < n; i++) pl->size[i] = htobe64(sizes[i]);
}

/* The sizes, or -1 when the message is not one of ours. */
static int plan_sizes(const plan_t *pl, size_t *sizes)
{
    uint32_t i, n = ntohl(pl->n);
    if (ntohl(pl->magic) != PLAN_MAGIC || n == 0 || n > MAX_SIZES) return -1;
    for (i = 0; i < n; i++) {
        sizes[i] = (size_t)be64toh(pl->size[i]);
        if (sizes[i] == 0 || sizes[i] > (1UL << 30)) return -1;
    }
    return (int)n;
}

/* What a peer that is not listening (yet) looks like to the client. */
static int refused(ucs_status_t st)
{
    return st == UCS_ERR_NOT_CONNECTED || st == UCS_ERR_UNREACHABLE || st == UCS_ERR_CONNECTION_RESET ||
           st == UCS_ERR_REJECTED;
}

/* Connect and wire up: one message each way, then the lanes are final; the
 * client's message carries the sizes, so the server follows the client. A
 * client whose peer refuses (a pod still starting) tries again until the
 * deadline. 0, or -1 after saying which step failed. */
static int wireup(pair_t *p, const opts_t *o, pair_info_t *in, plan_t *plan, int *retry)
{
    double pause = 0.1, t0 = now(), until;
    int    attempts = 0;

    for (;;) {
        p->ep_error = UCS_OK;
        if (open_endpoint(p, o, in->peer, sizeof(in->peer)) < 0) return -1;
        plan_from(plan, o->sizes, o->nsizes);
        attempts++;
        if (o->listen_on ? !(recv_buf(p, plan, sizeof(*plan), TAG_CTRL) || send_buf(p, plan, sizeof(*plan), TAG_CTRL))
                         : !(send_buf(p, plan, sizeof(*plan), TAG_CTRL) || recv_buf(p, plan, sizeof(*plan), TAG_CTRL))) {
            return 0;
        }
        if (o->listen_on || !refused(p->ep_error) || now() + pause >= p->deadline) break;
        close_ep(p);
        for (until = now() + pause; now() < until; usleep(10000)) ucp_worker_progress(p->worker);
        pause = pause < 0.5 ? pause * 2 : 1.0;
    }
    *retry = 1;
    if (!o->listen_on && refused(p->ep_error)) {
        fprintf(stderr, "fabguard pair: step connect: %s refused the connection for %.1f s (%d attempts): %s\n", in->peer,
                now() - t0, attempts, ucs_status_string(p->ep_error));
    } else {
        fprintf(stderr, "fabguard pair: step wireup: %s did not answer: %s\n", in->peer, ucs_status_string(p->ep_error));
    }
    return -1;
}

/* One client, from connection to report, on the run's context and worker.
 * Returns the exit status; *retry is set when --keep should go on serving
 * after a client that went away. */
static int session(pair_t *p, const opts_t *o, int *retry)
{
    fg_lane_set_t mine, theirs;
    fg_findings_t fm, ft;
    result_t      res[MAX_SIZES];
    pair_info_t   in;
    char          lt[1024] = "", why[768] = "";
    plan_t        plan;
    size_t        sizes[MAX_SIZES];
    int           rc = FG_EXIT_VIOLATION, s, v, nsizes;

    memset(&fm, 0, sizeof(fm));
    memset(&ft, 0, sizeof(ft));
    memset(&in, 0, sizeof(in));
    theirs.n = 0;
    *retry = 0;
    p->ep_error = UCS_OK;
    in.role = o->listen_on ? "server" : "client";
    fg_strlcpy(in.peer, o->listen_on ? "(waiting)" : o->connect_to, sizeof(in.peer));
    fg_strlcpy(in.remote_mem, "unknown", sizeof(in.remote_mem));
    pair_mem_describe(&p->mem, in.local_mem, sizeof(in.local_mem));
    in.local_kind = pair_mem_kind(&p->mem);
    in.gpu = p->mem.cuda ? fg_cuda_describe(p->mem.cuda) : NULL;
    in.mem_note = p->mem.note;
    p->deadline = (o->listen_on ? now() : o->start) + o->timeout;
    if (wireup(p, o, &in, &plan, retry) < 0) goto out;
    if ((nsizes = plan_sizes(&plan, sizes)) < 0) {
        fprintf(stderr, "fabguard pair: step wireup: %s is not a fabguard pair of this version\n", in.peer);
        *retry = 1;
        goto out;
    }
    for (s = 0, p->buf_len = 0; s < nsizes; s++) if (sizes[s] > p->buf_len) p->buf_len = sizes[s];
    if ((p->buf = pair_mem_alloc(&p->mem, p->buf_len, why, sizeof(why))) == NULL) {
        fprintf(stderr, "fabguard pair: step memory: %s\n", why);
        goto out;
    }
    lanes_of(p->ep, &mine);
    fg_judge_ucx_lanes(&o->pol, &o->mgmt, &mine, &fm);
    lanes_text(&mine, lt, sizeof(lt));
    if (measure(p, !o->listen_on, sizes, nsizes, res) < 0) {
        fprintf(stderr, "fabguard pair: step transfer with %s failed: %s\n", in.peer, ucs_status_string(p->ep_error));
        goto out;
    }
    if ((v = verify(p, !o->listen_on, why, sizeof(why))) != 0) {
        fprintf(stderr, "fabguard pair: step verify with %s: %s\n", in.peer, v < 0 && !why[0] ? ucs_status_string(p->ep_error) : why);
        goto out;
    }
    in.verified = p->buf_len;
    exchange(p, !!o->listen_on, lt, &in, &theirs);
    if (theirs.n) fg_judge_ucx_lanes(&o->pol, NULL, &theirs, &ft);   /* its management NIC is judged there */
    report(&in, &mine, &theirs, &fm, &ft, res, nsizes, o->json);
    rc = fm.n + ft.n ? FG_EXIT_VIOLATION : FG_EXIT_OK;
    fflush(stdout);
    {
        double d = now() + 0.5;   /* let the last message reach the peer */
        while (now() < d) ucp_worker_progress(p->worker);
    }
out:
    close_ep(p);
    if (p->buf) pair_mem_free(&p->mem, p->buf);
    p->buf = NULL;
    p->busy = 0;
    return rc;
}

/* The whole run: UCX, memory and (server) the listener once; then one
 * session, or one per client with --keep. */
static int run(const opts_t *o)
{
    pair_t p;
    char   why[768];
    int    rc = FG_EXIT_VIOLATION, retry;

    memset(&p, 0, sizeof(p));
    if (setup(&p) < 0) {
        fprintf(stderr, "fabguard pair: UCX initialisation failed\n");
    } else if (pair_mem_choose(&p.mem, p.ctx, o->mem_mode, o->gpu, o->cudart, why, sizeof(why)) < 0) {
        fprintf(stderr, "fabguard pair: step memory: %s\n", why);
    } else if (o->listen_on && start_listener(&p, o) < 0) {
        rc = FG_EXIT_USAGE;
    } else {
        rc = FG_EXIT_OK;
        do {
            int one = session(&p, o, &retry);
            if (one != FG_EXIT_OK) rc = one;
            if (one != FG_EXIT_OK && !retry) break;   /* --keep goes on only after a client that went away */
        } while (o->keep);
    }
    teardown(&p);
    return rc;
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    const char *sizes_s = "8,4096,65536,1048576,4194304", *mem = "auto";
    char        sbuf[256], *tok, *save = NULL, *e;
    int         i;

    memset(o, 0, sizeof(*o));
    o->timeout = 20;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc) o->listen_on = argv[++i];
        else if (!strcmp(argv[i], "--connect") && i + 1 < argc) o->connect_to = argv[++i];
        else if (!strcmp(argv[i], "--policy") && i + 1 < argc) o->policy = argv[++i];
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) sizes_s = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) o->timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "--mem") && i + 1 < argc) mem = argv[++i];
        else if (!strcmp(argv[i], "--cudart") && i + 1 < argc) o->cudart = argv[++i];
        else if (!strcmp(argv[i], "--gpu") && i + 1 < argc) {
            long g = strtol(argv[++i], &e, 10);
            if (*e || e == argv[i] || g < 0 || g > 1023) return cli_usage_error("pair", "bad GPU index '%s'", argv[i]);
            o->gpu = (int)g;
        }
        else if (!strcmp(argv[i], "--json")) o->json = 1;
        else if (!strcmp(argv[i], "--keep")) o->keep = 1;
        else { usage(stderr, 0); return cli_usage_error("pair", "unknown or incomplete option '%s'", argv[i]); }
    }
    if (!!o->listen_on == !!o->connect_to || !(o->timeout > 0)) {
        usage(stderr, 0);
        return cli_usage_error("pair", "give exactly one of --listen or --connect (and a positive --timeout)");
    }
    if (o->keep && o->connect_to) return cli_usage_error("pair", "--keep is for --listen (a server serving client after client)");
    if (pair_mem_mode_parse(mem, &o->mem_mode) < 0) return cli_usage_error("pair", "--mem takes auto, host or cuda, not '%s'", mem);
    fg_strlcpy(sbuf, sizes_s, sizeof(sbuf));
    for (tok = strtok_r(sbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long v = strtol(tok, &e, 10);
        if (*e || v <= 0 || v > (1L << 30)) return cli_usage_error("pair", "bad size '%s'", tok);
        if (o->nsizes == MAX_SIZES) return cli_usage_error("pair", "at most %d sizes", MAX_SIZES);
        o->sizes[o->nsizes++] = (size_t)v;
    }
    return FG_EXIT_OK;
}

int cmd_pair(int argc, char **argv)
{
    opts_t     o;
    fg_error_t perr;
    char       err[512], msg[1024];
    int        rc;
    double     t0;

    if (cli_wants_help(argc, argv)) return usage(stdout, FG_EXIT_OK);
    if ((rc = parse_opts(argc, argv, &o)) != FG_EXIT_OK) return rc;
    if (fg_policy_load(&o.pol, o.policy, cli_getenv, &perr) < 0) {
        fg_error_format(&perr, msg, sizeof(msg));
        return cli_usage_error("pair", "%s", msg);
    }
    fg_mgmt_ifaces(&o.pol, NULL, &o.mgmt);
    /* a client retries until the timeout: a peer pod's DNS name appears
     * only once that pod runs */
    t0 = o.start = now();
    while ((rc = resolve(o.listen_on ? o.listen_on : o.connect_to, !!o.listen_on, &o.ss, &o.sslen, err, sizeof(err))) < 0 &&
           !o.listen_on && now() + 0.25 < t0 + o.timeout) {
        usleep(250000);
    }
    if (rc < 0) {
        fprintf(stderr, "fabguard pair: step resolve: %s\n", err);
        fg_policy_free(&o.pol);
        return o.listen_on ? FG_EXIT_USAGE : FG_EXIT_VIOLATION;
    }
    rc = run(&o);
    fg_policy_free(&o.pol);
    return rc;
}
