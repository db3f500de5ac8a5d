#!/bin/bash
# make demo: the whole story in under a minute, no GPU needed.
# Real UCX programs fall back to TCP and fabguard catches them; the same
# program over shared memory is clean; two "hosts" in network namespaces show
# the management-NIC trap and its fix; `explain` reads an NCCL log; `report`
# sums up the events this demo just wrote.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${FG_BUILD:-build}
FG=$PWD/$B/fabguard
EP=$PWD/$B/tests/progs/ucx_ep
CS=$PWD/$B/tests/progs/ucx_cs
EV=$(mktemp -d /tmp/fabguard-demo.XXXXXX)
export FABGUARD_LOG="$EV/%h.%p.jsonl"
unset UCX_TLS UCX_NET_DEVICES FABGUARD_MODE FABGUARD_POLICY
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; echo "(exit status $?)"; }

step "1. A UCX worker that silently falls back to TCP (UCX_TLS=tcp), warn mode"
UCX_TLS=tcp show "$FG" run --mode warn -- "$EP" -n 8

step "2. The same worker in enforce mode, on_violation=fail: the endpoint is refused"
UCX_TLS=tcp FABGUARD_ON_VIOLATION=fail show "$FG" run --mode enforce -- "$EP" -n 8

step "3. The same worker over shared memory: clean, nothing printed by fabguard"
UCX_TLS=self,sm show "$FG" run --mode enforce -- "$EP" -n 8

step "4. Two hosts (network namespaces): eth0 = management NIC with the default route, ens1f0 = data NIC"
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
    is_root() { [ "$(id -u)" = 0 ]; }
    source tests/e2e/netns_lib.sh
    if netns_setup; then
        trap 'netns_cleanup' EXIT
        port=13380
        for pin in "" ens1f0; do
            port=$((port + 1))
            echo "--- UCX_TLS=tcp UCX_NET_DEVICES=${pin:-<unset>} (tcp allowed by policy; the management-NIC rule decides)"
            in_a env UCX_TLS=tcp ${pin:+UCX_NET_DEVICES=$pin} FABGUARD_UCX_FORBID_TRANSPORTS= \
                "$FG" run --mode warn -- "$CS" server 10.88.0.1 $port 2>&1 | sed 's/^/[host A] /' &
            sleep 0.7
            in_b env UCX_TLS=tcp ${pin:+UCX_NET_DEVICES=$pin} FABGUARD_UCX_FORBID_TRANSPORTS= \
                "$FG" run --mode warn -- "$CS" client 10.88.0.1 $port 2>&1 | sed 's/^/[host B] /'
            wait
        done
    fi
else
    echo "(skipped: needs root for ip netns)"
fi

step "5. fabguard explain on an NCCL log where NCCL fell back to sockets"
LOGF=$(ls tests/fixtures/nccl/*socket*.log 2>/dev/null | head -1)
if [ -n "$LOGF" ]; then
    show "$FG" explain "$LOGF"
else
    echo "(no NCCL socket-fallback fixture in tests/fixtures/nccl yet)"
fi

step "6. fabguard report over the events this demo wrote ($EV)"
show "$FG" report "$EV"
rm -rf "$EV"
