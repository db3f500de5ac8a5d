/* NCCL interposition: the communicator creation family (pnccl* originals),
 * destroy/abort/finalize and ncclGetLastError. No collective, send/recv or
 * group call is wrapped.
 *
 * Capture. NCCL writes what it selected (network, HCAs, bootstrap
 * interface, channel transports, GPUDirect) only to its debug log, whose
 * settings it reads once through getenv (src/debug.cc ncclDebugInit). The
 * shim answers libnccl's own getenv("NCCL_DEBUG"/"NCCL_DEBUG_SUBSYS"/
 * "NCCL_DEBUG_FILE") calls — and only those, recognised by the caller's
 * object — with capture settings whose file is a pipe; the real environment
 * never changes, so the application and its children see their own values.
 * A reader thread parses each line and forwards to the user's real
 * destination exactly the lines the user's own settings would have printed.
 * Level: INFO when the user asked for less (then INIT,BOOTSTRAP,ENV,NET,GRAPH
 * are captured and none of it is forwarded); the user's own level and
 * subsystems otherwise, so their output is unchanged. */
#include "fabguard/nccl_abi.h"
#include "core.h"
#include "resolve.h"
#include "fabguard/judge.h"
#include "fabguard/nccl_log.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FG_EXPORT __attribute__((visibility("default")))
#define SYNC_MARK "\001fabguard-sync "

extern char **environ;

/* ---- getenv ----------------------------------------------------------------
 * Identical to glibc's when the caller is not libnccl asking for its debug
 * settings: a scan of environ, no allocation, async-signal-safe. */
static atomic_int  capture_on;          /* set once the pipe exists */
static const void *nccl_base;           /* libnccl's load address (set when armed) */
static char        cap_level[16], cap_subsys[256], cap_file[64];

static const char *env_scan(const char *name)
{
    size_t n = strlen(name);
    char **e;

    if (environ == NULL || name[0] == '\0') return NULL;
    for (e = environ; *e != NULL; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    }
    return NULL;
}

FG_EXPORT char *getenv(const char *name)
{
    if (strncmp(name, "NCCL_DEBUG", 10) == 0 && atomic_load(&capture_on) &&
        fg_object_of(__builtin_return_address(0)) == nccl_base) {
        if (strcmp(name, "NCCL_DEBUG") == 0) return cap_level;
        if (strcmp(name, "NCCL_DEBUG_FILE") == 0) return cap_file;
        if (strcmp(name, "NCCL_DEBUG_SUBSYS") == 0) return cap_subsys[0] ? cap_subsys : NULL;
    }
    return (char *)env_scan(name);
}

/* ---- real functions ---------------------------------------------------- */

typedef ncclResult_t (*init_rank_fn)(ncclComm_t *, int, ncclUniqueId, int);
typedef struct {
    int   resolved;
    void *get_unique_id, *init_rank, *init_rank_config, *init_rank_scalable, *init_all,
         *split, *shrink, *destroy, *abort_, *finalize, *reset_debug, *get_last_error,
         *get_error_string;
} nccl_real_t;

static pthread_mutex_t nccl_lock = PTHREAD_MUTEX_INITIALIZER;  /* guards everything below */
static nccl_real_t     real;
static fg_nccl_log_t   nlog;
static int             pipe_r = -1, pipe_w = -1, user_fd = -1, user_level;
static pthread_t       reader;
static pthread_cond_t  synced = PTHREAD_COND_INITIALIZER;
static unsigned long   sync_sent, sync_seen;
static char            failed_comms[64][32];      /* comms judged `fail` after init */
static int             nfailed;
static __thread char   last_error[512] __attribute__((tls_model("initial-exec")));

static void *pick(const char *pname, const char *name, const void *caller)
{
    void *s = dlsym(RTLD_NEXT, pname);
    if (s == NULL || fg_addr_is_ours(s)) s = fg_resolve_for_caller(pname, caller);
    if (s == NULL) s = fg_resolve_for_caller(name, caller);
    return s;
}

