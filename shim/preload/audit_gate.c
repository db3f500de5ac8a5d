/* The preload's side of the LD_AUDIT companion (shim/audit/audit.c).
 *
 * When the loader binds a UCX entry point for an object that would bypass
 * the preload (RTLD_DEEPBIND scope, dlsym on a handle), the audit module
 * records the address the caller would have reached in a free slot of
 * `real[name][slot]` and hands out `entry[name][slot]` instead. Each entry
 * remembers, for the duration of the call, which real function its caller
 * bound, then calls the ordinary wrapper; fg_resolve_for_caller() returns
 * that function first. So a call reaches the very UCX copy its caller bound
 * (NIXL's private copy, a renamed wheel copy), whichever object calls.
 *
 * What cannot be seen is said when it is known: at load (constructor) when
 * the environment asks NIXL for RTLD_DEEPBIND and the audit module is not
 * active, at the next intercepted call when the audit module had to leave a
 * binding alone, and in the exit summary. */
#include <ucp/api/ucp.h>

#include "core.h"
#include "report.h"
#include "loaded.h"
#include "fabguard/audit_gate.h"
#include "fabguard/nixl_env.h"

#include <dlfcn.h>
#include <elf.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* The thread's current entry: which name, and the real function its caller
 * bound. Saved and restored around the call so nesting is harmless. */
static __thread int         hint_idx __attribute__((tls_model("initial-exec")));
static __thread const void *hint_real __attribute__((tls_model("initial-exec")));

extern __attribute__((visibility("default"))) fg_audit_gate_t fabguard_audit_gate;

static const void *slot_real(int idx, int slot)
{
    return (const void *)__atomic_load_n(&fabguard_audit_gate.real[idx][slot],
                                         __ATOMIC_ACQUIRE);
}

#define ENTER(idx, slot)                                                       \
    const void *saved_real = hint_real;                                        \
    int         saved_idx  = hint_idx;                                         \
    hint_idx  = (idx);                                                         \
    hint_real = slot_real((idx), (slot))
#define LEAVE() (hint_idx = saved_idx, hint_real = saved_real)

#define ENTRY(idx, slot, R, name, params, args)                                \
    static R fg_entry_##name##_##slot params                                   \
    {                                                                          \
        R r;                                                                   \
        ENTER(idx, slot);                                                      \
        r = name args;                                                         \
        LEAVE();                                                               \
        return r;                                                              \
    }
#define ENTRY_VOID(idx, slot, name, params, args)                              \
    static void fg_entry_##name##_##slot params                                \
    {                                                                          \
        ENTER(idx, slot);                                                      \
        name args;                                                             \
        LEAVE();                                                               \
    }
#define SLOTS(M, ...) M(0, __VA_ARGS__) M(1, __VA_ARGS__) M(2, __VA_ARGS__) M(3, __VA_ARGS__)

/* one macro per wrapped UCX name: its index, signature and arguments */
#define E_INIT(s, i) ENTRY(i, s, ucs_status_t, ucp_init_version,                 \
    (unsigned a, unsigned b, const ucp_params_t *p, const ucp_config_t *c,     \
     ucp_context_h *o), (a, b, p, c, o))
#define E_CLEANUP(s, i) ENTRY_VOID(i, s, ucp_cleanup, (ucp_context_h c), (c))
#define E_WCREATE(s, i) ENTRY(i, s, ucs_status_t, ucp_worker_create,             \
    (ucp_context_h c, const ucp_worker_params_t *p, ucp_worker_h *o), (c, p, o))
#define E_WDESTROY(s, i) ENTRY_VOID(i, s, ucp_worker_destroy, (ucp_worker_h w), (w))
#define E_EPCREATE(s, i) ENTRY(i, s, ucs_status_t, ucp_ep_create,                \
    (ucp_worker_h w, const ucp_ep_params_t *p, ucp_ep_h *o), (w, p, o))
