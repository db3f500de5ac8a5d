/* libFuzzer: UCX endpoint/protocol text and UCX context printers. */
#include <stdint.h>
#include <string.h>
#include "fabguard/judge.h"
#include "fabguard/ucx_context.h"
#include "fabguard/ucx_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fg_lane_set_t         s;
    static fg_ucx_context_info_t c;
    fg_error_t                   e;
    fg_findings_t                f;
    fg_policy_t                  pol;

    fg_ucx_lanes_from_print_info((const char *)data, size, &s, &e);
    fg_ucx_lanes_from_proto_info((const char *)data, size, &s);
    memset(&c, 0, sizeof(c));
    fg_ucx_config_from_print((const char *)data, size, &c);
    fg_ucx_resources_from_print((const char *)data, size, &c.resources);
    fg_policy_init_defaults(&pol);
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_lanes(&pol, NULL, &s, &f);
    fg_judge_ucx_context(&pol, &c, &f);
    fg_policy_free(&pol);
    {   /* the line-by-line model explain uses */
        fg_ucx_text_t t;
        const char   *q = (const char *)data, *end = q + size;
        fg_ucx_text_init(&t);
        while (q < end) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            fg_ucx_text_feed(&t, q, nl ? (size_t)(nl - q) : (size_t)(end - q));
            q = nl ? nl + 1 : end;
        }
        for (size_t i = 0; i < t.n; i++) {
            for (size_t k = 0; k < t.cfg[i].n; k++) (void)fg_ucx_lane_is_data(&t.cfg[i].lane[k]);
        }
        fg_ucx_text_free(&t);
    }
    return 0;
}
