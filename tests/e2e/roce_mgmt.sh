# A RoCE HCA whose netdev is the management NIC: RDMA over it is still
# traffic on the management NIC. No machine here has an HCA, so each run
# gets a private mount namespace whose /sys/class is a tmpfs holding the
# kernel's RoCE layout (ports/1/gid_attrs/ndevs/N naming the netdev, as
# drivers/infiniband/core/sysfs.c prints it): mlx5_0 on "mgmt9", mlx5_1 on
# "data9". The lanes come from the UCX 1.19 double (tests/doubles/libucp.c)
# and the NCCL double's RoCE scenario; the shim reads the layout itself.
source "$(dirname "$0")/lib.sh"
if ! is_root || ! unshare -m true 2>/dev/null; then
    skip "RoCE port of the management NIC" "needs root (mount namespace)"
    exit 0
fi
for d in mlx5_0:mgmt9 mlx5_1:data9; do
    n=$TMP/ib/${d%%:*}/ports/1/gid_attrs/ndevs
    mkdir -p "$n"; : > "$n/0"; echo "${d#*:}" > "$n/1"   # entry 0 without a netdev, as unused GIDs are
done
mkdir -p "$TMP/ucp" && ln -s "$DOUBLES/libucp.so" "$TMP/ucp/libucp.so.0"
# with_roce_sys CMD…: CMD sees $TMP/ib as /sys/class/infiniband
with_roce_sys() {
    unshare -m sh -c 'mount -t tmpfs fg-sys /sys/class && cp -r "$0" /sys/class/infiniband && exec "$@"' "$TMP/ib" "$@"
}
ucx() {  # ucx LANES: shim + UCX double, stderr of the program
    with_roce_sys env FG_UCP_DOUBLE_LANES="$1" LD_LIBRARY_PATH=$TMP/ucp FABGUARD_MANAGEMENT_IFACES=mgmt9 \
        FABGUARD_LOG=$TMP/ev.jsonl LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 1 2>&1 >/dev/null
}
out=$(ucx "rc_mlx5/mlx5_0:1")
expect_contains "UCX lane on mlx5_0:1, the RoCE port of mgmt9: caught" "$out" \
    "lane 0 uses rc_mlx5 on mlx5_0:1 (RoCE port of mgmt9, the management NIC)"
expect_contains "UCX: the fix names the port and the NIC" "$out" "not mlx5_0:1 (RoCE on mgmt9)"
expect_contains "UCX: event carries the rule" "$(grep '"event":"endpoint"' "$TMP/ev.jsonl")" '"rule":"fabguard.management_ifaces"'
out=$(ucx "rc_mlx5/mlx5_1:1")
expect_not_contains "UCX lane on mlx5_1:1 (RoCE on the data NIC): not the management NIC" "$out" "management"
out=$(with_roce_sys env FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1" LD_LIBRARY_PATH=$TMP/ucp FABGUARD_MANAGEMENT_IFACES=mgmt9 \
      FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/ucx_ep" -n 1 2>/dev/null)
expect_eq "UCX, enforce+fail: the endpoint is refused" "$out" "ucx_ep: created 0 failed 1 status Destination is unreachable"

nccl() {  # nccl MGMT: shim + NCCL double (RoCE: mlx5_0:1 and mlx5_1:1)
    with_roce_sys env FG_NCCL_DOUBLE_SCENARIO=roce LD_LIBRARY_PATH=$DOUBLES FABGUARD_MANAGEMENT_IFACES="$1" \
        LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/nccl_init" 1 2>&1
}
out=$(nccl mgmt9)
expect_contains "NCCL on mlx5_0:1, the RoCE port of mgmt9: caught" "$out" \
    "NET/IB device mlx5_0:1 is the RoCE port of mgmt9 (management NIC)"
expect_not_contains "NCCL: mlx5_1:1 not flagged" "$out" "mlx5_1:1 is the RoCE port"
out=$(nccl ens9)
expect_not_contains "NCCL with another management NIC: no RoCE finding" "$out" "RoCE port"
