/* Per-object GOT rewriting (see nccl_got.c). */
#ifndef FG_SHIM_NCCL_GOT_H
#define FG_SHIM_NCCL_GOT_H

#include <link.h>
#include "core.h"

/* Points every slot of `lm` that binds `name` (PLT slot, GOT data slot, also
 * inside RELRO) at `repl`. Returns the number of slots, -1 on trouble. */
FG_HIDDEN int fg_got_rewrite(const struct link_map *lm, const char *name, void *repl);

/* 1 when the lazy PLT slot of `name` in `lm` has been bound (the object
 * called it), 0 when it still points into the object itself, -1 when that
 * cannot be told (no PLT slot, BIND_NOW makes every slot bound). */
FG_HIDDEN int fg_got_plt_called(const struct link_map *lm, const char *name);

#endif
