/* `fabguard pair`: the report of one session, text or JSON. */
#include <stdio.h>

#include "fabguard/json.h"
#include "cli.h"
#include "pair.h"

static void report_json(const pair_info_t *in, const char *a, const char *b, int have_remote, const fg_findings_t *f_mine,
                        const fg_findings_t *f_theirs, const result_t *res, int nres)
{
    static char buf[16384];
    fg_sbuf_t   sb;
    int         first = 1, fi = 1;
    size_t      i;

    fg_sb_init(&sb, buf, sizeof(buf));
    fg_sb_putc(&sb, '{');
    fg_json_kv_str(&sb, &first, "role", in->role);
    fg_json_kv_str(&sb, &first, "peer", in->peer);
    fg_json_kv_str(&sb, &first, "local_lanes", a);
    fg_json_kv_str(&sb, &first, "remote_lanes", have_remote ? b : NULL);
    fg_json_kv_str(&sb, &first, "local_memory", in->local_kind);
    fg_json_kv_str(&sb, &first, "remote_memory", in->remote_kind);
    fg_json_kv_str(&sb, &first, "gpu", in->gpu);
    fg_json_kv_str(&sb, &first, "memory_note", in->mem_note[0] ? in->mem_note : NULL);
    fg_sb_printf(&sb, ",\"verified_bytes\":%zu", in->verified);
    fg_json_key(&sb, &first, "results");
    fg_sb_putc(&sb, '[');
    for (i = 0; i < (size_t)nres; i++) {
        fg_sb_printf(&sb, "%s{\"size\":%zu,\"latency_us\":%.2f,\"bandwidth_MBps\":%.1f}", i ? "," : "", res[i].size,
                     res[i].lat_us, res[i].bw_mbs);
    }
    fg_sb_puts(&sb, "],\"violations\":[");
    fg_findings_json(&sb, f_mine->v, f_mine->n, "local", &fi);
    fg_findings_json(&sb, f_theirs->v, f_theirs->n, "remote", &fi);
    fg_sb_printf(&sb, "],\"verdict\":\"%s\"}", f_mine->n + f_theirs->n ? "violation" : "ok");
    puts(buf);
}

void pair_report(const pair_info_t *in, const fg_lane_set_t *mine, const fg_lane_set_t *theirs,
                   const fg_findings_t *f_mine, const fg_findings_t *f_theirs, const result_t *res, int nres, int json)
{
    char   a[1024], b[1024];
    size_t i;

    pair_lanes_text(mine, a, sizeof(a));
    pair_lanes_text(theirs, b, sizeof(b));
    if (json) { report_json(in, a, b, theirs->n > 0, f_mine, f_theirs, res, nres); return; }
    printf("fabguard pair (%s, peer %s)\n  local lanes   %s\n", in->role, in->peer, a);
    if (theirs->n) printf("  remote lanes  %s\n", b);
    printf("  memory        local %s, remote %s\n", in->local_mem, in->remote_mem);
    if (in->mem_note[0]) printf("  note          %s\n", in->mem_note);
    if (nres) {
        printf("  %10s %12s %14s\n", "size", "latency us", "bandwidth MB/s");
        for (i = 0; i < (size_t)nres; i++) printf("  %10zu %12.2f %14.1f\n", res[i].size, res[i].lat_us, res[i].bw_mbs);
        printf("  data          %zu bytes verified on the receiving side\n", in->verified);
    }
    for (i = 0; i < f_mine->n; i++) cli_finding_line(stdout, "  ", &f_mine->v[i], "local", 1);
    for (i = 0; i < f_theirs->n; i++) cli_finding_line(stdout, "  ", &f_theirs->v[i], "remote", 0);
    printf("  verdict: %s\n", f_mine->n + f_theirs->n ? "VIOLATION" : "ok");
}
