/* The policy engine, shared by the shim and the CLI.
 * INI file named by FABGUARD_POLICY; every key overridable by
 * FABGUARD_<SECTION>_<KEY> (section "fabguard" drops its name).
 * Precedence: environment > file > built-in defaults. */
#ifndef FABGUARD_POLICY_H
#define FABGUARD_POLICY_H

#include <stddef.h>
#include "fabguard/common.h"
#include "fabguard/pcidist.h"

typedef enum { FG_MODE_OFF, FG_MODE_LOG, FG_MODE_WARN, FG_MODE_ENFORCE } fg_mode_t;
typedef enum { FG_ACT_ABORT, FG_ACT_EXIT, FG_ACT_FAIL } fg_action_t;
typedef enum { FG_GDR_ANY, FG_GDR_REQUIRE } fg_gdr_t;
/* [topology]: how strictly the path is judged beyond "not TCP". warn
 * reports (verdict info, never acted on); require is a violation. */
typedef enum { FG_RAIL_ANY, FG_RAIL_WARN, FG_RAIL_REQUIRE } fg_rail_t;
typedef enum { FG_SAMEHOST_ANY, FG_SAMEHOST_WARN, FG_SAMEHOST_REQUIRE_NVLINK } fg_samehost_t;

/* A comma-separated list. Items are shell globs; an item may hold
 * alternatives separated by '|' ("rc*|dc*|ud*"). */
typedef struct {
    size_t n;
    char **item;
} fg_list_t;

typedef enum {
    FG_KEY_MODE, FG_KEY_ON_VIOLATION, FG_KEY_LOG, FG_KEY_MANAGEMENT_IFACES,
    FG_KEY_ONLY_PROGRAMS, FG_KEY_SKIP_PROGRAMS,
    FG_KEY_UCX_FORBID_TRANSPORTS, FG_KEY_UCX_REQUIRE_TRANSPORTS,
    FG_KEY_UCX_ALLOW_DEVICES, FG_KEY_UCX_GPU_DIRECT_RDMA,
    FG_KEY_NCCL_REQUIRE_NET, FG_KEY_NCCL_FORBID_TRANSPORTS,
    FG_KEY_NCCL_ALLOW_HCAS, FG_KEY_NCCL_GPU_DIRECT_RDMA,
    FG_KEY_LIBFABRIC_FORBID_PROVIDERS, FG_KEY_LIBFABRIC_ALLOW_DOMAINS,
    FG_KEY_LIBFABRIC_HMEM,
    FG_KEY_TOPO_RAIL_AFFINITY, FG_KEY_TOPO_RAIL_MAX_DISTANCE,
    FG_KEY_TOPO_SAME_HOST_GPU,
    FG_KEY_COUNT
} fg_key_t;

typedef enum { FG_SRC_DEFAULT, FG_SRC_FILE, FG_SRC_ENV } fg_source_kind_t;

typedef struct {
    fg_source_kind_t kind;
    unsigned         line;      /* FG_SRC_FILE */
} fg_source_t;

typedef struct fg_policy {
    fg_mode_t   mode;
    fg_action_t on_violation;
    char       *log;                 /* "" = no event log; "stderr"; or a template */
    fg_list_t   management_ifaces;   /* "auto" or names/globs */
    fg_list_t   only_programs;
    fg_list_t   skip_programs;
    struct {
        fg_list_t forbid_transports;
        fg_list_t require_transports;
        fg_list_t allow_devices;
        fg_gdr_t  gpu_direct_rdma;
    } ucx;
    struct {
        char     *require_net;       /* "IB", "Socket", plugin name, or "any" */
        fg_list_t forbid_transports;
        fg_list_t allow_hcas;
        fg_gdr_t  gpu_direct_rdma;
    } nccl;
    struct {
        fg_list_t forbid_providers;  /* globs on the provider name or one of its ';' layers */
        fg_list_t allow_domains;     /* domain names (netdev for tcp/sockets); empty = any */
        fg_gdr_t  hmem;              /* require: the domain must offer FI_HMEM */
    } libfabric;
    struct {
        fg_rail_t     rail_affinity;
        fg_dist_t     rail_max_distance;   /* worst acceptable GPU-NIC distance */
        fg_samehost_t same_host_gpu;
    } topology;
    char        file[256];           /* policy file loaded, "" if none */
    fg_source_t source[FG_KEY_COUNT];
} fg_policy_t;

/* Static description of each key (for the CLI and did-you-mean). */
typedef struct {
    fg_key_t    key;
    const char *section;   /* "fabguard", "ucx", "nccl", "libfabric", "topology" */
    const char *name;      /* "forbid_transports" */
    const char *env;       /* "FABGUARD_UCX_FORBID_TRANSPORTS" */
    const char *def;       /* built-in default, as text */
    const char *help;
} fg_key_info_t;

const fg_key_info_t *fg_policy_keys(size_t *count_p);

/* Lookup for environment values; the shim passes a safe getenv
 * (secure_getenv), tests pass their own. */
typedef const char *(*fg_getenv_fn)(const char *name);

void fg_policy_init_defaults(fg_policy_t *pol);
void fg_policy_free(fg_policy_t *pol);

/* Parse INI text; name is used in errors. Returns 0 or -1 with err set. */
int fg_policy_load_text(fg_policy_t *pol, const char *name,
                        const char *text, size_t len, fg_error_t *err);
/* Read and parse a file (regular files only, bounded size). */
int fg_policy_load_file(fg_policy_t *pol, const char *path, fg_error_t *err);
/* Apply FABGUARD_* overrides. Unknown FABGUARD_* names are not seen here
 * (only known keys are looked up). */
int fg_policy_apply_env(fg_policy_t *pol, fg_getenv_fn get, fg_error_t *err);
/* Unknown FABGUARD_* variables in envp are errors (did-you-mean). */
int fg_policy_check_env_names(char *const *envp, fg_error_t *err);
/* Whole sequence: defaults, FABGUARD_POLICY (or path if non-NULL), env. */
int fg_policy_load(fg_policy_t *pol, const char *path, fg_getenv_fn get,
                   fg_error_t *err);

/* Current value of a key as text (lists joined with ", "). */
void fg_policy_value_text(const fg_policy_t *pol, fg_key_t key,
                          char *buf, size_t cap);

/* Matching helpers. */
int fg_glob_match(const char *pattern, const char *name);        /* '|' alternatives */
int fg_list_match(const fg_list_t *list, const char *name);      /* any item */
int fg_list_empty(const fg_list_t *list);

const char *fg_mode_name(fg_mode_t m);
const char *fg_action_name(fg_action_t a);

/* Whether the shim should be inert for this program name. */
int fg_policy_program_selected(const fg_policy_t *pol, const char *prog);

#endif
