# The right path, from logs: `fabguard explain --root DIR` judges NCCL
# channels against the node tree (rail affinity) and flags intra-node
# channels over NET. Node trees: tests/fixtures/sysfs/make_fixtures.sh
# (rail4: GPU 2k,2k+1 + mlx5_k under PCIe switch k, k<2 on socket 0; rail2:
# one NIC per socket, GPUs PXB; vm_flat: a VM's flattened tree). Logs: the
# libnccl double's rail scenarios (tests/doubles/libnccl.c) and the fixture
# logs tests/fixtures/nccl/{rail4-wrong-rail,samehost-net,rail-vm-flat}-2.28.9.log,
# samehost-peer-2.18.3.log. Then UCX text from tests/corpus/ucx (an
# intra-node configuration moving cuda memory without cuda_ipc) and
# `fabguard report`'s rail table from event lines with "gpu"/"nic".
source "$(dirname "$0")/lib.sh"
bash "$FIX/sysfs/make_fixtures.sh" "$TMP/fx"
N=$FIX/nccl
dbl() {  # dbl SCENARIO -> the double's NCCL_DEBUG=INFO log on stdout
    NCCL_DEBUG=INFO FG_NCCL_DOUBLE_SCENARIO=$1 LD_LIBRARY_PATH=$DOUBLES "$PROGS/nccl_init" 1
}
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
dbl rail_wrong > "$TMP/wrong.log"; dbl rail_right > "$TMP/right.log"; dbl samehost_net > "$TMP/same.log"

# wrong rail: GPU busId 36000 (switch 3, socket 1) sends over NET/IB/0 = mlx5_0 (socket 0)
out=$("$CLI" explain --root "$TMP/fx/rail4" "$TMP/wrong.log"); rc=$?
expect_contains "double rail_wrong on rail4: wrong rail caught" "$out" "NOTE channel 00 1 -> 0 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0, SYS away (nearest: mlx5_3, PIX; rail_max_distance=PXB) (topology.rail_affinity, advisory)"
expect_contains "double rail_wrong: comm's GPU resolved on the tree" "$out" "gpu busId 36000 cudaDev 6 = 0000:36:00.0, nearest NIC mlx5_3 (PIX)"
expect_eq "double rail_wrong (warn, the default): verdict info, exit 0" "$(echo "$out" | grep -c 'verdict: info') $rc" "1 0"
expect_eq "double rail_wrong: one finding for four channels over one HCA" "$(echo "$out" | grep -c 'NOTE')" "1"
j=$("$CLI" explain --json --root "$TMP/fx/rail4" "$TMP/wrong.log")
expect_eq "double rail_wrong --json: advisory, no violation, verdict info" \
    "$(echo "$j" | js '[(p["verdict"], [a["rule"] for a in p["advisories"]], p["violations"]) for p in d["processes"]], d["comms"][0]["gpu_busid"], d["comms"][0]["nnodes"]')" \
    "[('info', ['topology.rail_affinity'], [])] 36000 2"
out=$(FABGUARD_TOPOLOGY_RAIL_AFFINITY=require "$CLI" explain --root "$TMP/fx/rail4" "$TMP/wrong.log"); rc=$?
expect_contains "rail_affinity=require: a violation" "$out" "VIOLATION channel 00 1 -> 0 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0, SYS away"
expect_eq "rail_affinity=require: exit 1" "$rc" "1"
printf '[topology]\nrail_affinity = any\n' > "$TMP/any.ini"
out=$("$CLI" explain --policy "$TMP/any.ini" --root "$TMP/fx/rail4" "$TMP/wrong.log"); rc=$?
expect_eq "rail_affinity=any: no catch, verdict ok, exit 0" "$(echo "$out" | grep -c 'rail_affinity') $(echo "$out" | grep -c 'verdict: ok') $rc" "0 1 0"
printf '[topology]\nrail_affinity = require\nrail_max_distance = SYS\n' > "$TMP/sys.ini"
out=$("$CLI" explain --policy "$TMP/sys.ini" --root "$TMP/fx/rail4" "$TMP/wrong.log"); rc=$?
expect_eq "rail_max_distance=SYS: SYS accepted" "$(echo "$out" | grep -c 'rail_affinity') $rc" "0 0"
out=$("$CLI" explain --root "$TMP/fx/rail2" "$TMP/wrong.log")
expect_contains "same log on rail2 (2 NICs): nearest is the socket's NIC at PXB" "$out" "goes through mlx5_0, SYS away (nearest: mlx5_1, PXB"
out=$("$CLI" explain "$TMP/wrong.log")
expect_eq "without --root: no rail judgement (no tree)" "$(echo "$out" | grep -c 'rail_affinity')" "0"

