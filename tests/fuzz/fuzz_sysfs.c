/* libFuzzer: the text parsers behind `fabguard node`/`env`: routing tables,
 * NCCL's list grammar, PCI path relations, the event template. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/event.h"
#include "fabguard/netinfo.h"
#include "fabguard/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char      *s = malloc(size + 1), out[512];
    fg_ifset_t set = { 0 };
    const char *why;
    fg_template_vars_t v = { "h", 1, "p", 0, "u" };

    if (s == NULL) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    fg_route_default_ifaces(s, &set);
    fg_route6_default_ifaces(s, &set);
    fg_nccl_list_selects(s, "mlx5_0", 1);
    fg_pci_relation(s, 0, "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0", 1);
    fg_template_expand(s, &v, out, sizeof(out), &why);
    free(s);
    return 0;
}
