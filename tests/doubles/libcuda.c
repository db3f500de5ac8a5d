/* Test double of the two CUDA driver calls fabguard makes on a pointer, for
 * machines without a GPU (cuda.h, CUDA 11-13: cuPointerGetAttribute with
 * CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2 and CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL
 * = 9, CU_MEMORYTYPE_DEVICE = 2; cuDeviceGetPCIBusId writes
 * "0000:1b:00.0"). Every pointer is device memory on ordinal
 * FG_CUDA_DOUBLE_DEVICE (default 0); ordinal i's bus id is the i-th entry of
 * FG_CUDA_DOUBLE_BUSIDS (comma-separated). Loaded as libcuda.so.1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
enum { CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_INVALID_DEVICE = 101 };

CUresult cuPointerGetAttribute(void *data, int attribute, unsigned long long ptr)
{
    const char *dev = getenv("FG_CUDA_DOUBLE_DEVICE");

    (void)ptr;
    switch (attribute) {
    case 2: *(unsigned *)data = 2; return CUDA_SUCCESS;             /* device memory */
    case 9: *(int *)data = dev ? atoi(dev) : 0; return CUDA_SUCCESS; /* its ordinal */
    default: return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult cuDeviceGetPCIBusId(char *bus_id, int len, int dev)
{
    const char *list = getenv("FG_CUDA_DOUBLE_BUSIDS");
    int         i = 0;

    while (list != NULL && i < dev && (list = strchr(list, ',')) != NULL) {
        list++, i++;
    }
    if (list == NULL || len <= 0) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    snprintf(bus_id, (size_t)len, "%.*s", (int)strcspn(list, ","), list);
    return CUDA_SUCCESS;
}
