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
#include "fabguard/json.h"
#include "fabguard/ucx_text.h"
#include "fabguard/sysread.h"
#include "cli.h"
#include "explain.h"

#define MAX_UNION 4096
#define MAX_NOTES 4

typedef struct {
    size_t f0, nf;         /* findings in the fvec */
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

/* Policy on the data lanes; notes on how the configuration moves data. */
static int judge_config(const fg_policy_t *pol, const fg_ifset_t *mgmt, const fg_ucx_config_t *c,
                        cfg_verdict_t *v, fvec_t *fv)
{
    fg_lane_set_t *set = calloc(1, sizeof(*set));
    fg_findings_t  f;
    long           at;
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
    if ((at = fvec_add(fv, &f)) < 0) {
        return -1;
    }
    v->f0 = (size_t)at;
    v->nf = f.n;
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

static void put_config(jout_t *j, const fg_ucx_config_t *c, const cfg_verdict_t *v, const fvec_t *fv)
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
    fg_json_kv_str(sb, &f, "verdict", v->nf ? "violation" : "ok");
}

static void print_config(FILE *out, const fg_ucx_config_t *c, const cfg_verdict_t *v, const fvec_t *fv)
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
    fprintf(out, "    verdict: %s\n", v->nf ? "VIOLATION" : "ok");
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
    fvec_t         fv = { NULL, 0, 0 };

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
    if (v == NULL) {
        fg_ucx_text_free(&t);
        return cli_usage_error("explain", "out of memory");
    }
    for (i = 0; i < t.n; i++) {
        if (judge_config(pol, &mgmt, &t.cfg[i], &v[i], &fv) < 0) {
            free(v);
            free(fv.v);
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
            free(fv.v);
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
            put_config(j, &t.cfg[i], &v[i], &fv);
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
            print_config(out, &t.cfg[i], &v[i], &fv);
        }
        if (t.n == 0) {
            fprintf(out, "  no endpoint configuration in this output (benchmark results and device\n"
                         "  lists name no lanes); run with UCX_LOG_LEVEL=info to see them\n");
        }
    }
    free(v);
    free(fv.v);
    fg_ucx_text_free(&t);
    if (rc != 0) {
        return rc;
    }
    return violations ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
