# Where the shim reads an endpoint's lanes, on the real libraries: UCX 1.13
# has no ucp_ep_query(TRANSPORTS) and the lanes come from ucp_ep_print_info
# (which also names each lane's usage: "am", "rma_bw#0", "wireup"); UCX 1.22
# answers ucp_ep_query(UCP_EP_ATTR_FIELD_TRANSPORTS), which names transport
# and device only. (ucx_query.sh proves the same split with the libucp double.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"

# lane_source LOG -> how the first endpoint event's lanes were read:
# the event's own lane-source field when it has one, else inferred from usage
lane_source() {
    python3 - "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] != "endpoint":
        continue
    for k in ("lane_source", "lanes_from", "source"):
        if k in e:
            print("field:" + ("query" if "query" in str(e[k]) else "print_info" if "print" in str(e[k]) else str(e[k])))
            break
    else:
        print("usage" if any("usage" in x for x in e["lanes"]) else "no-usage")
    break
PY
}
run_tcp() {  # run_tcp LOG [env prefix…]
    local log=$1; shift
    rm -f "$log"
    UCX_TLS=tcp FABGUARD_LOG=$log "$@" env LD_PRELOAD="$(preload_of "$SHIM")" \
        "$PROGS/ucx_ep" -n 2 >"$TMP/o" 2>"$TMP/e"
}

run_tcp "$TMP/13.jsonl"; rc=$?
src=$(lane_source "$TMP/13.jsonl")
expect_eq "UCX 1.13: tcp endpoint judged" "$rc $(grep -c VIOLATION "$TMP/e" | awk '{print ($1>0)}')" "0 1"
case $src in
    field:print_info|usage) pass "UCX 1.13: lanes read with ucp_ep_print_info ($src)" ;;
    *) fail "UCX 1.13: lanes read with ucp_ep_print_info" "lane source $src" ;;
esac

need_stack "UCX 1.22 lane source"
run_tcp "$TMP/22.jsonl" with_ucx122; rc=$?
src=$(lane_source "$TMP/22.jsonl")
expect_eq "UCX 1.22: tcp endpoint judged" "$rc $(grep -c VIOLATION "$TMP/e" | awk '{print ($1>0)}')" "0 1"
case $src in
    field:query|no-usage) pass "UCX 1.22: lanes read with ucp_ep_query(TRANSPORTS) ($src)" ;;
    *) fail "UCX 1.22: lanes read with ucp_ep_query(TRANSPORTS)" "lane source $src" ;;
esac
expect_contains "UCX 1.22: both tcp devices reported" "$(grep '"event":"endpoint"' "$TMP/22.jsonl" | head -1)" '{"transport":"tcp","device":"lo"'
