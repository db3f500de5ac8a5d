/* UCX interposition: the control path only (context, worker, endpoint
 * creation and close, plus rkey unpack / memory mapping as the later
 * control calls that re-judge client/server endpoints whose lanes become
 * final only after wireup). No data-path or progress call is wrapped.
 *
 * Library copies: each libucp loaded (a renamed wheel copy included) gets
 * one fg_ucx_copy_t resolved from that very object. Creation of a context
 * resolves in the caller's scope; every later call on a handle goes to the
 * copy that created the handle. */
#include "gpu.h"
#include "ucx.h"

#include "resolve.h"
#include "fabguard/handlemap.h"
#include "fabguard/judge.h"
#include "fabguard/ucx_abi.h"
#include "fabguard/ucx_ep_lanes.h"
#include "fabguard/ucx_context.h"
#include "fabguard/ucx_text.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FG_EXPORT __attribute__((visibility("default")))
#define FG_MAX_COPIES  8
#define FG_RECHECK_PER_CALL 8   /* pending endpoints re-examined per control call */

/* Handle records live in maps under ucx_lock; copies are published once
 * and never change (readers need no lock after getting the pointer). */
static pthread_mutex_t ucx_lock = PTHREAD_MUTEX_INITIALIZER;
static fg_ucx_copy_t   copies[FG_MAX_COPIES];
static size_t          ncopies;
static fg_handlemap_t  contexts, workers, endpoints;
static const void    **pending;   /* client/server endpoints not final yet (grows) */
static size_t          npending, pending_cap, pending_cursor;
static atomic_uint     next_ep_id;
static atomic_int      init_failed_status;   /* last failed ucp_init (0 = none) */
static __thread int    creating;   /* inside our ucp_ep_create wrapper */

/* Record flags; the endpoint's id (a per-process sequence number) lives in
 * the bits above EP_ID_SHIFT. */
enum {
    EP_PENDING  = 1u << 0,   /* lanes may still change (client/server) */
    EP_FAILED   = 1u << 1,   /* enforce+fail judged it after creation */
    EP_CLOSING  = 1u << 2,   /* a close wrapper owns it: nobody queries it now */
    EP_QUERYING = 1u << 3,   /* a thread queries it: a close waits for that */
    EP_KIND_SHIFT = 4,       /* 2 bits: kind_names[] */
    EP_ID_SHIFT = 8
};
static const char *const kind_names[] = { "worker-address", "client", "server", "internal" };

int fg_ucx_creating(void)
{
    return creating;
}

int fg_ucx_cs_pending(void)
{
    return __atomic_load_n(&npending, __ATOMIC_RELAXED) != 0;
}

fg_ucx_copy_t *fg_ucx_copy_by_opts(const void *opts)
{
    size_t i, n = __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE);

    for (i = 0; i < n; i++) {
        if (copies[i].capture && copies[i].ucs_opts == opts) {
            return &copies[i];
        }
    }
    return NULL;
}

#define RESOLVE(c, field, name) \
    (*(void **)&(c)->field = fg_resolve_beside(name, sibling))

static void object_name(const void *addr, char *out, size_t cap)
{
    Dl_info     di;
    const char *slash;

    if (dladdr(addr, &di) == 0 || di.dli_fname == NULL) {
        fg_strlcpy(out, "?", cap);
        return;
    }
    slash = strrchr(di.dli_fname, '/');
    fg_strlcpy(out, slash ? slash + 1 : di.dli_fname, cap);
}

/* Build the copy of the library that defines `sibling`. ucx_lock held. */
static fg_ucx_copy_t *copy_from(const void *sibling)
{
    const void    *base = fg_object_of(sibling);
    fg_ucx_copy_t *c;
    size_t         i;
    unsigned       rel = 0;

    for (i = 0; i < ncopies; i++) {
        if (copies[i].base == base) {
            return &copies[i];
        }
    }
    if (base == NULL || ncopies == FG_MAX_COPIES) {
        return NULL;
    }
    c = &copies[ncopies];
    memset(c, 0, sizeof(*c));
    c->base = base;
    object_name(sibling, c->object, sizeof(c->object));
    RESOLVE(c, init_version, "ucp_init_version");
    RESOLVE(c, cleanup, "ucp_cleanup");
    RESOLVE(c, worker_create, "ucp_worker_create");
    RESOLVE(c, worker_destroy, "ucp_worker_destroy");
    RESOLVE(c, ep_create, "ucp_ep_create");
    RESOLVE(c, ep_close_nbx, "ucp_ep_close_nbx");
    RESOLVE(c, ep_close_nb, "ucp_ep_close_nb");
    RESOLVE(c, ep_destroy, "ucp_ep_destroy");
    RESOLVE(c, disconnect_nb, "ucp_disconnect_nb");
    RESOLVE(c, ep_rkey_unpack, "ucp_ep_rkey_unpack");
    RESOLVE(c, mem_map, "ucp_mem_map");
    RESOLVE(c, mem_unmap, "ucp_mem_unmap");
    RESOLVE(c, worker_get_address, "ucp_worker_get_address");
    RESOLVE(c, ep_print_info, "ucp_ep_print_info");
    RESOLVE(c, ep_query, "ucp_ep_query");
    RESOLVE(c, get_version, "ucp_get_version");
    RESOLVE(c, context_print_info, "ucp_context_print_info");
    RESOLVE(c, config_read, "ucp_config_read");
    RESOLVE(c, config_print, "ucp_config_print");
    RESOLVE(c, config_release, "ucp_config_release");
    RESOLVE(c, request_check_status, "ucp_request_check_status");
    RESOLVE(c, conn_request_query, "ucp_conn_request_query");
    RESOLVE(c, request_free, "ucp_request_free");
    if (c->get_version != NULL) {
        c->get_version(&c->major, &c->minor, &rel);
    }
    snprintf(c->version, sizeof(c->version), "%u.%u.%u", c->major, c->minor, rel);
    __atomic_store_n(&ncopies, ncopies + 1, __ATOMIC_RELEASE);
    return c;
}

