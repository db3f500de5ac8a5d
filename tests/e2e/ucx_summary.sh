# The exit summary tells a process that loaded libucp and never used it
# (ucx_info -v: no summary at all) from one whose UCX use the preload did
# not see (dlsym on a library handle: "bypassed", not checked) and from one
# whose ucp_init failed (UCX never came up: not "bypassed").
source "$(dirname "$0")/lib.sh"

rm -f "$TMP/v.jsonl"
out=$(FABGUARD_LOG=$TMP/v.jsonl with_shim ucx_info -v 2>&1); rc=$?
expect_eq "ucx_info -v (libucp linked, no context): unaffected" "$rc $(echo "$out" | head -1)" "0 # Version $(ucx_info -v | head -1 | awk '{print $3}')"
expect_eq "ucx_info -v: no false 'not checked' summary (no event at all)" "$(cat "$TMP/v.jsonl" 2>/dev/null)" ""

rm -f "$TMP/b.jsonl"
FABGUARD_LOG=$TMP/b.jsonl with_shim python3 - <<'PY' >"$TMP/b.out" 2>&1
import ctypes
ucp = ctypes.CDLL("libucp.so.0")            # dlsym on this handle skips the preload
params = (ctypes.c_uint64 * 64)()
params[0] = 1                               # UCP_PARAM_FIELD_FEATURES
params[1] = 2                               # UCP_FEATURE_TAG
ctx = ctypes.c_void_p()
st = ucp.ucp_init_version(1, 13, params, None, ctypes.byref(ctx))
print("init", st)
ucp.ucp_cleanup(ctx)
PY
expect_contains "python ctypes, dlsym on the libucp handle: UCX used" "$(cat "$TMP/b.out")" "init 0"
sum=$(grep '"event":"summary"' "$TMP/b.jsonl")
expect_contains "dlsym bypass: summary says bypassed" "$sum" 'bypassed: UCX created a context the preload did not see'
expect_contains "dlsym bypass: libucp listed as not checked" "$sum" '"unobserved":["libucp.so.0"]'

rm -f "$TMP/f.jsonl"
out=$(UCX_TLS=no_such_transport FABGUARD_LOG=$TMP/f.jsonl with_shim "$PROGS/ucx_ep" -n 1 2>/dev/null)
expect_contains "failed ucp_init: the application sees UCX's own error" "$out" "failed 1 status No such device (context)"
sum=$(grep '"event":"summary"' "$TMP/f.jsonl")
expect_contains "failed ucp_init: summary says so" "$sum" '"detail":"ucp_init failed (UCS status -14)'
expect_contains "failed ucp_init: not listed as bypassed/unchecked" "$sum" '"unobserved":[]'
