#ifndef FABGUARD_UCX_LIST_H
#define FABGUARD_UCX_LIST_H

/* UCX_NET_DEVICES (src/ucp/core/ucp_context.c): "all", or a comma list of
 * device names, an HCA port written "dev:port". 1 when SPEC selects DEV
 * (port PORT; PORT < 0: the device itself, as a netdev is named). A NULL
 * SPEC selects every device, as unset does. */
int fg_ucx_net_devices_selects(const char *spec, const char *dev, int port);

#endif
