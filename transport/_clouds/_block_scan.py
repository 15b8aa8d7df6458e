"""All-pairs pricing by blocks of matrix products, for high dimension.

The sparse solver's kd-tree scans (`transport._clouds._kdscan`) prune by
bounding boxes; from a dozen dimensions on a box around a few points is
nearly as wide as the cloud and the search visits every leaf through a deep
tree (3000 points in 64-D did not finish in 10 minutes).  There all pairs
are priced instead, a block of sources at a time: the block's costs come
from the high-dimensional cost kernels (`transport._core._blas_costs`:
matrix products with a proven error bound, or the parallel direct formula),
then one compiled pass keeps each source's minimum of c_ij - v_j and its
most violated targets.  Memory: one block of at most `BLOCK_BYTES`, never
the n x m matrix.

`BlockScan` offers `TargetTree`'s scan (same call and result);
`block_neighbour_keys` the candidate pairs of nearest neighbours, both ways,
from the same blocks.  The solver that uses them is
`transport._clouds._sparse_blocks`.
"""

import numpy as np
from numba import njit, prange

from .._core._blas_costs import blas_costs, direct_costs, uses_blas

__all__ = ["BlockScan", "block_neighbour_keys", "uses_blocks", "BLOCK_SCAN_MIN_DIM",
           "BLOCK_BYTES"]

_OPTS = dict(cache=True, nogil=True)

#: From this dimension on the sparse method prices by blocks
#: (`transport._clouds._sparse_blocks`) instead of kd-trees.  Block / kd-tree
#: time, two 3000-point Gaussian clouds 0.5 apart per axis, W_1 (load ~13 on
#: 2 cores): 1.38 at 3-D, 5.4 at 4-D, 2.25 at 6-D, 1.21 at 8-D, 0.75 at
#: 12-D; at 64-D the kd-tree solve did not finish in 10 minutes, blocks
#: took 1.1-1.4x the dense solver's time.
BLOCK_SCAN_MIN_DIM = 12

#: Costs of one block of sources (bytes): 128 MiB.
BLOCK_BYTES = 1 << 27


def _block_costs(Q, P, code, p):
    """The costs d(q, y)^p of a block of sources against all targets."""
    if uses_blas(code, Q.shape[1]):
        C = blas_costs(Q, P, code)
    else:
        C = direct_costs(Q, P, code)
    if p != 1.0:
        with np.errstate(over="ignore", under="ignore"):
            C **= p
    return C


@njit(**_OPTS)
def _price_row(C, r, i, values, thr, out_j, out_val, counts, best):
    width = out_j.shape[1]
    t_i = thr[i]
    count = 0
    low = np.inf
    for j in range(C.shape[1]):
        val = C[r, j] - values[j]
        if val < low:
            low = val
        climit = t_i if count < width else out_val[i, width - 1]
        if val < climit:
            pos = count if count < width else width - 1
            while pos > 0 and out_val[i, pos - 1] > val:
                out_val[i, pos] = out_val[i, pos - 1]
                out_j[i, pos] = out_j[i, pos - 1]
                pos -= 1
            out_val[i, pos] = val
            out_j[i, pos] = j
            if count < width:
                count += 1
    counts[i] = count
    best[i] = low


@njit(**_OPTS)
def price_block_serial(C, i0, values, thr, out_j, out_val, counts, best):
    """For the block's sources i = i0 + r: best[i] = min_j C[r, j] -
    values[j] and the (at most out_j.shape[1]) targets of smallest value
    below thr[i], in increasing order (as `_kdscan.scan_sources`)."""
    for r in range(C.shape[0]):
        _price_row(C, r, i0 + r, values, thr, out_j, out_val, counts, best)


@njit(parallel=True, **_OPTS)
def price_block_parallel(C, i0, values, thr, out_j, out_val, counts, best):
    """Parallel twin of `price_block_serial` (rows across threads)."""
    for r in prange(C.shape[0]):
        _price_row(C, r, i0 + r, values, thr, out_j, out_val, counts, best)


def _rows_per_block(m):
    return max(1, BLOCK_BYTES // (8 * max(m, 1)))


class BlockScan:
    """`TargetTree`'s scan by blocks of matrix products (exact over all pairs)."""

    def __init__(self, P):
        self.points = P

    def scan(self, Q, values, thr, width, metric, p, trend=True):
        """(counts, out_j, out_val, best) as `TargetTree.scan`: for every
        source, the exact min_j c(q_i, y_j) - v_j and the `width` targets
        of smallest value below thr[i]; `trend` is ignored."""
        from divergences._parallel import parallel_ok

        P = self.points
        n, m = Q.shape[0], P.shape[0]
        out_j = np.empty((n, width), np.int64)
        out_val = np.empty((n, width))
        counts = np.zeros(n, np.int64)
        best = np.full(n, np.inf)
        values = np.ascontiguousarray(values, dtype=np.float64)
        thr = np.ascontiguousarray(thr, dtype=np.float64)
        price = price_block_parallel if parallel_ok() else price_block_serial
        rows = _rows_per_block(m)
        for i0 in range(0, n, rows):
            C = _block_costs(Q[i0:i0 + rows], P, metric, float(p))
            price(C, i0, values, thr, out_j, out_val, counts, best)
        return counts, out_j, out_val, best


def block_neighbour_keys(X, Y, k, metric):
    """Keys i * m + j of candidate pairs: for every source its k nearest
    targets, and for every target its k nearest sources within each block
    of sources (a superset of its k nearest overall), from one pass of
    block costs (`metric`: a code)."""
    n, m = X.shape[0], Y.shape[0]
    keys = []
    rows = _rows_per_block(m)
    for i0 in range(0, n, rows):
        C = _block_costs(X[i0:i0 + rows], Y, metric, 1.0)
        R = C.shape[0]
        kr, kc = min(k, m), min(k, R)
        j = np.argpartition(C, kr - 1, axis=1)[:, :kr] if kr < m else \
            np.broadcast_to(np.arange(m), C.shape)
        keys.append(((np.arange(R, dtype=np.int64)[:, None] + i0) * m + j).ravel())
        i = np.argpartition(C, kc - 1, axis=0)[:kc] if kc < R else \
            np.broadcast_to(np.arange(R)[:, None], C.shape)
        keys.append(((i.astype(np.int64) + i0) * m + np.arange(m)).ravel())
    return np.unique(np.concatenate(keys))


def uses_blocks(d):
    """Whether the sparse method prices by blocks in dimension d
    (`transport._clouds._sparse_blocks`)."""
    return d >= BLOCK_SCAN_MIN_DIM
