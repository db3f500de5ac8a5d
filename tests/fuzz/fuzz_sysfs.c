/* libFuzzer: the pure parsers of what /proc and /sys show, fed the text the
 * readers (sysread.c, node_probe.c) would hand them: /proc/net/route and
 * ipv6_route tables, /proc/modules, a sysfs attribute's value, GID table
 * entries and their types. Plus the other text grammars of `node`/`env`:
 * NCCL's and UCX's device lists, PCI path relations, the event template. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/event.h"
#include "fabguard/netinfo.h"
#include "fabguard/nccl_list.h"
#include "fabguard/node.h"
#include "fabguard/sysfs_text.h"
#include "fabguard/ucx_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char      *s = malloc(size + 1), *line = malloc(size + 1), out[512], name[32];
    fg_ifset_t set = { 0 };
    const char *why;
    fg_template_vars_t v = { "h", 1, "p", 0, "u" };
    int        b;

    if (s == NULL || line == NULL) {
        free(s);
        free(line);
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    fg_route_default_ifaces(s, &set);
    fg_route6_default_ifaces(s, &set);
    fg_modules_peermem(s, name, sizeof(name));
    memcpy(line, s, size + 1);
    fg_sysfs_line(line);
    (void)(fg_gid_is_zero(line) + fg_gid_is_link_local(line) + fg_gid_is_v2(line));
    (void)fg_parse_bool(line, &b);
    fg_nccl_list_selects(s, "mlx5_0", 1);
    fg_ucx_net_devices_selects(s, "mlx5_0", 1);
    fg_ucx_net_devices_selects(s, "eth0", -1);
    fg_pci_relation(s, 0, "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0", 1);
    fg_template_expand(s, &v, out, sizeof(out), &why);
    free(line);
    free(s);
    return 0;
}
