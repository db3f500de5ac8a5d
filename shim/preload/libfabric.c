/* libfabric interposition: the control path only.
 *
 * libfabric exports few functions, all symbol-versioned: fi_getinfo
 * (FABRIC_1.0…1.3, default 1.3) and fi_fabric (FABRIC_1.0, default 1.1)
 * are the only creation calls reachable by name. fi_domain, fi_endpoint,
 * fi_scalable_ep (and their *2 variants) are static inline functions of the
 * application that call through the ops table of the object they are given
 * (fabric->ops->domain, domain->ops->endpoint). So:
 *   fi_getinfo  is wrapped for enforce+fail: refused candidates are dropped
 *               from the list (-FI_ENODATA when none is left);
 *   fi_fabric   judges the provider (event `fabric`), opens the fabric, and
 *               points fabric->ops at a copy of the provider's table whose
 *               domain/domain2 entries are ours;
 *   domain      judges the domain it is asked to open (event `domain`) and
 *               gives the new domain a copy of its ops table whose
 *               endpoint/scalable_ep/endpoint2 entries are ours;
 *   endpoint    records the endpoint type (event `endpoint`).
 * Every other entry of a copied table is the provider's own pointer, so
 * av/cq/cntr opening and the whole data path (ep->msg, ep->rma, cq reads,
 * memory registration through domain->mr) never pass through fabguard.
 * Copies are shared per distinct provider table (bounded; never freed).
 * The FI_HOOK hook providers are not used: they need the application's
 * environment changed and an external hook library, and see nothing more.
 *
 * The real functions are found with dlvsym at the very version the caller
 * linked: first in the caller's own dependency scope (an aws-ofi-nccl
 * plugin dlopen'ed RTLD_LOCAL with its own libfabric), then RTLD_NEXT,
 * then any loaded object that defines the versioned name. */
#if defined(__has_include)
#if __has_include(<rdma/fabric.h>)
#define FG_HAVE_LIBFABRIC 1
#endif
#endif

#ifdef FG_HAVE_LIBFABRIC
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include "core.h"
#include "count.h"
#include "report.h"
#include "verdict.h"
#include "resolve.h"
#include "fabguard/libfabric.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bind the loader functions used here to their oldest versions, so the
 * shim's floor stays glibc 2.17 (2.34 moved them into libc, where the old
 * versions remain as compatibility symbols). */
#if defined(__x86_64__)
__asm__(".symver dlvsym,dlvsym@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
__asm__(".symver dladdr1,dladdr1@GLIBC_2.3.3");
#elif defined(__aarch64__)
__asm__(".symver dlvsym,dlvsym@GLIBC_2.17");
__asm__(".symver dlopen,dlopen@GLIBC_2.17");
__asm__(".symver dlclose,dlclose@GLIBC_2.17");
__asm__(".symver dladdr1,dladdr1@GLIBC_2.17");
#endif

#define FG_EXPORT __attribute__((visibility("default"), used))

/* libfabric's own re-entry (ofi_rxm opening its tcp core provider through
 * the exported fi_getinfo/fi_fabric) passes through. This depth is kept
 * apart from the shared guard on purpose: aws-ofi-nccl calls libfabric from
 * inside the NCCL init that the NCCL wrapper guards, and those calls are
 * the ones to see. The shared guard is still held while libfabric runs, so
 * whatever libfabric itself calls (a ucx provider's UCX) stays unobserved. */
static __thread int fi_depth __attribute__((tls_model("initial-exec")));

static void fi_enter(void)
{
    fi_depth++;
    fg_guard_enter();
}

static void fi_leave(int *unused)
{
    (void)unused;
    fg_guard_leave();
    fi_depth--;
}

/* The prologue and the guard scope of the libfabric wrappers (core.h's,
 * with libfabric's own depth). */
static fg_state_t fi_state(void)
{
    return fi_depth > 0 ? FG_STATE_PASSTHROUGH : fg_core_state();
}
#define FI_GUARDED FG_SCOPE(fi_enter, fi_leave)

typedef int (*getinfo_fn)(uint32_t, const char *, const char *, uint64_t,
                          const struct fi_info *, struct fi_info **);
typedef void (*freeinfo_fn)(struct fi_info *);
typedef int (*fabric_fn)(struct fi_fabric_attr *, struct fid_fabric **, void *);

/* ---- finding the real functions ------------------------------------------ */

static int is_ours(const void *addr)
{
    return fg_addr_is_ours(addr);
}

static void *vsym_in_object(const char *path, const char *name, const char *ver)
{
    void *h, *sym;

    if (path == NULL || path[0] != '/') {
        return NULL;
    }
    h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
    if (h == NULL) {
        return NULL;
    }
    sym = dlvsym(h, name, ver);
    dlclose(h);
    return (sym != NULL && !is_ours(sym)) ? sym : NULL;
}

#define FG_FI_SCAN_MAX 256
typedef struct {
    size_t n;
    char   path[FG_FI_SCAN_MAX][256];
} scan_list_t;

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static scan_list_t     scan;

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    scan_list_t *l = arg;

    (void)size;
    if (info->dlpi_name != NULL && info->dlpi_name[0] == '/' &&
        l->n < FG_FI_SCAN_MAX && strlen(info->dlpi_name) < sizeof(l->path[0]) &&
        strstr(info->dlpi_name, "libfabguard") == NULL) {
        strcpy(l->path[l->n++], info->dlpi_name);
    }
    return 0;
}

