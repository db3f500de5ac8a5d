/* Parsers for UCX's context printers (formats cited in ucx_context.h). */
#include "fabguard/ucx_context.h"

#include <string.h>

/* Next line [*pos, end) as a NUL-terminated copy (cut to cap). */
static int next_line(const char *text, size_t len, size_t *pos, char *buf,
                     size_t cap)
{
    size_t start = *pos, n;

    if (start >= len) {
        return 0;
    }
    while (*pos < len && text[*pos] != '\n') {
        (*pos)++;
    }
    n = *pos - start;
    if (*pos < len) {
        (*pos)++;
    }
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(buf, text + start, n);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == ' ')) {
        buf[--n] = '\0';
    }
    return 1;
}

void fg_ucx_config_from_print(const char *text, size_t len,
                              fg_ucx_context_info_t *info)
{
    static const struct {
        const char *key;
        size_t      off;
        size_t      cap;
    } keys[] = {
        { "TLS", offsetof(fg_ucx_context_info_t, tls), sizeof(info->tls) },
        { "NET_DEVICES", offsetof(fg_ucx_context_info_t, net_devices), sizeof(info->net_devices) },
        { "IB_GPU_DIRECT_RDMA", offsetof(fg_ucx_context_info_t, gpu_direct_rdma), sizeof(info->gpu_direct_rdma) },
        { "RNDV_SCHEME", offsetof(fg_ucx_context_info_t, rndv_scheme), sizeof(info->rndv_scheme) },
    };
    char   line[1024];
    size_t pos = 0, i;

    while (next_line(text, len, &pos, line, sizeof(line))) {
        char *name = line, *eq = strchr(line, '=');
        if (eq == NULL || line[0] == '#') {
            continue;
        }
        *eq = '\0';
        if (strncmp(name, "UCX_", 4) == 0) {
            name += 4;
        }
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            char *slot = (char *)info + keys[i].off;
            /* the first occurrence wins: ucp_config_modify'd keys print first */
            if (strcmp(name, keys[i].key) == 0 && slot[0] == '\0') {
                fg_strlcpy(slot, eq + 1, keys[i].cap);
            }
        }
    }
}

int fg_ucx_resources_from_print(const char *text, size_t len,
                                fg_lane_set_t *out)
{
    char   line[1024];
    size_t pos   = 0;
    int    found = 0;

    while (next_line(text, len, &pos, line, sizeof(line))) {
        char *tok, *slash;
        if (strstr(line, "resource") == NULL || strstr(line, " md ") == NULL) {
            continue;
        }
        tok = strrchr(line, ' ');
        tok = tok ? tok + 1 : line;
        slash = strchr(tok, '/');
        if (slash == NULL || slash == tok || slash[1] == '\0') {
            continue;
        }
        *slash = '\0';
        if (fg_lane_set_add(out, tok, slash + 1, "") == 0) {
            found++;
        }
    }
    return found;
}
