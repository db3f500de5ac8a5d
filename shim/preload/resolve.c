/* Symbol resolution for the wrappers. Because libfabguard.so is first in the
 * global scope, its wrappers are also reached from objects dlopen'ed
 * RTLD_LOCAL (Python extensions, NIXL's UCX plugin), where RTLD_NEXT cannot
 * see the real library. So: the caller's own dependency scope first (the
 * copy its caller would have reached, even with two UCX copies loaded),
 * then RTLD_NEXT, then every loaded object (Python wheels ship UCX renamed as
 * libucp-<hash>.so, so names are never matched by soname). */
#include "resolve.h"
#include "audit_gate.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>

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

void *fg_object_of(const void *addr)
{
    Dl_info di;

    if (addr == NULL || dladdr(addr, &di) == 0) {
        return NULL;
    }
    return di.dli_fbase;
}

int fg_addr_is_ours(const void *addr)
{
    void *ours = fg_object_of((const void *)&fg_addr_is_ours);

    return addr != NULL && ours != NULL && fg_object_of(addr) == ours;
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

void fg_resolve_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    scan_lock = fresh;
}

void *fg_resolve_for_caller(const char *name, const void *caller_addr)
{
    struct link_map *lm;
    void            *sym;
    const void      *bound = fg_audit_hint(name);

    /* reached through the audit module: the caller bound this very copy */
    fg_audit_poll();
    if (bound != NULL) {
        return (void *)bound;
    }
    lm = map_of(caller_addr);
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

typedef struct {
    const char *needle;
    char       *out;
    size_t      cap;
    int         found;
} match_arg_t;

static int match_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    match_arg_t *m = arg;
    const char  *base;

    (void)size;
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') {
        return 0;
    }
    base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strstr(base, m->needle) != NULL) {
        fg_strlcpy(m->out, base, m->cap);
        m->found = 1;
        return 1;
    }
    return 0;
}

int fg_loaded_object_matching(const char *needle, char *name_out, size_t cap)
{
    match_arg_t m = { needle, name_out, cap, 0 };

    dl_iterate_phdr(match_object, &m);
    return m.found;
}
