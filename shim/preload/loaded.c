/* Which shared objects are loaded, by file name (coverage questions of the
 * audit module and the exit summary). A leaf. */
#include "loaded.h"
#include "fabguard/common.h"

#include <link.h>
#include <string.h>

typedef struct {
    const char *needle;
    char       *out;
    size_t      cap;
    int         found;
} match_arg_t;

static int match_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    match_arg_t *m = arg;
    const char  *base;

    (void)size;
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') {
        return 0;
    }
    base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strstr(base, m->needle) != NULL) {
        fg_strlcpy(m->out, base, m->cap);
        m->found = 1;
        return 1;
    }
    return 0;
}

int fg_loaded_object_matching(const char *needle, char *name_out, size_t cap)
{
    match_arg_t m = { needle, name_out, cap, 0 };

    dl_iterate_phdr(match_object, &m);
    return m.found;
}
