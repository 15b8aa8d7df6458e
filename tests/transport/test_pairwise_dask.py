"""`transport.pairwise` on dask arrays: lazy, equal to the NumPy path to the
bit, under the threaded scheduler and on a real 2-process LocalCluster."""

import numpy as np
import pytest

from transport import UncertifiedWarning, pairwise

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


# --- issue 26: what reaches the caller, whatever the scheduler --------------

def _lazy_with_uncertified_pairs(U):
    """A lazy pairwise whose pairs touching bin 5 cannot be certified: the
    cost matrix travels to the tasks with a NaN entry (the public function
    refuses one), so the kernel's certificate fails in whichever process
    runs the task."""
    from transport._pairs._pair_scaling import PairCosts
    from transport._pairs._pairwise import _pairwise_dask

    C = np.ascontiguousarray(np.abs(_GRID[:, None, :] - _GRID[None, :, :]).sum(-1))
    C[5, :] = C[:, 5] = np.nan
    C[5, 5] = 0.0
    return _pairwise_dask(da.from_array(U, chunks=(4, 16)), None,
                          PairCosts(C, 0, None), 1.0, "`cost`")


def _uncertified_rows():
    U = _histograms(6, 12)
    U[:, 5] = 0.0
    U[[3, 8], 5] = 1.0  # rows 3 and 8 have mass on bin 5
    return U


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_uncertified_pairs_warned_where_computed(scheduler):
    U = _uncertified_rows()
    lazy = _lazy_with_uncertified_pairs(U)
    with pytest.warns(UncertifiedWarning) as record:
        D = lazy.compute(scheduler=scheduler)
    bad = {(i, j) for i, j in zip(*np.nonzero(np.isnan(D))) if i < j}
    assert bad and all(3 in pair or 8 in pair for pair in bad)
    named = [str(w.message) for w in record if "the pair" in str(w.message)]
    assert len(named) == min(len(bad), 10)  # named once each, not twice
    first = sorted(bad)[0]
    assert f"(i, j) = ({first[0]}, {first[1]})" in named[0]
    if scheduler != "threads":  # (on threads it is issued on a worker thread)
        assert record[0].filename == __file__  # pointed at the line that computed
    # np.asarray computes too
    with pytest.warns(UncertifiedWarning):
        np.asarray(lazy)


def test_uncertified_pairs_reach_a_distributed_client():
    distributed = pytest.importorskip("distributed")
    U = _uncertified_rows()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            lazy = _lazy_with_uncertified_pairs(U)
            with pytest.warns(UncertifiedWarning, match="could not be proven optimal"):
                D = lazy.compute()
    assert np.isnan(D).any()


def _unknown_chunks(U):
    x = da.from_array(U, chunks=(5, U.shape[1]))
    return x[x[:, 0] >= 0]  # boolean indexing: row chunks unknown (NaN)


def test_bad_rows_named_by_global_index_with_unknown_chunks():
    from divergences import pairwise as div_pairwise

    U = _histograms(7, 30)
    U[17, 3] = -1.0
    lazy = _unknown_chunks(U)
    assert np.isnan(lazy.chunks[0][0])
    with pytest.raises(ValueError, match="row 17 of `U`"):
        pairwise(lazy, support=_GRID).compute()
    with pytest.raises(ValueError, match=r"`P\[17\]`"):
        div_pairwise(lazy).compute()
    U[17, 3] = 0.5
    np.testing.assert_array_equal(pairwise(_unknown_chunks(U), support=_GRID).compute(),
                                  pairwise(U, support=_GRID))


def test_messages_name_u_and_v():
    with pytest.raises(TypeError, match="`U` must hold real numbers"):
        pairwise(da.zeros((4, 16), dtype=complex, chunks=2), support=_GRID)
    with pytest.raises(ValueError, match="`U` must be a 2-D"):
        pairwise(da.zeros((4, 16, 1), chunks=2), support=_GRID)
    with pytest.raises(TypeError, match="`V` must hold real numbers"):
        pairwise(da.zeros((4, 16), chunks=2), da.zeros((4, 16), dtype=complex, chunks=2),
                 support=_GRID)


def test_rectangular_cost():
    # U over 16 bins, V over 3: a (16, 3) cost matrix
    U = _histograms(8, 9)
    V = np.random.default_rng(9).random((5, 3))
    cost = np.random.default_rng(10).random((16, 3))
    lazy = pairwise(da.from_array(U, chunks=(4, 16)), da.from_array(V, chunks=(2, 3)),
                    cost=cost)
    np.testing.assert_array_equal(lazy.compute(), pairwise(U, V, cost=cost))
