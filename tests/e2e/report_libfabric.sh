# fabguard report beside UCX and NCCL: libfabric processes (events from the
# real shim over the real libfabric 1.17, tcp and shm providers) in the table
# (provider@domain per group), the JSON (libfabric_domains) and Prometheus
# (fabguard_libfabric_fabrics_total / _domains_total by provider and
# verdict), checked by the real promtool.
source "$(dirname "$0")/lib.sh"
E=$TMP/logs; mkdir -p "$E"
FABGUARD_LOG="$E/%h.%p.jsonl" with_shim timeout 60 "$PROGS/fi_open" --prov tcp >/dev/null 2>&1
FABGUARD_LOG="$E/%h.%p.jsonl" with_shim timeout 60 "$PROGS/fi_open" --prov shm >/dev/null 2>&1
FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_LOG="$E/%h.%p.jsonl" with_shim timeout 60 "$PROGS/fi_open" --prov tcp >/dev/null 2>&1
n=$(cat "$E"/*.jsonl | grep -c '"lib":"libfabric"')
[ "$n" -ge 6 ] && pass "real libfabric events written ($n)" || fail "real libfabric events written" "only $n"

out=$("$CLI" report "$E"); rc=$?
expect_eq "table: exit 1 (tcp violations)" "$rc" "1"
expect_contains "table: a LIBFABRIC column" "$out" "LIBFABRIC (provider@domain)"
expect_contains "table: the tcp process's provider@domain" "$out" "tcp;ofi_rxm@eth0 x1"
expect_contains "table: the shm process's provider@domain" "$out" "shm@shm x1"
expect_contains "table: libfabric violations by rule" "$out" "libfabric.forbid_providers"
js=$("$CLI" report --json "$E" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted("%s@%s=%d" % (x["provider"], x["domain"], x["count"]) for g in d["groups"] for x in g["libfabric_domains"])))')
expect_eq "JSON: libfabric_domains per group (enforce+fail refused tcp before any domain)" "$js" "shm@shm=1 tcp;ofi_rxm@eth0=1"

prom=$("$CLI" report --prometheus "$E")
expect_contains "--prometheus: fabrics by provider and verdict (tcp)" "$prom" 'fabguard_libfabric_fabrics_total{provider="tcp;ofi_rxm",verdict="violation"} 1'
expect_contains "--prometheus: fabrics by provider and verdict (shm)" "$prom" 'fabguard_libfabric_fabrics_total{provider="shm",verdict="ok"} 1'
expect_contains "--prometheus: domains by provider and verdict" "$prom" 'fabguard_libfabric_domains_total{provider="tcp;ofi_rxm",verdict="violation"} 1'
expect_contains "the enforce+fail run wrote fi_getinfo refusals" "$(cat "$E"/*.jsonl)" '"fi_api":"fi_getinfo@FABRIC_1.3","candidates_refused"'
expect_eq "--prometheus: fi_getinfo refusals (enforce+fail) are not counted as opened fabrics" \
    "$(printf '%s\n' "$prom" | grep '^fabguard_libfabric_fabrics_total{' | awk '{s += $NF} END {print s}')" "2"
if command -v promtool >/dev/null; then
    msg=$(printf '%s\n' "$prom" | promtool check metrics 2>&1); rc=$?
    expect_eq "promtool check metrics with libfabric series ${msg:+[$msg]}" "$rc$msg" "0"
else
    skip "promtool check metrics" "promtool not installed (Debian: prometheus)"
fi
# many providers: folded into "other" within --max-label-values
for p in p1 p2 p3 p4 p5; do
    printf '{"ts":"t","host":"h","pid":1,"prog":"x","lib":"libfabric","event":"fabric","verdict":"ok","provider":"%s","fi_api":"fi_fabric@FABRIC_1.1"}\n' "$p"
done > "$TMP/many.jsonl"
big=$("$CLI" report --prometheus --max-label-values 3 "$TMP/many.jsonl")
expect_eq "--prometheus: providers capped at 3 label values" "$(printf '%s\n' "$big" | grep -c '^fabguard_libfabric_fabrics_total{')" "3"
expect_contains "--prometheus: the rest folded into other" "$big" 'fabguard_libfabric_fabrics_total{provider="other",verdict="ok"} 3'
expect_contains "--prometheus: folded provider values reported" "$big" 'fabguard_report_label_values_folded{label="provider"} 3'
