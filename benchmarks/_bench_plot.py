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
    groups = figure_rows(results, titles)
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
