/* `fabguard pair`: the transfer itself. A real UCX client/server over the
 * run's context and worker, tag messages for control, data in the chosen
 * memory, and the last transfer checked byte for byte. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ucp/api/ucp.h>

#include "fabguard/ucx_ep_lanes.h"
#include "pair.h"

double pair_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One client at a time: a second one is turned away, not queued. */
void pair_on_conn(ucp_conn_request_h req, void *arg)
{
    pair_t *p = arg;
    if (p->busy || p->conn != NULL) ucp_listener_reject(p->listener, req);
    else p->conn = req;
}
void pair_on_ep_error(void *arg, ucp_ep_h ep, ucs_status_t st) { (void)ep; ((pair_t *)arg)->ep_error = st; }

/* Drive a request to completion before the deadline; 0 or -1. */
static int wait_req(pair_t *p, void *req)
{
    if (req == NULL) return 0;
    if (UCS_PTR_IS_ERR(req)) { p->ep_error = UCS_PTR_STATUS(req); return -1; }
    while (ucp_request_check_status(req) == UCS_INPROGRESS) {
        ucp_worker_progress(p->worker);
        if (p->ep_error != UCS_OK || pair_now() > p->deadline) {
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

int pair_send_buf(pair_t *p, const void *b, size_t n, ucp_tag_t tag) { return send_mem(p, b, n, tag, UCS_MEMORY_TYPE_HOST); }
int pair_recv_buf(pair_t *p, void *b, size_t n, ucp_tag_t tag) { return recv_mem(p, b, n, tag, UCS_MEMORY_TYPE_HOST); }
static int send_data(pair_t *p, size_t n, ucp_tag_t tag) { return send_mem(p, p->buf, n, tag, p->mem.type); }
static int recv_data(pair_t *p, size_t n, ucp_tag_t tag) { return recv_mem(p, p->buf, n, tag, p->mem.type); }

int pair_resolve(const char *hostport, int listen, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t cap)
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
int pair_lanes_of(ucp_ep_h ep, fg_lane_set_t *lanes)
{
    fg_ucx_ep_api_t api;
    unsigned        rel;

    ucp_get_version(&api.major, &api.minor, &rel);
    api.ep_query = (int (*)(void *, void *))(void (*)(void))ucp_ep_query;
    api.ep_print_info = (void (*)(void *, FILE *))ucp_ep_print_info;
    return fg_ucx_ep_lanes(&api, ep, lanes);
}

void pair_lanes_text(const fg_lane_set_t *l, char *out, size_t cap)
{
    fg_sbuf_t sb;
    size_t    i;
    fg_sb_init(&sb, out, cap);
    for (i = 0; i < l->n; i++) {
        if (l->lane[i].device[0] == '\0') continue;   /* connection manager */
        fg_sb_printf(&sb, "%s%s/%s", sb.len ? " " : "", l->lane[i].transport, l->lane[i].device);
    }
}

void pair_lanes_parse(const char *text, fg_lane_set_t *l)
{
    char buf[2048], *tok, *save = NULL;
    l->n = 0;
    fg_strlcpy(buf, text, sizeof(buf));
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *sl = strchr(tok, '/');
        if (sl) { *sl = '\0'; fg_lane_set_add(l, tok, sl + 1, ""); }
    }
}

int pair_setup(pair_t *p)
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

void pair_close_ep(pair_t *p)
{
    ucp_request_param_t prm;
    void               *req;

    if (p->ep == NULL) return;
    memset(&prm, 0, sizeof(prm));
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    prm.flags = UCP_EP_CLOSE_FLAG_FORCE;
    req = ucp_ep_close_nbx(p->ep, &prm);
    if (UCS_PTR_IS_PTR(req) && req) {
        double d = pair_now() + 2;
        while (ucp_request_check_status(req) == UCS_INPROGRESS && pair_now() < d) ucp_worker_progress(p->worker);
        ucp_request_free(req);
    }
    p->ep = NULL;
}

void pair_teardown(pair_t *p)
{
    pair_close_ep(p);
    if (p->listener) ucp_listener_destroy(p->listener);
    if (p->worker) ucp_worker_destroy(p->worker);
    if (p->buf) pair_mem_free(&p->mem, p->buf);
    pair_mem_release(&p->mem);
    if (p->ctx) ucp_cleanup(p->ctx);
}

/* Client drives: per size, latency ping-pong then a bandwidth burst. */
int pair_measure(pair_t *p, int client, const size_t *sizes, int nsizes, result_t *res)
{
    int s, i;

    for (s = 0; s < nsizes; s++) {
        int    iters = sizes[s] <= 65536 ? 200 : 20, burst = sizes[s] <= 65536 ? 200 : 16;
        double t0 = pair_now();
        char   ack = 0;
        for (i = 0; i < iters; i++) {
            if (client ? (send_data(p, sizes[s], TAG_DATA) || recv_data(p, sizes[s], TAG_DATA))
                       : (recv_data(p, sizes[s], TAG_DATA) || send_data(p, sizes[s], TAG_DATA))) return -1;
        }
        res[s].size = sizes[s];
        res[s].lat_us = (pair_now() - t0) / iters / 2 * 1e6;
        t0 = pair_now();
        for (i = 0; i < burst; i++) {
            if (client ? send_data(p, sizes[s], TAG_DATA) : recv_data(p, sizes[s], TAG_DATA)) return -1;
        }
        if (client ? pair_recv_buf(p, &ack, 1, TAG_CTRL) : pair_send_buf(p, &ack, 1, TAG_CTRL)) return -1;
        res[s].bw_mbs = (double)sizes[s] * burst / (pair_now() - t0) / 1e6;
    }
    return 0;
}

static unsigned char pattern_byte(size_t i) { return (unsigned char)(i * 131 + 7 + (i >> 12)); }

/* The client sends a known pattern of the largest size from its buffer;
 * the server reads its buffer back through the host and compares. Proves
 * the bytes arrived, in whichever memory each side uses. 0 verified, -1
 * transport error, 1 mismatch (WHY says where). */
int pair_verify(pair_t *p, int client, char *why, size_t cap)
{
    unsigned char *host = malloc(p->buf_len), verdict = 0;
    size_t         i, bad = 0, first = 0;
    int            rc = -1;

    if (host == NULL) { snprintf(why, cap, "out of memory"); return -1; }
    if (client) {
        for (i = 0; i < p->buf_len; i++) host[i] = pattern_byte(i);
        if (pair_mem_put(&p->mem, p->buf, host, p->buf_len, why, cap) == 0 && send_data(p, p->buf_len, TAG_VERIFY) == 0 &&
            pair_recv_buf(p, &verdict, 1, TAG_CTRL) == 0) {
            rc = verdict ? 0 : 1;
            if (verdict == 0) snprintf(why, cap, "the peer received different bytes than were sent");
        }
    } else if (recv_data(p, p->buf_len, TAG_VERIFY) == 0 && pair_mem_get(&p->mem, host, p->buf, p->buf_len, why, cap) == 0) {
        for (i = 0; i < p->buf_len; i++) {
            if (host[i] != pattern_byte(i) && bad++ == 0) first = i;
        }
        verdict = bad == 0;
        if (bad) snprintf(why, cap, "%zu of %zu bytes differ, the first at offset %zu", bad, p->buf_len, first);
        rc = pair_send_buf(p, &verdict, 1, TAG_CTRL) < 0 ? -1 : bad ? 1 : 0;
    }
    free(host);
    return rc;
}
