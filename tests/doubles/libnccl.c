/* Test double of libnccl for what no machine here can produce: NCCL past
 * CUDA, on IB (with and without GPUDirect), RoCE, sockets, a net plugin,
 * with lazy connections at the first collective and several communicators.
 * The split: the real libnccl 2.28.9 (tests/e2e/nccl_real.sh) proves
 * capture, passthrough and error codes up to bootstrap, where it fails on
 * CUDA; this double covers everything after that.
 *
 * Like NCCL it exports pnccl* strong and nccl* weak, reads NCCL_DEBUG /
 * NCCL_DEBUG_SUBSYS / NCCL_DEBUG_FILE once through getenv (src/debug.cc
 * ncclDebugInit: levels VERSION WARN INFO TRACE, subsystem names with ^
 * negation, default mask INIT|BOOTSTRAP|ENV, %h/%p in the file name, fopen
 * "w"), re-reads them after ncclResetDebugInit, and writes lines in the
 * formats of NCCL 2.28 source: prefix "host:pid:tid [0] NCCL INFO "
 * (src/debug.cc); "NCCL version" (src/init.cc); "Bootstrap: Using"
 * (src/bootstrap.cc); "NET/IB : Using … ; OOB" (src/transport/net_ib.cc);
 * "NET/Socket : Using" (net_socket.cc); "Using network" (init.cc);
 * "NET/IB : GPU Direct RDMA Enabled/Disabled for HCA" (src/graph/topo.cc,
 * NCCL_NET only); channel lines (src/transport/net.cc, p2p.cc, shm.cc);
 * "- Init START/COMPLETE" (init.cc).
 * Scenario: FG_NCCL_DOUBLE_SCENARIO = ib_gdr (default) | ib_nogdr | roce |
 * socket | plugin | lazy_ib | lazy_socket | lazy_mixed (sockets for comms of 4+
 * ranks, IB below) | ofi_efa | ofi_tcp; "_then_ib" makes every communicator
 * after the first lazy_ib; add "flood" to write 200,000 extra INFO lines
 * during init (a capture pipe under pressure). ofi_* is NCCL with the
 * aws-ofi-nccl net plugin 1.14+, whose lines NCCL prints with the plugin's
 * "NET/OFI " prefix (aws-ofi-nccl include/nccl_ofi_log.h; "Selected provider
 * is %s, fabric is %s (found %d nics)" from src/nccl_ofi_net.c); the
 * plugin's name is "Libfabric".
 * Replay: FG_NCCL_DOUBLE_REPLAY=FILE (an excerpt of a real NCCL log, e.g.
 * tests/corpus/nccl/X.log) replaces the scenario: the double writes FILE's
 * NCCL messages, and nothing of its own, through the same debug output. A
 * real libnccl writes only its own format into its debug file, so each
 * message is re-prefixed as 2.28's ncclDebugLog prints it ("host:pid:tid
 * [dev] NCCL INFO msg", WARN with "file:line", VERSION bare), with this
 * process's host and pid and the excerpt's tid and dev where it has them;
 * launcher and shipper prefixes are cut and joined messages split as the
 * shared parser (shim/nccl_log.c) does. Communicators: those the parser
 * finds in the excerpt, in the order their "Init COMPLETE" lines come; init
 * call k writes the messages up to that line (the last call: all the rest),
 * with the excerpt's pointer rewritten to the communicator the application
 * gets and rank/nranks from the excerpt. A communicator the excerpt never
 * completes gets, after the last message and on its thread, the "Init
 * COMPLETE" line NCCL would have printed. ncclDoubleReplayLeft() says how
 * many communicators remain (tests/progs/nccl_replay.c). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int ncclResult_t;
typedef struct { char internal[128]; } ncclUniqueId;
typedef struct dcomm { int rank, nranks, connected; const void *owner; } *ncclComm_t;
static int ninit;   /* communicators made so far (scenario "then_ib") */

enum { L_NONE, L_VERSION, L_WARN, L_INFO, L_ABORT, L_TRACE };
enum { S_INIT = 1, S_COLL = 2, S_P2P = 4, S_SHM = 8, S_NET = 16, S_GRAPH = 32, S_ENV = 128, S_BOOTSTRAP = 4096 };
/* As src/debug.cc: settings read and lines written under one mutex; a reset
 * makes the next line re-read the settings, closing the old file first. */
static pthread_mutex_t dbg_mutex = PTHREAD_MUTEX_INITIALIZER;
static int   dbg_level = -1, dbg_mask, dbg_reset;
static FILE *dbg_file;
static char  last_err[256];

static char *(*const debug_getenv)(const char *) = getenv;

