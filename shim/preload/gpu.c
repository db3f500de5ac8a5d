/* GPU and rail facts for the topology judges (see gpu.h).
 * Process-wide state, because both facts belong to the process: the bus id
 * of the GPU whose memory it mapped, and the node's rail table. Both are
 * published with atomics (no lock a forked child could inherit). */
#include "gpu.h"
#include "report.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

/* CUDA driver API, cuda.h (CUDA 11-13): attribute and memory-type values. */
typedef int (*cu_ptr_attr_fn)(void *data, int attribute, unsigned long long ptr);
typedef int (*cu_busid_fn)(char *bus_id, int len, int dev);
enum { CU_ATTR_MEMORY_TYPE = 2, CU_ATTR_DEVICE_ORDINAL = 9, CU_MEMTYPE_DEVICE = 2 };

enum { GPU_NONE, GPU_WRITING, GPU_ONE, GPU_MANY };
static int  gpu_state;          /* GPU_* */
static char gpu_busid[32];      /* valid from GPU_ONE on */

enum { TOPO_UNREAD, TOPO_READING, TOPO_READY };
static int        topo_state;
static fg_topo_t *topo;

static int find_libcuda(struct dl_phdr_info *info, size_t size, void *arg)
{
    const char *slash = strrchr(info->dlpi_name, '/');
    const char *base  = slash ? slash + 1 : info->dlpi_name;

    (void)size;
    if (strncmp(base, "libcuda.so", 10) == 0) {
        fg_strlcpy(arg, info->dlpi_name, PATH_MAX);
        return 1;
    }
    return 0;
}

/* Bus id of the device holding addr, "" when unknown. */
static void busid_of(const void *addr, int declared_cuda, char *out, size_t cap)
{
    char           path[PATH_MAX] = "";
    void          *h;
    cu_ptr_attr_fn attr;
    cu_busid_fn    busid;
    int            memtype = 0, ordinal = -1;

    out[0] = '\0';
    if (dl_iterate_phdr(find_libcuda, path) == 0 ||
        (h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD)) == NULL) {
        return;   /* no CUDA driver in the process: nothing to ask */
    }
    attr  = (cu_ptr_attr_fn)(uintptr_t)dlsym(h, "cuPointerGetAttribute");
    busid = (cu_busid_fn)(uintptr_t)dlsym(h, "cuDeviceGetPCIBusId");
    if (attr != NULL && busid != NULL &&
        (attr(&memtype, CU_ATTR_MEMORY_TYPE, (unsigned long long)(uintptr_t)addr) == 0 ||
         declared_cuda) &&
        (memtype == CU_MEMTYPE_DEVICE || declared_cuda) &&
        attr(&ordinal, CU_ATTR_DEVICE_ORDINAL, (unsigned long long)(uintptr_t)addr) == 0 &&
        busid(out, (int)cap, ordinal) != 0) {
        out[0] = '\0';
    }
    dlclose(h);   /* drops the NOLOAD reference only */
}

