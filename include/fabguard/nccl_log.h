/* NCCL debug-log grammar (NCCL 2.18 .. 2.28), pure and incremental: feed
 * lines of any number of ranks, interleaved, with or without prefixes added
 * by mpirun/kubectl/log shippers; get a model per process and communicator.
 * Formats, from NVIDIA/nccl:
 *   line prefix   src/debug.cc ncclDebugLog: "[timestamp] " (optional; WARN by
 *                 default in 2.28), "host:pid:tid ", then "[dev] NCCL INFO " or
 *                 "[dev] file:line NCCL WARN "; the VERSION level has no prefix
 *   version       src/init.cc "NCCL version 2.28.9+cuda13.0"
 *   network       src/init.cc "Using network %s" (IB, Socket, a plugin's name,
 *                 which may contain spaces)
 *   IB devices    src/transport/net_ib.cc "NET/IB : Using [0]mlx5_0:1/IB
 *                 [1]mlx5_1:1/RoCE [RO]; OOB eth0:10.0.0.1<0>", "NET/IB : No device found."
 *   sockets       src/transport/net_socket.cc "NET/Socket : Using [0]eth0:10.0.0.1<0>"
 *   bootstrap     src/bootstrap.cc 2.18-2.2x "Bootstrap : Using eth0:10.0.0.1<0>",
 *                 2.28 "Bootstrap: Using eth0:10.0.0.1<0>"
 *   GDR           src/graph/topo.cc "NET/IB : GPU Direct RDMA Enabled for HCA 0 'mlx5_0'"
 *                 (Disabled likewise); src/graph/paths.cc "GPU Direct RDMA Disabled
 *                 for GPU 1b000 / HCA 0 (distance 5 > 4)"
 *   channels      src/transport/net.cc "Channel 00/0 : 0[0] -> 1[1] [send] via
 *                 NET/IB/0/GDRDMA" (also "NET/IB/0(1)/GDRDMA(PCI)/Shared"),
 *                 src/transport/p2p.cc "via P2P/IPC", "P2P/CUMEM/read",
 *                 "P2P/direct pointer", src/transport/shm.cc "Channel 00 : 0[0] ->
 *                 1[1] via SHM/direct/direct", NVLS and CollNet likewise
 *   init          src/init.cc "%s comm %p rank %d nranks %d cudaDev %d nvmlDev %d
 *                 busId %lx commId 0x%llx - Init COMPLETE" (2.18: without the
 *                 function name), and "- Init START" in newer versions.
 * Older and foreign shapes, seen in logs users post (tests/corpus/nccl):
 *   2.4-2.5       "Bootstrap : Using [0]ib0:10.0.0.1<0> [1]…" (indexed list),
 *                 "Ring 00 : 3[3] -> 1[1] via P2P/IPC" (before "Channel"),
 *                 no "Using network" line: the network is inferred
 *   2.27+         "NCCL INFO NCCL version 2.27.6" (VERSION with a prefix)
 *   IB lists      "/IB", "/RoCE", "/IB/SHARP" suffixes; merged virtual NICs
 *                 "[0]={[0] mlx5_2:1/RoCE, [1] mlx5_3:1/RoCE} [1]={…}"
 *   GDR           "GPU Direct RDMA (nvidia-peermem) enabled for HCA …",
 *                 "(DMABUF) enabled", "… Disabled for GPU 2[2] / HCA 0 (…)",
 *                 aws-ofi-nccl "NET/OFI … disabling GDR"
 *   aws-ofi-nccl  "NET/OFI Selected Provider is efa" (≤ 1.5), "… is efa (found 4
 *                 nics)" (1.6 … 1.13), "NET/OFI Selected provider is efa, fabric
 *                 is efa-direct (found 32 nics)" (1.14+): src/nccl_ofi_net.c(pp)
 *   prefixes      none (message only: "NCCL INFO Channel …", "[0] NCCL INFO …"),
 *                 "[1,3]<stdout>:", "[155] ", "[pod/x/y] ", "0: ", Ray
 *                 "(RayWorker pid=1)", CloudWatch "| 2025-…-07:00host:pid:tid …
 *                 | host:pid:tid …" (the line repeated), redacted hosts
 *                 ("<cluster_name>:919:1150", ":22901:22901"), several messages
 *                 joined on one physical line (re-flowed pastes). */
#ifndef FABGUARD_NCCL_LOG_H
#define FABGUARD_NCCL_LOG_H

#include <stddef.h>
#include "fabguard/common.h"

#define FG_NCCL_MAX_DEVS 32

typedef struct {
    int  channel;
    long from_rank, to_rank;
    char dir[8];          /* "send", "receive" or "" */
    char transport[64];   /* as printed after "via": "NET/IB/0/GDRDMA", "P2P/IPC" */
    int  gdr;             /* 1 GDRDMA, 0 a NET channel without it, -1 n/a */
    /* additive (rails): the text in brackets after each rank, "0[1b000]":
     * older NCCL (2.7 .. 2.1x) print the GPU's busId there (src/transport net.cc, p2p.cc, shm.cc:
     * "%d[%lx]"), newer ones a device number ("0[0]"); which one it is
     * follows from the comm's own busId (fg_nccl_channel_busids) */
    char from_dev[20], to_dev[20];
} fg_nccl_channel_t;

