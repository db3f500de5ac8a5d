# The right path inside the worker (issue 17): the shim learns which GPU a
# process moves from the CUDA memory it maps with ucp_mem_map (asked of the
# CUDA driver in the process) and judges each endpoint's network lanes
# against the node's rail table, and a same-host peer's lanes against
# cuda_ipc. What no machine here has is doubled, everything else is real:
#   - the node: the 8-GPU/4-NIC tree of tests/fixtures/sysfs (rail4: GPU 2k,
#     2k+1 and mlx5_k under PCIe switch k; k<2 on socket 0), bound over /sys
#     in a private mount namespace; the shim reads it with its own probe;
#   - the CUDA driver: tests/doubles/libcuda.c (pointer -> ordinal -> bus id);
#   - UCX lanes on mlx5 HCAs: the UCX 1.19 double with ucp_mem_map
#     (tests/doubles/libucp_memmap.c, which is tests/doubles/libucp.c plus it).
source "$(dirname "$0")/lib.sh"
if ! is_root || ! unshare -m true 2>/dev/null; then
    skip "rails in the shim" "needs root (mount namespace)"
    exit 0
fi
FX=$TMP/fx
bash "$FIX/sysfs/make_fixtures.sh" "$FX" >/dev/null
mkdir -p "$TMP/lib"
ln -s "$DOUBLES/libucp_memmap.so" "$TMP/lib/libucp.so.0"
ln -s "$DOUBLES/libcuda.so" "$TMP/lib/libcuda.so.1"
BUSIDS=0000:30:00.0,0000:31:00.0,0000:32:00.0,0000:33:00.0,0000:34:00.0,0000:35:00.0,0000:36:00.0,0000:37:00.0
# on NODE GPU LANES [VAR=VALUE…]: ucx_ep -g under the shim on fixture NODE,
# its memory on GPU ordinal GPU; prints stderr, events in $TMP/ev.jsonl
on() {
    local node=$1 gpu=$2 lanes=$3; shift 3
    rm -f "$TMP/ev.jsonl"
    unshare -m sh -c 'mount --bind "$0/sys" /sys && exec "$@"' "$FX/$node" \
        env FG_UCP_DOUBLE_LANES="$lanes" FG_CUDA_DOUBLE_DEVICE="$gpu" FG_CUDA_DOUBLE_BUSIDS="$BUSIDS" \
        LD_LIBRARY_PATH="$TMP/lib" FABGUARD_LOG="$TMP/ev.jsonl" "$@" \
        LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -g -n 1 2>&1 >"$TMP/out"
}
ep_events() { grep '"event":"endpoint"' "$TMP/ev.jsonl"; }

out=$(on rail4 6 "rc_mlx5/mlx5_0:1")
expect_contains "wrong rail: GPU 6 through mlx5_0 is noted" "$out" \
    "]: NOTE lane 0 (rc_mlx5) of GPU 0000:36:00.0 goes through mlx5_0, SYS away (nearest: mlx5_3, PIX; rail_max_distance=PXB) (topology.rail_affinity=warn)"
expect_contains "wrong rail: the fix names the nearest NIC" "$out" "use the NIC next to GPU 0000:36:00.0 (mlx5_3, PIX)"
expect_contains "wrong rail (warn): endpoint event is info with the advisory rule" "$(ep_events)" '"verdict":"info"'
expect_contains "wrong rail (warn): event names the rule" "$(ep_events)" '"advisory":"topology.rail_affinity"'
expect_eq "wrong rail (warn): the application is unaffected" "$(cat "$TMP/out")" "ucx_ep: created 1 failed 0 status Success"

out=$(on rail4 6 "rc_mlx5/mlx5_3:1")
expect_not_contains "right rail: GPU 6 through mlx5_3, nothing to note" "$out" "NOTE"
expect_contains "right rail: endpoint event ok" "$(ep_events)" '"verdict":"ok"'

out=$(on rail4 1 "rc_mlx5/mlx5_0:1")
expect_not_contains "GPU 1 shares mlx5_0's switch: nothing to note" "$out" "NOTE"

out=$(on rail4 6 "rc_mlx5/mlx5_0:1" FABGUARD_TOPOLOGY_RAIL_AFFINITY=require FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail)
expect_contains "rail_affinity=require, enforce+fail: a violation" "$out" "]: VIOLATION ucx endpoint lane 0 (rc_mlx5) of GPU 0000:36:00.0 goes through mlx5_0"
expect_eq "rail_affinity=require, enforce+fail: the endpoint is refused" "$(cat "$TMP/out")" \
    "ucx_ep: created 0 failed 1 status Destination is unreachable"

out=$(on rail4 6 "rc_mlx5/mlx5_0:1" FABGUARD_TOPOLOGY_RAIL_AFFINITY=any)
expect_not_contains "rail_affinity=any: not judged" "$out" "NOTE"

out=$(on vm_flat 6 "rc_mlx5/mlx5_0:1")
expect_not_contains "flat VM tree: distances say nothing, nothing noted" "$out" "NOTE"

