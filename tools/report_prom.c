/* `fabguard report --prometheus`: the report's counts in the Prometheus text
 * exposition format (version 0.0.4), for node_exporter's textfile collector.
 * Names follow Prometheus' conventions: a fabguard_ prefix, counters end in
 * _total, units in the name, labels in snake_case. Label cardinality is
 * bounded: per label, the values with the most events are kept and the rest
 * are summed into the value "other" (a new pod name per rollout must not
 * grow the series without end). */
#include <stdlib.h>
#include <string.h>

#include "fabguard/common.h"
#include "report.h"

#define NLAB 4

typedef struct {
    const char *lab[NLAB];
    long        n;
} entry_t;

typedef struct {
    const char *v;
    long        n;
} vtot_t;

static int sort_dim;   /* the label qsort compares (qsort has no context) */

static int by_label(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->lab[sort_dim], ((const entry_t *)b)->lab[sort_dim]);
}

static int by_count(const void *a, const void *b)
{
    const vtot_t *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->v, y->v);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const vtot_t *)a)->v, ((const vtot_t *)b)->v);
}

static int by_all(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int            d, c;
    for (d = 0; d < NLAB; d++) {
        if ((c = strcmp(x->lab[d], y->lab[d])) != 0) return c;
    }
    return 0;
}

/* Keeps the max-1 values of label D with the most counts, renames the rest
 * "other". Returns how many distinct values were folded (-1: no memory). */
static long fold(entry_t *e, size_t n, int d, int max)
{
    vtot_t *vt;
    size_t  i, nv = 0, keep;

    if (n == 0) return 0;
    sort_dim = d;
    qsort(e, n, sizeof(*e), by_label);
    if ((vt = malloc(n * sizeof(*vt))) == NULL) return -1;
    for (i = 0; i < n; i++) {
        if (nv > 0 && strcmp(vt[nv - 1].v, e[i].lab[d]) == 0) {
            vt[nv - 1].n += e[i].n;
        } else {
            vt[nv].v = e[i].lab[d];
            vt[nv].n = e[i].n;
            nv++;
        }
    }
    if (nv <= (size_t)max) {
        free(vt);
        return 0;
    }
    qsort(vt, nv, sizeof(*vt), by_count);
    keep = (size_t)max - 1;
    qsort(vt, keep, sizeof(*vt), by_name);
    for (i = 0; i < n; i++) {
        vtot_t key = { e[i].lab[d], 0 };
        if (bsearch(&key, vt, keep, sizeof(*vt), by_name) == NULL) e[i].lab[d] = "other";
    }
    free(vt);
    return (long)(nv - keep);
}

static void label_value(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '\\') fputs("\\\\", o);
        else if (*s == '"') fputs("\\\"", o);
        else if (*s == '\n') fputs("\\n", o);
        else fputc(*s, o);
    }
    fputc('"', o);
}

