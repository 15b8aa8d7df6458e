"""What `benchmarks.bench` measures: seeded inputs and the competing calls.

A section ("1d", "emd", "div", "kr", "circle", ...) is planned as a list of
`Case`s, one per (label, n).  A case's `build()` makes the inputs (seeded, outside any timing)
and returns a `Contest`: the competitors as zero-argument callables, ours
first, each returning the value it computed; floors (what any method must at
least pay, e.g. sorting the inputs), which compute nothing comparable; and
untimed pivot-count probes.  How the callables are timed, checked and
tabulated lives in `benchmarks.bench`.

The cold-start section runs fresh interpreters instead (`cold_start`).
"""

import functools
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.spatial import distance
from scipy.stats import entropy, wasserstein_distance

import divergences
import transport

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Sizes per section and mode; "large" adds to "full".
SIZES = {
    "1d": {"quick": [10**3, 10**4], "full": [10**3, 10**4, 10**5, 10**6, 10**7], "large": []},
    "emd": {"quick": [100, 250], "full": [250, 500, 1000, 2000, 4000], "large": [8000]},
    "div": {"quick": [10**3, 10**5], "full": [10**3, 10**4, 10**5, 10**6, 10**7], "large": []},
    "kr": {"quick": [100], "full": [200, 1000], "large": [2000]},
    "circle": {"quick": [10**3, 10**4], "full": [10**4, 10**5, 10**6], "large": []},
    "tree": {"quick": [10**4], "full": [10**4, 10**5, 10**6], "large": [10**7]},
    "grid": {"quick": [16, 32], "full": [32, 64, 128, 256], "large": [512]},
}

#: Largest grid side on which the dense LPs (ours and POT's) also run: the
#: cost matrix of a 64 x 64 image has 16.8e6 entries (134 MB); 128 x 128
#: would need 2.1 GB.
GRID_DENSE_MAX = 64

#: Pivot cap handed to the peers' network simplex: never the reason to stop.
PEER_MAX_ITER = 10**9


@dataclass
class Contest:
    """The competitors of one case, on identical inputs."""

    #: name -> callable returning the value; the first entry is the subject.
    calls: dict
    #: name -> callable bounding the subject from below, timed interleaved
    #: with the subject (same conditions), its value ignored.
    floors: dict = field(default_factory=dict)
    #: name -> untimed callable returning a pivot count (int) or "n/a".
    pivots: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    section: str
    label: str
    n: int
    build: Callable[[], Contest]


def sizes(section, quick=False, large=False, max_n=None):
    """The sizes a section runs at in a mode, none above `max_n` (pure)."""
    table = SIZES[section]
    if quick:
        chosen = list(table["quick"])
    else:
        chosen = list(table["full"]) + (list(table["large"]) if large else [])
    return [n for n in chosen if max_n is None or n <= max_n]


# --------------------------------------------------------------------------
# 1-D W_1 and W_2
# --------------------------------------------------------------------------
def _pot():
    try:
        return importlib.import_module("ot")
    except ImportError:
        return None


def _with_pot_and_sort(calls, pot_name, u, v, uw, vw, p):
    """`calls` with POT's `pot_name` and the sort floor added, as a Contest.

    POT returns W_p^p (as an array for some functions) and wants normalised
    weights: the p-th root and the normalisation are inside its timed call.
    """
    ot = _pot()
    if ot is not None:
        fn = getattr(ot, pot_name)
        if uw is None:
            calls["POT"] = lambda: float(np.ravel(fn(u, v, p=p))[0]) ** (1.0 / p)
        else:
            calls["POT"] = lambda: float(np.ravel(
                fn(u, v, uw / uw.sum(), vw / vw.sum(), p=p))[0]) ** (1.0 / p)

    def floor():
        np.sort(u)
        np.sort(v)

    return Contest(calls, floors={"floor: np.sort": floor})


#: Small problems (per-call overhead): W_1 at these sizes, in every mode.
SMALL_1D = [10, 100]


