# explain on big inputs: the JSON of a 512-rank job is whole (it was cut at
# 81,920 bytes) and every violation is in it; an 11.5 MB log of ~25,000
# processes is read in linear time (it took 88 s) and bounded memory; the
# same for UCX text with thousands of configurations.
source "$(dirname "$0")/lib.sh"

python3 - > "$TMP/job512.log" <<'PY'
for r in range(512):
    h = "node%03d" % (r // 8); pid = 1000 + r; pre = "[1,%d]<stdout>:%s:%d:" % (r, h, pid)
    print(pre + "%d [%d] NCCL INFO Bootstrap : Using eth0:10.0.%d.1<0>" % (pid, r % 8, r // 8))
    print(pre + "%d [%d] NCCL INFO NET/Socket : Using [0]eth0:10.0.%d.1<0>" % (pid + 1, r % 8, r // 8))
    print(pre + "%d [%d] NCCL INFO Using network Socket" % (pid + 1, r % 8))
    for c in range(4):
        print(pre + "%d [%d] NCCL INFO Channel %02d/0 : %d[%d] -> %d[%d] [send] via NET/Socket/0"
              % (pid + 1, r % 8, c, r, r % 8, (r + 1) % 512, (r + 1) % 8))
    print(pre + "%d [%d] NCCL INFO comm 0x%x rank %d nranks 512 cudaDev %d nvmlDev %d busId 1000 commId 0x1 - Init COMPLETE"
          % (pid + 1, r % 8, 0x5500 + r, r, r % 8, r % 8))
PY
"$CLI" explain --json "$TMP/job512.log" > "$TMP/job512.json"; rc=$?
expect_eq "512-rank job on sockets: exit 1" "$rc" "1"
size=$(stat -c %s "$TMP/job512.json")
check "512-rank JSON is larger than the old 81,920-byte cut ($size bytes)" test "$size" -gt 81920
res=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
per = [len(p["violations"]) for p in d["processes"]]
fwd = sum(1 for v in d["violations"] if v["rule"] == "nccl.forbid_transports")
print(len(d["processes"]), len(d["comms"]), len(d["channels"]), fwd, len(d["violations"]) == sum(per),
      all(p["verdict"] == "violation" for p in d["processes"]))' "$TMP/job512.json" 2>&1)
expect_eq "512-rank JSON parses, every process, comm, channel and violation in it" "$res" "512 512 2048 2048 True True"

python3 - > "$TMP/many.log" 2> "$TMP/many.n" <<'PY'
import sys
n = r = 0
while n < 11_500_000:
    h = "host-%05d" % (r // 8); pid = 10000 + r; a = "%s:%d:%d [0] NCCL INFO " % (h, pid, pid); b = "%s:%d:%d [0] NCCL INFO " % (h, pid, pid + 5)
    for l in (a + "Bootstrap : Using ib0:10.1.%d.%d<0>" % ((r // 256) % 256, r % 256),
              b + "NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_1:1/IB [RO]; OOB ib0:10.1.0.1<0>",
              b + "Using network IB",
              b + "Channel 00/0 : %d[0] -> %d[0] [send] via NET/IB/0/GDRDMA" % (r, r + 1),
              b + "comm 0x%x rank %d nranks 99999 cudaDev 0 nvmlDev 0 busId 1000 commId 0x2 - Init COMPLETE" % (r + 1, r)):
        print(l); n += len(l) + 1
    r += 1
print(r, file=sys.stderr)
PY
nproc_want=$(cat "$TMP/many.n")
/usr/bin/time -f '%e %M' -o "$TMP/many.time" timeout 120 "$CLI" explain --json "$TMP/many.log" > "$TMP/many.json"
expect_eq "11.5 MB, $nproc_want processes: finished (limit 120 s, was 88 s before)" "$?" "0"
read -r secs kb < <(tail -n 1 "$TMP/many.time")
echo "# 11.5 MB NCCL log: ${secs}s, max RSS ${kb} KiB"
check "11.5 MB NCCL log: memory bounded (max RSS $kb KiB < 512 MiB)" test "$kb" -lt 524288
expect_eq "11.5 MB JSON parses with every process" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["processes"]), d["net"], d["gdr"])' "$TMP/many.json")" \
    "$nproc_want IB True"

python3 - > "$TMP/ucx_many.log" <<'PY'
for r in range(20000):
    print("[1765333150.%06d] [host-%d:%d:0]      ucp_worker.c:1912 UCX  INFO    ucp_context_0 intra-node cfg#%d "
          "rma_am(tcp/eth1)  amo_am(tcp/eth1)  am(tcp/eth1 cuda_ipc/cuda)  ka(tcp/eth1)" % (r, r // 8, 1000 + r, r % 4))
PY
/usr/bin/time -f '%e %M' -o "$TMP/ucx.time" timeout 120 "$CLI" explain --json "$TMP/ucx_many.log" > "$TMP/ucx_many.json"
expect_eq "20,000 UCX configuration lines: exit 1 (tcp lanes), finished" "$?" "1"
read -r secs kb < <(tail -n 1 "$TMP/ucx.time")
echo "# 20,000 UCX cfg lines: ${secs}s, max RSS ${kb} KiB"
expect_eq "UCX JSON parses with every configuration and violation" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["configs"]), len(d["violations"]), len(d["lanes"]))' "$TMP/ucx_many.json")" \
    "20000 20000 2"
