/* Test library whose constructor uses UCX: fabguard's wrappers run before
 * fabguard's own constructor may have run. */
#include <stdio.h>
int fg_plugin_run(void);
int fg_ctor_status = -100;

__attribute__((constructor)) static void run_at_load(void)
{
    fg_ctor_status = fg_plugin_run();
}
#include "libucx_plugin.c"
