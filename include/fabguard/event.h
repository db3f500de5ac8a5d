/* The JSON Lines event of the design, formatted into a caller's buffer with
 * no allocation (so the abort path can use it). */
#ifndef FABGUARD_EVENT_H
#define FABGUARD_EVENT_H

#include <stddef.h>
#include <time.h>
#include "fabguard/lanes.h"

typedef struct {
    const char *key;
    const char *value;
    int         raw;     /* 1: value is already JSON (number, array, object) */
} fg_kv_t;

typedef struct {
    const char      *lib;       /* ucx | nccl | fabguard */
    const char      *event;     /* context worker endpoint comm channel net policy summary (+ resolve) */
    const char      *verdict;   /* ok | violation | info */
    const char      *rule;      /* required when verdict is violation */
    const char      *detail;
    const fg_lane_t *lanes;     /* UCX endpoint events */
    size_t           nlanes;
    const char      *comm;      /* NCCL */
    long             rank;      /* -1 unknown */
    long             nranks;    /* -1 unknown */
    const fg_kv_t   *extra;
    size_t           nextra;
    /* additive (rails), NULL = absent: the GPU whose memory the endpoint or
     * communicator moves, as a PCI bus id ("0000:36:00.0", or NCCL's
     * "36000"), and the NIC(s) it goes through ("mlx5_0"; several
     * comma-separated) */
    const char      *gpu;
    const char      *nic;
} fg_event_t;

typedef struct {
    struct timespec ts;         /* CLOCK_REALTIME */
    const char     *host;
    long            pid;
    const char     *prog;
    long            fork_parent; /* 0 = not a forked child */
} fg_event_origin_t;

void fg_event_init(fg_event_t *ev, const char *lib, const char *event,
                   const char *verdict);
/* One line ending in '\n'. Returns its length; when cap is too small the
 * line is cut at a field boundary and still closed as valid JSON. */
size_t fg_event_format(const fg_event_t *ev, const fg_event_origin_t *origin,
                       char *buf, size_t cap);
/* "2026-11-24T06:50:21.123Z" (async-signal-safe, no localtime). */
void fg_format_utc_ms(const struct timespec *ts, char *buf, size_t cap);

/* UCX-style template: %h host, %p pid, %e program, %t time (seconds since
 * epoch... formatted yyyy-mm-dd-HH:MM:SS), %u user, %% percent.
 * Returns 0, or -1 with a reason in err_reason on an unknown %-sequence or
 * overflow. Expanded values are sanitised: '/' and leading '.' replaced so a
 * program or user name cannot escape the template's directory. */
typedef struct {
    const char *host;
    long        pid;
    const char *prog;
    time_t      time;
    const char *user;
} fg_template_vars_t;

int fg_template_expand(const char *tmpl, const fg_template_vars_t *vars,
                       char *out, size_t cap, const char **err_reason);

#endif
