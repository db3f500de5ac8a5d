/* The shim's core: lazy initialisation, the policy in force, verdicts and
 * actions, fork handling and the exit summary. The constructor only reads
 * the environment; everything else happens at the first intercepted call,
 * from whichever thread makes it (possibly before the constructor ran). */
#include "core.h"
#include "resolve.h"
#include "audit_gate.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

/* Re-entry depth of this thread (initial-exec: no allocation on access). */
static __thread int fg_depth __attribute__((tls_model("initial-exec")));
static __thread int fg_initializing __attribute__((tls_model("initial-exec")));
/* What the application was doing, set by a thread of ours (NCCL's reader)
 * before it reaches a verdict: the abort prints it instead of our frames. */
static __thread char fg_activity[256] __attribute__((tls_model("initial-exec")));

int fg_guard_enter(void)
{
    return fg_depth++;
}

void fg_guard_leave(void)
{
    fg_depth--;
}

int fg_guard_depth(void)
{
    return fg_depth;
}

/* Process-wide state, written once under init_lock by the first
 * intercepted call and read-only afterwards (init_done is the release
 * point). Counters are atomics. A forked child refreshes pid/fork_parent. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int      init_done;
static fg_state_t      state = FG_STATE_PASSTHROUGH;
static fg_policy_t     policy;
static fg_ifset_t      mgmt;
static char            broken_msg[800];
static fg_action_t     broken_action = FG_ACT_ABORT;
static char            host[256];
static long            pid_cached;
static long            fork_parent;
static int             env_off;          /* FABGUARD_MODE=off seen by the constructor */
static long            load_pid;         /* pid at load: a child forked before init differs */
static atomic_long     counters[FG_COUNT_MAX];
static atomic_int      atfork_state;     /* 0 none, 1 being registered, 2 registered */
/* "fabguard[host:pid rank N]" for stderr: rebuilt at init, fork and when a
 * rank becomes known, into the buffer not being read (the abort path reads
 * it from any thread, async-signal-safely). */
static char            ident_buf[2][320];
static atomic_int      ident_cur = -1;
static char            rank_text[48];    /* "rank 3", "local_rank 1" or "" */
static atomic_int      rank_from_comm;

static const char *safe_getenv(const char *name)
{
    /* setuid or capability-raised programs take nothing from the environment */
    return secure_getenv(name);
}

static void child_after_fork(void);

/* The child handler must exist before any of our locks is first taken: a
 * child forked while another thread holds init_lock (or nccl_lock, the
 * report or resolve locks) would otherwise inherit it held and block for
 * ever. Registered by the constructor, or by the first intercepted call if
 * that comes earlier (from another library's constructor); never while
 * holding a lock of ours (fork runs its handlers under glibc's atfork lock). */
void fg_core_fork_ready(void)
{
    int expected = 0;

    if (atomic_load_explicit(&atfork_state, memory_order_acquire) == 2) {
        return;
    }
    if (atomic_compare_exchange_strong(&atfork_state, &expected, 1)) {
        pthread_atfork(NULL, NULL, child_after_fork);
        atomic_store_explicit(&atfork_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&atfork_state, memory_order_acquire) != 2) {
        sched_yield();   /* another thread is registering: microseconds */
    }
}

__attribute__((constructor)) static void fg_constructor(void)
{
    const char *m;

    fg_core_fork_ready();
    m = safe_getenv("FABGUARD_MODE");

    env_off = (m != NULL && strcmp(m, "off") == 0);
    load_pid = (long)getpid();
}

static const char *prog_name(void)
{
    return program_invocation_short_name ? program_invocation_short_name : "?";
}

static void build_ident(void)
{
    int       next = atomic_load(&ident_cur) == 0 ? 1 : 0;
    fg_sbuf_t sb;

    fg_sb_init(&sb, ident_buf[next], sizeof(ident_buf[next]) - 1);
    fg_sb_puts(&sb, "fabguard[");
    fg_sb_puts(&sb, host[0] ? host : "?");
    fg_sb_putc(&sb, ':');
    fg_sb_putl(&sb, pid_cached ? pid_cached : (long)getpid());
    if (rank_text[0] != '\0') {
        fg_sb_putc(&sb, ' ');
        fg_sb_puts(&sb, rank_text);
    }
    fg_sb_putc(&sb, ']');
    ident_buf[next][sb.len] = '\0';
    atomic_store(&ident_cur, next);
}

