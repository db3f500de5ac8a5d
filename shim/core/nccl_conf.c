/* NCCL configuration-file lines (format and order in nccl_conf.h). */
#include "fabguard/nccl_conf.h"

#include <string.h>

int fg_nccl_conf_value(const char *text, size_t len, const char *name,
                       char *out, size_t cap)
{
    size_t nlen = strlen(name), pos = 0;

    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t      n    = nl ? (size_t)(nl - line) : len - pos;
        const char *eq   = memchr(line, '=', n);

        pos += n + (nl != NULL);
        if (n == 0 || line[0] == '#' || eq == NULL) {
            continue;
        }
        /* NCCL keeps at most 1023 bytes of the name */
        if ((size_t)(eq - line) == nlen && nlen <= 1023 && memcmp(line, name, nlen) == 0) {
            size_t vlen = n - nlen - 1;
            if (vlen > 1023) vlen = 1023;
            if (cap == 0) return 1;
            if (vlen >= cap) vlen = cap - 1;
            memcpy(out, eq + 1, vlen);
            out[vlen] = '\0';
            /* NCCL's strncpy stops at a NUL inside the line as well */
            return 1;
        }
    }
    return 0;
}