static void resolve_all(const void *caller)
{
    fg_core_fork_ready();   /* before nccl_lock: a forked child must not inherit it held */
    pthread_mutex_lock(&nccl_lock);
    if (!real.resolved) {
        real.get_unique_id      = pick("pncclGetUniqueId", "ncclGetUniqueId", caller);
        real.init_rank          = pick("pncclCommInitRank", "ncclCommInitRank", caller);
        real.init_rank_config   = pick("pncclCommInitRankConfig", "ncclCommInitRankConfig", caller);
        real.init_rank_scalable = pick("pncclCommInitRankScalable", "ncclCommInitRankScalable", caller);
        real.init_all           = pick("pncclCommInitAll", "ncclCommInitAll", caller);
        real.split              = pick("pncclCommSplit", "ncclCommSplit", caller);
        real.shrink             = pick("pncclCommShrink", "ncclCommShrink", caller);
        real.destroy            = pick("pncclCommDestroy", "ncclCommDestroy", caller);
        real.abort_             = pick("pncclCommAbort", "ncclCommAbort", caller);
        real.finalize           = pick("pncclCommFinalize", "ncclCommFinalize", caller);
        real.reset_debug        = pick("pncclResetDebugInit", "ncclResetDebugInit", caller);
        real.get_last_error     = pick("pncclGetLastError", "ncclGetLastError", caller);
        real.get_error_string   = pick("pncclGetErrorString", "ncclGetErrorString", caller);
        real.resolved = 1;
    }
    pthread_mutex_unlock(&nccl_lock);
}

/* ---- forwarding what the user asked NCCL to print ------------------------ */

enum { LVL_NONE, LVL_VERSION, LVL_WARN, LVL_INFO, LVL_ABORT, LVL_TRACE };

static int parse_level(const char *v)
{
    if (v == NULL) return LVL_NONE;
    if (!strcasecmp(v, "VERSION")) return LVL_VERSION;
    if (!strcasecmp(v, "WARN")) return LVL_WARN;
    if (!strcasecmp(v, "INFO")) return LVL_INFO;
    if (!strcasecmp(v, "ABORT")) return LVL_ABORT;
    if (!strcasecmp(v, "TRACE")) return LVL_TRACE;
    return LVL_NONE;
}

static int line_level(const char *l)
{
    if (strstr(l, " NCCL WARN ")) return LVL_WARN;
    if (strstr(l, " NCCL INFO ")) return LVL_INFO;
    if (strncmp(l, "NCCL version", 12) == 0 || strstr(l, "] NCCL version")) return LVL_VERSION;
    return LVL_TRACE;
}

