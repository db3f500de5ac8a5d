/* Endpoints UCX creates itself (a peer connected to this worker: UCX makes
 * the receiving endpoint during progress, the application never calls
 * ucp_ep_create) are seen through UCX's own log: every new endpoint
 * configuration is printed at info level with its lanes
 * (include/fabguard/ucx_ep_cfg.h). We push a log handler into the copy's
 * libucs and, when the user's level is below info, raise the default
 * component to info; our handler then stops every message the user's level
 * would not have printed, so UCX's default handler prints exactly what it
 * printed before. Handlers run newest first (ucs_log_dispatch), so a
 * handler the application pushes later sees messages between its level
 * and info: documented in README. */
#include "ucx_log.h"
#include "core.h"
#include "ucx_copy.h"
#include "ucx_judge.h"
#include "ucx_pending.h"

#include "resolve.h"
#include "fabguard/common.h"
#include "fabguard/ucx_ep_cfg.h"

#include <ucs/debug/log_def.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ucs_log_level_t has the same values in 1.13 and 1.22 (ucs/config/types.h) */
#define FG_UCS_LOG_INFO  UCS_LOG_LEVEL_INFO
#define FG_UCS_LOG_PRINT UCS_LOG_LEVEL_PRINT   /* ucs_print: always shown */

/* Distinct lane sets of every endpoint configuration UCX printed, per copy. */
#define FG_MAX_CFG 64
typedef struct {
    const fg_ucx_copy_t *copy;
    fg_lane_set_t        lanes;
} seen_cfg_t;
static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static seen_cfg_t     *seen;          /* FG_MAX_CFG entries once allocated */
static size_t          nseen;
static int             seen_full;     /* more than FG_MAX_CFG: lanes unknown */
static __thread int    new_in_create; /* configurations printed in this ep_create */
static __thread int    new_idx;
static __thread int    creating;      /* inside the ucp_ep_create wrapper */

static int remember(const fg_ucx_copy_t *c, const fg_lane_set_t *lanes)
{
    size_t i;
    int    idx = -1;

    pthread_mutex_lock(&cfg_lock);
    for (i = 0; i < nseen && idx < 0; i++) {
        if (seen[i].copy == c && fg_lane_set_equal(&seen[i].lanes, lanes)) {
            idx = (int)i;
        }
    }
    if (idx < 0 && seen == NULL) {
        seen = calloc(FG_MAX_CFG, sizeof(*seen));
    }
    if (idx < 0 && seen != NULL && nseen < FG_MAX_CFG) {
        seen[nseen].copy  = c;
        seen[nseen].lanes = *lanes;
        idx               = (int)nseen++;
    } else if (idx < 0) {
        seen_full = 1;
    }
    pthread_mutex_unlock(&cfg_lock);
    return idx;
}

void fg_ucx_cfg_begin(void)
{
    new_in_create = 0;
    creating      = 1;
}

void fg_ucx_cfg_end(void)
{
    creating = 0;
}

int fg_ucx_cfg_lanes(const fg_ucx_copy_t *c, fg_lane_set_t *out)
{
    size_t i, n = 0, last = 0;
    int    ok = 0;

    if (!c->capture) {
        return 0;
    }
    pthread_mutex_lock(&cfg_lock);
    if (new_in_create == 1 && new_idx >= 0) {
        *out = seen[new_idx].lanes;
        ok   = 1;
    } else if (new_in_create == 0 && !seen_full) {
        for (i = 0; i < nseen; i++) {
            if (seen[i].copy == c) {
                n++;
                last = i;
            }
        }
        if (n == 1) {
            *out = seen[last].lanes;
            ok   = 1;
        }
    }
    pthread_mutex_unlock(&cfg_lock);
    return ok;
}

static void on_config_line(fg_ucx_copy_t *c, const char *msg)
{
    static __thread int busy;   /* never re-enter from our own reporting */
    fg_ucx_ep_cfg_t     cfg;
    fg_ucx_ep_desc_t    d;

    if (busy || fg_ucx_ep_cfg_parse(msg, &cfg) < 0) {
        return;
    }
    if (creating) {
        new_idx = remember(c, &cfg.lanes);
        new_in_create++;
        return;   /* the ucp_ep_create wrapper judges that endpoint */
    }
    remember(c, &cfg.lanes);
    if (fg_ucx_cs_pending()) {
        /* while a client/server endpoint is in wireup a configuration may be one
         * of its passing wireup ones (measured on 1.13: tcp/lo, then shared
         * memory): those endpoints are judged at their close instead */
        return;
    }
    busy = 1;
    memset(&d, 0, sizeof(d));
    d.kind     = "internal";
    d.source   = "log";
    d.when     = "at configuration (created by UCX during progress)";
    d.peer     = "";
    d.locality = cfg.locality;
    d.if_fail  = "reported (an endpoint UCX created cannot be refused)";
    snprintf(d.id, sizeof(d.id), "cfg#%d", cfg.cfg_index);
    fg_ucx_judge(c, &cfg.lanes, &d);
    busy = 0;
}

static ucs_log_func_rc_t capture_handler(const char *file, unsigned line,
                                         const char *function, ucs_log_level_t level,
                                         const ucs_log_component_config_t *comp_conf,
                                         const char *fmt, va_list ap)
{
    fg_ucx_copy_t *c = fg_ucx_copy_by_opts(comp_conf);
    char           msg[1024];
    va_list        aq;

    (void)file;
    (void)line;
    (void)function;
    if (c == NULL) {
        return UCS_LOG_FUNC_RC_CONTINUE;   /* another component: its own level decided */
    }
    if (level == FG_UCS_LOG_INFO && fg_core_state() == FG_STATE_OBSERVE) {
        va_copy(aq, ap);
        vsnprintf(msg, sizeof(msg), fmt, aq);
        va_end(aq);
        on_config_line(c, msg);
    }
    /* stop what only our raised level let through: UCX prints what it did */
    return ((int)level > c->user_level && level != FG_UCS_LOG_PRINT)
               ? UCS_LOG_FUNC_RC_STOP : UCS_LOG_FUNC_RC_CONTINUE;
}

void fg_ucx_log_install(fg_ucx_copy_t *c)
{
    void (*push)(ucs_log_func_t);
    int (*set_value)(const char *, const char *);
    const void *opts;
    const int  *level;

    if (c->capture || c->ep_create == NULL) {
        return;
    }
    *(void **)&push      = fg_resolve_beside("ucs_log_push_handler", (const void *)c->ep_create);
    *(void **)&set_value = fg_resolve_beside("ucs_global_opts_set_value", (const void *)c->ep_create);
    opts                 = fg_resolve_beside("ucs_global_opts", (const void *)c->ep_create);
    if (push == NULL || set_value == NULL || opts == NULL) {
        return;   /* no capture: UCX-created endpoints stay unseen (reported in README) */
    }
    level         = opts;   /* log_component.log_level is the first field */
    c->user_level = *level;
    c->ucs_opts   = opts;
    c->capture    = 1;
    push(capture_handler);
    if (c->user_level < FG_UCS_LOG_INFO) {
        set_value("LOG_LEVEL", "info");
    }
}
