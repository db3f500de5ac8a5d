/* The NCCL copy table: every libnccl loaded (a wheel's renamed copy beside
 * another one) gets its own table of real functions, resolved from that very
 * object; a caller reaches the copy its own dependency scope would
 * (resolve.c). Entries are published once and never move. */
#include "nccl_int.h"
#include "resolve.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>

#define MAX_COPIES 8
#define MAX_CALLERS 64

static pthread_mutex_t copy_lock = PTHREAD_MUTEX_INITIALIZER;   /* copies, callers */
static fg_nccl_copy_t  copies[MAX_COPIES];
static size_t          ncopies;
static struct { const void *obj; fg_nccl_copy_t *copy; } callers[MAX_CALLERS];
static size_t          ncallers;

#define RESOLVE(c, field, name)                                           \
    do {                                                                  \
        (c)->field = fg_resolve_beside("p" name, sibling);                \
        if ((c)->field == NULL) (c)->field = fg_resolve_beside(name, sibling); \
    } while (0)

/* The copy that defines `sibling`; copy_lock held. */
static fg_nccl_copy_t *copy_from(const void *sibling)
{
    const void      *base = fg_object_of(sibling);
    fg_nccl_copy_t  *c;
    Dl_info          di;
    struct link_map *lm = NULL;
    size_t           i;

    for (i = 0; i < ncopies; i++) {
        if (copies[i].base == base) return &copies[i];
    }
    if (base == NULL || ncopies == MAX_COPIES ||
        dladdr1(sibling, &di, (void **)&lm, RTLD_DL_LINKMAP) == 0) {
        return NULL;
    }
    c = &copies[ncopies];
    memset(c, 0, sizeof(*c));
    c->base = base;
    c->lm   = lm;
    fg_strlcpy(c->object, di.dli_fname && strrchr(di.dli_fname, '/') ? strrchr(di.dli_fname, '/') + 1
                                                                     : (di.dli_fname ? di.dli_fname : "?"),
               sizeof(c->object));
    RESOLVE(c, get_unique_id, "ncclGetUniqueId");
    RESOLVE(c, init_rank, "ncclCommInitRank");
    RESOLVE(c, init_rank_config, "ncclCommInitRankConfig");
    RESOLVE(c, init_rank_scalable, "ncclCommInitRankScalable");
    RESOLVE(c, init_all, "ncclCommInitAll");
    RESOLVE(c, split, "ncclCommSplit");
    RESOLVE(c, shrink, "ncclCommShrink");
    RESOLVE(c, destroy, "ncclCommDestroy");
    RESOLVE(c, abort_, "ncclCommAbort");
    RESOLVE(c, finalize, "ncclCommFinalize");
    RESOLVE(c, reset_debug, "ncclResetDebugInit");
    RESOLVE(c, get_last_error, "ncclGetLastError");
    ncopies++;
    return c;
}

/* The copy the caller reaches (cached per calling object; "none" too). */
fg_nccl_copy_t *fg_nccl_copy_for_caller(const void *caller)
{
    const void     *obj = fg_object_of(caller);
    fg_nccl_copy_t *c   = NULL;
    void           *sym;
    size_t          i;

    fg_core_fork_ready();   /* before copy_lock: a forked child must not inherit it held */
    pthread_mutex_lock(&copy_lock);
    for (i = 0; i < ncallers; i++) {
        if (callers[i].obj == obj) {
            c = callers[i].copy;
            pthread_mutex_unlock(&copy_lock);
            return c;
        }
    }
    pthread_mutex_unlock(&copy_lock);
    /* resolution may dlopen(RTLD_NOLOAD): never under our lock */
    sym = fg_resolve_for_caller("pncclGetUniqueId", caller);
    if (sym == NULL) sym = fg_resolve_for_caller("ncclGetUniqueId", caller);
    pthread_mutex_lock(&copy_lock);
    c = sym ? copy_from(sym) : NULL;
    if (ncallers < MAX_CALLERS) {
        callers[ncallers].obj  = obj;
        callers[ncallers].copy = c;
        ncallers++;
    }
    pthread_mutex_unlock(&copy_lock);
    return c;
}

fg_nccl_copy_t *fg_nccl_copy_at(const void *addr)
{
    const void *base = fg_object_of(addr);
    size_t      i;

    pthread_mutex_lock(&copy_lock);
    for (i = 0; i < ncopies; i++) {
        if (copies[i].base == base) {
            pthread_mutex_unlock(&copy_lock);
            return &copies[i];
        }
    }
    pthread_mutex_unlock(&copy_lock);
    return NULL;
}

void fg_nccl_for_each_copy(void (*fn)(fg_nccl_copy_t *c))
{
    size_t i, n;

    pthread_mutex_lock(&copy_lock);
    n = ncopies;
    pthread_mutex_unlock(&copy_lock);
    for (i = 0; i < n; i++) fn(&copies[i]);   /* entries never move or change identity */
}

void fg_nccl_copy_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    copy_lock = fresh;
}