/* The copy a caller reaches for `name` (context creation, unknown handles). */
static fg_ucx_copy_t *copy_for_caller(const char *name, const void *caller)
{
    void          *sym = fg_resolve_for_caller(name, caller);
    fg_ucx_copy_t *c;

    if (sym == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&ucx_lock);
    c = copy_from(sym);
    pthread_mutex_unlock(&ucx_lock);
    return c;
}

static fg_ucx_copy_t *copy_of(fg_handlemap_t *map, const void *handle,
                              const char *name, const void *caller)
{
    fg_handle_rec_t rec;
    int             found;

    pthread_mutex_lock(&ucx_lock);
    found = fg_handlemap_get(map, handle, &rec);
    pthread_mutex_unlock(&ucx_lock);
    if (found && rec.lib != NULL) {
        return rec.lib;
    }
    return copy_for_caller(name, caller);
}

static void report_missing(const char *name)
{
    char detail[160];

    if (fg_core_state() != FG_STATE_OBSERVE) {
        return;
    }
    snprintf(detail, sizeof(detail),
             "%s not found in any loaded UCX: this call fails with "
             "UCS_ERR_UNSUPPORTED and is not checked", name);
    if (fg_report_first_time(detail)) {
        fg_core_info("fabguard", "resolve", detail);
    }
}

/* ---- observing -------------------------------------------------------- */

static char *print_to_memory(void (*printer)(void *, FILE *), void *obj,
                             size_t *len)
{
    char *buf = NULL;
    FILE *f   = open_memstream(&buf, len);

    if (f == NULL) {
        return NULL;
    }
    printer(obj, f);
    fclose(f);
    return buf;
}

static int query_lanes(fg_ucx_copy_t *c, ucp_ep_h ep, fg_lane_set_t *lanes,
                       const char **source)
{
    fg_ucx_ep_api_t api;

    api.major         = c->major;
    api.minor         = c->minor;
    /* ucs_status_t is an int-sized enum: same ABI, via the generic type */
    api.ep_query      = (int (*)(void *, void *))(void (*)(void))c->ep_query;
    api.ep_print_info = (void (*)(void *, FILE *))c->ep_print_info;
    return fg_ucx_ep_lanes_from(&api, ep, lanes, source);
}

static int node_has_rdma(void)
{
    DIR           *d = opendir("/sys/class/infiniband");
    struct dirent *e;
    int            found = 0;

    if (d == NULL) {
        return 0;
    }
    while (!found && (e = readdir(d)) != NULL) {
        found = e->d_name[0] != '.';
    }
    closedir(d);
    return found;
}

static void config_print_cb(void *cfg, FILE *f);
static fg_ucx_copy_t *printing_copy;   /* only inside observe_context, under ucx_lock */

static void config_print_cb(void *cfg, FILE *f)
{
    printing_copy->config_print(cfg, f, NULL, UCS_CONFIG_PRINT_CONFIG);
}

static void context_info_of(fg_ucx_copy_t *c, const ucp_config_t *config,
                            ucp_context_h ctx, fg_ucx_context_info_t *info)
{
    ucp_config_t *own = NULL;
    size_t        len = 0;
    char         *text;
    const char   *gdr;

    memset(info, 0, sizeof(*info));
    if (config == NULL && c->config_read != NULL &&
        c->config_read(NULL, NULL, &own) == UCS_OK) {
        config = own;
    }
    if (config != NULL && c->config_print != NULL) {
        pthread_mutex_lock(&ucx_lock);
        printing_copy = c;
        text = print_to_memory(config_print_cb, (void *)config, &len);
        pthread_mutex_unlock(&ucx_lock);
        if (text != NULL) {
            fg_ucx_config_from_print(text, len, info);
            free(text);
        }
    }
    if (own != NULL && c->config_release != NULL) {
        c->config_release(own);
    }
    /* a transport-level key set in the environment does not print above */
    gdr = getenv("UCX_IB_GPU_DIRECT_RDMA");
    if (info->gpu_direct_rdma[0] == '\0' && gdr != NULL) {
        fg_strlcpy(info->gpu_direct_rdma, gdr, sizeof(info->gpu_direct_rdma));
    }
    if (c->context_print_info != NULL) {
        text = print_to_memory((void (*)(void *, FILE *))c->context_print_info,
                               ctx, &len);
        if (text != NULL) {
            fg_ucx_resources_from_print(text, len, &info->resources);
            free(text);
        }
    }
    info->node_has_rdma = node_has_rdma();
}

