#!/bin/sh
# report throughput: ~1M real event lines (from the shim, replicated) read by
# `fabguard report`; the ratio is events per second (higher is better).
B=${FG_BUILD:-build}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
UCX_TLS=tcp FABGUARD_LOG="$T/seed.jsonl" LD_PRELOAD="$PWD/$B/libfabguard.so" "$B/tests/progs/ucx_ep" -n 8 >/dev/null 2>&1
python3 - "$T/seed.jsonl" "$T/big.jsonl" <<'PY'
import sys
seed = open(sys.argv[1]).read().splitlines()
with open(sys.argv[2], "w") as f:
    n = 0
    while n < 1000000:
        for i, l in enumerate(seed):
            f.write(l.replace('"host":"', '"host":"n%d-' % (n % 64), 1) + "\n"); n += 1
PY
n=$(wc -l < "$T/big.jsonl")
s=$(date +%s.%N); "$B/fabguard" report "$T/big.jsonl" >/dev/null; e=$(date +%s.%N)
python3 -c "import sys; n,s,e=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print('ROW|report_events_per_s|%.0f|%d events from 64 hosts in %.2f s' % (n/(e-s), n, e-s))" "$n" "$s" "$e"
