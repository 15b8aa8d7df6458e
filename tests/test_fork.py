"""Every function works in a child process, forked or spawned, after large
calls in the parent, and under concurrent calls from threads.

Thread pools, locks, scratch buffers and numba's threading layer are
process-wide state: the large calls below take every threaded or parallel
path (sizes read from the modules' thresholds), so that the parent holds
all of that state when it forks.  A child that is killed fails the test
at once, one that hangs after `TIMEOUT` seconds (instead of hanging the
suite).
"""

import multiprocessing
import os
import traceback
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import divergences
import transport
from divergences import _divergences
from transport._clouds import _kdscan
from transport._dual import _kr_dual
from transport._line import _routes

#: Seconds a child may take: a spawned child imports everything and loads
#: the compiled kernels from numba's cache; both children take a few
#: seconds on an idle machine.
TIMEOUT = 120

# Python 3.12+ warns that forking a process with threads may deadlock; the
# point of these tests is that it does not.
pytestmark = pytest.mark.filterwarnings("ignore:.*use of fork\\(\\) may lead to deadlocks")


def _force_parallel_divergences():
    """The parallel divergence kernels run only when the load average says the
    other cores are idle; make that choice deterministic here."""
    _divergences._other_cores_idle = lambda: True


def _large_calls():
    """Values of large calls that take each threaded or parallel path."""
    rng = np.random.default_rng(16)
    half = _routes.CONCURRENT_MIN // 2  # two sorts on two threads
    x1, y1 = rng.standard_normal(half), rng.standard_normal(half) + 0.25
    w1, v1 = rng.random(half), rng.random(half)
    n_sparse = _kdscan.SCAN_PARALLEL_MIN  # parallel scan of the sources
    xs, ys = rng.random((n_sparse, 2)), rng.random((n_sparse, 2)) + [0.1, 0.0]
    half_kr = (_kr_dual.KR_PARALLEL_MIN + 1) // 2  # atoms in all: parallel scans
    xk, yk = rng.random((half_kr, 2)), rng.random((half_kr, 2)) + [0.0, 0.2]
    bins = _divergences.PARALLEL_MIN_BINS  # parallel sums
    p, q = rng.random(bins), rng.random(bins)
    kr = transport.kr_dual(xk, yk)
    return {
        "wasserstein_1d": transport.wasserstein_1d(x1, y1),
        "wasserstein_1d weighted": transport.wasserstein_1d(x1, y1, w1, v1),
        "wasserstein sparse": transport.wasserstein(xs, ys, method="sparse"),
        "kr_dual": kr.value,
        "kr_dual critic": kr.critic(xk + [0.5, 0.0]),
        "tv": divergences.tv(p, q),
        "kl": divergences.kl(p, q),
        "js": divergences.js(p, q),
    }


def _child(conn):
    try:
        _force_parallel_divergences()  # a spawned child starts without it
        conn.send(("ok", _large_calls()))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _in_child(method):
    """`_large_calls()` in a child started by `method`; fails on a hang or a
    killed child instead of waiting for it."""
    ctx = multiprocessing.get_context(method)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send,), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(TIMEOUT):
            pytest.fail(f"{method} child gave no answer in {TIMEOUT} s (hung)")
        try:
            status, payload = receive.recv()
        except EOFError:
            proc.join(TIMEOUT)
            pytest.fail(f"{method} child died, exit code {proc.exitcode}")
    finally:
        if proc.is_alive():
            proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join()
        receive.close()
    if status != "ok":
        pytest.fail(f"{method} child raised:\n{payload}")
    return payload


@pytest.fixture(scope="module")
def parent_values():
    """The large calls in this (the parent) process: its sort thread, numba's
    thread pool and the scratch buffers exist when the children start."""
    saved = _divergences._other_cores_idle
    _force_parallel_divergences()
    try:
        yield _large_calls()
    finally:
        _divergences._other_cores_idle = saved


def _assert_same(child, parent):
    assert child.keys() == parent.keys()
    for name, value in parent.items():
        # same inputs, same algorithms; the serial and parallel twins of
        # every kernel give the same bits
        np.testing.assert_array_equal(child[name], value, err_msg=name)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="no fork on this platform")
def test_forked_child_after_large_calls(parent_values):
    if (os.cpu_count() or 1) > 1:  # the parent's sort thread exists
        assert _routes._executor is not None
    _assert_same(_in_child("fork"), parent_values)


def test_spawned_child_after_large_calls(parent_values):
    _assert_same(_in_child("spawn"), parent_values)


def test_concurrent_calls_from_threads_match_serial():
    """Parallel kernels launched from several threads at once (a threading
    layer that is not thread-safe would abort the process here)."""
    rng = np.random.default_rng(7)
    n = _kdscan.SCAN_PARALLEL_MIN
    clouds = [(rng.random((n, 2)), rng.random((n, 2))) for _ in range(2)]
    hists = [rng.random((4, _divergences.PARALLEL_MIN_BINS // 4)) for _ in range(2)]

    def sparse(k):
        return transport.wasserstein(*clouds[k], method="sparse")

    def kl(k):
        return divergences.kl(hists[k], hists[1 - k])

    jobs = [(f, k) for f in (sparse, kl) for k in (0, 1)] * 2
    saved = _divergences._other_cores_idle
    _force_parallel_divergences()
    try:
        serial = [f(k) for f, k in jobs[:4]] * 2
        with ThreadPoolExecutor(4) as pool:
            concurrent = list(pool.map(lambda job: job[0](job[1]), jobs))
    finally:
        _divergences._other_cores_idle = saved
    for got, expected in zip(concurrent, serial):
        np.testing.assert_array_equal(got, expected)