/* Facts NCCL prints once per process (network init is per process). */
typedef struct {
    char   host[64];
    long   pid;
    char   version[48];
    char   net[64];                         /* last "Using network" */
    char   net_devices[FG_NCCL_MAX_DEVS][64];   /* "mlx5_0:1/IB", "eth0" */
    size_t ndev;
    char   bootstrap_iface[32];
    char   bootstrap_addr[64];
    int    gdr;                             /* -1 unknown, 0 some HCA disabled, 1 enabled */
    char   gdr_detail[160];
    long   warnings;
    char   last_warning[200];
    /* additive (explain, corpus): where net_devices came from, 0 none, 1 the
     * NET/IB list, 2 the NET/Socket list; the newest communicator of this
     * process (comms chain back through prev_in_proc); a hash-chain link */
    int    dev_source;
    long   last_comm;
    long   hnext;
    /* additive (aws-ofi-nccl): the plugin's "NET/OFI Selected provider is
     * efa, fabric is efa (found 4 nics)" line (formats in
     * include/fabguard/libfabric.h). ofi_provider "" = no such line; then
     * ofi_fabric and ofi_nics mean nothing. ofi_fabric "" and ofi_nics -1
     * when the line named none (releases before 1.14 / 1.6). */
    char   ofi_provider[64];
    char   ofi_fabric[128];
    long   ofi_nics;
} fg_nccl_proc_t;

typedef struct {
    size_t             proc;                /* index into log->procs */
    char               comm[32];            /* "0x55d0c8e8b2f0", "" before known */
    char               comm_id[40];
    long               rank, nranks;        /* -1 unknown */
    long               tid;                 /* thread that initialised it */
    int                complete;
    char               net[64];             /* network of this comm */
    fg_nccl_channel_t *channels;
    size_t             nch, capch;
    long               prev_in_proc;        /* older comm of the same process, -1 */
    /* additive (rails): from the init lines "… cudaDev 0 nvmlDev 0 busId
     * 1b000 …" and "comm 0x… rank 1 nRanks 8 nNodes 1 localRanks 8
     * localRank 1 MNNVL 0"; "" / -1 when not logged */
    char               busid[20];           /* NCCL's spelling: "1b000" */
    long               cuda_dev;
    long               nnodes, local_ranks, local_rank;
} fg_nccl_comm_t;

typedef struct {
    fg_nccl_proc_t *procs;
    size_t          nprocs, capprocs;
    fg_nccl_comm_t *comms;
    size_t          ncomms, capcomms;
    long            lines, nccl_lines;
    char            version[48];   /* from a VERSION line without host:pid */
    long           *hash;          /* process lookup by host:pid (linear time) */
    size_t          hashcap;
} fg_nccl_log_t;

/* What a fed line changed. */
typedef enum {
    FG_NCCL_NONE = 0,      /* not an NCCL line, or nothing we track */
    FG_NCCL_FACT,          /* a process fact (net, devices, bootstrap, GDR, version) */
    FG_NCCL_CHANNEL,       /* a channel was added to comm */
    FG_NCCL_COMPLETE,      /* comm finished init */
    FG_NCCL_WARN           /* an NCCL WARN line */
} fg_nccl_change_t;

typedef struct {
    fg_nccl_change_t what;
    long             comm;   /* index into comms, -1 none */
    long             proc;   /* index into procs, -1 none */
} fg_nccl_update_t;

void fg_nccl_log_init(fg_nccl_log_t *log);
void fg_nccl_log_free(fg_nccl_log_t *log);
/* One line (without its newline; any length; need not be NUL-terminated).
 * A physical line holding several NCCL messages (a re-flowed paste) is fed
 * as those messages in order; upd describes the last one. */
int  fg_nccl_log_feed(fg_nccl_log_t *log, const char *line, size_t len,
                      fg_nccl_update_t *upd);
/* 1 when the text looks like an NCCL debug log. */
int  fg_nccl_text_is_log(const char *text, size_t len);
/* The network a process used: its "Using network" value, else inferred from
 * its NET channels ("NET/IB/0" -> "IB") or from which device list NCCL
 * printed. *inferred is set to 1 when it was inferred. "" when unknown;
 * buf holds an inferred name. */
const char *fg_nccl_proc_net(const fg_nccl_log_t *log, size_t proc, char *buf, size_t cap,
                             int *inferred);
/* The transport class of a channel: "NET/<net>", "P2P/<kind>", else the
 * first path component ("SHM", "NVLS", "CollNet"). */
void fg_nccl_transport_class(const char *transport, char *out, size_t cap);
/* The busIds of a channel's two ranks when its brackets carry busIds (the
 * bracket of the comm's own rank equals the comm's busId): 1 and both
 * written, else 0. */
int fg_nccl_channel_busids(const fg_nccl_comm_t *c, const fg_nccl_channel_t *ch,
                           const char **from, const char **to);

#endif
