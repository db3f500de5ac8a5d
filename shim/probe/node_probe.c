/* Reading the node below a root directory (files and their kernel sources
 * are listed in include/fabguard/node.h). Read-only: nothing is loaded,
 * nothing opened for writing; device nodes are only opened O_RDONLY on the
 * live system to see whether this process may use them. */
#include "fabguard/node.h"
#include "fabguard/sysfs_text.h"
#include "fabguard/sysread.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *rootp(const char *root)
{
    return (root == NULL || strcmp(root, "/") == 0) ? "" : root;
}

static void path_of(char *out, size_t cap, const char *root, const char *fmt, ...)
{
    va_list ap;
    size_t  n;

    snprintf(out, cap, "%s", rootp(root));
    n = strlen(out);
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

/* First line of a small sysfs file, trimmed; "" when absent. */
static void read_line(const char *path, char *out, size_t cap)
{
    long n = fg_read_text(NULL, path, out, cap);
    out[0] = n > 0 ? out[0] : '\0';
    if (n > 0) {
        fg_sysfs_line(out);
    }
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Resolve a sysfs link and return the part from "/sys/devices" on. */
static void device_path(const char *link, char *out, size_t cap)
{
    char  real[PATH_MAX];
    char *s;

    out[0] = '\0';
    if (realpath(link, real) == NULL) {
        return;
    }
    s = strstr(real, "/sys/devices/");
    fg_strlcpy(out, s ? s : real, cap);
}

/* The name of the driver a device is bound to: the last component of its
 * driver link (readlink, not realpath: a fixture's link may point at a
 * folder that is not there). "" when unbound or unknown. */
static void driver_of(const char *link, char *out, size_t cap)
{
    char    target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    char   *slash;

    out[0] = '\0';
    if (n <= 0) {
        return;
    }
    target[n] = '\0';
    slash     = strrchr(target, '/');
    fg_strlcpy(out, slash ? slash + 1 : target, cap);
}

static void probe_port(const char *root, fg_rdma_dev_t *d, int num)
{
    fg_port_t *p = &d->port[d->nport];
    char       f[PATH_MAX];
    int        i;

    memset(p, 0, sizeof(*p));
    p->num = num;
    path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/state", d->name, num);
    read_line(f, p->state, sizeof(p->state));
    path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/phys_state", d->name, num);
    read_line(f, p->phys_state, sizeof(p->phys_state));
    path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/link_layer", d->name, num);
    read_line(f, p->link_layer, sizeof(p->link_layer));
    path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/rate", d->name, num);
    read_line(f, p->rate, sizeof(p->rate));
    for (i = 0; i < FG_NODE_MAX_GIDS; i++) {
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/gids/%d", d->name, num, i);
        read_line(f, p->gid[i], sizeof(p->gid[i]));
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/gid_attrs/types/%d", d->name, num, i);
        read_line(f, p->gid_type[i], sizeof(p->gid_type[i]));
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports/%d/gid_attrs/ndevs/%d", d->name, num, i);
        read_line(f, p->gid_ndev[i], sizeof(p->gid_ndev[i]));
        if (p->gid[i][0] != '\0') {
            p->ngid = i + 1;
        }
    }
    if (d->netdev[0] == '\0') {
        char port[16];
        snprintf(port, sizeof(port), "%d", num);
        fg_sys_roce_netdev(root, d->name, port, d->netdev, sizeof(d->netdev));
    }
    d->nport++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Up to MAX sorted entry names of a directory, copied into NAMES (no
 * allocation); returns how many. */
static int list_dir(const char *path, char names[][64], int max)
{
    DIR           *dir = opendir(path);
    struct dirent *e;
    char          *ptrs[256], tmp[256][64];
    int            n = 0, i;

    if (dir == NULL) {
        return 0;
    }
    while ((e = readdir(dir)) != NULL && n < max && n < 256) {
        if (e->d_name[0] == '.') continue;
        fg_strlcpy(tmp[n], e->d_name, sizeof(tmp[0]));
        ptrs[n] = tmp[n];
        n++;
    }
    closedir(dir);
    qsort(ptrs, (size_t)n, sizeof(ptrs[0]), cmp_names);
    for (i = 0; i < n; i++) {
        fg_strlcpy(names[i], ptrs[i], 64);
    }
    return n;
}

static void probe_rdma(const char *root, fg_node_t *node)
{
    char names[FG_NODE_MAX_DEVS][64], f[PATH_MAX], ports[8][64], uv[4][64];
    int  n, i, k, np;

    path_of(f, sizeof(f), root, "/sys/class/infiniband");
    n = list_dir(f, names, FG_NODE_MAX_DEVS);
    for (i = 0; i < n; i++) {
        fg_rdma_dev_t *d = &node->dev[node->ndev++];
        memset(d, 0, sizeof(*d));
        d->dev_openable = -1;
        fg_strlcpy(d->name, names[i], sizeof(d->name));
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/device", d->name);
        device_path(f, d->pci_path, sizeof(d->pci_path));
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/device/driver", d->name);
        driver_of(f, d->driver, sizeof(d->driver));
        {
            char numa[16];
            path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/device/numa_node", d->name);
            read_line(f, numa, sizeof(numa));
            d->numa = numa[0] ? atoi(numa) : -1;
        }
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/device/infiniband_verbs", d->name);
        if (list_dir(f, uv, 4) > 0) {
            fg_strlcpy(d->uverbs, uv[0], sizeof(d->uverbs));
            path_of(f, sizeof(f), root, "/dev/infiniband/%s", d->uverbs);
            d->dev_node = exists(f);
            if (node->live && d->dev_node) {
                int fd = open(f, O_RDONLY | O_CLOEXEC);
                d->dev_openable = fd >= 0;
                if (fd >= 0) close(fd);
            }
        }
        path_of(f, sizeof(f), root, "/sys/class/infiniband/%s/ports", d->name);
        np = list_dir(f, ports, 8);
        for (k = 0; k < np && d->nport < FG_NODE_MAX_PORTS; k++) {
            probe_port(root, d, atoi(ports[k]));
        }
    }
}

static void probe_gpus(const char *root, fg_node_t *node)
{
    static char names[512][64];
    char        f[PATH_MAX], cls[32], vendor[32], numa[16];
    int         n, i;

    path_of(f, sizeof(f), root, "/sys/bus/pci/devices");
    n = list_dir(f, names, 512);
    for (i = 0; i < n && node->ngpu < FG_NODE_MAX_GPUS; i++) {
        path_of(f, sizeof(f), root, "/sys/bus/pci/devices/%s/vendor", names[i]);
        read_line(f, vendor, sizeof(vendor));
        path_of(f, sizeof(f), root, "/sys/bus/pci/devices/%s/class", names[i]);
        read_line(f, cls, sizeof(cls));
        /* NVIDIA (0x10de) display (0x0300xx) or 3D controller (0x0302xx) */
        if (strcmp(vendor, "0x10de") != 0 || strncmp(cls, "0x03", 4) != 0) {
            continue;
        }
        fg_gpu_t *g = &node->gpu[node->ngpu++];
        fg_strlcpy(g->bdf, names[i], sizeof(g->bdf));
        path_of(f, sizeof(f), root, "/sys/bus/pci/devices/%s", names[i]);
        device_path(f, g->pci_path, sizeof(g->pci_path));
        path_of(f, sizeof(f), root, "/sys/bus/pci/devices/%s/numa_node", names[i]);
        read_line(f, numa, sizeof(numa));
        g->numa = numa[0] ? atoi(numa) : -1;
    }
}

static void probe_misc(const char *root, fg_node_t *node)
{
    char f[PATH_MAX], names[64][64], text[65536];
    int  n, i;

    path_of(f, sizeof(f), root, "/sys/class/net");
    n = list_dir(f, names, 64);
    for (i = 0; i < n; i++) {
        fg_ifset_add(&node->ifaces, names[i]);
    }
    fg_sys_default_routes(root, &node->mgmt);
    path_of(f, sizeof(f), root, "/dev/infiniband");
    node->dev_infiniband = exists(f);
    path_of(f, sizeof(f), root, "/dev/gdrdrv");
    node->gdrdrv = exists(f);
    if (fg_read_text(root, "/proc/modules", text, sizeof(text)) > 0) {
        node->peermem_loaded = fg_modules_peermem(text, node->peermem_name, sizeof(node->peermem_name));
    }
    /* MLNX_OFED's peer-memory clients register as "nv_mem" */
    path_of(f, sizeof(f), root, "/sys/kernel/mm/memory_peers/nv_mem/version");
    node->peermem_registered = exists(f);
}

void fg_node_probe(const char *root, fg_node_t *node)
{
    memset(node, 0, sizeof(*node));
    node->live = rootp(root)[0] == '\0';
    probe_rdma(root, node);
    probe_gpus(root, node);
    probe_misc(root, node);
}
