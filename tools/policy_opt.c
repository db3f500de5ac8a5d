/* The policy every CLI judge uses (see policy_opt.h). */
#include "policy_opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_policy_opt(int argc, char **argv, int *i, const char **path)
{
    if (strncmp(argv[*i], "--policy=", 9) == 0) {
        *path = argv[*i] + 9;
        return 1;
    }
    if (strcmp(argv[*i], "--policy") != 0) return 0;
    if (*i + 1 >= argc) return -1;
    *path = argv[++*i];
    return 1;
}

int cli_policy_load(const char *cmd, const char *path, fg_policy_t *pol)
{
    fg_error_t err;
    char       msg[1024];

    if (fg_policy_load(pol, path, cli_getenv, &err) < 0 ||
        fg_policy_check_env_names(cli_environ(), &err) < 0) {
        fg_error_format(&err, msg, sizeof(msg));
        fg_policy_free(pol);
        return cli_usage_error(cmd, "%s", msg);
    }
    return 0;
}
