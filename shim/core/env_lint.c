/* `fabguard env`: the interconnect variables of the seed's tables, with
 * their real syntax (UCX src/ucs/config/parser.c, src/ucp/core/ucp_context.c
 * for UCX_TLS aliases; NCCL src/misc/utils.cc parseStringList/matchIf for
 * NCCL_IB_HCA and NCCL_SOCKET_IFNAME; src/graph/paths.cc for the level
 * names), checked against this node. */
#include "fabguard/nixl_env.h"
#include "fabguard/node.h"
#include "fabguard/sysfs_text.h"
#include "fabguard/libfabric_env.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=') return *envp + n + 1;
    }
    return NULL;
}

/* UCX_TLS -> which families it allows (aliases as ucp_context.c defines). */
typedef struct { int tcp, rdma, shm, cuda, only_tcp; } tls_t;

static int tls_item_family(const char *t, tls_t *f, int on)
{
    if (!strcmp(t, "all")) { f->tcp = f->rdma = f->shm = f->cuda = on; return 1; }
    if (!strcmp(t, "tcp")) { f->tcp = on; return 1; }
    if (!strcmp(t, "sm") || !strcmp(t, "shm") || !strcmp(t, "posix") || !strcmp(t, "sysv") ||
        !strcmp(t, "cma") || !strcmp(t, "knem") || !strcmp(t, "xpmem") || !strcmp(t, "self")) { f->shm = on; return 1; }
    if (!strcmp(t, "ib") || !strncmp(t, "rc", 2) || !strncmp(t, "ud", 2) || !strncmp(t, "dc", 2)) { f->rdma = on; return 1; }
    if (!strncmp(t, "cuda", 4) || !strcmp(t, "gdr_copy") || !strcmp(t, "rocm")) { f->cuda = on; return 1; }
    return 0;
}

static void lint_ucx_tls(const fg_node_t *n, const char *v, fg_checks_t *out)
{
    char  buf[512], *tok, *save = NULL, unknown[128] = "";
    tls_t f = { 0, 0, 0, 0, 0 };
    int   neg = 0;

    if (v == NULL) {
        fg_checks_add(out, "UCX_TLS", FG_CHECK_OK, "", "unset (UCX picks from all transports)");
        return;
    }
    fg_strlcpy(buf, v, sizeof(buf));
    tok = buf;
    if (*tok == '^') { neg = 1; tok++; f.tcp = f.rdma = f.shm = f.cuda = 1; }
    for (tok = strtok_r(tok, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!tls_item_family(tok, &f, !neg) && !unknown[0]) fg_strlcpy(unknown, tok, sizeof(unknown));
    }
    if (unknown[0]) {
        fg_checks_add(out, "UCX_TLS", FG_CHECK_WARN, "check the spelling against `ucx_info -d`",
                      "'%s' is not a UCX transport or alias this tool knows", unknown);
    } else if (f.tcp && !f.rdma && !f.shm && !f.cuda) {
        fg_checks_add(out, "UCX_TLS", FG_CHECK_FAIL, "include rc (or dc/ud) and cuda_ipc/cuda_copy: e.g. UCX_TLS=rc,cuda_ipc,cuda_copy,sm",
                      "'%s' resolves to tcp only: KV transfers will crawl", v);
    } else if (n->ndev > 0 && !f.rdma) {
        fg_checks_add(out, "UCX_TLS", FG_CHECK_FAIL, "add rc (or ib) to UCX_TLS",
                      "'%s' excludes every RDMA transport on a node with %d HCA(s)", v, n->ndev);
    } else if (n->ngpu > 0 && !f.cuda) {
        fg_checks_add(out, "UCX_TLS", FG_CHECK_WARN, "add cuda_ipc,cuda_copy for NVLink/GPU memory",
                      "'%s' has no CUDA transport on a node with %d GPU(s)", v, n->ngpu);
    } else {
        fg_checks_add(out, "UCX_TLS", FG_CHECK_OK, "", "'%s'", v);
    }
}

static const fg_rdma_dev_t *find_dev(const fg_node_t *n, const char *name, int port)
{
    int i, k;
    for (i = 0; i < n->ndev; i++) {
        if (strcmp(n->dev[i].name, name) != 0) continue;
        if (port < 0) return &n->dev[i];
        for (k = 0; k < n->dev[i].nport; k++) if (n->dev[i].port[k].num == port) return &n->dev[i];
    }
    return NULL;
}

