/* `fabguard explain`: the NCCL and UCX halves share this interface.
 * Each prints (human or --json) to out and returns the exit status:
 * 0 clean, 1 violations, 2 input error. */
#ifndef FG_TOOLS_EXPLAIN_H
#define FG_TOOLS_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>
#include "fabguard/common.h"
#include "fabguard/finding.h"
#include "fabguard/policy.h"
#include "fabguard/topo.h"

int explain_looks_like_nccl(const char *text, size_t len);
int explain_nccl(const char *name, const char *text, size_t len,
                 const fg_policy_t *pol, int json, FILE *out);
/* libfabric: fi_info output and FI_LOG_LEVEL lines (tools/explain_fi.c) */
int explain_looks_like_fi(const char *text, size_t len);
int explain_fi(const char *name, const char *text, size_t len,
               const fg_policy_t *pol, int json, FILE *out);
int explain_ucx(const char *name, const char *text, size_t len,
                const fg_policy_t *pol, int json, FILE *out);

/* JSON streamed to a FILE in bounded memory: callers add one element at a
 * time and call jout_step between elements, which flushes what is built.
 * Nothing is ever cut: an element larger than half the buffer is an error
 * (ok = 0), reported by jout_end. */
typedef struct {
    fg_sbuf_t sb;
    char      buf[1 << 16];
    FILE     *out;
    int       ok;
} jout_t;

void jout_begin(jout_t *j, FILE *out);
void jout_step(jout_t *j);
int  jout_end(jout_t *j);   
/* Findings of many units kept compactly (a unit with none costs nothing). */
typedef struct {
    fg_finding_t *v;
    size_t        n, cap;
} fvec_t;
/* Appends f's findings; returns their first index, or -1 on OOM. */
long fvec_add(fvec_t *fv, const fg_findings_t *f);

/* Rails (explain --root DIR): the node's GPU-NIC table NCCL channels are
 * judged against; NULL (the default) judges only what needs no tree. */
void explain_set_topo(const fg_topo_t *t);

#endif