/* Any loaded object defining name@ver (a renamed wheel copy included).
 * Collected under the loader's lock, looked up outside it. */
static void *vsym_anywhere(const char *name, const char *ver)
{
    void  *sym = NULL;
    size_t i;

    pthread_mutex_lock(&scan_lock);
    scan.n = 0;
    dl_iterate_phdr(collect, &scan);
    for (i = 0; i < scan.n && sym == NULL; i++) {
        sym = vsym_in_object(scan.path[i], name, ver);
    }
    pthread_mutex_unlock(&scan_lock);
    return sym;
}

static void *real_for_caller(const char *name, const char *ver, const void *caller)
{
    struct link_map *lm = NULL;
    Dl_info          di;
    void            *sym;

    if (caller != NULL && !is_ours(caller) &&
        dladdr1(caller, &di, (void **)&lm, RTLD_DL_LINKMAP) != 0 && lm != NULL) {
        sym = vsym_in_object(lm->l_name, name, ver);
        if (sym != NULL) {
            return sym;
        }
    }
    sym = dlvsym(RTLD_NEXT, name, ver);
    if (sym != NULL && !is_ours(sym)) {
        return sym;
    }
    return vsym_anywhere(name, ver);
}

static void report_missing(const char *name, const char *ver)
{
    char detail[200];

    if (fg_core_state() != FG_STATE_OBSERVE) {
        return;
    }
    snprintf(detail, sizeof(detail),
             "%s@%s not found in any loaded libfabric: this call fails with "
             "-FI_ENOSYS and is not checked", name, ver);
    if (fg_report_first_time(detail)) {
        fg_verdict_info("fabguard", "resolve", detail);
    }
}

/* ---- observations -------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src)
{
    fg_strlcpy(dst, src != NULL ? src : "", cap);
}

/* Only fields of the fi_info prefix that every ABI version (1.0…) shares. */
static void obs_from_info(const struct fi_info *info, fg_fi_obs_t *obs)
{
    memset(obs, 0, sizeof(*obs));
    obs->hmem = -1;
    if (info == NULL) {
        return;
    }
    if (info->fabric_attr != NULL) {
        copy_str(obs->provider, sizeof(obs->provider), info->fabric_attr->prov_name);
        copy_str(obs->fabric, sizeof(obs->fabric), info->fabric_attr->name);
    }
    if (info->domain_attr != NULL) {
        copy_str(obs->domain, sizeof(obs->domain), info->domain_attr->name);
    }
    if (info->ep_attr != NULL) {
        copy_str(obs->ep_type, sizeof(obs->ep_type),
                 fg_fi_ep_type_name((int)info->ep_attr->type));
    }
    obs->hmem = (info->caps & FI_HMEM) ? 1 : 0;
}

