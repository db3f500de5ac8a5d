/* The exit summary: one event at exit with the counts and what was loaded
 * but never observed (and why). It sits above core, the audit module and
 * the library modules (reached through their registered ops). */
#include "audit_gate.h"
#include "core.h"
#include "count.h"
#include "module.h"
#include "report.h"
#include "loaded.h"

#include <stdio.h>
#include <string.h>

/* ---- exit summary ------------------------------------------------------ */

static void put_count(fg_sbuf_t *sb, const char *key, fg_counter_t c, int *first)
{
    if (!*first) {
        fg_sb_putc(sb, ',');
    }
    *first = 0;
    fg_sb_printf(sb, "\"%s\":%ld", key, fg_count_get(c));
}

/* Without any intercepted call: did UCX run anyway? Cheap, and initialises
 * nothing: UCX transport modules loaded (the ucx module's unobserved_reason), or the
 * audit module saw bindings past us. NCCL is not asked: a library opened
 * with RTLD_NOW (Python's ctypes) cannot be told used from unused, and an
 * import probe must stay silent. */
static int bypass_suspected(void)
{
    const fg_module_ops_t *ucx = fg_core_module("ucx");
    char                   name[128];

    if (fg_audit_saw_unseen()) {
        return 1;
    }
    return fg_loaded_object_matching("libucp", name, sizeof(name)) &&
           ucx != NULL && ucx->unobserved_reason != NULL && ucx->unobserved_reason() != NULL;
}

/* Each module's own work at exit (NCCL drains its capture) before the
 * summary counts. */
static void run_at_exit(void)
{
    const fg_module_ops_t *m;
    size_t                 i;

    for (i = 0; (m = fg_core_module_at(i)) != NULL; i++) {
        if (m->at_exit != NULL) {
            m->at_exit();
        }
    }
}

__attribute__((destructor)) static void fg_destructor(void)
{
    char       ucp[128] = "", nccl[128] = "", counts[512], unobserved[300], cause[640];
    const char *ucx_why = NULL;
    const fg_module_ops_t *ucx = fg_core_module("ucx"), *nccl_mod = fg_core_module("nccl");
    fg_sbuf_t  sb, ub;
    fg_event_t ev;
    fg_kv_t    kv[2];
    int        first = 1, observed = 0, i;

    /* no intercepted call, no init and no file: a process that merely
     * loads libucp/libnccl (an `import torch` probe) stays silent; one whose
     * UCX/NCCL ran past us (dlsym on a handle, RTLD_DEEPBIND) is not */
    if (!fg_core_initialized() && !bypass_suspected()) {
        return;
    }
    for (i = 0; i < FG_COUNT_MAX; i++) {
        observed |= fg_count_get((fg_counter_t)i) != 0;
    }
    fg_loaded_object_matching("libucp", ucp, sizeof(ucp));
    fg_loaded_object_matching("libnccl", nccl, sizeof(nccl));
    if (ucp[0] != '\0' && fg_count_get(FG_COUNT_CONTEXTS) == 0) {
        ucx_why = (ucx != NULL && ucx->unobserved_reason != NULL) ? ucx->unobserved_reason()
                                                                 : "bypassed";
        if (ucx_why == NULL && !fg_audit_saw_unseen()) {
            ucp[0] = '\0';   /* loaded, never used (ucx_info -v): nothing unchecked */
        }
    }
    if (nccl[0] != '\0' && fg_count_get(FG_COUNT_COMMS) == 0 &&
        nccl_mod != NULL && nccl_mod->loaded_unused != NULL && nccl_mod->loaded_unused()) {
        nccl[0] = '\0';   /* loaded, never ran (an import probe): nothing unchecked */
    }
    if (!observed && ucp[0] == '\0' && nccl[0] == '\0') {
        return;   /* never used UCX/NCCL: stay silent */
    }
    run_at_exit();
    if (fg_core_state() != FG_STATE_OBSERVE) {
        return;
    }
    fg_sb_init(&ub, unobserved, sizeof(unobserved));
    fg_sb_putc(&ub, '[');
    if (ucp[0] != '\0' && fg_count_get(FG_COUNT_CONTEXTS) == 0 &&
        !(ucx_why != NULL && strncmp(ucx_why, "ucp_init failed", 15) == 0)) {
        fg_sb_printf(&ub, "\"%s\"", ucp);
    }
    if (nccl[0] != '\0' && fg_count_get(FG_COUNT_COMMS) == 0) {
        fg_sb_printf(&ub, "%s\"%s\"", ub.len > 1 ? "," : "", nccl);
    }
    fg_sb_putc(&ub, ']');
    fg_sb_init(&sb, counts, sizeof(counts));
    fg_sb_putc(&sb, '{');
    put_count(&sb, "contexts", FG_COUNT_CONTEXTS, &first);
    put_count(&sb, "workers", FG_COUNT_WORKERS, &first);
    put_count(&sb, "endpoints", FG_COUNT_ENDPOINTS, &first);
    put_count(&sb, "comms", FG_COUNT_COMMS, &first);
    put_count(&sb, "channels", FG_COUNT_CHANNELS, &first);
    put_count(&sb, "violations", FG_COUNT_VIOLATIONS, &first);
    put_count(&sb, "suppressed", FG_COUNT_SUPPRESSED, &first);
    put_count(&sb, "lost_events", FG_COUNT_LOST, &first);
    fg_sb_putc(&sb, '}');
    kv[0].key   = "counts";
    kv[0].value = counts;
    kv[0].raw   = 1;
    kv[1].key   = "unobserved";
    kv[1].value = unobserved;
    kv[1].raw   = 1;
    fg_event_init(&ev, "fabguard", "summary",
                  fg_count_get(FG_COUNT_VIOLATIONS) ? "violation" : "info");
    if (fg_count_get(FG_COUNT_VIOLATIONS)) {
        ev.rule = "fabguard.summary";
    }
    if (ucx_why != NULL && strncmp(ucx_why, "ucp_init failed", 15) == 0) {
        ev.detail = ucx_why;   /* UCX never came up: nothing bypassed */
    } else if (ub.len > 2) {
        /* the real cause (audit_gate.c), then what the UCX module saw */
        fg_audit_cause(cause, sizeof(cause));
        if (ucx_why != NULL) {
            size_t n = strlen(cause);
            snprintf(cause + n, sizeof(cause) - n, "; %s", ucx_why);
        }
        ev.detail = cause;
    }
    ev.extra  = kv;
    ev.nextra = 2;
    fg_report_event(&ev);
}

