/* A checklist: named checks with a status, a detail and a hint, filled by
 * `fabguard node`, `fabguard env` and the policy judge alike. */
#include "fabguard/checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fg_check_status_name(fg_check_status_t s)
{
    static const char *const n[] = { "ok", "warn", "fail", "skip" };
    return (unsigned)s < 4 ? n[s] : "?";
}

/* A new check named NAME at the end of C, or NULL when C is full. */
static fg_check_t *append(fg_checks_t *c, const char *name)
{
    fg_check_t *x;

    if (c->n >= sizeof(c->v) / sizeof(c->v[0])) return NULL;
    x = &c->v[c->n++];
    fg_strlcpy(x->name, name, sizeof(x->name));
    return x;
}

static void fill(fg_check_t *x, fg_check_status_t st, const char *hint, const char *fmt, va_list ap)
    FG_PRINTF(3, 0);
static void fill(fg_check_t *x, fg_check_status_t st, const char *hint, const char *fmt, va_list ap)
{
    x->status = st;
    fg_strlcpy(x->hint, hint ? hint : "", sizeof(x->hint));
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
}

void fg_checks_add(fg_checks_t *c, const char *name, fg_check_status_t st,
                   const char *hint, const char *fmt, ...)
{
    fg_check_t *x = append(c, name);
    va_list     ap;

    if (x == NULL) return;
    va_start(ap, fmt);
    fill(x, st, hint, fmt, ap);
    va_end(ap);
}

fg_check_t *fg_checks_find(fg_checks_t *c, const char *name)
{
    size_t i;
    for (i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) return &c->v[i];
    }
    return NULL;
}

void fg_checks_set(fg_checks_t *c, const char *name, fg_check_status_t st,
                   const char *hint, const char *fmt, ...)
{
    fg_check_t *x = fg_checks_find(c, name);
    va_list     ap;

    if (x == NULL && (x = append(c, name)) == NULL) return;
    va_start(ap, fmt);
    fill(x, st, hint, fmt, ap);
    va_end(ap);
}
