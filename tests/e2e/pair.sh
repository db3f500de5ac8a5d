# fabguard pair: a real UCX transfer over loopback and between two "hosts"
# in network namespaces; lanes on both sides, numbers, verdicts, and the
# unreachable/wrong-port cases within the timeout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns_lib.sh"
source "$(dirname "$0")/pair_lib.sh"
SZ="--sizes 8,65536,1048576"

loopback_pair $SZ
expect_eq "loopback, default policy (tcp forbidden): both sides exit 1" "$crc $src" "1 1"
expect_eq "loopback: client reports its lanes and the server's" "$(j "$TMP/cli.json" 'bool(d["local_lanes"]) and bool(d["remote_lanes"])')" "True"
expect_eq "loopback: a result per size" "$(j "$TMP/cli.json" '[r["size"] for r in d["results"]]')" "[8, 65536, 1048576]"
expect_eq "loopback: numbers positive" "$(j "$TMP/cli.json" 'all(r["latency_us"]>0 and r["bandwidth_MBps"]>0 for r in d["results"])')" "True"
expect_eq "loopback: verdict violation with rules" "$(j "$TMP/cli.json" 'd["verdict"], sorted(set(v["rule"] for v in d["violations"]))[0]')" "('violation', 'fabguard.management_ifaces')"

p=$(free_port)
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --listen 127.0.0.1:$p --timeout $((15 * TM)) $SZ > "$TMP/srv.txt" 2>&1 &
spid=$!; sleep 0.5
out=$(FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --connect 127.0.0.1:$p --timeout $((15 * TM)) $SZ 2>&1); crc=$?
wait $spid; src=$?
expect_eq "loopback pinned to lo, tcp allowed: both clean" "$crc $src" "0 0"
expect_contains "loopback pinned: table printed" "$out" "latency us"
expect_contains "loopback pinned: verdict ok" "$out" "verdict: ok"

# --keep: one server, two clients one after the other
p=$(free_port)
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --listen 127.0.0.1:$p --keep --timeout $((8 * TM)) $SZ > "$TMP/keep.txt" 2>&1 &
spid=$!; sleep 0.5
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --connect 127.0.0.1:$p --timeout $((10 * TM)) --sizes 8 >/dev/null 2>&1; c1=$?
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --connect 127.0.0.1:$p --timeout $((10 * TM)) --sizes 8 >/dev/null 2>&1; c2=$?
sleep $((8 * TM + 1))   # then no third client arrives within the server's timeout
kill $spid 2>/dev/null; wait $spid; src=$?
expect_eq "--keep: two clients served, both clean" "$c1 $c2" "0 0"
expect_eq "--keep: the server reported twice" "$(grep -c 'verdict: ok' "$TMP/keep.txt")" "2"
expect_eq "--keep: server ends when no further client comes (exit 1, not killed)" "$src" "1"
# two clients at once: one is turned away while the other is served, and
# keeps retrying until its turn
p=$(free_port)
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --listen 127.0.0.1:$p --keep --timeout $((6 * TM)) $SZ > "$TMP/keep2.txt" 2>&1 &
spid=$!; sleep 0.5
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --connect 127.0.0.1:$p --timeout $((15 * TM)) $SZ > "$TMP/c1.txt" 2>&1 &
c1pid=$!
FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --connect 127.0.0.1:$p --timeout $((15 * TM)) $SZ > "$TMP/c2.txt" 2>&1; c2=$?
wait $c1pid; c1=$?
wait $spid
expect_eq "--keep, two clients at once: both served in turn" "$c1 $c2" "0 0"
expect_eq "--keep, two clients at once: the server reported twice" "$(grep -c 'verdict: ok' "$TMP/keep2.txt")" "2"

