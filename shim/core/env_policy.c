/* One policy for every judge: `fabguard env` and `fabguard node` judged by
 * the policy the shim enforces, so an init container's pre-flight check and
 * the shim inside the job agree about the same pod. Pure: the caller passes
 * the probed node, the loaded policy and the environment (with NCCL's
 * configuration files already merged in, as NCCL merges them). */
#include "fabguard/node.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Appends to a check's detail (cut at its size like every detail). */
static void detail_append(fg_check_t *c, const char *fmt, ...) FG_PRINTF(2, 3);
static void detail_append(fg_check_t *c, const char *fmt, ...)
{
    size_t  l = strlen(c->detail);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->detail + l, sizeof(c->detail) - l, fmt, ap);
    va_end(ap);
}

int fg_node_usable_rdma(const fg_node_t *n)
{
    int i, k;
    for (i = 0; i < n->ndev; i++) {
        for (k = 0; k < n->dev[i].nport; k++) {
            const fg_port_t *p = &n->dev[i].port[k];
            if (strstr(p->state, "ACTIVE") != NULL && strstr(p->phys_state, "LinkUp") != NULL) return 1;
        }
    }
    return 0;
}

int fg_nccl_conf_parse(const char *text, size_t len, fg_nccl_conf_cb cb, void *arg)
{
    const char *p = text, *end = text + len;
    unsigned    line = 0;
    int         n = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *eq;
        char        name[1024], value[1024];
        size_t      nlen, vlen;

        line++;
        eq = memchr(p, '=', (size_t)(eol - p));
        if (*p != '#' && eq != NULL) {
            nlen = (size_t)(eq - p) < sizeof(name) - 1 ? (size_t)(eq - p) : sizeof(name) - 1;
            vlen = (size_t)(eol - eq - 1) < sizeof(value) - 1 ? (size_t)(eol - eq - 1) : sizeof(value) - 1;
            memcpy(name, p, nlen);
            name[nlen] = '\0';
            memcpy(value, eq + 1, vlen);
            value[vlen] = '\0';
            cb(name, value, line, arg);
            n++;
        }
        p = nl ? nl + 1 : end;
    }
    return n;
}

static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=') return *envp + n + 1;
    }
    return NULL;
}

/* UCX_TLS aliases (UCX src/ucp/core/ucp_context.c ucp_tl_aliases) as the
 * transport names lanes carry, so forbid_transports globs match both. */
static const char *const *tls_expand(const char *item)
{
    static const char *const all[] = { "tcp", "rc_verbs", "rc_mlx5", "ud_verbs", "ud_mlx5", "dc_mlx5", "posix", "sysv",
                                       "cma", "knem", "xpmem", "self", "cuda_copy", "cuda_ipc", "gdr_copy", NULL };
    static const char *const sm[] = { "posix", "sysv", "cma", "knem", "xpmem", NULL };
    static const char *const ib[] = { "rc_verbs", "rc_mlx5", "ud_verbs", "ud_mlx5", "dc_mlx5", NULL };
    static const char *const rc[] = { "rc_verbs", "rc_mlx5", NULL }, *const ud[] = { "ud_verbs", "ud_mlx5", NULL };
    static const char *const dc[] = { "dc_mlx5", NULL }, *const rcx[] = { "rc_mlx5", NULL }, *const udx[] = { "ud_mlx5", NULL };
    static const char *const rcv[] = { "rc_verbs", NULL }, *const udv[] = { "ud_verbs", NULL };
    static const char *const cuda[] = { "cuda_copy", "cuda_ipc", "gdr_copy", NULL };
    static const struct { const char *alias; const char *const *tl; } map[] = {
        { "all", all }, { "sm", sm }, { "shm", sm }, { "ib", ib }, { "rc", rc }, { "ud", ud }, { "dc", dc },
        { "dc_x", dc }, { "rc_x", rcx }, { "ud_x", udx }, { "rc_v", rcv }, { "ud_v", udv }, { "cuda", cuda },
    };
    static const char *one[2];
    size_t              i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(item, map[i].alias) == 0) return map[i].tl;
    }
    one[0] = item;
    one[1] = NULL;
    return one;
}

