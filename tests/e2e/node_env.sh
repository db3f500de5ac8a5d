# fabguard node / env on fixture trees laid out like the kernel's sysfs
# (tests/fixtures/sysfs/make_fixtures.sh) and on this machine. Each case
# asserts the exact status of every check.
source "$(dirname "$0")/lib.sh"
FX=$TMP/fx
bash "$FIX/sysfs/make_fixtures.sh" "$FX"
statuses() {  # statuses CMD FIXTURE [ENV…] -> "name=status …" from --json
    local cmd=$1 fx=$2; shift 2
    env -i PATH="$PATH" "$@" "$CLI" "$cmd" --json --root "$FX/$fx" |
        python3 -c 'import json,sys; print(" ".join(c["name"]+"="+c["status"] for c in json.load(sys.stdin)["checks"]))'
}
node_is() { expect_eq "node $1${3:+ ($3)}" "$(statuses node "$1" ${3:-})" "$2"; }
node_is ib8 "rdma_devices=ok port_state=ok roce_gid=skip peermem=ok gdrcopy=ok nvlink=skip gpu_nic_affinity=ok"
node_is container_nodev "rdma_devices=fail port_state=ok roce_gid=skip peermem=ok gdrcopy=ok nvlink=skip gpu_nic_affinity=ok"
# the default policy allows host-staged transfers (gpu_direct_rdma=any): warn;
# a policy that requires GPUDirect RDMA fails it (more below)
node_is peermem_unregistered "rdma_devices=ok port_state=ok roce_gid=skip peermem=warn gdrcopy=ok nvlink=skip gpu_nic_affinity=ok"
node_is tcp_vm "rdma_devices=fail port_state=skip roce_gid=skip peermem=skip gdrcopy=skip nvlink=skip gpu_nic_affinity=skip"
node_is far_socket "rdma_devices=ok port_state=ok roce_gid=skip peermem=ok gdrcopy=ok nvlink=skip gpu_nic_affinity=fail"
node_is roce "rdma_devices=ok port_state=ok roce_gid=ok peermem=ok gdrcopy=warn nvlink=skip gpu_nic_affinity=ok"
node_is roce "rdma_devices=ok port_state=ok roce_gid=fail peermem=ok gdrcopy=warn nvlink=skip gpu_nic_affinity=ok" NCCL_IB_GID_INDEX=0
node_is roce "rdma_devices=ok port_state=ok roce_gid=fail peermem=ok gdrcopy=warn nvlink=skip gpu_nic_affinity=ok" NCCL_IB_GID_INDEX=2
node_is ib8 "rdma_devices=ok port_state=ok roce_gid=skip peermem=ok gdrcopy=ok nvlink=skip gpu_nic_affinity=fail" UCX_NET_DEVICES=mlx5_4:1
node_is ib8 "rdma_devices=ok port_state=ok roce_gid=skip peermem=ok gdrcopy=ok nvlink=skip gpu_nic_affinity=ok" NCCL_IB_HCA=mlx5
echo "3: DOWN" > "$FX/ib8/sys/class/infiniband/mlx5_3/ports/1/state"
node_is ib8 "rdma_devices=ok port_state=warn roce_gid=skip peermem=ok gdrcopy=ok nvlink=skip gpu_nic_affinity=ok"
out=$("$CLI" node --root "$FX/container_nodev"); rc=$?
expect_eq "node: a failed check exits 1" "$rc" "1"
expect_contains "node: human line with the fix" "$out" "fix: mount /dev/infiniband into the container"

