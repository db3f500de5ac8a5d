/* A small MPI job for the end-to-end tests (tests/e2e/mpi*.sh): rank 0 and
 * rank 1 exchange a message both ways, then rank 0 puts into rank 1's window
 * (osc). With -r rank 1 only receives: it never sends and opens no window,
 * so any endpoint it has is one UCX created for it.
 * Prints "mpi_xfer: rank R ok" per rank and "mpi_xfer: done N ranks". */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#define MSG 65536

/* Which libucp the rank runs on (stderr): the tests check FG_UCX reached it. */
static void show_ucp(int rank)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL) return;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = strchr(line, '/');
        if (p != NULL && strstr(p, "/libucp.so") != NULL) {
            fprintf(stderr, "mpi_xfer: rank %d libucp %s", rank, p);
            break;
        }
    }
    fclose(f);
}

static int pt2pt(int rank, int recv_only)
{
    static char buf[MSG];
    if (rank == 0) {
        memset(buf, 'a', sizeof buf);
        if (MPI_Send(buf, MSG, MPI_CHAR, 1, 7, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
        if (!recv_only &&
            MPI_Recv(buf, MSG, MPI_CHAR, 1, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
    } else if (rank == 1) {
        if (MPI_Recv(buf, MSG, MPI_CHAR, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        if (buf[0] != 'a' || buf[MSG - 1] != 'a') return -1;
        if (!recv_only &&
            MPI_Send(buf, MSG, MPI_CHAR, 0, 8, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int osc_put(int rank)
{
    int winbuf = -1, val = 4242, rc = 0;
    MPI_Win win;
    if (MPI_Win_create(&winbuf, sizeof winbuf, sizeof winbuf, MPI_INFO_NULL,
                       MPI_COMM_WORLD, &win) != MPI_SUCCESS)
        return -1;
    MPI_Win_fence(0, win);
    if (rank == 0 && MPI_Put(&val, 1, MPI_INT, 1, 0, 1, MPI_INT, win) != MPI_SUCCESS) rc = -1;
    MPI_Win_fence(0, win);
    if (rank == 1 && winbuf != val) rc = -1;
    MPI_Win_free(&win);
    return rc;
}

int main(int argc, char **argv)
{
    int rank, size, recv_only = argc > 1 && strcmp(argv[1], "-r") == 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        fprintf(stderr, "mpi_xfer: needs 2 ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (pt2pt(rank, recv_only) != 0 || (!recv_only && osc_put(rank) != 0)) {
        fprintf(stderr, "mpi_xfer: rank %d: transfer failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    show_ucp(rank);
    printf("mpi_xfer: rank %d ok\n", rank);
    fflush(stdout);
    /* A barrier sends from every rank: not for the receive-only run. */
    if (!recv_only) MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) printf("mpi_xfer: done %d ranks\n", size);
    MPI_Finalize();
    return 0;
}