static void lint_ucx_net_devices(const fg_node_t *n, const char *v, fg_checks_t *out)
{
    char buf[512], *tok, *save = NULL;

    if (v == NULL || !strcmp(v, "all")) {
        const fg_rdma_dev_t *bad = NULL, *good = NULL;
        int                  k;
        for (k = 0; k < n->ndev; k++) {
            if (fg_node_dev_on_mgmt(n, &n->dev[k])) { if (bad == NULL) bad = &n->dev[k]; }
            else if (good == NULL && n->dev[k].nport > 0) good = &n->dev[k];
        }
        if (bad != NULL) {
            char fix[160];
            if (good != NULL) snprintf(fix, sizeof(fix), "pin UCX to an HCA port of the data fabric, e.g. UCX_NET_DEVICES=%s:%d", good->name, good->port[0].num);
            else snprintf(fix, sizeof(fix), "pin UCX to an HCA port of the data fabric (UCX_NET_DEVICES=<hca>:<port>)");
            fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_WARN, fix,
                          "%s: UCX may use %s, a RoCE port of %s, the management NIC (default route)", v ? "all" : "unset",
                          bad->name, bad->netdev);
            return;
        }
        if (n->ndev > 1) {
            fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_WARN,
                          "pin each worker to the HCA closest to its GPU, e.g. UCX_NET_DEVICES=mlx5_0:1",
                          "%s on a node with %d HCAs: UCX may pick any of them, or a TCP NIC", v ? "all" : "unset", n->ndev);
        } else {
            fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_OK, "", "%s", v ? "all" : "unset");
        }
        return;
    }
    fg_strlcpy(buf, v, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char                *colon = strchr(tok, ':');
        int                  port  = colon ? atoi(colon + 1) : -1;
        const fg_rdma_dev_t *dev;
        if (colon) *colon = '\0';
        if (fg_ifset_contains(&n->mgmt, tok)) {
            fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_FAIL, "use the data NIC or an HCA port such as mlx5_0:1",
                          "'%s' is the management NIC (default route)", tok);
            return;
        }
        dev = colon ? find_dev(n, tok, port) : NULL;
        if (dev != NULL && fg_node_dev_on_mgmt(n, dev)) {
            fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_FAIL, "use an HCA port of the data fabric",
                          "'%s:%s' is a RoCE port of %s, the management NIC (default route)", tok, colon + 1,
                          dev->netdev);
            return;
        }
        if (colon ? dev == NULL : (!fg_ifset_contains(&n->ifaces, tok) && !find_dev(n, tok, -1))) {
            fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_FAIL, "list devices with `ucx_info -d` or `ibv_devices`",
                          "'%s%s%s' does not exist on this node", tok, colon ? ":" : "", colon ? colon + 1 : "");
            return;
        }
    }
    fg_checks_add(out, "UCX_NET_DEVICES", FG_CHECK_OK, "", "'%s'", v);
}

