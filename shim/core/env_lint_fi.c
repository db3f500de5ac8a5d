/* `fabguard env` for libfabric's variables. Syntax from libfabric's
 * src/fabric.c (FI_PROVIDER: a comma list, a leading '^' excludes;
 * FI_PROVIDER_PATH: ':'-separated folders of lib<name>-fi.so), the efa
 * provider's FI_EFA_USE_DEVICE_RDMA, src/hmem.c (FI_HMEM: interfaces, '^'
 * excludes; FI_HMEM_DISABLE_P2P), the tcp/sockets providers' FI_TCP_IFACE /
 * FI_SOCKETS_IFACE, and src/hooks (FI_HOOK names). Booleans as
 * fi_param_get parses them (1/0, yes/no, true/false, on/off). */
#include "fabguard/libfabric_env.h"
#include "fabguard/libfabric.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=') return *envp + n + 1;
    }
    return NULL;
}

int fg_node_dev_is_efa(const fg_rdma_dev_t *d)
{
    return strncmp(d->name, "rdmap", 5) == 0 || strncmp(d->name, "efa", 3) == 0;
}

static int node_efa(const fg_node_t *n)
{
    int i, k = 0;
    for (i = 0; i < n->ndev; i++) k += fg_node_dev_is_efa(&n->dev[i]);
    return k;
}

/* Does the list (items, comma-separated) name provider `p`? */
static int list_has(const char *list, const char *p)
{
    char  buf[256], *tok, *save = NULL;
    fg_strlcpy(buf, list, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (strcmp(tok, p) == 0) return 1;
    }
    return 0;
}

static void lint_provider(const fg_node_t *n, const char *v, fg_checks_t *out)
{
    char  buf[256], *tok, *save = NULL;
    int   efa = node_efa(n), socket_only = 1, any = 0;

    if (v == NULL) {
        if (efa > 0) {
            fg_checks_add(out, "FI_PROVIDER", FG_CHECK_WARN,
                          "set FI_PROVIDER=efa so a missing device fails instead of falling back",
                          "unset on a node with %d EFA device(s): libfabric takes the first usable "
                          "provider and falls back to tcp silently", efa);
        } else {
            fg_checks_add(out, "FI_PROVIDER", FG_CHECK_OK, "", "unset (libfabric takes the first usable provider)");
        }
        return;
    }
    if (v[0] == '^') {
        if (list_has(v + 1, "efa") || list_has(v + 1, "verbs")) {
            fg_checks_add(out, "FI_PROVIDER", FG_CHECK_FAIL, "do not exclude the RDMA provider",
                          "'%s' excludes the RDMA provider: libfabric will use tcp/sockets", v);
        } else {
            fg_checks_add(out, "FI_PROVIDER", FG_CHECK_OK, "", "'%s'", v);
        }
        return;
    }
    fg_strlcpy(buf, v, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        any = 1;
        socket_only &= fg_fi_provider_is_socket(tok) || strcmp(tok, "shm") == 0 ||
                       strncmp(tok, "ofi_", 4) == 0;
    }
    if (any && socket_only && n->ndev == 0) {
        fg_checks_add(out, "FI_PROVIDER", FG_CHECK_OK, "",
                      "'%s' (this node has no RDMA device: host sockets are all there is)", v);
    } else if (any && socket_only) {
        fg_checks_add(out, "FI_PROVIDER", FG_CHECK_FAIL,
                      "set FI_PROVIDER=efa (or verbs) on an RDMA node",
                      "'%s' pins libfabric to TCP/host sockets", v);
    } else if (list_has(v, "efa") && efa == 0) {
        fg_checks_add(out, "FI_PROVIDER", FG_CHECK_WARN,
                      "mount /dev/infiniband and the EFA device into the pod (vpc.amazonaws.com/efa)",
                      "'%s' but this node shows no EFA device: fi_getinfo will find nothing", v);
    } else {
        fg_checks_add(out, "FI_PROVIDER", FG_CHECK_OK, "", "'%s'", v);
    }
}

static void lint_bools(char *const *envp, fg_checks_t *out)
{
    const char *v;
    int         b;

    v = env_get(envp, "FI_EFA_USE_DEVICE_RDMA");
    if (v == NULL) {
        fg_checks_add(out, "FI_EFA_USE_DEVICE_RDMA", FG_CHECK_OK, "", "unset (the efa provider decides by device)");
    } else if (!fg_parse_bool(v, &b)) {
        fg_checks_add(out, "FI_EFA_USE_DEVICE_RDMA", FG_CHECK_FAIL, "use 1 or 0", "'%s' is not a libfabric boolean", v);
    } else if (!b) {
        fg_checks_add(out, "FI_EFA_USE_DEVICE_RDMA", FG_CHECK_WARN, "unset it or set 1",
                      "'%s': EFA device RDMA off, GPU buffers are staged through host memory", v);
    } else {
        fg_checks_add(out, "FI_EFA_USE_DEVICE_RDMA", FG_CHECK_OK, "", "'%s'", v);
    }
    v = env_get(envp, "FI_HMEM_DISABLE_P2P");
    if (v != NULL) {
        if (!fg_parse_bool(v, &b)) {
            fg_checks_add(out, "FI_HMEM_DISABLE_P2P", FG_CHECK_FAIL, "use 1 or 0", "'%s' is not a libfabric boolean", v);
        } else if (b) {
            fg_checks_add(out, "FI_HMEM_DISABLE_P2P", FG_CHECK_WARN, "unset it",
                          "'%s': peer-to-peer (GPUDirect) transfers switched off", v);
        } else {
            fg_checks_add(out, "FI_HMEM_DISABLE_P2P", FG_CHECK_OK, "", "'%s'", v);
        }
    }
    v = env_get(envp, "FI_HMEM");
    if (v != NULL) {
        if ((v[0] == '^' && list_has(v + 1, "cuda")) || (v[0] != '^' && !list_has(v, "cuda"))) {
            fg_checks_add(out, "FI_HMEM", FG_CHECK_WARN, "unset it, or list cuda",
                          "'%s' leaves CUDA memory out: libfabric cannot register GPU buffers", v);
        } else {
            fg_checks_add(out, "FI_HMEM", FG_CHECK_OK, "", "'%s'", v);
        }
    }
}

