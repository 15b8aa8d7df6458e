"""The "features" section of `benchmarks.bench`: samples in feature space.

Cost matrices and exact W_1 / W_2 between point clouds of 64 to 2048
dimensions, side by side with POT (`ot.dist`, and `ot.dist` + `ot.emd2`
with its pivot cap lifted), on data that ships inside scikit-learn:

* ``digits``: the 8 x 8 digits of `sklearn.datasets.load_digits` (64-D),
  the even-indexed images against the odd-indexed ones;
* ``patches``: 16 x 16 x 3 patches (768-D) cut at seeded random places
  from the two photographs of `sklearn.datasets.load_sample_images`, one
  cloud from each photograph;
* ``gauss784``, ``gauss2048``: standard Gaussian clouds, the second shifted
  by 0.1 per axis;

and the sparse method against the dense one in 64-D (``gauss64``).  Every
timed call follows an untimed warm-up on a small problem (numba
compilation); ours and POT's calls alternate, the median of the rounds is
reported, ratio = ours / POT (< 1: ours faster).  Values must agree:
costs to `COST_ATOL` of the largest cost (POT's product form loses
accuracy on close pairs; ours is within 2^-44 of the exact distance),
transport costs to `RTOL`.
"""

import statistics
import time

import numpy as np

__all__ = ["run", "features_table", "SIZES"]

#: Points per cloud per mode.
SIZES = {"quick": 60, "full": 3000, "large": 10_000}

#: Values of W must agree to this relative tolerance.
RTOL = 1e-9

#: Cost matrices must agree to this fraction of their largest entry.
COST_ATOL = 1e-9

ROUNDS = {"quick": 1, "full": 3, "large": 1}


def _digits(n, rng):
    from sklearn.datasets import load_digits

    data = load_digits().data.astype(np.float64)
    X, Y = data[0::2], data[1::2]
    return X[:n], Y[:n]


def _patches(n, rng, side=16):
    from sklearn.datasets import load_sample_images

    clouds = []
    for image in load_sample_images().images[:2]:
        img = np.asarray(image, dtype=np.float64) / 255.0
        h, w = img.shape[:2]
        r = rng.integers(0, h - side, n)
        c = rng.integers(0, w - side, n)
        clouds.append(np.stack([img[i:i + side, j:j + side].ravel() for i, j in zip(r, c)]))
    return clouds[0], clouds[1]


def _gauss(d):
    def make(n, rng):
        return rng.standard_normal((n, d)), rng.standard_normal((n, d)) + 0.1
    return make


DATA = {"digits": _digits, "patches": _patches, "gauss784": _gauss(784),
        "gauss2048": _gauss(2048), "gauss64": _gauss(64)}


def _time_pair(ours, peer, rounds):
    """Median seconds of ours and of peer over alternating rounds, and
    their last values."""
    t_o, t_p = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        v_o = ours()
        t_o.append(time.perf_counter() - t)
        t = time.perf_counter()
        v_p = peer()
        t_p.append(time.perf_counter() - t)
    return statistics.median(t_o), statistics.median(t_p), v_o, v_p


def _cost_case(X, Y, rounds):
    import ot

    from transport import cost_matrix

    cost_matrix(X[:20], Y[:20])
    ot.dist(X[:20], Y[:20], metric="euclidean")
    t_o, t_p, M, Mp = _time_pair(lambda: cost_matrix(X, Y),
                                 lambda: ot.dist(X, Y, metric="euclidean"), rounds)
    err = float(np.max(np.abs(M - Mp)) / max(float(M.max()), 1e-300))
    return {"ours": t_o, "peer": t_p, "agree": err, "ok": err <= COST_ATOL}


def _w_case(X, Y, p, rounds):
    import ot

    from transport import wasserstein

    metric = "euclidean" if p == 1 else "sqeuclidean"
    a = np.full(X.shape[0], 1.0 / X.shape[0])
    b = np.full(Y.shape[0], 1.0 / Y.shape[0])

    def peer(X=X, Y=Y, a=a, b=b):
        w = ot.emd2(a, b, ot.dist(X, Y, metric=metric), numItermax=10**9)
        return float(w) ** (1.0 / p)

    wasserstein(X[:30], Y[:30], p=p)
    peer(X[:30], Y[:30], a[:30] / a[:30].sum(), b[:30] / b[:30].sum())
    t_o, t_p, w, wp = _time_pair(lambda: wasserstein(X, Y, p=p), peer, rounds)
    err = abs(w - wp) / max(abs(w), 1e-300)
    return {"ours": t_o, "peer": t_p, "agree": err, "ok": err <= RTOL}


