/* Live NCCL communicators (which copy made each, and whether a lazy
 * channel judged it `fail`) and the lock they share with the capture's log
 * model (a channel verdict marks its communicator under the same lock). */
#include "nccl_int.h"
#include "fabguard/handlemap.h"

#include <string.h>

enum { COMM_FAILED = 1u << 0 };   /* judged `fail` after init (lazy channel) */

pthread_mutex_t fg_nccl_lock = PTHREAD_MUTEX_INITIALIZER;
static fg_handlemap_t comms;          /* under fg_nccl_lock */

void fg_nccl_comm_created(const void *comm, fg_nccl_copy_t *c)
{
    fg_handle_rec_t rec;

    memset(&rec, 0, sizeof(rec));
    rec.key = comm;
    rec.lib = c;
    pthread_mutex_lock(&fg_nccl_lock);
    fg_handlemap_put(&comms, &rec);   /* a reused address starts clean */
    pthread_mutex_unlock(&fg_nccl_lock);
}

void fg_nccl_comm_forget_locked(const void *comm)
{
    fg_handlemap_del(&comms, comm);
}

fg_nccl_copy_t *fg_nccl_comm_copy(const void *comm, int *failed)
{
    fg_handle_rec_t rec;
    int             found;

    pthread_mutex_lock(&fg_nccl_lock);
    found = fg_handlemap_get(&comms, comm, &rec);
    pthread_mutex_unlock(&fg_nccl_lock);
    if (failed != NULL) *failed = found && (rec.flags & COMM_FAILED) != 0;
    return found ? rec.lib : NULL;
}

void fg_nccl_mark_failed(const void *comm)
{
    fg_handle_rec_t *r = fg_handlemap_ref(&comms, comm);   /* fg_nccl_lock held */

    if (r != NULL) r->flags |= COMM_FAILED;
}
