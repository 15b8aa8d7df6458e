"""Times `wasserstein.PairwiseEMD` (Komiske's C++ package) on digits.

Run by `benchmarks.pairwise_digits` in the peer's own interpreter: the
package is built against NumPy 1 and does not import beside NumPy 2, so it
may live in a separate environment (``python -m venv peer && peer/bin/pip
install "numpy<2" wasserstein``).  Imports only NumPy and `wasserstein`.

Usage: python _peer_pairwise_emd.py IN.npz OUT.npz REPEATS THREADS...
IN holds ``hists`` (n, 64) rows of mass 1 and ``grid`` (64, 2) bin
coordinates; OUT gets, per thread count and input form, the median seconds
and the distance matrix of the last run.
"""

import statistics
import sys
import time

import numpy as np
import wasserstein


def events(hists, grid, drop_zeros):
    """One event per histogram: rows (weight, x, y), zero bins kept or not."""
    out = []
    for h in hists:
        keep = h > 0 if drop_zeros else np.ones(h.shape, bool)
        out.append(np.ascontiguousarray(np.column_stack([h[keep], grid[keep]])))
    return out


def main(argv):
    data = np.load(argv[1])
    repeats = int(argv[3])
    threads = [int(t) for t in argv[4:]]
    hists, grid = data["hists"], data["grid"]
    result = {}
    for form, drop in (("all64", False), ("nonzero", True)):
        evs = events(hists, grid, drop)
        for t in threads:
            # R = 1: the package divides the transport cost by R.
            emd = wasserstein.PairwiseEMD(R=1.0, beta=1.0, norm=True, num_threads=t,
                                          verbose=0, print_every=0, request_mode=False)
            emd(evs[:2])  # warm-up
            samples = []
            for _ in range(repeats):
                start = time.perf_counter()
                emd(evs)
                samples.append(time.perf_counter() - start)
            result[f"{form}_t{t}_seconds"] = statistics.median(samples)
            result[f"{form}_t{t}_matrix"] = emd.emds()
    np.savez(argv[2], **result)


if __name__ == "__main__":
    main(sys.argv)
