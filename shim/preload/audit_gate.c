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
#include "resolve.h"
#include "fabguard/audit_gate.h"

#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int env_is_one(const char *name)
{
    const char *v = secure_getenv(name);

    return v != NULL && strcmp(v, "1") == 0;
}

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

void fg_audit_cause(char *buf, size_t cap)
{
    const char *la = secure_getenv("LD_AUDIT");

    if (audit_attached()) {
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

/* Bindings the audit module had to leave alone: reported once, at the next
 * intercepted call and at exit. */
void fg_audit_poll(void)
{
    uint32_t    why = __atomic_load_n(&fabguard_audit_gate.unseen, __ATOMIC_ACQUIRE);
    char        detail[400];
    const char *obj = fabguard_audit_gate.unseen_object;

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

/* At load: NIXL is asked for RTLD_DEEPBIND, the audit module is not
 * active, and this program links NIXL or UCX, so NIXL's UCX plugin will
 * bind its UCX privately. Said now: a worker stopped by SIGTERM never writes
 * an exit summary. Other processes of the pod (shells, probes, a Python
 * that imports NIXL only later) stay silent here; their exit summary says
 * it. */
__attribute__((constructor)) static void fg_audit_at_load(void)
{
    char detail[400], name[128];

    if (!env_is_one("NIXL_UCX_DEEPBIND") || audit_attached() ||
        !(fg_loaded_object_matching("libnixl", name, sizeof(name)) ||
          fg_loaded_object_matching("libucp", name, sizeof(name)))) {
        return;
    }
    fg_audit_cause(detail, sizeof(detail));
    report_unobserved(glibc_before_2_35() ? "old_glibc" : "no_audit", detail);
}

__attribute__((destructor)) static void fg_audit_at_exit(void)
{
    fg_audit_poll();
}
