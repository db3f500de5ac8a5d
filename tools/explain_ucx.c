/* explain on UCX text: every configuration UCX printed (INFO ep_cfg / cfg#
 * lines, lane dumps, ucp_ep_print_info / ucx_info -e blocks, UCX_PROTO_INFO
 * tables), each judged like the shim judges an endpoint's lanes, with usage
 * (data vs control lanes, RMA emulated over AM) and intra/inter-node shown.
 * JSON keeps "lanes" (the union) and "violations", and adds "configs",
 * "resources" and "ucx_version". Streamed, never cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabguard/judge.h"
#include "fabguard/judge_topo.h"
#include "fabguard/json.h"
#include "fabguard/ucx_text.h"
#include "fabguard/sysread.h"
#include "cli.h"
#include "explain.h"

#define MAX_UNION 4096
#define MAX_NOTES 4

typedef struct {
    size_t f0, nf;         /* findings in the fvec */
    size_t a0, na;         /* advisories (topology rules under `warn`) in the adv fvec */
    char   note[MAX_NOTES][200];
    size_t nnotes;
} cfg_verdict_t;

static int is_network(const fg_lane_t *l)
{
    return l->device[0] != '\0' && !fg_lane_is_memory(l->transport);
}

static void add_note(cfg_verdict_t *v, const char *fmt, const char *a, const char *b)
{
    if (v->nnotes < MAX_NOTES) {
        snprintf(v->note[v->nnotes++], sizeof(v->note[0]), fmt, a, b);
    }
}

/* ---- same-host GPU traffic ------------------------------------------------ */

#define MAX_GPU_LINES 4096

/* Protocol-table headers of intra-node configurations naming CUDA memory
 * ("| ucp_context_0 intra-node cfg#1 | remote memory write by ucp_put*
 * from host memory to cuda/dev[0] |", "… from cuda/GPU0"): collected once. */
typedef struct {
    const char *line[MAX_GPU_LINES];
    size_t      len[MAX_GPU_LINES];
    size_t      n;
} gpu_lines_t;

static void collect_gpu_lines(const char *text, size_t len, gpu_lines_t *g)
{
    const char *p = text, *end = text + len;

    g->n = 0;
    while (p < end && g->n < MAX_GPU_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t      n  = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *k  = memmem(p, n, " intra-node cfg#", 16);
        if (k != NULL && memmem(k, n - (size_t)(k - p), "cuda", 4) != NULL) {
            g->line[g->n]  = p;
            g->len[g->n++] = n;
        }
        p = nl ? nl + 1 : end;
    }
}

/* 1 when the text proves this intra-node configuration moves GPU memory:
 * a CUDA lane (cuda_copy/cuda_ipc/gdr_copy), or its protocol table naming
 * cuda memory. */
static int config_moves_gpu(const fg_ucx_config_t *c, const gpu_lines_t *g)
{
    char        key[160];
    const char *cfg = strstr(c->name, " cfg#");
    size_t      i;

    for (i = 0; i < c->n; i++) {
        if (strncmp(c->lane[i].transport, "cuda", 4) == 0 || strcmp(c->lane[i].transport, "gdr_copy") == 0) {
            return 1;
        }
    }
    if (cfg == NULL) return 0;
    snprintf(key, sizeof(key), "%.*s intra-node%s", (int)(cfg - c->name), c->name, cfg);
    for (i = 0; i < g->n; i++) {
        const char *k = memmem(g->line[i], g->len[i], key, strlen(key));
        const char *e = k ? k + strlen(key) : NULL;
        if (k == NULL || (e < g->line[i] + g->len[i] && *e >= '0' && *e <= '9')) continue;
        if (c->proc[0] != '\0') {   /* same process: "[host:pid:tid]" prefix */
            const char *q = memmem(g->line[i], g->len[i], c->proc, strlen(c->proc));
            if (q == NULL || q[strlen(c->proc)] != ':') continue;
        }
        return 1;
    }
    return 0;
}

/* Topology judgement of one configuration: an intra-node one that moves
 * GPU memory without cuda_ipc (fg_judge_same_host_lanes). */