def _packed_kv_sort(x, w, keys, other, ws):
    """(values, weights) sorted by value with our packed-key sort: the key-
    value sort inside `wasserstein_1d`'s weighted route, on the route the
    process measured faster, without the fix-up of near-equal runs, the
    running sums and the merge.  keys, other (uint64) and ws (float64) are
    work arrays of len(x), allocated once as ours keeps its scratch."""
    from transport._line._float_keys import index_bits
    from transport._line._packed_sort import gather_values, gather_weights, pack_index_keys
    from transport._line._radix_sort import radix_sort_packed_into
    from transport._line._sort_1d import use_radix

    n = x.shape[0]
    bits = index_bits(n)
    if use_radix(n, "packed"):
        keys = radix_sort_packed_into(x, bits, keys, other)
    else:
        pack_index_keys(x, bits, keys)
        keys.sort()
    gather_weights(keys, bits, w, ws)
    gather_values(keys, x, bits)
    return keys.view(np.float64), ws


def _argsort_kv_sort(x, w):
    """(values, weights) sorted by value with NumPy: argsort, then take."""
    order = np.argsort(x)
    return x[order], w[order]


def _build_1d(n, p, weighted, floors=True):
    rng = np.random.default_rng(1)
    # Two overlapping laws, N(0, 1) and N(0.5, 1.5^2): W_p is O(1), so the
    # relative agreement check is not dominated by cancellation.
    u = rng.standard_normal(n)
    v = 0.5 + 1.5 * rng.standard_normal(n)
    uw = rng.random(n) if weighted else None
    vw = rng.random(n) if weighted else None
    calls = {"ours": lambda: transport.wasserstein_1d(u, v, uw, vw, p=p)}
    if p == 1:
        calls["SciPy"] = lambda: wasserstein_distance(u, v, uw, vw)
    ot = _pot()
    if ot is not None:
        if weighted:
            # POT does not normalise weights: done inside its timed call, as
            # ours and SciPy do inside theirs.  POT returns W_p^p.
            def pot_call():
                return ot.wasserstein_1d(u, v, uw / uw.sum(), vw / vw.sum(), p=p) ** (1.0 / p)
        else:
            def pot_call():
                return ot.wasserstein_1d(u, v, p=p) ** (1.0 / p)
        calls["POT"] = pot_call
    if not floors:  # small rows: calls of microseconds
        for call in calls.values():
            call()  # loads the kernels, so that the calls per timed run are
            # chosen from a warm call (a cold one would give 1 call per run)
        return Contest(calls)
    if weighted:
        from transport._line._routes import sorted_pair

        work = [[np.empty(n, np.uint64), np.empty(n, np.uint64), np.empty(n)]
                for _ in range(2)]

        def packed_floor():
            sorted_pair(lambda z: _packed_kv_sort(*z), (u, uw, *work[0]), (v, vw, *work[1]),
                        2 * n)

        def argsort_floor():
            _argsort_kv_sort(u, uw)
            _argsort_kv_sort(v, vw)

        return Contest(calls, floors={"floor: packed kv sort": packed_floor,
                                      "floor: argsort+take": argsort_floor})

    def floor():
        np.sort(u)
        np.sort(v)

    return Contest(calls, floors={"floor: np.sort": floor})


#: Per-column distances (`axis=0`): rows (atoms per column) per mode, and
#: the number of columns.
COLUMNS_1D = {"quick": [10**3], "full": [10**5]}
COLUMNS_WIDTH = 100


def _build_columns(n):
    rng = np.random.default_rng(5)
    U = rng.standard_normal((n, COLUMNS_WIDTH))
    V = 0.5 + 1.5 * rng.standard_normal((n, COLUMNS_WIDTH))

    def loop():
        return [wasserstein_distance(U[:, j], V[:, j]) for j in range(COLUMNS_WIDTH)]

    # The compared value: the mean of the k distances (each checked alike).
    return Contest({
        "ours": lambda: float(np.mean(transport.wasserstein_1d(U, V, axis=0))),
        "SciPy": lambda: float(np.mean(loop())),
    })


