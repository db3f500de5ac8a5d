#!/bin/sh
# NCCL init over 20,000 communicators (created and destroyed one after the
# other, double lazy_ib): per-init cost at 20,000 vs at 1,000 (ratio; 1.0 =
# the model does not grow) and resident memory at the end of each run.
B=${FG_BUILD:-build}
run() {  # run N -> "ns rss_kB"
    t0=$(date +%s%N)
    rss=$(FG_NCCL_DOUBLE_SCENARIO=lazy_ib FG_NCCL_NRANKS=3 FG_NCCL_SHOW_RSS=1 FABGUARD_LOG= \
          LD_LIBRARY_PATH=$PWD/$B/tests/doubles LD_PRELOAD=$PWD/$B/libfabguard.so \
          "$B/tests/progs/nccl_init" "$1" 2>/dev/null | awk '/^VmRSS/{print $2}')
    echo "$(( $(date +%s%N) - t0 )) $rss"
}
set -- $(run 1000) $(run 20000)
[ -n "$4" ] && awk -v a="$1" -v b="$3" -v ra="$2" -v rb="$4" 'BEGIN {
    pa = a / 1000 / 1e6; pb = b / 20000 / 1e6
    printf "ROW|nccl_init_20000_comms|%.3f|per-init ms at 20,000 comms %.3f vs at 1,000 %.3f (target ~1); RSS %d kB at 1,000, %d kB at 20,000\n", pb / pa, pb, pa, ra, rb }'
