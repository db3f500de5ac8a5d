/* explain on NCCL debug logs: one rank or a whole job. JSON: the design's
 * fields as the union over the file, "processes" (one entry per process,
 * its own facts, communicators and verdict) and "comms" (one entry per
 * communicator, and per process that never completed one). Linear in the
 * log; the JSON is streamed, never cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabguard/judge.h"
#include "fabguard/judge_topo.h"
#include "fabguard/json.h"
#include "fabguard/nccl_log.h"
#include "fabguard/sysread.h"
#include "cli.h"
#include "explain.h"

#define MAX_CLASSES 16
#define MAX_UNION   256

typedef struct {
    long   proc, comm;
    size_t f0, nf;   /* findings in the fvec */
    size_t a0, na;   /* advisories (topology rules under `warn`) in the adv fvec */
} unit_t;

typedef struct {
    int    inferred;            /* net was inferred */
    int    gdr;                 /* -1, 0, 1 */
    char   cls[MAX_CLASSES][48];
    size_t ncls;
    long   first_unit, nunits;  /* units of this process are contiguous */
    size_t violations;
    size_t advisories;
} proc_info_t;

void jout_begin(jout_t *j, FILE *out)
{
    fg_sb_init(&j->sb, j->buf, sizeof(j->buf));
    j->out = out;
    j->ok  = 1;
}

void jout_step(jout_t *j)
{
    if (j->sb.truncated) {
        j->ok = 0;
    }
    if (j->sb.len > sizeof(j->buf) / 2 || j->sb.truncated) {
        fwrite(j->buf, 1, j->sb.len, j->out);
        fg_sb_init(&j->sb, j->buf, sizeof(j->buf));
    }
}

int jout_end(jout_t *j)
{
    jout_step(j);
    fwrite(j->buf, 1, j->sb.len, j->out);
    fputc('\n', j->out);
    return j->ok ? 0 : -1;
}

long fvec_add(fvec_t *fv, const fg_findings_t *f)
{
    long start = (long)fv->n;

    if (f->n == 0) {
        return start;
    }
    if (fv->n + f->n > fv->cap) {
        size_t        cap = fv->cap ? fv->cap * 2 : 16;
        fg_finding_t *nv;
        while (cap < fv->n + f->n) cap *= 2;
        if ((nv = realloc(fv->v, cap * sizeof(*nv))) == NULL) {
            return -1;
        }
        fv->v   = nv;
        fv->cap = cap;
    }
    memcpy(fv->v + fv->n, f->v, f->n * sizeof(*f->v));
    fv->n += f->n;
    return start;
}

/* ---- rails and same-host channels (topology rules) ----------------------- */

static const fg_topo_t *g_topo;   /* explain --root: the node's rail table */

void explain_set_topo(const fg_topo_t *t)
{
    g_topo = t;
}

/* (commId, rank) -> comm, sorted once: which host a channel's peer is on. */
typedef struct {
    const char *comm_id;
    long        rank;
    long        comm;
} peer_key_t;

