/* fabguard report [--json|--prometheus] [--output FILE] PATH…: one table over
 * the event logs of many processes, pods and nodes, with violations grouped by
 * rule and the odd node out (asymmetric GDR, device skew, management NIC, TCP
 * on some hosts); or the same counts as Prometheus metrics (report_prom.c).
 * Symlinked files and folders are read once ((st_dev, st_ino) seen before is
 * skipped): /var/log/containers/ links point into /var/log/pods, and a link
 * to its own folder would otherwise be walked for ever. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fabguard/event_read.h"
#include "fabguard/json.h"
#include "fabguard/lanes.h"
#include "cli.h"
#include "report.h"

static unsigned long hash(const char *s)
{
    return (unsigned long)fg_fnv1a(FG_FNV1A_BASIS, s);
}

/* Find or append the record whose key (its first member, a string) is
 * `key` in an array indexed by open addressing (cap a power of two, slots
 * of -1 free); grows both. *added says a new, zeroed record was appended. */
static void *keyed_find_or_add(void **arr, size_t *n, size_t *cap, size_t **slots,
                               size_t elem, size_t first_cap, const char *key, int *added)
{
    size_t i, s;

    *added = 0;
    if ((*n + 1) * 2 > *cap) {   /* grow the index, keep the array */
        size_t ncap = *cap ? *cap * 2 : first_cap, *ns = malloc(ncap * sizeof(*ns));
        void  *na   = realloc(*arr, ncap * elem);
        if (ns == NULL || na == NULL) { free(ns); if (na) *arr = na; return NULL; }
        *arr = na;
        for (i = 0; i < ncap; i++) ns[i] = (size_t)-1;
        for (i = 0; i < *n; i++) {
            s = hash((const char *)*arr + i * elem) & (ncap - 1);
            while (ns[s] != (size_t)-1) s = (s + 1) & (ncap - 1);
            ns[s] = i;
        }
        free(*slots);
        *slots = ns;
        *cap   = ncap;
    }
    for (s = hash(key) & (*cap - 1); (*slots)[s] != (size_t)-1; s = (s + 1) & (*cap - 1)) {
        char *rec = (char *)*arr + (*slots)[s] * elem;
        if (strcmp(rec, key) == 0) return rec;
    }
    (*slots)[s] = *n;
    memset((char *)*arr + *n * elem, 0, elem);
    *added = 1;
    return (char *)*arr + (*n)++ * elem;
}

static group_t *group_of(report_t *r, const fg_event_rec_t *e, const char *pod)
{
    char     key[300];
    int      added;
    group_t *g;

    snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", e->host, pod, e->prog);
    g = keyed_find_or_add((void **)&r->g, &r->ng, &r->cap, &r->slots, sizeof(*g), 256, key, &added);
    if (g != NULL && added) {
        fg_strlcpy(g->key, key, sizeof(g->key));
        fg_strlcpy(g->host, e->host, sizeof(g->host));
        fg_strlcpy(g->pod, pod, sizeof(g->pod));
        fg_strlcpy(g->prog, e->prog, sizeof(g->prog));
    }
    return g;
}

/* ---- rails: GPU -> NICs used, per host ---------------------------------- */

static rail_row_t *rail_of(rails_t *t, const char *host, const char *gpu)
{
    char        key[168];
    int         added;
    rail_row_t *row;

    snprintf(key, sizeof(key), "%s\x1f%s", host, gpu);
    row = keyed_find_or_add((void **)&t->row, &t->n, &t->cap, &t->slots, sizeof(*row), 64, key, &added);
    if (row != NULL && added) {
        fg_strlcpy(row->key, key, sizeof(row->key));
        fg_strlcpy(row->host, host, sizeof(row->host));
        fg_strlcpy(row->gpu, gpu, sizeof(row->gpu));
    }
    return row;
}

/* A NIC name without its port ("mlx5_0:1" -> "mlx5_0"), once per row. */
static void rail_add_nic(rail_row_t *row, const char *nic, size_t n)
{
    const char *colon = memchr(nic, ':', n);
    char        name[48];
    int         k;

    if (colon != NULL) n = (size_t)(colon - nic);
    if (n == 0) return;
    if (n >= sizeof(name)) n = sizeof(name) - 1;
    memcpy(name, nic, n);
    name[n] = '\0';
    for (k = 0; k < row->nnic && strcmp(row->nic[k], name) != 0; k++) {}
    if (k == row->nnic && k < MAX_RAIL_NICS) fg_strlcpy(row->nic[row->nnic++], name, sizeof(row->nic[0]));
}