/* NCCL_DEBUG_FILE expansion as src/debug.cc does it: %h host, %p pid. */
static void open_user_file(const char *tmpl)
{
    char path[4096], host[256];
    size_t n = 0;
    const char *p;

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    for (p = tmpl; *p && n + 64 < sizeof(path); p++) {
        if (p[0] == '%' && p[1] == 'h') { n += (size_t)snprintf(path + n, sizeof(path) - n, "%s", host); p++; }
        else if (p[0] == '%' && p[1] == 'p') { n += (size_t)snprintf(path + n, sizeof(path) - n, "%d", (int)getpid()); p++; }
        else path[n++] = *p;
    }
    path[n] = '\0';
    user_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

/* To the user's file, or — as NCCL itself does — through the stdout FILE
 * with a flush, so the application's own buffered output keeps its place. */
static void forward(const char *line, size_t len, int *held_blank)
{
    int lvl = line_level(line), blank = *held_blank;

    *held_blank = 0;
    if (lvl > user_level || user_level == LVL_NONE) {
        return;
    }
    if (user_fd >= 0) {
        if ((blank && write(user_fd, "\n", 1) < 0) || write(user_fd, line, len) < 0 ||
            write(user_fd, "\n", 1) < 0) {}
        return;
    }
    if (blank) fputc('\n', stdout);   /* NCCL precedes WARN lines with an empty line */
    fwrite(line, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* ---- judging ------------------------------------------------------------ */

static int comm_failed(const char *ptr)
{
    int i;
    for (i = 0; i < nfailed; i++) if (!strcmp(failed_comms[i], ptr)) return 1;
    return 0;
}

static fg_outcome_t report_findings(const char *event, long comm_idx, long proc_idx,
                                    const fg_findings_t *f, const char *extra_detail)
{
    fg_event_t ev;
    fg_kv_t    kv[3];
    const fg_nccl_comm_t *c = comm_idx >= 0 ? &nlog.comms[comm_idx] : NULL;
    const fg_nccl_proc_t *p = proc_idx >= 0 ? &nlog.procs[proc_idx] : NULL;
    const char *net = c && c->net[0] ? c->net : p ? p->net : "";

    fg_event_init(&ev, "nccl", event, "ok");
    if (c != NULL) {
        fg_core_note_rank((int)c->rank);   /* stderr identity when no launcher rank */
        ev.comm   = c->comm[0] ? c->comm : NULL;
        ev.rank   = c->rank;
        ev.nranks = c->nranks;
    }
    kv[0] = (fg_kv_t){ "net", net, 0 };
    kv[1] = (fg_kv_t){ "bootstrap_iface", p ? p->bootstrap_iface : "", 0 };
    kv[2] = (fg_kv_t){ "gdr", p == NULL || p->gdr < 0 ? "null" : p->gdr ? "true" : "false", 1 };
    ev.extra  = kv;
    ev.nextra = 3;
    ev.detail = extra_detail;
    return fg_core_verdict(&ev, f);
}

/* A channel that arrived after init (lazy connection): judged now. */
static void judge_lazy_channel(const fg_nccl_update_t *u)
{
    const fg_nccl_comm_t *c = &nlog.comms[u->comm];
    fg_findings_t         f;
    char                  detail[160];

    fg_core_count(FG_COUNT_CHANNELS);
    if (!c->complete) return;          /* judged with the whole comm at init */
    memset(&f, 0, sizeof(f));
    fg_judge_nccl_channel(fg_core_policy(), &c->channels[c->nch - 1], &f);
    snprintf(detail, sizeof(detail), "channel %02d via %s (connected after init)",
             c->channels[c->nch - 1].channel, c->channels[c->nch - 1].transport);
    {   /* an abort here is on our reader thread: name the application's call */
        char what[200];
        snprintf(what, sizeof(what), "in a collective on communicator %s (rank %ld of %ld) "
                 "that connected channel %02d via %s", c->comm[0] ? c->comm : "?", c->rank,
                 c->nranks, c->channels[c->nch - 1].channel, c->channels[c->nch - 1].transport);
        fg_core_set_activity(what);
    }
    if (report_findings("channel", u->comm, (long)c->proc, &f, f.n ? NULL : detail) == FG_GO_FAIL &&
        nfailed < 64) {
        fg_strlcpy(failed_comms[nfailed++], c->comm, sizeof(failed_comms[0]));
    }
}

static void handle_line(const char *line, size_t len)
{
    fg_nccl_update_t u;

    fg_nccl_log_feed(&nlog, line, len, &u);
    if (u.what == FG_NCCL_CHANNEL && u.comm >= 0) {
        judge_lazy_channel(&u);
    }
}

static void *reader_main(void *arg)
{
    static char buf[1 << 16];
    size_t      have = 0;
    int         held_blank = 0;

    (void)arg;
    fg_guard_enter();   /* nothing this thread does is the application's */
    for (;;) {
        ssize_t r = read(pipe_r, buf + have, sizeof(buf) - 1 - have);
        char   *start = buf, *nl;
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        have += (size_t)r;
        pthread_mutex_lock(&nccl_lock);
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
            size_t len = (size_t)(nl - start);
            *nl = '\0';
            if (strncmp(start, SYNC_MARK, strlen(SYNC_MARK)) == 0) {
                sync_seen = strtoul(start + strlen(SYNC_MARK), NULL, 10);
                pthread_cond_broadcast(&synced);
            } else if (len == 0) {
                held_blank = 1;
            } else {
                forward(start, len, &held_blank);
                handle_line(start, len);
            }
            start = nl + 1;
        }
        pthread_mutex_unlock(&nccl_lock);
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof(buf) - 1) have = 0;   /* a line longer than the buffer: drop it */
    }
    return NULL;
}

/* Everything NCCL wrote before this call has been processed when it returns. */
static void drain(void)
{
    char            mark[64];
    struct timespec dl;
    unsigned long   mine;
    int             n;

    if (pipe_w < 0) return;
    pthread_mutex_lock(&nccl_lock);
    mine = ++sync_sent;
    pthread_mutex_unlock(&nccl_lock);
    n = snprintf(mark, sizeof(mark), SYNC_MARK "%lu\n", mine);
    if (write(pipe_w, mark, (size_t)n) != n) return;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;   /* never hang the application on our reader */
    pthread_mutex_lock(&nccl_lock);
    while (sync_seen < mine) {
        if (pthread_cond_timedwait(&synced, &nccl_lock, &dl) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&nccl_lock);
}

/* NCCL fopen()s the debug file without O_CLOEXEC: keep it out of children. */
static void cloexec_pipe_copies(void)
{
    struct stat ours, st;
    DIR        *d;
    struct dirent *e;

    if (pipe_w < 0 || fstat(pipe_w, &ours) < 0 || (d = opendir("/proc/self/fd")) == NULL) return;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == pipe_r || fd == pipe_w || fd == dirfd(d)) continue;
        if (fstat(fd, &st) == 0 && st.st_ino == ours.st_ino && st.st_dev == ours.st_dev) {
            fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
        }
    }
    closedir(d);
}

