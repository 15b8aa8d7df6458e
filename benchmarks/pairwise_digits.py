"""Exact W_1 between all of scikit-learn's digits: `transport.pairwise`
against `wasserstein.PairwiseEMD` and a loop of POT's `ot.emd2`.

The data: the 1797 8x8 images bundled with scikit-learn (no download), each
a 64-bin histogram over the pixel grid (bin (r, c) at the point (r, c),
euclidean ground distance).  Measured, side by side in one run:

* pairs/s on 1 and 2 threads over the matrix of the first ``--rate-n``
  images: ours (all pairs certified) and PairwiseEMD (C++, OpenMP), the
  latter fed the 64 bins as they are and fed only the non-zero bins (its
  best case; we drop zero bins inside); the two timed in turns, one run
  each per round, medians over ``--repeats`` rounds (the machine may be
  shared);
* a loop of `ot.emd2` over the pairs of the first ``--pot-n`` images (one
  thread; its rate extrapolated to the full matrix, and said so);
* with ``--full``: the full 1797 x 1797 matrix by `transport.pairwise` on
  all cores (1.6 million pairs), then the leave-one-out 1-nearest-neighbour
  accuracy under exact W_1 against the euclidean distance between the
  images (pixel vectors, and normalised histograms).

Values are compared pair by pair: every peer's distance must agree with
ours to `RTOL` relative (exit code 1 otherwise).  PairwiseEMD is built
against NumPy 1 and does not import beside NumPy 2: ``--peer-python`` names
an interpreter of an environment where it does (``python -m venv peer &&
peer/bin/pip install "numpy<2" wasserstein``); it then runs in a child
process (`benchmarks._peer_pairwise_emd`) on the same histograms, timed
inside that process the same way.  Without one, and when it does not import
here, the peer is skipped with a note.  Writes ``<out>/pairwise_digits.md``.
Run ``python -m benchmarks.pairwise_digits --help``.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

from benchmarks._cli import make_output_folder, positive_int
from transport import pairwise
from transport._pairs._pairwise import distance_block, validate_histogram_rows

#: Relative agreement required between ours and every peer.
RTOL = 1e-9

PEER_SCRIPT = Path(__file__).with_name("_peer_pairwise_emd.py")


def digits():
    """(images (1797, 64) raw pixel values, labels, grid (64, 2))."""
    from sklearn.datasets import load_digits

    data = load_digits()
    rows, cols = np.divmod(np.arange(64), 8)
    grid = np.column_stack([rows, cols]).astype(np.float64)
    return data.data.astype(np.float64), data.target, grid


def time_ours(H, costs, threads, repeats):
    """Median seconds and the matrix of ours on the rows H (normalised)."""
    U = validate_histogram_rows(H, "U")
    distance_block(U[:3], None, costs, 1.0, workers=threads)  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        D = distance_block(U, None, costs, 1.0, workers=threads)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), D


def time_peer(H, grid, threads, repeats, peer_python):
    """{(form, threads): (seconds, matrix)} of PairwiseEMD, or a note (str)."""
    if peer_python is None:
        probe = subprocess.run([sys.executable, "-c", "import wasserstein.wasserstein"],
                               capture_output=True, text=True)
        if probe.returncode != 0:  # built for NumPy 1: fails beside NumPy 2
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            return f"PairwiseEMD skipped: it does not import here ({last}); pass --peer-python"
        peer_python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(src, hists=H, grid=grid)
        cmd = [peer_python, str(PEER_SCRIPT), src, dst, str(repeats)]
        cmd += [str(t) for t in threads]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            return f"PairwiseEMD failed: {run.stderr.strip().splitlines()[-1:]}"
        out = np.load(dst)
        return {(form, t): (float(out[f"{form}_t{t}_seconds"]), out[f"{form}_t{t}_matrix"])
                for form in ("all64", "nonzero") for t in threads}


def interleaved(H, grid, costs, threads, repeats, peer_python):
    """Ours and the peer timed in turns, one run each per round, so that a
    change of the machine's load hits both: ({threads: (median seconds,
    matrix)}, the peer's dict of the same or its note)."""
    ours = {t: [] for t in threads}
    peer = {}
    for _ in range(repeats):
        for t in threads:
            ours[t].append(time_ours(H, costs, t, 1))
        if isinstance(peer, dict):
            got = time_peer(H, grid, threads, 1, peer_python)
            if isinstance(got, str):
                peer = got
            else:
                for key, value in got.items():
                    peer.setdefault(key, []).append(value)

    def median(runs):
        return statistics.median(s for s, _ in runs), runs[-1][1]

    ours = {t: median(runs) for t, runs in ours.items()}
    if isinstance(peer, dict):
        peer = {key: median(runs) for key, runs in peer.items()}
    return ours, peer


def time_pot(H, costs):
    """Seconds of a loop of `ot.emd2` over the pairs i < j of H, and its values."""
    import ot

    ot.emd2(H[0], H[1], costs)  # warm-up
    pairs = np.triu_indices(H.shape[0], 1)
    start = time.perf_counter()
    values = np.array([ot.emd2(H[i], H[j], costs, numItermax=10**8) for i, j in zip(*pairs)])
    return time.perf_counter() - start, values


def max_rel(ours, peer):
    """Largest relative difference over the pairs i < j (pure)."""
    iu = np.triu_indices(ours.shape[0], 1)
    a, b = ours[iu], peer[iu]
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)))