static void add_rail(report_t *r, const fg_event_rec_t *e)
{
    rail_row_t *row;
    int         i;

    if (e->gpu[0] == '\0' || (row = rail_of(&r->rails, e->host, e->gpu)) == NULL) return;
    row->events++;
    row->wrong_rail += strcmp(e->rule, "topology.rail_affinity") == 0;
    row->same_host += strcmp(e->rule, "topology.same_host_gpu") == 0;
    if (e->nic[0] != '\0') {   /* "mlx5_0" or "mlx5_0,mlx5_3" */
        const char *p = e->nic;
        while (*p) {
            size_t n = strcspn(p, ",");
            rail_add_nic(row, p, n);
            p += n;
            if (*p == ',') p++;
        }
        return;
    }
    for (i = 0; i < e->nlanes; i++) {   /* UCX: the network lanes' devices */
        if (e->lane_dev[i][0] != '\0' && !fg_lane_is_memory(e->lane_tl[i])) {
            rail_add_nic(row, e->lane_dev[i], strlen(e->lane_dev[i]));
        }
    }
}

static void print_rails(const report_t *r, FILE *out)
{
    size_t i;
    int    k;

    if (r->rails.n == 0) return;
    fprintf(out, "\nrails (GPU -> NICs used, from events naming a GPU):\n");
    fprintf(out, "  %-16s %-14s %-24s %7s  %s\n", "HOST", "GPU", "NICS", "EVENTS", "TOPOLOGY FINDINGS");
    for (i = 0; i < r->rails.n; i++) {
        const rail_row_t *row = &r->rails.row[i];
        char              nics[MAX_RAIL_NICS * 49] = "";
        for (k = 0; k < row->nnic; k++) {
            if (k) strcat(nics, ",");
            strcat(nics, row->nic[k]);
        }
        fprintf(out, "  %-16s %-14s %-24s %7ld ", row->host, row->gpu, row->nnic ? nics : "(none named)", row->events);
        if (row->wrong_rail) fprintf(out, " wrong rail x%ld", row->wrong_rail);
        if (row->same_host) fprintf(out, " same-host not NVLink x%ld", row->same_host);
        if (!row->wrong_rail && !row->same_host) fprintf(out, " none");
        fprintf(out, "\n");
    }
}

static void rails_json(const report_t *r, fg_sbuf_t *sb)
{
    size_t i;
    int    k;

    if (r->rails.n == 0) return;   /* beside the documented keys only when there are rows */
    fg_sb_puts(sb, ",\"rails\":[");
    for (i = 0; i < r->rails.n; i++) {
        const rail_row_t *row = &r->rails.row[i];
        int               first = 1;
        fg_sb_puts(sb, i ? ",{" : "{");
        fg_json_kv_str(sb, &first, "host", row->host);
        fg_json_kv_str(sb, &first, "gpu", row->gpu);
        fg_json_key(sb, &first, "nics");
        fg_sb_putc(sb, '[');
        for (k = 0; k < row->nnic; k++) {
            if (k) fg_sb_putc(sb, ',');
            fg_json_str(sb, row->nic[k]);
        }
        fg_sb_putc(sb, ']');
        fg_json_kv_long(sb, &first, "events", row->events);
        fg_json_kv_long(sb, &first, "wrong_rail", row->wrong_rail);
        fg_json_kv_long(sb, &first, "same_host", row->same_host);
        fg_sb_putc(sb, '}');
    }
    fg_sb_putc(sb, ']');
}

/* "[pod/decode-0/worker] " (kubectl logs --prefix) -> "decode-0" */
static void pod_of(const char *prefix, char *out, size_t cap)
{
    const char *p = strstr(prefix, "[pod/"), *e;
    out[0] = '\0';
    if (p == NULL) return;
    p += 5;
    e = strchr(p, '/');
    if (e == NULL) e = strchr(p, ']');
    if (e == NULL) return;
    snprintf(out, cap, "%.*s", (int)(e - p), p);
}

/* Index of the rule (added on first sight), -1 when out of memory. */
static int add_rule(report_t *r, const fg_event_rec_t *e)
{
    int i, k;
    for (i = 0; i < r->nrules && strcmp(r->rules[i].rule, e->rule) != 0; i++) {}
    if (i == r->nrules) {
        if (r->nrules == r->rcap) {
            int     ncap = r->rcap ? r->rcap * 2 : 64;
            rule_t *nr   = realloc(r->rules, (size_t)ncap * sizeof(*nr));
            if (nr == NULL) return -1;
            r->rules = nr;
            r->rcap  = ncap;
        }
        memset(&r->rules[i], 0, sizeof(rule_t));
        fg_strlcpy(r->rules[i].rule, e->rule, sizeof(r->rules[i].rule));
        fg_strlcpy(r->rules[i].example, e->detail, sizeof(r->rules[i].example));
        r->nrules++;
    }
    r->rules[i].count++;
    for (k = 0; k < r->rules[i].nhosts && strcmp(r->rules[i].hosts[k], e->host) != 0; k++) {}
    if (k == r->rules[i].nhosts && k < MAX_RULE_HOSTS) {
        fg_strlcpy(r->rules[i].hosts[k], e->host, sizeof(r->rules[i].hosts[k]));
        r->rules[i].nhosts++;
    } else if (k == MAX_RULE_HOSTS) {
        r->rules[i].more_hosts = 1;
    }
    return i;
}

