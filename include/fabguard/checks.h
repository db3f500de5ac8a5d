/* A checklist of named checks (`fabguard node`, `fabguard env`, the policy
 * judge): status, detail, hint. */
#ifndef FABGUARD_CHECKS_H
#define FABGUARD_CHECKS_H

#include <stddef.h>
#include "fabguard/common.h"

typedef enum { FG_CHECK_OK, FG_CHECK_WARN, FG_CHECK_FAIL, FG_CHECK_SKIP } fg_check_status_t;

typedef struct {
    char              name[40];
    fg_check_status_t status;
    char              detail[480];
    char              hint[320];
} fg_check_t;

typedef struct {
    size_t     n;
    fg_check_t v[64];
} fg_checks_t;

const char *fg_check_status_name(fg_check_status_t s);
void fg_checks_add(fg_checks_t *c, const char *name, fg_check_status_t st,
                   const char *hint, const char *fmt, ...) FG_PRINTF(5, 6);
/* The check named NAME, or NULL. */
fg_check_t *fg_checks_find(fg_checks_t *c, const char *name);
/* Replaces the check named NAME (status, hint, detail), or adds it. */
void fg_checks_set(fg_checks_t *c, const char *name, fg_check_status_t st,
                   const char *hint, const char *fmt, ...) FG_PRINTF(5, 6);

#endif
