/* Interface sets and the parsers of the kernel's route tables. Pure: the
 * text comes from the caller (sysread.c reads it from /proc). */
#include "fabguard/netinfo.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

void fg_ifset_add(fg_ifset_t *set, const char *name)
{
    fg_ifset_add_via(set, name, "");
}

void fg_ifset_add_via(fg_ifset_t *set, const char *name, const char *iface)
{
    if (name[0] == '\0' || fg_ifset_contains(set, name) ||
        set->n >= FG_MAX_IFACES) {
        return;
    }
    fg_strlcpy(set->via[set->n], iface, sizeof(set->via[0]));
    fg_strlcpy(set->name[set->n++], name, sizeof(set->name[0]));
}

const char *fg_ifset_via(const fg_ifset_t *set, const char *name)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        if (set->via[i][0] != '\0' && strcmp(set->name[i], name) == 0) {
            return set->via[i];
        }
    }
    return NULL;
}

int fg_ifset_contains(const fg_ifset_t *set, const char *name)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        if (strcmp(set->name[i], name) == 0 ||
            fnmatch(set->name[i], name, 0) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Copy the next whitespace-separated field; returns pointer after it. */
static const char *next_field(const char *p, char *out, size_t cap)
{
    size_t n = 0;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
        if (n + 1 < cap) {
            out[n++] = *p;
        }
        p++;
    }
    out[n] = '\0';
    return p;
}

static const char *next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : p + strlen(p);
}

int fg_route_default_ifaces(const char *text, fg_ifset_t *out)
{
    const char *p = next_line(text);   /* header line */
    int         found = 0;

    while (*p != '\0') {
        char iface[64], dest[64], gw[64], flags[64], skip[64], mask[64];
        const char *q = p;
        int         i;

        q = next_field(q, iface, sizeof(iface));
        q = next_field(q, dest, sizeof(dest));
        q = next_field(q, gw, sizeof(gw));
        q = next_field(q, flags, sizeof(flags));
        for (i = 0; i < 3; i++) {           /* RefCnt Use Metric */
            q = next_field(q, skip, sizeof(skip));
        }
        next_field(q, mask, sizeof(mask));
        if (iface[0] != '\0' && strcmp(dest, "00000000") == 0 &&
            strcmp(mask, "00000000") == 0 && strlen(iface) < 16) {
            fg_ifset_add(out, iface);
            found++;
        }
        p = next_line(p);
    }
    return found;
}

int fg_route6_default_ifaces(const char *text, fg_ifset_t *out)
{
    static const char zero[] = "00000000000000000000000000000000";
    const char       *p      = text;
    int               found  = 0;

    while (*p != '\0') {
        char f[10][64];
        const char *q = p;
        int         i;

        for (i = 0; i < 10; i++) {
            q = next_field(q, f[i], sizeof(f[i]));
        }
        /* dest plen src splen nexthop metric refcnt use flags iface */
        if (strcmp(f[0], zero) == 0 && strcmp(f[1], "00") == 0 &&
            f[9][0] != '\0' && strcmp(f[9], "lo") != 0 && strlen(f[9]) < 16) {
            fg_ifset_add(out, f[9]);
            found++;
        }
        p = next_line(p);
    }
    return found;
}
