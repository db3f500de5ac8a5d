/* NCCL log parser on the shapes users paste (lines copied from the corpus in
 * tests/corpus/nccl, each from a public issue thread). Each test feeds lines
 * through fg_nccl_log_feed, the function the shim's in-process reader calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/nccl_log.h"
#include "unit.h"

static fg_nccl_log_t lg;

static void feed(const char *text)
{
    fg_nccl_update_t u;
    const char      *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t      n  = nl ? (size_t)(nl - p) : strlen(p);
        fg_nccl_log_feed(&lg, p, n, &u);
        p += n + (nl != NULL);
    }
}
static long proc_of(const char *host, long pid)
{
    size_t i;
    for (i = 0; i < lg.nprocs; i++) {
        if (lg.procs[i].pid == pid && strcmp(lg.procs[i].host, host) == 0) return (long)i;
    }
    return -1;
}
static void setup(void) { fg_nccl_log_init(&lg); }
static void teardown(void) { fg_nccl_log_free(&lg); }

START_TEST(merged_virtual_nics_and_suffixes)
{
    feed("h:1:2 [0] NCCL INFO NET/IB : Using [0]={[0] mlx5_2:1/RoCE, [1] mlx5_3:1/RoCE} [1]={[0] mlx5_4:1/RoCE, [1] mlx5_5:1/RoCE} [RO]; OOB eth0:10.0.0.1<0>\n"
         "h:3:4 [0] NCCL INFO NET/IB : Using [0]mlx5_0:1/IB/SHARP [1]mlx5_1:1/IB/SHARP ; OOB eth0:10.0.1.2<0>\n"
         "h:5:6 [0] NCCL INFO NET/IB : Using [0]mlx5_18:1/RoCE [1]mlx5_6:1/RoCE ; OOB :\n");
    ck_assert_int_eq((int)lg.procs[0].ndev, 4);
    ck_assert_str_eq(lg.procs[0].net_devices[0], "mlx5_2:1");
    ck_assert_str_eq(lg.procs[0].net_devices[3], "mlx5_5:1");
    ck_assert_str_eq(lg.procs[1].net_devices[1], "mlx5_1:1");
    ck_assert_int_eq((int)lg.procs[2].ndev, 2);
}
END_TEST

START_TEST(bootstrap_indexed_and_ipv6)
{
    char b[64];
    int  inf;
    feed("[1,0]<stdout>:5873af64cf59:10158:10560 [0] NCCL INFO Bootstrap : Using [0]lo:127.0.0.1<0>\n"
         "[1,0]<stdout>:5873af64cf59:10158:10560 [0] NCCL INFO NET/IB : No device found.\n"
         "[1,0]<stdout>:5873af64cf59:10158:10560 [0] NCCL INFO NET/Socket : Using [0]lo:127.0.0.1<0>\n"
         "w:9:9 [0] NCCL INFO Bootstrap : Using [0]ip6tnl0:fe80::e866:19ff:fe1e:a688%ip6tnl0<0> [1]veth0:2a02:6b8::1<0>\n");
    ck_assert_str_eq(lg.procs[0].host, "5873af64cf59");
    ck_assert_str_eq(lg.procs[0].bootstrap_iface, "lo");
    ck_assert_str_eq(lg.procs[0].net_devices[0], "lo");
    ck_assert_str_eq(fg_nccl_proc_net(&lg, 0, b, sizeof(b), &inf), "Socket");   /* no "Using network" */
    ck_assert_int_eq(inf, 1);
    ck_assert_str_eq(lg.procs[1].bootstrap_iface, "ip6tnl0");
    ck_assert_str_eq(lg.procs[1].bootstrap_addr, "fe80::e866:19ff:fe1e:a688%ip6tnl0");
}
END_TEST

