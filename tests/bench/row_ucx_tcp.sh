# Judging an endpoint vs creating it: 3000 ucp_ep_create over tcp, time
# spent inside ucp_ep_create (ucx_ep -T), plain vs under the shim,
# run in back-to-back pairs, median of 11 ratios; on Debian's UCX 1.13 and, when `make stack` built
# it, on UCX 1.22. Target <= 1.05 (issue 12 item 8).
B=${FG_BUILD:-build}
STACK=${FG_STACK:-/var/cache/fabguard/stack/current}
python3 - "$B" "$STACK" <<'PY'
import os, re, statistics, subprocess, sys
B, STACK = sys.argv[1], sys.argv[2]
EP, SHIM = os.path.abspath(f"{B}/tests/progs/ucx_ep"), os.path.abspath(f"{B}/libfabguard.so")

def one(preload, libdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FABGUARD_", "UCX_", "LD_"))}
    env.update(UCX_TLS="tcp", FABGUARD_LOG="")
    if preload:
        env["LD_PRELOAD"] = preload
    if libdir:
        env["LD_LIBRARY_PATH"] = libdir
    out = subprocess.run([EP, "-n", "3000", "-T"], env=env, capture_output=True, text=True, timeout=600).stdout
    return float([l for l in out.splitlines() if l.startswith("create_us")][0].split()[1])

def version(libdir):
    env = dict(os.environ, LD_LIBRARY_PATH=libdir) if libdir else os.environ
    info = os.path.join(libdir, "../bin/ucx_info") if libdir else "ucx_info"
    try:
        out = subprocess.run([info, "-v"], env=env, capture_output=True, text=True).stdout
        return re.search(r"\d+\.\d+\.\d+", out).group(0)
    except Exception:
        return "?"

targets = [("1.13", None)]
if os.path.exists(os.path.join(STACK, "READY")) and os.path.isdir(os.path.join(STACK, "ucx/lib")):
    targets.append(("1.22", os.path.join(STACK, "ucx/lib")))
else:
    print("ROW|ucx_3000_tcp_endpoints_1.22|nan|not measured: no complete stack cache at %s (make stack)" % STACK)
for label, libdir in targets:
    try:
        a, b = [], []
        for _ in range(11):   # pairs back to back: load drift hits both
            a.append(one(None, libdir))
            b.append(one(SHIM, libdir))
        ratio = statistics.median(y / x for x, y in zip(a, b))
        print("ROW|ucx_3000_tcp_endpoints_%s|%.3f|UCX %s: ucp_ep_create x3000 over tcp, median of 11 paired ratios"
              " (best: %.1f ms plain, %.1f ms shim; target <= 1.05)"
              % (label, ratio, version(libdir), min(a) / 1e3, min(b) / 1e3))
    except Exception as exc:
        print("ROW|ucx_3000_tcp_endpoints_%s|nan|failed: %s" % (label, exc))
PY
