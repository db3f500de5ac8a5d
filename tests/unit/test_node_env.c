/* `fabguard node` / `fabguard env` logic on hand-built nodes: the base lint,
 * the policy judges (one policy for every judge), NCCL's conf-file syntax and
 * the NCCL list grammar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/node.h"
#include "unit.h"

static fg_node_t   node;
static fg_checks_t out;
static fg_policy_t pol;

/* An 8-GPU-less node with two IB HCAs (mlx5_0, mlx5_1), both ports Active,
 * eth0 the management NIC, ib0 a data interface. */
static void add_hca(const char *name, int active)
{
    fg_rdma_dev_t *d = &node.dev[node.ndev++];
    memset(d, 0, sizeof(*d));
    fg_strlcpy(d->name, name, sizeof(d->name));
    d->nport = 1;
    d->port[0].num = 1;
    fg_strlcpy(d->port[0].state, active ? "4: ACTIVE" : "1: DOWN", sizeof(d->port[0].state));
    fg_strlcpy(d->port[0].phys_state, active ? "5: LinkUp" : "3: Disabled", sizeof(d->port[0].phys_state));
    fg_strlcpy(d->port[0].link_layer, "InfiniBand", sizeof(d->port[0].link_layer));
    d->dev_node = 1;
    d->dev_openable = -1;
    d->numa = -1;
}

static void setup(void)
{
    memset(&node, 0, sizeof(node));
    memset(&out, 0, sizeof(out));
    fg_policy_init_defaults(&pol);
    add_hca("mlx5_0", 1);
    add_hca("mlx5_1", 1);
    fg_ifset_add(&node.ifaces, "eth0");
    fg_ifset_add(&node.ifaces, "ib0");
    fg_ifset_add(&node.mgmt, "eth0");
    node.dev_infiniband = 1;
}

static void teardown(void) { fg_policy_free(&pol); }

static void policy(const char *ini)
{
    fg_error_t err;
    ck_assert_int_eq(fg_policy_load_text(&pol, "t.ini", ini, strlen(ini), &err), 0);
}

/* Runs lint + policy on ENV (NULL-terminated "K=V" list). */
static void judge(const char *const *env)
{
    out.n = 0;
    fg_env_checks(&node, (char *const *)env, &out);
    fg_env_policy_checks(&node, &pol, (char *const *)env, &out);
}

static const fg_check_t *get(const char *name)
{
    const fg_check_t *c = fg_checks_find(&out, name);
    ck_assert_msg(c != NULL, "no check %s", name);
    return c;
}

#define STATUS(name, st) ck_assert_str_eq(fg_check_status_name(get(name)->status), st)
#define DETAIL(name, s)  ck_assert_msg(strstr(get(name)->detail, s) != NULL, "%s: [%s] not in [%s]", name, s, get(name)->detail)

START_TEST(clean_env_on_rdma_node_is_ok)
{
    static const char *const env[] = { "UCX_TLS=rc,cuda_ipc,cuda_copy,sm", "UCX_NET_DEVICES=mlx5_0:1", NULL };
    size_t i;
    judge(env);
    for (i = 0; i < out.n; i++) ck_assert_msg(out.v[i].status != FG_CHECK_FAIL, "%s failed: %s", out.v[i].name, out.v[i].detail);
}
END_TEST

START_TEST(forbid_transports_vs_ucx_tls)
{
    static const char *const tcp[] = { "UCX_TLS=rc,tcp", NULL }, *const ib[] = { "UCX_TLS=ib", NULL };
    judge(tcp);
    STATUS("UCX_TLS", "fail");
    DETAIL("UCX_TLS", "policy ucx.forbid_transports=tcp");
    policy("[ucx]\nforbid_transports = ud*\n");
    judge(ib);   /* the alias "ib" brings ud_verbs/ud_mlx5 */
    STATUS("UCX_TLS", "fail");
    DETAIL("UCX_TLS", "ud_verbs");
}
END_TEST

