/* Where `fabguard pair` keeps the buffers it moves: host memory, or GPU
 * memory when CUDA is there and the UCX in this process can move it (a UCX
 * built without CUDA would read a GPU pointer as host memory and crash, so
 * that case is refused, not attempted). */
#ifndef FG_TOOLS_PAIR_MEM_H
#define FG_TOOLS_PAIR_MEM_H

#include <stddef.h>
#include <ucp/api/ucp.h>

#include "cuda_rt.h"

typedef enum { PAIR_MEM_AUTO, PAIR_MEM_HOST, PAIR_MEM_CUDA } pair_mem_mode_t;

typedef struct {
    fg_cuda_t        *cuda;       /* NULL: host memory */
    ucs_memory_type_t type;       /* what the transfers tell UCX */
    char              note[512];  /* why GPU memory is not used (auto) */
} pair_mem_t;

/* "host" / "cuda" / "auto"; -1 when none. */
int pair_mem_mode_parse(const char *s, pair_mem_mode_t *out);

/* Decide for CTX. 0, or -1 with WHY when CUDA was asked for and cannot be
 * had (no runtime, no GPU, a UCX without CUDA support). In auto mode the
 * reason host memory was used goes to m->note instead. */
int  pair_mem_choose(pair_mem_t *m, ucp_context_h ctx, pair_mem_mode_t mode, int gpu, const char *cudart,
                     char *why, size_t cap);
void pair_mem_release(pair_mem_t *m);

/* "host" or "cuda" (for --json), and a line for people. */
const char *pair_mem_kind(const pair_mem_t *m);
void        pair_mem_describe(const pair_mem_t *m, char *out, size_t cap);

/* Buffers in the chosen memory; fill/read go through the host. */
void *pair_mem_alloc(pair_mem_t *m, size_t n, char *why, size_t cap);
void  pair_mem_free(pair_mem_t *m, void *p);
int   pair_mem_put(pair_mem_t *m, void *dst, const void *host, size_t n, char *why, size_t cap);
int   pair_mem_get(pair_mem_t *m, void *host, const void *src, size_t n, char *why, size_t cap);

#endif
