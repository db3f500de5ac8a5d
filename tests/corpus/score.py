#!/usr/bin/env python3
"""Score `fabguard explain --json` against the corpus truth files, per field.

Usage: score.py FABGUARD_CLI CORPUS_DIR [MIN_PERCENT]
Prints one line per field ("field  right/total  pct"), then every miss, and
exits 1 when any field scores below MIN_PERCENT (default 98)."""
import json
import os
import subprocess
import sys
from collections import defaultdict

cli, root = sys.argv[1], sys.argv[2]
minimum = float(sys.argv[3]) if len(sys.argv) > 3 else 98.0
score = defaultdict(lambda: [0, 0])
misses = []


def mark(field, name, want, got):
    ok = want == got
    score[field][1] += 1
    score[field][0] += ok
    if not ok:
        misses.append("%s: %s: want %r, got %r" % (name, field, want, got))


def explain(path):
    r = subprocess.run([cli, "explain", "--json", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=dict(os.environ, FABGUARD_POLICY=""))
    if r.returncode not in (0, 1):
        return None, "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace").strip())
    try:
        return json.loads(r.stdout), None
    except ValueError as e:
        return None, "invalid JSON: %s" % e


def proc_id(p):
    if p.get("pid") is None and not p.get("host"):
        return "-"
    return "%s:%s" % (p.get("host") or "", p.get("pid"))


def score_nccl(name, truth, got):
    procs = {proc_id(p): p for p in (got or {}).get("processes", [])}
    mark("nccl.version", name, truth.get("nccl_version"), (got or {}).get("nccl_version"))
    mark("nccl.processes", name, sorted(p["id"] for p in truth["procs"]), sorted(procs))
    for tp in truth["procs"]:
        gp = procs.get(tp["id"], {})
        who = "%s %s" % (name, tp["id"])
        mark("nccl.net", who, tp["net"], gp.get("net"))
        mark("nccl.net_devices", who, sorted(tp["net_devices"]), sorted(gp.get("net_devices", [])))
        mark("nccl.bootstrap_iface", who, tp["bootstrap_iface"], gp.get("bootstrap_iface"))
        mark("nccl.gdr", who, tp["gdr"], gp.get("gdr"))
        mark("nccl.transports", who, sorted(tp["transports"]), sorted(gp.get("transports", [])))
        if "ofi_provider" in tp:   # optional: set in the truths of logs with aws-ofi-nccl
            mark("nccl.ofi_provider", who, tp["ofi_provider"], gp.get("ofi_provider"))


def cfg_key(c):
    return "%s|%s" % (c.get("proc") or "-", c["name"])


def score_ucx(name, truth, got):
    got = got or {}
    cfgs = {cfg_key(c): c for c in got.get("configs", [])}
    tcfgs = {cfg_key(c): c for c in truth["configs"]}
    mark("ucx.version", name, truth.get("ucx_version"), got.get("ucx_version"))
    mark("ucx.configs", name, sorted(tcfgs), sorted(cfgs))
    mark("ucx.resources", name, sorted(truth.get("resources", [])),
         sorted("%s/%s" % (r["transport"], r["device"]) for r in got.get("resources", [])))
    union = set()
    for c in truth["configs"]:
        union |= set(c["lanes"])
    mark("ucx.lanes_union", name, sorted(union),
         sorted("%s/%s" % (l["transport"], l["device"]) for l in got.get("lanes", [])))
    for key, tc in tcfgs.items():
        gc = cfgs.get(key, {})
        who = "%s %s" % (name, key)
        glanes = {"%s/%s" % (l["transport"], l["device"]): sorted(l["usage"]) for l in gc.get("lanes", [])}
        mark("ucx.scope", who, tc["scope"], gc.get("scope"))
        mark("ucx.lanes", who, sorted(tc["lanes"]), sorted(glanes))
        mark("ucx.usage", who, {k: sorted(v) for k, v in tc["lanes"].items()},
             {k: v for k, v in glanes.items() if k in tc["lanes"]})


files = 0
for kind in ("nccl", "ucx"):
    d = os.path.join(root, kind)
    for f in sorted(os.listdir(d)):
        if not f.endswith(".truth"):
            continue
        files += 1
        name = "%s/%s" % (kind, f[:-6])
        truth = json.load(open(os.path.join(d, f)))
        got, err = explain(os.path.join(d, f[:-6] + ".log"))
        if err:
            misses.append("%s: %s" % (name, err))
        (score_nccl if kind == "nccl" else score_ucx)(name, truth, got)

worst = 100.0
print("corpus: %d files" % files)
for field in sorted(score):
    right, total = score[field]
    pct = 100.0 * right / total if total else 100.0
    worst = min(worst, pct)
    print("%-22s %5d/%-5d %6.2f%%" % (field, right, total, pct))
allr = sum(v[0] for v in score.values())
allt = sum(v[1] for v in score.values())
print("%-22s %5d/%-5d %6.2f%%" % ("all", allr, allt, 100.0 * allr / allt))
for m in misses:
    print("MISS " + m)
sys.exit(1 if worst < minimum else 0)
