# mode=off is pure pass-through and cheap (resolutions are cached per call
# site; make bench row ucx_call_mode_off measures it). The cache must follow
# the loader: a plugin unloaded with its libucp and loaded again (new
# addresses) still reaches the real UCX, in off and in warn mode.
source "$(dirname "$0")/lib.sh"
export UCX_TLS=self,sm
out=$(FABGUARD_MODE=off FABGUARD_LOG=$TMP/off.jsonl with_shim "$B/tests/bench/mode_calls" 2000 2>&1); rc=$?
expect_eq "mode=off: wrapped calls on a worker work" "$rc" "0"
expect_eq "mode=off: nothing written" "$(cat "$TMP/off.jsonl" 2>/dev/null)" ""
for m in off warn; do
    out=$(FABGUARD_MODE=$m FABGUARD_LOG=$TMP/re.$m.jsonl with_shim python3 -c '
import ctypes, _ctypes, sys
for i in range(3):
    h = ctypes.CDLL(sys.argv[1]); print(h.fg_plugin_run()); _ctypes.dlclose(h._handle)
print("libucp mapped at the end:", open("/proc/self/maps").read().count("libucp.so"))
' "$PROGS/libucx_plugin.so" 2>&1)
    expect_eq "mode=$m: plugin (and its libucp) unloaded and reloaded 3 times" "$out" "0
0
0
libucp mapped at the end: 0"
done
expect_eq "warn: the three reloads were each observed" "$(grep -c '"event":"context"' "$TMP/re.warn.jsonl")" "3"