/* Start capturing (once per process). */
static void arm(const void *nccl_symbol)
{
    int            fds[2];
    const char    *lvl = env_scan("NCCL_DEBUG"), *sub = env_scan("NCCL_DEBUG_SUBSYS"),
                  *file = env_scan("NCCL_DEBUG_FILE");
    pthread_attr_t a;

    if (atomic_load(&capture_on) || pipe2(fds, O_CLOEXEC) < 0) return;
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    pipe_r = fds[0];
    pipe_w = fds[1];
    nccl_base  = fg_object_of(nccl_symbol);
    user_level = parse_level(lvl);
    if (user_level >= LVL_INFO) {            /* the user's own settings: output unchanged */
        fg_strlcpy(cap_level, lvl, sizeof(cap_level));
        fg_strlcpy(cap_subsys, sub ? sub : "", sizeof(cap_subsys));
    } else {                                  /* capture INFO, forward nothing of it */
        fg_strlcpy(cap_level, "INFO", sizeof(cap_level));
        fg_strlcpy(cap_subsys, "INIT,BOOTSTRAP,ENV,NET,GRAPH", sizeof(cap_subsys));
    }
    snprintf(cap_file, sizeof(cap_file), "/proc/self/fd/%d", pipe_w);
    if (file != NULL && user_level > LVL_NONE) open_user_file(file);
    fg_nccl_log_init(&nlog);
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&reader, &a, reader_main, NULL) != 0) {
        close(pipe_r); close(pipe_w); pipe_r = pipe_w = -1;
        return;
    }
    atomic_store(&capture_on, 1);
    if (real.reset_debug != NULL) {           /* NCCL may have read its settings already */
        ((ncclResult_t (*)(void))real.reset_debug)();
    }
}