#define E_CLOSENBX(s, i) ENTRY(i, s, ucs_status_ptr_t, ucp_ep_close_nbx,         \
    (ucp_ep_h e, const ucp_request_param_t *p), (e, p))
#define E_CLOSENB(s, i) ENTRY(i, s, ucs_status_ptr_t, ucp_ep_close_nb,           \
    (ucp_ep_h e, unsigned m), (e, m))
#define E_EPDESTROY(s, i) ENTRY_VOID(i, s, ucp_ep_destroy, (ucp_ep_h e), (e))
#define E_DISCONNECT(s, i) ENTRY(i, s, ucs_status_ptr_t, ucp_disconnect_nb,      \
    (ucp_ep_h e), (e))
#define E_RKEY(s, i) ENTRY(i, s, ucs_status_t, ucp_ep_rkey_unpack,               \
    (ucp_ep_h e, const void *b, ucp_rkey_h *o), (e, b, o))
#define E_MEMMAP(s, i) ENTRY(i, s, ucs_status_t, ucp_mem_map,                    \
    (ucp_context_h c, const ucp_mem_map_params_t *p, ucp_mem_h *o), (c, p, o))
#define E_MEMUNMAP(s, i) ENTRY(i, s, ucs_status_t, ucp_mem_unmap,                \
    (ucp_context_h c, ucp_mem_h m), (c, m))
#define E_ADDR(s, i) ENTRY(i, s, ucs_status_t, ucp_worker_get_address,           \
    (ucp_worker_h w, ucp_address_t **a, size_t *n), (w, a, n))

SLOTS(E_INIT, 0)
SLOTS(E_CLEANUP, 1)
SLOTS(E_WCREATE, 2)
SLOTS(E_WDESTROY, 3)
SLOTS(E_EPCREATE, 4)
SLOTS(E_CLOSENBX, 5)
SLOTS(E_CLOSENB, 6)
SLOTS(E_EPDESTROY, 7)
SLOTS(E_DISCONNECT, 8)
SLOTS(E_RKEY, 9)
SLOTS(E_MEMMAP, 10)
SLOTS(E_MEMUNMAP, 11)
SLOTS(E_ADDR, 12)

#define ROW(name) { (void *)fg_entry_##name##_0, (void *)fg_entry_##name##_1, \
                    (void *)fg_entry_##name##_2, (void *)fg_entry_##name##_3 }

/* Exported (a fabguard name, nothing of libc): the audit module finds it
 * in our dynamic symbol table. Order of names = order of rows. */
__attribute__((visibility("default"))) fg_audit_gate_t fabguard_audit_gate = {
    .magic   = FG_GATE_MAGIC,
    .version = FG_GATE_VERSION,
    .nnames  = FG_GATE_NAMES,
    .nslots  = FG_GATE_SLOTS,
    .names   = { "ucp_init_version", "ucp_cleanup", "ucp_worker_create",
                 "ucp_worker_destroy", "ucp_ep_create", "ucp_ep_close_nbx",
                 "ucp_ep_close_nb", "ucp_ep_destroy", "ucp_disconnect_nb",
                 "ucp_ep_rkey_unpack", "ucp_mem_map", "ucp_mem_unmap",
                 "ucp_worker_get_address" },
    .self    = &fabguard_audit_gate,
    .entry   = { ROW(ucp_init_version), ROW(ucp_cleanup), ROW(ucp_worker_create),
                 ROW(ucp_worker_destroy), ROW(ucp_ep_create), ROW(ucp_ep_close_nbx),
                 ROW(ucp_ep_close_nb), ROW(ucp_ep_destroy), ROW(ucp_disconnect_nb),
                 ROW(ucp_ep_rkey_unpack), ROW(ucp_mem_map), ROW(ucp_mem_unmap),
                 ROW(ucp_worker_get_address) },
};

const void *fg_audit_hint(const char *name)
{
    if (hint_real == NULL || strcmp(fabguard_audit_gate.names[hint_idx], name) != 0) {
        return NULL;
    }
    return hint_real;
}

