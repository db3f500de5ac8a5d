/* Who this process is, for events and stderr lines: host, pid, program,
 * rank, fork parent, and what a thread of ours does for the application.
 * A leaf: it names no other file of the shim. */
#ifndef FG_SHIM_ORIGIN_H
#define FG_SHIM_ORIGIN_H

#include "fabguard/event.h"

#define FG_HIDDEN __attribute__((visibility("hidden")))

/* At init: host, pid, launcher rank, the stderr identity. */
FG_HIDDEN void fg_origin_init(void);
/* In a forked child: the parent becomes fork_parent, the identity follows. */
FG_HIDDEN void fg_origin_after_fork(void);
/* Process identity for one event (timestamp now). */
FG_HIDDEN void fg_origin_fill(fg_event_origin_t *o);
FG_HIDDEN const char *fg_origin_program(void);

/* "fabguard[host:pid rank N]": how every stderr line of ours starts (rank
 * from the launcher's variables, else from fg_origin_note_rank). Safe in
 * the abort path. */
FG_HIDDEN const char *fg_origin_ident(void);
/* The rank of this process in the first communicator that reports one
 * (NCCL); ignored when a launcher variable gave the rank. */
FG_HIDDEN void fg_origin_note_rank(int rank);
/* A thread of ours that judges on the application's behalf (NCCL's reader
 * for lazy connections) names what the application was doing; an abort on
 * this thread prints it instead of the thread's own frames. NULL clears. */
FG_HIDDEN void fg_origin_set_activity(const char *what);
FG_HIDDEN const char *fg_origin_activity(void);

#endif
