/* Client/server endpoints not final yet (ucx_pending.c). "_locked": the
 * caller holds the UCX wrappers' handle lock. */
#ifndef FG_SHIM_UCX_PENDING_H
#define FG_SHIM_UCX_PENDING_H

#include <stddef.h>

#define FG_HIDDEN __attribute__((visibility("hidden")))

/* No bound: every client/server endpoint is tracked. */
FG_HIDDEN void        fg_ucx_pending_add_locked(const void *ep);
FG_HIDDEN void        fg_ucx_pending_remove_locked(const void *ep);
FG_HIDDEN size_t      fg_ucx_pending_count_locked(void);
/* The next one, round robin (count must be > 0). */
FG_HIDDEN const void *fg_ucx_pending_next_locked(void);
/* Are client/server endpoints tracked (their wireup may be under way)?
 * Unlocked. */
FG_HIDDEN int         fg_ucx_cs_pending(void);
FG_HIDDEN void        fg_ucx_pending_after_fork(void);

#endif
