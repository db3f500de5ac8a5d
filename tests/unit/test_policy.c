/* The policy engine: every key, invalid values, syntax errors with their
 * line numbers, precedence env > file > default, lists/globs/alternatives,
 * comments, CRLF, BOM, long lines, empty files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fabguard/policy.h"
#include "unit.h"

/* A small environment for fg_policy_apply_env. */
static const char *env_names[8], *env_values[8];
static int         env_n;
static const char *fake_getenv(const char *name)
{
    int i;
    for (i = 0; i < env_n; i++) {
        if (strcmp(env_names[i], name) == 0) return env_values[i];
    }
    return NULL;
}
static void env_set(const char *n, const char *v) { env_names[env_n] = n; env_values[env_n++] = v; }

static fg_policy_t pol;
static fg_error_t  err;
static void setup(void) { env_n = 0; memset(&err, 0, sizeof(err)); fg_policy_init_defaults(&pol); }
static void teardown(void) { fg_policy_free(&pol); }

static int load(const char *text)
{
    return fg_policy_load_text(&pol, "p.ini", text, strlen(text), &err);
}
static char *val(fg_key_t k)
{
    static char buf[512];
    fg_policy_value_text(&pol, k, buf, sizeof(buf));
    return buf;
}

START_TEST(defaults_are_the_documented_ones)
{
    ck_assert_int_eq(pol.mode, FG_MODE_WARN);
    ck_assert_int_eq(pol.on_violation, FG_ACT_ABORT);
    ck_assert_str_eq(val(FG_KEY_LOG), "");
    ck_assert_str_eq(val(FG_KEY_MANAGEMENT_IFACES), "auto");
    ck_assert_str_eq(val(FG_KEY_UCX_FORBID_TRANSPORTS), "tcp");
    ck_assert_str_eq(val(FG_KEY_NCCL_FORBID_TRANSPORTS), "NET/Socket");
    ck_assert_str_eq(val(FG_KEY_NCCL_REQUIRE_NET), "any");
    ck_assert_int_eq(pol.ucx.gpu_direct_rdma, FG_GDR_ANY);
    ck_assert_int_eq(pol.source[FG_KEY_MODE].kind, FG_SRC_DEFAULT);
}
END_TEST

START_TEST(design_example_policy_loads)
{
    const char *text =
        "[fabguard]\nmode = enforce              # off | log | warn | enforce        (default warn)\n"
        "on_violation = abort           # abort | exit | fail               (enforce only)\n"
        "log = /var/log/fabguard/%h.%p.jsonl   # UCX's template set\n"
        "management_ifaces = auto\nonly_programs =\nskip_programs = bash, sh, sleep\n\n"
        "[ucx]\nforbid_transports = tcp\nrequire_transports = rc*|dc*|ud*, cuda_ipc|cuda_copy\n"
        "allow_devices = mlx5_*\ngpu_direct_rdma = require\n\n"
        "[nccl]\nrequire_net = IB\nforbid_transports = NET/Socket\nallow_hcas = mlx5_0, mlx5_1\n"
        "gpu_direct_rdma = require\n";
    ck_assert_int_eq(load(text), 0);
    ck_assert_int_eq(pol.mode, FG_MODE_ENFORCE);
    ck_assert_str_eq(pol.log, "/var/log/fabguard/%h.%p.jsonl");
    ck_assert_int_eq((int)pol.skip_programs.n, 3);
    ck_assert_int_eq((int)pol.ucx.require_transports.n, 2);
    ck_assert_str_eq(pol.ucx.require_transports.item[0], "rc*|dc*|ud*");
    ck_assert_int_eq(pol.ucx.gpu_direct_rdma, FG_GDR_REQUIRE);
    ck_assert_str_eq(pol.nccl.require_net, "IB");
    ck_assert_str_eq(val(FG_KEY_NCCL_ALLOW_HCAS), "mlx5_0, mlx5_1");
    ck_assert_int_eq(pol.source[FG_KEY_UCX_ALLOW_DEVICES].kind, FG_SRC_FILE);
    ck_assert_int_eq(pol.source[FG_KEY_UCX_ALLOW_DEVICES].line, 12);
    ck_assert(!fg_policy_program_selected(&pol, "bash"));
    ck_assert(fg_policy_program_selected(&pol, "python3"));
}
END_TEST

