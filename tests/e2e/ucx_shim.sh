# The shim inside real UCX 1.13 programs: endpoints over shared memory
# (clean) and tcp (violation) in every mode and action, config changed in
# code, threads, thousands of endpoints, a dlopen(RTLD_LOCAL) plugin, Python
# ctypes, a library constructor, fork and exec.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
ucx_select   # FG_UCX=1.13 (Debian) or 1.22 (make stack)
EP=$PROGS/ucx_ep
LOG=$TMP/ev.jsonl
SHM_LANE=posix/memory; ucx_is 1.22 && SHM_LANE=cma/memory   # 1.22 picks cma

# events FILE [python-filter-expr] -> one compact line per matching event
events() {
    python3 - "$1" "${2:-True}" <<'PY'
import json, sys
for line in open(sys.argv[1]) if __import__('os').path.exists(sys.argv[1]) else []:
    e = json.loads(line)
    if eval(sys.argv[2], {}, {"e": e}):
        lanes = ",".join(l["transport"] + "/" + l["device"] for l in e.get("lanes", []))
        print(e["lib"], e["event"], e["verdict"], e.get("rule", "-"), lanes, e.get("when", ""))
PY
}
all_lines_parse() { python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"; }
run_ep() {  # run_ep OUTFILE ERRFILE args… (env from caller)
    local out=$1 err=$2; shift 2
    with_shim "$EP" "$@" >"$out" 2>"$err"; echo $?
}

# --- shared memory: clean in every mode -------------------------------------
for mode in log warn enforce; do
    rm -f "$LOG"
    rc=$(FABGUARD_MODE=$mode FABGUARD_LOG=$LOG run_ep "$TMP/o" "$TMP/e" -n 4)
    expect_eq "shm $mode: application unaffected" "$rc $(cat "$TMP/o")" "0 ucx_ep: created 4 failed 0 status Success"
    expect_eq "shm $mode: no stderr" "$(cat "$TMP/e")" ""
    expect_eq "shm $mode: 4 clean endpoint events" "$(events "$LOG" 'e["event"]=="endpoint" and e["verdict"]=="ok"' | wc -l)" "4"
    expect_contains "shm $mode: lanes are shared memory" "$(events "$LOG" 'e["event"]=="endpoint"' | head -1)" "$SHM_LANE"
done

# --- tcp: caught ---------------------------------------------------------------
export UCX_TLS=tcp
rm -f "$LOG"
rc=$(FABGUARD_MODE=warn FABGUARD_LOG=$LOG run_ep "$TMP/o" "$TMP/e" -n 4)
expect_eq "tcp warn: application unaffected" "$rc $(cat "$TMP/o")" "0 ucx_ep: created 4 failed 0 status Success"
expect_contains "tcp warn: stderr names tcp and the rule" "$(cat "$TMP/e")" "]: VIOLATION ucx endpoint"
expect_contains "tcp warn: stderr names the rule" "$(cat "$TMP/e")" "(ucx.forbid_transports=tcp)"
expect_contains "tcp warn: management NIC eth0 flagged" "$(cat "$TMP/e")" "fabguard.management_ifaces"
nlines=$(grep -c VIOLATION "$TMP/e"); nuniq=$(grep VIOLATION "$TMP/e" | sort -u | wc -l)
expect_eq "tcp warn: one stderr line per distinct finding" "$nlines" "$nuniq"
expect_contains "tcp warn: violation event with tcp lanes" "$(events "$LOG" 'e["verdict"]=="violation"')" "ucx endpoint violation ucx.forbid_transports"
check "tcp warn: every event line is JSON" all_lines_parse "$LOG"
expect_contains "tcp warn: context event records UCX_TLS" "$(grep '"event":"context"' "$LOG")" '"UCX_TLS":"tcp"'

rm -f "$LOG"
rc=$(FABGUARD_MODE=log FABGUARD_LOG=$LOG run_ep "$TMP/o" "$TMP/e" -n 2)
expect_eq "tcp log: silent, unaffected" "$rc|$(cat "$TMP/e")" "0|"
expect_contains "tcp log: events still written" "$(events "$LOG" 'e["verdict"]=="violation"')" "ucx.forbid_transports"

rc=$(FABGUARD_MODE=off FABGUARD_LOG=$LOG.off run_ep "$TMP/o" "$TMP/e" -n 2)
expect_eq "tcp off: pure passthrough" "$rc|$(cat "$TMP/e")|$( [ -e "$LOG.off" ] && echo written)" "0||"

rc=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail run_ep "$TMP/o" "$TMP/e" -n 3)
expect_eq "tcp enforce+fail: ucp_ep_create returns UCS_ERR_UNREACHABLE" "$rc $(cat "$TMP/o")" "1 ucx_ep: created 0 failed 3 status Destination is unreachable"
expect_not_contains "tcp enforce+fail: no UCX leak warning" "$(cat "$TMP/e")" "UCX  WARN"
rc=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=exit run_ep "$TMP/o" "$TMP/e" -n 3)
expect_eq "tcp enforce+exit: exit status 3" "$rc" "3"
rc=$(FABGUARD_MODE=enforce run_ep "$TMP/o" "$TMP/e" -n 3)
expect_eq "tcp enforce+abort: SIGABRT" "$rc" "134"
expect_contains "tcp enforce+abort: caller backtrace" "$(cat "$TMP/e")" "caller backtrace (from ucp_ep_create)"
expect_contains "tcp enforce+abort: backtrace names the caller" "$(cat "$TMP/e")" "run+"

