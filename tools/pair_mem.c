#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabguard/common.h"
#include "pair_mem.h"

int pair_mem_mode_parse(const char *s, pair_mem_mode_t *out)
{
    if (!strcmp(s, "auto")) *out = PAIR_MEM_AUTO;
    else if (!strcmp(s, "host")) *out = PAIR_MEM_HOST;
    else if (!strcmp(s, "cuda")) *out = PAIR_MEM_CUDA;
    else return -1;
    return 0;
}

/* The memory types this UCX context can move, as "host, cuda, …". UCX
 * reports only the non-host types it can detect (UCP_ATTR_FIELD_MEMORY_TYPES;
 * measured: 0 on Debian's UCX 1.13.1, built without CUDA); host always works. */
static int ucx_moves_cuda(ucp_context_h ctx, char *types, size_t cap)
{
    static const char *const NAMES[] = { "host", "cuda", "cuda-managed", "rocm", "rocm-managed" };
    ucp_context_attr_t       a;
    fg_sbuf_t                sb;
    unsigned                 t;

    memset(&a, 0, sizeof(a));
    a.field_mask = UCP_ATTR_FIELD_MEMORY_TYPES;
    fg_sb_init(&sb, types, cap);
    fg_sb_puts(&sb, "host");
    if (ucp_context_query(ctx, &a) != UCS_OK) return 0;
    for (t = UCS_MEMORY_TYPE_HOST + 1; t < sizeof(NAMES) / sizeof(NAMES[0]); t++) {
        if (a.memory_types & (1ULL << t)) fg_sb_printf(&sb, ", %s", NAMES[t]);
    }
    return (a.memory_types & (1ULL << UCS_MEMORY_TYPE_CUDA)) != 0;
}

int pair_mem_choose(pair_mem_t *m, ucp_context_h ctx, pair_mem_mode_t mode, int gpu, const char *cudart,
                    char *why, size_t cap)
{
    char        types[128], err[400];
    fg_cuda_t  *c;

    memset(m, 0, sizeof(*m));
    m->type = UCS_MEMORY_TYPE_HOST;
    if (mode == PAIR_MEM_HOST) return 0;
    if ((c = fg_cuda_open(cudart, gpu, err, sizeof(err))) == NULL) {
        if (mode == PAIR_MEM_CUDA) { snprintf(why, cap, "%s", err); return -1; }
        snprintf(m->note, sizeof(m->note), "no GPU memory: %s", err);
        return 0;
    }
    if (!ucx_moves_cuda(ctx, types, sizeof(types))) {
        snprintf(err, sizeof(err), "%s is there, but this UCX cannot move GPU memory (memory it handles: %s) \xe2\x80\x94 "
                 "NIXL/UCX transfers from GPU buffers will fail; use a UCX built with CUDA",
                 fg_cuda_describe(c), types);
        fg_cuda_close(c);
        if (mode == PAIR_MEM_CUDA) { snprintf(why, cap, "%s", err); return -1; }
        snprintf(m->note, sizeof(m->note), "%s", err);
        return 0;
    }
    m->cuda = c;
    m->type = UCS_MEMORY_TYPE_CUDA;
    return 0;
}

void pair_mem_release(pair_mem_t *m)
{
    fg_cuda_close(m->cuda);
    m->cuda = NULL;
}

const char *pair_mem_kind(const pair_mem_t *m) { return m->cuda ? "cuda" : "host"; }

void pair_mem_describe(const pair_mem_t *m, char *out, size_t cap)
{
    if (m->cuda) snprintf(out, cap, "cuda %s", fg_cuda_describe(m->cuda));
    else snprintf(out, cap, "host");
}

void *pair_mem_alloc(pair_mem_t *m, size_t n, char *why, size_t cap)
{
    void *p;
    if (m->cuda) return fg_cuda_alloc(m->cuda, n, why, cap);
    if ((p = calloc(1, n)) == NULL) snprintf(why, cap, "out of memory (%zu bytes)", n);
    return p;
}

void pair_mem_free(pair_mem_t *m, void *p)
{
    if (m->cuda) fg_cuda_free(m->cuda, p);
    else free(p);
}

int pair_mem_put(pair_mem_t *m, void *dst, const void *host, size_t n, char *why, size_t cap)
{
    if (m->cuda) return fg_cuda_to_device(m->cuda, dst, host, n, why, cap);
    memcpy(dst, host, n);
    return 0;
}

int pair_mem_get(pair_mem_t *m, void *host, const void *src, size_t n, char *why, size_t cap)
{
    if (m->cuda) return fg_cuda_to_host(m->cuda, host, src, n, why, cap);
    memcpy(host, src, n);
    return 0;
}