/* The first forbidden transport UCX_TLS lets UCX use ("" when none); for
 * "^a,b" (everything but) the forbidden transports not excluded. */
static void tls_forbidden(const fg_policy_t *pol, const char *v, char *hit, size_t cap)
{
    char  buf[512], *tok, *save = NULL;
    int   neg = v[0] == '^', k;
    const char *const *all = tls_expand("all");

    hit[0] = '\0';
    fg_strlcpy(buf, v + neg, sizeof(buf));
    if (!neg) {
        for (tok = strtok_r(buf, ",", &save); tok && !hit[0]; tok = strtok_r(NULL, ",", &save)) {
            const char *const *tl = tls_expand(tok + strspn(tok, " "));
            for (k = 0; tl[k] && !hit[0]; k++) {
                if (fg_list_match(&pol->ucx.forbid_transports, tl[k])) fg_strlcpy(hit, tl[k], cap);
            }
        }
        return;
    }
    for (k = 0; all[k] && !hit[0]; k++) {
        int excluded = 0;
        char copy[512];
        fg_strlcpy(copy, buf, sizeof(copy));
        save = NULL;
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            const char *const *tl = tls_expand(tok + strspn(tok, " "));
            int                j;
            for (j = 0; tl[j]; j++) excluded |= strcmp(tl[j], all[k]) == 0;
        }
        if (!excluded && fg_list_match(&pol->ucx.forbid_transports, all[k])) fg_strlcpy(hit, all[k], cap);
    }
}

static void policy_text(const fg_policy_t *pol, fg_key_t key, char *buf, size_t cap)
{
    fg_policy_value_text(pol, key, buf, cap);
}

/* UCX_TLS names nothing but tcp (after aliases). */
static int tls_only_tcp(const char *v)
{
    char buf[512], *tok, *save = NULL;
    int  k, only = 1;

    if (v[0] == '^') return 0;
    fg_strlcpy(buf, v, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const char *const *tl = tls_expand(tok + strspn(tok, " "));
        for (k = 0; tl[k]; k++) only &= strcmp(tl[k], "tcp") == 0;
    }
    return only;
}

static void judge_ucx_tls(const fg_node_t *n, const fg_policy_t *pol, const char *v, fg_checks_t *out)
{
    char        hit[64], forbid[256];
    fg_check_t *c;

    if (!fg_list_match(&pol->ucx.forbid_transports, "tcp") && v != NULL && tls_only_tcp(v) &&
        (c = fg_checks_find(out, "UCX_TLS")) != NULL && c->status == FG_CHECK_FAIL) {
        /* slow, but what the policy allows: the shim lets it run too */
        c->status = FG_CHECK_WARN;
        detail_append(c, " (the policy allows tcp)");
    }
    if (fg_list_empty(&pol->ucx.forbid_transports)) return;
    policy_text(pol, FG_KEY_UCX_FORBID_TRANSPORTS, forbid, sizeof(forbid));
    if (v != NULL && v[0] != '^' && strcmp(v, "all") != 0) {
        tls_forbidden(pol, v, hit, sizeof(hit));
        if (hit[0]) {
            fg_checks_set(out, "UCX_TLS", FG_CHECK_FAIL, "drop it from UCX_TLS, e.g. UCX_TLS=rc,cuda_ipc,cuda_copy,sm",
                          "policy ucx.forbid_transports=%s: '%s' lets UCX use %s", forbid, v, hit);
        }
        return;
    }
    /* unset, all, or ^list: what UCX picks depends on the node */
    if (v != NULL) {
        tls_forbidden(pol, v, hit, sizeof(hit));
        if (!hit[0]) return;
    }
    if (!fg_node_usable_rdma(n) && fg_list_match(&pol->ucx.forbid_transports, "tcp")) {
        fg_checks_set(out, "UCX_TLS", FG_CHECK_WARN, "give the pod RDMA (see `fabguard node`), or allow tcp in the policy",
                      "policy ucx.forbid_transports=%s: %s and no usable RDMA on this node: UCX will use tcp to other nodes",
                      forbid, v ? v : "unset");
    }
}