/* Judge what this init produced; on enforce+fail abort the comm. */
static ncclResult_t after_init(ncclResult_t rc, ncclComm_t *comms, int ncomms, const char *what)
{
    char          ptr[32];
    long          idx = -1, proc = -1;
    int           i;
    size_t        k;
    fg_findings_t f;
    fg_outcome_t  out = FG_GO_ON;

    cloexec_pipe_copies();
    drain();
    for (i = 0; i < (rc == ncclSuccess ? ncomms : 1); i++) {
        pthread_mutex_lock(&nccl_lock);
        idx = -1;
        if (rc == ncclSuccess && comms != NULL && comms[i] != NULL) {
            snprintf(ptr, sizeof(ptr), "%p", (void *)comms[i]);
            for (k = 0; k < nlog.ncomms; k++) if (!strcmp(nlog.comms[k].comm, ptr)) idx = (long)k;
        }
        proc = idx >= 0 ? (long)nlog.comms[idx].proc : (nlog.nprocs ? 0 : -1);
        for (k = 0; idx < 0 && k < nlog.nprocs; k++) {
            if (nlog.procs[k].pid == (long)getpid()) proc = (long)k;
        }
        memset(&f, 0, sizeof(f));
        if (proc >= 0) fg_judge_nccl(fg_core_policy(), fg_core_mgmt(), &nlog, proc, idx, &f);
        fg_core_count(FG_COUNT_COMMS);
        {
            char detail[200];
            snprintf(detail, sizeof(detail), "%s returned %d%s", what, (int)rc,
                     proc < 0 ? " (no NCCL log lines were captured)" : "");
            if (report_findings("comm", idx, proc, &f, f.n ? NULL : detail) == FG_GO_FAIL) out = FG_GO_FAIL;
        }
        pthread_mutex_unlock(&nccl_lock);
    }
    if (out == FG_GO_FAIL && rc == ncclSuccess) {
        for (i = 0; i < ncomms; i++) {
            if (comms[i] != NULL && real.abort_ != NULL) ((ncclResult_t (*)(ncclComm_t))real.abort_)(comms[i]);
            comms[i] = NULL;
        }
        snprintf(last_error, sizeof(last_error),
                 "fabguard: communicator refused by policy (%s); see the fabguard line on stderr", f.n ? f.v[0].rule : "policy");
        return ncclSystemError;
    }
    return rc;
}

#define NCCL_PROLOGUE(field, name)                                              \
    resolve_all(__builtin_return_address(0));                                   \
    if (real.field == NULL) {                                                   \
        return ncclInternalError;   /* pass-through-or-error: no real NCCL */   \
    }                                                                           \
    if (fg_guard_depth() > 0) goto passthrough;                                 \
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
    arm(real.field)

FG_EXPORT ncclResult_t ncclGetUniqueId(ncclUniqueId *id)
{
    ncclResult_t rc;
    NCCL_PROLOGUE(get_unique_id, "ncclGetUniqueId");
    fg_guard_enter();
    rc = ((ncclResult_t (*)(ncclUniqueId *))real.get_unique_id)(id);
    cloexec_pipe_copies();
    drain();   /* its lines are forwarded before the application goes on */
    fg_guard_leave();
    return rc;
passthrough:
    return ((ncclResult_t (*)(ncclUniqueId *))real.get_unique_id)(id);
}

FG_EXPORT ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank)
{
    ncclResult_t rc;
    NCCL_PROLOGUE(init_rank, "ncclCommInitRank");
    fg_guard_enter();
    rc = ((init_rank_fn)real.init_rank)(comm, nranks, id, rank);
    rc = after_init(rc, comm, 1, "ncclCommInitRank");
    fg_guard_leave();
    return rc;
passthrough:
    return ((init_rank_fn)real.init_rank)(comm, nranks, id, rank);
}

FG_EXPORT ncclResult_t ncclCommInitRankConfig(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank,
                                              ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, ncclUniqueId, int, ncclConfig_t *);
    ncclResult_t rc;
    NCCL_PROLOGUE(init_rank_config, "ncclCommInitRankConfig");
    fg_guard_enter();
    rc = ((fn_t)real.init_rank_config)(comm, nranks, id, rank, config);
    rc = after_init(rc, comm, 1, "ncclCommInitRankConfig");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)real.init_rank_config)(comm, nranks, id, rank, config);
}

FG_EXPORT ncclResult_t ncclCommInitRankScalable(ncclComm_t *comm, int nranks, int rank, int nId,
                                                ncclUniqueId *ids, ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, int, int, ncclUniqueId *, ncclConfig_t *);
    ncclResult_t rc;
    NCCL_PROLOGUE(init_rank_scalable, "ncclCommInitRankScalable");
    fg_guard_enter();
    rc = ((fn_t)real.init_rank_scalable)(comm, nranks, rank, nId, ids, config);
    rc = after_init(rc, comm, 1, "ncclCommInitRankScalable");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)real.init_rank_scalable)(comm, nranks, rank, nId, ids, config);
}