static fg_outcome_t observe_context(fg_ucx_copy_t *c, const ucp_config_t *config,
                                    ucp_context_h ctx)
{
    fg_ucx_context_info_t info;
    fg_findings_t         f;
    fg_event_t            ev;
    fg_kv_t               kv[5];
    fg_handle_rec_t       rec = { ctx, c, NULL, 0, 0 };

    context_info_of(c, config, ctx, &info);
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_context(fg_core_policy(), &info, &f);
    kv[0] = (fg_kv_t){ "UCX_TLS", info.tls, 0 };
    kv[1] = (fg_kv_t){ "UCX_NET_DEVICES", info.net_devices, 0 };
    kv[2] = (fg_kv_t){ "UCX_IB_GPU_DIRECT_RDMA", info.gpu_direct_rdma, 0 };
    kv[3] = (fg_kv_t){ "UCX_RNDV_SCHEME", info.rndv_scheme, 0 };
    kv[4] = (fg_kv_t){ "ucx_object", c->object, 0 };
    fg_event_init(&ev, "ucx", "context", "ok");
    ev.lanes  = info.resources.lane;    /* the resources, in the lane shape */
    ev.nlanes = info.resources.n;
    ev.extra  = kv;
    ev.nextra = 5;
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_put(&contexts, &rec);
    fg_ucx_log_install(c);   /* endpoints UCX creates itself */
    pthread_mutex_unlock(&ucx_lock);
    fg_core_count(FG_COUNT_CONTEXTS);
    fg_ucx_route_add_context(ctx, &info.resources);
    return fg_core_verdict(&ev, &f);
}

/* ---- pending (client/server) endpoints ---------------------------------- */

/* ucx_lock held. No bound: every client/server endpoint is tracked. */
static void pending_add_locked(const void *ep)
{
    if (npending == pending_cap) {
        size_t       cap = pending_cap ? pending_cap * 2 : 64;
        const void **p   = realloc(pending, cap * sizeof(*p));
        if (p == NULL) {
            return;   /* judged at creation only; never fatal */
        }
        pending     = p;
        pending_cap = cap;
    }
    pending[npending] = ep;
    __atomic_store_n(&npending, npending + 1, __ATOMIC_RELAXED);   /* read unlocked */
}

static void pending_remove_locked(const void *ep)
{
    size_t i;

    for (i = 0; i < npending; i++) {
        if (pending[i] == ep) {
            pending[i] = pending[npending - 1];
            __atomic_store_n(&npending, npending - 1, __ATOMIC_RELAXED);
            return;
        }
    }
}

static unsigned rec_id(const fg_handle_rec_t *r)
{
    return r->flags >> EP_ID_SHIFT;
}

static const char *rec_kind(const fg_handle_rec_t *r)
{
    return kind_names[(r->flags >> EP_KIND_SHIFT) & 3u];
}

/* Claim an endpoint for a query (ucx_lock held): not while a close owns it,
 * and a close that starts now waits until we are done (EP_QUERYING). */
static int claim_locked(const void *ep, const void *worker)
{
    fg_handle_rec_t *r = fg_handlemap_ref(&endpoints, ep);

    if (r == NULL || (r->flags & (EP_CLOSING | EP_QUERYING)) != 0 ||
        (worker != NULL && r->parent != worker)) {
        return 0;
    }
    r->flags |= EP_QUERYING;
    return 1;
}

/* Look at a claimed endpoint again; judge it when its lanes changed. */
static fg_outcome_t recheck_claimed(const void *ep, const char *when)
{
    fg_handle_rec_t  rec, *r;
    fg_lane_set_t    lanes;
    fg_ucx_ep_desc_t d;
    uint64_t         fp;
    fg_outcome_t     out = FG_GO_ON;
    const char      *source;
    int              got;

    pthread_mutex_lock(&ucx_lock);
    got = fg_handlemap_get(&endpoints, ep, &rec);
    pthread_mutex_unlock(&ucx_lock);
    if (got && query_lanes(rec.lib, (ucp_ep_h)ep, &lanes, &source) == 0) {
        fp = fg_ucx_lanes_fingerprint(&lanes);
        if (fp == rec.fingerprint) {
            out = (rec.flags & EP_FAILED) ? FG_GO_FAIL : FG_GO_ON;
        } else {
            memset(&d, 0, sizeof(d));
            d.kind    = rec_kind(&rec);
            d.source  = source;
            d.when    = when;
            d.peer    = "";
            d.if_fail = "error at the next control call";
            snprintf(d.id, sizeof(d.id), "ep#%u", rec_id(&rec));
            out = fg_ucx_judge(rec.lib, &lanes, &d);
            rec.fingerprint = fp;
        }
    }
    pthread_mutex_lock(&ucx_lock);
    r = fg_handlemap_ref(&endpoints, ep);
    if (r != NULL) {
        r->flags &= ~(uint32_t)EP_QUERYING;
        if (got) {
            r->fingerprint = rec.fingerprint;
        }
        if (out == FG_GO_FAIL) {
            r->flags |= EP_FAILED;
        }
    }
    pthread_mutex_unlock(&ucx_lock);
    return out;
}

