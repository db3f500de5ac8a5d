/* NCCL debug-log parser; formats and their NCCL source files are listed in
 * include/fabguard/nccl_log.h. */
#include "fabguard/nccl_log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define FG_NCCL_LINE_MAX 4096   /* longer lines are cut: NCCL's own buffer is 1024 */

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

/* ---- prefix: "[ts] host:pid:tid [dev] NCCL INFO msg" ------------------- */

typedef struct {
    char        host[64];
    long        pid, tid;
    int         warn;
    const char *msg;
} line_head_t;

static int parse_head(const char *line, line_head_t *h)
{
    const char *k, *dev, *tok, *end, *c2, *c1;
    char        token[160];

    memset(h, 0, sizeof(*h));
    h->pid = h->tid = -1;
    if ((k = strstr(line, " NCCL INFO ")) != NULL) {
        h->msg = k + 11;
    } else if ((k = strstr(line, " NCCL WARN ")) != NULL) {
        h->msg  = k + 11;
        h->warn = 1;
    } else if ((k = strstr(line, "NCCL version ")) != NULL) {
        h->msg = k;   /* the VERSION level carries no host:pid:tid */
        return 0;
    } else {
        return -1;
    }
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
    while (tok > line && tok[-1] != ' ') {
        tok--;
    }
    copy_trim(token, sizeof(token), tok, (size_t)(end - tok));
    /* token may carry a prefix glued on ("[1,0]<stdout>:host:pid:tid") */
    c2 = strrchr(token, ':');
    if (c2 == NULL) {
        return 0;
    }
    *(char *)c2 = '\0';
    c1 = strrchr(token, ':');
    if (c1 == NULL) {
        return 0;
    }
    *(char *)c1 = '\0';
    h->pid = strtol(c1 + 1, NULL, 10);
    h->tid = strtol(c2 + 1, NULL, 10);
    {
        const char *host = token + strlen(token);
        while (host > token && !strchr(":>] \t", host[-1])) {
            host--;
        }
        fg_strlcpy(h->host, host, sizeof(h->host));
    }
    return 0;
}

/* ---- processes and communicators --------------------------------------- */

static long find_proc(fg_nccl_log_t *log, const line_head_t *h)
{
    size_t          i;
    fg_nccl_proc_t *p;

    for (i = 0; i < log->nprocs; i++) {
        if (log->procs[i].pid == h->pid && strcmp(log->procs[i].host, h->host) == 0) {
            return (long)i;
        }
    }
    if (h->pid < 0 && log->nprocs > 0) {
        return (long)log->nprocs - 1;   /* a VERSION line: the latest process */
    }
    if (grow((void **)&log->procs, &log->capprocs, log->nprocs, sizeof(*log->procs)) < 0) {
        return -1;
    }
    p = &log->procs[log->nprocs];
    memset(p, 0, sizeof(*p));
    fg_strlcpy(p->host, h->host, sizeof(p->host));
    p->pid = h->pid;
    p->gdr = -1;
    fg_strlcpy(p->version, log->version, sizeof(p->version));
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
    c->proc   = (size_t)proc;
    c->tid    = tid;
    c->rank   = -1;
    c->nranks = -1;
    fg_strlcpy(c->net, log->procs[proc].net, sizeof(c->net));
    return (long)log->ncomms++;
}

/* The communicator a line of (proc, tid) belongs to: the one being
 * initialised by that thread, else the latest completed one of that thread
 * (lazy connections at the first collective), else of that process. */
static long comm_for(fg_nccl_log_t *log, long proc, long tid, int create)
{
    long i, same_proc = -1;

    for (i = (long)log->ncomms - 1; i >= 0; i--) {
        fg_nccl_comm_t *c = &log->comms[i];
        if ((long)c->proc != proc) {
            continue;
        }
        if (c->tid == tid) {
            return i;
        }
        if (same_proc < 0) {
            same_proc = i;
        }
    }
    if (same_proc >= 0 && !create) {
        return same_proc;
    }
    return create ? new_comm(log, proc, tid) : same_proc;
}

static long pending_comm(fg_nccl_log_t *log, long proc, long tid)
{
    long i;

    for (i = (long)log->ncomms - 1; i >= 0; i--) {
        fg_nccl_comm_t *c = &log->comms[i];
        if ((long)c->proc == proc && c->tid == tid && !c->complete) {
            return i;
        }
    }
    return new_comm(log, proc, tid);
}

/* ---- messages ------------------------------------------------------------ */

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* " [0]mlx5_0:1/IB [1]mlx5_1:1/RoCE [RO]; OOB …" or " [0]eth0:10.0.0.1<0>" */
static void parse_devices(const char *s, fg_nccl_proc_t *p, int sockets)
{
    p->ndev = 0;
    while ((s = strchr(s, '[')) != NULL && p->ndev < FG_NCCL_MAX_DEVS) {
        const char *name = strchr(s, ']'), *end;
        if (name == NULL || !isdigit((unsigned char)s[1])) {
            s++;
            continue;
        }
        name++;
        end = name;
        while (*end && *end != ' ' && *end != ';' && *end != '[') {
            end++;
        }
        if (sockets) {   /* "eth0:10.0.0.1<0>" -> "eth0" */
            const char *colon = memchr(name, ':', (size_t)(end - name));
            if (colon != NULL) {
                end = colon;
            }
        } else {         /* "mlx5_0:1/IB" -> "mlx5_0:1" */
            const char *slash = memchr(name, '/', (size_t)(end - name));
            if (slash != NULL) {
                end = slash;
            }
        }
        copy_trim(p->net_devices[p->ndev++], sizeof(p->net_devices[0]), name, (size_t)(end - name));
        s = end;
    }
}

