/* The NCCL ABI facts the shim needs when nccl.h is absent (the build never
 * needs CUDA). From NVIDIA/nccl src/nccl.h.in (2.28): result codes, the
 * 128-byte unique id, opaque comm and config pointers, and the signatures of
 * the init family. When nccl.h is present it is used instead, so a mismatch
 * here is a compile error there. */
#ifndef FABGUARD_NCCL_ABI_H
#define FABGUARD_NCCL_ABI_H

#ifdef FG_HAVE_NCCL_H
#include <nccl.h>
#else
typedef enum {
    ncclSuccess = 0, ncclUnhandledCudaError = 1, ncclSystemError = 2,
    ncclInternalError = 3, ncclInvalidArgument = 4, ncclInvalidUsage = 5,
    ncclRemoteError = 6, ncclInProgress = 7, ncclNumResults = 8
} ncclResult_t;
#define NCCL_UNIQUE_ID_BYTES 128
typedef struct { char internal[NCCL_UNIQUE_ID_BYTES]; } ncclUniqueId;
typedef struct ncclComm *ncclComm_t;
typedef struct ncclConfig_v22800 ncclConfig_t;   /* only passed through by pointer */
#endif

#endif
