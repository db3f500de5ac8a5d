# The event log in hostile or failing places: a FIFO at the log path, a
# shared log on a filling disk, a symlinked folder planted by another user,
# another user's file in a sticky folder; and a process that only loads
# UCX/NCCL writes no file at all.
source "$(dirname "$0")/lib.sh"
export UCX_TLS=tcp
parses_except_torn() {  # every line parses, except lines cut by a short write
    python3 - "$1" <<'PY'
import json, sys
bad = 0
for l in open(sys.argv[1]):
    try: json.loads(l)
    except ValueError:
        if not l.startswith('{"ts":'): bad += 1   # a cut event line starts like one
sys.exit(1 if bad else 0)
PY
}

# --- a FIFO at the log path (item 7): no reader -> never block ------------
mkfifo "$TMP/fifo.jsonl"
out=$(FABGUARD_LOG=$TMP/fifo.jsonl timeout 30 env LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 2 2>&1); rc=$?
expect_eq "FIFO log, no reader: the application is not blocked" "$rc" "0"
expect_contains "FIFO log: refused with a note on stderr" "$out" "cannot open event log $TMP/fifo.jsonl: it is a FIFO or socket, not a regular file"
# a FIFO whose reader stalls is refused as well (it would block every event)
python3 -c 'import os, sys, time; os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK); open(sys.argv[2], "w").close(); time.sleep(30)' "$TMP/fifo.jsonl" "$TMP/ready" &
holder=$!
for _ in $(seq 100); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
out=$(FABGUARD_LOG=$TMP/fifo.jsonl timeout 30 env LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 2 2>&1); rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
expect_eq "FIFO log with a stalled reader: the application is not blocked" "$rc" "0"
expect_contains "FIFO log with a reader: refused" "$out" "it is a FIFO, not a regular file"

# --- a shared log on a filling disk (item 9) --------------------------------
# libsafety_witness.so appends a line of "another process" just before each
# of our writes; a cut-back after a short write would delete it.
if is_root && command -v unshare >/dev/null; then
    mkdir -p "$TMP/small"
    out=$(unshare -m sh -c "mount -t tmpfs -o size=4k tmpfs '$TMP/small' && \
          FG_WITNESS_LOG='$TMP/small/ev.jsonl' FG_WITNESS_OK='$TMP/landed' FABGUARD_LOG='$TMP/small/ev.jsonl' \
          LD_PRELOAD='$(preload_of "$PROGS/libsafety_witness.so:$SHIM")' '$PROGS/ucx_ep' -n 40 -t 4; \
          cp '$TMP/small/ev.jsonl' '$TMP/shared.jsonl'" 2>&1); rc=$?
    expect_eq "full shared log: application unaffected" "$rc" "0"
    expect_contains "full shared log: the loss is reported" "$out" "cannot write event log"
    landed=$(wc -l < "$TMP/landed")
    kept=$(grep -cF -f "$TMP/landed" "$TMP/shared.jsonl")
    expect_eq "full shared log: every line another process wrote is still there ($landed)" "$kept" "$landed"
    check "full shared log: lines parse (a cut line is ended by a newline)" parses_except_torn "$TMP/shared.jsonl"
else
    skip "full shared log" "needs root and unshare"
fi
# a short write on a disk with room again: the cut line is ended, later lines
# (the summary included) parse and the summary counts the loss
FG_WITNESS_LOG=$TMP/short.jsonl FG_WITNESS_SHORT=3 FABGUARD_LOG=$TMP/short.jsonl \
    LD_PRELOAD="$(preload_of "$PROGS/libsafety_witness.so:$SHIM")" "$PROGS/ucx_ep" -n 6 >/dev/null 2>&1
last=$(grep -v witness "$TMP/short.jsonl" | tail -1)
expect_contains "short write: the summary counts the lost line" "$last" '"lost_events":1'
expect_eq "short write: exactly one line does not parse (the cut one)" \
    "$(python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    try: json.loads(l)
    except ValueError: n+=1