START_TEST(every_enum_value_accepted)
{
    static const char *modes[] = { "off", "log", "warn", "enforce" };
    static const char *acts[]  = { "abort", "exit", "fail" };
    char text[128];
    int  i;
    for (i = 0; i < 4; i++) {
        snprintf(text, sizeof(text), "[fabguard]\nmode=%s\n", modes[i]);
        fg_policy_free(&pol); fg_policy_init_defaults(&pol);
        ck_assert_int_eq(load(text), 0);
        ck_assert_int_eq((int)pol.mode, i);
    }
    for (i = 0; i < 3; i++) {
        snprintf(text, sizeof(text), "[fabguard]\non_violation=%s\n", acts[i]);
        fg_policy_free(&pol); fg_policy_init_defaults(&pol);
        ck_assert_int_eq(load(text), 0);
        ck_assert_int_eq((int)pol.on_violation, i);
    }
    ck_assert_int_eq(load("[nccl]\ngpu_direct_rdma = require\n[ucx]\ngpu_direct_rdma=any\n"), 0);
    ck_assert_int_eq(pol.nccl.gpu_direct_rdma, FG_GDR_REQUIRE);
}
END_TEST

/* Each broken input: the exact line and a reason naming the problem. */
static const struct { const char *text; unsigned line; const char *reason; } bad[] = {
    { "[fabguard]\nmode = loud\n", 2, "fabguard.mode: bad value 'loud' (expected off, log, warn or enforce)" },
    { "[fabguard]\nmode =\n", 2, "fabguard.mode: empty value" },
    { "[fabguard]\non_violation = kill\n", 2, "expected abort, exit or fail" },
    { "[ucx]\ngpu_direct_rdma = yes\n", 2, "expected require or any" },
    { "[nccl]\ngpu_direct_rdma = maybe\n", 2, "expected require or any" },
    { "[nccl]\nrequire_net =\n", 2, "nccl.require_net: empty value" },
    { "[ucx]\nforbid_transports = tcp,,ud\n", 2, "empty item in list" },
    { "[ucx]\nallow_devices = mlx5_[0\n", 2, "unclosed '[' in pattern" },
    { "# c\n\n[ucx]\nallow_device = x\n", 4, "unknown key 'allow_device' in [ucx] (did you mean 'allow_devices'?)" },
    { "[ucx]\nrequire_net = IB\n", 2, "(it belongs in [nccl])" },
    { "[ucx]\ncompletely_unknown = 1\n", 2, "unknown key 'completely_unknown' in [ucx]" },
    { "[uxc]\n", 1, "unknown section [uxc] (did you mean [ucx]?)" },
    { "[zzzzzzzz]\n", 1, "unknown section [zzzzzzzz] (sections: fabguard, ucx, nccl, libfabric)" },
    { "[ucx\n", 1, "section header without closing ']'" },
    { "[ucx] x\n", 1, "text after section header" },
    { "mode = warn\n", 1, "before any [section]" },
    { "[nccl]\nrequire_net IB\n", 2, "expected 'key = value'" },
    { "[nccl]\n = IB\n", 2, "missing key before '='" },
    { "[nccl]\nrequire_net = IB\nrequire_net = Socket\n", 3, "duplicate key 'require_net' (first set on line 2)" },
    { "[fabguard]\r\nmode = loud\r\n", 2, "bad value 'loud'" },
};

START_TEST(invalid_input_names_line_and_reason)
{
    ck_assert_int_eq(load(bad[_i].text), -1);
    ck_assert_str_eq(err.where, "p.ini");
    ck_assert_uint_eq(err.line, bad[_i].line);
    ck_assert_msg(strstr(err.reason, bad[_i].reason) != NULL, "case %d: reason '%s' lacks '%s'",
                  _i, err.reason, bad[_i].reason);
}
END_TEST

START_TEST(nul_byte_refused_with_line)
{
    const char text[] = "[fabguard]\nmode = warn\nlog = a\0b\n";
    ck_assert_int_eq(fg_policy_load_text(&pol, "p.ini", text, sizeof(text) - 1, &err), -1);
    ck_assert_uint_eq(err.line, 3);
    ck_assert(strstr(err.reason, "NUL byte") != NULL);
}
END_TEST

