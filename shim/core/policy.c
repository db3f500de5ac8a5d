/* The policy engine (design: "Policy"). INI text -> fg_policy_t, then
 * FABGUARD_* environment overrides. Every error names where, line, reason. */
#include "fabguard/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FG_POLICY_MAX_BYTES (1024 * 1024)   /* a policy is a few lines; cap hostile input */

static const fg_key_info_t fg_keys[FG_KEY_COUNT] = {
    { FG_KEY_MODE, "fabguard", "mode", "FABGUARD_MODE", "warn",
      "off | log | warn | enforce" },
    { FG_KEY_ON_VIOLATION, "fabguard", "on_violation", "FABGUARD_ON_VIOLATION", "abort",
      "abort | exit | fail (enforce mode only)" },
    { FG_KEY_LOG, "fabguard", "log", "FABGUARD_LOG", "",
      "event log: path template (%h %p %e %t %u), `stderr`, or empty for none" },
    { FG_KEY_MANAGEMENT_IFACES, "fabguard", "management_ifaces", "FABGUARD_MANAGEMENT_IFACES", "auto",
      "NICs that must never carry data; auto = default-route interfaces" },
    { FG_KEY_ONLY_PROGRAMS, "fabguard", "only_programs", "FABGUARD_ONLY_PROGRAMS", "",
      "globs on the program name; empty = all" },
    { FG_KEY_SKIP_PROGRAMS, "fabguard", "skip_programs", "FABGUARD_SKIP_PROGRAMS", "",
      "globs on the program name to leave alone" },
    { FG_KEY_UCX_FORBID_TRANSPORTS, "ucx", "forbid_transports", "FABGUARD_UCX_FORBID_TRANSPORTS", "tcp",
      "UCX transports no data lane may use" },
    { FG_KEY_UCX_REQUIRE_TRANSPORTS, "ucx", "require_transports", "FABGUARD_UCX_REQUIRE_TRANSPORTS", "",
      "groups (a|b) of which a context must offer one each" },
    { FG_KEY_UCX_ALLOW_DEVICES, "ucx", "allow_devices", "FABGUARD_UCX_ALLOW_DEVICES", "",
      "network devices lanes may use; empty = any" },
    { FG_KEY_UCX_GPU_DIRECT_RDMA, "ucx", "gpu_direct_rdma", "FABGUARD_UCX_GPU_DIRECT_RDMA", "any",
      "require | any" },
    { FG_KEY_NCCL_REQUIRE_NET, "nccl", "require_net", "FABGUARD_NCCL_REQUIRE_NET", "any",
      "IB | Socket | <plugin name> | any" },
    { FG_KEY_NCCL_FORBID_TRANSPORTS, "nccl", "forbid_transports", "FABGUARD_NCCL_FORBID_TRANSPORTS", "NET/Socket",
      "channel transports (as NCCL prints them after `via`) to refuse" },
    { FG_KEY_NCCL_ALLOW_HCAS, "nccl", "allow_hcas", "FABGUARD_NCCL_ALLOW_HCAS", "",
      "HCAs NCCL may use; empty = any" },
    { FG_KEY_NCCL_GPU_DIRECT_RDMA, "nccl", "gpu_direct_rdma", "FABGUARD_NCCL_GPU_DIRECT_RDMA", "any",
      "require | any" },
    { FG_KEY_LIBFABRIC_FORBID_PROVIDERS, "libfabric", "forbid_providers",
      "FABGUARD_LIBFABRIC_FORBID_PROVIDERS", "tcp, sockets, udp, net",
      "libfabric providers to refuse (a glob matches the whole name, e.g. tcp;ofi_rxm, or one layer of it)" },
    { FG_KEY_LIBFABRIC_ALLOW_DOMAINS, "libfabric", "allow_domains",
      "FABGUARD_LIBFABRIC_ALLOW_DOMAINS", "",
      "libfabric domains (rdmap*, mlx5_*, a netdev for tcp) a process may open; empty = any" },
    { FG_KEY_LIBFABRIC_HMEM, "libfabric", "hmem", "FABGUARD_LIBFABRIC_HMEM", "any",
      "require | any: require = the opened domain must offer FI_HMEM (GPU memory, GPUDirect)" },
    { FG_KEY_TOPO_RAIL_AFFINITY, "topology", "rail_affinity", "FABGUARD_TOPOLOGY_RAIL_AFFINITY", "warn",
      "GPU traffic through a NIC far from the GPU: any | warn (report) | require (violation)" },
    { FG_KEY_TOPO_RAIL_MAX_DISTANCE, "topology", "rail_max_distance", "FABGUARD_TOPOLOGY_RAIL_MAX_DISTANCE", "PXB",
      "worst acceptable GPU-NIC PCIe distance when a nearer NIC exists: PIX | PXB | PHB | NODE | SYS" },
    { FG_KEY_TOPO_SAME_HOST_GPU, "topology", "same_host_gpu", "FABGUARD_TOPOLOGY_SAME_HOST_GPU", "warn",
      "GPU memory between peers on one node: any | warn (report) | require_nvlink (violation unless cuda_ipc/P2P/NVLS)" },
};