/* A UCX_NET_DEVICES item ("mlx5_0:1", "eth0") against allow_devices. */
static void judge_ucx_devices(const fg_node_t *n, const fg_policy_t *pol, const char *v, fg_checks_t *out)
{
    char allow[256], buf[512], *tok, *save = NULL, name[48];
    int  i, k;

    if (fg_list_empty(&pol->ucx.allow_devices)) return;
    policy_text(pol, FG_KEY_UCX_ALLOW_DEVICES, allow, sizeof(allow));
    if (v != NULL && strcmp(v, "all") != 0) {
        fg_strlcpy(buf, v, sizeof(buf));
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (!fg_list_match(&pol->ucx.allow_devices, tok)) {
                fg_checks_set(out, "UCX_NET_DEVICES", FG_CHECK_FAIL, "name only devices the policy allows",
                              "policy ucx.allow_devices=%s: '%s' is not allowed", allow, tok);
                return;
            }
        }
        return;
    }
    for (i = 0; i < n->ndev; i++) {
        for (k = 0; k < n->dev[i].nport; k++) {
            snprintf(name, sizeof(name), "%s:%d", n->dev[i].name, n->dev[i].port[k].num);
            if (!fg_list_match(&pol->ucx.allow_devices, name)) {
                fg_checks_set(out, "UCX_NET_DEVICES", FG_CHECK_WARN, "set UCX_NET_DEVICES to the allowed devices",
                              "policy ucx.allow_devices=%s: %s, so UCX may pick %s", allow, v ? "all" : "unset", name);
                return;
            }
        }
    }
}

static const char *peermem_gap(const fg_node_t *n)
{
    if (n->ngpu == 0 || n->ndev == 0) return NULL;
    if (!n->peermem_loaded) return "nvidia_peermem is not loaded";
    if (!n->peermem_registered) return "nvidia_peermem is loaded but not registered";
    return NULL;
}

static void judge_gdr(const fg_node_t *n, const fg_policy_t *pol, char *const *envp, fg_checks_t *out)
{
    const char *v = env_get(envp, "UCX_IB_GPU_DIRECT_RDMA"), *lvl = env_get(envp, "NCCL_NET_GDR_LEVEL");
    const char *gap = peermem_gap(n);

    if (pol->ucx.gpu_direct_rdma == FG_GDR_REQUIRE) {
        if (v != NULL && (!strcasecmp(v, "no") || !strcasecmp(v, "n") || !strcasecmp(v, "off") || !strcmp(v, "0") ||
                          !strcasecmp(v, "false"))) {
            fg_checks_set(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_FAIL, "unset it or set yes",
                          "policy ucx.gpu_direct_rdma=require: '%s' switches GPUDirect RDMA off", v);
        } else if (gap != NULL) {
            fg_checks_set(out, "UCX_IB_GPU_DIRECT_RDMA", FG_CHECK_FAIL,
                          "modprobe nvidia_peermem (or use a dma-buf capable driver and kernel)",
                          "policy ucx.gpu_direct_rdma=require: %s on this node, so UCX stages GPU memory through the host", gap);
        }
    }
    if (pol->nccl.gpu_direct_rdma == FG_GDR_REQUIRE) {
        if (lvl != NULL && (!strcasecmp(lvl, "LOC") || !strcmp(lvl, "0"))) {
            fg_checks_set(out, "NCCL_NET_GDR_LEVEL", FG_CHECK_FAIL, "unset it or raise it to PXB/PHB",
                          "policy nccl.gpu_direct_rdma=require: '%s' disables GPUDirect RDMA", lvl);
        } else if (gap != NULL) {
            fg_checks_set(out, "NCCL_NET_GDR_LEVEL", FG_CHECK_FAIL,
                          "modprobe nvidia_peermem (or use a dma-buf capable driver and kernel)",
                          "policy nccl.gpu_direct_rdma=require: %s on this node, so NCCL reports GDR disabled", gap);
        }
    }
}

/* Which network NCCL will pick, and which variable decided it. */
static const char *nccl_net(const fg_node_t *n, char *const *envp, const char **why)
{
    const char *net = env_get(envp, "NCCL_NET"), *dis = env_get(envp, "NCCL_IB_DISABLE");

    if (net != NULL && net[0]) { *why = "NCCL_NET"; return net; }
    if (dis != NULL && strtol(dis, NULL, 0) != 0) { *why = "NCCL_IB_DISABLE"; return "Socket"; }
    *why = NULL;
    return fg_node_usable_rdma(n) ? "IB" : "Socket";
}

