"""fabguard benchmarks: every number is a ratio against a baseline measured
in the same run (never an absolute timing assertion). Built-in rows cover
the foundation and UCX; tests/bench/row_*.sh add rows by printing
`ROW|name|ratio|detail` lines."""
import glob, json, os, resource, statistics, subprocess, sys, time

B = sys.argv[1] if len(sys.argv) > 1 else "build"
SHIM = os.path.abspath(f"{B}/libfabguard.so")
EMPTY = os.path.abspath(f"{B}/tests/empty.so")
EP = os.path.abspath(f"{B}/tests/progs/ucx_ep")
rows = []

def env_with(preload=None, **extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("FABGUARD_", "UCX_"))}
    e.pop("LD_PRELOAD", None)
    if preload:
        e["LD_PRELOAD"] = preload
    e.update(extra)
    return e

def spawn_time(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t

def row(name, ratio, detail):
    rows.append({"name": name, "ratio": round(ratio, 3), "detail": detail})

def bench_load():
    # alternate the two so drift hits both equally; best of many runs
    a, b = [], []
    for _ in range(300):
        a.append(spawn_time(["/bin/true"], env_with(EMPTY)))
        b.append(spawn_time(["/bin/true"], env_with(SHIM)))
    row("load_vs_empty_so", min(b) / min(a),
        f"/bin/true best of 300: empty.so {min(a)*1e6:.0f} us, libfabguard.so {min(b)*1e6:.0f} us (target <= 1.05)")

def ucx_ep_run(preload, n, tls):
    out = subprocess.run([EP, "-n", str(n), "-T"], env=env_with(preload, UCX_TLS=tls, FABGUARD_LOG=""),
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("create_us"):
            return float(line.split()[1])
    raise RuntimeError("ucx_ep printed no timing: " + out)

def bench_endpoints():
    a, b = [], []
    for _ in range(5):
        a.append(ucx_ep_run(None, 3000, "self,sm"))
        b.append(ucx_ep_run(SHIM, 3000, "self,sm"))
    row("ucx_3000_endpoints", min(b) / min(a),
        f"ucp_ep_create x3000 over shm, best of 5: {min(a)/1e3:.1f} ms plain, {min(b)/1e3:.1f} ms shim (target <= 1.10)")

def maxrss(preload, n):
    cmd = [sys.executable, "-c",
           "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", EP, "-n", str(n)]
    return int(subprocess.run(cmd, env=env_with(preload, UCX_TLS="self,sm", FABGUARD_LOG=""),
                              capture_output=True, text=True).stdout.strip())

def bench_memory():
    n = 3000
    plain = min(maxrss(None, n) for _ in range(3))
    shim = min(maxrss(SHIM, n) for _ in range(3))
    per_ep = max(0, (shim - plain) * 1024 / n)
    row("ucx_memory_per_endpoint", shim / plain,
        f"max RSS with {n} endpoints: {plain} KiB plain, {shim} KiB shim -> {per_ep:.0f} bytes added per endpoint")

def perftest(preload, test):
    port = str(20000 + os.getpid() % 20000)
    env = env_with(preload, UCX_TLS="self,sm,tcp")
    srv = subprocess.Popen(["ucx_perftest", "-p", port], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    out = subprocess.run(["ucx_perftest", "127.0.0.1", "-p", port, "-t", test, "-n", "20000", "-s", "8" if test == "tag_lat" else "1048576"],
                         env=env, capture_output=True, text=True, timeout=120).stdout
    srv.wait(timeout=30)
    final = [l for l in out.splitlines() if l.startswith("Final:")]
    if not final:
        raise RuntimeError("ucx_perftest printed no Final line")
    f = final[0].split()
    return float(f[4]) if test == "tag_lat" else float(f[7])   # latency avg (us) / bandwidth avg (MB/s)

def bench_perftest():
    try:
        lat = [(perftest(None, "tag_lat"), perftest(SHIM, "tag_lat")) for _ in range(3)]
        bw = [(perftest(None, "tag_bw"), perftest(SHIM, "tag_bw")) for _ in range(3)]
    except Exception as exc:   # perftest missing or failed: say so, do not invent a number
        row("ucx_perftest", float("nan"), f"not measured: {exc}")
        return
    l0, l1 = min(x[0] for x in lat), min(x[1] for x in lat)
    b0, b1 = max(x[0] for x in bw), max(x[1] for x in bw)
    row("ucx_perftest_latency", l1 / l0, f"tag_lat 8 B loopback, best of 3: {l0:.3f} us plain, {l1:.3f} us shim")
    row("ucx_perftest_bandwidth", b1 / b0, f"tag_bw 1 MiB loopback, best of 3: {b0:.0f} MB/s plain, {b1:.0f} MB/s shim")

for fn in (bench_load, bench_endpoints, bench_memory, bench_perftest):
    try:
        fn()
    except Exception as exc:
        row(fn.__name__, float("nan"), f"failed: {exc}")

for script in sorted(glob.glob("tests/bench/row_*.sh")):
    out = subprocess.run(["sh", script], env=dict(os.environ, FG_BUILD=B), capture_output=True, text=True, timeout=900)
    got = False
    for line in out.stdout.splitlines():
        if line.startswith("ROW|"):
            _, name, ratio, detail = (line.split("|", 3) + ["", "", ""])[:4]
            try:
                r = float(ratio)
            except ValueError:
                r = float("nan")
            rows.append({"name": name, "ratio": r, "detail": detail})
            got = True
    if not got:
        rows.append({"name": os.path.basename(script), "ratio": float("nan"), "detail": "printed no ROW: " + out.stderr[-300:]})

w = max(len(r["name"]) for r in rows)
print(f"{'benchmark':<{w}}  {'ratio':>8}  detail")
for r in rows:
    print(f"{r['name']:<{w}}  {r['ratio']:>8.3f}  {r['detail']}")
with open(f"{B}/bench.json", "w") as f:
    json.dump({"rows": [dict(r, ratio=None if r["ratio"] != r["ratio"] else r["ratio"]) for r in rows]}, f, indent=1)
print(f"written {B}/bench.json")
