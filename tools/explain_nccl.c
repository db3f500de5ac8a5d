/* explain on NCCL debug logs: one rank or a whole job. JSON: the design's
 * object for the first communicator (or process), plus "comms": one entry
 * per communicator (and per process that never completed one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabguard/judge.h"
#include "fabguard/json.h"
#include "fabguard/nccl_log.h"
#include "cli.h"
#include "explain.h"

typedef struct {
    long          proc, comm;
    fg_findings_t f;
} unit_t;

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

static void put_unit(fg_sbuf_t *sb, const fg_nccl_log_t *log, const unit_t *u, int top)
{
    const fg_nccl_proc_t *p = &log->procs[u->proc];
    const fg_nccl_comm_t *c = u->comm >= 0 ? &log->comms[u->comm] : NULL;
    const char           *net = (c && c->net[0]) ? c->net : p->net;
    int                   first = 1;
    size_t                i;

    if (top) {
        fg_json_kv_str(sb, &first, "nccl_version", p->version[0] ? p->version : NULL);
    } else {
        fg_json_kv_str(sb, &first, "host", p->host);
        fg_json_kv_long(sb, &first, "pid", p->pid);
        fg_json_kv_str(sb, &first, "comm", c && c->comm[0] ? c->comm : NULL);
        fg_json_key(sb, &first, "rank");
        if (c && c->rank >= 0) fg_sb_putl(sb, c->rank); else fg_sb_puts(sb, "null");
        fg_json_key(sb, &first, "nranks");
        if (c && c->nranks >= 0) fg_sb_putl(sb, c->nranks); else fg_sb_puts(sb, "null");
    }
    fg_json_kv_str(sb, &first, "net", net[0] ? net : NULL);
    fg_json_key(sb, &first, "net_devices");
    fg_sb_putc(sb, '[');
    for (i = 0; i < p->ndev; i++) {
        if (i) fg_sb_putc(sb, ',');
        fg_json_str(sb, p->net_devices[i]);
    }
    fg_sb_putc(sb, ']');
    fg_json_kv_str(sb, &first, "bootstrap_iface", p->bootstrap_iface[0] ? p->bootstrap_iface : NULL);
    put_gdr(sb, &first, unit_gdr(log, u));
    fg_json_key(sb, &first, "channels");
    fg_sb_putc(sb, '[');
    for (i = 0; c != NULL && i < c->nch; i++) {
        const fg_nccl_channel_t *ch = &c->channels[i];
        int                      f2 = 1;
        fg_sb_puts(sb, i ? ",{" : "{");
        fg_json_kv_long(sb, &f2, "channel", ch->channel);
        fg_json_kv_long(sb, &f2, "from_rank", ch->from_rank);
        fg_json_kv_long(sb, &f2, "to_rank", ch->to_rank);
        fg_json_kv_str(sb, &f2, "transport", ch->transport);
        put_gdr(sb, &f2, ch->gdr);
        fg_sb_putc(sb, '}');
    }
    fg_sb_putc(sb, ']');
    fg_json_key(sb, &first, "violations");
    fg_sb_putc(sb, '[');
    for (i = 0; i < u->f.n; i++) {
        int f2 = 1;
        fg_sb_puts(sb, i ? ",{" : "{");
        fg_json_kv_str(sb, &f2, "rule", u->f.v[i].rule);
        fg_json_kv_str(sb, &f2, "detail", u->f.v[i].detail);
        fg_sb_putc(sb, '}');
    }
    fg_sb_putc(sb, ']');
}

static void print_human(FILE *out, const char *name, const fg_nccl_log_t *log,
                        const unit_t *u)
{
    const fg_nccl_proc_t *p = &log->procs[u->proc];
    const fg_nccl_comm_t *c = u->comm >= 0 ? &log->comms[u->comm] : NULL;
    const char           *net = (c && c->net[0]) ? c->net : p->net;
    size_t                i, shown = 0;
    int                   g = unit_gdr(log, u);

    fprintf(out, "%s: NCCL %s on %s pid %ld", name, p->version[0] ? p->version : "(version not logged)",
            p->host[0] ? p->host : "?", p->pid);
    if (c != NULL && c->comm[0]) {
        fprintf(out, ", comm %s rank %ld/%ld%s", c->comm, c->rank, c->nranks, c->complete ? "" : " (init not complete)");
    } else if (c == NULL) {
        fprintf(out, ", no communicator completed init");
    }
    fprintf(out, "\n  network    %s\n  devices   ", net[0] ? net : "(not logged)");
    for (i = 0; i < p->ndev; i++) fprintf(out, " %s", p->net_devices[i]);
    fprintf(out, "%s\n  bootstrap  %s%s%s\n  GPUDirect  %s\n", p->ndev ? "" : " (none logged)",
            p->bootstrap_iface[0] ? p->bootstrap_iface : "(not logged)",
            p->bootstrap_addr[0] ? " " : "", p->bootstrap_addr,
            g < 0 ? "unknown" : g ? "enabled" : "DISABLED");
    if (c != NULL && c->nch > 0) {
        fprintf(out, "  channels   %zu:", c->nch);
        for (i = 0; i < c->nch && shown < 4; i++, shown++) {
            fprintf(out, "%s %s", i ? "," : "", c->channels[i].transport);
        }
        fprintf(out, "%s\n", c->nch > shown ? ", …" : "");
    }
    if (p->warnings) {
        fprintf(out, "  NCCL WARN  %ld, last: %s\n", p->warnings, p->last_warning);
    }
    for (i = 0; i < u->f.n; i++) {
        fprintf(out, "  VIOLATION %s (%s) \xe2\x80\x94 %s\n", u->f.v[i].detail, u->f.v[i].rule, u->f.v[i].fix);
    }
    if (u->f.n == 0) {
        fprintf(out, "  verdict: ok\n");
    }
}

int explain_nccl(const char *name, const char *text, size_t len,
                 const fg_policy_t *pol, int json, FILE *out)
{
    fg_nccl_log_t    log;
    fg_nccl_update_t upd;
    fg_ifset_t       mgmt;
    unit_t          *units;
    size_t           nunits = 0, i, violations = 0;
    const char      *p = text, *end = text + len;

    fg_nccl_log_init(&log);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        fg_nccl_log_feed(&log, p, nl ? (size_t)(nl - p) : (size_t)(end - p), &upd);
        p = nl ? nl + 1 : end;
    }
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(pol, NULL, &mgmt);
    units = calloc(log.ncomms + log.nprocs + 1, sizeof(*units));
    if (units == NULL) {
        fg_nccl_log_free(&log);
        return cli_usage_error("explain", "out of memory");
    }
    for (i = 0; i < log.ncomms; i++) {
        units[nunits].proc = (long)log.comms[i].proc;
        units[nunits++].comm = (long)i;
    }
    for (i = 0; i < log.nprocs; i++) {   /* processes without any communicator */
        size_t k, has = 0;
        for (k = 0; k < log.ncomms; k++) has |= log.comms[k].proc == i;
        if (!has) {
            units[nunits].proc = (long)i;
            units[nunits++].comm = -1;
        }
    }
    for (i = 0; i < nunits; i++) {
        fg_judge_nccl(pol, &mgmt, &log, units[i].proc, units[i].comm, &units[i].f);
        violations += units[i].f.n;
    }
    if (json) {
        size_t    cap = 65536 + nunits * 8192;
        char     *buf = malloc(cap);
        fg_sbuf_t sb;
        if (buf == NULL) {
            free(units);
            fg_nccl_log_free(&log);
            return cli_usage_error("explain", "out of memory");
        }
        fg_sb_init(&sb, buf, cap);
        fg_sb_putc(&sb, '{');
        if (nunits > 0) {
            put_unit(&sb, &log, &units[0], 1);
        } else {
            fg_sb_puts(&sb, "\"nccl_version\":null,\"net\":null,\"net_devices\":[],\"bootstrap_iface\":null,"
                            "\"gdr\":null,\"channels\":[],\"violations\":[]");
        }
        fg_sb_puts(&sb, ",\"comms\":[");
        for (i = 0; i < nunits; i++) {
            fg_sb_puts(&sb, i ? ",{" : "{");
            put_unit(&sb, &log, &units[i], 0);
            fg_sb_putc(&sb, '}');
        }
        fg_sb_puts(&sb, "]}");
        fprintf(out, "%s\n", buf);
        free(buf);
    } else {
        for (i = 0; i < nunits; i++) {
            print_human(out, name, &log, &units[i]);
        }
        if (nunits == 0) {
            fprintf(out, "%s: NCCL log with no process facts (no INFO lines?)\n", name);
        }
    }
    free(units);
    fg_nccl_log_free(&log);
    return violations ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
