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
expect_eq "NCCL --json: design keys" "$(echo "$j" | js 'sorted(k for k in d if k!="comms")')" "['bootstrap_iface', 'channels', 'gdr', 'nccl_version', 'net', 'net_devices', 'violations']"
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
expect_eq "UCX --json shape" "$(echo "$j" | js 'sorted(d), d["lanes"][0]')" "(['lanes', 'violations'], {'transport': 'tcp', 'device': 'lo'})"
UCX_TLS=self,sm ucx_info -e -u t > "$TMP/ucx_shm.txt" 2>&1
"$CLI" explain "$TMP/ucx_shm.txt" >/dev/null
expect_eq "ucx_info -e over shared memory: clean" "$?" "0"
j=$("$CLI" explain --json "$FIX/ucx/proto_info_tcp.txt")
expect_contains "UCX_PROTO_INFO table: lanes found" "$(echo "$j" | js 'd["lanes"]')" "'device': 'eth0'"

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
