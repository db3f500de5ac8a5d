# Every single-process NCCL excerpt of the corpus (tests/corpus/nccl: one
# host:pid, or message-only), judged twice under the same policy: by
# `fabguard explain --json` on the file, and in-process by the shim, which
# captures the excerpt as NCCL's own debug output and judges it with the
# same parser and judge. The verdicts must agree: the set of violated rules,
# the network of each communicator and the bootstrap interface.
#
# Proven vs double: the real libnccl 2.28.9 (nccl_real.sh) proves the
# capture path itself (libnccl's own getenv/fopen slots, its debug file
# into the shim's pipe) up to bootstrap, where it fails without a GPU. No
# machine here gets NCCL past CUDA, so the lines come from the double
# (tests/doubles/libnccl.c, FG_NCCL_DOUBLE_REPLAY=FILE): it writes the
# excerpt's messages through the same debug path as its other scenarios,
# re-prefixed as 2.28's ncclDebugLog prints them (a real NCCL writes only
# its own prefix into its debug file), with communicator pointers rewritten
# to the ones the application holds. What the excerpts prove is the message
# formats of every NCCL version in the corpus reaching the shim's judge.
source "$(dirname "$0")/lib.sh"
C=$PWD/tests/corpus/nccl
P="$PROGS/nccl_replay"
[ -x "$P" ] || { skip "nccl replay" "no $P (make tests)"; exit 0; }

# Two policies: the defaults (management NIC pinned, as "auto" depends on
# this machine), and a strict one that makes every NCCL rule fire somewhere.
cat > "$TMP/default.ini" <<'INI'
[fabguard]
management_ifaces = eth0
INI
cat > "$TMP/strict.ini" <<'INI'
[fabguard]
management_ifaces = eth0, enp*
[nccl]
require_net = IB
forbid_transports = NET/Socket, SHM
allow_hcas = mlx5_0, mlx5_1
gpu_direct_rdma = require
INI

# compare.py EXPLAIN_JSON EVENTS_JSONL: prints "" when the verdicts agree,
# else what differs
cat > "$TMP/compare.py" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
ev = [e for e in ev if e.get("lib") == "nccl"]
diff = []
er = sorted({v["rule"] for v in x["violations"]})
sr = sorted({e["rule"] for e in ev if e["verdict"] == "violation"})
if er != sr: diff.append("rules explain=%s shim=%s" % (er, sr))
comm = [e for e in ev if e["event"] == "comm"]
if not comm: diff.append("no comm event from the shim")
# the network of each communicator explain saw complete, against the comm events
en = sorted({c["net"] or "" for c in x["comms"]})
sn = sorted({e.get("net", "") for e in comm})
if en != sn: diff.append("net explain=%s shim=%s" % (en, sn))
eb = x["processes"][0]["bootstrap_iface"] or ""
sb = sorted({e.get("bootstrap_iface", "") for e in comm})
if sb != [eb]: diff.append("bootstrap_iface explain=%r shim=%s" % (eb, sb))
print("; ".join(diff))
PY

files=0 matched=0 rules=0
for f in "$C"/*.log; do
    name=$(basename "$f" .log)
    nproc=$("$CLI" explain --json "$f" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["processes"]))' 2>/dev/null)
    [ "$nproc" = 1 ] || continue
    files=$((files + 1))
    bad=""
    for pol in default strict; do
        rm -f "$TMP/ev.jsonl"
        FABGUARD_POLICY=$TMP/$pol.ini "$CLI" explain --json "$f" > "$TMP/x.json" 2>"$TMP/x.err"
        out=$(FABGUARD_POLICY=$TMP/$pol.ini FG_NCCL_DOUBLE_REPLAY=$f LD_LIBRARY_PATH=$DOUBLES \
              FABGUARD_LOG=$TMP/ev.jsonl timeout 120 env LD_PRELOAD="$(preload_of "$SHIM")" "$P" 2>&1); rc=$?
        if [ $rc != 0 ]; then bad="$bad [$pol] replay exited $rc: $(echo "$out" | tail -2)"; continue; fi
        d=$(python3 "$TMP/compare.py" "$TMP/x.json" "$TMP/ev.jsonl" 2>&1)
        rules=$((rules + $(python3 -c 'import json,sys; print(len({v["rule"] for v in json.load(open(sys.argv[1]))["violations"]}))' "$TMP/x.json")))
        [ -z "$d" ] || bad="$bad [$pol] $d"
    done
    if [ -z "$bad" ]; then matched=$((matched + 1)); pass "replay $name: shim and explain agree"
    else fail "replay $name" "$bad"; fi
done
check "replayed >= 20 single-process corpus files ($files, $matched agree)" test "$files" -ge 20
# not vacuous: the files' verdicts name rules, and the comparison tells a
# verdict under another policy apart
check "replayed verdicts name rules ($rules rule verdicts compared)" test "$rules" -ge 20
f=$C/oneflow-3586-ipv6-socket-list.log
rm -f "$TMP/ev.jsonl"
FABGUARD_POLICY=$TMP/default.ini "$CLI" explain --json "$f" > "$TMP/x.json" 2>/dev/null
FABGUARD_POLICY=$TMP/strict.ini FG_NCCL_DOUBLE_REPLAY=$f LD_LIBRARY_PATH=$DOUBLES FABGUARD_LOG=$TMP/ev.jsonl \
    timeout 120 env LD_PRELOAD="$(preload_of "$SHIM")" "$P" >/dev/null 2>&1
expect_contains "the comparison is not lenient (strict shim vs default explain differ)" \
    "$(python3 "$TMP/compare.py" "$TMP/x.json" "$TMP/ev.jsonl")" "rules explain="
