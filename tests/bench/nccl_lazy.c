/* Bench: latency from NCCL writing a lazy channel line (at the first
 * collective) to fabguard's verdict being in the event log. Runs with the
 * shim preloaded and the libnccl double (scenario lazy_ib), FABGUARD_LOG set.
 * usage: nccl_lazy DOUBLE.so LOGFILE N -> prints p50 and p99 in ms */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

typedef struct { char b[128]; } uid_t_;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static long size_of(const char *p) { struct stat st; return stat(p, &st) == 0 ? (long)st.st_size : -1; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv)
{
    int (*uid)(uid_t_ *), (*init)(void **, int, uid_t_, int), (*ar)(const void *, void *, size_t, int, int, void *, void *);
    int     n = argc > 3 ? atoi(argv[3]) : 200, i, got = 0;
    double *lat = calloc((size_t)n, sizeof(double));
    uid_t_  id;

    if (argc < 4 || !dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL)) return 2;
    *(void **)&uid  = dlsym(RTLD_DEFAULT, "ncclGetUniqueId");    /* the shim's wrappers */
    *(void **)&init = dlsym(RTLD_DEFAULT, "ncclCommInitRank");
    *(void **)&ar   = dlsym(RTLD_DEFAULT, "ncclAllReduce");      /* not wrapped: NCCL's own */
    uid(&id);
    for (i = 0; i < n; i++) {
        void  *comm;   /* kept alive: distinct comms, distinct events */
        float  x = 1;
        long   before;
        double t0, dl;
        /* rank 0 of i+2: its receive line names rank i+1, which only this
         * (the largest live) communicator holds, so each verdict is
         * attributed and distinct (channel lines carry no comm pointer) */
        init(&comm, i + 2, id, 0);
        before = size_of(argv[2]);
        t0 = now();
        ar(&x, &x, 1, 7, 0, comm, NULL);
        for (dl = t0 + 1; now() < dl && size_of(argv[2]) == before;) {
            struct timespec ns = { 0, 20000 };   /* yield: do not starve the reader on 2 cores */
            nanosleep(&ns, NULL);
        }
        if (size_of(argv[2]) != before) lat[got++] = (now() - t0) * 1e3;
    }
    qsort(lat, (size_t)got, sizeof(double), cmp);
    if (got == 0) return 1;
    printf("%d %.3f %.3f\n", got, lat[got / 2], lat[(int)(got * 0.99) < got ? (int)(got * 0.99) : got - 1]);
    return 0;
}