static fg_outcome_t report_findings(const char *event, const fg_fi_obs_t *obs,
                                    const fg_findings_t *f, const char *api,
                                    const fg_kv_t *more, size_t nmore)
{
    fg_event_t    ev;
    fg_kv_t       kv[9];
    size_t        n = 0, i;
    const char   *fp = getenv("FI_PROVIDER");

    if (obs->provider[0] != '\0') kv[n++] = (fg_kv_t){ "provider", obs->provider, 0 };
    if (obs->fabric[0] != '\0') kv[n++] = (fg_kv_t){ "fabric", obs->fabric, 0 };
    if (obs->domain[0] != '\0') kv[n++] = (fg_kv_t){ "domain", obs->domain, 0 };
    if (obs->ep_type[0] != '\0') kv[n++] = (fg_kv_t){ "ep_type", obs->ep_type, 0 };
    if (obs->hmem >= 0) kv[n++] = (fg_kv_t){ "hmem", obs->hmem ? "true" : "false", 1 };
    if (fp != NULL) kv[n++] = (fg_kv_t){ "FI_PROVIDER", fp, 0 };
    kv[n++] = (fg_kv_t){ "fi_api", api, 0 };
    for (i = 0; i < nmore && n < sizeof(kv) / sizeof(kv[0]); i++) {
        kv[n++] = more[i];
    }
    fg_event_init(&ev, "libfabric", event, "ok");
    ev.extra  = kv;
    ev.nextra = n;
    return fg_verdict_report_and_act(&ev, f);
}

static fg_outcome_t report(const char *event, const fg_fi_obs_t *obs,
                           unsigned rules, const char *api)
{
    fg_findings_t f;

    memset(&f, 0, sizeof(f));
    if (rules != 0) {
        fg_judge_libfabric(fg_core_policy(), fg_core_mgmt(), obs, rules, &f);
    }
    return report_findings(event, obs, &f, api, NULL, 0);
}

/* ---- ops-table copies ---------------------------------------------------- */

#define FG_FI_MAX_TABLES 16
#define FG_FI_TABLE_WORDS 48   /* a provider table larger than this is not wrapped */

typedef struct {
    const void *orig;   /* the provider's table */
    size_t      bytes;  /* its size, and what it held when copied: a table */
    void       *pristine[FG_FI_TABLE_WORDS];   /* at a reused address is a new one */
    union {
        size_t                size;
        struct fi_ops_fabric  fab;
        struct fi_ops_domain  dom;
        void                 *word[FG_FI_TABLE_WORDS];
    } copy;
} fg_fi_table_t;

typedef struct {
    pthread_mutex_t lock;          /* insertion only */
    atomic_size_t   n;             /* published entries */
    fg_fi_table_t   t[FG_FI_MAX_TABLES];
} fg_fi_tables_t;

static fg_fi_tables_t fabric_tables = { PTHREAD_MUTEX_INITIALIZER, 0, { { 0 } } };
static fg_fi_tables_t domain_tables = { PTHREAD_MUTEX_INITIALIZER, 0, { { 0 } } };

/* The provider table behind one of our copies (lock-free: entries are
 * written before n is published and never change). */
static const void *orig_of(fg_fi_tables_t *ts, const void *ops)
{
    size_t n = atomic_load_explicit(&ts->n, memory_order_acquire), i;

    for (i = 0; i < n; i++) {
        if ((const void *)&ts->t[i].copy == ops) {
            return ts->t[i].orig;
        }
    }
    return NULL;
}

typedef void (*patch_fn)(fg_fi_table_t *t);

/* Our copy of `orig` (size bytes, as the provider declares), made once. */
static void *copy_table(fg_fi_tables_t *ts, const void *orig, size_t size,
                        patch_fn patch)
{
    size_t i, n;
    void  *out = NULL;

    if (size < sizeof(size_t) || size > sizeof(ts->t[0].copy)) {
        return NULL;
    }
    pthread_mutex_lock(&ts->lock);
    n = atomic_load_explicit(&ts->n, memory_order_relaxed);
    for (i = 0; i < n && out == NULL; i++) {
        if (ts->t[i].orig == orig && ts->t[i].bytes == size &&
            memcmp(ts->t[i].pristine, orig, size) == 0) {
            out = &ts->t[i].copy;
        }
    }
    if (out == NULL && n < FG_FI_MAX_TABLES) {
        fg_fi_table_t *t = &ts->t[n];
        memset(&t->copy, 0, sizeof(t->copy));
        memcpy(&t->copy, orig, size);
        memcpy(t->pristine, orig, size);
        t->bytes = size;
        t->orig  = orig;
        patch(t);
        atomic_store_explicit(&ts->n, n + 1, memory_order_release);
        out = &t->copy;
    }
    pthread_mutex_unlock(&ts->lock);
    return out;
}

