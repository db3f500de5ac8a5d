#!/bin/bash
# fabguard env on libfabric's variables, on the sysfs fixture trees of
# tests/fixtures/sysfs/make_fixtures.sh plus an EFA node (an rdmap device,
# as the efa driver names it). Each case asserts the status of its check.
. "$(dirname "$0")/lib.sh"
FX=$TMP/fx
bash "$FIX/sysfs/make_fixtures.sh" "$FX"
# an EFA node: the TCP VM plus one EFA device and /dev/infiniband
cp -a "$FX/tcp_vm" "$FX/efa"
d=$FX/efa/sys/devices/pci0000:00/0000:00:1f.0/infiniband/rdmap0s31
mkdir -p "$d/ports/1" "$FX/efa/sys/class/infiniband" "$FX/efa/dev/infiniband"
ln -s ../../devices/pci0000:00/0000:00:1f.0/infiniband/rdmap0s31 "$FX/efa/sys/class/infiniband/rdmap0s31"
echo "4: ACTIVE" > "$d/ports/1/state"; echo "5: LinkUp" > "$d/ports/1/phys_state"
echo "Unspecified" > "$d/ports/1/link_layer"; : > "$FX/efa/dev/infiniband/uverbs0"

status_of() {  # status_of FIXTURE CHECK ENV… -> the check's status
    local fx=$1 name=$2; shift 2
    env -i PATH="$PATH" "$@" "$CLI" env --json --root "$FX/$fx" |
        python3 -c 'import json,sys; n=sys.argv[1]; print(" ".join(c["status"] for c in json.load(sys.stdin)["checks"] if c["name"]==n))' "$name"
}
env_is() {  # env_is LABEL FIXTURE CHECK EXPECTED ENV…
    local label=$1 fx=$2 name=$3 want=$4; shift 4
    expect_eq "env $label" "$(status_of "$fx" "$name" "$@")" "$want"
}
env_is "FI_PROVIDER unset on an EFA node" efa FI_PROVIDER warn
env_is "FI_PROVIDER unset on a TCP VM" tcp_vm FI_PROVIDER ok
env_is "FI_PROVIDER=efa on an EFA node" efa FI_PROVIDER ok FI_PROVIDER=efa
env_is "FI_PROVIDER=efa without an EFA device" tcp_vm FI_PROVIDER warn FI_PROVIDER=efa
env_is "FI_PROVIDER=tcp on an RDMA node" efa FI_PROVIDER fail FI_PROVIDER=tcp
env_is "FI_PROVIDER=tcp;ofi_rxm on an IB node" ib8 FI_PROVIDER fail 'FI_PROVIDER=tcp;ofi_rxm'
env_is "FI_PROVIDER=tcp on a TCP VM" tcp_vm FI_PROVIDER ok FI_PROVIDER=tcp
env_is "FI_PROVIDER=^efa excludes the RDMA provider" efa FI_PROVIDER fail 'FI_PROVIDER=^efa'
env_is "FI_PROVIDER=^sockets" efa FI_PROVIDER ok 'FI_PROVIDER=^sockets'
env_is "FI_EFA_USE_DEVICE_RDMA=0" efa FI_EFA_USE_DEVICE_RDMA warn FI_EFA_USE_DEVICE_RDMA=0
env_is "FI_EFA_USE_DEVICE_RDMA=1" efa FI_EFA_USE_DEVICE_RDMA ok FI_EFA_USE_DEVICE_RDMA=1
env_is "FI_EFA_USE_DEVICE_RDMA=maybe" efa FI_EFA_USE_DEVICE_RDMA fail FI_EFA_USE_DEVICE_RDMA=maybe
env_is "FI_HMEM_DISABLE_P2P=1" efa FI_HMEM_DISABLE_P2P warn FI_HMEM_DISABLE_P2P=1
env_is "FI_HMEM=^cuda" efa FI_HMEM warn 'FI_HMEM=^cuda'
env_is "FI_HMEM=cuda" efa FI_HMEM ok FI_HMEM=cuda
env_is "FI_PROVIDER_PATH missing" efa FI_PROVIDER_PATH fail FI_PROVIDER_PATH=$TMP/none
mkdir -p "$TMP/provs"
env_is "FI_PROVIDER_PATH without providers" efa FI_PROVIDER_PATH warn FI_PROVIDER_PATH=$TMP/provs
: > "$TMP/provs/libefa-fi.so"
env_is "FI_PROVIDER_PATH with libefa-fi.so" efa FI_PROVIDER_PATH ok FI_PROVIDER_PATH=$TMP/provs
env_is "FI_HOOK=perf" efa FI_HOOK ok FI_HOOK=perf
env_is "FI_HOOK=fast" efa FI_HOOK warn FI_HOOK=fast
env_is "FI_TCP_IFACE=eth0 (management NIC)" efa FI_TCP_IFACE fail FI_TCP_IFACE=eth0
env_is "FI_TCP_IFACE=ens9 (no such interface)" efa FI_TCP_IFACE fail FI_TCP_IFACE=ens9
env_is "FI_SOCKETS_IFACE=lo" efa FI_SOCKETS_IFACE ok FI_SOCKETS_IFACE=lo
env_is "FI_PROVIDR typo" efa FI_PROVIDR warn FI_PROVIDR=efa
out=$(env -i PATH="$PATH" FI_PROVIDER=tcp "$CLI" env --root "$FX/efa")
expect_eq "env: FI_PROVIDER=tcp on an EFA node exits 1" "$?" 1
expect_contains "env: the line names the fix" "$out" "fix: set FI_PROVIDER=efa (or verbs) on an RDMA node"