static void group_rule(group_t *g, int rule)
{
    int k;
    for (k = 0; k < g->nrv && g->rv[k].rule != rule; k++) {}
    if (k == g->nrv) {
        if (g->nrv == g->rvcap) {
            int           ncap = g->rvcap ? g->rvcap * 2 : 4;
            rule_count_t *n    = realloc(g->rv, (size_t)ncap * sizeof(*n));
            if (n == NULL) return;
            g->rv    = n;
            g->rvcap = ncap;
        }
        g->rv[k].rule = rule;
        g->rv[k].n    = 0;
        g->nrv++;
    }
    g->rv[k].n++;
}

static int verdict_of(const char *v)
{
    return !strcmp(v, "ok") ? V_OK : !strcmp(v, "violation") ? V_VIOLATION : V_INFO;
}

/* A process counts once however many "not seen" events it wrote (one at
 * load, one in its summary); beyond the pids kept, each event counts. */
static void add_unchecked(group_t *g, const fg_event_rec_t *e)
{
    int k;

    for (k = 0; k < g->nunchecked_pid && g->unchecked_pid[k] != e->pid; k++) {}
    if (k < g->nunchecked_pid) return;
    if (g->nunchecked_pid < 32) g->unchecked_pid[g->nunchecked_pid++] = e->pid;
    g->unchecked++;
    if (g->unchecked_why[0] == '\0') fg_strlcpy(g->unchecked_why, e->detail, sizeof(g->unchecked_why));
}

static long total_unchecked(const report_t *r)
{
    long   n = 0;
    size_t i;

    for (i = 0; i < r->ng; i++) n += r->g[i].unchecked;
    return n;
}

/* The tally of a libfabric provider (added on first sight; beyond
 * MAX_FI_TALLY distinct names, "other"). NULL when out of memory. */
static fi_tally_t *fi_tally(report_t *r, const char *provider)
{
    int i;

    if (r->nfi >= MAX_FI_TALLY) provider = "other";
    for (i = 0; i < r->nfi && strcmp(r->fi[i].provider, provider) != 0; i++) {}
    if (i < r->nfi) return &r->fi[i];
    if (r->nfi == r->ficap) {
        int         ncap = r->ficap ? r->ficap * 2 : 8;
        fi_tally_t *n    = realloc(r->fi, (size_t)ncap * sizeof(*n));
        if (n == NULL) return NULL;
        r->fi    = n;
        r->ficap = ncap;
    }
    memset(&r->fi[i], 0, sizeof(r->fi[i]));
    fg_strlcpy(r->fi[i].provider, provider, sizeof(r->fi[i].provider));
    r->nfi++;
    return &r->fi[i];
}

/* lib=libfabric: fabric events (fi_fabric, not fi_getinfo's refusals in
 * enforce+fail) and domain events count per provider; a domain event adds
 * its provider@domain to the group. */
static void add_libfabric(report_t *r, group_t *g, const fg_event_rec_t *e)
{
    const char *prov = e->fi_provider[0] ? e->fi_provider : "?";
    fi_tally_t *t;
    char        kind[200];
    int         k, dom = !strcmp(e->event, "domain");

    if (!dom && !(strcmp(e->event, "fabric") == 0 && strncmp(e->fi_api, "fi_fabric", 9) == 0)) return;
    if ((t = fi_tally(r, prov)) != NULL) {
        if (dom) t->domain[verdict_of(e->verdict)]++;
        else t->fabric[verdict_of(e->verdict)]++;
    }
    if (!dom) return;
    snprintf(kind, sizeof(kind), "%s@%s", prov, e->fi_domain[0] ? e->fi_domain : "?");
    for (k = 0; k < g->nfi_dom && strcmp(g->fi_dom[k], kind) != 0; k++) {}
    if (k == g->nfi_dom && k < MAX_FI_KINDS) fg_strlcpy(g->fi_dom[g->nfi_dom++], kind, sizeof(g->fi_dom[0]));
    if (k < MAX_FI_KINDS) g->fi_dom_n[k]++;
}

