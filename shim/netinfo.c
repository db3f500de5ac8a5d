/* Default-route interfaces from /proc/net/route and /proc/net/ipv6_route,
 * read from the caller's own network namespace (or a fixture root). */
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void fg_ifset_add(fg_ifset_t *set, const char *name)
{
    if (name[0] == '\0' || fg_ifset_contains(set, name) ||
        set->n >= FG_MAX_IFACES) {
        return;
    }
    fg_strlcpy(set->name[set->n++], name, sizeof(set->name[0]));
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
    return (int)out->n;
}
