# Sourced by every end-to-end script. Prints one "ok - NAME",
# "not ok - NAME" or "skip - NAME: why" line per check; tests/run.sh counts.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
B=${FG_BUILD:-build}
SHIM=$PWD/$B/libfabguard.so
CLI=$PWD/$B/fabguard
PROGS=$PWD/$B/tests/progs
DOUBLES=$PWD/$B/tests/doubles
EMPTY_SO=$PWD/$B/tests/empty.so
FIX=$PWD/tests/fixtures
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
TMP=$(mktemp -d /tmp/fg-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# Keep a developer's own settings out of the tests.
unset FABGUARD_POLICY FABGUARD_MODE FABGUARD_LOG FABGUARD_ON_VIOLATION \
      FABGUARD_ONLY_PROGRAMS FABGUARD_SKIP_PROGRAMS FABGUARD_MANAGEMENT_IFACES \
      UCX_TLS UCX_NET_DEVICES NCCL_DEBUG NCCL_DEBUG_FILE NCCL_DEBUG_SUBSYS

pass() { echo "ok - $1"; }
fail() { echo "not ok - $1${2:+: $2}"; }
skip() { echo "skip - $1: $2"; }
# check NAME cmd… : ok when cmd succeeds
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi; }
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got [$2] want [$3]"; fi; }
expect_contains() {
    if printf '%s' "$2" | grep -qF -- "$3"; then pass "$1"; else fail "$1" "[$3] not in output: $(printf '%s' "$2" | head -c 600)"; fi
}
expect_not_contains() {
    if printf '%s' "$2" | grep -qF -- "$3"; then fail "$1" "[$3] unexpectedly in output"; else pass "$1"; fi
}
# LD_PRELOAD value for a library: under SANITIZE=1 the ASan runtime must
# come first in a process that was not built with it.
preload_of() {
    if [ "${FG_SANITIZE:-0}" = 1 ]; then
        echo "$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so):$1"
    else
        echo "$1"
    fi
}
with_shim() { LD_PRELOAD=$(preload_of "$SHIM") "$@"; }
# A TCP port on 127.0.0.1 nobody holds right now.
# Chosen below the kernel's ephemeral range: a client that retries against a
# port nobody listens on yet (pair's "client before server") would otherwise
# now and then get that very port as its source and connect to itself,
# leaving the server's bind EADDRINUSE.
free_port() {
    python3 -c '
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    p = random.randrange(10000, max(lo, 10001))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
'
}
have_nccl() { [ -e "$CUDA_HOME/lib/libnccl.so.2" ] || [ -e "$CUDA_HOME/lib64/libnccl.so.2" ]; }
is_root() { [ "$(id -u)" = 0 ]; }
if [ "${FG_SANITIZE:-0}" = 1 ]; then
    export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0"
fi
# ep_verdicts LOG -> the distinct "verdict rule" of its endpoint events,
# sorted, ";"-joined ("" when LOG does not exist)
ep_verdicts() {
    python3 - "$1" <<'PY'
import json, os, sys
seen = set()
if os.path.exists(sys.argv[1]):
    for l in open(sys.argv[1]):
        e = json.loads(l)
        if e["event"] == "endpoint":
            seen.add(e["verdict"] + " " + e.get("rule", "-"))
print(";".join(sorted(seen)))
PY
}
# count_events LOG PYTHON-EXPR -> how many events of LOG make EXPR (over e)
# true (0 when LOG does not exist)
count_events() {
    python3 - "$1" "$2" <<'PY'
import json, os, sys
n = 0
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1]):
        e = json.loads(line)
        n += bool(eval(sys.argv[2], {}, {"e": e}))
print(n)
PY
}