/* A child forked while another thread writes a line would inherit the
 * mutex locked (NCCL's own would be too): the double resets its own, so the
 * fork tests see only fabguard's locks. */
static void dbg_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    dbg_mutex = fresh;
}
__attribute__((constructor)) static void dbg_atfork(void) { pthread_atfork(NULL, NULL, dbg_child); }

static void debug_init(void)   /* dbg_mutex held */
{
    /* through a taken address, as 2.28.9's ncclDebugInit does: there a
     * GLOB_DAT slot inside GNU_RELRO; here (ld merges a GLOB_DAT with the
     * PLT slot) an R_X86_64_64 pointer inside GNU_RELRO, so the shim's
     * rewrite of a read-only slot is exercised by every double test; the
     * scenario below goes through the lazy PLT slot */
    char *(*get)(const char *) = *(char *(*const volatile *)(const char *))&debug_getenv;
    const char *l = get("NCCL_DEBUG"), *s = get("NCCL_DEBUG_SUBSYS"), *f = get("NCCL_DEBUG_FILE");
    dbg_level = !l ? L_NONE : !strcasecmp(l, "VERSION") ? L_VERSION : !strcasecmp(l, "WARN") ? L_WARN :
                !strcasecmp(l, "INFO") ? L_INFO : !strcasecmp(l, "TRACE") ? L_TRACE : L_NONE;
    if (dbg_reset && dbg_file != NULL && dbg_file != stdout) fclose(dbg_file);
    dbg_reset = 0;
    dbg_mask = S_INIT | S_BOOTSTRAP | S_ENV;
    if (s) {
        static const struct { const char *n; int m; } names[] = {
            { "INIT", S_INIT }, { "COLL", S_COLL }, { "P2P", S_P2P }, { "SHM", S_SHM }, { "NET", S_NET },
            { "GRAPH", S_GRAPH }, { "ENV", S_ENV }, { "BOOTSTRAP", S_BOOTSTRAP }, { "ALL", ~0 } };
        char buf[256], *tok, *save = NULL;
        int  neg = s[0] == '^';
        size_t i;
        snprintf(buf, sizeof(buf), "%s", s + neg);
        dbg_mask = neg ? ~0 : 0;
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (!strcasecmp(tok, names[i].n)) dbg_mask = neg ? dbg_mask & ~names[i].m : dbg_mask | names[i].m;
            }
        }
    }
    dbg_file = stdout;
    if (f && dbg_level > L_NONE) {
        char path[512], host[64];
        size_t n = 0;
        gethostname(host, sizeof(host));
        for (; *f && n < sizeof(path) - 40; f++) {
            if (f[0] == '%' && f[1] == 'h') { n += (size_t)snprintf(path + n, sizeof(path) - n, "%s", host); f++; }
            else if (f[0] == '%' && f[1] == 'p') { n += (size_t)snprintf(path + n, sizeof(path) - n, "%d", (int)getpid()); f++; }
            else path[n++] = *f;
        }
        path[n] = '\0';
        FILE *o = fopen(path, "w");
        if (o) dbg_file = o;
    }
}

