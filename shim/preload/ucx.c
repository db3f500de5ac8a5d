/* UCX interposition: the control path only (context, worker, endpoint
 * creation and close, plus rkey unpack / memory mapping as the later
 * control calls that re-judge client/server endpoints whose lanes become
 * final only after wireup). No data-path or progress call is wrapped.
 *
 * Library copies: each libucp loaded (a renamed wheel copy included) gets
 * one fg_ucx_copy_t resolved from that very object. Creation of a context
 * resolves in the caller's scope; every later call on a handle goes to the
 * copy that created the handle. */
#include "core.h"
#include "module.h"
#include "ucx_copy.h"
#include "ucx_judge.h"
#include "ucx_log.h"
#include "ucx_observe.h"
#include "ucx_pending.h"
#include "ucx_route.h"
#include "count.h"
#include "report.h"
#include "gpu.h"

#include "resolve.h"
#include "fabguard/handlemap.h"
#include "fabguard/judge.h"
#include "fabguard/ucx_abi.h"
#include "fabguard/ucx_ep_lanes.h"
#include "fabguard/ucx_context.h"
#include "fabguard/ucx_text.h"

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
#define FG_RECHECK_PER_CALL 8   /* pending endpoints re-examined per control call */

/* Handle records live in maps under ucx_lock; copies are published once
 * and never change (readers need no lock after getting the pointer). */
static pthread_mutex_t ucx_lock = PTHREAD_MUTEX_INITIALIZER;
static fg_handlemap_t  contexts, workers, endpoints;
static atomic_uint     next_ep_id;
static atomic_int      init_failed_status;   /* last failed ucp_init (0 = none) */

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

static void register_module(void);

/* The copy a caller reaches (the module registers at its first call: that
 * may precede our constructor). */
static fg_ucx_copy_t *caller_copy(const char *name, const void *caller)
{
    register_module();
    return fg_ucx_copy_for_caller(name, caller);
}

/* The copy a call on `handle` goes to: the one that created the handle,
 * else the caller's. Pass-through (mode=off, a program not selected)
 * records no handle, so it skips the lookup and its lock: mode=off stays
 * the cheapest mode. */
static fg_ucx_copy_t *copy_of(fg_handlemap_t *map, const void *handle,
                              const char *name, const void *caller)
{
    fg_handle_rec_t rec;
    int             found = 0;

    if (fg_core_state() != FG_STATE_PASSTHROUGH) {
        pthread_mutex_lock(&ucx_lock);
        found = fg_handlemap_get(map, handle, &rec);
        pthread_mutex_unlock(&ucx_lock);
    }
    if (found && rec.lib != NULL) {
        return rec.lib;
    }
    return caller_copy(name, caller);
}

static void forget_handle(fg_handlemap_t *map, const void *handle)
{
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_del(map, handle);
    pthread_mutex_unlock(&ucx_lock);
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
        fg_verdict_info("fabguard", "resolve", detail);
    }
}

/* ---- observing -------------------------------------------------------- */

static fg_outcome_t observe_context(fg_ucx_copy_t *c, const ucp_config_t *config,
                                    ucp_context_h ctx)
{
    fg_ucx_context_info_t info;
    fg_findings_t         f;
    fg_event_t            ev;
    fg_kv_t               kv[5];
    fg_handle_rec_t       rec = { ctx, c, NULL, 0, 0 };

    fg_ucx_context_info(c, config, ctx, &info);
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
    fg_count(FG_COUNT_CONTEXTS);
    fg_ucx_route_add_context(ctx, &info.resources);
    return fg_verdict_report_and_act(&ev, &f);
}

