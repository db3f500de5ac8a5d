/* Capture of NCCL's debug log, without exporting any libc name.
 *
 * NCCL writes what it selected (network, HCAs, bootstrap interface, channel
 * transports, GPUDirect) only to its debug log, whose settings it reads
 * through getenv (src/debug.cc ncclDebugInit; 2.28.9 calls getenv both
 * through its PLT and through a taken address, see nccl_got.c). Once a
 * libnccl copy is known (its first wrapped call) its own GOT slots for
 * getenv and fopen are pointed at nccl_getenv/nccl_fopen below: NCCL_DEBUG,
 * NCCL_DEBUG_SUBSYS and NCCL_DEBUG_FILE are answered with capture settings
 * whose file is our pipe, everything else is the real getenv. The
 * environment never changes; no other object sees a difference.
 *
 * What the user asked NCCL to print is decided from the environment and
 * NCCL's configuration files, read as NCCL reads them (nccl_conf.h): a
 * cluster-wide NCCL_DEBUG=WARN in /etc/nccl.conf keeps every WARN line.
 * A reader thread parses each line and forwards exactly the lines the
 * user's own settings would have printed.
 *
 * Descriptors: one capture per process (concurrent first calls share it).
 * Our pipe ends, the user's debug file and NCCL's own copy of the write end
 * (given to NCCL by nccl_fopen) live at high numbers with O_CLOEXEC, and
 * each is checked by identity (st_dev, st_ino) before every use: an
 * application that closes descriptors it did not open and reuses the
 * numbers never receives our markers or NCCL's lines, and nobody waits on a
 * dead capture; the next wrapped call starts a new one. */
#include "gpu.h"
#include "report.h"
#include "nccl_int.h"
#include "count.h"
#include "origin.h"
#include "nccl_got.h"
#include "fabguard/handlemap.h"
#include "fabguard/judge.h"
#include "fabguard/nccl_conf.h"
#include "fabguard/nccl_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SYNC_MARK "\001fabguard-sync "
#define MAX_GEN   8   /* captures per process: each restart is an application closing ours */

enum { LVL_NONE, LVL_VERSION, LVL_WARN, LVL_INFO, LVL_ABORT, LVL_TRACE };

typedef struct {
    int           r, w;
    unsigned long dev, ino;
    char          level[16], subsys[256], file[64];
    int           gen;
    atomic_int    live;      /* reader running and write end ours */
} capture_t;

static pthread_mutex_t     cap_lock = PTHREAD_MUTEX_INITIALIZER;   /* starting captures */
static capture_t           gens[MAX_GEN];
static int                 ngen;
static _Atomic(capture_t *) cur;
static int                 user_level = -1, user_fd = -1;   /* set by the first capture */
static unsigned long       user_dev, user_ino;              /* user_*: the reader's, under fg_nccl_lock */
static char                user_path[4096];
static fg_nccl_log_t       nlog;                            /* under fg_nccl_lock */
static pthread_cond_t      synced = PTHREAD_COND_INITIALIZER;
static unsigned long       sync_sent, sync_seen;

/* ---- descriptors ---------------------------------------------------------- */

static int fd_is(int fd, unsigned long dev, unsigned long ino)
{
    struct stat st;

    return fd >= 0 && fstat(fd, &st) == 0 && (unsigned long)st.st_dev == dev &&
           (unsigned long)st.st_ino == ino;
}

/* Far above the numbers an application reuses after closing ours. */
static int move_high(int fd)
{
    struct rlimit rl;
    long          base = 512;
    int           hi;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        base = (long)rl.rlim_cur / 2;
        if (base > 1024) base = 1024;
    }
    hi = base > fd ? fcntl(fd, F_DUPFD_CLOEXEC, (int)base) : -1;
    if (hi < 0) return fd;
    close(fd);
    return hi;
}

/* ---- what the user asked NCCL to print ------------------------------------ */

static int conf_file_value(const char *path, const char *name, char *out, size_t cap)
{
    char   *text;
    ssize_t n, got = 0;
    int     fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), found = 0;
    enum { MAX = 1 << 20 };

    if (fd < 0) return 0;
    if ((text = malloc(MAX)) != NULL) {
        while (got < MAX && (n = read(fd, text + got, (size_t)(MAX - got))) != 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            got += n;
        }
        found = fg_nccl_conf_value(text, (size_t)got, name, out, cap);
        free(text);
    }
    close(fd);
    return found;
}

