"""The Wasserstein GAN critic, trained as in the paper and audited against
the exact one (`transport.critic_report`).

Three experiments, no deep-learning framework (the critic is the NumPy MLP
of `benchmarks._mlp`):

1. The critic of Algorithm 1 (RMSProp, learning rate 5e-5, weight clipping
   c = 0.01, minibatches of 64) trained on two fixed pairs of
   distributions -- Example 1's parallel lines at theta = 0.5 (P_0 = law of
   (0, Z), P_theta = law of (theta, Z), Z ~ U[0, 1]) and a mixture of 8
   Gaussians against a shifted copy -- and audited every few hundred steps
   on fixed samples: its estimate E_P f - E_Q f, that estimate divided by
   its exact Lipschitz constant on the samples, the exact W_1, the
   constant itself and the cosine between its gradient and the optimal
   transport direction.  A second run with a larger clipping value shows
   the constant K hidden in the paper's "up to a multiplicative constant":
   the raw estimates differ by K, the rescaled ones do not.
2. The level sets of the trained critic beside those of the exact critic
   (`kr_dual`) of the same samples.
3. Learning dynamics: theta of Example 1, started at 1, moved by RMSProp
   steps along (i) the exact critic's gradient, (ii) the trained clipped
   critic's (n_critic = 5 critic steps per theta step, as in Algorithm 1),
   (iii) the gradient of the JS divergence between histograms of the two
   point sets -- which is 0: JS is log 2 for every theta that separates the
   histograms, and theta does not move.

Writes out/critic.png, out/critic.csv and out/critic_theta.png and prints
the final audits.  Defaults: 4 runs (2 pairs x clipping 0.01 and 0.1) of
3000 critic steps, each audited 18 times (steps 0, 10, 25, 50, 100, 175 and
every 250) on 500 + 500 samples; theta: 120 RMSProp steps of learning rate
0.01 (the exact critic and JS on 128 samples per side; the clipped critic
after 500 warm-up steps, fresh minibatches of 64).  About 50 s of CPU time
from a fresh clone, of which about 30 s compile the numba kernels once.
``--speed`` instead times `critic_report` and its Lipschitz scan against a
NumPy brute force (and POT for the primal) in the same run.  Run ``python -m benchmarks.critic --help`` (``make critic`` runs
the defaults).
"""

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np

import divergences
import transport
from benchmarks._cli import make_output_folder, positive_int, progress_bar
from benchmarks._mlp import MLP, RMSProp
from benchmarks.example1 import critic_gradient

#: The paper's settings (Algorithm 1 and its experiments).
LEARNING_RATE = 5e-5
BATCH = 64
N_CRITIC = 5
CLIP = 0.01

#: Example 1's theta for the fixed pair, and where the dynamics start.
THETA = 0.5
THETA_START = 1.0

#: The 8-Gaussian mixture: centres on a circle of this radius, this standard
#: deviation, and the shift of the second copy (W_1 of the two laws = |shift|).
RADIUS = 2.0
SPREAD = 0.2
SHIFT = np.array([1.0, 0.0])


# --------------------------------------------------------------------------
# The distributions: (P, Q) samplers, the critic is large on P
# --------------------------------------------------------------------------
def lines(theta=THETA):
    """Example 1: P_0 = law of (0, Z) and P_theta = law of (theta, Z)."""

    def p(n, rng):
        return np.column_stack([np.zeros(n), rng.random(n)])

    def q(n, rng):
        return np.column_stack([np.full(n, float(theta)), rng.random(n)])

    return p, q


def gaussians(shift=SHIFT):
    """A mixture of 8 Gaussians on a circle, and its copy moved by `shift`."""
    angles = np.arange(8) * np.pi / 4
    centres = RADIUS * np.column_stack([np.cos(angles), np.sin(angles)])

    def p(n, rng):
        return centres[rng.integers(0, 8, n)] + SPREAD * rng.normal(size=(n, 2))

    def q(n, rng):
        return p(n, rng) + shift

    return p, q


DATASETS = {"lines": lines, "gaussians": gaussians}

#: Extra audits in the first steps, where the critic changes fastest.
EARLY_AUDITS = (10, 25, 50, 100, 175)


# --------------------------------------------------------------------------
# 1. Training with audits
# --------------------------------------------------------------------------
AUDIT_FIELDS = ["w1", "estimate", "rescaled_estimate", "lower_bound", "gap", "lipschitz",
                "violations", "grad_cosine", "grad_coverage"]


