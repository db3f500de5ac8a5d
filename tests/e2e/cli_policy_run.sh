# fabguard --help/--version, `fabguard policy` (validation, sources,
# precedence, exit codes) and `fabguard run` (preload, policy checked first).
source "$(dirname "$0")/lib.sh"

out=$("$CLI" --help); rc=$?
expect_eq "--help exits 0" "$rc" "0"
for c in node env policy explain run pair report; do
    expect_contains "--help lists $c" "$out" "  $c "
    "$CLI" "$c" --help >/dev/null 2>&1; expect_eq "fabguard $c --help exits 0" "$?" "0"
done
expect_contains "--version" "$("$CLI" --version)" "fabguard "
"$CLI" frobnicate 2>/dev/null; expect_eq "unknown command exits 2" "$?" "2"

cat > "$TMP/p.ini" <<'INI'
; staging
[fabguard]
mode = enforce
on_violation = fail   # refuse, let the app report it

[ucx]
forbid_transports = tcp, ud*
allow_devices = mlx5_*
INI
out=$("$CLI" policy "$TMP/p.ini"); rc=$?
expect_eq "valid policy exits 0" "$rc" "0"
expect_contains "value from file with line" "$out" "$(printf 'on_violation = fail')"
expect_contains "file:line source" "$out" "p.ini:4"
expect_contains "default source" "$out" "require_net = any"
out=$(FABGUARD_MODE=warn FABGUARD_UCX_ALLOW_DEVICES='mlx5_0:1' "$CLI" policy "$TMP/p.ini")
expect_contains "environment beats file" "$out" "mode = warn"
expect_contains "environment source named" "$out" "# environment FABGUARD_MODE"
expect_contains "environment list override" "$out" "allow_devices = mlx5_0:1"
out=$(FABGUARD_POLICY=$TMP/p.ini "$CLI" policy)
expect_contains "FABGUARD_POLICY used when no FILE" "$out" "mode = enforce"

bad() {  # bad NAME CONTENT EXPECTED-MESSAGE
    printf "$2" > "$TMP/bad.ini"
    msg=$("$CLI" policy "$TMP/bad.ini" 2>&1); rc=$?
    expect_eq "$1: exit 2" "$rc" "2"
    expect_contains "$1: message" "$msg" "$3"
}
bad "unknown key" '[ucx]\nallow_device = x\n' "bad.ini:2: unknown key 'allow_device' in [ucx] (did you mean 'allow_devices'?)"
bad "unknown section" '[uxc]\n' "bad.ini:1: unknown section [uxc] (did you mean [ucx]?)"
bad "bad mode" '[fabguard]\n\nmode = loud\n' "bad.ini:3: fabguard.mode: bad value 'loud' (expected off, log, warn or enforce)"
bad "key outside a section" 'mode = warn\n' "bad.ini:1: key 'mode' before any [section]"
bad "missing =" '[nccl]\nrequire_net IB\n' "bad.ini:2: expected 'key = value'"
bad "duplicate key" '[nccl]\nrequire_net = IB\nrequire_net = Socket\n' "bad.ini:3: duplicate key 'require_net' (first set on line 2)"
bad "key in the wrong section" '[ucx]\nrequire_net = IB\n' "it belongs in [nccl]"
msg=$("$CLI" policy "$TMP/missing.ini" 2>&1); expect_eq "missing file: exit 2" "$?" "2"
expect_contains "missing file: named" "$msg" "missing.ini: cannot open policy"
msg=$("$CLI" policy "$TMP" 2>&1); expect_eq "directory: exit 2" "$?" "2"
expect_contains "directory: refused" "$msg" "not a regular file"
msg=$(FABGUARD_ON_VIOLATION=explode "$CLI" policy 2>&1); expect_eq "bad env value: exit 2" "$?" "2"
expect_contains "bad env value: named" "$msg" "environment: FABGUARD_ON_VIOLATION: bad value 'explode'"
msg=$(FABGUARD_MODEE=warn "$CLI" policy 2>&1); expect_eq "unknown FABGUARD_ variable: exit 2" "$?" "2"
expect_contains "unknown FABGUARD_ variable: did-you-mean" "$msg" "did you mean FABGUARD_MODE?"

# run: preloads the shim, passes the exit status through, refuses a bad policy first
out=$("$CLI" run -- sh -c 'echo "$LD_PRELOAD"; exit 7'); rc=$?
expect_eq "run: command's exit status" "$rc" "7"
expect_contains "run: shim preloaded" "$out" "libfabguard.so"
out=$(LD_PRELOAD=/nonexistent-keep.so "$CLI" run -- sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)
expect_contains "run: existing LD_PRELOAD kept" "$out" ":/nonexistent-keep.so"
out=$("$CLI" run --mode log --policy "$TMP/p.ini" -- sh -c 'echo "$FABGUARD_MODE $FABGUARD_POLICY"')
expect_eq "run: --mode and --policy exported" "$out" "log $TMP/p.ini"
msg=$("$CLI" run --policy "$TMP/bad.ini" -- true 2>&1); rc=$?
expect_eq "run: broken policy refused before running" "$rc" "2"
msg=$("$CLI" run -- /nonexistent/cmd 2>&1); expect_eq "run: missing command exit 2" "$?" "2"
"$CLI" run 2>/dev/null; expect_eq "run: no command exit 2" "$?" "2"
out=$(UCX_TLS=tcp "$CLI" run --mode warn -- "$PROGS/ucx_ep" -n 1 2>&1)
expect_contains "run: a UCX program is checked" "$out" "]: VIOLATION ucx endpoint"
# run checks FABGUARD_* names as the shim does (issue 13 item 22): a name the
# shim would refuse inside the job is refused before the job starts.
msg=$(FABGUARD_MODEE=enforce "$CLI" run -- sh -c 'echo started' 2>&1); rc=$?
expect_eq "run: unknown FABGUARD_ name refused before running (exit 2)" "$rc" "2"
expect_contains "run: unknown FABGUARD_ name named, with did-you-mean" "$msg" "unknown variable FABGUARD_MODEE (did you mean FABGUARD_MODE?)"
expect_not_contains "run: the command did not start" "$msg" "started"
shim_msg=$(FABGUARD_MODEE=enforce FABGUARD_LOG=stderr LD_PRELOAD=$(preload_of "$SHIM") "$PROGS/ucx_ep" -n 1 2>&1)
expect_contains "run: the shim refuses the same name" "$shim_msg" "FABGUARD_MODEE"
out=$("$CLI" run --policy="$TMP/p.ini" -- sh -c 'echo "$FABGUARD_POLICY"')
expect_eq "run: --policy=FILE form" "$out" "$TMP/p.ini"