env_is() {  # env_is LABEL FIXTURE CHECK EXPECTED-STATUS ENV…
    local label=$1 fx=$2 name=$3 want=$4; shift 4
    got=$(statuses env "$fx" "$@" | tr ' ' '\n' | grep "^$name=" | cut -d= -f2)
    expect_eq "env $label" "$got" "$want"
}
env_is "UCX_TLS=tcp on an RDMA node" ib8 UCX_TLS fail UCX_TLS=tcp
env_is "UCX_TLS=^rc,ud,dc,ib excludes RDMA" ib8 UCX_TLS fail 'UCX_TLS=^rc,ud,dc,ib'
env_is "UCX_TLS=rc,cuda_ipc,cuda_copy,sm" ib8 UCX_TLS ok UCX_TLS=rc,cuda_ipc,cuda_copy,sm
env_is "UCX_TLS=rc,sm without cuda on a GPU node" ib8 UCX_TLS warn UCX_TLS=rc,sm
env_is "UCX_NET_DEVICES unset on a multi-HCA node" ib8 UCX_NET_DEVICES warn
env_is "UCX_NET_DEVICES=eth0 (management NIC)" ib8 UCX_NET_DEVICES fail UCX_NET_DEVICES=eth0
env_is "UCX_NET_DEVICES=mlx5_9:1 missing" ib8 UCX_NET_DEVICES fail UCX_NET_DEVICES=mlx5_9:1
env_is "UCX_NET_DEVICES=mlx5_0:1" ib8 UCX_NET_DEVICES ok UCX_NET_DEVICES=mlx5_0:1
env_is "UCX_IB_GPU_DIRECT_RDMA=no" ib8 UCX_IB_GPU_DIRECT_RDMA warn UCX_IB_GPU_DIRECT_RDMA=no
env_is "UCX_IB_GPU_DIRECT_RDMA=try" ib8 UCX_IB_GPU_DIRECT_RDMA ok UCX_IB_GPU_DIRECT_RDMA=try
env_is "UCX_IB_GPU_DIRECT_RDMA=maybe" ib8 UCX_IB_GPU_DIRECT_RDMA fail UCX_IB_GPU_DIRECT_RDMA=maybe
env_is "UCX_RNDV_SCHEME=put_zcopy" ib8 UCX_RNDV_SCHEME ok UCX_RNDV_SCHEME=put_zcopy
env_is "UCX_RNDV_SCHEME=fast" ib8 UCX_RNDV_SCHEME fail UCX_RNDV_SCHEME=fast
env_is "NIXL_PLUGIN_DIR missing" ib8 NIXL_PLUGIN_DIR fail NIXL_PLUGIN_DIR=$TMP/none
mkdir -p "$TMP/plugins"; : > "$TMP/plugins/libplugin_UCX.so"
env_is "NIXL_PLUGIN_DIR with the UCX plugin" ib8 NIXL_PLUGIN_DIR ok NIXL_PLUGIN_DIR=$TMP/plugins
env_is "NCCL_IB_DISABLE=1 on an IB node" ib8 NCCL_IB_DISABLE fail NCCL_IB_DISABLE=1
# the default policy forbids NET/Socket: NCCL_IB_DISABLE=1 means sockets anywhere
env_is "NCCL_IB_DISABLE=1 on a TCP VM (default policy forbids NET/Socket)" tcp_vm NCCL_IB_DISABLE fail NCCL_IB_DISABLE=1
env_is "NCCL_IB_DISABLE=1 on a TCP VM, NET/Socket allowed" tcp_vm NCCL_IB_DISABLE ok NCCL_IB_DISABLE=1 FABGUARD_NCCL_FORBID_TRANSPORTS=
env_is "NCCL_IB_HCA=mlx5_1:1,mlx5_2:1" ib8 NCCL_IB_HCA ok NCCL_IB_HCA=mlx5_1:1,mlx5_2:1
env_is "NCCL_IB_HCA=bnxt matches nothing" ib8 NCCL_IB_HCA fail NCCL_IB_HCA=bnxt
env_is "NCCL_IB_HCA==mlx5 exact matches nothing" ib8 NCCL_IB_HCA fail 'NCCL_IB_HCA==mlx5'
env_is "NCCL_SOCKET_IFNAME=ens9 matches nothing" ib8 NCCL_SOCKET_IFNAME fail NCCL_SOCKET_IFNAME=ens9
env_is "NCCL_SOCKET_IFNAME=ib0" ib8 NCCL_SOCKET_IFNAME ok NCCL_SOCKET_IFNAME=ib0
mkdir -p "$FX/ib8/sys/devices/virtual/net/docker0"; ln -s ../../devices/virtual/net/docker0 "$FX/ib8/sys/class/net/docker0"
env_is "NCCL_SOCKET_IFNAME=^eth leaves a docker bridge" ib8 NCCL_SOCKET_IFNAME warn 'NCCL_SOCKET_IFNAME=^eth,ib'
env_is "NCCL_NET_GDR_LEVEL=PHB" ib8 NCCL_NET_GDR_LEVEL ok NCCL_NET_GDR_LEVEL=PHB
env_is "NCCL_NET_GDR_LEVEL=LOC disables GDR" ib8 NCCL_NET_GDR_LEVEL warn NCCL_NET_GDR_LEVEL=LOC
env_is "NCCL_P2P_LEVEL=NVL" ib8 NCCL_P2P_LEVEL ok NCCL_P2P_LEVEL=NVL
env_is "NCCL_P2P_LEVEL=FAST" ib8 NCCL_P2P_LEVEL fail NCCL_P2P_LEVEL=FAST
# a RoCE HCA (mlx5_1) whose netdev is eth0, the default-route NIC
node_is roce_mgmt "rdma_devices=warn port_state=ok roce_gid=ok peermem=ok gdrcopy=warn nvlink=skip gpu_nic_affinity=ok"
expect_contains "node: the RoCE port on the management NIC named" "$("$CLI" node --root "$FX/roce_mgmt")" "mlx5_1 is a RoCE port of eth0, the management NIC"
env_is "UCX_NET_DEVICES unset, a RoCE port on the management NIC" roce_mgmt UCX_NET_DEVICES warn
env_is "UCX_NET_DEVICES=mlx5_1:1 is the management NIC's RoCE port" roce_mgmt UCX_NET_DEVICES fail UCX_NET_DEVICES=mlx5_1:1
env_is "UCX_NET_DEVICES=mlx5_0:1 on the data NIC" roce_mgmt UCX_NET_DEVICES ok UCX_NET_DEVICES=mlx5_0:1
env_is "NCCL_IB_HCA unset, a RoCE port on the management NIC" roce_mgmt NCCL_IB_HCA warn
env_is "NCCL_IB_HCA=mlx5 selects the management NIC's RoCE port" roce_mgmt NCCL_IB_HCA fail NCCL_IB_HCA=mlx5
env_is "NCCL_IB_HCA==mlx5_0 only the data NIC's" roce_mgmt NCCL_IB_HCA ok 'NCCL_IB_HCA==mlx5_0'
env_is "UCX_NET_DEVICES unset, RoCE on the data NIC only" roce UCX_NET_DEVICES ok
env_is "NCCL_IB_GID_INDEX=3 RoCE v2 routable" roce NCCL_IB_GID_INDEX ok NCCL_IB_GID_INDEX=3
env_is "NCCL_IB_GID_INDEX=1 link-local" roce NCCL_IB_GID_INDEX fail NCCL_IB_GID_INDEX=1
env_is "NCCL_IB_GID_INDEX=2 RoCE v1" roce NCCL_IB_GID_INDEX fail NCCL_IB_GID_INDEX=2
env_is "NCCL_IB_GID_INDEX=9 empty" roce NCCL_IB_GID_INDEX fail NCCL_IB_GID_INDEX=9
env_is "NCCL_DEBUG=LOUD" ib8 NCCL_DEBUG warn NCCL_DEBUG=LOUD
env_is "typo UCX_NET_DEVICE" ib8 UCX_NET_DEVICE warn UCX_NET_DEVICE=mlx5_0:1
env_is "typo NCCL_SOCKET_IFNAM" ib8 NCCL_SOCKET_IFNAM warn NCCL_SOCKET_IFNAM=eth0

