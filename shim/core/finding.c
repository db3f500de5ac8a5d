/* Findings: the list judges fill, and the two ways every reporter writes
 * one (the VIOLATION text line and its JSON object), so explain, pair and
 * the shim say a violation the same way. */
#include "fabguard/finding.h"
#include "fabguard/json.h"

#include <stdarg.h>
#include <stdio.h>

void fg_findings_add(fg_findings_t *f, const char *rule, const char *fix,
                     const char *fmt, ...)
{
    fg_finding_t *x;
    va_list       ap;

    if (f->n >= FG_MAX_FINDINGS) {
        f->dropped++;
        return;
    }
    x = &f->v[f->n++];
    fg_strlcpy(x->rule, rule, sizeof(x->rule));
    fg_strlcpy(x->fix, fix ? fix : "", sizeof(x->fix));
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
    va_end(ap);
}

void fg_finding_line(fg_sbuf_t *sb, const fg_finding_t *f, const char *side, int with_fix)
{
    fg_sb_puts(sb, "VIOLATION ");
    if (side != NULL) fg_sb_printf(sb, "%s: ", side);
    fg_sb_printf(sb, "%s (%s)", f->detail, f->rule);
    if (with_fix) fg_sb_printf(sb, " \xe2\x80\x94 %s", f->fix);
}

void fg_findings_json(fg_sbuf_t *sb, const fg_finding_t *v, size_t n, const char *side, int *first_item)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int first = 1;
        fg_sb_puts(sb, *first_item ? "{" : ",{");
        *first_item = 0;
        if (side != NULL) fg_json_kv_str(sb, &first, "side", side);
        fg_json_kv_str(sb, &first, "rule", v[i].rule);
        fg_json_kv_str(sb, &first, "detail", v[i].detail);
        fg_sb_putc(sb, '}');
    }
}
