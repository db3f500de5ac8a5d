# Sourced by the OpenMPI tests (after lib.sh): mpirun with UCX for both pml
# and osc. On these machines (no RDMA device) OpenMPI accepts UCX only with
# opal_common_ucx_tls/devices=any.
MPI_XFER=$PROGS/mpi_xfer
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Keep OpenMPI's own tcp/sm transports out: every byte goes through UCX.
MPIRUN_ARGS=(--allow-run-as-root --oversubscribe --mca pml ucx --mca osc ucx
    --mca opal_common_ucx_tls any --mca opal_common_ucx_devices any --mca btl self)

need_mpi() {
    if ! command -v mpirun >/dev/null; then skip "$1" "mpirun not installed (openmpi-bin)"; exit 0; fi
    if [ ! -x "$MPI_XFER" ]; then skip "$1" "$MPI_XFER not built (mpicc missing)"; exit 0; fi
}

# mpi_run PREFIX SHIM(0|1) [VAR=VAL…] -- PROG ARGS…: two ranks; stdout,
# stderr in PREFIX.out/.err; with the shim each rank logs to
# PREFIX.r<OMPI_COMM_WORLD_RANK>.jsonl. Returns mpirun's exit status.
mpi_run() {
    local pre=$1 shim=$2; shift 2
    local -a envs=() xs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); xs+=(-x "${1%%=*}"); shift; done
    shift
    for v in LD_LIBRARY_PATH UCX_MODULE_DIR ASAN_OPTIONS; do
        [ -n "${!v:-}" ] && xs+=(-x "$v")
    done
    local -a cmd=("$@")
    if [ "$shim" = 1 ]; then
        # The launcher starts each rank; the rank's own environment names its log.
        cmd=(sh -c 'LD_PRELOAD="$FG_PRELOAD" FABGUARD_LOG="$FG_PRE.r$OMPI_COMM_WORLD_RANK.jsonl" exec "$0" "$@"' "$@")
        envs+=("FG_PRELOAD=$(preload_of "$SHIM")" "FG_PRE=$pre")
        xs+=(-x FG_PRELOAD -x FG_PRE)
    fi
    rm -f "$pre".r*.jsonl
    env "${envs[@]}" timeout 300 mpirun "${MPIRUN_ARGS[@]}" -np "${MPI_NP:-2}" "${xs[@]}" \
        "${cmd[@]}" >"$pre.out" 2>"$pre.err"
}
mpi_plain() { local p=$1; shift; mpi_run "$p" 0 "$@"; }
mpi_shim() { local p=$1; shift; mpi_run "$p" 1 "$@"; }
