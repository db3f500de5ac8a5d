# Faults, each a test: the application's behaviour is unchanged, events are
# not torn (each line parses), the failure is reported once.
source "$(dirname "$0")/lib.sh"
export UCX_TLS=tcp
parses() { python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"; }

# log on a full device
out=$(FABGUARD_LOG=/dev/full with_shim "$PROGS/ucx_ep" -n 3 2>&1); rc=$?
expect_eq "log on /dev/full: application unaffected" "$rc" "0"
expect_eq "log on /dev/full: reported once" "$(echo "$out" | grep -c 'cannot write event log /dev/full: No space left on device')" "1"

# log on a tiny tmpfs that fills up mid-run: every line that landed parses
if is_root && command -v unshare >/dev/null; then
    mkdir -p "$TMP/small"
    out=$(unshare -m sh -c "mount -t tmpfs -o size=4k tmpfs '$TMP/small' && \
          FABGUARD_LOG='$TMP/small/ev.jsonl' LD_PRELOAD='$(preload_of "$SHIM")' '$PROGS/ucx_ep' -n 40 -t 8; \
          cp '$TMP/small/ev.jsonl' '$TMP/kept.jsonl'" 2>&1); rc=$?
    expect_eq "tiny tmpfs: application unaffected" "$rc" "0"
    expect_eq "tiny tmpfs: reported once" "$(echo "$out" | grep -c 'cannot write event log')" "1"
    check "tiny tmpfs: every line that landed parses (no torn line)" parses "$TMP/kept.jsonl"
    # libunwind missing at abort time: still aborts, says why
    lu=$(ldconfig -p | awk '/libunwind.so.8 /{print $NF; exit}')
    if [ -n "$lu" ]; then
        out=$(unshare -m sh -c "mount --bind /dev/null '$lu' && FABGUARD_MODE=enforce LD_PRELOAD='$(preload_of "$SHIM")' '$PROGS/ucx_ep' -n 1" 2>&1); rc=$?
        expect_eq "libunwind absent at abort: still SIGABRT" "$rc" "134"
        expect_contains "libunwind absent at abort: says so" "$out" "no caller backtrace: libunwind.so.8 could not be loaded"
    else
        skip "libunwind absent at abort" "libunwind.so.8 not installed"
    fi
else
    skip "tiny tmpfs / libunwind absent" "needs root and unshare"
fi

# an application that closes every descriptor it does not know, then reuses them
out=$(FABGUARD_LOG=$TMP/cl.jsonl with_shim python3 -c "
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1]); lib.fg_plugin_run()
os.closerange(3, 4096)
f = open(sys.argv[2], 'w')      # takes the lowest free number: maybe the old log's
lib.fg_plugin_run()
f.write('app data\n'); f.close()
print('done')
" "$PROGS/libucx_plugin.so" "$TMP/app.txt" 2>/dev/null)
expect_eq "closed descriptors: application unaffected" "$out" "done"
expect_eq "closed descriptors: the application's file holds only its data" "$(cat "$TMP/app.txt")" "app data"
expect_eq "closed descriptors: events still reach our log" "$(grep -c '"event":"context"' "$TMP/cl.jsonl")" "2"
check "closed descriptors: log lines parse" parses "$TMP/cl.jsonl"

# signals during the abort path; the application's SIGABRT handler still runs
out=$(FABGUARD_MODE=enforce with_shim "$PROGS/ucx_signals" 2>&1); rc=$?
expect_eq "signal storm during abort: ends by SIGABRT" "$rc" "134"
expect_contains "signal storm during abort: message complete" "$out" "]: aborting (fabguard.on_violation=abort)"
expect_contains "signal storm during abort: the application's handler ran" "$out" "app SIGABRT handler ran"

# a real symbol missing: the wrapper found by dlsym returns an error, reports once
mkdir -p "$TMP/ucp" && ln -sf "$DOUBLES/libucp.so" "$TMP/ucp/libucp.so.0"
out=$(LD_LIBRARY_PATH=$TMP/ucp FABGUARD_LOG=$TMP/miss.jsonl with_shim "$PROGS/ucx_missing" 2>&1)
expect_eq "missing ucp_mem_map: UCS_ERR_UNSUPPORTED, no crash" "$out" "status -22"
expect_contains "missing ucp_mem_map: resolve info event" "$(cat "$TMP/miss.jsonl")" '"event":"resolve","verdict":"info"'

# thousands of threads creating endpoints on one multi-threaded worker
# (200 under ASan, whose per-thread cost makes 2000 take minutes)
NT=$([ "${FG_SANITIZE:-0}" = 1 ] && echo 200 || echo 2000)
rm -f "$TMP/th.jsonl"
out=$(FABGUARD_LOG=$TMP/th.jsonl with_shim "$PROGS/ucx_ep" -s -t $NT -n 2 2>"$TMP/th.err"); rc=$?
expect_eq "$NT threads: all endpoints created" "$rc $out" "0 ucx_ep: created $((NT * 2)) failed 0 status Success"
check "$NT threads: every event line parses" parses "$TMP/th.jsonl"
expect_contains "$NT threads: summary counts them" "$(grep summary "$TMP/th.jsonl")" "\"endpoints\":$((NT * 2))"
expect_eq "$NT threads: each finding printed once" "$(grep -c VIOLATION "$TMP/th.err")" "$(grep VIOLATION "$TMP/th.err" | sort -u | wc -l)"

# exec of a child with the preload inherited: the child starts fresh
out=$(FABGUARD_LOG=$TMP/ex.%p.jsonl with_shim python3 -c "
import ctypes, os, sys
ctypes.CDLL(sys.argv[1]).fg_plugin_run()
os.execv(sys.argv[2], [sys.argv[2], '-n', '1'])
" "$PROGS/libucx_plugin.so" "$PROGS/ucx_ep" 2>/dev/null)
expect_eq "exec with preload inherited: child runs normally" "$out" "ucx_ep: created 1 failed 0 status Success"
expect_eq "exec with preload inherited: both images observed" "$(cat "$TMP"/ex.*.jsonl | grep -c '"event":"context"')" "2"
