#!/bin/bash
# The single test entry point behind `make check`: every Check suite, then
# every end-to-end script; ends with "N passed, N failed, N skipped".
B=${FG_BUILD:-build}
export FG_BUILD=$B FG_SANITIZE=${FG_SANITIZE:-0}
cd "$(dirname "$0")/.." || exit 2
pass=0 failn=0 skipn=0
log=$B/tests/log; mkdir -p "$log"
if [ "$FG_SANITIZE" = 1 ]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
for t in "$B"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    if out=$(timeout 600 "$t" 2>&1); then rc=0; else rc=$?; fi
    printf '%s\n' "$out" > "$log/$n.out"
    line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
    if [ -z "$line" ]; then
        echo "not ok - unit $n crashed or timed out (rc $rc)"; failn=$((failn+1)); continue
    fi
    p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
    f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
    pass=$((pass+p)); failn=$((failn+f))
    echo "unit $n: $p passed, $f failed"
    [ "$f" = 0 ] || printf '%s\n' "$out" | grep -E ':[EF]:' | sed 's/^/    /'
done
for s in tests/e2e/*.sh; do
    case $s in */lib.sh|*_lib.sh) continue;; esac   # sourced helpers, not tests
    n=$(basename "$s" .sh)
    if timeout 900 bash "$s" > "$log/$n.out" 2>&1; then rc=0; else rc=$?; fi
    p=$(grep -c '^ok - ' "$log/$n.out"); f=$(grep -c '^not ok - ' "$log/$n.out")
    k=$(grep -c '^skip - ' "$log/$n.out")
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "not ok - e2e $n exited $rc"; f=1
    fi
    pass=$((pass+p)); failn=$((failn+f)); skipn=$((skipn+k))
    echo "e2e $n: $p passed, $f failed, $k skipped"
    grep -E '^(not ok|skip) - ' "$log/$n.out" | sed 's/^/    /'
done
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ] && [ "$pass" -gt 0 ]