FG_EXPORT ncclResult_t ncclCommInitAll(ncclComm_t *comms, int ndev, const int *devlist)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t *, int, const int *);
    ncclResult_t rc;
    NCCL_PROLOGUE(init_all, "ncclCommInitAll");
    fg_guard_enter();
    rc = ((fn_t)real.init_all)(comms, ndev, devlist);
    rc = after_init(rc, comms, ndev, "ncclCommInitAll");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)real.init_all)(comms, ndev, devlist);
}

static int refused_after_init(ncclComm_t comm)
{
    char ptr[32];
    int  bad;
    drain();   /* lazy channel lines written so far are judged first */
    snprintf(ptr, sizeof(ptr), "%p", (void *)comm);
    pthread_mutex_lock(&nccl_lock);
    bad = comm_failed(ptr);
    pthread_mutex_unlock(&nccl_lock);
    if (bad) {
        snprintf(last_error, sizeof(last_error),
                 "fabguard: communicator %s made a connection the policy forbids; see the fabguard line on stderr", ptr);
    }
    return bad;
}

FG_EXPORT ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t *newcomm, ncclConfig_t *config)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t, int, int, ncclComm_t *, ncclConfig_t *);
    ncclResult_t rc;
    NCCL_PROLOGUE(split, "ncclCommSplit");
    if (refused_after_init(comm)) return ncclSystemError;
    fg_guard_enter();
    rc = ((fn_t)real.split)(comm, color, key, newcomm, config);
    rc = after_init(rc, newcomm, 1, "ncclCommSplit");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)real.split)(comm, color, key, newcomm, config);
}

FG_EXPORT ncclResult_t ncclCommShrink(ncclComm_t comm, int *exclude, int nexclude, ncclComm_t *newcomm,
                                      ncclConfig_t *config, int flags)
{
    typedef ncclResult_t (*fn_t)(ncclComm_t, int *, int, ncclComm_t *, ncclConfig_t *, int);
    ncclResult_t rc;
    NCCL_PROLOGUE(shrink, "ncclCommShrink");
    if (refused_after_init(comm)) return ncclSystemError;
    fg_guard_enter();
    rc = ((fn_t)real.shrink)(comm, exclude, nexclude, newcomm, config, flags);
    rc = after_init(rc, newcomm, 1, "ncclCommShrink");
    fg_guard_leave();
    return rc;
passthrough:
    return ((fn_t)real.shrink)(comm, exclude, nexclude, newcomm, config, flags);
}

/* Destroy/abort/finalize always reach NCCL (no leak); lazy verdicts were
 * reported when their lines arrived. */
#define PASS_COMM(fnname, field)                                                \
    FG_EXPORT ncclResult_t fnname(ncclComm_t comm)                              \
    {                                                                           \
        resolve_all(__builtin_return_address(0));                               \
        if (real.field == NULL) return ncclInternalError;                       \
        return ((ncclResult_t (*)(ncclComm_t))real.field)(comm);               \
    }
PASS_COMM(ncclCommDestroy, destroy)
PASS_COMM(ncclCommAbort, abort_)
PASS_COMM(ncclCommFinalize, finalize)

FG_EXPORT const char *ncclGetLastError(ncclComm_t comm)
{
    resolve_all(__builtin_return_address(0));
    if (last_error[0] != '\0') return last_error;
    if (real.get_last_error == NULL) return "";
    return ((const char *(*)(ncclComm_t))real.get_last_error)(comm);
}

void fg_nccl_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    /* the reader thread did not survive fork: stop capturing in the child */
    nccl_lock = fresh;
    atomic_store(&capture_on, 0);
    if (pipe_r >= 0) close(pipe_r);
    pipe_r = -1;
}

void fg_nccl_at_exit(void)
{
    /* exit(3) from our own verdict runs inside a wrapper or the reader, which
     * may hold nccl_lock: no drain then */
    if (atomic_load(&capture_on) && fg_guard_depth() == 0) drain();
}
