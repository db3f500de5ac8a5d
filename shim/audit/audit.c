/* libfabguard-audit.so: the LD_AUDIT companion of libfabguard.so.
 *
 * Why it exists: a library loaded with RTLD_DEEPBIND (NIXL's UCX plugin
 * with NIXL_UCX_DEEPBIND=1) binds UCX in its own scope before the global
 * one, and dlsym(handle, ...) (Python ctypes) looks in the handle's scope:
 * both skip the preload. The loader's audit interface reports those
 * bindings (la_symbind64) and lets us substitute the address; no dlopen or
 * dlsym wrapper is involved, so the loader still sees the real caller
 * (RUNPATH, $ORIGIN, namespace) and RTLD_NEXT stays intact.
 *
 * How it stays harmless in every process:
 * - It calls no libc function at all (it runs in its own link namespace,
 *   during early start-up before TLS exists; stdio or errno would crash).
 * - la_objopen returns LA_FLG_BINDTO only for UCX copies and
 *   LA_FLG_BINDFROM only for objects that import UCX, so the loader calls
 *   la_symbind64 only for bindings into libucp; every other object costs
 *   two hash lookups and a scan of its imports at load.
 * - It defines no la_pltenter/la_pltexit: from glibc 2.35 on, PLT calls then
 *   run at full speed. Before 2.35 (LAV_CURRENT 1) any audit module puts
 *   every lazily bound call of every object through the loader's profiling
 *   trampoline, and bind-now bindings are not reported at all, so la_version
 *   declines and the preload reports what it therefore cannot see.
 * - It exports la_version, la_objopen and la_symbind64 only. */
#include <link.h>
#include <stddef.h>
#include <stdint.h>

#include "fabguard/audit_gate.h"

#define AU_EXPORT __attribute__((visibility("default")))

/* Our tag in the low bits of a link_map cookie (link maps are aligned). */
enum { TAG_NONE = 0, TAG_UCX = 1, TAG_PRELOAD = 2, TAG_MASK = 3 };

static fg_audit_gate_t *gate;   /* the preload's gate, once mapped */

/* ---- a minimal dynamic symbol lookup (no libc) ---------------------------- */

typedef struct {
    const ElfW(Sym)  *symtab;
    const char       *strtab;
    const uint32_t   *gnu_hash;
    const ElfW(Word) *sysv_hash;
} dyn_t;

static int str_eq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* The loader may or may not have relocated d_ptr in place (it does on
 * x86_64, not where .dynamic is read-only): an address below the load base
 * is still a link-time address. */
static const void *dyn_ptr(const struct link_map *map, ElfW(Addr) p)
{
    return (const void *)(p < map->l_addr ? p + map->l_addr : p);
}

static int read_dynamic(const struct link_map *map, dyn_t *d)
{
    const ElfW(Dyn) *dyn;

    d->symtab    = NULL;
    d->strtab    = NULL;
    d->gnu_hash  = NULL;
    d->sysv_hash = NULL;
    if (map == NULL || map->l_ld == NULL) {
        return -1;
    }
    for (dyn = map->l_ld; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:   d->symtab = dyn_ptr(map, dyn->d_un.d_ptr); break;
        case DT_STRTAB:   d->strtab = dyn_ptr(map, dyn->d_un.d_ptr); break;
        case DT_GNU_HASH: d->gnu_hash = dyn_ptr(map, dyn->d_un.d_ptr); break;
        case DT_HASH:     d->sysv_hash = dyn_ptr(map, dyn->d_un.d_ptr); break;
        default: break;
        }
    }
    return (d->symtab && d->strtab && (d->gnu_hash || d->sysv_hash)) ? 0 : -1;
}

static uint32_t gnu_hash_of(const char *s)
{
    uint32_t h = 5381;

    for (; *s != '\0'; s++) {
        h = h * 33 + (unsigned char)*s;
    }
    return h;
}

