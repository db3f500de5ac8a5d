/* Symbol resolution for the wrappers. Because libfabguard.so is first in the
 * global scope, its wrappers are also reached from objects dlopen'ed
 * RTLD_LOCAL (Python extensions, NIXL's UCX plugin), where RTLD_NEXT cannot
 * see the real library. So: the caller's own dependency scope first (the
 * copy its caller would have reached, even with two UCX copies loaded),
 * then RTLD_NEXT, then every loaded object (Python wheels ship UCX renamed as
 * libucp-<hash>.so, so names are never matched by soname). */
#include "resolve.h"
#include "audit_gate.h"
#include "module.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* ---- caches ---------------------------------------------------------------
 * Resolution takes the loader's lock several times (dladdr1, dlopen
 * RTLD_NOLOAD, dlsym, dlclose). A wrapper called on a handle we did not
 * record (mode=off records nothing) resolves on every call, so results are
 * cached: (name, call site) -> symbol and symbol -> object base. An entry
 * is valid while no object was unloaded since it was made (dlpi_subs, the
 * loader's unload count): a reloaded plugin may reuse the same addresses. */
#define FG_CACHE_SLOTS 512   /* power of two */

typedef struct {
    _Atomic(const void *)        key1;    /* published last; NULL = free */
    const void                  *key2;    /* written before key1 */
    _Atomic(void *)              value;
    _Atomic(unsigned long long)  subs;    /* ~0 while being refreshed */
} cache_ent_t;

static void register_module(void);

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* The symbol this thread resolved last and its object's base: a wrapper asks
 * for the object of the symbol it just got (ucx.c copy_from), which then
 * costs nothing more. */
static __thread const void *last_sym __attribute__((tls_model("initial-exec")));
static __thread void       *last_base __attribute__((tls_model("initial-exec")));
static __thread unsigned long long last_subs __attribute__((tls_model("initial-exec")));
static cache_ent_t     sym_cache[FG_CACHE_SLOTS], base_cache[FG_CACHE_SLOTS];

static int read_subs(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(unsigned long long *)arg = info->dlpi_subs;
    return 1;   /* the counter is the same for every object: stop at once */
}

static unsigned long long unload_count(void)
{
    unsigned long long subs = ~0ULL;

    dl_iterate_phdr(read_subs, &subs);
    return subs;
}

static size_t slot_of(const void *a, const void *b)
{
    uintptr_t h = ((uintptr_t)a * 0x9E3779B97F4A7C15ULL) ^ ((uintptr_t)b * 0xC2B2AE3D27D4EB4FULL);

    return (size_t)(h >> 7) & (FG_CACHE_SLOTS - 1);
}

static void *cache_get(cache_ent_t *tab, const void *k1, const void *k2,
                       unsigned long long subs)
{
    size_t i, slot = slot_of(k1, k2);

    for (i = 0; i < 8; i++, slot = (slot + 1) & (FG_CACHE_SLOTS - 1)) {
        const void *k = atomic_load_explicit(&tab[slot].key1, memory_order_acquire);
        if (k == NULL) {
            return NULL;
        }
        if (k == k1 && tab[slot].key2 == k2) {
            /* seqlock read: the value counts only if subs is current
             * before and after reading it */
            void *v;
            if (atomic_load_explicit(&tab[slot].subs, memory_order_acquire) != subs) {
                return NULL;
            }
            v = atomic_load_explicit(&tab[slot].value, memory_order_acquire);
            return atomic_load_explicit(&tab[slot].subs, memory_order_acquire) == subs ? v : NULL;
        }
    }
    return NULL;
}

/* Writers are rare (first call per site, or after an unload). An entry is
 * only ever filled once per key; a stale one is refreshed in place. */
static void cache_put(cache_ent_t *tab, const void *k1, const void *k2,
                      void *value, unsigned long long subs)
{
    size_t i, slot = slot_of(k1, k2);

    if (value == NULL || subs == ~0ULL) {
        return;   /* never cache "absent": a library may be loaded later */
    }
    register_module();
    pthread_mutex_lock(&cache_lock);
    for (i = 0; i < 8; i++, slot = (slot + 1) & (FG_CACHE_SLOTS - 1)) {
        const void *k = atomic_load_explicit(&tab[slot].key1, memory_order_relaxed);
        if (k == NULL) {
            tab[slot].key2 = k2;
            atomic_store_explicit(&tab[slot].value, value, memory_order_relaxed);
            atomic_store_explicit(&tab[slot].subs, subs, memory_order_relaxed);
            atomic_store_explicit(&tab[slot].key1, k1, memory_order_release);
            break;
        }
        if (k == k1 && tab[slot].key2 == k2) {
            /* refresh a stale entry (seqlock write; see cache_get) */
            atomic_store_explicit(&tab[slot].subs, ~0ULL, memory_order_seq_cst);
            atomic_store_explicit(&tab[slot].value, value, memory_order_seq_cst);
            atomic_store_explicit(&tab[slot].subs, subs, memory_order_seq_cst);
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
}

static struct link_map *map_of(const void *addr)
{
    Dl_info          di;
    struct link_map *lm = NULL;

    if (addr == NULL ||
        dladdr1(addr, &di, (void **)&lm, RTLD_DL_LINKMAP) == 0) {
        return NULL;
    }
    return lm;
}

static void *object_of_uncached(const void *addr)
{
    Dl_info di;

    if (addr == NULL || dladdr(addr, &di) == 0) {
        return NULL;
    }
    return di.dli_fbase;
}

void *fg_object_of(const void *addr)
{
    unsigned long long subs;
    void              *base;

    if (addr != NULL && addr == last_sym && last_base != NULL) {
        return last_base;
    }
    subs = unload_count();
    base = cache_get(base_cache, addr, NULL, subs);

    if (base == NULL) {
        base = object_of_uncached(addr);
        cache_put(base_cache, addr, NULL, base, subs);
    }
    return base;
}

int fg_addr_is_ours(const void *addr)
{
    /* uncached: also used on the abort path for arbitrary frames */
    void *ours = object_of_uncached((const void *)&fg_addr_is_ours);

    return addr != NULL && ours != NULL && object_of_uncached(addr) == ours;
}

/* dlsym in the local scope of the loaded object called `path`: the object
 * and its dependencies, never the preload. NULL if not loaded there. */
static void *lookup_in_object(const char *path, const char *name)
{
    void *h, *sym;

    if (path == NULL || path[0] == '\0') {
        return NULL;
    }
    h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
    if (h == NULL) {
        return NULL;
    }
    sym = dlsym(h, name);
    dlclose(h);
    if (sym == NULL || fg_addr_is_ours(sym)) {
        return NULL;
    }
    return sym;
}

#define FG_MAX_OBJECTS 512

typedef struct {
    size_t n;
    char   path[FG_MAX_OBJECTS][256];
} object_list_t;

static int collect_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    object_list_t *ol = arg;

    (void)size;
    if (info->dlpi_name == NULL || info->dlpi_name[0] != '/' ||
        ol->n >= FG_MAX_OBJECTS) {
        return 0;   /* main program, vdso */
    }
    if (strlen(info->dlpi_name) < sizeof(ol->path[0])) {
        strcpy(ol->path[ol->n++], info->dlpi_name);
    }
    return 0;
}

/* Objects are collected first and dlopen'ed outside the iteration: the
 * callback runs under the loader's list lock. The list is static because it
 * is large (128 KiB); scan_lock protects it. The scan is rare: only when
 * neither the caller's scope nor RTLD_NEXT has the symbol. */
static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static object_list_t   scan_list;

static void *lookup_in_loaded_objects(const char *name)
{
    void  *sym = NULL;
    size_t i;

    register_module();
    pthread_mutex_lock(&scan_lock);
    scan_list.n = 0;
    dl_iterate_phdr(collect_object, &scan_list);
    for (i = 0; i < scan_list.n && sym == NULL; i++) {
        if (strstr(scan_list.path[i], "libfabguard") != NULL) {
            continue;
        }
        sym = lookup_in_object(scan_list.path[i], name);
    }
    pthread_mutex_unlock(&scan_lock);
    return sym;
}

static void resolve_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    scan_lock  = fresh;
    cache_lock = fresh;
}

static void *resolve_uncached(const char *name, const void *caller_addr);

void *fg_resolve_for_caller(const char *name, const void *caller_addr)
{
    unsigned long long subs;
    void              *sym;
    const void        *bound;

    /* reached through the audit module: the caller bound this very copy
     * (per call, so before the cache) */
    fg_audit_poll();
    bound = fg_audit_hint(name);
    if (bound != NULL) {
        return (void *)bound;
    }
    subs = unload_count();
    sym  = cache_get(sym_cache, name, caller_addr, subs);

    if (sym == NULL) {
        sym = resolve_uncached(name, caller_addr);
        cache_put(sym_cache, name, caller_addr, sym, subs);
    }
    if (sym != NULL && (sym != last_sym || subs != last_subs)) {
        void *base = cache_get(base_cache, sym, NULL, subs);
        if (base == NULL) {
            base = object_of_uncached(sym);
            cache_put(base_cache, sym, NULL, base, subs);
        }
        last_base = base;
        last_sym  = sym;
        last_subs = subs;
    }
    return sym;
}

static void *resolve_uncached(const char *name, const void *caller_addr)
{
    struct link_map *lm = map_of(caller_addr);
    void            *sym;

    /* the main program's scope is the global scope: RTLD_NEXT covers it */
    if (lm != NULL && lm->l_name != NULL && lm->l_name[0] == '/' &&
        !fg_addr_is_ours(caller_addr)) {
        sym = lookup_in_object(lm->l_name, name);
        if (sym != NULL) {
            return sym;
        }
    }
    sym = dlsym(RTLD_NEXT, name);
    if (sym != NULL && !fg_addr_is_ours(sym)) {
        return sym;
    }
    return lookup_in_loaded_objects(name);
}

void *fg_resolve_beside(const char *name, const void *sibling)
{
    struct link_map *lm = map_of(sibling);
    void            *sym;

    if (lm == NULL) {
        return NULL;
    }
    if (lm->l_name == NULL || lm->l_name[0] != '/') {
        sym = dlsym(RTLD_NEXT, name);   /* linked into the executable */
        return (sym != NULL && !fg_addr_is_ours(sym)) ? sym : NULL;
    }
    return lookup_in_object(lm->l_name, name);
}

/* The child of fork gets fresh locks: core runs this through the module
 * table (module.h). Registered at load and before our locks are first
 * taken (a first call may precede our constructor). */
static const fg_module_ops_t resolve_module = {
    .name       = "resolve",
    .after_fork = resolve_after_fork,
};

static void register_module(void)
{
    fg_core_register_module(&resolve_module);
}

__attribute__((constructor)) static void resolve_at_load(void)
{
    register_module();
}