static int parse_channel(const char *msg, fg_nccl_channel_t *ch)
{
    const char *p = msg + 8, *via, *arrow;   /* after "Channel " */
    char       *e;

    memset(ch, 0, sizeof(*ch));
    ch->from_rank = ch->to_rank = -1;
    ch->channel = (int)strtol(p, &e, 10);
    if (e == p || (via = strstr(msg, " via ")) == NULL) {
        return -1;
    }
    p = strstr(e, " : ");
    arrow = strstr(msg, " -> ");
    if (p != NULL && arrow != NULL && arrow < via) {
        ch->from_rank = strtol(p + 3, NULL, 10);
        ch->to_rank   = strtol(arrow + 4, NULL, 10);
    }
    if (strstr(msg, "[send]") != NULL && strstr(msg, "[send]") < via) {
        fg_strlcpy(ch->dir, "send", sizeof(ch->dir));
    } else if (strstr(msg, "[receive]") != NULL && strstr(msg, "[receive]") < via) {
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
    if (starts(msg, "NCCL version ")) {
        size_t i;
        copy_trim(p->version, sizeof(p->version), msg + 13, strlen(msg + 13));
        if (h->pid < 0) {   /* VERSION level: no pid; one library per job */
            fg_strlcpy(log->version, p->version, sizeof(log->version));
            for (i = 0; i < log->nprocs; i++) {
                if (log->procs[i].version[0] == '\0') {
                    fg_strlcpy(log->procs[i].version, p->version, sizeof(log->procs[i].version));
                }
            }
        }
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
    if (starts(msg, "NET/IB : Using") && strcmp(p->net, "Socket") != 0) {
        parse_devices(msg + 14, p, 0);
        return FG_NCCL_FACT;
    }
    if (starts(msg, "NET/IB : No device found")) {
        if (strcmp(p->net, "Socket") != 0) p->ndev = 0;
        return FG_NCCL_FACT;
    }
    if (starts(msg, "NET/Socket : Using") && strcmp(p->net, "IB") != 0) {
        parse_devices(msg + 18, p, 1);
        return FG_NCCL_FACT;
    }
    if (starts(msg, "Bootstrap : Using") || starts(msg, "Bootstrap: Using")) {
        const char *v = strstr(msg, "Using") + 5, *colon, *lt;
        while (*v == ' ') v++;
        colon = strchr(v, ':');
        copy_trim(p->bootstrap_iface, sizeof(p->bootstrap_iface), v,
                  colon ? (size_t)(colon - v) : strlen(v));
        if (colon != NULL) {
            lt = strchr(colon, '<');
            copy_trim(p->bootstrap_addr, sizeof(p->bootstrap_addr), colon + 1,
                      lt ? (size_t)(lt - colon - 1) : strlen(colon + 1));
        }
        return FG_NCCL_FACT;
    }
    if (strstr(msg, "GPU Direct RDMA Disabled") != NULL) {
        p->gdr = 0;
        copy_trim(p->gdr_detail, sizeof(p->gdr_detail), msg, strlen(msg));
        return FG_NCCL_FACT;
    }
    if (strstr(msg, "GPU Direct RDMA Enabled") != NULL) {
        if (p->gdr != 0) p->gdr = 1;   /* one disabled HCA taints the process */
        return FG_NCCL_FACT;
    }
    if (starts(msg, "Channel ") && strstr(msg, " via ") != NULL && parse_channel(msg, &ch) == 0) {
        c = comm_for(log, proc, h->tid, 0);
        if (c < 0 && (c = new_comm(log, proc, h->tid)) < 0) {
            return FG_NCCL_NONE;
        }
        if (add_channel(&log->comms[c], &ch) < 0) {
            return FG_NCCL_NONE;
        }
        *comm_out = c;
        return FG_NCCL_CHANNEL;
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

int fg_nccl_log_feed(fg_nccl_log_t *log, const char *line, size_t len,
                     fg_nccl_update_t *upd)
{
    char        buf[FG_NCCL_LINE_MAX];
    line_head_t h;
    long        proc, comm;

    upd->what = FG_NCCL_NONE;
    upd->comm = upd->proc = -1;
    log->lines++;
    if (len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {   /* NUL inside: cut there */
        len = strlen(buf);
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }
    if (parse_head(buf, &h) < 0) {
        return 0;
    }
    log->nccl_lines++;
    if ((proc = find_proc(log, &h)) < 0) {
        return -1;
    }
    upd->proc = proc;
    upd->what = apply(log, proc, &h, &comm);
    upd->comm = comm;
    return 0;
}

int fg_nccl_text_is_log(const char *text, size_t len)
{
    size_t n = len < 65536 ? len : 65536;

    return memmem(text, n, " NCCL INFO ", 11) != NULL ||
           memmem(text, n, " NCCL WARN ", 11) != NULL ||
           memmem(text, n, "NCCL version ", 13) != NULL;
}
