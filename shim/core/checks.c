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

void fg_checks_add(fg_checks_t *c, const char *name, fg_check_status_t st,
                   const char *hint, const char *fmt, ...)
{
    fg_check_t *x;
    va_list     ap;

    if (c->n >= sizeof(c->v) / sizeof(c->v[0])) return;
    x = &c->v[c->n++];
    fg_strlcpy(x->name, name, sizeof(x->name));
    x->status = st;
    fg_strlcpy(x->hint, hint ? hint : "", sizeof(x->hint));
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
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

    if (x == NULL) {
        if (c->n >= sizeof(c->v) / sizeof(c->v[0])) return;
        x = &c->v[c->n++];
        fg_strlcpy(x->name, name, sizeof(x->name));
    }
    x->status = st;
    fg_strlcpy(x->hint, hint ? hint : "", sizeof(x->hint));
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
    va_end(ap);
}
