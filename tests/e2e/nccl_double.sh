# The shim with tests/doubles/libnccl.c, which stands in for NCCL past CUDA
# (IB with/without GDR, RoCE, Socket fallback, a net plugin, lazy
# connections, several communicators) and writes NCCL's real line formats
# through NCCL's own debug environment. See the double's header comment.
source "$(dirname "$0")/lib.sh"
P="$PROGS/nccl_init"
export FG_NCCL_NRANKS=3   # the double's channel lines name ring neighbours of rank 0 of 3
run() {  # run SCENARIO args… (env from caller)
    local s=$1; shift
    rm -f "$TMP/ev.jsonl"
    FG_NCCL_DOUBLE_SCENARIO=$s LD_LIBRARY_PATH=$DOUBLES FABGUARD_LOG=$TMP/ev.jsonl with_shim "$P" "$@" 2>&1
}
ev() { python3 -c 'import json,sys; [print(e["event"], e["verdict"], e.get("rule","-"), e.get("net",""), e.get("comm","")) for e in map(json.loads, open(sys.argv[1])) if e["lib"]=="nccl"]' "$TMP/ev.jsonl"; }

out=$(run ib_gdr 1)
expect_eq "IB + GDR: clean" "$(echo "$out" | grep -c VIOLATION)" "0"
expect_contains "IB + GDR: comm event with net IB" "$(ev)" "comm ok - IB 0x"
out=$(run socket 1)
expect_contains "Socket fallback caught (warn)" "$out" "uses NET/Socket/0 (nccl.forbid_transports=NET/Socket)"
expect_contains "Socket fallback: application unaffected in warn" "$out" "init 0 (no error)"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail run socket 1)
expect_contains "Socket fallback, enforce+fail: ncclSystemError" "$out" "init 2 (unhandled system error)"
expect_contains "Socket fallback, enforce+fail: ncclGetLastError explains" "$out" "last: fabguard: communicator refused by policy"
FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=exit run socket 1 >/dev/null; expect_eq "Socket fallback, enforce+exit: status 3" "$?" "3"
FABGUARD_MODE=enforce run socket 1 >/dev/null; expect_eq "Socket fallback, enforce+abort: SIGABRT" "$?" "134"
out=$(FABGUARD_NCCL_GPU_DIRECT_RDMA=require run ib_nogdr 1)
expect_contains "IB without GDR, gdr required: caught" "$out" "(nccl.gpu_direct_rdma=require)"
out=$(run ib_nogdr 1)
expect_eq "IB without GDR, default policy: clean" "$(echo "$out" | grep -c VIOLATION)" "0"
out=$(FABGUARD_NCCL_ALLOW_HCAS=mlx5_0 run roce 1)
expect_contains "RoCE: HCA outside allow_hcas caught" "$out" "NET device mlx5_1:1 is outside allow_hcas"
out=$(FABGUARD_NCCL_REQUIRE_NET=IB run plugin 1)
expect_contains "net plugin with spaces vs require_net=IB" "$out" "using network AWS Libfabric, policy requires IB"
out=$(run lazy_socket 1 collective)
expect_contains "lazy connections: judged when they arrive" "$(ev)" "channel violation nccl.forbid_transports"
expect_contains "lazy connections: init itself was clean of channels" "$(ev | head -1)" "comm violation fabguard.management_ifaces"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_MANAGEMENT_IFACES=none run lazy_socket 1 collective)
expect_contains "lazy + fail: the next call on that comm returns ncclSystemError" "$out" "allreduce 0 split 2 last: fabguard: communicator"
out=$(run lazy_ib 3 collective)
expect_eq "several communicators: each has its own verdict" "$(ev | grep -c '^comm ok')" "6"
expect_eq "several communicators: distinct comm ids" "$(ev | grep '^comm' | awk '{print $5}' | sort -u | wc -l)" "6"
for lvl in "" WARN INFO; do
    a=$(env ${lvl:+NCCL_DEBUG=$lvl} FG_NCCL_DOUBLE_SCENARIO=socket LD_LIBRARY_PATH=$DOUBLES "$P" 1 2>&1 | sed -E 's/:[0-9]+:[0-9]+ /:P:T /; s/0x[0-9a-f]+/PTR/g')
    b=$(env ${lvl:+NCCL_DEBUG=$lvl} FG_NCCL_DOUBLE_SCENARIO=socket LD_LIBRARY_PATH=$DOUBLES LD_PRELOAD="$(preload_of "$SHIM")" "$P" 1 2>&1 | grep -v '^fabguard[:[]' | sed -E 's/:[0-9]+:[0-9]+ /:P:T /; s/0x[0-9a-f]+/PTR/g')
    expect_eq "double: user output unchanged with NCCL_DEBUG=${lvl:-unset}" "$b" "$a"
