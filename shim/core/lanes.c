/* Lane set helpers. */
#include "fabguard/lanes.h"
#include "fabguard/common.h"

#include <stdio.h>
#include <string.h>

int fg_lane_is_cm(const fg_lane_t *lane)
{
    /* UCX's connection managers (uct/tcp/tcp_sockcm.c, uct/ib/rdmacm) show
     * up as a lane with a transport and no device. */
    return lane->device[0] == '\0' &&
           (strcmp(lane->transport, "tcp") == 0 ||
            strcmp(lane->transport, "rdmacm") == 0 ||
            strcmp(lane->transport, "sockcm") == 0 ||
            strcmp(lane->transport, "tcp_sockcm") == 0);
}

int fg_lane_is_memory(const char *tl)
{
    /* UCX's shared-memory, loopback and GPU-copy transports: they never
     * leave the node, so device rules do not apply to them. */
    static const char *const mem[] = {
        "self", "posix", "sysv", "xpmem", "cma", "knem", "cuda_ipc",
        "cuda_copy", "gdr_copy", "rocm_ipc", "rocm_copy", "rocm_gdr",
        "ze_copy", "ze_ipc", "ze_gdr",
    };
    size_t i;

    for (i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
        if (strcmp(tl, mem[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int fg_lane_set_equal(const fg_lane_set_t *a, const fg_lane_set_t *b)
{
    size_t i;

    if (a->n != b->n) {
        return 0;
    }
    for (i = 0; i < a->n; i++) {
        if (strcmp(a->lane[i].transport, b->lane[i].transport) != 0 ||
            strcmp(a->lane[i].device, b->lane[i].device) != 0) {
            return 0;
        }
    }
    return 1;
}

int fg_lane_set_add(fg_lane_set_t *set, const char *transport,
                    const char *device, const char *usage)
{
    fg_lane_t *l;

    if (set->n >= FG_MAX_LANES) {
        return -1;
    }
    l = &set->lane[set->n++];
    fg_strlcpy(l->transport, transport ? transport : "", sizeof(l->transport));
    fg_strlcpy(l->device, device ? device : "", sizeof(l->device));
    fg_strlcpy(l->usage, usage ? usage : "", sizeof(l->usage));
    return 0;
}
