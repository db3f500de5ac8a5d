# Where the shim reads an endpoint's lanes, on the real libraries:
#  - an endpoint created from a worker address: from the configuration UCX
#    printed for it (ep_cfg[N] on 1.13, "<ctx> scope cfg#N" on 1.22), which
#    the shim's log handler sees (lane_source "log"), on both versions;
#  - a client/server endpoint (lanes final only after wireup): UCX 1.13 has
#    no ucp_ep_query(TRANSPORTS), so ucp_ep_print_info ("print_info", lanes
#    with usage); UCX 1.22 answers ucp_ep_query(UCP_EP_ATTR_FIELD_TRANSPORTS)
#    ("ucp_ep_query", transport and device only).
# (ucx_query.sh proves the query/print_info split with the libucp double.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"

sources() {  # sources LOG -> "kind:lane_source" of each endpoint event, sorted, unique
    python3 - "$1" <<'PY'
import json, sys
seen = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event") == "endpoint":
        seen.add("%s:%s" % (e.get("kind", "?"), e.get("lane_source", "?")))
print(" ".join(sorted(seen)))
PY
}
worker_address() {  # worker_address LOG [prefix…]
    local log=$1; shift
    rm -f "$log"
    UCX_TLS=tcp FABGUARD_LOG=$log "$@" env LD_PRELOAD="$(preload_of "$SHIM")" \
        "$PROGS/ucx_ep" -n 2 >"$TMP/o" 2>"$TMP/e"
}
client_server() {  # client_server LOG [prefix…]: the client's events
    local log=$1 p; shift
    rm -f "$log" "$log.srv"
    p=$(free_port)
    UCX_TLS=tcp FABGUARD_LOG=$log.srv "$@" env LD_PRELOAD="$(preload_of "$SHIM")" \
        "$PROGS/ucx_cs" server 127.0.0.1 "$p" >/dev/null 2>&1 &
    local spid=$!; sleep 0.5
    UCX_TLS=tcp FABGUARD_LOG=$log "$@" env LD_PRELOAD="$(preload_of "$SHIM")" \
        "$PROGS/ucx_cs" client 127.0.0.1 "$p" >/dev/null 2>&1
    wait $spid
}

worker_address "$TMP/13.jsonl"; rc=$?
expect_eq "UCX 1.13, worker address: tcp endpoint judged" "$rc $(grep -c VIOLATION "$TMP/e" | awk '{print ($1>0)}')" "0 1"
expect_eq "UCX 1.13, worker address: lanes from UCX's printed configuration" "$(sources "$TMP/13.jsonl")" "worker-address:log"
client_server "$TMP/13cs.jsonl"
expect_contains "UCX 1.13, client: lanes read with ucp_ep_print_info" "$(sources "$TMP/13cs.jsonl")" "client:print_info"
n=$(grep '"event":"endpoint"' "$TMP/13cs.jsonl" | grep '"lane_source":"print_info"' | grep -c '"usage"')
expect_eq "UCX 1.13, print_info lanes carry their usage" "$([ "$n" -gt 0 ] && echo yes)" "yes"

need_stack "UCX 1.22 lane source"
worker_address "$TMP/22.jsonl" with_ucx122; rc=$?
expect_eq "UCX 1.22, worker address: tcp endpoint judged" "$rc $(grep -c VIOLATION "$TMP/e" | awk '{print ($1>0)}')" "0 1"
expect_eq "UCX 1.22, worker address: lanes from UCX's printed configuration" "$(sources "$TMP/22.jsonl")" "worker-address:log"
expect_contains "UCX 1.22: both tcp devices reported" "$(grep '"event":"endpoint"' "$TMP/22.jsonl" | head -1)" '{"transport":"tcp","device":"lo"'
client_server "$TMP/22cs.jsonl" with_ucx122
expect_contains "UCX 1.22, client: lanes read with ucp_ep_query(TRANSPORTS)" "$(sources "$TMP/22cs.jsonl")" "client:ucp_ep_query"
