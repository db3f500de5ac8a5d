# NIXL 1.4 under the shim, with NIXL's own example program (nixl_example:
# two agents in one process, a UCX transfer between them on loopback) and the
# UCX backend plugin loaded from NIXL's plugin folder — on the public UCX 1.22
# and on NIXL's private flavour (libucp-nixl.so.0). Plugin loaded the default
# way (NIXL_UCX_DEEPBIND unset); the RTLD_DEEPBIND path has its own tests.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
need_stack "NIXL under the shim"

# nixl ID [VAR=VAL…]: nixl_example with the shim; ID.out/.err/.jsonl in TMP
nixl() {
    local id=$1; shift
    rm -f "$TMP/$id.jsonl"
    env "$@" FABGUARD_LOG="$TMP/$id.jsonl" LD_PRELOAD="$(preload_of "$SHIM")" \
        timeout 300 bash -c 'source tests/e2e/stack_lib.sh; nixl_run_example' \
        >"$TMP/$id.out" 2>"$TMP/$id.err"
}
nixl_plain() {
    local id=$1; shift
    env "$@" timeout 300 bash -c 'source tests/e2e/stack_lib.sh; nixl_run_example' \
        >"$TMP/$id.out" 2>"$TMP/$id.err"
}
# verdicts ID -> distinct "verdict rule" of the endpoint events
verdicts() { ep_verdicts "$TMP/$1.jsonl"; }
ucx_objects() { grep -o '"ucx_object":"[^"]*"' "$TMP/$1.jsonl" 2>/dev/null | sort -u | tr '\n' ' '; }
done_ok() { grep -q "Transfer verified" "$TMP/$1.out" && grep -q "Test done" "$TMP/$1.out"; }

for flavour in public private; do
    export FG_NIXL=$flavour
    # The private flavour dlopens its transport modules with RTLD_DEEPBIND,
    # which the ASan runtime refuses (google/sanitizers#611).
    if [ $flavour = private ] && [ "${FG_SANITIZE:-0}" = 1 ]; then
        skip "NIXL on private UCX 1.22" "its modules load with RTLD_DEEPBIND, which ASan refuses"
        continue
    fi
    lib=$([ $flavour = public ] && echo libucp.so.0 || echo libucp-nixl.so.0)
    F="NIXL on $flavour UCX 1.22 ($lib)"

    nixl_plain "$flavour.base" UCX_TLS=tcp; rc=$?
    expect_eq "$F, tcp, no shim: example transfers" "$rc $(done_ok "$flavour.base" && echo done)" "0 done"

    nixl "$flavour.warn" UCX_TLS=tcp; rc=$?
    expect_eq "$F, tcp warn: example unaffected" "$rc $(done_ok "$flavour.warn" && echo done)" "0 done"
    expect_eq "$F, tcp warn: stdout identical to the run without the shim" \
        "$(grep -v '0x' "$TMP/$flavour.warn.out")" "$(grep -v '0x' "$TMP/$flavour.base.out")"
    expect_contains "$F, tcp warn: VIOLATION line" "$(cat "$TMP/$flavour.warn.err")" \
        "]: VIOLATION ucx endpoint"
    expect_contains "$F, tcp warn: violation event" "$(verdicts "$flavour.warn")" "violation ucx.forbid_transports"
    expect_contains "$F, tcp warn: context created by $lib" "$(ucx_objects "$flavour.warn")" "\"ucx_object\":\"$lib\""

    nixl "$flavour.abort" UCX_TLS=tcp FABGUARD_MODE=enforce; rc=$?
    expect_eq "$F, tcp enforce+abort: SIGABRT before the transfer" \
        "$rc $(grep -c 'Transfer was posted' "$TMP/$flavour.abort.out")" "134 0"
    nixl "$flavour.fail" UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail; rc=$?
    expect_eq "$F, tcp enforce+fail: example fails, no transfer" \
        "$rc $(grep -c 'Transfer verified' "$TMP/$flavour.fail.out")" "1 0"
    # NIXL 1.4 connects each agent to itself in createBackend: the refusal
    # surfaces there, through NIXL's own error path.
    expect_contains "$F, tcp enforce+fail: NIXL reports the refused endpoint itself" \
        "$(cat "$TMP/$flavour.fail.err")" "UCX endpoint create failed"
    expect_contains "$F, tcp enforce+fail: the example stops at createBackend" \
        "$(cat "$TMP/$flavour.fail.err")" "Failed to create UCX backend for agent"
done
export FG_NIXL=public

# Shared memory. NIXL creates its endpoints with UCP_ERR_HANDLING_MODE_PEER
# (nixl_example cannot change that): UCX then needs a transport with peer
# failure detection for active messages; no shared-memory transport has one,
# so on one host tcp (lo) carries them and the endpoint is flagged.
nixl_plain shm.base UCX_TLS=shm; base_rc=$?
nixl shm.shim UCX_TLS=shm; rc=$?
expect_eq "NIXL, UCX_TLS=shm: fails inside NIXL the same with and without the shim" \
    "$rc $(grep -c 'Transfer verified' "$TMP/shm.shim.out")" "$base_rc $(grep -c 'Transfer verified' "$TMP/shm.base.out")"
expect_contains "NIXL, UCX_TLS=shm: UCX says why (no peer failure handler)" \
    "$(cat "$TMP/shm.base.out" "$TMP/shm.base.err")" "no peer failure handler"
nixl dflt; rc=$?
expect_eq "NIXL, UCX_TLS unset: example transfers" "$rc $(done_ok dflt && echo done)" "0 done"
expect_contains "NIXL, UCX_TLS unset: shared memory (cma) carries the data" \
    "$(cat "$TMP/dflt.jsonl")" '{"transport":"cma","device":"memory"}'
expect_contains "NIXL, UCX_TLS unset: tcp on lo carries the active messages -> flagged" \
    "$(verdicts dflt)" "violation ucx.forbid_transports"