static void judge_nccl_net(const fg_node_t *n, const fg_policy_t *pol, char *const *envp, fg_checks_t *out)
{
    const char *why, *net = nccl_net(n, envp, &why), *req = pol->nccl.require_net;
    const char *plugin = env_get(envp, "NCCL_NET_PLUGIN");
    char        forbid[256];
    int         sock = strcasecmp(net, "Socket") == 0;

    policy_text(pol, FG_KEY_NCCL_FORBID_TRANSPORTS, forbid, sizeof(forbid));
    if (req != NULL && strcasecmp(req, "any") != 0 && strcasecmp(req, net) != 0) {
        if (why == NULL && plugin != NULL && plugin[0] && strcasecmp(plugin, "none") != 0) return;   /* a plugin decides */
        fg_checks_set(out, why ? why : "NCCL_NET", why ? FG_CHECK_FAIL : FG_CHECK_WARN,
                      why ? "unset it (or set the network the policy requires)" : "give the pod RDMA (see `fabguard node`)",
                      "policy nccl.require_net=%s: %s%s%s: NCCL will use %s", req, why ? why : "no usable RDMA on this node",
                      why ? "=" : "", why ? env_get(envp, why) : "", net);
        return;
    }
    if (sock && fg_list_match(&pol->nccl.forbid_transports, "NET/Socket")) {
        fg_checks_set(out, why ? why : "NCCL_NET", why ? FG_CHECK_FAIL : FG_CHECK_WARN,
                      why ? "unset it so NCCL uses IB" : "give the pod RDMA (see `fabguard node`), or allow NET/Socket in the policy",
                      "policy nccl.forbid_transports=%s: %s%s%s: NCCL will use NET/Socket between nodes", forbid,
                      why ? why : "no usable RDMA on this node", why ? "=" : "", why ? env_get(envp, why) : "");
    }
}

static int hca_allowed(const fg_list_t *allow, const char *dev)
{
    char   name[64];
    size_t n = strcspn(dev, ":");

    if (fg_list_match(allow, dev)) return 1;
    if (n >= sizeof(name)) return 0;
    memcpy(name, dev, n);   /* "mlx5_0:1" is allowed by "mlx5_0" */
    name[n] = '\0';
    return fg_list_match(allow, name);
}

static void judge_nccl_hca(const fg_node_t *n, const fg_policy_t *pol, const char *v, fg_checks_t *out)
{
    char allow[256], buf[512], *tok, *save = NULL;
    int  i, k;

    if (fg_list_empty(&pol->nccl.allow_hcas)) return;
    policy_text(pol, FG_KEY_NCCL_ALLOW_HCAS, allow, sizeof(allow));
    if (v != NULL && v[0] != '^') {
        fg_strlcpy(buf, v + (v[0] == '='), sizeof(buf));
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (!hca_allowed(&pol->nccl.allow_hcas, tok)) {
                fg_checks_set(out, "NCCL_IB_HCA", FG_CHECK_FAIL, "name only HCAs the policy allows",
                              "policy nccl.allow_hcas=%s: '%s' is not allowed", allow, tok);
                return;
            }
        }
    }
    for (i = 0; i < n->ndev; i++) {   /* unset or ^list: what the node offers */
        for (k = 0; k < n->dev[i].nport; k++) {
            if (v != NULL && !fg_nccl_list_selects(v, n->dev[i].name, n->dev[i].port[k].num)) continue;
            if (!hca_allowed(&pol->nccl.allow_hcas, n->dev[i].name)) {
                fg_checks_set(out, "NCCL_IB_HCA", v ? FG_CHECK_FAIL : FG_CHECK_WARN, "set NCCL_IB_HCA to the allowed HCAs",
                              "policy nccl.allow_hcas=%s: %s selects %s", allow, v ? v : "unset", n->dev[i].name);
                return;
            }
        }
    }
}

