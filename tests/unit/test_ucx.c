/* UCX pure modules on real text captured from UCX 1.13.1 on this project's
 * machines (tests/fixtures/ucx/): ucp_ep_print_info lanes, context printers,
 * the UCX judge, default-route interfaces and the handle map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fabguard/handlemap.h"
#include "fabguard/judge.h"
#include "fabguard/netinfo.h"
#include "fabguard/ucx_context.h"
#include "fabguard/ucx_ep_cfg.h"
#include "fabguard/ucx_text.h"
#include "fabguard/sysread.h"
#include "unit.h"

static char *fixture(const char *name, size_t *len)
{
    static char buf[65536];
    char        path[256];
    long        n;
    snprintf(path, sizeof(path), "/tests/fixtures/ucx/%s", name);
    n = fg_read_text(FG_SRCDIR, path, buf, sizeof(buf));
    ck_assert_msg(n > 0, "fixture %s", path);
    *len = (size_t)n;
    return buf;
}

static char *lanes_str(const fg_lane_set_t *s)
{
    static char out[2048];
    fg_sbuf_t   sb;
    size_t      i;
    fg_sb_init(&sb, out, sizeof(out));
    for (i = 0; i < s->n; i++) {
        fg_sb_printf(&sb, "%s%s/%s[%s]", i ? " " : "", s->lane[i].transport, s->lane[i].device, s->lane[i].usage);
    }
    return out;
}

START_TEST(print_info_shm_and_tcp)
{
    fg_lane_set_t s;
    fg_error_t    e;
    size_t        n;
    char         *t = fixture("print_info_shm.txt", &n);
    ck_assert_int_eq(fg_ucx_lanes_from_print_info(t, n, &s, &e), 0);
    ck_assert_str_eq(lanes_str(&s), "self/memory0[am am_bw#0] sysv/memory[] posix/memory[] cma/memory[rma_bw#0]");
    t = fixture("print_info_tcp.txt", &n);
    ck_assert_int_eq(fg_ucx_lanes_from_print_info(t, n, &s, &e), 0);
    ck_assert_str_eq(lanes_str(&s), "tcp/lo[rma_bw#0 am am_bw#0] tcp/eth0[rma_bw#1 wireup]");
}
END_TEST

START_TEST(print_info_client_server_cm_lane)
{
    fg_lane_set_t s;
    fg_error_t    e;
    size_t        n;
    char         *t = fixture("print_info_client_server.txt", &n);
    ck_assert_int_eq(fg_ucx_lanes_from_print_info(t, n, &s, &e), 0);
    /* two prints: at creation (CM lane only), then after wireup */
    ck_assert_str_eq(lanes_str(&s), "rdmacm/[wireup] rdmacm/[wireup] sysv/memory[am am_bw#0] cma/memory[rma_bw#0]");
    ck_assert(fg_lane_is_cm(&s.lane[0]));
    ck_assert(!fg_lane_is_cm(&s.lane[2]));
}
END_TEST

START_TEST(print_info_odd_inputs)
{
    fg_lane_set_t s;
    fg_error_t    e;
    char          big[65536];
    size_t        i, off = 0;
    const char   *vlan = "#  lane[0]:  1:tcp/eth0.100.0 md[1]  -> md[1]/tcp/sysdev[255] am\n";
    ck_assert_int_eq(fg_ucx_lanes_from_print_info(vlan, strlen(vlan), &s, &e), 0);
    ck_assert_str_eq(lanes_str(&s), "tcp/eth0.100[am]");
    ck_assert_int_eq(fg_ucx_lanes_from_print_info("garbage\n", 8, &s, &e), -1);
    ck_assert(strstr(e.reason, "no UCP endpoint block") != NULL);
    ck_assert_int_eq(fg_ucx_lanes_from_print_info("# lane[3]:\n# lane[", 18, &s, &e), 0);
    ck_assert_int_eq((int)s.n, 0);
    for (i = 0; i < 80; i++) {   /* more lanes than fit: capped, no overflow */
        off += (size_t)snprintf(big + off, sizeof(big) - off, "# lane[%zu]:  %zu:rc_mlx5/mlx5_%zu:1.0 md[0] -> x am\n", i, i, i);
    }
    ck_assert_int_eq(fg_ucx_lanes_from_print_info(big, off, &s, &e), 0);
    ck_assert_int_eq((int)s.n, FG_MAX_LANES);
    ck_assert_str_eq(s.lane[63].device, "mlx5_63:1");
}
END_TEST

