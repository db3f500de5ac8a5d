#!/bin/bash
# The shim's threaded parts under ThreadSanitizer: multi-threaded workers,
# several workers in several threads, concurrent event writes, and (when
# present) the NCCL capture reader. The programs are the ordinary test
# programs (built without TSan); libfabguard.so is the TSan build.
# UCX's own memory hooks (UCM) crash under TSan even without fabguard, so
# UCX_MEM_EVENTS=no is set: that is UCX's limitation, not a finding.
cd "$(dirname "$0")/../.." || exit 2
B=${FG_BUILD:-build/tsan}
P=build/tests/progs
TSAN=$(gcc -print-file-name=libtsan.so)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
run() {  # run NAME cmd…
    local name=$1; shift
    rm -f "$TMP/ev.jsonl"
    if UCX_MEM_EVENTS=no TSAN_OPTIONS="halt_on_error=0 exitcode=66" FABGUARD_LOG=$TMP/ev.jsonl \
        LD_PRELOAD=$TSAN:$PWD/$B/libfabguard.so "$@" >"$TMP/out" 2>"$TMP/err" &&
        ! grep -q "WARNING: ThreadSanitizer" "$TMP/err" &&
        grep -q "\"event\":\"${EXPECT_EVENT:-endpoint}\"" "$TMP/ev.jsonl"; then   # really observed
        echo "ok - tsan: $name"; pass=$((pass+1))
    else
        echo "not ok - tsan: $name"; grep -A20 "WARNING: ThreadSanitizer" "$TMP/err" | head -40
        fail=$((fail+1))
    fi
}
UCX_TLS=tcp run "8 threads x 30 endpoints, one worker each" $P/ucx_ep -t 8 -n 30
UCX_TLS=tcp run "64 threads sharing one multi-threaded worker" $P/ucx_ep -s -t 64 -n 5
UCX_TLS=self,sm run "clean shm endpoints in 8 threads" $P/ucx_ep -t 8 -n 30
for t in tests/tsan/row_*.sh; do [ -f "$t" ] && . "$t"; done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
