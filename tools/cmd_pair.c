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
#include "pair.h"

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
    lp.conn_handler.cb = pair_on_conn;
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
    ep.err_handler.cb = pair_on_ep_error;
    ep.err_handler.arg = p;
    if (o->listen_on) {
        ucp_conn_request_attr_t ca;
        while (p->conn == NULL && pair_now() < p->deadline) ucp_worker_progress(p->worker);
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
    if (server && pair_send_buf(p, mine, sizeof(mine), TAG_CTRL) != 0) return;
    if (pair_recv_buf(p, msg, sizeof(msg), TAG_CTRL) != 0) return;
    if (!server) pair_send_buf(p, mine, sizeof(mine), TAG_CTRL);
    msg[sizeof(msg) - 1] = '\0';
    if ((nl = strchr(msg, '\n')) != NULL) {
        *nl = '\0';
        fg_strlcpy(in->remote_mem, nl + 1, sizeof(in->remote_mem));
        in->remote_kind = strncmp(nl + 1, "cuda", 4) ? "host" : "cuda";
    }
    pair_lanes_parse(msg, theirs);
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
    double pause = 0.1, t0 = pair_now(), until;
    int    attempts = 0;

    for (;;) {
        p->ep_error = UCS_OK;
        if (open_endpoint(p, o, in->peer, sizeof(in->peer)) < 0) return -1;
        plan_from(plan, o->sizes, o->nsizes);
        attempts++;
        if (o->listen_on ? !(pair_recv_buf(p, plan, sizeof(*plan), TAG_CTRL) || pair_send_buf(p, plan, sizeof(*plan), TAG_CTRL))
                         : !(pair_send_buf(p, plan, sizeof(*plan), TAG_CTRL) || pair_recv_buf(p, plan, sizeof(*plan), TAG_CTRL))) {
            return 0;
        }
        if (o->listen_on || !refused(p->ep_error) || pair_now() + pause >= p->deadline) break;
        pair_close_ep(p);
        for (until = pair_now() + pause; pair_now() < until; usleep(10000)) ucp_worker_progress(p->worker);
        pause = pause < 0.5 ? pause * 2 : 1.0;
    }
    *retry = 1;
    if (!o->listen_on && refused(p->ep_error)) {
        fprintf(stderr, "fabguard pair: step connect: %s refused the connection for %.1f s (%d attempts): %s\n", in->peer,
                pair_now() - t0, attempts, ucs_status_string(p->ep_error));
    } else {
        fprintf(stderr, "fabguard pair: step wireup: %s did not answer: %s\n", in->peer, ucs_status_string(p->ep_error));
    }
    return -1;
}

/* One client, from connection to pair_report, on the run's context and worker.
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
    p->deadline = (o->listen_on ? pair_now() : o->start) + o->timeout;
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
    pair_lanes_of(p->ep, &mine);
    fg_judge_ucx_lanes(&o->pol, &o->mgmt, &mine, &fm);
    pair_lanes_text(&mine, lt, sizeof(lt));
    if (pair_measure(p, !o->listen_on, sizes, nsizes, res) < 0) {
        fprintf(stderr, "fabguard pair: step transfer with %s failed: %s\n", in.peer, ucs_status_string(p->ep_error));
        goto out;
    }
    if ((v = pair_verify(p, !o->listen_on, why, sizeof(why))) != 0) {
        fprintf(stderr, "fabguard pair: step verify with %s: %s\n", in.peer, v < 0 && !why[0] ? ucs_status_string(p->ep_error) : why);
        goto out;
    }
    in.verified = p->buf_len;
    exchange(p, !!o->listen_on, lt, &in, &theirs);
    if (theirs.n) fg_judge_ucx_lanes(&o->pol, NULL, &theirs, &ft);   /* its management NIC is judged there */
    pair_report(&in, &mine, &theirs, &fm, &ft, res, nsizes, o->json);
    rc = fm.n + ft.n ? FG_EXIT_VIOLATION : FG_EXIT_OK;
    fflush(stdout);
    {
        double d = pair_now() + 0.5;   /* let the last message reach the peer */
        while (pair_now() < d) ucp_worker_progress(p->worker);
    }
out:
    pair_close_ep(p);
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
    if (pair_setup(&p) < 0) {
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
    pair_teardown(&p);
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
    t0 = o.start = pair_now();
    while ((rc = pair_resolve(o.listen_on ? o.listen_on : o.connect_to, !!o.listen_on, &o.ss, &o.sslen, err, sizeof(err))) < 0 &&
           !o.listen_on && pair_now() + 0.25 < t0 + o.timeout) {
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
