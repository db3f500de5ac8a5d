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
 * plugin's name is "Libfabric". */
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

static ncclResult_t init(ncclComm_t *out, int nranks, int rank, const char *fn)
{
    ncclComm_t c = calloc(1, sizeof(*c));
    ninit++;
    c->owner = &dbg_level;   /* this copy of the library */
    c->rank = rank;
    c->nranks = nranks;
    say(L_VERSION, 0, "NCCL version 2.28.9+cuda13.0");
    say(L_INFO, S_INIT, "%s comm %p rank %d nranks %d cudaDev 0 nvmlDev 0 busId 1b000 commId 0x6a4f - Init START", fn, (void *)c, rank, nranks);
    if (is("socket")) {
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
    if (!is("lazy")) channels(c);
    say(L_INFO, S_INIT, "%s comm %p rank %d nranks %d cudaDev 0 nvmlDev 0 busId 1b000 commId 0x6a4f - Init COMPLETE", fn, (void *)c, rank, nranks);
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
EXPORT(ncclResult_t, ncclCommDestroy, (ncclComm_t c)) { free(c); return 0; }
EXPORT(ncclResult_t, ncclCommAbort, (ncclComm_t c)) { free(c); return 0; }
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
