/* Process identity: written at init (under core's init lock) and in a
 * forked child, read by every event and stderr line afterwards. */
#include "origin.h"
#include "fabguard/common.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What the application was doing, set by a thread of ours (NCCL's reader)
 * before it reaches a verdict: the abort prints it instead of our frames. */
static __thread char fg_activity[256] __attribute__((tls_model("initial-exec")));

static char        host[256];
static long        pid_cached;
static long        fork_parent;
static long        load_pid;         /* pid at load: a child forked before init differs */
/* "fabguard[host:pid rank N]" for stderr: rebuilt at init, fork and when a
 * rank becomes known, into the buffer not being read (the abort path reads
 * it from any thread, async-signal-safely). */
static char        ident_buf[2][320];
static atomic_int  ident_cur = -1;
static char        rank_text[48];    /* "rank 3", "local_rank 1" or "" */
static atomic_int  rank_from_comm;

__attribute__((constructor)) static void origin_constructor(void)
{
    load_pid = (long)getpid();
}

const char *fg_origin_program(void)
{
    return program_invocation_short_name ? program_invocation_short_name : "?";
}

static void build_ident(void)
{
    int       next = atomic_load(&ident_cur) == 0 ? 1 : 0;
    fg_sbuf_t sb;

    fg_sb_init(&sb, ident_buf[next], sizeof(ident_buf[next]) - 1);
    fg_sb_puts(&sb, "fabguard[");
    fg_sb_puts(&sb, host[0] ? host : "?");
    fg_sb_putc(&sb, ':');
    fg_sb_putl(&sb, pid_cached ? pid_cached : (long)getpid());
    if (rank_text[0] != '\0') {
        fg_sb_putc(&sb, ' ');
        fg_sb_puts(&sb, rank_text);
    }
    fg_sb_putc(&sb, ']');
    ident_buf[next][sb.len] = '\0';
    atomic_store(&ident_cur, next);
}

const char *fg_origin_ident(void)
{
    int cur = atomic_load(&ident_cur);

    return cur < 0 ? "fabguard" : ident_buf[cur];
}

static int all_digits(const char *v)
{
    if (v == NULL || *v == '\0' || strlen(v) > 9) {
        return 0;
    }
    for (; *v != '\0'; v++) {
        if (*v < '0' || *v > '9') {
            return 0;
        }
    }
    return 1;
}

/* The rank a launcher gave this process (Open MPI, PMIx, PMI/MPICH/Intel
 * MPI, Slurm, torchrun), or "" when none did. setuid or capability-raised
 * programs take nothing from the environment (secure_getenv). */
static void launcher_rank(void)
{
    static const char *const global[] = {
        "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK",
        "SLURM_PROCID", "RANK"
    };
    const char *v;
    size_t      i;

    rank_text[0] = '\0';
    for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
        v = secure_getenv(global[i]);
        if (all_digits(v)) {
            snprintf(rank_text, sizeof(rank_text), "rank %s", v);
            return;
        }
    }
    v = secure_getenv("LOCAL_RANK");
    if (all_digits(v)) {
        snprintf(rank_text, sizeof(rank_text), "local_rank %s", v);
    }
}

void fg_origin_init(void)
{
    pid_cached = (long)getpid();
    if (fork_parent == 0 && load_pid != 0 && load_pid != pid_cached) {
        fork_parent = load_pid;   /* forked before the parent's first call */
    }
    if (gethostname(host, sizeof(host) - 1) < 0) {
        fg_strlcpy(host, "unknown", sizeof(host));
    }
    launcher_rank();
    build_ident();
}

void fg_origin_after_fork(void)
{
    fork_parent = pid_cached;
    pid_cached  = (long)getpid();
    if (atomic_load(&ident_cur) >= 0) {
        build_ident();
    }
}

void fg_origin_note_rank(int rank)
{
    int expected = 0;

    if (rank < 0 || rank_text[0] != '\0' ||
        !atomic_compare_exchange_strong(&rank_from_comm, &expected, 1)) {
        return;   /* a launcher's rank wins; the first communicator's otherwise */
    }
    snprintf(rank_text, sizeof(rank_text), "rank %d", rank);
    build_ident();
}

void fg_origin_set_activity(const char *what)
{
    if (what == NULL) {
        fg_activity[0] = '\0';
    } else {
        fg_strlcpy(fg_activity, what, sizeof(fg_activity));
    }
}

const char *fg_origin_activity(void)
{
    return fg_activity[0] ? fg_activity : NULL;
}

void fg_origin_fill(fg_event_origin_t *o)
{
    clock_gettime(CLOCK_REALTIME, &o->ts);
    o->host        = host;
    o->pid         = pid_cached ? pid_cached : (long)getpid();
    o->prog        = fg_origin_program();
    o->fork_parent = fork_parent;
}
