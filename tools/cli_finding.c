/* The CLI's printing of a finding: the pure library's line, indented. */
#include <stdio.h>

#include "fabguard/finding.h"
#include "cli.h"

void cli_finding_line(FILE *out, const char *indent, const fg_finding_t *f, const char *side, int with_fix)
{
    char      line[1024];
    fg_sbuf_t sb;

    fg_sb_init(&sb, line, sizeof(line));
    fg_finding_line(&sb, f, side, with_fix);
    fprintf(out, "%s%s\n", indent, line);
}
