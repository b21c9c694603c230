#!/usr/bin/env python3
"""Per 5-second bucket: execution samples by thread group (session, fts-indexer, merge), from a JFR file."""
import json, subprocess, sys, collections, datetime
f = sys.argv[1]; step = float(sys.argv[2]) if len(sys.argv) > 2 else 5
out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", f], capture_output=True, text=True).stdout
ev = json.loads(out)["recording"]["events"]
def t(e): return datetime.datetime.fromisoformat(e["values"]["startTime"].replace("Z", "+00:00")).timestamp()
t0 = min(t(e) for e in ev)
b = collections.defaultdict(collections.Counter)
for e in ev:
    th = ((e["values"].get("sampledThread") or {}).get("javaName") or "?").rstrip("0123456789# ")
    b[int((t(e) - t0) // step)][th[:14]] += 1
print("t0", datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).isoformat())
for k in sorted(b): print(f"{k*step:6.0f}s", dict(b[k].most_common(4)))
