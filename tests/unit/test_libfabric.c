/* libfabric: the [libfabric] policy keys, the judge (provider layers,
 * allowed domains, management NIC incl. a RoCE port of it, FI_HMEM, rule
 * groups) and aws-ofi-nccl's "Selected provider" line in its three
 * formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/libfabric.h"
#include "fabguard/libfabric_text.h"
#include "fabguard/netinfo.h"
#include "fabguard/policy.h"
#include "fabguard/sysread.h"
#include "unit.h"

static fg_policy_t   pol;
static fg_ifset_t    mgmt;
static fg_findings_t f;

static void setup(void)
{
    fg_policy_init_defaults(&pol);
    memset(&mgmt, 0, sizeof(mgmt));
    fg_ifset_add(&mgmt, "eth0");
    fg_ifset_add_via(&mgmt, "mlx5_2:1", "eth0");
    memset(&f, 0, sizeof(f));
}
static void teardown(void) { fg_policy_free(&pol); }

static void set(const char *ini)
{
    fg_error_t e;
    ck_assert_msg(fg_policy_load_text(&pol, "t.ini", ini, strlen(ini), &e) == 0, "%s", e.reason);
}

static fg_fi_obs_t obs(const char *prov, const char *fabric, const char *dom, int hmem)
{
    fg_fi_obs_t o;
    memset(&o, 0, sizeof(o));
    snprintf(o.provider, sizeof(o.provider), "%s", prov);
    snprintf(o.fabric, sizeof(o.fabric), "%s", fabric);
    snprintf(o.domain, sizeof(o.domain), "%s", dom);
    snprintf(o.ep_type, sizeof(o.ep_type), "rdm");
    o.hmem = hmem;
    return o;
}

/* "rule1 rule2 …" of the findings */
static const char *rules(void)
{
    static char out[512];
    size_t      i;
    out[0] = '\0';
    for (i = 0; i < f.n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, f.v[i].rule);
    }
    return out;
}

static void judge(fg_fi_obs_t o, unsigned what)
{
    memset(&f, 0, sizeof(f));
    fg_judge_libfabric(&pol, &mgmt, &o, what, &f);
}

START_TEST(defaults_and_keys)
{
    char buf[128];
    fg_policy_value_text(&pol, FG_KEY_LIBFABRIC_FORBID_PROVIDERS, buf, sizeof(buf));
    ck_assert_str_eq(buf, "tcp, sockets, udp, net");
    fg_policy_value_text(&pol, FG_KEY_LIBFABRIC_HMEM, buf, sizeof(buf));
    ck_assert_str_eq(buf, "any");
    set("[libfabric]\nforbid_providers = sockets\nallow_domains = rdmap*, mlx5_*\nhmem = require\n");
    fg_policy_value_text(&pol, FG_KEY_LIBFABRIC_ALLOW_DOMAINS, buf, sizeof(buf));
    ck_assert_str_eq(buf, "rdmap*, mlx5_*");
    ck_assert_int_eq(pol.libfabric.hmem, FG_GDR_REQUIRE);
}
END_TEST

START_TEST(bad_values_named)
{
    fg_error_t  e;
    const char *t = "[libfabric]\nhmem = always\n";
    ck_assert_int_eq(fg_policy_load_text(&pol, "t.ini", t, strlen(t), &e), -1);
    ck_assert_uint_eq(e.line, 2);
    ck_assert_msg(strstr(e.reason, "require or any") != NULL, "%s", e.reason);
    t = "[libfabric]\nforbid_provider = tcp\n";
    ck_assert_int_eq(fg_policy_load_text(&pol, "t.ini", t, strlen(t), &e), -1);
    ck_assert_msg(strstr(e.reason, "forbid_providers") != NULL, "did-you-mean: %s", e.reason);
    t = "[libfabrik]\n";
    ck_assert_int_eq(fg_policy_load_text(&pol, "t.ini", t, strlen(t), &e), -1);
    ck_assert_msg(strstr(e.reason, "[libfabric]") != NULL, "did-you-mean: %s", e.reason);
}
END_TEST

static const char *env_hmem(const char *name)
{
    if (strcmp(name, "FABGUARD_LIBFABRIC_HMEM") == 0) return "require";
    if (strcmp(name, "FABGUARD_LIBFABRIC_FORBID_PROVIDERS") == 0) return "";
    return NULL;
}