START_TEST(tcp_only_is_a_warning_when_allowed)
{
    static const char *const env[] = { "UCX_TLS=tcp", "UCX_NET_DEVICES=ib0", NULL };
    policy("[ucx]\nforbid_transports =\n");
    judge(env);
    STATUS("UCX_TLS", "warn");
    DETAIL("UCX_TLS", "the policy allows tcp");
}
END_TEST

START_TEST(allow_devices_vs_net_devices)
{
    static const char *const bad[] = { "UCX_NET_DEVICES=mlx5_0:1", NULL }, *const good[] = { "UCX_NET_DEVICES=mlx5_1:1", NULL };
    policy("[ucx]\nallow_devices = mlx5_1*\n");
    judge(bad);
    STATUS("UCX_NET_DEVICES", "fail");
    DETAIL("UCX_NET_DEVICES", "'mlx5_0:1' is not allowed");
    judge(good);
    STATUS("UCX_NET_DEVICES", "ok");
}
END_TEST

START_TEST(gdr_require_vs_env_and_peermem)
{
    static const char *const off[] = { "UCX_IB_GPU_DIRECT_RDMA=no", NULL }, *const none[] = { NULL };
    judge(off);
    STATUS("UCX_IB_GPU_DIRECT_RDMA", "warn");   /* default policy: any */
    policy("[ucx]\ngpu_direct_rdma = require\n");
    judge(off);
    STATUS("UCX_IB_GPU_DIRECT_RDMA", "fail");
    node.ngpu = 1;   /* a GPU and HCAs, nvidia_peermem absent */
    judge(none);
    STATUS("UCX_IB_GPU_DIRECT_RDMA", "fail");
    DETAIL("UCX_IB_GPU_DIRECT_RDMA", "nvidia_peermem is not loaded");
    node.peermem_loaded = node.peermem_registered = 1;
    judge(none);
    STATUS("UCX_IB_GPU_DIRECT_RDMA", "ok");
}
END_TEST

START_TEST(require_net_vs_ib_disable_and_net)
{
    static const char *const dis[] = { "NCCL_IB_DISABLE=1", NULL }, *const sock[] = { "NCCL_NET=Socket", NULL };
    static const char *const ib[] = { "NCCL_NET=IB", NULL };
    policy("[nccl]\nrequire_net = IB\n");
    judge(dis);
    STATUS("NCCL_IB_DISABLE", "fail");
    DETAIL("NCCL_IB_DISABLE", "nccl.require_net=IB");
    judge(sock);
    STATUS("NCCL_NET", "fail");
    judge(ib);
    STATUS("NCCL_NET", "ok");
}
END_TEST

START_TEST(socket_forbidden_on_node_without_rdma)
{
    static const char *const none[] = { NULL }, *const dis[] = { "NCCL_IB_DISABLE=1", NULL };
    node.dev[0].port[0].state[0] = node.dev[1].port[0].state[0] = '\0';   /* no Active port */
    ck_assert_int_eq(fg_node_usable_rdma(&node), 0);
    node.ndev = 0;   /* (with HCAs present the lint itself fails NCCL_IB_DISABLE=1) */
    judge(none);
    STATUS("NCCL_NET", "warn");
    DETAIL("NCCL_NET", "nccl.forbid_transports=NET/Socket");
    judge(dis);
    STATUS("NCCL_IB_DISABLE", "fail");
    policy("[nccl]\nforbid_transports =\n");
    judge(dis);
    STATUS("NCCL_IB_DISABLE", "ok");
}
END_TEST

START_TEST(allow_hcas_vs_ib_hca)
{
    static const char *const two[] = { "NCCL_IB_HCA=mlx5_2", NULL }, *const one[] = { "NCCL_IB_HCA==mlx5_0:1", NULL };
    static const char *const unset[] = { NULL };
    policy("[nccl]\nallow_hcas = mlx5_0\n");
    judge(two);
    STATUS("NCCL_IB_HCA", "fail");
    judge(one);
    STATUS("NCCL_IB_HCA", "ok");
    judge(unset);   /* NCCL would take mlx5_1 too */
    STATUS("NCCL_IB_HCA", "warn");
    DETAIL("NCCL_IB_HCA", "selects mlx5_1");
}
END_TEST