static const char *const fg_sections[] = { "fabguard", "ucx", "nccl", "libfabric", "topology" };

const fg_key_info_t *fg_policy_keys(size_t *count_p)
{
    *count_p = FG_KEY_COUNT;
    return fg_keys;
}

const char *fg_mode_name(fg_mode_t m)
{
    static const char *const n[] = { "off", "log", "warn", "enforce" };
    return ((unsigned)m < 4) ? n[m] : "?";
}

const char *fg_action_name(fg_action_t a)
{
    static const char *const n[] = { "abort", "exit", "fail" };
    return ((unsigned)a < 3) ? n[a] : "?";
}

/* ---- lists ---------------------------------------------------------- */

static void list_free(fg_list_t *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->item[i]);
    }
    free(l->item);
    l->item = NULL;
    l->n    = 0;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
        *--e = '\0';
    }
    return s;
}

/* A glob fnmatch would misread: an unclosed '[' bracket expression. */
static int glob_is_valid(const char *g)
{
    const char *p;

    for (p = g; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == '[') {
            const char *q = p + 1;
            if (*q == '!' || *q == '^') q++;
            if (*q == ']') q++;
            while (*q != '\0' && *q != ']') q++;
            if (*q == '\0') {
                return 0;
            }
            p = q;
        }
    }
    return 1;
}

