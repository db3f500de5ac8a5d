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
expect_contains "worker patch sets LD_AUDIT beside LD_PRELOAD" "$(cat "$K/worker-patch.yaml")" "name: LD_AUDIT, value: /fabguard/libfabguard-audit.so"
expect_contains "worker patch copies the audit module" "$(cat "$K/worker-patch.yaml")" '"/opt/fabguard/lib/libfabguard-audit.so"'
expect_contains "k8s README sets LD_AUDIT with LD_PRELOAD" "$(cat "$K/README.md")" "LD_AUDIT=/fabguard/libfabguard-audit.so"

# pair.yaml: the client reaches the server through the headless Service, and
# the pods' own command lines work (run here on loopback, with the staging
# policy from the ConfigMap: tcp is forbidden, so both report a violation).
P=$K/pair.yaml
facts=$(python3 - "$P" <<'PY'
import sys, yaml
docs = {d["metadata"]["name"]: d for d in yaml.safe_load_all(open(sys.argv[1]))}
svc, srv, cli = docs["fabguard-pair"], docs["fabguard-pair-server"], docs["fabguard-pair-client"]
s_cmd, c_cmd = srv["spec"]["containers"][0]["command"], cli["spec"]["containers"][0]["command"]
listen = s_cmd[s_cmd.index("--listen") + 1]; connect = c_cmd[c_cmd.index("--connect") + 1]
print("headless", svc["spec"].get("clusterIP"))
print("dns", connect.split(":")[0] == srv["spec"]["hostname"] + "." + srv["spec"]["subdomain"] and srv["spec"]["subdomain"] == svc["metadata"]["name"])
print("selector", all(srv["metadata"]["labels"].get(k) == v for k, v in svc["spec"]["selector"].items()))
print("port", connect.split(":")[1] == listen.split(":")[1] == str(svc["spec"]["ports"][0]["port"]))
print("apart", srv["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"])
print("policy", {c_cmd[c_cmd.index("--policy") + 1], s_cmd[s_cmd.index("--policy") + 1]})
PY
)
expect_contains "pair.yaml: headless Service" "$facts" "headless None"
expect_contains "pair.yaml: client's address is the server pod's DNS name under the Service" "$facts" "dns True"
expect_contains "pair.yaml: Service selects the server" "$facts" "selector True"
expect_contains "pair.yaml: one port everywhere" "$facts" "port True"
expect_contains "pair.yaml: pods on different nodes" "$facts" "apart kubernetes.io/hostname"
expect_contains "pair.yaml: both use the staging policy from the ConfigMap" "$facts" "policy {'/etc/fabguard/staging.ini'}"
lp=$(free_port)
cmd_of() {  # the pod's command, made runnable here
    python3 - "$P" "$1" "$CLI" "$TMP" "$lp" <<'PY'
import sys, yaml
name, cli, tmp, port = sys.argv[2:]
d = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d["metadata"]["name"] == name][0]
for a in d["spec"]["containers"][0]["command"]:
    a = a.replace("/fabguard/fabguard", cli).replace("/etc/fabguard/", tmp + "/")
    a = a.replace("0.0.0.0:13337", f"127.0.0.1:{port}").replace("server.fabguard-pair:13337", f"127.0.0.1:{port}")
    print(a)
PY
}
mapfile -t scmd < <(cmd_of fabguard-pair-server); mapfile -t ccmd < <(cmd_of fabguard-pair-client)
"${scmd[@]}" > "$TMP/psrv.txt" 2>&1 &
spid=$!; sleep 0.5
out=$("${ccmd[@]}" --sizes 8,65536 2>&1); crc=$?
wait $spid; src=$?
expect_eq "pair.yaml commands on loopback: both run to a verdict (tcp forbidden: 1 1)" "$crc $src" "1 1"
expect_contains "pair.yaml commands: the client reports lanes and a verdict" "$out" "verdict: VIOLATION"
expect_contains "pair.yaml commands: the server reports too" "$(cat "$TMP/psrv.txt")" "verdict: VIOLATION"