def train_and_audit(dataset, clip, steps, audit_every, n_audit, width, seed, progress=None):
    """Train the clipped critic on `dataset`, auditing it every `audit_every`
    steps on fixed samples (n_audit per side).

    Returns (rows, net, report, samples): one dict per audit, the trained
    MLP, its last `CriticReport` and the audit samples (X, Y).
    """
    rng = np.random.default_rng(seed)
    sample_p, sample_q = DATASETS[dataset]()
    X, Y = sample_p(n_audit, rng), sample_q(n_audit, rng)
    net = MLP(2, (width, width), rng)
    net.clip(clip)
    opt = RMSProp(net.params, LEARNING_RATE)
    rows = []
    report = None
    for step in range(steps + 1):
        if step % audit_every == 0 or step == steps or step in EARLY_AUDITS:
            report = transport.critic_report(net, X, Y, grad=net.input_grad)
            rows.append({"dataset": dataset, "clip": clip, "step": step,
                         **{k: getattr(report, k) for k in AUDIT_FIELDS}})
        if step == steps:
            break
        _, grads = net.objective_grads(sample_p(BATCH, rng), sample_q(BATCH, rng))
        opt.ascend(grads)
        net.clip(clip)
        if progress is not None:
            progress()
    return rows, net, report, (X, Y)


# --------------------------------------------------------------------------
# 3. Learning dynamics of theta
# --------------------------------------------------------------------------
def _theta_step(opt, theta, grad):
    """One RMSProp descent step of theta along `grad` (dW/dtheta or dJS/dtheta)."""
    opt.descend([np.array([grad])])
    return float(theta[0])


def theta_exact(steps, lr, n, rng):
    """theta moved along the exact critic's gradient (kr_dual each step),
    on n fixed noise samples per side."""
    z_real, z_fake = rng.random(n), rng.random(n)
    real = np.column_stack([np.zeros(n), z_real])
    theta = np.array([THETA_START])
    opt = RMSProp([theta], lr)
    path = [theta[0]]
    weights = np.full(n, 1.0 / n)
    for _ in range(steps):
        fake = np.column_stack([np.full(n, theta[0]), z_fake])
        dual = transport.kr_dual(real, fake)
        path.append(_theta_step(opt, theta, critic_gradient(dual, fake, weights)))
    return np.array(path)


def theta_clipped(steps, lr, clip, width, warmup, rng):
    """theta moved along the trained clipped critic's gradient: `warmup`
    critic steps at the start, then N_CRITIC critic steps per theta step
    (Algorithm 1); fresh minibatches throughout."""
    net = MLP(2, (width, width), rng)
    net.clip(clip)
    opt_f = RMSProp(net.params, LEARNING_RATE)
    theta = np.array([THETA_START])
    opt = RMSProp([theta], lr)

    def fake(m):
        return np.column_stack([np.full(m, theta[0]), rng.random(m)])

    def real(m):
        return np.column_stack([np.zeros(m), rng.random(m)])

    def train(k):
        for _ in range(k):
            _, grads = net.objective_grads(real(BATCH), fake(BATCH))
            opt_f.ascend(grads)
            net.clip(clip)

    train(warmup)
    path = [theta[0]]
    for _ in range(steps):
        train(N_CRITIC)
        # W ~ E_real f - E_fake f: dW/dtheta = -E_z d/dx f(theta, z)
        dw = -float(net.input_grad(fake(BATCH))[:, 0].mean())
        path.append(_theta_step(opt, theta, dw))
    return np.array(path)


def js_of_histograms(real, fake, bins):
    """JS between the 2-D histograms of two point sets on the grid `bins`."""
    p, _, _ = np.histogram2d(real[:, 0], real[:, 1], bins=bins)
    q, _, _ = np.histogram2d(fake[:, 0], fake[:, 1], bins=bins)
    return divergences.js(p.ravel(), q.ravel())


def theta_js(steps, lr, n, rng, h=1e-4):
    """theta moved along the (central-difference) gradient of the JS of the
    discretised distributions: 40 x 20 bins over [-0.51, 1.49] x [0, 1]."""
    bins = [np.linspace(-0.51, 1.49, 41), np.linspace(0.0, 1.0, 21)]
    z_real, z_fake = rng.random(n), rng.random(n)
    real = np.column_stack([np.zeros(n), z_real])
    theta = np.array([THETA_START])
    opt = RMSProp([theta], lr)
    path = [theta[0]]
    js = []
    for _ in range(steps):
        def at(t):
            return js_of_histograms(real, np.column_stack([np.full(n, t), z_fake]), bins)
        js.append(at(theta[0]))
        grad = (at(theta[0] + h) - at(theta[0] - h)) / (2 * h)
        path.append(_theta_step(opt, theta, grad))
    return np.array(path), np.array(js)


