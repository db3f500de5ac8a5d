/* NCCL log parser and judge on the fixtures of tests/fixtures/nccl (a real
 * 2.28.9 log from this machine, and lines in the exact formats of NCCL
 * 2.18.3, 2.22.3, 2.26.2 and 2.28.9 source: see that folder's README). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/judge.h"
#include "fabguard/nccl_log.h"
#include "fabguard/nccl_conf.h"
#include "fabguard/netinfo.h"
#include "fabguard/sysread.h"
#include "unit.h"

static fg_nccl_log_t log_;
static fg_policy_t   pol;

static void feed_text(const char *text)
{
    fg_nccl_update_t u;
    const char      *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t      n  = nl ? (size_t)(nl - p) : strlen(p);
        fg_nccl_log_feed(&log_, p, n, &u);
        p += n + (nl != NULL);
    }
}
static void feed_fixture(const char *name)
{
    static char buf[65536];
    char        path[256];
    snprintf(path, sizeof(path), "/tests/fixtures/nccl/%s", name);
    ck_assert_int_gt(fg_read_text(FG_SRCDIR, path, buf, sizeof(buf)), 0);
    feed_text(buf);
}
static void setup(void) { fg_nccl_log_init(&log_); fg_policy_init_defaults(&pol); }
static void teardown(void) { fg_nccl_log_free(&log_); fg_policy_free(&pol); }

static char *rules(long proc, long comm, const fg_ifset_t *mgmt)
{
    static char   out[2048];
    fg_findings_t f;
    fg_sbuf_t     sb;
    size_t        i;
    memset(&f, 0, sizeof(f));
    fg_judge_nccl(&pol, mgmt, &log_, proc, comm, &f);
    fg_sb_init(&sb, out, sizeof(out));
    for (i = 0; i < f.n; i++) fg_sb_printf(&sb, "%s%s", i ? " " : "", f.v[i].rule);
    return out;
}

START_TEST(real_2_28_9_bootstrap_and_warns)
{
    feed_fixture("real-2.28.9-nogpu.log");
    ck_assert_int_eq((int)log_.nprocs, 1);
    ck_assert_str_eq(log_.procs[0].host, "vm");
    ck_assert_str_eq(log_.procs[0].bootstrap_iface, "eth0");
    ck_assert_str_eq(log_.procs[0].bootstrap_addr, "192.0.2.2");
    ck_assert_int_eq((int)log_.procs[0].warnings, 2);   /* timestamped 2.28 WARN lines */
    ck_assert(strstr(log_.procs[0].last_warning, "CUDA driver version") != NULL);
    ck_assert_int_eq((int)log_.ncomms, 0);
}
END_TEST

START_TEST(job_2_18_mpirun_prefixes_two_ranks)
{
    fg_ifset_t mgmt = { 0 };
    feed_fixture("ib-gdr-2.18.3-job.log");
    ck_assert_int_eq((int)log_.nprocs, 2);
    ck_assert_int_eq((int)log_.procs[0].pid, 4101);
    ck_assert_str_eq(log_.procs[0].version, "2.18.3+cuda12.2");
    ck_assert_str_eq(log_.procs[1].version, "2.18.3+cuda12.2");
    ck_assert_str_eq(log_.procs[0].bootstrap_iface, "ib0");        /* "Bootstrap : Using" */
    ck_assert_int_eq((int)log_.procs[0].ndev, 2);
    ck_assert_str_eq(log_.procs[0].net_devices[1], "mlx5_1:1");
    ck_assert_int_eq(log_.procs[0].gdr, 1);
    ck_assert_int_eq((int)log_.ncomms, 2);
    ck_assert_str_eq(log_.comms[0].comm, "0x55d0c8e8b2f0");
    ck_assert_int_eq((int)log_.comms[0].rank, 0);
    ck_assert_int_eq((int)log_.comms[0].nranks, 4);
    ck_assert_str_eq(log_.comms[0].comm_id, "0x7d9b1c2a55e1f0a3");
    ck_assert_int_eq((int)log_.comms[0].nch, 3);                    /* interleaved ranks kept apart */
    ck_assert_int_eq((int)log_.comms[1].nch, 2);
    ck_assert_str_eq(log_.comms[0].channels[1].transport, "NET/IB/0/GDRDMA");
    ck_assert_str_eq(log_.comms[0].channels[1].dir, "receive");
    ck_assert_int_eq((int)log_.comms[0].channels[1].from_rank, 2);
    ck_assert_int_eq(log_.comms[0].channels[1].gdr, 1);
    ck_assert_int_eq(log_.comms[0].channels[0].gdr, -1);            /* P2P: n/a */
    ck_assert_str_eq(log_.comms[1].channels[1].transport, "NET/IB/1(0)/GDRDMA/Shared");
    ck_assert_str_eq(rules(-1, 0, &mgmt), "");
    fg_ifset_add(&mgmt, "ib0");                                      /* bootstrap iface as mgmt */
    ck_assert_str_eq(rules(-1, 0, &mgmt), "fabguard.management_ifaces");
}
END_TEST

