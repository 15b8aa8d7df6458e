"""The benchmark figure: per case, our time over each peer's, on a log scale.

One horizontal bar per (case, size, peer), drawn from parity (1) to the
ratio ours / peer: to the left we are faster, to the right slower.  The
cases of a section are grouped under its title; absolute times stay in
``bench.md``.  Floors (what any method pays at least, e.g. a sort) are not
peers and are not drawn.
"""

import math

import numpy as np

#: Bar colours: faster than the peer, slower.
FASTER, SLOWER = "#2b8a3e", "#c92a2a"


def _size(n):
    return f"{n:,}"


def section_ratios(name, rows):
    """[(label, ratio)] of one section's rows (pure).

    Rows of the common format (``times`` per method, ``subject`` = ours);
    rows of the families section (``sparse`` = ours, ``network_simplex`` and
    ``pot`` peers).  Methods that raised or were not timed give no bar.
    """
    bars = []
    for r in rows or []:
        if "times" in r:
            ours = r["times"].get(r["subject"])
            for peer, t in r["times"].items():
                if peer == r["subject"] or ours is None or not t:
                    continue
                bars.append((f"{r['case']}, n={_size(r['n'])} vs {peer}", ours / t))
        elif "sparse" in r:
            ours = r["sparse"].get("time")
            for key, peer in (("network_simplex", "dense"), ("pot", "POT lazy")):
                other = r.get(key) or {}
                if ours is None or not other.get("time"):
                    continue
                bars.append((f"{r['family']} {r['cost']}, n={_size(r['n'])} vs {peer}",
                             ours / other["time"]))
    return bars


def figure_rows(results, titles):
    """[(title, [(label, ratio)])] of every section with a bar (pure)."""
    groups = []
    for name, (rows, _) in results.items():
        if name == "cold" or not isinstance(rows, list):
            continue
        bars = section_ratios(name, rows)
        if bars:
            groups.append((titles.get(name, name), bars))
    return groups


def _with_titles(labels, heads):
    out = list(labels)
    for y, title in heads:
        out[y] = title
    return out


def plot_ratios(results, titles, path, width=8.0):
    """Draw the figure to `path`; False when no section has a bar."""
    return draw_groups(figure_rows(results, titles), path, width)


def draw_groups(groups, path, width=8.0):
    """Draw [(title, [(label, ratio)])] to `path`; False when there is no bar."""
    if not groups:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, ratios, heads = [], [], []
    for title, bars in groups:
        heads.append((len(labels), title))
        labels.append("")  # the title's row
        for label, ratio in bars:
            labels.append(label)
            ratios.append(ratio)
    y_of = [i for i, label in enumerate(labels) if label]
    ratios = np.asarray(ratios)
    lo = min(ratios.min(), 1.0) / 1.6
    hi = max(ratios.max(), 1.0) * 1.6
    lo = 10.0 ** math.floor(math.log10(lo))
    hi = 10.0 ** math.ceil(math.log10(hi))
    fig, ax = plt.subplots(figsize=(width, 0.8 + 0.21 * len(labels)))
    colors = [FASTER if r <= 1.0 else SLOWER for r in ratios]
    ax.barh(y_of, ratios - 1.0, left=1.0, height=0.7, color=colors)
    for y, r in zip(y_of, ratios):
        ax.text(r * (0.93 if r <= 1.0 else 1.07), y, f"{r:.2g}", va="center",
                ha="right" if r <= 1.0 else "left", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_yticks(range(len(labels)), _with_titles(labels, heads), fontsize=7)
    for y, _ in heads:
        ax.get_yticklabels()[y].set_fontweight("bold")
        ax.get_yticklabels()[y].set_fontsize(8)
        if y:
            ax.axhline(y - 0.5, color="0.8", lw=0.6)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.set_xlabel("our time / peer's time (log scale; < 1: ours is faster)")
    ax.set_title("Ours against each peer, same inputs, same process", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return True


# --------------------------------------------------------------------------
# From a written report (bench.md) and the largest size only: the README's
# compact figure, redrawn from the record of a run.
# --------------------------------------------------------------------------
def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def ratios_from_report(text):
    """[(title, [(label, ratio)])] from the tables of a ``bench.md`` (pure).

    Every ratio column ``ours/<peer>`` except those of floors; the label
    names the case, its size and the peer, as `figure_rows` does.  The
    report rounds ratios to two decimals: one printed as 0.00 gets no bar.
    """
    groups, title, header = [], None, None
    for line in text.splitlines():
        if line.startswith("## "):
            title, header = line[3:].strip(), None
            continue
        if not line.startswith("|") or title is None:
            header = None if not line.startswith("|") else header
            continue
        cells = _cells(line)
        if header is None:
            header = cells
            continue
        if set(line) <= set("|-: "):
            continue
        if "case" not in header or "n" not in header:
            continue
        row = dict(zip(header, cells))
        bars = []
        for k, name in enumerate(header):
            if not name.startswith("ours/") or k == 0 or header[k - 1].startswith("floor"):
                continue
            try:
                ratio = float(cells[k])
            except (ValueError, IndexError):
                continue
            if not ratio > 0:  # rounded to 0.00 in the report: no bar on a log scale
                continue
            bars.append((f"{row['case']}, n={row['n']} vs {header[k - 1]}", ratio))
        if bars:
            if not groups or groups[-1][0] != title:
                groups.append((title, []))
            groups[-1][1].extend(bars)
    return groups


def largest_only(groups):
    """Keep, per case and peer, the bar of the largest size (pure)."""
    out = []
    for title, bars in groups:
        best = {}
        for label, ratio in bars:
            case, rest = label.rsplit(", n=", 1)
            n, peer = rest.split(" vs ", 1)
            size = int(n.replace(",", "").split()[0])
            key = (case, peer)
            if key not in best or size >= best[key][0]:
                best[key] = (size, label, ratio)
        out.append((title, [(label, ratio) for _, label, ratio in best.values()]))
    return out


def main(argv=None):
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks._bench_plot",
        description="Redraw the ratio figure from a written report (bench.md).")
    parser.add_argument("report", type=Path, help="a bench.md written by benchmarks.bench")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--largest", action="store_true",
                        help="one bar per case and peer: the largest size measured")
    parser.add_argument("--width", type=float, default=8.0, help="inches (default 8)")
    args = parser.parse_args(argv)
    groups = ratios_from_report(args.report.read_text(encoding="utf-8"))
    if args.largest:
        groups = largest_only(groups)
    if not draw_groups(groups, args.output, width=args.width):
        parser.error(f"{args.report}: no ratio column found")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
