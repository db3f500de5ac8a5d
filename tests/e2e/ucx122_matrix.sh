# The UCX end-to-end matrix again on UCX 1.22 (built by `make stack`); every
# line is prefixed "ucx1.22: SCRIPT: ". Scripts that call ucx_select run with
# FG_UCX=1.22 and assert each version's truth where the versions differ
# (ucx_is 1.13 / 1.22); the others (pair, faults: no version-specific
# assertion) run with the loader pointed at 1.22 (with_ucx122).
# ucx_query.sh is not rerun: it replaces libucp with the double, so the UCX
# version does not matter there (ucx122_query.sh checks that path on 1.22).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
need_stack "UCX 1.22 matrix"
expect_eq "programs here load UCX 1.22 under with_ucx122" \
    "$(with_ucx122 bash -c 'source tests/e2e/stack_lib.sh; ucx_version_of_lib libucp.so.0')" "1.22.0"
run_prefixed() {  # run_prefixed NAME CMD…
    local n=$1; shift
    "$@" 2>&1 | sed -E "s/^(ok|not ok|skip) - /\1 - ucx1.22: $n: /"
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || fail "ucx1.22: $n" "exited $rc"
}
for s in ${FG_UCX122_SCRIPTS:-ucx_shim ucx_cs mpi mpi_netns}; do
    FG_UCX=1.22 run_prefixed "$s" timeout 800 bash "tests/e2e/$s.sh"
done
env_scripts=${FG_UCX122_ENV_SCRIPTS:-pair faults}
# Under ASan an 8-byte ping-pong takes ~1.4 ms here and pair prints its
# bandwidth with one decimal: "numbers positive" then sees 0.0 now and then.
if [ "${FG_SANITIZE:-0}" = 1 ] && [ -z "${FG_UCX122_ENV_SCRIPTS:-}" ]; then
    skip "ucx1.22: pair" "under ASan its 8-byte bandwidth rounds to 0.0 at times (pair.sh's own run covers it)"
    env_scripts=faults
fi
for s in $env_scripts; do
    run_prefixed "$s" with_ucx122 timeout 800 bash "tests/e2e/$s.sh"
done