static void lint_simple(const fg_node_t *n, char *const *envp, fg_checks_t *out)
{
    const char *v;
    int         b;

    v = env_get(envp, "UCX_IB_GPU_DIRECT_RDMA");
    if (v == NULL) fg_checks_add(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_OK, "", "unset (UCX tries GPUDirect)");
    else if (!strcasecmp(v, "try") || !strcasecmp(v, "auto")) fg_checks_add(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_OK, "", "'%s'", v);
    else if (!fg_parse_bool(v, &b)) fg_checks_add(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_FAIL, "use yes, no or try", "'%s' is not a UCX boolean", v);
    else if (!b) fg_checks_add(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_WARN, "unset it or set yes/try", "'%s': GPUDirect RDMA switched off, transfers stage through host memory", v);
    else fg_checks_add(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_OK, "", "'%s'", v);

    v = env_get(envp, "UCX_RNDV_SCHEME");
    if (v == NULL || !strcmp(v, "auto") || !strcmp(v, "get_zcopy") || !strcmp(v, "put_zcopy") ||
        !strcmp(v, "put_ppln") || !strcmp(v, "get_ppln") || !strcmp(v, "am"))
        fg_checks_add(out, "UCX_RNDV_SCHEME", FG_CHECK_OK, "", "%s%s%s", v ? "'" : "unset", v ? v : "", v ? "'" : "");
    else fg_checks_add(out, "UCX_RNDV_SCHEME", FG_CHECK_FAIL, "use auto, get_zcopy or put_zcopy", "'%s' is not a rendezvous scheme", v);

    v = env_get(envp, "NIXL_PLUGIN_DIR");
    if (v == NULL) fg_checks_add(out, "NIXL_PLUGIN_DIR", FG_CHECK_OK, "", "unset (NIXL's default plugin path)");
    else {
        DIR           *d = opendir(v);
        struct dirent *e;
        int            ucx = 0;
        while (d && (e = readdir(d)) != NULL) ucx |= strstr(e->d_name, "UCX") != NULL && strstr(e->d_name, ".so") != NULL;
        if (d) closedir(d);
        if (d == NULL) fg_checks_add(out, "NIXL_PLUGIN_DIR", FG_CHECK_FAIL, "point it at the folder holding libplugin_UCX.so", "'%s' is not a readable folder", v);
        else if (!ucx) fg_checks_add(out, "NIXL_PLUGIN_DIR", FG_CHECK_FAIL, "point it at the folder holding libplugin_UCX.so", "'%s' holds no UCX plugin", v);
        else fg_checks_add(out, "NIXL_PLUGIN_DIR", FG_CHECK_OK, "", "'%s' holds the UCX plugin", v);
    }

    v = env_get(envp, "NCCL_IB_DISABLE");
    if (v != NULL && strcmp(v, "0") != 0 && n->ndev > 0)
        fg_checks_add(out, "NCCL_IB_DISABLE", FG_CHECK_FAIL, "unset NCCL_IB_DISABLE (or set 0)", "'%s' on a node with %d HCA(s): NCCL will use sockets", v, n->ndev);
    else fg_checks_add(out, "NCCL_IB_DISABLE", FG_CHECK_OK, "", "%s%s", v ? "" : "unset", v ? v : "");

    v = env_get(envp, "NCCL_DEBUG");
    if (v == NULL || !strcasecmp(v, "VERSION") || !strcasecmp(v, "WARN") || !strcasecmp(v, "INFO") ||
        !strcasecmp(v, "TRACE") || !strcasecmp(v, "ABORT"))
        fg_checks_add(out, "NCCL_DEBUG", FG_CHECK_OK, v && !strcasecmp(v, "INFO") ? "" : "NCCL_DEBUG=INFO prints the transport NCCL selected",
                      "%s", v ? v : "unset");
    else fg_checks_add(out, "NCCL_DEBUG", FG_CHECK_WARN, "use VERSION, WARN, INFO or TRACE", "'%s' is not an NCCL debug level", v);
}

