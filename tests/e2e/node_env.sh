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
node_is peermem_unregistered "rdma_devices=ok port_state=ok roce_gid=skip peermem=fail gdrcopy=ok nvlink=skip gpu_nic_affinity=ok"
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
env_is "NCCL_IB_DISABLE=1 on a TCP VM" tcp_vm NCCL_IB_DISABLE ok NCCL_IB_DISABLE=1
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