static void judge_same_host(const fg_policy_t *pol, const fg_ucx_config_t *c, const gpu_lines_t *g,
                            fg_findings_t *out)
{
    fg_lane_set_t *set;
    size_t         i;

    if (strcmp(c->scope, "intra-node") != 0 || !config_moves_gpu(c, g) ||
        (set = calloc(1, sizeof(*set))) == NULL) {
        return;
    }
    for (i = 0; i < c->n; i++) {
        if (fg_ucx_lane_is_data(&c->lane[i])) {
            fg_lane_set_add(set, c->lane[i].transport, c->lane[i].device, c->lane[i].usage);
        }
    }
    fg_judge_same_host_lanes(pol, set, out);
    free(set);
}

/* Policy on the data lanes; notes on how the configuration moves data. */
static int judge_config(const fg_policy_t *pol, const fg_ifset_t *mgmt, const fg_ucx_config_t *c,
                        const gpu_lines_t *g, cfg_verdict_t *v, fvec_t *fv, fvec_t *adv)
{
    fg_lane_set_t *set = calloc(1, sizeof(*set));
    fg_findings_t  f, a;
    long           at, aat;
    size_t         n;
    size_t         i;
    const char    *mem_am_only = NULL;

    memset(v, 0, sizeof(*v));
    for (i = 0; i < c->n; i++) {
        const fg_lane_t *l = &c->lane[i];
        if (set != NULL && fg_ucx_lane_is_data(l)) {
            fg_lane_set_add(set, l->transport, l->device, l->usage);
        }
        if ((strstr(l->usage, "rma_am") || strstr(l->usage, "amo_am")) && is_network(l)) {
            add_note(v, "RMA/atomics are emulated over active messages on %s/%s", l->transport, l->device);
        }
        if (fg_lane_is_memory(l->transport) && strcmp(l->transport, "self") != 0 &&
            fg_ucx_lane_is_data(l) && strstr(l->usage, "rma") == NULL && strstr(l->usage, "tag") == NULL) {
            mem_am_only = l->transport;
        }
    }
    if (strcmp(c->scope, "intra-node") == 0) {
        for (i = 0; i < c->n; i++) {
            const fg_lane_t *l = &c->lane[i];
            if (is_network(l) && fg_ucx_lane_is_data(l) && strstr(l->usage, "rma") != NULL) {
                add_note(v, "intra-node RMA goes over the network transport %s/%s", l->transport, l->device);
                break;
            }
        }
        if (mem_am_only != NULL) {
            add_note(v, "%s%s is present but carries active messages only", mem_am_only, "");
        }
    }
    if (set == NULL) {
        return -1;
    }
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_lanes(pol, mgmt, set, &f);
    free(set);
    judge_same_host(pol, c, g, &f);
    memset(&a, 0, sizeof(a));
    for (i = 0, n = 0; i < f.n; i++) {   /* rules under `warn`: advisories */
        if (fg_topo_finding_is_advisory(pol, &f.v[i])) {
            if (a.n < FG_MAX_FINDINGS) a.v[a.n++] = f.v[i];
        } else {
            f.v[n++] = f.v[i];
        }
    }
    f.n = n;
    if ((at = fvec_add(fv, &f)) < 0 || (aat = fvec_add(adv, &a)) < 0) {
        return -1;
    }
    v->f0 = (size_t)at;
    v->nf = f.n;
    v->a0 = (size_t)aat;
    v->na = a.n;
    return 0;
}

static void put_usage(fg_sbuf_t *sb, const char *usage)
{
    const char *p = usage;
    int         first = 1;

    fg_sb_putc(sb, '[');
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n > 0) {
            if (!first) fg_sb_putc(sb, ',');
            first = 0;
            fg_json_strn(sb, p, n);
        }
        p += n;
        while (*p == ' ') p++;
    }
    fg_sb_putc(sb, ']');
}

static void put_lane(fg_sbuf_t *sb, const fg_lane_t *l, int lead_comma)
{
    int f = 1;

    fg_sb_puts(sb, lead_comma ? ",{" : "{");
    fg_json_kv_str(sb, &f, "transport", l->transport);
    fg_json_kv_str(sb, &f, "device", l->device);
    fg_json_key(sb, &f, "usage");
    put_usage(sb, l->usage);
    fg_json_kv_str(sb, &f, "role", fg_ucx_lane_is_data(l) ? "data" : "control");
    fg_sb_putc(sb, '}');
}