# AWS EFA (p4d-like: 4 EFA devices bound to the efa driver, 8 GPUs): noted in
# rdma_devices' detail with the driver and link layer; a pod without
# /dev/infiniband is told to request the EFA device plugin's resource
node_is efa "rdma_devices=ok port_state=ok roce_gid=skip peermem=warn gdrcopy=ok nvlink=skip gpu_nic_affinity=warn"
node_is efa_nodev "rdma_devices=fail port_state=ok roce_gid=skip peermem=warn gdrcopy=ok nvlink=skip gpu_nic_affinity=warn"
out=$("$CLI" node --root "$FX/efa")
expect_contains "node efa: the EFA devices named with driver and link layer" "$out" \
    "4 HCA(s): rdmap144s27 rdmap160s27 rdmap16s27 rdmap32s27; all are EFA (driver efa, link layer Unknown: AWS SRD, used through libfabric's efa provider, not NCCL's NET/IB)"
expect_contains "node efa: EFA ports Active (link layer Unknown)" "$out" "rdmap16s27:1 Active Unknown 100 Gb/sec (4X EDR)"
out=$("$CLI" node --json --root "$FX/efa_nodev")
expect_contains "node efa without /dev/infiniband: fails, names the EFA device plugin" "$out" "request vpc.amazonaws.com/efa from the EFA device plugin"
expect_not_contains "node ib8 (mlx5, no driver link): no EFA note" "$("$CLI" node --root "$FX/ib8")" "EFA"
rm "$FX/efa/sys/devices/pci0000:10/0000:10:1b.0/driver"; ln -s ../../../bus/pci/drivers/mlx5_core "$FX/efa/sys/devices/pci0000:10/0000:10:1b.0/driver"
expect_contains "node efa: the driver link decides (one device rebound)" "$("$CLI" node --root "$FX/efa")" \
    "these are EFA (driver efa, link layer Unknown: AWS SRD, used through libfabric's efa provider, not NCCL's NET/IB): rdmap144s27 rdmap160s27 rdmap32s27"

