/* CUDA runtime entry points by dlsym. Their C ABI has been stable since
 * CUDA 4 (cuda_runtime_api.h): every call returns cudaError_t (an int
 * enum, 0 = cudaSuccess); cudaMemcpyKind 1 = HostToDevice, 2 = DeviceToHost. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabguard/common.h"
#include "cuda_rt.h"

enum { CUDA_H2D = 1, CUDA_D2H = 2 };

struct fg_cuda {
    void       *lib;
    int         device;
    char        desc[160];
    int         (*get_count)(int *);
    int         (*set_device)(int);
    int         (*malloc_)(void **, size_t);
    int         (*free_)(void *);
    int         (*memcpy_)(void *, const void *, size_t, int);
    int         (*pci_bus_id)(char *, int, int);
    const char *(*err_string)(int);
    const char *(*err_name)(int);
};

static const char *const SONAMES[] = { "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so" };

/* "cudaMalloc: out of memory (cudaErrorMemoryAllocation)" */
static int fail(const fg_cuda_t *c, const char *call, int rc, char *why, size_t cap)
{
    const char *s = c->err_string ? c->err_string(rc) : NULL;
    const char *n = c->err_name ? c->err_name(rc) : NULL;
    snprintf(why, cap, "%s: %s (%s)", call, s ? s : "error", n ? n : "?");
    return -1;
}

static void *load(const char *lib, char *name, size_t cap)
{
    size_t i;
    void  *h;
    if (lib != NULL) {
        fg_strlcpy(name, lib, cap);
        return dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    }
    for (i = 0; i < sizeof(SONAMES) / sizeof(SONAMES[0]); i++) {
        if ((h = dlopen(SONAMES[i], RTLD_NOW | RTLD_LOCAL)) != NULL) {
            fg_strlcpy(name, SONAMES[i], cap);
            return h;
        }
    }
    fg_strlcpy(name, "libcudart.so.13/.12/.11.0", cap);
    return NULL;
}

#define SYM(field, sym) (*(void **)&c->field = dlsym(c->lib, sym))

fg_cuda_t *fg_cuda_open(const char *lib, int device, char *why, size_t cap)
{
    fg_cuda_t *c = calloc(1, sizeof(*c));
    char       name[128], bus[32] = "";
    int        n = 0, rc;

    if (c == NULL) { snprintf(why, cap, "out of memory"); return NULL; }
    if ((c->lib = load(lib, name, sizeof(name))) == NULL) {
        const char *e = dlerror();
        snprintf(why, cap, "no CUDA runtime: %s", lib != NULL && e != NULL ? e : "libcudart.so.13/.12/.11.0 not found");
        free(c);
        return NULL;
    }
    SYM(err_string, "cudaGetErrorString");
    SYM(err_name, "cudaGetErrorName");
    SYM(pci_bus_id, "cudaDeviceGetPCIBusId");
    if (!SYM(get_count, "cudaGetDeviceCount") || !SYM(set_device, "cudaSetDevice") || !SYM(malloc_, "cudaMalloc") ||
        !SYM(free_, "cudaFree") || !SYM(memcpy_, "cudaMemcpy")) {
        snprintf(why, cap, "%s lacks the CUDA runtime API (cudaMalloc, cudaMemcpy, …)", name);
        goto out;
    }
    if ((rc = c->get_count(&n)) != 0) { fail(c, "cudaGetDeviceCount", rc, why, cap); goto out; }
    if (device < 0 || device >= n) {
        snprintf(why, cap, "GPU %d requested, %s sees %d GPU%s", device, name, n, n == 1 ? "" : "s");
        goto out;
    }
    if ((rc = c->set_device(device)) != 0) { fail(c, "cudaSetDevice", rc, why, cap); goto out; }
    if (c->pci_bus_id == NULL || c->pci_bus_id(bus, (int)sizeof(bus), device) != 0) fg_strlcpy(bus, "bus id unknown", sizeof(bus));
    c->device = device;
    snprintf(c->desc, sizeof(c->desc), "GPU %d (%s) via %s", device, bus, name);
    return c;
out:
    dlclose(c->lib);
    free(c);
    return NULL;
}

void fg_cuda_close(fg_cuda_t *c)
{
    if (c == NULL) return;
    dlclose(c->lib);
    free(c);
}

const char *fg_cuda_describe(const fg_cuda_t *c) { return c->desc; }

void *fg_cuda_alloc(fg_cuda_t *c, size_t n, char *why, size_t cap)
{
    void *p = NULL;
    int   rc = c->malloc_(&p, n);
    if (rc != 0) { fail(c, "cudaMalloc", rc, why, cap); return NULL; }
    return p;
}

void fg_cuda_free(fg_cuda_t *c, void *dev)
{
    if (dev != NULL) c->free_(dev);
}

int fg_cuda_to_device(fg_cuda_t *c, void *dev, const void *host, size_t n, char *why, size_t cap)
{
    int rc = c->memcpy_(dev, host, n, CUDA_H2D);
    return rc == 0 ? 0 : fail(c, "cudaMemcpy to the GPU", rc, why, cap);
}

int fg_cuda_to_host(fg_cuda_t *c, void *host, const void *dev, size_t n, char *why, size_t cap)
{
    int rc = c->memcpy_(host, dev, n, CUDA_D2H);
    return rc == 0 ? 0 : fail(c, "cudaMemcpy from the GPU", rc, why, cap);
}
