# Loading modes that bypass a preload, on the real UCX 1.13: a plugin loaded
# with RTLD_DEEPBIND (NIXL_UCX_DEEPBIND=1), dlsym on a library handle (a C
# program and Python ctypes), and two UCX copies in one process. Without
# LD_AUDIT the shim cannot see them and must say so (at load time when the
# environment announces it, in the exit summary, and `report` lists the
# process as not checked); with libfabguard-audit.so in LD_AUDIT every call
# is seen, judged and acted on, and reaches the UCX copy its caller bound.
source "$(dirname "$0")/lib.sh"
AUDIT=$PWD/$B/libfabguard-audit.so
LM=$PROGS/ucx_loadmodes
PLUGIN=$PROGS/libucx_plugin.so
LOG=$TMP/ev.jsonl
UCP=$(readlink -f "$(ldd "$LM" | awk '/libucp.so/{print $3}')")
export UCX_TLS=tcp
# The ASan runtime refuses every RTLD_DEEPBIND dlopen (google/sanitizers#611):
# under SANITIZE=1 only the dlsym/ctypes paths can run.
if [ "${FG_SANITIZE:-0}" = 1 ]; then
    DB=0; MODES="dlsym:$UCP"
    skip "RTLD_DEEPBIND cases" "the sanitizer runtime refuses RTLD_DEEPBIND"
else
    DB=1; MODES="deepbind:$PLUGIN dlsym:$UCP"
fi

# count FILE python-expr: events matching
count() { count_events "$1" "$2"; }
objects() { grep -o '"ucx_object":"[^"]*"' "$1" | cut -d'"' -f4 | tr '\n' ' '; }
# run_lm AUDIT(0|1) OUT ERR args… -> exit status
run_lm() {
    local a=$1 out=$2 err=$3; shift 3
    if [ "$a" = 1 ]; then
        LD_AUDIT=$AUDIT with_shim "$LM" "$@" >"$out" 2>"$err"
    else
        with_shim "$LM" "$@" >"$out" 2>"$err"
    fi
    echo $?
}

# --- the module itself ------------------------------------------------------------
expect_eq "audit module exports only la_*" "$(nm -D --defined-only "$AUDIT" | awk '{print $3}' | sort | tr '\n' ' ')" "la_objopen la_symbind64 la_version "
expect_eq "audit module imports nothing (no libc, no GLIBC_ version)" "$(nm -D --undefined-only "$AUDIT" | wc -l)$(readelf -V "$AUDIT" | grep -c 'GLIBC_')" "00"
expect_eq "preload exports the gate, nothing of libc" "$(nm -D --defined-only "$SHIM" | awk '{print $3}' | grep -c '^fabguard_audit_gate$')" "1"
out=$(python3 -c '
import ctypes, sys
a = ctypes.CDLL(sys.argv[1])
print(a.la_version(1), a.la_version(2), a.la_version(3))' "$AUDIT")
expect_eq "la_version declines loaders older than LAV 2 (glibc < 2.35)" "$out" "0 2 2"
rc=$(LD_AUDIT=$AUDIT /bin/true 2>&1; echo $?)
expect_eq "audit module alone: /bin/true unaffected" "$rc" "0"
out=$(LD_AUDIT=$AUDIT with_shim /bin/true 2>&1; echo "rc=$?")
expect_eq "audit + preload: /bin/true silent" "$out" "rc=0"
out=$(LD_AUDIT=$AUDIT "$LM" $MODES 2>&1)
expect_eq "audit module without the preload: UCX program unaffected" "$out" "$(for m in $MODES; do echo "$m status 0"; done)"

# --- without LD_AUDIT: not seen, and said so ---------------------------------------
for mode in $MODES; do
    m=${mode%%:*}
    rm -f "$LOG"
    rc=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_LOG=$LOG run_lm 0 "$TMP/o" "$TMP/e" "$mode")
    expect_eq "$m without audit: bypasses the shim (enforce does not refuse)" "$rc $(cut -d' ' -f2- "$TMP/o")" "0 status 0"
    expect_eq "$m without audit: no verdict" "$(count "$LOG" 'e["event"] in ("context","endpoint")')" "0"
    expect_eq "$m without audit: summary lists libucp as unobserved" \
        "$(count "$LOG" 'e["event"]=="summary" and e["unobserved"]==["libucp.so.0"]')" "1"
    expect_contains "$m without audit: summary names the real cause" "$(cat "$LOG")" "LD_AUDIT lacks libfabguard-audit.so"
    out=$("$CLI" report "$LOG"); rc=$?
    expect_contains "$m without audit: report lists the process as not checked" "$out" "1 process  LD_AUDIT lacks"
    expect_eq "$m without audit: report does not call it clean (exit 1)" "$rc" "1"
done