static void say(int level, int flags, const char *fmt, ...)
{
    char    msg[1024], host[64];
    va_list ap;

    pthread_mutex_lock(&dbg_mutex);
    if (dbg_level < 0) debug_init();
    if (dbg_level < level || (level == L_INFO && (flags & dbg_mask) == 0)) {
        pthread_mutex_unlock(&dbg_mutex);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gethostname(host, sizeof(host));
    if (level == L_VERSION) fprintf(dbg_file, "%s\n", msg);
    else if (level == L_WARN) fprintf(dbg_file, "\n%s:%d:%ld [0] double.cc:1 NCCL WARN %s\n", host, (int)getpid(), (long)syscall(SYS_gettid), msg);
    else fprintf(dbg_file, "%s:%d:%ld [0] NCCL INFO %s\n", host, (int)getpid(), (long)syscall(SYS_gettid), msg);
    fflush(dbg_file);
    pthread_mutex_unlock(&dbg_mutex);
}


/* ---- replay (FG_NCCL_DOUBLE_REPLAY) --------------------------------------- */
typedef struct { int level; long tid; char dev[16]; char *text; } rmsg_t;
typedef struct { size_t last_msg; char ptr[32]; long tid, rank, nranks, maxrank; int complete; struct dcomm c; } rcomm_t;
static rmsg_t  *rmsgs;
static size_t   nrmsg, rcur;
static rcomm_t *rcomms;
static size_t   nrcomm, rnext;
static int      rloaded;

static const char *replay_file(void) { return getenv("FG_NCCL_DOUBLE_REPLAY"); }

/* As the parser's next_marker: " NCCL INFO ", " NCCL WARN ", or a VERSION
 * line's "NCCL version " (not "INFO NCCL version"). */
static const char *r_next_marker(const char *s)
{
    const char *a = strstr(s, " NCCL INFO "), *b = strstr(s, " NCCL WARN "), *v = s, *best = a;

    if (b != NULL && (best == NULL || b < best)) best = b;
    while ((v = strstr(v, "NCCL version ")) != NULL) {
        if (!(v - s >= 5 && strncmp(v - 5, "INFO ", 5) == 0)) {
            if (best == NULL || v < best) best = v;
            break;
        }
        v += 13;
    }
    return best;
}

/* As the parser's message_start: back over "[dev]" and "host:pid:tid". */
static const char *r_message_start(const char *line, const char *m)
{
    const char *p = m;

    while (p > line && p[-1] == ' ') p--;
    if (p > line && p[-1] == ']') {
        while (p > line && p[-1] != '[') p--;
        if (p > line) p--;
        while (p > line && p[-1] == ' ') p--;
        while (p > line && p[-1] != ' ') p--;
    }
    return p;
}

static void r_add(int level, long tid, const char *dev, size_t ndev, const char *text)
{
    rmsg_t *m;

    if ((nrmsg & 255) == 0 && (rmsgs = realloc(rmsgs, (nrmsg + 256) * sizeof(*rmsgs))) == NULL) abort();
    m        = &rmsgs[nrmsg++];
    m->level = level;
    m->tid   = tid;
    if (ndev == 0 || ndev >= sizeof(m->dev)) snprintf(m->dev, sizeof(m->dev), "0");
    else { memcpy(m->dev, dev, ndev); m->dev[ndev] = '\0'; }
    m->text = strdup(text);
}

/* One message of the excerpt (seg is writable): its level, tid and dev. */
static void r_segment(char *seg)
{
    size_t      len = strlen(seg);
    const char *k, *msg, *dev = NULL, *p;
    long        tid = -1;
    size_t      ndev = 0;
    int         level = L_INFO, bare = 0;

    while (len > 0 && (seg[len - 1] == '\n' || seg[len - 1] == '\r' || seg[len - 1] == ' ')) seg[--len] = '\0';
    if (len >= 2 && seg[len - 1] == '|' && seg[len - 2] == ' ') seg[len -= 2] = '\0';   /* CloudWatch column */
    for (p = seg; *p == ' ' || *p == '\t'; p++) {}
    if ((k = strstr(seg, " NCCL INFO ")) != NULL) msg = k + 11;
    else if (strncmp(p, "NCCL INFO ", 10) == 0) { msg = p + 10; bare = 1; }
    else if ((k = strstr(seg, " NCCL WARN ")) != NULL) { msg = k + 11; level = L_WARN; }
    else if (strncmp(p, "NCCL WARN ", 10) == 0) { msg = p + 10; bare = 1; level = L_WARN; }
    else if ((k = strstr(seg, "NCCL version ")) != NULL) { r_add(L_VERSION, -1, NULL, 0, k); return; }
    else return;   /* not an NCCL line: NCCL never wrote it */
    if (!bare) {   /* "… host:pid:tid [dev] NCCL INFO " or "[dev] file:line NCCL WARN " */
        const char *lb = msg - 11, *rb, *end, *tok, *c2;
        while (lb > seg && lb[-1] != '[') lb--;
        if (lb > seg && (rb = strchr(lb, ']')) != NULL && rb < msg) {
            dev  = lb;
            ndev = (size_t)(rb - lb);
            for (end = lb - 1; end > seg && end[-1] == ' '; end--) {}
            for (tok = end; tok > seg && tok[-1] != ' ' && tok[-1] != '\t'; tok--) {}
            for (c2 = end; c2 > tok && c2[-1] != ':'; c2--) {}
            if (c2 > tok && c2 < end && strspn(c2, "0123456789") == (size_t)(end - c2)) tid = strtol(c2, NULL, 10);
        }
    }
    r_add(level, tid, dev, ndev, msg);
}

/* Long hex after "comm 0x" in s, into out. */
static int r_comm_ptr(const char *s, char *out, size_t cap)
{
    const char *p = strstr(s, "comm 0x");
    size_t      n;

    if (p == NULL) return 0;
    p += 5;
    n = 2 + strspn(p + 2, "0123456789abcdefABCDEF");
    if (n <= 2 || n >= cap) return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static long r_num_after(const char *s, const char *a, const char *b)
{
    const char *p = strstr(s, a);
    if (p == NULL && b != NULL) p = strstr(s, b);
    return p ? strtol(p + strlen(a), NULL, 10) : -1;
}

/* The excerpt's communicators, found as the shared parser finds them
 * (shim/nccl_log.c pending_comm / comm_for): "Using network" and "Init
 * START" open one on their thread unless one is open there, "Init COMPLETE"
 * closes it, a channel line joins its thread's newest, else the newest.
 * Those never closed in the excerpt are closed after its last message, on
 * their thread, as NCCL would have printed it. */
static long r_pending(long tid)
{
    long k;

    for (k = (long)nrcomm - 1; k >= 0; k--) {
        if (rcomms[k].tid == tid) {
            if (!rcomms[k].complete) return k;
            break;
        }
    }
    if ((rcomms = realloc(rcomms, (nrcomm + 1) * sizeof(*rcomms))) == NULL) abort();
    memset(&rcomms[nrcomm], 0, sizeof(rcomms[0]));
    rcomms[nrcomm].tid    = tid;
    rcomms[nrcomm].rank   = -1;
    rcomms[nrcomm].nranks = -1;
    return (long)nrcomm++;
}

static void r_init_line(rcomm_t *r, const char *text)
{
    long rk = r_num_after(text, " rank ", NULL), nr = r_num_after(text, " nranks ", " nRanks ");

    if (!r->ptr[0]) r_comm_ptr(text, r->ptr, sizeof(r->ptr));
    if (rk >= 0) r->rank = rk;
    if (nr >= 0) r->nranks = nr;
}

static void replay_comms(void)
{
    size_t   i, k, done = 0;
    rcomm_t *sorted;

    for (i = 0; i < nrmsg; i++) {
        const char *t = rmsgs[i].text;
        long        c, hi;
        if (rmsgs[i].level != L_INFO) continue;
        if (strncmp(t, "Using network ", 14) == 0) {
            r_pending(rmsgs[i].tid);
        } else if (strstr(t, "- Init START") != NULL) {
            c = r_pending(rmsgs[i].tid);   /* may move rcomms */
            r_init_line(&rcomms[c], t);
        } else if (strstr(t, "- Init COMPLETE") != NULL) {
            c = r_pending(rmsgs[i].tid);
            r_init_line(&rcomms[c], t);
            rcomms[c].complete = 1;
            rcomms[c].last_msg = i;
        } else if ((strncmp(t, "Channel ", 8) == 0 || strncmp(t, "Ring ", 5) == 0) && strstr(t, " via ") != NULL) {
            const char *a = strchr(t, ':'), *b = a ? strstr(a, "-> ") : NULL;
            for (c = (long)nrcomm - 1; c >= 0 && rcomms[c].tid != rmsgs[i].tid; c--) {}
            if (c < 0) c = nrcomm ? (long)nrcomm - 1 : r_pending(rmsgs[i].tid);
            hi = a ? strtol(a + 1, NULL, 10) : 0;   /* "N[x] -> M[y]": the ranks it names */
            if (b != NULL && strtol(b + 3, NULL, 10) > hi) hi = strtol(b + 3, NULL, 10);
            if (hi + 1 > rcomms[c].maxrank) rcomms[c].maxrank = hi + 1;
        }
    }
    /* the order the application makes them: closed ones as they closed, then the rest */
    if ((sorted = calloc(nrcomm + 1, sizeof(*sorted))) == NULL) abort();
    for (i = 0; i < nrmsg; i++) {
        for (k = 0; k < nrcomm; k++) {
            if (rcomms[k].complete && rcomms[k].last_msg == i) sorted[done++] = rcomms[k];
        }
    }
    for (k = 0; k < nrcomm; k++) {
        if (!rcomms[k].complete) {
            sorted[done] = rcomms[k];
            sorted[done++].last_msg = nrmsg;   /* after the last message */
        }
    }
    if (nrcomm == 0) {   /* no communicator line at all: one, on the first thread */
        sorted[0].tid = nrmsg ? rmsgs[0].tid : -1;
        sorted[0].rank = sorted[0].nranks = -1;
        sorted[0].last_msg = nrmsg;
        nrcomm = 1;
    }
    free(rcomms);
    rcomms = sorted;
}

static void replay_load(void)
{
    FILE   *f;
    char   *line = NULL;
    size_t  cap = 0;
    ssize_t n;

    rloaded = 1;
    if ((f = fopen(replay_file(), "r")) == NULL) {
        fprintf(stderr, "nccl double: FG_NCCL_DOUBLE_REPLAY: cannot open %s\n", replay_file());
        exit(2);
    }
    while ((n = getline(&line, &cap, f)) > 0) {   /* split joined messages as the parser does */
        const char *m = r_next_marker(line);
        char       *start = line;
        while (m != NULL) {
            const char *nm   = r_next_marker(m + 1);
            char       *next = nm ? (char *)r_message_start(line, nm) : NULL;
            if (next != NULL && next <= m) next = NULL;
            if (next == NULL) break;
            char saved = *next;
            *next = '\0';
            r_segment(start);
            *next = saved;
            start = next;
            m     = nm;
        }
        r_segment(start);
    }
    free(line);
    fclose(f);
    replay_comms();
}

/* text with every replayed communicator pointer as the one the
 * application holds */
static void r_rewrite(const char *text, char *out, size_t cap)
{
    size_t o = 0, k;

    while (*text && o + 1 < cap) {
        int hit = 0;
        if (text[0] == '0' && text[1] == 'x') {
            for (k = 0; k < nrcomm && !hit; k++) {
                size_t l = strlen(rcomms[k].ptr);
                if (l && strncmp(text, rcomms[k].ptr, l) == 0 && strspn(text + l, "0123456789abcdefABCDEF") == 0) {
                    o += (size_t)snprintf(out + o, cap - o, "%p", (void *)&rcomms[k].c);
                    text += l;
                    hit = 1;
                }
            }
        }
        if (!hit) out[o++] = *text++;
        if (o >= cap) o = cap - 1;
    }
    out[o] = '\0';
}

static void say_replayed(const rmsg_t *m)
{
    char host[64], text[2048];
    long tid = m->tid >= 0 ? m->tid : (long)syscall(SYS_gettid);

    r_rewrite(m->text, text, sizeof(text));
    pthread_mutex_lock(&dbg_mutex);
    if (dbg_level < 0) debug_init();
    if (dbg_level >= m->level) {
        gethostname(host, sizeof(host));
        if (m->level == L_VERSION) fprintf(dbg_file, "%s\n", text);
        else if (m->level == L_WARN) fprintf(dbg_file, "\n%s:%d:%ld [%s] replay.cc:1 NCCL WARN %s\n", host, (int)getpid(), tid, m->dev, text);
        else fprintf(dbg_file, "%s:%d:%ld [%s] NCCL INFO %s\n", host, (int)getpid(), tid, m->dev, text);
        fflush(dbg_file);
    }
    pthread_mutex_unlock(&dbg_mutex);
}

/* Init call in replay mode: the next communicator's messages (the last:
 * all the rest), and its "Init COMPLETE" when the excerpt has none. */
static ncclResult_t replay_init(ncclComm_t *out, int nranks, int rank, const char *fn)
{
    ncclComm_t c;
    rcomm_t   *r = NULL;
    size_t     upto = nrmsg;

    if (!rloaded) replay_load();
    if (rnext < nrcomm) {
        r         = &rcomms[rnext++];
        c         = &r->c;
        c->rank   = r->rank >= 0 ? (int)r->rank : 0;
        c->nranks = r->nranks >= 0 ? (int)r->nranks : r->maxrank > 0 ? (int)r->maxrank : nranks;
        if (rnext < nrcomm && r->complete) upto = r->last_msg + 1;
    } else {
        c         = calloc(1, sizeof(*c));
        c->rank   = rank;
        c->nranks = nranks;
    }
    c->owner     = &dbg_level;
    c->connected = 1;
    for (; rcur < upto; rcur++) say_replayed(&rmsgs[rcur]);
    if (r != NULL && !r->complete) {
        rmsg_t done = { L_INFO, r->tid, "0", NULL };
        char   text[256];
        snprintf(text, sizeof(text), "%s comm %p rank %d nranks %d cudaDev 0 nvmlDev 0 busId 1b000 commId 0x6a4f - Init COMPLETE",
                 fn, (void *)c, c->rank, c->nranks);
        done.text = text;
        say_replayed(&done);
    }
    *out = c;
    return 0;
}

static int replayed(ncclComm_t c)
{
    return rcomms != NULL && (void *)c >= (void *)rcomms && (void *)c < (void *)(rcomms + nrcomm);
}

/* Not NCCL's: communicators of the replayed excerpt not yet made. */
int ncclDoubleReplayLeft(void)
{
    if (replay_file() == NULL) return 0;
    if (!rloaded) replay_load();
    return (int)(nrcomm - rnext);
}

/* "X_then_ib": scenario X for the first communicator, lazy_ib after it */
static const char *scenario(void)
{
    const char *s = getenv("FG_NCCL_DOUBLE_SCENARIO");
    if (s != NULL && ninit > 1 && strstr(s, "then_ib") != NULL) return "lazy_ib";
    return s ? s : "ib_gdr";
}
static int is(const char *s) { return strstr(scenario(), s) != NULL; }

/* Ring neighbours of this rank, as NCCL prints them (ranks < nranks). */
static void channels(ncclComm_t c)
{
    int me = c->rank, prev = (c->rank + c->nranks - 1) % c->nranks, next = (c->rank + 1) % c->nranks;
    int sock = is("socket") || (is("mixed") && c->nranks >= 4);

    if (is("ofi_")) {
        const char *gdr = is("ofi_efa") ? "/GDRDMA" : "";
        say(L_INFO, S_INIT | S_NET, "Channel 00/0 : 1[0] -> 0[0] [receive] via NET/Libfabric/0%s", gdr);
        say(L_INFO, S_INIT | S_NET, "Channel 00/0 : 0[0] -> 1[0] [send] via NET/Libfabric/0%s", gdr);
    } else if (sock) {
        say(L_INFO, S_INIT | S_NET, "Channel 00/0 : %d[%d] -> %d[%d] [receive] via NET/Socket/0", prev, prev, me, me);
        say(L_INFO, S_INIT | S_NET, "Channel 00/0 : %d[%d] -> %d[%d] [send] via NET/Socket/0", me, me, next, next);
    } else {
        const char *gdr = is("nogdr") ? "" : "/GDRDMA";
        say(L_INFO, S_INIT | S_P2P, "Channel 00/0 : %d[%d] -> %d[%d] via P2P/CUMEM/read", me, me, next, next);
        say(L_INFO, S_INIT | S_SHM, "Channel 01 : %d[%d] -> %d[%d] via SHM/direct/direct", me, me, next, next);
        say(L_INFO, S_INIT | S_NET, "Channel 02/0 : %d[%d] -> %d[%d] [send] via NET/IB/0%s", me, me, next, next, gdr);
        say(L_INFO, S_INIT | S_NET, "Channel 02/0 : %d[%d] -> %d[%d] [receive] via NET/IB/0%s", prev, prev, me, me, gdr);
    }
    c->connected = 1;
}

/* NCCL loads its net plugin during init (src/plugin/net.cc: dlopen of
 * NCCL_NET_PLUGIN, RTLD_NOW | RTLD_LOCAL). With a path there, the double
 * does the same and runs its fg_plugin_run: a plugin that opens libfabric
 * as aws-ofi-nccl does (tests/progs/libfi_plugin.c). */
static void run_net_plugin(void)
{
    const char *path = getenv("NCCL_NET_PLUGIN");
    void       *h;
    int (*run)(void);

    if (path == NULL || path[0] != '/' || (h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        return;
    }
    *(void **)&run = dlsym(h, "fg_plugin_run");
    if (run != NULL) {
        say(L_INFO, S_INIT | S_NET, "NET/Plugin: plugin init returned %d", run());
    }
}

/* Rails (tests/e2e/rail.sh; node tree tests/fixtures/sysfs rail4: GPU 2k,
 * 2k+1 and mlx5_k under PCIe switch k). Scenarios: rail_wrong (GPU busId
 * 36000 sends over NET/IB/0 = mlx5_0, the other socket), rail_right (the
 * same GPU over NET/IB/3 = mlx5_3, its own switch), samehost_net (nNodes 1:
 * two local ranks over NET/IB/0, as with NCCL_P2P_DISABLE=1
 * NCCL_SHM_DISABLE=1). They add the 2.19+ line "comm %p rank %d nRanks %d
 * nNodes %d localRanks %d localRank %d MNNVL %d" (src/init.cc) and are rank
 * `rank` of a 2-rank job whatever nranks the caller passed (the peer,
 * rank 1, is another process). */
static int rails(void) { return is("rail_") || is("samehost_net"); }
static const char *rail_busid(void) { return is("samehost_net") ? "30000" : "36000"; }
static int rail_dev(void) { return is("samehost_net") ? 0 : 6; }
static int rail_nranks(int nranks) { return nranks < 2 ? 2 : nranks; }

static void rail_init_lines(ncclComm_t c, int nranks, int rank, const char *fn, const char *what)
{
    say(L_INFO, S_INIT, "%s comm %p rank %d nranks %d cudaDev %d nvmlDev %d busId %s commId 0x6a4f - Init %s", fn,
        (void *)c, rank, rail_nranks(nranks), rail_dev(), rail_dev(), rail_busid(), what);
    if (strcmp(what, "START") != 0) return;
    say(L_INFO, S_INIT | S_NET, "NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_1:1/IB [2]mlx5_2:1/IB [3]mlx5_3:1/IB [RO]; OOB ib0:10.0.0.7<0>");
    say(L_INFO, S_INIT, "Using network IB");
    say(L_INFO, S_INIT, "comm %p rank %d nRanks %d nNodes %d localRanks %d localRank %d MNNVL 0", (void *)c, rank,
        rail_nranks(nranks), is("samehost_net") ? 1 : 2, is("samehost_net") ? 2 : 1, rank);
}

static void rail_channels(void)
{
    int nic = is("rail_right") ? 3 : 0, d = rail_dev(), peer = is("samehost_net") ? 1 : d;
    say(L_INFO, S_INIT | S_NET, "Channel 00/0 : 1[%d] -> 0[%d] [receive] via NET/IB/%d/GDRDMA", peer, d, nic);
    say(L_INFO, S_INIT | S_NET, "Channel 00/0 : 0[%d] -> 1[%d] [send] via NET/IB/%d/GDRDMA", d, peer, nic);
    say(L_INFO, S_INIT | S_NET, "Channel 01/0 : 1[%d] -> 0[%d] [receive] via NET/IB/%d/GDRDMA", peer, d, nic);
    say(L_INFO, S_INIT | S_NET, "Channel 01/0 : 0[%d] -> 1[%d] [send] via NET/IB/%d/GDRDMA", d, peer, nic);
}

static ncclResult_t init(ncclComm_t *out, int nranks, int rank, const char *fn)
{
    ncclComm_t c;
    if (replay_file() != NULL) return replay_init(out, nranks, rank, fn);
    c = calloc(1, sizeof(*c));
    ninit++;
    c->owner = &dbg_level;   /* this copy of the library */
    c->rank = rank;
    c->nranks = nranks;
    say(L_VERSION, 0, "NCCL version 2.28.9+cuda13.0");
    if (rails()) {
        rail_init_lines(c, nranks, rank, fn, "START");
    } else {
        say(L_INFO, S_INIT, "%s comm %p rank %d nranks %d cudaDev 0 nvmlDev 0 busId 1b000 commId 0x6a4f - Init START", fn, (void *)c, rank, nranks);
    }
    if (rails()) {
        /* printed with the Init START line */
    } else if (is("socket")) {
        say(L_INFO, S_INIT | S_NET, "NET/IB : No device found.");
        say(L_INFO, S_INIT | S_NET, "NET/Socket : Using [0]eth0:10.0.0.7<0>");
        say(L_INFO, S_INIT, "Using network Socket");
    } else if (is("ofi_")) {   /* aws-ofi-nccl: EFA, or its tcp provider off AWS */
        say(L_INFO, S_INIT | S_NET, "NET/Plugin: Loaded net plugin Libfabric (v8)");
        say(L_INFO, S_INIT | S_NET, "NET/OFI Initializing aws-ofi-nccl 1.14.0");
        say(L_INFO, S_INIT | S_NET, "NET/OFI Using Libfabric version 1.22");
        if (is("ofi_efa")) {
            say(L_INFO, S_INIT, "NET/OFI Configuring AWS-specific options");
            say(L_INFO, S_INIT, "NET/OFI Setting provider_filter to efa");
            say(L_INFO, S_INIT | S_NET, "NET/OFI Using transport protocol RDMA (platform set)");
            say(L_INFO, S_INIT | S_NET, "NET/OFI Selected provider is efa, fabric is efa (found 4 nics)");
        } else {
            say(L_INFO, S_INIT | S_NET, "NET/OFI Using transport protocol SENDRECV");
            say(L_INFO, S_INIT | S_NET, "NET/OFI Selected provider is tcp, fabric is 10.0.0.0/24 (found 1 nics)");
        }
        say(L_INFO, S_INIT, "Using network Libfabric");
    } else if (is("plugin")) {
        run_net_plugin();
        say(L_INFO, S_INIT | S_NET, "NET/Plugin: Loaded net plugin AWS Libfabric (v9)");
        say(L_INFO, S_INIT, "Using network AWS Libfabric");
    } else {
        say(L_INFO, S_INIT | S_NET, "NET/IB : Using [0]mlx5_0:1/%s [1]mlx5_1:1/%s [RO]; OOB ib0:10.0.0.7<0>",
            is("roce") ? "RoCE" : "IB", is("roce") ? "RoCE" : "IB");
        say(L_INFO, S_INIT, "Using network IB");
        say(L_INFO, S_NET, "NET/IB : GPU Direct RDMA %s for HCA 0 'mlx5_0'", is("nogdr") ? "Disabled" : "Enabled");
    }
    if (is("flood")) {
        int i;
        for (i = 0; i < 200000; i++) say(L_INFO, S_INIT, "flood line %d of an NCCL INFO storm", i);
    }
    if (rails()) {
        rail_channels();
        c->connected = 1;
        rail_init_lines(c, nranks, rank, fn, "COMPLETE");
    } else {
        if (!is("lazy")) channels(c);
        say(L_INFO, S_INIT, "%s comm %p rank %d nranks %d cudaDev 0 nvmlDev 0 busId 1b000 commId 0x6a4f - Init COMPLETE", fn, (void *)c, rank, nranks);
    }
    *out = c;
    return 0;
}

#define EXPORT(ret, name, args) \
    ret name args __attribute__((weak, alias("p" #name))); \
    ret p##name args

EXPORT(ncclResult_t, ncclGetVersion, (int *v)) { *v = 22809; return 0; }
EXPORT(ncclResult_t, ncclGetUniqueId, (ncclUniqueId *id))
{
    memset(id, 7, sizeof(*id));
    if (replay_file() != NULL) return 0;   /* the excerpt has its own bootstrap line */
    say(L_INFO, S_BOOTSTRAP, "Bootstrap: Using %s:10.0.0.7<0>", is("socket") ? "eth0" : "ib0");
    return 0;
}
EXPORT(ncclResult_t, ncclCommInitRank, (ncclComm_t *c, int n, ncclUniqueId id, int r)) { (void)id; return init(c, n, r, "ncclCommInitRank"); }
EXPORT(ncclResult_t, ncclCommInitRankConfig, (ncclComm_t *c, int n, ncclUniqueId id, int r, void *cfg)) { (void)id; (void)cfg; return init(c, n, r, "ncclCommInitRankConfig"); }
EXPORT(ncclResult_t, ncclCommInitRankScalable, (ncclComm_t *c, int n, int r, int nid, ncclUniqueId *ids, void *cfg)) { (void)nid; (void)ids; (void)cfg; return init(c, n, r, "ncclCommInitRankScalable"); }
EXPORT(ncclResult_t, ncclCommInitAll, (ncclComm_t *c, int ndev, const int *dl))
{
    int i;
    (void)dl;
    for (i = 0; i < ndev; i++) init(&c[i], ndev, i, "ncclCommInitAll");
    return 0;
}
EXPORT(ncclResult_t, ncclCommSplit, (ncclComm_t c, int color, int key, ncclComm_t *nc, void *cfg))
{
    (void)color; (void)key; (void)cfg;
    return init(nc, c->nranks, c->rank, "ncclCommSplit");
}
/* Not NCCL's: whether this copy of the library made c (two-copy tests). */
int ncclDoubleOwns(ncclComm_t c) { return c != NULL && c->owner == &dbg_level; }
EXPORT(ncclResult_t, ncclCommDestroy, (ncclComm_t c)) { if (!replayed(c)) free(c); return 0; }
EXPORT(ncclResult_t, ncclCommAbort, (ncclComm_t c)) { if (!replayed(c)) free(c); return 0; }
EXPORT(ncclResult_t, ncclCommFinalize, (ncclComm_t c)) { (void)c; return 0; }
EXPORT(ncclResult_t, ncclResetDebugInit, (void))
{
    pthread_mutex_lock(&dbg_mutex);
    dbg_level = -1;
    dbg_reset = 1;
    pthread_mutex_unlock(&dbg_mutex);
    return 0;
}
/* Not wrapped by fabguard; logs (ALLOC), so NCCL's debug settings are read
 * before the first communicator when an application calls it first. */
EXPORT(ncclResult_t, ncclMemAlloc, (void **ptr, size_t size))
{
    *ptr = malloc(size);
    say(L_INFO, 256, "NCCL mem alloc %zu bytes", size);
    return 0;
}
EXPORT(const char *, ncclGetErrorString, (ncclResult_t r))
{
    static const char *const s[] = { "no error", "unhandled cuda error", "unhandled system error", "internal error",
                                     "invalid argument", "invalid usage", "remote process exited", "in progress" };
    return (r >= 0 && r < 8) ? s[r] : "unknown result code";
}
EXPORT(const char *, ncclGetLastError, (ncclComm_t c)) { (void)c; return last_err; }
/* Since NCCL 2.22 channels connect at the first collective. */
EXPORT(ncclResult_t, ncclAllReduce, (const void *s, void *r, size_t n, int dt, int op, ncclComm_t c, void *st))
{
    (void)s; (void)r; (void)n; (void)dt; (void)op; (void)st;
    if (!c->connected) channels(c);
    return 0;
}