rm -f "$TMP/ev.jsonl"
out=$(unshare -m sh -c 'mount --bind "$0/sys" /sys && exec "$@"' "$FX/rail4" \
      env FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1" LD_LIBRARY_PATH="$TMP/lib" FABGUARD_LOG="$TMP/ev.jsonl" \
      LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 1 2>&1 >/dev/null)
expect_not_contains "no GPU memory mapped: no rail judgement" "$out" "NOTE"

# same node, GPU memory: NIC loopback or host memory instead of cuda_ipc
out=$(on rail4 0 "posix/memory,rc_mlx5/mlx5_0:1,cuda_copy/cuda")
expect_contains "same-host peer over the NIC loopback: noted" "$out" \
    "]: NOTE GPU memory to a peer on this node moves over rc_mlx5 on mlx5_0:1 (NIC loopback), not cuda_ipc (topology.same_host_gpu=warn)"
out=$(on rail4 0 "posix/memory,cuda_ipc/cuda,rc_mlx5/mlx5_0:1")
expect_not_contains "same-host peer with cuda_ipc: nothing to note" "$out" "NOTE"
# (a node without RDMA, so the context itself is clean)
out=$(on tcp_vm 0 "posix/memory,cuda_copy/cuda" FABGUARD_TOPOLOGY_SAME_HOST_GPU=require_nvlink FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail)
expect_contains "same_host_gpu=require_nvlink: host shared memory is a violation" "$out" \
    "]: VIOLATION ucx endpoint GPU memory to a peer on this node moves over posix (host shared memory), not cuda_ipc"
expect_eq "same_host_gpu=require_nvlink, enforce+fail: refused" "$(cat "$TMP/out")" \
    "ucx_ep: created 0 failed 1 status Destination is unreachable"

# NCCL in the worker: the NCCL double prints NCCL 2.28's own lines for a
# rank on GPU busId 36000 whose channels go out through NET/IB/0 (mlx5_0,
# SYS away on rail4) or NET/IB/3 (mlx5_3, its own switch); and a one-node
# communicator (nNodes 1) whose channels go over NET/IB/0.
nccl_on() {  # nccl_on NODE SCENARIO [VAR=VALUE…]: stderr+stdout of nccl_init
    local node=$1 sc=$2; shift 2
    rm -f "$TMP/nev.jsonl"
    unshare -m sh -c 'mount --bind "$0/sys" /sys && exec "$@"' "$FX/$node" \
        env FG_NCCL_DOUBLE_SCENARIO="$sc" LD_LIBRARY_PATH="$DOUBLES" FABGUARD_LOG="$TMP/nev.jsonl" "$@" \
        LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/nccl_init" 1 2>&1
}
comm_event() { grep '"event":"comm"' "$TMP/nev.jsonl" | head -1; }
out=$(nccl_on rail4 rail_wrong)
expect_contains "NCCL wrong rail: noted in the worker" "$out" \
    "]: NOTE channel 00 1 -> 0 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0, SYS away (nearest: mlx5_3, PIX"
expect_contains "NCCL wrong rail: comm event is info with the advisory rule" "$(comm_event)" '"advisory":"topology.rail_affinity"'
expect_contains "NCCL wrong rail: comm event names its GPU (sysfs spelling)" "$(comm_event)" '"gpu":"0000:36:00.0"'
expect_contains "NCCL wrong rail: comm event names the NIC used" "$(comm_event)" '"nic":"mlx5_0"'
expect_contains "NCCL wrong rail (warn): init unaffected" "$out" "init 0"
out=$(nccl_on rail4 rail_right)
expect_not_contains "NCCL right rail: nothing to note" "$out" "NOTE"
expect_contains "NCCL right rail: comm event ok, NIC mlx5_3" "$(comm_event)" '"nic":"mlx5_3"'
out=$(nccl_on rail4 rail_wrong FABGUARD_TOPOLOGY_RAIL_AFFINITY=require FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail)
expect_contains "NCCL rail_affinity=require, enforce+fail: a violation" "$out" "]: VIOLATION nccl comm channel 00 1 -> 0 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0"
expect_contains "NCCL rail_affinity=require, enforce+fail: init refused (ncclSystemError)" "$out" "init 2"
out=$(nccl_on rail4 samehost_net)
expect_contains "NCCL one-node comm over the NIC: noted" "$out" "between ranks of one node uses NET/IB/0/GDRDMA (NIC loopback), not P2P/NVLS/SHM (topology.same_host_gpu=warn)"
# the fleet view: report's rail table from the worker's own events
nccl_on rail4 rail_wrong >/dev/null
out=$("$CLI" report "$TMP/nev.jsonl")
expect_contains "report: rail table row for the worker's GPU and NIC" "$(echo "$out" | grep '0000:36:00.0')" "mlx5_0"
expect_contains "report: the row says wrong rail" "$(echo "$out" | grep '0000:36:00.0')" "wrong rail"
on rail4 6 "rc_mlx5/mlx5_0:1" >/dev/null
expect_contains "UCX endpoint event names its GPU and NIC" "$(ep_events | head -1)" '"gpu":"0000:36:00.0","nic":"mlx5_0"'
expect_contains "report: the UCX worker's rail row" "$("$CLI" report "$TMP/ev.jsonl" | grep '0000:36:00.0')" "wrong rail"
