/* fabguard: dispatch to the subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fabguard/common.h"
#include "cli.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} subcommand_t;

static const subcommand_t subcommands[] = {
    { "node",    cmd_node,    "read-only RDMA/GPUDirect/NVLink capability check of this node" },
    { "env",     cmd_env,     "lint the UCX/NCCL/NIXL interconnect variables against this node" },
    { "policy",  cmd_policy,  "validate a policy and print the effective one (file + environment)" },
    { "explain", cmd_explain, "read an NCCL debug log or UCX endpoint output and judge it" },
    { "run",     cmd_run,     "run a command with libfabguard.so preloaded" },
    { "pair",    cmd_pair,    "UCX transfer test between two hosts/pods: lanes, speed, verdict" },
    { "report",  cmd_report,  "aggregate event logs of many processes/pods/nodes" },
};

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fabguard %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return FG_EXIT_USAGE;
}

int cli_wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            return 0;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return 1;
        }
    }
    return 0;
}

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "usage: fabguard <command> [options]\n\ncommands:\n");
    for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    }
    fprintf(out, "\n'fabguard <command> --help' for a command's options.\n"
                 "exit status: 0 good, 1 violation or failed check, 2 usage or input error\n");
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return FG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return FG_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("fabguard %s\n", FG_VERSION);
        return FG_EXIT_OK;
    }
    for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "fabguard: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return FG_EXIT_USAGE;
}