def plan_1d(quick=False, large=False, max_n=None):
    cases = [Case("1d", "W_1 small (per call)", n,
                  lambda n=n: _build_1d(n, 1, False, floors=False))
             for n in SMALL_1D if max_n is None or n <= max_n]
    cases += [Case("1d", f"W_1 per column, {COLUMNS_WIDTH} columns", n,
                   lambda n=n: _build_columns(n))
              for n in COLUMNS_1D["quick" if quick else "full"] if max_n is None or n <= max_n]
    for p in (1, 2):
        for weighted in (False, True):
            label = f"W_{p}" + (" weighted" if weighted else "")
            for n in sizes("1d", quick, large, max_n):
                cases.append(Case("1d", label, n, lambda n=n, p=p, w=weighted: _build_1d(n, p, w)))
    notes = [
        "Inputs: u ~ N(0, 1), v ~ N(0.5, 1.5^2), n atoms each; weighted rows draw "
        "weights rng.random(n).",
        "Small rows: the same unweighted W_1 at n = 10 and 100, where the fixed cost of a "
        "call is the whole cost (each timed run loops the call until it lasts 1 ms).",
        f"Per-column rows: U, V of shape (n, {COLUMNS_WIDTH}), `wasserstein_1d(U, V, axis=0)` "
        f"against a loop of `scipy.stats.wasserstein_distance` over the {COLUMNS_WIDTH} "
        "columns; the value compared is the mean of the distances.",
        "SciPy has no W_2 (`wasserstein_distance` is W_1 only): W_2 rows have no SciPy column.",
        "POT's `ot.wasserstein_1d` returns W_p^p and does not normalise weights: the "
        "p-th root and the normalisation are inside its timed call.",
        "Floor, unweighted rows: NumPy's sort of both inputs, `np.sort(u); np.sort(v)`, "
        "what a sort-then-merge method pays with NumPy's sort.  Not a hard floor: ours "
        "may use its own sort and sorts the two inputs concurrently on large inputs, "
        "so it can go below it.",
        "Floors, weighted rows (key-value sorts: values sorted, weights moved along): "
        "'packed kv sort' is the fastest we have built -- the index packed into the "
        "low bits of each value's order-preserving 64-bit key, one sort of those keys "
        "(our radix sort or NumPy's, whichever this process measured faster), then "
        "weights and values gathered -- both inputs concurrently, as ours does; it is "
        "ours minus the fix-up of near-equal runs, the running sums and the merge.  "
        "'argsort+take' is NumPy's: `o = np.argsort(u); u[o]; uw[o]`, both inputs.",
    ]
    if _pot() is None:
        notes.append("POT is not installed: POT columns skipped.")
    return cases, notes


# --------------------------------------------------------------------------
# Dense discrete EMD
# --------------------------------------------------------------------------
@functools.cache
def _wasserstein_pkg():
    """The PyPI `wasserstein` package, or None when it is absent or broken.

    A build against another NumPy ABI fails on its first import and leaves
    a half-initialised package behind, which a second import returns: the
    outcome of the first attempt is kept, and `EMD` must be reachable.
    """
    try:
        module = importlib.import_module("wasserstein")
        module.EMD  # noqa: B018
    except (ImportError, AttributeError):
        return None
    return module


def _pot_iter_key(ot):
    """The key of POT's `ot.emd(..., log=True)` log that counts iterations, if any."""
    a = np.array([0.5, 0.5])
    _, log = ot.emd(a, a, np.array([[0.0, 1.0], [1.0, 0.0]]), log=True)
    keys = [key for key in log if "iter" in key.lower()]
    return (keys[0] if keys else None), sorted(log)


def _pot_pivots(ot, a, b, M):
    key, _ = _pot_iter_key(ot)
    if key is None:  # not in POT 0.9: spare the untimed re-solve
        return "n/a"
    _, log = ot.emd(a, b, M, numItermax=PEER_MAX_ITER, log=True)
    return int(log[key])


def _build_emd(n):
    rng = np.random.default_rng(2)
    X = rng.random((n, 2))
    Y = rng.random((n, 2))
    M = np.ascontiguousarray(distance.cdist(X, Y), dtype=np.float64)
    a = np.full(n, 1.0 / n)
    b = np.full(n, 1.0 / n)
    calls = {"ours": lambda: transport.emd2(a, b, M)}
    pivots = {"ours": lambda: transport.emd(a, b, M).n_iter}
    ot = _pot()
    if ot is not None:
        calls["POT"] = lambda: float(ot.emd2(a, b, M, numItermax=PEER_MAX_ITER))
        pivots["POT"] = lambda: _pot_pivots(ot, a, b, M)
    wpkg = _wasserstein_pkg()
    if wpkg is not None:
        solver = wpkg.EMD(n_iter_max=PEER_MAX_ITER)
        calls["wasserstein"] = lambda: float(solver(a, b, M))
        n_iter = getattr(solver, "n_iter", None)
        pivots["wasserstein"] = (lambda: int(n_iter())) if callable(n_iter) else (lambda: "n/a")
    return Contest(calls, pivots=pivots)