/* ---- what cannot be seen, and why ----------------------------------------- */


static int audit_attached(void)
{
    return __atomic_load_n(&fabguard_audit_gate.attached, __ATOMIC_ACQUIRE) != 0;
}

/* glibc major.minor below 2.35: the audit module declines to load there. */
static int glibc_before_2_35(void)
{
    const char *v = gnu_get_libc_version();
    unsigned    major = 0, minor = 0;

    if (v == NULL || sscanf(v, "%u.%u", &major, &minor) != 2) {
        return 0;
    }
    return major < 2 || (major == 2 && minor < 35);
}

int fg_audit_active(void)
{
    return audit_attached();
}

int fg_audit_saw_unseen(void)
{
    return __atomic_load_n(&fabguard_audit_gate.unseen, __ATOMIC_ACQUIRE) != 0;
}

void fg_audit_cause(char *buf, size_t cap)
{
    const char *la = secure_getenv("LD_AUDIT");

    uint32_t    why = __atomic_load_n(&fabguard_audit_gate.unseen, __ATOMIC_ACQUIRE);

    if (audit_attached() && (why & FG_UNSEEN_NAMESPACE)) {
        snprintf(buf, cap, "UCX was loaded in a dlmopen namespace (%.128s), where "
                 "libfabguard.so is not: this process was not checked",
                 fabguard_audit_gate.unseen_object);
    } else if (audit_attached()) {
        snprintf(buf, cap, "a UCX/NCCL library was loaded but none of its creation "
                 "calls was seen (statically linked, or bound through a GOT "
                 "entry the loader does not audit): this process was not checked");
    } else if (la != NULL && strstr(la, "libfabguard-audit") != NULL &&
               glibc_before_2_35()) {
        snprintf(buf, cap, "glibc %s is older than 2.35, where the audit module "
                 "stays inactive: calls through RTLD_DEEPBIND libraries or "
                 "dlsym(handle) bypass the preload: this process was not checked",
                 gnu_get_libc_version());
    } else if (la != NULL && strstr(la, "libfabguard-audit") != NULL) {
        snprintf(buf, cap, "LD_AUDIT names libfabguard-audit.so but it did not "
                 "load (path, or a setuid program): calls through RTLD_DEEPBIND "
                 "libraries or dlsym(handle) bypass the preload: this process "
                 "was not checked");
    } else {
        snprintf(buf, cap, "LD_AUDIT lacks libfabguard-audit.so: calls through "
                 "RTLD_DEEPBIND libraries (NIXL_UCX_DEEPBIND=1) or dlsym(handle) "
                 "(Python ctypes) bypass the preload, or UCX is statically "
                 "linked: this process was not checked");
    }
}

static void report_unobserved(const char *cause, const char *detail)
{
    fg_event_t ev;
    fg_kv_t    kv = { "cause", cause, 0 };
    char       line[700];
    int        n;

    if (fg_core_state() != FG_STATE_OBSERVE || !fg_report_first_time(detail)) {
        return;
    }
    fg_event_init(&ev, "fabguard", "unobserved", "info");
    ev.detail = detail;
    ev.extra  = &kv;
    ev.nextra = 1;
    fg_report_event(&ev);
    if (fg_core_policy()->mode >= FG_MODE_WARN) {
        n = snprintf(line, sizeof(line), "fabguard: NOT CHECKED %s\n", detail);
        if (n > 0) {
            fg_report_stderr_line(line, (size_t)n < sizeof(line) ? (size_t)n
                                                                 : sizeof(line) - 1);
        }
    }
}

/* Bindings the audit module had to leave alone, and GOT entries that bypass
 * us: reported once each, at the first context creation and at exit. */
static void check_bypass(int fix);

