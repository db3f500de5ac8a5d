/* The shim's core: lazy init, policy state, reporting and acting.
 * Data flows one way: wrapper -> observe -> judge -> fg_core_verdict(). */
#ifndef FG_SHIM_CORE_H
#define FG_SHIM_CORE_H

#include <stddef.h>
#include "fabguard/event.h"
#include "fabguard/finding.h"
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
/* Registers the fork child handler (once; cheap afterwards). Call it before
 * taking any lock a forked child may need, if that can happen before
 * fg_core_state() ran (it is called by the constructor and fg_core_state). */
FG_HIDDEN void fg_core_fork_ready(void);
FG_HIDDEN const fg_policy_t *fg_core_policy(void);
FG_HIDDEN const fg_ifset_t  *fg_core_mgmt(void);

typedef enum { FG_GO_ON = 0, FG_GO_FAIL = 1 } fg_outcome_t;

/* Report an observation and its findings (none = ok) and act per mode.
 * Returns FG_GO_FAIL when the wrapper must return an error (enforce+fail);
 * does not return for enforce+abort/exit. `ev` verdict/rule are filled here. */
FG_HIDDEN fg_outcome_t fg_core_verdict(fg_event_t *ev, const fg_findings_t *f);
/* An informational event (verdict info), e.g. a symbol that was not found. */
FG_HIDDEN void fg_core_info(const char *lib, const char *event,
                            const char *detail);
/* In FG_STATE_FAIL_CLOSED: report the broken policy and act. */
FG_HIDDEN fg_outcome_t fg_core_fail_closed(const char *lib, const char *what);

typedef enum {
    FG_COUNT_CONTEXTS, FG_COUNT_WORKERS, FG_COUNT_ENDPOINTS, FG_COUNT_COMMS,
    FG_COUNT_CHANNELS, FG_COUNT_VIOLATIONS, FG_COUNT_SUPPRESSED,
    FG_COUNT_LOST,          /* event lines dropped or cut (full disk, write error) */
    FG_COUNT_MAX
} fg_counter_t;
FG_HIDDEN void fg_core_count(fg_counter_t c);

/* Process identity for events (refreshed after fork). */
FG_HIDDEN void fg_core_origin(fg_event_origin_t *o);

/* "fabguard[host:pid rank N]": how every stderr line of ours starts (rank
 * from the launcher's variables, else from fg_core_note_rank). Safe in the
 * abort path. */
FG_HIDDEN const char *fg_core_ident(void);
/* The rank of this process in the first communicator that reports one
 * (NCCL); ignored when a launcher variable gave the rank. */
FG_HIDDEN void fg_core_note_rank(int rank);
/* A thread of ours that judges on the application's behalf (NCCL's reader
 * for lazy connections) names what the application was doing; an abort on
 * this thread prints it instead of the thread's own frames. NULL clears. */
FG_HIDDEN void fg_core_set_activity(const char *what);
FG_HIDDEN const char *fg_core_activity(void);

/* reporting (report.c) */
FG_HIDDEN void fg_report_event(const fg_event_t *ev);
/* Lines starting "fabguard: " get the identity instead ("fabguard[h:p]: ");
 * whole lines, at most PIPE_BUF per write(2). Async-signal-safe. */
FG_HIDDEN void fg_report_stderr_line(const char *text, size_t len);
/* One stderr line per distinct finding: returns 1 the first time. */
FG_HIDDEN int  fg_report_first_time(const char *key);
FG_HIDDEN void fg_report_after_fork(void);
/* Should this event line be written (not a flood of identical ones)? */
FG_HIDDEN int  fg_report_admit(const fg_event_t *ev);

/* acting (act.c) — neither returns */
FG_HIDDEN void fg_act_abort(const char *msg, size_t len) __attribute__((noreturn));
FG_HIDDEN void fg_act_exit(void) __attribute__((noreturn));

/* library-specific hooks run at fork and exit */
FG_HIDDEN void fg_ucx_after_fork(void) __attribute__((weak));
FG_HIDDEN void fg_nccl_after_fork(void) __attribute__((weak));
FG_HIDDEN void fg_nccl_at_exit(void) __attribute__((weak));
/* UCX coverage for the exit summary (ucx.c), asked only when libucp is
 * loaded and no context was seen: NULL = loaded, never used (no UCX
 * transport module was ever loaded, no ucp_init attempt); else why the
 * process was not checked ("bypassed: …", "ucp_init failed: …"). */
FG_HIDDEN const char *fg_ucx_unobserved_reason(void) __attribute__((weak));
/* 1 when every loaded libnccl provably never ran (nccl_capture.c) */
FG_HIDDEN int  fg_nccl_loaded_unused(void) __attribute__((weak));

#endif
