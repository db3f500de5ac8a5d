# A child forked while another thread is inside the shim's first intercepted
# call must not inherit a held lock (it would block for ever). 30 fresh
# processes, each forking 16 children during its first call; a child that
# does not finish its own call within 20 s counts as hung.
source "$(dirname "$0")/lib.sh"
out=$(with_shim "$PROGS/safety_forkinit" 30 16 40 20 2>&1); rc=$?
expect_eq "fork during first call: program ran" "$rc" "0"
expect_eq "fork during first call: no child hangs" "$out" "forked 480 hung 0"
# the same with a policy that makes init do real work (event log, warn)
out=$(FABGUARD_MODE=warn FABGUARD_LOG=$TMP/ev.%p.jsonl with_shim "$PROGS/safety_forkinit" 30 16 40 20 2>&1)
expect_eq "fork during first call (warn, event log): no child hangs" "$out" "forked 480 hung 0"