static void put_config(jout_t *j, const fg_ucx_config_t *c, const cfg_verdict_t *v, const fvec_t *fv,
                       const fvec_t *adv)
{
    fg_sbuf_t *sb = &j->sb;
    int        f = 1, fi = 1;
    size_t     i;

    fg_json_kv_str(sb, &f, "proc", c->proc[0] ? c->proc : NULL);
    fg_json_kv_str(sb, &f, "name", c->name);
    fg_json_kv_str(sb, &f, "scope", c->scope[0] ? c->scope : NULL);
    fg_json_key(sb, &f, "lanes");
    fg_sb_putc(sb, '[');
    for (i = 0; i < c->n; i++) {
        put_lane(sb, &c->lane[i], i > 0);
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &f, "notes");
    fg_sb_putc(sb, '[');
    for (i = 0; i < v->nnotes; i++) {
        if (i) fg_sb_putc(sb, ',');
        fg_json_str(sb, v->note[i]);
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &f, "violations");
    fg_sb_putc(sb, '[');
    fg_findings_json(sb, fv->v + v->f0, v->nf, NULL, &fi);
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &f, "advisories");
    fg_sb_putc(sb, '[');
    fi = 1;
    fg_findings_json(sb, adv->v + v->a0, v->na, NULL, &fi);
    fg_sb_putc(sb, ']');
    fg_json_kv_str(sb, &f, "verdict", v->nf ? "violation" : v->na ? "info" : "ok");
}

static void print_config(FILE *out, const fg_ucx_config_t *c, const cfg_verdict_t *v, const fvec_t *fv,
                         const fvec_t *adv)
{
    size_t i;

    fprintf(out, "  %s%s%s%s%s%s\n", c->proc, c->proc[0] ? " " : "", c->name, c->scope[0] ? " (" : "",
            c->scope, c->scope[0] ? ")" : "");
    for (i = 0; i < c->n; i++) {
        const fg_lane_t *l = &c->lane[i];
        fprintf(out, "    lane %-2zu %-10s %-14s %-7s %s\n", i, l->transport,
                l->device[0] ? l->device : "(connection manager)",
                fg_ucx_lane_is_data(l) ? "data" : "control", l->usage);
    }
    if (c->n == 0) {
        fprintf(out, "    (no lanes)\n");
    }
    for (i = 0; i < v->nnotes; i++) {
        fprintf(out, "    note: %s\n", v->note[i]);
    }
    for (i = 0; i < v->nf; i++) {
        const fg_finding_t *f = &fv->v[v->f0 + i];
        cli_finding_line(out, "    ", f, NULL, 1);
    }
    for (i = 0; i < v->na; i++) {
        const fg_finding_t *f = &adv->v[v->a0 + i];
        fprintf(out, "    NOTE %s (%s, advisory) \xe2\x80\x94 %s\n", f->detail, f->rule, f->fix);
    }
    fprintf(out, "    verdict: %s\n", v->nf ? "VIOLATION" : v->na ? "info" : "ok");
}