/* Parse "a, b|c ,d" into a fresh list; "" -> empty list. */
static int list_parse(const char *text, fg_list_t *out, const char **why)
{
    char      *copy = strdup(text), *p, *comma;
    fg_list_t  l    = { 0, NULL };

    if (copy == NULL) {
        *why = "out of memory";
        return -1;
    }
    if (trim(copy)[0] == '\0') {
        free(copy);
        *out = l;
        return 0;
    }
    for (p = copy;; p = comma + 1) {
        char  *item, **grown;
        comma = strchr(p, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        item = trim(p);
        if (item[0] == '\0') {
            *why = "empty item in list (two commas, or a trailing comma)";
            goto err;
        }
        if (!glob_is_valid(item)) {
            *why = "unclosed '[' in pattern";
            goto err;
        }
        if ((l.n & (l.n - 1)) == 0) {   /* grow at powers of two: long lists stay linear */
            grown = realloc(l.item, (l.n ? l.n * 2 : 1) * sizeof(*l.item));
            if (grown == NULL) {
                *why = "out of memory";
                goto err;
            }
            l.item = grown;
        }
        if ((l.item[l.n] = strdup(item)) == NULL) {
            *why = "out of memory";
            goto err;
        }
        l.n++;
        if (comma == NULL) {
            break;
        }
    }
    free(copy);
    *out = l;
    return 0;
err:
    free(copy);
    list_free(&l);
    return -1;
}

static void list_join(const fg_list_t *l, char *buf, size_t cap)
{
    fg_sbuf_t sb;
    size_t    i;

    fg_sb_init(&sb, buf, cap);
    for (i = 0; i < l->n; i++) {
        if (i > 0) {
            fg_sb_puts(&sb, ", ");
        }
        fg_sb_puts(&sb, l->item[i]);
    }
}

int fg_list_empty(const fg_list_t *list)
{
    return list->n == 0;
}

int fg_glob_match(const char *pattern, const char *name)
{
    char        alt[256];
    const char *p = pattern, *bar;

    for (;;) {
        size_t n;
        bar = strchr(p, '|');
        n   = bar ? (size_t)(bar - p) : strlen(p);
        if (n < sizeof(alt)) {
            memcpy(alt, p, n);
            alt[n] = '\0';
            if (fnmatch(trim(alt), name, 0) == 0) {
                return 1;
            }
        }
        if (bar == NULL) {
            return 0;
        }
        p = bar + 1;
    }
}

int fg_list_match(const fg_list_t *list, const char *name)
{
    size_t i;

    for (i = 0; i < list->n; i++) {
        if (fg_glob_match(list->item[i], name)) {
            return 1;
        }
    }
    return 0;
}

/* ---- values ---------------------------------------------------------- */

static int parse_enum(const char *v, const char *const *names, size_t n,
                      int *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -1;
}

static fg_list_t *key_list(fg_policy_t *pol, fg_key_t key)
{
    switch (key) {
    case FG_KEY_MANAGEMENT_IFACES:      return &pol->management_ifaces;
    case FG_KEY_ONLY_PROGRAMS:          return &pol->only_programs;
    case FG_KEY_SKIP_PROGRAMS:          return &pol->skip_programs;
    case FG_KEY_UCX_FORBID_TRANSPORTS:  return &pol->ucx.forbid_transports;
    case FG_KEY_UCX_REQUIRE_TRANSPORTS: return &pol->ucx.require_transports;
    case FG_KEY_UCX_ALLOW_DEVICES:      return &pol->ucx.allow_devices;
    case FG_KEY_NCCL_FORBID_TRANSPORTS: return &pol->nccl.forbid_transports;
    case FG_KEY_NCCL_ALLOW_HCAS:        return &pol->nccl.allow_hcas;
    case FG_KEY_LIBFABRIC_FORBID_PROVIDERS: return &pol->libfabric.forbid_providers;
    case FG_KEY_LIBFABRIC_ALLOW_DOMAINS:    return &pol->libfabric.allow_domains;
    default:                            return NULL;
    }
}

static int set_string(char **slot, const char *v, const char **why)
{
    char *s = strdup(v);

    if (s == NULL) {
        *why = "out of memory";
        return -1;
    }
    free(*slot);
    *slot = s;
    return 0;
}

/* Apply one textual value. On error *why says what is wrong and *expect
 * (may be NULL) names the accepted values. */
static int set_value(fg_policy_t *pol, fg_key_t key, const char *v,
                     const char **why, const char **expect)
{
    static const char *const modes[]   = { "off", "log", "warn", "enforce" };
    static const char *const actions[] = { "abort", "exit", "fail" };
    static const char *const gdr[]     = { "any", "require" };
    static const char *const rails[]   = { "any", "warn", "require" };
    static const char *const samehost[] = { "any", "warn", "require_nvlink" };
    fg_list_t  parsed, *list;
    int        e;

    *expect = NULL;
    switch (key) {
    case FG_KEY_MODE:
        *expect = "off, log, warn or enforce";
        if (parse_enum(v, modes, 4, &e) < 0) goto bad;
        pol->mode = (fg_mode_t)e;
        return 0;
    case FG_KEY_ON_VIOLATION:
        *expect = "abort, exit or fail";
        if (parse_enum(v, actions, 3, &e) < 0) goto bad;
        pol->on_violation = (fg_action_t)e;
        return 0;
    case FG_KEY_UCX_GPU_DIRECT_RDMA:
    case FG_KEY_NCCL_GPU_DIRECT_RDMA:
    case FG_KEY_LIBFABRIC_HMEM:
        *expect = "require or any";
        if (parse_enum(v, gdr, 2, &e) < 0) goto bad;
        if (key == FG_KEY_UCX_GPU_DIRECT_RDMA) {
            pol->ucx.gpu_direct_rdma = (fg_gdr_t)e;
        } else if (key == FG_KEY_LIBFABRIC_HMEM) {
            pol->libfabric.hmem = (fg_gdr_t)e;
        } else {
            pol->nccl.gpu_direct_rdma = (fg_gdr_t)e;
        }
        return 0;
    case FG_KEY_TOPO_RAIL_AFFINITY:
        *expect = "any, warn or require";
        if (parse_enum(v, rails, 3, &e) < 0) goto bad;
        pol->topology.rail_affinity = (fg_rail_t)e;
        return 0;
    case FG_KEY_TOPO_RAIL_MAX_DISTANCE:
        *expect = "PIX, PXB, PHB, NODE or SYS";
        if (fg_dist_parse(v) == FG_DIST_UNKNOWN) goto bad;
        pol->topology.rail_max_distance = fg_dist_parse(v);
        return 0;
    case FG_KEY_TOPO_SAME_HOST_GPU:
        *expect = "any, warn or require_nvlink";
        if (parse_enum(v, samehost, 3, &e) < 0) goto bad;
        pol->topology.same_host_gpu = (fg_samehost_t)e;
        return 0;
    case FG_KEY_LOG:
        return set_string(&pol->log, v, why);
    case FG_KEY_NCCL_REQUIRE_NET:
        if (v[0] == '\0') {
            *why    = "empty value";
            *expect = "IB, Socket, a net plugin name, or any";
            return -1;
        }
        return set_string(&pol->nccl.require_net, v, why);
    default:
        list = key_list(pol, key);
        if (list_parse(v, &parsed, why) < 0) {
            return -1;
        }
        list_free(list);
        *list = parsed;
        return 0;
    }
bad:
    *why = (v[0] == '\0') ? "empty value" : "bad value";
    return -1;
}

static void value_error(fg_error_t *err, const char *where, unsigned line,
                        const char *what, const char *v, const char *why,
                        const char *expect)
{
    if (expect != NULL) {
        fg_error_set(err, where, line, "%s: %s '%.80s' (expected %s)", what,
                     why, v, expect);
    } else {
        fg_error_set(err, where, line, "%s: %s", what, why);
    }
}

/* ---- defaults and lifetime ------------------------------------------ */

void fg_policy_init_defaults(fg_policy_t *pol)
{
    size_t      i;
    const char *why, *expect;

    memset(pol, 0, sizeof(*pol));
    for (i = 0; i < FG_KEY_COUNT; i++) {
        /* built-in defaults are valid by construction (unit-tested) */
        (void)set_value(pol, fg_keys[i].key, fg_keys[i].def, &why, &expect);
        pol->source[i].kind = FG_SRC_DEFAULT;
    }
}

void fg_policy_free(fg_policy_t *pol)
{
    size_t i;

    for (i = 0; i < FG_KEY_COUNT; i++) {
        fg_list_t *l = key_list(pol, (fg_key_t)i);
        if (l != NULL) {
            list_free(l);
        }
    }
    free(pol->log);
    free(pol->nccl.require_net);
    pol->log              = NULL;
    pol->nccl.require_net = NULL;
}

/* ---- INI parsing ----------------------------------------------------- */

static const char *closest(const char *word, const char *const *cands,
                           size_t n)
{
    const char *best  = NULL;
    int         bestd = 3;   /* suggest only for near misses */
    size_t      i;

    for (i = 0; i < n; i++) {
        int d = fg_edit_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best  = cands[i];
        }
    }
    return best;
}

