# The shim in processes that never use UCX/NCCL: same output, same
# environment, no thread started, no file opened — compared with an empty
# shared object preloaded the same way. Also with a broken policy in enforce
# mode: a shell in the pod must still start.
source "$(dirname "$0")/lib.sh"

# What a process did: its files opened and threads started (strace).
trace_of() {  # trace_of PRELOAD cmd… -> prints sorted opened paths + clone count
    local pre=$1; shift
    LD_PRELOAD=$(preload_of "$pre") strace -f -qq -o "$TMP/trace" -e trace=openat,open,clone,clone3 "$@" >/dev/null 2>&1
    grep -oE 'open(at)?\([^"]*"[^"]*"' "$TMP/trace" | sed 's/.*"\(.*\)"/\1/' |
        grep -v -e "$pre" -e "$(basename "$pre")" | sort -u
    echo "clones $(grep -cE 'clone3?\(' "$TMP/trace")"
}

run_cases() {  # run_cases LABEL  (environment already set by caller)
    local label=$1 name cmd
    for name in bash python3 true threads; do
        case $name in
            bash) cmd=(bash -c 'echo hello; echo "$((6*7))"');;
            python3) cmd=(python3 -c 'import os,sys; print(sorted(k for k in os.environ if k.startswith("FABGUARD"))); print(sys.version_info[0])');;
            true) cmd=(/bin/true);;
            threads) cmd=("$PROGS/threads");;
        esac
        a=$(LD_PRELOAD=$(preload_of "$EMPTY_SO") "${cmd[@]}" 2>&1; echo "rc $?")
        b=$(with_shim "${cmd[@]}" 2>&1; echo "rc $?")
        expect_eq "$label: $name prints the same" "$b" "$a"
        if command -v strace >/dev/null && [ "${FG_SANITIZE:-0}" != 1 ]; then
            ta=$(trace_of "$EMPTY_SO" "${cmd[@]}")
            tb=$(trace_of "$SHIM" "${cmd[@]}")
            expect_eq "$label: $name opens the same files and starts the same threads" "$tb" "$ta"
        else
            skip "$label: $name strace comparison" "strace unavailable or sanitizer build"
        fi
    done
    ea=$(LD_PRELOAD=$(preload_of "$EMPTY_SO") env | grep -v '^LD_PRELOAD=' | sort)
    eb=$(with_shim env | grep -v '^LD_PRELOAD=' | sort)
    expect_eq "$label: environment seen by a child is identical" "$eb" "$ea"
}

run_cases "default policy"

printf '[fabguard]\nmode = enforce\n[ucx]\nforbid_transportz = tcp\n' > "$TMP/broken.ini"
export FABGUARD_POLICY=$TMP/broken.ini FABGUARD_MODE=enforce
run_cases "enforce + broken policy"
unset FABGUARD_POLICY FABGUARD_MODE

# The library exports exactly the wrapped names (version script).
exports=$(nm -D --defined-only "$SHIM" | awk '{print $3}' | grep -v '^_' | sort)
bad=$(echo "$exports" | grep -vE '^(ucp_|nccl|getenv$|fabguard_selftest_probe$|fabguard_audit_gate$|fi_(getinfo|fabric)@@?FABRIC_1\.[0-3]$|FABRIC_1\.[0-3]$)' || true)
expect_eq "exports only wrapped names (UCX/NCCL control path, getenv for NCCL's debug settings)" "$bad" ""
datapath=$(echo "$exports" | grep -E 'ucp_(tag|stream|am|put|get|atomic|worker_progress|ep_flush|worker_flush)|nccl(AllReduce|Broadcast|Reduce|AllGather|ReduceScatter|Send|Recv|Group)' || true)
expect_eq "no data-path symbol is wrapped" "$datapath" ""
deps=$(ldd "$SHIM" | awk '{print $1}' | grep -vE '^(linux-vdso|/lib64/ld-linux|libc\.so|libdl\.so|libpthread\.so|libasan|libubsan|libm\.so|libgcc_s|libstdc)' || true)
expect_eq "ldd shows only libc/libdl/libpthread" "$deps" ""
