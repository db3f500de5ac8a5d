/* libFuzzer: policy text (and the environment overrides) must never crash. */
#include <stdint.h>
#include <string.h>
#include "fabguard/policy.h"

static const char *no_env(const char *n) { (void)n; return NULL; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_policy_t p;
    fg_error_t  e;
    char        v[512];
    int         k;

    fg_policy_init_defaults(&p);
    if (fg_policy_load_text(&p, "fuzz", (const char *)data, size, &e) == 0) {
        fg_policy_apply_env(&p, no_env, &e);
        for (k = 0; k < FG_KEY_COUNT; k++) fg_policy_value_text(&p, (fg_key_t)k, v, sizeof(v));
        fg_list_match(&p.ucx.forbid_transports, "tcp");
    }
    fg_policy_free(&p);
    return 0;
}