def one_nn_accuracy(D, labels):
    """Leave-one-out 1-nearest-neighbour accuracy under the distances D (pure)."""
    D = D.copy()
    np.fill_diagonal(D, np.inf)
    return float(np.mean(labels[np.argmin(D, axis=1)] == labels))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pairwise_digits",
        description="Exact W_1 between scikit-learn's digits: ours vs PairwiseEMD vs POT.")
    parser.add_argument("--rate-n", type=positive_int("--rate-n", 3), default=500,
                        help="images in the matrix timed on 1 and 2 threads (default 500)")
    parser.add_argument("--pot-n", type=positive_int("--pot-n", 2), default=80,
                        help="images in the POT loop (default 80)")
    parser.add_argument("--repeats", type=positive_int("--repeats"), default=3)
    parser.add_argument("--full", action="store_true",
                        help="also the full 1797 x 1797 matrix and the 1-NN table")
    parser.add_argument("--peer-python", default=os.environ.get("WASSERSTEIN_PYTHON"),
                        help="interpreter where `wasserstein` imports (default: "
                             "$WASSERSTEIN_PYTHON, else this one)")
    parser.add_argument("--out", type=Path, default=Path("out"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not make_output_folder(args.out):
        return 2
    X, labels, grid = digits()
    H = X / X.sum(axis=1, keepdims=True)
    costs = cdist(grid, grid)
    threads = [1, 2]
    lines = ["# Exact W_1 between scikit-learn's digits", "",
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
             f"1-min load at start {os.getloadavg()[0]:.2f}; "
             f"mean non-zero bins per image {np.mean((X > 0).sum(axis=1)):.1f} of 64.", ""]
    failures = []

    n = min(args.rate_n, X.shape[0])
    n_pairs = n * (n - 1) // 2
    lines += [f"## Pairs per second: the matrix of the first {n} images ({n_pairs} pairs)",
              "", "| solver | threads | seconds | pairs/s | ours / solver | max rel. diff |",
              "|---|---|---|---|---|---|"]
    ours, peer = interleaved(H[:n], grid, costs, threads, args.repeats, args.peer_python)
    for t in threads:
        seconds, D = ours[t]
        lines.append(f"| ours (certified) | {t} | {seconds:.3f} | {n_pairs / seconds:,.0f} "
                     f"| 1 | — |")
    if isinstance(peer, str):
        lines.append(f"| {peer} | | | | | |")
    else:
        for form, label in (("all64", "PairwiseEMD, 64 bins"),
                            ("nonzero", "PairwiseEMD, non-zero bins")):
            for t in threads:
                seconds, P = peer[(form, t)]
                rel = max_rel(ours[t][1], P)
                if not rel <= RTOL:
                    failures.append(f"{label}, {t} threads: max relative difference {rel:.2e}")
                lines.append(f"| {label} | {t} | {seconds:.3f} | {n_pairs / seconds:,.0f} | "
                             f"{seconds / ours[t][0]:.2f} | {rel:.1e} |")
    m = min(args.pot_n, X.shape[0])
    pot_seconds, pot_values = time_pot(H[:m], costs)
    m_pairs = m * (m - 1) // 2
    rel = max_rel(ours[1][1][:m, :m],
                  np.zeros((m, m)) + _square(pot_values, m))
    if not rel <= RTOL:
        failures.append(f"POT: max relative difference {rel:.2e}")
    pot_rate = m_pairs / pot_seconds
    lines.append(f"| POT `ot.emd2` loop ({m} images, {m_pairs} pairs; rate extrapolated) | 1 "
                 f"| {pot_seconds:.3f} | {pot_rate:,.0f} | "
                 f"{n_pairs / ours[1][0] / pot_rate:.2f} | {rel:.1e} |")
    lines += ["", f"1-min load after: {os.getloadavg()[0]:.2f}.", ""]

    if args.full:
        N = X.shape[0]
        full_pairs = N * (N - 1) // 2
        pairwise(X[:3], support=grid)  # warm-up
        start = time.perf_counter()
        W = pairwise(X, support=grid)
        seconds = time.perf_counter() - start
        certified = int(np.isfinite(W[np.triu_indices(N, 1)]).sum())
        lines += [f"## The full matrix: {N} x {N}, {full_pairs:,} pairs, all cores", "",
                  f"`transport.pairwise(X, support=grid)`: {seconds:.1f} s, "
                  f"{full_pairs / seconds:,.0f} pairs/s, {certified:,} of {full_pairs:,} "
                  f"pairs certified; a POT loop at its rate above would take "
                  f"{full_pairs / pot_rate / 60:.0f} min (extrapolated). "
                  f"1-min load after: {os.getloadavg()[0]:.2f}.", "",
                  "## 1-nearest-neighbour accuracy (leave one out, all 1797 digits)", "",
                  "| distance | accuracy |", "|---|---|",
                  f"| exact W_1 on the pixel grid | {one_nn_accuracy(W, labels):.4f} |",
                  f"| euclidean, pixel values | {one_nn_accuracy(cdist(X, X), labels):.4f} |",
                  f"| euclidean, normalised histograms | "
                  f"{one_nn_accuracy(cdist(H, H), labels):.4f} |", ""]
    text = "\n".join(lines)
    print(text)
    (args.out / "pairwise_digits.md").write_text(text + "\n")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


def _square(values, m):
    """The symmetric (m, m) matrix of the values of the pairs i < j (pure)."""
    D = np.zeros((m, m))
    D[np.triu_indices(m, 1)] = values
    return D + D.T


if __name__ == "__main__":
    sys.exit(main())