# right rail: the same GPU over NET/IB/3 = mlx5_3 (PIX)
out=$("$CLI" explain --root "$TMP/fx/rail4" "$TMP/right.log"); rc=$?
expect_eq "double rail_right on rail4: no catch, verdict ok, exit 0" "$(echo "$out" | grep -c 'NOTE\|VIOLATION') $(echo "$out" | grep -c 'verdict: ok') $rc" "0 1 0"

# flat VM tree: every pair PHB, distances say nothing
out=$("$CLI" explain --root "$TMP/fx/vm_flat" "$N/rail-vm-flat-2.28.9.log"); rc=$?
expect_contains "vm_flat: the GPU is found and the tree named flat" "$out" "gpu busId b0 cudaDev 6 = 0000:00:0b.0, nearest NIC mlx5_0, mlx5_1, mlx5_2, mlx5_3 (PHB), flat tree (VM): not judged"
expect_eq "vm_flat: no rail catch, exit 0" "$(echo "$out" | grep -c 'rail_affinity') $rc" "0 0"
out=$(FABGUARD_TOPOLOGY_RAIL_AFFINITY=require "$CLI" explain --root "$TMP/fx/vm_flat" "$N/rail-vm-flat-2.28.9.log"); rc=$?
expect_eq "vm_flat with require: still no catch" "$(echo "$out" | grep -c 'rail_affinity') $rc" "0 0"

# fixture log of three ranks of one node: only GPU 36000's channels on mlx5_0 are wrong
j=$("$CLI" explain --json --root "$TMP/fx/rail4" "$N/rail4-wrong-rail-2.28.9.log"); rc=$?
expect_eq "fixture rail4-wrong-rail: rank 6 caught, ranks 0 and 7 clean" \
    "$(echo "$j" | js '[(p["pid"], p["verdict"], len(p["advisories"])) for p in d["processes"]]') $rc" \
    "[(5100, 'ok', 0), (5106, 'info', 1), (5107, 'ok', 0)] 0"
expect_contains "fixture rail4-wrong-rail: top-level advisories list the catch" \
    "$(echo "$j" | js '[a["detail"] for a in d["advisories"]]')" "channel 01 14 -> 6 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0, SYS away"

# same host over the NIC: nNodes 1 proves it, no tree needed
out=$("$CLI" explain "$TMP/same.log"); rc=$?
expect_contains "double samehost_net: intra-node NET caught without --root" "$out" "NOTE channel 00 1 -> 0 between ranks of one node uses NET/IB/0/GDRDMA (NIC loopback), not P2P/NVLS/SHM (topology.same_host_gpu, advisory)"
expect_eq "double samehost_net (warn): exit 0" "$rc" "0"
out=$(FABGUARD_TOPOLOGY_SAME_HOST_GPU=require_nvlink "$CLI" explain --root "$TMP/fx/rail4" "$TMP/same.log"); rc=$?
expect_eq "same_host_gpu=require_nvlink: violation, exit 1" "$(echo "$out" | grep -c 'VIOLATION channel .* between ranks of one node') $rc" "1 1"
out=$(FABGUARD_TOPOLOGY_SAME_HOST_GPU=any "$CLI" explain "$TMP/same.log"); rc=$?
expect_eq "same_host_gpu=any: no catch" "$(echo "$out" | grep -c 'same_host_gpu') $rc" "0 0"
out=$("$CLI" explain "$N/samehost-net-2.28.9.log")
expect_eq "fixture samehost-net: both ranks caught" "$(echo "$out" | grep -c 'between ranks of one node uses NET/IB/0/GDRDMA')" "2"
out=$("$CLI" explain --root "$TMP/fx/rail4" "$N/rail4-wrong-rail-2.28.9.log")
expect_eq "nNodes 2, peers on the other node: no same-host catch" "$(echo "$out" | grep -c 'same_host_gpu')" "0"
# NCCL 2.18: no nNodes line; the peer of the same commId logged from this host
out=$("$CLI" explain "$N/samehost-peer-2.18.3.log")
expect_eq "fixture samehost-peer (2.18): the 4 local NET channels caught, the remote ones not" \
    "$(echo "$out" | grep -c 'between ranks of one node') $(echo "$out" | grep -c 'channel 01')" "4 0"
