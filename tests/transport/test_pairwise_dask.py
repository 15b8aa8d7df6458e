"""`transport.pairwise` on dask arrays: lazy, equal to the NumPy path to the
bit, under the threaded scheduler and on a real 2-process LocalCluster."""

import numpy as np
import pytest

from transport import pairwise

da = pytest.importorskip("dask.array")

_GRID = np.stack(np.meshgrid(np.arange(4.0), np.arange(4.0), indexing="ij"), -1).reshape(-1, 2)


def _histograms(seed, n):
    rng = np.random.default_rng(seed)
    H = rng.random((n, 16))
    H[rng.random((n, 16)) < 0.4] = 0.0
    H[:, 0] += 0.01
    return H


@pytest.mark.parametrize("p", [1, 2])
def test_threads_equal_numpy_bit_for_bit(p):
    U, V = _histograms(1, 23), _histograms(2, 11)
    lazy = pairwise(da.from_array(U, chunks=(7, 16)), support=_GRID, p=p)
    assert isinstance(lazy, da.Array) and lazy.shape == (23, 23)
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"),
                                  pairwise(U, support=_GRID, p=p))
    rect = pairwise(da.from_array(U, chunks=(5, 8)), da.from_array(V, chunks=(4, 16)),
                    support=_GRID, p=p)
    np.testing.assert_array_equal(rect.compute(scheduler="threads"),
                                  pairwise(U, V, support=_GRID, p=p))
    # a NumPy V beside a dask U, and a cost matrix instead of a support
    cost = np.abs(np.subtract.outer(np.arange(16.0), np.arange(16.0)))
    np.testing.assert_array_equal(
        pairwise(da.from_array(U, chunks=(6, 16)), V, cost=cost, p=p).compute(),
        pairwise(U, V, cost=cost, p=p))


def test_small_chunks_are_merged_into_tasks_worth_scheduling():
    U = _histograms(3, 200)
    lazy = pairwise(da.from_array(U, chunks=(10, 16)), support=_GRID)
    assert len(lazy.chunks[0]) < 20  # 10-row chunks merged
    np.testing.assert_array_equal(lazy.compute(), pairwise(U, support=_GRID))


def test_bad_rows_are_named_by_their_global_index():
    U = _histograms(4, 30)
    U[17, 3] = -1.0
    lazy = pairwise(da.from_array(U, chunks=(5, 16)), support=_GRID)
    with pytest.raises(ValueError, match="row 17 of `U`.*non-negative"):
        lazy.compute(scheduler="sync")
    U[17, 3] = 0.5
    U[22] = 0.0
    with pytest.raises(ValueError, match="row 22 of `U` has zero total mass"):
        pairwise(da.from_array(U, chunks=(5, 16)), support=_GRID).compute()


def test_shapes_and_dtypes_checked_before_the_graph():
    with pytest.raises(ValueError, match="bins per row"):
        pairwise(da.zeros((4, 9), chunks=2), support=_GRID)
    with pytest.raises(TypeError, match="real numbers"):
        pairwise(da.zeros((4, 16), dtype=complex, chunks=2), support=_GRID)


def test_local_cluster_of_two_processes_equals_numpy():
    distributed = pytest.importorskip("distributed")
    U = _histograms(5, 40)
    want = pairwise(U, support=_GRID, p=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            lazy = pairwise(da.from_array(U, chunks=(10, 16)), support=_GRID, p=2)
            got = client.compute(lazy).result()
    np.testing.assert_array_equal(got, want)


def test_progress_is_refused_with_a_pointer_to_dask_progress_bars():
    # the result is lazy: its progress is the scheduler's to show
    U = da.from_array(_histograms(3, 9), chunks=(4, 16))
    with pytest.raises(ValueError, match=r"dask\.diagnostics\.ProgressBar"):
        pairwise(U, support=_GRID, progress=True)
    assert isinstance(pairwise(U, support=_GRID, progress=False), da.Array)