/* Pending endpoints of `worker` (this thread is calling on that worker),
 * `budget` at most, round robin; (size_t)-1 = all of them. */
static void recheck_pending(const void *worker, size_t budget)
{
    const void **batch;
    size_t       n = 0, i, scanned, cap;

    pthread_mutex_lock(&ucx_lock);
    cap   = budget < npending ? budget : npending;
    batch = cap ? malloc(cap * sizeof(*batch)) : NULL;
    for (scanned = 0; batch != NULL && scanned < npending && n < cap; scanned++) {
        const void *ep;
        pending_cursor = (pending_cursor + 1) % npending;
        ep             = pending[pending_cursor];
        if (claim_locked(ep, worker)) {
            batch[n++] = ep;
        }
    }
    pthread_mutex_unlock(&ucx_lock);
    for (i = 0; i < n; i++) {
        recheck_claimed(batch[i], "after wireup");
    }
    free(batch);
}

static int is_client_server(const ucp_ep_params_t *params)
{
    return params != NULL &&
           (params->field_mask & (UCP_EP_PARAM_FIELD_SOCK_ADDR |
                                  UCP_EP_PARAM_FIELD_CONN_REQUEST)) != 0;
}

static unsigned kind_of(const ucp_ep_params_t *params)
{
    if (params != NULL && (params->field_mask & UCP_EP_PARAM_FIELD_SOCK_ADDR)) {
        return 1;
    }
    if (params != NULL && (params->field_mask & UCP_EP_PARAM_FIELD_CONN_REQUEST)) {
        return 2;
    }
    return 0;
}

static void sockaddr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "";

    out[0] = '\0';
    if (sa == NULL) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
    }
}

/* The peer of a client (its sockaddr) or server (the connection request's
 * client address) endpoint; NULL for worker-address endpoints. */
static const struct sockaddr *peer_sockaddr(const fg_ucx_copy_t *c,
                                            const ucp_ep_params_t *params,
                                            struct sockaddr_storage *buf)
{
    ucp_conn_request_attr_t attr;

    if (params == NULL) {
        return NULL;
    }
    if (params->field_mask & UCP_EP_PARAM_FIELD_SOCK_ADDR) {
        return params->sockaddr.addr;
    }
    if ((params->field_mask & UCP_EP_PARAM_FIELD_CONN_REQUEST) &&
        c->conn_request_query != NULL) {
        memset(&attr, 0, sizeof(attr));
        attr.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
        if (c->conn_request_query(params->conn_request, &attr) == UCS_OK) {
            *buf = attr.client_address;
            return (const struct sockaddr *)buf;
        }
    }
    return NULL;
}

static void peer_of(const fg_ucx_copy_t *c, const ucp_ep_params_t *params,
                    char *out, size_t cap)
{
    struct sockaddr_storage buf;

    sockaddr_text(peer_sockaddr(c, params, &buf), out, cap);
}

/* enforce: a client/server endpoint whose every usable transport is
 * forbidden is refused at creation (ucx_route.c). */
static fg_outcome_t prejudge(fg_ucx_copy_t *c, ucp_worker_h worker,
                             const ucp_ep_params_t *params)
{
    struct sockaddr_storage buf;
    const struct sockaddr  *peer = peer_sockaddr(c, params, &buf);
    fg_handle_rec_t         wrec;
    fg_lane_set_t           usable;
    fg_ucx_ep_desc_t        d;
    char                    iface[IF_NAMESIZE + 1], addr[80], peer_text[120];
    int                     local = 0, known;

    if (fg_core_policy()->mode != FG_MODE_ENFORCE || peer == NULL) {
        return FG_GO_ON;
    }
    pthread_mutex_lock(&ucx_lock);
    known = fg_handlemap_get(&workers, worker, &wrec);
    pthread_mutex_unlock(&ucx_lock);
    if (!known || fg_ucx_route_of(peer, iface, sizeof(iface), &local) < 0 ||
        !fg_ucx_route_all_forbidden(wrec.parent, local, &usable)) {
        return FG_GO_ON;
    }
    sockaddr_text(peer, addr, sizeof(addr));
    snprintf(peer_text, sizeof(peer_text), "%s via %s", addr, iface[0] ? iface : "?");
    memset(&d, 0, sizeof(d));
    d.kind    = kind_names[kind_of(params)];
    d.source  = "context resources";
    d.when    = "at creation: every transport this context can use to reach the peer is forbidden";
    d.peer    = peer_text;
    d.if_fail = "refused before any data (ucp_ep_create fails)";
    snprintf(d.id, sizeof(d.id), "ep#%u", atomic_fetch_add(&next_ep_id, 1) + 1);
    fg_core_count(FG_COUNT_ENDPOINTS);
    return fg_ucx_judge(c, &usable, &d);
}