START_TEST(comments_crlf_bom_empty_and_long_lines)
{
    char  *big;
    size_t n = 200000, i;
    ck_assert_int_eq(load(""), 0);
    ck_assert_int_eq(load("\n\n   \n# only comments\n; and these\n"), 0);
    ck_assert_int_eq(load("\xef\xbb\xbf[ucx]\r\nallow_devices = mlx5_0:1 ; trailing\r\n"), 0);
    ck_assert_str_eq(val(FG_KEY_UCX_ALLOW_DEVICES), "mlx5_0:1");
    ck_assert_int_eq(load("[nccl]\nrequire_net = My Plugin v2   # a name with spaces\n"), 0);
    ck_assert_str_eq(pol.nccl.require_net, "My Plugin v2");
    /* a 200 KB list value */
    big = malloc(n + 32);
    strcpy(big, "[ucx]\nallow_devices = ");
    for (i = strlen(big); i < n; i += 2) { big[i] = 'x'; big[i + 1] = ','; }
    big[n - 1] = 'y';
    big[n] = '\0';
    ck_assert_int_eq(load(big), 0);
    ck_assert(pol.ucx.allow_devices.n > 90000);
    free(big);
}
END_TEST

START_TEST(precedence_env_over_file_over_default)
{
    ck_assert_int_eq(load("[fabguard]\nmode = enforce\non_violation = fail\n"), 0);
    env_set("FABGUARD_MODE", "log");
    env_set("FABGUARD_UCX_ALLOW_DEVICES", " mlx5_2:1 , mlx5_3:1 ");
    env_set("FABGUARD_NCCL_REQUIRE_NET", "IB");
    ck_assert_int_eq(fg_policy_apply_env(&pol, fake_getenv, &err), 0);
    ck_assert_int_eq(pol.mode, FG_MODE_LOG);                     /* env beats file */
    ck_assert_int_eq(pol.on_violation, FG_ACT_FAIL);             /* file beats default */
    ck_assert_int_eq(pol.source[FG_KEY_MODE].kind, FG_SRC_ENV);
    ck_assert_int_eq(pol.source[FG_KEY_ON_VIOLATION].kind, FG_SRC_FILE);
    ck_assert_int_eq(pol.source[FG_KEY_LOG].kind, FG_SRC_DEFAULT);
    ck_assert_str_eq(val(FG_KEY_UCX_ALLOW_DEVICES), "mlx5_2:1, mlx5_3:1");
    ck_assert_str_eq(pol.nccl.require_net, "IB");
}
END_TEST

START_TEST(env_bad_value_and_empty_list)
{
    env_set("FABGUARD_UCX_FORBID_TRANSPORTS", "");
    ck_assert_int_eq(fg_policy_apply_env(&pol, fake_getenv, &err), 0);
    ck_assert(fg_list_empty(&pol.ucx.forbid_transports));        /* empty env clears */
    env_n = 0;
    env_set("FABGUARD_ON_VIOLATION", "explode");
    ck_assert_int_eq(fg_policy_apply_env(&pol, fake_getenv, &err), -1);
    ck_assert_str_eq(err.where, "environment");
    ck_assert(strstr(err.reason, "FABGUARD_ON_VIOLATION: bad value 'explode'") != NULL);
}
END_TEST

START_TEST(env_names_checked_with_did_you_mean)
{
    char *ok[]  = { "PATH=/bin", "FABGUARD_MODE=warn", "FABGUARD_POLICY=/x", NULL };
    char *typo[] = { "FABGUARD_UCX_FORBID_TRANSPORT=tcp", NULL };
    char *odd[] = { "FABGUARD_ZZZZZZZZZZZZ=1", NULL };
    ck_assert_int_eq(fg_policy_check_env_names(ok, &err), 0);
    ck_assert_int_eq(fg_policy_check_env_names(typo, &err), -1);
    ck_assert(strstr(err.reason, "did you mean FABGUARD_UCX_FORBID_TRANSPORTS?") != NULL);
    ck_assert_int_eq(fg_policy_check_env_names(odd, &err), -1);
    ck_assert(strstr(err.reason, "unknown variable FABGUARD_ZZZZZZZZZZZZ") != NULL);
}
END_TEST

