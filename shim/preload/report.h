/* Reporting (report.c): the JSON Lines event log, stderr lines, flood
 * control. Below it only origin and count: it never asks core. */
#ifndef FG_SHIM_REPORT_H
#define FG_SHIM_REPORT_H

#include <stddef.h>
#include "fabguard/event.h"

#define FG_HIDDEN __attribute__((visibility("hidden")))

/* Where events go (the policy's `log` template; NULL or "" = nowhere),
 * set once by init; the file itself is opened at the first event. */
FG_HIDDEN void fg_report_configure(const char *log_template);
FG_HIDDEN void fg_report_event(const fg_event_t *ev);
/* Lines starting "fabguard: " get the identity instead ("fabguard[h:p]: ");
 * whole lines, at most PIPE_BUF per write(2). Async-signal-safe. */
FG_HIDDEN void fg_report_stderr_line(const char *text, size_t len);
/* One stderr line per distinct finding: returns 1 the first time. */
FG_HIDDEN int  fg_report_first_time(const char *key);
FG_HIDDEN void fg_report_after_fork(void);
/* Should this event line be written (not a flood of identical ones)? */
FG_HIDDEN int  fg_report_admit(const fg_event_t *ev);

#endif
