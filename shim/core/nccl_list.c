/* NCCL's interface/HCA list grammar, shared by the node and env checks. */
#include "fabguard/nccl_list.h"
#include "fabguard/common.h"

#include <stdlib.h>
#include <string.h>

int fg_nccl_list_selects(const char *spec, const char *name, int port)
{
    char        buf[512], *tok, *save = NULL;
    int         exclude = 0, exact = 0, hit = 0;
    const char *s = spec;

    if (*s == '^') { exclude = 1; s++; }
    if (*s == '=') { exact = 1; s++; }
    fg_strlcpy(buf, s, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok && !hit; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        int   want_port = -1;
        if (colon) { *colon = '\0'; want_port = atoi(colon + 1); }
        if (exact ? strcmp(tok, name) == 0 : strncmp(tok, name, strlen(tok)) == 0) {
            hit = (want_port < 0 || port < 0 || want_port == port);
        }
    }
    return exclude ? !hit : hit;
}
