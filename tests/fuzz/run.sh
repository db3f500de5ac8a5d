#!/bin/sh
# make fuzz: each libFuzzer target for FUZZ_TIME seconds, seeded from the
# tests' real samples; any crash leaves its input in build/fuzz/crash-* and
# fails the run (turn it into a unit test).
cd "$(dirname "$0")/../.." || exit 2
T=${FUZZ_TIME:-30}
fail=0
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    n=$(basename "$f")
    corpus=build/fuzz/corpus-$n; mkdir -p "$corpus"
    case $n in
        fuzz_policy) cp tests/fixtures/policy/* tools/k8s/*.yaml "$corpus" 2>/dev/null;;
        fuzz_nccl_log) cp tests/fixtures/nccl/*.log tests/corpus/nccl/*.log "$corpus";;
        fuzz_ucx_text) cp tests/fixtures/ucx/* tests/corpus/ucx/*.log "$corpus";;
        fuzz_event_read) ls build/tests/log >/dev/null 2>&1; printf '{"ts":"a","host":"h","pid":1,"prog":"p","lib":"ucx","event":"endpoint","verdict":"ok","lanes":[{"transport":"tcp","device":"eth0"}]}\n' > "$corpus/seed";;
        fuzz_sysfs) cp /proc/net/route "$corpus/route" 2>/dev/null;;
    esac
    if "$f" -max_total_time="$T" -max_len=65536 -artifact_prefix=build/fuzz/crash-$n- "$corpus" > "build/fuzz/$n.log" 2>&1; then
        echo "ok - fuzz $n: $(grep -oE '#[0-9]+[[:space:]]+DONE.*exec/s: [0-9]+' "build/fuzz/$n.log" | tail -1)"
    else
        echo "not ok - fuzz $n: see build/fuzz/$n.log"; fail=1
    fi
done
exit $fail