void fg_gpu_note_mapped(const void *addr, int declared_cuda)
{
    char id[32];
    int  expect = GPU_NONE;

    if (__atomic_load_n(&gpu_state, __ATOMIC_ACQUIRE) == GPU_MANY) {
        return;
    }
    busid_of(addr, declared_cuda, id, sizeof(id));
    if (id[0] == '\0') {
        return;
    }
    if (__atomic_compare_exchange_n(&gpu_state, &expect, GPU_WRITING, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        fg_strlcpy(gpu_busid, id, sizeof(gpu_busid));
        __atomic_store_n(&gpu_state, GPU_ONE, __ATOMIC_RELEASE);
    } else if (expect == GPU_ONE && strcasecmp(id, gpu_busid) != 0) {
        __atomic_store_n(&gpu_state, GPU_MANY, __ATOMIC_RELEASE);   /* several GPUs: no rail verdict */
    }
}

int fg_gpu_memory_seen(void)
{
    int st = __atomic_load_n(&gpu_state, __ATOMIC_ACQUIRE);
    return st == GPU_ONE || st == GPU_MANY;
}

static const fg_topo_t *rail_table(void)
{
    static fg_node_t *node;   /* scratch of the one reader */
    int               expect = TOPO_UNREAD;
    fg_topo_t        *t;

    if (__atomic_load_n(&topo_state, __ATOMIC_ACQUIRE) == TOPO_READY) {
        return topo;
    }
    if (!__atomic_compare_exchange_n(&topo_state, &expect, TOPO_READING, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return NULL;   /* another thread is reading /sys */
    }
    node = calloc(1, sizeof(*node));
    t    = calloc(1, sizeof(*t));
    if (node != NULL && t != NULL) {
        fg_node_probe("/", node);
        fg_topo_build(node, t);
    }
    free(node);
    node = NULL;
    topo = t;   /* NULL when out of memory: judged as "no table" */
    __atomic_store_n(&topo_state, TOPO_READY, __ATOMIC_RELEASE);
    return topo;
}

const fg_topo_t *fg_gpu_topo(void)
{
    return rail_table();
}

int fg_gpu_rail(const fg_topo_t **t_p)
{
    const fg_topo_t *t;
    int              g;

    if (__atomic_load_n(&gpu_state, __ATOMIC_ACQUIRE) != GPU_ONE ||
        (t = rail_table()) == NULL || (g = fg_topo_gpu_by_busid(t, gpu_busid)) < 0) {
        return -1;
    }
    *t_p = t;
    return g;
}

static int same_host(const fg_lane_set_t *lanes, const char *locality)
{
    static const char *const shm[] = { "posix", "sysv", "cma", "xpmem", "knem", "cuda_ipc" };
    size_t i, k;

    if (locality != NULL && locality[0] != '\0') {
        return strcmp(locality, "intra-node") == 0;
    }
    for (i = 0; i < lanes->n; i++) {   /* UCX reaches only local peers over these */
        for (k = 0; k < sizeof(shm) / sizeof(shm[0]); k++) {
            if (strcmp(lanes->lane[i].transport, shm[k]) == 0) return 1;
        }
    }
    return 0;
}

void fg_gpu_judge_lanes(const fg_lane_set_t *lanes, const char *locality,
                        fg_findings_t *out)
{
    const fg_policy_t *pol = fg_core_policy();
    const fg_topo_t   *t   = NULL;
    int                g;

    if (!fg_gpu_memory_seen()) {
        return;
    }
    if (same_host(lanes, locality)) {
        fg_judge_same_host_lanes(pol, lanes, out);
        return;   /* a local peer's NIC loopback is judged as that, not as a rail */
    }
    if ((g = fg_gpu_rail(&t)) >= 0) {
        fg_judge_rail_lanes(pol, t, g, lanes, out);
    }
}

void fg_gpu_note_advisories(const fg_findings_t *adv)
{
    char   line[900];
    size_t i;
    int    n;

    if (fg_core_policy()->mode < FG_MODE_WARN) {
        return;
    }
    for (i = 0; i < adv->n; i++) {
        if (!fg_report_first_time(adv->v[i].detail)) {
            continue;
        }
        n = snprintf(line, sizeof(line), "fabguard: NOTE %s (%s=warn) \xe2\x80\x94 %s\n",
                     adv->v[i].detail, adv->v[i].rule, adv->v[i].fix);
        if (n > 0) {
            fg_report_stderr_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        }
    }
}

int fg_gpu_fields(const fg_lane_set_t *lanes, char *gpu, size_t gcap,
                  char *nic, size_t ncap)
{
    const fg_topo_t *t = NULL;
    fg_sbuf_t        sb;
    size_t           i;
    int              g;

    if (__atomic_load_n(&gpu_state, __ATOMIC_ACQUIRE) != GPU_ONE) {
        return 0;
    }
    g = fg_gpu_rail(&t);
    fg_strlcpy(gpu, g >= 0 ? t->gpu_bdf[g] : gpu_busid, gcap);
    fg_sb_init(&sb, nic, ncap);
    for (i = 0; i < lanes->n; i++) {
        const fg_lane_t *l = &lanes->lane[i];
        char             name[64];
        if (fg_lane_is_cm(l) || fg_lane_is_memory(l->transport) || l->device[0] == '\0') continue;
        fg_strlcpy(name, l->device, sizeof(name));
        name[strcspn(name, ":")] = '\0';
        if (strstr(nic, name) == NULL) fg_sb_printf(&sb, "%s%s", sb.len ? "," : "", name);
    }
    return 1;
}