# this machine: no RDMA, default route on its management NIC
out=$("$CLI" node --json); rc=$?
expect_eq "this machine: node exits 1 (no RDMA devices)" "$rc" "1"
expect_contains "this machine: rdma_devices fails" "$out" '"name":"rdma_devices","status":"fail"'
mgmt=$(awk '$2=="00000000"{print $1; exit}' /proc/net/route)
if [ -n "$mgmt" ]; then
    out=$(UCX_NET_DEVICES=$mgmt "$CLI" env --json)
    expect_contains "this machine: UCX_NET_DEVICES=$mgmt is the management NIC" "$out" "is the management NIC"
fi
"$CLI" node --root "$TMP/nonexistent" 2>/dev/null; expect_eq "node --root missing: exit 2" "$?" "2"
"$CLI" env --bogus 2>/dev/null; expect_eq "env bad option: exit 2" "$?" "2"

# One policy for every judge (issue 16): env and node judge with --policy
# FILE, else $FABGUARD_POLICY, with FABGUARD_* overrides.
cat > "$TMP/strict.ini" <<'INI'
[ucx]
forbid_transports = tcp
allow_devices = mlx5_1*
gpu_direct_rdma = require
[nccl]
require_net = IB
allow_hcas = mlx5_0, mlx5_1
gpu_direct_rdma = require
INI
printf '[ucx]\nforbid_transports =\n[nccl]\nforbid_transports =\n' > "$TMP/lax.ini"
pcheck() {  # pcheck LABEL CMD FIXTURE CHECK WANT-STATUS WANT-DETAIL ENV…
    local label=$1 cmd=$2 fx=$3 name=$4 want=$5 det=$6; shift 6
    local j; j=$(env -i PATH="$PATH" "$@" "$CLI" "$cmd" --json --root "$FX/$fx")
    expect_eq "policy: $label" "$(echo "$j" | python3 -c 'import json,sys; print([c["status"] for c in json.load(sys.stdin)["checks"] if c["name"]==sys.argv[1]])' "$name")" "['$want']"
    [ -n "$det" ] && expect_contains "policy: $label (detail)" "$j" "$det"
}
S=FABGUARD_POLICY=$TMP/strict.ini
pcheck "GDR require + UCX_IB_GPU_DIRECT_RDMA=no fails (was warn)" env ib8 UCX_IB_GPU_DIRECT_RDMA fail "policy ucx.gpu_direct_rdma=require" $S UCX_IB_GPU_DIRECT_RDMA=no
pcheck "FABGUARD_UCX_GPU_DIRECT_RDMA=require overrides, no file" env ib8 UCX_IB_GPU_DIRECT_RDMA fail "policy ucx.gpu_direct_rdma=require" FABGUARD_UCX_GPU_DIRECT_RDMA=require UCX_IB_GPU_DIRECT_RDMA=no
pcheck "GDR any + UCX_IB_GPU_DIRECT_RDMA=no stays warn" env ib8 UCX_IB_GPU_DIRECT_RDMA warn "" UCX_IB_GPU_DIRECT_RDMA=no
pcheck "GDR require on a node whose peermem is not registered" env peermem_unregistered UCX_IB_GPU_DIRECT_RDMA fail "nvidia_peermem is loaded but not registered" $S
pcheck "allow_devices=mlx5_1* vs UCX_NET_DEVICES=mlx5_0:1" env ib8 UCX_NET_DEVICES fail "policy ucx.allow_devices=mlx5_1*: 'mlx5_0:1' is not allowed" $S UCX_NET_DEVICES=mlx5_0:1
pcheck "allow_devices=mlx5_1* vs UCX_NET_DEVICES=mlx5_1:1" env ib8 UCX_NET_DEVICES ok "" $S UCX_NET_DEVICES=mlx5_1:1
pcheck "allow_devices vs UCX_NET_DEVICES unset on 8 HCAs" env ib8 UCX_NET_DEVICES warn "so UCX may pick mlx5_0:1" $S
pcheck "forbid tcp vs UCX_TLS=rc,tcp" env ib8 UCX_TLS fail "'rc,tcp' lets UCX use tcp" $S UCX_TLS=rc,tcp
pcheck "forbid ud* vs UCX_TLS=ib (alias expands)" env ib8 UCX_TLS fail "lets UCX use ud_verbs" FABGUARD_UCX_FORBID_TRANSPORTS='ud*' UCX_TLS=ib,cuda_copy
pcheck "forbid tcp vs UCX_TLS=^tcp" env tcp_vm UCX_TLS ok "" 'UCX_TLS=^tcp'
pcheck "forbid tcp vs UCX_TLS=^ud on a TCP VM: warn" env tcp_vm UCX_TLS warn "UCX will use tcp to other nodes" 'UCX_TLS=^ud'
pcheck "forbid tcp, UCX_TLS unset on a TCP VM: warn" env tcp_vm UCX_TLS warn "UCX will use tcp to other nodes" $S
pcheck "tcp allowed, UCX_TLS unset on a TCP VM: ok" env tcp_vm UCX_TLS ok "" FABGUARD_POLICY=$TMP/lax.ini
pcheck "require_net=IB vs NCCL_IB_DISABLE=1" env ib8 NCCL_IB_DISABLE fail "policy nccl.require_net=IB: NCCL_IB_DISABLE=1" $S NCCL_IB_DISABLE=1
pcheck "require_net=IB vs NCCL_NET=Socket" env ib8 NCCL_NET fail "NCCL will use Socket" $S NCCL_NET=Socket
pcheck "require_net=IB, NCCL_NET=IB" env ib8 NCCL_NET ok "" $S NCCL_NET=IB
pcheck "allow_hcas vs NCCL_IB_HCA=mlx5_2" env ib8 NCCL_IB_HCA fail "policy nccl.allow_hcas=mlx5_0, mlx5_1: 'mlx5_2' is not allowed" $S NCCL_IB_HCA=mlx5_2
pcheck "allow_hcas vs NCCL_IB_HCA=mlx5_1:1" env ib8 NCCL_IB_HCA ok "" $S NCCL_IB_HCA=mlx5_1:1
pcheck "allow_hcas vs NCCL_IB_HCA=^mlx5_0 (leaves mlx5_2…)" env ib8 NCCL_IB_HCA fail "selects mlx5_2" $S 'NCCL_IB_HCA=^mlx5_0'
pcheck "nccl GDR require vs NCCL_NET_GDR_LEVEL=LOC" env ib8 NCCL_NET_GDR_LEVEL fail "policy nccl.gpu_direct_rdma=require" $S NCCL_NET_GDR_LEVEL=LOC
pcheck "forbid NET/Socket on a node without RDMA: NCCL_NET warns" env tcp_vm NCCL_NET warn "NCCL will use NET/Socket between nodes"
pcheck "node: peermem fails when GDR is required" node peermem_unregistered peermem fail "(policy ucx.gpu_direct_rdma=require)" $S
pcheck "node: no RDMA fails, naming the rule" node tcp_vm rdma_devices fail "(policy ucx.forbid_transports=tcp forbids it)"
pcheck "node: no RDMA warns when the policy allows tcp and NET/Socket" node tcp_vm rdma_devices warn "" FABGUARD_POLICY=$TMP/lax.ini
j=$(env -i PATH="$PATH" FABGUARD_POLICY=$TMP/lax.ini UCX_IB_GPU_DIRECT_RDMA=no "$CLI" env --json --root "$FX/ib8" --policy "$TMP/strict.ini")
expect_contains "policy: --policy FILE beats FABGUARD_POLICY" "$j" '"name":"UCX_IB_GPU_DIRECT_RDMA","status":"fail"'
# the management NIC as the shim sees it: management_ifaces names one
pcheck "management_ifaces=ib0 makes UCX_NET_DEVICES=ib0 the management NIC" env ib8 UCX_NET_DEVICES fail "is the management NIC" FABGUARD_MANAGEMENT_IFACES=ib0 UCX_NET_DEVICES=ib0
msg=$(env -i PATH="$PATH" "$CLI" env --policy "$TMP/missing.ini" 2>&1); rc=$?
expect_eq "policy: a missing --policy file exits 2" "$rc" "2"
expect_contains "policy: a missing --policy file named" "$msg" "missing.ini"
msg=$(env -i PATH="$PATH" FABGUARD_MODEE=warn "$CLI" node 2>&1); rc=$?
expect_eq "policy: node refuses an unknown FABGUARD_ name like the shim" "$rc $msg" "2 fabguard node: environment: unknown variable FABGUARD_MODEE (did you mean FABGUARD_MODE?)"

