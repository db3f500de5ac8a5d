/* Rail topology and the topology judges, on sysfs trees laid out as the
 * kernel does (tests/fixtures/sysfs/make_fixtures.sh: rail4, rail2, vm_flat). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "fabguard/judge_topo.h"

static char fx[256];

static void setup(void)
{
    char cmd[600];

    snprintf(fx, sizeof(fx), "/tmp/fg-topo-%d", (int)getpid());
    snprintf(cmd, sizeof(cmd), "bash %s/tests/fixtures/sysfs/make_fixtures.sh %s",
             FG_SRCDIR, fx);
    ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx);
    if (system(cmd) != 0) {
        fprintf(stderr, "cleanup of %s failed\n", fx);
    }
}

static void topo_of(const char *name, fg_topo_t *t)
{
    static fg_node_t node;   /* large: keep it off the stack */
    char root[300];

    snprintf(root, sizeof(root), "%s/%s", fx, name);
    fg_node_probe(root, &node);
    fg_topo_build(&node, t);
}

static void policy(fg_policy_t *pol, const char *text)
{
    fg_error_t err;

    fg_policy_init_defaults(pol);
    ck_assert_msg(fg_policy_load_text(pol, "test", text, strlen(text), &err) == 0,
                  "%s", err.reason);
}

static fg_lane_set_t lanes_of(const char *spec)   /* "tcp:eth0,rc_mlx5:mlx5_0:1" */
{
    fg_lane_set_t set;
    char          buf[256], *tok, *save = NULL;

    memset(&set, 0, sizeof(set));
    fg_strlcpy(buf, spec, sizeof(buf));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *dev = strchr(tok, ':');
        if (dev) *dev++ = '\0';
        fg_lane_set_add(&set, tok, dev ? dev : "", "");
    }
    return set;
}

START_TEST(busid_spellings_name_one_gpu)
{
    static fg_topo_t t;

    topo_of("rail4", &t);
    ck_assert_int_eq(t.ngpu, 8);
    ck_assert_int_eq(t.nnic, 4);
    ck_assert_str_eq(t.gpu_bdf[6], "0000:36:00.0");
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "0000:36:00.0"), 6);
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "00000000:36:00.0"), 6);   /* nvidia-smi */
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "36:00.0"), 6);
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "36000"), 6);              /* NCCL */
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "0x36000"), 6);
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "37000"), 7);
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "99000"), -1);             /* not here */
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "zz"), -1);
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, ""), -1);
}
END_TEST

START_TEST(distances_follow_the_pcie_tree)
{
    static fg_topo_t t;
    char             near[128];

    topo_of("rail4", &t);
    ck_assert_int_eq(t.flat, 0);
    ck_assert_int_eq(t.nic[fg_topo_nic_by_name(&t, "mlx5_0")].dist[0], FG_DIST_PIX);
    ck_assert_int_eq(t.nic[fg_topo_nic_by_name(&t, "mlx5_1:1")].dist[0], FG_DIST_PHB);  /* other root port, one host bridge */
    ck_assert_int_eq(t.nic[fg_topo_nic_by_name(&t, "mlx5_2:1/IB")].dist[0], FG_DIST_SYS);
    fg_topo_nearest(&t, 6, near, sizeof(near));
    ck_assert_str_eq(near, "mlx5_3");

    topo_of("rail2", &t);
    ck_assert_int_eq(t.nnic, 2);
    ck_assert_int_eq(t.best[3], FG_DIST_PXB);      /* two switch levels down */
    ck_assert_int_eq(t.nic[0].dist[3], FG_DIST_PXB);
    ck_assert_int_eq(t.nic[0].dist[4], FG_DIST_SYS);
    fg_topo_nearest(&t, 5, near, sizeof(near));
    ck_assert_str_eq(near, "mlx5_1");

    topo_of("vm_flat", &t);
    ck_assert_int_eq(t.flat, 1);
    ck_assert_int_eq(t.best[0], FG_DIST_PHB);
    /* on bus 0 NCCL's busId is short: "0000:00:0b.0" -> "b0" (a VM's log) */
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "b0"), 6);
    ck_assert_int_eq(fg_topo_gpu_by_busid(&t, "50"), 0);
}
END_TEST

