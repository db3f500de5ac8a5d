/* Default-route interfaces from /proc/net/route and /proc/net/ipv6_route,
 * read from the caller's own network namespace (or a fixture root). */
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

long fg_read_text(const char *root, const char *path, char *buf, size_t cap)
{
    char    full[4096];
    int     fd, n;
    size_t  got = 0;
    ssize_t r;

    if (cap == 0) {
        errno = EINVAL;
        return -1;
    }
    n = snprintf(full, sizeof(full), "%s%s",
                 (root != NULL && strcmp(root, "/") != 0) ? root : "", path);
    if (n < 0 || (size_t)n >= sizeof(full)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    while (got + 1 < cap) {
        r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

/* The netdev of a RoCE port: the first GID table entry that names one
 * (drivers/infiniband/core/sysfs.c print_ndev; an InfiniBand port has none). */
static void port_netdev(const char *root, const char *dev, const char *port,
                        char *out, size_t cap)
{
    char path[320];
    int  i;

    out[0] = '\0';
    snprintf(path, sizeof(path), "/sys/class/infiniband/%.64s/ports/%.16s/link_layer", dev, port);
    if (fg_read_text(root, path, out, cap) > 0 && strncmp(out, "InfiniBand", 10) == 0) {
        out[0] = '\0';   /* no netdev; reading its ndevs only gives EINVAL */
        return;
    }
    out[0] = '\0';
    for (i = 0; i < 16 && out[0] == '\0'; i++) {
        snprintf(path, sizeof(path), "/sys/class/infiniband/%.64s/ports/%.16s/gid_attrs/ndevs/%d",
                 dev, port, i);
        if (fg_read_text(root, path, out, cap) <= 0) {
            out[0] = '\0';
            continue;
        }
        out[strcspn(out, " \t\r\n")] = '\0';
    }
}

static DIR *open_dir_below(const char *root, const char *path)
{
    char full[512];

    snprintf(full, sizeof(full), "%s%s",
             root == NULL || strcmp(root, "/") == 0 ? "" : root, path);
    return opendir(full);   /* glibc opens directories O_CLOEXEC */
}

/* Streams the directories (no sorting, small stack): the shim calls this
 * once, from whichever application thread comes first. */
static void add_roce_ports(const char *root, fg_ifset_t *set)
{
    DIR           *devs = open_dir_below(root, "/sys/class/infiniband"), *ports;
    struct dirent *d, *p;
    char           path[320], ndev[64], name[80];
    size_t         plain = set->n;

    if (devs == NULL) {
        return;
    }
    while ((d = readdir(devs)) != NULL) {
        if (d->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "/sys/class/infiniband/%.64s/ports", d->d_name);
        if ((ports = open_dir_below(root, path)) == NULL) continue;
        while ((p = readdir(ports)) != NULL) {
            size_t i;
            if (p->d_name[0] == '.') continue;
            port_netdev(root, d->d_name, p->d_name, ndev, sizeof(ndev));
            for (i = 0; i < plain && ndev[0] != '\0'; i++) {
                if (set->via[i][0] == '\0' && fnmatch(set->name[i], ndev, 0) == 0) {
                    snprintf(name, sizeof(name), "%.48s:%.16s", d->d_name, p->d_name);
                    fg_ifset_add_via(set, name, ndev);
                    break;
                }
            }
        }
        closedir(ports);
    }
    closedir(devs);
}

int fg_mgmt_ifaces(const struct fg_policy *pol, const char *root,
                   fg_ifset_t *out)
{
    char   text[16384];
    size_t i;

    for (i = 0; i < pol->management_ifaces.n; i++) {
        const char *item = pol->management_ifaces.item[i];
        if (strcmp(item, "auto") != 0) {
            fg_ifset_add(out, item);
            continue;
        }
        if (fg_read_text(root, "/proc/net/route", text, sizeof(text)) >= 0) {
            fg_route_default_ifaces(text, out);
        }
        if (fg_read_text(root, "/proc/net/ipv6_route", text, sizeof(text)) >= 0) {
            fg_route6_default_ifaces(text, out);
        }
    }
    add_roce_ports(root, out);
    return (int)out->n;
}

