/* The CLI's one environment reader: every subcommand reads the process's
 * environment through here. */
#include <stdlib.h>

#include "cli.h"

extern char **environ;

const char *cli_getenv(const char *name)
{
    return getenv(name);
}

char **cli_environ(void)
{
    return environ;
}