print(n)' "$TMP/short.jsonl")" "1"
out=$("$CLI" report "$TMP/short.jsonl" 2>&1); rc=$?
expect_eq "short write: fabguard report reads the log (exit 1: violations, not 2: bad input)" "$rc" "1"

# --- symlinked folders and planted files (item 25) --------------------------
if is_root && command -v setpriv >/dev/null; then
    nob=$(id -u nobody); nog=$(id -g nobody)
    as_nobody() { setpriv --reuid="$nob" --regid="$nog" --clear-groups "$@"; }
    mkdir -m 1777 "$TMP/share" && chmod 755 "$TMP"
    mkdir "$TMP/victim"
    as_nobody ln -s "$TMP/victim" "$TMP/share/evil"
    out=$(FABGUARD_LOG=$TMP/share/evil/ev.jsonl with_shim "$PROGS/ucx_ep" -n 1 2>&1); rc=$?
    expect_eq "symlinked folder of another user: application unaffected" "$rc" "0"
    expect_eq "symlinked folder of another user: nothing written through it" "$(ls "$TMP/victim")" ""
    expect_contains "symlinked folder of another user: refused with a note" "$out" "a folder on the path is a symlink owned by another user"
    ln -s "$TMP/victim" "$TMP/share/mine"      # root's own link: followed
    FABGUARD_LOG=$TMP/share/mine/ev.jsonl with_shim "$PROGS/ucx_ep" -n 1 >/dev/null 2>&1
    expect_eq "symlinked folder owned by root: followed" "$(grep -c '"event":"context"' "$TMP/victim/ev.jsonl" 2>/dev/null)" "1"
    as_nobody sh -c "umask 0; : > '$TMP/share/planted.jsonl'"
    out=$(FABGUARD_LOG=$TMP/share/planted.jsonl with_shim "$PROGS/ucx_ep" -n 1 2>&1); rc=$?
    expect_eq "planted 0666 file in a sticky folder: application unaffected" "$rc" "0"
    expect_eq "planted 0666 file in a sticky folder: receives no event" "$(wc -c < "$TMP/share/planted.jsonl")" "0"
    expect_contains "planted file: refused with a note" "$out" "it belongs to another user in a shared sticky folder"
    # the other user's own process still writes its own file there
    as_nobody env FABGUARD_LOG="$TMP/share/planted.jsonl" LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 1 >/dev/null 2>&1
    expect_eq "the owner of the file still writes to it" "$(grep -c '"event":"context"' "$TMP/share/planted.jsonl")" "1"
else
    skip "symlinked folders / planted files" "needs root and setpriv"
fi

# --- loaded but never called (item 17): no init, no file ---------------------
ucp=$(ldconfig -p | awk '/libucp.so.0 /{print $NF; exit}')
nccl=""; for d in "$CUDA_HOME/lib" "$CUDA_HOME/lib64"; do [ -e "$d/libnccl.so.2" ] && nccl=$d/libnccl.so.2; done
mkdir -p "$TMP/probe"
FABGUARD_LOG=$TMP/probe/ev.%p.jsonl with_shim python3 -c '
import ctypes, sys
for p in sys.argv[1:]:
    if p: ctypes.CDLL(p)
' "$ucp" "$nccl" 2>/dev/null
expect_eq "libucp/libnccl loaded, never called: no log file written" "$(ls "$TMP/probe")" ""
FABGUARD_LOG=$TMP/probe/ev.%p.jsonl with_shim python3 -c '
import ctypes, sys
ctypes.CDLL(sys.argv[1]).fg_plugin_run()
' "$PROGS/libucx_plugin.so" 2>/dev/null
expect_contains "a process that called UCX still gets its summary" "$(cat "$TMP"/probe/ev.*.jsonl 2>/dev/null)" '"event":"summary"'