static void add_event(report_t *r, const fg_event_rec_t *e)
{
    char     pod[96], lane[100];
    group_t *g;
    int      i, k;

    pod_of(e->prefix, pod, sizeof(pod));
    if ((g = group_of(r, e, pod)) == NULL) return;
    r->events++;
    g->events++;
    add_rail(r, e);
    if (strcmp(e->verdict, "violation") == 0 && strcmp(e->event, "summary") != 0) {
        int rule = add_rule(r, e);
        g->violations++;
        if (rule >= 0) group_rule(g, rule);
        g->mgmt |= strcmp(e->rule, "fabguard.management_ifaces") == 0;
        g->gdr_off |= strstr(e->rule, "gpu_direct_rdma") != NULL;
    }
    if (strcmp(e->event, "summary") == 0) {
        g->processes++;
        if (strstr(e->detail, "not checked") != NULL || e->unobserved) r->procs_not_checked++;
        else r->procs_checked++;
        if (e->counts_endpoints > 0) g->endpoints += e->counts_endpoints;
        if (e->counts_comms > 0) g->comms += e->counts_comms;
    }
    if (strcmp(e->lib, "nccl") == 0 && strcmp(e->event, "comm") == 0) r->comm_verdict[verdict_of(e->verdict)]++;
    if ((strcmp(e->event, "summary") == 0 && e->unobserved) ||
        (strcmp(e->lib, "fabguard") == 0 && strcmp(e->event, "unobserved") == 0)) {
        add_unchecked(g, e);
    }
    if (strcmp(e->lib, "ucx") == 0 && strcmp(e->event, "endpoint") == 0) {
        r->ep_verdict[verdict_of(e->verdict)]++;
        for (i = 0; i < e->nlanes; i++) {
            if (e->lane_dev[i][0] == '\0') continue;   /* connection manager */
            snprintf(lane, sizeof(lane), "%s/%s", e->lane_tl[i], e->lane_dev[i]);
            g->tcp |= strcmp(e->lane_tl[i], "tcp") == 0;
            for (k = 0; k < g->nlane && strcmp(g->lane[k], lane) != 0; k++) {}
            if (k == g->nlane && k < MAX_LANE_KINDS) fg_strlcpy(g->lane[g->nlane++], lane, sizeof(g->lane[0]));
            if (k < MAX_LANE_KINDS) g->lane_n[k]++;
        }
    }
    if (strcmp(e->lib, "libfabric") == 0) add_libfabric(r, g, e);
    if (strcmp(e->lib, "nccl") == 0 && e->detail[0] && strstr(e->detail, "using network ") != NULL) {
        sscanf(strstr(e->detail, "using network ") + 14, "%63s", g->nccl_net);
    }
}

/* Bounded line reading: a line longer than FG_READ_LINE_MAX is skipped
 * (counted as too long) without ever holding more than the cap in memory. */
static void read_stream(report_t *r, FILE *f)
{
    static char    line[FG_READ_LINE_MAX + 2];
    fg_event_rec_t e;

    while (fgets(line, sizeof(line), f) != NULL) {
        size_t           n = strlen(line);
        fg_read_status_t st;
        r->lines++;
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            int c;
            while ((c = getc(f)) != EOF && c != '\n') {}   /* drop the rest */
            r->skipped[FG_READ_TOO_LONG]++;
            continue;
        }
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        st = fg_event_read_line(line, n, &e);
        if (st == FG_READ_OK) add_event(r, &e);
        else r->skipped[st]++;
    }
}

static size_t id_slot(const idset_t *s, dev_t dev, ino_t ino)
{
    size_t i = (size_t)(((unsigned long)dev * 1099511628211UL) ^ (unsigned long)ino) & (s->cap - 1);
    while (s->dev[i] != 0 || s->ino[i] != 0) {
        if (s->dev[i] == dev && s->ino[i] == ino) break;
        i = (i + 1) & (s->cap - 1);
    }
    return i;
}

/* 1 when (dev, ino) is new (now recorded), 0 when seen before, -1 no memory.
 * An empty slot is (0, 0): no file system hands out inode 0 on device 0. */
static int id_add(idset_t *s, dev_t dev, ino_t ino)
{
    size_t i;
    if ((s->n + 1) * 2 > s->cap) {
        idset_t ns = { NULL, NULL, 0, s->cap ? s->cap * 2 : 1024 };
        ns.dev = calloc(ns.cap, sizeof(*ns.dev));
        ns.ino = calloc(ns.cap, sizeof(*ns.ino));
        if (ns.dev == NULL || ns.ino == NULL) { free(ns.dev); free(ns.ino); return -1; }
        for (i = 0; i < s->cap; i++) {
            if (s->dev[i] == 0 && s->ino[i] == 0) continue;
            size_t k = id_slot(&ns, s->dev[i], s->ino[i]);
            ns.dev[k] = s->dev[i];
            ns.ino[k] = s->ino[i];
        }
        ns.n = s->n;
        free(s->dev);
        free(s->ino);
        *s = ns;
    }
    i = id_slot(s, dev, ino);
    if (s->dev[i] == dev && s->ino[i] == ino && (dev != 0 || ino != 0)) return 0;
    s->dev[i] = dev;
    s->ino[i] = ino;
    s->n++;
    return 1;
}

