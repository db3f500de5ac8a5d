/* Pure parsers of /proc and /sys values (see sysfs_text.h). */
#include "fabguard/sysfs_text.h"
#include "fabguard/common.h"

#include <string.h>

void fg_sysfs_line(char *text)
{
    text[strcspn(text, "\n")] = '\0';
}

int fg_modules_peermem(const char *text, char *name, size_t cap)
{
    const char *line;
    int         found = 0;

    for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "nvidia_peermem ", 15) == 0 || strncmp(line, "nv_peer_mem ", 12) == 0) {
            size_t n = strcspn(line, " ") + 1;
            found = 1;
            fg_strlcpy(name, line, n < cap ? n : cap);
        }
    }
    return found;
}

int fg_gid_is_zero(const char *gid)
{
    return strncmp(gid, "0000:0000:0000:0000:0000:0000:0000:0000", 39) == 0;
}

int fg_gid_is_link_local(const char *gid)
{
    return strncmp(gid, "fe80:", 5) == 0;
}

int fg_gid_is_v2(const char *type)
{
    return strstr(type, "v2") != NULL;
}