expect_contains "fixture samehost-peer: local pair named" "$out" "channel 00 0 -> 1 between ranks of one node uses NET/IB/0/GDRDMA"

# bad --root
"$CLI" explain --root "$TMP/nonexistent" "$TMP/wrong.log" >/dev/null 2>"$TMP/err"; rc=$?
expect_eq "--root that is not a directory: exit 2 with a message" "$rc $(grep -c 'not a readable directory' "$TMP/err")" "2 1"
"$CLI" explain "$TMP/wrong.log" --root >/dev/null 2>&1
expect_eq "--root without DIR: exit 2" "$?" "2"

# UCX text (real output from public threads, tests/corpus/ucx): an intra-node
# configuration whose protocol table names cuda memory, carried by rc_mlx5
# only (NIXL issue 1195) -> same-host finding; host-memory-only and cuda_ipc
# configurations are not judged.
C=$PWD/tests/corpus/ucx
out=$("$CLI" explain "$C/nixl-1195-proto-path-split.log"); rc=$?
expect_contains "UCX intra-node cuda memory over rc_mlx5 only: caught" "$out" "NOTE GPU memory to a peer on this node moves over rc_mlx5 on mlx5_0:1 (NIC loopback), not cuda_ipc (topology.same_host_gpu, advisory)"
expect_eq "UCX same-host (warn): verdict info, exit 0" "$(echo "$out" | grep -c 'verdict: info') $rc" "1 0"
j=$("$CLI" explain --json "$C/nixl-1195-proto-path-split.log")
expect_eq "UCX --json: advisory per configuration and beside the design keys" \
    "$(echo "$j" | js '[(c["verdict"], [a["rule"] for a in c["advisories"]]) for c in d["configs"]], [a["rule"] for a in d["advisories"]], d["violations"]')" \
    "[('info', ['topology.same_host_gpu'])] ['topology.same_host_gpu'] []"
FABGUARD_TOPOLOGY_SAME_HOST_GPU=require_nvlink "$CLI" explain "$C/nixl-1195-proto-path-split.log" >/dev/null
expect_eq "UCX same_host_gpu=require_nvlink: exit 1" "$?" "1"
out=$("$CLI" explain "$C/ucx-10338-proto-stream.log")
expect_eq "UCX intra-node host memory only: not judged" "$(echo "$out" | grep -c 'same_host_gpu')" "0"
printf '[1750940543.886091] [jpbo-007-31:2816367:a]      ucp_worker.c:1855 UCX  INFO    0x309e3070 intra-node cfg#5 tag(sysv/memory rc_mlx5/mlx5_0:1 cuda_ipc/cuda)\n' > "$TMP/ipc.log"
out=$("$CLI" explain "$TMP/ipc.log")
expect_eq "UCX intra-node with cuda_ipc: not caught" "$(echo "$out" | grep -c 'same_host_gpu') $(echo "$out" | grep -c 'verdict: ok')" "0 1"
sed 's|cuda_ipc/cuda|cuda_copy/cuda|' "$TMP/ipc.log" > "$TMP/copy.log"
out=$("$CLI" explain "$TMP/copy.log")
expect_contains "UCX intra-node cuda_copy without cuda_ipc: caught" "$out" "moves over rc_mlx5 on mlx5_0:1 (NIC loopback), not cuda_ipc"

