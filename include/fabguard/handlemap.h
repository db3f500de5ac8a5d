/* Pointer-keyed open-addressing map of handle records (UCX contexts,
 * workers, endpoints; NCCL communicators). Not thread-safe by itself:
 * callers hold their own lock. Grows by doubling; deletion by backward
 * shift, so lookups stay short with thousands of endpoints. */
#ifndef FABGUARD_HANDLEMAP_H
#define FABGUARD_HANDLEMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const void *key;       /* the handle; NULL marks an empty slot */
    void       *lib;       /* which library copy created it */
    const void *parent;    /* worker of an endpoint, context of a worker */
    uint64_t    fingerprint;
    uint32_t    flags;
} fg_handle_rec_t;

typedef struct {
    fg_handle_rec_t *slot;
    size_t           cap;    /* power of two, or 0 */
    size_t           count;
} fg_handlemap_t;

int  fg_handlemap_put(fg_handlemap_t *m, const fg_handle_rec_t *rec);   /* 0 / -1 ENOMEM */
int  fg_handlemap_get(const fg_handlemap_t *m, const void *key, fg_handle_rec_t *out);
int  fg_handlemap_del(fg_handlemap_t *m, const void *key);
fg_handle_rec_t *fg_handlemap_ref(fg_handlemap_t *m, const void *key);  /* valid until next put/del */
void fg_handlemap_clear(fg_handlemap_t *m);
/* Calls fn for every record; fn returns 1 to delete the record. */
void fg_handlemap_sweep(fg_handlemap_t *m,
                        int (*fn)(fg_handle_rec_t *rec, void *arg), void *arg);

#endif
