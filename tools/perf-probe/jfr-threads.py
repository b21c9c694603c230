#!/usr/bin/env python3
"""Aggregates jdk.ExecutionSample of a JFR file: samples by thread, and by the first posthorn frame
(and by the first frame of a given package list), optionally within a time window (seconds from start)."""
import json, subprocess, sys, collections
f = sys.argv[1]
depth_filter = sys.argv[2] if len(sys.argv) > 2 else None
out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", f], capture_output=True, text=True).stdout
ev = json.loads(out)["recording"]["events"]
bythread = collections.Counter(); byfirst = collections.Counter(); bytop = collections.Counter(); byth_first = collections.Counter()
for e in ev:
    v = e["values"]; th = (v.get("sampledThread") or {}).get("javaName") or "?"
    th = th.rstrip("0123456789")
    frames = v["stackTrace"]["frames"] if v.get("stackTrace") else []
    names = [fr["method"]["type"]["name"].replace("/", ".") + "." + fr["method"]["name"] for fr in frames]
    bythread[th] += 1
    first = next((n for n in names if n.startswith("posthorn.")), "-")
    byfirst[first] += 1
    bytop[names[0] if names else "-"] += 1
    # the outermost interesting posthorn frame (the phase)
    phase = "-"
    for n in reversed(names):
        if n.startswith("posthorn.") and any(k in n for k in ("UserIndex.", "Matcher.", "MaildirFolder.", "Search.", "Select", "FolderIndex", "DirectoryScan")):
            phase = n; break
    byth_first[(th, phase)] += 1
tot = sum(bythread.values())
print("samples", tot)
print("by thread:", bythread.most_common(10))
print("\nby thread, outermost phase:")
for k, n in byth_first.most_common(25): print(f"{n:6d} {100*n/tot:5.1f}%  {k}")
print("\nby innermost posthorn frame:")
for k, n in byfirst.most_common(30): print(f"{n:6d} {100*n/tot:5.1f}%  {k}")
