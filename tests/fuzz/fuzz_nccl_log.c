/* libFuzzer: NCCL log lines and the NCCL judge. */
#include <stdint.h>
#include <string.h>
#include "fabguard/judge.h"
#include "fabguard/nccl_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_nccl_log_t    log;
    fg_nccl_update_t u;
    fg_policy_t      pol;
    fg_ifset_t       mgmt = { 0 };
    fg_findings_t    f;
    const char      *p = (const char *)data, *end = p + size;
    size_t           i;

    fg_nccl_log_init(&log);
    fg_policy_init_defaults(&pol);
    fg_ifset_add(&mgmt, "eth0");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t      n  = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fg_nccl_log_feed(&log, p, n, &u);
        p += n + (nl != NULL);
    }
    for (i = 0; i < log.ncomms; i++) {
        memset(&f, 0, sizeof(f));
        fg_judge_nccl(&pol, &mgmt, &log, -1, (long)i, &f);
    }
    for (i = 0; i < log.nprocs; i++) {
        char buf[64];
        int  inferred;
        memset(&f, 0, sizeof(f));
        fg_judge_nccl(&pol, &mgmt, &log, (long)i, -1, &f);
        (void)fg_nccl_proc_net(&log, i, buf, sizeof(buf), &inferred);
    }
    for (i = 0; i < log.ncomms; i++) {
        char   cls[48];
        size_t k;
        for (k = 0; k < log.comms[i].nch; k++) {
            fg_nccl_transport_class(log.comms[i].channels[k].transport, cls, sizeof(cls));
        }
    }
    fg_policy_free(&pol);
    fg_nccl_log_free(&log);
    return 0;
}
