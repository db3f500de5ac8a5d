# fabguard explain on NCCL logs (real 2.28.9 output from this machine and
# fixtures in NCCL's formats) and on UCX text generated right now by the
# real UCX 1.13.1 (ucx_info -e, UCX_PROTO_INFO tables) and fixtures.
source "$(dirname "$0")/lib.sh"
N=$FIX/nccl
js() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(repr(eval(sys.argv[1])))' "$1"; }

out=$("$CLI" explain "$N/socket-fallback-2.28.9.log"); rc=$?
expect_eq "NCCL socket fallback: exit 1" "$rc" "1"
expect_contains "NCCL socket fallback: network named" "$out" "network    Socket"
expect_contains "NCCL socket fallback: forbidden channel" "$out" "uses NET/Socket/0 (nccl.forbid_transports)"
j=$("$CLI" explain --json "$N/socket-fallback-2.28.9.log")
expect_eq "NCCL --json: design keys, plus per-process detail" "$(echo "$j" | js 'sorted(k for k in d if k not in ("comms","processes","net_inferred"))')" "['bootstrap_iface', 'channels', 'gdr', 'nccl_version', 'net', 'net_devices', 'violations']"
expect_eq "NCCL --json: one process entry with its own verdict" "$(echo "$j" | js '[(p["host"], p["pid"], p["net"], p["net_inferred"], p["transports"], p["verdict"]) for p in d["processes"]]')" "[('decode-0', 77, 'Socket', False, ['NET/Socket'], 'violation')]"
expect_eq "NCCL --json: values" "$(echo "$j" | js 'd["nccl_version"], d["net"], d["net_devices"], d["bootstrap_iface"], d["channels"][0]["transport"], d["channels"][0]["from_rank"]')" "('2.28.9+cuda13.0', 'Socket', ['eth0'], 'eth0', 'NET/Socket/0', 1)"
expect_contains "NCCL --json: violations carry rules" "$(echo "$j" | js '[v["rule"] for v in d["violations"]]')" "nccl.forbid_transports"
out=$("$CLI" explain "$N/ib-gdr-2.18.3-job.log"); rc=$?
expect_eq "NCCL 2.18 IB+GDR job of two ranks: clean" "$rc" "0"
expect_eq "NCCL job: one verdict per communicator" "$(echo "$out" | grep -c 'verdict: ok')" "2"
j=$("$CLI" explain --json "$N/ib-gdr-2.18.3-job.log")
expect_eq "NCCL job --json: comms listed" "$(echo "$j" | js '[(c["pid"], c["rank"], c["gdr"]) for c in d["comms"]]')" "[(4101, 0, True), (4102, 1, True)]"
FABGUARD_NCCL_GPU_DIRECT_RDMA=require "$CLI" explain "$N/roce-gdr-disabled-2.22.3.log" >/dev/null
expect_eq "NCCL RoCE GDR disabled, gdr required: exit 1" "$?" "1"
"$CLI" explain "$N/plugin-nvlink-2.26.2.log" >/dev/null
expect_eq "NCCL plugin with spaces + NVLink channels: clean" "$?" "0"
out=$("$CLI" explain "$N/real-2.28.9-nogpu.log")
expect_contains "real 2.28.9 log: bootstrap interface" "$out" "bootstrap  eth0"
cat "$N/socket-fallback-2.28.9.log" | "$CLI" explain --json - >/dev/null
expect_eq "stdin input" "$?" "1"

# UCX text produced now by this machine's UCX
UCX_TLS=tcp ucx_info -e -u t > "$TMP/ucx_info.txt" 2>&1
out=$("$CLI" explain "$TMP/ucx_info.txt"); rc=$?
expect_eq "ucx_info -e over tcp: exit 1" "$rc" "1"
expect_contains "ucx_info -e over tcp: lanes listed" "$out" "tcp        lo"
j=$("$CLI" explain --json "$TMP/ucx_info.txt")
expect_eq "UCX --json shape: design keys plus configurations" "$(echo "$j" | js 'sorted(d), d["lanes"][0]')" "(['configs', 'lanes', 'resources', 'ucx_version', 'violations'], {'transport': 'tcp', 'device': 'lo'})"
expect_eq "UCX --json: the endpoint block as a configuration, lanes with usage and role" "$(echo "$j" | js '[(c["name"], [(l["transport"], l["device"], l["usage"], l["role"]) for l in c["lanes"]]) for c in d["configs"]]')" "[('ep#0', [('tcp', 'lo', ['rma_bw', 'am', 'am_bw'], 'data'), ('tcp', 'eth0', ['rma_bw', 'wireup'], 'data')])]"
UCX_TLS=self,sm ucx_info -e -u t > "$TMP/ucx_shm.txt" 2>&1
"$CLI" explain "$TMP/ucx_shm.txt" >/dev/null
expect_eq "ucx_info -e over shared memory: clean" "$?" "0"
j=$("$CLI" explain --json "$FIX/ucx/proto_info_tcp.txt")
expect_contains "UCX_PROTO_INFO table: lanes found" "$(echo "$j" | js 'd["lanes"]')" "'device': 'eth0'"