# --------------------------------------------------------------------------
# Speed: critic_report and its scan against a NumPy brute force
# --------------------------------------------------------------------------
def numpy_lipschitz(Z, f, block=2000):
    """The NumPy brute force: all pairs in blocks, distances from direct
    differences in low dimension and from a matrix product above 8
    coordinates (not exact there: that is what one writes in NumPy)."""
    n, d = Z.shape
    best, viol = 0.0, 0
    sq = np.einsum("ij,ij->i", Z, Z)
    for i0 in range(0, n, block):
        Zi, fi = Z[i0:i0 + block], f[i0:i0 + block]
        for j0 in range(i0, n, block):
            Zj, fj = Z[j0:j0 + block], f[j0:j0 + block]
            if d < 8:
                D = np.sqrt(((Zi[:, None, :] - Zj[None, :, :]) ** 2).sum(axis=-1))
            else:
                D = np.sqrt(np.maximum(sq[i0:i0 + block, None] + sq[None, j0:j0 + block]
                                       - 2.0 * Zi @ Zj.T, 0.0))
            df = np.abs(fi[:, None] - fj[None, :])
            if i0 == j0:
                lower = np.tril_indices(len(Zi))
                df[lower] = 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(df > 0, df / D, 0.0)
            best = max(best, float(ratio.max()))
            viol += int((df > D).sum())
    return best, viol


def _timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _load():
    try:
        with open("/proc/loadavg") as fh:
            return fh.read().split()[0]
    except OSError:
        return "?"


def speed(sizes, repeats, seed, out=sys.stdout):
    """Time critic_report (split into critic calls, Lipschitz scan, primal
    solve) and the scan alone, against NumPy brute force and POT."""
    from transport._core._metrics import EUCLIDEAN
    from transport._samples._critic import _solve_method, evaluate_critic
    from transport._samples._lipschitz import lipschitz_scan

    try:
        import ot
    except ImportError:  # the peer is optional
        ot = None
    rng = np.random.default_rng(seed)
    lines = []
    for n, d, what in sizes:
        net = MLP(d, (64, 64), rng)
        X = rng.normal(size=(n, d))
        Y = rng.normal(size=(n, d)) + 0.5
        Z = np.concatenate([X, Y])
        f = net(Z)
        transport.critic_report(net, X[:200], Y[:200])  # warm: compile
        lipschitz_scan(Z[:1200], f[:1200], EUCLIDEAN)
        load = _load()
        t_scan, scan = _timed(lambda: lipschitz_scan(Z, f, EUCLIDEAN), repeats)
        t_np, (lip_np, viol_np) = _timed(lambda: numpy_lipschitz(Z, f), 1)
        row = (f"{n} + {n} in {d}-D: Lipschitz scan {t_scan:.2f} s (NumPy brute force "
               f"{t_np:.2f} s, x{t_np / t_scan:.1f}); L = {scan.lipschitz:.17g} "
               f"(NumPy {lip_np:.17g}), violations {scan.n_violations} (NumPy {viol_np})")
        if what == "report":
            t_rep, rep = _timed(lambda: transport.critic_report(net, X, Y), repeats)
            t_eval, _ = _timed(lambda: evaluate_critic(net, Z, 4096), repeats)
            t_solve, res = _timed(lambda: transport.solve(X, Y, method=_solve_method(d)),
                                  repeats)
            row += (f"\n  critic_report {t_rep:.2f} s = critic calls {t_eval:.2f} + scan "
                    f"{t_scan:.2f} + solve {t_solve:.2f} ({res.method}) + rest; "
                    f"W_1 = {rep.w1:.12g}")
            if ot is not None:
                def pot():
                    a = np.full(n, 1.0 / n)
                    return ot.emd2(a, a, ot.dist(X, Y, metric="euclidean"), numItermax=10**8)
                t_pot, w_pot = _timed(pot, 1)
                row += (f"\n  peer: POT emd2 (+ cost matrix) {t_pot:.2f} s + NumPy scan "
                        f"{t_np:.2f} s = {t_pot + t_np:.2f} s, x{(t_pot + t_np) / t_rep:.1f} "
                        f"critic_report; POT W_1 = {float(w_pot):.12g}")
        row += f"  [load {load} -> {_load()}]"
        print(row, file=out, flush=True)
        lines.append(row)
    return lines


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------
def write_csv(rows, path):
    columns = ["dataset", "clip", "step", *AUDIT_FIELDS]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow({c: (r[c] if isinstance(r[c], str) else repr(r[c]))
                             for c in columns})