START_TEST(management_nic_with_tcp)
{
    static const char *const tcp[] = { "UCX_TLS=tcp", NULL }, *const pinned[] = { "UCX_TLS=tcp", "UCX_NET_DEVICES=ib0", NULL };
    policy("[ucx]\nforbid_transports =\n");
    judge(tcp);
    STATUS("UCX_NET_DEVICES", "fail");
    DETAIL("UCX_NET_DEVICES", "eth0, the management NIC");
    judge(pinned);
    STATUS("UCX_NET_DEVICES", "ok");
}
END_TEST

START_TEST(node_policy_adjusts_peermem_and_rdma)
{
    out.n = 0;
    fg_checks_add(&out, "peermem", FG_CHECK_FAIL, "", "nvidia_peermem not loaded");
    fg_checks_add(&out, "rdma_devices", FG_CHECK_FAIL, "", "no RDMA devices");
    node.ndev = 0;
    fg_node_policy_checks(&node, &pol, &out);
    STATUS("peermem", "warn");
    STATUS("rdma_devices", "fail");
    DETAIL("rdma_devices", "ucx.forbid_transports=tcp");
    out.n = 0;
    fg_checks_add(&out, "peermem", FG_CHECK_FAIL, "", "nvidia_peermem not loaded");
    fg_checks_add(&out, "rdma_devices", FG_CHECK_FAIL, "", "no RDMA devices");
    policy("[ucx]\nforbid_transports =\ngpu_direct_rdma = require\n[nccl]\nforbid_transports =\n");
    fg_node_policy_checks(&node, &pol, &out);
    STATUS("peermem", "fail");
    DETAIL("peermem", "require");
    STATUS("rdma_devices", "warn");
}
END_TEST

typedef struct { char names[8][64], values[8][64]; unsigned lines[8]; int n; } conf_t;
static void conf_cb(const char *name, const char *value, unsigned line, void *arg)
{
    conf_t *c = arg;
    if (c->n >= 8) return;
    fg_strlcpy(c->names[c->n], name, sizeof(c->names[0]));
    fg_strlcpy(c->values[c->n], value, sizeof(c->values[0]));
    c->lines[c->n++] = line;
}

START_TEST(nccl_conf_syntax)
{
    static const char text[] = "# comment=1\nNCCL_IB_DISABLE=1\nno equals\nNCCL_DEBUG = WARN\n\nNCCL_X=a=b";
    conf_t c;
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(fg_nccl_conf_parse(text, sizeof(text) - 1, conf_cb, &c), 3);
    ck_assert_str_eq(c.names[0], "NCCL_IB_DISABLE");
    ck_assert_str_eq(c.values[0], "1");
    ck_assert_uint_eq(c.lines[0], 2);
    ck_assert_str_eq(c.names[1], "NCCL_DEBUG ");   /* NCCL does not trim */
    ck_assert_str_eq(c.values[1], " WARN");
    ck_assert_str_eq(c.names[2], "NCCL_X");        /* the first '=' splits */
    ck_assert_str_eq(c.values[2], "a=b");
    ck_assert_uint_eq(c.lines[2], 6);
}
END_TEST

START_TEST(nccl_list_grammar)
{
    ck_assert_int_eq(fg_nccl_list_selects("mlx5", "mlx5_3", 1), 1);
    ck_assert_int_eq(fg_nccl_list_selects("=mlx5", "mlx5_3", 1), 0);
    ck_assert_int_eq(fg_nccl_list_selects("^mlx5_0", "mlx5_1", 1), 1);
    ck_assert_int_eq(fg_nccl_list_selects("mlx5_0:2", "mlx5_0", 1), 0);
}
END_TEST

