# NIXL 1.4 with NIXL_UCX_DEEPBIND=1 (its UCX plugin loaded RTLD_DEEPBIND),
# NIXL's own nixl_example (two agents, a UCX transfer on loopback), on the
# public UCX 1.22 and on NIXL's private flavour (libucp-nixl.so.0):
# without LD_AUDIT the shim cannot see the plugin's UCX and says so at load
# (and `report` lists the process as not checked); with libfabguard-audit.so
# in LD_AUDIT, UCX_TLS=tcp is flagged in warn and refused in enforce.
source "$(dirname "$0")/lib.sh"
if [ ! -f "$(dirname "$0")/stack_lib.sh" ]; then
    skip "NIXL with NIXL_UCX_DEEPBIND=1" "tests/e2e/stack_lib.sh missing (comes with the real-stack build)"
    exit 0
fi
source "$(dirname "$0")/stack_lib.sh"
need_stack "NIXL with NIXL_UCX_DEEPBIND=1"
# ASan's runtime refuses every RTLD_DEEPBIND dlopen (google/sanitizers#611):
# NIXL with NIXL_UCX_DEEPBIND=1 cannot start under SANITIZE=1 at all.
if [ "${FG_SANITIZE:-0}" = 1 ]; then
    skip "NIXL with NIXL_UCX_DEEPBIND=1" "ASan refuses RTLD_DEEPBIND dlopens (the normal run covers it)"
    exit 0
fi
AUDIT=$PWD/$B/libfabguard-audit.so

# nixl ID AUDIT(0|1) [VAR=VAL…]: nixl_example with NIXL_UCX_DEEPBIND=1 and
# the shim (and the audit module); ID.out/.err/.jsonl in TMP
nixl() {
    local id=$1 a=$2; shift 2
    rm -f "$TMP/$id.jsonl"
    env "$@" NIXL_UCX_DEEPBIND=1 FABGUARD_LOG="$TMP/$id.jsonl" LD_PRELOAD="$(preload_of "$SHIM")" \
        ${a:+LD_AUDIT=$AUDIT} timeout 300 bash -c 'source tests/e2e/stack_lib.sh; nixl_run_example' \
        >"$TMP/$id.out" 2>"$TMP/$id.err"
}
nixl_plain() {
    local id=$1; shift
    env "$@" NIXL_UCX_DEEPBIND=1 timeout 300 bash -c 'source tests/e2e/stack_lib.sh; nixl_run_example' \
        >"$TMP/$id.out" 2>"$TMP/$id.err"
}
count() { count_events "$TMP/$1.jsonl" "$2"; }
ucx_objects() { grep -o '"ucx_object":"[^"]*"' "$TMP/$1.jsonl" 2>/dev/null | sort -u | tr '\n' ' '; }
done_ok() { grep -q "Transfer verified" "$TMP/$1.out" && grep -q "Test done" "$TMP/$1.out"; }

for flavour in public private; do
    export FG_NIXL=$flavour
    lib=$([ $flavour = public ] && echo libucp.so.0 || echo libucp-nixl.so.0)
    F="NIXL_UCX_DEEPBIND=1 on $flavour UCX 1.22 ($lib)"

    nixl_plain "$flavour.base" UCX_TLS=tcp; rc=$?
    expect_eq "$F, tcp, no shim: example transfers" "$rc $(done_ok "$flavour.base" && echo done)" "0 done"

    # without the audit module: unseen, and said at load
    nixl "$flavour.noaudit" "" UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail; rc=$?
    expect_eq "$F, no LD_AUDIT: the plugin bypasses the shim (transfer done even in enforce)" \
        "$rc $(done_ok "$flavour.noaudit" && echo done)" "0 done"
    expect_eq "$F, no LD_AUDIT: no verdict on what was not seen" "$(count "$flavour.noaudit" 'e["event"]=="endpoint"')" "0"
    expect_eq "$F, no LD_AUDIT: unobserved event at load (no_audit)" \
        "$(count "$flavour.noaudit" 'e["event"]=="unobserved" and e["cause"]=="no_audit"' | awk '{print ($1>=1)}')" "1"
    expect_contains "$F, no LD_AUDIT: stderr says NOT CHECKED" "$(cat "$TMP/$flavour.noaudit.err")" "]: NOT CHECKED"
    out=$("$CLI" report "$TMP/$flavour.noaudit.jsonl"); rc=$?
    expect_eq "$F, no LD_AUDIT: report lists it as not checked, exit 1" \
        "$(printf '%s' "$out" | grep -c 'nixl_example .* process') $rc" "1 1"

    # with the audit module: seen, judged, acted on
    nixl "$flavour.warn" 1 UCX_TLS=tcp; rc=$?
    expect_eq "$F, LD_AUDIT, tcp warn: example unaffected" "$rc $(done_ok "$flavour.warn" && echo done)" "0 done"
    expect_contains "$F, LD_AUDIT, tcp warn: VIOLATION line" "$(cat "$TMP/$flavour.warn.err")" "]: VIOLATION ucx endpoint"
    expect_eq "$F, LD_AUDIT, tcp warn: violation event" \
        "$(count "$flavour.warn" 'e["event"]=="endpoint" and e["verdict"]=="violation"' | awk '{print ($1>=1)}')" "1"
    expect_contains "$F, LD_AUDIT: context created by $lib (the copy the plugin bound)" "$(ucx_objects "$flavour.warn")" "\"ucx_object\":\"$lib\""
    expect_eq "$F, LD_AUDIT: nothing unobserved" "$(count "$flavour.warn" 'e["event"]=="unobserved"')" "0"

    nixl "$flavour.abort" 1 UCX_TLS=tcp FABGUARD_MODE=enforce; rc=$?
    expect_eq "$F, LD_AUDIT, tcp enforce+abort: SIGABRT before the transfer" \
        "$rc $(grep -c 'Transfer was posted' "$TMP/$flavour.abort.out")" "134 0"
    nixl "$flavour.fail" 1 UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail; rc=$?
    expect_eq "$F, LD_AUDIT, tcp enforce+fail: example fails, no transfer" \
        "$rc $(grep -c 'Transfer verified' "$TMP/$flavour.fail.out")" "1 0"
done
