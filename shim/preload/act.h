/* Acting on a verdict (act.c) — neither returns. */
#ifndef FG_SHIM_ACT_H
#define FG_SHIM_ACT_H

#include <stddef.h>

#define FG_HIDDEN __attribute__((visibility("hidden")))

FG_HIDDEN void fg_act_abort(const char *msg, size_t len) __attribute__((noreturn));
FG_HIDDEN void fg_act_exit(void) __attribute__((noreturn));

#endif