void fg_audit_poll(void)
{
    static int  scanned;
    char        name[128];
    uint32_t    why = __atomic_load_n(&fabguard_audit_gate.unseen, __ATOMIC_ACQUIRE);
    char        detail[400];
    const char *obj = fabguard_audit_gate.unseen_object;

    /* once, at the first resolution (a context creation): objects already
     * loaded whose GOT bypasses us; the exit check sees later ones */
    if (!__atomic_exchange_n(&scanned, 1, __ATOMIC_ACQ_REL) &&
        fg_loaded_object_matching("libucp", name, sizeof(name))) {
        check_bypass(1);
    }
    if (why == 0) {
        return;
    }
    if (why & FG_UNSEEN_NAMESPACE) {
        snprintf(detail, sizeof(detail), "UCX loaded in a dlmopen namespace (%.128s): "
                 "its calls are not seen", obj);
        report_unobserved("namespace", detail);
    }
    if (why & FG_UNSEEN_EARLY) {
        snprintf(detail, sizeof(detail), "%.128s bound UCX before libfabguard.so was "
                 "relocated: its calls are not seen", obj);
        report_unobserved("early_binding", detail);
    }
    if (why & FG_UNSEEN_SLOTS) {
        snprintf(detail, sizeof(detail), "more than %d UCX copies (%.128s): calls of "
                 "the extra copy through RTLD_DEEPBIND or dlsym(handle) are not seen",
                 FG_GATE_SLOTS, obj);
        report_unobserved("too_many_copies", detail);
    }
}

/* ---- bindings past the preload, found in the loaded objects' GOTs ---------
 * Whatever the loader told or did not tell the audit module, the GOT of an
 * object shows where its UCX calls go: a wrapped name bound to a libucp copy
 * instead of to us means that object's calls were not seen (RTLD_DEEPBIND
 * without LD_AUDIT, or a GOT entry the loader never audits: -fno-plt, a
 * taken address). Checked at the first context creation and at exit. */
#if defined(__x86_64__)
#define FG_R_GLOB_DAT R_X86_64_GLOB_DAT
#define FG_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#elif defined(__aarch64__)
#define FG_R_GLOB_DAT R_AARCH64_GLOB_DAT
#define FG_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#endif

/* Both passes run inside dl_iterate_phdr (the loader's list lock, so no
 * object goes away meanwhile) and take no other lock: no dladdr there, the
 * first pass records every object's address range for the second. */
#define FG_SCAN_MAX 512
typedef struct {
    uintptr_t lo, hi;
    char      name[96];
} range_t;

typedef struct {
    range_t   obj[FG_SCAN_MAX];
    size_t    n;
    uintptr_t ours;
    char      object[96], name[FG_GATE_NAMELEN], target[96];
    int       found, fix, fixed;
} bypass_t;

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static bypass_t        scan;   /* large: static, under scan_lock */

