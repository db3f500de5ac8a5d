/* One policy for every judge: `node`, `env`, `explain` and `run` load the
 * policy the way the shim does, so a pre-flight check and the shim inside the
 * job never disagree about the same pod. */
#ifndef FG_TOOLS_POLICY_OPT_H
#define FG_TOOLS_POLICY_OPT_H

#include "fabguard/policy.h"

/* Consumes "--policy FILE" or "--policy=FILE" at argv[*i] (advancing *i past
 * FILE); returns 1 when it did, 0 when argv[*i] is something else, -1 when
 * --policy lacks its FILE. */
int cli_policy_opt(int argc, char **argv, int *i, const char **path);

/* Loads FILE (NULL: $FABGUARD_POLICY, else the built-in defaults), applies
 * the FABGUARD_* overrides and refuses unknown FABGUARD_* names exactly as
 * the shim does (fg_policy_check_env_names). On error prints
 * "fabguard CMD: file:line: reason" and returns FG_EXIT_USAGE (pol freed);
 * else 0 and the caller frees pol with fg_policy_free. */
int cli_policy_load(const char *cmd, const char *path, fg_policy_t *pol);

#endif