START_TEST(socket_fallback_2_28_kubectl_prefix_lazy_channels)
{
    fg_ifset_t       mgmt = { 0 };
    fg_error_t       e;
    fg_nccl_update_t u;
    const char      *lazy = "[pod/decode-0/worker] decode-0:77:77 [0] NCCL INFO Channel 01/0 : 0[0] -> 1[0] [send] via NET/Socket/1";
    fg_ifset_add(&mgmt, "eth0");
    feed_fixture("socket-fallback-2.28.9.log");
    ck_assert_str_eq(log_.procs[0].net, "Socket");
    ck_assert_str_eq(log_.procs[0].net_devices[0], "eth0");
    ck_assert_str_eq(log_.comms[0].comm, "0x7f3a10000b20");
    ck_assert(log_.comms[0].complete);
    /* channels printed after Init COMPLETE, from another thread (lazy connect) */
    ck_assert_int_eq((int)log_.comms[0].nch, 2);
    fg_nccl_log_feed(&log_, lazy, strlen(lazy), &u);
    ck_assert_int_eq(u.what, FG_NCCL_CHANNEL);
    ck_assert_int_eq((int)u.comm, 0);
    ck_assert_str_eq(rules(-1, 0, &mgmt),
                     "fabguard.management_ifaces fabguard.management_ifaces nccl.forbid_transports nccl.forbid_transports nccl.forbid_transports");
    ck_assert_int_eq(fg_policy_load_text(&pol, "t", "[nccl]\nrequire_net = IB\nforbid_transports =\n", strlen("[nccl]\nrequire_net = IB\nforbid_transports =\n"), &e), 0);
    ck_assert_str_eq(rules(-1, 0, NULL), "nccl.require_net");
}
END_TEST

