/* fabguard node / fabguard env: the interconnect checklist as two read-only
 * commands, judged by the same policy as the shim (--policy FILE, else
 * $FABGUARD_POLICY, else the defaults; FABGUARD_* overrides; the management
 * NIC from the policy's management_ifaces as the shim computes it). Human
 * output is one aligned line per check; --json is
 * {"checks":[{"name","status","detail","hint"}]}; node --npd is one line for
 * node-problem-detector. Exit 0 no failure, 1 a failed check, 2 usage, a bad
 * policy or an unreadable --root (node-problem-detector: OK/NonOK/Unknown). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fabguard/json.h"
#include "fabguard/netinfo.h"
#include "fabguard/node.h"
#include "fabguard/sysread.h"
#include "cli.h"
#include "input.h"
#include "policy_opt.h"


static int print_checks(const fg_checks_t *c, int json, int npd)
{
    size_t i;
    int    failed = 0, nfail = 0;

    for (i = 0; i < c->n; i++) failed |= c->v[i].status == FG_CHECK_FAIL;
    if (json) {
        size_t    cap = 4096 + c->n * 6 * (sizeof(c->v[0]) + 64);   /* every byte escaped: still fits */
        char     *buf = malloc(cap);
        fg_sbuf_t sb;
        if (buf == NULL) return cli_usage_error("node", "out of memory");
        fg_sb_init(&sb, buf, cap);
        fg_sb_puts(&sb, "{\"checks\":[");
        for (i = 0; i < c->n; i++) {
            int first = 1;
            fg_sb_puts(&sb, i ? ",{" : "{");
            fg_json_kv_str(&sb, &first, "name", c->v[i].name);
            fg_json_kv_str(&sb, &first, "status", fg_check_status_name(c->v[i].status));
            fg_json_kv_str(&sb, &first, "detail", c->v[i].detail);
            fg_json_kv_str(&sb, &first, "hint", c->v[i].hint);
            fg_sb_putc(&sb, '}');
        }
        fg_sb_puts(&sb, "]}");
        puts(buf);
        free(buf);
    } else if (npd) {
        /* one line: node-problem-detector keeps the first max_output_length bytes */
        if (!failed) printf("fabguard node: ok (%zu checks)", c->n);
        for (i = 0; i < c->n; i++) {
            if (c->v[i].status != FG_CHECK_FAIL) continue;
            printf("%s%s: %s", nfail++ ? "; " : "fabguard node: FAIL ", c->v[i].name, c->v[i].detail);
        }
        putchar('\n');
    } else {
        for (i = 0; i < c->n; i++) {
            printf("%-4s  %-22s %s\n", fg_check_status_name(c->v[i].status), c->v[i].name, c->v[i].detail);
            if (c->v[i].hint[0] && (c->v[i].status == FG_CHECK_FAIL || c->v[i].status == FG_CHECK_WARN)) {
                printf("      %-22s fix: %s\n", "", c->v[i].hint);
            }
        }
    }
    return failed ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}

/* The environment NCCL will see: the process's own variables, then those of
 * NCCL_CONF_FILE (or ~/.nccl.conf when it is unset or empty), then
 * /etc/nccl.conf — each file only adding names not set yet, as NCCL's
 * setEnvFile does with setenv(…, 0) (NCCL src/misc/param.cc). */
#define CONF_MAX 256
typedef struct {
    char       **envp;
    size_t       n, cap;
    char         from[CONF_MAX][300];   /* "NAME\x1fFILE:LINE" for names a file set */
    size_t       nfrom;
    char         files[512];            /* "read /etc/nccl.conf, …" */
    char         warn[480];
    const char  *cur;
} merged_t;

static int env_has(const merged_t *m, const char *name)
{
    size_t i, n = strlen(name);
    for (i = 0; i < m->n; i++) {
        if (strncmp(m->envp[i], name, n) == 0 && m->envp[i][n] == '=') return 1;
    }
    return 0;
}

static void conf_add(const char *name, const char *value, unsigned line, void *arg)
{
    merged_t *m = arg;
    char     *kv;
    size_t    len = strlen(name);

    if (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t' || name[0] == ' ') && !m->warn[0]) {
        snprintf(m->warn, sizeof(m->warn), "%s:%u: '%s' has blanks around '=': NCCL takes the name literally and "
                 "ignores the setting", m->cur, line, name);
    }
    if (env_has(m, name) || m->n + 2 > m->cap) return;
    if ((kv = malloc(len + strlen(value) + 2)) == NULL) return;
    sprintf(kv, "%s=%s", name, value);
    m->envp[m->n++] = kv;
    m->envp[m->n]   = NULL;
    if (m->nfrom < CONF_MAX) snprintf(m->from[m->nfrom++], sizeof(m->from[0]), "%s\x1f%s:%u", name, m->cur, line);
}

static void conf_read(merged_t *m, const char *root, const char *path)
{
    char       full[4096], *text;
    size_t     len;
    fg_error_t err;

    snprintf(full, sizeof(full), "%s%s", strcmp(root, "/") ? root : "", path);
    if (access(full, F_OK) != 0) return;
    if (fg_input_read(full, &text, &len, &err) < 0) {
        if (!m->warn[0]) fg_error_format(&err, m->warn, sizeof(m->warn));
        return;
    }
    m->cur = path;
    fg_nccl_conf_parse(text, len, conf_add, m);
    snprintf(m->files + strlen(m->files), sizeof(m->files) - strlen(m->files), "%s%s", m->files[0] ? ", " : "", path);
    free(text);
}

