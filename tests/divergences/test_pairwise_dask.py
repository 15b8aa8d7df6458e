"""`pairwise` on dask arrays: lazy, equal to the NumPy path to the bit, bad
rows named by their index in the whole matrix."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from divergences import _pairwise, pairwise

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

SCHEDULERS = ["synchronous", "threads"]
METRICS = ["tv", "kl", "js", "js_distance"]


@pytest.fixture(autouse=True)
def small_blocks_kept(monkeypatch):
    """Keep the tests' small row chunks (many blocks on small data)."""
    monkeypatch.setattr(_pairwise, "DASK_MIN_TASK_WORK", 0)


def _data():
    rng = np.random.default_rng(30)
    P = rng.random((23, 40))
    Q = rng.random((17, 40))
    P[:, ::5] = 0.0
    P[4] *= 1e300  # a row rescaled before summing, in one block only
    return P, Q


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("metric", METRICS)
def test_dask_equals_numpy(metric, scheduler):
    P, Q = _data()
    dP = da.from_array(P, chunks=(6, 15))  # several column chunks: rejoined
    dQ = da.from_array(Q, chunks=(5, 40))
    D = pairwise(dP, dQ, metric=metric)
    assert isinstance(D, da.Array)
    assert D.shape == (23, 17) and D.chunks == (dP.chunks[0], dQ.chunks[0])
    with dask.config.set(scheduler=scheduler):
        assert_array_equal(D.compute(), pairwise(P, Q, metric=metric))
        assert_array_equal(pairwise(dP, metric=metric).compute(), pairwise(P, metric=metric))


def test_mixed_numpy_and_dask_operands():
    P, Q = _data()
    D = pairwise(P, da.from_array(Q, chunks=(4, 40)), metric="js", base=2)
    assert isinstance(D, da.Array)
    assert_array_equal(D.compute(scheduler="synchronous"), pairwise(P, Q, metric="js", base=2))


def test_symmetric_blocks_are_computed_once():
    P, _ = _data()
    D = pairwise(da.from_array(P, chunks=(6, 40)), metric="js")
    graph = dict(D.__dask_graph__())
    blocks = len(D.chunks[0])
    transposed = [k for k, v in graph.items()
                  if isinstance(k, tuple) and k[0] == D.name and "transpose" in repr(v)]
    assert len(transposed) == blocks * (blocks - 1) // 2
    # Not for KL, which is not symmetric.
    D = pairwise(da.from_array(P, chunks=(6, 40)), metric="kl")
    assert not [v for v in dict(D.__dask_graph__()).values() if "transpose" in repr(v)]


def test_lazy_until_computed_and_bad_rows_named_globally():
    P, Q = _data()
    P[13, 7] = -1.0  # block 2 (rows 12..17), local row 1
    Q[16] = 0.0
    dP = da.from_array(P, chunks=(6, 40))
    D = pairwise(dP, metric="js")  # nothing runs yet
    with pytest.raises(ValueError, match=r"`P\[13\]` must be non-negative; got -1\.0 at index 7"):
        D.compute(scheduler="synchronous")
    D = pairwise(da.from_array(_data()[0], chunks=(6, 40)), da.from_array(Q, chunks=(5, 40)))
    with pytest.raises(ValueError, match=r"`Q` must have positive total mass .* row 16 "):
        D.compute(scheduler="synchronous")


def test_shape_and_dtype_errors_are_eager():
    with pytest.raises(ValueError, match="same number of bins"):
        pairwise(da.ones((4, 3)), da.ones((4, 5)))
    with pytest.raises(ValueError, match=r"`P` must be a 2-D"):
        pairwise(da.ones(4))
    with pytest.raises(TypeError, match="`P` must hold real numbers"):
        pairwise(da.from_array(np.array([["a", "b"]])))
    with pytest.raises(ValueError, match="`metric` must be one of"):
        pairwise(da.ones((4, 3)), metric="x")


def test_masked_chunks_are_refused():
    P = np.ma.masked_array(np.ones((4, 3)), mask=np.eye(4, 3, dtype=bool))
    D = pairwise(da.from_array(P, chunks=(2, 3), asarray=False))
    with pytest.raises(TypeError, match=r"`P` is a numpy.ma.MaskedArray"):
        D.compute(scheduler="synchronous")


def test_row_chunks_too_small_for_a_task_are_merged(monkeypatch):
    P, Q = _data()
    monkeypatch.setattr(_pairwise, "DASK_MIN_TASK_WORK", 40 * 64)  # 8 rows of 40 bins
    D = pairwise(da.from_array(P, chunks=(2, 40)), da.from_array(Q, chunks=(3, 40)))
    assert D.chunks == ((8, 8, 7), (8, 8, 1))
    assert_array_equal(D.compute(scheduler="synchronous"), pairwise(P, Q))
    # Chunks of the target size or larger are the caller's choice: kept.
    D = pairwise(da.from_array(P, chunks=(10, 40)))
    assert D.chunks == ((10, 10, 3), (10, 10, 3))