START_TEST(globs_lists_and_alternatives)
{
    ck_assert_int_eq(load("[ucx]\nforbid_transports = tcp, ud_*\nrequire_transports = rc*|dc*, cuda_ipc|cuda_copy\n"
                          "allow_devices = mlx5_[01]:*\n"), 0);
    ck_assert(fg_list_match(&pol.ucx.forbid_transports, "tcp"));
    ck_assert(fg_list_match(&pol.ucx.forbid_transports, "ud_verbs"));
    ck_assert(!fg_list_match(&pol.ucx.forbid_transports, "rc_mlx5"));
    ck_assert(fg_glob_match("rc*|dc*", "dc_mlx5"));
    ck_assert(fg_glob_match("rc* | dc*", "dc_mlx5"));
    ck_assert(!fg_glob_match("rc*|dc*", "tcp"));
    ck_assert(fg_list_match(&pol.ucx.allow_devices, "mlx5_1:1"));
    ck_assert(!fg_list_match(&pol.ucx.allow_devices, "mlx5_2:1"));
}
END_TEST

START_TEST(program_selection)
{
    ck_assert_int_eq(load("[fabguard]\nonly_programs = python*, dynamo-*\nskip_programs = python3.9\n"), 0);
    ck_assert(fg_policy_program_selected(&pol, "python3"));
    ck_assert(fg_policy_program_selected(&pol, "dynamo-run"));
    ck_assert(!fg_policy_program_selected(&pol, "python3.9"));
    ck_assert(!fg_policy_program_selected(&pol, "bash"));
}
END_TEST

START_TEST(files_missing_directory_fifo_symlink_large)
{
    char dir[] = "/tmp/fg-unit-XXXXXX", path[300], link[300];
    FILE *f;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/missing.ini", dir);
    ck_assert_int_eq(fg_policy_load_file(&pol, path, &err), -1);
    ck_assert(strstr(err.reason, "cannot open policy: No such file") != NULL);
    ck_assert_int_eq(fg_policy_load_file(&pol, dir, &err), -1);
    ck_assert(strstr(err.reason, "not a regular file") != NULL);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(fg_policy_load_file(&pol, path, &err), -1);   /* must not block */
    ck_assert(strstr(err.reason, "not a regular file") != NULL);
    unlink(path);
    snprintf(path, sizeof(path), "%s/p.ini", dir);
    f = fopen(path, "w"); fputs("[nccl]\nrequire_net = IB\n", f); fclose(f);
    snprintf(link, sizeof(link), "%s/link.ini", dir);
    ck_assert_int_eq(symlink(path, link), 0);                       /* ConfigMap style */
    ck_assert_int_eq(fg_policy_load_file(&pol, link, &err), 0);
    ck_assert_str_eq(pol.nccl.require_net, "IB");
    f = fopen(path, "w"); ck_assert_int_eq(ftruncate(fileno(f), 2 * 1024 * 1024), 0); fclose(f);
    ck_assert_int_eq(fg_policy_load_file(&pol, path, &err), -1);
    ck_assert(strstr(err.reason, "larger than") != NULL);
    unlink(link); unlink(path); rmdir(dir);
}
END_TEST

START_TEST(load_sequence_uses_fabguard_policy_then_env)
{
    char path[] = "/tmp/fg-unit-pol-XXXXXX";
    int  fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "[fabguard]\nmode = enforce\n", 26), 26);
    close(fd);
    fg_policy_free(&pol);
    env_set("FABGUARD_POLICY", path);
    env_set("FABGUARD_ON_VIOLATION", "exit");
    ck_assert_int_eq(fg_policy_load(&pol, NULL, fake_getenv, &err), 0);
    ck_assert_int_eq(pol.mode, FG_MODE_ENFORCE);
    ck_assert_int_eq(pol.on_violation, FG_ACT_EXIT);
    ck_assert_str_eq(pol.file, path);
    unlink(path);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *t = tcase_create("policy");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, defaults_are_the_documented_ones);
    tcase_add_test(t, design_example_policy_loads);
    tcase_add_test(t, every_enum_value_accepted);
    tcase_add_loop_test(t, invalid_input_names_line_and_reason, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(t, nul_byte_refused_with_line);
    tcase_add_test(t, comments_crlf_bom_empty_and_long_lines);
    tcase_add_test(t, precedence_env_over_file_over_default);
    tcase_add_test(t, env_bad_value_and_empty_list);
    tcase_add_test(t, env_names_checked_with_did_you_mean);
    tcase_add_test(t, globs_lists_and_alternatives);
    tcase_add_test(t, program_selection);
    tcase_add_test(t, files_missing_directory_fifo_symlink_large);
    tcase_add_test(t, load_sequence_uses_fabguard_policy_then_env);
    suite_add_tcase(s, t);
    return s;
}
