#!/usr/bin/env python3
"""Draws the scaling series of the criterion benchmark as one SVG (docs/performance.md).

    python3 tests/bench/plot.py [SUMMARY] [OUT]

SUMMARY is the JSON `host/benches/policies.rs` writes (default
target/criterion/kwhost-summary.json: `{group: {bench: median ns}}`), OUT the SVG (default
docs/performance-scaling.svg). One panel per series, log-log axes, time against object size for
each policy natively (dashed) and in wasm on a warm instance (solid), with a grey line of slope 1
(linear growth) through the largest wasm point: a series that stays parallel to it is linear, one
that bends upwards is not. Standard library only; the SVG needs nothing at view time.
"""

import json
import math
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERIES = {
    "pod-containers": "Pod: containers",
    "clusterrole-rules": "ClusterRole: rules",
    "configmap-kib": "ConfigMap: KiB of data",
}
COLOURS = {
    "secret-handling": "#c0392b",
    "image-provenance": "#2471a3",
    "restart-policy": "#1e8449",
    "rbac-least-privilege": "#7d3c98",
}
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 340, 300, 58, 14, 34, 46


def points(benches, kind):
    out = []
    for bench, ns in benches.items():
        head, _, size = bench.partition("/")
        if head == kind and size.isdigit():
            out.append((int(size), ns / 1000.0))
    return sorted(out)


def ticks(lo, hi):
    """Powers of ten covering [lo, hi]."""
    return [10 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def label(v):
    if v >= 1000:
        return f"{v / 1000:g}k" if v < 1e6 else f"{v / 1e6:g}M"
    return f"{v:g}"


def panel(series, title, lines, x0):
    """One log-log panel at horizontal offset x0; lines: [(policy, kind, [(x, y)])]."""
    xs = [x for _, _, pts in lines for x, _ in pts]
    ys = [y for _, _, pts in lines for _, y in pts]
    x_ticks, y_ticks = ticks(min(xs), max(xs)), ticks(min(ys), max(ys))
    lx0, lx1 = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    ly0, ly1 = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    if lx1 == lx0:
        lx1 += 1
    if ly1 == ly0:
        ly1 += 1

    def px(x):
        return x0 + PAD_L + (math.log10(x) - lx0) / (lx1 - lx0) * (W - PAD_L - PAD_R)

    def py(y):
        return H - PAD_B - (math.log10(y) - ly0) / (ly1 - ly0) * (H - PAD_T - PAD_B)

    out = [f'<text x="{x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>']
    for t in x_ticks:
        out.append(f'<line x1="{px(t):.1f}" y1="{PAD_T}" x2="{px(t):.1f}" y2="{H - PAD_B}" stroke="#eee"/>')
        out.append(f'<text x="{px(t):.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{label(t)}</text>')
    for t in y_ticks:
        out.append(f'<line x1="{x0 + PAD_L}" y1="{py(t):.1f}" x2="{x0 + W - PAD_R}" y2="{py(t):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 + PAD_L - 4}" y="{py(t) + 4:.1f}" text-anchor="end">{label(t)}</text>')
    out.append(f'<text x="{x0 + W / 2}" y="{H - 8}" text-anchor="middle">size</text>')
    out.append(f'<text x="{x0 + 12}" y="{H / 2}" text-anchor="middle" '
               f'transform="rotate(-90 {x0 + 12} {H / 2})">µs per evaluation</text>')
    # Slope 1 through the largest warm point.
    warm = [pts for _, kind, pts in lines if kind == "warm" and pts]
    if warm:
        xm, ym = max((p[-1] for p in warm), key=lambda p: p[1])
        xa = x_ticks[0]
        ya = ym * xa / xm
        if ya < y_ticks[0]:
            xa, ya = xm * y_ticks[0] / ym, y_ticks[0]
        out.append(f'<line x1="{px(xa):.1f}" y1="{py(ya):.1f}" x2="{px(xm):.1f}" y2="{py(ym):.1f}" '
                   'stroke="#999" stroke-width="6" stroke-opacity="0.25"/>')
    for policy, kind, pts in lines:
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        dash = ' stroke-dasharray="5,4"' if kind == "native" else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS.get(policy, "#333")}" '
                   f'stroke-width="2"{dash}><title>{policy} {kind}</title></polyline>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{COLOURS.get(policy, "#333")}">'
                       f'<title>{policy} {kind} {series} {x}: {y:.1f} µs</title></circle>')
    return out


def main():
    summary_path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/criterion/kwhost-summary.json"
    out_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs/performance-scaling.svg"
    summary = json.loads(summary_path.read_text())
    panels = []
    for series, title in SERIES.items():
        lines = []
        for group, benches in sorted(summary.items()):
            policy, _, rest = group.partition("/")
            if rest != f"scaling-{series}":
                continue
            for kind in ("warm", "native"):
                pts = points(benches, kind)
                if pts:
                    lines.append((policy, kind, pts))
        if lines:
            panels.append((series, title, lines))
    if not panels:
        sys.exit(f"{summary_path}: no scaling series (run `make bench`)")
    width = W * len(panels)
    body = []
    for i, (series, title, lines) in enumerate(panels):
        body += panel(series, title, lines, i * W)
    legend_y = H + 10
    for i, (policy, colour) in enumerate(COLOURS.items()):
        x = 20 + i * 200
        body.append(f'<line x1="{x}" y1="{legend_y}" x2="{x + 24}" y2="{legend_y}" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<text x="{x + 30}" y="{legend_y + 4}">{policy}</text>')
    body.append(f'<text x="20" y="{legend_y + 24}">solid: wasm, warm instance; dashed: native; '
                'grey band: slope 1 (linear) through the largest wasm point</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H + 44}" '
           f'viewBox="0 0 {width} {H + 44}" font-family="sans-serif" font-size="11">\n'
           f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")
    out_path.write_text(svg)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
