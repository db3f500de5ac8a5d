/* Test program for the NCCL path, linked to "libnccl.so.2" by soname so the
 * same binary runs against the real libnccl (LD_LIBRARY_PATH=$CUDA_HOME/lib)
 * or the double (tests/doubles). It prints what the application sees.
 * usage: nccl_init [N inits] [collective|early|none]  (env FG_NCCL_NRANKS: ranks per comm, default 1)  (early: ncclMemAlloc before
 * anything else, as an application may) (env FG_SHOW_CHILD=1: run a child
 * that prints its NCCL_* environment and its open descriptor count) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
const char *ncclGetErrorString(ncclResult_t r);
const char *ncclGetLastError(ncclComm_t c);
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
ncclResult_t ncclCommInitRank(ncclComm_t *c, int n, ncclUniqueId id, int r);
ncclResult_t ncclCommDestroy(ncclComm_t c);
ncclResult_t ncclCommSplit(ncclComm_t c, int color, int key, ncclComm_t *nc, ncclConfig_t *cfg);
ncclResult_t ncclAllReduce(const void *s, void *r, size_t n, int dt, int op, ncclComm_t c, void *stream);
ncclResult_t ncclMemAlloc(void **ptr, size_t size);
#endif

int main(int argc, char **argv)
{
    int          n = argc > 1 ? atoi(argv[1]) : 1, i;
    /* the double may be given more ranks (its lines name ranks < nranks);
     * the real libnccl needs 1: rank 0 alone bootstraps without peers */
    int          nranks = getenv("FG_NCCL_NRANKS") ? atoi(getenv("FG_NCCL_NRANKS")) : 1;
    ncclUniqueId id;
    ncclResult_t r;

    if (argc > 2 && strcmp(argv[2], "none") == 0) {
        return 0;   /* loads libnccl, never calls it (an import probe) */
    }
    if (argc > 2 && strcmp(argv[2], "early") == 0) {
        void *mem = NULL;
        printf("memAlloc %d\n", (int)ncclMemAlloc(&mem, 64));
    }
    r = ncclGetUniqueId(&id);

    printf("getUniqueId %d\n", (int)r);
    for (i = 0; i < n; i++) {
        ncclComm_t c = NULL;
        r = ncclCommInitRank(&c, nranks, id, 0);
        printf("init %d (%s) last: %s\n", (int)r, ncclGetErrorString(r), ncclGetLastError(NULL));
        if (r == ncclSuccess && argc > 2 && strcmp(argv[2], "collective") == 0) {
            float x = 1;
            ncclResult_t a = ncclAllReduce(&x, &x, 1, 7 /* ncclFloat32 */, 0 /* ncclSum */, c, NULL);
            ncclComm_t sub = NULL;
            ncclResult_t s = ncclCommSplit(c, 0, 0, &sub, NULL);
            printf("allreduce %d split %d last: %s\n", (int)a, (int)s, ncclGetLastError(c));
            if (sub) ncclCommDestroy(sub);
        }
        if (r == ncclSuccess) ncclCommDestroy(c);
    }
    fflush(stdout);
    if (getenv("FG_NCCL_SHOW_RSS")) {   /* resident memory after all of it */
        if (system("grep VmRSS /proc/$PPID/status") != 0) {}
    }
    if (getenv("FG_SHOW_CHILD")) {
        if (system("env | grep -c '^NCCL_' ; ls /proc/self/fd | wc -l") != 0) {}
    }
    return 0;
}