/* Whether UCX_TLS lets UCX use transport TL (unset and "all": yes). */
static int tls_allows(const char *v, const char *tl)
{
    char buf[512], *tok, *save = NULL;
    int  neg, k, named = 0;

    if (v == NULL || strcmp(v, "all") == 0) return 1;
    neg = v[0] == '^';
    fg_strlcpy(buf, v + neg, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const char *const *x = tls_expand(tok + strspn(tok, " "));
        for (k = 0; x[k]; k++) named |= strcmp(x[k], tl) == 0;
    }
    return neg ? !named : named;
}

/* fabguard.management_ifaces as the shim applies it: a tcp lane on a
 * management interface is a violation whatever the transport rules say. */
static void judge_mgmt(const fg_node_t *n, char *const *envp, fg_checks_t *out)
{
    const char *tls = env_get(envp, "UCX_TLS"), *dev = env_get(envp, "UCX_NET_DEVICES");
    size_t      i;

    if (!tls_allows(tls, "tcp") || (dev != NULL && strcmp(dev, "all") != 0)) return;   /* a named device: lint checked it */
    for (i = 0; i < n->mgmt.n; i++) {
        const char *nic = n->mgmt.name[i];
        if (strchr(nic, ':') != NULL || !fg_ifset_contains(&n->ifaces, nic)) continue;   /* RoCE ports: rdma lint */
        if (tls != NULL && tls[0] != '^' && strcmp(tls, "all") != 0) {
            fg_checks_set(out, "UCX_NET_DEVICES", FG_CHECK_FAIL, "set UCX_NET_DEVICES to the data NIC or an HCA port",
                          "policy fabguard.management_ifaces: %s, and UCX_TLS='%s' allows tcp: UCX will also use %s, "
                          "the management NIC", dev ? dev : "unset", tls, nic);
        } else if (!fg_node_usable_rdma(n)) {
            fg_checks_set(out, "UCX_NET_DEVICES", FG_CHECK_WARN, "set UCX_NET_DEVICES to the data NIC or an HCA port",
                          "policy fabguard.management_ifaces: %s and no usable RDMA: UCX may use tcp on %s, the management NIC",
                          dev ? dev : "unset", nic);
        }
        return;
    }
}

void fg_env_policy_checks(const fg_node_t *n, const fg_policy_t *pol, char *const *envp, fg_checks_t *out)
{
    judge_mgmt(n, envp, out);
    judge_ucx_tls(n, pol, env_get(envp, "UCX_TLS"), out);
    judge_ucx_devices(n, pol, env_get(envp, "UCX_NET_DEVICES"), out);
    judge_gdr(n, pol, envp, out);
    judge_nccl_net(n, pol, envp, out);
    judge_nccl_hca(n, pol, env_get(envp, "NCCL_IB_HCA"), out);
}

void fg_node_policy_checks(const fg_node_t *n, const fg_policy_t *pol, fg_checks_t *out)
{
    fg_check_t *c;
    int         tcp = fg_list_match(&pol->ucx.forbid_transports, "tcp");
    int         sock = fg_list_match(&pol->nccl.forbid_transports, "NET/Socket");
    int         need = pol->ucx.gpu_direct_rdma == FG_GDR_REQUIRE || pol->nccl.gpu_direct_rdma == FG_GDR_REQUIRE;

    if (!fg_node_usable_rdma(n)) {
        const char *name = n->ndev == 0 ? "rdma_devices" : "port_state";
        if ((c = fg_checks_find(out, name)) != NULL && c->status == FG_CHECK_FAIL) {
            if (tcp || sock) {
                detail_append(c, " (policy %s forbids it)",
                              tcp ? "ucx.forbid_transports=tcp" : "nccl.forbid_transports=NET/Socket");
            } else {
                c->status = FG_CHECK_WARN;
                detail_append(c, " (the policy allows tcp and NET/Socket)");
            }
        }
    }
    if ((c = fg_checks_find(out, "peermem")) != NULL && c->status == FG_CHECK_FAIL) {
        if (need) {
            detail_append(c, " (policy %s.gpu_direct_rdma=require)",
                          pol->ucx.gpu_direct_rdma == FG_GDR_REQUIRE ? "ucx" : "nccl");
        } else {
            c->status = FG_CHECK_WARN;
            detail_append(c, " (the policy allows it: gpu_direct_rdma=any)");
        }
    }
}