START_TEST(gdr_of_every_generation)
{
    feed("a:1:1 [0] NCCL INFO NET/IB : GPU Direct RDMA (nvidia-peermem) enabled for HCA 0 'mlx5_0\n"
         "b:1:1 [0] NCCL INFO NET/IB : GPU Direct RDMA (DMABUF) enabled for HCA 1 'mlx5_1'\n"
         "c:1:1 [2] NCCL INFO NET/IB : GPU Direct RDMA Disabled for GPU 2[2] / HCA 0 (distance 3 >= 2)\n"
         "d:1:1 [0] NCCL INFO GPU Direct RDMA Disabled for GPU 42000 / HCA 0 (distance 6 > 4)\n"
         "e:1:1 [0] NCCL INFO NET/OFI Could not disable CUDA API usage for HMEM, disabling GDR\n"
         "f:1:1 [0] NCCL INFO NET/IB : GPU Direct RDMA Enabled for HCA 0 'mlx5_0'\n");
    ck_assert_int_eq(lg.procs[0].gdr, 1);
    ck_assert_int_eq(lg.procs[1].gdr, 1);
    ck_assert_int_eq(lg.procs[2].gdr, 0);
    ck_assert_int_eq(lg.procs[3].gdr, 0);
    ck_assert_int_eq(lg.procs[4].gdr, 0);
    ck_assert_int_eq(lg.procs[5].gdr, 1);
}
END_TEST

START_TEST(ring_lines_and_plugin_names)
{
    char b[64];
    int  inf;
    feed("ip-172-31-11-92:45293:45298 [0] NCCL INFO Ring 00 : 34 -> 33 [send] via NET/Socket/0\n"
         "ip-172-31-11-92:45293:45298 [0] NCCL INFO Ring 02 : 2 -> 0 -> 1\n"
         "[1,7]<stdout>:ip-172-32-38-1:21471:22316 [7] NCCL INFO Ring 00 : 7 -> 8 [send] via NET/AWS Libfabric/0\n"
         "x:1:1 [1] NCCL INFO Channel 09/0 : 33[1] -> 41[1] [send] via NET/IBext_v8/4\n");
    ck_assert_int_eq((int)lg.ncomms, 3);
    ck_assert_int_eq((int)lg.comms[0].nch, 1);                      /* "Ring 02 : 2 -> 0 -> 1" is a ring, not a connection */
    ck_assert_int_eq((int)lg.comms[0].channels[0].from_rank, 34);
    ck_assert_str_eq(lg.comms[1].channels[0].transport, "NET/AWS Libfabric/0");
    ck_assert_str_eq(fg_nccl_proc_net(&lg, 1, b, sizeof(b), &inf), "AWS Libfabric");
    ck_assert_int_eq(inf, 1);
    ck_assert_str_eq(fg_nccl_proc_net(&lg, 2, b, sizeof(b), &inf), "IBext_v8");
    fg_nccl_transport_class("P2P/direct pointer/read", b, sizeof(b));
    ck_assert_str_eq(b, "P2P/direct pointer");
    fg_nccl_transport_class("NET/IB/1(0)/GDRDMA/Shared", b, sizeof(b));
    ck_assert_str_eq(b, "NET/IB");
    fg_nccl_transport_class("SHM/direct/direct", b, sizeof(b));
    ck_assert_str_eq(b, "SHM");
}
END_TEST

START_TEST(prefixes_users_paste)
{
    feed("  | 2025-05-16T16:39:51.208-07:00ip-10-36-29-253:79:79 [0] NCCL INFO Bootstrap : Using eth0:10.36.29.253<0> | ip-10-36-29-253:79:79 [0] NCCL INFO Bootstrap : Using eth0:10.36.29.253<0>\n"
         "  | 2025-05-16T16:39:51.208-07:00 | NCCL version 2.21.5+cuda12.8\n"
         "<cluster_name>:919:1150 [0] NCCL INFO Channel 01/0 : 8[0] -> 15[7] via P2P/IPC/read\n"
         ":22901:22901 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/IB/4\n"
         "ESC[36m(RayWorkerVllm pid=4095)ESC[0m mwh-0:4095:4095 [1] NCCL INFO Bootstrap : Using eth0:10.224.5.210<0>\n"
         "[155] crow-19:5330:5330 [3] NCCL INFO Bootstrap : Using [0]eth0:10.100.62.64<0>\n"
         "        [1,0]<stdout>:worker-0:22:28 [0] NCCL INFO Using network Socket\n"
         "[default0]:node-1:77:77 [0] NCCL INFO Bootstrap : Using ens5:10.0.0.5<0>\n"
         "0: node-2:88:88 [0] NCCL INFO Bootstrap : Using ens6:10.0.0.6<0>\n");
    ck_assert_int_eq((int)lg.nprocs, 8);
    ck_assert_str_eq(lg.procs[proc_of("node-1", 77)].bootstrap_iface, "ens5");   /* torchrun --tee prefix */
    ck_assert_str_eq(lg.procs[proc_of("node-2", 88)].bootstrap_iface, "ens6");   /* srun --label prefix */
    ck_assert_int_ge(proc_of("ip-10-36-29-253", 79), 0);               /* timestamp glued to the host */
    ck_assert_str_eq(lg.procs[proc_of("ip-10-36-29-253", 79)].version, "2.21.5+cuda12.8");
    ck_assert_int_ge(proc_of("<cluster_name>", 919), 0);               /* redacted host */
    ck_assert_int_ge(proc_of("", 22901), 0);
    ck_assert_str_eq(lg.procs[proc_of("mwh-0", 4095)].bootstrap_iface, "eth0");
    ck_assert_int_ge(proc_of("crow-19", 5330), 0);
    ck_assert_str_eq(lg.procs[proc_of("worker-0", 22)].net, "Socket");
}
END_TEST

