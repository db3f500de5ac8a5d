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
 * socket | plugin | lazy_ib | lazy_socket; add "flood" to write 200,000
 * extra INFO lines during init (a capture pipe under pressure). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int ncclResult_t;
typedef struct { char internal[128]; } ncclUniqueId;
typedef struct dcomm { int rank, nranks, connected; } *ncclComm_t;

enum { L_NONE, L_VERSION, L_WARN, L_INFO, L_ABORT, L_TRACE };
enum { S_INIT = 1, S_COLL = 2, S_P2P = 4, S_SHM = 8, S_NET = 16, S_GRAPH = 32, S_ENV = 128, S_BOOTSTRAP = 4096 };
static int   dbg_level = -1, dbg_mask;
static FILE *dbg_file;
static char  last_err[256];

static void debug_init(void)
{
    const char *l = getenv("NCCL_DEBUG"), *s = getenv("NCCL_DEBUG_SUBSYS"), *f = getenv("NCCL_DEBUG_FILE");
    dbg_level = !l ? L_NONE : !strcasecmp(l, "VERSION") ? L_VERSION : !strcasecmp(l, "WARN") ? L_WARN :
                !strcasecmp(l, "INFO") ? L_INFO : !strcasecmp(l, "TRACE") ? L_TRACE : L_NONE;
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

    if (dbg_level < 0) debug_init();
    if (dbg_level < level || (level == L_INFO && (flags & dbg_mask) == 0)) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gethostname(host, sizeof(host));
    if (level == L_VERSION) fprintf(dbg_file, "%s\n", msg);
    else if (level == L_WARN) fprintf(dbg_file, "\n%s:%d:%ld [0] double.cc:1 NCCL WARN %s\n", host, (int)getpid(), (long)syscall(SYS_gettid), msg);
    else fprintf(dbg_file, "%s:%d:%ld [0] NCCL INFO %s\n", host, (int)getpid(), (long)syscall(SYS_gettid), msg);
    fflush(dbg_file);
}

static const char *scenario(void)
{
    const char *s = getenv("FG_NCCL_DOUBLE_SCENARIO");
    return s ? s : "ib_gdr";
}
static int is(const char *s) { return strstr(scenario(), s) != NULL; }

static void channels(ncclComm_t c)
{
    if (is("socket")) {
        say(L_INFO, S_INIT | S_NET, "Channel 00/0 : 1[1] -> 0[0] [receive] via NET/Socket/0");
        say(L_INFO, S_INIT | S_NET, "Channel 00/0 : 0[0] -> 1[1] [send] via NET/Socket/0");
    } else {
        const char *gdr = is("nogdr") ? "" : "/GDRDMA";
        say(L_INFO, S_INIT | S_P2P, "Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM/read");
        say(L_INFO, S_INIT | S_SHM, "Channel 01 : 0[0] -> 1[1] via SHM/direct/direct");
        say(L_INFO, S_INIT | S_NET, "Channel 02/0 : 0[0] -> 2[2] [send] via NET/IB/0%s", gdr);
        say(L_INFO, S_INIT | S_NET, "Channel 02/0 : 2[2] -> 0[0] [receive] via NET/IB/0%s", gdr);
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
    ncclComm_t c = calloc(1, sizeof(*c));
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
EXPORT(ncclResult_t, ncclCommDestroy, (ncclComm_t c)) { free(c); return 0; }
EXPORT(ncclResult_t, ncclCommAbort, (ncclComm_t c)) { free(c); return 0; }
EXPORT(ncclResult_t, ncclCommFinalize, (ncclComm_t c)) { (void)c; return 0; }
EXPORT(ncclResult_t, ncclResetDebugInit, (void)) { dbg_level = -1; return 0; }
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
