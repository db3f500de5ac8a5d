# The shim with the REAL libnccl 2.28.9 at $CUDA_HOME/lib. Without a GPU it
# bootstraps, then fails on CUDA: that is exactly what is tested here —
# results and error codes unchanged, the bootstrap interface observed, each
# user logging case byte-compared with and without the shim, no leaked
# environment or descriptors, repeated init. Everything past CUDA is tested
# with the double (nccl_double.sh).
source "$(dirname "$0")/lib.sh"
if ! have_nccl; then skip "real libnccl" "no libnccl.so.2 under $CUDA_HOME"; exit 0; fi
LIBDIR=$CUDA_HOME/lib; [ -e "$LIBDIR/libnccl.so.2" ] || LIBDIR=$CUDA_HOME/lib64
P="$PROGS/nccl_init"
norm() { sed -E 's/^\[[0-9 :-]+\] //; s/^[^ :]+:[0-9]+:[0-9]+ /HOST:P:T /' | grep -v '^fabguard[:[]'; }
run_plain() { LD_LIBRARY_PATH=$LIBDIR "$P" "$@" 2>&1; }
run_shim() { LD_LIBRARY_PATH=$LIBDIR FABGUARD_LOG=$TMP/ev.jsonl with_shim "$P" "$@" 2>&1; }

a=$(run_plain 2); b=$(run_shim 2)
expect_eq "results and error codes unchanged (2 inits)" "$(echo "$b" | grep -E '^(getUniqueId|init)')" "$(echo "$a" | grep -E '^(getUniqueId|init)')"
expect_contains "real init fails on CUDA as without the shim" "$b" "init 1 (unhandled cuda error"
expect_contains "bootstrap interface observed" "$(cat "$TMP/ev.jsonl")" '"bootstrap_iface":"'
expect_eq "one comm event per init" "$(grep -c '"event":"comm"' "$TMP/ev.jsonl")" "2"
mgmt=$(awk '$2=="00000000"{print $1; exit}' /proc/net/route)
if [ -n "$mgmt" ]; then
    expect_contains "bootstrap on the management NIC flagged" "$b" "bootstrap on $mgmt (management NIC)"
fi
for case in "" "NCCL_DEBUG=WARN" "NCCL_DEBUG=INFO" "NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=ENV,BOOTSTRAP" "NCCL_DEBUG=VERSION"; do
    a=$(env $case LD_LIBRARY_PATH=$LIBDIR "$P" 1 2>&1 | norm)
    b=$(env $case LD_LIBRARY_PATH=$LIBDIR LD_PRELOAD="$(preload_of "$SHIM")" "$P" 1 2>&1 | norm)
    expect_eq "user NCCL output unchanged: ${case:-NCCL_DEBUG unset}" "$b" "$a"
done
rm -f "$TMP"/dbg.*
NCCL_DEBUG=INFO NCCL_DEBUG_FILE=$TMP/dbg.plain.%p LD_LIBRARY_PATH=$LIBDIR "$P" 1 >/dev/null 2>&1
NCCL_DEBUG=INFO NCCL_DEBUG_FILE=$TMP/dbg.shim.%p LD_LIBRARY_PATH=$LIBDIR with_shim "$P" 1 >/dev/null 2>&1
expect_eq "user NCCL_DEBUG_FILE (with %p) gets the same lines" "$(cat "$TMP"/dbg.shim.* | norm)" "$(cat "$TMP"/dbg.plain.* | norm)"
a=$(FG_SHOW_CHILD=1 LD_LIBRARY_PATH=$LIBDIR "$P" 1 2>/dev/null | tail -2 | tr '\n' ' ')
b=$(FG_SHOW_CHILD=1 LD_LIBRARY_PATH=$LIBDIR with_shim "$P" 1 2>/dev/null | tail -2 | tr '\n' ' ')
expect_eq "child process: same NCCL_* variables (none leaked) and same descriptor count" "$b" "$a"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_MANAGEMENT_IFACES=none LD_LIBRARY_PATH=$LIBDIR with_shim "$P" 1 2>&1)
expect_contains "nothing to refuse: the real error passes through" "$out" "init 1 (unhandled cuda error"
