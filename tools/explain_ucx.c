/* explain on UCX text: lanes from ucp_ep_print_info / ucx_info -e blocks and
 * UCX_PROTO_INFO tables, judged like the shim judges endpoints. */
#include <stdio.h>
#include <string.h>

#include "fabguard/judge.h"
#include "fabguard/json.h"
#include "fabguard/ucx_text.h"
#include "cli.h"
#include "explain.h"

int explain_ucx(const char *name, const char *text, size_t len,
                const fg_policy_t *pol, int json, FILE *out)
{
    static fg_lane_set_t lanes;
    fg_findings_t        f;
    fg_ifset_t           mgmt;
    fg_error_t           err;
    size_t               i;

    memset(&mgmt, 0, sizeof(mgmt));
    memset(&f, 0, sizeof(f));
    if (fg_ucx_lanes_from_print_info(text, len, &lanes, &err) < 0) {
        lanes.n = 0;
    }
    fg_ucx_lanes_from_proto_info(text, len, &lanes);
    if (lanes.n == 0) {
        fprintf(stderr, "fabguard explain: %s: no NCCL log lines and no UCX lanes found "
                        "(expected NCCL_DEBUG=INFO output, ucp_ep_print_info/ucx_info -e "
                        "output or UCX_PROTO_INFO=y tables)\n", name);
        return FG_EXIT_USAGE;
    }
    fg_mgmt_ifaces(pol, NULL, &mgmt);
    fg_judge_ucx_lanes(pol, &mgmt, &lanes, &f);
    if (json) {
        char      buf[65536];
        fg_sbuf_t sb;
        fg_sb_init(&sb, buf, sizeof(buf));
        fg_sb_puts(&sb, "{\"lanes\":[");
        for (i = 0; i < lanes.n; i++) {
            int first = 1;
            fg_sb_puts(&sb, i ? ",{" : "{");
            fg_json_kv_str(&sb, &first, "transport", lanes.lane[i].transport);
            fg_json_kv_str(&sb, &first, "device", lanes.lane[i].device);
            fg_sb_putc(&sb, '}');
        }
        fg_sb_puts(&sb, "],\"violations\":[");
        for (i = 0; i < f.n; i++) {
            int first = 1;
            fg_sb_puts(&sb, i ? ",{" : "{");
            fg_json_kv_str(&sb, &first, "rule", f.v[i].rule);
            fg_json_kv_str(&sb, &first, "detail", f.v[i].detail);
            fg_sb_putc(&sb, '}');
        }
        fg_sb_puts(&sb, "]}");
        fprintf(out, "%s\n", buf);
    } else {
        fprintf(out, "%s: UCX, %zu lane%s\n", name, lanes.n, lanes.n == 1 ? "" : "s");
        for (i = 0; i < lanes.n; i++) {
            fprintf(out, "  lane %-2zu %-10s %-14s %s\n", i, lanes.lane[i].transport,
                    lanes.lane[i].device[0] ? lanes.lane[i].device : "(connection manager)",
                    lanes.lane[i].usage);
        }
        for (i = 0; i < f.n; i++) {
            fprintf(out, "  VIOLATION %s (%s) \xe2\x80\x94 %s\n", f.v[i].detail, f.v[i].rule, f.v[i].fix);
        }
        if (f.n == 0) {
            fprintf(out, "  verdict: ok\n");
        }
    }
    return f.n ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
