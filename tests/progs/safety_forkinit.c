/* Fork while another thread is inside the shim's first intercepted call.
 * Each round is a fresh process (the shim not yet initialised); a thread
 * makes the first call while the main thread forks children at short
 * intervals; each child makes a call itself. A child that inherited a lock
 * held by the other thread never finishes: alarm() ends it with SIGALRM and
 * it is counted as hung. Prints "forked N hung H". */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef int (*probe_fn)(void);
static probe_fn probe;

static void *first_call(void *arg)
{
    (void)arg;
    probe();
    return NULL;
}

static void spin_us(long us)
{
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static int one_round(int nchildren, long gap_us, int limit_s)
{
    pthread_t t;
    pid_t     kids[64];
    int       i, hung = 0, st;

    pthread_create(&t, NULL, first_call, NULL);
    for (i = 0; i < nchildren; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            alarm((unsigned)limit_s);
            probe();
            _exit(0);
        }
        spin_us(gap_us);
    }
    for (i = 0; i < nchildren; i++) {
        if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] &&
            WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
            hung++;
        }
    }
    pthread_join(t, NULL);
    return hung;
}

int main(int argc, char **argv)
{
    int  rounds = argc > 1 ? atoi(argv[1]) : 30;
    int  nchildren = argc > 2 ? atoi(argv[2]) : 16;
    long gap_us = argc > 3 ? atol(argv[3]) : 40;
    int  limit_s = argc > 4 ? atoi(argv[4]) : 10;
    int  r, hung = 0, st;

    probe = (probe_fn)dlsym(RTLD_DEFAULT, "fabguard_selftest_probe");
    if (probe == NULL || nchildren > 64) {
        fprintf(stderr, "safety_forkinit: libfabguard.so not preloaded\n");
        return 2;
    }
    for (r = 0; r < rounds; r++) {
        pid_t p = fork();
        if (p == 0) {
            _exit(one_round(nchildren, gap_us, limit_s));
        }
        if (waitpid(p, &st, 0) == p && WIFEXITED(st)) {
            hung += WEXITSTATUS(st);
        }
    }
    printf("forked %d hung %d\n", rounds * nchildren, hung);
    return 0;
}
