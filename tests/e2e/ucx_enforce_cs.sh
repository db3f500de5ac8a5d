# Client/server endpoints in enforce mode (UCX lanes final only after
# wireup). What is guaranteed, per action (README: "UCX endpoints: what
# enforcement guarantees"):
#  - every transport the context can use to reach the peer is forbidden:
#    refused at ucp_ep_create, before any data (the client never connects);
#  - otherwise the final lanes are judged at the first later control call,
#    at the latest at close: `fail` makes that call return an error (close
#    included: the verdict is never discarded); UCX's own rkey unpack
#    (rendezvous) is never refused.
source "$(dirname "$0")/lib.sh"
CS=$PROGS/ucx_cs
STACK=${FG_STACK:-/var/cache/fabguard/stack/current}

# cs LABEL SERVER-PRELOAD CLIENT-PRELOAD ENV… -> $TMP/{s,c}.{out,err,jsonl}, rc in $TMP/rc
cs() {
    local label=$1 spre=$2 cpre=$3; shift 3
    local p; p=$(free_port)
    rm -f "$TMP"/s.jsonl "$TMP"/c.jsonl
    env "$@" FGT_WAIT=${FGT_WAIT:-8} FABGUARD_LOG=$TMP/s.jsonl LD_PRELOAD="$spre" "$CS" server 127.0.0.1 "$p" >"$TMP/s.out" 2>"$TMP/s.err" &
    local sp=$!; sleep 0.5
    env "$@" FABGUARD_LOG=$TMP/c.jsonl LD_PRELOAD="$cpre" "$CS" client 127.0.0.1 "$p" >"$TMP/c.out" 2>"$TMP/c.err"
    local crc=$?; wait $sp; echo "$crc $?" >"$TMP/rc"
}
ev() {  # ev LOG KIND -> "verdict source action peer" of endpoint events of that kind
    python3 - "$1" "$2" <<'PY'
import json, os, sys
if os.path.exists(sys.argv[1]):
    for l in open(sys.argv[1]):
        e = json.loads(l)
        if e["event"] == "endpoint" and e.get("kind") == sys.argv[2]:
            print(e["verdict"], e.get("lane_source"), e.get("action", "-"), e.get("peer", "-"), e.get("when"))
PY
}

matrix() {  # matrix LABEL ENV…
    local v=$1; shift
    local SH; SH=$(preload_of "$SHIM")
    # 1. tcp only: nothing allowed can reach the peer -> refused at creation
    cs "$v" "$SH" "$SH" UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FGT_ITERS=3000 "$@"
    expect_eq "$v tcp, enforce+fail: the client's ucp_ep_create fails, the server never sees it" \
        "$(cat "$TMP/rc") $(head -1 "$TMP/c.out") $(tail -1 "$TMP/s.out")" \
        "1 2 ucx_cs: endpoint failed: Destination is unreachable ucx_cs: no client"
    expect_contains "$v tcp, enforce+fail: event says why, from the context's resources and the route" \
        "$(ev "$TMP/c.jsonl" client)" "violation context resources refused before any data (ucp_ep_create fails) 127.0.0.1:"
    expect_contains "$v tcp, enforce+fail: the route names the interface" "$(ev "$TMP/c.jsonl" client)" " via lo "
    cs "$v" "$SH" "$SH" UCX_TLS=tcp FABGUARD_MODE=enforce FGT_ITERS=3000 "$@"
    expect_eq "$v tcp, enforce+abort: the client aborts in ucp_ep_create, no data reached the server" \
        "$(cat "$TMP/rc") $(grep -c received "$TMP/s.out")" "134 2 0"
    # the server alone under the shim (the client is elsewhere)
    cs "$v" "$SH" "" UCX_TLS=tcp FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail "$@"
    expect_contains "$v tcp, server only, enforce+fail: the server's endpoint is refused at creation" \
        "$(cat "$TMP/s.out")" "ucx_cs: endpoint failed: Destination is unreachable"
    expect_contains "$v tcp, server only: the event names the client's address" "$(ev "$TMP/s.jsonl" server)" "127.0.0.1:"

    # 2. an allowed path exists at creation (shared memory, tcp on lo):
    #    no refusal on wireup lanes; the final lanes decide, at the latest at close
    cs "$v" "$SH" "$SH" FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FGT_ITERS=100 "$@"
    expect_eq "$v default transports, enforce+fail: not refused for its passing wireup lanes" \
        "$(cat "$TMP/rc") $(tail -1 "$TMP/c.out") $(tail -1 "$TMP/s.out")" "0 0 ucx_cs: client ok ucx_cs: server ok"
    cs "$v" "$SH" "$SH" FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FGT_ITERS=3000 \
        FABGUARD_UCX_FORBID_TRANSPORTS=sysv,posix,cma,knem,xpmem "$@"
    expect_contains "$v final lanes forbidden, enforce+fail: the close reports the verdict (not exit 0)" \
        "$(cat "$TMP/rc") $(cat "$TMP/c.out")" "ucx_cs: close failed: Destination is unreachable"
    expect_eq "$v final lanes forbidden, enforce+fail: exit status 1" "$(cut -d' ' -f1 "$TMP/rc")" "1"
    # rendezvous (UCX unpacks remote keys itself): never refused inside UCX
    cs "$v" "$SH" "$SH" UCX_TLS=tcp FABGUARD_UCX_FORBID_TRANSPORTS= FABGUARD_MODE=enforce \
        FABGUARD_ON_VIOLATION=fail FGT_ITERS=3 FGT_BYTES=1048576 "$@"
    expect_contains "$v 1 MiB rendezvous, enforce+fail: no SIGABRT, the data arrives" "$(cat "$TMP/s.out")" "received 3145728 bytes"
    expect_not_contains "$v 1 MiB rendezvous: UCX never fails to unpack its key" "$(cat "$TMP/c.err" "$TMP/s.err")" "unpack"
    expect_eq "$v 1 MiB rendezvous: neither side killed" "$(grep -c 134 "$TMP/rc")" "0"
}

matrix "UCX 1.13"
if [ -e "$STACK/READY" ] && [ -d "$STACK/ucx/lib" ]; then
    matrix "UCX 1.22" LD_LIBRARY_PATH="$STACK/ucx/lib"
else
    skip "UCX 1.22 client/server enforcement" "no complete stack cache at $STACK (make stack)"
fi