const char *fg_core_ident(void)
{
    int cur = atomic_load(&ident_cur);

    return cur < 0 ? "fabguard" : ident_buf[cur];
}

static int all_digits(const char *v)
{
    if (v == NULL || *v == '\0' || strlen(v) > 9) {
        return 0;
    }
    for (; *v != '\0'; v++) {
        if (*v < '0' || *v > '9') {
            return 0;
        }
    }
    return 1;
}

/* The rank a launcher gave this process (Open MPI, PMIx, PMI/MPICH/Intel
 * MPI, Slurm, torchrun), or "" when none did. */
static void launcher_rank(void)
{
    static const char *const global[] = {
        "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK",
        "SLURM_PROCID", "RANK"
    };
    const char *v;
    size_t      i;

    rank_text[0] = '\0';
    for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
        v = safe_getenv(global[i]);
        if (all_digits(v)) {
            snprintf(rank_text, sizeof(rank_text), "rank %s", v);
            return;
        }
    }
    v = safe_getenv("LOCAL_RANK");
    if (all_digits(v)) {
        snprintf(rank_text, sizeof(rank_text), "local_rank %s", v);
    }
}

void fg_core_note_rank(int rank)
{
    int expected = 0;

    if (rank < 0 || rank_text[0] != '\0' ||
        !atomic_compare_exchange_strong(&rank_from_comm, &expected, 1)) {
        return;   /* a launcher's rank wins; the first communicator's otherwise */
    }
    snprintf(rank_text, sizeof(rank_text), "rank %d", rank);
    build_ident();
}

void fg_core_set_activity(const char *what)
{
    if (what == NULL) {
        fg_activity[0] = '\0';
    } else {
        fg_strlcpy(fg_activity, what, sizeof(fg_activity));
    }
}

const char *fg_core_activity(void)
{
    return fg_activity[0] ? fg_activity : NULL;
}

static void child_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    int             i;

    init_lock   = fresh;
    fork_parent = pid_cached;
    pid_cached  = (long)getpid();
    if (atomic_load(&ident_cur) >= 0) {
        build_ident();
    }
    for (i = 0; i < FG_COUNT_MAX; i++) {
        atomic_store(&counters[i], 0);
    }
    fg_resolve_after_fork();
    fg_report_after_fork();
    if (fg_ucx_after_fork) {
        fg_ucx_after_fork();
    }
    if (fg_nccl_after_fork) {
        fg_nccl_after_fork();
    }
}

/* Which mode was intended when the policy cannot be loaded: the
 * environment's, else what the file set before its broken line. */
static void note_broken_policy(const fg_error_t *err)
{
    const char *m = safe_getenv("FABGUARD_MODE");
    const char *a = safe_getenv("FABGUARD_ON_VIOLATION");
    fg_mode_t   mode = policy.mode;
    char        why[700];

    if (m != NULL && strcmp(m, "enforce") == 0) {
        mode = FG_MODE_ENFORCE;
    } else if (m != NULL && (strcmp(m, "warn") == 0 || strcmp(m, "log") == 0)) {
        mode = FG_MODE_WARN;
    } else if (m != NULL && strcmp(m, "off") == 0) {
        mode = FG_MODE_OFF;
    }
    broken_action = policy.on_violation;
    if (a != NULL) {
        broken_action = strcmp(a, "fail") == 0 ? FG_ACT_FAIL
                      : strcmp(a, "exit") == 0 ? FG_ACT_EXIT : FG_ACT_ABORT;
    }
    fg_error_format(err, why, sizeof(why));
    if (mode == FG_MODE_ENFORCE) {
        snprintf(broken_msg, sizeof(broken_msg), "policy error: %s", why);
        state = FG_STATE_FAIL_CLOSED;
    } else if (mode != FG_MODE_OFF) {
        char line[900];
        int  n = snprintf(line, sizeof(line),
                          "fabguard: policy error: %s; fabguard is pass-through in this process\n",
                          why);
        if (n > 0) {
            fg_report_stderr_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        }
    }
}

