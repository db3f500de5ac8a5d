/* Rail topology from the node probe (see fabguard/topo.h). */
#include "fabguard/topo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const dist_names[] = { "PIX", "PXB", "PHB", "NODE", "SYS" };

const char *fg_dist_name(fg_dist_t d)
{
    return (d >= FG_DIST_PIX && d <= FG_DIST_SYS) ? dist_names[d] : "unknown";
}

fg_dist_t fg_dist_parse(const char *s)
{
    int i;

    for (i = 0; s != NULL && i <= FG_DIST_SYS; i++) {
        if (strcasecmp(s, dist_names[i]) == 0) {
            return (fg_dist_t)i;
        }
    }
    return FG_DIST_UNKNOWN;
}

void fg_topo_build(const fg_node_t *node, fg_topo_t *t)
{
    int g, i;

    memset(t, 0, sizeof(*t));
    t->ngpu = node->ngpu;
    t->nnic = node->ndev;
    t->flat = node->ngpu > 0 && node->ndev > 0;
    for (g = 0; g < node->ngpu; g++) {
        fg_strlcpy(t->gpu_bdf[g], node->gpu[g].bdf, sizeof(t->gpu_bdf[g]));
        t->best[g] = FG_DIST_UNKNOWN;
    }
    for (i = 0; i < node->ndev; i++) {
        fg_topo_nic_t *nic = &t->nic[i];

        fg_strlcpy(nic->name, node->dev[i].name, sizeof(nic->name));
        fg_strlcpy(nic->netdev, node->dev[i].netdev, sizeof(nic->netdev));
        for (g = 0; g < node->ngpu; g++) {
            nic->dist[g] = fg_dist_parse(fg_pci_relation(
                node->gpu[g].pci_path, node->gpu[g].numa,
                node->dev[i].pci_path, node->dev[i].numa));
            if (nic->dist[g] < t->best[g]) t->best[g] = nic->dist[g];
            if (nic->dist[g] <= FG_DIST_PXB) t->flat = 0;
        }
    }
}

/* Parse "dddd:bb:dd.f" (domain optional, any width) or NCCL's hex int. */
static int parse_busid(const char *s, unsigned long *dom, unsigned *bus,
                       unsigned *dev, unsigned *fn)
{
    char              *end;
    unsigned long      a, b, c, d;

    while (isspace((unsigned char)*s)) s++;
    if (strchr(s, ':') == NULL) {
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
        if (!isxdigit((unsigned char)*s)) return -1;
        a = strtoul(s, &end, 16);
        if (*end != '\0' && !isspace((unsigned char)*end)) return -1;
        *fn = a & 0xf; *dev = (a >> 4) & 0xff; *bus = (a >> 12) & 0xff; *dom = a >> 20;
        return 0;
    }
    a = strtoul(s, &end, 16);
    if (*end != ':') return -1;
    b = strtoul(end + 1, &end, 16);
    if (*end == ':') {                       /* domain:bus:dev.fn */
        c = strtoul(end + 1, &end, 16);
        if (*end != '.') return -1;
        d = strtoul(end + 1, &end, 16);
        *dom = a; *bus = (unsigned)b; *dev = (unsigned)c; *fn = (unsigned)d;
    } else if (*end == '.') {                /* bus:dev.fn */
        c = strtoul(end + 1, &end, 16);
        *dom = 0; *bus = (unsigned)a; *dev = (unsigned)b; *fn = (unsigned)c;
    } else {
        return -1;
    }
    return (*bus > 0xff || *dev > 0x1f || *fn > 7) ? -1 : 0;
}

int fg_topo_gpu_by_busid(const fg_topo_t *t, const char *busid)
{
    unsigned long dom, gdom;
    unsigned      bus, dev, fn, gbus, gdev, gfn;
    int           g;

    if (busid == NULL || parse_busid(busid, &dom, &bus, &dev, &fn) < 0) return -1;
    for (g = 0; g < t->ngpu; g++) {
        if (parse_busid(t->gpu_bdf[g], &gdom, &gbus, &gdev, &gfn) == 0 &&
            gdom == dom && gbus == bus && gdev == dev && gfn == fn) {
            return g;
        }
    }
    return -1;
}

int fg_topo_nic_by_name(const fg_topo_t *t, const char *name)
{
    size_t n;
    int    i;

    if (name == NULL) return -1;
    n = strcspn(name, ":/");
    for (i = 0; i < t->nnic; i++) {
        if ((strlen(t->nic[i].name) == n && strncmp(t->nic[i].name, name, n) == 0) ||
            (t->nic[i].netdev[0] && strlen(t->nic[i].netdev) == n &&
             strncmp(t->nic[i].netdev, name, n) == 0)) {
            return i;
        }
    }
    return -1;
}

void fg_topo_nearest(const fg_topo_t *t, int gpu, char *out, size_t cap)
{
    fg_sbuf_t sb;
    int       i, k = 0;

    fg_sb_init(&sb, out, cap);
    if (gpu >= 0 && gpu < t->ngpu) {
        for (i = 0; i < t->nnic; i++) {
            if (t->nic[i].dist[gpu] == t->best[gpu]) {
                fg_sb_printf(&sb, "%s%s", k++ ? ", " : "", t->nic[i].name);
            }
        }
    }
    if (cap > 0 && sb.len < cap) out[sb.len] = '\0';
}

int fg_topo_visible_gpus(const fg_topo_t *t, const char *cv, int *idx, int max)
{
    int   n = 0, g;
    char *end;

    if (cv == NULL) {
        for (g = 0; g < t->ngpu && n < max; g++) idx[n++] = g;
        return n;
    }
    while (*cv && n < max) {
        while (*cv == ' ' || *cv == ',') cv++;
        if (!isdigit((unsigned char)*cv)) break;   /* UUID, MIG, or garbage */
        g = (int)strtol(cv, &end, 10);
        if (g < 0 || g >= t->ngpu) break;           /* CUDA stops here too */
        idx[n++] = g;
        cv = end;
        if (*cv != ',' && *cv != '\0') break;
    }
    return n;
}
