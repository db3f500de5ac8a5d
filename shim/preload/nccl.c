/* NCCL interposition: the communicator creation family (pnccl* originals),
 * destroy/abort/finalize and ncclGetLastError. No collective, send/recv or
 * group call is wrapped.
 *
 * Library copies. Every libnccl loaded (a wheel's renamed copy beside
 * another one) gets its own table of real functions, resolved from that very
 * object. A creation call reaches the copy its caller would have reached
 * (the caller's own dependency scope, resolve.c); every later call on a
 * communicator reaches the copy that created it.
 *
 * Capture (nccl_capture.c) answers the NCCL_DEBUG settings to each copy
 * through that copy's own GOT and judges what NCCL prints. */
#include "fabguard/nccl_abi.h"
#include "core.h"
#include "resolve.h"
#include "nccl_int.h"
#include "fabguard/handlemap.h"
#include "fabguard/judge.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FG_EXPORT __attribute__((visibility("default")))
#define MAX_COPIES 8
#define MAX_CALLERS 64

enum { COMM_FAILED = 1u << 0 };   /* judged `fail` after init (lazy channel) */

static pthread_mutex_t copy_lock = PTHREAD_MUTEX_INITIALIZER;   /* copies, callers */
static fg_nccl_copy_t  copies[MAX_COPIES];
static size_t          ncopies;
static struct { const void *obj; fg_nccl_copy_t *copy; } callers[MAX_CALLERS];
static size_t          ncallers;
static fg_handlemap_t  comms;          /* live communicators, under fg_nccl_lock */
static __thread char   last_error[512] __attribute__((tls_model("initial-exec")));

#define RESOLVE(c, field, name)                                           \
    do {                                                                  \
        (c)->field = fg_resolve_beside("p" name, sibling);                \
        if ((c)->field == NULL) (c)->field = fg_resolve_beside(name, sibling); \
    } while (0)

/* The copy that defines `sibling`; copy_lock held. */
static fg_nccl_copy_t *copy_from(const void *sibling)
{
    const void      *base = fg_object_of(sibling);
    fg_nccl_copy_t  *c;
    Dl_info          di;
    struct link_map *lm = NULL;
    size_t           i;

    for (i = 0; i < ncopies; i++) {
        if (copies[i].base == base) return &copies[i];
    }
    if (base == NULL || ncopies == MAX_COPIES ||
        dladdr1(sibling, &di, (void **)&lm, RTLD_DL_LINKMAP) == 0) {
        return NULL;
    }
    c = &copies[ncopies];
    memset(c, 0, sizeof(*c));
    c->base = base;
    c->lm   = lm;
    fg_strlcpy(c->object, di.dli_fname && strrchr(di.dli_fname, '/') ? strrchr(di.dli_fname, '/') + 1
                                                                     : (di.dli_fname ? di.dli_fname : "?"),
               sizeof(c->object));
    RESOLVE(c, get_unique_id, "ncclGetUniqueId");
    RESOLVE(c, init_rank, "ncclCommInitRank");
    RESOLVE(c, init_rank_config, "ncclCommInitRankConfig");
    RESOLVE(c, init_rank_scalable, "ncclCommInitRankScalable");
    RESOLVE(c, init_all, "ncclCommInitAll");
    RESOLVE(c, split, "ncclCommSplit");
    RESOLVE(c, shrink, "ncclCommShrink");
    RESOLVE(c, destroy, "ncclCommDestroy");
    RESOLVE(c, abort_, "ncclCommAbort");
    RESOLVE(c, finalize, "ncclCommFinalize");
    RESOLVE(c, reset_debug, "ncclResetDebugInit");
    RESOLVE(c, get_last_error, "ncclGetLastError");
    ncopies++;
    return c;
}

