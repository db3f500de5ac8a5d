/* Parser for UCX's endpoint-configuration info line (formats in
 * include/fabguard/ucx_ep_cfg.h). Pure: text in, lanes out. */
#include "fabguard/ucx_ep_cfg.h"

#include "fabguard/common.h"
#include <stdlib.h>
#include <string.h>

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* Copy the word at p (up to a space or `stop`) into out; return its end. */
static const char *word(const char *p, const char *stop, char *out, size_t cap)
{
    size_t n = 0;

    while (*p != '\0' && *p != ' ' && strchr(stop, *p) == NULL) {
        if (n + 1 < cap) {
            out[n++] = *p;
        }
        p++;
    }
    out[n] = '\0';
    return p;
}

static int parse_index(const char *p, const char *end_char)
{
    char *end;
    long  v = strtol(p, &end, 10);

    if (end == p || v < 0 || v > 1000000 || (end_char != NULL && *end != *end_char)) {
        return -1;
    }
    return (int)v;
}

/* The header up to the first feature group: returns where groups start. */
static const char *parse_header(const char *p, fg_ucx_ep_cfg_t *out)
{
    char        w[64];
    const char *q;

    if (strncmp(p, "ep_cfg[", 7) == 0) {   /* 1.13 */
        out->cfg_index = parse_index(p + 7, "]");
        q              = strchr(p, ':');
        return (out->cfg_index < 0 || q == NULL || q[-1] != ']') ? NULL : q + 1;
    }
    while (*p != '\0') {                   /* 1.22: [name] locality cfg#N */
        q = word(p, "", w, sizeof(w));
        if (strncmp(w, "cfg#", 4) == 0) {
            out->cfg_index = parse_index(w + 4, "");
            return out->cfg_index < 0 || out->locality[0] == '\0' ? NULL : q;
        }
        if (strcmp(w, "intra-node") == 0 || strcmp(w, "inter-node") == 0 ||
            strcmp(w, "self") == 0) {
            fg_strlcpy(out->locality, w, sizeof(out->locality));
        } else if (out->locality[0] == '\0' && out->context[0] == '\0') {
            fg_strlcpy(out->context, w, sizeof(out->context));
        } else {
            return NULL;
        }
        p = skip_spaces(q);
    }
    return NULL;
}

/* Is `w` one of the space-separated words of `list`? */
static int has_word(const char *list, const char *w)
{
    size_t      n = strlen(w);
    const char *p;

    for (p = list; (p = strstr(p, w)) != NULL; p += n) {
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) {
            return 1;
        }
    }
    return 0;
}

static void add_lane(fg_ucx_ep_cfg_t *out, const char *tl, const char *dev,
                     const char *group)
{
    size_t i;

    for (i = 0; i < out->lanes.n; i++) {
        fg_lane_t *l = &out->lanes.lane[i];
        if (strcmp(l->transport, tl) == 0 && strcmp(l->device, dev) == 0) {
            if (strlen(l->usage) + strlen(group) + 2 < sizeof(l->usage) &&
                !has_word(l->usage, group)) {
                strcat(l->usage, " ");
                strcat(l->usage, group);
            }
            return;
        }
    }
    fg_lane_set_add(&out->lanes, tl, dev, group);
}

/* " tag(tcp/lo tcp/eth0) rma(…)" -> lanes. 0, or -1 on a malformed group. */
static int parse_groups(const char *p, fg_ucx_ep_cfg_t *out)
{
    char group[16], lane[128];

    for (p = skip_spaces(p); *p != '\0'; p = skip_spaces(p)) {
        p = word(p, "(", group, sizeof(group));
        if (*p != '(' || group[0] == '\0') {
            return -1;
        }
        for (p = skip_spaces(p + 1); *p != ')'; p = skip_spaces(p)) {
            char *slash;
            p = word(p, ")", lane, sizeof(lane));
            if (*p == '\0' || (slash = strchr(lane, '/')) == NULL || slash == lane) {
                return -1;
            }
            *slash = '\0';
            add_lane(out, lane, slash + 1, group);
        }
        p++;
    }
    return 0;
}

int fg_ucx_ep_cfg_parse(const char *line, fg_ucx_ep_cfg_t *out)
{
    const char *p;

    memset(out, 0, sizeof(*out));
    out->cfg_index = -1;
    p = parse_header(skip_spaces(line), out);
    if (p == NULL || parse_groups(p, out) < 0 || out->lanes.n == 0) {
        return -1;
    }
    return 0;
}
