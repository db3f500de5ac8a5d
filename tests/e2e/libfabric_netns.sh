#!/bin/bash
# libfabric between two hosts (network namespaces, tests/e2e/netns_lib.sh):
# each has a management NIC eth0 (default route) and a data NIC ens1f0.
# fi_pingpong over tcp on eth0 is caught by the management-NIC rule with
# management_ifaces = auto; pinned to ens1f0 (FI_TCP_IFACE) and with tcp
# allowed by the policy it is clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns_lib.sh"

command -v fi_pingpong >/dev/null || { skip "libfabric netns" "fi_pingpong (libfabric-bin) missing"; exit 0; }
netns_setup || { skip "libfabric netns" "needs root (ip netns)"; exit 0; }
trap 'netns_cleanup; rm -rf "$TMP"' EXIT
unset FI_PROVIDER FI_PROVIDER_PATH FI_TCP_IFACE FI_SOCKETS_IFACE FI_HOOK

PORT=47700
# ns_pingpong LABEL SERVER_ADDR ENV…: server in A, client in B
ns_pingpong() {
    local label=$1 addr=$2 spid; shift 2
    PORT=$((PORT + 1))
    rm -f "$TMP"/ns*.jsonl
    in_a env "$@" FABGUARD_LOG=$TMP/nsa.jsonl LD_PRELOAD="$(preload_of "$SHIM")" \
        timeout 60 fi_pingpong -p tcp -e msg -I 3 -S 64 -B $PORT >"$TMP/nsa.out" 2>&1 &
    spid=$!
    local i
    for i in $(seq 1 300); do   # until the server listens (never connect: it would be its client)
        in_a ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    in_b env "$@" FABGUARD_LOG=$TMP/nsb.jsonl LD_PRELOAD="$(preload_of "$SHIM")" \
        timeout 60 fi_pingpong -p tcp -e msg -I 3 -S 64 -P $PORT "$addr" >"$TMP/nsb.out" 2>&1
    local crc=$?
    wait $spid
    expect_eq "$label: pingpong works" "$crc $?" "0 0"
}

ns_pingpong "tcp on eth0" 10.77.0.1 FI_TCP_IFACE=eth0
expect_contains "tcp on eth0: server caught on the management NIC (auto)" "$(cat "$TMP/nsa.out")" \
    "VIOLATION libfabric domain provider tcp uses domain eth0 (management NIC) (fabguard.management_ifaces=auto)"
expect_contains "tcp on eth0: client caught on the management NIC (auto)" "$(cat "$TMP/nsb.out")" \
    "VIOLATION libfabric domain provider tcp uses domain eth0 (management NIC) (fabguard.management_ifaces=auto)"
expect_contains "tcp on eth0: forbid_providers too (default policy)" "$(cat "$TMP/nsb.jsonl")" \
    '"rule":"libfabric.forbid_providers","provider":"tcp","fabric":"10.77.0.0/24"'

ns_pingpong "tcp on ens1f0, tcp allowed" 10.88.0.1 FI_TCP_IFACE=ens1f0 FABGUARD_LIBFABRIC_FORBID_PROVIDERS=
expect_not_contains "data NIC: server clean" "$(cat "$TMP/nsa.out")" "VIOLATION"
expect_not_contains "data NIC: client clean" "$(cat "$TMP/nsb.out")" "VIOLATION"
expect_contains "data NIC: client domain ens1f0 recorded" "$(cat "$TMP/nsb.jsonl")" \
    '"event":"domain","verdict":"ok","provider":"tcp","fabric":"10.88.0.0/24","domain":"ens1f0","ep_type":"msg"'

ns_pingpong "tcp on ens1f0, default policy" 10.88.0.1 FI_TCP_IFACE=ens1f0
expect_contains "data NIC, default policy: tcp itself is still refused" "$(cat "$TMP/nsb.out")" \
    "VIOLATION libfabric fabric provider tcp (fabric 10.88.0.0/24)"
expect_not_contains "data NIC, default policy: not a management-NIC finding" "$(cat "$TMP/nsb.out")" \
    "(management NIC)"