# Shapes users paste (tests/corpus holds them all, scored by corpus.sh)
C=$PWD/tests/corpus
out=$("$CLI" explain "$C/nccl/nccl-226-ring-socket-2.4.log")
expect_eq "NCCL 2.4 Ring lines of 16 hosts: one block and verdict per process" "$(echo "$out" | grep -c '^  verdict: ')" "16"
expect_contains "NCCL: a network read from channels is marked inferred" "$out" "network    Socket (inferred: no \"Using network\" line)"
j=$("$CLI" explain --json "$C/nccl/vllm-12292-joined-lines.log")
expect_eq "NCCL: messages joined on one line are all read" "$(echo "$j" | js '[(p["pid"], p["bootstrap_iface"]) for p in d["processes"]], d["nccl_version"]')" "([(24037, 'bond0'), (24154, 'bond0'), (24152, 'bond0'), (24153, 'bond0')], '2.20.5+cuda12.4')"
out=$("$CLI" explain "$C/ucx/nixl-1097-rma-am-intra.log")
expect_contains "UCX INFO cfg line (NIXL): intra-node shown" "$out" "ucp_context_0 cfg#2 (intra-node)"
expect_contains "UCX: RMA emulated over AM is called out" "$out" "note: RMA/atomics are emulated over active messages on tcp/eth1"
expect_contains "UCX: cuda_ipc carrying only AM is called out" "$out" "note: cuda_ipc is present but carries active messages only"
expect_contains "UCX: keepalive-only use is a control role" "$("$CLI" explain "$C/ucx/ucx-10854-tcpx-inter.log")" "rma_am amo_am am ka"
FABGUARD_UCX_ALLOW_DEVICES=mlx5_0:1 "$CLI" explain --json "$C/ucx/ucx-10649-perftest-tag-bw.log" > "$TMP/perf.json"
expect_eq "ucx_perftest results with allow_devices set: exit 0, no lanes, no violation" "$?" "0"
expect_eq "ucx_perftest results: nothing read as a lane" "$(js 'd["lanes"], d["configs"], d["violations"]' < "$TMP/perf.json")" "([], [], [])"
j=$("$CLI" explain --json "$C/ucx/ucx-7960-info-d-cm-tcp.log")
expect_eq "ucx_info -d: resources, and the tcp connection manager is not one" "$(echo "$j" | js 'd["resources"]')" "[{'transport': 'rc_verbs', 'device': 'mlx5_0:1'}]"

# bad input: exit 2 with a message naming the problem
msg=$("$CLI" explain "$TMP/nope" 2>&1); expect_eq "missing file: exit 2" "$?" "2"
expect_contains "missing file: named" "$msg" "nope: cannot open"
msg=$("$CLI" explain "$TMP" 2>&1); expect_eq "directory: exit 2" "$?" "2"
head -c 3000 /dev/urandom > "$TMP/bin"; printf 'x\0y' >> "$TMP/bin"
msg=$("$CLI" explain "$TMP/bin" 2>&1); expect_eq "binary garbage: exit 2" "$?" "2"
mkfifo "$TMP/fifo"; msg=$(timeout 5 "$CLI" explain "$TMP/fifo" 2>&1); expect_eq "FIFO: exit 2, no hang" "$?" "2"
msg=$(timeout 20 "$CLI" explain /dev/zero 2>&1); expect_eq "/dev/zero: exit 2" "$?" "2"
echo "plain words" > "$TMP/plain"
msg=$("$CLI" explain "$TMP/plain" 2>&1); expect_eq "neither NCCL nor UCX: exit 2" "$?" "2"
expect_contains "neither NCCL nor UCX: says what was expected" "$msg" "no NCCL log lines and no UCX lanes"
"$CLI" explain 2>/dev/null; expect_eq "no file: exit 2" "$?" "2"
