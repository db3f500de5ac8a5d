# OpenMPI (Debian openmpi-bin, pml ucx + osc ucx) as a real application under
# the shim, two ranks on one host: each rank's verdicts, warn mode invisible
# to the job, enforce's three actions as MPI reports them, a receive-only
# rank. FG_UCX=1.22 runs the same on UCX 1.22 (tests/e2e/ucx122_matrix.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
source "$(dirname "$0")/mpi_lib.sh"
need_mpi "OpenMPI under the shim"
ucx_select

# verdicts RANKLOG -> "verdict rule" of its endpoint events, distinct, sorted
verdicts() { ep_verdicts "$1"; }

# --- tcp, warn: flagged per rank, the job sees nothing ------------------------
mpi_plain "$TMP/base" UCX_TLS=tcp -- "$MPI_XFER"; base_rc=$?
mpi_shim "$TMP/warn" UCX_TLS=tcp -- "$MPI_XFER"; warn_rc=$?
expect_eq "tcp, no shim: the job runs" "$base_rc $(sort "$TMP/base.out" | tr '\n' '|')" \
    "0 mpi_xfer: done 2 ranks|mpi_xfer: rank 0 ok|mpi_xfer: rank 1 ok|"
expect_eq "tcp warn: exit status and output identical to the run without the shim" \
    "$warn_rc $(sort "$TMP/warn.out" | tr '\n' '|')" "$base_rc $(sort "$TMP/base.out" | tr '\n' '|')"
want_ucp=/usr/lib/; ucx_is 1.22 && want_ucp=$(readlink -f "$(stack_dir)/ucx/lib")/
expect_eq "both ranks run on the selected UCX ($FG_UCX)" \
    "$(grep -c "libucp $want_ucp" "$TMP/warn.err")" "2"
expect_contains "tcp warn: VIOLATION on stderr" "$(cat "$TMP/warn.err")" "]: VIOLATION ucx endpoint"
for r in 0 1; do
    expect_contains "tcp warn: rank $r's events hold its tcp violation" \
        "$(verdicts "$TMP/warn.r$r.jsonl")" "violation ucx.forbid_transports"
    expect_contains "tcp warn: rank $r's summary counts violations" \
        "$(grep '"event":"summary"' "$TMP/warn.r$r.jsonl" 2>/dev/null)" '"verdict":"violation"'
done
expect_contains "tcp warn: management NIC eth0 flagged (tcp not pinned)" \
    "$(verdicts "$TMP/warn.r0.jsonl")" "violation fabguard.management_ifaces"

# --- shared memory: clean ------------------------------------------------------
mpi_shim "$TMP/shm" UCX_TLS=shm -- "$MPI_XFER"; rc=$?
expect_eq "shm: job runs under the shim" "$rc $(grep -c ' ok$' "$TMP/shm.out")" "0 2"
for r in 0 1; do
    expect_eq "shm: rank $r's endpoints clean" "$(verdicts "$TMP/shm.r$r.jsonl")" "ok -"
done
expect_not_contains "shm: no VIOLATION on stderr" "$(cat "$TMP/shm.err")" "VIOLATION"

# --- enforce ------------------------------------------------------------------------
mpi_shim "$TMP/abort" UCX_TLS=tcp FABGUARD_MODE=enforce -- "$MPI_XFER"; rc=$?
expect_eq "tcp enforce+abort: mpirun ends with the rank's SIGABRT (134), nothing transferred" \
    "$rc $(grep -c ' ok$' "$TMP/abort.out")" "134 0"
expect_contains "tcp enforce+abort: backtrace shows OpenMPI's pml ucx connecting" \
    "$(cat "$TMP/abort.err")" "mca_pml_ucx_add_procs"
mpi_shim "$TMP/exit" UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=exit -- "$MPI_XFER"; rc=$?
expect_eq "tcp enforce+exit: mpirun exits 3, nothing transferred" "$rc $(grep -c ' ok$' "$TMP/exit.out")" "3 0"
expect_contains "tcp enforce+exit: mpirun names exit code 3" "$(cat "$TMP/exit.err")" "Exit code:    3"
mpi_shim "$TMP/fail" UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail -- "$MPI_XFER"; rc=$?
expect_eq "tcp enforce+fail: job fails, nothing transferred" "$([ "$rc" != 0 ] && echo failed) $(grep -c ' ok$' "$TMP/fail.out")" "failed 0"
expect_contains "tcp enforce+fail: OpenMPI's own error names the refused ucp_ep_create" \
    "$(cat "$TMP/fail.err")" "failed: Destination is unreachable"
# Which of OpenMPI's two messages gets out before mpirun tears the job down
# varies from run to run; one of them always does.
expect_eq "tcp enforce+fail: OpenMPI reports MPI_Init failed" \
    "$(grep -cE 'MPI_INIT failed|An error occurred in MPI_Init' "$TMP/fail.err" | awk '{print ($1 > 0)}')" "1"
expect_not_contains "tcp enforce+fail: no crash" "$(cat "$TMP/fail.err")" "Signal: Segmentation"
mpi_shim "$TMP/shmenf" UCX_TLS=shm FABGUARD_MODE=enforce -- "$MPI_XFER"; rc=$?
expect_eq "shm enforce+abort: allowed path runs" "$rc $(grep -c ' ok$' "$TMP/shmenf.out")" "0 2"

# --- a receive-only rank (own check: the lead watches it across the merge) ---------
# Rank 1 only receives (-r). OpenMPI's pml ucx still creates an endpoint to
# every peer in MPI_Init, so this rank's verdict comes from its own endpoint
# today; UCX's internal (remote-request) endpoints are judged by ucxshim's
# work. Either way the receiving rank must be flagged, never clean.
mpi_shim "$TMP/ro" UCX_TLS=tcp -- "$MPI_XFER" -r; rc=$?
expect_eq "receive-only rank: job runs" "$rc $(grep -c ' ok$' "$TMP/ro.out")" "0 2"
expect_contains "receive-only rank 1 over tcp: flagged, not clean" \
    "$(verdicts "$TMP/ro.r1.jsonl")" "violation ucx.forbid_transports"
expect_contains "receive-only rank 1: summary says violation" \
    "$(grep '"event":"summary"' "$TMP/ro.r1.jsonl" 2>/dev/null)" '"verdict":"violation"'