def plan_emd(quick=False, large=False, max_n=None):
    cases = [Case("emd", "W_1, uniform 2-D clouds", n, lambda n=n: _build_emd(n))
             for n in sizes("emd", quick, large, max_n)]
    notes = [
        "Inputs: X, Y = rng.random((n, 2)), uniform weights 1/n, M = scipy cdist "
        "(euclidean), built outside the timing, C-contiguous float64. "
        f"Peers get numItermax = {PEER_MAX_ITER:.0e}.",
        "Pivots: ours from `transport.emd(a, b, M).n_iter` (a separate, untimed call).",
    ]
    ot = _pot()
    if ot is None:
        notes.append("POT is not installed: POT columns skipped.")
    else:
        key, keys = _pot_iter_key(ot)
        notes.append("POT's pivots: `ot.emd(..., log=True)` returns a log with keys "
                     + ", ".join(keys)
                     + ("; none counts iterations, hence 'n/a'." if key is None
                        else f"; pivots from {key!r}."))
    if _wasserstein_pkg() is None:
        notes.append("The PyPI `wasserstein` package (its `EMD`) is not installed, or does "
                     "not import with this NumPy: skipped.")
    return cases, notes


# --------------------------------------------------------------------------
# Small problems: EMD (per-call cost, as in a loop over pairs)
# --------------------------------------------------------------------------
SIZES["small-emd"] = {"quick": [5], "full": [5, 20, 64], "large": []}


def _build_small_emd(kind, n):
    rng = np.random.default_rng(11)
    X = rng.random((n, 2))
    Y = rng.random((n, 2))
    a = rng.random(n)
    b = rng.random(n)
    a /= a.sum()
    b /= b.sum()
    ot = _pot()
    if kind == "emd2(a, b, M)":
        M = np.ascontiguousarray(distance.cdist(X, Y), dtype=np.float64)
        calls = {"ours": lambda: transport.emd2(a, b, M)}
        if ot is not None:
            calls["POT"] = lambda: float(ot.emd2(a, b, M, numItermax=PEER_MAX_ITER))
    else:  # point clouds: the cost matrix is part of the call
        calls = {"ours": lambda: transport.wasserstein(X, Y, a, b)}
        if ot is not None:
            calls["POT"] = lambda: float(ot.emd2(a, b, ot.dist(X, Y, metric="euclidean"),
                                                 numItermax=PEER_MAX_ITER))
    return Contest(calls)


def plan_small_emd(quick=False, large=False, max_n=None):
    cases = [Case("small-emd", kind, n, lambda kind=kind, n=n: _build_small_emd(kind, n))
             for kind in ("emd2(a, b, M)", "wasserstein(X, Y, a, b)")
             for n in sizes("small-emd", quick, large, max_n)]
    notes = [
        "Per-call cost on n x n problems (the fixed cost of a call is most of "
        "the cost): X, Y = rng.random((n, 2)), random normalised weights; "
        "emd2 gets M = scipy cdist (C-contiguous float64) built outside the "
        "timing; the point-cloud rows include the cost matrix (POT: `ot.dist` "
        "then `ot.emd2`).  Every call of ours validates its input and certifies "
        "its answer.",
    ]
    if _pot() is None:
        notes.append("POT is not installed: POT columns skipped.")
    return cases, notes


# --------------------------------------------------------------------------
# Divergences
# --------------------------------------------------------------------------
def _np_kl(p, q):
    p = p / p.sum()
    q = q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def _np_js(p, q):
    p = p / p.sum()
    q = q / q.sum()
    m = 0.5 * (p + q)
    return float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))