/* The gate index of a wrapped UCX name, or -1. */
static int wrapped_name(const char *name)
{
    int i;

    if (strncmp(name, "ucp_", 4) != 0) {
        return -1;
    }
    for (i = 0; i < FG_GATE_NAMES; i++) {
        if (strcmp(fabguard_audit_gate.names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* The entry for (name idx, real function), claiming a slot as the audit
 * module does; NULL when the slots are full. */
static void *entry_for(int idx, uintptr_t real)
{
    int s;

    for (s = 0; s < FG_GATE_SLOTS; s++) {
        uintptr_t cur = __atomic_load_n(&fabguard_audit_gate.real[idx][s], __ATOMIC_ACQUIRE);
        if ((cur == 0 &&
             __atomic_compare_exchange_n(&fabguard_audit_gate.real[idx][s], &cur, real, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) ||
            cur == real) {
            return fabguard_audit_gate.entry[idx][s];
        }
    }
    return NULL;
}

/* Point a GOT slot at our entry. The slot may lie in the object's RELRO
 * (read-only once relocated): then that page is made writable for the one
 * aligned pointer store and read-only again. */
static int rewrite_slot(const struct dl_phdr_info *info, uintptr_t *slot, void *entry)
{
    uintptr_t page = (uintptr_t)getpagesize(), a = (uintptr_t)slot, lo = 0, hi = 0;
    size_t    i;
    int       relro = 0;

    for (i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
            lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            hi = (lo + info->dlpi_phdr[i].p_memsz) & ~(page - 1);
            lo &= ~(page - 1);
            relro = a >= lo && a < hi;
        }
    }
    if (relro && mprotect((void *)(a & ~(page - 1)), page, PROT_READ | PROT_WRITE) != 0) {
        return -1;
    }
    __atomic_store_n(slot, (uintptr_t)entry, __ATOMIC_RELEASE);
    if (relro) {
        mprotect((void *)(a & ~(page - 1)), page, PROT_READ);
    }
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;

    return slash ? slash + 1 : (path && path[0] ? path : "the program");
}

static int range_of(const bypass_t *b, uintptr_t a)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        if (a >= b->obj[i].lo && a < b->obj[i].hi) {
            return (int)i;
        }
    }
    return -1;
}

static int collect_range(struct dl_phdr_info *info, size_t size, void *arg)
{
    bypass_t *b = arg;
    range_t  *r;
    size_t    i;

    (void)size;
    if (b->n == FG_SCAN_MAX) {
        return 1;
    }
    r     = &b->obj[b->n];
    r->lo = UINTPTR_MAX;
    r->hi = 0;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
            if (lo < r->lo) r->lo = lo;
            if (lo + ph->p_memsz > r->hi) r->hi = lo + ph->p_memsz;
        }
    }
    if (r->hi > r->lo) {
        fg_strlcpy(r->name, base_name(info->dlpi_name), sizeof(r->name));
        b->n++;
    }
    return 0;
}

#ifdef FG_R_GLOB_DAT
static uintptr_t dyn_addr(uintptr_t base, uintptr_t p)
{
    return p < base ? p + base : p;   /* the loader may have relocated it */
}

static void scan_relocs(const struct dl_phdr_info *info, const ElfW(Rela) *r,
                        size_t bytes, const ElfW(Sym) *symtab,
                        const char *strtab, bypass_t *b)
{
    size_t i;
    int    self = range_of(b, (uintptr_t)info->dlpi_phdr);

    for (i = 0; i < bytes / sizeof(*r) && !b->found; i++) {
        unsigned long    type = ELF64_R_TYPE(r[i].r_info);
        const ElfW(Sym) *s    = &symtab[ELF64_R_SYM(r[i].r_info)];
        const char      *name = strtab + s->st_name;
        uintptr_t        v;
        int              k;

        int              idx;
        void            *entry;

        if ((type != FG_R_GLOB_DAT && type != FG_R_JUMP_SLOT) ||
            s->st_shndx != SHN_UNDEF || (idx = wrapped_name(name)) < 0) {
            continue;
        }
        v = *(const uintptr_t *)(info->dlpi_addr + r[i].r_offset);
        k = range_of(b, v);
        /* ours, not bound yet (lazy: its own PLT), or a UCX copy's own call */
        if (k < 0 || k == self || (b->ours >= b->obj[k].lo && b->ours < b->obj[k].hi)) {
            continue;
        }
        /* With the audit module active, a GOT entry the loader never reported
         * (-fno-plt, a taken address such as a deleter) is brought back the
         * same way a reported binding is: through the entry for its copy. */
        if (b->fix && (entry = entry_for(idx, v)) != NULL &&
            rewrite_slot(info, (uintptr_t *)(info->dlpi_addr + r[i].r_offset), entry) == 0) {
            b->fixed++;
            continue;
        }
        fg_strlcpy(b->object, base_name(info->dlpi_name), sizeof(b->object));
        fg_strlcpy(b->name, name, sizeof(b->name));
        fg_strlcpy(b->target, b->obj[k].name, sizeof(b->target));
        b->found = 1;
    }
}