START_TEST(roce_gdr_disabled_and_plugin_with_spaces)
{
    fg_error_t e;
    feed_fixture("roce-gdr-disabled-2.22.3.log");
    ck_assert_str_eq(log_.procs[0].net_devices[0], "mlx5_2:1");
    ck_assert_int_eq(log_.procs[0].gdr, 0);
    ck_assert_int_eq((int)log_.procs[0].warnings, 1);
    ck_assert_str_eq(rules(-1, 0, NULL), "");
    ck_assert_int_eq(fg_policy_load_text(&pol, "t", "[nccl]\ngpu_direct_rdma = require\nallow_hcas = mlx5_0\n", strlen("[nccl]\ngpu_direct_rdma = require\nallow_hcas = mlx5_0\n"), &e), 0);
    ck_assert_str_eq(rules(-1, 0, NULL), "nccl.allow_hcas nccl.gpu_direct_rdma nccl.gpu_direct_rdma");
    {   /* the HCA is a RoCE port of the management NIC */
        fg_ifset_t    mgmt = { 0 };
        fg_findings_t f;
        fg_ifset_add(&mgmt, "eth0");
        fg_ifset_add_via(&mgmt, "mlx5_2:1", "eth0");
        ck_assert_str_eq(rules(-1, 0, &mgmt), "nccl.allow_hcas fabguard.management_ifaces nccl.gpu_direct_rdma nccl.gpu_direct_rdma");
        memset(&f, 0, sizeof(f));
        fg_judge_nccl(&pol, &mgmt, &log_, -1, 0, &f);
        ck_assert_str_eq(f.v[1].detail, "NET/IB device mlx5_2:1 is the RoCE port of eth0 (management NIC)");
        ck_assert_str_eq(f.v[1].fix, "set NCCL_IB_HCA to the data-fabric HCAs, not mlx5_2:1 (RoCE on eth0)");
    }
    fg_nccl_log_free(&log_);
    fg_nccl_log_init(&log_);
    feed_fixture("plugin-nvlink-2.26.2.log");
    ck_assert_str_eq(log_.procs[0].net, "AWS Libfabric");
    ck_assert_int_eq((int)log_.ncomms, 2);                 /* InitRank + Split */
    ck_assert_str_eq(log_.comms[1].comm, "0x2000");
    ck_assert_str_eq(log_.comms[0].channels[2].transport, "P2P/direct pointer");
    ck_assert_str_eq(log_.comms[0].channels[1].transport, "SHM/direct/direct");
    ck_assert_int_eq(log_.comms[0].channels[1].channel, 1);
    ck_assert_str_eq(log_.comms[1].channels[0].transport, "NVLS");
}
END_TEST

/* aws-ofi-nccl: the plugin's provider line becomes a process fact and is
 * judged by fg_judge_nccl (the judge the shim's NCCL reader calls) under the
 * [libfabric] rules: tcp under the plugin is libfabric.forbid_providers. */
START_TEST(aws_ofi_nccl_provider_line)
{
    fg_error_t    e;
    fg_findings_t f;
    const char   *t;

    feed_fixture("ofi-efa-2.23.4.log");
    ck_assert_str_eq(log_.procs[0].ofi_provider, "efa");
    ck_assert_str_eq(log_.procs[0].ofi_fabric, "efa");
    ck_assert_int_eq((int)log_.procs[0].ofi_nics, 32);
    ck_assert_str_eq(log_.procs[0].net, "Libfabric");
    ck_assert_str_eq(rules(-1, 0, NULL), "");                /* efa: clean */
    t = "[libfabric]\nforbid_providers = efa\n";            /* the rule really runs */
    ck_assert_int_eq(fg_policy_load_text(&pol, "t", t, strlen(t), &e), 0);
    ck_assert_str_eq(rules(-1, 0, NULL), "libfabric.forbid_providers");
    fg_policy_free(&pol);
    fg_policy_init_defaults(&pol);

    fg_nccl_log_free(&log_);
    fg_nccl_log_init(&log_);
    feed_fixture("ofi-tcp-fallback-2.23.4.log");
    ck_assert_int_eq((int)log_.nprocs, 2);
    ck_assert_str_eq(log_.procs[0].ofi_provider, "tcp");
    ck_assert_str_eq(log_.procs[0].ofi_fabric, "10.1.0.0/16");
    ck_assert_int_eq((int)log_.procs[0].ofi_nics, 1);
    ck_assert_str_eq(log_.procs[1].ofi_provider, "tcp;ofi_rxm");   /* 1.6 … 1.13 shape */
    ck_assert_str_eq(log_.procs[1].ofi_fabric, "");
    ck_assert_str_eq(rules(-1, 0, NULL), "libfabric.forbid_providers");   /* via the comm */
    ck_assert_str_eq(rules(1, -1, NULL), "libfabric.forbid_providers");   /* a process alone */
    memset(&f, 0, sizeof(f));
    fg_judge_nccl(&pol, NULL, &log_, -1, 0, &f);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.v[0].detail, "aws-ofi-nccl provider tcp (fabric 10.1.0.0/16), 1 NIC");
    ck_assert_msg(strstr(f.v[0].fix, "FI_PROVIDER=efa") != NULL, "fix: %s", f.v[0].fix);
    t = "[libfabric]\nforbid_providers = sockets\n";        /* tcp allowed: clean */
    ck_assert_int_eq(fg_policy_load_text(&pol, "t", t, strlen(t), &e), 0);
    ck_assert_str_eq(rules(-1, 0, NULL), "");
    ck_assert_str_eq(rules(1, -1, NULL), "");
}
END_TEST