START_TEST(message_only_and_joined_lines)
{
    fg_nccl_update_t u;
    const char      *joined = "INFO 01-21 pynccl.py:63] vLLM is using nccl==2.20.5 gpu05:24037:24037 [0] NCCL INFO Bootstrap : Using bond0:172.30.52.37<0> "
                              "gpu05:24037:24037 [0] NCCL INFO cudaDriverVersion 12060 NCCL version 2.20.5+cuda12.4 gpu05:24154:24154 [3] NCCL INFO Bootstrap : Using bond0:172.30.52.37<0>";
    feed("NCCL INFO Channel 01/0 : 1[50000] -> 2[53000] via P2P/IPC\n"
         " [0] NCCL INFO NET/OFI Could not disable CUDA API usage for HMEM, disabling GDR\n");
    ck_assert_int_eq((int)lg.nprocs, 1);                                /* no prefix: one anonymous process */
    ck_assert_int_eq((int)lg.procs[0].pid, -1);
    ck_assert_int_eq((int)lg.comms[0].nch, 1);
    ck_assert_int_eq(lg.procs[0].gdr, 0);
    fg_nccl_log_feed(&lg, joined, strlen(joined), &u);                   /* the shim's reader path */
    ck_assert_int_eq((int)lg.nprocs, 3);
    ck_assert_str_eq(lg.procs[1].bootstrap_iface, "bond0");
    ck_assert_str_eq(lg.procs[2].bootstrap_iface, "bond0");
    ck_assert_str_eq(lg.procs[1].version, "2.20.5+cuda12.4");
    ck_assert_str_eq(lg.version, "2.20.5+cuda12.4");
}
END_TEST

START_TEST(version_info_line_2_27)
{
    feed("cl4-gpu03:427744:427744 [0] NCCL INFO NCCL version 2.27.6+cuda12.9\n");
    ck_assert_int_eq((int)lg.nprocs, 1);
    ck_assert_str_eq(lg.procs[0].version, "2.27.6+cuda12.9");
}
END_TEST

START_TEST(many_processes_linear)
{   /* 100,000 processes of 2 lines: a quadratic lookup would take minutes */
    char   line[160];
    long   i;
    fg_nccl_update_t u;
    for (i = 0; i < 100000; i++) {
        int n = snprintf(line, sizeof(line), "h%ld:%ld:%ld [0] NCCL INFO Using network IB", i / 8, i, i);
        fg_nccl_log_feed(&lg, line, (size_t)n, &u);
        n = snprintf(line, sizeof(line), "h%ld:%ld:%ld [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/IB/0/GDRDMA", i / 8, i, i);
        fg_nccl_log_feed(&lg, line, (size_t)n, &u);
    }
    ck_assert_int_eq((int)lg.nprocs, 100000);
    ck_assert_int_eq((int)lg.ncomms, 100000);
    ck_assert_int_eq((int)lg.comms[99999].nch, 1);
    ck_assert_int_eq((int)lg.comms[99999].proc, 99999);
}
END_TEST

/* rails: the comm's GPU (init lines of 2.18-2.28 and the older form without
 * the function name), nNodes/localRanks (2.19+ topology line), and busIds
 * in channel brackets (NCCL <= 2.18) versus device numbers (newer). */