# the same rule set by code: ucp_config_modify(TLS=tcp), as NIXL does
unset UCX_TLS
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_ep "$TMP/o" "$TMP/e" -n 1 -m)
expect_contains "config_modify TLS=tcp in code: caught" "$(cat "$TMP/e")" "ucx.forbid_transports"
expect_contains "config_modify TLS=tcp in code: recorded" "$(grep '"event":"context"' "$LOG")" '"UCX_TLS":"tcp"'

# management NIC alone: allow tcp, flag eth0 (the default route), pin to lo
export UCX_TLS=tcp FABGUARD_UCX_FORBID_TRANSPORTS=
mgmt=$(awk '$2=="00000000"{print $1; exit}' /proc/net/route)
if [ -n "$mgmt" ]; then
    rc=$(run_ep "$TMP/o" "$TMP/e" -n 1)
    expect_contains "unpinned tcp flagged on management NIC $mgmt" "$(cat "$TMP/e")" "on $mgmt"
    rc=$(UCX_NET_DEVICES=lo run_ep "$TMP/o" "$TMP/e" -n 1)
    expect_eq "UCX_NET_DEVICES pinned off the management NIC: clean" "$rc|$(cat "$TMP/e")" "0|"
else
    skip "management NIC rule" "no default route here"
fi
unset FABGUARD_UCX_FORBID_TRANSPORTS

# --- threads and thousands ------------------------------------------------------
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_ep "$TMP/o" "$TMP/e" -n 50 -t 8)
expect_eq "8 threads x 50 endpoints: all created" "$rc $(cat "$TMP/o")" "0 ucx_ep: created 400 failed 0 status Success"
check "8 threads: every event line is whole JSON" all_lines_parse "$LOG"
summary=$(grep '"event":"summary"' "$LOG")
expect_contains "8 threads: summary counts 400 endpoints" "$summary" '"endpoints":400'
rm -f "$LOG"
rc=$(FABGUARD_LOG=$LOG run_ep "$TMP/o" "$TMP/e" -n 3000)
expect_eq "3000 endpoints: all created" "$rc" "0"
expect_eq "3000 endpoints: stderr stays short" "$(grep -c VIOLATION "$TMP/e")" "$(grep VIOLATION "$TMP/e" | sort -u | wc -l)"
nev=$(wc -l < "$LOG")
[ "$nev" -lt 200 ] && pass "3000 endpoints: identical events are counted, not repeated ($nev lines)" || fail "3000 endpoints: $nev event lines"
expect_contains "3000 endpoints: summary counts them all" "$(grep '"event":"summary"' "$LOG")" '"endpoints":3000'

