/* Placeholder until its issue lands: refuses with exit 2. */
#include "cli.h"
int cmd_pair(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_usage_error("pair", "not implemented yet");
}