static void read_path(report_t *r, const char *path, int depth)
{
    struct stat st;
    FILE       *f;
    int         fresh;

    if (strcmp(path, "-") == 0) { read_stream(r, stdin); return; }
    if (stat(path, &st) < 0) {
        struct stat lst;
        /* a dangling link met inside a folder (a pod's log deleted under
         * /var/log/containers) is skipped; a path given by name is an error */
        if (depth > 0 && errno == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
            r->dup_paths++;
            return;
        }
        fprintf(stderr, "fabguard report: %s: %s\n", path, strerror(errno));
        r->errors++;
        return;
    }
    /* read every file and folder once, whatever links lead to it again */
    if ((fresh = id_add(&r->seen, st.st_dev, st.st_ino)) <= 0) {
        if (fresh < 0) {
            fprintf(stderr, "fabguard report: %s: out of memory\n", path);
            r->errors++;
        } else {
            r->dup_paths++;
        }
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR           *d = opendir(path);
        struct dirent *de;
        if (d == NULL || depth > 32) {
            fprintf(stderr, "fabguard report: %s: %s\n", path, d ? "too deep" : strerror(errno));
            r->errors++;
            if (d) closedir(d);
            return;
        }
        while ((de = readdir(d)) != NULL) {
            char sub[4096];
            if (de->d_name[0] == '.') continue;
            if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub)) {
                fprintf(stderr, "fabguard report: %s/%s: path too long\n", path, de->d_name);
                r->errors++;
                continue;
            }
            read_path(r, sub, depth + 1);
        }
        closedir(d);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "fabguard report: %s: not a regular file\n", path);
        r->errors++;
        return;
    }
    if ((f = fopen(path, "re")) == NULL) {
        fprintf(stderr, "fabguard report: %s: %s\n", path, strerror(errno));
        r->errors++;
        return;
    }
    read_stream(r, f);
    fclose(f);
}

/* Hosts (aggregated over their groups) that have `flag` while others don't. */
typedef int (*flag_fn)(const group_t *);
static int f_tcp(const group_t *g) { return g->tcp; }
static int f_mgmt(const group_t *g) { return g->mgmt; }
static int f_gdr(const group_t *g) { return g->gdr_off; }

static int hosts_with(const report_t *r, flag_fn fn, int want, char *out, size_t cap)
{
    fg_sbuf_t sb;
    size_t    i, j;
    int       n = 0;

    fg_sb_init(&sb, out, cap);
    for (i = 0; i < r->ng; i++) {
        int has = 0, dup = 0;
        for (j = 0; j < r->ng; j++) if (!strcmp(r->g[j].host, r->g[i].host)) has |= fn(&r->g[j]);
        for (j = 0; j < i; j++) dup |= !strcmp(r->g[j].host, r->g[i].host);
        if (has == want && !dup) {
            fg_sb_printf(&sb, "%s%s", n ? ", " : "", r->g[i].host);
            n++;
        }
    }
    return n;
}

typedef struct { const char *name; flag_fn fn; const char *what; } outlier_t;
static const outlier_t outliers[] = {
    { "management_nic", f_mgmt, "data on the management NIC" },
    { "gdr_asymmetric", f_gdr, "GPUDirect RDMA off" },
    { "tcp_some_hosts", f_tcp, "UCX lanes over tcp" },
};

/* Device skew: hosts where several processes all use one network device
 * (ranks that should spread over the HCAs piled onto one, e.g. no
 * UCX_NET_DEVICES per rank) while other hosts spread over several. */
#define SKEW_DEVS 8
typedef struct {
    const char *host;
    char        dev[SKEW_DEVS][100];
    int         ndev;      /* SKEW_DEVS + 1: more than we keep */
    long        procs;
} host_devs_t;

static void add_dev(host_devs_t *h, const char *dev)
{
    int k;
    for (k = 0; k < h->ndev && k < SKEW_DEVS && strcmp(h->dev[k], dev) != 0; k++) {}
    if (k < h->ndev) return;
    if (h->ndev < SKEW_DEVS) fg_strlcpy(h->dev[h->ndev], dev, sizeof(h->dev[0]));
    if (h->ndev <= SKEW_DEVS) h->ndev++;
}

/* Fills OUT with "node-d (3 processes, all on mlx5_0:1)", OTHERS with the
 * hosts that spread; returns how many hosts are skewed. */
static int device_skew(const report_t *r, char *out, size_t cap, char *others, size_t ocap)
{
    host_devs_t *h = calloc(r->ng + 1, sizeof(*h));
    fg_sbuf_t    sb, so;
    size_t       i, nh = 0, j;
    int          k, n = 0, spread = 0;

    fg_sb_init(&sb, out, cap);
    fg_sb_init(&so, others, ocap);
    if (h == NULL) return 0;
    for (i = 0; i < r->ng; i++) {
        const group_t *g = &r->g[i];
        for (j = 0; j < nh && strcmp(h[j].host, g->host) != 0; j++) {}
        if (j == nh) h[nh++].host = g->host;
        h[j].procs += g->processes > 0 ? g->processes : 1;
        for (k = 0; k < g->nlane; k++) {
            char tl[100], *slash;
            fg_strlcpy(tl, g->lane[k], sizeof(tl));
            if ((slash = strchr(tl, '/')) == NULL) continue;
            *slash = '\0';
            if (!fg_lane_is_memory(tl)) add_dev(&h[j], slash + 1);
        }
    }
    for (j = 0; j < nh; j++) {
        if (h[j].ndev < 2) continue;
        fg_sb_printf(&so, "%s%s", spread ? ", " : "", h[j].host);
        spread++;
    }
    for (j = 0; j < nh && spread > 0; j++) {
        if (h[j].ndev != 1 || h[j].procs < 2) continue;
        fg_sb_printf(&sb, "%s%s (%ld processes, all on %s)", n ? ", " : "", h[j].host, h[j].procs, h[j].dev[0]);
        n++;
    }
    free(h);
    return n;
}