# NIXL_UCX_DEEPBIND=1 without the audit module, in a program that links
# UCX (or NIXL): said at load, so a worker killed before its exit summary
# still leaves the line.
rm -f "$LOG"
NIXL_UCX_DEEPBIND=1 FABGUARD_LOG=$LOG with_shim "$LM" kill 2>"$TMP/e"
expect_eq "NIXL_UCX_DEEPBIND=1 without audit: unobserved event at load (process killed)" \
    "$(count "$LOG" 'e["event"]=="unobserved" and e["cause"]=="no_audit"')" "1"
expect_contains "NIXL_UCX_DEEPBIND=1 without audit: stderr says NOT CHECKED" "$(cat "$TMP/e")" "]: NOT CHECKED LD_AUDIT lacks libfabguard-audit.so"
out=$("$CLI" report "$LOG"); rc=$?
expect_contains "killed process: report lists it as not checked" "$out" "ucx_loadmodes"
expect_contains "killed process: report section" "$out" "not checked (UCX/NCCL calls"
expect_eq "killed process: report exit 1" "$rc" "1"
rm -f "$LOG"
NIXL_UCX_DEEPBIND=1 LD_AUDIT=$AUDIT FABGUARD_LOG=$LOG with_shim "$LM" kill 2>"$TMP/e"
expect_eq "NIXL_UCX_DEEPBIND=1 with audit: nothing unobserved, silent" "$( [ -e "$LOG" ] && echo written)$(grep fabguard "$TMP/e")" ""
rm -f "$LOG"
NIXL_UCX_DEEPBIND=1 FABGUARD_LOG=$LOG with_shim python3 -c 'pass' 2>"$TMP/e"
expect_eq "NIXL_UCX_DEEPBIND=1 in a process without UCX/NIXL (python3 and its wrappers): silent" "$( [ -e "$LOG" ] && echo written)$(cat "$TMP/e")" ""