/* `peer`: taken before ucp_ep_create (which consumes a connection request). */
static fg_outcome_t observe_endpoint(fg_ucx_copy_t *c, ucp_worker_h worker,
                                     const ucp_ep_params_t *params, ucp_ep_h ep,
                                     const char *peer)
{
    fg_handle_rec_t  rec = { ep, c, worker, 0, 0 };
    fg_lane_set_t    lanes;
    fg_outcome_t     out = FG_GO_ON;
    fg_ucx_ep_desc_t d;
    unsigned         id   = atomic_fetch_add(&next_ep_id, 1) + 1;
    unsigned         kind = kind_of(params);
    int              cs   = is_client_server(params);

    fg_core_count(FG_COUNT_ENDPOINTS);
    memset(&d, 0, sizeof(d));
    d.kind    = kind_names[kind];
    d.when    = cs ? "at creation (client/server)" : "at creation";
    d.peer    = peer;
    d.if_fail   = "refused (ucp_ep_create fails)";
    d.not_final = cs;
    snprintf(d.id, sizeof(d.id), "ep#%u", id);
    if (!cs && fg_ucx_cfg_lanes(c, &lanes)) {
        d.source = "log";   /* its configuration, as UCX printed it */
        out      = fg_ucx_judge(c, &lanes, &d);
        rec.fingerprint = fg_ucx_lanes_fingerprint(&lanes);
    } else if (query_lanes(c, ep, &lanes, &d.source) == 0) {
        out = fg_ucx_judge(c, &lanes, &d);
        /* lanes not final yet: the first recheck judges them for real */
        rec.fingerprint = cs ? 0 : fg_ucx_lanes_fingerprint(&lanes);
    }
    rec.flags = (cs ? EP_PENDING : 0) | (kind << EP_KIND_SHIFT) | (id << EP_ID_SHIFT);
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_put(&endpoints, &rec);
    if (cs) {
        pending_add_locked(ep);
    }
    pthread_mutex_unlock(&ucx_lock);
    return out;
}

static void forget_endpoint(const void *ep)
{
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_del(&endpoints, ep);
    pending_remove_locked(ep);
    pthread_mutex_unlock(&ucx_lock);
}

/* An endpoint we refuse (enforce+fail) is closed without driving the
 * worker. Only a forced close is safe then, and UCX accepts it only for an
 * endpoint with peer error handling (1.13 answers "Invalid parameter"
 * otherwise). Without it, a flushing close we cannot progress stays pending
 * and UCX 1.13 aborts at worker destroy ("Bug: pending request", measured),
 * so such an endpoint is left to UCX, which destroys it with its worker:
 * the application never gets its handle. */
static void refuse_close(fg_ucx_copy_t *c, const ucp_ep_params_t *params, ucp_ep_h ep)
{
    ucp_request_param_t p;
    ucs_status_ptr_t    req;
    int                 peer_err = params != NULL &&
                                   (params->field_mask & UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE) &&
                                   params->err_mode == UCP_ERR_HANDLING_MODE_PEER;

    if (c->ep_close_nbx == NULL || !peer_err) {
        return;
    }
    memset(&p, 0, sizeof(p));
    p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    p.flags        = UCP_EP_CLOSE_FLAG_FORCE;
    req            = c->ep_close_nbx(ep, &p);
    if (UCS_PTR_IS_PTR(req) && req != NULL && c->request_free != NULL) {
        c->request_free(req);   /* UCX completes and releases it itself */
    }
}

/* ---- wrappers ------------------------------------------------------------ */

FG_EXPORT ucs_status_t ucp_init_version(unsigned api_major, unsigned api_minor,
                                        const ucp_params_t *params,
                                        const ucp_config_t *config,
                                        ucp_context_h *context_p)
{
    fg_ucx_copy_t *c = copy_for_caller("ucp_init_version", __builtin_return_address(0));
    ucs_status_t   st;
    fg_state_t     s;

    if (c == NULL || c->init_version == NULL) {
        report_missing("ucp_init_version");
        return UCS_ERR_UNSUPPORTED;
    }
    if (fg_guard_depth() > 0 || (s = fg_core_state()) == FG_STATE_PASSTHROUGH) {
        return c->init_version(api_major, api_minor, params, config, context_p);
    }
    if (s == FG_STATE_FAIL_CLOSED &&
        fg_core_fail_closed("ucx", "context creation") == FG_GO_FAIL) {
        return UCS_ERR_UNREACHABLE;
    }
    fg_guard_enter();
    st = c->init_version(api_major, api_minor, params, config, context_p);
    if (st != UCS_OK) {
        atomic_store(&init_failed_status, (int)st);
    }
    if (st == UCS_OK && observe_context(c, config, *context_p) == FG_GO_FAIL) {
        ucp_context_h ctx = *context_p;
        pthread_mutex_lock(&ucx_lock);
        fg_handlemap_del(&contexts, ctx);
        pthread_mutex_unlock(&ucx_lock);
        fg_ucx_route_del_context(ctx);
        c->cleanup(ctx);
        st = UCS_ERR_UNREACHABLE;
    }
    fg_guard_leave();
    return st;
}

