"""What `benchmarks.bench` measures: seeded inputs and the competing calls.

A section ("1d", "emd", "div", "kr") is planned as a list of `Case`s, one per
(label, n).  A case's `build()` makes the inputs (seeded, outside any timing)
and returns a `Contest`: the competitors as zero-argument callables, ours
first, each returning the value it computed (None for a floor, which computes
nothing comparable), and untimed pivot-count probes.  How the callables are
timed, checked and tabulated lives in `benchmarks.bench`.

The cold-start section runs fresh interpreters instead (`cold_start`).
"""

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
}

#: Pivot cap handed to the peers' network simplex: never the reason to stop.
PEER_MAX_ITER = 10**9


@dataclass
class Contest:
    """The competitors of one case, on identical inputs."""

    #: name -> callable returning the value; the first entry is the subject.
    calls: dict
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


def _build_1d(n, p, weighted):
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

    def floor():
        np.sort(u)
        np.sort(v)

    calls["floor: np.sort"] = floor
    return Contest(calls)


def plan_1d(quick=False, large=False, max_n=None):
    cases = []
    for p in (1, 2):
        for weighted in (False, True):
            label = f"W_{p}" + (" weighted" if weighted else "")
            for n in sizes("1d", quick, large, max_n):
                cases.append(Case("1d", label, n, lambda n=n, p=p, w=weighted: _build_1d(n, p, w)))
    notes = [
        "Inputs: u ~ N(0, 1), v ~ N(0.5, 1.5^2), n atoms each; weighted rows draw "
        "weights rng.random(n).",
        "SciPy has no W_2 (`wasserstein_distance` is W_1 only): W_2 rows have no SciPy column.",
        "POT's `ot.wasserstein_1d` returns W_p^p and does not normalise weights: the "
        "p-th root and the normalisation are inside its timed call.",
        "Floor: NumPy's sort of both inputs, `np.sort(u); np.sort(v)`, what a "
        "sort-then-merge method pays with NumPy's sort.  Not a hard floor: ours uses "
        "its own sorts and sorts the two inputs concurrently on large inputs, so it "
        "can go below it.",
    ]
    if _pot() is None:
        notes.append("POT is not installed: POT columns skipped.")
    return cases, notes


# --------------------------------------------------------------------------
# Dense discrete EMD
# --------------------------------------------------------------------------
def _wasserstein_pkg():
    """The `wasserstein` package, or None when its compiled part does not
    load (it is loaded lazily, on first attribute access; the wheels are
    built against NumPy 1 and fail beside NumPy 2)."""
    try:
        module = importlib.import_module("wasserstein")
        module.EMD  # noqa: B018  (triggers the lazy load)
        return module
    except (ImportError, AttributeError):
        return None


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
    return Contest(calls, pivots)


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
        notes.append("The PyPI `wasserstein` package (its `EMD`) is not installed: skipped.")
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
        np.dot(p, q)

    calls["floor: np.dot"] = floor
    return Contest(calls)


def plan_div(quick=False, large=False, max_n=None):
    cases = [Case("div", kind, n, lambda kind=kind, n=n: _build_div(kind, n))
             for kind in _DIVERGENCES for n in sizes("div", quick, large, max_n)]
    notes = [
        "Inputs: p, q = 1 - rng.random(n) (positive, unnormalised; every method normalises).",
        "SciPy: KL = `scipy.stats.entropy(p, q)`, JS = `scipy.spatial.distance."
        "jensenshannon(p, q)**2`; SciPy has no TV.",
        "numpy: normalise, then sum(p log(p/q)); JS through the mixture m = (p + q)/2; "
        "TV = sum|p - q|/2.",
        "Floor (memory bandwidth): `np.dot(p, q)`, a single pass that reads both inputs "
        "once (multi-threaded BLAS, as ours is multi-threaded on large inputs: both "
        "suffer when another process holds a core).",
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


PLANS = {"1d": plan_1d, "emd": plan_emd, "div": plan_div, "kr": plan_kr}

TITLES = {
    "1d": "1-D W_1 and W_2 (sorted-CDF closed form)",
    "emd": "Dense discrete EMD (network simplex)",
    "div": "Divergences on histograms",
    "kr": "KR dual vs primal",
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
    ("wasserstein_1d", lambda: transport.wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])),
    ("emd", lambda: transport.emd(a, b, M)),
    ("emd2", lambda: transport.emd2(a, b, M)),
    ("wasserstein", lambda: transport.wasserstein(X, Y)),
    ("certify", lambda: transport.certify(transport.emd(a, b, M), a, b, M)),
    ("cost_matrix", lambda: transport.cost_matrix(X, Y)),
]
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
