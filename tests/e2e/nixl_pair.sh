# NIXL 1.4 in two processes on loopback under the shim: NIXL's own nixl_test
# ("target" listens for metadata on a socket, "initiator" fetches it, sends
# its own, and writes into the target's memory over UCX), UCX backend plugin
# from NIXL's plugin folder, on the public UCX 1.22 and on NIXL's private
# flavour (libucp-nixl.so.0), plugin loaded the default way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
need_stack "NIXL two processes"
export FG_NIXL_PROG=nixl_test
if [ ! -x "$(nixl_prefix)/bin/nixl_test" ]; then
    skip "NIXL two processes" "nixl_test not in this stack build (make stack)"; exit 0
fi

# pair ID SHIM(0|1) [VAR=VAL…]: target in the background, then initiator;
# ID.t.* / ID.i.* hold each side's output and events; sets trc and irc.
pair() {
    local id=$1 shim=$2; shift 2
    local port pre=() tpid
    port=$(free_port)
    [ "$shim" = 1 ] && pre=(LD_PRELOAD="$(preload_of "$SHIM")")
    rm -f "$TMP/$id".*.jsonl
    env "$@" "${pre[@]}" FABGUARD_LOG="$TMP/$id.t.jsonl" timeout 120 \
        bash -c 'source tests/e2e/stack_lib.sh; nixl_run_example target 127.0.0.1 '"$port" \
        >"$TMP/$id.t.out" 2>"$TMP/$id.t.err" &
    tpid=$!
    sleep 2   # the target binds its metadata port; the initiator does not retry
    env "$@" "${pre[@]}" FABGUARD_LOG="$TMP/$id.i.jsonl" timeout 120 \
        bash -c 'source tests/e2e/stack_lib.sh; nixl_run_example initiator 127.0.0.1 '"$port" \
        >"$TMP/$id.i.out" 2>"$TMP/$id.i.err"
    irc=$?
    if [ "$irc" != 0 ]; then kill "$tpid" 2>/dev/null; fi
    wait "$tpid"; trc=$?
}
verdicts() { ep_verdicts "$1"; }
success() { grep -c "UCX Transfer Success" "$TMP/$1.t.out"; }

for flavour in public private; do
    export FG_NIXL=$flavour
    # The private flavour dlopens its transport modules with RTLD_DEEPBIND,
    # which the ASan runtime refuses (google/sanitizers#611).
    if [ $flavour = private ] && [ "${FG_SANITIZE:-0}" = 1 ]; then
        skip "NIXL on private UCX 1.22" "its modules load with RTLD_DEEPBIND, which ASan refuses"
        continue
    fi
    pair base 0 UCX_TLS=tcp
    nok=$(success base)
    expect_eq "nixl_test pair ($flavour UCX 1.22), tcp, no shim: both sides succeed" "$irc $trc $([ "$nok" -gt 0 ] && echo transferred)" "0 0 transferred"

    pair warn 1 UCX_TLS=tcp
    expect_eq "nixl_test pair ($flavour UCX 1.22), tcp warn: both sides unaffected" "$irc $trc $(success warn)" "0 0 $nok"
    expect_contains "nixl_test pair ($flavour UCX 1.22), tcp warn: initiator flagged" "$(verdicts "$TMP/warn.i.jsonl")" "violation ucx.forbid_transports"
    expect_contains "nixl_test pair ($flavour UCX 1.22), tcp warn: initiator's VIOLATION line" "$(cat "$TMP/warn.i.err")" "]: VIOLATION ucx endpoint"
    # The target only receives: it connects back only to answer metadata.
    expect_contains "nixl_test pair ($flavour UCX 1.22), tcp warn: target (receiving side) flagged" "$(verdicts "$TMP/warn.t.jsonl")" "violation ucx.forbid_transports"

    pair fail 1 UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail
    expect_eq "nixl_test pair ($flavour UCX 1.22), tcp enforce+fail: initiator fails, nothing transferred" \
        "$([ "$irc" != 0 ] && echo failed) $(success fail)" "failed 0"
    expect_contains "nixl_test pair ($flavour UCX 1.22), tcp enforce+fail: NIXL reports the refused endpoint" \
        "$(cat "$TMP/fail.i.err")" "UCX endpoint create failed"
    pair abort 1 UCX_TLS=tcp FABGUARD_MODE=enforce
    expect_eq "nixl_test pair ($flavour UCX 1.22), tcp enforce+abort: initiator SIGABRT, nothing transferred" "$irc $(success abort)" "134 0"
done
