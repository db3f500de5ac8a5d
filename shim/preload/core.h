/* The shim's core: lazy init, the policy in force and its state, the
 * re-entrancy guard. Data flows one way: wrapper -> observe -> judge ->
 * verdict (verdict.h) -> report/act; core itself calls none of them
 * except report's setup, and reaches library modules only through the ops
 * they register (module.h). */
#ifndef FG_SHIM_CORE_H
#define FG_SHIM_CORE_H

#include <stddef.h>
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"

#define FG_HIDDEN __attribute__((visibility("hidden")))

/* Thread-local re-entry depth: our own calls into UCX/NCCL (and UCX calling
 * its own exported entry points) must pass straight through. */
FG_HIDDEN int  fg_guard_enter(void);   /* returns the depth before entering */
FG_HIDDEN void fg_guard_leave(void);
FG_HIDDEN int  fg_guard_depth(void);

typedef enum {
    FG_STATE_PASSTHROUGH,   /* off, program not selected, or our own trouble */
    FG_STATE_OBSERVE,       /* policy loaded: observe and judge */
    FG_STATE_FAIL_CLOSED    /* enforce mode with a broken policy */
} fg_state_t;

/* Lazy init at the first intercepted call, from any thread, possibly
 * before our constructor ran. Never fails: trouble means passthrough. */
FG_HIDDEN fg_state_t fg_core_state(void);

/* The prologue of every wrapper (UCX, NCCL, libfabric): what this call
 * should do. Our own calls, and a library calling its own exported entry
 * points, pass straight through. */
static inline fg_state_t fg_wrap_state(void)
{
    return fg_guard_depth() > 0 ? FG_STATE_PASSTHROUGH : fg_core_state();
}

/* FG_SCOPE(enter, leave) { ... }: the block runs between enter() and
 * leave(&unused), and leave runs however the block is left: its end, break
 * or return (a cleanup, not a hidden jump). Not nested in one function. */
#define FG_SCOPE(enter, leave)                                                \
    for (int fg_scope_ __attribute__((cleanup(leave))) = ((void)(enter)(), 0), \
             fg_scope_once_ = 1;                                              \
         fg_scope_once_; fg_scope_once_ = 0)

static inline void fg_guard_scope_end_(int *unused)
{
    (void)unused;
    fg_guard_leave();
}

/* FG_GUARDED { ... }: the one guard scope of every wrapper. The block runs
 * with this thread's re-entry depth raised: calls into the library from it
 * pass through. */
#define FG_GUARDED FG_SCOPE(fg_guard_enter, fg_guard_scope_end_)
/* Registers the fork child handler (once; cheap afterwards). Call it before
 * taking any lock a forked child may need, if that can happen before
 * fg_core_state() ran (it is called by the constructor and fg_core_state). */
FG_HIDDEN void fg_core_fork_ready(void);
FG_HIDDEN const fg_policy_t *fg_core_policy(void);
FG_HIDDEN const fg_ifset_t  *fg_core_mgmt(void);

/* Has the first intercepted call initialised the shim? */
FG_HIDDEN int  fg_core_initialized(void);
/* In FG_STATE_FAIL_CLOSED: why the policy is broken and the act intended. */
FG_HIDDEN void fg_core_broken(const char **msg, fg_action_t *action);

#endif
