/* The CUDA runtime, loaded at run time so `fabguard` runs on nodes without
 * CUDA and never links it. Only what `fabguard pair` needs to put its
 * buffers in GPU memory: device count, select, alloc/free, copies. */
#ifndef FG_TOOLS_CUDA_RT_H
#define FG_TOOLS_CUDA_RT_H

#include <stddef.h>

typedef struct fg_cuda fg_cuda_t;

/* Load the runtime (LIB, or the usual sonames when NULL) and select GPU
 * DEVICE. NULL with WHY naming the library and the runtime's own error
 * (e.g. "cudaGetDeviceCount: CUDA driver version is insufficient …"). */
fg_cuda_t *fg_cuda_open(const char *lib, int device, char *why, size_t cap);
void       fg_cuda_close(fg_cuda_t *c);

/* "GPU 0 (0000:17:00.0) via libcudart.so.13" */
const char *fg_cuda_describe(const fg_cuda_t *c);

/* 0 or -1 with WHY. Copies are synchronous, as cudaMemcpy is. */
void *fg_cuda_alloc(fg_cuda_t *c, size_t n, char *why, size_t cap);
void  fg_cuda_free(fg_cuda_t *c, void *dev);
int   fg_cuda_to_device(fg_cuda_t *c, void *dev, const void *host, size_t n, char *why, size_t cap);
int   fg_cuda_to_host(fg_cuda_t *c, void *host, const void *dev, size_t n, char *why, size_t cap);

#endif