# --- with LD_AUDIT: seen, judged, acted on ------------------------------------------
for bindnow in "" 1; do
    label=${bindnow:+"bind-now "}
    for mode in $MODES; do
        m="$label${mode%%:*}"
        rm -f "$LOG"
        rc=$(LD_BIND_NOW=$bindnow FABGUARD_MODE=warn FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" "$mode")
        expect_eq "$m with audit, warn: application unaffected" "$rc $(cut -d' ' -f2- "$TMP/o")" "0 status 0"
        expect_contains "$m with audit, warn: flagged on stderr" "$(cat "$TMP/e")" "]: VIOLATION ucx endpoint lane 0 uses tcp"
        expect_eq "$m with audit: context seen" "$(count "$LOG" 'e["event"]=="context"')" "1"
        expect_eq "$m with audit: summary has nothing unobserved" "$(count "$LOG" 'e["event"]=="summary" and e["unobserved"]==[]')" "1"
        rc=$(LD_BIND_NOW=$bindnow FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail run_lm 1 "$TMP/o" "$TMP/e" "$mode")
        expect_eq "$m with audit, enforce+fail: ucp_ep_create refused (UCS_ERR_UNREACHABLE)" "$rc $(cut -d' ' -f2- "$TMP/o")" "1 status -6"
        rc=$(LD_BIND_NOW=$bindnow FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=abort run_lm 1 "$TMP/o" "$TMP/e" "$mode")
        expect_eq "$m with audit, enforce+abort: process stopped (SIGABRT)" "$rc" "134"
    done
done
rm -f "$LOG"
rc=$(unset UCX_TLS; FABGUARD_MODE=enforce FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" $MODES)
expect_eq "shared memory with audit, enforce: clean, unaffected" "$rc|$(cat "$TMP/e")" "0|"
expect_eq "shared memory with audit: every endpoint judged ok" "$(count "$LOG" 'e["event"]=="endpoint" and e["verdict"]=="ok"')" "$(echo $MODES | wc -w)"

# A plugin whose UCX calls go through GOT entries (-fno-plt): the loader
# never reports those to an audit module. The shim finds them in the GOT and
# says so, naming the object, even when other calls of the process were seen.
NOPLT=$PROGS/libucx_plugin_noplt.so
if [ $DB = 1 ]; then
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" direct deepbind:"$NOPLT")
expect_eq "-fno-plt DEEPBIND plugin with audit: runs" "$rc" "0"
expect_eq "-fno-plt DEEPBIND plugin with audit: only the direct context seen" "$(count "$LOG" 'e["event"]=="context"')" "1"
expect_contains "-fno-plt DEEPBIND plugin with audit: unobserved event names the object and the cause" \
    "$(grep '"event":"unobserved"' "$LOG")" '"cause":"got_entry","detail":"libucx_plugin_noplt.so calls ucp_'
expect_contains "-fno-plt DEEPBIND plugin with audit: NOT CHECKED on stderr" "$(cat "$TMP/e")" "]: NOT CHECKED libucx_plugin_noplt.so"
out=$("$CLI" report "$LOG"); rc=$?
expect_contains "-fno-plt DEEPBIND plugin: report lists the process as not checked though it has clean/violating verdicts too" "$out" "1 process  libucx_plugin_noplt.so calls"
expect_eq "-fno-plt DEEPBIND plugin: report exit 1" "$rc" "1"
# NIXL's shape: creation through the PLT (audited), ucp_worker_destroy and
# ucp_cleanup through GOT entries (a deleter takes their address). At the
# first context creation the shim points those GOT entries at its entries
# for the same copy, so the plugin is fully seen, and nothing is reported.
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" deepbind:"$PROGS/libucx_plugin_deleter.so")
expect_eq "deleter-shaped DEEPBIND plugin with audit: runs, context seen" "$rc $(count "$LOG" 'e["event"]=="context"')" "0 1"
expect_eq "deleter-shaped DEEPBIND plugin with audit: its GOT entries brought back (nothing unobserved)" \
    "$(count "$LOG" 'e["event"]=="unobserved"')" "0"
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_lm 0 "$TMP/o" "$TMP/e" deepbind:"$PROGS/libucx_plugin_deleter.so")
expect_eq "deleter-shaped DEEPBIND plugin without audit: not seen, summary not checked" \
    "$rc $(count "$LOG" 'e["event"]=="context"') $(count "$LOG" 'e["event"]=="summary" and e["unobserved"]!=[]')" "0 0 1"
rm -f "$LOG"
rc=$(FABGUARD_MODE=log FABGUARD_LOG=$LOG run_lm 0 "$TMP/o" "$TMP/e" direct deepbind:"$PLUGIN")
expect_contains "DEEPBIND plugin without audit beside a seen context: the plugin is named as not checked" \
    "$(grep '"event":"unobserved"' "$LOG")" '"cause":"no_audit","detail":"libucx_plugin.so calls ucp_'
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" direct deepbind:"$PLUGIN" dlsym:"$UCP")
expect_eq "every mode seen with audit: no unobserved event" "$rc $(count "$LOG" 'e["event"]=="unobserved"')" "0 0"
fi

# UCX in a dlmopen namespace: no preload there, so nothing to redirect to;
# the audit module sees it load and the shim says so.
if [ $DB = 1 ]; then
    rm -f "$LOG"
    rc=$(FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" dlmopen:"$UCP")
    expect_eq "dlmopen namespace: runs, unseen" "$rc $(count "$LOG" 'e["event"]=="context"')" "0 0"
    expect_eq "dlmopen namespace: unobserved event (namespace)" "$(count "$LOG" 'e["event"]=="unobserved" and e["cause"]=="namespace"')" "1"
    expect_contains "dlmopen namespace: summary names the cause" "$(grep '"event":"summary"' "$LOG")" "loaded in a dlmopen namespace"
fi

# --- Python ctypes on libucp.so.0 ----------------------------------------------------
cat >"$TMP/ct.py" <<'PY'
# ucp_init_version, a worker and an endpoint to its own address, all through
# ctypes (dlsym on the handle); prints the ucp_ep_create status per library.
import ctypes, sys
def run(path):
    u = ctypes.CDLL(path)
    params = (ctypes.c_uint64 * 32)(); params[0] = 1; params[1] = 2   # FIELD_FEATURES, FEATURE_TAG
    ctx = ctypes.c_void_p(); st = u.ucp_init_version(1, 0, params, None, ctypes.byref(ctx))
    if st: return st
    wp = (ctypes.c_uint64 * 32)(); w = ctypes.c_void_p()
    st = u.ucp_worker_create(ctx, wp, ctypes.byref(w))
    if st: return st
    addr = ctypes.c_void_p(); alen = ctypes.c_size_t()
    u.ucp_worker_get_address(w, ctypes.byref(addr), ctypes.byref(alen))
    ep = (ctypes.c_uint64 * 32)(); ep[0] = 1; ep[1] = addr.value     # FIELD_REMOTE_ADDRESS
    return u.ucp_ep_create(w, ep, ctypes.byref(ctypes.c_void_p()))
print(" ".join(str(run(p)) for p in sys.argv[1:]))
PY
rm -f "$LOG"
out=$(FABGUARD_LOG=$LOG with_shim python3 "$TMP/ct.py" libucp.so.0 2>&1)
expect_eq "ctypes without audit: not seen" "$out|$(count "$LOG" 'e["event"]=="endpoint"')" "0|0"
expect_contains "ctypes without audit: summary says why" "$(cat "$LOG")" "dlsym(handle) (Python ctypes) bypass the preload"
rm -f "$LOG"
out=$(LD_AUDIT=$AUDIT FABGUARD_LOG=$LOG with_shim python3 "$TMP/ct.py" libucp.so.0 2>&1)
expect_contains "ctypes with audit, warn: flagged" "$out" "]: VIOLATION ucx endpoint"
expect_eq "ctypes with audit: endpoint violation event" "$(count "$LOG" 'e["event"]=="endpoint" and e["verdict"]=="violation"' | awk '{print ($1>=1)}')" "1"
out=$(LD_AUDIT=$AUDIT FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail with_shim python3 "$TMP/ct.py" libucp.so.0 2>/dev/null)
expect_eq "ctypes with audit, enforce+fail: ucp_ep_create returns UCS_ERR_UNREACHABLE" "$out" "-6"

# --- two UCX copies: each call reaches the copy its caller bound ---------------------
if command -v patchelf >/dev/null; then
    cp "$UCP" "$TMP/libucp-fg9d1e.so.0" && patchelf --set-soname libucp-fg9d1e.so.0 "$TMP/libucp-fg9d1e.so.0"
    cp "$PLUGIN" "$TMP/plugin2.so"
    patchelf --replace-needed libucp.so.0 libucp-fg9d1e.so.0 "$TMP/plugin2.so" && patchelf --set-rpath "$TMP" "$TMP/plugin2.so"
    if [ $DB = 1 ]; then
    rm -f "$LOG"
    rc=$(FABGUARD_LOG=$LOG run_lm 1 "$TMP/o" "$TMP/e" direct dlsymdb:"$TMP/libucp-fg9d1e.so.0" deepbind:"$TMP/plugin2.so" deepbind:"$PLUGIN" dlsym:"$UCP")
    expect_eq "two copies with audit: every mode works" "$rc $(cut -d' ' -f2- "$TMP/o" | tr '\n' ' ')" "0 status 0 status 0 status 0 status 0 status 0 "
    expect_eq "two copies with audit: each context created by the copy its caller bound" "$(objects "$LOG")" \
        "libucp.so.0 libucp-fg9d1e.so.0 libucp-fg9d1e.so.0 libucp.so.0 libucp.so.0 "
    expect_eq "two copies with audit: all five endpoints judged" "$(count "$LOG" 'e["event"]=="endpoint" and e.get("when","")!="close"' | awk '{print ($1>=5)}')" "1"
    fi
    rm -f "$LOG"
    out=$(LD_AUDIT=$AUDIT FABGUARD_LOG=$LOG with_shim python3 "$TMP/ct.py" libucp.so.0 "$TMP/libucp-fg9d1e.so.0" 2>/dev/null)
    expect_eq "two copies through ctypes: both work" "$out" "0 0"
    expect_eq "two copies through ctypes: each context from its own copy" "$(objects "$LOG")" "libucp.so.0 libucp-fg9d1e.so.0 "
    if [ $DB = 1 ]; then
    rm -f "$LOG"
    rc=$(FABGUARD_LOG=$LOG run_lm 0 "$TMP/o" "$TMP/e" direct deepbind:"$TMP/plugin2.so")
    expect_eq "two copies without audit: only the direct one seen" "$rc $(objects "$LOG")" "0 libucp.so.0 "
    fi
else
    skip "two UCX copies" "patchelf missing"
fi

# --- fabguard run and env --------------------------------------------------------------
out=$("$CLI" run -- sh -c 'echo "$LD_AUDIT"')
expect_eq "fabguard run sets LD_AUDIT beside LD_PRELOAD" "$out" "$AUDIT"
out=$(LD_AUDIT=/opt/other.so "$CLI" run -- sh -c 'echo "$LD_AUDIT"' 2>/dev/null)
expect_eq "fabguard run keeps an existing LD_AUDIT" "$out" "$AUDIT:/opt/other.so"
rm -f "$LOG"
first=${MODES%% *}
"$CLI" run --mode enforce --log "$LOG" -- env FABGUARD_ON_VIOLATION=fail "$LM" "$first" >"$TMP/o" 2>/dev/null
expect_eq "fabguard run: a ${first%%:*} endpoint over tcp is refused" "$(cat "$TMP/o")" "$first status -6"
st=$(NIXL_UCX_DEEPBIND=1 "$CLI" env --json | python3 -c 'import json,sys; print([c["status"] for c in json.load(sys.stdin)["checks"] if c["name"]=="NIXL_UCX_DEEPBIND"])')
expect_eq "fabguard env: NIXL_UCX_DEEPBIND=1 without LD_AUDIT warns" "$st" "['warn']"
st=$(NIXL_UCX_DEEPBIND=1 LD_AUDIT=$AUDIT "$CLI" env --json | python3 -c 'import json,sys; print([c["status"] for c in json.load(sys.stdin)["checks"] if c["name"]=="NIXL_UCX_DEEPBIND"])')
expect_eq "fabguard env: NIXL_UCX_DEEPBIND=1 with the audit module ok" "$st" "['ok']"
