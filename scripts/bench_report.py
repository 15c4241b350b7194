#!/usr/bin/env python3
"""Turn bench/results/panels-N.txt into the "## Scale" section of
BENCHMARKS.md and the plot docs/bench-scale.svg, or bench/results/faults-matrix.txt
into the table of its "## Fault matrix" section (standard library only).

usage: bench_report.py RESULTS_DIR BENCHMARKS.md OUT.svg SCALE...
       bench_report.py faults RESULTS_DIR BENCHMARKS.md
"""
import os
import re
import sys
from collections import namedtuple
from xml.sax.saxutils import escape

# BenchmarkYardsync and BenchmarkSeconds; their sub-benchmark names do not
# overlap, so a scale's results are keyed by the sub-benchmark alone.
LINE = re.compile(r"^Benchmark(?:Yardsync|Seconds)/(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+(.*)$")

# The goals of the "Seconds to the door" table.
WATCH_SLACK_S = 1  # detected → revoked p99 ≤ the watch interval + this
BURST_GOAL_S = 5
SLOW_PANEL_GOAL_S = 1
NOOP_GOAL_S = 1.5
RSS_GOAL_MB = 200
MIB_PER_MB = 1e6 / 2 ** 20  # the RSS metrics are VmHWM in MiB


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


def knob(cmds, name, default):
    """The value of env knob name in the recorded commands (bench.sh writes the ones set), else default."""
    for cmd in cmds:
        m = re.search(rf"\b{name}=(\S+)", cmd)
        if m:
            return m.group(1)
    return default


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


def ms_to_s(ms):
    return None if ms is None else ms / 1000


# One goal of the "Seconds to the door" table at one scale: value and limit
# in unit (None when not measured), met when value op limit.
Goal = namedtuple("Goal", "what value op limit unit digits")


def goals(r):
    """The goals of the "Seconds to the door" table, measured at one scale."""
    g = lambda sub, unit: r.get(sub, {}).get(unit)
    watch = g("watch", "watch_s")
    return [
        Goal(f"detected → revoked p99 ≤ watch + {WATCH_SLACK_S} s", ms_to_s(g("watch", "detect_to_revoked_p99_ms")), "≤",
             None if watch is None else watch + WATCH_SLACK_S, "s", 2),
        Goal(f"last burst call → every key on its panel < {BURST_GOAL_S} s", g("burst", "last_call_to_doors_s"), "<",
             BURST_GOAL_S, "s", 2),
        Goal(f"extra of a revocation behind a slow panel < {SLOW_PANEL_GOAL_S} s", ms_to_s(g("slow-panel", "extra_ms")), "<",
             SLOW_PANEL_GOAL_S, "s", 2),
        Goal(f"no-op run < {NOOP_GOAL_S} s", g("noop", "noop_s"), "<", NOOP_GOAL_S, "s", 2),
        Goal(f"`yardsync serve` peak RSS < {RSS_GOAL_MB} MB", g("rss-alone", "yardsync_peak_rss_MB"), "<",
             RSS_GOAL_MB * MIB_PER_MB, "MiB", 0),
    ]


def met(goal):
    return goal.value <= goal.limit if goal.op == "≤" else goal.value < goal.limit


def seconds_table(rows):
    head = (f"| panels | watch s | detected → revoked p50 / p99 s (goal p99 ≤ watch + {WATCH_SLACK_S} s) "
            f"| burst: last call → every panel holds its key s (goal < {BURST_GOAL_S} s) | burst calls / runs "
            f"| revocation behind a slow panel: extra s (goal < {SLOW_PANEL_GOAL_S} s) | no-op run s (goal < {NOOP_GOAL_S} s) "
            f"| `yardsync serve` peak RSS MiB (goal < {RSS_GOAL_MB} MB = {RSS_GOAL_MB * MIB_PER_MB:.0f} MiB) |")
    out = [head, "|" + "|".join(["---"] * 8) + "|"]
    for p, r in rows:
        g = lambda sub, unit: r.get(sub, {}).get(unit)
        out.append("| {} | {} | {} / {} | {} | {} / {} | {} | {} | {} |".format(
            f"{p:,}", fmt(g("watch", "watch_s"), 1),
            fmt(ms_to_s(g("watch", "detect_to_revoked_p50_ms"))), fmt(ms_to_s(g("watch", "detect_to_revoked_p99_ms"))),
            fmt(g("burst", "last_call_to_doors_s")), fmt(g("burst", "calls"), 0), fmt(g("burst", "runs"), 0),
            fmt(ms_to_s(g("slow-panel", "extra_ms"))), fmt(g("noop", "noop_s")),
            fmt(g("rss-alone", "yardsync_peak_rss_MB"), 0)))
    return "\n".join(out)


