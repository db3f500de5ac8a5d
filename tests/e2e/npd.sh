# `fabguard node` as a node-problem-detector custom plugin
# (tools/k8s/fabguard-npd.yaml): the plugin config's contract (exit 0/1/2 =
# OK/NonOK/Unknown, one line of output, a timeout) checked by running the
# config's own command line on sysfs fixtures, and the DaemonSet mounting
# what `node` reads read-only where the command line looks for it.
source "$(dirname "$0")/lib.sh"
K=tools/k8s
FX=$TMP/fx
bash "$FIX/sysfs/make_fixtures.sh" "$FX"
python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["staging.ini"], end="")' \
    "$K/fabguard-policy.yaml" > "$TMP/staging.ini"
facts=$(python3 - "$K/fabguard-npd.yaml" <<'PY'
import json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
cm = [d for d in docs if d["kind"] == "ConfigMap"][0]
ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
name, text = list(cm["data"].items())[0]
cfg = json.loads(text)
pc, rule = cfg["pluginConfig"], cfg["rules"][0]
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in spec["volumes"]}
def host(mp): return vols[mounts[mp]["name"]].get("hostPath", {}).get("path")
print("plugin", cfg["plugin"])
print("condition", rule["condition"] in [x["type"] for x in cfg["conditions"]], rule["type"])
print("timeout", pc["timeout"], rule["timeout"], int(rule["timeout"].rstrip("s")) <= int(pc["timeout"].rstrip("s")))
print("maxout", pc["max_output_length"])
arg = " ".join(c["command"])
print("config", f"--config.custom-plugin-monitor=/config/{name}" in arg and vols[mounts["/config"]["name"]]["configMap"]["name"] == cm["metadata"]["name"])
root = rule["args"][rule["args"].index("--root") + 1]
for sub, want in (("/sys", "/sys"), ("/dev", "/dev"), ("/proc/modules", "/proc/modules")):
    mp = root + sub
    print("mount", sub, mp in mounts and mounts[mp].get("readOnly") is True and host(mp) == want)
pol = rule["args"][rule["args"].index("--policy") + 1]
pm = [m for m in mounts if pol.startswith(m + "/")]
print("policy", bool(pm) and vols[mounts[pm[0]]["name"]]["configMap"]["name"] == "fabguard-policy", pol)
binm = [m for m in mounts if rule["path"].startswith(m + "/")]
print("binary", bool(binm) and mounts[binm[0]].get("readOnly") is True)
print("CMD", json.dumps([rule["path"]] + rule["args"]))
PY
)
expect_contains "plugin config: a custom plugin" "$facts" "plugin custom"
expect_contains "plugin config: the rule sets a declared condition, permanent" "$facts" "condition True permanent"
expect_contains "plugin config: rule timeout within the plugin timeout" "$facts" "timeout 30s 30s True"
expect_contains "DaemonSet: NPD reads the ConfigMap's plugin config" "$facts" "config True"
for sub in /sys /dev /proc/modules; do
    expect_contains "DaemonSet: host $sub mounted read-only below the plugin's --root" "$facts" "mount $sub True"
done
expect_contains "DaemonSet: the plugin judges with the staging policy of fabguard-policy.yaml" "$facts" "policy True /etc/fabguard/staging.ini"
expect_contains "DaemonSet: the fabguard binary is mounted read-only" "$facts" "binary True"
maxout=$(echo "$facts" | awk '/^maxout/ {print $2}')
cmdjson=$(echo "$facts" | sed -n 's/^CMD //p')

# The config's own command line, with the container paths mapped to this
# machine: NPD's contract is exit 0 OK, 1 NonOK, 2 Unknown, one line.
plugin() {  # plugin ROOT -> runs the rule, prints "rc|output"
    local -a cmd
    mapfile -t cmd < <(python3 -c 'import json,sys
for a in json.loads(sys.argv[1]):
    print(a.replace("/fabguard/bin/fabguard", sys.argv[2]).replace("/etc/fabguard/", sys.argv[3] + "/").replace("/host", sys.argv[4]))' \
        "$cmdjson" "$CLI" "$TMP" "$1")
    local o; o=$(env -i PATH="$PATH" timeout 30 "${cmd[@]}" 2>/dev/null); echo "$?|$o"
}
contract() {  # contract LABEL ROOT WANT-RC WANT-TEXT
    local r; r=$(plugin "$2")
    expect_eq "npd contract: $1: exit ${3}" "${r%%|*}" "$3"
    expect_contains "npd contract: $1: message" "${r#*|}" "$4"
    expect_eq "npd contract: $1: one line within max_output_length ($maxout)" \
        "$(printf '%s' "${r#*|}" | wc -l) $([ "$(printf '%s' "${r#*|}" | wc -c)" -le "$maxout" ] && echo fits)" "0 fits"
}
contract "healthy IB node: OK" "$FX/ib8" 0 "fabguard node: ok"
contract "peermem not registered, staging requires GPUDirect: NonOK" "$FX/peermem_unregistered" 1 "FAIL peermem: nvidia_peermem loaded but not registered"
contract "no RDMA devices: NonOK" "$FX/tcp_vm" 1 "FAIL rdma_devices: no RDMA devices"
contract "root not mounted: Unknown" "$TMP/not-mounted" 2 "fabguard node: unknown"
printf '[ucx]\nforbid_transport = tcp\n' > "$TMP/staging.ini"
contract "broken policy: Unknown" "$FX/ib8" 2 "fabguard node: unknown: the policy is invalid"