static int merge_env(merged_t *m, const char *root)
{
    const char    *conf = cli_getenv("NCCL_CONF_FILE");
    struct passwd *pw;
    size_t         n = 0;

    while (cli_environ()[n]) n++;
    m->cap = n + CONF_MAX + 2;
    if ((m->envp = calloc(m->cap, sizeof(char *))) == NULL) return -1;
    memcpy(m->envp, cli_environ(), n * sizeof(char *));
    m->n = n;
    if (conf != NULL && conf[0]) {
        char full[4096];
        snprintf(full, sizeof(full), "%s%s", strcmp(root, "/") ? root : "", conf);
        if (access(full, R_OK) != 0 && !m->warn[0]) {
            snprintf(m->warn, sizeof(m->warn), "NCCL_CONF_FILE=%s cannot be read: NCCL ignores it silently", conf);
        }
        conf_read(m, root, conf);
    } else if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL) {
        char home[4096];
        snprintf(home, sizeof(home), "%s/.nccl.conf", pw->pw_dir);
        conf_read(m, root, home);
    }
    conf_read(m, root, "/etc/nccl.conf");
    return 0;
}

/* "… (from /etc/nccl.conf:3)" on the checks of variables a file set. */
static void note_sources(const merged_t *m, fg_checks_t *c)
{
    size_t i;
    for (i = 0; i < m->nfrom; i++) {
        char        name[300];
        const char *sep = strchr(m->from[i], '\x1f');
        fg_check_t *x;
        if (sep == NULL) continue;
        snprintf(name, sizeof(name), "%.*s", (int)(sep - m->from[i]), m->from[i]);
        if ((x = fg_checks_find(c, name)) != NULL) {
            size_t l = strlen(x->detail);
            snprintf(x->detail + l, sizeof(x->detail) - l, " (from %s)", sep + 1);
        }
    }
    if (m->warn[0]) {
        fg_checks_set(c, "NCCL_CONF_FILE", FG_CHECK_WARN, "fix the file NCCL reads", "%s", m->warn);
    } else {
        fg_checks_set(c, "NCCL_CONF_FILE", FG_CHECK_OK, "", "%s%s%s", cli_getenv("NCCL_CONF_FILE") ? "set" : "unset",
                      m->files[0] ? "; read " : "; no NCCL configuration file", m->files);
    }
}

static void merged_free(merged_t *m)
{
    size_t i, n = 0;
    while (cli_environ()[n]) n++;
    for (i = n; i < m->n; i++) free(m->envp[i]);
    free(m->envp);
}

static int run(int argc, char **argv, int env)
{
    const char *root = "/", *cmd = env ? "env" : "node", *policy = NULL;
    int         json = 0, npd = 0, i, rc, o;
    struct stat st;
    fg_policy_t pol;
    static fg_node_t   node;
    static fg_checks_t checks;
    static merged_t    m;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: fabguard %s [--json%s] [--root DIR] [--policy FILE]\n%s"
                   "--root DIR reads /sys, /dev and /proc below DIR (fixtures, other nodes' dumps).\n"
                   "--policy FILE judges with FILE (default $FABGUARD_POLICY, else the built-in\n"
                   "defaults; FABGUARD_* variables override), as the shim in the job would.\n%s"
                   "exit: 0 no failed check, 1 a failed check, 2 usage, bad policy or unreadable root\n", cmd,
                   env ? "" : " | --npd",
                   env ? "Lints UCX_*, NCCL_* and NIXL_* interconnect variables of this environment\n"
                         "(and those NCCL reads from NCCL_CONF_FILE, ~/.nccl.conf, /etc/nccl.conf)\n"
                         "against this node and the policy.\n"
                       : "Read-only check of RDMA devices, ports, RoCE GIDs, nvidia_peermem, GDRCopy,\n"
                         "NVLink and GPU-NIC PCIe affinity vs UCX_NET_DEVICES / NCCL_IB_HCA.\n",
                   env ? "" : "--npd prints one line (node-problem-detector custom plugin: exit 0 OK,\n"
                              "1 NonOK, 2 Unknown).\n");
            return FG_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!env && !strcmp(argv[i], "--npd")) {
            npd = 1;
        } else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
            root = argv[++i];
        } else if ((o = cli_policy_opt(argc, argv, &i, &policy)) != 0) {
            if (o < 0) return cli_usage_error(cmd, "--policy needs a FILE");
        } else {
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        if (npd) printf("fabguard node: unknown: --root %s is not a readable directory\n", root);
        return cli_usage_error(cmd, "--root %s: not a readable directory", root);
    }
    if ((rc = cli_policy_load(cmd, policy, &pol)) != 0) {
        if (npd) printf("fabguard node: unknown: the policy is invalid (see stderr)\n");
        return rc;
    }
    fg_node_probe(root, &node);
    memset(&node.mgmt, 0, sizeof(node.mgmt));   /* the management NIC as the shim sees it */
    fg_mgmt_ifaces(&pol, root, &node.mgmt);
    checks.n = 0;
    if (env) {
        memset(&m, 0, sizeof(m));
        if (merge_env(&m, root) < 0) {
            fg_policy_free(&pol);
            return cli_usage_error(cmd, "out of memory");
        }
        fg_env_checks(&node, m.envp, &checks);
        fg_env_policy_checks(&node, &pol, m.envp, &checks);
        note_sources(&m, &checks);
        merged_free(&m);
    } else {
        fg_node_checks(&node, cli_getenv, &checks);
        fg_node_policy_checks(&node, &pol, &checks);
    }
    fg_policy_free(&pol);
    return print_checks(&checks, json, npd);
}

int cmd_node(int argc, char **argv) { return run(argc, argv, 0); }
int cmd_env(int argc, char **argv) { return run(argc, argv, 1); }
