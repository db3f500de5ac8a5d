/* fabguard policy [FILE]: validate a policy and print the effective one,
 * each value with where it came from (default, file:line, environment). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabguard/policy.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fabguard policy [FILE]\n"
            "Validates FILE (default: $FABGUARD_POLICY, else built-in defaults),\n"
            "applies FABGUARD_* environment overrides and prints the effective policy\n"
            "with the source of every value. Exit 0 valid, 2 invalid (file:line: reason).\n");
}

static void print_policy(const fg_policy_t *pol)
{
    const fg_key_info_t *keys;
    const char          *section = "";
    size_t               n, i;

    keys = fg_policy_keys(&n);
    printf("# effective fabguard policy%s%s\n", pol->file[0] ? " from " : " (no file: defaults",
           pol->file[0] ? pol->file : " + environment)");
    for (i = 0; i < n; i++) {
        char value[1024], src[300], line[1400];
        if (strcmp(section, keys[i].section) != 0) {
            section = keys[i].section;
            printf("\n[%s]\n", section);
        }
        fg_policy_value_text(pol, keys[i].key, value, sizeof(value));
        switch (pol->source[i].kind) {
        case FG_SRC_FILE:
            snprintf(src, sizeof(src), "%s:%u", pol->file, pol->source[i].line);
            break;
        case FG_SRC_ENV:
            snprintf(src, sizeof(src), "environment %s", keys[i].env);
            break;
        default:
            snprintf(src, sizeof(src), "default");
            break;
        }
        snprintf(line, sizeof(line), "%s = %s", keys[i].name, value);
        printf("%-48s # %s\n", line, src);
    }
}

int cmd_policy(int argc, char **argv)
{
    fg_policy_t pol;
    fg_error_t  err;
    char        msg[1024];
    const char *path = NULL;
    int         i;

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return FG_EXIT_OK;
    }
    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            usage(stderr);
            return cli_usage_error("policy", "unknown option '%s'", argv[i]);
        }
        if (path != NULL) {
            return cli_usage_error("policy", "one policy file at a time");
        }
        path = argv[i];
    }
    if (fg_policy_load(&pol, path, cli_getenv, &err) < 0 ||
        fg_policy_check_env_names(cli_environ(), &err) < 0) {
        fg_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "fabguard policy: %s\n", msg);
        fg_policy_free(&pol);
        return FG_EXIT_USAGE;
    }
    print_policy(&pol);
    fg_policy_free(&pol);
    return FG_EXIT_OK;
}
