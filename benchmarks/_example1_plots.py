"""Figures for `benchmarks.example1` (matplotlib, headless).

Drawing only: every number plotted is computed in `benchmarks.example1` and
handed in (rows of the sweep, the critic on a grid, the Gaussian shift).
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LOG2 = math.log(2.0)
C_CLOSED = "#222222"
C_LP = "#1f77b4"
C_DUAL = "#ff7f0e"
C_SAMPLE = "#2ca02c"
C_INF = "crimson"
LEGEND = {"fontsize": 8, "framealpha": 0.95}


def _col(rows, key):
    return np.array([r[key] for r in rows], dtype=float)


def _closed_step(ax, theta, values, label="closed form"):
    """Draw a closed form that jumps at theta = 0 without a vertical line."""
    zero = theta == 0
    left, right = theta < 0, theta > 0
    ax.plot(theta[left], values[left], color=C_CLOSED, lw=1.5, label=label)
    ax.plot(theta[right], values[right], color=C_CLOSED, lw=1.5)
    ax.plot(theta[zero], values[zero], "o", color=C_CLOSED, ms=5, mfc="white")


def _infinity_ceiling(ax, ceiling, finite_ticks, finite_top):
    """Show +inf as a labelled ceiling above a broken y axis.

    Values equal to +inf are drawn (by the caller) at `ceiling`; the y axis
    keeps the `finite_ticks` (labelled) and a "+∞" tick at the ceiling, and
    two slashes on the axis between `finite_top` and the ceiling mark the
    break: the distance to the ceiling means nothing.
    """
    ax.axhline(ceiling, color=C_INF, lw=0.8, ls=":", zorder=0)
    ticks = list(finite_ticks) + [ceiling]
    labels = [f"{t:g}" for t in finite_ticks] + ["+∞"]
    ax.set_yticks(ticks, labels)
    ax.get_yticklabels()[-1].set_color(C_INF)
    y_break = finite_top + 0.5 * (ceiling - finite_top)
    ymin, ymax = ax.get_ylim()
    frac = (y_break - ymin) / (ymax - ymin)
    for dy in (-0.012, 0.012):  # two slashes across the left spine
        ax.plot([-0.015, 0.015], [frac + dy - 0.012, frac + dy + 0.012],
                transform=ax.transAxes, color="k", lw=1, clip_on=False)
    ax.plot([0, 0], [frac - 0.01, frac + 0.01], transform=ax.transAxes, color="white",
            lw=3, clip_on=False, zorder=3)


def _divergence_panel(ax, rows, theta, sub, key, function, top, ylabel, title):
    """Closed form, the k-atom value and the sample value of one divergence."""
    _closed_step(ax, theta, _col(rows, f"{key}_closed"))
    ax.plot(theta[sub], _col(rows, f"{key}_discrete")[sub], "o", ms=4, color=C_LP,
            label=f"divergences.{function} (k atoms)")
    ax.plot(theta, _col(rows, f"{key}_samples"), "--", color=C_SAMPLE,
            label="on samples (disjoint atoms)")
    ax.set_ylim(-0.05, top)
    ax.set_title(title)
    ax.set_xlabel("θ")
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", **LEGEND)


def _w_panel(ax, rows, theta, sub, repeats):
    ax.fill_between(theta, _col(rows, "W_samples_min"), _col(rows, "W_samples_max"),
                    color=C_SAMPLE, alpha=0.25, lw=0,
                    label=f"exact LP on samples ({repeats} draws: min–max)")
    ax.plot(theta, _col(rows, "W_closed"), color=C_CLOSED, lw=1.5, label="closed form |θ|")
    ax.plot(theta[sub], _col(rows, "W_lp")[sub], "o", ms=4, color=C_LP,
            label="exact LP (network simplex)")
    ax.plot(theta[sub], _col(rows, "W_dual")[sub], "x", ms=6, color=C_DUAL,
            label="KR dual (exact critic)")
    ax.set_ylim(-0.05, 1.45)  # room above the V for the legend
    ax.set_title("Earth-Mover distance W: continuous in θ")
    ax.set_xlabel("θ")
    ax.set_ylabel("W(P_0, P_θ)")
    ax.legend(loc="upper center", **LEGEND)


def _kl_panel(ax, rows, theta, sub):
    ceiling = 1.0

    def capped(key):
        values = _col(rows, key)
        return np.where(np.isinf(values), ceiling, values)

    ax.set_ylim(-0.08, 1.12)
    _closed_step(ax, theta, capped("KL_closed"))
    ax.plot(theta[sub], capped("KL_discrete")[sub], "^", ms=5, color=C_LP,
            label="divergences.kl (k atoms)")
    ax.plot(theta, capped("KL_samples"), "--", color=C_SAMPLE, lw=1.2,
            label="on samples: +∞ at every θ")
    _infinity_ceiling(ax, ceiling, finite_ticks=[0], finite_top=0.0)
    ax.text(0.02, 0.62, "KL = +∞ for every θ ≠ 0\n(drawn on the ceiling; axis broken)",
            transform=ax.transAxes, color=C_INF, fontsize=8, va="bottom")
    ax.set_title("Kullback–Leibler: +∞ for every θ ≠ 0")
    ax.set_xlabel("θ")
    ax.set_ylabel("KL(P_0 ‖ P_θ)")
    ax.legend(loc="center left", bbox_to_anchor=(0.0, 0.4), **LEGEND)


def _gradient_panel(ax, rows, theta, sub):
    """One-sided differences of W and JS, and dW/dθ from the exact critic."""
    h = 1e-3
    left, right, zero = theta < 0, theta > 0, theta == 0
    d_w = _col(rows, "dW_right")
    ax.plot(theta[left], d_w[left], color=C_CLOSED, lw=1.2,
            label="W, one-sided differences")
    ax.plot(theta[right], d_w[right], color=C_CLOSED, lw=1.2)
    if zero.any():  # W's kink: left slope -1, right slope +1
        ax.plot([0, 0], [_col(rows, "dW_left")[zero][0], d_w[zero][0]], "o", ms=5,
                color=C_CLOSED, mfc="white")
    ax.plot(theta[sub], _col(rows, "dW_critic")[sub], "o", ms=3, color=C_DUAL,
            label="W, exact critic: −E_z[∂ₓf]")
    d_js = _col(rows, "dJS_right")
    ax.plot(theta[left], d_js[left], "--", color=C_LP, label="JS, one-sided differences")
    ax.plot(theta[right], d_js[right], "--", color=C_LP)
    top, bottom = 2.5, -2.5
    ax.set_ylim(bottom, top)
    if zero.any():  # JS's jump: the quotients +-log 2 / h leave the panel
        q = _col(rows, "dJS_right")[zero][0]
        for y_end in (top, bottom):
            ax.annotate("", xy=(0, y_end), xytext=(0, 0),
                        arrowprops={"arrowstyle": "-|>", "color": C_LP, "lw": 1.5})
        ax.text(0.06, -0.35, "JS jumps by log 2 at θ = 0: its\n"
                f"one-sided differences ±log 2 / h\n= ±{q:.0f} (h = {h:g}) leave the\n"
                "panel, → ±∞ as h → 0",
                color=C_LP, fontsize=8, ha="left", va="top")
    ax.set_title("Gradients: W gives sign(θ); JS gives 0, or ±∞ at θ = 0")
    ax.set_xlabel("θ")
    ax.set_ylabel("derivative with respect to θ")
    ax.legend(loc="upper left", **LEGEND)


def _critic_panel(fig, ax, critic):
    im = ax.pcolormesh(critic["x"], critic["y"], critic["f"], shading="auto", cmap="viridis")
    ax.contour(critic["x"], critic["y"], critic["f"], levels=12, colors="white",
               linewidths=0.4, alpha=0.6)
    base, moved = critic["base"], critic["moved"]
    ax.plot(base[:, 0], base[:, 1], "o", ms=3, mfc="white", mec="black", mew=0.4,
            label="P_0 atoms")
    ax.plot(moved[:, 0], moved[:, 1], "o", ms=3, mfc="red", mec="black", mew=0.4,
            label="P_θ atoms")
    fig.colorbar(im, ax=ax, shrink=0.85, label="critic value f")
    ax.set_aspect("equal")
    ax.set_title(f"Exact critic f at θ = {critic['theta']:g}"
                 f"  (W = E_P0 f − E_Pθ f = {critic['W']:.3f})")
    ax.set_xlabel("first coordinate (θ direction)")
    ax.set_ylabel("second coordinate (z)")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=2, markerscale=1.8, **LEGEND)


def plot_example1(rows, critic, args, path):
    """Write `figure_example1` to `path` (`args`: the sweep's k, n, repeats)."""
    fig = figure_example1(rows, critic, args.k, args.n, args.repeats)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def figure_example1(rows, critic, k, n, repeats):
    """The six panels: W, JS, KL, TV, gradients (from `rows`) and the critic map;
    `k` atoms per segment, `n` samples per side drawn `repeats` times."""
    theta = _col(rows, "theta")
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.2), constrained_layout=True)
    fig.suptitle(
        "WGAN Example 1: P_0 = law of (0, Z), P_θ = law of (θ, Z), Z ~ U[0, 1]"
        f"   (k = {k} atoms per segment, n = {n} samples per side)",
        fontsize=12,
    )
    sub = slice(None, None, max(1, len(rows) // 50))  # markers: ~50 per curve
    _w_panel(axes[0, 0], rows, theta, sub, repeats)
    ax = axes[0, 1]
    ax.axhline(LOG2, color="grey", lw=0.5)
    _divergence_panel(ax, rows, theta, sub, "JS", "js", 0.8, "JS(P_0, P_θ)  (nats; log 2 ≈ 0.693)",
                      "Jensen–Shannon: log 2 for every θ ≠ 0")
    _kl_panel(axes[0, 2], rows, theta, sub)
    _divergence_panel(axes[1, 0], rows, theta, sub, "TV", "tv", 1.15, "TV(P_0, P_θ)",
                      "Total variation: 1 for every θ ≠ 0")
    _gradient_panel(axes[1, 1], rows, theta, sub)
    _critic_panel(fig, axes[1, 2], critic)
    fig.text(
        0.5, -0.06,
        "Lines: closed forms. Markers: the library on k atoms per segment. Green: n i.i.d. samples per side; "
        "independent samples never share an atom, so on samples TV = 1, JS = log 2 and KL = +∞ even at θ = 0 — "
        "the paper's point seen from the data side — while the exact W estimate stays close to |θ|. "
        "Critic: the 1-Lipschitz f that maximises E_P0 f − E_Pθ f (Kantorovich–Rubinstein duality: "
        "the maximum is W); its slope along θ gives dW/dθ, the gradient a WGAN's critic supplies.",
        ha="center", fontsize=9, wrap=True,
    )
    return fig


def plot_gaussian_shift(rows, path):
    """Write `figure_gaussian_shift` to `path`."""
    fig = figure_gaussian_shift(rows)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def figure_gaussian_shift(rows):
    """KL, JS and W_1 between N(0, 1) and N(mu, 1) against mu."""
    mu = _col(rows, "mu")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    fig.suptitle("P = N(0, 1), Q = N(μ, 1): KL grows without bound, JS saturates at log 2, "
                 "W₁ = μ", fontsize=12)

    ax = axes[0]
    kl_closed = _col(rows, "KL_closed")
    kl = _col(rows, "KL_grid")
    finite = np.isfinite(kl)
    top = kl_closed.max()
    ceiling = 1.25 * top
    ax.set_ylim(-0.04 * ceiling, 1.06 * ceiling)
    ax.plot(mu, kl_closed, color=C_CLOSED, label="closed form μ²/2")
    ax.plot(mu[finite][::4], kl[finite][::4], "o", ms=4, color=C_LP,
            label="divergences.kl on a grid")
    if (~finite).any():
        ax.plot(mu[~finite], np.full((~finite).sum(), ceiling), "^", ms=4, color=C_INF,
                label=f"grid KL = +∞ for μ > {mu[~finite].min() - 0.25:g}:\n"
                      "float64 densities underflow")
    step = 100 if top > 300 else 10 ** math.floor(math.log10(max(top, 1e-12)))
    _infinity_ceiling(ax, ceiling, finite_ticks=np.arange(0, top + 1e-9, step),
                      finite_top=top)
    ax.set_xlabel("μ (shift of Q)")
    ax.set_ylabel("KL(P ‖ Q)  (nats)")
    ax.set_title("KL(P ‖ Q): grows like μ²/2")
    ax.legend(loc="upper left", bbox_to_anchor=(0.03, 0.8), **LEGEND)

    ax = axes[1]
    ax.plot(mu, _col(rows, "JS_grid"), color=C_LP, label="divergences.js on a grid")
    ax.axhline(LOG2, color=C_INF, ls=":", label="log 2")
    ax.set_ylim(-0.03, 0.8)
    ax.set_xlabel("μ (shift of Q)")
    ax.set_ylabel("JS(P, Q)  (nats)")
    ax.set_title("JS(P, Q): flat (zero gradient) once the bumps separate")
    ax.legend(loc="lower right", **LEGEND)

    ax = axes[2]
    ax.plot(mu, _col(rows, "W_closed"), color=C_CLOSED, label="closed form μ")
    ax.plot(mu[::4], _col(rows, "W_quantiles")[::4], "o", ms=4, color=C_DUAL,
            label="transport.wasserstein_1d on quantiles")
    ax.set_xlabel("μ (shift of Q)")
    ax.set_ylabel("W₁(P, Q)")
    ax.set_title("W₁(P, Q): gradient 1 everywhere")
    ax.legend(loc="upper left", **LEGEND)
    return fig
