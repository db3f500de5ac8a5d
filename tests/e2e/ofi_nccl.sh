# aws-ofi-nccl through NCCL's log: `fabguard explain` on logs with the
# plugin's "NET/OFI Selected provider" line (fixtures in the plugin's real
# formats, the one real corpus line, and a log the NCCL double writes in the
# same run as the shim judges it): tcp under the plugin is
# libfabric.forbid_providers, efa is clean, the [libfabric] policy applies.
source "$(dirname "$0")/lib.sh"
N=$FIX/nccl
js() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join("%s:%s:%s:%s" % (p["ofi_provider"], p["ofi_fabric"], p["ofi_nics"], p["verdict"]) for p in d["processes"]))'; }

out=$("$CLI" explain "$N/ofi-tcp-fallback-2.23.4.log"); rc=$?
expect_eq "explain: aws-ofi-nccl on tcp is a violation (exit 1)" "$rc" "1"
expect_contains "explain: names the plugin's provider and fabric" "$out" "libfabric  provider tcp, fabric 10.1.0.0/16, 1 NIC (aws-ofi-nccl)"
expect_contains "explain: tcp under the plugin is libfabric.forbid_providers" "$out" "VIOLATION aws-ofi-nccl provider tcp (fabric 10.1.0.0/16), 1 NIC (libfabric.forbid_providers)"
expect_contains "explain: the 1.6-1.13 shape (tcp;ofi_rxm, no fabric) too" "$out" "VIOLATION aws-ofi-nccl provider tcp;ofi_rxm (fabric ?), 1 NIC (libfabric.forbid_providers)"
expect_eq "explain --json: per-process ofi_provider/fabric/nics and verdicts" \
    "$("$CLI" explain --json "$N/ofi-tcp-fallback-2.23.4.log" | js)" "tcp:10.1.0.0/16:1:violation tcp;ofi_rxm:None:1:violation"
expect_contains "explain --json: the violation is in the top-level list" \
    "$("$CLI" explain --json "$N/ofi-tcp-fallback-2.23.4.log")" '"rule":"libfabric.forbid_providers","detail":"aws-ofi-nccl provider tcp (fabric 10.1.0.0/16), 1 NIC"'
out=$("$CLI" explain "$N/ofi-efa-2.23.4.log"); rc=$?
expect_eq "explain: aws-ofi-nccl on efa is clean (exit 0)" "$rc" "0"
expect_eq "explain --json: efa, fabric efa, 32 NICs" "$("$CLI" explain --json "$N/ofi-efa-2.23.4.log" | js)" "efa:efa:32:ok"
FABGUARD_LIBFABRIC_FORBID_PROVIDERS=sockets "$CLI" explain "$N/ofi-tcp-fallback-2.23.4.log" >/dev/null
expect_eq "explain: tcp allowed by [libfabric] forbid_providers: exit 0" "$?" "0"
printf '[libfabric]\nforbid_providers = efa\n' > "$TMP/p.ini"
out=$("$CLI" explain --policy "$TMP/p.ini" "$N/ofi-efa-2.23.4.log"); rc=$?
expect_eq "explain --policy: the file's [libfabric] rule is applied to the plugin (exit 1)" "$rc" "1"
expect_contains "explain --policy: efa forbidden by the file" "$out" "aws-ofi-nccl provider efa (fabric efa), 32 NICs (libfabric.forbid_providers)"
# the real line users posted (NVIDIA/nccl#1597): "Selected Provider is efa (found 16 nics)"
expect_eq "explain: the corpus line (aws-ofi-nccl 1.6-1.13 shape)" \
    "$("$CLI" explain --json tests/corpus/nccl/nccl-1597-ofi-provider.log | js)" "None:None:None:ok efa:None:16:ok"

# the same log, written by the NCCL double while the shim judged it in-process
out=$(FG_NCCL_DOUBLE_SCENARIO=ofi_tcp NCCL_DEBUG=INFO NCCL_DEBUG_FILE="$TMP/nccl.%p.log" LD_LIBRARY_PATH=$DOUBLES \
      FABGUARD_LOG=$TMP/ev.jsonl with_shim "$PROGS/nccl_init" 1 2>&1)
expect_contains "shim (double, ofi_tcp): caught in-process" "$out" "VIOLATION nccl comm aws-ofi-nccl provider tcp (fabric 10.0.0.0/24), 1 NIC (libfabric.forbid_providers"
expect_contains "shim (double, ofi_tcp): the user's NCCL_DEBUG_FILE still gets the plugin's lines" "$(cat "$TMP"/nccl.*.log)" "NET/OFI Selected provider is tcp, fabric is 10.0.0.0/24 (found 1 nics)"
out=$("$CLI" explain "$TMP"/nccl.*.log); rc=$?
expect_eq "explain on the double's log: same verdict as the shim (exit 1)" "$rc" "1"
expect_contains "explain on the double's log: same rule" "$out" "aws-ofi-nccl provider tcp (fabric 10.0.0.0/24), 1 NIC (libfabric.forbid_providers)"