static void lint_nccl_lists(const fg_node_t *n, char *const *envp, fg_checks_t *out)
{
    const char *v = env_get(envp, "NCCL_IB_HCA");
    char        sel[300] = "";
    size_t      i;
    int         k, hits = 0;

    const fg_rdma_dev_t *on_mgmt = NULL;

    for (k = 0; k < n->ndev; k++) {
        int p, any = v == NULL;
        for (p = 0; p < n->dev[k].nport && v != NULL; p++) any |= fg_nccl_list_selects(v, n->dev[k].name, n->dev[k].port[p].num);
        if (!any) continue;
        hits++;
        snprintf(sel + strlen(sel), sizeof(sel) - strlen(sel), " %s", n->dev[k].name);
        if (on_mgmt == NULL && fg_node_dev_on_mgmt(n, &n->dev[k])) on_mgmt = &n->dev[k];
    }
    if (on_mgmt != NULL && v != NULL) {
        fg_checks_add(out, "NCCL_IB_HCA", FG_CHECK_FAIL, "set NCCL_IB_HCA to the HCAs of the data fabric",
                      "'%s' selects %s, a RoCE port of %s, the management NIC (default route)", v, on_mgmt->name, on_mgmt->netdev);
    } else if (on_mgmt != NULL) {
        fg_checks_add(out, "NCCL_IB_HCA", FG_CHECK_WARN, "set NCCL_IB_HCA to the HCAs of the data fabric",
                      "unset: NCCL may use %s, a RoCE port of %s, the management NIC (default route)", on_mgmt->name, on_mgmt->netdev);
    } else if (v == NULL) {
        fg_checks_add(out, "NCCL_IB_HCA", FG_CHECK_OK, "", "unset (NCCL uses every HCA)");
    } else if (hits == 0) {
        fg_checks_add(out, "NCCL_IB_HCA", FG_CHECK_FAIL, "match the names of `ibv_devices` (prefix match unless '=')",
                      "'%s' selects none of the %d HCA(s): NCCL will fall back to sockets", v, n->ndev);
    } else {
        fg_checks_add(out, "NCCL_IB_HCA", FG_CHECK_OK, "", "'%s' selects%s", v, sel);
    }
    v = env_get(envp, "NCCL_SOCKET_IFNAME");
    hits = 0;
    sel[0] = '\0';
    for (i = 0; i < n->ifaces.n; i++) {
        const char *name = n->ifaces.name[i];
        if (v == NULL) break;
        if (fg_nccl_list_selects(v, name, -1)) {
            hits++;
            snprintf(sel + strlen(sel), sizeof(sel) - strlen(sel), " %s", name);
        }
    }
    if (v == NULL) {
        fg_checks_add(out, "NCCL_SOCKET_IFNAME", FG_CHECK_OK, "", "unset (NCCL prefers ib*, skips lo and docker*)");
    } else if (hits == 0) {
        fg_checks_add(out, "NCCL_SOCKET_IFNAME", FG_CHECK_FAIL, "name an interface of this network namespace (ip -br addr)",
                      "'%s' matches no interface: NCCL init will fail or hang", v);
    } else if (strstr(sel, " docker") || strstr(sel, " virbr") || strstr(sel, " veth") || strstr(sel, " cni")) {
        fg_checks_add(out, "NCCL_SOCKET_IFNAME", FG_CHECK_WARN, "exclude bridges explicitly or name the data NIC",
                      "'%s' selects%s, including a container bridge", v, sel);
    } else if (!strcmp(sel, " lo")) {
        fg_checks_add(out, "NCCL_SOCKET_IFNAME", FG_CHECK_FAIL, "name a NIC that reaches the other nodes", "'%s' selects only lo", v);
    } else {
        fg_checks_add(out, "NCCL_SOCKET_IFNAME", FG_CHECK_OK, "", "'%s' selects%s", v, sel);
    }
}

static int level_ok(const char *v, int p2p)
{
    static const char *const names[] = { "LOC", "PIX", "PXB", "PHB", "SYS", "NVL", "NODE", "C2C", "PXN" };
    size_t i;
    char  *e;
    long   num = strtol(v, &e, 10);
    if (*v && *e == '\0') return num >= 0 && num <= 7;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcasecmp(v, names[i]) && (p2p || strcasecmp(v, "NVL") != 0)) return 1;
    }
    return 0;
}

static void lint_levels(char *const *envp, fg_checks_t *out)
{
    static const char *const vars[] = { "NCCL_NET_GDR_LEVEL", "NCCL_P2P_LEVEL" };
    int i;
    for (i = 0; i < 2; i++) {
        const char *v = env_get(envp, vars[i]);
        if (v == NULL) fg_checks_add(out, vars[i], FG_CHECK_OK, "", "unset (NCCL decides from the topology)");
        else if (!level_ok(v, i == 1)) fg_checks_add(out, vars[i], FG_CHECK_FAIL, "use LOC, PIX, PXB, PHB or SYS (or their numbers)", "'%s' is not a path level", v);
        else if (i == 0 && (!strcasecmp(v, "LOC") || !strcmp(v, "0"))) fg_checks_add(out, vars[i], FG_CHECK_WARN, "raise it to PXB/PHB where the GPU and NIC share a switch", "'%s' disables GPUDirect RDMA", v);
        else fg_checks_add(out, vars[i], FG_CHECK_OK, "", "'%s'", v);
    }
}

