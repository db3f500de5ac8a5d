/* The shim's core: lazy initialisation, the policy in force, the
 * re-entrancy guard, the registered library modules and fork handling. The
 * constructor only reads the environment; everything else happens at the
 * first intercepted call, from whichever thread makes it (possibly before
 * the constructor ran). Core names no library module: they register. */
#include "core.h"
#include "count.h"
#include "module.h"
#include "origin.h"
#include "report.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

/* Re-entry depth of this thread (initial-exec: no allocation on access). */
static __thread int fg_depth __attribute__((tls_model("initial-exec")));
static __thread int fg_initializing __attribute__((tls_model("initial-exec")));

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
 * point). */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int      init_done;
static fg_state_t      state = FG_STATE_PASSTHROUGH;
static fg_policy_t     policy;
static fg_ifset_t      mgmt;
static char            broken_msg[800];
static fg_action_t     broken_action = FG_ACT_ABORT;
static int             env_off;          /* FABGUARD_MODE=off seen by the constructor */
static atomic_int      atfork_state;     /* 0 none, 1 being registered, 2 registered */

/* Registered library modules: slots claimed by compare-and-swap, never
 * freed (registration is idempotent and lock-free, safe from constructors
 * and from a first call on any thread). */
#define FG_MODULES_MAX 8
static _Atomic(const fg_module_ops_t *) modules[FG_MODULES_MAX];

void fg_core_register_module(const fg_module_ops_t *ops)
{
    size_t i;

    for (i = 0; i < FG_MODULES_MAX; i++) {
        const fg_module_ops_t *cur = atomic_load_explicit(&modules[i], memory_order_acquire);

        /* a plain load first: the first-call registration stays cheap */
        if (cur == ops || (cur == NULL &&
                           (atomic_compare_exchange_strong(&modules[i], &cur, ops) ||
                            cur == ops))) {
            return;
        }
    }
}

const fg_module_ops_t *fg_core_module_at(size_t i)
{
    return i < FG_MODULES_MAX ? atomic_load(&modules[i]) : NULL;
}

const fg_module_ops_t *fg_core_module(const char *name)
{
    const fg_module_ops_t *m;
    size_t                 i;

    for (i = 0; (m = fg_core_module_at(i)) != NULL; i++) {
        if (strcmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

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
}

static void child_after_fork(void)
{
    pthread_mutex_t        fresh = PTHREAD_MUTEX_INITIALIZER;
    const fg_module_ops_t *m;
    size_t                 i;

    init_lock = fresh;
    fg_origin_after_fork();
    fg_count_reset();
    fg_report_after_fork();
    for (i = 0; (m = fg_core_module_at(i)) != NULL; i++) {
        if (m->after_fork != NULL) {
            m->after_fork();
        }
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

    state = FG_STATE_PASSTHROUGH;   /* a child may redo an init its parent left half done */
    fg_origin_init();
    if (env_off) {
        return;
    }
    if (fg_policy_load(&policy, NULL, safe_getenv, &err) < 0 ||
        (getauxval(AT_SECURE) == 0 && fg_policy_check_env_names(environ, &err) < 0)) {
        note_broken_policy(&err);
        return;
    }
    if (policy.mode == FG_MODE_OFF ||
        !fg_policy_program_selected(&policy, fg_origin_program())) {
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
        fg_report_configure(policy.log);   /* whatever the outcome: a broken
                                            * policy may still name the log */
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

int fg_core_initialized(void)
{
    return atomic_load_explicit(&init_done, memory_order_acquire);
}

void fg_core_broken(const char **msg, fg_action_t *action)
{
    if (msg != NULL) {
        *msg = broken_msg;
    }
    *action = broken_action;
}

/* Proves in tests that the library was loaded and exports only wrapped names. */
__attribute__((visibility("default"))) int fabguard_selftest_probe(void)
{
    return (int)fg_core_state();
}
