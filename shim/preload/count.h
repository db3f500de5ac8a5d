/* Process-wide counters for the exit summary: a leaf every layer may bump. */
#ifndef FG_SHIM_COUNT_H
#define FG_SHIM_COUNT_H

#define FG_HIDDEN __attribute__((visibility("hidden")))

typedef enum {
    FG_COUNT_CONTEXTS, FG_COUNT_WORKERS, FG_COUNT_ENDPOINTS, FG_COUNT_COMMS,
    FG_COUNT_CHANNELS, FG_COUNT_VIOLATIONS, FG_COUNT_SUPPRESSED,
    FG_COUNT_LOST,          /* event lines dropped or cut (full disk, write error) */
    FG_COUNT_MAX
} fg_counter_t;

FG_HIDDEN void fg_count(fg_counter_t c);
FG_HIDDEN long fg_count_get(fg_counter_t c);
/* A forked child counts its own work from zero. */
FG_HIDDEN void fg_count_reset(void);

#endif