static void lint_gid(const fg_node_t *n, char *const *envp, fg_checks_t *out)
{
    const char *v = env_get(envp, "NCCL_IB_GID_INDEX");
    int         i, k, idx, found = 0;
    char       *e;

    if (v == NULL) {
        fg_checks_add(out, "NCCL_IB_GID_INDEX", FG_CHECK_OK, "", "unset (NCCL picks a RoCE v2 GID itself since 2.21)");
        return;
    }
    idx = (int)strtol(v, &e, 10);
    if (*e != '\0' || idx < 0) {
        fg_checks_add(out, "NCCL_IB_GID_INDEX", FG_CHECK_FAIL, "an integer GID index (show_gids)", "'%s' is not an index", v);
        return;
    }
    for (i = 0; i < n->ndev; i++) {
        for (k = 0; k < n->dev[i].nport; k++) {
            const fg_port_t *p = &n->dev[i].port[k];
            if (strcmp(p->link_layer, "Ethernet") != 0) continue;
            if (idx >= p->ngid || !p->gid[idx][0] || fg_gid_is_zero(p->gid[idx])) {
                fg_checks_add(out, "NCCL_IB_GID_INDEX", FG_CHECK_FAIL, "pick a populated RoCE v2 index (show_gids)", "index %d is empty on %s:%d", idx, n->dev[i].name, p->num);
                return;
            }
            if (fg_gid_is_link_local(p->gid[idx]) || !fg_gid_is_v2(p->gid_type[idx])) {
                fg_checks_add(out, "NCCL_IB_GID_INDEX", FG_CHECK_FAIL, "pick the RoCE v2 GID with the interface's routable address (show_gids)",
                              "index %d on %s:%d is %s %s", idx, n->dev[i].name, p->num,
                              fg_gid_is_link_local(p->gid[idx]) ? "link-local" : "routable", p->gid_type[idx]);
                return;
            }
            found++;
        }
    }
    if (found == 0) fg_checks_add(out, "NCCL_IB_GID_INDEX", FG_CHECK_WARN, "only RoCE uses it", "'%s' set but no RoCE port on this node", v);
    else fg_checks_add(out, "NCCL_IB_GID_INDEX", FG_CHECK_OK, "", "index %d is RoCE v2 with a routable address on %d port(s)", idx, found);
}

/* Likely typos of the variables above (and their neighbours). */
static void lint_typos(char *const *envp, fg_checks_t *out)
{
    static const char *const known[] = {
        "UCX_TLS", "UCX_NET_DEVICES", "UCX_IB_GPU_DIRECT_RDMA", "UCX_RNDV_SCHEME", "NIXL_PLUGIN_DIR",
        "NCCL_IB_HCA", "NCCL_SOCKET_IFNAME", "NCCL_IB_DISABLE", "NCCL_NET_GDR_LEVEL", "NCCL_P2P_LEVEL",
        "NCCL_IB_GID_INDEX", "NCCL_DEBUG", "NCCL_DEBUG_SUBSYS", "NCCL_DEBUG_FILE", "UCX_LOG_LEVEL",
        "NCCL_NET", "NCCL_NET_PLUGIN", "UCX_MEMTYPE_CACHE", "NCCL_SHM_DISABLE", "NCCL_P2P_DISABLE",
        "NIXL_UCX_DEEPBIND", "NCCL_CONF_FILE", "UCX_PROTO_ENABLE",
    };
    size_t i, k;

    for (; envp && *envp; envp++) {
        char name[96];
        size_t len = strcspn(*envp, "=");
        int best = 99; const char *hint = NULL, *exact = NULL;
        if (len >= sizeof(name) || (strncmp(*envp, "UCX_", 4) && strncmp(*envp, "NCCL_", 5) && strncmp(*envp, "NIXL_", 5))) continue;
        memcpy(name, *envp, len);
        name[len] = '\0';
        for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
            int d = fg_edit_distance(name, known[k]);
            if (d == 0) exact = known[k];
            if (d < best) { best = d; hint = known[k]; }
        }
        i = exact == NULL && best <= 2;
        if (i) {
            fg_checks_add(out, name, FG_CHECK_WARN, "rename it: the library ignores unknown names",
                          "unknown variable (did you mean %s?)", hint);
        }
    }
}

/* Variables that changed since the seed: NCCL's network choice and plugin,
 * UCX's protocol v2 switch (NIXL_UCX_DEEPBIND: lint_deepbind). */