def goals_text(rows):
    """Which goals the largest scale meets and misses, with its values."""
    if not rows:
        return ""
    p, r = rows[-1]
    verdicts = {"Met": [], "Missed": [], "Not measured": []}
    for goal in goals(r):
        if goal.value is None or goal.limit is None:
            verdicts["Not measured"].append(goal.what)
            continue
        value = f"{fmt(goal.value, goal.digits)} {goal.unit}"
        if met(goal):
            verdicts["Met"].append(f"{goal.what} ({value})")
        else:
            verdicts["Missed"].append(f"{goal.what} ({value} vs {fmt(goal.limit, goal.digits)} {goal.unit})")
    return f"At {p:,} panels: " + " ".join(f"**{verdict}:** {', '.join(items)}." for verdict, items in verdicts.items() if items)


# One line of a chart: a value per scale, None where not measured.
Series = namedtuple("Series", "label values color dashed")


def chart(x0, top, cw, rh, title, xs, series, xlabel):
    """SVG elements of one line chart in the cell at (x0, top), cw × rh pixels:
    title, a legend row, the plot and the x label. A None value is not drawn."""
    y0, ch = top + 56, rh - 56 - 60
    ys = [v for s in series for v in s.values if v is not None]
    ymax = max(ys + [0.001]) * 1.15
    xmax = max(xs) * 1.05
    px = lambda x: x0 + cw * x / xmax
    py = lambda y: y0 + ch - ch * y / ymax
    dash = lambda s: ' stroke-dasharray="6,4"' if s.dashed else ""
    parts = [f'<text x="{x0 + cw / 2}" y="{top + 22}" text-anchor="middle" font-size="14">{escape(title)}</text>',
             f'<line x1="{x0}" y1="{y0 + ch}" x2="{x0 + cw}" y2="{y0 + ch}" stroke="black"/>',
             f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + ch}" stroke="black"/>']
    for i in range(5):
        yv = ymax * i / 4
        parts.append(f'<line x1="{x0}" y1="{py(yv)}" x2="{x0 + cw}" y2="{py(yv)}" stroke="#ddd"/>')
        parts.append(f'<text x="{x0 - 6}" y="{py(yv) + 4}" text-anchor="end">{yv:.2f}</text>')
    for x in xs:
        parts.append(f'<text x="{px(x)}" y="{y0 + ch + 16}" text-anchor="middle">{x}</text>')
    for s in series:
        pts = [(px(x), py(v)) for x, v in zip(xs, s.values) if v is not None]
        parts.append(f'<polyline points="{" ".join(f"{x},{y}" for x, y in pts)}" fill="none" '
                     f'stroke="{s.color}" stroke-width="2"{dash(s)}/>')
        parts += [f'<circle cx="{x}" cy="{y}" r="3" fill="{s.color}"/>' for x, y in pts]
    lx, ly = x0 + 12, top + 40
    for s in series:
        parts.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{s.color}" stroke-width="2"{dash(s)}/>')
        parts.append(f'<text x="{lx + 34}" y="{ly + 4}">{escape(s.label)}</text>')
        lx += 34 + 7 * len(s.label) + 24
    parts.append(f'<text x="{x0 + cw / 2}" y="{top + rh - 12}" text-anchor="middle">{escape(xlabel)}</text>')
    return parts