def _sparse_case(X, Y, rounds):
    from transport import solve

    solve(X[:30], Y[:30], method="sparse")
    solve(X[:30], Y[:30], method="network_simplex")
    t_o, t_p, r_o, r_p = _time_pair(lambda: solve(X, Y, method="sparse"),
                                    lambda: solve(X, Y, method="network_simplex"), rounds)
    err = abs(r_o.cost - r_p.cost) / max(abs(r_p.cost), 1e-300)
    ok = err <= RTOL and r_o.status == "optimal" and r_o.certificate.ok
    return {"ours": t_o, "peer": t_p, "agree": err, "ok": ok}


def _plan(mode):
    n = SIZES["quick" if mode == "quick" else "full"]
    plan = []
    for name in ("digits", "patches", "gauss784", "gauss2048"):
        plan.append((name, n, "cost matrix"))
    for name in ("digits", "patches", "gauss784"):
        plan += [(name, n, "W_1"), (name, n, "W_2")]
    plan.append(("gauss64", n, "sparse W_1"))
    if mode == "large":
        plan.append(("gauss2048", SIZES["large"], "W_2"))
    return plan


def run(quick=False, large=False, max_n=None, progress=None):
    """Run the section: (rows, notes, problems)."""
    mode = "quick" if quick else ("large" if large else "full")
    rounds = ROUNDS[mode]
    rows, problems = [], []
    try:
        import ot  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        return [], [f"skipped: {exc}"], []
    try:
        import PIL  # noqa: F401  (sklearn's sample photographs need it)
        skip = set()
    except ImportError:
        skip = {"patches"}
    for name, n, what in _plan(mode):
        if name in skip:
            continue
        if max_n is not None and n > max_n:
            continue
        if progress is not None:
            progress(f"features: {what}, {name}, n={n:,}")
        X, Y = DATA[name](n, np.random.default_rng(0))
        X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
        if what == "cost matrix":
            res = _cost_case(X, Y, rounds)
        elif what == "sparse W_1":
            res = _sparse_case(X, Y, rounds)
        else:
            res = _w_case(X, Y, 1 if what == "W_1" else 2, rounds)
        row = {"data": name, "n": X.shape[0], "d": X.shape[1], "what": what, **res}
        rows.append(row)
        if not res["ok"]:
            problems.append(f"[features] {what} {name} n={n}: values differ by "
                            f"{res['agree']:.2e}")
    notes = [
        "digits = sklearn's 8 x 8 digits (even vs odd images); patches = 16 x 16 x 3 "
        "patches of sklearn's two sample photographs (one cloud each); gaussN = "
        "standard Gaussians in N dimensions, the second cloud shifted by 0.1 per axis.",
        "cost matrix: `cost_matrix(X, Y)` vs `ot.dist(X, Y, metric='euclidean')`; W_p: "
        "`wasserstein(X, Y, p=p)` vs `ot.emd2(a, b, ot.dist(X, Y, ...))` (numItermax "
        "1e9), cost matrix included on both sides; sparse W_1: `solve(method='sparse')`"
        " vs `solve(method='network_simplex')` (ours both).",
        f"Median of {rounds} alternating round(s) after an untimed warm-up; ratio = "
        "ours / peer (< 1: ours faster); agree = relative difference of the values "
        "(cost matrices: largest difference / largest cost).",
    ]
    return rows, notes, problems


def features_table(rows):
    """Markdown table of the section's rows."""
    lines = ["| data | n | d | what | ours | peer | ratio | agree |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['data']} | {r['n']:,} | {r['d']} | {r['what']} | "
                     f"{r['ours']:.3g} s | {r['peer']:.3g} s | "
                     f"{r['ours'] / r['peer']:.2f} | {r['agree']:.1e} |")
    return "\n".join(lines)


def main():
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m benchmarks._bench_features")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--large", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}")
    rows, notes, problems = run(quick=args.quick, large=args.large,
                                progress=lambda s: print(s, flush=True))
    print("\n".join(notes))
    print(features_table(rows))
    print("\n".join(problems) or "all values agree")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
