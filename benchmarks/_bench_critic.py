"""The ``critic`` section of `benchmarks.bench`: the audit of a critic.

Two contests on the same arrays:

* the exact Lipschitz scan of `transport.critic_report` (all pairs of the
  pooled samples, compiled, blocked) against a NumPy brute force over the
  same pairs in blocks (direct differences in 2-D, a matrix product in
  64-D, where NumPy has no cheaper way);
* `transport.critic_report` (critic calls, scan, certified primal solve)
  against the glue one writes without it: POT's ``ot.emd2`` on
  ``ot.dist`` and the NumPy scan.

The value compared is the Lipschitz constant, then W_1.  The critic is a
random NumPy MLP of `benchmarks._mlp`.
"""

import numpy as np

import transport
from benchmarks._bench_cases import PEER_MAX_ITER, SIZES, Case, Contest, _pot, sizes
from benchmarks._mlp import MLP
from benchmarks.critic import numpy_lipschitz

__all__ = ["plan_critic", "TITLE"]

TITLE = "Critic audit: exact Lipschitz scan and critic_report"

#: (n per side, dimension) of each size; the sizes table holds n only.
DIMENSION = {500: 2, 2000: 2, 600: 64, 5000: 64}
SIZES["critic"] = {"quick": [500, 600], "full": [2000, 5000], "large": []}


def _data(n):
    d = DIMENSION[n]
    rng = np.random.default_rng(21)
    net = MLP(d, (64, 64), rng)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(n, d)) + 0.5
    return net, X, Y


def _build_scan(n):
    from transport._core._metrics import EUCLIDEAN
    from transport._samples._lipschitz import lipschitz_scan

    net, X, Y = _data(n)
    Z = np.concatenate([X, Y])
    f = net(Z)
    return Contest({
        "transport": lambda: lipschitz_scan(Z, f, EUCLIDEAN).lipschitz,
        "NumPy (+ POT)": lambda: numpy_lipschitz(Z, f)[0],
    })


def _build_report(n):
    net, X, Y = _data(n)
    calls = {"transport": lambda: transport.critic_report(net, X, Y).w1}
    ot = _pot()
    if ot is not None:
        Z = np.concatenate([X, Y])
        a = np.full(n, 1.0 / n)

        def glue():
            numpy_lipschitz(Z, net(Z))
            return ot.emd2(a, a, ot.dist(X, Y, metric="euclidean"), numItermax=PEER_MAX_ITER)

        calls["NumPy (+ POT)"] = glue
    return Contest(calls)


def plan_critic(quick=False, large=False, max_n=None):
    cases = []
    for n in sizes("critic", quick, large, max_n):
        d = DIMENSION[n]
        cases.append(Case("critic", f"Lipschitz scan, 2 x {n} points in {d}-D", 2 * n,
                          lambda n=n: _build_scan(n)))
        cases.append(Case("critic", f"critic_report, {n} + {n} points in {d}-D", 2 * n,
                          lambda n=n: _build_report(n)))
    notes = ["transport: `lipschitz_scan` (the scan of `critic_report`), then "
             "`transport.critic_report(critic, X, Y)`; NumPy (+ POT): the NumPy brute force "
             "over the same pairs, then POT's `ot.emd2` on `ot.dist` plus that scan.",
             "Inputs: X ~ N(0, I_d), Y ~ N(0.5, I_d), n per side, uniform weights, "
             "euclidean; the critic a random 64x64 ReLU MLP (NumPy); n in the table is "
             "the pooled count 2n. The scan is exact (same value as the direct formula); "
             "the NumPy brute force in 64-D uses a matrix product and is not."]
    return cases, notes