def _np_tv(p, q):
    return float(0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


_DIVERGENCES = {
    "KL": (divergences.kl, lambda p, q: float(entropy(p, q)), _np_kl),
    "JS": (divergences.js, lambda p, q: float(distance.jensenshannon(p, q) ** 2), _np_js),
    "TV": (divergences.tv, None, _np_tv),
}


def _build_div(kind, n):
    rng = np.random.default_rng(3)
    # 1 - U[0, 1) lies in (0, 1]: strictly positive, unnormalised histograms.
    p = 1.0 - rng.random(n)
    q = 1.0 - rng.random(n)
    ours, scipy_fn, numpy_fn = _DIVERGENCES[kind]
    calls = {"ours": lambda: ours(p, q)}
    if scipy_fn is not None:
        calls["SciPy"] = lambda: scipy_fn(p, q)
    calls["numpy"] = lambda: numpy_fn(p, q)

    def floor():
        p.sum()
        q.sum()

    return Contest(calls, floors={"floor: p.sum(); q.sum()": floor})


def plan_div(quick=False, large=False, max_n=None):
    cases = [Case("div", kind, n, lambda kind=kind, n=n: _build_div(kind, n))
             for kind in _DIVERGENCES for n in sizes("div", quick, large, max_n)]
    notes = [
        "Inputs: p, q = 1 - rng.random(n) (positive, unnormalised; every method normalises).",
        "SciPy: KL = `scipy.stats.entropy(p, q)`, JS = `scipy.spatial.distance."
        "jensenshannon(p, q)**2`; SciPy has no TV.",
        "numpy: normalise, then sum(p log(p/q)); JS through the mixture m = (p + q)/2; "
        "TV = sum|p - q|/2.",
        "Floor (reading both inputs once): `p.sum(); q.sum()`, NumPy's vectorised, "
        "single-threaded sum.  Ours is single-threaded below 2^22 bins; above, when the "
        "other cores are idle, it runs on all of them and can go below this floor.  "
        "(Not `np.dot(p, q)`: OpenBLAS splits it over threads that stall whenever "
        "another process holds a core, 3-7 ms instead of tens of µs at 10^5.)",
    ]
    return cases, notes


# --------------------------------------------------------------------------
# Small problems: divergences (per-call cost, as in a loop over pairs)
# --------------------------------------------------------------------------
SIZES["small-div"] = {"quick": [10], "full": [10, 100], "large": []}


def plan_small_div(quick=False, large=False, max_n=None):
    cases = [Case("small-div", kind, n, lambda kind=kind, n=n: _build_div(kind, n))
             for kind in _DIVERGENCES for n in sizes("small-div", quick, large, max_n)]
    notes = [
        "Per-call cost on tiny histograms (the fixed cost of a call is the whole "
        "cost): same inputs and peers as the divergence section, warm, each call "
        "looped up to 1000 times per timed run.",
    ]
    return cases, notes


# --------------------------------------------------------------------------
# Pairwise divergences: every pair of rows of two histogram matrices
# --------------------------------------------------------------------------
SIZES["pairwise-div"] = {"quick": [200], "full": [1000], "large": [10000]}
PAIRWISE_BINS = 256
PAIRWISE_Q_ROWS = 1000


def _build_pairwise_div(n):
    rng = np.random.default_rng(5)
    P = rng.random((n, PAIRWISE_BINS))
    Q = rng.random((min(n, PAIRWISE_Q_ROWS), PAIRWISE_BINS))
    # The matrices' sums are compared (a NaN anywhere would show).
    return Contest({
        "ours": lambda: float(divergences.pairwise(P, Q, metric="js").sum()),
        "SciPy": lambda: float((distance.cdist(P, Q, "jensenshannon") ** 2).sum()),
    })


def plan_pairwise_div(quick=False, large=False, max_n=None):
    cases = [Case("pairwise-div", f"JS, n x {PAIRWISE_Q_ROWS} rows", n,
                  lambda n=n: _build_pairwise_div(n))
             for n in sizes("pairwise-div", quick, large, max_n)]
    notes = [
        f"Inputs: P = rng.random((n, {PAIRWISE_BINS})), Q = rng.random((min(n, "
        f"{PAIRWISE_Q_ROWS}), {PAIRWISE_BINS})); ours `divergences.pairwise(P, Q, "
        "metric='js')` on all cores, SciPy `cdist(P, Q, 'jensenshannon')**2` (one "
        "thread); the sums of the two matrices are compared.",
    ]
    return cases, notes


# --------------------------------------------------------------------------
# KR dual vs primal
# --------------------------------------------------------------------------
def _build_kr(n):
    rng = np.random.default_rng(4)
    X = rng.random((n, 2))
    Y = rng.random((n, 2))
    return Contest({
        "kr_dual": lambda: transport.kr_dual(X, Y).value,
        "primal: wasserstein": lambda: transport.wasserstein(X, Y),
    })


def plan_kr(quick=False, large=False, max_n=None):
    if not hasattr(transport, "kr_dual"):
        return [], ["`transport` has no `kr_dual` yet: section skipped."]
    cases = [Case("kr", "W_1, uniform 2-D clouds", n, lambda n=n: _build_kr(n))
             for n in sizes("kr", quick, large, max_n)]
    notes = ["Inputs: X, Y = rng.random((n, 2)), uniform weights, euclidean; "
             "`transport.kr_dual(X, Y).value` against `transport.wasserstein(X, Y)`."]
    return cases, notes


# --------------------------------------------------------------------------
# The circle
# --------------------------------------------------------------------------
def _build_circle(n, p, weighted):
    rng = np.random.default_rng(5)
    # Angles (as fractions of a turn) of two overlapping laws: uniform, and
    # a wrapped normal around 0.3 turns.
    u = rng.random(n)
    v = (0.3 + 0.2 * rng.standard_normal(n)) % 1.0
    uw = rng.random(n) if weighted else None
    vw = rng.random(n) if weighted else None
    calls = {"ours": lambda: transport.wasserstein_circle(u, v, uw, vw, p=p)}
    # POT with its defaults (eps = 1e-6 on the shift).
    return _with_pot_and_sort(calls, "wasserstein_circle", u, v, uw, vw, p)


def plan_circle(quick=False, large=False, max_n=None):
    cases = []
    for p, weighted in ((1, False), (2, False), (2, True)):
        label = f"W_{p}" + (" weighted" if weighted else "")
        for n in sizes("circle", quick, large, max_n):
            cases.append(Case("circle", label, n,
                              lambda n=n, p=p, w=weighted: _build_circle(n, p, w)))
    notes = [
        "Inputs: n angles each (in turns, period 1): u ~ U[0, 1), v = 0.3 + 0.2 N(0, 1) "
        "mod 1; weighted rows draw weights rng.random(n).",
        "POT: `ot.wasserstein_circle` with its defaults, which is its "
        "`ot.binary_search_circle` (a bisection on the shift to eps = 1e-6, for every "
        "p); it returns W_p^p and does not normalise weights: the p-th root and the "
        "normalisation are inside its timed call.",
        "Floor: NumPy's sort of both inputs.",
    ]
    if _pot() is None:
        notes.append("POT is not installed: POT columns skipped.")
    return cases, notes


# --------------------------------------------------------------------------
# Trees
# --------------------------------------------------------------------------
def _levels(parent, root):
    """Non-root nodes grouped by depth, deepest first (pointer jumping)."""
    anc = parent.copy()
    anc[root] = root
    depth = np.ones(parent.shape[0], np.int64)  # distance from each node to anc
    depth[root] = 0
    while np.any(anc[anc] != anc):
        depth = depth + depth[anc]
        anc = anc[anc]
    order = np.argsort(-depth, kind="stable")
    cuts = np.flatnonzero(np.diff(depth[order])) + 1
    return [g for g in np.split(order, cuts) if depth[g[0]] > 0]


def _build_tree(n):
    rng = np.random.default_rng(6)
    # A random recursive tree (each node hangs from a uniformly chosen
    # earlier node), its labels shuffled so that parents do not come first.
    up = np.concatenate([[-1], rng.integers(0, np.arange(1, n))])
    perm = rng.permutation(n)
    parent = np.empty(n, np.int64)
    parent[perm] = np.where(up == -1, -1, perm[np.maximum(up, 0)])
    length = rng.random(n)
    u = rng.random(n)
    v = rng.random(n)
    v *= u.sum() / v.sum()

    def numpy_levels():
        # The same edge sum by NumPy, deepest level first (depths by pointer
        # jumping): an independent value, and what NumPy alone costs.
        root = int(np.flatnonzero(parent == -1)[0])
        d = u - v
        for nodes in _levels(parent, root):
            np.add.at(d, parent[nodes], d[nodes])
        d[root] = 0.0
        return float(np.sum(length * np.abs(d)))

    return Contest({"ours": lambda: transport.wasserstein_tree(parent, length, u, v),
                    "numpy: level by level": numpy_levels})


def plan_tree(quick=False, large=False, max_n=None):
    cases = [Case("tree", "W_1, random recursive tree", n, lambda n=n: _build_tree(n))
             for n in sizes("tree", quick, large, max_n)]
    notes = [
        "Inputs: a random recursive tree of n nodes (node k hangs from a uniform "
        "earlier node; labels then shuffled), edge lengths and both masses "
        "rng.random(n), v rescaled to the total of u.  Ours includes validation "
        "(one root, no cycle).",
        "numpy: the same edge sum in NumPy alone: depths by pointer jumping, nodes "
        "grouped by depth (argsort), then np.add.at level by level, deepest first; "
        "all inside its timed call (no validation).  No peer library has tree W_1 "
        "(POT's is unreleased work).",
    ]
    return cases, notes


# --------------------------------------------------------------------------
# Grids (images)
# --------------------------------------------------------------------------
def _photographs():
    """scikit-learn's two bundled sample photographs, or None."""
    try:
        from sklearn.datasets import load_sample_images
    except ImportError:
        return None
    return load_sample_images().images


def _pooled(image, side):
    """Grey levels of `image`'s top-left square, side x side, normalised:
    mean-pooled, or (sides beyond the photograph's 427 pixels) resampled
    by linear interpolation."""
    grey = image.astype(np.float64).mean(axis=2)
    square = min(grey.shape)
    k = square // side
    if k >= 1:
        grey = grey[:k * side, :k * side].reshape(side, k, side, k).mean(axis=(1, 3))
    else:
        from scipy.ndimage import zoom

        grey = zoom(grey[:square, :square], side / square, order=1)[:side, :side]
    return grey / grey.sum()


def _build_grid(side):
    images = _photographs()
    u, v = _pooled(images[0], side), _pooled(images[1], side)
    calls = {"ours": lambda: transport.wasserstein_grid(u, v)}
    if side <= GRID_DENSE_MAX:
        axis = np.arange(side, dtype=np.float64)
        pts = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
        M = np.ascontiguousarray(distance.cdist(pts, pts, metric="cityblock"))
        a, b = u.ravel(), v.ravel()
        calls["dense LP: emd2"] = lambda: transport.emd2(a, b, M)
        ot = _pot()
        if ot is not None:
            calls["POT"] = lambda: float(ot.emd2(a, b, M, numItermax=PEER_MAX_ITER))
    return Contest(calls)


def plan_grid(quick=False, large=False, max_n=None):
    if _photographs() is None:
        return [], ["scikit-learn (its bundled sample photographs) is not installed: "
                    "section skipped."]
    cases = [Case("grid", "W_1, L1 ground cost, photographs", side,
                  lambda side=side: _build_grid(side))
             for side in sizes("grid", quick, large, max_n)]
    notes = [
        "Inputs: scikit-learn's two sample photographs (china.jpg, flower.jpg), grey "
        "levels of the top-left square mean-pooled to n x n pixels (n = 512: the "
        "427 x 427 square resampled by linear interpolation) and normalised; n is the "
        "side, n^2 the number of pixels.",
        f"Dense LPs (ours `emd2`, POT's `ot.emd2`) on the n^2 x n^2 cityblock cost "
        f"matrix, built outside the timing, up to n = {GRID_DENSE_MAX}.",
    ]
    return cases, notes


PLANS = {"1d": plan_1d, "emd": plan_emd, "div": plan_div, "kr": plan_kr,
         "small-emd": plan_small_emd, "small-div": plan_small_div,
         "pairwise-div": plan_pairwise_div, "circle": plan_circle, "tree": plan_tree,
         "grid": plan_grid}

TITLES = {
    "1d": "1-D W_1 and W_2 (sorted-CDF closed form)",
    "emd": "Dense discrete EMD (network simplex)",
    "div": "Divergences on histograms",
    "kr": "KR dual vs primal",
    "small-emd": "Small problems: EMD (per call, warm)",
    "small-div": "Small problems: divergences (per call, warm)",
    "pairwise-div": "Pairwise divergences (all pairs of rows)",
    "circle": "W_p on the circle",
    "tree": "Tree W_1 (shortest-path metric)",
    "grid": "Grid W_1 (images, min-cost flow)",
    "cold": "Cold start (fresh interpreter)",
}


# --------------------------------------------------------------------------
# Cold start
# --------------------------------------------------------------------------
#: Run in a fresh interpreter: import, first call of each public function,
#: then count the numba compilations that happened in this process.
CHILD_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import divergences, transport
timings = {"import": time.perf_counter() - t0}
p, q = [0.2, 0.3, 0.5], [0.1, 0.6, 0.3]
a, b = np.array([0.5, 0.5]), np.array([0.25, 0.75])
M = np.array([[0.0, 2.0], [1.0, 0.0]])
X, Y = np.array([[0.0, 0.0], [0.0, 1.0]]), np.array([[3.0, 0.0], [3.0, 1.0], [2.0, 2.0]])
calls = [
    ("tv", lambda: divergences.tv(p, q)),
    ("kl", lambda: divergences.kl(p, q)),
    ("js", lambda: divergences.js(p, q)),
    ("js_distance", lambda: divergences.js_distance(p, q)),
    ("align", lambda: divergences.align([0.0, 1.0, 1.0], [1.0, 2.0])),
    ("pairwise", lambda: divergences.pairwise([p, q], metric="js")),
    ("wasserstein_1d", lambda: transport.wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])),
    ("emd", lambda: transport.emd(a, b, M)),
    ("emd2", lambda: transport.emd2(a, b, M)),
    ("wasserstein", lambda: transport.wasserstein(X, Y)),
    ("certify", lambda: transport.certify(transport.emd(a, b, M), a, b, M)),
    ("cost_matrix", lambda: transport.cost_matrix(X, Y)),
]
if hasattr(transport, "wasserstein_circle"):
    calls.append(("wasserstein_circle", lambda: transport.wasserstein_circle(
        [0.1, 0.7], [0.4], p=2)))