FG_EXPORT void ucp_cleanup(ucp_context_h context)
{
    fg_ucx_copy_t *c = copy_of(&contexts, context, "ucp_cleanup",
                               __builtin_return_address(0));

    if (c == NULL || c->cleanup == NULL) {
        report_missing("ucp_cleanup");
        return;
    }
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_del(&contexts, context);
    pthread_mutex_unlock(&ucx_lock);
    fg_ucx_route_del_context(context);
    fg_guard_enter();
    c->cleanup(context);
    fg_guard_leave();
}

FG_EXPORT ucs_status_t ucp_worker_create(ucp_context_h context,
                                         const ucp_worker_params_t *params,
                                         ucp_worker_h *worker_p)
{
    fg_ucx_copy_t  *c = copy_of(&contexts, context, "ucp_worker_create",
                                __builtin_return_address(0));
    fg_handle_rec_t rec;
    ucs_status_t    st;

    if (c == NULL || c->worker_create == NULL) {
        report_missing("ucp_worker_create");
        return UCS_ERR_UNSUPPORTED;
    }
    if (fg_guard_depth() > 0 || fg_core_state() != FG_STATE_OBSERVE) {
        return c->worker_create(context, params, worker_p);
    }
    fg_guard_enter();
    st = c->worker_create(context, params, worker_p);
    fg_guard_leave();
    if (st == UCS_OK) {
        rec = (fg_handle_rec_t){ *worker_p, c, context, 0, 0 };
        pthread_mutex_lock(&ucx_lock);
        fg_handlemap_put(&workers, &rec);
        pthread_mutex_unlock(&ucx_lock);
        fg_core_count(FG_COUNT_WORKERS);
    }
    return st;
}

static int drop_worker_endpoint(fg_handle_rec_t *rec, void *worker)
{
    if (rec->parent != worker) {
        return 0;
    }
    pending_remove_locked(rec->key);
    return 1;
}

FG_EXPORT void ucp_worker_destroy(ucp_worker_h worker)
{
    fg_ucx_copy_t *c = copy_of(&workers, worker, "ucp_worker_destroy",
                               __builtin_return_address(0));

    if (c == NULL || c->worker_destroy == NULL) {
        report_missing("ucp_worker_destroy");
        return;
    }
    if (fg_guard_depth() == 0 && fg_core_state() == FG_STATE_OBSERVE) {
        fg_guard_enter();
        recheck_pending(worker, (size_t)-1);   /* never later than the end */
        fg_guard_leave();
        pthread_mutex_lock(&ucx_lock);
        fg_handlemap_sweep(&endpoints, drop_worker_endpoint, worker);
        fg_handlemap_del(&workers, worker);
        pthread_mutex_unlock(&ucx_lock);
    }
    fg_guard_enter();
    c->worker_destroy(worker);
    fg_guard_leave();
}

FG_EXPORT ucs_status_t ucp_ep_create(ucp_worker_h worker,
                                     const ucp_ep_params_t *params,
                                     ucp_ep_h *ep_p)
{
    fg_ucx_copy_t *c = copy_of(&workers, worker, "ucp_ep_create",
                               __builtin_return_address(0));
    ucs_status_t   st;
    fg_state_t     s;
    fg_outcome_t   out = FG_GO_ON;
    char           peer[80];

    if (c == NULL || c->ep_create == NULL) {
        report_missing("ucp_ep_create");
        return UCS_ERR_UNSUPPORTED;
    }
    if (fg_guard_depth() > 0 || (s = fg_core_state()) == FG_STATE_PASSTHROUGH) {
        return c->ep_create(worker, params, ep_p);
    }
    if (s == FG_STATE_FAIL_CLOSED &&
        fg_core_fail_closed("ucx", "endpoint creation") == FG_GO_FAIL) {
        return UCS_ERR_UNREACHABLE;
    }
    fg_guard_enter();
    recheck_pending(worker, FG_RECHECK_PER_CALL);
    peer[0] = '\0';
    if (is_client_server(params)) {
        peer_of(c, params, peer, sizeof(peer));
        out = prejudge(c, worker, params);   /* abort/exit end the process here */
    }
    if (out == FG_GO_FAIL && kind_of(params) == 1) {
        fg_guard_leave();
        return UCS_ERR_UNREACHABLE;   /* the client never connects */
    }
    fg_ucx_cfg_begin();
    creating = 1;
    st       = c->ep_create(worker, params, ep_p);
    creating = 0;
    if (st == UCS_OK) {
        ucp_ep_h ep = *ep_p;
        if (out != FG_GO_FAIL) {   /* a refused server endpoint: accepted, then closed */
            out = observe_endpoint(c, worker, params, ep, peer);
        }
        if (out == FG_GO_FAIL) {
            forget_endpoint(ep);
            refuse_close(c, params, ep);
            *ep_p = NULL;
            st    = UCS_ERR_UNREACHABLE;
        }
    }
    fg_guard_leave();
    return st;
}