START_TEST(new_variables_linted)
{
    static const char *const env[] = { "NIXL_UCX_DEEPBIND=1", "UCX_PROTO_ENABLE=maybe", "NCCL_NET_PLUGIN=/nonexistent/x.so", NULL };
    static const char *const audited[] = { "NIXL_UCX_DEEPBIND=1", "LD_AUDIT=/fabguard/libfabguard-audit.so", NULL };
    judge(env);
    STATUS("NIXL_UCX_DEEPBIND", "warn");   /* RTLD_DEEPBIND without the audit module: bypassed */
    DETAIL("NIXL_UCX_DEEPBIND", "RTLD_DEEPBIND");
    STATUS("UCX_PROTO_ENABLE", "fail");
    STATUS("NCCL_NET_PLUGIN", "fail");
    judge(audited);
    STATUS("NIXL_UCX_DEEPBIND", "ok");
    DETAIL("NIXL_UCX_DEEPBIND", "with libfabguard-audit.so in LD_AUDIT");
}
END_TEST

/* EFA devices (bound to the efa driver) are noted in rdma_devices' detail:
 * all of them, or which ones beside other HCAs; a pod without
 * /dev/infiniband gets the EFA device plugin's resource in the hint. */
static const char *no_env(const char *name) { (void)name; return NULL; }
static void add_efa(const char *name)
{
    add_hca(name, 1);
    fg_strlcpy(node.dev[node.ndev - 1].driver, "efa", sizeof(node.dev[0].driver));
    fg_strlcpy(node.dev[node.ndev - 1].port[0].link_layer, "Unknown", sizeof(node.dev[0].port[0].link_layer));
}
START_TEST(efa_devices_noted_in_rdma_devices)
{
    fg_node_checks(&node, no_env, &out);                       /* two mlx5: no EFA note */
    ck_assert_ptr_null(strstr(get("rdma_devices")->detail, "EFA"));
    memset(&out, 0, sizeof(out));
    add_efa("rdmap16s27");
    add_efa("rdmap32s27");
    fg_strlcpy(node.dev[0].driver, "mlx5_core", sizeof(node.dev[0].driver));
    fg_node_checks(&node, no_env, &out);
    STATUS("rdma_devices", "ok");
    DETAIL("rdma_devices", "4 HCA(s): mlx5_0 mlx5_1 rdmap16s27 rdmap32s27; these are EFA (driver efa, "
                           "link layer Unknown: AWS SRD, used through libfabric's efa provider, not NCCL's "
                           "NET/IB): rdmap16s27 rdmap32s27");
    node.ndev = 0;                                             /* an EFA-only node, pod without devices */
    add_efa("rdmap16s27");
    node.dev_infiniband = 0;
    memset(&out, 0, sizeof(out));
    fg_node_checks(&node, no_env, &out);
    STATUS("rdma_devices", "fail");
    DETAIL("rdma_devices", "/dev/infiniband is missing; it is EFA (driver efa, link layer Unknown");
    ck_assert_msg(strstr(get("rdma_devices")->hint, "vpc.amazonaws.com/efa") != NULL, "%s", get("rdma_devices")->hint);
    node.dev_infiniband = 1;                                   /* a driver that is not efa wins over the name */
    fg_strlcpy(node.dev[0].driver, "mlx5_core", sizeof(node.dev[0].driver));
    memset(&out, 0, sizeof(out));
    fg_node_checks(&node, no_env, &out);
    ck_assert_ptr_null(strstr(get("rdma_devices")->detail, "EFA"));
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("node_env");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, clean_env_on_rdma_node_is_ok);
    tcase_add_test(t, forbid_transports_vs_ucx_tls);
    tcase_add_test(t, tcp_only_is_a_warning_when_allowed);
    tcase_add_test(t, allow_devices_vs_net_devices);
    tcase_add_test(t, gdr_require_vs_env_and_peermem);
    tcase_add_test(t, require_net_vs_ib_disable_and_net);
    tcase_add_test(t, socket_forbidden_on_node_without_rdma);
    tcase_add_test(t, allow_hcas_vs_ib_hca);
    tcase_add_test(t, management_nic_with_tcp);
    tcase_add_test(t, node_policy_adjusts_peermem_and_rdma);
    tcase_add_test(t, nccl_conf_syntax);
    tcase_add_test(t, nccl_list_grammar);
    tcase_add_test(t, new_variables_linted);
    tcase_add_test(t, efa_devices_noted_in_rdma_devices);
    suite_add_tcase(s, t);
    return s;
}