if hasattr(transport, "wasserstein_grid"):
    calls.append(("wasserstein_grid", lambda: transport.wasserstein_grid(
        [[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]])))
if hasattr(transport, "wasserstein_tree"):
    calls.append(("wasserstein_tree", lambda: transport.wasserstein_tree(
        [-1, 0, 0], [0.0, 1.0, 2.0], [0, 1, 0], [0, 0, 1])))
if hasattr(transport, "kr_dual"):
    calls.append(("kr_dual", lambda: transport.kr_dual(X, Y)))
for name, fn in calls:
    t = time.perf_counter()
    fn()
    timings[name] = time.perf_counter() - t
timings["total"] = time.perf_counter() - t0

from numba.core.dispatcher import Dispatcher
from numba.core.caching import NullCache
compiled, seen = {}, set()
for mod_name, mod in list(sys.modules.items()):
    if mod is None or mod_name.split(".")[0] not in ("divergences", "transport"):
        continue
    for attr, obj in vars(mod).items():
        if isinstance(obj, Dispatcher) and obj.signatures and id(obj) not in seen:
            seen.add(id(obj))
            if isinstance(obj._cache, NullCache):
                k = len(obj.signatures)
            else:
                k = sum(obj.stats.cache_misses.values())
            if k:
                compiled[obj.__module__ + "." + obj.__name__] = k
