# fabguard report --prometheus: the text exposition format checked by the
# real `promtool check metrics`, written atomically into a folder that a real
# prometheus-node-exporter serves with its textfile collector, scraped over
# loopback. Events come from the real shim over real UCX.
source "$(dirname "$0")/lib.sh"
E=$TMP/logs; mkdir -p "$E"
run_ep() { env "$@" FABGUARD_LOG="$E/%h.%p.jsonl" LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 3 >/dev/null 2>&1; }
run_ep UCX_TLS=tcp
run_ep UCX_TLS=self,sm
# a kubectl-prefixed copy gives pods; 30 pods overflow a cap of 10 values
for i in $(seq 1 30); do sed "s|^|[pod/decode-$i/worker] |" "$E"/*.jsonl; done > "$TMP/kubectl.log"

out=$("$CLI" report --prometheus "$E"); rc=$?
expect_eq "--prometheus: exit 1 (violations)" "$rc" "1"
for m in fabguard_events_total fabguard_processes_total fabguard_ucx_endpoints_total \
         fabguard_nccl_communicators_total fabguard_violations_total fabguard_ucx_lanes_total \
         fabguard_report_lines_skipped_total fabguard_report_label_values_folded; do
    expect_contains "--prometheus: $m with HELP and TYPE" "$out" "# TYPE $m "
done
expect_contains "--prometheus: processes checked" "$out" 'fabguard_processes_total{state="checked"} 2'
expect_contains "--prometheus: violations by rule/host/pod/program" "$out" "fabguard_violations_total{rule=\"ucx.forbid_transports\",host=\"$(hostname)\",pod=\"\",program=\"ucx_ep\"}"
expect_contains "--prometheus: tcp lanes counted" "$out" 'fabguard_ucx_lanes_total{transport="tcp"}'
expect_contains "--prometheus: endpoints by verdict" "$out" 'fabguard_ucx_endpoints_total{verdict="violation"}'
if command -v promtool >/dev/null; then
    msg=$(printf '%s\n' "$out" | promtool check metrics 2>&1); rc=$?
    expect_eq "promtool check metrics: no problem reported (rc $rc) ${msg:+[$msg]}" "$rc$msg" "0"
    big=$("$CLI" report --prometheus --max-label-values 10 "$TMP/kubectl.log")
    msg=$(printf '%s\n' "$big" | promtool check metrics 2>&1); rc=$?
    expect_eq "promtool check metrics on the folded output" "$rc$msg" "0"
else
    skip "promtool check metrics" "promtool not installed (Debian: prometheus)"
fi
big=$("$CLI" report --prometheus --max-label-values 10 "$TMP/kubectl.log")
pods=$(printf '%s\n' "$big" | grep '^fabguard_violations_total{' | sed 's/.*pod="\([^"]*\)".*/\1/' | sort -u)
expect_eq "cardinality: 30 pods capped at 10 label values" "$(echo "$pods" | wc -l)" "10"
expect_contains "cardinality: the rest folded into other" "$pods" "other"
expect_contains "cardinality: folded count reported" "$big" 'fabguard_report_label_values_folded{label="pod"} 21'
total() { printf '%s\n' "$1" | awk '/^fabguard_violations_total\{/ {s += $NF} END {print s}'; }
all=$("$CLI" report --prometheus --max-label-values 1000 "$TMP/kubectl.log")
expect_eq "cardinality: folding keeps the total" "$(total "$big")" "$(total "$all")"
expect_contains "label values escaped" "$(printf '{"ts":"t","host":"h\\"x\\\\y","pid":1,"prog":"p","lib":"ucx","event":"endpoint","verdict":"violation","rule":"r.x"}\n' | "$CLI" report --prometheus -)" 'host="h\"x\\y"'

# --output: atomic (temporary file beside it, then rename), mode 0644
D=$TMP/textfile; mkdir -p "$D"
"$CLI" report --prometheus --output "$D/fabguard.prom" "$E"; rc=$?
expect_eq "--output: exit status still says violations" "$rc" "1"
expect_eq "--output: the file holds the metrics" "$(cat "$D/fabguard.prom")" "$out"
expect_eq "--output: no temporary file left" "$(ls -A "$D")" "fabguard.prom"
expect_eq "--output: world-readable for node_exporter" "$(stat -c %a "$D/fabguard.prom")" "644"
ino=$(stat -c %i "$D/fabguard.prom")
"$CLI" report --prometheus --output "$D/fabguard.prom" "$E"
expect_eq "--output: replaced by rename (new inode), never rewritten in place" "$([ "$(stat -c %i "$D/fabguard.prom")" != "$ino" ] && echo renamed)" "renamed"
if command -v strace >/dev/null; then
    strace -f -e trace=rename,renameat,renameat2 -o "$TMP/st" "$CLI" report --prometheus --output "$D/fabguard.prom" "$E" >/dev/null
    expect_contains "--output: written through rename(2) of a hidden temporary" "$(cat "$TMP/st")" "$D/.fabguard.prom."
fi
"$CLI" report --prometheus --output "$TMP/nodir/x.prom" "$E" 2>"$TMP/err"; rc=$?
expect_eq "--output into a missing folder: exit 2" "$rc" "2"
expect_contains "--output error names the file" "$(cat "$TMP/err")" "nodir/x.prom"

# a real node_exporter serving the file over loopback
NE=$(command -v prometheus-node-exporter || command -v node_exporter)
if [ -n "$NE" ]; then
    port=$(free_port)
    "$NE" --collector.disable-defaults --collector.textfile --collector.textfile.directory="$D" \
          --web.listen-address="127.0.0.1:$port" > "$TMP/ne.log" 2>&1 &
    ne=$!
    scraped=""
    for _ in $(seq 1 100); do
        scraped=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null || python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$port/metrics" 2>/dev/null)
        [ -n "$scraped" ] && break
        sleep 0.2
    done
    kill "$ne" 2>/dev/null; wait "$ne" 2>/dev/null
    expect_contains "node_exporter serves fabguard_violations_total" "$scraped" "fabguard_violations_total{host=\"$(hostname)\",pod=\"\",program=\"ucx_ep\",rule=\"ucx.forbid_transports\"}"
    expect_contains "node_exporter serves fabguard_processes_total" "$scraped" 'fabguard_processes_total{state="checked"} 2'
    expect_contains "node_exporter read the file without error" "$scraped" "node_textfile_scrape_error 0"
    expect_not_contains "node_exporter logged no parse error" "$(cat "$TMP/ne.log")" "failed to parse"
else
    skip "node_exporter scrape" "prometheus-node-exporter not installed"
fi