# report: the per-host rail table from events naming a GPU (optional "gpu"
# and "nic" fields; lines in the exact format of shim/event.c)
mkdir -p "$TMP/ev"
cat > "$TMP/ev/a.jsonl" <<'JL'
{"ts":"2026-12-01T04:40:00.120Z","host":"gpu-a","pid":5106,"prog":"python3","lib":"nccl","event":"comm","verdict":"info","rule":"topology.rail_affinity","comm":"0x7f3a6c000b10","rank":6,"nranks":16,"gpu":"0000:36:00.0","nic":"mlx5_0","net":"IB","bootstrap_iface":"ib0","gdr":true,"detail":"channel 01 14 -> 6 (NET/IB/0/GDRDMA) of GPU 0000:36:00.0 goes through mlx5_0, SYS away (nearest: mlx5_3, PIX; rail_max_distance=PXB)"}
{"ts":"2026-12-01T04:40:00.130Z","host":"gpu-a","pid":5107,"prog":"python3","lib":"nccl","event":"comm","verdict":"ok","comm":"0x7f3a7c000b10","rank":7,"nranks":16,"gpu":"0000:37:00.0","nic":"mlx5_3","net":"IB","bootstrap_iface":"ib0","gdr":true}
{"ts":"2026-12-01T04:40:01.000Z","host":"gpu-b","pid":700,"prog":"python3","lib":"ucx","event":"endpoint","verdict":"ok","lanes":[{"transport":"rc_mlx5","device":"mlx5_3:1","usage":"tag"},{"transport":"cuda_copy","device":"cuda","usage":"tag"},{"transport":"rc_mlx5","device":"mlx5_2:1","usage":"rma_bw#1"}],"gpu":"0000:37:00.0"}
{"ts":"2026-12-01T04:40:01.500Z","host":"gpu-b","pid":701,"prog":"python3","lib":"ucx","event":"endpoint","verdict":"ok","lanes":[{"transport":"tcp","device":"eth0"}]}
JL
out=$("$CLI" report "$TMP/ev")
expect_contains "report: rail table printed when events name a GPU" "$out" "rails (GPU -> NICs used, from events naming a GPU):"
expect_eq "report: rows per host and GPU, NICs from nic and from network lanes (cuda_copy left out)" \
    "$(echo "$out" | sed -n '/^rails/,$p' | awk 'NR>2 {print $1, $2, $3, $4}' | sort | tr '\n' ';')" \
    "gpu-a 0000:36:00.0 mlx5_0 1;gpu-a 0000:37:00.0 mlx5_3 1;gpu-b 0000:37:00.0 mlx5_3,mlx5_2 1;"
expect_contains "report: the wrong-rail row says so" "$out" "wrong rail x1"
j=$("$CLI" report --json "$TMP/ev")
expect_eq "report --json: rails rows" "$(echo "$j" | js '[(x["host"], x["gpu"], x["nics"], x["wrong_rail"]) for x in d["rails"]]')" \
    "[('gpu-a', '0000:36:00.0', ['mlx5_0'], 1), ('gpu-a', '0000:37:00.0', ['mlx5_3'], 0), ('gpu-b', '0000:37:00.0', ['mlx5_3', 'mlx5_2'], 0)]"
sed -i 's/,"gpu":"[^"]*"//; s/,"nic":"[^"]*"//' "$TMP/ev/a.jsonl"
sed -i 's/,"gpu":"[^"]*"//g; s/,"nic":"[^"]*"//g' "$TMP/ev/a.jsonl"
out=$("$CLI" report "$TMP/ev"); j=$("$CLI" report --json "$TMP/ev")
expect_eq "report without gpu fields: no rail table, JSON keys unchanged" \
    "$(echo "$out" | grep -c '^rails') $(echo "$j" | js '"rails" in d')" "0 False"