#define HAS_OP(t, u, type, f) \
    ((t)->copy.size >= offsetof(type, f) + sizeof(void *) && (t)->copy.u.f != NULL)

/* ---- endpoints ----------------------------------------------------------- */

static const struct fi_ops_domain *domain_orig(struct fid_domain *domain)
{
    return orig_of(&domain_tables, domain->ops);
}

static void note_endpoint(const struct fi_info *info, const char *kind)
{
    fg_fi_obs_t obs;

    obs_from_info(info, &obs);
    fg_count(FG_COUNT_ENDPOINTS);
    (void)report(kind, &obs, 0, "fi_endpoint");
}

/* The arguments of the three endpoint-opening calls. */
typedef struct {
    void    *ep;        /* struct fid_ep ** */
    uint64_t flags;     /* endpoint2 only */
    void    *context;
} ep_args_t;
typedef int (*ep_call_t)(const struct fi_ops_domain *o, struct fid_domain *domain,
                         struct fi_info *info, const ep_args_t *a);

/* Every endpoint-opening call: pass through, or watch and note the endpoint. */
static int open_endpoint(struct fid_domain *domain, struct fi_info *info, ep_call_t call,
                         const ep_args_t *a)
{
    const struct fi_ops_domain *o = domain_orig(domain);
    int                         ret;

    if (o == NULL) {
        return -FI_ENOSYS;
    }
    if (fi_state() != FG_STATE_OBSERVE) {
        return call(o, domain, info, a);
    }
    FI_GUARDED {
        ret = call(o, domain, info, a);
        if (ret == 0) {
            note_endpoint(info, "endpoint");
        }
    }
    return ret;
}

static int call_endpoint(const struct fi_ops_domain *o, struct fid_domain *domain,
                         struct fi_info *info, const ep_args_t *a)
{
    return o->endpoint(domain, info, a->ep, a->context);
}

static int call_scalable_ep(const struct fi_ops_domain *o, struct fid_domain *domain,
                            struct fi_info *info, const ep_args_t *a)
{
    return o->scalable_ep(domain, info, a->ep, a->context);
}

static int call_endpoint2(const struct fi_ops_domain *o, struct fid_domain *domain,
                          struct fi_info *info, const ep_args_t *a)
{
    return o->endpoint2(domain, info, a->ep, a->flags, a->context);
}

static int fg_fi_endpoint(struct fid_domain *domain, struct fi_info *info,
                          struct fid_ep **ep, void *context)
{
    ep_args_t a = { ep, 0, context };

    return open_endpoint(domain, info, call_endpoint, &a);
}

static int fg_fi_scalable_ep(struct fid_domain *domain, struct fi_info *info,
                             struct fid_ep **sep, void *context)
{
    ep_args_t a = { sep, 0, context };

    return open_endpoint(domain, info, call_scalable_ep, &a);
}

static int fg_fi_endpoint2(struct fid_domain *domain, struct fi_info *info,
                           struct fid_ep **ep, uint64_t flags, void *context)
{
    ep_args_t a = { ep, flags, context };

    return open_endpoint(domain, info, call_endpoint2, &a);
}

static void patch_domain(fg_fi_table_t *t)
{
    if (HAS_OP(t, dom, struct fi_ops_domain, endpoint)) {
        t->copy.dom.endpoint = fg_fi_endpoint;
    }
    if (HAS_OP(t, dom, struct fi_ops_domain, scalable_ep)) {
        t->copy.dom.scalable_ep = fg_fi_scalable_ep;
    }
    if (HAS_OP(t, dom, struct fi_ops_domain, endpoint2)) {
        t->copy.dom.endpoint2 = fg_fi_endpoint2;
    }
}

