/* How a library module (UCX, NCCL) hands core what core must run for it
 * at fork and exit, without core naming the module: the module registers
 * its ops (from its constructor and again at its first call: idempotent),
 * core calls them through the table. A leaf: it names no other file. */
#ifndef FG_SHIM_MODULE_H
#define FG_SHIM_MODULE_H

#include <stddef.h>

#define FG_HIDDEN __attribute__((visibility("hidden")))

typedef struct {
    const char *name;                     /* "ucx", "nccl" */
    void (*after_fork)(void);             /* in the child; NULL = nothing */
    void (*at_exit)(void);                /* before the summary; NULL = nothing */
    /* Asked only when the library is loaded and no context/communicator was
     * seen. unobserved_reason: NULL = loaded, never used; else why the
     * process was not checked ("bypassed: …", "ucp_init failed: …").
     * loaded_unused: 1 when every loaded copy provably never ran. */
    const char *(*unobserved_reason)(void);
    int (*loaded_unused)(void);
} fg_module_ops_t;

/* `ops` must live for the whole process (a static const). */
FG_HIDDEN void fg_core_register_module(const fg_module_ops_t *ops);
/* The module registered under `name`, or NULL. */
FG_HIDDEN const fg_module_ops_t *fg_core_module(const char *name);
/* The i-th registered module (registration order), NULL past the last. */
FG_HIDDEN const fg_module_ops_t *fg_core_module_at(size_t i);

#endif