/* As NCCL's initEnv: NCCL_CONF_FILE, else the passwd home's .nccl.conf;
 * then /etc/nccl.conf; the first that sets the name wins. */
static int conf_value(const char *name, char *out, size_t cap)
{
    const char   *f = getenv("NCCL_CONF_FILE");
    char          path[1100], pwbuf[4096];
    struct passwd pw, *res = NULL;

    if (f != NULL && f[0] != '\0') {
        if (conf_file_value(f, name, out, cap)) return 1;
    } else if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res != NULL &&
               res->pw_dir != NULL) {
        snprintf(path, sizeof(path), "%s/.nccl.conf", res->pw_dir);
        if (conf_file_value(path, name, out, cap)) return 1;
    }
    return conf_file_value("/etc/nccl.conf", name, out, cap);
}

static const char *user_setting(const char *name, char *buf, size_t cap)
{
    const char *v = getenv(name);

    if (v != NULL) {
        fg_strlcpy(buf, v, cap);
        return buf;
    }
    return conf_value(name, buf, cap) ? buf : NULL;
}

static int parse_level(const char *v)
{
    if (v == NULL) return LVL_NONE;
    if (!strcasecmp(v, "VERSION")) return LVL_VERSION;
    if (!strcasecmp(v, "WARN")) return LVL_WARN;
    if (!strcasecmp(v, "INFO")) return LVL_INFO;
    if (!strcasecmp(v, "ABORT")) return LVL_ABORT;
    if (!strcasecmp(v, "TRACE")) return LVL_TRACE;
    return LVL_NONE;
}

static int line_level(const char *l)
{
    if (strstr(l, " NCCL WARN ")) return LVL_WARN;
    if (strstr(l, " NCCL INFO ")) return LVL_INFO;
    if (strncmp(l, "NCCL version", 12) == 0 || strstr(l, "] NCCL version")) return LVL_VERSION;
    return LVL_TRACE;
}

static void reopen_user_file(int how);

/* NCCL_DEBUG_FILE expansion as src/debug.cc does it: %h host, %p pid, %%. */
static void open_user_file(const char *tmpl)
{
    char        path[4096], host[256];
    size_t      n = 0;
    const char *p;

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    for (p = tmpl; *p && n + 64 < sizeof(path); p++) {
        if (p[0] == '%' && p[1] == 'h') { n += (size_t)snprintf(path + n, sizeof(path) - n, "%s", host); p++; }
        else if (p[0] == '%' && p[1] == 'p') { n += (size_t)snprintf(path + n, sizeof(path) - n, "%d", (int)getpid()); p++; }
        else if (p[0] == '%' && p[1] == '%') { path[n++] = '%'; p++; }
        else path[n++] = *p;
    }
    path[n] = '\0';
    fg_strlcpy(user_path, path, sizeof(user_path));
    reopen_user_file(O_TRUNC);
}

/* The user's debug file, at a high number: O_TRUNC the first time (as
 * NCCL's fopen "w"), O_APPEND after the application closed ours. */
static void reopen_user_file(int how)
{
    struct stat st;

    user_fd = open(user_path, O_WRONLY | O_CREAT | O_CLOEXEC | how, 0666);
    if (user_fd >= 0) {
        user_fd = move_high(user_fd);
        if (fstat(user_fd, &st) == 0) {
            user_dev = (unsigned long)st.st_dev;
            user_ino = (unsigned long)st.st_ino;
        }
    }
}

/* To the user's file, or — as NCCL itself does — through the stdout FILE
 * with a flush, so the application's own buffered output keeps its place. */