START_TEST(wrong_rail_ucx_lanes)
{
    static fg_topo_t t;
    fg_policy_t      pol;
    fg_findings_t    f;
    fg_lane_set_t    far = lanes_of("tcp:,rc_mlx5:mlx5_0:1,posix:memory");
    fg_lane_set_t    own = lanes_of("rc_mlx5:mlx5_3:1,dc_mlx5:mlx5_3:1");

    topo_of("rail4", &t);
    policy(&pol, "");
    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 6, &far, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].rule, "topology.rail_affinity");
    ck_assert_msg(strstr(f.v[0].detail, "GPU 0000:36:00.0 goes through mlx5_0, SYS away (nearest: mlx5_3, PIX") != NULL,
                  "%s", f.v[0].detail);
    ck_assert_ptr_nonnull(strstr(f.v[0].detail, "lane 1 (rc_mlx5)"));
    ck_assert_int_eq(fg_topo_finding_is_advisory(&pol, &f.v[0]), 1);   /* default warn */

    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 6, &own, &f);
    ck_assert_uint_eq(f.n, 0);

    fg_policy_free(&pol);
    policy(&pol, "[topology]\nrail_affinity = require\n");
    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 6, &far, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(fg_topo_finding_is_advisory(&pol, &f.v[0]), 0);
    fg_policy_free(&pol);

    policy(&pol, "[topology]\nrail_max_distance = SYS\n");
    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 6, &far, &f);
    ck_assert_uint_eq(f.n, 0);
    fg_policy_free(&pol);

    policy(&pol, "[topology]\nrail_affinity = any\n");
    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 6, &far, &f);
    ck_assert_uint_eq(f.n, 0);
    fg_policy_free(&pol);
}
END_TEST

START_TEST(neighbour_nic_within_distance_and_flat_vm)
{
    static fg_topo_t t;
    fg_policy_t      pol;
    fg_findings_t    f;
    fg_lane_set_t    l = lanes_of("rc_mlx5:mlx5_1:1");

    policy(&pol, "[topology]\nrail_affinity = require\n");
    topo_of("rail4", &t);            /* GPU 0 via mlx5_1: PHB, worse than PXB */
    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 0, &l, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_ptr_nonnull(strstr(f.v[0].detail, "PHB away"));
    topo_of("vm_flat", &t);          /* the VM hides the tree: nothing to judge */
    memset(&f, 0, sizeof(f));
    fg_judge_rail_lanes(&pol, &t, 0, &l, &f);
    ck_assert_uint_eq(f.n, 0);
    fg_policy_free(&pol);
}
END_TEST

