/* Finding the real UCX/NCCL functions wherever they live (design: "Finds
 * the real symbol wherever it lives"). Resolve once, cache "absent", never
 * recurse, never fatal. */
#ifndef FG_SHIM_RESOLVE_H
#define FG_SHIM_RESOLVE_H

#include "core.h"

/* The object (shared library or executable) that contains addr: its base
 * address, or NULL. */
FG_HIDDEN void *fg_object_of(const void *addr);

/* `name` as the object containing caller_addr would bind it: its own
 * dependency scope first, then RTLD_NEXT, then any loaded object (renamed
 * copies included) that defines it. Never returns a symbol of our own. */
FG_HIDDEN void *fg_resolve_for_caller(const char *name, const void *caller_addr);

/* `name` from the very object that defines `sibling` (a function of the same
 * library copy), or NULL. */
FG_HIDDEN void *fg_resolve_beside(const char *name, const void *sibling);

/* True when addr lies inside libfabguard.so. */
FG_HIDDEN int fg_addr_is_ours(const void *addr);

#endif