static void do_init(void)
{
    fg_error_t err;

    state      = FG_STATE_PASSTHROUGH;   /* a child may redo an init its parent left half done */
    pid_cached = (long)getpid();
    if (fork_parent == 0 && load_pid != 0 && load_pid != pid_cached) {
        fork_parent = load_pid;   /* forked before the parent's first call */
    }
    if (gethostname(host, sizeof(host) - 1) < 0) {
        fg_strlcpy(host, "unknown", sizeof(host));
    }
    launcher_rank();
    build_ident();
    if (env_off) {
        return;
    }
    if (fg_policy_load(&policy, NULL, safe_getenv, &err) < 0 ||
        (getauxval(AT_SECURE) == 0 && fg_policy_check_env_names(environ, &err) < 0)) {
        note_broken_policy(&err);
        return;
    }
    if (policy.mode == FG_MODE_OFF ||
        !fg_policy_program_selected(&policy, prog_name())) {
        return;
    }
    fg_mgmt_ifaces(&policy, NULL, &mgmt);
    state = FG_STATE_OBSERVE;
}

fg_state_t fg_core_state(void)
{
    if (atomic_load_explicit(&init_done, memory_order_acquire)) {
        return state;
    }
    if (fg_initializing) {
        return FG_STATE_PASSTHROUGH;   /* a call made by our own init */
    }
    fg_core_fork_ready();
    pthread_mutex_lock(&init_lock);
    if (!atomic_load_explicit(&init_done, memory_order_relaxed)) {
        fg_initializing = 1;
        do_init();
        fg_initializing = 0;
        atomic_store_explicit(&init_done, 1, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
    return state;
}

const fg_policy_t *fg_core_policy(void)
{
    return &policy;
}

const fg_ifset_t *fg_core_mgmt(void)
{
    return &mgmt;
}

void fg_core_count(fg_counter_t c)
{
    atomic_fetch_add(&counters[c], 1);
}

void fg_core_origin(fg_event_origin_t *o)
{
    clock_gettime(CLOCK_REALTIME, &o->ts);
    o->host        = host;
    o->pid         = pid_cached ? pid_cached : (long)getpid();
    o->prog        = prog_name();
    o->fork_parent = fork_parent;
}

void fg_core_info(const char *lib, const char *event, const char *detail)
{
    fg_event_t ev;

    fg_event_init(&ev, lib, event, "info");
    ev.detail = detail;
    fg_report_event(&ev);
}

/* "ucx.forbid_transports=tcp" for a rule that is a policy key. */
static void rule_with_value(const char *rule, char *buf, size_t cap)
{
    const fg_key_info_t *keys;
    size_t               n, i;
    char                 name[64], value[256];

    keys = fg_policy_keys(&n);
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s.%s", keys[i].section, keys[i].name);
        if (strcmp(name, rule) == 0) {
            fg_policy_value_text(&policy, keys[i].key, value, sizeof(value));
            snprintf(buf, cap, "%s=%s", rule, value);
            return;
        }
    }
    fg_strlcpy(buf, rule, cap);
}

static size_t format_violation(const fg_event_t *ev, const fg_finding_t *f,
                               char *buf, size_t cap)
{
    char      rule[320];
    fg_sbuf_t sb;

    rule_with_value(f->rule, rule, sizeof(rule));
    fg_sb_init(&sb, buf, cap - 1);
    fg_sb_printf(&sb, "fabguard: VIOLATION %s %s %s (%s)", ev->lib, ev->event,
                 f->detail, rule);
    if (f->fix[0] != '\0') {
        fg_sb_printf(&sb, " \xe2\x80\x94 %s", f->fix);
    }
    fg_sb_putc(&sb, '\n');
    if (sb.truncated) {
        buf[sb.len++] = '\n';
    }
    return sb.len;
}

static fg_outcome_t act(const char *msg, size_t len)
{
    const fg_policy_t *pol = &policy;
    fg_action_t        a   = (state == FG_STATE_FAIL_CLOSED) ? broken_action
                                                             : pol->on_violation;

    switch (a) {
    case FG_ACT_ABORT:
        fg_act_abort(msg, len);
    case FG_ACT_EXIT:
        fg_act_exit();
    case FG_ACT_FAIL:
    default:
        return FG_GO_FAIL;
    }
}

fg_outcome_t fg_core_verdict(fg_event_t *ev, const fg_findings_t *f)
{
    char   all[4096], line[1024], key[700];
    size_t i, used = 0;

    if (f->n == 0) {
        ev->verdict = "ok";
        ev->rule    = NULL;
        if (fg_report_admit(ev)) {
            fg_report_event(ev);
        } else {
            fg_core_count(FG_COUNT_SUPPRESSED);
        }
        return FG_GO_ON;
    }
    for (i = 0; i < f->n; i++) {
        size_t n = format_violation(ev, &f->v[i], line, sizeof(line));
        fg_core_count(FG_COUNT_VIOLATIONS);
        ev->verdict = "violation";
        ev->rule    = f->v[i].rule;
        ev->detail  = f->v[i].detail;
        if (fg_report_admit(ev)) {
            fg_report_event(ev);
        } else {
            fg_core_count(FG_COUNT_SUPPRESSED);
        }
        snprintf(key, sizeof(key), "%s|%s|%s|%s", ev->lib, ev->event,
                 f->v[i].rule, f->v[i].detail);
        /* one stderr line per distinct finding per process; the abort
         * message carries every finding of the call that ends the process */
        if (policy.mode >= FG_MODE_WARN && fg_report_first_time(key) &&
            !(policy.mode == FG_MODE_ENFORCE && policy.on_violation == FG_ACT_ABORT)) {
            fg_report_stderr_line(line, n);
        }
        if (used + n < sizeof(all)) {
            memcpy(all + used, line, n);
            used += n;
        }
    }
    if (policy.mode != FG_MODE_ENFORCE) {
        return FG_GO_ON;
    }
    return act(all, used);
}

fg_outcome_t fg_core_fail_closed(const char *lib, const char *what)
{
    fg_event_t ev;
    char       line[1000];
    int        n;

    fg_event_init(&ev, "fabguard", "policy", "violation");
    ev.rule   = "fabguard.policy";
    ev.detail = broken_msg;
    fg_report_event(&ev);   /* usually nowhere: the log path is in the policy */
    n = snprintf(line, sizeof(line),
                 "fabguard: VIOLATION %s %s refused: %s (enforce mode fails closed) "
                 "\xe2\x80\x94 fix the policy (check it with `fabguard policy FILE`)\n",
                 lib, what, broken_msg);
    if (n < 0) {
        n = 0;
    }
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
    }
    fg_core_count(FG_COUNT_VIOLATIONS);
    if (broken_action != FG_ACT_ABORT) {
        fg_report_stderr_line(line, (size_t)n);
    }
    return act(line, (size_t)n);
}