static void forward(const char *line, size_t len, int *held_blank)
{
    int lvl = line_level(line), blank = *held_blank;

    *held_blank = 0;
    if (lvl > user_level || user_level == LVL_NONE) return;
    if (user_fd >= 0) {
        if (!fd_is(user_fd, user_dev, user_ino)) {   /* closed under us: never someone else's file */
            reopen_user_file(O_APPEND);
            if (user_fd < 0) return;
        }
        if ((blank && write(user_fd, "\n", 1) < 0) || write(user_fd, line, len) < 0 ||
            write(user_fd, "\n", 1) < 0) {}
        return;
    }
    if (blank) fputc('\n', stdout);   /* NCCL precedes WARN lines with an empty line */
    fwrite(line, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* ---- libnccl's getenv, fopen and fclose ------------------------------------ */

/* Guards every copy's debug_file against NCCL's fclose of it (NCCL closes
 * its debug file when it re-reads its settings): innermost lock, never held
 * while waiting for NCCL. */
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE           *closing;   /* under file_lock */

static void forget_file(fg_nccl_copy_t *c)
{
    if (atomic_load(&c->debug_file) == (void *)closing) {
        atomic_store(&c->debug_file, NULL);
        atomic_store(&c->debug_fd, -1);
    }
}

static capture_t *live_capture(void)
{
    capture_t *g = atomic_load_explicit(&cur, memory_order_acquire);

    return (g != NULL && atomic_load(&g->live)) ? g : NULL;
}

/* Reached only from libnccl's own GOT. No lock: NCCL calls it under its
 * debug mutex. */
static char *nccl_getenv(const char *name)
{
    capture_t *g;

    if (name != NULL && strncmp(name, "NCCL_DEBUG", 10) == 0 && (g = live_capture()) != NULL) {
        if (strcmp(name, "NCCL_DEBUG") == 0) return g->level;
        if (strcmp(name, "NCCL_DEBUG_FILE") == 0) return g->file;
        if (strcmp(name, "NCCL_DEBUG_SUBSYS") == 0) return g->subsys[0] ? g->subsys : NULL;
    }
    return getenv(name);
}

/* NCCL opens its debug file with fopen "w" and no O_CLOEXEC: ours is a high,
 * close-on-exec copy of the pipe's write end. */
static FILE *nccl_fopen(const char *path, const char *mode)
{
    capture_t      *g = live_capture();
    fg_nccl_copy_t *c;
    FILE           *f;
    int             fd;

    if (g == NULL || path == NULL || strcmp(path, g->file) != 0) return fopen(path, mode);
    if (!fd_is(g->w, g->dev, g->ino) || (fd = fcntl(g->w, F_DUPFD_CLOEXEC, g->w)) < 0) {
        errno = EBADF;
        return NULL;   /* NCCL then keeps stdout at the level we answered: not ours to fix */
    }
    if ((f = fdopen(fd, "w")) == NULL) {
        close(fd);
        return NULL;
    }
    if ((c = fg_nccl_copy_at(__builtin_return_address(0))) != NULL) {
        pthread_mutex_lock(&file_lock);
        atomic_store(&c->debug_fd, fd);
        atomic_store(&c->debug_file, (void *)f);
        pthread_mutex_unlock(&file_lock);
    }
    return f;
}

static int nccl_fclose(FILE *f)
{
    int r;

    pthread_mutex_lock(&file_lock);
    closing = f;
    fg_nccl_for_each_copy(forget_file);
    closing = NULL;
    r = fclose(f);
    pthread_mutex_unlock(&file_lock);
    return r;
}

/* ---- judging ------------------------------------------------------------- */

static long find_comm(const void *comm)
{
    char ptr[32];
    long k;

    snprintf(ptr, sizeof(ptr), "%p", comm);
    for (k = (long)nlog.ncomms - 1; k >= 0; k--) {
        if (!strcmp(nlog.comms[k].comm, ptr)) return k;
    }
    return -1;
}

/* The communicator's GPU in sysfs spelling and the NICs its NET channels
 * use, for the event's `gpu`/`nic` (report's rail table). */
static void rail_fields(const fg_nccl_comm_t *c, const fg_nccl_proc_t *p,
                        char *gpu, size_t gcap, char *nic, size_t ncap)
{
    const fg_topo_t *t = fg_gpu_topo();
    fg_sbuf_t        sb;
    size_t           i;
    int              g = (t != NULL && c->busid[0]) ? fg_topo_gpu_by_busid(t, c->busid) : -1;

    fg_strlcpy(gpu, g >= 0 ? t->gpu_bdf[g] : c->busid, gcap);
    fg_sb_init(&sb, nic, ncap);
    for (i = 0; p != NULL && i < c->nch; i++) {
        int  n = fg_nccl_channel_net_index(c->channels[i].transport);
        char name[64];
        if (n < 0 || (size_t)n >= p->ndev) continue;
        fg_strlcpy(name, p->net_devices[n], sizeof(name));
        name[strcspn(name, ":/")] = '\0';
        if (!strstr(nic, name)) fg_sb_printf(&sb, "%s%s", sb.len ? "," : "", name);
    }
}

static fg_outcome_t report_findings(const char *event, long comm_idx, long proc_idx,
                                    const fg_findings_t *f, const char *extra_detail,
                                    const char *candidates, const fg_findings_t *adv)
{
    fg_event_t ev;
    fg_kv_t    kv[5];
    char       gpu[20] = "", nic[128] = "";
    const fg_nccl_comm_t *c = comm_idx >= 0 ? &nlog.comms[comm_idx] : NULL;
    const fg_nccl_proc_t *p = proc_idx >= 0 ? &nlog.procs[proc_idx] : NULL;
    const char *net = c && c->net[0] ? c->net : p ? p->net : "";

    fg_event_init(&ev, "nccl", event, "ok");
    if (c != NULL) {
        fg_origin_note_rank((int)c->rank);   /* stderr identity when no launcher rank */
        ev.comm   = c->comm[0] ? c->comm : NULL;
        ev.rank   = c->rank;
        ev.nranks = c->nranks;
    }
    kv[0] = (fg_kv_t){ "net", net, 0 };
    kv[1] = (fg_kv_t){ "bootstrap_iface", p ? p->bootstrap_iface : "", 0 };
    kv[2] = (fg_kv_t){ "gdr", p == NULL || p->gdr < 0 ? "null" : p->gdr ? "true" : "false", 1 };
    kv[3] = (fg_kv_t){ "comm_candidates", candidates ? candidates : "", 0 };
    ev.extra  = kv;
    ev.nextra = candidates ? 4 : 3;   /* a lazy line that names no single communicator */
    ev.detail = extra_detail;
    if (c != NULL && c->busid[0]) {
        rail_fields(c, p, gpu, sizeof(gpu), nic, sizeof(nic));
        ev.gpu = gpu;
        ev.nic = nic[0] ? nic : NULL;
    }
    if (f->n == 0 && adv != NULL && adv->n > 0) {
        /* the right path, not just "not TCP": reported, never acted on */
        kv[ev.nextra++] = (fg_kv_t){ "advisory", adv->v[0].rule, 0 };
        ev.verdict = "info";
        ev.rule    = adv->v[0].rule;   /* report's rail table counts it */
        ev.detail  = adv->v[0].detail;
        fg_gpu_note_advisories(adv);
        if (fg_report_admit(&ev)) {
            fg_report_event(&ev);
        }
        return FG_GO_ON;
    }
    return fg_verdict_report_and_act(&ev, f);
}

/* Channel lines carry no communicator (NCCL 2.28 src/transport/net.cc,
 * p2p.cc, shm.cc print "Channel %02d/%d : %d[%d] -> %d[%d] … via …"), and a
 * lazy connection may be made by NCCL's own thread: the line is attributed
 * by the ranks it names, to the live communicators of the process large
 * enough to hold them — never to a thread's newest one by default. */
static long lazy_owner(long holder, const fg_nccl_channel_t *ch, long *cand, size_t cap, size_t *n)
{
    long   top = ch->from_rank > ch->to_rank ? ch->from_rank : ch->to_rank, k;
    size_t proc = nlog.comms[holder].proc;

    *n = 0;
    for (k = 0; k < (long)nlog.ncomms; k++) {
        const fg_nccl_comm_t *c = &nlog.comms[k];
        if (c->proc != proc || !c->complete || (c->nranks >= 0 && top >= c->nranks)) continue;
        if (*n < cap) cand[*n] = k;
        (*n)++;
    }
    if (*n == 0) return holder;   /* no live communicator holds those ranks: the parser's guess */
    return *n == 1 ? cand[0] : -1;
}

/* A channel that arrived after init (lazy connection): judged now. */
static void judge_lazy_channel(long holder)
{
    fg_nccl_comm_t   *h = &nlog.comms[holder];
    fg_nccl_channel_t ch;
    fg_findings_t     f;
    char              detail[200], cands[8 * 24] = "";
    long              cand[8], owner;
    size_t            n, i;

    fg_count(FG_COUNT_CHANNELS);
    if (!h->complete) return;          /* judged with the whole comm at init */
    ch    = h->channels[h->nch - 1];
    owner = lazy_owner(holder, &ch, cand, 8, &n);
    if (owner >= 0 && owner != holder) {   /* move it to the communicator it belongs to */
        fg_nccl_comm_t *o = &nlog.comms[owner];
        if (o->nch < o->capch || (o->channels = realloc(o->channels, (o->capch = o->capch ? o->capch * 2 : 8) *
                                                        sizeof(*o->channels))) != NULL) {
            o->channels[o->nch++] = ch;
            h->nch--;
        }
    }
    memset(&f, 0, sizeof(f));
    fg_judge_nccl_channel(fg_core_policy(), &ch, &f);
    snprintf(detail, sizeof(detail), "channel %02d via %s (connected after init)", ch.channel, ch.transport);
    {   /* an abort here is on our reader thread: name the application's call */
        char what[200];
        const fg_nccl_comm_t *o = &nlog.comms[owner >= 0 ? owner : holder];
        snprintf(what, sizeof(what), "in a collective on communicator %s (rank %ld of %ld) "
                 "that connected channel %02d via %s", o->comm[0] ? o->comm : "?", o->rank,
                 o->nranks, ch.channel, ch.transport);
        fg_origin_set_activity(what);
    }
    if (owner < 0) {
        size_t len = 0;
        for (i = 0; i < n && i < 8 && len < sizeof(cands); i++) {
            len += (size_t)snprintf(cands + len, sizeof(cands) - len, "%s%s", i ? "," : "", nlog.comms[cand[i]].comm);
        }
    }
    if (report_findings("channel", owner, (long)h->proc, &f, f.n ? NULL : detail,
                        owner < 0 ? cands : NULL, NULL) == FG_GO_FAIL) {
        /* enforce+fail: the owner refuses its next call; when the line
         * cannot be told apart, each candidate does (fail closed) */
        if (owner >= 0) {
            fg_nccl_mark_failed((const void *)strtoul(nlog.comms[owner].comm, NULL, 16));
        } else {
            for (i = 0; i < n && i < 8; i++) {
                fg_nccl_mark_failed((const void *)strtoul(nlog.comms[cand[i]].comm, NULL, 16));
            }
        }
    }
}

static void handle_line(const char *line, size_t len)
{
    fg_nccl_update_t u;

    fg_nccl_log_feed(&nlog, line, len, &u);
    if (u.what == FG_NCCL_CHANNEL && u.comm >= 0) judge_lazy_channel(u.comm);
}

fg_outcome_t fg_nccl_judge_init(const void *comm, int rc, const char *what, char *rule, size_t cap)
{
    long          idx = -1, proc = -1, k;
    fg_findings_t f, adv;
    fg_outcome_t  out;
    char          detail[200], inet[64];
    int           inferred = 0;

    pthread_mutex_lock(&fg_nccl_lock);
    if (comm != NULL) idx = find_comm(comm);
    proc = idx >= 0 ? (long)nlog.comms[idx].proc : (nlog.nprocs ? 0 : -1);
    for (k = 0; idx < 0 && k < (long)nlog.nprocs; k++) {
        if (nlog.procs[k].pid == (long)getpid()) proc = k;
    }
    memset(&f, 0, sizeof(f));
    if (proc >= 0) {   /* no "Using network" line (NCCL < 2.6): inferred as explain infers it */
        const char *n = fg_nccl_proc_net(&nlog, (size_t)proc, inet, sizeof(inet), &inferred);
        if (inferred) fg_strlcpy(nlog.procs[proc].net, n, sizeof(nlog.procs[proc].net));
        fg_judge_nccl(fg_core_policy(), fg_core_mgmt(), &nlog, proc, idx, &f);
        if (idx >= 0) {   /* [topology]: rails against this node, NET between local ranks */
            fg_judge_topo_nccl_comm(fg_core_policy(), fg_gpu_topo(), &nlog.procs[proc],
                                    &nlog.comms[idx], NULL, NULL, &f);
        }
    }
    fg_topo_split_advisories(fg_core_policy(), &f, &adv);
    fg_count(FG_COUNT_COMMS);
    snprintf(detail, sizeof(detail), "%s returned %d%s", what, rc,
             proc < 0 ? " (no NCCL log lines were captured)" : "");
    out = report_findings("comm", idx, proc, &f, f.n ? NULL : detail, NULL, &adv);
    if (inferred) nlog.procs[proc].net[0] = '\0';   /* the model keeps what NCCL printed */
    if (f.n && cap) fg_strlcpy(rule, f.v[0].rule, cap);
    pthread_mutex_unlock(&fg_nccl_lock);
    return out;
}

/* The model keeps live communicators only (20,000 created and destroyed
 * cost what one does). */
static void drop_comm(long k)
{
    long   prev = nlog.comms[k].prev_in_proc;
    size_t i;

    free(nlog.comms[k].channels);
    memmove(&nlog.comms[k], &nlog.comms[k + 1], (nlog.ncomms - (size_t)k - 1) * sizeof(nlog.comms[0]));
    nlog.ncomms--;
    /* the parser chains a process's communicators by index: unlink k and
     * renumber those that moved down (a stale chain loops) */
    for (i = 0; i < nlog.ncomms; i++) {
        long *p = &nlog.comms[i].prev_in_proc;
        *p = *p == k ? prev : *p > k ? *p - 1 : *p;
    }
    for (i = 0; i < nlog.nprocs; i++) {
        long *p = &nlog.procs[i].last_comm;
        *p = *p == k ? prev : *p > k ? *p - 1 : *p;
    }
}

void fg_nccl_forget_comm(const void *comm)
{
    long k = find_comm(comm);

    if (k >= 0) drop_comm(k);
}

void fg_nccl_forget_failed_init(long tid)
{
    long k;

    pthread_mutex_lock(&fg_nccl_lock);
    for (k = (long)nlog.ncomms - 1; k >= 0; k--) {
        if (!nlog.comms[k].complete && nlog.comms[k].tid == tid) drop_comm(k);
    }
    pthread_mutex_unlock(&fg_nccl_lock);
}

/* ---- the reader ------------------------------------------------------------ */

static void *reader_main(void *arg)
{
    capture_t *g = arg;
    char      *buf = malloc(1 << 16);
    size_t     have = 0, cap = (1 << 16) - 1;
    int        held_blank = 0;

    fg_guard_enter();   /* nothing this thread does is the application's */
    while (buf != NULL && fd_is(g->r, g->dev, g->ino)) {   /* never read a reused number */
        ssize_t r = read(g->r, buf + have, cap - have);
        char   *start = buf, *nl;
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        have += (size_t)r;
        pthread_mutex_lock(&fg_nccl_lock);
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
            size_t len = (size_t)(nl - start);
            *nl = '\0';
            if (strncmp(start, SYNC_MARK, strlen(SYNC_MARK)) == 0) {
                unsigned long s = strtoul(start + strlen(SYNC_MARK), NULL, 10);
                if (s > sync_seen) sync_seen = s;
                pthread_cond_broadcast(&synced);
            } else if (len == 0) {
                held_blank = 1;
            } else {
                forward(start, len, &held_blank);
                handle_line(start, len);
            }
            start = nl + 1;
        }
        pthread_mutex_unlock(&fg_nccl_lock);
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == cap) have = 0;   /* a line longer than the buffer: drop it */
    }
    free(buf);
    pthread_mutex_lock(&fg_nccl_lock);
    atomic_store(&g->live, 0);       /* nobody waits on it any more */
    pthread_cond_broadcast(&synced);
    pthread_mutex_unlock(&fg_nccl_lock);
    if (fd_is(g->r, g->dev, g->ino)) close(g->r);
    return NULL;
}

