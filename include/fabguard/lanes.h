/* The UCX lane model shared by the shim, `explain` and `pair`. */
#ifndef FABGUARD_LANES_H
#define FABGUARD_LANES_H

#include <stddef.h>

#define FG_MAX_LANES 64   /* UCP_MAX_LANES is 16 in 1.13, 64 in newer UCX */

typedef struct {
    char transport[32];   /* "tcp", "rc_mlx5", "posix", "cuda_ipc", … */
    char device[64];      /* "eth0", "mlx5_0:1", "memory"; "" for a CM lane */
    char usage[64];       /* "am am_bw#0 rma_bw#1 wireup" as UCX prints it; "" unknown */
} fg_lane_t;

typedef struct {
    size_t    n;
    fg_lane_t lane[FG_MAX_LANES];
} fg_lane_set_t;

/* A connection-manager lane (tcp/rdmacm/sockcm with no device) carries no data. */
int fg_lane_is_cm(const fg_lane_t *lane);
/* A transport that stays inside the node (self, posix, cma, cuda_ipc, …). */
int fg_lane_is_memory(const char *transport);
/* Same transports and devices, in order (usage ignored). */
int fg_lane_set_equal(const fg_lane_set_t *a, const fg_lane_set_t *b);
/* Append; returns 0, or -1 when full. */
int fg_lane_set_add(fg_lane_set_t *set, const char *transport,
                    const char *device, const char *usage);

#endif