/* ---- exit summary ------------------------------------------------------ */

static void put_count(fg_sbuf_t *sb, const char *key, fg_counter_t c, int *first)
{
    if (!*first) {
        fg_sb_putc(sb, ',');
    }
    *first = 0;
    fg_sb_printf(sb, "\"%s\":%ld", key, atomic_load(&counters[c]));
}

/* Without any intercepted call: did UCX run anyway? Cheap, and initialises
 * nothing: UCX transport modules loaded (fg_ucx_unobserved_reason), or the
 * audit module saw bindings past us. NCCL is not asked: a library opened
 * with RTLD_NOW (Python's ctypes) cannot be told used from unused, and an
 * import probe must stay silent. */
static int bypass_suspected(void)
{
    char name[128];

    if (fg_audit_saw_unseen()) {
        return 1;
    }
    return fg_loaded_object_matching("libucp", name, sizeof(name)) &&
           fg_ucx_unobserved_reason && fg_ucx_unobserved_reason() != NULL;
}

__attribute__((destructor)) static void fg_destructor(void)
{
    char       ucp[128] = "", nccl[128] = "", counts[512], unobserved[300], cause[640];
    const char *ucx_why = NULL;
    fg_sbuf_t  sb, ub;
    fg_event_t ev;
    fg_kv_t    kv[2];
    int        first = 1, observed = 0, i;

    /* no intercepted call, no init and no file: a process that merely
     * loads libucp/libnccl (an `import torch` probe) stays silent; one whose
     * UCX/NCCL ran past us (dlsym on a handle, RTLD_DEEPBIND) is not */
    if (!atomic_load(&init_done) && !bypass_suspected()) {
        return;
    }
    for (i = 0; i < FG_COUNT_MAX; i++) {
        observed |= atomic_load(&counters[i]) != 0;
    }
    fg_loaded_object_matching("libucp", ucp, sizeof(ucp));
    fg_loaded_object_matching("libnccl", nccl, sizeof(nccl));
    if (ucp[0] != '\0' && atomic_load(&counters[FG_COUNT_CONTEXTS]) == 0) {
        ucx_why = fg_ucx_unobserved_reason ? fg_ucx_unobserved_reason() : "bypassed";
        if (ucx_why == NULL && !fg_audit_saw_unseen()) {
            ucp[0] = '\0';   /* loaded, never used (ucx_info -v): nothing unchecked */
        }
    }
    if (nccl[0] != '\0' && atomic_load(&counters[FG_COUNT_COMMS]) == 0 && fg_nccl_loaded_unused &&
        fg_nccl_loaded_unused()) {
        nccl[0] = '\0';   /* loaded, never ran (an import probe): nothing unchecked */
    }
    if (!observed && ucp[0] == '\0' && nccl[0] == '\0') {
        return;   /* never used UCX/NCCL: stay silent */
    }
    if (fg_nccl_at_exit) {
        fg_nccl_at_exit();
    }
    if (fg_core_state() != FG_STATE_OBSERVE) {
        return;
    }
    fg_sb_init(&ub, unobserved, sizeof(unobserved));
    fg_sb_putc(&ub, '[');
    if (ucp[0] != '\0' && atomic_load(&counters[FG_COUNT_CONTEXTS]) == 0 &&
        !(ucx_why != NULL && strncmp(ucx_why, "ucp_init failed", 15) == 0)) {
        fg_sb_printf(&ub, "\"%s\"", ucp);
    }
    if (nccl[0] != '\0' && atomic_load(&counters[FG_COUNT_COMMS]) == 0) {
        fg_sb_printf(&ub, "%s\"%s\"", ub.len > 1 ? "," : "", nccl);
    }
    fg_sb_putc(&ub, ']');
    fg_sb_init(&sb, counts, sizeof(counts));
    fg_sb_putc(&sb, '{');
    put_count(&sb, "contexts", FG_COUNT_CONTEXTS, &first);
    put_count(&sb, "workers", FG_COUNT_WORKERS, &first);
    put_count(&sb, "endpoints", FG_COUNT_ENDPOINTS, &first);
    put_count(&sb, "comms", FG_COUNT_COMMS, &first);
    put_count(&sb, "channels", FG_COUNT_CHANNELS, &first);
    put_count(&sb, "violations", FG_COUNT_VIOLATIONS, &first);
    put_count(&sb, "suppressed", FG_COUNT_SUPPRESSED, &first);
    put_count(&sb, "lost_events", FG_COUNT_LOST, &first);
    fg_sb_putc(&sb, '}');
    kv[0].key   = "counts";
    kv[0].value = counts;
    kv[0].raw   = 1;
    kv[1].key   = "unobserved";
    kv[1].value = unobserved;
    kv[1].raw   = 1;
    fg_event_init(&ev, "fabguard", "summary",
                  atomic_load(&counters[FG_COUNT_VIOLATIONS]) ? "violation" : "info");
    if (atomic_load(&counters[FG_COUNT_VIOLATIONS])) {
        ev.rule = "fabguard.summary";
    }
    if (ucx_why != NULL && strncmp(ucx_why, "ucp_init failed", 15) == 0) {
        ev.detail = ucx_why;   /* UCX never came up: nothing bypassed */
    } else if (ub.len > 2) {
        /* the real cause (audit_gate.c), then what the UCX module saw */
        fg_audit_cause(cause, sizeof(cause));
        if (ucx_why != NULL) {
            size_t n = strlen(cause);
            snprintf(cause + n, sizeof(cause) - n, "; %s", ucx_why);
        }
        ev.detail = cause;
    }
    ev.extra  = kv;
    ev.nextra = 2;
    fg_report_event(&ev);
}

/* Proves in tests that the library was loaded and exports only wrapped names. */
__attribute__((visibility("default"))) int fabguard_selftest_probe(void)
{
    return (int)fg_core_state();
}