def svg(rows, path, latency_ms):
    """Row 1: first full sync and no-op run against their physical limit.
    Row 2: detected-to-revoked p99 and the no-op run against their goals."""
    w, rh, pad = 900, 380, 60
    h = 2 * rh
    xs = [p for p, _ in rows]
    val = lambda sub, unit: [r.get(sub, {}).get(unit) for _, r in rows]
    world = f"panels (50 contracts, ~100 keys each; {latency_ms} ms per panel request)"
    cw = (w - 3 * pad) / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>']
    for ci, (title, sub, unit) in enumerate((("first full sync", "first-sync", "first_s"), ("no-op run", "noop", "noop_s"))):
        parts += chart(pad + ci * (cw + pad), 0, cw, rh, f"{title} (s) vs panels", xs,
                       [Series("measured", val(sub, unit), "#1f77b4", False),
                        Series("physical limit", val(sub, "limit_s"), "#d62728", True)], world)
    p99 = [ms_to_s(v) for v in val("watch", "detect_to_revoked_p99_ms")]
    watch_goal = [None if v is None else v + WATCH_SLACK_S for v in val("watch", "watch_s")]
    goal_label = f"goal: watch + {WATCH_SLACK_S} s"
    if len(set(watch_goal) - {None}) == 1:  # the same watch at every scale: say the goal in seconds
        goal_label += f" = {max(v for v in watch_goal if v is not None):g} s"
    parts += chart(pad, rh, w - 2 * pad, rh, "seconds to the door against their goals (s) vs panels", xs,
                   [Series("detected → revoked p99", p99, "#1f77b4", False),
                    Series(goal_label, watch_goal, "#1f77b4", True),
                    Series("no-op run", val("noop", "noop_s"), "#ff7f0e", False),
                    Series(f"goal: {NOOP_GOAL_S} s", [NOOP_GOAL_S] * len(xs), "#ff7f0e", True)], world)
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
    latency = knob(cmds, "YARDSYNC_BENCH_LATENCY_MS", "20")
    changes = int(knob(cmds, "YARDSYNC_BENCH_WATCH_CHANGES", "50"))
    burst = int(knob(cmds, "YARDSYNC_BENCH_BURST", "1000"))
    section = [
        "## Scale", "",
        "Generated by `make bench` (scripts/bench.sh; raw output in `bench/results/`). Each row is one process:",
        "a PostgreSQL billing of 50 contracts per panel (~90% active), a store of panels (half Beward — of them half",
        "with the mifare tables — half Sokol), a lock and door per panel, rights and 2 keys per contract (~100 keys",
        f"per panel), and a panelsim fleet with {latency} ms latency per request; `reconcile.concurrency` = {conc:.0f}.",
        f"Limit = max(slowest panel's requests × {latency} ms, all requests × {latency} ms / concurrency), from the requests",
        "the fleet received in that run (they match the plan's prediction exactly; the harness checks).", "",
        "Commands (after `ulimit -n 65536`, or the hard limit if lower):", "",
        "```"] + cmds + ["```", "", "Machine:", "", "```", machine, "```", "",
        table(rows), "",
        "![first sync and no-op run against panels, and the seconds to the door against their goals](docs/bench-scale.svg)", "",
        naive_text(rows), "",
        "### Seconds to the door", "",
        "`BenchmarkSeconds`, in the same process on a world of its own of the same size: contracts stop paying",
        f"in the billing with no call to yardsync, one every 200 ms on different panels (one per panel, at most {changes:,}),",
        "each timed until its keys are off its panel through `reconcile.watch` (interval: the watch column); a burst",
        f"of `keys_add` calls ({burst:,}, or one per paying contract if fewer) from 16 clients, timed from the last answer",
        "until every panel holds its new key, with the runs that took; a revocation through `sync/` with wait while a",
        "full run is held by a panel answering in 2 s, against the same revocation on a quiet daemon; and the peak",
        "RSS (VmHWM) of a `yardsync serve` process alone after a full sync and three watch ticks. The no-op run is",
        "the one of the table above.", "",
        seconds_table(rows), "", goals_text(rows), ""]
    text = open(md, encoding="utf-8").read() if os.path.exists(md) else ""
    new = "\n".join(section)
    m = re.search(r"^## Scale\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    text = text[:m.start()] + new + "\n" + text[m.end():] if m else text.rstrip("\n") + "\n\n" + new + "\n"
    with open(md, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")
    svg(rows, out_svg, latency)


# BenchmarkFaultMatrix: a row's metrics, and the outcome line it logs.
FAULT_LINE = re.compile(r"^BenchmarkFaultMatrix/(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+(.*)$")
FAULT_BENCH = re.compile(r"^--- BENCH: BenchmarkFaultMatrix/(\S+?)-\d+$")
FAULT_OUTCOME = re.compile(r"outcome: first (\S+) \((.*)\); runs (.*?); writes (.*?); "
                           r"settings timeout (\S+) every (\S+) limit (\S+)$")
# first_status's values, in the order bench/faults_test.go's statusCodes gives them.
STATUSES = ["ok", "partial", "guarded", "failed"]
FAULT_SECTION = "## Fault matrix: the promise under field time"
FAULT_BEGIN = "<!-- fault-matrix: generated by scripts/bench_report.py from bench/results/faults-matrix.txt -->"
FAULT_END = "<!-- fault-matrix: end -->"


def parse_faults(path):
    """-> ([(row name, {unit: value}, outcome match or None)], command, cpu)"""
    rows, outcomes, cmd, cpu, current = [], {}, "", "", None
    with open(path, encoding="utf-8") as f:
        # A logged outcome that spans lines goes on with 8 spaces: one line again.
        text = re.sub(r"\n {8}(?=\S)", " / ", f.read())
        for line in text.split("\n"):
            if line.startswith("# "):
                cmd = line[2:].strip()
            elif line.startswith("cpu: "):
                cpu = line[5:].strip()
            m = FAULT_LINE.match(line.strip())
            if m:
                fields = m.group(2).split()
                rows.append((m.group(1), {fields[i + 1]: float(fields[i]) for i in range(0, len(fields) - 1, 2)}))
                continue
            m = FAULT_BENCH.match(line.strip())
            if m:
                current = m.group(1)
                continue
            m = FAULT_OUTCOME.search(line)
            if m and current:
                outcomes[current] = m
    return [(name, metrics, outcomes.get(name)) for name, metrics in rows], cmd, cpu


def short_error(text, limit=120):
    """The gist of a run report's panel error (errors joined by " / "): a
    panel request's as its request and cause, e.g. "DELETE /key/store/clear:
    timeout", with key codes and flats elided; the run's own up to its list."""
    parts = []
    for part in text.split(" / "):
        fields = part.strip().split(": ")
        if fields[0] == "panels" and len(fields) >= 4:
            request = re.sub(r"(/key/store/)[0-9A-Fa-f]+$", r"\1<code>", fields[2])
            request = re.sub(r"(Key|Apartment)=[^&]*", r"\1=…", request)
            part = f"`{request}`: {fields[-1]}"
        else:
            part = fields[0].strip()
        if part and part not in parts:
            parts.append(part)
    out = "; ".join(parts)
    return out if len(out) <= limit else out[:limit - 1] + "…"


def fault_row(name, r, o):
    yn = lambda unit: {1.0: "yes", 0.0: "**no**"}.get(r.get(unit), "–")
    code = r.get("first_status")
    first = STATUSES[int(code)] if code is not None and int(code) < len(STATUSES) else "other"
    if o and o.group(2):
        first += f" ({short_error(o.group(2))})"
    runs = "–"
    if o:
        runs = " → ".join(run.replace("full:", "").replace("recheck:", "recheck ") for run in o.group(3).split())
    converged = "yes" if r.get("converged") == 1 else "**no**"
    seconds = fmt(r.get("converged_s")) if r.get("converged") == 1 else "–"
    fault, _, panel = name.partition("/")
    return (f"| {fault} | {panel} | {yn('debtor_gone')} | {yn('payers_kept')} | {converged} | {seconds} | {first} "
            f"| {runs} | {fmt(r.get('payer_gap_s'))} | {o.group(4) if o else '–'} | {fmt(r.get('max_in_flight'), 0)} "
            f"| {fmt(r.get('unowned_keys'), 0)} / {fmt(r.get('debtor_records'), 0)} |")


def fault_table(rows):
    head = ("| fault | panel | debtor's keys gone | every payer's keys kept | converged | s from the billing change "
            "to the panel right | first run | runs after the change | longest payer gap s | key writes the panel received "
            "| most requests at once | keys unowned / debtor records left |")
    return "\n".join([head, "|" + "|".join(["---"] * 12) + "|"] + [fault_row(*row) for row in rows])


def fault_block(results):
    rows, cmd, cpu = parse_faults(os.path.join(results, "faults-matrix.txt"))
    o = next((o for _, _, o in rows if o), None)
    settings = (f"panel_timeout {o.group(5)}, retries 3, a full run {o.group(6)} after the previous one ended, "
                f"given up {o.group(7)} after the change") if o else "see the command"
    latency = knob([cmd], "YARDSYNC_BENCH_LATENCY_MS", "20")
    return "\n".join([FAULT_BEGIN, ""] + ([f"Command: `{cmd}`", ""] if cmd else []) + [
        f"Settings: {settings}; {latency} ms per panel request. Machine: {cpu or 'see bench/results/faults.txt'}.", "",
        fault_table(rows), "",
        FAULT_END])


def faults_main(results, md):
    text = open(md, encoding="utf-8").read() if os.path.exists(md) else ""
    block = fault_block(results)
    m = re.search(re.escape(FAULT_BEGIN) + r".*?" + re.escape(FAULT_END), text, flags=re.S)
    if m:
        text = text[:m.start()] + block + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + FAULT_SECTION + "\n\n" + block + "\n"
    with open(md, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "faults":
        faults_main(sys.argv[2], sys.argv[3])
    else:
        main()
