# Sourced by the pair scripts (tests/run.sh skips *_lib.sh).
# TM scales the timeouts of runs that must succeed (a whole client or server
# run, a --keep server's wait): ASan/UBSan makes UCX over tcp several times
# slower, and a timeout is a step that failed, not a measurement. The cases
# that test a timeout itself keep their small fixed values.
TM=1
[ "${FG_SANITIZE:-0}" = 1 ] && TM=4
# j FILE EXPR: EXPR evaluated on the JSON object in FILE as d ("" if none)
j() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@" 2>/dev/null; }
# loopback_pair ARGS…: a `fabguard pair --json` server and client on a fresh
# loopback port, ARGS on both; output in $TMP/{srv,cli}.{json,err}, exit
# statuses in $src and $crc
loopback_pair() {
    local p spid
    p=$(free_port)
    "$CLI" pair --listen 127.0.0.1:$p --timeout $((15 * TM)) --json "$@" > "$TMP/srv.json" 2>"$TMP/srv.err" &
    spid=$!; sleep 0.5
    "$CLI" pair --connect 127.0.0.1:$p --timeout $((15 * TM)) --json "$@" > "$TMP/cli.json" 2>"$TMP/cli.err"; crc=$?
    wait $spid; src=$?
}