/* ---- domains ------------------------------------------------------------- */

static void wrap_domain(struct fid_domain *domain)
{
    void *copy;

    if (domain == NULL || domain->ops == NULL) {
        return;
    }
    copy = copy_table(&domain_tables, domain->ops, domain->ops->size, patch_domain);
    if (copy != NULL) {
        domain->ops = copy;
    } else if (fg_report_first_time("libfabric domain ops not wrapped")) {
        fg_verdict_info("libfabric", "domain",
                     "a provider's domain ops table could not be wrapped (too many "
                     "providers or an unknown table size): its endpoints are not recorded");
    }
}

/* Judge the domain about to be opened; refuse it before it exists. */
static fg_outcome_t judge_domain(const struct fi_info *info)
{
    fg_fi_obs_t obs;

    obs_from_info(info, &obs);
    return report("domain", &obs, FG_FI_RULES_DOMAIN | FG_FI_RULES_HMEM, "fi_domain");
}

typedef int (*domain_call_t)(const struct fi_ops_fabric *o, struct fid_fabric *fabric,
                             struct fi_info *info, struct fid_domain **dom, uint64_t flags,
                             void *context);

/* Both domain-opening calls: pass through, or judge the domain first and
 * wrap what opens. */
static int open_domain(struct fid_fabric *fabric, struct fi_info *info, struct fid_domain **dom,
                       uint64_t flags, void *context, domain_call_t call)
{
    const struct fi_ops_fabric *o = orig_of(&fabric_tables, fabric->ops);
    int                         ret;

    if (o == NULL) {
        return -FI_ENOSYS;
    }
    if (fi_state() != FG_STATE_OBSERVE) {
        return call(o, fabric, info, dom, flags, context);
    }
    FI_GUARDED {
        if (judge_domain(info) == FG_GO_FAIL) {
            return -FI_EPERM;
        }
        ret = call(o, fabric, info, dom, flags, context);
        if (ret == 0) {
            wrap_domain(*dom);
        }
    }
    return ret;
}

static int call_domain(const struct fi_ops_fabric *o, struct fid_fabric *fabric,
                       struct fi_info *info, struct fid_domain **dom, uint64_t flags,
                       void *context)
{
    (void)flags;
    return o->domain(fabric, info, dom, context);
}

static int call_domain2(const struct fi_ops_fabric *o, struct fid_fabric *fabric,
                        struct fi_info *info, struct fid_domain **dom, uint64_t flags,
                        void *context)
{
    return o->domain2(fabric, info, dom, flags, context);
}

static int fg_fi_domain(struct fid_fabric *fabric, struct fi_info *info,
                        struct fid_domain **dom, void *context)
{
    return open_domain(fabric, info, dom, 0, context, call_domain);
}

static int fg_fi_domain2(struct fid_fabric *fabric, struct fi_info *info,
                         struct fid_domain **dom, uint64_t flags, void *context)
{
    return open_domain(fabric, info, dom, flags, context, call_domain2);
}

static void patch_fabric(fg_fi_table_t *t)
{
    if (HAS_OP(t, fab, struct fi_ops_fabric, domain)) {
        t->copy.fab.domain = fg_fi_domain;
    }
    if (HAS_OP(t, fab, struct fi_ops_fabric, domain2)) {
        t->copy.fab.domain2 = fg_fi_domain2;
    }
}

/* ---- fi_fabric ------------------------------------------------------------ */