START_TEST(nccl_net_index_maps_to_using_list)
{
    static fg_topo_t  t;
    fg_policy_t       pol;
    fg_findings_t     f;
    fg_nccl_proc_t    proc;
    fg_nccl_channel_t ch;
    int               i;

    ck_assert_int_eq(fg_nccl_channel_net_index("NET/IB/3/GDRDMA"), 3);
    ck_assert_int_eq(fg_nccl_channel_net_index("NET/IB/0(1)/GDRDMA(PCI)/Shared"), 0);
    ck_assert_int_eq(fg_nccl_channel_net_index("NET/AWS Libfabric/2"), 2);
    ck_assert_int_eq(fg_nccl_channel_net_index("NET/Socket/1"), 1);
    ck_assert_int_eq(fg_nccl_channel_net_index("P2P/IPC"), -1);
    ck_assert_int_eq(fg_nccl_channel_net_index("NET/IB"), -1);

    topo_of("rail4", &t);
    policy(&pol, "");
    memset(&proc, 0, sizeof(proc));
    for (i = 0; i < 4; i++) {
        snprintf(proc.net_devices[i], sizeof(proc.net_devices[i]), "mlx5_%d:1/IB", i);
    }
    proc.ndev = 4;
    memset(&ch, 0, sizeof(ch));
    ch.channel = 2; ch.from_rank = 6; ch.to_rank = 14;
    strcpy(ch.transport, "NET/IB/0/GDRDMA");
    memset(&f, 0, sizeof(f));
    fg_judge_rail_nccl_channel(&pol, &t, "36000", &proc, &ch, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_ptr_nonnull(strstr(f.v[0].detail, "channel 02 6 -> 14 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0, SYS away"));
    strcpy(ch.transport, "NET/IB/3/GDRDMA");
    memset(&f, 0, sizeof(f));
    fg_judge_rail_nccl_channel(&pol, &t, "36000", &proc, &ch, &f);
    ck_assert_uint_eq(f.n, 0);
    strcpy(ch.transport, "NET/IB/7/GDRDMA");            /* beyond the list */
    fg_judge_rail_nccl_channel(&pol, &t, "36000", &proc, &ch, &f);
    ck_assert_uint_eq(f.n, 0);
    fg_policy_free(&pol);
}
END_TEST

START_TEST(same_host_gpu_paths)
{
    fg_policy_t       pol;
    fg_findings_t     f;
    fg_lane_set_t     nic = lanes_of("posix:memory,rc_mlx5:mlx5_0:1,cuda_copy:cuda");
    fg_lane_set_t     shm = lanes_of("posix:memory,cma:memory,cuda_copy:cuda");
    fg_lane_set_t     ipc = lanes_of("posix:memory,cuda_ipc:cuda,rc_mlx5:mlx5_0:1");
    fg_nccl_channel_t ch;

    policy(&pol, "");
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_lanes(&pol, &nic, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].rule, "topology.same_host_gpu");
    ck_assert_ptr_nonnull(strstr(f.v[0].detail, "rc_mlx5 on mlx5_0:1 (NIC loopback)"));
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_lanes(&pol, &shm, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_ptr_nonnull(strstr(f.v[0].detail, "posix (host shared memory)"));
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_lanes(&pol, &ipc, &f);
    ck_assert_uint_eq(f.n, 0);

    memset(&ch, 0, sizeof(ch));
    strcpy(ch.transport, "NET/IB/0/GDRDMA");
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_nccl_channel(&pol, &ch, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(fg_topo_finding_is_advisory(&pol, &f.v[0]), 1);
    strcpy(ch.transport, "P2P/IPC/read");
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_nccl_channel(&pol, &ch, &f);
    ck_assert_uint_eq(f.n, 0);
    fg_policy_free(&pol);

    policy(&pol, "[topology]\nsame_host_gpu = require_nvlink\n");
    strcpy(ch.transport, "NET/Socket/0");
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_nccl_channel(&pol, &ch, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_int_eq(fg_topo_finding_is_advisory(&pol, &f.v[0]), 0);
    fg_policy_free(&pol);

    policy(&pol, "[topology]\nsame_host_gpu = any\n");
    memset(&f, 0, sizeof(f));
    fg_judge_same_host_lanes(&pol, &nic, &f);
    ck_assert_uint_eq(f.n, 0);
    fg_policy_free(&pol);
}
END_TEST

START_TEST(visible_gpus_and_policy_errors)
{
    static fg_topo_t t;
    int              idx[16];
    fg_policy_t      pol;
    fg_error_t       err;
    const char      *bad = "[topology]\nrail_max_distance = far\n";

    topo_of("rail4", &t);
    ck_assert_int_eq(fg_topo_visible_gpus(&t, NULL, idx, 16), 8);
    ck_assert_int_eq(fg_topo_visible_gpus(&t, "6,2", idx, 16), 2);
    ck_assert_int_eq(idx[0], 6);
    ck_assert_int_eq(idx[1], 2);
    ck_assert_int_eq(fg_topo_visible_gpus(&t, "1,9,2", idx, 16), 1);   /* stops at 9 */
    ck_assert_int_eq(fg_topo_visible_gpus(&t, "GPU-8e2c1f", idx, 16), 0);
    ck_assert_int_eq(fg_topo_visible_gpus(&t, "", idx, 16), 0);

    fg_policy_init_defaults(&pol);
    ck_assert_int_eq(fg_policy_load_text(&pol, "p.ini", bad, strlen(bad), &err), -1);
    ck_assert_uint_eq(err.line, 2);
    ck_assert_ptr_nonnull(strstr(err.reason, "PIX, PXB, PHB, NODE or SYS"));
    fg_policy_free(&pol);
}
END_TEST

/* A parsed log, judged as the shim's in-process reader does: the comm's
 * GPU from its init line, the HCA from the NET/IB list, nNodes from the
 * topology line; one finding per distinct NET transport. */
static void feed(fg_nccl_log_t *lg, const char *text)
{
    fg_nccl_update_t u;
    const char      *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t      n  = nl ? (size_t)(nl - p) : strlen(p);
        fg_nccl_log_feed(lg, p, n, &u);
        p += n + (nl != NULL);
    }
}

START_TEST(nccl_comm_from_parsed_log)
{
    static fg_topo_t t;
    static fg_nccl_log_t lg;
    fg_policy_t      pol;
    fg_findings_t    f;

    topo_of("rail4", &t);
    policy(&pol, "");
    fg_nccl_log_init(&lg);
    feed(&lg, "h:1:2 [6] NCCL INFO ncclCommInitRank comm 0x7f3a6c000b10 rank 6 nranks 16 cudaDev 6 nvmlDev 6 busId 36000 commId 0x1f2e - Init START\n"
              "h:1:2 [6] NCCL INFO NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_1:1/IB [2]mlx5_2:1/IB [3]mlx5_3:1/IB [RO]; OOB ib0:10.0.0.11<0>\n"
              "h:1:2 [6] NCCL INFO comm 0x7f3a6c000b10 rank 6 nRanks 16 nNodes 2 localRanks 8 localRank 6 MNNVL 0\n"
              "h:1:2 [6] NCCL INFO Channel 00/0 : 6[6] -> 7[7] via P2P/CUMEM/read\n"
              "h:1:2 [6] NCCL INFO Channel 01/0 : 14[6] -> 6[6] [receive] via NET/IB/0/GDRDMA\n"
              "h:1:2 [6] NCCL INFO Channel 01/0 : 6[6] -> 14[6] [send] via NET/IB/0/GDRDMA\n"
              "h:1:2 [6] NCCL INFO Channel 02/0 : 6[6] -> 14[6] [send] via NET/IB/3/GDRDMA\n");
    ck_assert_int_eq((int)lg.ncomms, 1);
    memset(&f, 0, sizeof(f));
    fg_judge_topo_nccl_comm(&pol, &t, &lg.procs[0], &lg.comms[0], NULL, NULL, &f);
    ck_assert_int_eq((int)f.n, 1);   /* NET/IB/0 once; NET/IB/3 is the GPU's own NIC */
    ck_assert_str_eq(f.v[0].rule, "topology.rail_affinity");
    ck_assert(strstr(f.v[0].detail, "goes through mlx5_0, SYS away (nearest: mlx5_3, PIX") != NULL);
    memset(&f, 0, sizeof(f));
    fg_judge_topo_nccl_comm(&pol, NULL, &lg.procs[0], &lg.comms[0], NULL, NULL, &f);
    ck_assert_int_eq((int)f.n, 0);   /* no tree, nNodes 2: nothing provable */
    lg.comms[0].nnodes = 1;          /* one node: the NET channels are NIC loopback */
    memset(&f, 0, sizeof(f));
    fg_judge_topo_nccl_comm(&pol, NULL, &lg.procs[0], &lg.comms[0], NULL, NULL, &f);
    ck_assert_int_eq((int)f.n, 2);   /* NET/IB/0 and NET/IB/3 */
    ck_assert_str_eq(f.v[0].rule, "topology.same_host_gpu");
    fg_nccl_log_free(&lg);
    fg_policy_free(&pol);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("topo");
    TCase *t = tcase_create("topo");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, busid_spellings_name_one_gpu);
    tcase_add_test(t, distances_follow_the_pcie_tree);
    tcase_add_test(t, wrong_rail_ucx_lanes);
    tcase_add_test(t, neighbour_nic_within_distance_and_flat_vm);
    tcase_add_test(t, nccl_comm_from_parsed_log);
    tcase_add_test(t, nccl_net_index_maps_to_using_list);
    tcase_add_test(t, same_host_gpu_paths);
    tcase_add_test(t, visible_gpus_and_policy_errors);
    suite_add_tcase(s, t);
    return s;
}
