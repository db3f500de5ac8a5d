/* Test program: fork while another thread is inside a communicator init
 * (the double floods INFO lines through the capture pipe meanwhile). The
 * child initialises its own communicator. Both must finish normally.
 * Prints "parent ok child status N". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
ncclResult_t ncclCommInitRank(ncclComm_t *c, int n, ncclUniqueId id, int r);
#endif

static ncclUniqueId id;
static ncclResult_t thread_rc = ncclInternalError;

static void *init_thread(void *arg)
{
    ncclComm_t c;
    (void)arg;
    thread_rc = ncclCommInitRank(&c, 1, id, 0);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pid_t     pid;
    int       st = -1;

    ncclGetUniqueId(&id);
    pthread_create(&t, NULL, init_thread, NULL);
    usleep(20000);   /* the init thread is streaming lines now */
    pid = fork();
    if (pid == 0) {
        ncclComm_t c;
        ncclUniqueId cid;
        ncclGetUniqueId(&cid);
        _exit(ncclCommInitRank(&c, 1, cid, 0) == ncclSuccess ? 0 : 1);
    }
    pthread_join(t, NULL);
    waitpid(pid, &st, 0);
    printf("parent %s child status %d\n", thread_rc == ncclSuccess ? "ok" : "failed", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
