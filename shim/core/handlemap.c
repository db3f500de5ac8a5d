/* Open addressing with linear probing and backward-shift deletion. */
#include "fabguard/handlemap.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const void *key, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)key;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & (cap - 1);
}

static int grow(fg_handlemap_t *m)
{
    size_t           ncap = m->cap ? m->cap * 2 : 64, i;
    fg_handle_rec_t *old = m->slot, *fresh = calloc(ncap, sizeof(*fresh));

    if (fresh == NULL) {
        return -1;
    }
    for (i = 0; i < m->cap; i++) {
        if (old[i].key != NULL) {
            size_t s = slot_of(old[i].key, ncap);
            while (fresh[s].key != NULL) {
                s = (s + 1) & (ncap - 1);
            }
            fresh[s] = old[i];
        }
    }
    free(old);
    m->slot = fresh;
    m->cap  = ncap;
    return 0;
}

fg_handle_rec_t *fg_handlemap_ref(fg_handlemap_t *m, const void *key)
{
    size_t s;

    if (m->cap == 0 || key == NULL) {
        return NULL;
    }
    for (s = slot_of(key, m->cap); m->slot[s].key != NULL;
         s = (s + 1) & (m->cap - 1)) {
        if (m->slot[s].key == key) {
            return &m->slot[s];
        }
    }
    return NULL;
}

int fg_handlemap_get(const fg_handlemap_t *m, const void *key,
                     fg_handle_rec_t *out)
{
    fg_handle_rec_t *r = fg_handlemap_ref((fg_handlemap_t *)m, key);

    if (r == NULL) {
        return 0;
    }
    *out = *r;
    return 1;
}

int fg_handlemap_put(fg_handlemap_t *m, const fg_handle_rec_t *rec)
{
    fg_handle_rec_t *r = fg_handlemap_ref(m, rec->key);
    size_t           s;

    if (r != NULL) {
        *r = *rec;
        return 0;
    }
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) < 0) {   /* load <= 0.75 */
        return -1;
    }
    s = slot_of(rec->key, m->cap);
    while (m->slot[s].key != NULL) {
        s = (s + 1) & (m->cap - 1);
    }
    m->slot[s] = *rec;
    m->count++;
    return 0;
}

static void delete_at(fg_handlemap_t *m, size_t hole)
{
    size_t mask = m->cap - 1, j = hole;

    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (m->slot[j].key == NULL) {
            break;
        }
        home = slot_of(m->slot[j].key, m->cap);
        /* move j back into the hole unless its home lies in (hole, j] */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slot[hole] = m->slot[j];
            hole          = j;
        }
    }
    memset(&m->slot[hole], 0, sizeof(m->slot[hole]));
    m->count--;
}

int fg_handlemap_del(fg_handlemap_t *m, const void *key)
{
    fg_handle_rec_t *r = fg_handlemap_ref(m, key);

    if (r == NULL) {
        return 0;
    }
    delete_at(m, (size_t)(r - m->slot));
    return 1;
}

void fg_handlemap_sweep(fg_handlemap_t *m,
                        int (*fn)(fg_handle_rec_t *rec, void *arg), void *arg)
{
    size_t i = 0;

    while (i < m->cap) {
        if (m->slot[i].key != NULL && fn(&m->slot[i], arg)) {
            delete_at(m, i);   /* a later record may have moved into i */
            continue;
        }
        i++;
    }
}

void fg_handlemap_clear(fg_handlemap_t *m)
{
    free(m->slot);
    m->slot  = NULL;
    m->cap   = 0;
    m->count = 0;
}
