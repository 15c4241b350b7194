#!/usr/bin/env python3
"""Turn bench/results/panels-N.txt into the "## Scale" section of
BENCHMARKS.md and the plot docs/bench-scale.svg (standard library only).

usage: bench_report.py RESULTS_DIR BENCHMARKS.md OUT.svg SCALE...
"""
import os
import re
import sys

LINE = re.compile(r"^BenchmarkYardsync/(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+(.*)$")


def parse(path):
    """-> ({sub-benchmark: {unit: value}}, command line)"""
    subs, cmd = {}, ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                cmd = line[2:].strip()
            m = LINE.match(line.strip())
            if not m:
                continue
            fields = m.group(2).split()
            subs[m.group(1)] = {fields[i + 1]: float(fields[i]) for i in range(0, len(fields) - 1, 2)}
    return subs, cmd


def fmt(v, digits=2):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def table(rows):
    head = ("| panels | contracts | first sync s | limit s | × limit | × transport floor | no-op s | no-op limit s "
            "| targeted p50 / p99 ms | uids/ warm req/s (p99 ms) | uids/ cold req/s (p99 ms) | peak RSS MiB |")
    out = [head, "|" + "|".join(["---"] * 12) + "|"]
    for p, r in rows:
        g = lambda sub, unit: r.get(sub, {}).get(unit)
        out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} ({}) | {} ({}) | {} |".format(
            f"{p:,}", f"{p * 50:,}",
            fmt(g("first-sync", "first_s")), fmt(g("first-sync", "limit_s")), fmt(g("first-sync", "x_limit")), fmt(g("first-sync", "x_transport")),
            fmt(g("noop", "noop_s")), fmt(g("noop", "limit_s")),
            fmt(g("targeted", "p50_ms"), 1), fmt(g("targeted", "p99_ms"), 1),
            fmt(g("uids-warm", "req/s"), 0), fmt(g("uids-warm", "p99_ms"), 1),
            fmt(g("uids-cold", "req/s"), 0), fmt(g("uids-cold", "p99_ms"), 1),
            fmt(g("memory", "peak_rss_MB"), 0)))
    return "\n".join(out)


def svg(rows, path):
    w, h, pad = 900, 380, 60
    charts = [("first full sync", "first-sync", "first_s"), ("no-op run", "noop", "noop_s")]
    cw = (w - 3 * pad) / 2
    xs = [p for p, _ in rows]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>']
    for ci, (title, sub, unit) in enumerate(charts):
        x0, y0, ch = pad + ci * (cw + pad), 40, h - 40 - pad
        meas = [r.get(sub, {}).get(unit) or 0 for _, r in rows]
        lim = [r.get(sub, {}).get("limit_s") or 0 for _, r in rows]
        ymax = max(meas + lim + [0.001]) * 1.15
        xmax = max(xs) * 1.05
        px = lambda x: x0 + cw * x / xmax
        py = lambda y: y0 + ch - ch * y / ymax
        parts.append(f'<text x="{x0 + cw / 2}" y="22" text-anchor="middle" font-size="14">{title} (s) vs panels</text>')
        parts.append(f'<line x1="{x0}" y1="{y0 + ch}" x2="{x0 + cw}" y2="{y0 + ch}" stroke="black"/>')
        parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + ch}" stroke="black"/>')
        for i in range(5):
            yv = ymax * i / 4
            parts.append(f'<line x1="{x0}" y1="{py(yv)}" x2="{x0 + cw}" y2="{py(yv)}" stroke="#ddd"/>')
            parts.append(f'<text x="{x0 - 6}" y="{py(yv) + 4}" text-anchor="end">{yv:.2f}</text>')
        for x in xs:
            parts.append(f'<text x="{px(x)}" y="{y0 + ch + 16}" text-anchor="middle">{x}</text>')
        for vals, color, dash, label in ((meas, "#1f77b4", "", "measured"), (lim, "#d62728", ' stroke-dasharray="6,4"', "limit")):
            pts = " ".join(f"{px(x)},{py(v)}" for x, v in zip(xs, vals))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            for x, v in zip(xs, vals):
                parts.append(f'<circle cx="{px(x)}" cy="{py(v)}" r="3" fill="{color}"/>')
        for i, (color, dash, label) in enumerate((("#1f77b4", "", "measured"), ("#d62728", ' stroke-dasharray="6,4"', "physical limit"))):
            ly = y0 + 10 + 16 * i
            parts.append(f'<line x1="{x0 + 12}" y1="{ly}" x2="{x0 + 40}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>')
            parts.append(f'<text x="{x0 + 46}" y="{ly + 4}">{label}</text>')
        parts.append(f'<text x="{x0 + cw / 2}" y="{h - 12}" text-anchor="middle">panels (50 contracts, ~100 keys each; 20 ms per panel request)</text>')
    parts.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def dur(s):
    return f"~{s / 3600:.1f} h" if s >= 3600 else f"~{s / 60:.0f} min" if s >= 60 else f"{s:.0f} s"


def naive_text(rows):
    for p, r in reversed(rows):
        n = r.get("naive")
        if n:
            first = r.get("first-sync", {}).get("first_s")
            full = n["naive_full_s"]
            return (f"Naive baseline (measured in the {p:,}-panel run, on its own world of {n['panels']:.0f} panels): "
                    f"one billing query and one store read per contract, one panel request at a time, "
                    f"took {n['naive_s']:.1f} s where yardsync's first sync of the same world took {n['yardsync_s']:.2f} s "
                    f"(**{n['x_slower']:.1f}× slower**). Scaled to {p:,} panels the naive script would need ~{full:,.0f} s "
                    f"({dur(full)}), {full / first:,.0f}× yardsync's {first:.1f} s." if first else "")
    return ""


def main():
    results, md, out_svg, scales = sys.argv[1], sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4:]]
    rows, cmds = [], []
    for p in sorted(scales):
        path = os.path.join(results, f"panels-{p}.txt")
        if os.path.exists(path):
            subs, cmd = parse(path)
            rows.append((p, subs))
            cmds.append(cmd)
    machine = open(os.path.join(results, "machine.txt"), encoding="utf-8").read().strip() if os.path.exists(
        os.path.join(results, "machine.txt")) else ""
    conc = next((r["first-sync"]["concurrency"] for _, r in rows if "first-sync" in r), 0)
    section = [
        "## Scale", "",
        "Generated by `make bench` (scripts/bench.sh; raw output in `bench/results/`). Each row is one process:",
        "a PostgreSQL billing of 50 contracts per panel (~90% active), a store of panels (half Beward — of them half",
        "with the mifare tables — half Sokol), a lock and door per panel, rights and 2 keys per contract (~100 keys",
        f"per panel), and a panelsim fleet with 20 ms latency per request; `reconcile.concurrency` = {conc:.0f}.",
        "Limit = max(slowest panel's requests × 20 ms, all requests × 20 ms / concurrency), from the requests",
        "the fleet received in that run (they match the plan's prediction exactly; the harness checks).", "",
        "Commands:", "", "```"] + cmds + ["```", "", "Machine:", "", "```", machine, "```", "",
        table(rows), "", "![first sync and no-op run against panels](docs/bench-scale.svg)", "", naive_text(rows), ""]
    text = open(md, encoding="utf-8").read() if os.path.exists(md) else ""
    new = "\n".join(section)
    m = re.search(r"^## Scale\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    text = text[:m.start()] + new + "\n" + text[m.end():] if m else text.rstrip("\n") + "\n\n" + new + "\n"
    with open(md, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")
    svg(rows, out_svg)


if __name__ == "__main__":
    main()
