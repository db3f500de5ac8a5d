/* The meeting point of libfabguard.so (the preload) and
 * libfabguard-audit.so (the LD_AUDIT module). The audit module lives in its
 * own link namespace with its own libc: it cannot call into the preload's
 * libc, so the two share nothing but this one data object, which the
 * preload exports as `fabguard_audit_gate` and the audit module finds in
 * the preload's dynamic symbol table when the preload is mapped.
 *
 * Every field the audit module reads before the preload is relocated is
 * plain data (no pointer); pointers are valid once `self` points at the
 * gate itself (its RELATIVE relocation has been applied). */
#ifndef FABGUARD_AUDIT_GATE_H
#define FABGUARD_AUDIT_GATE_H

#include <stdint.h>

#define FG_GATE_MAGIC   0x46474154u   /* "FGAT" */
#define FG_GATE_VERSION 1u
#define FG_GATE_NAMES   13            /* UCX entry points the preload wraps */
#define FG_GATE_SLOTS   4             /* UCX copies told apart per name */
#define FG_GATE_NAMELEN 24

/* Why a binding could not be redirected to the preload (bits of `unseen`). */
enum {
    FG_UNSEEN_EARLY     = 1u << 0,   /* bound before the preload was relocated */
    FG_UNSEEN_SLOTS     = 1u << 1,   /* more UCX copies than FG_GATE_SLOTS */
    FG_UNSEEN_NAMESPACE = 1u << 2    /* a UCX copy in a dlmopen namespace */
};

typedef struct fg_audit_gate {
    uint32_t magic, version, nnames, nslots;
    char     names[FG_GATE_NAMES][FG_GATE_NAMELEN];
    /* written by the audit module */
    volatile uint32_t attached;      /* 1: la_objopen saw the preload */
    volatile uint32_t unseen;        /* FG_UNSEEN_* bits */
    volatile uint32_t redirected;    /* bindings sent to an entry */
    char              unseen_object[128];   /* first object concerned */
    volatile uintptr_t real[FG_GATE_NAMES][FG_GATE_SLOTS];   /* 0 = free */
    /* relocated pointers, valid once self == the gate's own address */
    const struct fg_audit_gate *self;
    void *entry[FG_GATE_NAMES][FG_GATE_SLOTS];
} fg_audit_gate_t;

#endif
