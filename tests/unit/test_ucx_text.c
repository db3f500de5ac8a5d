/* UCX text parser on the shapes users paste (lines from tests/corpus/ucx,
 * each from a public issue thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/ucx_text.h"
#include "unit.h"

static fg_ucx_text_t t;

static void feed(const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t      n  = nl ? (size_t)(nl - p) : strlen(p);
        ck_assert_int_eq(fg_ucx_text_feed(&t, p, n), 0);
        p += n + (nl != NULL);
    }
}
static const fg_ucx_config_t *cfg(const char *proc, const char *name)
{
    size_t i;
    for (i = 0; i < t.n; i++) {
        if (!strcmp(t.cfg[i].proc, proc) && !strcmp(t.cfg[i].name, name)) return &t.cfg[i];
    }
    ck_abort_msg("no config %s|%s", proc, name);
    return NULL;
}
static void setup(void) { fg_ucx_text_init(&t); }
static void teardown(void) { fg_ucx_text_free(&t); }

START_TEST(info_cfg_lines_every_version)
{
    const fg_ucx_config_t *c;
    feed("[1556608533.301227] [jazz30:121829:0]         wireup.c:825  UCX  INFO  ep_cfg[1]: tag(self/self knem/knem);\n"
         "[1556608533.557338] [jazz30:121829:0]         wireup.c:825  UCX  INFO  ep_cfg[1]: rma(rc_mlx5/mlx5_0:1); amo(rc_mlx5/mlx5_0:1);\n"
         "ucp_worker.c:1784 UCX  INFO    0x2d96740 self cfg#1tag(sysv/memory cma/memory cuda_copy/cuda) rma(sysv/memory)\n"
         "[1765333150.098983] [g340:1570878:2]      ucp_worker.c:1912 UCX  INFO    ucp_context_0 intra-node cfg#2 rma_am(tcp/eth1)  amo_am(tcp/eth1)  am(tcp/eth1 cuda_ipc/cuda)  ka(tcp/eth1)\n"
         "[1647246206.076101] [swx-ucx07:40361:0]      ucp_worker.c:1899 UCX  INFO  ep_cfg[0]:\n");
    ck_assert_int_eq((int)t.n, 4);
    c = cfg("jazz30:121829", "ep_cfg[1]");
    ck_assert_int_eq((int)c->n, 3);
    ck_assert_str_eq(c->lane[2].usage, "rma amo");
    c = cfg("", "0x2d96740 cfg#1");                                  /* "cfg#1tag(" without a space */
    ck_assert_str_eq(c->scope, "self");
    ck_assert_str_eq(c->lane[0].usage, "tag rma");
    c = cfg("g340:1570878", "ucp_context_0 cfg#2");
    ck_assert_str_eq(c->scope, "intra-node");
    ck_assert_str_eq(c->lane[0].transport, "tcp");
    ck_assert_str_eq(c->lane[0].usage, "rma_am amo_am am ka");
    ck_assert_str_eq(c->lane[1].usage, "am");                         /* cuda_ipc: AM only */
    ck_assert_int_eq((int)cfg("swx-ucx07:40361", "ep_cfg[0]")->n, 0);
}
END_TEST

START_TEST(lane_dumps_paths_and_roles)
{
    const fg_ucx_config_t *c;
    feed("ep 0x7f4224a4b000: lane[0]:  0:dc_mlx5/mlx5_0:1.0 md[0]      -> addr[0].md[0]/ib/sysdev[1] seg 4294967295 am am_bw#0\n"
         "ep 0x7f4224a4b000: lane[3]:  0:dc_mlx5/mlx5_0:1.1 md[0]      -> addr[0].md[0]/ib/sysdev[1] seg 4294967295 rma_bw#4\n"
         "ep 0x7fadd7f42000: connect lane[0]\n"
         "#                 lane[0]: cm rdmacm\n"
         "#                 lane[1]:  3:sysv/memory.0 md[2]           -> md[2]/sysv/sysdev[255] am am_bw#0\n");
    c = cfg("", "ep 0x7f4224a4b000");
    ck_assert_int_eq((int)c->n, 1);                                   /* two paths, one device */
    ck_assert_str_eq(c->lane[0].device, "mlx5_0:1");
    ck_assert_str_eq(c->lane[0].usage, "am am_bw rma_bw");
    c = cfg("", "ep#0");
    ck_assert_str_eq(c->lane[0].transport, "rdmacm");
    ck_assert_int_eq(fg_ucx_lane_is_data(&c->lane[0]), 0);            /* a CM lane carries no data */
    ck_assert_int_eq(fg_ucx_lane_is_data(&c->lane[1]), 1);
    ck_assert_int_eq((int)t.n, 2);
}
END_TEST