/* Room for any host list: every group's host (or skew entry) once. */
static size_t list_cap(const report_t *r)
{
    return (r->ng + 1) * 400 + 256;
}

static void print_human(const report_t *r, FILE *out)
{
    size_t i, lcap = list_cap(r);
    int    k, o;
    char  *with = malloc(lcap), *without = malloc(lcap);

    if (with == NULL || without == NULL) {
        free(with);
        free(without);
        fprintf(stderr, "fabguard report: out of memory\n");
        return;
    }

    fprintf(out, "fabguard report: %ld events, %zu host/pod/program groups; %ld lines skipped "
           "(%ld without JSON, %ld malformed, %ld not events, %ld too long)\n\n",
           r->events, r->ng, r->skipped[1] + r->skipped[2] + r->skipped[3] + r->skipped[4],
           r->skipped[1], r->skipped[2], r->skipped[3], r->skipped[4]);
    fprintf(out, "%-16s %-14s %-12s %7s %5s %5s  %s\n", "HOST", "POD", "PROGRAM", "EVENTS", "VIOL", "PROCS", "UCX LANES (endpoint events)  NCCL  LIBFABRIC (provider@domain)");
    for (i = 0; i < r->ng; i++) {
        const group_t *g = &r->g[i];
        fprintf(out, "%-16s %-14s %-12s %7ld %5ld %5ld ", g->host, g->pod[0] ? g->pod : "-", g->prog,
               g->events, g->violations, g->processes);
        for (k = 0; k < g->nlane; k++) fprintf(out, " %s x%ld", g->lane[k], g->lane_n[k]);
        fprintf(out, "%s%s", g->nccl_net[0] ? "  net " : "", g->nccl_net);
        for (k = 0; k < g->nfi_dom; k++) fprintf(out, "%s %s x%ld", k ? "" : "  libfabric", g->fi_dom[k], g->fi_dom_n[k]);
        fprintf(out, "\n");
    }
    fprintf(out, "\nviolations by rule:\n");
    for (k = 0; k < r->nrules; k++) {
        fprintf(out, "  %-28s %6ld  hosts:", r->rules[k].rule, r->rules[k].count);
        for (o = 0; o < r->rules[k].nhosts; o++) fprintf(out, " %s", r->rules[k].hosts[o]);
        if (r->rules[k].more_hosts) fprintf(out, " …");
        fprintf(out, "  e.g. %s\n", r->rules[k].example);
    }
    if (r->nrules == 0) fprintf(out, "  none\n");
    fprintf(out, "\nnot checked (UCX/NCCL calls these processes made were not seen):\n");
    for (i = 0; i < r->ng; i++) {
        const group_t *g = &r->g[i];
        if (g->unchecked == 0) continue;
        fprintf(out, "  %-16s %-14s %-12s %ld process%s  %s\n", g->host, g->pod[0] ? g->pod : "-", g->prog,
               g->unchecked, g->unchecked == 1 ? "" : "es", g->unchecked_why);
    }
    if (total_unchecked(r) == 0) fprintf(out, "  none\n");
    fprintf(out, "\noutliers:\n");
    k = 0;
    for (o = 0; o < 3; o++) {
        int n = hosts_with(r, outliers[o].fn, 1, with, lcap);
        int m = hosts_with(r, outliers[o].fn, 0, without, lcap);
        if (n > 0 && m > 0) {
            fprintf(out, "  %-15s %s on %s only (not on %s)\n", outliers[o].name, outliers[o].what, with, without);
            k++;
        } else if (n > 0 && o == 0) {
            fprintf(out, "  %-15s %s on %s\n", outliers[o].name, outliers[o].what, with);
            k++;
        }
    }
    if (device_skew(r, with, lcap, without, lcap) > 0) {
        fprintf(out, "  %-15s one network device for every process on %s (others spread: %s)\n", "device_skew", with, without);
        k++;
    }
    if (k == 0) fprintf(out, "  none\n");
    print_rails(r, out);
    if (r->dup_paths > 0) fprintf(out, "\n%ld links to files or folders already read (or to nothing) were skipped\n", r->dup_paths);
    free(with);
    free(without);
}

/* "libfabric_domains": [{"provider","domain","count"}] of a group's domain events. */
static void put_fi_domains(fg_sbuf_t *sb, int *first, const group_t *g)
{
    int k;

    fg_json_key(sb, first, "libfabric_domains");
    fg_sb_putc(sb, '[');
    for (k = 0; k < g->nfi_dom; k++) {
        const char *at = strchr(g->fi_dom[k], '@');   /* provider names hold no @ */
        char        prov[200];
        int         f2 = 1;
        snprintf(prov, sizeof(prov), "%.*s", (int)(at - g->fi_dom[k]), g->fi_dom[k]);
        fg_sb_puts(sb, k ? ",{" : "{");
        fg_json_kv_str(sb, &f2, "provider", prov);
        fg_json_kv_str(sb, &f2, "domain", at + 1);
        fg_json_kv_long(sb, &f2, "count", g->fi_dom_n[k]);
        fg_sb_putc(sb, '}');
    }
    fg_sb_putc(sb, ']');
}

