# UCX endpoint events say what they are about: UCX version, lane source,
# a stable endpoint id, the kind (worker-address, client, server,
# internal), the peer where known, and on a violation the mode and the
# action taken.
source "$(dirname "$0")/lib.sh"
V=$(ucx_info -v | head -1 | awk '{print $3}')
f() {  # f LOG FIELDS… -> one line per endpoint event with those fields
    python3 - "$@" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "endpoint":
        print(" ".join(str(e.get(k, "-")) for k in sys.argv[2:]))
PY
}

rm -f "$TMP/a.jsonl"
UCX_TLS=tcp FABGUARD_LOG=$TMP/a.jsonl with_shim "$PROGS/ucx_ep" -n 2 >/dev/null 2>&1
# the configuration UCX printed for the endpoint (no ucp_ep_print_info needed)
expect_eq "worker-address endpoints: kind, id, lane source, UCX version" \
    "$(f "$TMP/a.jsonl" kind ep_id lane_source ucx_version | sort -u | tr '\n' ';')" \
    "worker-address ep#1 log $V;worker-address ep#2 log $V;"
# the same lanes ucp_ep_print_info gives (UCX's own printer, run here without the shim)
plain=$(UCX_TLS=tcp UCX_LOG_LEVEL=info "$PROGS/ucx_ep" -n 1 | grep -o 'ep_cfg\[0\]: .*' | grep -o '[a-z_0-9]*/[a-z_0-9:.]*' | sort -u | tr '\n' ' ')
mine=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["event"]=="endpoint": print(" ".join(sorted(x["transport"]+"/"+x["device"] for x in e["lanes"]))+" "); break' "$TMP/a.jsonl")
expect_eq "lanes from the log are UCX's own configuration" "$mine" "$plain"
expect_eq "warn mode: violation events carry mode and action" "$(f "$TMP/a.jsonl" verdict mode action | sort -u)" "violation warn none"

rm -f "$TMP/b.jsonl"
UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_LOG=$TMP/b.jsonl with_shim "$PROGS/ucx_ep" -n 1 >/dev/null 2>&1
expect_eq "enforce+fail: the action taken" "$(f "$TMP/b.jsonl" mode action | sort -u)" "enforce refused (ucp_ep_create fails)"
rm -f "$TMP/b.jsonl"
UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=exit FABGUARD_LOG=$TMP/b.jsonl with_shim "$PROGS/ucx_ep" -n 1 >/dev/null 2>&1
expect_eq "enforce+exit: the action taken" "$(f "$TMP/b.jsonl" mode action | sort -u)" "enforce exit"

p=$(free_port)
rm -f "$TMP"/c*.jsonl
FABGUARD_LOG=$TMP/cs.jsonl with_shim "$PROGS/ucx_cs" server 127.0.0.1 "$p" >/dev/null 2>&1 &
sp=$!; sleep 0.5
FABGUARD_LOG=$TMP/cc.jsonl with_shim "$PROGS/ucx_cs" client 127.0.0.1 "$p" >/dev/null 2>&1; wait $sp
expect_contains "client endpoint: kind and the server's address" "$(f "$TMP/cc.jsonl" kind peer | sed -n 1p)" "client 127.0.0.1:$p"
expect_contains "server endpoint: kind and the client's address" "$(f "$TMP/cs.jsonl" kind peer | sed -n 1p)" "server 127.0.0.1:"
expect_eq "client endpoint keeps its id from creation to close" "$(f "$TMP/cc.jsonl" kind ep_id | sort -u)" "client ep#1"

# UCX >= 1.14 (the 1.19 double): lanes come from ucp_ep_query
mkdir -p "$TMP/ucp"; ln -s "$DOUBLES/libucp.so" "$TMP/ucp/libucp.so.0"
rm -f "$TMP/q.jsonl"
FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1" LD_LIBRARY_PATH=$TMP/ucp FABGUARD_LOG=$TMP/q.jsonl with_shim "$PROGS/ucx_ep" -n 1 >/dev/null 2>&1
expect_contains "UCX 1.19 (double): lane source ucp_ep_query and its version" "$(f "$TMP/q.jsonl" lane_source ucx_version)" "ucp_ep_query 1.19."