static int fabric_common(const char *ver, struct fi_fabric_attr *attr,
                         struct fid_fabric **fabric, void *context,
                         const void *caller)
{
    fabric_fn   real = (fabric_fn)real_for_caller("fi_fabric", ver, caller);
    fg_fi_obs_t obs;
    fg_state_t  s;
    int         ret;
    void       *copy;
    char        api[32];

    if (real == NULL) {
        report_missing("fi_fabric", ver);
        return -FI_ENOSYS;
    }
    if ((s = fi_state()) == FG_STATE_PASSTHROUGH) {
        return real(attr, fabric, context);
    }
    if (s == FG_STATE_FAIL_CLOSED &&
        fg_verdict_fail_closed("libfabric", "fabric open") == FG_GO_FAIL) {
        return -FI_EPERM;
    }
    FI_GUARDED {
        memset(&obs, 0, sizeof(obs));
        obs.hmem = -1;
        if (attr != NULL) {
            copy_str(obs.provider, sizeof(obs.provider), attr->prov_name);
            copy_str(obs.fabric, sizeof(obs.fabric), attr->name);
        }
        snprintf(api, sizeof(api), "fi_fabric@%s", ver);
        if (report("fabric", &obs, FG_FI_RULES_PROVIDER, api) == FG_GO_FAIL) {
            return -FI_EPERM;
        }
        ret = real(attr, fabric, context);
        if (ret == 0 && *fabric != NULL && (*fabric)->ops != NULL) {
            copy = copy_table(&fabric_tables, (*fabric)->ops, (*fabric)->ops->size,
                              patch_fabric);
            if (copy != NULL) {
                (*fabric)->ops = copy;
            } else if (fg_report_first_time("libfabric fabric ops not wrapped")) {
                fg_verdict_info("libfabric", "fabric",
                                "a provider's fabric ops table could not be wrapped: its "
                                "domains are not checked");
            }
        }
    }
    return ret;
}

FG_EXPORT int fg_fi_fabric_11(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
                              void *context)
{
    return fabric_common("FABRIC_1.1", attr, fabric, context, __builtin_return_address(0));
}

FG_EXPORT int fg_fi_fabric_10(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
                              void *context)
{
    return fabric_common("FABRIC_1.0", attr, fabric, context, __builtin_return_address(0));
}

__asm__(".symver fg_fi_fabric_11,fi_fabric@@FABRIC_1.1");
__asm__(".symver fg_fi_fabric_10,fi_fabric@FABRIC_1.0");

/* ---- fi_getinfo ----------------------------------------------------------- */

/* enforce + on_violation=fail: drop the candidates the policy refuses, so
 * the application picks an allowed one or gets -FI_ENODATA, the answer it
 * already handles for "no provider". Other modes leave the list alone:
 * candidates are not choices; what is opened is judged at fi_fabric and
 * fi_domain. */
/* Adds the findings for one candidate, one per rule and provider. */
static void merge_findings(fg_findings_t *all, const fg_findings_t *one,
                           const char *provider, char seen[][112], size_t *nseen)
{
    char   key[112];
    size_t i, j;

    for (i = 0; i < one->n; i++) {
        int dup = 0;
        snprintf(key, sizeof(key), "%s|%s", one->v[i].rule, provider);
        for (j = 0; j < *nseen && !dup; j++) {
            dup = strcmp(seen[j], key) == 0;
        }
        if (dup) {
            continue;
        }
        if (*nseen < FG_MAX_FINDINGS) {
            fg_strlcpy(seen[(*nseen)++], key, sizeof(seen[0]));
        }
        if (all->n < FG_MAX_FINDINGS) {
            all->v[all->n] = one->v[i];
            fg_strlcpy(all->v[all->n].detail, "fi_getinfo candidate refused: ",
                       sizeof(all->v[0].detail));
            strncat(all->v[all->n].detail, one->v[i].detail,
                    sizeof(all->v[0].detail) - strlen(all->v[all->n].detail) - 1);
            all->n++;
        } else {
            all->dropped++;
        }
    }
}

/* enforce + on_violation=fail: drop the candidates the policy refuses, so
 * the application picks an allowed one or gets -FI_ENODATA, the answer it
 * already handles for "no provider". One event per call names what was
 * refused. Other modes leave the list alone: candidates are not choices;
 * what is opened is judged at fi_fabric and fi_domain. */
