/* Client/server endpoints whose lanes are not final yet (their wireup may
 * still be under way): the set the control calls re-examine, round robin.
 * The UCX wrappers' handle lock (ucx_lock in ucx.c) protects it; the count
 * alone is read unlocked (fg_ucx_cs_pending). */
#include "ucx_pending.h"

#include <stdlib.h>

static const void **pending;   /* grows; never shrinks */
static size_t       npending, pending_cap, pending_cursor;

/* ucx_lock held. No bound: every client/server endpoint is tracked. */
void fg_ucx_pending_add_locked(const void *ep)
{
    if (npending == pending_cap) {
        size_t       cap = pending_cap ? pending_cap * 2 : 64;
        const void **p   = realloc(pending, cap * sizeof(*p));
        if (p == NULL) {
            return;   /* judged at creation only; never fatal */
        }
        pending     = p;
        pending_cap = cap;
    }
    pending[npending] = ep;
    __atomic_store_n(&npending, npending + 1, __ATOMIC_RELAXED);   /* read unlocked */
}

void fg_ucx_pending_remove_locked(const void *ep)
{
    size_t i;

    for (i = 0; i < npending; i++) {
        if (pending[i] == ep) {
            pending[i] = pending[npending - 1];
            __atomic_store_n(&npending, npending - 1, __ATOMIC_RELAXED);
            return;
        }
    }
}

size_t fg_ucx_pending_count_locked(void)
{
    return npending;
}

const void *fg_ucx_pending_next_locked(void)
{
    pending_cursor = (pending_cursor + 1) % npending;
    return pending[pending_cursor];
}

int fg_ucx_cs_pending(void)
{
    return __atomic_load_n(&npending, __ATOMIC_RELAXED) != 0;
}

void fg_ucx_pending_after_fork(void)
{
    __atomic_store_n(&npending, 0, __ATOMIC_RELAXED);
}
