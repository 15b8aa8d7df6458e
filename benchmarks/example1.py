"""Reproduce Example 1 of the Wasserstein GAN paper (parallel lines).

Z ~ U[0, 1], P_0 = law of (0, Z), P_theta = law of (theta, Z).  In closed form
W(P_0, P_theta) = |theta|, while for theta != 0 JS = log 2, KL = +inf and
TV = 1 (all four are 0 at theta = 0): only W is continuous in theta.

For every theta on a grid this module computes

* the closed forms;
* the same quantities on a discretisation of each segment into k atoms
  (0, z_i), (theta, z_i), z_i = (i + 1/2) / k -- W through the exact LP
  (`transport.wasserstein`) and through the Kantorovich-Rubinstein dual
  (`transport.kr_dual`), TV/KL/JS through `divergences.align` and
  `divergences`;
* estimates from n i.i.d. samples per side: W by the exact LP, TV/KL/JS on
  the empirical measures (independent samples have disjoint atoms, so TV = 1
  and JS = log 2 even at theta = 0);
* dW/dtheta from the exact critic, -E_z[d/dx f(theta, z)], against one-sided
  finite differences of W, and those of JS (0 away from theta = 0, where JS
  jumps by log 2 and its difference quotients are +-log 2 / h);
* the exact critic f on a grid of the plane at one theta (the last panel);

and the vanishing-gradient picture for P = N(0, 1), Q = N(mu, 1).

Run ``python -m benchmarks.example1 --help`` (``make example1`` runs it with
the defaults).
"""

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm

import divergences
import transport
from benchmarks._cli import make_output_folder, positive_int, progress_bar

LOG2 = math.log(2.0)

#: |computed - closed form| allowed for the discretised quantities: the LP
#: and the dual are exact up to rounding on O(1) data.
TOLERANCE = 1e-9


# --------------------------------------------------------------------------
# The distributions
# --------------------------------------------------------------------------
def segment_atoms(theta, k):
    """k atoms (theta, z_i), z_i = (i + 1/2) / k: the discretised segment."""
    z = (np.arange(k) + 0.5) / k
    return np.column_stack([np.full(k, float(theta)), z])


def segment_samples(theta, n, rng):
    """n i.i.d. points (theta, Z), Z ~ U[0, 1]."""
    return np.column_stack([np.full(n, float(theta)), rng.random(n)])


def closed_forms(theta):
    """W, JS, KL, TV between P_0 and P_theta in closed form."""
    if theta == 0:
        return {"W": 0.0, "JS": 0.0, "KL": 0.0, "TV": 0.0}
    return {"W": abs(theta), "JS": LOG2, "KL": math.inf, "TV": 1.0}


def divergences_of(x, y):
    """TV, KL(P || Q), JS of two empirical measures, on their common support."""
    _, p, q = divergences.align(x, y)
    return {"TV": divergences.tv(p, q), "KL": divergences.kl(p, q), "JS": divergences.js(p, q)}


def critic_gradient(dual, y, q_weights, tol=1e-9):
    """-E_Q[d/dx f] at the atoms y of P_theta, from the exact critic.

    By complementary slackness every atom y_j of Q is the end of a transport
    ray: some atom x of P with f(x) - f(y_j) = |x - y_j| sends it mass, and
    along that ray f falls at rate 1, so grad f(y_j) = (x - y_j) / |x - y_j|.
    Several atoms of P can be tight for y_j (f is not unique and the
    discrete f need not be differentiable at y_j); here the optimal plan is
    unique -- horizontal, every other coupling costs more -- and its partner
    is the nearest of the tight atoms, so that one is taken.  Envelope
    theorem: dW/dtheta = -sum_j q_j d/dx f(y_j).
    """
    support = dual.support
    f = dual.f
    p_mask = dual.p > 0
    xp, fp = support[p_mask], f[p_mask]
    fy = dual.critic(y)
    grads = np.empty(y.shape[0])
    for j, yj in enumerate(y):
        diff = xp - yj
        dist = np.sqrt((diff**2).sum(axis=1))
        slack = fp - fy[j] - dist  # <= 0, = 0 on tight partners
        tight = np.flatnonzero(slack >= -tol * max(1.0, dist.max()))
        best = tight[np.argmin(dist[tight])]
        grads[j] = diff[best, 0] / dist[best] if dist[best] > 0 else 0.0
    return -float(np.dot(q_weights, grads))


# --------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------
def theta_grid(n_theta):
    """n_theta values in [-1, 1], 0 included exactly (n_theta odd)."""
    half = (n_theta - 1) // 2
    return np.concatenate([-np.arange(half, 0, -1) / half, [0.0], np.arange(1, half + 1) / half])


