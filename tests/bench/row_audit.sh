#!/bin/sh
# What LD_AUDIT=libfabguard-audit.so costs beside LD_PRELOAD=libfabguard.so:
# /bin/true started with nothing, with the preload, and with preload + audit
# (interleaved, best of 400 each), and 3000 endpoints created through a
# RTLD_DEEPBIND plugin (the audit's own path) vs. the same with the preload
# alone (where they bypass the shim). Ratios only.
B=${FG_BUILD:-build}
exec python3 - "$B" <<'PY'
import os, subprocess, sys, time
B = sys.argv[1]
SHIM = os.path.abspath(f"{B}/libfabguard.so")
AUDIT = os.path.abspath(f"{B}/libfabguard-audit.so")

def env(preload=False, audit=False, **extra):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("FABGUARD_", "UCX_")) and k not in ("LD_PRELOAD", "LD_AUDIT")}
    if preload: e["LD_PRELOAD"] = SHIM
    if audit: e["LD_AUDIT"] = AUDIT
    e.update(extra)
    return e

def spawn(cmd, e):
    t = time.perf_counter()
    subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t

envs = {"none": env(), "preload": env(True), "both": env(True, True)}
t = {k: [] for k in envs}
for _ in range(400):
    for k, e in envs.items():
        t[k].append(spawn(["/bin/true"], e))
b = {k: min(v) for k, v in t.items()}
print("ROW|audit_true_vs_preload|%.3f|/bin/true best of 400: preload %.0f us, preload+audit %.0f us"
      % (b["both"] / b["preload"], b["preload"] * 1e6, b["both"] * 1e6))
print("ROW|audit_true_vs_nothing|%.3f|/bin/true best of 400: nothing %.0f us, preload %.0f us (x%.3f), preload+audit %.0f us"
      % (b["both"] / b["none"], b["none"] * 1e6, b["preload"] * 1e6, b["preload"] / b["none"], b["both"] * 1e6))
PY
