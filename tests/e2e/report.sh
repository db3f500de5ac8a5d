# fabguard report over event files this test produces with the real shim on
# three "hosts" (UTS namespaces give each its own hostname), with kubectl
# prefixes, garbage and truncated lines mixed in; folders and stdin.
source "$(dirname "$0")/lib.sh"
E=$TMP/fleet; mkdir -p "$E/a" "$E/b"
run_as() {  # run_as HOST OUTDIR ENV… -- produces real events as HOST
    local host=$1 dir=$2; shift 2
    if is_root && command -v unshare >/dev/null; then
        unshare -u sh -c "hostname $host; exec env \"\$@\"" sh "$@" FABGUARD_LOG="$dir/%h.%p.jsonl" \
            LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 4 >/dev/null 2>&1
    else
        env "$@" FABGUARD_LOG="$dir/$host.%p.jsonl" LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 4 >/dev/null 2>&1
    fi
}
run_as node-a "$E/a" UCX_TLS=self,sm
run_as node-b "$E/b" UCX_TLS=tcp
run_as node-c "$E/a" UCX_TLS=self,sm
if ! is_root; then skip "distinct host names" "needs root for unshare -u"; fi
# kubectl-prefixed copy, garbage, a truncated line
sed 's|^|[pod/decode-7/worker] |' "$E"/b/*.jsonl > "$E/b/kubectl.log"
printf 'plain text line\n{"not":"an event"}\n{"ts":"x","host":"h",\n' >> "$E/b/kubectl.log"

out=$("$CLI" report "$E"); rc=$?
expect_eq "fleet with violations: exit 1" "$rc" "1"
expect_contains "groups per host/program" "$out" "node-a"
expect_contains "pod derived from kubectl prefix" "$out" "decode-7"
expect_contains "violations grouped by rule" "$out" "ucx.forbid_transports"
expect_contains "outlier: management NIC host named" "$out" "management_nic"
expect_contains "outlier: tcp only on node-b" "$out" "UCX lanes over tcp on node-b"
expect_contains "skipped lines counted by reason" "$out" "1 without JSON, 1 malformed, 1 not events"
j=$("$CLI" report --json "$E")
expect_eq "--json parses with the documented keys" "$(echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(d))')" "['duplicate_paths', 'events', 'groups', 'lines', 'outliers', 'rules', 'skipped']"
expect_contains "--json outlier kinds" "$(echo "$j" | python3 -c 'import json,sys; print([o["kind"] for o in json.load(sys.stdin)["outliers"]])')" "tcp_some_hosts"
out=$(cat "$E"/a/*.jsonl | "$CLI" report -); rc=$?
expect_eq "stdin, clean hosts only: exit 0" "$rc" "0"
expect_contains "clean fleet: no outliers" "$out" "$(printf 'outliers:\n  none')"
msg=$("$CLI" report "$TMP/missing" 2>&1); expect_eq "missing path: exit 2" "$?" "2"
expect_contains "missing path named" "$msg" "missing: No such file"
"$CLI" report 2>/dev/null; expect_eq "no input: exit 2" "$?" "2"
head -c 100000 /dev/urandom > "$TMP/garbage"
"$CLI" report "$TMP/garbage" >/dev/null; expect_eq "binary garbage: skipped, exit 0" "$?" "0"
# a 300 MiB line: skipped as too long with bounded memory, the rest still read
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('x' * (300 << 20) + '\n')
    f.write(open(sys.argv[2]).readline())
" "$TMP/huge.log" "$(ls "$E"/a/*.jsonl | head -1)"
# (ASan reserves terabytes of address space: no ulimit -v under SANITIZE=1)
if [ "${FG_SANITIZE:-0}" = 1 ]; then lim=unlimited; else lim=400000; fi
out=$( (ulimit -v $lim; "$CLI" report "$TMP/huge.log") ); rc=$?
expect_eq "300 MiB line (memory limit $lim KiB): no failure" "$rc" "0"
expect_contains "300 MiB line: counted as too long" "$out" "1 too long"
expect_contains "300 MiB line: the next line still read" "$out" "1 events"

# device skew: on node-d three processes all land on mlx5_0:1, while node-e's
# three spread over three HCAs (lanes from the UCX 1.19 double, real events)
if is_root && command -v unshare >/dev/null; then
    S=$TMP/skew; mkdir -p "$S" "$TMP/ucp"; ln -sf "$DOUBLES/libucp.so" "$TMP/ucp/libucp.so.0"
    for spec in node-d:0 node-d:0 node-d:0 node-e:0 node-e:1 node-e:2; do
        unshare -u sh -c "hostname ${spec%%:*}; exec env \"\$@\"" sh LD_LIBRARY_PATH=$TMP/ucp \
            FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_${spec#*:}:1,cuda_ipc/cuda" FABGUARD_LOG="$S/%h.%p.jsonl" \
            LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 2 >/dev/null 2>&1
    done
    out=$("$CLI" report "$S"); rc=$?
    expect_eq "skewed fleet, no violation: exit 0" "$rc" "0"
    expect_contains "device skew: node-d named with its one HCA" "$out" \
        "device_skew     one network device for every process on node-d (3 processes, all on mlx5_0:1) (others spread: node-e)"
    expect_not_contains "device skew: memory transports (cuda_ipc) are not devices" "$out" "all on cuda"
    j=$("$CLI" report --json "$S")
    expect_eq "device skew in --json" "$(echo "$j" | python3 -c 'import json,sys; print([(o["kind"], o["others"]) for o in json.load(sys.stdin)["outliers"]])')" "[('device_skew', 'node-e')]"
    rm -f "$S"/node-d.*
    out=$("$CLI" report "$S")
    expect_contains "spread fleet alone: no outliers" "$out" "$(printf 'outliers:\n  none')"
else
    skip "device skew across hosts" "needs root for unshare -u"
fi

# Links (issue 13 item 19): the node layout /var/log/containers/*.log ->
# /var/log/pods/…, and links back to a folder, are read once and finish.
L=$TMP/links; mkdir -p "$L/pods/p1" "$L/containers"
cp "$(ls "$E"/b/*.jsonl | head -1)" "$L/pods/p1/w.jsonl"
ln -s ../pods/p1/w.jsonl "$L/containers/w.log"
ln -s . "$L/pods/self1"; ln -s . "$L/pods/self2"; ln -s .. "$L/pods/p1/up"
ln -s ../pods/gone/0.log "$L/containers/gone.log"   # a pod deleted meanwhile
want=$("$CLI" report --json "$L/pods/p1/w.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
j=$(timeout 60 "$CLI" report --json "$L" 2>"$TMP/links.err"); rc=$?
expect_eq "links: self-links and cycles finish (exit 1: the file has violations)" "$rc" "1"
expect_eq "links: each event counted once through containers/ and pods/" \
    "$(echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["duplicate_paths"] >= 3)' 2>&1)" "$want True"
expect_eq "links: nothing reported as an error" "$(head -c 300 "$TMP/links.err")" ""
out=$(timeout 60 "$CLI" report "$L" 2>/dev/null)
expect_contains "links: the table says what was skipped" "$out" "links to files or folders already read (or to nothing) were skipped"
"$CLI" report "$L/containers/gone.log" >/dev/null 2>&1; expect_eq "a dangling link named on the command line is an error" "$?" "2"

# --json is never cut (issue 13 item 20): 80 hosts, each with 24 lane kinds
# whose device names are all escapes, far beyond any fixed buffer.
python3 - "$TMP/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for h in range(80):
        lanes = [{"transport": "rc_mlx5", "device": "\u0001" * 50 + str(k)} for k in range(24)]
        for rule in range(3):
            f.write(json.dumps({"ts": "2026-11-24T06:50:21.123Z", "host": "node-%03d" % h, "pid": h, "prog": "w",
                                "lib": "ucx", "event": "endpoint", "verdict": "violation",
                                "rule": "ucx.rule_%d_" % rule + "\u0002" * 40,
                                "detail": "\u0003" * 250, "lanes": lanes}) + "\n")
PY
j=$("$CLI" report --json "$TMP/big.jsonl"); rc=$?
expect_eq "big --json: exit 1 (violations)" "$rc" "1"
expect_eq "big --json: valid JSON, every group and rule kept ($(printf %s "$j" | wc -c) bytes)" \
    "$(printf '%s' "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["groups"]), len(d["rules"]), sum(r["count"] for r in d["rules"]), len(d["groups"][0]["ucx_lanes"]))' 2>&1 | tail -1)" "80 3 240 24"
