# The Kubernetes manifests parse, their policies validate with
# `fabguard policy`, and every FABGUARD_* name they use is a real one.
source "$(dirname "$0")/lib.sh"
K=tools/k8s
for f in "$K"/*.yaml; do
    check "$(basename "$f") parses as YAML" python3 -c 'import sys,yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f"
done
for name in staging.ini debug.ini; do
    python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["data"][sys.argv[2]], end="")' \
        "$K/fabguard-policy.yaml" "$name" > "$TMP/$name"
    out=$("$CLI" policy "$TMP/$name" 2>&1); rc=$?
    expect_eq "ConfigMap $name is a valid policy" "$rc" "0"
done
expect_contains "staging policy enforces" "$("$CLI" policy "$TMP/staging.ini")" "mode = enforce"
expect_contains "debug policy warns" "$("$CLI" policy "$TMP/debug.ini")" "mode = warn"
names=$(grep -ohE 'FABGUARD_[A-Z_]+' "$K"/*.yaml "$K"/README.md | sort -u)
for n in $names; do
    env "$n=x" "$CLI" policy >/dev/null 2>"$TMP/err"
    if grep -q "unknown variable" "$TMP/err"; then fail "manifest variable $n is a fabguard name" "$(cat "$TMP/err")"; else pass "manifest variable $n is a fabguard name"; fi
done
expect_contains "worker patch preloads the library" "$(cat "$K/worker-patch.yaml")" "name: LD_PRELOAD, value: /fabguard/libfabguard.so"
