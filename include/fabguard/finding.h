/* A finding is one policy violation: the rule it broke, what was observed,
 * and the fix a person should apply. Judges produce them; the shim and the
 * CLI report them. */
#ifndef FABGUARD_FINDING_H
#define FABGUARD_FINDING_H

#include <stddef.h>
#include "fabguard/common.h"

#define FG_MAX_FINDINGS 16

typedef struct {
    char rule[48];     /* "ucx.forbid_transports", "nccl.require_net", … */
    char detail[320];  /* what was observed: "lane 1 uses tcp on eth0" */
    char fix[256];     /* what to change */
} fg_finding_t;

typedef struct {
    size_t       n;
    size_t       dropped;   /* findings beyond FG_MAX_FINDINGS */
    fg_finding_t v[FG_MAX_FINDINGS];
} fg_findings_t;

void fg_findings_add(fg_findings_t *f, const char *rule, const char *fix,
                     const char *fmt, ...) FG_PRINTF(4, 5);

/* "VIOLATION [SIDE: ]detail (rule)[ — fix]": the one text line of a
 * finding (the caller adds the indent and the newline). */
void fg_finding_line(fg_sbuf_t *sb, const fg_finding_t *f, const char *side, int with_fix);
/* N findings as JSON objects {["side",]"rule","detail"}, comma-separated
 * (the caller writes the brackets); *first_item says whether one was
 * written before and is cleared. */
void fg_findings_json(fg_sbuf_t *sb, const fg_finding_t *v, size_t n, const char *side, int *first_item);

#endif