/* The copy the caller reaches (cached per calling object; "none" too). */
static fg_nccl_copy_t *copy_for_caller(const void *caller)
{
    const void     *obj = fg_object_of(caller);
    fg_nccl_copy_t *c   = NULL;
    void           *sym;
    size_t          i;

    fg_core_fork_ready();   /* before copy_lock: a forked child must not inherit it held */
    pthread_mutex_lock(&copy_lock);
    for (i = 0; i < ncallers; i++) {
        if (callers[i].obj == obj) {
            c = callers[i].copy;
            pthread_mutex_unlock(&copy_lock);
            return c;
        }
    }
    pthread_mutex_unlock(&copy_lock);
    /* resolution may dlopen(RTLD_NOLOAD): never under our lock */
    sym = fg_resolve_for_caller("pncclGetUniqueId", caller);
    if (sym == NULL) sym = fg_resolve_for_caller("ncclGetUniqueId", caller);
    pthread_mutex_lock(&copy_lock);
    c = sym ? copy_from(sym) : NULL;
    if (ncallers < MAX_CALLERS) {
        callers[ncallers].obj  = obj;
        callers[ncallers].copy = c;
        ncallers++;
    }
    pthread_mutex_unlock(&copy_lock);
    return c;
}

static fg_nccl_copy_t *copy_of_comm(ncclComm_t comm, const void *caller, unsigned *flags)
{
    fg_handle_rec_t rec;
    int             found = 0;

    if (comm != NULL) {
        pthread_mutex_lock(&fg_nccl_lock);
        found = fg_handlemap_get(&comms, comm, &rec);
        pthread_mutex_unlock(&fg_nccl_lock);
    }
    if (flags) *flags = found ? rec.flags : 0;
    if (found && rec.lib != NULL) return rec.lib;
    return copy_for_caller(caller);
}

fg_nccl_copy_t *fg_nccl_copy_at(const void *addr)
{
    const void *base = fg_object_of(addr);
    size_t      i;

    pthread_mutex_lock(&copy_lock);
    for (i = 0; i < ncopies; i++) {
        if (copies[i].base == base) {
            pthread_mutex_unlock(&copy_lock);
            return &copies[i];
        }
    }
    pthread_mutex_unlock(&copy_lock);
    return NULL;
}

void fg_nccl_for_each_copy(void (*fn)(fg_nccl_copy_t *c))
{
    size_t i, n;

    pthread_mutex_lock(&copy_lock);
    n = ncopies;
    pthread_mutex_unlock(&copy_lock);
    for (i = 0; i < n; i++) fn(&copies[i]);   /* entries never move or change identity */
}

/* ---- live communicators -------------------------------------------------- */

static void comm_created(ncclComm_t comm, fg_nccl_copy_t *c)
{
    fg_handle_rec_t rec;

    memset(&rec, 0, sizeof(rec));
    rec.key = comm;
    rec.lib = c;
    pthread_mutex_lock(&fg_nccl_lock);
    fg_handlemap_put(&comms, &rec);   /* a reused address starts clean */
    pthread_mutex_unlock(&fg_nccl_lock);
}

static void comm_gone(ncclComm_t comm)
{
    pthread_mutex_lock(&fg_nccl_lock);
    fg_handlemap_del(&comms, comm);
    fg_nccl_forget_comm(comm);
    pthread_mutex_unlock(&fg_nccl_lock);
}

void fg_nccl_mark_failed(const void *comm)
{
    fg_handle_rec_t *r = fg_handlemap_ref(&comms, comm);   /* fg_nccl_lock held */

    if (r != NULL) r->flags |= COMM_FAILED;
}

/* ---- judging ------------------------------------------------------------- */

/* Judge what this init produced; on enforce+fail abort the comm. */
static ncclResult_t after_init(fg_nccl_copy_t *copy, ncclResult_t rc, ncclComm_t *comms_out, int ncomms,
                               const char *what)
{
    int          i;
    fg_outcome_t out = FG_GO_ON;
    char         rule[48] = "";

    fg_nccl_drain();
    for (i = 0; i < (rc == ncclSuccess ? ncomms : 1); i++) {
        ncclComm_t c = (rc == ncclSuccess && comms_out != NULL) ? comms_out[i] : NULL;
        if (c != NULL) comm_created(c, copy);
        if (fg_nccl_judge_init(c, (int)rc, what, rule, sizeof(rule)) == FG_GO_FAIL) out = FG_GO_FAIL;
    }
    if (rc != ncclSuccess) fg_nccl_forget_failed_init((long)syscall(SYS_gettid));
    if (out == FG_GO_FAIL && rc == ncclSuccess) {
        for (i = 0; i < ncomms; i++) {
            if (comms_out[i] == NULL) continue;
            comm_gone(comms_out[i]);
            if (copy->abort_ != NULL) ((ncclResult_t (*)(ncclComm_t))copy->abort_)(comms_out[i]);
            comms_out[i] = NULL;
        }
        snprintf(last_error, sizeof(last_error),
                 "fabguard: communicator refused by policy (%s); see the fabguard line on stderr",
                 rule[0] ? rule : "policy");
        return ncclSystemError;
    }
    return rc;
}

