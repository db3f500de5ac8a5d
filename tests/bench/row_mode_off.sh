#!/bin/sh
# mode=off must be the cheapest way to carry the shim: a wrapped control
# call (ucp_worker_get_address on an existing worker) with no shim, with
# FABGUARD_MODE=off and with warn; best of 7 alternating runs. Ratios are
# against no shim (1.0 = no cost).
B=${FG_BUILD:-build}
P=$B/tests/bench/mode_calls
export UCX_TLS=self,sm FABGUARD_LOG=
best() { sort -n | head -1; }
: > /tmp/fg_mode.$$.none; : > /tmp/fg_mode.$$.off; : > /tmp/fg_mode.$$.warn
for i in 1 2 3 4 5 6 7; do
    "$P" 100000 | awk '{print $2}' >> /tmp/fg_mode.$$.none
    FABGUARD_MODE=off LD_PRELOAD=$PWD/$B/libfabguard.so "$P" 100000 | awk '{print $2}' >> /tmp/fg_mode.$$.off
    FABGUARD_MODE=warn LD_PRELOAD=$PWD/$B/libfabguard.so "$P" 100000 | awk '{print $2}' >> /tmp/fg_mode.$$.warn
done
n=$(best < /tmp/fg_mode.$$.none); o=$(best < /tmp/fg_mode.$$.off); w=$(best < /tmp/fg_mode.$$.warn)
rm -f /tmp/fg_mode.$$.*
python3 -c '
import sys
n, o, w = map(float, sys.argv[1:])
print("ROW|ucx_call_mode_off|%.3f|ucp_worker_get_address best of 7: no shim %.0f ns, mode=off %.0f ns (+%.0f), warn %.0f ns (+%.0f)" % (o / n, n, o, o - n, w, w - n))
print("ROW|ucx_call_mode_warn|%.3f|same call in warn mode (mode=off must not cost more than warn)" % (w / n))' "$n" "$o" "$w"