static int filter_refused(struct fi_info **list, freeinfo_fn freeinfo,
                          const char *api)
{
    struct fi_info **link = list, *cur;
    fg_fi_obs_t      obs, first;   /* first: empty, for the call's one event */
    fg_findings_t    one, all;
    char             seen[FG_MAX_FINDINGS][112], refused[24], left[24];
    size_t           nseen = 0, nrefused = 0, nleft = 0;
    fg_kv_t          kv[2];

    memset(&all, 0, sizeof(all));
    memset(&first, 0, sizeof(first));
    while ((cur = *link) != NULL) {
        obs_from_info(cur, &obs);
        memset(&one, 0, sizeof(one));
        fg_judge_libfabric(fg_core_policy(), fg_core_mgmt(), &obs, FG_FI_RULES_ALL, &one);
        if (one.n == 0) {
            nleft++;
            link = &cur->next;
            continue;
        }
        nrefused++;
        merge_findings(&all, &one, obs.provider, seen, &nseen);
        *link     = cur->next;
        cur->next = NULL;
        if (freeinfo != NULL) {
            freeinfo(cur);
        }
    }
    if (nrefused > 0) {
        snprintf(refused, sizeof(refused), "%zu", nrefused);
        snprintf(left, sizeof(left), "%zu", nleft);
        kv[0] = (fg_kv_t){ "candidates_refused", refused, 1 };
        kv[1] = (fg_kv_t){ "candidates_left", left, 1 };
        first.hmem = -1;   /* several candidates: the details name each */
        (void)report_findings("fabric", &first, &all, api, kv, 2);
    }
    return *list == NULL ? -FI_ENODATA : 0;
}

static int getinfo_common(const char *ver, uint32_t version, const char *node,
                          const char *service, uint64_t flags,
                          const struct fi_info *hints, struct fi_info **info,
                          const void *caller)
{
    getinfo_fn         real = (getinfo_fn)real_for_caller("fi_getinfo", ver, caller);
    const fg_policy_t *pol;
    fg_state_t         s;
    int                ret;
    char               api[32];

    if (real == NULL) {
        report_missing("fi_getinfo", ver);
        return -FI_ENOSYS;
    }
    if ((s = fi_state()) == FG_STATE_PASSTHROUGH) {
        return real(version, node, service, flags, hints, info);
    }
    if (s == FG_STATE_FAIL_CLOSED &&
        fg_verdict_fail_closed("libfabric", "fi_getinfo") == FG_GO_FAIL) {
        return -FI_ENODATA;
    }
    FI_GUARDED {
        ret = real(version, node, service, flags, hints, info);
        pol = fg_core_policy();
        if (ret == 0 && info != NULL && *info != NULL &&
            pol->mode == FG_MODE_ENFORCE && pol->on_violation == FG_ACT_FAIL) {
            snprintf(api, sizeof(api), "fi_getinfo@%s", ver);
            ret = filter_refused(info, (freeinfo_fn)real_for_caller("fi_freeinfo", ver, caller),
                                 api);
        }
    }
    return ret;
}

#define GETINFO_VERSION(sfx, ver)                                                  \
    FG_EXPORT int fg_fi_getinfo_##sfx(uint32_t version, const char *node,          \
                                      const char *service, uint64_t flags,         \
                                      const struct fi_info *hints,                 \
                                      struct fi_info **info)                       \
    {                                                                              \
        return getinfo_common(ver, version, node, service, flags, hints, info,     \
                              __builtin_return_address(0));                        \
    }

GETINFO_VERSION(13, "FABRIC_1.3")
GETINFO_VERSION(12, "FABRIC_1.2")
GETINFO_VERSION(11, "FABRIC_1.1")
GETINFO_VERSION(10, "FABRIC_1.0")

__asm__(".symver fg_fi_getinfo_13,fi_getinfo@@FABRIC_1.3");
__asm__(".symver fg_fi_getinfo_12,fi_getinfo@FABRIC_1.2");
__asm__(".symver fg_fi_getinfo_11,fi_getinfo@FABRIC_1.1");
__asm__(".symver fg_fi_getinfo_10,fi_getinfo@FABRIC_1.0");

static void fg_libfabric_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    scan_lock          = fresh;
    fabric_tables.lock = fresh;
    domain_tables.lock = fresh;
}

/* The child of a fork may find a lock held by a thread that no longer
 * exists; core.c's fork hook covers UCX/NCCL, this one covers ours. */
__attribute__((constructor)) static void fg_libfabric_ctor(void)
{
    pthread_atfork(NULL, NULL, fg_libfabric_after_fork);
}
#endif