static void lint_newer(char *const *envp, fg_checks_t *out)
{
    const char *v;
    int         b;

    v = env_get(envp, "NCCL_NET");
    if (v == NULL) fg_checks_add(out, "NCCL_NET", FG_CHECK_OK, "", "unset (IB when usable, else Socket, or a plugin's network)");
    else if (!strcasecmp(v, "IB") || !strcasecmp(v, "Socket")) fg_checks_add(out, "NCCL_NET", FG_CHECK_OK, "", "'%s'", v);
    else fg_checks_add(out, "NCCL_NET", FG_CHECK_OK, "", "'%s': a plugin's network (NCCL fails init if no plugin provides it)", v);

    v = env_get(envp, "NCCL_NET_PLUGIN");
    if (v == NULL) fg_checks_add(out, "NCCL_NET_PLUGIN", FG_CHECK_OK, "", "unset (NCCL tries libnccl-net.so)");
    else if (!strcasecmp(v, "none")) fg_checks_add(out, "NCCL_NET_PLUGIN", FG_CHECK_OK, "", "none: external network plugins disabled");
    else if (strchr(v, '/') != NULL && access(v, R_OK) != 0)
        fg_checks_add(out, "NCCL_NET_PLUGIN", FG_CHECK_FAIL, "point it at the plugin library (or its suffix, e.g. ofi for libnccl-net-ofi.so)",
                      "'%s' does not exist: NCCL falls back to its internal IB/Socket", v);
    else fg_checks_add(out, "NCCL_NET_PLUGIN", FG_CHECK_OK, "", "'%s'%s", v, strchr(v, '/') ? "" : " (NCCL loads libnccl-net-<name>.so)");

    v = env_get(envp, "UCX_PROTO_ENABLE");
    if (v == NULL) fg_checks_add(out, "UCX_PROTO_ENABLE", FG_CHECK_OK, "", "unset (UCX's default protocol selection)");
    else if (!fg_parse_bool(v, &b) && strcasecmp(v, "try") && strcasecmp(v, "auto"))
        fg_checks_add(out, "UCX_PROTO_ENABLE", FG_CHECK_FAIL, "use y or n", "'%s' is not a UCX boolean", v);
    else fg_checks_add(out, "UCX_PROTO_ENABLE", FG_CHECK_OK, "", "'%s'", v);
}

/* NIXL >= 1.4 loads its UCX plugin with RTLD_DEEPBIND when asked: the
 * plugin then binds UCX past the preload, and only the LD_AUDIT companion
 * (libfabguard-audit.so) brings its calls back to fabguard. */
static void lint_deepbind(char *const *envp, fg_checks_t *out)
{
    const char *v = env_get(envp, "NIXL_UCX_DEEPBIND"), *audit = env_get(envp, "LD_AUDIT");

    if (v == NULL) return;
    if (!fg_nixl_deepbind_requested(v))
        fg_checks_add(out, "NIXL_UCX_DEEPBIND", FG_CHECK_OK, "", "'%s' (NIXL loads its UCX plugin normally)", v);
    else if (audit == NULL || strstr(audit, "libfabguard-audit") == NULL)
        fg_checks_add(out, "NIXL_UCX_DEEPBIND", FG_CHECK_WARN,
                      "set LD_AUDIT=/path/to/libfabguard-audit.so beside LD_PRELOAD (fabguard run does)",
                      "'%s' without libfabguard-audit.so in LD_AUDIT: NIXL's UCX plugin (RTLD_DEEPBIND) bypasses fabguard, its transfers are not checked", v);
    else
        fg_checks_add(out, "NIXL_UCX_DEEPBIND", FG_CHECK_OK, "", "'%s' with libfabguard-audit.so in LD_AUDIT", v);
}

void fg_env_checks(const fg_node_t *n, char *const *envp, fg_checks_t *out)
{
    lint_deepbind(envp, out);
    lint_ucx_tls(n, env_get(envp, "UCX_TLS"), out);
    lint_ucx_net_devices(n, env_get(envp, "UCX_NET_DEVICES"), out);
    lint_simple(n, envp, out);
    lint_nccl_lists(n, envp, out);
    lint_levels(envp, out);
    lint_gid(n, envp, out);
    lint_newer(envp, out);
    lint_typos(envp, out);
    fg_env_checks_libfabric(n, envp, out);
}
