# Sourced by tests/tsan/run.sh: the resolution caches (mode=off resolves on
# every call from every thread; nothing is logged, so the check is the
# program's own count) and the stderr identity with a launcher rank while
# 8 threads print violations.
if UCX_MEM_EVENTS=no UCX_TLS=tcp FABGUARD_MODE=off TSAN_OPTIONS="halt_on_error=0 exitcode=66" \
    LD_PRELOAD=$TSAN:$PWD/$B/libfabguard.so $P/ucx_ep -t 8 -n 30 >"$TMP/out" 2>"$TMP/err" &&
    ! grep -q "WARNING: ThreadSanitizer" "$TMP/err" && grep -q "created 240 failed 0" "$TMP/out"; then
    echo "ok - tsan: mode=off, 8 threads resolving through the caches"; pass=$((pass+1))
else
    echo "not ok - tsan: mode=off, 8 threads resolving through the caches"; grep -A20 "WARNING: ThreadSanitizer" "$TMP/err" | head -40
    fail=$((fail+1))
fi
OMPI_COMM_WORLD_RANK=3 UCX_TLS=tcp run "8 threads printing violations with a rank identity" $P/ucx_ep -t 8 -n 10
