/* `fabguard pair`, split by job: the UCX transfer (pair_xfer.c), the
 * report (pair_report.c) and the command (cmd_pair.c). */
#ifndef FG_TOOLS_PAIR_H
#define FG_TOOLS_PAIR_H

#include <stddef.h>
#include <sys/socket.h>
#include <ucp/api/ucp.h>

#include "fabguard/finding.h"
#include "fabguard/lanes.h"
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

typedef struct {
    const char *role;
    char        peer[300];
    char        local_mem[256], remote_mem[256];
    const char *local_kind, *remote_kind, *mem_note, *gpu;
    size_t      verified;
} pair_info_t;

/* Monotonic seconds. */
double pair_now(void);
/* Listener callback: one client at a time. */
void pair_on_conn(ucp_conn_request_h req, void *arg);
/* Endpoint error callback: remembers the status. */
void pair_on_ep_error(void *arg, ucp_ep_h ep, ucs_status_t st);
/* Control messages (host memory); 0 or -1 by the deadline. */
int pair_send_buf(pair_t *p, const void *b, size_t n, ucp_tag_t tag);
int pair_recv_buf(pair_t *p, void *b, size_t n, ucp_tag_t tag);
/* HOST:PORT (or [HOST:]PORT to listen) to an address; -1 with ERR. */
int pair_resolve(const char *hostport, int listen, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t cap);
/* The endpoint's lanes in the shim's model. */
int pair_lanes_of(ucp_ep_h ep, fg_lane_set_t *lanes);
/* "tl/dev tl/dev" (data lanes only), and back. */
void pair_lanes_text(const fg_lane_set_t *l, char *out, size_t cap);
void pair_lanes_parse(const char *text, fg_lane_set_t *l);
/* UCX context and worker; close, and tear all down. */
int pair_setup(pair_t *p);
void pair_close_ep(pair_t *p);
void pair_teardown(pair_t *p);
/* Per size: latency ping-pong, then a bandwidth burst (client drives). */
int pair_measure(pair_t *p, int client, const size_t *sizes, int nsizes, result_t *res);
/* The last transfer checked byte for byte on the receiving side: 0 ok, 1 bad, -1 failed. */
int pair_verify(pair_t *p, int client, char *why, size_t cap);
/* Lanes, memory, results and the findings of both sides: text or JSON. */
void pair_report(const pair_info_t *in, const fg_lane_set_t *mine, const fg_lane_set_t *theirs, const fg_findings_t *f_mine, const fg_findings_t *f_theirs, const result_t *res, int nres, int json);

#endif