p=$(free_port)
s=$(date +%s)
msg=$("$CLI" pair --connect 127.0.0.1:$p --timeout 3 $SZ 2>&1); rc=$?
e=$(( $(date +%s) - s ))
expect_eq "nobody listening: exit 1" "$rc" "1"
expect_contains "nobody listening: step and address named" "$msg" "step connect: 127.0.0.1:$p refused the connection for"
[ "$e" -ge 2 ] && [ "$e" -le 5 ] && pass "nobody listening: kept trying, gave up at the timeout (${e}s)" || fail "nobody listening: took ${e}s (timeout 3)"
# a client that starts before its server (a pod still starting) gets through
p=$(free_port)
(sleep 2; exec env FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --listen 127.0.0.1:$p --timeout $((15 * TM)) $SZ > "$TMP/late.txt" 2>&1) &
spid=$!
out=$(FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo "$CLI" pair --connect 127.0.0.1:$p --timeout $((15 * TM)) $SZ 2>&1); crc=$?
wait $spid; src=$?
expect_eq "client before server: both clean" "$crc $src" "0 0"
expect_contains "client before server: full table" "$out" "1048576 bytes verified"
msg=$("$CLI" pair --listen 127.0.0.1:$(free_port) --timeout 1 2>&1); rc=$?
expect_eq "listener with no client: exit 1" "$rc" "1"
expect_contains "listener with no client: says so" "$msg" "no client reached"
s=$(date +%s)
msg=$("$CLI" pair --connect no-such-host.invalid:1 --timeout 2 2>&1); rc=$?
e=$(( $(date +%s) - s ))
expect_eq "unresolvable host: exit 1" "$rc" "1"
[ "$e" -le 4 ] && pass "unresolvable host: retried only within the timeout (${e}s)" || fail "unresolvable host: took ${e}s (timeout 2)"
expect_contains "unresolvable host: step resolve" "$msg" "step resolve"
"$CLI" pair 2>/dev/null; expect_eq "usage: neither side given: exit 2" "$?" "2"
"$CLI" pair --connect 127.0.0.1:1 --sizes 0 2>/dev/null; expect_eq "usage: bad size: exit 2" "$?" "2"
"$CLI" pair --connect 127.0.0.1:1 --keep 2>/dev/null; expect_eq "usage: --keep with --connect: exit 2" "$?" "2"

if netns_setup; then
    trap 'netns_cleanup; rm -rf "$TMP"' EXIT
    np=14000
    for pin in "" ens1f0; do
        np=$((np + 1))   # a fresh port each time: the last may linger in TIME_WAIT
        in_a env UCX_TLS=tcp ${pin:+UCX_NET_DEVICES=$pin} FABGUARD_UCX_FORBID_TRANSPORTS= "$CLI" pair --listen 10.88.0.1:$np --timeout $((15 * TM)) $SZ > "$TMP/a.txt" 2>&1 &
        spid=$!; sleep 0.7
        in_b env UCX_TLS=tcp ${pin:+UCX_NET_DEVICES=$pin} FABGUARD_UCX_FORBID_TRANSPORTS= "$CLI" pair --connect 10.88.0.1:$np --timeout $((15 * TM)) $SZ > "$TMP/b.txt" 2>&1; crc=$?
        wait $spid; src=$?
        if [ -z "$pin" ]; then
            expect_eq "netns unpinned: both sides flag the management NIC (exit 1 1)" "$crc $src" "1 1"
            expect_contains "netns unpinned: server names eth0" "$(cat "$TMP/a.txt")" "on eth0 (management NIC)"
            expect_contains "netns unpinned: client names eth0" "$(cat "$TMP/b.txt")" "on eth0 (management NIC)"
        else
            expect_eq "netns pinned to the data NIC: both clean" "$crc $src" "0 0"
            expect_contains "netns pinned: lanes on ens1f0" "$(cat "$TMP/b.txt")" "tcp/ens1f0"
        fi
        sleep 1
    done
else
    skip "pair between network namespaces" "needs root (ip netns)"
fi
