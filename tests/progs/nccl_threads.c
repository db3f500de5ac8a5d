/* Concurrent first NCCL calls: N threads released together each make their
 * first communicator (the capture is set up by whichever comes first; all
 * must be judged). usage: nccl_threads [N]. Prints "inits OK/N". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
ncclResult_t ncclCommInitRank(ncclComm_t *c, int n, ncclUniqueId id, int r);
#endif

static pthread_barrier_t go;
static int               ok[64];

static void *one(void *arg)
{
    long         i = (long)arg;
    ncclUniqueId id;
    ncclComm_t   c = NULL;

    pthread_barrier_wait(&go);
    ok[i] = ncclGetUniqueId(&id) == ncclSuccess && ncclCommInitRank(&c, 1, id, 0) == ncclSuccess;
    return NULL;
}

int main(int argc, char **argv)
{
    int       n = argc > 1 ? atoi(argv[1]) : 8, good = 0;
    long      i;
    pthread_t t[64];

    if (n < 1 || n > 64) return 2;
    pthread_barrier_init(&go, NULL, (unsigned)n);
    for (i = 0; i < n; i++) pthread_create(&t[i], NULL, one, (void *)i);
    for (i = 0; i < n; i++) pthread_join(t[i], NULL);
    for (i = 0; i < n; i++) good += ok[i];
    printf("inits %d/%d\n", good, n);
    return 0;
}