def sweep(thetas, k, n, seed, repeats=5, h=1e-3, progress=None):
    """All quantities for every theta; returns a list of row dicts.

    The sample estimate of W is repeated `repeats` times per theta (mean,
    min and max are kept: the band in the figure).
    """
    rng = np.random.default_rng(seed)
    base_atoms = segment_atoms(0.0, k)
    rows = []
    for idx, theta in enumerate(thetas):
        theta = float(theta)
        row = {"theta": theta}
        row.update({f"{key}_closed": val for key, val in closed_forms(theta).items()})

        atoms = segment_atoms(theta, k)
        row["W_lp"] = transport.wasserstein(base_atoms, atoms)
        dual = transport.kr_dual(base_atoms, atoms)
        row["W_dual"] = dual.value
        row.update({f"{key}_discrete": val for key, val in divergences_of(base_atoms, atoms).items()})

        # Gradient: exact critic vs one-sided differences of the exact W and
        # JS.  One-sided, so that the jump of JS at 0 shows (+-log 2 / h)
        # instead of cancelling out as in a central difference.
        if theta != 0.0:
            row["dW_critic"] = critic_gradient(dual, atoms, np.full(k, 1.0 / k))
        else:
            row["dW_critic"] = math.nan  # |theta| has a kink at 0
        w_plus = transport.wasserstein(base_atoms, segment_atoms(theta + h, k))
        w_minus = transport.wasserstein(base_atoms, segment_atoms(theta - h, k))
        row["dW_right"] = (w_plus - row["W_lp"]) / h
        row["dW_left"] = (row["W_lp"] - w_minus) / h
        js_plus = divergences_of(base_atoms, segment_atoms(theta + h, k))["JS"]
        js_minus = divergences_of(base_atoms, segment_atoms(theta - h, k))["JS"]
        row["dJS_right"] = (js_plus - row["JS_discrete"]) / h
        row["dJS_left"] = (row["JS_discrete"] - js_minus) / h

        estimates = []
        for _ in range(repeats):
            xs = segment_samples(0.0, n, rng)
            ys = segment_samples(theta, n, rng)
            estimates.append(transport.wasserstein(xs, ys))
        row["W_samples"] = float(np.mean(estimates))
        row["W_samples_min"] = float(np.min(estimates))
        row["W_samples_max"] = float(np.max(estimates))
        # Divergences of the last pair of samples (every pair is disjoint).
        row.update({f"{key}_samples": val for key, val in divergences_of(xs, ys).items()})
        rows.append(row)
        if progress is not None:
            progress(idx + 1, len(thetas))
    return rows


