/* Reading event lines back (for `fabguard report`): finds the JSON object in
 * a line that may carry a prefix (kubectl logs --prefix, timestamps), parses
 * it with a strict, bounded parser and extracts the design's fields. */
#ifndef FABGUARD_EVENT_READ_H
#define FABGUARD_EVENT_READ_H

#include <stddef.h>

#define FG_READ_LINE_MAX  (1024 * 1024)  /* longer lines are skipped */
#define FG_READ_DEPTH_MAX 32
#define FG_READ_LANES_MAX 32

typedef struct {
    char prefix[128];             /* text before the object, e.g. "[pod/x/c] " */
    char ts[40], host[128], prog[128], lib[16], event[16], verdict[16];
    char rule[64], detail[256], comm[40];
    char gpu[32], nic[128];       /* additive (rails): "gpu" and "nic", "" absent */
    long pid, rank, nranks, fork_parent;
    char lane_tl[FG_READ_LANES_MAX][32];
    char lane_dev[FG_READ_LANES_MAX][64];
    int  nlanes;
    long counts_endpoints, counts_comms, counts_violations;   /* summary; -1 absent */
    int  unobserved;   /* summary with a non-empty "unobserved" list */
    /* lib=libfabric events: provider, domain, fi_api ("" when absent) */
    char fi_provider[64], fi_domain[128], fi_api[48];
} fg_event_rec_t;

typedef enum {
    FG_READ_OK = 0,
    FG_READ_NO_OBJECT,      /* no '{' in the line */
    FG_READ_BAD_JSON,       /* malformed, too deep */
    FG_READ_NOT_EVENT,      /* valid JSON, required keys missing */
    FG_READ_TOO_LONG
} fg_read_status_t;

fg_read_status_t fg_event_read_line(const char *line, size_t len, fg_event_rec_t *rec);
const char      *fg_read_status_name(fg_read_status_t s);

#endif
