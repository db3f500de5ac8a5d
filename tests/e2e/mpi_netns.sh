# OpenMPI across two "nodes": each a network namespace (management NIC eth0
# with the default route, data NIC ens1f0; tests/e2e/netns_lib.sh) and its own
# UTS namespace (hostname nodea / nodeb). mpirun runs on nodea; its rsh
# launcher reaches nodeb through an agent that enters nodeb's namespaces.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns_lib.sh"
source "$(dirname "$0")/stack_lib.sh"
source "$(dirname "$0")/mpi_lib.sh"
need_mpi "OpenMPI on two nodes"
ucx_select
command -v unshare >/dev/null || { skip "OpenMPI on two nodes" "unshare missing"; exit 0; }
netns_setup || { skip "OpenMPI on two nodes" "needs root (ip netns)"; exit 0; }
trap 'netns_cleanup; rm -rf "$TMP"' EXIT

# The launcher's "host" is the node's data address; the agent runs the
# remote shell command line mpirun gives it inside that node's namespaces.
cat >"$TMP/agent" <<EOF
#!/bin/sh
h=\$1; shift
case \$h in
  10.88.0.1) ns=$NS_A n=nodea ;;
  10.88.0.2) ns=$NS_B n=nodeb ;;
  *) echo "fabguard test agent: unknown host \$h" >&2; exit 1 ;;
esac
exec ip netns exec \$ns unshare --uts sh -c "hostname \$n && \$*"
EOF
chmod +x "$TMP/agent"
printf '10.88.0.1 slots=1\n10.88.0.2 slots=1\n' >"$TMP/hosts"

# two_nodes PREFIX VAR=VAL…: mpi_xfer with the shim on nodea + nodeb
two_nodes() {
    local pre=$1; shift
    local -a xs=()
    for e in "$@"; do xs+=(-x "${e%%=*}"); done
    for v in LD_LIBRARY_PATH UCX_MODULE_DIR; do [ -n "${!v:-}" ] && xs+=(-x "$v"); done
    rm -f "$pre".r*.jsonl
    in_a unshare --uts env "$@" FG_PRELOAD="$(preload_of "$SHIM")" FG_PRE="$pre" \
        sh -c 'hostname nodea && exec "$@"' sh \
        timeout 300 mpirun "${MPIRUN_ARGS[@]}" --mca plm_rsh_agent "$TMP/agent" \
        --mca oob_tcp_if_include 10.88.0.0/24 --hostfile "$TMP/hosts" -np 2 \
        "${xs[@]}" -x FG_PRELOAD -x FG_PRE \
        sh -c 'LD_PRELOAD="$FG_PRELOAD" FABGUARD_LOG="$FG_PRE.r$OMPI_COMM_WORLD_RANK.jsonl" exec "$0" "$@"' \
        "$MPI_XFER" >"$pre.out" 2>"$pre.err"
}
# findings LOG -> "host detail" of its violation events, distinct
findings() {
    python3 - "$1" <<'PY'
import json, os, sys
out = set()
if os.path.exists(sys.argv[1]):
    for l in open(sys.argv[1]):
        e = json.loads(l)
        if e["event"] == "endpoint":
            out.add(e["host"] + " " + e["verdict"] + " " + e.get("detail", ""))
print(";".join(sorted(out)))
PY
}

# tcp allowed: the rule under test is the management NIC
two_nodes "$TMP/un" UCX_TLS=tcp FABGUARD_UCX_FORBID_TRANSPORTS=; rc=$?
expect_eq "two nodes, unpinned: job runs" "$rc $(sort "$TMP/un.out" | tr '\n' '|')" \
    "0 mpi_xfer: done 2 ranks|mpi_xfer: rank 0 ok|mpi_xfer: rank 1 ok|"
expect_contains "two nodes, unpinned: rank 0 on nodea flags management NIC eth0" \
    "$(findings "$TMP/un.r0.jsonl")" "nodea violation lane 1 uses tcp on eth0 (management NIC)"
expect_contains "two nodes, unpinned: rank 1 on nodeb flags management NIC eth0" \
    "$(findings "$TMP/un.r1.jsonl")" "nodeb violation lane 1 uses tcp on eth0 (management NIC)"

two_nodes "$TMP/pin" UCX_TLS=tcp FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=ens1f0; rc=$?
expect_eq "two nodes, pinned to data NIC: job runs" "$rc $(grep -c ' ok$' "$TMP/pin.out")" "0 2"
expect_eq "two nodes, pinned to ens1f0: rank 0 clean" "$(findings "$TMP/pin.r0.jsonl")" "nodea ok "
expect_eq "two nodes, pinned to ens1f0: rank 1 clean" "$(findings "$TMP/pin.r1.jsonl")" "nodeb ok "

# default policy (tcp forbidden), enforce+fail: MPI's own error on both nodes
two_nodes "$TMP/fail" UCX_TLS=tcp UCX_NET_DEVICES=ens1f0 FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail; rc=$?
expect_eq "two nodes, tcp enforce+fail: job fails before any transfer" \
    "$([ "$rc" != 0 ] && echo failed) $(grep -c ' ok$' "$TMP/fail.out")" "failed 0"
expect_contains "two nodes, tcp enforce+fail: OpenMPI names the refused ucp_ep_create" \
    "$(cat "$TMP/fail.err")" "failed: Destination is unreachable"
