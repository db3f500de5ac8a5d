/* NCCL debug-log parser; formats and their NCCL source files are listed in
 * include/fabguard/nccl_log.h. Linear in the input: processes are found by
 * a hash of host:pid, communicators through a per-process chain. */
#include "fabguard/nccl_log.h"
#include "fabguard/libfabric.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FG_NCCL_LINE_MAX 8192   /* longer lines are cut: NCCL's own buffer is 1024,
                                   a re-flowed paste joins many messages */
#define FG_NCCL_TID_SCAN 64     /* comms of a process searched for the thread's own */

void fg_nccl_log_init(fg_nccl_log_t *log)
{
    memset(log, 0, sizeof(*log));
}

void fg_nccl_log_free(fg_nccl_log_t *log)
{
    size_t i;

    for (i = 0; i < log->ncomms; i++) {
        free(log->comms[i].channels);
    }
    free(log->comms);
    free(log->procs);
    free(log->hash);
    memset(log, 0, sizeof(*log));
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void  *p;
    size_t ncap;

    if (n < *cap) {
        return 0;
    }
    ncap = *cap ? *cap * 2 : 8;
    p    = realloc(*arr, ncap * size);
    if (p == NULL) {
        return -1;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

static void copy_trim(char *dst, size_t cap, const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- prefix: "[ts] host:pid:tid [dev] NCCL INFO msg" ------------------- */

typedef struct {
    char        host[64];
    long        pid, tid;
    int         warn, version;
    const char *msg;
} line_head_t;

static int all_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return n > 0;
}

/* Length of an ISO timestamp glued in front of a host name by a log shipper
 * ("2025-05-16T16:39:51.208-07:00ip-10-0-0-1"), 0 when there is none. */
static size_t iso_stamp_len(const char *s, size_t n)
{
    size_t i = 0;

    if (n < 20 || !all_digits(s, 4) || s[4] != '-' || s[7] != '-' || s[10] != 'T') {
        return 0;
    }
    for (i = 11; i < n && (isdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'); i++) {}
    if (i < n && s[i] == 'Z') {
        return i + 1;
    }
    if (i + 6 <= n && (s[i] == '+' || s[i] == '-') && all_digits(s + i + 1, 2) && s[i + 3] == ':' &&
        all_digits(s + i + 4, 2)) {
        return i + 6;
    }
    return i;
}

/* "host:pid:tid" as the token [tok, end): the token may carry a launcher
 * prefix glued on ("[1,0]<stdout>:host:pid:tid") or a timestamp. */
static void parse_ident(const char *tok, const char *end, line_head_t *h)
{
    const char *c2 = NULL, *c1 = NULL, *q, *host;
    size_t      n;

    for (q = end; q > tok; q--) {
        if (q[-1] == ':') {
            if (c2 == NULL) {
                c2 = q - 1;
            } else {
                c1 = q - 1;
                break;
            }
        }
    }
    if (c1 == NULL || !all_digits(c1 + 1, (size_t)(c2 - c1 - 1)) ||
        !all_digits(c2 + 1, (size_t)(end - c2 - 1))) {
        return;
    }
    h->pid = strtol(c1 + 1, NULL, 10);
    h->tid = strtol(c2 + 1, NULL, 10);
    host   = tok;
    for (q = c1; q > tok; q--) {   /* mpirun "[1,0]<stdout>:", torchrun "[default0]:" */
        if (q - tok >= 2 && q[-1] == ':' && (q[-2] == '>' || q[-2] == ']') && *tok == '[') {
            host = q;
            break;
        }
    }
    n = (size_t)(c1 - host);
    {
        size_t ts = iso_stamp_len(host, n);
        host += ts;
        n -= ts;
    }
    if (n >= sizeof(h->host)) {
        n = sizeof(h->host) - 1;
    }
    memcpy(h->host, host, n);
    h->host[n] = '\0';
}

/* The message after a marker ("NCCL INFO "): after " NCCL INFO " anywhere,
 * or at the start of the line when the prefix was not pasted (*bare = 1). */
static const char *find_msg(const char *s, const char *marker, int *bare)
{
    char        spaced[16] = " ";
    const char *k, *p = s;

    fg_strlcpy(spaced + 1, marker, sizeof(spaced) - 1);
    *bare = 0;
    if ((k = strstr(s, spaced)) != NULL) {
        return k + strlen(spaced);
    }
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, marker, strlen(marker)) == 0) {
        *bare = 1;
        return p + strlen(marker);
    }
    return NULL;
}

static int parse_head(const char *line, line_head_t *h)
{
    const char *k, *dev, *tok, *end;
    int         bare;

    memset(h, 0, sizeof(*h));
    h->pid = h->tid = -1;
    if ((h->msg = find_msg(line, "NCCL INFO ", &bare)) == NULL) {
        if ((h->msg = find_msg(line, "NCCL WARN ", &bare)) == NULL) {
            if ((k = strstr(line, "NCCL version ")) == NULL) {
                return -1;
            }
            h->msg     = k;   /* the VERSION level carries no host:pid:tid */
            h->version = 1;
            return 0;
        }
        h->warn = 1;
    }
    if (bare) {
        return 0;             /* message only: the prefix was not pasted */
    }
    k = h->msg - 11;          /* at " NCCL INFO " */
    /* back over "[dev]" (INFO) or "[dev] file:line" (WARN) */
    dev = k;
    while (dev > line && dev[-1] != '[') {
        dev--;
    }
    if (dev == line) {
        return 0;
    }
    dev--;                       /* at '[' */
    end = dev;
    while (end > line && end[-1] == ' ') {
        end--;
    }
    tok = end;
    while (tok > line && tok[-1] != ' ' && tok[-1] != '\t') {
        tok--;
    }
    if (tok < end) {
        parse_ident(tok, end, h);
    }
    return 0;
}

/* ---- processes and communicators --------------------------------------- */

static size_t hash_ident(const char *host, long pid)
{
    size_t hv = (size_t)pid * 2654435761u;

    while (*host) {
        hv = hv * 31 + (unsigned char)*host++;
    }
    return hv;
}

static int rehash(fg_nccl_log_t *log)
{
    size_t cap = log->hashcap ? log->hashcap * 2 : 64, i;
    long  *h   = malloc(cap * sizeof(*h));

    if (h == NULL) {
        return -1;
    }
    for (i = 0; i < cap; i++) {
        h[i] = -1;
    }
    for (i = 0; i < log->nprocs; i++) {
        size_t b            = hash_ident(log->procs[i].host, log->procs[i].pid) & (cap - 1);
        log->procs[i].hnext = h[b];
        h[b]                = (long)i;
    }
    free(log->hash);
    log->hash    = h;
    log->hashcap = cap;
    return 0;
}

static long find_proc(fg_nccl_log_t *log, const line_head_t *h)
{
    fg_nccl_proc_t *p;
    size_t          b;
    long            i;

    if (log->hashcap > 0) {
        b = hash_ident(h->host, h->pid) & (log->hashcap - 1);
        for (i = log->hash[b]; i >= 0; i = log->procs[i].hnext) {
            if (log->procs[i].pid == h->pid && strcmp(log->procs[i].host, h->host) == 0) {
                return i;
            }
        }
    }
    if (grow((void **)&log->procs, &log->capprocs, log->nprocs, sizeof(*log->procs)) < 0) {
        return -1;
    }
    if (log->nprocs + 1 > log->hashcap && rehash(log) < 0) {
        return -1;
    }
    p = &log->procs[log->nprocs];
    memset(p, 0, sizeof(*p));
    fg_strlcpy(p->host, h->host, sizeof(p->host));
    p->pid       = h->pid;
    p->gdr       = -1;
    p->last_comm = -1;
    fg_strlcpy(p->version, log->version, sizeof(p->version));
    b             = hash_ident(p->host, p->pid) & (log->hashcap - 1);
    p->hnext      = log->hash[b];
    log->hash[b]  = (long)log->nprocs;
    return (long)log->nprocs++;
}

static long new_comm(fg_nccl_log_t *log, long proc, long tid)
{
    fg_nccl_comm_t *c;

    if (grow((void **)&log->comms, &log->capcomms, log->ncomms, sizeof(*log->comms)) < 0) {
        return -1;
    }
    c = &log->comms[log->ncomms];
    memset(c, 0, sizeof(*c));
    c->proc         = (size_t)proc;
    c->tid          = tid;
    c->rank         = -1;
    c->nranks       = -1;
    c->prev_in_proc = log->procs[proc].last_comm;
    c->cuda_dev     = -1;
    c->nnodes = c->local_ranks = c->local_rank = -1;
    fg_strlcpy(c->net, log->procs[proc].net, sizeof(c->net));
    log->procs[proc].last_comm = (long)log->ncomms;
    return (long)log->ncomms++;
}

/* The communicator a channel line of (proc, tid) belongs to: the newest one
 * of that thread, else (lazy connections at the first collective, from
 * another thread) the newest of the process. */
static long comm_for(fg_nccl_log_t *log, long proc, long tid)
{
    long i = log->procs[proc].last_comm;
    int  k;

    for (k = 0; i >= 0 && k < FG_NCCL_TID_SCAN; k++, i = log->comms[i].prev_in_proc) {
        if (log->comms[i].tid == tid) {
            return i;
        }
    }
    return log->procs[proc].last_comm >= 0 ? log->procs[proc].last_comm : new_comm(log, proc, tid);
}

/* The communicator being initialised by (proc, tid): its newest one while
 * incomplete, else a new one. */
static long pending_comm(fg_nccl_log_t *log, long proc, long tid)
{
    long i = log->procs[proc].last_comm;
    int  k;

    for (k = 0; i >= 0 && k < FG_NCCL_TID_SCAN; k++, i = log->comms[i].prev_in_proc) {
        if (log->comms[i].tid == tid) {
            return log->comms[i].complete ? new_comm(log, proc, tid) : i;
        }
    }
    return new_comm(log, proc, tid);
}

/* ---- messages ------------------------------------------------------------ */

static void add_device(fg_nccl_proc_t *p, const char *name, size_t n)
{
    if (p->ndev < FG_NCCL_MAX_DEVS && n > 0) {
        copy_trim(p->net_devices[p->ndev++], sizeof(p->net_devices[0]), name, n);
    }
}

/* One device entry starting at s: "mlx5_0:1/IB", "eth0:10.0.0.1<0>";
 * returns where it ends. */
static const char *device_entry(const char *s, fg_nccl_proc_t *p, int sockets)
{
    const char *end = s, *cut;

    while (*end == ' ') {
        s++;
        end++;
    }
    while (*end && *end != ' ' && *end != ';' && *end != '[' && *end != ',' && *end != '}') {
        end++;
    }
    cut = memchr(s, sockets ? ':' : '/', (size_t)(end - s));   /* "eth0:ip", "mlx5_0:1/IB" */
    add_device(p, s, (size_t)((cut ? cut : end) - s));
    return end;
}

/* " [0]mlx5_0:1/IB [1]mlx5_1:1/RoCE [RO]; OOB …", " [0]eth0:10.0.0.1<0>", and
 * merged virtual NICs " [0]={[0] mlx5_2:1/RoCE, [1] mlx5_3:1/RoCE} [1]={…}". */
static void parse_devices(const char *s, fg_nccl_proc_t *p, int sockets)
{
    const char *oob = strstr(s, "; OOB");
    size_t      lim = oob ? (size_t)(oob - s) : strlen(s);
    const char *e   = s + lim;

    p->ndev       = 0;
    p->dev_source = sockets ? 2 : 1;
    while (s < e && (s = memchr(s, '[', (size_t)(e - s))) != NULL) {
        const char *rb = memchr(s, ']', (size_t)(e - s));
        if (rb == NULL || !isdigit((unsigned char)s[1])) {
            s++;
            continue;
        }
        s = rb + 1;
        if (s[0] == '=' && s[1] == '{') {   /* merged: its members are the devices */
            const char *close = memchr(s, '}', (size_t)(e - s));
            const char *q     = s + 2;
            if (close == NULL) close = e;
            while (q < close && (q = memchr(q, '[', (size_t)(close - q))) != NULL) {
                const char *r = memchr(q, ']', (size_t)(close - q));
                if (r == NULL) break;
                q = device_entry(r + 1, p, sockets);
            }
            s = close;
            continue;
        }
        s = device_entry(s, p, sockets);
    }
}

/* ---- rails: GPU identity of comms and channel ranks ---------------------- */

/* "0[1b000]" between s and lim: the bracket's text after the rank number. */
static void rank_bracket(const char *s, const char *lim, char *out, size_t cap)
{
    const char *lb, *rb;

    out[0] = '\0';
    while (s < lim && isdigit((unsigned char)*s)) s++;
    if (s >= lim || *s != '[' || (rb = memchr(s, ']', (size_t)(lim - s))) == NULL) {
        return;
    }
    lb = s + 1;
    copy_trim(out, cap, lb, (size_t)(rb - lb));
}

/* The value after " key " in msg as a long, -1 when absent. */
static long kv_long(const char *msg, const char *key)
{
    const char *p = strstr(msg, key);
    char       *e;
    long        v;

    if (p == NULL) return -1;
    p += strlen(key);
    v = strtol(p, &e, 10);
    return e == p ? -1 : v;
}

/* Init START/COMPLETE: "cudaDev 0 nvmlDev 0 busId 1b000"; and the topology
 * line "comm 0x… rank 1 nRanks 8 nNodes 1 localRanks 8 localRank 1 MNNVL 0"
 * (src/init.cc, 2.19+). */
static void parse_rail_fields(const char *msg, fg_nccl_comm_t *c)
{
    const char *p;
    long        v;

    if ((v = kv_long(msg, " cudaDev ")) >= 0) c->cuda_dev = v;
    if ((p = strstr(msg, " busId ")) != NULL) {
        const char *e = p + 7;
        while (isxdigit((unsigned char)*e)) e++;
        if (e > p + 7) copy_trim(c->busid, sizeof(c->busid), p + 7, (size_t)(e - (p + 7)));
    }
    if ((v = kv_long(msg, " nNodes ")) >= 0) c->nnodes = v;
    if ((v = kv_long(msg, " localRanks ")) >= 0) c->local_ranks = v;
    if ((v = kv_long(msg, " localRank ")) >= 0) c->local_rank = v;
}

/* The comm of proc whose pointer is ptr ("0x…" at msg), -1 if none yet. */
static long comm_by_ptr(const fg_nccl_log_t *log, long proc, const char *msg)
{
    char        ptr[32];
    const char *e = msg + 5;
    long        i;
    int         k;

    while (isxdigit((unsigned char)*e) || *e == 'x') e++;
    copy_trim(ptr, sizeof(ptr), msg + 5, (size_t)(e - (msg + 5)));
    for (i = log->procs[proc].last_comm, k = 0; i >= 0 && k < FG_NCCL_TID_SCAN;
         i = log->comms[i].prev_in_proc, k++) {
        if (strcmp(log->comms[i].comm, ptr) == 0) return i;
    }
    return -1;
}

int fg_nccl_channel_busids(const fg_nccl_comm_t *c, const fg_nccl_channel_t *ch,
                           const char **from, const char **to)
{
    const char *own;

    if (c->busid[0] == '\0' || ch->from_dev[0] == '\0' || ch->to_dev[0] == '\0') return 0;
    own = ch->from_rank == c->rank ? ch->from_dev : ch->to_rank == c->rank ? ch->to_dev : NULL;
    if (own == NULL || strcasecmp(own, c->busid) != 0) return 0;
    *from = ch->from_dev;
    *to   = ch->to_dev;
    return 1;
}

static int parse_channel(const char *msg, fg_nccl_channel_t *ch)
{
    const char *p = strchr(msg, ' '), *via, *arrow, *dir;   /* after "Channel "/"Ring " */
    char       *e;

    memset(ch, 0, sizeof(*ch));
    ch->from_rank = ch->to_rank = -1;
    if (p == NULL) {
        return -1;
    }
    p++;
    ch->channel = (int)strtol(p, &e, 10);
    if (e == p || (via = strstr(msg, " via ")) == NULL) {
        return -1;
    }
    p     = strstr(e, " : ");
    arrow = strstr(msg, " -> ");
    if (p != NULL && arrow != NULL && arrow < via) {
        ch->from_rank = strtol(p + 3, NULL, 10);
        ch->to_rank   = strtol(arrow + 4, NULL, 10);
        rank_bracket(p + 3, arrow, ch->from_dev, sizeof(ch->from_dev));
        rank_bracket(arrow + 4, via, ch->to_dev, sizeof(ch->to_dev));
    }
    if ((dir = strstr(msg, "[send]")) != NULL && dir < via) {
        fg_strlcpy(ch->dir, "send", sizeof(ch->dir));
    } else if ((dir = strstr(msg, "[receive]")) != NULL && dir < via) {
        fg_strlcpy(ch->dir, "receive", sizeof(ch->dir));
    }
    copy_trim(ch->transport, sizeof(ch->transport), via + 5, strlen(via + 5));
    ch->gdr = starts(ch->transport, "NET/") ? (strstr(ch->transport, "/GDRDMA") != NULL) : -1;
    return 0;
}

static int add_channel(fg_nccl_comm_t *c, const fg_nccl_channel_t *ch)
{
    if (grow((void **)&c->channels, &c->capch, c->nch, sizeof(*c->channels)) < 0) {
        return -1;
    }
    c->channels[c->nch++] = *ch;
    return 0;
}

static void parse_init_line(const char *msg, fg_nccl_comm_t *c)
{
    const char *p;

    if ((p = strstr(msg, "comm 0x")) != NULL) {
        const char *e = p + 5;
        while (isxdigit((unsigned char)*e) || *e == 'x') e++;
        copy_trim(c->comm, sizeof(c->comm), p + 5, (size_t)(e - (p + 5)));
    }
    if ((p = strstr(msg, " rank ")) != NULL) {
        c->rank = strtol(p + 6, NULL, 10);
    }
    if ((p = strstr(msg, " nranks ")) != NULL || (p = strstr(msg, " nRanks ")) != NULL) {
        c->nranks = strtol(p + 8, NULL, 10);
    }
    if ((p = strstr(msg, "commId ")) != NULL) {
        const char *e = p + 7;
        while (isxdigit((unsigned char)*e) || *e == 'x') e++;
        copy_trim(c->comm_id, sizeof(c->comm_id), p + 7, (size_t)(e - (p + 7)));
    }
    parse_rail_fields(msg, c);
}

/* "Bootstrap : Using eth0:10.0.0.1<0>", "Bootstrap: Using …", and the 2.4-2.5
 * indexed list "Bootstrap : Using [0]ib0:10.0.0.1<0> [1]…" (the first wins). */
static void parse_bootstrap(const char *msg, fg_nccl_proc_t *p)
{
    const char *v = strstr(msg, "Using") + 5, *colon, *lt, *end;

    while (*v == ' ') v++;
    if (*v == '[') {
        const char *rb = strchr(v, ']');
        if (rb != NULL) v = rb + 1;
    }
    end = v;
    while (*end && *end != ' ') end++;
    colon = memchr(v, ':', (size_t)(end - v));
    copy_trim(p->bootstrap_iface, sizeof(p->bootstrap_iface), v,
              colon ? (size_t)(colon - v) : (size_t)(end - v));
    if (colon != NULL) {
        lt = memchr(colon, '<', (size_t)(end - colon));
        copy_trim(p->bootstrap_addr, sizeof(p->bootstrap_addr), colon + 1,
                  lt ? (size_t)(lt - colon - 1) : (size_t)(end - colon - 1));
    }
}

/* GPUDirect RDMA lines of every generation; returns 1 when msg was one. */
static int parse_gdr(const char *msg, fg_nccl_proc_t *p)
{
    const char *g = strcasestr(msg, "GPU Direct RDMA");

    if (g != NULL && strcasestr(g, "disabled") != NULL) {
        p->gdr = 0;
        copy_trim(p->gdr_detail, sizeof(p->gdr_detail), msg, strlen(msg));
        return 1;
    }
    if (g != NULL && strcasestr(g, "enabled") != NULL) {
        if (p->gdr != 0) p->gdr = 1;   /* one disabled HCA taints the process */
        return 1;
    }
    if (starts(msg, "NET/OFI ") && strstr(msg, "disabling GDR") != NULL) {   /* aws-ofi-nccl */
        p->gdr = 0;
        copy_trim(p->gdr_detail, sizeof(p->gdr_detail), msg, strlen(msg));
        return 1;
    }
    return 0;
}

/* aws-ofi-nccl's provider line (the plugin logs through NCCL with a
 * "NET/OFI " prefix); returns 1 when msg was one. The newest line wins: one
 * plugin init per process. */
static int parse_ofi_selected(const char *msg, fg_nccl_proc_t *p)
{
    fg_fi_obs_t obs;
    long        nics;

    if (!starts(msg, "NET/OFI Selected ") || !fg_fi_ofi_nccl_selected(msg, &obs, &nics)) {
        return 0;
    }
    fg_strlcpy(p->ofi_provider, obs.provider, sizeof(p->ofi_provider));
    fg_strlcpy(p->ofi_fabric, obs.fabric, sizeof(p->ofi_fabric));
    p->ofi_nics = nics;
    return 1;
}

static fg_nccl_change_t apply(fg_nccl_log_t *log, long proc, const line_head_t *h,
                              long *comm_out)
{
    fg_nccl_proc_t   *p   = &log->procs[proc];
    const char       *msg = h->msg;
    fg_nccl_channel_t ch;
    long              c;

    *comm_out = -1;
    if (h->warn) {
        p->warnings++;
        copy_trim(p->last_warning, sizeof(p->last_warning), msg, strlen(msg));
        return FG_NCCL_WARN;
    }
    if (starts(msg, "NCCL version ")) {   /* 2.27+: VERSION as an INFO line */
        copy_trim(p->version, sizeof(p->version), msg + 13, strlen(msg + 13));
        return FG_NCCL_FACT;
    }
    if (starts(msg, "Using network ")) {
        copy_trim(p->net, sizeof(p->net), msg + 14, strlen(msg + 14));
        if ((c = pending_comm(log, proc, h->tid)) >= 0) {
            fg_strlcpy(log->comms[c].net, p->net, sizeof(log->comms[c].net));
            *comm_out = c;
        }
        return FG_NCCL_FACT;
    }
    if ((starts(msg, "NET/IB : Using") || starts(msg, "NET/IB: Using")) && strcmp(p->net, "Socket") != 0) {
        parse_devices(strstr(msg, "Using") + 5, p, 0);
        return FG_NCCL_FACT;
    }
    if (starts(msg, "NET/IB : No device found") || starts(msg, "NET/IB: No device found")) {
        if (strcmp(p->net, "Socket") != 0 && p->dev_source != 2) {
            p->ndev       = 0;
            p->dev_source = 0;
        }
        return FG_NCCL_FACT;
    }
    if ((starts(msg, "NET/Socket : Using") || starts(msg, "NET/Socket: Using")) && strcmp(p->net, "IB") != 0) {
        parse_devices(strstr(msg, "Using") + 5, p, 1);
        return FG_NCCL_FACT;
    }
    if (starts(msg, "Bootstrap : Using") || starts(msg, "Bootstrap: Using")) {
        parse_bootstrap(msg, p);
        return FG_NCCL_FACT;
    }
    if (parse_ofi_selected(msg, p)) {
        return FG_NCCL_FACT;
    }
    if (parse_gdr(msg, p)) {
        return FG_NCCL_FACT;
    }
    if ((starts(msg, "Channel ") || starts(msg, "Ring ")) && strstr(msg, " via ") != NULL &&
        parse_channel(msg, &ch) == 0) {
        if ((c = comm_for(log, proc, h->tid)) < 0 || add_channel(&log->comms[c], &ch) < 0) {
            return FG_NCCL_NONE;
        }
        *comm_out = c;
        return FG_NCCL_CHANNEL;
    }
    if (starts(msg, "comm 0x") && strstr(msg, " nNodes ") != NULL) {   /* rails: topology line */
        if ((c = comm_by_ptr(log, proc, msg)) < 0 && (c = pending_comm(log, proc, h->tid)) >= 0) {
            parse_init_line(msg, &log->comms[c]);
        }
        if (c >= 0) {
            parse_rail_fields(msg, &log->comms[c]);
            *comm_out = c;
        }
        return FG_NCCL_FACT;
    }
    if (strstr(msg, "- Init START") != NULL) {
        if ((c = pending_comm(log, proc, h->tid)) >= 0) {
            parse_init_line(msg, &log->comms[c]);
            *comm_out = c;
        }
        return FG_NCCL_FACT;
    }
    if (strstr(msg, "- Init COMPLETE") != NULL) {
        if ((c = pending_comm(log, proc, h->tid)) >= 0) {
            parse_init_line(msg, &log->comms[c]);
            log->comms[c].complete = 1;
            if (log->comms[c].net[0] == '\0') {
                fg_strlcpy(log->comms[c].net, p->net, sizeof(log->comms[c].net));
            }
            *comm_out = c;
        }
        return FG_NCCL_COMPLETE;
    }
    return FG_NCCL_NONE;
}

/* A VERSION line without host:pid: one library per job, so it names the
 * version of every process that printed none (walked only when it changes). */
static void set_job_version(fg_nccl_log_t *log, const char *msg)
{
    char   v[48];
    size_t i;

    copy_trim(v, sizeof(v), msg + 13, strlen(msg + 13));
    if (strcmp(v, log->version) == 0) {
        return;
    }
    fg_strlcpy(log->version, v, sizeof(log->version));
    for (i = 0; i < log->nprocs; i++) {
        if (log->procs[i].version[0] == '\0') {
            fg_strlcpy(log->procs[i].version, v, sizeof(log->procs[i].version));
        }
    }
}

/* One message (buf is a writable, NUL-terminated copy). */
static int feed_one(fg_nccl_log_t *log, char *buf, size_t len, fg_nccl_update_t *upd)
{
    line_head_t h;
    long        proc, comm;

    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ')) {
        buf[--len] = '\0';
    }
    if (len >= 2 && buf[len - 1] == '|' && buf[len - 2] == ' ') {   /* CloudWatch column */
        buf[len -= 2] = '\0';
    }
    upd->what = FG_NCCL_NONE;
    upd->comm = upd->proc = -1;
    if (parse_head(buf, &h) < 0) {
        return 0;
    }
    log->nccl_lines++;
    if (h.version) {
        set_job_version(log, h.msg);
        upd->what = FG_NCCL_FACT;
        return 0;
    }
    if ((proc = find_proc(log, &h)) < 0) {
        return -1;
    }
    upd->proc = proc;
    upd->what = apply(log, proc, &h, &comm);
    upd->comm = comm;
    return 0;
}

/* Start of the message whose marker is at m: the "host:pid:tid [dev]"
 * token before it, or m itself. */
static const char *message_start(const char *line, const char *m)
{
    const char *p = m;

    while (p > line && p[-1] == ' ') p--;
    if (p > line && p[-1] == ']') {                 /* "[dev]" */
        while (p > line && p[-1] != '[') p--;
        if (p > line) p--;
        while (p > line && p[-1] == ' ') p--;
        while (p > line && p[-1] != ' ') p--;       /* "host:pid:tid" */
    }
    return p;
}

/* The next message marker at or after s (not at s itself when skip_first). */
static const char *next_marker(const char *s)
{
    const char *a = strstr(s, " NCCL INFO "), *b = strstr(s, " NCCL WARN "), *v = s, *best = NULL;

    best = a;
    if (b != NULL && (best == NULL || b < best)) best = b;
    while ((v = strstr(v, "NCCL version ")) != NULL) {   /* not "NCCL INFO NCCL version" */
        if (!(v - s >= 5 && strncmp(v - 5, "INFO ", 5) == 0)) {
            if (best == NULL || v < best) best = v;
            break;
        }
        v += 13;
    }
    return best;
}

int fg_nccl_log_feed(fg_nccl_log_t *log, const char *line, size_t len,
                     fg_nccl_update_t *upd)
{
    char        buf[FG_NCCL_LINE_MAX];
    const char *m;
    char       *start;
    int         rc = 0;

    upd->what = FG_NCCL_NONE;
    upd->comm = upd->proc = -1;
    log->lines++;
    if (len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    len      = strlen(buf);   /* NUL inside: cut there */
    if ((m = next_marker(buf)) == NULL) {
        return feed_one(log, buf, len, upd);   /* "NCCL INFO …" without a prefix */
    }
    start = buf;
    for (;;) {   /* several messages joined on one line: feed each in turn */
        const char *n    = next_marker(m + 1);
        char       *next = n ? (char *)message_start(buf, n) : NULL;
        char        saved;
        if (next != NULL && next <= m) {
            next = NULL;
        }
        if (next == NULL) {
            rc |= feed_one(log, start, strlen(start), upd);
            break;
        }
        saved = *next;
        *next = '\0';
        rc |= feed_one(log, start, (size_t)(next - start), upd);
        *next = saved;
        start = next;
        m     = n;
    }
    return rc;
}

int fg_nccl_text_is_log(const char *text, size_t len)
{
    size_t n = len < 65536 ? len : 65536;

    return memmem(text, n, "NCCL INFO ", 10) != NULL ||
           memmem(text, n, "NCCL WARN ", 10) != NULL ||
           memmem(text, n, "NCCL version ", 13) != NULL;
}

void fg_nccl_transport_class(const char *t, char *out, size_t cap)
{
    const char *s1 = strchr(t, '/'), *s2;
    size_t      n;

    if (s1 != NULL && (strncmp(t, "NET/", 4) == 0 || strncmp(t, "P2P/", 4) == 0)) {
        s2 = strchr(s1 + 1, '/');
        n  = s2 ? (size_t)(s2 - t) : strlen(t);
    } else {
        n = s1 ? (size_t)(s1 - t) : strlen(t);
    }
    copy_trim(out, cap, t, n);
}

const char *fg_nccl_proc_net(const fg_nccl_log_t *log, size_t proc, char *net, size_t cap,
                             int *inferred)
{
    const fg_nccl_proc_t *p = &log->procs[proc];
    long                  c;

    *inferred = 0;
    if (p->net[0] != '\0') {
        return p->net;
    }
    *inferred = 1;
    for (c = p->last_comm; c >= 0; c = log->comms[c].prev_in_proc) {
        size_t i;
        for (i = 0; i < log->comms[c].nch; i++) {
            const char *t = log->comms[c].channels[i].transport;
            if (strncmp(t, "NET/", 4) == 0) {
                const char *e = strchr(t + 4, '/');
                copy_trim(net, cap, t + 4, e ? (size_t)(e - t - 4) : strlen(t + 4));
                return net;
            }
        }
    }
    if (p->dev_source == 1) return "IB";
    if (p->dev_source == 2) return "Socket";
    *inferred = 0;
    return "";
}