def print_final(runs, file=sys.stdout):
    head = (f"{'dataset':>10} {'clip':>5} {'steps':>6} {'W_1':>8} {'estimate':>10} "
            f"{'est/Lip':>8} {'Lipschitz':>10} {'violations':>10} {'cosine':>7}")
    print(head, file=file)
    for run in runs:
        r = run["rows"][-1]
        print(f"{r['dataset']:>10} {r['clip']:>5g} {r['step']:>6d} {r['w1']:8.4f} "
              f"{r['estimate']:10.3g} {r['rescaled_estimate']:8.4f} {r['lipschitz']:10.3g} "
              f"{r['violations']:10.3g} {r['grad_cosine']:7.3f}", file=file)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.critic",
        description=(
            "Train the WGAN critic of the paper (NumPy MLP, RMSProp 5e-5, weight "
            "clipping) on Example 1's lines and on 8 Gaussians, audit it against the "
            "exact W_1 with transport.critic_report, and move Example 1's theta by "
            "the exact critic, the clipped critic and JS. Writes critic.png, "
            "critic.csv and critic_theta.png."
        ),
    )
    parser.add_argument("--steps", type=positive_int("--steps", 1), default=3000,
                        help="critic training steps per run (default 3000)")
    parser.add_argument("--audit-every", type=positive_int("--audit-every", 1), default=250,
                        help="audit the critic every this many steps (default 250)")
    parser.add_argument("--n-audit", type=positive_int("--n-audit", 2), default=500,
                        help="audit samples per side (default 500)")
    parser.add_argument("--width", type=positive_int("--width", 1), default=64,
                        help="hidden units per layer, two hidden layers (default 64)")
    parser.add_argument("--clip", type=float, default=CLIP,
                        help=f"weight clipping c (default {CLIP}, the paper's)")
    parser.add_argument("--clip-large", type=float, default=0.1,
                        help="the second run's larger clipping value (default 0.1)")
    parser.add_argument("--theta-steps", type=positive_int("--theta-steps", 1), default=120,
                        help="theta steps in the learning dynamics (default 120)")
    parser.add_argument("--theta-lr", type=float, default=0.01,
                        help="RMSProp learning rate of theta (default 0.01)")
    parser.add_argument("--theta-n", type=positive_int("--theta-n", 2), default=128,
                        help="samples per side for the exact critic and JS (default 128)")
    parser.add_argument("--warmup", type=positive_int("--warmup", 0), default=500,
                        help="critic steps before theta's first step (default 500)")
    parser.add_argument("--seed", type=positive_int("--seed", 0), default=0,
                        help="random seed (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="output folder (default out/)")
    parser.add_argument("--no-plot", action="store_true",
                        help="skip the figures (CSV and table only)")
    parser.add_argument("--speed", action="store_true",
                        help="time critic_report and its Lipschitz scan against NumPy and "
                             "POT instead (2000 + 2000 in 2-D, 5000 + 5000 in 64-D, scan "
                             "alone on 10000 + 10000 in 64-D)")
    args = parser.parse_args(argv)
    for name in ("clip", "clip_large", "theta_lr"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            parser.error(f"--{name.replace('_', '-')} must be a positive number; got {value}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.speed:
        speed([(2000, 2, "report"), (5000, 64, "report"), (10000, 64, "scan")],
              repeats=3, seed=args.seed)
        return 0
    if not make_output_folder(args.out):
        return 2
    t0 = time.perf_counter()
    runs = []
    configs = [(name, c) for c in (args.clip, args.clip_large) for name in DATASETS]
    with progress_bar(len(configs) * args.steps, unit="step") as bar:
        for k, (name, clip) in enumerate(configs):
            rows, net, report, samples = train_and_audit(
                name, clip, args.steps, args.audit_every, args.n_audit, args.width,
                args.seed + k, progress=bar.update)
            runs.append({"dataset": name, "clip": clip, "rows": rows, "net": net,
                         "report": report, "samples": samples})
    t_train = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed + 100)
    dynamics = {
        "exact": theta_exact(args.theta_steps, args.theta_lr, args.theta_n, rng),
        "clipped": theta_clipped(args.theta_steps, args.theta_lr, args.clip, args.width,
                                 args.warmup, rng),
    }
    dynamics["js"], js_values = theta_js(args.theta_steps, args.theta_lr, args.theta_n, rng)
    write_csv([r for run in runs for r in run["rows"]], args.out / "critic.csv")
    main_run = runs[1]  # the 8 Gaussians at the paper's clipping
    print(main_run["report"])
    print()
    print_final(runs)
    print(f"theta after {args.theta_steps} steps: exact critic "
          f"{dynamics['exact'][-1]:.3f}, clipped critic {dynamics['clipped'][-1]:.3f}, "
          f"JS {dynamics['js'][-1]:.3f} (JS = {js_values.min():.4f}..{js_values.max():.4f}, "
          f"log 2 = {math.log(2):.4f})")
    if not args.no_plot:
        from benchmarks import _critic_plots

        _critic_plots.plot_audits(runs, args, args.out / "critic.png")
        _critic_plots.plot_theta(dynamics, args, args.out / "critic_theta.png")
    print(f"wrote {args.out}/critic.csv"
          + ("" if args.no_plot else f", {args.out}/critic.png, {args.out}/critic_theta.png")
          + f" in {time.perf_counter() - t0:.1f} s (training and audits {t_train:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
