/* Between the NCCL wrappers (nccl.c) and the capture of NCCL's debug log
 * (nccl_capture.c). */
#ifndef FG_SHIM_NCCL_INT_H
#define FG_SHIM_NCCL_INT_H

#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include "core.h"
#include "module.h"
#include "verdict.h"

/* One loaded libnccl: its real functions, resolved from that object. */
typedef struct {
    const void            *base;
    const struct link_map *lm;
    char                   object[64];
    void *get_unique_id, *init_rank, *init_rank_config, *init_rank_scalable, *init_all,
         *split, *shrink, *destroy, *abort_, *finalize, *reset_debug, *get_last_error;
    /* capture (nccl_capture.c, under its lock) */
    int        patched;          /* its getenv/fopen slots point at ours */
    atomic_int debug_fd;         /* the descriptor NCCL's debug FILE got from us, -1 */
    _Atomic(void *) debug_file;  /* that FILE */
    atomic_int generation;       /* capture generation it last re-read settings for */
} fg_nccl_copy_t;

/* Guards the log model, the live-communicator map and the sync counters
 * (nccl_comms.c). */
extern pthread_mutex_t fg_nccl_lock FG_HIDDEN;

/* nccl_copy.c */
FG_HIDDEN fg_nccl_copy_t *fg_nccl_copy_for_caller(const void *caller);
FG_HIDDEN fg_nccl_copy_t *fg_nccl_copy_at(const void *addr);
FG_HIDDEN void fg_nccl_for_each_copy(void (*fn)(fg_nccl_copy_t *c));
FG_HIDDEN void fg_nccl_copy_after_fork(void);

/* nccl_comms.c: live communicators */
FG_HIDDEN void fg_nccl_comm_created(const void *comm, fg_nccl_copy_t *c);
FG_HIDDEN void fg_nccl_comm_forget_locked(const void *comm);   /* fg_nccl_lock held */
/* The copy that made `comm` (NULL: unknown); *failed: judged `fail` later. */
FG_HIDDEN fg_nccl_copy_t *fg_nccl_comm_copy(const void *comm, int *failed);
FG_HIDDEN void fg_nccl_mark_failed(const void *comm);   /* fg_nccl_lock held */

/* nccl_capture.c */
FG_HIDDEN void fg_nccl_capture_for(fg_nccl_copy_t *c);   /* before calling into c */
FG_HIDDEN void fg_nccl_drain(void);
/* Judge one communicator after its init; *rule gets the first rule broken. */
FG_HIDDEN fg_outcome_t fg_nccl_judge_init(const void *comm, int rc, const char *what,
                                          char *rule, size_t cap);
FG_HIDDEN void fg_nccl_forget_comm(const void *comm);           /* fg_nccl_lock held */
FG_HIDDEN void fg_nccl_forget_failed_init(long tid);
FG_HIDDEN void fg_nccl_capture_after_fork(void);
/* At exit: drain the capture so the last lines are judged. */
FG_HIDDEN void fg_nccl_at_exit(void);
/* 1 when every loaded libnccl provably never ran. */
FG_HIDDEN int  fg_nccl_loaded_unused(void);

#endif