int explain_ucx(const char *name, const char *text, size_t len,
                const fg_policy_t *pol, int json, FILE *out)
{
    fg_ucx_text_t  t;
    fg_ifset_t     mgmt;
    cfg_verdict_t *v;
    const char    *p = text, *end = text + len;
    size_t         i, k, violations = 0, nunion = 0;
    int            rc = 0;
    fvec_t         fv = { NULL, 0, 0 }, adv = { NULL, 0, 0 };
    gpu_lines_t   *g;

    fg_ucx_text_init(&t);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (fg_ucx_text_feed(&t, p, nl ? (size_t)(nl - p) : (size_t)(end - p)) < 0) {
            fg_ucx_text_free(&t);
            return cli_usage_error("explain", "out of memory");
        }
        p = nl ? nl + 1 : end;
    }
    if (t.ucx_lines == 0 && t.n == 0 && t.nres == 0) {
        fg_ucx_text_free(&t);
        fprintf(stderr, "fabguard explain: %s: no NCCL log lines and no UCX lanes found "
                        "(expected NCCL_DEBUG=INFO output, UCX_LOG_LEVEL=info output, "
                        "ucp_ep_print_info/ucx_info -e/-d output or UCX_PROTO_INFO=y tables)\n", name);
        return FG_EXIT_USAGE;
    }
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(pol, NULL, &mgmt);
    v = calloc(t.n + 1, sizeof(*v));
    g = malloc(sizeof(*g));
    if (v == NULL || g == NULL) {
        free(v);
        free(g);
        fg_ucx_text_free(&t);
        return cli_usage_error("explain", "out of memory");
    }
    collect_gpu_lines(text, len, g);
    for (i = 0; i < t.n; i++) {
        if (judge_config(pol, &mgmt, &t.cfg[i], g, &v[i], &fv, &adv) < 0) {
            free(v);
            free(g);
            free(fv.v);
            free(adv.v);
            fg_ucx_text_free(&t);
            return cli_usage_error("explain", "out of memory");
        }
        violations += v[i].nf;
    }
    if (json) {
        jout_t           *j = malloc(sizeof(*j));
        const fg_lane_t **uni = calloc(MAX_UNION, sizeof(*uni));
        int               fi = 1;
        if (j == NULL || uni == NULL) {
            free(j);
            free(uni);
            free(v);
            free(g);
            free(fv.v);
            free(adv.v);
            fg_ucx_text_free(&t);
            return cli_usage_error("explain", "out of memory");
        }
        for (i = 0; i < t.n; i++) {   /* union of lanes, first seen first */
            for (k = 0; k < t.cfg[i].n && nunion < MAX_UNION; k++) {
                const fg_lane_t *l = &t.cfg[i].lane[k];
                size_t           u;
                for (u = 0; u < nunion; u++) {
                    if (!strcmp(uni[u]->transport, l->transport) && !strcmp(uni[u]->device, l->device)) break;
                }
                if (u == nunion) uni[nunion++] = l;
            }
        }
        jout_begin(j, out);
        fg_sb_puts(&j->sb, "{\"lanes\":[");
        for (i = 0; i < nunion; i++) {
            int f = 1;
            fg_sb_puts(&j->sb, i ? ",{" : "{");
            fg_json_kv_str(&j->sb, &f, "transport", uni[i]->transport);
            fg_json_kv_str(&j->sb, &f, "device", uni[i]->device);
            fg_sb_putc(&j->sb, '}');
            jout_step(j);
        }
        fg_sb_puts(&j->sb, "],\"violations\":[");
        for (i = 0; i < fv.n; i++) {
            fg_findings_json(&j->sb, fv.v + i, 1, NULL, &fi);
            jout_step(j);
        }
        if (adv.n > 0) {   /* beside the design's keys only when there are any */
            fg_sb_puts(&j->sb, "],\"advisories\":[");
            fi = 1;
            for (i = 0; i < adv.n; i++) {
                fg_findings_json(&j->sb, adv.v + i, 1, NULL, &fi);
                jout_step(j);
            }
        }
        fg_sb_puts(&j->sb, "],\"ucx_version\":");
        fg_json_str(&j->sb, t.version[0] ? t.version : NULL);
        fg_sb_puts(&j->sb, ",\"resources\":[");
        for (i = 0; i < t.nres; i++) {
            int f = 1;
            fg_sb_puts(&j->sb, i ? ",{" : "{");
            fg_json_kv_str(&j->sb, &f, "transport", t.res[i].transport);
            fg_json_kv_str(&j->sb, &f, "device", t.res[i].device);
            fg_sb_putc(&j->sb, '}');
            jout_step(j);
        }
        fg_sb_puts(&j->sb, "],\"configs\":[");
        for (i = 0; i < t.n; i++) {
            fg_sb_puts(&j->sb, i ? ",{" : "{");
            put_config(j, &t.cfg[i], &v[i], &fv, &adv);
            fg_sb_putc(&j->sb, '}');
            jout_step(j);
        }
        fg_sb_puts(&j->sb, "]}");
        if (jout_end(j) < 0) {
            rc = cli_usage_error("explain", "%s: a JSON element did not fit its buffer", name);
        }
        free(j);
        free(uni);
    } else {
        fprintf(out, "%s: UCX%s%s, %zu configuration%s\n", name, t.version[0] ? " " : "", t.version, t.n,
                t.n == 1 ? "" : "s");
        if (t.nres > 0) {
            fprintf(out, "  resources:");
            for (i = 0; i < t.nres; i++) {
                fprintf(out, "%s %s/%s", i ? "," : "", t.res[i].transport, t.res[i].device);
            }
            fprintf(out, "\n");
        }
        for (i = 0; i < t.n; i++) {
            print_config(out, &t.cfg[i], &v[i], &fv, &adv);
        }
        if (t.n == 0) {
            fprintf(out, "  no endpoint configuration in this output (benchmark results and device\n"
                         "  lists name no lanes); run with UCX_LOG_LEVEL=info to see them\n");
        }
    }
    free(v);
    free(g);
    free(fv.v);
    free(adv.v);
    fg_ucx_text_free(&t);
    if (rc != 0) {
        return rc;
    }
    return violations ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