START_TEST(garbage_and_huge_lines)
{
    fg_nccl_update_t u;
    char            *big = malloc(1 << 20);
    memset(big, 'A', 1 << 20);
    memcpy(big + 100, " NCCL INFO Using network IB", 27);
    ck_assert_int_eq(fg_nccl_log_feed(&log_, big, 1 << 20, &u), 0);
    free(big);
    feed_text("hello\nNCCL INFO\n:::: [0] NCCL INFO Channel x via\n[ NCCL WARN \nChannel 00/0 : 0[0] -> 1[1] via P2P/IPC\n");
    ck_assert(fg_nccl_text_is_log(" NCCL INFO x", 12));
    ck_assert(!fg_nccl_text_is_log("just text", 9));
}
END_TEST

/* NCCL's configuration-file lines as src/misc/param.cc setEnvFile reads
 * them: '#' lines and lines without '=' skipped, name up to the first '=',
 * value to the end of the line, first line for a name wins (setenv(…, 0)). */
START_TEST(nccl_conf_lines)
{
    const char *t = "# NCCL_DEBUG=TRACE\nNCCL_DEBUG_SUBSYS\n NCCL_DEBUG=INFO\nNCCL_DEBUG=WARN\n"
                    "NCCL_DEBUG=INFO\nNCCL_DEBUG_FILE=/var/log/n.%h.%p=x\r\nNCCL_IB_HCA=";
    char        v[64];

    ck_assert_int_eq(fg_nccl_conf_value(t, strlen(t), "NCCL_DEBUG", v, sizeof(v)), 1);
    ck_assert_str_eq(v, "WARN");                             /* " NCCL_DEBUG" is another name */
    ck_assert_int_eq(fg_nccl_conf_value(t, strlen(t), "NCCL_DEBUG_FILE", v, sizeof(v)), 1);
    ck_assert_str_eq(v, "/var/log/n.%h.%p=x\r");           /* value after the first '=', '\r' kept */
    ck_assert_int_eq(fg_nccl_conf_value(t, strlen(t), "NCCL_IB_HCA", v, sizeof(v)), 1);
    ck_assert_str_eq(v, "");                                  /* set, empty, no newline at the end */
    ck_assert_int_eq(fg_nccl_conf_value(t, strlen(t), "NCCL_DEBUG_SUBSYS", v, sizeof(v)), 0);
    ck_assert_int_eq(fg_nccl_conf_value(t, strlen(t), "NCCL", v, sizeof(v)), 0);
    ck_assert_int_eq(fg_nccl_conf_value("", 0, "NCCL_DEBUG", v, sizeof(v)), 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("nccl");
    TCase *t = tcase_create("nccl");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, real_2_28_9_bootstrap_and_warns);
    tcase_add_test(t, job_2_18_mpirun_prefixes_two_ranks);
    tcase_add_test(t, socket_fallback_2_28_kubectl_prefix_lazy_channels);
    tcase_add_test(t, roce_gdr_disabled_and_plugin_with_spaces);
    tcase_add_test(t, aws_ofi_nccl_provider_line);
    tcase_add_test(t, garbage_and_huge_lines);
    tcase_add_test(t, nccl_conf_lines);
    suite_add_tcase(s, t);
    return s;
}
