/* The `fabguard` command: one binary, one file per subcommand.
 * Exit status for every subcommand: 0 good, 1 violation or failed check,
 * 2 usage or input error (with a message naming the problem). */
#ifndef FG_TOOLS_CLI_H
#define FG_TOOLS_CLI_H

#include <stdio.h>
#include "fabguard/finding.h"

enum { FG_EXIT_OK = 0, FG_EXIT_VIOLATION = 1, FG_EXIT_USAGE = 2 };

/* Each subcommand: argv[0] is the subcommand name. */
int cmd_node(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_pair(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* "fabguard <cmd>: <message>" on stderr; returns FG_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when argv holds -h/--help (then print usage and return 0). */
int cli_wants_help(int argc, char **argv);

/* The one environment reader of the CLI (an fg_getenv_fn): the process's own
 * environment, read plainly. */
const char *cli_getenv(const char *name);
/* The whole environment (NULL-terminated), for judges that scan it. */
char **cli_environ(void);

/* A finding's VIOLATION line (fg_finding_line) on OUT after INDENT. */
void cli_finding_line(FILE *out, const char *indent, const fg_finding_t *f, const char *side, int with_fix);

#endif
