"""Figures for `benchmarks.critic` (matplotlib, headless).

Drawing only: every number plotted is computed in `benchmarks.critic` and
handed in (audit rows, trained networks, the theta paths); the one
computation here is the evaluation of the two critics on the plotting grid.
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LEGEND = {"fontsize": 7, "framealpha": 0.95}
C_EXACT = "#222222"
C_EST = "#1f77b4"
C_RESCALED = "#ff7f0e"
DASHES = {0: "-", 1: "--"}


def _col(rows, key):
    return np.array([r[key] for r in rows], dtype=float)


def _values_panel(ax, runs, dataset, clips):
    """Estimate, estimate / Lipschitz and exact W_1 against steps, one axis."""
    for k, clip in enumerate(clips):
        rows = next(r["rows"] for r in runs if r["dataset"] == dataset and r["clip"] == clip)
        steps = _col(rows, "step")
        ls = DASHES[k]
        ax.plot(steps, _col(rows, "estimate"), ls, color=C_EST,
                label=f"estimate E_P f − E_Q f (c = {clip:g})")
        ax.plot(steps, _col(rows, "rescaled_estimate"), ls, color=C_RESCALED,
                label=f"estimate / Lipschitz (c = {clip:g})")
        if k == 0:
            ax.plot(steps, _col(rows, "w1"), ":", color=C_EXACT, lw=2,
                    label="exact W_1 (certified LP)")
    # symmetric log: the raw estimate of the clipped critic is ~K = 1e-3 times
    # W_1, and an untrained critic's estimate may be negative
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_ylim(-1e-2, 3.0)
    ax.set_xlabel("critic steps")
    ax.set_title({"lines": "Example 1 lines, θ = 0.5",
                  "gaussians": "8 Gaussians vs shifted copy"}[dataset])
    ax.legend(loc="lower right", **LEGEND)


def _series_panel(ax, runs, clips, key, ylabel, title, log=False):
    colors = {"lines": "#2ca02c", "gaussians": "#9467bd"}
    for run in runs:
        k = clips.index(run["clip"])
        rows = run["rows"]
        ax.plot(_col(rows, "step"), _col(rows, key), DASHES[k], color=colors[run["dataset"]],
                label=f"{run['dataset']}, c = {run['clip']:g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("critic steps")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(**LEGEND)


def _level_sets(ax, values, gx, gy, X, Y, title):
    ax.contourf(gx, gy, values, levels=20, cmap="RdBu_r")
    ax.contour(gx, gy, values, levels=20, colors="k", linewidths=0.3)
    ax.scatter(X[:, 0], X[:, 1], s=2, color="#d62728", label="P (critic high)")
    ax.scatter(Y[:, 0], Y[:, 1], s=2, color="#1f77b4", label="Q")
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", markerscale=3, **LEGEND)


def plot_audits(runs, args, path):
    clips = [args.clip, args.clip_large]
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    _values_panel(axes[0, 0], runs, "lines", clips)
    _values_panel(axes[0, 1], runs, "gaussians", clips)
    _series_panel(axes[0, 2], runs, clips, "lipschitz", "Lipschitz constant on the samples",
                  "the constant K of the clipped critic", log=True)
    main = next(r for r in runs if r["dataset"] == "gaussians" and r["clip"] == args.clip)
    X, Y = main["samples"]
    Z = np.concatenate([X, Y])
    lo, hi = Z.min(axis=0) - 0.5, Z.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 160), np.linspace(lo[1], hi[1], 160))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    trained = main["net"](grid).reshape(gx.shape)
    exact = main["report"].exact.critic(grid).reshape(gx.shape)
    _level_sets(axes[1, 0], trained, gx, gy, X, Y,
                f"trained critic, c = {args.clip:g} (Lipschitz {main['report'].lipschitz:.2g})")
    _level_sets(axes[1, 1], exact, gx, gy, X, Y, "exact critic (kr_dual), 1-Lipschitz")
    _series_panel(axes[1, 2], runs, clips, "grad_cosine",
                  "plan-weighted cosine(∇f, transport direction)",
                  "gradient against the optimal transport")
    axes[1, 2].set_ylim(-1.05, 1.05)
    fig.suptitle(f"The WGAN critic (NumPy MLP {args.width}x{args.width}, RMSProp "
                 f"lr 5e-5, weight clipping) audited by transport.critic_report "
                 f"({args.n_audit} + {args.n_audit} samples)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_theta(dynamics, args, path):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    steps = np.arange(len(dynamics["exact"]))
    ax.plot(steps, dynamics["exact"], color=C_EXACT, label="exact critic (kr_dual) gradient")
    ax.plot(steps, dynamics["clipped"], color=C_EST,
            label=f"trained clipped critic (c = {args.clip:g}, n_critic = 5)")
    ax.plot(steps, dynamics["js"], color="crimson", label="JS of the histograms")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel("θ steps (RMSProp, lr %g)" % args.theta_lr)
    ax.set_ylabel("θ")
    ax.set_title("Example 1: P_θ = (θ, Z) learning P_0 = (0, Z) from θ = 1")
    ax.legend(**LEGEND)
    top = max(1.1, float(np.nanmax([np.max(v) for v in dynamics.values()])) + 0.05)
    ax.set_ylim(min(-0.3, float(np.min([np.min(v) for v in dynamics.values()])) - 0.05), top)
    if not math.isfinite(top):
        ax.set_ylim(-0.3, 1.1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
