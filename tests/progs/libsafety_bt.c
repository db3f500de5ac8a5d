/* For the backtrace test: an exported 3-byte function right before a hidden
 * one that makes the intercepted call. Once the library is stripped, the
 * nearest exported symbol of the hidden function's frame is fg_bt_tiny, far
 * outside it: a backtrace must print libsafety_bt.so+0xOFFSET there. */
#include <ucp/api/ucp.h>

__attribute__((visibility("default"), noinline)) int fg_bt_tiny(void)
{
    return 0;
}

__attribute__((noinline, visibility("hidden"))) int fg_bt_hidden(int n);
__attribute__((noinline, visibility("hidden"))) int fg_bt_hidden(int n)
{
    ucp_params_t  params = { .field_mask = UCP_PARAM_FIELD_FEATURES, .features = UCP_FEATURE_TAG };
    ucp_context_h ctx;
    ucs_status_t  st = ucp_init(&params, NULL, &ctx);

    if (st == UCS_OK) {
        ucp_cleanup(ctx);
    }
    __asm__ volatile("" ::: "memory");   /* keep the call a real call */
    return (int)st + n;
}

__attribute__((visibility("default"))) int fg_bt_run(int n)
{
    return fg_bt_hidden(n) + 1;
}