# NCCL's own configuration files (NCCL src/misc/param.cc): NCCL_CONF_FILE,
# else ~/.nccl.conf, then /etc/nccl.conf; the environment wins, then the
# first file that sets a name.
mkdir -p "$FX/ib8/etc"
printf '# cluster-wide\nNCCL_IB_DISABLE=1\nNCCL_DEBUG=WARN\n' > "$FX/ib8/etc/nccl.conf"
pcheck "/etc/nccl.conf NCCL_IB_DISABLE=1 counts" env ib8 NCCL_IB_DISABLE fail "(from /etc/nccl.conf:2)"
pcheck "the environment beats /etc/nccl.conf" env ib8 NCCL_IB_DISABLE ok "" NCCL_IB_DISABLE=0
pcheck "NCCL_CONF_FILE read first" env ib8 NCCL_CONF_FILE ok "read /etc/nccl.conf" 
printf 'NCCL_IB_DISABLE=0\n' > "$FX/ib8/etc/user.conf"
pcheck "NCCL_CONF_FILE beats /etc/nccl.conf" env ib8 NCCL_IB_DISABLE ok "(from /etc/user.conf:1)" NCCL_CONF_FILE=/etc/user.conf
printf 'NCCL_IB_DISABLE = 1\n' > "$FX/ib8/etc/user.conf"
pcheck "blanks around = in a conf file: NCCL ignores the line" env ib8 NCCL_CONF_FILE warn "has blanks around '='" NCCL_CONF_FILE=/etc/user.conf
pcheck "NCCL_CONF_FILE missing" env ib8 NCCL_CONF_FILE warn "cannot be read" NCCL_CONF_FILE=/etc/none.conf
rm -f "$FX/ib8/etc/nccl.conf" "$FX/ib8/etc/user.conf"
# variables that changed since the seed
pcheck "NIXL_UCX_DEEPBIND=1 without the audit module warns" env ib8 NIXL_UCX_DEEPBIND warn "RTLD_DEEPBIND" NIXL_UCX_DEEPBIND=1
pcheck "NIXL_UCX_DEEPBIND=1 with the audit module in LD_AUDIT" env ib8 NIXL_UCX_DEEPBIND ok "with libfabguard-audit.so in LD_AUDIT" NIXL_UCX_DEEPBIND=1 LD_AUDIT=/usr/local/lib/libfabguard-audit.so
pcheck "NIXL_UCX_DEEPBIND=maybe" env ib8 NIXL_UCX_DEEPBIND warn "" NIXL_UCX_DEEPBIND=maybe
pcheck "NCCL_NET_PLUGIN path missing" env ib8 NCCL_NET_PLUGIN fail "does not exist" NCCL_NET_PLUGIN=/none/libnccl-net.so
pcheck "UCX_PROTO_ENABLE=y" env ib8 UCX_PROTO_ENABLE ok "" UCX_PROTO_ENABLE=y
pcheck "UCX_PROTO_ENABLE=fast" env ib8 UCX_PROTO_ENABLE fail "not a UCX boolean" UCX_PROTO_ENABLE=fast
pcheck "typo UCX_PROTO_ENABL" env ib8 UCX_PROTO_ENABL warn "did you mean UCX_PROTO_ENABLE" UCX_PROTO_ENABL=y