static void head(FILE *o, const char *name, const char *type, const char *help)
{
    fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Sorts, merges equal label sets and prints one sample per set. */
static void samples(FILE *o, const char *name, entry_t *e, size_t n, const char *const *labels, int nlab)
{
    size_t i;
    int    d;

    qsort(e, n, sizeof(*e), by_all);
    for (i = 0; i < n; i++) {
        long sum = e[i].n;
        while (i + 1 < n && by_all(&e[i], &e[i + 1]) == 0) sum += e[++i].n;
        fputs(name, o);
        for (d = 0; d < nlab; d++) {
            fprintf(o, "%c%s=", d ? ',' : '{', labels[d]);
            label_value(o, e[i].lab[d]);
        }
        fprintf(o, "%s %ld\n", nlab ? "}" : "", sum);
    }
}

static void by_verdict(FILE *o, const char *name, const char *help, const long *v)
{
    static const char *const names[V_COUNT] = { "ok", "violation", "info" };
    int                      k;

    head(o, name, "counter", help);
    for (k = 0; k < V_COUNT; k++) fprintf(o, "%s{verdict=\"%s\"} %ld\n", name, names[k], v[k]);
}

/* libfabric fabrics (fi_fabric: the provider judged) and domains (fi_domain:
 * the domain judged) by provider and verdict, in two families. E has room
 * for nfi * V_COUNT entries. Returns the provider values folded. */
static long libfabric_opens(FILE *o, const report_t *r, entry_t *e, int max)
{
    static const char *const names[V_COUNT] = { "ok", "violation", "info" };
    static const char *const flabels[2]     = { "provider", "verdict" };
    long                     folded = 0, f;
    size_t                   n;
    int                      i, k, dom;

    for (dom = 0; dom < 2; dom++) {
        n = 0;
        for (i = 0; i < r->nfi; i++) {
            for (k = 0; k < V_COUNT; k++) {
                long c = dom ? r->fi[i].domain[k] : r->fi[i].fabric[k];
                if (c == 0) continue;
                e[n].lab[0] = r->fi[i].provider;
                e[n].lab[1] = names[k];
                e[n].lab[2] = e[n].lab[3] = "";
                e[n].n      = c;
                n++;
            }
        }
        if ((f = fold(e, n, 0, max)) > folded) folded = f;
        if (dom) {
            head(o, "fabguard_libfabric_domains_total", "counter",
                 "libfabric domains opened (fi_domain), by provider and verdict of the domain rules.");
            samples(o, "fabguard_libfabric_domains_total", e, n, flabels, 2);
        } else {
            head(o, "fabguard_libfabric_fabrics_total", "counter",
                 "libfabric fabrics opened (fi_fabric), by provider and verdict of the provider rule.");
            samples(o, "fabguard_libfabric_fabrics_total", e, n, flabels, 2);
        }
    }
    return folded;
}

int report_prometheus(const report_t *r, FILE *o, int max)
{
    static const char *const vlabels[NLAB] = { "rule", "host", "pod", "program" };
    static const char *const tlabels[1] = { "transport" };
    static const char *const reasons[5] = { "", "no_json", "malformed", "not_event", "too_long" };
    entry_t *e;
    size_t   i, n = 0, cap = 16;
    long     folded[NLAB + 2] = { 0 };
    int      k, d;
    char   (*tl)[100] = NULL;

    for (i = 0; i < r->ng; i++) cap += (size_t)r->g[i].nrv + (size_t)r->g[i].nlane;
    cap += (size_t)r->nfi * V_COUNT;
    if ((e = calloc(cap, sizeof(*e))) == NULL || (tl = calloc(cap, sizeof(*tl))) == NULL) {
        free(e);
        return -1;
    }

    head(o, "fabguard_events_total", "counter", "Events read from fabguard event logs.");
    fprintf(o, "fabguard_events_total %ld\n", r->events);
    head(o, "fabguard_processes_total", "counter",
         "Processes that wrote an exit summary; not_checked: UCX/NCCL loaded but never seen (bypassed).");
    fprintf(o, "fabguard_processes_total{state=\"checked\"} %ld\n", r->procs_checked);
    fprintf(o, "fabguard_processes_total{state=\"not_checked\"} %ld\n", r->procs_not_checked);
    by_verdict(o, "fabguard_ucx_endpoints_total", "UCX endpoint verdicts (an endpoint whose lanes change is judged again).",
               r->ep_verdict);
    by_verdict(o, "fabguard_nccl_communicators_total", "NCCL communicator verdicts.", r->comm_verdict);

    /* violations by rule, host, pod and program */
    for (i = 0; i < r->ng; i++) {
        const group_t *g = &r->g[i];
        for (k = 0; k < g->nrv; k++) {
            e[n].lab[0] = r->rules[g->rv[k].rule].rule;
            e[n].lab[1] = g->host;
            e[n].lab[2] = g->pod;
            e[n].lab[3] = g->prog;
            e[n].n      = g->rv[k].n;
            n++;
        }
    }
    for (d = 0; d < NLAB; d++) folded[d] = fold(e, n, d, max);
    head(o, "fabguard_violations_total", "counter",
         "Policy violations by rule, host, pod (from kubectl --prefix lines; empty when unknown) and program.");
    samples(o, "fabguard_violations_total", e, n, vlabels, NLAB);

    /* data lanes of UCX endpoint events, by transport */
    n = 0;
    for (i = 0; i < r->ng; i++) {
        const group_t *g = &r->g[i];
        for (k = 0; k < g->nlane; k++) {
            char *slash;
            fg_strlcpy(tl[n], g->lane[k], sizeof(tl[n]));
            if ((slash = strchr(tl[n], '/')) != NULL) *slash = '\0';
            e[n].lab[0] = tl[n];
            e[n].lab[1] = e[n].lab[2] = e[n].lab[3] = "";
            e[n].n      = g->lane_n[k];
            n++;
        }
    }
    folded[NLAB] = fold(e, n, 0, max);
    head(o, "fabguard_ucx_lanes_total", "counter", "Data lanes of judged UCX endpoints, by transport.");
    samples(o, "fabguard_ucx_lanes_total", e, n, tlabels, 1);

    folded[NLAB + 1] = libfabric_opens(o, r, e, max);

    head(o, "fabguard_report_lines_skipped_total", "counter", "Log lines that were not fabguard events, by reason.");
    for (k = 1; k < 5; k++) fprintf(o, "fabguard_report_lines_skipped_total{reason=\"%s\"} %ld\n", reasons[k], r->skipped[k]);
    head(o, "fabguard_report_label_values_folded", "gauge",
         "Distinct label values summed into \"other\" to bound the number of series.");
    for (d = 0; d <= NLAB + 1; d++) {
        fprintf(o, "fabguard_report_label_values_folded{label=\"%s\"} %ld\n",
                d < NLAB ? vlabels[d] : d == NLAB ? "transport" : "provider", folded[d] > 0 ? folded[d] : 0);
    }
    head(o, "fabguard_report_duplicate_paths", "gauge", "Links to log files or folders already read, or to nothing (skipped).");
    fprintf(o, "fabguard_report_duplicate_paths %ld\n", r->dup_paths);
    free(e);
    free(tl);
    return ferror(o) ? -1 : 0;
}