START_TEST(context_printers)
{
    fg_ucx_context_info_t info;
    size_t                n;
    char                 *t;
    memset(&info, 0, sizeof(info));
    t = fixture("config_print_modified.txt", &n);   /* TLS and IB_GPU_DIRECT_RDMA set in code */
    fg_ucx_config_from_print(t, n, &info);
    ck_assert_str_eq(info.tls, "tcp,self");
    ck_assert_str_eq(info.gpu_direct_rdma, "no");
    ck_assert_str_eq(info.net_devices, "all");
    ck_assert_str_eq(info.rndv_scheme, "auto");
    t = fixture("context_print_info.txt", &n);
    ck_assert_int_eq(fg_ucx_resources_from_print(t, n, &info.resources), 6);
    ck_assert_str_eq(lanes_str(&info.resources), "self/memory0[] tcp/eth0[] tcp/lo[] sysv/memory[] posix/memory[] cma/memory[]");
}
END_TEST

static fg_policy_t pol;
static void setup(void) { fg_policy_init_defaults(&pol); }
static void teardown(void) { fg_policy_free(&pol); }
static void policy(const char *text)
{
    fg_error_t e;
    ck_assert_int_eq(fg_policy_load_text(&pol, "t", text, strlen(text), &e), 0);
}
static char *judge(const char *spec, const fg_ifset_t *mgmt)
{
    static char   out[2048];
    fg_lane_set_t s = { 0 };
    fg_findings_t f;
    fg_sbuf_t     sb;
    char          copy[512], *tok, *save = NULL;
    size_t        i;
    snprintf(copy, sizeof(copy), "%s", spec);
    for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *sl = strchr(tok, '/');
        *sl = '\0';
        fg_lane_set_add(&s, tok, sl + 1, "");
    }
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_lanes(&pol, mgmt, &s, &f);
    fg_sb_init(&sb, out, sizeof(out));
    for (i = 0; i < f.n; i++) {
        fg_sb_printf(&sb, "%s%s: %s", i ? " | " : "", f.v[i].rule, f.v[i].detail);
        ck_assert(f.v[i].fix[0] != '\0');
    }
    return out;
}

START_TEST(judge_lanes_rules)
{
    fg_ifset_t mgmt = { 0 };
    fg_ifset_add(&mgmt, "eth0");
    ck_assert_str_eq(judge("posix/memory cma/memory rc_mlx5/mlx5_0:1", &mgmt), "");
    ck_assert_str_eq(judge("tcp/ib0", &mgmt), "ucx.forbid_transports: lane 0 uses tcp on ib0");
    ck_assert_str_eq(judge("rdmacm/ tcp/", &mgmt), "");   /* CM lanes are never judged */
    ck_assert_str_eq(judge("tcp/eth0 tcp/eth0", &mgmt),
                     "ucx.forbid_transports: lane 0 uses tcp on eth0 | fabguard.management_ifaces: lane 0 uses tcp on eth0 (management NIC)");
    policy("[ucx]\nforbid_transports =\nallow_devices = mlx5_*\n");
    ck_assert_str_eq(judge("rc_mlx5/mlx5_1:1 cuda_ipc/cuda posix/memory", &mgmt), "");
    ck_assert_str_eq(judge("ud_verbs/bnxt_re0:1", &mgmt), "ucx.allow_devices: lane 0 uses ud_verbs on bnxt_re0:1, outside allow_devices");
    ck_assert_str_eq(judge("tcp/eth0", NULL), "ucx.allow_devices: lane 0 uses tcp on eth0, outside allow_devices");
}
END_TEST