START_TEST(protocol_tables)
{
    const fg_ucx_config_t *c;
    feed("[1767930429.284906] [mngc-001:13245:0]   | ucp_context_0 intra-node cfg#1 | remote memory write by ucp_put*(fast-completion) from host memory to cuda/dev[0]    |\n"
         "[1767930429.284906] [mngc-001:13245:0]   +--------------------------------+------------------------------------+------------------------------------------------+\n"
         "[1767930429.284906] [mngc-001:13245:0]   |                          0..2K | short                              | rc_mlx5/mlx5_0:1/path0                         |\n"
         "[1767930429.284907] [mngc-001:13245:0]   |                      9384..inf | zero-copy                          | rc_mlx5/mlx5_0:1 50% on path0 and 50% on path1 |\n"
         "| ucp_context_55 intra-node cfg#2 | remote memory read by ucp_get* into cuda/GPU0 from host    |\n"
         "|                          0..inf | software emulation gdr_copy                 | rc_mlx5/mock |\n"
         "|                        0..8184 | multi-frag stream copy-in copy-out   | tcp/eth0 |\n");
    c = cfg("mngc-001:13245", "ucp_context_0 cfg#1");
    ck_assert_int_eq((int)c->n, 1);
    ck_assert_str_eq(c->lane[0].device, "mlx5_0:1");
    ck_assert_str_eq(c->lane[0].usage, "rma");
    c = cfg("", "ucp_context_55 cfg#2");
    ck_assert_str_eq(c->lane[0].usage, "rma_am");                     /* RMA emulated over AM */
    ck_assert_int_eq((int)c->n, 2);
}
END_TEST

START_TEST(perftest_output_has_no_lanes)
{
    feed("+--------------+--------------+------------------------------+---------------------+-----------------------+\n"
         "|              |              |       overhead (usec)        |   bandwidth (MB/s)  |  message rate (msg/s) |\n"
         "|    Stage     | # iterations | 50.0%ile | average | overall |  average |  overall |  average  |  overall  |\n"
         "[thread 0]               622      0.240  1668.561  1668.561    46821.78   46821.78         599         599\n"
         "| API:          protocol layer                                                                             |\n"
         "| ucp_context_0 inter-node cfg#1 | tagged message by ucp_tag_send* from host memory |\n"
         "|              |              |       overhead (usec)        |   bandwidth (MB/s)  |  message rate (msg/s) |\n");
    ck_assert_int_eq((int)t.n, 1);                                    /* the header only, no lane */
    ck_assert_int_eq((int)t.cfg[0].n, 0);
}
END_TEST

START_TEST(ucx_info_d_layouts)
{
    feed("# Connection manager: tcp\n#      max_conn_priv: 2064 bytes\n#\n# Memory domain: mlx5_0\n"
         "#      Transport: rc_verbs\n#         Device: mlx5_0:1\n#  System device: mlx5_0 (0)\n"
         "# Memory domain: tcp\n#            component: tcp\n#\n#   Transport: tcp\n#\n#   Device: ib0\n#   Device: enp1s0\n"
         "#      resource 7  :  md 4  dev 6  flags -- cuda_copy/cuda\n"
         "[1750940538.409941] [jpbo:2816369:0]     ucp_context.c:2119 UCX  INFO  Version 1.15.0 (loaded from /p/libucp.so.0)\n");
    ck_assert_int_eq((int)t.nres, 4);
    ck_assert_str_eq(t.res[0].transport, "rc_verbs");
    ck_assert_str_eq(t.res[2].device, "enp1s0");
    ck_assert_str_eq(t.res[3].transport, "cuda_copy");
    ck_assert_str_eq(t.version, "1.15.0");
    ck_assert_int_eq((int)t.n, 0);
}
END_TEST

START_TEST(many_configurations_linear)
{
    char line[256];
    long i;
    for (i = 0; i < 50000; i++) {
        int n = snprintf(line, sizeof(line), "[1.0] [h%ld:%ld:0] ucp_worker.c:1 UCX  INFO  ctx inter-node cfg#%ld tag(rc_mlx5/mlx5_0:1)", i, i, i % 5);
        ck_assert_int_eq(fg_ucx_text_feed(&t, line, (size_t)n), 0);
    }
    ck_assert_int_eq((int)t.n, 50000);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s  = suite_create("ucx_text");
    TCase *tc = tcase_create("formats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, info_cfg_lines_every_version);
    tcase_add_test(tc, lane_dumps_paths_and_roles);
    tcase_add_test(tc, protocol_tables);
    tcase_add_test(tc, perftest_output_has_no_lanes);
    tcase_add_test(tc, ucx_info_d_layouts);
    tcase_add_test(tc, many_configurations_linear);
    suite_add_tcase(s, tc);
    return s;
}
