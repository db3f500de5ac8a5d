/* The tallies of `fabguard report`, shared by its table/JSON printer
 * (cmd_report.c) and its Prometheus writer (report_prom.c). */
#ifndef FG_TOOLS_REPORT_H
#define FG_TOOLS_REPORT_H

#include <stdio.h>
#include <sys/types.h>

#define MAX_LANE_KINDS 24
#define MAX_RULE_HOSTS 8
#define MAX_FI_KINDS   8     /* libfabric provider@domain kinds per group */
#define MAX_FI_TALLY   256   /* distinct providers tallied; the rest are "other" */

/* Violations of one rule inside one host/pod/program group. */
typedef struct {
    int  rule;   /* index into report_t.rules */
    long n;
} rule_count_t;

typedef struct {
    char key[300], host[128], pod[96], prog[128];
    long events, violations, endpoints, comms, processes;
    char lane[MAX_LANE_KINDS][100];
    long lane_n[MAX_LANE_KINDS];
    int  nlane;
    char nccl_net[64];
    int  tcp, mgmt, gdr_off;
    rule_count_t *rv;
    int           nrv, rvcap;
    /* processes that said some UCX/NCCL calls were not seen: not checked */
    long unchecked, unchecked_pid[32];
    int  nunchecked_pid;
    char unchecked_why[256];
    /* lib=libfabric domain events: "provider@domain" kinds and their counts */
    char fi_dom[MAX_FI_KINDS][200];
    long fi_dom_n[MAX_FI_KINDS];
    int  nfi_dom;
} group_t;

/* libfabric fabrics and domains opened, by provider and verdict (fabric
 * events judge the provider, domain events the domain). */
typedef struct {
    char provider[64];
    long fabric[3], domain[3];   /* by V_OK, V_VIOLATION, V_INFO */
} fi_tally_t;

typedef struct {
    char rule[64], example[256];
    long count;
    char hosts[MAX_RULE_HOSTS][128];
    int  nhosts;
    int  more_hosts;   /* hosts beyond MAX_RULE_HOSTS were seen */
} rule_t;

/* (st_dev, st_ino) of every file and folder read: open addressing. */
typedef struct {
    dev_t  *dev;
    ino_t  *ino;
    size_t  n, cap;
} idset_t;

/* Rails: one row per host and GPU, from events carrying "gpu" (bus id):
 * the NICs its traffic went through ("nic", else the network lanes'
 * devices) and how many of its events were topology findings. */
#define MAX_RAIL_NICS 8
typedef struct {
    char key[168], host[128], gpu[32];
    char nic[MAX_RAIL_NICS][48];
    int  nnic;
    long events, wrong_rail, same_host;
} rail_row_t;

typedef struct {
    rail_row_t *row;
    size_t      n, cap;   /* open addressing over slots: cap is a power of two */
    size_t     *slots;
} rails_t;

enum { V_OK, V_VIOLATION, V_INFO, V_COUNT };

typedef struct {
    group_t *g;
    size_t   ng, cap;     /* open addressing: cap is a power of two */
    size_t  *slots;
    rule_t  *rules;
    int      nrules, rcap;
    long     events, lines, skipped[5];
    long     procs_checked, procs_not_checked;
    long     ep_verdict[V_COUNT], comm_verdict[V_COUNT];
    long     dup_paths;   /* links to a file or folder already read, or dangling */
    rails_t  rails;       /* additive: GPU -> NICs per host */
    idset_t  seen;
    int      errors;
    fi_tally_t *fi;       /* libfabric opens by provider */
    int         nfi, ficap;
} report_t;

/* Writes the Prometheus text exposition format; at most max_values distinct
 * values per label (the rest folded into "other"). 0, or -1 on a write error. */
int report_prometheus(const report_t *r, FILE *out, int max_values);

#endif