# --- reached from elsewhere ------------------------------------------------------
rm -f "$LOG"
out=$(FABGUARD_LOG=$LOG with_shim "$PROGS/noucx_dlopen" "$PROGS/libucx_plugin.so" 2>&1)
expect_contains "dlopen(RTLD_LOCAL) plugin: call passes through" "$out" "plugin 1 status 0"
expect_contains "dlopen(RTLD_LOCAL) plugin: violation caught" "$out" "ucx.forbid_transports"
rm -f "$LOG"
out=$(FABGUARD_LOG=$LOG with_shim python3 -c "import ctypes,sys; print('status', ctypes.CDLL(sys.argv[1]).fg_plugin_run())" "$PROGS/libucx_plugin.so" 2>&1)
expect_contains "python ctypes plugin: passes through" "$out" "status 0"
expect_contains "python ctypes plugin: violation caught" "$out" "ucx.forbid_transports"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail with_shim "$PROGS/linked_ctor_ucx" 2>&1)
expect_contains "from another library's constructor: fail verdict applied" "$out" "ctor status -6"
out=$(with_shim "$PROGS/linked_ctor_ucx" 2>&1)
expect_contains "from another library's constructor: caught in warn mode" "$out" "ucx.forbid_transports"

# fork: the child writes its own stream with fork_parent; exec leaks no fd
rm -f "$TMP"/fk.*
out=$(FABGUARD_LOG="$TMP/fk.%p.jsonl" with_shim python3 -c "
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1]); lib.fg_plugin_run()
pid = os.fork()
if pid == 0:
    lib.fg_plugin_run(); os._exit(0)
os.waitpid(pid, 0); print('parent', os.getpid(), 'child', pid)
os.system('ls -l /proc/self/fd/ > ' + sys.argv[2])
" "$PROGS/libucx_plugin.so" "$TMP/fds" 2>/dev/null)
ppid=$(echo "$out" | awk '{print $2}'); cpid=$(echo "$out" | awk '{print $4}')
expect_contains "fork: child has its own stream with fork_parent" "$(cat "$TMP/fk.$cpid.jsonl" 2>/dev/null)" "\"fork_parent\":$ppid"
expect_not_contains "fork: parent stream has no fork_parent" "$(cat "$TMP/fk.$ppid.jsonl" 2>/dev/null)" "fork_parent"
expect_not_contains "exec: the event log descriptor is not inherited" "$(cat "$TMP/fds")" "fk."

# broken policy: warn -> one line and passthrough; enforce -> fail closed at first call
printf '[ucx]\nforbid_transports = tcp\nbogus = 1\n' > "$TMP/broken.ini"
rc=$(FABGUARD_POLICY=$TMP/broken.ini run_ep "$TMP/o" "$TMP/e" -n 1)
expect_eq "broken policy, warn: application unaffected" "$rc" "0"
expect_contains "broken policy, warn: one clear line with file and line" "$(cat "$TMP/e")" "broken.ini:3: unknown key 'bogus'"
expect_eq "broken policy, warn: exactly one line" "$(wc -l < "$TMP/e")" "1"
rc=$(FABGUARD_POLICY=$TMP/broken.ini FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail run_ep "$TMP/o" "$TMP/e" -n 1)
expect_eq "broken policy, enforce+fail: first call refused" "$rc $(cat "$TMP/o")" "1 ucx_ep: created 0 failed 1 status Destination is unreachable (context)"
rc=$(FABGUARD_POLICY=$TMP/broken.ini FABGUARD_MODE=enforce run_ep "$TMP/o" "$TMP/e" -n 1)
expect_eq "broken policy, enforce: aborts at the first call" "$rc" "134"
expect_contains "broken policy, enforce: says why" "$(cat "$TMP/e")" "broken.ini:3"

# unwritable log: reported once, never fatal
rc=$(FABGUARD_LOG=/proc/fabguard-cannot/%p.jsonl run_ep "$TMP/o" "$TMP/e" -n 2)
expect_eq "unwritable log: application unaffected" "$rc" "0"
expect_eq "unwritable log: reported once" "$(grep -c 'event log' "$TMP/e")" "1"