static void lint_path_and_hook(char *const *envp, fg_checks_t *out)
{
    static const char *const hooks[] = { "perf", "noop", "debug", "trace", "hmem",
                                         "dmabuf_peer_mem", "profile", "monitor" };
    const char *v = env_get(envp, "FI_PROVIDER_PATH");
    size_t      i;

    if (v != NULL) {
        char  buf[1024], *dir, *save = NULL, bad[256] = "";
        int   libs = 0;
        fg_strlcpy(buf, v, sizeof(buf));
        for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            DIR           *d = opendir(dir);
            struct dirent *e;
            if (d == NULL) {
                if (!bad[0]) fg_strlcpy(bad, dir, sizeof(bad));
                continue;
            }
            while ((e = readdir(d)) != NULL) {
                size_t l = strlen(e->d_name);
                libs += l > 9 && strncmp(e->d_name, "lib", 3) == 0 &&
                        strcmp(e->d_name + l - 6, "-fi.so") == 0;
            }
            closedir(d);
        }
        if (bad[0]) {
            fg_checks_add(out, "FI_PROVIDER_PATH", FG_CHECK_FAIL, "point it at the folder holding libefa-fi.so (or unset it)",
                          "'%s' is not a readable folder", bad);
        } else if (libs == 0) {
            fg_checks_add(out, "FI_PROVIDER_PATH", FG_CHECK_WARN, "point it at the folder holding lib<provider>-fi.so",
                          "'%s' holds no lib*-fi.so provider", v);
        } else {
            fg_checks_add(out, "FI_PROVIDER_PATH", FG_CHECK_OK, "", "'%s' holds %d provider librar%s",
                          v, libs, libs == 1 ? "y" : "ies");
        }
    }
    v = env_get(envp, "FI_HOOK");
    if (v != NULL) {
        int known = 0;
        for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) known |= strcmp(v, hooks[i]) == 0;
        if (known) {
            fg_checks_add(out, "FI_HOOK", FG_CHECK_OK, "", "'%s' (a hook provider wraps every provider call)", v);
        } else {
            fg_checks_add(out, "FI_HOOK", FG_CHECK_WARN, "use a hook libfabric ships (perf, noop, debug, trace, …)",
                          "'%s' is not a hook this tool knows: libfabric ignores unknown hooks", v);
        }
    }
}

static void lint_iface(const fg_node_t *n, char *const *envp, const char *var, fg_checks_t *out)
{
    const char *v = env_get(envp, var);

    if (v == NULL) {
        return;
    }
    if (fg_ifset_contains(&n->mgmt, v)) {
        fg_checks_add(out, var, FG_CHECK_FAIL, "name the data NIC",
                      "'%s' is the management NIC (default route)", v);
    } else if (n->ifaces.n > 0 && !fg_ifset_contains(&n->ifaces, v)) {
        fg_checks_add(out, var, FG_CHECK_FAIL, "name an interface of /sys/class/net",
                      "'%s' is not an interface of this node", v);
    } else {
        fg_checks_add(out, var, FG_CHECK_OK, "", "'%s'", v);
    }
}

static void lint_typos(char *const *envp, fg_checks_t *out)
{
    static const char *const known[] = {
        "FI_PROVIDER", "FI_PROVIDER_PATH", "FI_EFA_USE_DEVICE_RDMA", "FI_HMEM", "FI_HMEM_DISABLE_P2P",
        "FI_HOOK", "FI_TCP_IFACE", "FI_SOCKETS_IFACE", "FI_LOG_LEVEL", "FI_LOG_PROV", "FI_LOG_SUBSYS",
        "FI_EFA_FORK_SAFE", "FI_EFA_USE_HUGE_PAGE", "FI_MR_CACHE_MONITOR", "FI_UNIVERSE_SIZE",
    };
    size_t k;

    for (; envp && *envp; envp++) {
        char        name[96];
        size_t      len = strcspn(*envp, "=");
        int         best = 99, exact = 0;
        const char *hint = NULL;
        if (len >= sizeof(name) || strncmp(*envp, "FI_", 3) != 0) continue;
        memcpy(name, *envp, len);
        name[len] = '\0';
        for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
            int d = fg_edit_distance(name, known[k]);
            exact |= d == 0;
            if (d < best) { best = d; hint = known[k]; }
        }
        if (!exact && best <= 2) {
            fg_checks_add(out, name, FG_CHECK_WARN, "rename it: libfabric ignores unknown names",
                          "unknown variable (did you mean %s?)", hint);
        }
    }
}

void fg_env_checks_libfabric(const fg_node_t *n, char *const *envp, fg_checks_t *out)
{
    lint_provider(n, env_get(envp, "FI_PROVIDER"), out);
    lint_bools(envp, out);
    lint_path_and_hook(envp, out);
    lint_iface(n, envp, "FI_TCP_IFACE", out);
    lint_iface(n, envp, "FI_SOCKETS_IFACE", out);
    lint_typos(envp, out);
}
