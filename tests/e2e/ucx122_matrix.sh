# The UCX end-to-end matrix again on UCX 1.22 (built by `make stack`): each
# script below runs with FG_UCX=1.22 and its lines are prefixed "ucx1.22: ".
# Every assertion in them holds on both versions unless the script says
# which version's truth it checks (ucx_is 1.13 / 1.22). ucx_query.sh is not
# rerun: it replaces libucp with the double, so the UCX version does not
# matter there (tests/e2e/ucx122_query.sh checks that path on real 1.22).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
need_stack "UCX 1.22 matrix"
for s in ${FG_UCX122_SCRIPTS:-ucx_shim ucx_cs mpi mpi_netns}; do
    FG_UCX=1.22 timeout 800 bash "tests/e2e/$s.sh" 2>&1 |
        sed -E "s/^(ok|not ok|skip) - /\1 - ucx1.22: $s: /"
    rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || fail "ucx1.22: $s" "exited $rc"
done