/* Everything NCCL wrote before this call has been processed when it returns. */
void fg_nccl_drain(void)
{
    capture_t      *g = live_capture();
    char            mark[64];
    struct timespec dl;
    unsigned long   mine;
    int             n;

    if (g == NULL) return;
    if (!fd_is(g->w, g->dev, g->ino)) {   /* the application closed it: capture over */
        atomic_store(&g->live, 0);
        return;
    }
    pthread_mutex_lock(&fg_nccl_lock);
    mine = ++sync_sent;
    pthread_mutex_unlock(&fg_nccl_lock);
    n = snprintf(mark, sizeof(mark), SYNC_MARK "%lu\n", mine);
    if (write(g->w, mark, (size_t)n) != n) return;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;   /* never hang the application on our reader */
    pthread_mutex_lock(&fg_nccl_lock);
    while (sync_seen < mine && atomic_load(&g->live)) {
        if (pthread_cond_timedwait(&synced, &fg_nccl_lock, &dl) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&fg_nccl_lock);
}

/* ---- starting a capture and arming a copy ---------------------------------- */

static capture_t *start_capture(void)   /* cap_lock held */
{
    capture_t     *g;
    int            fds[2];
    char           lvl[64], sub[256], file[4096];
    const char    *l, *s;
    struct stat    st;
    pthread_attr_t a;
    pthread_t      t;

    if (ngen == MAX_GEN || pipe2(fds, O_CLOEXEC) < 0) return NULL;
    g = &gens[ngen];
    memset(g, 0, sizeof(*g));
    g->gen = ngen + 1;
    g->r   = move_high(fds[0]);
    g->w   = move_high(fds[1]);
    fcntl(g->w, F_SETPIPE_SZ, 1 << 20);
    if (fstat(g->w, &st) < 0) goto fail;
    g->dev = (unsigned long)st.st_dev;
    g->ino = (unsigned long)st.st_ino;
    l = user_setting("NCCL_DEBUG", lvl, sizeof(lvl));
    s = user_setting("NCCL_DEBUG_SUBSYS", sub, sizeof(sub));
    if (user_level < 0) {            /* the user's destination, once per process */
        user_level = parse_level(l);
        if (user_level > LVL_NONE && user_setting("NCCL_DEBUG_FILE", file, sizeof(file)) != NULL) {
            open_user_file(file);
        }
        fg_nccl_log_init(&nlog);
    }
    if (user_level >= LVL_INFO) {    /* the user's own settings: output unchanged */
        fg_strlcpy(g->level, l, sizeof(g->level));
        fg_strlcpy(g->subsys, s ? s : "", sizeof(g->subsys));
    } else {                         /* capture INFO, forward nothing of it */
        fg_strlcpy(g->level, "INFO", sizeof(g->level));
        fg_strlcpy(g->subsys, "INIT,BOOTSTRAP,ENV,NET,GRAPH", sizeof(g->subsys));
    }
    snprintf(g->file, sizeof(g->file), "/proc/self/fd/%d", g->w);
    atomic_store(&g->live, 1);
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, reader_main, g) != 0) {
        pthread_attr_destroy(&a);
        atomic_store(&g->live, 0);
        goto fail;
    }
    pthread_attr_destroy(&a);
    ngen++;
    atomic_store_explicit(&cur, g, memory_order_release);
    return g;