/* Shared by every close entry point: judge once (outermost), forget.
 * Waits while another thread queries this endpoint, then owns it. */
static fg_outcome_t before_close(ucp_ep_h ep)
{
    fg_handle_rec_t *r;
    uint32_t         flags;
    fg_outcome_t     out = FG_GO_ON;

    pthread_mutex_lock(&ucx_lock);
    while ((r = fg_handlemap_ref(&endpoints, ep)) != NULL && (r->flags & EP_QUERYING)) {
        pthread_mutex_unlock(&ucx_lock);
        sched_yield();
        pthread_mutex_lock(&ucx_lock);
    }
    if (r == NULL) {
        pthread_mutex_unlock(&ucx_lock);
        return FG_GO_ON;
    }
    r->flags |= EP_CLOSING;
    flags = r->flags;
    pthread_mutex_unlock(&ucx_lock);
    if (flags & EP_PENDING) {
        out = recheck_claimed(ep, "at close");
    } else if (flags & EP_FAILED) {
        out = FG_GO_FAIL;
    }
    forget_endpoint(ep);
    return out;
}

/* enforce+fail judged the endpoint at its close: it is closed all the same
 * (no leak; its request goes back to UCX) and the close reports the verdict. */
static ucs_status_ptr_t verdict_of_close(const fg_ucx_copy_t *c, fg_outcome_t out,
                                         ucs_status_ptr_t r)
{
    if (out != FG_GO_FAIL || UCS_PTR_IS_ERR(r)) {
        return r;
    }
    if (r != NULL && c->request_free != NULL) {
        c->request_free(r);
    }
    return UCS_STATUS_PTR(UCS_ERR_UNREACHABLE);
}

#define CLOSE_WRAPPER_PROLOGUE(fn, name)                                       \
    fg_ucx_copy_t *c = copy_of(&endpoints, ep, name, __builtin_return_address(0)); \
    fg_outcome_t   out = FG_GO_ON;                                              \
    if (c == NULL || c->fn == NULL) {                                           \
        report_missing(name);                                                   \
    }                                                                           \
    if (fg_guard_depth() == 0 && fg_core_state() == FG_STATE_OBSERVE) {        \
        fg_guard_enter();                                                       \
        out = before_close(ep);                                                 \
    } else {                                                                    \
        fg_guard_enter();                                                       \
    }

FG_EXPORT ucs_status_ptr_t ucp_ep_close_nbx(ucp_ep_h ep,
                                            const ucp_request_param_t *param)
{
    ucs_status_ptr_t r = UCS_STATUS_PTR(UCS_ERR_UNSUPPORTED);
    CLOSE_WRAPPER_PROLOGUE(ep_close_nbx, "ucp_ep_close_nbx")
    if (c != NULL && c->ep_close_nbx != NULL) {
        r = verdict_of_close(c, out, c->ep_close_nbx(ep, param));
    }
    fg_guard_leave();
    return r;
}

FG_EXPORT ucs_status_ptr_t ucp_ep_close_nb(ucp_ep_h ep, unsigned mode)
{
    ucs_status_ptr_t r = UCS_STATUS_PTR(UCS_ERR_UNSUPPORTED);
    CLOSE_WRAPPER_PROLOGUE(ep_close_nb, "ucp_ep_close_nb")
    if (c != NULL && c->ep_close_nb != NULL) {
        r = verdict_of_close(c, out, c->ep_close_nb(ep, mode));
    }
    fg_guard_leave();
    return r;
}

FG_EXPORT void ucp_ep_destroy(ucp_ep_h ep)
{
    CLOSE_WRAPPER_PROLOGUE(ep_destroy, "ucp_ep_destroy")
    if (c != NULL && c->ep_destroy != NULL) {
        c->ep_destroy(ep);
    }
    fg_guard_leave();
    (void)out;   /* nothing to return a verdict through */
}

FG_EXPORT ucs_status_ptr_t ucp_disconnect_nb(ucp_ep_h ep)
{
    ucs_status_ptr_t r = UCS_STATUS_PTR(UCS_ERR_UNSUPPORTED);
    CLOSE_WRAPPER_PROLOGUE(disconnect_nb, "ucp_disconnect_nb")
    if (c != NULL && c->disconnect_nb != NULL) {
        r = verdict_of_close(c, out, c->disconnect_nb(ep));
    }
    fg_guard_leave();
    return r;
}

