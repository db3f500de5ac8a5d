/* fabguard explain [--json] [--policy F] FILE…: what an existing NCCL debug
 * log or UCX endpoint/protocol output says was used, judged by the policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fabguard/netinfo.h"
#include "cli.h"
#include "policy_opt.h"
#include "explain.h"
#include "input.h"


static void usage(FILE *out)
{
    fprintf(out,
            "usage: fabguard explain [--json] [--policy FILE] [--root DIR] FILE|- …\n"
            "Reads an NCCL debug log (NCCL_DEBUG=INFO, one rank or a whole job, with\n"
            "any launcher's or log shipper's prefixes, or pasted without them) or UCX\n"
            "text (UCX_LOG_LEVEL=info/debug logs, ucp_ep_print_info, ucx_info -e/-d,\n"
            "UCX_PROTO_INFO=y tables) or libfabric text (fi_info, FI_LOG_LEVEL=info)\n"
            "and says, per process and per communicator or\n"
            "UCX configuration, which network, devices and transports were used and\n"
            "what the policy thinks of them.\n"
            "--root DIR: the node's tree (/ live; the tree `node --root` reads): NCCL\n"
            "channels are judged against its GPU-NIC PCIe distances ([topology]\n"
            "rail_affinity); intra-node NET channels are judged with or without it.\n"
            "Topology findings under `warn` are advisories (verdict info, exit 0).\n"
            "exit: 0 clean, 1 violations, 2 usage or unreadable input\n");
}

/* The node's rail table from the tree at root (static: explain runs once). */
static int load_topo(const char *root)
{
    static fg_node_t node;
    static fg_topo_t topo;
    struct stat      st;

    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        return cli_usage_error("explain", "--root %s: not a readable directory", root);
    }
    fg_node_probe(root, &node);
    fg_topo_build(&node, &topo);
    explain_set_topo(&topo);
    return 0;
}

int cmd_explain(int argc, char **argv)
{
    const char *policy = NULL, *root = NULL;
    fg_policy_t pol;
    fg_error_t  err;
    char        msg[1024];
    int         json = 0, i, worst = FG_EXIT_OK, nfiles = 0, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return FG_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if ((rc = cli_policy_opt(argc, argv, &i, &policy)) != 0) {
            if (rc < 0) return cli_usage_error("explain", "--policy needs a FILE");
        } else if (strcmp(argv[i], "--root") == 0) {
            if (i + 1 >= argc) return cli_usage_error("explain", "--root needs a DIR");
            root = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            usage(stderr);
            return cli_usage_error("explain", "unknown or incomplete option '%s'", argv[i]);
        } else {
            nfiles++;
        }
    }
    if (nfiles == 0) {
        usage(stderr);
        return cli_usage_error("explain", "no input file (use - for stdin)");
    }
    if ((rc = cli_policy_load("explain", policy, &pol)) != 0) {
        return rc;
    }
    if (root != NULL && (rc = load_topo(root)) != 0) {
        fg_policy_free(&pol);
        return rc;
    }
    for (i = 1; i < argc; i++) {
        char  *text;
        size_t len;
        if (strcmp(argv[i], "--policy") == 0 || strcmp(argv[i], "--root") == 0) {   /* validated above */
            i++;
            continue;
        }
        if (strncmp(argv[i], "--policy=", 9) == 0) {
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            continue;
        }
        if (fg_input_read(argv[i], &text, &len, &err) < 0) {
            fg_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "fabguard explain: %s\n", msg);
            worst = FG_EXIT_USAGE;
            continue;
        }
        rc = explain_looks_like_nccl(text, len)
                 ? explain_nccl(argv[i], text, len, &pol, json, stdout)
             : explain_looks_like_fi(text, len)
                 ? explain_fi(argv[i], text, len, &pol, json, stdout)
                 : explain_ucx(argv[i], text, len, &pol, json, stdout);
        if (rc > worst) {
            worst = rc;
        }
        free(text);
    }
    fg_policy_free(&pol);
    return worst;
}
