"""The "families" section of `benchmarks.bench`: exact transport at scale.

For every data family of `benchmarks._families`, size n and cost (W_1:
euclidean, W_2: sqeuclidean), each solver runs in a fresh interpreter of
its own (`python -m benchmarks._bench_families --child ...`), so that its
peak resident memory (``ru_maxrss``) is its own and a peer that runs too
long can be stopped (`CHILD_TIMEOUT`).  Solvers: ours (`transport.solve`,
method "sparse", with its `SparseStats`: rounds, arcs held, pivots), the
dense network simplex (`method="network_simplex"`, up to `DENSE_MAX_N`
atoms a side) and POT's matrix-free `ot.emd2_lazy` (pivot cap lifted).
Values must agree to `RTOL`; times are medians of 3 runs when a run takes
under `REPEAT_BELOW` seconds, else one run (after a warm-up call on a
small problem, so numba compilation is never timed).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["SIZES", "run", "families_table"]

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Atoms per side, per mode ("large" adds to "full"); the images family
#: uses the nearest square (64 x 64 and 128 x 128 pixels).
SIZES = {"quick": [1000], "full": [2000, 6000], "large": [20_000, 100_000]}

#: `--huge` adds this size, for these families only, ours alone (the dense
#: cost matrix would take 8 TB; POT's `emd2_lazy` runs for hours).
HUGE_N = 1_000_000
HUGE_FAMILIES = ("uniform", "shifted")

#: The image family's pooled sizes per mode.
IMAGE_SIDES = {"quick": [32], "full": [64], "large": [128]}

#: The dense solver runs up to this many atoms a side (its cost matrix:
#: 8 n^2 bytes).
DENSE_MAX_N = 6000

#: Seconds a solver may take in one child before it is stopped.
CHILD_TIMEOUT = {"quick": 120, "full": 300, "large": 600, "huge": 5400}

#: Values of different solvers must agree to this relative tolerance.
RTOL = 1e-9

REPEAT_BELOW = 2.0

METRICS = {"W_1": "euclidean", "W_2": "sqeuclidean"}


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(family, n, metric, solver):
    """Run one solver on one problem in this process; the JSON row."""
    from benchmarks._families import family_data
    from transport._core._validation import validate_point_clouds

    X, Y, a, b = validate_point_clouds(*family_data(family, n))
    row = {"n": int(X.shape[0]), "rss_before": _peak_mib()}
    if solver == "pot":
        import ot

        def call():
            return float(ot.emd2_lazy(X, Y, a, b, metric=metric, numItermax=10**9,
                                      return_matrix=False, check_marginals=False))
        warm_X = X[:50]
        ot.emd2_lazy(warm_X, warm_X, metric=metric)
    else:
        from transport._clouds._sparse import _solve
        from transport._clouds._solve import solve_scaled

        def call():
            if solver == "sparse":
                res, stats = _solve(X, Y, a, b, metric, 1.0)
                row["stats"] = {"rounds": stats.rounds, "pivots": stats.pivots,
                                "arcs": stats.arcs_initial + stats.arcs_added,
                                "t_scan": stats.t_scan, "t_simplex": stats.t_simplex,
                                "t_coarse": stats.t_coarse}
            else:
                res, _ = solve_scaled(X, Y, a, b, metric, 1.0, solver)  # ordinary scale: k = 0
            if res.status != "optimal":
                raise RuntimeError(f"{solver} ended with status {res.status!r}")
            return res.cost
        Xw, Yw, aw, bw = validate_point_clouds(*family_data(family, 600))
        solve_scaled(Xw, Yw, aw, bw, metric, 1.0, solver)  # warm-up
    times = []
    while True:
        t = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - t)
        if times[0] >= REPEAT_BELOW or len(times) == 3:
            break
    row.update(value=value, time=float(np.median(times)), peak_mib=_peak_mib())
    return row


def _run_child(family, n, metric, solver, timeout):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    cmd = [sys.executable, "-m", "benchmarks._bench_families", "--child",
           family, str(n), metric, solver]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout} s"}
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_FAMILY_JSON "):
            return json.loads(line.split(" ", 1)[1])
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": tail[:120]}


def _plan(mode_sizes, sides, max_n):
    from benchmarks._families import FAMILIES

    out = []
    for family in FAMILIES:
        sizes = [s * s for s in sides] if family == "images" else mode_sizes
        out += [(family, n) for n in sizes if max_n is None or n <= max_n]
    return out


def run(quick=False, large=False, max_n=None, progress=None, huge=False):
    """Run the section: (rows, notes, problems).  `huge` adds `HUGE_N` atoms
    a side for `HUGE_FAMILIES`, ours alone, after the other sizes."""
    mode = "quick" if quick else "full"
    sizes = list(SIZES[mode]) + (SIZES["large"] if large else [])
    sides = list(IMAGE_SIDES[mode]) + (IMAGE_SIDES["large"] if large else [])
    timeout = CHILD_TIMEOUT["large" if large else mode]
    rows, problems = [], []
    try:
        import ot  # noqa: F401
        peers = ["pot"]
    except ImportError:
        peers = []
    plan = _plan(sizes, sides, max_n)
    if huge:
        plan += [(family, HUGE_N) for family in HUGE_FAMILIES]
    for family, n in plan:
        for label, metric in METRICS.items():
            if progress is not None:
                progress(f"families: {family} {label}, n={n:,}")
            row = {"family": family, "n": n, "cost": label}
            if n == HUGE_N and huge:
                solvers = ["sparse"]
                limit = CHILD_TIMEOUT["huge"]
            else:
                solvers = (["sparse"] + (["network_simplex"] if n <= DENSE_MAX_N else [])
                           + peers)
                limit = timeout
            for solver in solvers:
                row[solver] = _run_child(family, n, metric, solver, limit)
            ours = row["sparse"]
            if "error" in ours:
                problems.append(f"[families] {family} {label} n={n}: ours: {ours['error']}")
            else:
                for solver in solvers[1:]:
                    peer = row[solver]
                    if "value" in peer:
                        rel = abs(peer["value"] - ours["value"]) / max(abs(ours["value"]), 1e-300)
                        peer["rel"] = rel
                        if not rel <= RTOL:
                            problems.append(f"[families] {family} {label} n={n}: {solver} = "
                                            f"{peer['value']!r}, ours {ours['value']!r}")
            rows.append(row)
    notes = [
        "Families: " + "; ".join(f"{k}: {v[0]}" for k, v in _families().items()) + ".",
        "Each solver in a fresh interpreter (warm numba cache, warm-up call untimed); "
        "peak = the process's peak resident memory (interpreter included, ~0.1-0.2 GiB); "
        f"dense = `solve(..., method=\"network_simplex\")` up to n = {DENSE_MAX_N}; POT = "
        f"`ot.emd2_lazy` (numItermax 1e9), stopped after {timeout} s"
        + (f"; n = {HUGE_N:,} (--huge): ours alone, stopped after "
           f"{CHILD_TIMEOUT['huge']} s. " if huge else ". ") +
        "Ratios ours / peer (< 1: ours faster); 'agree' = largest relative difference "
        f"of the values (must be <= {RTOL:g}).",
    ]
    return rows, notes, problems


def _families():
    from benchmarks._families import FAMILIES

    return FAMILIES


def _fmt_s(x):
    return "—" if x is None else (f"{x:.3g} s" if x < 100 else f"{x:.0f} s")


def families_table(rows):
    """Markdown table of the section's rows."""
    head = ["family", "n", "cost", "ours", "peak", "rounds", "arcs", "dense", "ours/dense",
            "POT lazy", "ours/POT", "agree"]
    lines = ["| " + " | ".join(head) + " |",
             "|---|---|---|" + "---:|" * (len(head) - 3)]
    for r in rows:
        o = r["sparse"]
        cells = [r["family"], f"{o.get('n', r['n']):,}", r["cost"]]
        if "error" in o:
            cells += [o["error"]] + ["—"] * 3
        else:
            st = o.get("stats", {})
            cells += [_fmt_s(o["time"]), f"{o['peak_mib'] / 1024:.2f} GiB",
                      str(st.get("rounds", "—")), f"{st.get('arcs', 0):,}"]
        rels = []
        for key in ("network_simplex", "pot"):
            peer = r.get(key)
            if peer is None:
                cells += ["—", "—"]
            elif "error" in peer:
                cells += [peer["error"], "—"]
            else:
                ratio = o["time"] / peer["time"] if "time" in o and peer["time"] > 0 else None
                cells += [_fmt_s(peer["time"]), "—" if ratio is None else f"{ratio:.2f}"]
                rels.append(peer.get("rel", 0.0))
        cells.append(f"{max(rels):.1e}" if rels else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks._bench_families")
    parser.add_argument("--child", nargs=4, metavar=("FAMILY", "N", "METRIC", "SOLVER"),
                        required=True)
    args = parser.parse_args(argv)
    family, n, metric, solver = args.child
    row = _child(family, int(n), metric, solver)
    print("BENCH_FAMILY_JSON " + json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
