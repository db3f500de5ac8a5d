/* Test program for tests/e2e/nccl_replay.sh: with the NCCL double in replay
 * mode (FG_NCCL_DOUBLE_REPLAY=FILE), make one communicator per communicator
 * of the excerpt (the double's ncclDoubleReplayLeft says how many remain),
 * as an application would: init, then destroy. Prints what it sees. */
#include <dlfcn.h>
#include <stdio.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
const char *ncclGetErrorString(ncclResult_t r);
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
ncclResult_t ncclCommInitRank(ncclComm_t *c, int n, ncclUniqueId id, int r);
ncclResult_t ncclCommDestroy(ncclComm_t c);
#endif

int main(void)
{
    int (*left)(void);
    ncclUniqueId id;
    int          made = 0;

    *(void **)&left = dlsym(RTLD_DEFAULT, "ncclDoubleReplayLeft");
    if (left == NULL) {
        fprintf(stderr, "nccl_replay: needs the NCCL double (tests/doubles/libnccl.c)\n");
        return 2;
    }
    printf("getUniqueId %d\n", (int)ncclGetUniqueId(&id));
    while (left() > 0 && made < 1000) {
        ncclComm_t   c = NULL;
        ncclResult_t r = ncclCommInitRank(&c, 1, id, 0);
        printf("init %d (%s)\n", (int)r, ncclGetErrorString(r));
        made++;
        if (r == ncclSuccess) ncclCommDestroy(c);
    }
    printf("communicators %d\n", made);
    return 0;
}