/* Builds the whole object in BUF; sb.truncated tells the caller to grow it. */
static void build_json(const report_t *r, fg_sbuf_t *sbp, char *with, char *without, size_t lcap)
{
    fg_sbuf_t sb = *sbp;
    size_t    i;
    int       k, o, first;

    fg_sb_printf(&sb, "{\"events\":%ld,\"lines\":%ld,\"skipped\":{\"no_json\":%ld,\"malformed\":%ld,"
                      "\"not_event\":%ld,\"too_long\":%ld},\"duplicate_paths\":%ld,\"groups\":[",
                 r->events, r->lines, r->skipped[1], r->skipped[2], r->skipped[3], r->skipped[4], r->dup_paths);
    for (i = 0; i < r->ng; i++) {
        const group_t *g = &r->g[i];
        first = 1;
        fg_sb_puts(&sb, i ? ",{" : "{");
        fg_json_kv_str(&sb, &first, "host", g->host);
        fg_json_kv_str(&sb, &first, "pod", g->pod[0] ? g->pod : NULL);
        fg_json_kv_str(&sb, &first, "prog", g->prog);
        fg_json_kv_long(&sb, &first, "events", g->events);
        fg_json_kv_long(&sb, &first, "violations", g->violations);
        fg_json_kv_long(&sb, &first, "processes", g->processes);
        fg_json_kv_long(&sb, &first, "endpoints", g->endpoints);
        fg_json_key(&sb, &first, "ucx_lanes");
        fg_sb_putc(&sb, '{');
        for (k = 0; k < g->nlane; k++) {
            int f2 = k == 0;
            fg_json_kv_long(&sb, &f2, g->lane[k], g->lane_n[k]);
        }
        fg_sb_putc(&sb, '}');
        fg_json_kv_str(&sb, &first, "nccl_net", g->nccl_net[0] ? g->nccl_net : NULL);
        put_fi_domains(&sb, &first, g);
        fg_json_kv_long(&sb, &first, "not_checked", g->unchecked);
        fg_json_kv_str(&sb, &first, "not_checked_why", g->unchecked ? g->unchecked_why : NULL);
        fg_sb_putc(&sb, '}');
    }
    fg_sb_puts(&sb, "],\"rules\":[");
    for (k = 0; k < r->nrules; k++) {
        first = 1;
        fg_sb_puts(&sb, k ? ",{" : "{");
        fg_json_kv_str(&sb, &first, "rule", r->rules[k].rule);
        fg_json_kv_long(&sb, &first, "count", r->rules[k].count);
        fg_json_kv_str(&sb, &first, "example", r->rules[k].example);
        fg_json_key(&sb, &first, "hosts");
        fg_sb_putc(&sb, '[');
        for (o = 0; o < r->rules[k].nhosts; o++) {
            if (o) fg_sb_putc(&sb, ',');
            fg_json_str(&sb, r->rules[k].hosts[o]);
        }
        fg_sb_putc(&sb, ']');
        if (r->rules[k].more_hosts) fg_json_kv_bool(&sb, &first, "more_hosts", 1);
        fg_sb_putc(&sb, '}');
    }
    fg_sb_puts(&sb, "],\"outliers\":[");
    k = 0;
    for (o = 0; o < 3; o++) {
        int n = hosts_with(r, outliers[o].fn, 1, with, lcap);
        int m = hosts_with(r, outliers[o].fn, 0, without, lcap);
        if (n > 0 && (m > 0 || o == 0)) {
            first = 1;
            fg_sb_puts(&sb, k++ ? ",{" : "{");
            fg_json_kv_str(&sb, &first, "kind", outliers[o].name);
            fg_json_kv_str(&sb, &first, "hosts", with);
            fg_json_kv_str(&sb, &first, "others", without);
            fg_sb_putc(&sb, '}');
        }
    }
    if (device_skew(r, with, lcap, without, lcap) > 0) {
        first = 1;
        fg_sb_puts(&sb, k++ ? ",{" : "{");
        fg_json_kv_str(&sb, &first, "kind", "device_skew");
        fg_json_kv_str(&sb, &first, "hosts", with);
        fg_json_kv_str(&sb, &first, "others", without);
        fg_sb_putc(&sb, '}');
    }
    fg_sb_putc(&sb, ']');
    rails_json(r, &sb);
    fg_sb_putc(&sb, '}');
    *sbp = sb;
}