/* ---- pending (client/server) endpoints ---------------------------------- */

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
    if (got && fg_ucx_query_lanes(rec.lib, (ucp_ep_h)ep, &lanes, &source) == 0) {
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
    size_t       n = 0, i, scanned, cap, total;

    pthread_mutex_lock(&ucx_lock);
    total = fg_ucx_pending_count_locked();
    cap   = budget < total ? budget : total;
    batch = cap ? malloc(cap * sizeof(*batch)) : NULL;
    for (scanned = 0; batch != NULL && scanned < total && n < cap; scanned++) {
        const void *ep = fg_ucx_pending_next_locked();
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

/* enforce: a client/server endpoint whose every usable transport is
 * forbidden is refused at creation (ucx_route.c). */
static fg_outcome_t prejudge(fg_ucx_copy_t *c, ucp_worker_h worker,
                             const ucp_ep_params_t *params)
{
    struct sockaddr_storage buf;
    const struct sockaddr  *peer = fg_ucx_peer_sockaddr(c, params, &buf);
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
    fg_ucx_sockaddr_text(peer, addr, sizeof(addr));
    snprintf(peer_text, sizeof(peer_text), "%s via %s", addr, iface[0] ? iface : "?");
    memset(&d, 0, sizeof(d));
    d.kind    = kind_names[fg_ucx_kind_of(params)];
    d.source  = "context resources";
    d.when    = "at creation: every transport this context can use to reach the peer is forbidden";
    d.peer    = peer_text;
    d.if_fail = "refused before any data (ucp_ep_create fails)";
    snprintf(d.id, sizeof(d.id), "ep#%u", atomic_fetch_add(&next_ep_id, 1) + 1);
    fg_count(FG_COUNT_ENDPOINTS);
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
    unsigned         kind = fg_ucx_kind_of(params);
    int              cs   = fg_ucx_is_client_server(params);

    fg_count(FG_COUNT_ENDPOINTS);
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
    } else if (fg_ucx_query_lanes(c, ep, &lanes, &d.source) == 0) {
        out = fg_ucx_judge(c, &lanes, &d);
        /* lanes not final yet: the first recheck judges them for real */
        rec.fingerprint = cs ? 0 : fg_ucx_lanes_fingerprint(&lanes);
    }
    rec.flags = (cs ? EP_PENDING : 0) | (kind << EP_KIND_SHIFT) | (id << EP_ID_SHIFT);
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_put(&endpoints, &rec);
    if (cs) {
        fg_ucx_pending_add_locked(ep);
    }
    pthread_mutex_unlock(&ucx_lock);
    return out;
}

static void forget_endpoint(const void *ep)
{
    pthread_mutex_lock(&ucx_lock);
    fg_handlemap_del(&endpoints, ep);
    fg_ucx_pending_remove_locked(ep);
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
    fg_ucx_copy_t *c = caller_copy("ucp_init_version", __builtin_return_address(0));
    ucs_status_t   st;
    fg_state_t     s;

    if (c == NULL || c->init_version == NULL) {
        report_missing("ucp_init_version");
        return UCS_ERR_UNSUPPORTED;
    }
    if ((s = fg_wrap_state()) == FG_STATE_PASSTHROUGH) {
        return c->init_version(api_major, api_minor, params, config, context_p);
    }
    if (s == FG_STATE_FAIL_CLOSED &&
        fg_verdict_fail_closed("ucx", "context creation") == FG_GO_FAIL) {
        return UCS_ERR_UNREACHABLE;
    }
    FG_GUARDED {
        st = c->init_version(api_major, api_minor, params, config, context_p);
        if (st != UCS_OK) {
            atomic_store(&init_failed_status, (int)st);
        }
        if (st == UCS_OK && observe_context(c, config, *context_p) == FG_GO_FAIL) {
            ucp_context_h ctx = *context_p;
            forget_handle(&contexts, ctx);
            fg_ucx_route_del_context(ctx);
            c->cleanup(ctx);
            st = UCS_ERR_UNREACHABLE;
        }
    }
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
    forget_handle(&contexts, context);
    fg_ucx_route_del_context(context);
    FG_GUARDED {
        c->cleanup(context);
    }
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
    if (fg_wrap_state() != FG_STATE_OBSERVE) {
        return c->worker_create(context, params, worker_p);
    }
    FG_GUARDED {
        st = c->worker_create(context, params, worker_p);
    }
    if (st == UCS_OK) {
        rec = (fg_handle_rec_t){ *worker_p, c, context, 0, 0 };
        pthread_mutex_lock(&ucx_lock);
        fg_handlemap_put(&workers, &rec);
        pthread_mutex_unlock(&ucx_lock);
        fg_count(FG_COUNT_WORKERS);
    }
    return st;
}

static int drop_worker_endpoint(fg_handle_rec_t *rec, void *worker)
{
    if (rec->parent != worker) {
        return 0;
    }
    fg_ucx_pending_remove_locked(rec->key);
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
    if (fg_wrap_state() == FG_STATE_OBSERVE) {
        FG_GUARDED {
            recheck_pending(worker, (size_t)-1);   /* never later than the end */
        }
        pthread_mutex_lock(&ucx_lock);
        fg_handlemap_sweep(&endpoints, drop_worker_endpoint, worker);
        fg_handlemap_del(&workers, worker);
        pthread_mutex_unlock(&ucx_lock);
    }
    FG_GUARDED {
        c->worker_destroy(worker);
    }
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
    if ((s = fg_wrap_state()) == FG_STATE_PASSTHROUGH) {
        return c->ep_create(worker, params, ep_p);
    }
    if (s == FG_STATE_FAIL_CLOSED &&
        fg_verdict_fail_closed("ucx", "endpoint creation") == FG_GO_FAIL) {
        return UCS_ERR_UNREACHABLE;
    }
    FG_GUARDED {
        recheck_pending(worker, FG_RECHECK_PER_CALL);
        peer[0] = '\0';
        if (fg_ucx_is_client_server(params)) {
            fg_ucx_peer_of(c, params, peer, sizeof(peer));
            out = prejudge(c, worker, params);   /* abort/exit end the process here */
        }
        if (out == FG_GO_FAIL && fg_ucx_kind_of(params) == 1) {
            return UCS_ERR_UNREACHABLE;   /* the client never connects */
        }
        fg_ucx_cfg_begin();
        st = c->ep_create(worker, params, ep_p);
        fg_ucx_cfg_end();
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
    }
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

/* One real close call of the copy that made the endpoint. */
typedef ucs_status_ptr_t (*close_call_t)(const fg_ucx_copy_t *c, ucp_ep_h ep, const void *arg);

/* Every close entry point: judge once (outermost call), forget, then close
 * through the copy (`present`: it has this entry point). */
static ucs_status_ptr_t close_endpoint(const fg_ucx_copy_t *c, ucp_ep_h ep, const char *name,
                                       int present, close_call_t call, const void *arg)
{
    ucs_status_ptr_t r   = UCS_STATUS_PTR(UCS_ERR_UNSUPPORTED);
    fg_outcome_t     out = FG_GO_ON;
    fg_state_t       s;

    if (!present) {
        report_missing(name);
    }
    s = fg_wrap_state();
    FG_GUARDED {
        if (s == FG_STATE_OBSERVE) {
            out = before_close(ep);
        }
        if (present) {
            r = verdict_of_close(c, out, call(c, ep, arg));
        }
    }
    return r;
}

static ucs_status_ptr_t call_close_nbx(const fg_ucx_copy_t *c, ucp_ep_h ep, const void *arg)
{
    return c->ep_close_nbx(ep, arg);
}

static ucs_status_ptr_t call_close_nb(const fg_ucx_copy_t *c, ucp_ep_h ep, const void *arg)
{
    return c->ep_close_nb(ep, *(const unsigned *)arg);
}

static ucs_status_ptr_t call_destroy(const fg_ucx_copy_t *c, ucp_ep_h ep, const void *arg)
{
    (void)arg;
    c->ep_destroy(ep);
    return NULL;   /* nothing to return a verdict through */
}

static ucs_status_ptr_t call_disconnect_nb(const fg_ucx_copy_t *c, ucp_ep_h ep, const void *arg)
{
    (void)arg;
    return c->disconnect_nb(ep);
}

FG_EXPORT ucs_status_ptr_t ucp_ep_close_nbx(ucp_ep_h ep,
                                            const ucp_request_param_t *param)
{
    fg_ucx_copy_t *c = copy_of(&endpoints, ep, "ucp_ep_close_nbx",
                               __builtin_return_address(0));

    return close_endpoint(c, ep, "ucp_ep_close_nbx", c != NULL && c->ep_close_nbx != NULL,
                          call_close_nbx, param);
}

FG_EXPORT ucs_status_ptr_t ucp_ep_close_nb(ucp_ep_h ep, unsigned mode)
{
    fg_ucx_copy_t *c = copy_of(&endpoints, ep, "ucp_ep_close_nb",
                               __builtin_return_address(0));

    return close_endpoint(c, ep, "ucp_ep_close_nb", c != NULL && c->ep_close_nb != NULL,
                          call_close_nb, &mode);
}

FG_EXPORT void ucp_ep_destroy(ucp_ep_h ep)
{
    fg_ucx_copy_t *c = copy_of(&endpoints, ep, "ucp_ep_destroy",
                               __builtin_return_address(0));

    (void)close_endpoint(c, ep, "ucp_ep_destroy", c != NULL && c->ep_destroy != NULL,
                         call_destroy, NULL);
}

FG_EXPORT ucs_status_ptr_t ucp_disconnect_nb(ucp_ep_h ep)
{
    fg_ucx_copy_t *c = copy_of(&endpoints, ep, "ucp_disconnect_nb",
                               __builtin_return_address(0));

    return close_endpoint(c, ep, "ucp_disconnect_nb", c != NULL && c->disconnect_nb != NULL,
                          call_disconnect_nb, NULL);
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
    if (fg_wrap_state() == FG_STATE_OBSERVE &&
        fg_object_of(__builtin_return_address(0)) != c->base) {
        int claimed;
        FG_GUARDED {
            pthread_mutex_lock(&ucx_lock);
            claimed = claim_locked(ep, NULL);
            pthread_mutex_unlock(&ucx_lock);
            if (claimed) {
                out = recheck_claimed(ep, "at rkey unpack");
            }
        }
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
    if (fg_wrap_state() == FG_STATE_OBSERVE) {
        FG_GUARDED {
            recheck_pending(worker, FG_RECHECK_PER_CALL);
        }
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

static const char *unobserved_reason(void)
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

static void after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    /* the child does not own the parent's UCX handles' verdicts */
    ucx_lock = fresh;
    fg_handlemap_clear(&endpoints);
    fg_handlemap_clear(&workers);
    fg_handlemap_clear(&contexts);
    fg_ucx_pending_after_fork();
    fg_ucx_copy_after_fork();
    fg_ucx_observe_after_fork();
    fg_ucx_cfg_end();
    fg_ucx_route_after_fork();
}

/* What core runs for UCX at fork and asks at exit (module.h). */
static const fg_module_ops_t ucx_module = {
    .name              = "ucx",
    .after_fork        = after_fork,
    .unobserved_reason = unobserved_reason,
};

static void register_module(void)
{
    fg_core_register_module(&ucx_module);
}

__attribute__((constructor)) static void ucx_at_load(void)
{
    register_module();
}