def critic_map(theta, k, x_range=(-0.75, 1.25), y_range=(-0.5, 1.5), n_grid=241):
    """The exact critic between P_0 and P_theta (k atoms each) on a grid.

    Returns a dict: `theta`, the atoms `base` (P_0) and `moved` (P_theta),
    the grid `x`, `y` ((n_grid, n_grid) each), the critic values `f` there
    and `W`, the dual value.
    """
    base, moved = segment_atoms(0.0, k), segment_atoms(theta, k)
    dual = transport.kr_dual(base, moved)
    gx, gy = np.meshgrid(np.linspace(*x_range, n_grid), np.linspace(*y_range, n_grid))
    values = dual.critic(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    return {"theta": float(theta), "base": base, "moved": moved, "x": gx, "y": gy,
            "f": values, "W": dual.value}


def max_deviation(rows):
    """Largest |computed - closed form| over the discretised quantities."""
    worst = {}
    for key_computed, key_closed in [
        ("W_lp", "W_closed"),
        ("W_dual", "W_closed"),
        ("TV_discrete", "TV_closed"),
        ("JS_discrete", "JS_closed"),
        ("KL_discrete", "KL_closed"),
    ]:
        dev = 0.0
        for r in rows:
            a, b = r[key_computed], r[key_closed]
            if math.isinf(a) or math.isinf(b):
                d = 0.0 if a == b else math.inf
            else:
                d = abs(a - b)
            dev = max(dev, d)
        worst[key_computed] = dev
    return worst


# --------------------------------------------------------------------------
# The Gaussian shift (vanishing gradients of KL/JS)
# --------------------------------------------------------------------------
def gaussian_shift(mus, n_grid=4001, n_quantiles=2000):
    """KL, JS and W_1 between N(0, 1) and N(mu, 1) for each mu.

    KL and JS are computed on a fine grid over [-8, mu + 8] (histograms of
    the densities); W_1 by `transport.wasserstein_1d` on the quantiles
    Phi^-1((i + 1/2) / N) of both laws.  KL's closed form is mu^2 / 2.  On
    the grid, float64 densities underflow to 0 once mu + 8 > ~38, where the
    grid KL becomes +inf: a limit of the histogram, not of KL.
    """
    t = norm.ppf((np.arange(n_quantiles) + 0.5) / n_quantiles)
    out = []
    for mu in mus:
        x = np.linspace(-8.0, mu + 8.0, n_grid)
        p = norm.pdf(x)
        q = norm.pdf(x, loc=mu)
        out.append(
            {
                "mu": float(mu),
                "KL_closed": mu * mu / 2.0,
                "KL_grid": divergences.kl(p, q),
                "JS_grid": divergences.js(p, q),
                "W_closed": float(mu),
                "W_quantiles": transport.wasserstein_1d(t, t + mu),
            }
        )
    return out


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------
COLUMNS = [
    "theta", "W_closed", "W_lp", "W_dual", "W_samples", "W_samples_min", "W_samples_max",
    "JS_closed", "JS_discrete", "JS_samples",
    "KL_closed", "KL_discrete", "KL_samples",
    "TV_closed", "TV_discrete", "TV_samples",
    "dW_critic", "dW_left", "dW_right", "dJS_left", "dJS_right",
]


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({c: repr(float(r[c])) for c in COLUMNS})


def print_table(rows, file=sys.stdout, every=None):
    if every is None:
        every = max(1, len(rows) // 10)
    head = (f"{'theta':>7} {'W':>8} {'W_lp':>8} {'W_dual':>8} {'W_smp':>8} {'JS':>7} {'KL':>5} "
            f"{'TV':>4} {'dW':>6} {'dJS-':>7} {'dJS+':>7}")
    print(head, file=file)
    for r in rows[::every]:
        print(
            f"{r['theta']:7.3f} {r['W_closed']:8.4f} {r['W_lp']:8.4f} {r['W_dual']:8.4f} "
            f"{r['W_samples']:8.4f} {r['JS_discrete']:7.4f} {r['KL_discrete']:5.3g} "
            f"{r['TV_discrete']:4.2g} {r['dW_critic']:6.2f} {r['dJS_left']:7.4g} "
            f"{r['dJS_right']:7.4g}",
            file=file,
        )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.example1",
        description=(
            "Reproduce Example 1 of the Wasserstein GAN paper (parallel lines) "
            "and the Gaussian-shift picture with the library's own solvers. "
            "Writes example1.png, example1.csv and gaussian_shift.png."
        ),
    )
    parser.add_argument("--grid", type=positive_int("--grid", 3, odd=True), default=201,
                        help="number of theta values in [-1, 1], odd so 0 is included (default 201)")
    parser.add_argument("--k", type=positive_int("--k", 2), default=40,
                        help="atoms per segment in the discretisation (default 40)")
    parser.add_argument("--n", type=positive_int("--n", 2), default=500,
                        help="i.i.d. samples per side for the sample estimates (default 500)")
    parser.add_argument("--repeats", type=positive_int("--repeats", 1), default=5,
                        help="sample draws per theta for the W band (default 5)")
    parser.add_argument("--seed", type=positive_int("--seed", 0), default=0,
                        help="seed of the sample estimates (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="output folder (default out/)")
    parser.add_argument("--no-plot", action="store_true",
                        help="skip the figures (CSV and table only)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not make_output_folder(args.out):
        return 2
    t0 = time.perf_counter()
    thetas = theta_grid(args.grid)
    with progress_bar(len(thetas), unit="theta") as bar:
        rows = sweep(thetas, args.k, args.n, args.seed, args.repeats,
                     progress=lambda done, total: bar.update())
    shift = gaussian_shift(np.linspace(0.0, 35.0, 141))
    write_csv(rows, args.out / "example1.csv")
    print_table(rows)
    worst = max_deviation(rows)
    print("largest deviation from the closed forms (discretised, k = %d):" % args.k)
    for key, dev in worst.items():
        print(f"  {key:12s} {dev:.3g}")
    if not args.no_plot:
        from benchmarks import _example1_plots

        critic = critic_map(0.5, args.k)
        _example1_plots.plot_example1(rows, critic, args, args.out / "example1.png")
        _example1_plots.plot_gaussian_shift(shift, args.out / "gaussian_shift.png")
    print(f"wrote {args.out}/example1.csv"
          + ("" if args.no_plot else f", {args.out}/example1.png, {args.out}/gaussian_shift.png")
          + f" in {time.perf_counter() - t0:.1f} s")
    if max(worst.values()) > TOLERANCE:
        print(f"error: a computed value deviates from its closed form by more than {TOLERANCE:g}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