fail:
    close(g->r);
    close(g->w);
    return NULL;
}

/* NCCL fcloses its old debug FILE when it re-reads its settings: allowed
 * only while that descriptor is still one of our pipes or already closed —
 * never when the application's own file now has the number. */
static int reset_is_safe(fg_nccl_copy_t *c)
{
    int         fd = atomic_load(&c->debug_fd), i;
    struct stat st;

    if (fd < 0) return 1;
    if (fstat(fd, &st) < 0) return errno == EBADF;
    for (i = 0; i < ngen; i++) {
        if ((unsigned long)st.st_dev == gens[i].dev && (unsigned long)st.st_ino == gens[i].ino) return 1;
    }
    return 0;
}

/* NCCL's debug FILE lost its descriptor (the application closed it, maybe
 * reusing the number): the FILE is pointed at a new copy of the current
 * pipe under the FILE's own lock, which NCCL's fwrite takes too. The old
 * number is not ours to close. */
static int repoint_locked(fg_nccl_copy_t *c, const capture_t *g)
{
    FILE *f  = atomic_load(&c->debug_file);
    int   fd = atomic_load(&c->debug_fd), nfd, tries;

    if (f == NULL) return 0;
    if (fd_is(fd, g->dev, g->ino)) return 1;
    if ((nfd = fcntl(g->w, F_DUPFD_CLOEXEC, g->w)) < 0) return 0;
    /* try, never wait for ever: in a forked child the lock may be held by a
     * thread that no longer exists */
    for (tries = 0; ftrylockfile(f) != 0; tries++) {
        struct timespec ns = { 0, 50000 };
        if (tries == 200) {
            close(nfd);
            return 0;
        }
        nanosleep(&ns, NULL);
    }
    f->_fileno = nfd;
    funlockfile(f);
    atomic_store(&c->debug_fd, nfd);
    return 1;
}

