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
    return 0;
}
