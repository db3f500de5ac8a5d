/* Every read of /proc and /sys (and the one process the node checks ask):
 * the kernel's tables come in here as text and go to the pure parsers
 * (netinfo.c for routes). A root other than "/" reads a fixture tree. */
#include "fabguard/sysread.h"
#include "fabguard/policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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
void fg_sys_roce_netdev(const char *root, const char *dev, const char *port,
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
            fg_sys_roce_netdev(root, d->d_name, p->d_name, ndev, sizeof(ndev));
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

void fg_sys_default_routes(const char *root, fg_ifset_t *out)
{
    char text[65536];

    if (fg_read_text(root, "/proc/net/route", text, sizeof(text)) > 0) {
        fg_route_default_ifaces(text, out);
    }
    if (fg_read_text(root, "/proc/net/ipv6_route", text, sizeof(text)) > 0) {
        fg_route6_default_ifaces(text, out);
    }
}

int fg_mgmt_ifaces(const struct fg_policy *pol, const char *root,
                   fg_ifset_t *out)
{
    size_t i;

    for (i = 0; i < pol->management_ifaces.n; i++) {
        const char *item = pol->management_ifaces.item[i];
        if (strcmp(item, "auto") != 0) {
            fg_ifset_add(out, item);
            continue;
        }
        fg_sys_default_routes(root, out);
    }
    add_roce_ports(root, out);
    return (int)out->n;
}


/* `nvidia-smi topo -m` (live system only; no shell): any "NV<n>" cell. */
int fg_sys_nvidia_smi_nvlink(void)
{
    char *const argv[] = { "nvidia-smi", "topo", "-m", NULL };
    char        buf[65536];
    size_t      got = 0;
    int         fds[2], st = 0, found = 0;
    pid_t       pid;
    posix_spawn_file_actions_t fa;

    if (pipe2(fds, O_CLOEXEC) < 0) return 0;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    if (posix_spawnp(&pid, "nvidia-smi", &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    for (;;) {
        ssize_t r = read(fds[0], buf + got, sizeof(buf) - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        if (got == sizeof(buf) - 1) break;
    }
    close(fds[0]);
    waitpid(pid, &st, 0);
    buf[got] = '\0';
    for (size_t i = 0; i + 2 < got && !found; i++) {
        found = buf[i] == 'N' && buf[i + 1] == 'V' && buf[i + 2] >= '0' && buf[i + 2] <= '9';
    }
    return found;
}