START_TEST(comm_gpu_and_nodes)
{
    const char *f, *t;
    feed("12f0e56ac84d:2338969:2339155 [0] NCCL INFO ncclCommInitRank comm 0x559ee41b2b50 rank 0 nranks 4 cudaDev 0 nvmlDev 0 busId 18000 commId 0xfc552889eb5339ed - Init START\n"
         "12f0e56ac84d:2338969:2339155 [0] NCCL INFO comm 0x559ee41b2b50 rank 0 nRanks 4 nNodes 1 localRanks 4 localRank 0 MNNVL 0\n"
         "12f0e56ac84d:2338969:2339155 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] [send] via NET/IB/0/GDRDMA\n"
         "12f0e56ac84d:2338969:2339155 [0] NCCL INFO ncclCommInitRank comm 0x559ee41b2b50 rank 0 nranks 4 cudaDev 0 nvmlDev 0 busId 18000 commId 0xfc552889eb5339ed - Init COMPLETE\n"
         "como:60725:60749 [1] NCCL INFO Channel 00 : 1[7000] -> 0[4a000] via P2P/IPC\n"
         "como:60725:60749 [1] NCCL INFO comm 0x7f784f101d90 rank 1 nranks 4 cudaDev 1 busId 7000 - Init COMPLETE\n");
    ck_assert_int_eq((int)lg.ncomms, 2);
    ck_assert_str_eq(lg.comms[0].busid, "18000");
    ck_assert_int_eq((int)lg.comms[0].cuda_dev, 0);
    ck_assert_int_eq((int)lg.comms[0].nnodes, 1);
    ck_assert_int_eq((int)lg.comms[0].local_ranks, 4);
    ck_assert_int_eq((int)lg.comms[0].local_rank, 0);
    ck_assert_int_eq((int)lg.comms[0].nch, 1);
    ck_assert_str_eq(lg.comms[0].channels[0].from_dev, "0");
    ck_assert_int_eq(fg_nccl_channel_busids(&lg.comms[0], &lg.comms[0].channels[0], &f, &t), 0);   /* "0[0]": device numbers */
    ck_assert_str_eq(lg.comms[1].busid, "7000");
    ck_assert_int_eq((int)lg.comms[1].cuda_dev, 1);
    ck_assert_int_eq((int)lg.comms[1].nnodes, -1);   /* not logged before 2.19 */
    ck_assert_int_eq(fg_nccl_channel_busids(&lg.comms[1], &lg.comms[1].channels[0], &f, &t), 1);
    ck_assert_str_eq(f, "7000");
    ck_assert_str_eq(t, "4a000");
}
END_TEST

START_TEST(topology_line_after_channels_of_another_comm)
{   /* the topology line names its comm by pointer: it lands there even when
     * another comm of the process was initialised since */
    feed("h:1:1 [0] NCCL INFO ncclCommInitRank comm 0xa rank 0 nranks 2 cudaDev 6 nvmlDev 6 busId 36000 commId 0x1 - Init START\n"
         "h:1:2 [0] NCCL INFO ncclCommInitRank comm 0xb rank 1 nranks 2 cudaDev 7 nvmlDev 7 busId 37000 commId 0x2 - Init START\n"
         "h:1:1 [0] NCCL INFO comm 0xa rank 0 nRanks 2 nNodes 2 localRanks 1 localRank 0 MNNVL 0\n"
         "h:1:2 [0] NCCL INFO comm 0xb rank 1 nRanks 2 nNodes 1 localRanks 2 localRank 1 MNNVL 0\n");
    ck_assert_int_eq((int)lg.ncomms, 2);
    ck_assert_str_eq(lg.comms[0].busid, "36000");
    ck_assert_int_eq((int)lg.comms[0].nnodes, 2);
    ck_assert_int_eq((int)lg.comms[1].nnodes, 1);
    ck_assert_int_eq((int)lg.comms[1].local_rank, 1);
    ck_assert_int_eq((int)lg.comms[1].cuda_dev, 7);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s  = suite_create("nccl_log");
    TCase *tc = tcase_create("formats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, merged_virtual_nics_and_suffixes);
    tcase_add_test(tc, bootstrap_indexed_and_ipv6);
    tcase_add_test(tc, gdr_of_every_generation);
    tcase_add_test(tc, ring_lines_and_plugin_names);
    tcase_add_test(tc, prefixes_users_paste);
    tcase_add_test(tc, message_only_and_joined_lines);
    tcase_add_test(tc, version_info_line_2_27);
    tcase_add_test(tc, many_processes_linear);
    tcase_add_test(tc, comm_gpu_and_nodes);
    tcase_add_test(tc, topology_line_after_channels_of_another_comm);
    suite_add_tcase(s, tc);
    return s;
}
