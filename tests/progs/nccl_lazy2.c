/* Two communicators made by one thread: A (rank 2 of 4), then B (rank 0 of
 * 2). The first collective on A makes A's lazy connections; A's lines must
 * not be blamed on B, the thread's newest communicator.
 * usage: nccl_lazy2 [ambiguous]. Prints "A PTR B PTR splitA RC splitB RC". */
#include <stdio.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
ncclResult_t ncclCommInitRank(ncclComm_t *c, int n, ncclUniqueId id, int r);
ncclResult_t ncclCommSplit(ncclComm_t c, int color, int key, ncclComm_t *nc, ncclConfig_t *cfg);
ncclResult_t ncclAllReduce(const void *s, void *r, size_t n, int dt, int op, ncclComm_t c, void *stream);
#endif

int main(int argc, char **argv)
{
    /* "ambiguous": A is rank 0 of 4, so its send line "0 -> 1" fits B too */
    int          arank = argc > 1 && argv[1][0] == 'a' ? 0 : 2;
    ncclUniqueId id;
    ncclComm_t   a = NULL, b = NULL, sa = NULL, sb = NULL;
    float        x = 1;
    int          ra, rb;

    ncclGetUniqueId(&id);
    ncclCommInitRank(&a, 4, id, arank);
    ncclCommInitRank(&b, 2, id, 0);
    ncclAllReduce(&x, &x, 1, 7, 0, a, NULL);
    rb = (int)ncclCommSplit(b, 0, 0, &sb, NULL);
    ra = (int)ncclCommSplit(a, 0, 0, &sa, NULL);
    printf("A %p B %p splitA %d splitB %d\n", (void *)a, (void *)b, ra, rb);
    return 0;
}
