/* The UCX copy table: each libucp loaded (a renamed wheel copy included)
 * gets one fg_ucx_copy_t resolved from that very object. Entries are
 * published once (ncopies is the release point) and never change, except
 * the log capture fields, written once under the copy's install. */
#include "ucx_copy.h"
#include "resolve.h"
#include "fabguard/common.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define FG_MAX_COPIES  8

static pthread_mutex_t copy_lock = PTHREAD_MUTEX_INITIALIZER;
static fg_ucx_copy_t   copies[FG_MAX_COPIES];
static size_t          ncopies;

fg_ucx_copy_t *fg_ucx_copy_by_opts(const void *opts)
{
    size_t i, n = __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE);

    for (i = 0; i < n; i++) {
        if (copies[i].capture && copies[i].ucs_opts == opts) {
            return &copies[i];
        }
    }
    return NULL;
}

#define RESOLVE(c, field, name) \
    (*(void **)&(c)->field = fg_resolve_beside(name, sibling))

static void object_name(const void *addr, char *out, size_t cap)
{
    Dl_info     di;
    const char *slash;

    if (dladdr(addr, &di) == 0 || di.dli_fname == NULL) {
        fg_strlcpy(out, "?", cap);
        return;
    }
    slash = strrchr(di.dli_fname, '/');
    fg_strlcpy(out, slash ? slash + 1 : di.dli_fname, cap);
}

/* Build the copy of the library that defines `sibling`. copy_lock held. */
static fg_ucx_copy_t *copy_from(const void *sibling)
{
    const void    *base = fg_object_of(sibling);
    fg_ucx_copy_t *c;
    size_t         i;
    unsigned       rel = 0;

    for (i = 0; i < ncopies; i++) {
        if (copies[i].base == base) {
            return &copies[i];
        }
    }
    if (base == NULL || ncopies == FG_MAX_COPIES) {
        return NULL;
    }
    c = &copies[ncopies];
    memset(c, 0, sizeof(*c));
    c->base = base;
    object_name(sibling, c->object, sizeof(c->object));
    RESOLVE(c, init_version, "ucp_init_version");
    RESOLVE(c, cleanup, "ucp_cleanup");
    RESOLVE(c, worker_create, "ucp_worker_create");
    RESOLVE(c, worker_destroy, "ucp_worker_destroy");
    RESOLVE(c, ep_create, "ucp_ep_create");
    RESOLVE(c, ep_close_nbx, "ucp_ep_close_nbx");
    RESOLVE(c, ep_close_nb, "ucp_ep_close_nb");
    RESOLVE(c, ep_destroy, "ucp_ep_destroy");
    RESOLVE(c, disconnect_nb, "ucp_disconnect_nb");
    RESOLVE(c, ep_rkey_unpack, "ucp_ep_rkey_unpack");
    RESOLVE(c, mem_map, "ucp_mem_map");
    RESOLVE(c, mem_unmap, "ucp_mem_unmap");
    RESOLVE(c, worker_get_address, "ucp_worker_get_address");
    RESOLVE(c, ep_print_info, "ucp_ep_print_info");
    RESOLVE(c, ep_query, "ucp_ep_query");
    RESOLVE(c, get_version, "ucp_get_version");
    RESOLVE(c, context_print_info, "ucp_context_print_info");
    RESOLVE(c, config_read, "ucp_config_read");
    RESOLVE(c, config_print, "ucp_config_print");
    RESOLVE(c, config_release, "ucp_config_release");
    RESOLVE(c, request_check_status, "ucp_request_check_status");
    RESOLVE(c, conn_request_query, "ucp_conn_request_query");
    RESOLVE(c, request_free, "ucp_request_free");
    if (c->get_version != NULL) {
        c->get_version(&c->major, &c->minor, &rel);
    }
    snprintf(c->version, sizeof(c->version), "%u.%u.%u", c->major, c->minor, rel);
    __atomic_store_n(&ncopies, ncopies + 1, __ATOMIC_RELEASE);
    return c;
}

/* The copy a caller reaches for `name` (context creation, unknown handles). */
/* A copy already published for the object at `base`, or NULL. Lock-free:
 * entries below ncopies never change. */
static fg_ucx_copy_t *published(const void *base)
{
    size_t i, n = __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE);

    for (i = 0; base != NULL && i < n; i++) {
        if (copies[i].base == base) {
            return &copies[i];
        }
    }
    return NULL;
}

fg_ucx_copy_t *fg_ucx_copy_for_caller(const char *name, const void *caller)
{
    void          *sym = fg_resolve_for_caller(name, caller);
    fg_ucx_copy_t *c;

    if (sym == NULL) {
        return NULL;
    }
    if ((c = published(fg_object_of(sym))) != NULL) {
        return c;   /* seen before: no lock */
    }
    fg_core_fork_ready();   /* before copy_lock: a forked child must not inherit it held */
    pthread_mutex_lock(&copy_lock);
    c = copy_from(sym);
    pthread_mutex_unlock(&copy_lock);
    return c;
}

void fg_ucx_copy_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    copy_lock = fresh;
}