/* Never cut: the buffer grows until the whole object fits. */
static void print_json(const report_t *r, FILE *out)
{
    size_t    cap = 65536 + r->ng * 4096 + (size_t)r->nrules * 4096 + r->rails.n * 1024, lcap = list_cap(r);
    char     *with = malloc(lcap), *without = malloc(lcap), *buf = NULL;
    fg_sbuf_t sb;

    for (;;) {
        char *nb = realloc(buf, cap);
        if (nb == NULL || with == NULL || without == NULL) {
            fprintf(stderr, "fabguard report: out of memory for the JSON output\n");
            break;
        }
        buf = nb;
        fg_sb_init(&sb, buf, cap);
        build_json(r, &sb, with, without, lcap);
        if (!sb.truncated) {
            fputs(buf, out);
            fputc('\n', out);
            break;
        }
        cap *= 2;
    }
    free(buf);
    free(with);
    free(without);
}

/* --output FILE: written beside FILE under a hidden temporary name, then
 * renamed over it, so a reader (node_exporter's textfile collector) sees the
 * old file or the new one, never half of one. */
static FILE *open_output(const char *path, char *tmp, size_t cap)
{
    const char *slash = strrchr(path, '/');
    int         fd;
    FILE       *f;

    if (slash != NULL) {
        if (snprintf(tmp, cap, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1) >= (int)cap) return NULL;
    } else if (snprintf(tmp, cap, ".%s.XXXXXX", path) >= (int)cap) {
        return NULL;
    }
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) return NULL;
    if (fchmod(fd, 0644) < 0 || (f = fdopen(fd, "w")) == NULL) {
        close(fd);
        unlink(tmp);
        return NULL;
    }
    return f;
}

static int close_output(FILE *f, const char *tmp, const char *path)
{
    int bad = ferror(f) | (fflush(f) != 0) | (fsync(fileno(f)) != 0);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_usage_error("report", "--output %s: %s", path, strerror(e));
    }
    return 0;
}

static void report_free(report_t *r)
{
    size_t i;
    for (i = 0; i < r->ng; i++) free(r->g[i].rv);
    free(r->g);
    free(r->slots);
    free(r->rules);
    free(r->rails.row);
    free(r->rails.slots);
    free(r->seen.dev);
    free(r->seen.ino);
    free(r->fi);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fabguard report [--json | --prometheus [--max-label-values N]] [--output FILE] PATH|- …\n"
               "Aggregates fabguard event logs (files, folders recursively, - for stdin;\n"
               "lines may carry a prefix such as kubectl logs --prefix) into one table:\n"
               "per host/pod/program what was used, violations by rule, and outliers.\n"
               "Files and folders reached again through links are read once.\n"
               "--prometheus   the same counts in Prometheus' text format (fabguard_* metrics);\n"
               "               at most N values per label (default 20), the rest as \"other\"\n"
               "--output FILE  write FILE atomically (temporary file + rename), e.g. into\n"
               "               node_exporter's --collector.textfile.directory as fabguard.prom\n"
               "exit: 0 clean, 1 violations or processes not checked, 2 usage or unreadable input\n");
}

int cmd_report(int argc, char **argv)
{
    report_t    r;
    int         fmt = 0, i, npaths = 0, max_values = 20, rc;
    long        violations = 0, unchecked;
    const char *output = NULL;
    char        tmp[4200], *end;
    FILE       *out = stdout;

    memset(&r, 0, sizeof(r));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return FG_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            fmt = 1;
        } else if (!strcmp(argv[i], "--prometheus")) {
            fmt = 2;
        } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
            output = argv[++i];
        } else if (!strcmp(argv[i], "--max-label-values") && i + 1 < argc) {
            max_values = (int)strtol(argv[++i], &end, 10);
            if (*end != '\0' || max_values < 2 || max_values > 10000) {
                return cli_usage_error("report", "--max-label-values %s: expected a number from 2 to 10000", argv[i]);
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            usage(stderr);
            return cli_usage_error("report", "unknown or incomplete option '%s'", argv[i]);
        } else {
            npaths++;
        }
    }
    if (npaths == 0) {
        return cli_usage_error("report", "no input (give files, folders or - for stdin)");
    }
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--output") || !strcmp(argv[i], "--max-label-values")) i++;
        else if (argv[i][0] != '-' || argv[i][1] == '\0') read_path(&r, argv[i], 0);
    }
    if (output != NULL && (out = open_output(output, tmp, sizeof(tmp))) == NULL) {
        report_free(&r);
        return cli_usage_error("report", "--output %s: cannot create a temporary file beside it: %s", output, strerror(errno));
    }
    /* a process that only wrote a load-time "unobserved" event (killed before
     * its summary) is still one not checked */
    if (total_unchecked(&r) > r.procs_not_checked) r.procs_not_checked = total_unchecked(&r);
    if (fmt == 1) print_json(&r, out);
    else if (fmt == 2) report_prometheus(&r, out, max_values);
    else print_human(&r, out);
    for (i = 0; i < r.nrules; i++) violations += r.rules[i].count;
    unchecked = total_unchecked(&r);
    report_free(&r);
    if (output != NULL && (rc = close_output(out, tmp, output)) != 0) return rc;
    if (output == NULL && fflush(stdout) != 0) return cli_usage_error("report", "writing the output: %s", strerror(errno));
    if (r.errors) return FG_EXIT_USAGE;
    /* a process that was not checked is not clean */
    return (violations || unchecked) ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
