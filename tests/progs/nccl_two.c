/* Two NCCL copies in one process: this program's libnccl.so.2 and, in a
 * plugin dlopen'ed RTLD_LOCAL, a renamed copy (as a Python wheel ships
 * it). Each caller's communicator must come from its own copy.
 * usage: nccl_two PLUGIN.so [plugin-first]. Prints "main ours|other
 * plugin ours|other". */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
ncclResult_t ncclCommInitRank(ncclComm_t *c, int n, ncclUniqueId id, int r);
ncclResult_t ncclCommDestroy(ncclComm_t c);
#endif
int ncclDoubleOwns(ncclComm_t c);   /* the double's own: is c one of mine? */

static const char *main_side(void)
{
    ncclUniqueId id;
    ncclComm_t   c = NULL;
    int          own;

    ncclGetUniqueId(&id);
    if (ncclCommInitRank(&c, 1, id, 0) != ncclSuccess) return "failed";
    own = ncclDoubleOwns(c);
    ncclCommDestroy(c);
    return own ? "ours" : "other";
}

int main(int argc, char **argv)
{
    void       *h;
    const char *(*plugin_side)(void);
    const char *m = NULL, *p;

    if (argc < 2 || (h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL) return 2;
    *(void **)&plugin_side = dlsym(h, "plugin_side");
    if (argc < 3) m = main_side();
    p = plugin_side();
    if (m == NULL) m = main_side();
    printf("main %s plugin %s\n", m, p);
    return 0;
}
