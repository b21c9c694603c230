#!/usr/bin/python3
"""Charts of ./posthorn bench --scale: one SVG per workload group, every server on each.

Usage: bench-chart.py SCALE.csv OUTDIR

Reads the CSV the harness writes (group, metric, label, unit, server, x, value, status) and draws
scale-mailbox.svg (one panel per mailbox workload: time against messages, log-log, so a straight
line of slope 1 is linear growth) and scale-idle.svg (one panel per IDLE measure against the number
of sessions). Points that are n/a or failed are left out; a server whose curve stops early stopped
there (the table beside the chart says why). Prints the files written.
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"Dovecot": "#1f77b4", "Dovecot+FTS": "#17becf", "Courier": "#ff7f0e", "Posthorn": "#2ca02c"}
MARKERS = {"Dovecot": "o", "Dovecot+FTS": "D", "Courier": "s", "Posthorn": "^"}
TITLES = {"mailbox": "Mailbox commands by mailbox size", "idle": "IDLE by number of sessions"}
XLABELS = {"mailbox": "messages in INBOX", "idle": "IDLE sessions asked for"}


def main(path, outdir):
    rows = list(csv.DictReader(open(path, newline="")))
    if not rows:
        sys.exit("bench-chart: %s has no points" % path)
    written = []
    for group in ("mailbox", "idle"):
        metrics = []
        for r in rows:
            if r["group"] == group and (r["metric"], r["label"], r["unit"]) not in metrics:
                metrics.append((r["metric"], r["label"], r["unit"]))
        if not metrics:
            continue
        cols = 3
        lines = (len(metrics) + cols - 1) // cols
        fig, axes = plt.subplots(lines, cols, figsize=(5.2 * cols, 4.0 * lines), squeeze=False)
        for i, (metric, label, unit) in enumerate(metrics):
            ax = axes[i // cols][i % cols]
            servers = []
            for r in rows:
                if r["metric"] == metric and r["server"] not in servers:
                    servers.append(r["server"])
            for server in servers:
                pts = sorted((int(r["x"]), float(r["value"])) for r in rows
                             if r["metric"] == metric and r["server"] == server and r["status"] == "ok")
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=MARKERS.get(server, "x"),
                        color=COLOURS.get(server), label=server)
            ax.set_title(label, fontsize=10)
            ax.set_xlabel(XLABELS[group])
            ax.set_ylabel(unit)
            xs = sorted({int(r["x"]) for r in rows if r["group"] == group})
            ax.set_xscale("log")
            if group == "mailbox" or metric == "idle_held":
                ax.set_yscale("log")
            ax.set_xticks(xs)
            ax.set_xticklabels(["{:,}".format(x) for x in xs])
            ax.minorticks_off()
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=8)
        for j in range(len(metrics), lines * cols):
            axes[j // cols][j % cols].axis("off")
        fig.suptitle(TITLES[group])
        fig.tight_layout()
        out = os.path.join(outdir, "scale-%s.svg" % group)
        fig.savefig(out, format="svg", metadata={"Date": None})  # no timestamp: same data, same file
        plt.close(fig)
        written.append(out)
    print(" ".join(written))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
