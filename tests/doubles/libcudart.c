/* Test double of the CUDA runtime for `fabguard pair --mem cuda`: no machine
 * here has a GPU (the real libcudart 13 here answers cudaGetDeviceCount with
 * cudaErrorInsufficientDriver, which tests/e2e/pair_gpu.sh checks on the real
 * library). "Device" memory is anonymous host memory, so the real UCX can
 * move it once tests/doubles/libucp_cuda.c has checked how it was described.
 * Signatures and enum values as in CUDA's cuda_runtime_api.h/driver_types.h:
 * cudaSuccess 0, cudaErrorInvalidValue 1, cudaErrorMemoryAllocation 2,
 * cudaErrorInvalidMemcpyDirection 21, cudaErrorInvalidDevice 101;
 * cudaMemcpyHostToDevice 1, cudaMemcpyDeviceToHost 2.
 * FG_CUDART_DOUBLE_GPUS: how many GPUs (default 1).
 * FG_CUDART_DOUBLE_REPORT: file that gets "allocs= frees= live= h2d= d2h=". */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { OK = 0, INVALID_VALUE = 1, MEMORY_ALLOCATION = 2, INVALID_DIRECTION = 21, INVALID_DEVICE = 101 };
enum { H2D = 1, D2H = 2 };

typedef struct { char *base; size_t len; } range_t;

/* Allocations of this process; a table because tests allocate a handful. */
static range_t         live[64];
static unsigned        allocs, frees, h2d, d2h;
static int             current = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int gpus(void)
{
    const char *s = getenv("FG_CUDART_DOUBLE_GPUS");
    return s ? atoi(s) : 1;
}

/* tests/doubles/libucp_cuda.c, when preloaded, learns device ranges here */
static void tell_ucp(const char *sym, void *p, size_t n)
{
    void (*f)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, sym);
    if (f) f(p, n);
}

static int owned(const void *p, size_t n)
{
    unsigned i;
    int      r = 0;
    pthread_mutex_lock(&lock);
    for (i = 0; i < 64 && !r; i++) {
        r = live[i].base && (const char *)p >= live[i].base && (const char *)p + n <= live[i].base + live[i].len;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

int cudaGetDeviceCount(int *n) { *n = gpus(); return OK; }

int cudaSetDevice(int d)
{
    if (d < 0 || d >= gpus()) return INVALID_DEVICE;
    current = d;
    return OK;
}

int cudaDeviceGetPCIBusId(char *out, int len, int d)
{
    if (d < 0 || d >= gpus() || len < 13) return INVALID_VALUE;
    snprintf(out, (size_t)len, "0000:%02x:00.0", 0x17 + d);
    return OK;
}

int cudaMalloc(void **p, size_t n)
{
    unsigned i;
    void    *m;
    if (current < 0) return INVALID_DEVICE;   /* fabguard selects a GPU first */
    m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return MEMORY_ALLOCATION;
    pthread_mutex_lock(&lock);
    for (i = 0; i < 64 && live[i].base; i++) {}
    if (i < 64) { live[i].base = m; live[i].len = n; allocs++; }
    pthread_mutex_unlock(&lock);
    if (i == 64) { munmap(m, n); return MEMORY_ALLOCATION; }
    tell_ucp("fg_double_device_add", m, n);
    *p = m;
    return OK;
}

int cudaFree(void *p)
{
    unsigned i;
    size_t   n = 0;
    if (p == NULL) return OK;
    pthread_mutex_lock(&lock);
    for (i = 0; i < 64 && live[i].base != p; i++) {}
    if (i < 64) { n = live[i].len; live[i].base = NULL; frees++; }
    pthread_mutex_unlock(&lock);
    if (n == 0) return INVALID_VALUE;
    tell_ucp("fg_double_device_del", p, n);
    munmap(p, n);
    return OK;
}

int cudaMemcpy(void *dst, const void *src, size_t n, int kind)
{
    if (kind == H2D && owned(dst, n) && !owned(src, n)) h2d++;
    else if (kind == D2H && owned(src, n) && !owned(dst, n)) d2h++;
    else return kind == H2D || kind == D2H ? INVALID_VALUE : INVALID_DIRECTION;
    memmove(dst, src, n);
    return OK;
}

const char *cudaGetErrorName(int e)
{
    switch (e) {
    case OK: return "cudaSuccess";
    case INVALID_VALUE: return "cudaErrorInvalidValue";
    case MEMORY_ALLOCATION: return "cudaErrorMemoryAllocation";
    case INVALID_DIRECTION: return "cudaErrorInvalidMemcpyDirection";
    case INVALID_DEVICE: return "cudaErrorInvalidDevice";
    default: return "cudaErrorUnknown";
    }
}

const char *cudaGetErrorString(int e)
{
    switch (e) {
    case OK: return "no error";
    case INVALID_VALUE: return "invalid argument";
    case MEMORY_ALLOCATION: return "out of memory";
    case INVALID_DIRECTION: return "invalid copy direction for memcpy";
    case INVALID_DEVICE: return "invalid device ordinal";
    default: return "unknown error";
    }
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("FG_CUDART_DOUBLE_REPORT");
    FILE       *f;
    if (path == NULL || (f = fopen(path, "a")) == NULL) return;
    fprintf(f, "allocs=%u frees=%u live=%u h2d=%u d2h=%u\n", allocs, frees, allocs - frees, h2d, d2h);
    fclose(f);
}
