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

static void register_module(void);

#define FG_EXPORT __attribute__((visibility("default")))


static __thread char   last_error[512] __attribute__((tls_model("initial-exec")));

/* The copy a creation call's caller reaches. */
static fg_nccl_copy_t *caller_copy(const void *caller)
{
    register_module();   /* a first call may precede our constructor */
    return fg_nccl_copy_for_caller(caller);
}

/* The copy that made `comm`, else the one the caller reaches; *failed: a
 * lazy channel judged it `fail`. */
static fg_nccl_copy_t *copy_of_comm(ncclComm_t comm, const void *caller, int *failed)
{
    fg_nccl_copy_t *c = NULL;

    if (failed) *failed = 0;
    if (comm != NULL) c = fg_nccl_comm_copy(comm, failed);
    return c != NULL ? c : caller_copy(caller);
}

static void comm_gone(ncclComm_t comm)
{
    pthread_mutex_lock(&fg_nccl_lock);
    fg_nccl_comm_forget_locked(comm);
    fg_nccl_forget_comm(comm);
    pthread_mutex_unlock(&fg_nccl_lock);
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
        if (c != NULL) fg_nccl_comm_created(c, copy);
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

typedef enum { WAY_PASS, WAY_REFUSE, WAY_WATCH } nccl_way_t;

/* Every wrapped call starts here (after its copy is known): pass it
 * through, refuse it (enforce mode with a broken policy), or watch it. The
 * thread's fabguard message belongs to the call that set it only
 * (ncclGetLastError then reports NCCL's own). */
static nccl_way_t prologue(fg_nccl_copy_t *copy, const char *name)
{
    if (fg_guard_depth() == 0) last_error[0] = '\0';
    switch (fg_wrap_state()) {
    case FG_STATE_PASSTHROUGH:
        return WAY_PASS;
    case FG_STATE_FAIL_CLOSED:
        if (fg_verdict_fail_closed("nccl", name) == FG_GO_FAIL) {
            snprintf(last_error, sizeof(last_error), "fabguard: policy error, enforce mode fails closed");
            return WAY_REFUSE;
        }
        return WAY_PASS;
    default:
        break;
    }
    fg_nccl_capture_for(copy);
    return WAY_WATCH;
}

FG_EXPORT ncclResult_t ncclGetUniqueId(ncclUniqueId *id)
{
    typedef ncclResult_t (*fn_t)(ncclUniqueId *);
    fg_nccl_copy_t *copy = caller_copy(__builtin_return_address(0));
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->get_unique_id == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclGetUniqueId");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->get_unique_id)(id);
    FG_GUARDED {
        rc = ((fn_t)copy->get_unique_id)(id);
        fg_nccl_drain();   /* its lines are forwarded before the application goes on */
    }
    return rc;
}

FG_EXPORT ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, ncclUniqueId, int);
    fg_nccl_copy_t *copy = caller_copy(__builtin_return_address(0));
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->init_rank == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclCommInitRank");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->init_rank)(comm, nranks, id, rank);
    FG_GUARDED {
        rc = ((fn_t)copy->init_rank)(comm, nranks, id, rank);
        rc = after_init(copy, rc, comm, 1, "ncclCommInitRank");
    }
    return rc;
}

FG_EXPORT ncclResult_t ncclCommInitRankConfig(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank,
                                              ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, ncclUniqueId, int, ncclConfig_t *);
    fg_nccl_copy_t *copy = caller_copy(__builtin_return_address(0));
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->init_rank_config == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclCommInitRankConfig");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->init_rank_config)(comm, nranks, id, rank, config);
    FG_GUARDED {
        rc = ((fn_t)copy->init_rank_config)(comm, nranks, id, rank, config);
        rc = after_init(copy, rc, comm, 1, "ncclCommInitRankConfig");
    }
    return rc;
}

FG_EXPORT ncclResult_t ncclCommInitRankScalable(ncclComm_t *comm, int nranks, int rank, int nId,
                                                ncclUniqueId *ids, ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, int, int, ncclUniqueId *, ncclConfig_t *);
    fg_nccl_copy_t *copy = caller_copy(__builtin_return_address(0));
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->init_rank_scalable == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclCommInitRankScalable");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->init_rank_scalable)(comm, nranks, rank, nId, ids, config);
    FG_GUARDED {
        rc = ((fn_t)copy->init_rank_scalable)(comm, nranks, rank, nId, ids, config);
        rc = after_init(copy, rc, comm, 1, "ncclCommInitRankScalable");
    }
    return rc;
}

FG_EXPORT ncclResult_t ncclCommInitAll(ncclComm_t *comms_out, int ndev, const int *devlist)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, const int *);
    fg_nccl_copy_t *copy = caller_copy(__builtin_return_address(0));
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->init_all == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclCommInitAll");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->init_all)(comms_out, ndev, devlist);
    FG_GUARDED {
        rc = ((fn_t)copy->init_all)(comms_out, ndev, devlist);
        rc = after_init(copy, rc, comms_out, ndev, "ncclCommInitAll");
    }
    return rc;
}

/* A communicator judged `fail` after its init (a lazy connection) refuses
 * the next control-path call on it. */
static int refused_after_init(ncclComm_t comm, fg_nccl_copy_t **copy, const void *caller)
{
    int      failed;

    fg_nccl_drain();   /* lazy channel lines written so far are judged first */
    *copy = copy_of_comm(comm, caller, &failed);
    if (failed) {
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
    fg_nccl_copy_t *copy = copy_of_comm(comm, __builtin_return_address(0), NULL);
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->split == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclCommSplit");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->split)(comm, color, key, newcomm, config);
    if (refused_after_init(comm, &copy, __builtin_return_address(0))) return ncclSystemError;
    FG_GUARDED {
        rc = ((fn_t)copy->split)(comm, color, key, newcomm, config);
        rc = after_init(copy, rc, newcomm, 1, "ncclCommSplit");
    }
    return rc;
}

FG_EXPORT ncclResult_t ncclCommShrink(ncclComm_t comm, int *exclude, int nexclude, ncclComm_t *newcomm,
                                      ncclConfig_t *config, int flags)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t, int *, int, ncclComm_t *, ncclConfig_t *, int);
    fg_nccl_copy_t *copy = copy_of_comm(comm, __builtin_return_address(0), NULL);
    ncclResult_t    rc;
    nccl_way_t      way;

    if (copy == NULL || copy->shrink == NULL) return ncclInternalError;   /* no real NCCL */
    way = prologue(copy, "ncclCommShrink");
    if (way == WAY_REFUSE) return ncclSystemError;
    if (way == WAY_PASS) return ((fn_t)copy->shrink)(comm, exclude, nexclude, newcomm, config, flags);
    if (refused_after_init(comm, &copy, __builtin_return_address(0))) return ncclSystemError;
    FG_GUARDED {
        rc = ((fn_t)copy->shrink)(comm, exclude, nexclude, newcomm, config, flags);
        rc = after_init(copy, rc, newcomm, 1, "ncclCommShrink");
    }
    return rc;
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

static void after_fork(void)
{
    fg_nccl_copy_after_fork();
    fg_nccl_capture_after_fork();
}

/* What core runs for NCCL at fork and exit and asks at exit (module.h). */
static const fg_module_ops_t nccl_module = {
    .name          = "nccl",
    .after_fork    = after_fork,
    .at_exit       = fg_nccl_at_exit,
    .loaded_unused = fg_nccl_loaded_unused,
};

static void register_module(void)
{
    fg_core_register_module(&nccl_module);
}

__attribute__((constructor)) static void nccl_at_load(void)
{
    register_module();
}
