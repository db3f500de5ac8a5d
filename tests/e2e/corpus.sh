# The corpus of real NCCL and UCX output (tests/corpus, collected from public
# issue threads, truth written by reading each excerpt) scored field by field
# against `fabguard explain --json`; every field must stay >= 98% right.
source "$(dirname "$0")/lib.sh"
C=$PWD/tests/corpus
n_nccl=$(ls "$C"/nccl/*.log | wc -l); n_ucx=$(ls "$C"/ucx/*.log | wc -l)
check "corpus holds >= 60 NCCL and >= 40 UCX excerpts ($n_nccl, $n_ucx)" test "$n_nccl" -ge 60 -a "$n_ucx" -ge 40
missing=0
for f in "$C"/nccl/*.log "$C"/ucx/*.log; do
    t=${f%.log}.truth
    [ -f "$t" ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["source"].startswith("https://github.com/")' "$t" || { missing=1; echo "# no valid truth for $f"; }
done
expect_eq "every excerpt has a truth file naming its source" "$missing" "0"

out=$(python3 "$C/score.py" "$CLI" "$C" 98 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
while read -r field right pct; do
    case $field in nccl.*|ucx.*|all) ;; *) continue ;; esac
    p=${pct%\%}
    if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 98 else 1)" "$p"; then
        pass "corpus $field $right $pct"
    else
        fail "corpus $field $right $pct" "below 98%"
    fi
done < <(echo "$out" | awk '/^(nccl|ucx)\.|^all /{print $1, $2, $3}')
expect_eq "corpus scorer passes (>= 98% per field)" "$rc" "0"

# The scorer is not lenient: the same truths against logs stripped of their
# NCCL/UCX lines must fail.
mkdir -p "$TMP/c/nccl" "$TMP/c/ucx"
for f in "$C"/nccl/*.truth "$C"/ucx/*.truth; do
    k=$(basename "$(dirname "$f")"); cp "$f" "$TMP/c/$k/"
    grep -v -e 'NCCL' -e 'lane\[' -e 'cfg' "${f%.truth}.log" > "$TMP/c/$k/$(basename "${f%.truth}").log" || true
done
cp "$C/score.py" "$TMP/c/"
python3 "$TMP/c/score.py" "$CLI" "$TMP/c" 98 >/dev/null 2>&1
expect_eq "scorer fails when the parsers find nothing" "$?" "1"
