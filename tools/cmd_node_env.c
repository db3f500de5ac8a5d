/* fabguard node / fabguard env: the interconnect checklist as two read-only
 * commands. Human output is one aligned line per check; --json is
 * {"checks":[{"name","status","detail","hint"}]}. Exit 0 no failure, 1 a
 * failed check, 2 usage or an unreadable --root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fabguard/json.h"
#include "fabguard/node.h"
#include "cli.h"

extern char **environ;

static const char *getenv_plain(const char *n) { return getenv(n); }

static int print_checks(const fg_checks_t *c, int json)
{
    size_t i;
    int    failed = 0;

    for (i = 0; i < c->n; i++) failed |= c->v[i].status == FG_CHECK_FAIL;
    if (json) {
        static char buf[65536];
        fg_sbuf_t   sb;
        fg_sb_init(&sb, buf, sizeof(buf));
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

static int run(int argc, char **argv, int env)
{
    const char *root = "/", *cmd = env ? "env" : "node";
    int         json = 0, i;
    struct stat st;
    static fg_node_t   node;
    static fg_checks_t checks;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: fabguard %s [--json] [--root DIR]\n%s"
                   "--root DIR reads /sys, /dev and /proc below DIR (fixtures, other nodes' dumps).\n"
                   "exit: 0 no failed check, 1 a failed check, 2 usage or unreadable root\n", cmd,
                   env ? "Lints UCX_*, NCCL_* and NIXL_* interconnect variables of this environment\n"
                         "against this node (interfaces, HCAs, GIDs, topology).\n"
                       : "Read-only check of RDMA devices, ports, RoCE GIDs, nvidia_peermem, GDRCopy,\n"
                         "NVLink and GPU-NIC PCIe affinity vs UCX_NET_DEVICES / NCCL_IB_HCA.\n");
            return FG_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
            root = argv[++i];
        } else {
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        return cli_usage_error(cmd, "--root %s: not a readable directory", root);
    }
    fg_node_probe(root, &node);
    checks.n = 0;
    if (env) {
        fg_env_checks(&node, environ, &checks);
    } else {
        fg_node_checks(&node, getenv_plain, &checks);
    }
    return print_checks(&checks, json);
}

int cmd_node(int argc, char **argv) { return run(argc, argv, 0); }
int cmd_env(int argc, char **argv) { return run(argc, argv, 1); }