static int repoint_debug_file(fg_nccl_copy_t *c, const capture_t *g)   /* cap_lock held */
{
    int r;

    pthread_mutex_lock(&file_lock);   /* NCCL cannot fclose it meanwhile */
    r = repoint_locked(c, g);
    pthread_mutex_unlock(&file_lock);
    return r;
}

static int debug_fd_ok(fg_nccl_copy_t *c, const capture_t *g)
{
    int fd = atomic_load(&c->debug_fd);

    return atomic_load(&c->debug_file) == NULL || fd_is(fd, g->dev, g->ino);
}

void fg_nccl_capture_for(fg_nccl_copy_t *c)
{
    capture_t *g = live_capture();

    if (g != NULL && atomic_load(&c->generation) == g->gen && fd_is(g->w, g->dev, g->ino) &&
        debug_fd_ok(c, g)) {
        return;   /* fast path */
    }
    pthread_mutex_lock(&cap_lock);
    g = live_capture();
    if (g != NULL && !fd_is(g->w, g->dev, g->ino)) {
        atomic_store(&g->live, 0);   /* closed under us: its reader ends at EOF */
        g = NULL;
    }
    if (g == NULL) g = start_capture();
    if (g != NULL) {
        if (!c->patched) {
            c->patched = 1;
            atomic_store(&c->debug_fd, -1);
            if (fg_got_rewrite(c->lm, "getenv", (void *)nccl_getenv) <= 0) {
                fg_verdict_info("nccl", "capture", "libnccl's getenv slots could not be rewritten: "
                             "its debug log is not captured");
            }
            fg_got_rewrite(c->lm, "fopen", (void *)nccl_fopen);
            fg_got_rewrite(c->lm, "fopen64", (void *)nccl_fopen);
            fg_got_rewrite(c->lm, "fclose", (void *)nccl_fclose);
        }
        if (repoint_debug_file(c, g)) {
            atomic_store(&c->generation, g->gen);   /* NCCL's settings stand; its FILE writes to g */
        } else if (atomic_load(&c->generation) != g->gen) {
            /* NCCL may have read its settings already (a call we do not
             * wrap, or an earlier capture): it reads them again. Done
             * before the generation is published, so no other thread's
             * call reaches NCCL in between; NCCL's debug mutex, taken
             * here, is never held while waiting for cap_lock. */
            if (reset_is_safe(c) && c->reset_debug != NULL) ((void (*)(void))c->reset_debug)();
            atomic_store(&c->generation, g->gen);
        }
    }
    pthread_mutex_unlock(&cap_lock);
}