/* Every wrapped call starts here: the thread's fabguard message belongs to
 * the call that set it only (ncclGetLastError then reports NCCL's own). */
#define NCCL_PROLOGUE(copy, field, name)                                        \
    if ((copy) == NULL || (copy)->field == NULL) {                              \
        return ncclInternalError;   /* pass-through-or-error: no real NCCL */   \
    }                                                                           \
    if (fg_guard_depth() > 0) goto passthrough;                                 \
    last_error[0] = '\0';                                                       \
    switch (fg_core_state()) {                                                  \
    case FG_STATE_PASSTHROUGH: goto passthrough;                                \
    case FG_STATE_FAIL_CLOSED:                                                  \
        if (fg_core_fail_closed("nccl", name) == FG_GO_FAIL) {                  \
            snprintf(last_error, sizeof(last_error), "fabguard: policy error, enforce mode fails closed"); \
            return ncclSystemError;                                             \
        }                                                                       \
        goto passthrough;                                                       \
    default: break;                                                             \
    }                                                                           \
    fg_nccl_capture_for(copy)

#define CALLER_COPY fg_nccl_copy_t *copy = copy_for_caller(__builtin_return_address(0))

FG_EXPORT ncclResult_t ncclGetUniqueId(ncclUniqueId *id)
{
    typedef ncclResult_t (*fn_t)(ncclUniqueId *);
    ncclResult_t rc;
    CALLER_COPY;
    NCCL_PROLOGUE(copy, get_unique_id, "ncclGetUniqueId");
    fg_guard_enter();
    rc = ((fn_t)copy->get_unique_id)(id);
    fg_nccl_drain();   /* its lines are forwarded before the application goes on */
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->get_unique_id)(id);
}

FG_EXPORT ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, ncclUniqueId, int);
    ncclResult_t rc;
    CALLER_COPY;
    NCCL_PROLOGUE(copy, init_rank, "ncclCommInitRank");
    fg_guard_enter();
    rc = ((fn_t)copy->init_rank)(comm, nranks, id, rank);
    rc = after_init(copy, rc, comm, 1, "ncclCommInitRank");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->init_rank)(comm, nranks, id, rank);
}

FG_EXPORT ncclResult_t ncclCommInitRankConfig(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank,
                                              ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, ncclUniqueId, int, ncclConfig_t *);
    ncclResult_t rc;
    CALLER_COPY;
    NCCL_PROLOGUE(copy, init_rank_config, "ncclCommInitRankConfig");
    fg_guard_enter();
    rc = ((fn_t)copy->init_rank_config)(comm, nranks, id, rank, config);
    rc = after_init(copy, rc, comm, 1, "ncclCommInitRankConfig");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->init_rank_config)(comm, nranks, id, rank, config);
}

FG_EXPORT ncclResult_t ncclCommInitRankScalable(ncclComm_t *comm, int nranks, int rank, int nId,
                                                ncclUniqueId *ids, ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, int, int, ncclUniqueId *, ncclConfig_t *);
    ncclResult_t rc;
    CALLER_COPY;
    NCCL_PROLOGUE(copy, init_rank_scalable, "ncclCommInitRankScalable");
    fg_guard_enter();
    rc = ((fn_t)copy->init_rank_scalable)(comm, nranks, rank, nId, ids, config);
    rc = after_init(copy, rc, comm, 1, "ncclCommInitRankScalable");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->init_rank_scalable)(comm, nranks, rank, nId, ids, config);
}