# The same scenario to the shim, env and explain (issue 16): real UCX over tcp
# (ucx_info -e creates a context, a worker and an endpoint under the shim),
# judged under two policies. The three must name the same rules.
if command -v ucx_info >/dev/null; then
    printf '[ucx]\nforbid_transports = tcp\n' > "$TMP/same1.ini"
    printf '[fabguard]\nmanagement_ifaces = none0\n[ucx]\nforbid_transports =\n' > "$TMP/same2.ini"
    for p in same1 same2; do
        env UCX_TLS=tcp FABGUARD_POLICY="$TMP/$p.ini" FABGUARD_LOG="$TMP/$p.jsonl" LD_PRELOAD="$(preload_of "$SHIM")" \
            ucx_info -e -u t > "$TMP/$p.txt" 2>"$TMP/$p.err"
        shim=$(python3 -c 'import json,sys
r=set()
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["verdict"]=="violation" and e["event"]!="summary": r.add(e["rule"])
print(sorted(r))' "$TMP/$p.jsonl" 2>/dev/null || echo "[]")
        expl=$("$CLI" explain --json --policy "$TMP/$p.ini" "$TMP/$p.txt" | python3 -c 'import json,sys; print(sorted({v["rule"] for v in json.load(sys.stdin)["violations"]}))')
        envr=$(UCX_TLS=tcp "$CLI" env --json --policy "$TMP/$p.ini" | python3 -c 'import json,re,sys
r=set()
for c in json.load(sys.stdin)["checks"]:
    m=re.match(r"policy ([a-z_]+\.[a-z_]+)", c["detail"])
    if c["status"]=="fail" and m: r.add(m.group(1))
print(sorted(r))')
        echo "# $p: shim $shim explain $expl env $envr"
        eval "rules_$p=\$shim"
        expect_eq "same scenario, policy $p: shim and explain name the same rules" "$expl" "$shim"
        expect_eq "same scenario, policy $p: shim and env name the same rules" "$envr" "$shim"
    done
    expect_contains "same scenario: same1 (tcp forbidden) is a violation" "$rules_same1" "ucx.forbid_transports"
    expect_eq "same scenario: same2 (tcp allowed, no management NIC) is clean for the shim" "$(grep -c '"verdict":"violation"' "$TMP/same2.jsonl")" "0"
else
    skip "same scenario to shim, env and explain" "ucx_info not installed"
fi
