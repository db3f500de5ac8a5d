/* The verdict (verdict.c): what a judged observation becomes — the event
 * line, the VIOLATION line on stderr, and the act the mode asks for. The
 * last step of wrapper -> observe -> judge -> verdict -> report/act. */
#ifndef FG_SHIM_VERDICT_H
#define FG_SHIM_VERDICT_H

#include "fabguard/event.h"
#include "fabguard/finding.h"

#define FG_HIDDEN __attribute__((visibility("hidden")))

typedef enum { FG_GO_ON = 0, FG_GO_FAIL = 1 } fg_outcome_t;

/* Report an observation and its findings (none = ok) and act per mode.
 * Returns FG_GO_FAIL when the wrapper must return an error (enforce+fail);
 * does not return for enforce+abort/exit. `ev` verdict/rule are filled here. */
FG_HIDDEN fg_outcome_t fg_verdict_report_and_act(fg_event_t *ev, const fg_findings_t *f);
/* An informational event (verdict info), e.g. a symbol that was not found. */
FG_HIDDEN void fg_verdict_info(const char *lib, const char *event, const char *detail);
/* In FG_STATE_FAIL_CLOSED: report the broken policy and act. */
FG_HIDDEN fg_outcome_t fg_verdict_fail_closed(const char *lib, const char *what);

#endif