void fg_nccl_capture_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    capture_t      *g = atomic_load(&cur);

    /* the reader did not survive fork: the child does not capture (its
     * NCCL keeps the inherited descriptor; the parent's reader reads it) */
    fg_nccl_lock = fresh;
    cap_lock     = fresh;
    file_lock    = fresh;
    if (g != NULL) atomic_store(&g->live, 0);
}

/* ---- exit ------------------------------------------------------------------- */

void fg_nccl_at_exit(void)
{
    /* exit(3) from our own verdict runs inside a wrapper or the reader, which
     * may hold fg_nccl_lock: no drain then */
    if (fg_guard_depth() == 0) fg_nccl_drain();
}

/* A libnccl whose lazy getenv PLT slot was never bound never read a single
 * setting: it never made a communicator (an `import torch` probe). */
typedef struct { int loaded, used; } usage_t;

static int nccl_usage(struct dl_phdr_info *info, size_t size, void *arg)
{
    usage_t         *u = arg;
    const char      *base;
    Dl_info          di;
    struct link_map *lm = NULL;

    (void)size;
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') return 0;
    base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strstr(base, "libnccl") == NULL) return 0;
    u->loaded++;
    if (info->dlpi_phnum == 0 ||
        dladdr1((const void *)(info->dlpi_addr + info->dlpi_phdr[0].p_vaddr), &di, (void **)&lm,
                RTLD_DL_LINKMAP) == 0 || lm == NULL || fg_got_plt_called(lm, "getenv") != 0) {
        u->used++;   /* used, or cannot be told: keep reporting it */
    }
    return 0;
}

int fg_nccl_loaded_unused(void)
{
    usage_t u = { 0, 0 };

    dl_iterate_phdr(nccl_usage, &u);
    return u.loaded > 0 && u.used == 0;
}
