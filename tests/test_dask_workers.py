"""`transport` and `divergences` in the worker processes of a
`dask.distributed` cluster (started and shut down here), with the same
values as in this process."""

import numpy as np
import pytest

import divergences
import transport
from transport._line import _routes

distributed = pytest.importorskip("distributed")


def _cases():
    rng = np.random.default_rng(2017)
    half = _routes.CONCURRENT_MIN // 2  # the threaded 1-D path
    line = (rng.standard_normal(half), rng.standard_normal(half) + 0.5,
            rng.random(half), rng.random(half))
    clouds = [(rng.random((300, 2)), rng.random((300, 2)) + [0.0, 0.3])
              for _ in range(3)]
    hists = (rng.random((8, 1000)), rng.random((8, 1000)))
    return line, clouds, hists


def _sparse(xy):
    return transport.wasserstein(*xy, method="sparse")


def _kr_value(xy):
    return transport.kr_dual(*xy).value


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_process_workers_match_local(client):
    line, clouds, hists = _cases()
    assert len(client.scheduler_info()["workers"]) == 2
    remote = {
        "wasserstein_1d": client.submit(transport.wasserstein_1d, *line),
        "sparse": client.map(_sparse, clouds),
        "kr_dual": client.map(_kr_value, clouds),
        "js": client.submit(divergences.js, *hists),
        "tv": client.submit(divergences.tv, *hists),
    }
    got = client.gather(remote)
    local = {
        "wasserstein_1d": transport.wasserstein_1d(*line),
        "sparse": [_sparse(xy) for xy in clouds],
        "kr_dual": [_kr_value(xy) for xy in clouds],
        "js": divergences.js(*hists),
        "tv": divergences.tv(*hists),
    }
    for name, value in local.items():
        # the same code on the same inputs: the same bits
        np.testing.assert_array_equal(got[name], value, err_msg=name)
    # primal and dual are independent solvers: equal by KR duality, up to
    # their optimality tolerances (as in tests/transport/test_kr_dual.py)
    np.testing.assert_allclose(got["kr_dual"], got["sparse"], rtol=1e-10)
