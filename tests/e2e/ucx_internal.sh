# Endpoints UCX creates itself: a peer connects to this worker's address and
# UCX makes the receiving endpoint during progress (remote-request); the
# application never calls ucp_ep_create. Seen through UCX's own
# endpoint-configuration log line, captured without changing what the
# user's UCX_LOG_LEVEL prints. Runs on Debian's UCX 1.13 and, when the
# `make stack` cache is complete, on UCX 1.22 (LD_LIBRARY_PATH).
source "$(dirname "$0")/lib.sh"
WA=$PROGS/ucx_wa
STACK=${FG_STACK:-/var/cache/fabguard/stack/current}

# pair LABEL BYTES ENV… : receiver (with the shim) and sender (without) over a worker address
pair() {
    local label=$1 bytes=$2; shift 2
    rm -f "$TMP/addr" "$TMP/r.jsonl"
    env "$@" FABGUARD_LOG=$TMP/r.jsonl LD_PRELOAD="$(preload_of "$SHIM")" "$WA" recv "$TMP/addr" "$bytes" >"$TMP/r.out" 2>"$TMP/r.err" &
    local rpid=$!
    env "$@" "$WA" send "$TMP/addr" "$bytes" >"$TMP/s.out" 2>"$TMP/s.err"
    wait $rpid; echo $? >"$TMP/r.rc"
}
internal_events() {  # verdict kind lane_source lanes action, one line per internal endpoint event
    python3 - "$1" <<'PY'
import json, os, sys
if os.path.exists(sys.argv[1]):
    for l in open(sys.argv[1]):
        e = json.loads(l)
        if e["event"] == "endpoint" and e.get("kind") == "internal":
            print(e["verdict"], e["kind"], e["lane_source"], e.get("ucx_version", "?"),
                  ",".join(x["transport"] + "/" + x["device"] for x in e["lanes"]), e.get("action", "-"))
PY
}

run_matrix() {  # run_matrix VERSION-LABEL ENV…
    local v=$1; shift
    # receive-only process, rendezvous over tcp: UCX created its endpoint
    pair "$v" 1048576 UCX_TLS=tcp "$@"
    expect_eq "$v tcp receive-only: application unaffected" "$(cat "$TMP/r.rc") $(cat "$TMP/r.out")" "0 ucx_wa: received 1048576"
    ev=$(internal_events "$TMP/r.jsonl")
    expect_contains "$v tcp receive-only: the endpoint UCX created is judged a violation" "$ev" "violation internal log"
    expect_contains "$v tcp receive-only: its lanes are tcp" "$ev" "tcp/"
    expect_contains "$v tcp receive-only: stderr names the rule" "$(cat "$TMP/r.err")" "(ucx.forbid_transports=tcp)"
    expect_not_contains "$v tcp receive-only: the process is not logged clean" "$(grep '"event":"summary"' "$TMP/r.jsonl")" '"violations":0'

    # the same over shared memory: clean
    pair "$v" 1048576 "$@"
    expect_eq "$v shm receive-only: application unaffected" "$(cat "$TMP/r.rc") $(cat "$TMP/r.out")" "0 ucx_wa: received 1048576"
    expect_eq "$v shm receive-only: no stderr" "$(cat "$TMP/r.err")" ""
    expect_contains "$v shm receive-only: internal endpoint judged clean" "$(internal_events "$TMP/r.jsonl")" "ok internal log"

    # enforce: abort/exit act before the rendezvous data lands
    pair "$v" 1048576 UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=exit "$@"
    expect_eq "$v tcp receive-only, enforce+exit: exits 3 before the data was received" "$(cat "$TMP/r.rc") $(cat "$TMP/r.out")" "3 "
    pair "$v" 1048576 UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail "$@"
    expect_contains "$v tcp receive-only, enforce+fail: reported, says it could not refuse" "$(internal_events "$TMP/r.jsonl")" "reported (an endpoint UCX created cannot be refused)"

    # the user's own UCX logging (UCX writes it to stdout by default), byte
    # for byte with timestamps/pid/thread masked, and the library path UCX
    # prints from dladdr(ucp_init_version) -- interposing that name makes it
    # name the shim, with or without the log capture (README: UCX section)
    for lvl in "" warn diag info; do
        ULL=${lvl:+UCX_LOG_LEVEL=$lvl}
        norm() { sed -E -e 's/^\[[0-9.]+\] \[[^]]*\]//' -e 's/\(loaded from [^)]*\)/(loaded from X)/' "$1"; }
        env UCX_TLS=tcp ${ULL:+"$ULL"} "$@" "$PROGS/ucx_ep" -n 3 >"$TMP/plain.out" 2>"$TMP/plain.err"
        env UCX_TLS=tcp ${ULL:+"$ULL"} FABGUARD_MODE=log FABGUARD_LOG=$TMP/l.jsonl "$@" LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 3 >"$TMP/shim.out" 2>"$TMP/shim.err"
        expect_eq "$v UCX_LOG_LEVEL=${lvl:-unset}: UCX's log on stdout unchanged under the shim ($(wc -l <"$TMP/plain.out") lines)" "$(norm "$TMP/shim.out")" "$(norm "$TMP/plain.out")"
        expect_eq "$v UCX_LOG_LEVEL=${lvl:-unset}: stderr unchanged under the shim" "$(norm "$TMP/shim.err")" "$(norm "$TMP/plain.err")"
    done
    # and a receive-only process at info level still prints its ep configuration lines
    pair "$v" 1048576 UCX_TLS=tcp UCX_LOG_LEVEL=info FABGUARD_MODE=log "$@"
    expect_contains "$v UCX_LOG_LEVEL=info: UCX still prints the endpoint configuration it created" "$(cat "$TMP/r.out")" "tcp/lo"
    expect_contains "$v UCX_LOG_LEVEL=info: and it is judged" "$(internal_events "$TMP/r.jsonl")" "violation internal log"
}

run_matrix "UCX 1.13"
if [ -e "$STACK/READY" ] && [ -d "$STACK/ucx/lib" ]; then
    run_matrix "UCX 1.22" LD_LIBRARY_PATH="$STACK/ucx/lib"
else
    skip "UCX 1.22 internal endpoints" "no complete stack cache at $STACK (make stack)"
fi
