/* The preload's side of the LD_AUDIT companion (audit_gate.c). */
#ifndef FG_SHIM_AUDIT_GATE_H
#define FG_SHIM_AUDIT_GATE_H

#include <stddef.h>
#include "core.h"

/* The real function the current audit entry's caller bound for `name`
 * (a UCX copy reached through RTLD_DEEPBIND or dlsym), or NULL. */
FG_HIDDEN const void *fg_audit_hint(const char *name);
/* Report bindings the audit module had to leave alone (once each). */
FG_HIDDEN void fg_audit_poll(void);
/* 1 when libfabguard-audit.so is loaded and found this preload. */
FG_HIDDEN int fg_audit_active(void);
/* Why calls of a loaded UCX/NCCL library may not be seen here, in words. */
FG_HIDDEN void fg_audit_cause(char *buf, size_t cap);
/* 1 when the audit module saw UCX calls or loads the preload could not see
 * (a dlmopen namespace, a GOT entry past the wrappers). */
FG_HIDDEN int fg_audit_saw_unseen(void);

#endif