START_TEST(env_overrides)
{
    fg_error_t e;
    set("[libfabric]\nhmem = any\n");
    ck_assert_int_eq(fg_policy_apply_env(&pol, env_hmem, &e), 0);
    ck_assert_int_eq(pol.libfabric.hmem, FG_GDR_REQUIRE);
    ck_assert(fg_list_empty(&pol.libfabric.forbid_providers));
}
END_TEST

START_TEST(provider_layers)
{
    ck_assert(fg_fi_provider_is_socket("tcp"));
    ck_assert(fg_fi_provider_is_socket("tcp;ofi_rxm"));
    ck_assert(fg_fi_provider_is_socket("udp;ofi_rxd"));
    ck_assert(fg_fi_provider_is_socket("sockets"));
    ck_assert(!fg_fi_provider_is_socket("efa"));
    ck_assert(!fg_fi_provider_is_socket("verbs;ofi_rxm"));
    ck_assert(!fg_fi_provider_is_socket("shm"));
    ck_assert(!fg_fi_provider_is_socket("tcpx"));
    ck_assert(fg_fi_provider_match(&pol.libfabric.forbid_providers, "tcp;ofi_rxm"));
    ck_assert(fg_fi_provider_match(&pol.libfabric.forbid_providers, "udp;ofi_rxd"));
    ck_assert(!fg_fi_provider_match(&pol.libfabric.forbid_providers, "verbs;ofi_rxm"));
    ck_assert(!fg_fi_provider_match(&pol.libfabric.forbid_providers, "efa"));
    ck_assert(!fg_fi_provider_match(&pol.libfabric.forbid_providers, "psm3"));
    ck_assert(!fg_fi_provider_match(&pol.libfabric.forbid_providers, "cxi"));
    ck_assert(!fg_fi_provider_match(&pol.libfabric.forbid_providers, "shm"));
    set("[libfabric]\nforbid_providers = tcp;ofi_rxm\n");
    ck_assert(fg_fi_provider_match(&pol.libfabric.forbid_providers, "tcp;ofi_rxm"));
    ck_assert(!fg_fi_provider_match(&pol.libfabric.forbid_providers, "tcp"));
    ck_assert_str_eq(fg_fi_ep_type_name(3), "rdm");
    ck_assert_str_eq(fg_fi_ep_type_name(1), "msg");
    ck_assert_str_eq(fg_fi_ep_type_name(99), "?");
}
END_TEST

