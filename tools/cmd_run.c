/* fabguard run [--policy F] [--mode M] -- CMD…: run CMD with the shim
 * preloaded. The policy is validated first with the shim's own checks
 * (cli_policy_load: file, FABGUARD_* values and unknown FABGUARD_* names), so
 * a typo is reported here rather than inside every process of the job. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fabguard/policy.h"
#include "cli.h"
#include "policy_opt.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fabguard run [--policy FILE] [--mode off|log|warn|enforce] [--log PATH] -- CMD [ARG…]\n"
            "Runs CMD with libfabguard.so in LD_PRELOAD (found next to this binary,\n"
            "in ../lib, or at $FABGUARD_LIB) and libfabguard-audit.so (beside it) in\n"
            "LD_AUDIT. Exit status is CMD's own.\n");
}

static int join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s%s", a, b);

    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* libfabguard.so beside the binary (build tree) or in ../lib (installed). */
static int find_shim(char *out, size_t cap)
{
    const char *env = cli_getenv("FABGUARD_LIB");
    char        self[PATH_MAX], *slash;
    ssize_t     n;

    if (env != NULL && env[0] != '\0') {
        return (access(env, R_OK) == 0 && fg_strlcpy(out, env, cap) == 0) ? 0 : -1;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        return -1;
    }
    self[n] = '\0';
    slash   = strrchr(self, '/');
    if (slash == NULL) {
        return -1;
    }
    *slash = '\0';
    if (join(out, cap, self, "/libfabguard.so") == 0 && access(out, R_OK) == 0) {
        return 0;
    }
    return (join(out, cap, self, "/../lib/libfabguard.so") == 0 &&
            access(out, R_OK) == 0) ? 0 : -1;
}

static int set_preload(const char *shim)
{
    const char *old = cli_getenv("LD_PRELOAD");
    char        value[8192];

    if (old != NULL && old[0] != '\0') {
        snprintf(value, sizeof(value), "%s:%s", shim, old);
    } else {
        fg_strlcpy(value, shim, sizeof(value));
    }
    return setenv("LD_PRELOAD", value, 1);
}

/* libfabguard-audit.so beside the shim goes into LD_AUDIT: without it,
 * RTLD_DEEPBIND plugins and dlsym(handle) callers bypass the preload. */
static int set_audit(const char *shim)
{
    const char *old = cli_getenv("LD_AUDIT");
    char        audit[PATH_MAX], value[8192], *slash;

    fg_strlcpy(audit, shim, sizeof(audit));
    slash = strrchr(audit, '/');
    if (slash == NULL || (size_t)(slash - audit) + sizeof("/libfabguard-audit.so") > sizeof(audit)) {
        return -1;
    }
    strcpy(slash, "/libfabguard-audit.so");
    if (access(audit, R_OK) != 0) {
        fprintf(stderr, "fabguard run: warning: %s not found: UCX calls through "
                "RTLD_DEEPBIND plugins or dlsym(handle) will not be checked\n", audit);
        return 0;
    }
    if (old != NULL && strstr(old, "libfabguard-audit") != NULL) {
        return 0;
    }
    if (old != NULL && old[0] != '\0') {
        snprintf(value, sizeof(value), "%s:%s", audit, old);
    } else {
        fg_strlcpy(value, audit, sizeof(value));
    }
    return setenv("LD_AUDIT", value, 1);
}

int cmd_run(int argc, char **argv)
{
    const char *policy = NULL, *mode = NULL, *logp = NULL;
    char        shim[PATH_MAX];
    fg_policy_t pol;
    int         i, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return FG_EXIT_OK;
        } else if (cli_policy_opt(argc, argv, &i, &policy) > 0) {
            continue;
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            mode = argv[++i];
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            logp = argv[++i];
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return cli_usage_error("run", "unknown or incomplete option '%s'", argv[i]);
        } else {
            break;   /* the command itself, without "--" */
        }
    }
    if (i >= argc) {
        usage(stderr);
        return cli_usage_error("run", "no command given");
    }
    if ((policy && setenv("FABGUARD_POLICY", policy, 1) != 0) ||
        (mode && setenv("FABGUARD_MODE", mode, 1) != 0) ||
        (logp && setenv("FABGUARD_LOG", logp, 1) != 0)) {
        return cli_usage_error("run", "cannot set the environment: %s", strerror(errno));
    }
    if ((rc = cli_policy_load("run", NULL, &pol)) != 0) {
        return rc;
    }
    fg_policy_free(&pol);
    if (find_shim(shim, sizeof(shim)) < 0) {
        return cli_usage_error("run", "libfabguard.so not found (set FABGUARD_LIB)");
    }
    if (set_preload(shim) != 0) {
        return cli_usage_error("run", "cannot set LD_PRELOAD: %s", strerror(errno));
    }
    if (set_audit(shim) != 0) {
        return cli_usage_error("run", "cannot set LD_AUDIT: %s", strerror(errno));
    }
    execvp(argv[i], argv + i);
    return cli_usage_error("run", "cannot run '%s': %s", argv[i], strerror(errno));
}
