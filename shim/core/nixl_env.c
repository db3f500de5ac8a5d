/* NIXL's reading of NIXL_UCX_DEEPBIND (facts from NIXL 1.4's config traits:
 * a case-insensitive boolean whose unparsable values enable the switch). */
#include "fabguard/nixl_env.h"

#include <stddef.h>
#include <strings.h>

int fg_nixl_deepbind_requested(const char *value)
{
    static const char *const off[] = { "n", "no", "off", "0", "false", "disable" };
    size_t                   i;

    if (value == NULL) {
        return 0;
    }
    for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        if (strcasecmp(value, off[i]) == 0) {
            return 0;
        }
    }
    return 1;
}