static int find_section(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(fg_sections) / sizeof(fg_sections[0]); i++) {
        if (strcmp(fg_sections[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int find_key(const char *section, const char *name)
{
    size_t i;

    for (i = 0; i < FG_KEY_COUNT; i++) {
        if (strcmp(fg_keys[i].section, section) == 0 &&
            strcmp(fg_keys[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void unknown_key_error(fg_error_t *err, const char *where,
                              unsigned line, const char *section,
                              const char *name)
{
    const char *cands[FG_KEY_COUNT], *hint;
    size_t      i, n = 0;

    for (i = 0; i < FG_KEY_COUNT; i++) {
        if (strcmp(fg_keys[i].section, section) == 0) {
            cands[n++] = fg_keys[i].name;
        }
    }
    hint = closest(name, cands, n);
    if (hint == NULL) {
        /* the key may belong to another section */
        for (i = 0; i < FG_KEY_COUNT; i++) {
            if (strcmp(fg_keys[i].name, name) == 0) {
                fg_error_set(err, where, line,
                             "unknown key '%.64s' in [%s] (it belongs in [%s])",
                             name, section, fg_keys[i].section);
                return;
            }
        }
        fg_error_set(err, where, line, "unknown key '%.64s' in [%s]", name,
                     section);
    } else {
        fg_error_set(err, where, line,
                     "unknown key '%.64s' in [%s] (did you mean '%s'?)", name,
                     section, hint);
    }
}

/* Cut an inline comment: '#' or ';' at the start or after blank space. */
static void strip_comment(char *s)
{
    char *p;

    for (p = s; *p != '\0'; p++) {
        if ((*p == '#' || *p == ';') &&
            (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
    }
}

static int parse_section(char *s, const char *where, unsigned line,
                         int *section_p, fg_error_t *err)
{
    char *close = strchr(s, ']'), *name;
    int   sec;

    if (close == NULL) {
        fg_error_set(err, where, line, "section header without closing ']'");
        return -1;
    }
    if (trim(close + 1)[0] != '\0') {
        fg_error_set(err, where, line, "text after section header ']'");
        return -1;
    }
    *close = '\0';
    name   = trim(s + 1);
    sec    = find_section(name);
    if (sec < 0) {
        const char *hint = closest(name, fg_sections, sizeof(fg_sections) / sizeof(fg_sections[0]));
        if (hint != NULL) {
            fg_error_set(err, where, line,
                         "unknown section [%.64s] (did you mean [%s]?)", name, hint);
        } else {
            fg_error_set(err, where, line,
                         "unknown section [%.64s] (sections: fabguard, ucx, nccl, libfabric)", name);
        }
        return -1;
    }
    *section_p = sec;
    return 0;
}

static int parse_assignment(fg_policy_t *pol, char *s, const char *where,
                            unsigned line, int section, unsigned *seen,
                            fg_error_t *err)
{
    char       *eq = strchr(s, '='), *name, *value;
    const char *why, *expect;
    char        what[96];
    int         k;

    if (eq == NULL) {
        fg_error_set(err, where, line,
                     "expected 'key = value', '[section]' or a comment");
        return -1;
    }
    *eq   = '\0';
    name  = trim(s);
    value = trim(eq + 1);
    if (name[0] == '\0') {
        fg_error_set(err, where, line, "missing key before '='");
        return -1;
    }
    if (section < 0) {
        fg_error_set(err, where, line,
                     "key '%.64s' before any [section] (start with [fabguard], [ucx], [nccl] or [libfabric])",
                     name);
        return -1;
    }
    k = find_key(fg_sections[section], name);
    if (k < 0) {
        unknown_key_error(err, where, line, fg_sections[section], name);
        return -1;
    }
    if (seen[k] != 0) {
        fg_error_set(err, where, line, "duplicate key '%s' (first set on line %u)",
                     name, seen[k]);
        return -1;
    }
    snprintf(what, sizeof(what), "%s.%s", fg_keys[k].section, fg_keys[k].name);
    if (set_value(pol, (fg_key_t)k, value, &why, &expect) < 0) {
        value_error(err, where, line, what, value, why, expect);
        return -1;
    }
    seen[k]              = line;
    pol->source[k].kind = FG_SRC_FILE;
    pol->source[k].line = line;
    return 0;
}

int fg_policy_load_text(fg_policy_t *pol, const char *name, const char *text,
                        size_t len, fg_error_t *err)
{
    unsigned seen[FG_KEY_COUNT] = { 0 };
    unsigned line               = 0;
    int      section            = -1, rc = 0;
    size_t   pos                = 0;
    char    *buf;

    if (memchr(text, '\0', len) != NULL) {
        size_t   nul = (size_t)((const char *)memchr(text, '\0', len) - text), i;
        unsigned l   = 1;
        for (i = 0; i < nul; i++) {
            l += (text[i] == '\n');
        }
        fg_error_set(err, name, l, "NUL byte in policy (not a text file?)");
        return -1;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        pos = 3;   /* UTF-8 byte order mark */
    }
    buf = malloc(len + 1);
    if (buf == NULL) {
        fg_error_set(err, name, 0, "out of memory reading policy");
        return -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    fg_strlcpy(pol->file, name, sizeof(pol->file));
    while (pos < len && rc == 0) {
        char *start = buf + pos, *nl = strchr(start, '\n'), *s;
        if (nl != NULL) {
            *nl = '\0';
            pos = (size_t)(nl - buf) + 1;
        } else {
            pos = len;
        }
        line++;
        strip_comment(start);
        s = trim(start);
        if (s[0] == '\0') {
            continue;
        }
        if (s[0] == '[') {
            rc = parse_section(s, name, line, &section, err);
        } else {
            rc = parse_assignment(pol, s, name, line, section, seen, err);
        }
    }
    free(buf);
    return rc;
}

int fg_policy_load_file(fg_policy_t *pol, const char *path, fg_error_t *err)
{
    struct stat st;
    char       *text;
    size_t      got = 0;
    int         fd, rc;

    /* follow symlinks: Kubernetes mounts ConfigMap files through them */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        fg_error_set(err, path, 0, "cannot open policy: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fg_error_set(err, path, 0, "policy is not a regular file");
        return -1;
    }
    if (st.st_size > FG_POLICY_MAX_BYTES) {
        close(fd);
        fg_error_set(err, path, 0, "policy larger than %d bytes", FG_POLICY_MAX_BYTES);
        return -1;
    }
    text = malloc((size_t)st.st_size + 1);
    if (text == NULL) {
        close(fd);
        fg_error_set(err, path, 0, "out of memory reading policy");
        return -1;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            fg_error_set(err, path, 0, "cannot read policy: %s", strerror(errno));
            free(text);
            close(fd);
            return -1;
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    rc = fg_policy_load_text(pol, path, text, got, err);
    free(text);
    return rc;
}

int fg_policy_apply_env(fg_policy_t *pol, fg_getenv_fn get, fg_error_t *err)
{
    size_t i;

    for (i = 0; i < FG_KEY_COUNT; i++) {
        const char *v = get(fg_keys[i].env), *why, *expect;
        char        copy[4096];
        if (v == NULL) {
            continue;
        }
        if (fg_strlcpy(copy, v, sizeof(copy)) < 0) {
            fg_error_set(err, "environment", 0, "%s: value longer than %zu bytes",
                         fg_keys[i].env, sizeof(copy) - 1);
            return -1;
        }
        if (set_value(pol, fg_keys[i].key, trim(copy), &why, &expect) < 0) {
            value_error(err, "environment", 0, fg_keys[i].env, copy, why, expect);
            return -1;
        }
        pol->source[i].kind = FG_SRC_ENV;
        pol->source[i].line = 0;
    }
    return 0;
}

int fg_policy_load(fg_policy_t *pol, const char *path, fg_getenv_fn get,
                   fg_error_t *err)
{
    fg_policy_init_defaults(pol);
    if (path == NULL) {
        path = get("FABGUARD_POLICY");
    }
    if (path != NULL && path[0] != '\0' &&
        fg_policy_load_file(pol, path, err) < 0) {
        return -1;
    }
    return fg_policy_apply_env(pol, get, err);
}

void fg_policy_value_text(const fg_policy_t *pol, fg_key_t key, char *buf,
                          size_t cap)
{
    const fg_list_t *l = key_list((fg_policy_t *)pol, key);

    if (l != NULL) {
        list_join(l, buf, cap);
        return;
    }
    switch (key) {
    case FG_KEY_MODE:         fg_strlcpy(buf, fg_mode_name(pol->mode), cap); break;
    case FG_KEY_ON_VIOLATION: fg_strlcpy(buf, fg_action_name(pol->on_violation), cap); break;
    case FG_KEY_LOG:          fg_strlcpy(buf, pol->log ? pol->log : "", cap); break;
    case FG_KEY_NCCL_REQUIRE_NET:
        fg_strlcpy(buf, pol->nccl.require_net ? pol->nccl.require_net : "", cap);
        break;
    case FG_KEY_UCX_GPU_DIRECT_RDMA:
        fg_strlcpy(buf, pol->ucx.gpu_direct_rdma == FG_GDR_REQUIRE ? "require" : "any", cap);
        break;
    case FG_KEY_NCCL_GPU_DIRECT_RDMA:
        fg_strlcpy(buf, pol->nccl.gpu_direct_rdma == FG_GDR_REQUIRE ? "require" : "any", cap);
        break;
    case FG_KEY_LIBFABRIC_HMEM:
        fg_strlcpy(buf, pol->libfabric.hmem == FG_GDR_REQUIRE ? "require" : "any", cap);
        break;
    case FG_KEY_TOPO_RAIL_AFFINITY:
        fg_strlcpy(buf, (const char *[]){ "any", "warn", "require" }[pol->topology.rail_affinity], cap);
        break;
    case FG_KEY_TOPO_RAIL_MAX_DISTANCE:
        fg_strlcpy(buf, fg_dist_name(pol->topology.rail_max_distance), cap);
        break;
    case FG_KEY_TOPO_SAME_HOST_GPU:
        fg_strlcpy(buf, (const char *[]){ "any", "warn", "require_nvlink" }[pol->topology.same_host_gpu], cap);
        break;
    default:
        fg_strlcpy(buf, "", cap);
        break;
    }
}

int fg_policy_program_selected(const fg_policy_t *pol, const char *prog)
{
    if (!fg_list_empty(&pol->only_programs) &&
        !fg_list_match(&pol->only_programs, prog)) {
        return 0;
    }
    return !fg_list_match(&pol->skip_programs, prog);
}

int fg_policy_check_env_names(char *const *envp, fg_error_t *err)
{
    const char *cands[FG_KEY_COUNT + 2];
    size_t      i, n = 0;

    for (i = 0; i < FG_KEY_COUNT; i++) {
        cands[n++] = fg_keys[i].env;
    }
    cands[n++] = "FABGUARD_POLICY";
    cands[n++] = "FABGUARD_LIB";
    for (; envp != NULL && *envp != NULL; envp++) {
        char        name[128];
        const char *eq = strchr(*envp, '='), *hint;
        size_t      len = eq ? (size_t)(eq - *envp) : strlen(*envp), k;
        int         known = 0;

        if (strncmp(*envp, "FABGUARD_", 9) != 0 || len >= sizeof(name)) {
            continue;
        }
        memcpy(name, *envp, len);
        name[len] = '\0';
        for (k = 0; k < n && !known; k++) {
            known = strcmp(name, cands[k]) == 0;
        }
        if (known) {
            continue;
        }
        hint = closest(name, cands, n);
        if (hint != NULL) {
            fg_error_set(err, "environment", 0,
                         "unknown variable %s (did you mean %s?)", name, hint);
        } else {
            fg_error_set(err, "environment", 0, "unknown variable %s", name);
        }
        return -1;
    }
    return 0;
}