FG_EXPORT ucs_status_t ucp_ep_rkey_unpack(ucp_ep_h ep, const void *rkey_buffer,
                                          ucp_rkey_h *rkey_p)
{
    fg_ucx_copy_t *c = copy_of(&endpoints, ep, "ucp_ep_rkey_unpack",
                               __builtin_return_address(0));
    fg_outcome_t   out = FG_GO_ON;

    if (c == NULL || c->ep_rkey_unpack == NULL) {
        report_missing("ucp_ep_rkey_unpack");
        return UCS_ERR_UNSUPPORTED;
    }
    /* UCX unpacks keys itself (rendezvous): that is its data path, never refused */
    if (fg_guard_depth() == 0 && fg_core_state() == FG_STATE_OBSERVE &&
        fg_object_of(__builtin_return_address(0)) != c->base) {
        int claimed;
        fg_guard_enter();
        pthread_mutex_lock(&ucx_lock);
        claimed = claim_locked(ep, NULL);
        pthread_mutex_unlock(&ucx_lock);
        if (claimed) {
            out = recheck_claimed(ep, "at rkey unpack");
        }
        fg_guard_leave();
        if (out == FG_GO_FAIL) {
            return UCS_ERR_UNREACHABLE;
        }
    }
    return c->ep_rkey_unpack(ep, rkey_buffer, rkey_p);
}

FG_EXPORT ucs_status_t ucp_mem_map(ucp_context_h context,
                                   const ucp_mem_map_params_t *params,
                                   ucp_mem_h *memh_p)
{
    fg_ucx_copy_t *c = copy_of(&contexts, context, "ucp_mem_map",
                               __builtin_return_address(0));
    ucs_status_t   st;

    if (c == NULL || c->mem_map == NULL) {
        report_missing("ucp_mem_map");
        return UCS_ERR_UNSUPPORTED;
    }
    /* no recheck here: this thread may not own any worker's endpoints */
    st = c->mem_map(context, params, memh_p);
    if (st == UCS_OK && params != NULL && fg_guard_depth() == 0 &&
        (params->field_mask & UCP_MEM_MAP_PARAM_FIELD_ADDRESS) && params->address != NULL &&
        fg_core_state() == FG_STATE_OBSERVE) {
        /* which GPU this process moves: the rail judgements need it */
        fg_gpu_note_mapped(params->address,
                           (params->field_mask & UCP_MEM_MAP_PARAM_FIELD_MEMORY_TYPE) &&
                               params->memory_type == UCS_MEMORY_TYPE_CUDA);
    }
    return st;
}

FG_EXPORT ucs_status_t ucp_mem_unmap(ucp_context_h context, ucp_mem_h memh)
{
    fg_ucx_copy_t *c = copy_of(&contexts, context, "ucp_mem_unmap",
                               __builtin_return_address(0));

    if (c == NULL || c->mem_unmap == NULL) {
        report_missing("ucp_mem_unmap");
        return UCS_ERR_UNSUPPORTED;
    }
    return c->mem_unmap(context, memh);
}

FG_EXPORT ucs_status_t ucp_worker_get_address(ucp_worker_h worker,
                                              ucp_address_t **address_p,
                                              size_t *address_length_p)
{
    fg_ucx_copy_t *c = copy_of(&workers, worker, "ucp_worker_get_address",
                               __builtin_return_address(0));

    if (c == NULL || c->worker_get_address == NULL) {
        report_missing("ucp_worker_get_address");
        return UCS_ERR_UNSUPPORTED;
    }
    if (fg_guard_depth() == 0 && fg_core_state() == FG_STATE_OBSERVE) {
        fg_guard_enter();
        recheck_pending(worker, FG_RECHECK_PER_CALL);
        fg_guard_leave();
    }
    return c->worker_get_address(worker, address_p, address_length_p);
}

/* UCX loads its transport modules (libuct_<name>.so) when a context is
 * created, never before (ucx_info -v loads none): with no context seen,
 * loaded modules mean one was created where the preload cannot see. */
static int module_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
    const char *base;

    (void)size;
    (void)arg;
    if (info->dlpi_name == NULL) {
        return 0;
    }
    base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    return strncmp(base, "libuct_", 7) == 0;
}

const char *fg_ucx_unobserved_reason(void)
{
    static char why[160];
    int         st = atomic_load(&init_failed_status);

    if (st != 0) {
        snprintf(why, sizeof(why), "ucp_init failed (UCS status %d): UCX was never usable "
                 "in this process, nothing moved through it", st);
        return why;
    }
    if (dl_iterate_phdr(module_loaded, NULL) != 0) {
        return "bypassed: UCX created a context the preload did not see "
               "(RTLD_DEEPBIND, dlsym on a library handle, or static linking)";
    }
    return NULL;
}

void fg_ucx_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    /* the child does not own the parent's UCX handles' verdicts */
    ucx_lock = fresh;
    fg_handlemap_clear(&endpoints);
    fg_handlemap_clear(&workers);
    fg_handlemap_clear(&contexts);
    __atomic_store_n(&npending, 0, __ATOMIC_RELAXED);
    creating = 0;
    fg_ucx_route_after_fork();
}