/* A file below ROOT, its folders made on the way. */
static void put(const char *root, const char *rel, const char *text)
{
    char  path[512], *slash;
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    if (text == NULL) { mkdir(path, 0755); return; }
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

/* Kernel layout (drivers/infiniband/core/sysfs.c): a RoCE port names its
 * netdev per GID entry; an InfiniBand port has no ndevs. */
START_TEST(roce_port_of_management_nic)
{
    char       root[] = "/tmp/fg-unit-roce.XXXXXX";
    fg_ifset_t mgmt;
    ck_assert_ptr_nonnull(mkdtemp(root));
    put(root, "proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                                "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
    put(root, "sys/class/infiniband/mlx5_0/ports/1/gid_attrs/ndevs/0", "eth0\n");
    put(root, "sys/class/infiniband/mlx5_1/ports/1/gid_attrs/ndevs/0", "");
    put(root, "sys/class/infiniband/mlx5_1/ports/1/gid_attrs/ndevs/1", "ens1f0np0\n");
    put(root, "sys/class/infiniband/mlx5_2/ports/1/link_layer", "InfiniBand\n");
    put(root, "sys/class/infiniband/mlx5_2/ports/1/gid_attrs/ndevs/0", "eth0\n");   /* never read for IB */
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(&pol, root, &mgmt);
    ck_assert(fg_ifset_contains(&mgmt, "eth0"));
    ck_assert_ptr_null(fg_ifset_via(&mgmt, "eth0"));
    ck_assert_str_eq(fg_ifset_via(&mgmt, "mlx5_0:1"), "eth0");
    ck_assert(!fg_ifset_contains(&mgmt, "mlx5_1:1"));   /* RoCE on the data NIC */
    ck_assert(!fg_ifset_contains(&mgmt, "mlx5_2:1"));   /* InfiniBand */
    ck_assert_int_eq((int)mgmt.n, 2);
    ck_assert_str_eq(judge("rc_mlx5/mlx5_0:1 rc_mlx5/mlx5_1:1", &mgmt),
                     "fabguard.management_ifaces: lane 0 uses rc_mlx5 on mlx5_0:1 (RoCE port of eth0, the management NIC)");
    /* an explicit list maps too, globs included */
    policy("[fabguard]\nmanagement_ifaces = ens1f*\n");
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(&pol, root, &mgmt);
    ck_assert_str_eq(fg_ifset_via(&mgmt, "mlx5_1:1"), "ens1f0np0");
    ck_assert_ptr_null(fg_ifset_via(&mgmt, "mlx5_0:1"));
    /* no /sys/class/infiniband at all: interfaces only */
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(&pol, "/nonexistent-root", &mgmt);
    ck_assert_int_eq((int)mgmt.n, 1);
    {
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

START_TEST(judge_context_rules)
{
    fg_ucx_context_info_t c;
    fg_findings_t         f;
    memset(&c, 0, sizeof(c));
    fg_lane_set_add(&c.resources, "tcp", "eth0", "");
    fg_lane_set_add(&c.resources, "posix", "memory", "");
    policy("[ucx]\nrequire_transports = rc*|dc*|ud*, posix|sysv\ngpu_direct_rdma = require\n");
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_context(&pol, &c, &f);
    ck_assert_int_eq((int)f.n, 1);
    ck_assert_str_eq(f.v[0].rule, "ucx.require_transports");
    ck_assert(strstr(f.v[0].detail, "rc*|dc*|ud*") != NULL);
    c.node_has_rdma = 1;
    snprintf(c.gpu_direct_rdma, sizeof(c.gpu_direct_rdma), "off");
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_context(&pol, &c, &f);
    ck_assert_int_eq((int)f.n, 3);
    ck_assert_str_eq(f.v[1].rule, "ucx.rdma_missing");
    ck_assert_str_eq(f.v[2].rule, "ucx.gpu_direct_rdma");
    fg_lane_set_add(&c.resources, "rc_mlx5", "mlx5_0:1", "");
    snprintf(c.gpu_direct_rdma, sizeof(c.gpu_direct_rdma), "try");
    memset(&f, 0, sizeof(f));
    fg_judge_ucx_context(&pol, &c, &f);
    ck_assert_int_eq((int)f.n, 0);
}
END_TEST

START_TEST(default_route_interfaces)
{
    fg_ifset_t s = { 0 };
    size_t     n;
    char      *t = fixture("proc_net_route.txt", &n);
    ck_assert_int_eq(fg_route_default_ifaces(t, &s), 1);
    ck_assert_str_eq(s.name[0], "eth0");
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(fg_route_default_ifaces("Iface\tDestination\tGateway\n", &s), 0);
    ck_assert_int_eq(fg_route_default_ifaces(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
        "bond0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "ib0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n"
        "enp1s0\t00000000\t0102A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n", &s), 2);
    ck_assert(fg_ifset_contains(&s, "bond0") && fg_ifset_contains(&s, "enp1s0"));
    ck_assert(!fg_ifset_contains(&s, "ib0"));
    memset(&s, 0, sizeof(s));
    t = fixture("proc_net_ipv6_route.txt", &n);
    ck_assert_int_eq(fg_route6_default_ifaces(t, &s), 1);
    ck_assert_str_eq(s.name[0], "eth0");
}
END_TEST

static int drop_odd(fg_handle_rec_t *r, void *arg) { (void)arg; return ((uintptr_t)r->key / 16) % 2 == 1; }

START_TEST(handle_map)
{
    fg_handlemap_t  m = { 0 };
    fg_handle_rec_t r;
    uintptr_t       i;
    for (i = 1; i <= 5000; i++) {
        fg_handle_rec_t x = { (void *)(i * 16), NULL, (void *)i, i, 0 };
        ck_assert_int_eq(fg_handlemap_put(&m, &x), 0);
    }
    ck_assert_uint_eq(m.count, 5000);
    ck_assert(fg_handlemap_get(&m, (void *)(77 * 16), &r));
    ck_assert_uint_eq(r.fingerprint, 77);
    ck_assert(fg_handlemap_del(&m, (void *)(77 * 16)));
    ck_assert(!fg_handlemap_get(&m, (void *)(77 * 16), &r));
    fg_handlemap_sweep(&m, drop_odd, NULL);
    for (i = 1; i <= 5000; i++) {
        int want = (i % 2 == 0);
        ck_assert_int_eq(fg_handlemap_get(&m, (void *)(i * 16), &r), want);
    }
    ck_assert_uint_eq(m.count, 2500);
    fg_handlemap_clear(&m);
    ck_assert(!fg_handlemap_get(&m, (void *)16, &r));
}
END_TEST


/* Endpoint-configuration info lines as UCX 1.13.1 printed them here and as
 * UCX 1.22.0's ucp_worker_print_used_tls/ucp_ep_config_name build them. */
START_TEST(ep_cfg_lines)
{
    fg_ucx_ep_cfg_t c;

    ck_assert_int_eq(fg_ucx_ep_cfg_parse("  ep_cfg[1]: tag(tcp/lo tcp/eth0)", &c), 0);
    ck_assert_int_eq(c.cfg_index, 1);
    ck_assert_str_eq(c.locality, "");
    ck_assert_str_eq(lanes_str(&c.lanes), "tcp/lo[tag] tcp/eth0[tag]");
    ck_assert_int_eq(fg_ucx_ep_cfg_parse(
        "ep_cfg[0]: tag(self/memory0 cma/memory) rma(self/memory0 sysv/memory posix/memory)", &c), 0);
    ck_assert_str_eq(lanes_str(&c.lanes),
                     "self/memory0[tag rma] cma/memory[tag] sysv/memory[rma] posix/memory[rma]");
    ck_assert_int_eq(fg_ucx_ep_cfg_parse(
        "inter-node cfg#3 tag(tcp/eth0) rma_am(tcp/eth0) am(tcp/eth0) ka(tcp/lo)", &c), 0);
    ck_assert_int_eq(c.cfg_index, 3);
    ck_assert_str_eq(c.locality, "inter-node");
    ck_assert_str_eq(lanes_str(&c.lanes), "tcp/eth0[tag rma_am am] tcp/lo[ka]");
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("nixl_agent intra-node cfg#0 tag(cma/memory)", &c), 0);
    ck_assert_str_eq(c.context, "nixl_agent");
    ck_assert_str_eq(c.locality, "intra-node");
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("self cfg#12 rma(self/memory)", &c), 0);
    ck_assert_int_eq(c.cfg_index, 12);
    /* not endpoint-configuration lines, or malformed ones */
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("Version 1.13.1 (loaded from /lib/libucp.so.0)", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("UCX_* env variables: UCX_TLS=tcp", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("ep_cfg[x]: tag(tcp/lo)", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("ep_cfg[1]: tag(tcp/lo", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("ep_cfg[1]: tag(tcplo)", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("ep_cfg[1]:", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("cfg#1 tag(tcp/lo)", &c), -1);
    ck_assert_int_eq(fg_ucx_ep_cfg_parse("", &c), -1);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("ucx");
    TCase *t = tcase_create("ucx");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, print_info_shm_and_tcp);
    tcase_add_test(t, print_info_client_server_cm_lane);
    tcase_add_test(t, print_info_odd_inputs);
    tcase_add_test(t, context_printers);
    tcase_add_test(t, judge_lanes_rules);
    tcase_add_test(t, judge_context_rules);
    tcase_add_test(t, roce_port_of_management_nic);
    tcase_add_test(t, default_route_interfaces);
    tcase_add_test(t, handle_map);
    tcase_add_test(t, ep_cfg_lines);
    suite_add_tcase(s, t);
    return s;
}