static uint32_t sysv_hash_of(const char *s)
{
    uint32_t h = 0, g;

    for (; *s != '\0'; s++) {
        h = (h << 4) + (unsigned char)*s;
        g = h & 0xf0000000u;
        h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

static int defines(const ElfW(Sym) *s, const char *strtab, const char *name)
{
    return s->st_shndx != SHN_UNDEF && s->st_value != 0 &&
           str_eq(strtab + s->st_name, name);
}

/* The defined dynamic symbol `name` of `map`, or NULL. */
static const ElfW(Sym) *lookup(const dyn_t *d, const char *name)
{
    if (d->gnu_hash != NULL) {
        const uint32_t     nbuckets = d->gnu_hash[0], symoffset = d->gnu_hash[1];
        const uint32_t     bloom_size = d->gnu_hash[2];
        const ElfW(Addr)  *bloom = (const ElfW(Addr) *)(d->gnu_hash + 4);
        const uint32_t    *buckets = (const uint32_t *)(bloom + bloom_size);
        const uint32_t    *chain = buckets + nbuckets;
        uint32_t           h = gnu_hash_of(name), i;

        if (nbuckets == 0) {
            return NULL;
        }
        for (i = buckets[h % nbuckets]; i >= symoffset && i != 0; i++) {
            const uint32_t c = chain[i - symoffset];
            if ((c | 1u) == (h | 1u) && defines(&d->symtab[i], d->strtab, name)) {
                return &d->symtab[i];
            }
            if (c & 1u) {
                break;
            }
        }
        return NULL;
    }
    {
        const ElfW(Word) nbucket = d->sysv_hash[0];
        const ElfW(Word) *bucket = d->sysv_hash + 2, *chain = bucket + nbucket;
        ElfW(Word)        i;

        if (nbucket == 0) {
            return NULL;
        }
        for (i = bucket[sysv_hash_of(name) % nbucket]; i != STN_UNDEF; i = chain[i]) {
            if (defines(&d->symtab[i], d->strtab, name)) {
                return &d->symtab[i];
            }
        }
    }
    return NULL;
}

/* ---- the gate ------------------------------------------------------------- */

static void note_unseen(uint32_t why, const char *object)
{
    fg_audit_gate_t *g = gate;
    size_t           i;

    if (g == NULL) {
        return;
    }
    if (__atomic_fetch_or(&g->unseen, why, __ATOMIC_ACQ_REL) == 0 &&
        object != NULL) {
        /* the first cause names its object; later ones only add bits */
        for (i = 0; i + 1 < sizeof(g->unseen_object) && object[i] != '\0'; i++) {
            g->unseen_object[i] = object[i];
        }
        g->unseen_object[i] = '\0';
    }
}

static int name_index(const fg_audit_gate_t *g, const char *name)
{
    uint32_t i;

    for (i = 0; i < g->nnames && i < FG_GATE_NAMES; i++) {
        if (str_eq(g->names[i], name)) {
            return (int)i;
        }
    }
    return -1;
}

/* The slot holding `real` for name idx, claiming a free one if needed. */
static int claim_slot(fg_audit_gate_t *g, int idx, uintptr_t real)
{
    int s;

    for (s = 0; s < FG_GATE_SLOTS; s++) {
        uintptr_t cur = __atomic_load_n(&g->real[idx][s], __ATOMIC_ACQUIRE);
        if (cur == 0 &&
            __atomic_compare_exchange_n(&g->real[idx][s], &cur, real, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return s;
        }
        if (cur == real) {
            return s;
        }
    }
    return -1;
}

/* Does the object import one of the wrapped UCX names? Undefined symbols
 * sit below GNU hash's symoffset (or anywhere, for a DT_HASH-only object). */
static int imports_ucx(const dyn_t *d, const fg_audit_gate_t *g)
{
    uint32_t n = d->gnu_hash != NULL ? d->gnu_hash[1] : d->sysv_hash[1], i;

    for (i = 1; i < n; i++) {
        const ElfW(Sym) *s    = &d->symtab[i];
        const char      *name = d->strtab + s->st_name;
        if (s->st_shndx == SHN_UNDEF && name[0] == 'u' && name[1] == 'c' &&
            name[2] == 'p' && name[3] == '_' && name_index(g, name) >= 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- the audit interface -------------------------------------------------- */

AU_EXPORT unsigned int la_version(unsigned int version)
{
    /* LAV_CURRENT 2 arrived with glibc 2.35 (bind-now bindings reported,
     * no PLT slowdown without la_pltenter); on older loaders stay out. */
    return version >= 2 ? 2 : 0;
}

AU_EXPORT unsigned int la_objopen(struct link_map *map, Lmid_t lmid,
                                  uintptr_t *cookie)
{
    const ElfW(Sym) *s;
    dyn_t            d;

    if (read_dynamic(map, &d) < 0) {
        return 0;
    }
    if (lmid != LM_ID_BASE) {
        /* the preload is not in that namespace: nothing to redirect to */
        if (lookup(&d, "ucp_init_version") != NULL) {
            note_unseen(FG_UNSEEN_NAMESPACE, map->l_name);
        }
        return 0;
    }
    if (gate == NULL && (s = lookup(&d, "fabguard_audit_gate")) != NULL) {
        fg_audit_gate_t *g = (fg_audit_gate_t *)(map->l_addr + s->st_value);
        if (g->magic == FG_GATE_MAGIC && g->version == FG_GATE_VERSION) {
            gate = g;
            __atomic_store_n(&g->attached, 1, __ATOMIC_RELEASE);
            *cookie = (uintptr_t)map | TAG_PRELOAD;
        }
        return 0;
    }
    if (gate == NULL) {
        return 0;   /* no preload (yet): the main program, or audit alone */
    }
    if (lookup(&d, "ucp_init_version") != NULL) {
        *cookie = (uintptr_t)map | TAG_UCX;
        return LA_FLG_BINDTO | LA_FLG_BINDFROM;
    }
    /* Only an object that imports UCX can bind past the preload (it may be
     * loaded RTLD_DEEPBIND); dlsym(handle) lookups are reported for the
     * BINDTO side alone. Everything else gets no flags: no callback. */
    return imports_ucx(&d, gate) ? LA_FLG_BINDFROM : 0;
}

AU_EXPORT uintptr_t la_symbind64(ElfW(Sym) *sym, unsigned int ndx,
                                 uintptr_t *refcook, uintptr_t *defcook,
                                 unsigned int *flags, const char *symname)
{
    fg_audit_gate_t *g = gate;
    uintptr_t        real = sym->st_value;
    int              idx, slot;
    void            *entry;

    (void)ndx;
    (void)flags;
    if (g == NULL || (*defcook & TAG_MASK) != TAG_UCX ||
        (*refcook & TAG_MASK) == TAG_PRELOAD ||
        symname[0] != 'u' || symname[1] != 'c' || symname[2] != 'p' ||
        symname[3] != '_' || (idx = name_index(g, symname)) < 0) {
        return real;   /* not ours, or the preload finding the real one */
    }
    if (__atomic_load_n(&g->self, __ATOMIC_ACQUIRE) != g) {
        note_unseen(FG_UNSEEN_EARLY, ((struct link_map *)(*refcook & ~(uintptr_t)TAG_MASK))->l_name);
        return real;
    }
    if ((slot = claim_slot(g, idx, real)) < 0 ||
        (entry = g->entry[idx][slot]) == NULL) {
        note_unseen(FG_UNSEEN_SLOTS, ((struct link_map *)(*defcook & ~(uintptr_t)TAG_MASK))->l_name);
        return real;
    }
    __atomic_fetch_add(&g->redirected, 1, __ATOMIC_RELAXED);
    return (uintptr_t)entry;
}