print("BENCH_COLD_JSON " + json.dumps({"timings": timings, "compiled": compiled}))
"""


def _run_child(cache_dir, timeout=900):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env["NUMBA_DEBUG_CACHE"] = "1"
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD_SCRIPT], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start child failed (exit {proc.returncode}):\n"
                           + proc.stderr[-2000:])
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_COLD_JSON "):
            result = json.loads(line[len("BENCH_COLD_JSON "):])
    if result is None:
        raise RuntimeError("cold-start child printed no result:\n" + proc.stdout[-2000:])
    text = proc.stdout + proc.stderr
    result["saved"] = text.count("data saved to")
    result["wall"] = wall
    return result


def cold_start(progress=None):
    """Cold- and warm-cache first-call timings in fresh interpreters.

    `progress(label)`, if given, is called after each of the three steps
    (priming, cold run, warm run) with the label of the next.

    Returns a dict with "cold" and "warm" child results (timings in
    seconds, `compiled`: dispatchers that compiled, `saved`: cache entries
    written per NUMBA_DEBUG_CACHE) and `recompilations` of the warm run.
    The user's numba cache is never touched: both runs use a temporary
    NUMBA_CACHE_DIR, empty for the cold run and warmed by it for the warm one.
    """
    with tempfile.TemporaryDirectory(prefix="bench-numba-prime-") as prime, \
            tempfile.TemporaryDirectory(prefix="bench-numba-cache-") as cache:
        # Prime the OS file cache (shared libraries, .pyc) so that the cold
        # run measures numba compilation, not disk reads.  Import only.
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), NUMBA_CACHE_DIR=prime)
        subprocess.run([sys.executable, "-c", "import divergences, transport, scipy.stats"],
                       cwd=REPO_ROOT, env=env, check=True, timeout=300)
        if progress:
            progress("cold start: empty numba cache")
        cold = _run_child(cache)
        if progress:
            progress("cold start: warm numba cache")
        warm = _run_child(cache)
    if progress:
        progress("")
    recompilations = max(sum(warm["compiled"].values()), warm["saved"])
    return {"cold": cold, "warm": warm, "recompilations": recompilations}