static int peer_cmp(const void *a, const void *b)
{
    const peer_key_t *x = a, *y = b;
    int               c = strcmp(x->comm_id, y->comm_id);

    return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

static peer_key_t *peer_index(const fg_nccl_log_t *log, size_t *n)
{
    peer_key_t *v = malloc((log->ncomms + 1) * sizeof(*v));
    size_t      i;

    *n = 0;
    if (v == NULL) return NULL;
    for (i = 0; i < log->ncomms; i++) {
        if (log->comms[i].comm_id[0] != '\0' && log->comms[i].rank >= 0) {
            v[*n].comm_id = log->comms[i].comm_id;
            v[*n].rank    = log->comms[i].rank;
            v[(*n)++].comm = (long)i;
        }
    }
    qsort(v, *n, sizeof(*v), peer_cmp);
    return v;
}

typedef struct {
    const fg_nccl_log_t *log;
    const peer_key_t    *idx;
    size_t               nidx;
} peer_ctx_t;

/* 1 when the peer rank's process of the same commId logged from this host
 * (NET between local ranks of a multi-node comm, or a log without nNodes). */
static int channel_intra_node(void *ctxp, const fg_nccl_comm_t *c, const fg_nccl_channel_t *ch)
{
    const peer_ctx_t    *ctx = ctxp;
    const fg_nccl_log_t *log = ctx->log;
    const peer_key_t    *idx = ctx->idx;
    size_t               nidx = ctx->nidx;
    peer_key_t           key, *hit;
    const char          *host = log->procs[c->proc].host;

    if (idx == NULL || c->comm_id[0] == '\0' || host[0] == '\0' || c->rank < 0) return 0;
    key.comm_id = c->comm_id;
    key.rank    = ch->from_rank == c->rank ? ch->to_rank : ch->from_rank;
    if (key.rank < 0 || key.rank == c->rank) return 0;
    hit = bsearch(&key, idx, nidx, sizeof(*idx), peer_cmp);
    return hit != NULL && strcmp(log->procs[log->comms[hit->comm].proc].host, host) == 0;
}

/* Topology findings of one communicator (fg_judge_topo_nccl_comm). */
static void judge_topo_comm(const fg_policy_t *pol, const fg_nccl_log_t *log, long comm,
                            const peer_key_t *idx, size_t nidx, fg_findings_t *out)
{
    peer_ctx_t ctx = { log, idx, nidx };

    if (comm < 0) return;
    fg_judge_topo_nccl_comm(pol, g_topo, &log->procs[log->comms[comm].proc], &log->comms[comm],
                            channel_intra_node, &ctx, out);
}

/* Moves f's topology findings that are advisories into adv. */
static void split_advisories(const fg_policy_t *pol, fg_findings_t *f, fg_findings_t *adv)
{
    size_t i, n = 0;

    memset(adv, 0, sizeof(*adv));
    for (i = 0; i < f->n; i++) {
        if (fg_topo_finding_is_advisory(pol, &f->v[i])) {
            if (adv->n < FG_MAX_FINDINGS) adv->v[adv->n++] = f->v[i];
        } else {
            f->v[n++] = f->v[i];
        }
    }
    f->n = n;
}

static void print_rail(FILE *out, const fg_nccl_comm_t *cm)
{
    if (cm->busid[0] == '\0' && cm->nnodes < 0) return;
    fprintf(out, "    gpu");
    if (cm->busid[0]) fprintf(out, " busId %s", cm->busid);
    if (cm->cuda_dev >= 0) fprintf(out, " cudaDev %ld", cm->cuda_dev);
    if (g_topo != NULL && cm->busid[0]) {
        int  g = fg_topo_gpu_by_busid(g_topo, cm->busid);
        char near[160];
        if (g >= 0) {
            fg_topo_nearest(g_topo, g, near, sizeof(near));
            fprintf(out, " = %s, nearest NIC %s (%s)%s", g_topo->gpu_bdf[g], near[0] ? near : "none",
                    fg_dist_name(g_topo->best[g]), g_topo->flat ? ", flat tree (VM): not judged" : "");
        } else {
            fprintf(out, " (not on the --root node)");
        }
    }
    if (cm->nnodes >= 0) fprintf(out, ", nNodes %ld localRanks %ld", cm->nnodes, cm->local_ranks);
    fprintf(out, "\n");
}

int explain_looks_like_nccl(const char *text, size_t len)
{
    return fg_nccl_text_is_log(text, len);
}

static void put_gdr(fg_sbuf_t *sb, int *first, int gdr)
{
    fg_json_key(sb, first, "gdr");
    fg_sb_puts(sb, gdr < 0 ? "null" : gdr ? "true" : "false");
}

/* GDR of a unit: explicit Disabled wins; else any NET channel decides. */
static int unit_gdr(const fg_nccl_log_t *log, const unit_t *u)
{
    const fg_nccl_proc_t *p = &log->procs[u->proc];
    int                   g = p->gdr;
    size_t                i;

    if (g == 0 || u->comm < 0) {
        return g;
    }
    for (i = 0; i < log->comms[u->comm].nch; i++) {
        int cg = log->comms[u->comm].channels[i].gdr;
        if (cg == 0) return 0;
        if (cg == 1) g = 1;
    }
    return g;
}

/* Per process: GPUDirect (a GDRDMA channel proves it; a Disabled line or a
 * NET channel without it disproves it) and the transport classes used. */
static void proc_facts(const fg_nccl_log_t *log, size_t pi, proc_info_t *pinfo)
{
    const fg_nccl_proc_t *p = &log->procs[pi];
    int                   any1 = 0, any0 = p->gdr == 0;
    long                  c;

    pinfo->ncls = 0;
    for (c = p->last_comm; c >= 0; c = log->comms[c].prev_in_proc) {
        size_t i, k;
        for (i = 0; i < log->comms[c].nch; i++) {
            const fg_nccl_channel_t *ch = &log->comms[c].channels[i];
            char                     cls[48];
            any1 |= ch->gdr == 1;
            any0 |= ch->gdr == 0 && strncmp(ch->transport, "NET/Socket", 10) != 0;   /* n/a on sockets */
            fg_nccl_transport_class(ch->transport, cls, sizeof(cls));
            for (k = 0; k < pinfo->ncls && strcmp(pinfo->cls[k], cls) != 0; k++) {}
            if (k == pinfo->ncls && k < MAX_CLASSES) {
                fg_strlcpy(pinfo->cls[pinfo->ncls++], cls, sizeof(pinfo->cls[0]));
            }
        }
    }
    pinfo->gdr = any1 ? 1 : any0 ? 0 : p->gdr;
}

static void put_channel(fg_sbuf_t *sb, const fg_nccl_channel_t *ch, int lead_comma)
{
    int f2 = 1;

    fg_sb_puts(sb, lead_comma ? ",{" : "{");
    fg_json_kv_long(sb, &f2, "channel", ch->channel);
    fg_json_kv_long(sb, &f2, "from_rank", ch->from_rank);
    fg_json_kv_long(sb, &f2, "to_rank", ch->to_rank);
    fg_json_kv_str(sb, &f2, "transport", ch->transport);
    put_gdr(sb, &f2, ch->gdr);
    fg_sb_putc(sb, '}');
}

static void put_devices(fg_sbuf_t *sb, const fg_nccl_proc_t *p)
{
    size_t i;

    fg_sb_putc(sb, '[');
    for (i = 0; i < p->ndev; i++) {
        if (i) fg_sb_putc(sb, ',');
        fg_json_str(sb, p->net_devices[i]);
    }
    fg_sb_putc(sb, ']');
}

/* Rails: the comm's GPU and node span (null when not logged). */
static void put_comm_rail(fg_sbuf_t *sb, int *first, const fg_nccl_comm_t *c)
{
    fg_json_kv_str(sb, first, "gpu_busid", c && c->busid[0] ? c->busid : NULL);
    fg_json_key(sb, first, "cuda_dev");
    if (c && c->cuda_dev >= 0) fg_sb_putl(sb, c->cuda_dev); else fg_sb_puts(sb, "null");
    fg_json_key(sb, first, "nnodes");
    if (c && c->nnodes >= 0) fg_sb_putl(sb, c->nnodes); else fg_sb_puts(sb, "null");
    fg_json_key(sb, first, "local_ranks");
    if (c && c->local_ranks >= 0) fg_sb_putl(sb, c->local_ranks); else fg_sb_puts(sb, "null");
}

/* One "comms" entry (the shape explain always printed). */
static void put_unit(jout_t *j, const fg_nccl_log_t *log, const unit_t *u, const fvec_t *fv,
                     const fvec_t *adv)
{
    fg_sbuf_t            *sb = &j->sb;
    const fg_nccl_proc_t *p  = &log->procs[u->proc];
    const fg_nccl_comm_t *c  = u->comm >= 0 ? &log->comms[u->comm] : NULL;
    const char           *net = (c && c->net[0]) ? c->net : p->net;
    int                   first = 1, fi = 1;
    size_t                i;

    fg_json_kv_str(sb, &first, "host", p->host);
    fg_json_key(sb, &first, "pid");
    if (p->pid >= 0) fg_sb_putl(sb, p->pid); else fg_sb_puts(sb, "null");
    fg_json_kv_str(sb, &first, "comm", c && c->comm[0] ? c->comm : NULL);
    fg_json_key(sb, &first, "rank");
    if (c && c->rank >= 0) fg_sb_putl(sb, c->rank); else fg_sb_puts(sb, "null");
    fg_json_key(sb, &first, "nranks");
    if (c && c->nranks >= 0) fg_sb_putl(sb, c->nranks); else fg_sb_puts(sb, "null");
    fg_json_kv_str(sb, &first, "net", net[0] ? net : NULL);
    fg_json_key(sb, &first, "net_devices");
    put_devices(sb, p);
    fg_json_kv_str(sb, &first, "bootstrap_iface", p->bootstrap_iface[0] ? p->bootstrap_iface : NULL);
    put_gdr(sb, &first, unit_gdr(log, u));
    fg_json_key(sb, &first, "channels");
    fg_sb_putc(sb, '[');
    for (i = 0; c != NULL && i < c->nch; i++) {
        put_channel(sb, &c->channels[i], i > 0);
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &first, "violations");
    fg_sb_putc(sb, '[');
    fg_findings_json(sb, fv->v + u->f0, u->nf, NULL, &fi);
    fg_sb_putc(sb, ']');
    put_comm_rail(sb, &first, c);
    fi = 1;
    fg_json_key(sb, &first, "advisories");
    fg_sb_putc(sb, '[');
    fg_findings_json(sb, adv->v + u->a0, u->na, NULL, &fi);
    fg_sb_putc(sb, ']');
}

/* aws-ofi-nccl's choice: "ofi_provider", "ofi_fabric", "ofi_nics" (null
 * when the plugin logged no "Selected provider" line, or the line had none). */
static void put_ofi(fg_sbuf_t *sb, int *first, const fg_nccl_proc_t *p)
{
    int seen = p->ofi_provider[0] != '\0';

    fg_json_kv_str(sb, first, "ofi_provider", seen ? p->ofi_provider : NULL);
    fg_json_kv_str(sb, first, "ofi_fabric", seen && p->ofi_fabric[0] ? p->ofi_fabric : NULL);
    fg_json_key(sb, first, "ofi_nics");
    if (seen && p->ofi_nics >= 0) fg_sb_putl(sb, p->ofi_nics); else fg_sb_puts(sb, "null");
}

static void put_process(jout_t *j, const fg_nccl_log_t *log, size_t pi, const proc_info_t *pinfo,
                        const unit_t *units, const fvec_t *fv, const fvec_t *adv)
{
    fg_sbuf_t            *sb = &j->sb;
    const fg_nccl_proc_t *p  = &log->procs[pi];
    int                   first = 1, fi = 1, fc = 1;
    size_t                i;
    long                  u, c;

    fg_json_kv_str(sb, &first, "host", p->host);
    fg_json_key(sb, &first, "pid");
    if (p->pid >= 0) fg_sb_putl(sb, p->pid); else fg_sb_puts(sb, "null");
    fg_json_kv_str(sb, &first, "nccl_version", p->version[0] ? p->version : log->version[0] ? log->version : NULL);
    fg_json_kv_str(sb, &first, "net", p->net[0] ? p->net : NULL);
    fg_json_kv_bool(sb, &first, "net_inferred", pinfo->inferred);
    fg_json_key(sb, &first, "net_devices");
    put_devices(sb, p);
    fg_json_kv_str(sb, &first, "bootstrap_iface", p->bootstrap_iface[0] ? p->bootstrap_iface : NULL);
    fg_json_kv_str(sb, &first, "bootstrap_addr", p->bootstrap_addr[0] ? p->bootstrap_addr : NULL);
    put_gdr(sb, &first, pinfo->gdr);
    fg_json_key(sb, &first, "transports");
    fg_sb_putc(sb, '[');
    for (i = 0; i < pinfo->ncls; i++) {
        if (i) fg_sb_putc(sb, ',');
        fg_json_str(sb, pinfo->cls[i]);
    }
    fg_sb_putc(sb, ']');
    fg_json_kv_long(sb, &first, "warnings", p->warnings);
    fg_json_kv_str(sb, &first, "last_warning", p->warnings ? p->last_warning : NULL);
    put_ofi(sb, &first, p);
    fg_json_key(sb, &first, "communicators");
    fg_sb_putc(sb, '[');
    for (c = p->last_comm; c >= 0; c = log->comms[c].prev_in_proc) {   /* newest first */
        const fg_nccl_comm_t *cm = &log->comms[c];
        int                   f2 = 1;
        fg_sb_puts(sb, fc ? "{" : ",{");
        fc = 0;
        fg_json_kv_str(sb, &f2, "comm", cm->comm[0] ? cm->comm : NULL);
        fg_json_kv_str(sb, &f2, "comm_id", cm->comm_id[0] ? cm->comm_id : NULL);
        fg_json_key(sb, &f2, "rank");
        if (cm->rank >= 0) fg_sb_putl(sb, cm->rank); else fg_sb_puts(sb, "null");
        fg_json_key(sb, &f2, "nranks");
        if (cm->nranks >= 0) fg_sb_putl(sb, cm->nranks); else fg_sb_puts(sb, "null");
        fg_json_kv_bool(sb, &f2, "complete", cm->complete);
        fg_json_kv_str(sb, &f2, "net", cm->net[0] ? cm->net : NULL);
        fg_json_kv_long(sb, &f2, "channels", (long)cm->nch);
        put_comm_rail(sb, &f2, cm);
        fg_sb_putc(sb, '}');
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &first, "violations");
    fg_sb_putc(sb, '[');
    for (u = pinfo->first_unit; u < pinfo->first_unit + pinfo->nunits; u++) {
        fg_findings_json(sb, fv->v + units[u].f0, units[u].nf, NULL, &fi);
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &first, "advisories");
    fg_sb_putc(sb, '[');
    fi = 1;
    for (u = pinfo->first_unit; u < pinfo->first_unit + pinfo->nunits; u++) {
        fg_findings_json(sb, adv->v + units[u].a0, units[u].na, NULL, &fi);
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
    fg_json_kv_str(sb, &first, "verdict", pinfo->violations ? "violation" : pinfo->advisories ? "info" : "ok");
}

static void print_process(FILE *out, const char *name, const fg_nccl_log_t *log, size_t pi,
                          const proc_info_t *pinfo, const unit_t *units, const fvec_t *fv,
                          const fvec_t *adv)
{
    const fg_nccl_proc_t *p = &log->procs[pi];
    const char           *ver = p->version[0] ? p->version : log->version;
    size_t                i, ncomm = 0;
    long                  c, u;

    for (c = p->last_comm; c >= 0; c = log->comms[c].prev_in_proc) ncomm++;
    fprintf(out, "%s: NCCL %s on %s pid ", name, ver[0] ? ver : "(version not logged)",
            p->host[0] ? p->host : "?");
    if (p->pid >= 0) fprintf(out, "%ld", p->pid); else fprintf(out, "?");
    fprintf(out, ", %zu communicator%s\n", ncomm, ncomm == 1 ? "" : "s");
    fprintf(out, "  network    %s%s\n", p->net[0] ? p->net : "(not logged)",
            pinfo->inferred ? " (inferred: no \"Using network\" line)" : "");
    fprintf(out, "  devices   ");
    for (i = 0; i < p->ndev; i++) fprintf(out, " %s", p->net_devices[i]);
    fprintf(out, "%s\n  bootstrap  %s%s%s\n  GPUDirect  %s\n", p->ndev ? "" : " (none logged)",
            p->bootstrap_iface[0] ? p->bootstrap_iface : "(not logged)",
            p->bootstrap_addr[0] ? " " : "", p->bootstrap_addr,
            pinfo->gdr < 0 ? "unknown" : pinfo->gdr ? "enabled" : "DISABLED");
    if (p->ofi_provider[0] != '\0') {
        fprintf(out, "  libfabric  provider %s%s%s", p->ofi_provider, p->ofi_fabric[0] ? ", fabric " : "",
                p->ofi_fabric);
        if (p->ofi_nics >= 0) fprintf(out, ", %ld NIC%s", p->ofi_nics, p->ofi_nics == 1 ? "" : "s");
        fprintf(out, " (aws-ofi-nccl)\n");
    }
    if (pinfo->ncls > 0) {
        fprintf(out, "  transports");
        for (i = 0; i < pinfo->ncls; i++) fprintf(out, "%s %s", i ? "," : "", pinfo->cls[i]);
        fprintf(out, "\n");
    }
    for (c = p->last_comm; c >= 0; c = log->comms[c].prev_in_proc) {
        const fg_nccl_comm_t *cm = &log->comms[c];
        size_t                shown;
        fprintf(out, "  comm %s rank %ld/%ld%s, %zu channel%s", cm->comm[0] ? cm->comm : "?", cm->rank,
                cm->nranks, cm->complete ? "" : " (init not complete)", cm->nch, cm->nch == 1 ? "" : "s");
        for (shown = 0; shown < cm->nch && shown < 4; shown++) {
            fprintf(out, "%s %s", shown ? "," : ":", cm->channels[shown].transport);
        }
        fprintf(out, "%s\n", cm->nch > shown ? ", …" : "");
        print_rail(out, cm);
    }
    if (p->warnings) {
        fprintf(out, "  NCCL WARN  %ld, last: %s\n", p->warnings, p->last_warning);
    }
    for (u = pinfo->first_unit; u < pinfo->first_unit + pinfo->nunits; u++) {
        for (i = 0; i < units[u].nf; i++) {
            const fg_finding_t *f = &fv->v[units[u].f0 + i];
            cli_finding_line(out, "  ", f, NULL, 1);
        }
        for (i = 0; i < units[u].na; i++) {
            const fg_finding_t *f = &adv->v[units[u].a0 + i];
            fprintf(out, "  NOTE %s (%s, advisory) \xe2\x80\x94 %s\n", f->detail, f->rule, f->fix);
        }
    }
    fprintf(out, "  verdict: %s\n", pinfo->violations ? "VIOLATION" : pinfo->advisories ? "info" : "ok");
}

/* The union over processes of the top-level fields. */
static void put_union(jout_t *j, const fg_nccl_log_t *log, const proc_info_t *pinfo, const fvec_t *fv,
                      const fvec_t *adv)
{
    fg_sbuf_t  *sb = &j->sb;
    const char *ver = log->version[0] ? log->version : NULL, *net = NULL, *boot = NULL;
    const char *devs[MAX_UNION];
    size_t      ndevs = 0, i, k;
    int         first = 1, inferred = 0, gdr = -1, any1 = 0, fi = 1, fch = 1;

    for (i = 0; i < log->nprocs; i++) {
        const fg_nccl_proc_t *p = &log->procs[i];
        if (ver == NULL && p->version[0]) ver = p->version;
        if (p->net[0] && (net == NULL || (inferred && !pinfo[i].inferred))) {
            net      = p->net;
            inferred = pinfo[i].inferred;
        }
        if (boot == NULL && p->bootstrap_iface[0]) boot = p->bootstrap_iface;
        if (pinfo[i].gdr == 0) gdr = 0;
        any1 |= pinfo[i].gdr == 1;
        for (k = 0; k < p->ndev && ndevs < MAX_UNION; k++) {
            size_t d;
            for (d = 0; d < ndevs && strcmp(devs[d], p->net_devices[k]) != 0; d++) {}
            if (d == ndevs) devs[ndevs++] = p->net_devices[k];
        }
    }
    if (gdr < 0 && any1) gdr = 1;
    fg_json_kv_str(sb, &first, "nccl_version", ver);
    fg_json_kv_str(sb, &first, "net", net);
    fg_json_kv_bool(sb, &first, "net_inferred", inferred);
    fg_json_key(sb, &first, "net_devices");
    fg_sb_putc(sb, '[');
    for (i = 0; i < ndevs; i++) {
        if (i) fg_sb_putc(sb, ',');
        fg_json_str(sb, devs[i]);
    }
    fg_sb_putc(sb, ']');
    fg_json_kv_str(sb, &first, "bootstrap_iface", boot);
    put_gdr(sb, &first, gdr);
    fg_json_key(sb, &first, "channels");
    fg_sb_putc(sb, '[');
    for (i = 0; i < log->ncomms; i++) {
        for (k = 0; k < log->comms[i].nch; k++) {
            put_channel(sb, &log->comms[i].channels[k], !fch);
            fch = 0;
            jout_step(j);
        }
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &first, "violations");
    fg_sb_putc(sb, '[');
    for (i = 0; i < fv->n; i++) {   /* units are in process order: so are findings */
        fg_findings_json(sb, fv->v + i, 1, NULL, &fi);
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
    if (adv->n == 0) {
        return;   /* the design's keys; advisories only beside them when there are any */
    }
    fg_json_key(sb, &first, "advisories");
    fg_sb_putc(sb, '[');
    fi = 1;
    for (i = 0; i < adv->n; i++) {
        fg_findings_json(sb, adv->v + i, 1, NULL, &fi);
        jout_step(j);
    }
    fg_sb_putc(sb, ']');
}

int explain_nccl(const char *name, const char *text, size_t len,
                 const fg_policy_t *pol, int json, FILE *out)
{
    fg_nccl_log_t    log;
    fg_nccl_update_t upd;
    fg_ifset_t       mgmt;
    unit_t          *units;
    proc_info_t     *pinfo;
    size_t           nunits = 0, i, violations = 0;
    const char      *p = text, *end = text + len;
    int              rc = 0;
    fvec_t           fv = { NULL, 0, 0 }, adv = { NULL, 0, 0 };
    peer_key_t      *pidx;
    size_t           npidx = 0;

    fg_nccl_log_init(&log);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        fg_nccl_log_feed(&log, p, nl ? (size_t)(nl - p) : (size_t)(end - p), &upd);
        p = nl ? nl + 1 : end;
    }
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(pol, NULL, &mgmt);
    units = calloc(log.ncomms + log.nprocs + 1, sizeof(*units));
    pinfo = calloc(log.nprocs + 1, sizeof(*pinfo));
    if (units == NULL || pinfo == NULL) {
        free(units);
        free(pinfo);
        fg_nccl_log_free(&log);
        return cli_usage_error("explain", "out of memory");
    }
    for (i = 0; i < log.nprocs; i++) {   /* inferred networks are judged like logged ones */
        char        buf[64];
        const char *net = fg_nccl_proc_net(&log, i, buf, sizeof(buf), &pinfo[i].inferred);
        if (pinfo[i].inferred) fg_strlcpy(log.procs[i].net, net, sizeof(log.procs[i].net));
    }
    for (i = 0; i < log.nprocs; i++) {   /* units grouped by process, oldest comm first */
        long c, n = 0, k;
        pinfo[i].first_unit = (long)nunits;
        for (c = log.procs[i].last_comm; c >= 0; c = log.comms[c].prev_in_proc) n++;
        for (c = log.procs[i].last_comm, k = n - 1; c >= 0; c = log.comms[c].prev_in_proc, k--) {
            units[nunits + (size_t)k].proc = (long)i;
            units[nunits + (size_t)k].comm = c;
        }
        if (n == 0) {
            units[nunits].proc = (long)i;
            units[nunits].comm = -1;
            n                  = 1;
        }
        pinfo[i].nunits = n;
        nunits += (size_t)n;
        proc_facts(&log, i, &pinfo[i]);
    }
    pidx = peer_index(&log, &npidx);
    for (i = 0; i < nunits && rc == 0; i++) {
        fg_findings_t f, a;
        long          at, aat;
        memset(&f, 0, sizeof(f));
        fg_judge_nccl(pol, &mgmt, &log, units[i].proc, units[i].comm, &f);
        judge_topo_comm(pol, &log, units[i].comm, pidx, npidx, &f);
        split_advisories(pol, &f, &a);
        if ((at = fvec_add(&fv, &f)) < 0 || (aat = fvec_add(&adv, &a)) < 0) {
            rc = cli_usage_error("explain", "out of memory");
            break;
        }
        units[i].f0 = (size_t)at;
        units[i].nf = f.n;
        units[i].a0 = (size_t)aat;
        units[i].na = a.n;
        violations += f.n;
        pinfo[units[i].proc].violations += f.n;
        pinfo[units[i].proc].advisories += a.n;
    }
    free(pidx);
    if (rc != 0) {
        /* reported */
    } else if (json) {
        jout_t *j = malloc(sizeof(*j));
        int     fp = 1;
        if (j == NULL) {
            rc = cli_usage_error("explain", "out of memory");
        } else {
            jout_begin(j, out);
            fg_sb_putc(&j->sb, '{');
            put_union(j, &log, pinfo, &fv, &adv);
            fg_sb_puts(&j->sb, ",\"processes\":[");
            for (i = 0; i < log.nprocs; i++) {
                fg_sb_puts(&j->sb, fp ? "{" : ",{");
                fp = 0;
                put_process(j, &log, i, &pinfo[i], units, &fv, &adv);
                fg_sb_putc(&j->sb, '}');
                jout_step(j);
            }
            fg_sb_puts(&j->sb, "],\"comms\":[");
            for (i = 0; i < nunits; i++) {
                fg_sb_puts(&j->sb, i ? ",{" : "{");
                put_unit(j, &log, &units[i], &fv, &adv);
                fg_sb_putc(&j->sb, '}');
                jout_step(j);
            }
            fg_sb_puts(&j->sb, "]}");
            if (jout_end(j) < 0) {
                rc = cli_usage_error("explain", "%s: a JSON element did not fit its buffer", name);
            }
            free(j);
        }
    } else {
        for (i = 0; i < log.nprocs; i++) {
            print_process(out, name, &log, i, &pinfo[i], units, &fv, &adv);
        }
        if (log.nprocs == 0) {
            fprintf(out, "%s: NCCL %s log with no process facts (no INFO lines?)\n", name,
                    log.version[0] ? log.version : "");
        }
    }
    free(units);
    free(pinfo);
    free(fv.v);
    free(adv.v);
    fg_nccl_log_free(&log);
    if (rc != 0) {
        return rc;
    }
    return violations ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