FG_EXPORT ncclResult_t ncclCommInitAll(ncclComm_t *comms_out, int ndev, const int *devlist)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, const int *);
    ncclResult_t rc;
    CALLER_COPY;
    NCCL_PROLOGUE(copy, init_all, "ncclCommInitAll");
    fg_guard_enter();
    rc = ((fn_t)copy->init_all)(comms_out, ndev, devlist);
    rc = after_init(copy, rc, comms_out, ndev, "ncclCommInitAll");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->init_all)(comms_out, ndev, devlist);
}

/* A communicator judged `fail` after its init (a lazy connection) refuses
 * the next control-path call on it. */
static int refused_after_init(ncclComm_t comm, fg_nccl_copy_t **copy, const void *caller)
{
    unsigned flags;

    fg_nccl_drain();   /* lazy channel lines written so far are judged first */
    *copy = copy_of_comm(comm, caller, &flags);
    if (flags & COMM_FAILED) {
        snprintf(last_error, sizeof(last_error),
                 "fabguard: communicator %p made a connection the policy forbids; see the fabguard line on stderr",
                 (void *)comm);
        return 1;
    }
    return 0;
}

FG_EXPORT ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t *newcomm, ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t, int, int, ncclComm_t *, ncclConfig_t *);
    ncclResult_t rc;
    fg_nccl_copy_t *copy = copy_of_comm(comm, __builtin_return_address(0), NULL);
    NCCL_PROLOGUE(copy, split, "ncclCommSplit");
    if (refused_after_init(comm, &copy, __builtin_return_address(0))) return ncclSystemError;
    fg_guard_enter();
    rc = ((fn_t)copy->split)(comm, color, key, newcomm, config);
    rc = after_init(copy, rc, newcomm, 1, "ncclCommSplit");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->split)(comm, color, key, newcomm, config);
}

FG_EXPORT ncclResult_t ncclCommShrink(ncclComm_t comm, int *exclude, int nexclude, ncclComm_t *newcomm,
                                      ncclConfig_t *config, int flags)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t, int *, int, ncclComm_t *, ncclConfig_t *, int);
    ncclResult_t rc;
    fg_nccl_copy_t *copy = copy_of_comm(comm, __builtin_return_address(0), NULL);
    NCCL_PROLOGUE(copy, shrink, "ncclCommShrink");
    if (refused_after_init(comm, &copy, __builtin_return_address(0))) return ncclSystemError;
    fg_guard_enter();
    rc = ((fn_t)copy->shrink)(comm, exclude, nexclude, newcomm, config, flags);
    rc = after_init(copy, rc, newcomm, 1, "ncclCommShrink");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)copy->shrink)(comm, exclude, nexclude, newcomm, config, flags);
}

/* Destroy/abort always reach NCCL (no leak); lazy verdicts were reported
 * when their lines arrived. The communicator is forgotten first: NCCL may
 * hand its address to the next one. */
#define PASS_COMM(fnname, field, forget)                                        \
    FG_EXPORT ncclResult_t fnname(ncclComm_t comm)                              \
    {                                                                           \
        fg_nccl_copy_t *copy = copy_of_comm(comm, __builtin_return_address(0), NULL); \
        if (copy == NULL || copy->field == NULL) return ncclInternalError;     \
        if (fg_guard_depth() == 0) last_error[0] = '\0';                        \
        if ((forget) && comm != NULL) {                                         \
            fg_nccl_drain();   /* its last lines belong to it */                \
            comm_gone(comm);                                                    \
        }                                                                       \
        return ((ncclResult_t (*)(ncclComm_t))copy->field)(comm);              \
    }
PASS_COMM(ncclCommDestroy, destroy, 1)
PASS_COMM(ncclCommAbort, abort_, 1)
PASS_COMM(ncclCommFinalize, finalize, 0)

FG_EXPORT const char *ncclGetLastError(ncclComm_t comm)
{
    fg_nccl_copy_t *copy;

    if (last_error[0] != '\0') return last_error;
    copy = copy_of_comm(comm, __builtin_return_address(0), NULL);
    if (copy == NULL || copy->get_last_error == NULL) return "";
    return ((const char *(*)(ncclComm_t))copy->get_last_error)(comm);
}

void fg_nccl_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    copy_lock = fresh;
    fg_nccl_capture_after_fork();
}