done

# NCCL used before the first communicator: its debug settings were already
# read (with the user's NCCL_DEBUG unset); ncclResetDebugInit makes NCCL read
# the capture settings, so the communicator is still observed
out=$(run socket 1 early)
expect_contains "NCCL called before the first communicator: still captured" "$out" "uses NET/Socket/0 (nccl.forbid_transports=NET/Socket)"
expect_contains "NCCL called before the first communicator: app unaffected" "$out" "memAlloc 0"
# a flood of INFO lines through the capture pipe: no hang, nothing lost
s=$(date +%s)
out=$(FG_NCCL_DOUBLE_SCENARIO=socket_flood LD_LIBRARY_PATH=$DOUBLES NCCL_DEBUG=INFO LD_PRELOAD="$(preload_of "$SHIM")" "$P" 1 2>/dev/null)
expect_eq "INFO flood through the capture pipe: every line forwarded" "$(echo "$out" | grep -c 'NCCL INFO flood line')" "200000"
expect_contains "INFO flood: verdict still reached" "$(FG_NCCL_DOUBLE_SCENARIO=socket_flood LD_LIBRARY_PATH=$DOUBLES with_shim "$P" 1 2>&1 >/dev/null)" "nccl.forbid_transports"
[ $(( $(date +%s) - s )) -lt 60 ] && pass "INFO flood: no stall" || fail "INFO flood: took too long"
# fork while another thread is in the middle of a communicator init
out=$(FG_NCCL_DOUBLE_SCENARIO=ib_gdr_flood LD_LIBRARY_PATH=$DOUBLES FABGUARD_LOG=$TMP/fk.%p.jsonl timeout 60 env LD_PRELOAD="$(preload_of "$SHIM")" "$PROGS/nccl_fork" 2>&1); rc=$?
expect_eq "fork during a communicator init: both sides finish normally" "$rc $out" "0 parent ok child status 0"
expect_contains "fork during init: the child's events carry fork_parent" "$(cat "$TMP"/fk.*.jsonl)" '"fork_parent":'

# aws-ofi-nccl (NCCL's net plugin over libfabric): its "NET/OFI Selected
# provider" line is judged by the shim's NCCL reader under [libfabric]
out=$(run ofi_efa 1)
expect_eq "aws-ofi-nccl on efa: clean" "$(echo "$out" | grep -c VIOLATION)" "0"
expect_contains "aws-ofi-nccl on efa: comm event with net Libfabric" "$(ev)" "comm ok - Libfabric 0x"
out=$(run ofi_tcp 1)
expect_contains "aws-ofi-nccl on tcp caught (warn)" "$out" "aws-ofi-nccl provider tcp (fabric 10.0.0.0/24), 1 NIC (libfabric.forbid_providers="
expect_contains "aws-ofi-nccl on tcp: comm event names the rule" "$(ev)" "comm violation libfabric.forbid_providers Libfabric 0x"
expect_contains "aws-ofi-nccl on tcp: application unaffected in warn" "$out" "init 0 (no error)"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail run ofi_tcp 1)
expect_contains "aws-ofi-nccl on tcp, enforce+fail: ncclSystemError" "$out" "init 2 (unhandled system error)"
expect_contains "aws-ofi-nccl on tcp, enforce+fail: the refusal names the rule" "$out" "communicator refused by policy (libfabric.forbid_providers)"
out=$(FABGUARD_LIBFABRIC_FORBID_PROVIDERS=sockets run ofi_tcp 1)
expect_eq "aws-ofi-nccl on tcp with tcp allowed: clean" "$(echo "$out" | grep -c VIOLATION)" "0"
out=$(FABGUARD_LIBFABRIC_FORBID_PROVIDERS=efa run ofi_efa 1)
expect_contains "aws-ofi-nccl: the [libfabric] policy is the one applied (efa forbidden)" "$out" "aws-ofi-nccl provider efa (fabric efa), 4 NICs"
