# UCX client/server endpoints (lanes final only after wireup) over loopback
# and between two "hosts" in network namespaces (management NIC eth0 with
# the default route + data NIC ens1f0); two UCX copies in one process.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stack_lib.sh"
ucx_select   # FG_UCX=1.13 (Debian) or 1.22 (make stack)
source "$(dirname "$0")/netns_lib.sh"
CS=$PROGS/ucx_cs
CM_LANE=rdmacm/; ucx_is 1.22 && CM_LANE=tcp/   # 1.22 here (no rdmacm module) names it tcp

lanes_of() {  # lanes_of LOG WHEN-substring -> "tl/dev,…" of endpoint events
    python3 - "$1" "$2" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "endpoint" and sys.argv[2] in e.get("when", ""):
        print(e["verdict"], ",".join(x["transport"] + "/" + x["device"] for x in e["lanes"]))
PY
}

# --- loopback: both sides judged at creation and again after wireup ----------
p=$(free_port)
FABGUARD_LOG=$TMP/srv.jsonl with_shim "$CS" server 127.0.0.1 "$p" >"$TMP/srv.out" 2>"$TMP/srv.err" &
spid=$!; sleep 0.5
FABGUARD_LOG=$TMP/cli.jsonl with_shim "$CS" client 127.0.0.1 "$p" >"$TMP/cli.out" 2>"$TMP/cli.err"; crc=$?
wait $spid; src=$?
expect_eq "loopback: client and server unaffected" "$crc $src $(tail -1 "$TMP/cli.out") $(tail -1 "$TMP/srv.out")" "0 0 ucx_cs: client ok ucx_cs: server ok"
cli_create=$(lanes_of "$TMP/cli.jsonl" "at creation")
expect_eq "client endpoint at creation holds only the connection-manager lane" "$cli_create" "ok $CM_LANE"
cli_later=$(lanes_of "$TMP/cli.jsonl" "at close"; lanes_of "$TMP/cli.jsonl" "after wireup")
[ -n "$cli_later" ] && pass "client endpoint judged again after wireup ($cli_later)" || fail "client endpoint judged again after wireup" "no later event"
srv_create=$(lanes_of "$TMP/srv.jsonl" "at creation")
expect_contains "server endpoint at creation has a tcp lane (measured on 1.13)" "$srv_create" "tcp/"
srv_later=$(lanes_of "$TMP/srv.jsonl" "at close"; lanes_of "$TMP/srv.jsonl" "after wireup")
[ -n "$srv_later" ] && pass "server endpoint judged again after its lanes changed ($srv_later)" || fail "server endpoint judged again" "no later event"

# --- two hosts -------------------------------------------------------------------
NSPORT=13370
pair_in_netns() {  # pair_in_netns LABEL ENV… -> runs server in A, client in B
    local label=$1; shift
    NSPORT=$((NSPORT + 1))   # a fresh port: the last one may linger in TIME_WAIT
    rm -f "$TMP"/ns*.jsonl
    in_a env "$@" FABGUARD_LOG=$TMP/nsa.jsonl LD_PRELOAD="$(preload_of "$SHIM")" "$CS" server 10.88.0.1 $NSPORT >"$TMP/nsa.out" 2>"$TMP/nsa.err" &
    local spid=$!; sleep 0.7
    in_b env "$@" FABGUARD_LOG=$TMP/nsb.jsonl LD_PRELOAD="$(preload_of "$SHIM")" "$CS" client 10.88.0.1 $NSPORT >"$TMP/nsb.out" 2>"$TMP/nsb.err"
    local crc=$?; wait $spid; local src=$?
    expect_eq "$label: transfer works" "$crc $src" "0 0"
}
if netns_setup; then
    trap 'netns_cleanup; rm -rf "$TMP"' EXIT
    # tcp is allowed here: the rule under test is the management NIC
    pair_in_netns "netns unpinned" UCX_TLS=tcp FABGUARD_UCX_FORBID_TRANSPORTS=
    expect_contains "netns unpinned: server side flagged on management NIC eth0" "$(cat "$TMP/nsa.err")" "on eth0 (management NIC) (fabguard.management_ifaces=auto)"
    expect_contains "netns unpinned: client side flagged on management NIC eth0" "$(cat "$TMP/nsb.err")" "on eth0 (management NIC) (fabguard.management_ifaces=auto)"
    pair_in_netns "netns pinned" UCX_TLS=tcp FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=ens1f0
    expect_not_contains "netns pinned to data NIC: server clean" "$(cat "$TMP/nsa.err")" "VIOLATION"
    expect_not_contains "netns pinned to data NIC: client clean" "$(cat "$TMP/nsb.err")" "VIOLATION"
    expect_contains "netns pinned: lanes on ens1f0" "$(lanes_of "$TMP/nsa.jsonl" "")" "tcp/ens1f0"
else
    skip "two hosts in network namespaces" "needs root (ip netns)"
fi

# --- two UCX copies in one process (one renamed, as Python wheels ship it) --------
if command -v patchelf >/dev/null; then
    real=$(readlink -f "$(ldd "$PROGS/libucx_plugin.so" | awk '/libucp.so/{print $3}')")
    cp "$real" "$TMP/libucp-fg7a3c.so.0" && patchelf --set-soname libucp-fg7a3c.so.0 "$TMP/libucp-fg7a3c.so.0"
    cp "$PROGS/libucx_plugin.so" "$TMP/plugin2.so"
    patchelf --replace-needed libucp.so.0 libucp-fg7a3c.so.0 "$TMP/plugin2.so" && patchelf --set-rpath "$TMP" "$TMP/plugin2.so"
    out=$(UCX_TLS=tcp FABGUARD_LOG=$TMP/two.jsonl with_shim "$PROGS/noucx_dlopen" "$PROGS/libucx_plugin.so" "$TMP/plugin2.so" 2>&1)
    expect_contains "two UCX copies: first plugin works" "$out" "plugin 1 status 0"
    expect_contains "two UCX copies: renamed-copy plugin works" "$out" "plugin 2 status 0"
    objs=$(grep -o '"ucx_object":"[^"]*"' "$TMP/two.jsonl" | sort | tr '\n' ' ')
    expect_eq "two UCX copies: each context created by its own copy" "$objs" '"ucx_object":"libucp-fg7a3c.so.0" "ucx_object":"libucp.so.0" '
    expect_eq "two UCX copies: both endpoints judged" "$(grep -c '"event":"endpoint","verdict":"violation"' "$TMP/two.jsonl" | awk '{print ($1>=2)}')" "1"
else
    skip "two UCX copies" "patchelf missing"
fi