START_TEST(judge_rules)
{
    /* EFA: clean under the defaults and a strict policy */
    judge(obs("efa", "efa", "rdmap0s31-rdm", 1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
    set("[libfabric]\nallow_domains = rdmap*\nhmem = require\n");
    judge(obs("efa", "efa", "rdmap0s31-rdm", 1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
    /* the fallback: tcp;ofi_rxm on the management NIC, no HMEM */
    judge(obs("tcp;ofi_rxm", "10.0.0.0/24", "eth0", 0), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "libfabric.forbid_providers libfabric.allow_domains "
                              "fabguard.management_ifaces libfabric.hmem");
    ck_assert_str_eq(f.v[0].detail, "provider tcp;ofi_rxm (fabric 10.0.0.0/24, domain eth0)");
    ck_assert_str_eq(f.v[2].detail, "provider tcp;ofi_rxm uses domain eth0 (management NIC)");
    /* rule groups: fi_fabric judges the provider, fi_domain the rest */
    judge(obs("tcp;ofi_rxm", "10.0.0.0/24", "eth0", 0), FG_FI_RULES_PROVIDER);
    ck_assert_str_eq(rules(), "libfabric.forbid_providers");
    judge(obs("tcp;ofi_rxm", "10.0.0.0/24", "eth0", 0), FG_FI_RULES_DOMAIN | FG_FI_RULES_HMEM);
    ck_assert_str_eq(rules(), "libfabric.allow_domains fabguard.management_ifaces libfabric.hmem");
    /* unknown facts are not judged */
    judge(obs("tcp", "", "", -1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "libfabric.forbid_providers");
    ck_assert_str_eq(f.v[0].detail, "provider tcp (fabric ?)");
}
END_TEST

START_TEST(management_nic)
{
    set("[libfabric]\nforbid_providers =\n");
    /* tcp on the data NIC: allowed when the policy allows tcp */
    judge(obs("tcp", "10.88.0.0/24", "ens1f0", 0), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
    judge(obs("sockets", "10.77.0.0/24", "eth0", 0), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "fabguard.management_ifaces");
    /* shm's domain "shm" and an RDMA domain named like no NIC are fine */
    judge(obs("shm", "shm", "shm", 0), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
    /* an RDMA domain that is the RoCE port of the management NIC */
    judge(obs("verbs;ofi_rxm", "IB-0xfe80000000000000", "mlx5_2", 1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "fabguard.management_ifaces");
    ck_assert_str_eq(f.v[0].detail,
                     "provider verbs;ofi_rxm uses domain mlx5_2 (RoCE port of eth0, the management NIC)");
    judge(obs("verbs", "IB-0xfe80000000000000", "mlx5_2-dgram", 1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "fabguard.management_ifaces");
    judge(obs("verbs;ofi_rxm", "IB-0xfe80000000000000", "mlx5_0", 1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
    /* a verbs domain literally named after a netdev is not a socket domain */
    judge(obs("verbs", "x", "eth0", 1), FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
}
END_TEST

START_TEST(ofi_nccl_lines)
{
    fg_fi_obs_t o;
    long        nics;

    ck_assert_int_eq(fg_fi_ofi_nccl_selected(
        "ip-10-0-0-1:1234:1301 [0] NCCL INFO NET/OFI Selected Provider is efa (found 4 nics)",
        &o, &nics), 1);
    ck_assert_str_eq(o.provider, "efa");
    ck_assert_str_eq(o.fabric, "");
    ck_assert_int_eq(nics, 4);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected(
        "node7:88:88 [1] NCCL INFO NET/OFI Selected Provider is tcp;ofi_rxm", &o, &nics), 1);
    ck_assert_str_eq(o.provider, "tcp;ofi_rxm");
    ck_assert_int_eq(nics, -1);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected(
        "[pod/w-0] h:9:9 [0] NCCL INFO NET/OFI Selected provider is efa, fabric is efa-direct (found 32 nics)\r",
        &o, &nics), 1);
    ck_assert_str_eq(o.provider, "efa");
    ck_assert_str_eq(o.fabric, "efa-direct");
    ck_assert_int_eq(nics, 32);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected(
        "h:9:9 [0] NCCL INFO NET/OFI Selected provider is tcp, fabric is 172.31.0.0/20 (found 1 nics)",
        &o, &nics), 1);
    ck_assert_str_eq(o.fabric, "172.31.0.0/20");
    /* judged like a process's own fabric */
    judge(o, FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "libfabric.forbid_providers");
    /* the one-call form the NCCL reader uses */
    memset(&f, 0, sizeof(f));
    ck_assert_int_eq(fg_judge_ofi_nccl_line(&pol, &mgmt,
        "h:1:1 [0] NCCL INFO NET/OFI Selected Provider is tcp;ofi_rxm (found 1 nics)", &o, &f), 1);
    ck_assert_str_eq(rules(), "libfabric.forbid_providers");
    ck_assert_str_eq(f.v[0].detail, "provider tcp;ofi_rxm (fabric ?)");
    memset(&f, 0, sizeof(f));
    ck_assert_int_eq(fg_judge_ofi_nccl_line(&pol, &mgmt,
        "h:1:1 [0] NCCL INFO NET/OFI Selected provider is efa, fabric is efa-direct (found 32 nics)", &o, &f), 1);
    ck_assert_uint_eq(f.n, 0);
    ck_assert_int_eq(fg_judge_ofi_nccl_line(&pol, &mgmt, "NCCL INFO NET/IB : Using [0]mlx5_0:1/IB", &o, &f), 0);
    /* not such lines */
    ck_assert_int_eq(fg_fi_ofi_nccl_selected("NCCL INFO NET/OFI Using Libfabric version 1.22", &o, &nics), 0);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected("NET/OFI Selected Provider is ", &o, &nics), 0);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected("NET/OFI Selected nothing", &o, &nics), 0);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected("", &o, &nics), 0);
}
END_TEST

START_TEST(ofi_nccl_long_names_bounded)
{
    char        line[1024];
    fg_fi_obs_t o;
    long        nics;

    memset(line, 0, sizeof(line));
    strcpy(line, "NET/OFI Selected provider is ");
    memset(line + strlen(line), 'p', 400);
    strcat(line, ", fabric is ");
    memset(line + strlen(line), 'f', 300);
    ck_assert_int_eq(fg_fi_ofi_nccl_selected(line, &o, &nics), 1);
    ck_assert_uint_eq(strlen(o.provider), sizeof(o.provider) - 1);
    ck_assert_uint_eq(strlen(o.fabric), sizeof(o.fabric) - 1);
}
END_TEST

/* Real text captured on this project's machine (tests/fixtures/libfabric/):
 * fi_info 1.17, fi_info -v, FI_LOG_LEVEL=info, and fi_info with the EFA
 * provider double in FI_PROVIDER_PATH. */
static char *fixture(const char *name, size_t *len)
{
    static char buf[65536];
    char        path[256];
    long        n;
    snprintf(path, sizeof(path), "/tests/fixtures/libfabric/%s", name);
    n = fg_read_text(FG_SRCDIR, path, buf, sizeof(buf) - 1);
    ck_assert_msg(n > 0, "fixture %s", path);
    buf[n] = '\0';
    *len   = (size_t)n;
    return buf;
}

static fg_fi_text_t txt;

START_TEST(fi_info_default_format)
{
    size_t n;
    char  *t = fixture("fi_info_tcp_host.txt", &n);
    size_t i, shm = 0;
    ck_assert(fg_fi_text_is(t, n));
    fg_fi_text_parse(t, n, &txt);
    ck_assert_uint_eq(txt.n, 97);
    ck_assert_str_eq(txt.cand[0].provider, "tcp;ofi_rxm");
    ck_assert_str_eq(txt.cand[0].fabric, "192.0.2.0/24");
    ck_assert_str_eq(txt.cand[0].domain, "eth0");
    ck_assert_str_eq(txt.cand[0].ep_type, "rdm");
    ck_assert_int_eq(txt.cand[0].hmem, -1);
    for (i = 0; i < txt.n; i++) shm += strcmp(txt.cand[i].provider, "shm") == 0;
    ck_assert_uint_eq(shm, 2);
    judge(txt.cand[0], FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "libfabric.forbid_providers fabguard.management_ifaces");
    t = fixture("fi_info_efa_double.txt", &n);
    fg_fi_text_parse(t, n, &txt);
    ck_assert_str_eq(txt.cand[0].provider, "efa");
    ck_assert_str_eq(txt.cand[0].domain, "rdmap0s31-rdm");
    judge(txt.cand[0], FG_FI_RULES_ALL);
    ck_assert_str_eq(rules(), "");
}
END_TEST

START_TEST(fi_info_verbose_format)
{
    size_t n;
    char  *t = fixture("fi_info_v_shm.txt", &n);
    fg_fi_text_parse(t, n, &txt);
    ck_assert_uint_eq(txt.n, 2);
    ck_assert_str_eq(txt.cand[0].provider, "shm");
    ck_assert_str_eq(txt.cand[0].fabric, "shm");
    ck_assert_str_eq(txt.cand[0].domain, "shm");
    ck_assert_str_eq(txt.cand[0].ep_type, "rdm");
    ck_assert_int_eq(txt.cand[0].hmem, 0);
    ck_assert_int_eq(txt.cand[1].hmem, 1);   /* the second entry lists FI_HMEM */
}
END_TEST

START_TEST(fi_log_lines)
{
    size_t n, i;
    char  *t = fixture("fi_log_info_tcp.txt", &n);
    int    verbs = 0, tcp = 0;
    fg_fi_text_parse(t, n, &txt);
    ck_assert_uint_gt(txt.log_lines, 100);
    ck_assert_uint_eq(txt.n, 25);
    for (i = 0; i < txt.nquiet; i++) {
        if (strcmp(txt.quiet[i], "verbs") == 0) {
            verbs = 1;
            ck_assert_str_eq(txt.why[i], "no RDMA devices found");
        }
        tcp |= strcmp(txt.quiet[i], "tcp") == 0;   /* answered under ofi_rxm */
    }
    ck_assert(verbs);
    ck_assert(!tcp);
    /* not libfabric text */
    ck_assert(!fg_fi_text_is("hello\nworld\n", 12));
    ck_assert(!fg_fi_text_is("", 0));
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("libfabric");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, defaults_and_keys);
    tcase_add_test(t, bad_values_named);
    tcase_add_test(t, env_overrides);
    tcase_add_test(t, provider_layers);
    tcase_add_test(t, judge_rules);
    tcase_add_test(t, management_nic);
    tcase_add_test(t, ofi_nccl_lines);
    tcase_add_test(t, ofi_nccl_long_names_bounded);
    tcase_add_test(t, fi_info_default_format);
    tcase_add_test(t, fi_info_verbose_format);
    tcase_add_test(t, fi_log_lines);
    suite_add_tcase(s, t);
    return s;
}
