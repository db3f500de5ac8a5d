/* UCX's device list: one matcher for every reader of UCX_NET_DEVICES. */
#include "fabguard/ucx_list.h"
#include "fabguard/common.h"

#include <stdio.h>
#include <string.h>

int fg_ucx_net_devices_selects(const char *spec, const char *dev, int port)
{
    char buf[512], want[80], *tok, *save = NULL;

    if (spec == NULL || strcmp(spec, "all") == 0) return 1;
    if (port < 0) fg_strlcpy(want, dev, sizeof(want));
    else snprintf(want, sizeof(want), "%s:%d", dev, port);
    fg_strlcpy(buf, spec, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, want) == 0) return 1;
    }
    return 0;
}
