/* `fabguard explain`: the NCCL and UCX halves share this interface.
 * Each prints (human or --json) to out and returns the exit status:
 * 0 clean, 1 violations, 2 input error. */
#ifndef FG_TOOLS_EXPLAIN_H
#define FG_TOOLS_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>
#include "fabguard/policy.h"

int explain_looks_like_nccl(const char *text, size_t len);
int explain_nccl(const char *name, const char *text, size_t len,
                 const fg_policy_t *pol, int json, FILE *out);
/* libfabric: fi_info output and FI_LOG_LEVEL lines (tools/explain_fi.c) */
int explain_looks_like_fi(const char *text, size_t len);
int explain_fi(const char *name, const char *text, size_t len,
               const fg_policy_t *pol, int json, FILE *out);
int explain_ucx(const char *name, const char *text, size_t len,
                const fg_policy_t *pol, int json, FILE *out);

#endif
