/* Test double of a CUDA-enabled UCX, preloaded over the real UCX 1.13.1
 * (Debian builds it without CUDA; no machine here has one with it). It
 *  - adds UCS_MEMORY_TYPE_CUDA to what ucp_context_query reports, as a UCX
 *    built --with-cuda does (src/ucp/core/ucp_context.c: memory_types is
 *    the mask of detectable memory types);
 *  - checks every tagged send/receive: a buffer from the CUDA double
 *    (tests/doubles/libcudart.c tells it the ranges) must come with
 *    UCP_OP_ATTR_FIELD_MEMORY_TYPE = CUDA, and CUDA must not be claimed for
 *    host memory — a real UCX without the type would read GPU memory as
 *    host memory. Checked calls are passed on as host memory, which the
 *    double's device memory really is;
 *  - with FG_UCP_DOUBLE_CORRUPT_TAG=0xT flips byte 1000 of every send with
 *    that tag, so a test can prove corruption is noticed.
 * FG_UCP_CUDA_DOUBLE_REPORT: file that gets "cuda_ops= host_ops= misuse=". */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucp/api/ucp.h>

typedef struct { char *base; size_t len; } range_t;

static range_t         dev[64];
static unsigned        cuda_ops, host_ops, misuse;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void fg_double_device_add(void *p, size_t n);
void fg_double_device_del(void *p, size_t n);

void fg_double_device_add(void *p, size_t n)
{
    unsigned i;
    pthread_mutex_lock(&lock);
    for (i = 0; i < 64 && dev[i].base; i++) {}
    if (i < 64) { dev[i].base = p; dev[i].len = n; }
    pthread_mutex_unlock(&lock);
}

void fg_double_device_del(void *p, size_t n)
{
    unsigned i;
    (void)n;
    pthread_mutex_lock(&lock);
    for (i = 0; i < 64; i++) if (dev[i].base == p) dev[i].base = NULL;
    pthread_mutex_unlock(&lock);
}

static int on_device(const void *p, size_t n)
{
    unsigned i;
    int      r = 0;
    pthread_mutex_lock(&lock);
    for (i = 0; i < 64 && !r; i++) r = dev[i].base && (const char *)p >= dev[i].base && (const char *)p + n <= dev[i].base + dev[i].len;
    pthread_mutex_unlock(&lock);
    return r;
}

/* Check how BUF is described, count, and strip the memory type. */
static void check(const void *buf, size_t n, const ucp_request_param_t *in, ucp_request_param_t *out)
{
    int says_cuda = (in->op_attr_mask & UCP_OP_ATTR_FIELD_MEMORY_TYPE) && in->memory_type == UCS_MEMORY_TYPE_CUDA;
    int is_dev = n > 0 && on_device(buf, n);

    *out = *in;
    out->op_attr_mask &= ~(uint32_t)UCP_OP_ATTR_FIELD_MEMORY_TYPE;
    pthread_mutex_lock(&lock);
    if (says_cuda != is_dev) {
        misuse++;
        fprintf(stderr, "libucp_cuda double: %s buffer %p (%zu bytes) described as %s\n", is_dev ? "device" : "host", buf, n,
                says_cuda ? "CUDA" : "host");
    } else if (is_dev) {
        cuda_ops++;
    } else {
        host_ops++;
    }
    pthread_mutex_unlock(&lock);
}

#define NEXT(type, name) ((type)dlsym(RTLD_NEXT, name))

ucs_status_t ucp_context_query(ucp_context_h ctx, ucp_context_attr_t *attr)
{
    ucs_status_t st = NEXT(ucs_status_t (*)(ucp_context_h, ucp_context_attr_t *), "ucp_context_query")(ctx, attr);
    if (st == UCS_OK && (attr->field_mask & UCP_ATTR_FIELD_MEMORY_TYPES)) attr->memory_types |= UCS_BIT(UCS_MEMORY_TYPE_CUDA);
    return st;
}

ucs_status_ptr_t ucp_tag_send_nbx(ucp_ep_h ep, const void *buf, size_t n, ucp_tag_t tag, const ucp_request_param_t *prm)
{
    ucp_request_param_t p;
    const char         *corrupt = getenv("FG_UCP_DOUBLE_CORRUPT_TAG");

    check(buf, n, prm, &p);
    if (corrupt && strtoull(corrupt, NULL, 16) == tag && n > 1000) ((char *)(uintptr_t)buf)[1000] ^= 0x40;
    return NEXT(ucs_status_ptr_t (*)(ucp_ep_h, const void *, size_t, ucp_tag_t, const ucp_request_param_t *),
                "ucp_tag_send_nbx")(ep, buf, n, tag, &p);
}

ucs_status_ptr_t ucp_tag_recv_nbx(ucp_worker_h w, void *buf, size_t n, ucp_tag_t tag, ucp_tag_t mask, const ucp_request_param_t *prm)
{
    ucp_request_param_t p;
    check(buf, n, prm, &p);
    return NEXT(ucs_status_ptr_t (*)(ucp_worker_h, void *, size_t, ucp_tag_t, ucp_tag_t, const ucp_request_param_t *),
                "ucp_tag_recv_nbx")(w, buf, n, tag, mask, &p);
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("FG_UCP_CUDA_DOUBLE_REPORT");
    FILE       *f;
    if (path == NULL || (f = fopen(path, "a")) == NULL) return;
    fprintf(f, "cuda_ops=%u host_ops=%u misuse=%u\n", cuda_ops, host_ops, misuse);
    fclose(f);
}
