"""Every public function called concurrently from a thread pool returns,
to the bit, what it returns serially (kernels release the GIL; no shared
scratch may leak between calls)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

import divergences
import transport


def _problems():
    rng = np.random.default_rng(20261126)
    out = []
    for _ in range(8):
        n, m = (int(k) for k in rng.integers(1, 25, 2))
        out.append((rng.normal(size=(n, 2)), rng.normal(size=(m, 2)), rng.random(n) + 0.01,
                    rng.random(m) + 0.01, rng.random((3, 6)), rng.random((2, 6))))
    return out


def _every_function(problem):
    X, Y, a, b, P, Q = problem
    an, bn = a / a.sum(), b / b.sum()
    M = transport.cost_matrix(X, Y)
    res = transport.emd(an, bn, M)
    kr = transport.kr_dual(X, Y, a, b)
    return repr([
        transport.wasserstein(X, Y, a, b), transport.wasserstein(X, Y, a, b, p=2),
        transport.solve(X, Y, a, b, method="sparse").cost, transport.emd2(an, bn, M),
        res.cost, transport.certify(res, an, bn, M).ok, M.tolist(), kr.value,
        kr.critic(X).tolist(), transport.wasserstein_1d(X[:, 0], Y[:, 0], a, b, p=1.5),
        transport.wasserstein_1d(X[:, 0], Y[:, 0]),
        divergences.tv(P[0], Q[0]), divergences.kl(P, Q[:1]).tolist(),
        divergences.js(P[1], Q[1], base=2), divergences.js_distance(P, P[::-1]).tolist(),
        divergences.pairwise(P, Q, metric="kl").tolist(),
        [x.tolist() for x in divergences.align(X, Y, a, b)],
    ])


def test_concurrent_calls_equal_serial_calls():
    problems = _problems()
    serial = [_every_function(p) for p in problems]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(_every_function, problems * 4))
    assert concurrent == serial * 4
