# The UCX >= 1.14 path: lanes from ucp_ep_query(UCP_EP_ATTR_FIELD_TRANSPORTS).
# No package here ships UCX >= 1.14, so tests/doubles/libucp.c stands in: it
# reports 1.19 and answers the query as UCX's header defines it, while its
# ucp_ep_print_info prints a lane ("printinfo/notquery") the query never
# reports — so these checks also prove which path the shim took.
source "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/ucp"
ln -s "$DOUBLES/libucp.so" "$TMP/ucp/libucp.so.0"
run() { LD_LIBRARY_PATH=$TMP/ucp FABGUARD_LOG=$TMP/q.jsonl with_shim "$PROGS/ucx_ep" -n 2 >"$TMP/o" 2>"$TMP/e"; echo $?; }

rm -f "$TMP/q.jsonl"
rc=$(FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1,cuda_ipc/cuda" run)
expect_eq "1.19 double, RDMA lanes: unaffected and clean" "$rc|$(cat "$TMP/e")" "0|"
ev=$(grep '"event":"endpoint"' "$TMP/q.jsonl" | head -1)
expect_contains "lanes come from ucp_ep_query" "$ev" '{"transport":"rc_mlx5","device":"mlx5_0:1"}'
expect_not_contains "ucp_ep_print_info not used on >= 1.14" "$ev" "printinfo"

rm -f "$TMP/q.jsonl"
rc=$(FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1,tcp/-,tcp/eth0" run)
expect_contains "1.19 double, tcp data lane: caught" "$(cat "$TMP/e")" "uses tcp on eth0 (ucx.forbid_transports=tcp)"
expect_not_contains "connection-manager lane (empty device) is never a violation" "$(cat "$TMP/e")" "lane 1 "
rc=$(FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1,tcp/eth0" FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail run)
expect_eq "1.19 double, enforce+fail: refused" "$rc $(cat "$TMP/o")" "1 ucx_ep: created 0 failed 2 status Destination is unreachable"
rc=$(FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1" FABGUARD_UCX_ALLOW_DEVICES='mlx5_1:*' run)
expect_contains "allow_devices: mlx5_0:1 outside mlx5_1:*" "$(cat "$TMP/e")" "ucx.allow_devices"
rc=$(FG_UCP_DOUBLE_LANES="rc_mlx5/mlx5_0:1" FABGUARD_UCX_ALLOW_DEVICES='mlx5_*' run)
expect_eq "allow_devices: mlx5_* admits mlx5_0:1" "$(cat "$TMP/e")" ""