static int scan_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    bypass_t         *b   = arg;
    const ElfW(Dyn)  *dyn = NULL;
    const ElfW(Sym)  *symtab = NULL;
    const char       *strtab = NULL;
    const ElfW(Rela) *rela = NULL, *jmprel = NULL;
    size_t            relasz = 0, pltrelsz = 0, i;
    int               pltrela = 0;
    uintptr_t         base = info->dlpi_addr;

    (void)size;
    for (i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)(base + info->dlpi_phdr[i].p_vaddr);
        }
    }
    if (dyn == NULL) {
        return 0;
    }
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB:   symtab = (const ElfW(Sym) *)dyn_addr(base, v); break;
        case DT_STRTAB:   strtab = (const char *)dyn_addr(base, v); break;
        case DT_RELA:     rela = (const ElfW(Rela) *)dyn_addr(base, v); break;
        case DT_RELASZ:   relasz = dyn->d_un.d_val; break;
        case DT_JMPREL:   jmprel = (const ElfW(Rela) *)dyn_addr(base, v); break;
        case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
        case DT_PLTREL:   pltrela = dyn->d_un.d_val == DT_RELA; break;
        default: break;
        }
    }
    if (symtab == NULL || strtab == NULL) {
        return 0;
    }
    if (rela != NULL) {
        scan_relocs(info, rela, relasz, symtab, strtab, b);
    }
    if (jmprel != NULL && pltrela) {
        scan_relocs(info, jmprel, pltrelsz, symtab, strtab, b);
    }
    return b->found;
}
#endif

/* Report the first object whose GOT sends a wrapped UCX call past us. */
static void check_bypass(int fix)
{
#ifdef FG_R_GLOB_DAT
    char detail[500];
    int  found;

    /* busy: another thread is scanning (or a fork inherited the lock held) */
    if (pthread_mutex_trylock(&scan_lock) != 0) {
        return;
    }
    memset(&scan, 0, sizeof(scan));
    scan.ours = (uintptr_t)&check_bypass;
    /* entries are valid once we are relocated, which we are when running */
    scan.fix  = fix && audit_attached();
    dl_iterate_phdr(collect_range, &scan);
    dl_iterate_phdr(scan_object, &scan);
    found = scan.found;
    if (found) {
        snprintf(detail, sizeof(detail),
                 "%s calls %s of %s past libfabguard.so (%s): its UCX calls are not checked",
                 scan.object, scan.name, scan.target,
                 audit_attached() ? "a GOT entry the loader does not audit: -fno-plt or a taken address"
                                  : "RTLD_DEEPBIND or dlsym(handle) without libfabguard-audit.so in LD_AUDIT");
    }
    pthread_mutex_unlock(&scan_lock);
    if (found) {
        report_unobserved(audit_attached() ? "got_entry" : "no_audit", detail);
    }
#endif
}

/* At load: NIXL is asked for RTLD_DEEPBIND, the audit module is not
 * active, and this program links NIXL or UCX, so NIXL's UCX plugin will
 * bind its UCX privately. Said now: a worker stopped by SIGTERM never writes
 * an exit summary. Other processes of the pod (shells, probes, a Python
 * that imports NIXL only later) stay silent here; their exit summary says
 * it. */
__attribute__((constructor)) static void fg_audit_at_load(void)
{
    char detail[400], name[128];

    if (!fg_nixl_deepbind_requested(secure_getenv("NIXL_UCX_DEEPBIND")) || audit_attached() ||
        !(fg_loaded_object_matching("libnixl", name, sizeof(name)) ||
          fg_loaded_object_matching("libucp", name, sizeof(name)))) {
        return;
    }
    fg_audit_cause(detail, sizeof(detail));
    report_unobserved(glibc_before_2_35() ? "old_glibc" : "no_audit", detail);
}

__attribute__((destructor)) static void fg_audit_at_exit(void)
{
    char name[128];

    /* a process without UCX pays one walk of the object list, nothing more */
    if (fg_loaded_object_matching("libucp", name, sizeof(name))) {
        fg_audit_poll();
        check_bypass(0);   /* too late to fix: report what went past */
    }
}
