"""Lazy pairwise matrices over row blocks, for `dask.array` inputs.

Shared by the packages' `pairwise` functions: the caller supplies how to
check an operand, how to validate one block of rows (once), and how to turn
one or two validated blocks into a block of the result; this module builds
the task graph.  Dask is an optional dependency: nothing here imports it
until a dask array is passed (`is_dask_array` looks only at modules already
imported), and the library never creates a `Client` -- the graph runs on
whatever scheduler the caller uses (threads, processes, distributed).

Graph, for row blocks I of P and J of Q:

- ``(rows-P, I)``: ``prepare(P block I, "P", row offset of I)`` -- each row
  is validated and summed once, and errors name the row in the whole of P;
- ``(out, I, J)``: ``pairs(rows-P I, rows-Q J)``.

With Q None, the diagonal blocks are ``pairs(rows-P I)`` (P_I against
itself) and, for a symmetric metric, block (I, J) with I > J is the
transpose of block (J, I), so that each pair is computed once.
"""

import math
import operator
import sys

import numpy as np

__all__ = ["is_dask_array", "pairwise_blocks"]


def is_dask_array(x):
    """True for a ``dask.array.Array`` (without importing dask)."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(x, module.Array)


def _as_row_blocks(x, min_rows):
    """x as a 2-D dask array with its columns in one chunk; row chunks are
    kept, unless smaller than `min_rows` (then merged up to it: tasks too
    small to pay for their scheduling)."""
    import dask.array as da

    x = da.asarray(x)
    if x.ndim != 2:
        return x
    rows = x.chunks[0]
    if min_rows and len(rows) > 1 and _known(rows) and max(rows) < min_rows:
        x = x.rechunk({0: min_rows, 1: -1})
    elif len(x.chunks[1]) > 1:
        x = x.rechunk({1: -1})
    return x


def _known(chunks):
    return not any(math.isnan(c) for c in chunks)


def _offsets(chunks, key, dsk, name):
    """The first row of each block: numbers when the row chunks are known,
    else keys of tasks that add up the lengths of the blocks before it
    (put in `dsk`), so that errors name global rows either way."""
    if _known(chunks):
        return np.concatenate([[0], np.cumsum(chunks)[:-1]]).astype(int).tolist()
    dsk[(name, 0)] = 0
    for I in range(1, len(chunks)):
        dsk[(name, I)] = (operator.add, (name, I - 1), (len, (key, I - 1, 0)))
    return [(name, I) for I in range(len(chunks))]


def pairwise_blocks(P, Q, *, check, prepare, pairs, symmetric, name, token=(),
                    min_block_rows=None, names=("P", "Q"), same_bins=True,
                    result_check=None):
    """Lazy (n, m) dask array of ``pairs`` over the row blocks of P and Q.

    Parameters
    ----------
    P, Q : (n, k), (m, k) dask.array or array_like (Q may be None)
        Converted with ``dask.array.asarray``; the k columns are put in one
        chunk, the row chunks are kept (see `min_block_rows`).
    check : callable(x, name)
        Raises for a bad dtype or shape, before any graph is built.
    prepare : callable(block, name, row_offset) -> prepared block
        Validation of one block of rows, run once per block.
    pairs : callable(a, b=None) -> (len(a), len(b)) ndarray
        One block of the result from prepared blocks; ``pairs(a)`` is a block
        against itself.
    symmetric : bool
        With Q None, block (I, J), I > J, is the transpose of (J, I).
    name : str
        Prefix of the task names.
    token : tuple
        Everything else the result depends on (metric, options), for the
        deterministic task names.
    min_block_rows : callable(k) -> int, optional
        Row chunks all smaller than ``min_block_rows(k)`` (k: the number of
        columns) are merged into chunks of that many rows, so that a task
        does enough work to pay for its scheduling; larger chunks are the
        caller's choice and kept.
    names : (str, str)
        The user's names of P and Q, passed to `check` and `prepare` and used
        in messages.
    same_bins : bool
        Whether P and Q must have the same number of columns.
    result_check : callable(ndarray), optional
        Runs on the computed result in the caller's process, whatever the
        scheduler (`divergences._dask_checked`): where a warning about the
        values (NaN entries) reaches the caller.

    Row offsets are numbers when the row chunks are known and tasks that
    add up the blocks' lengths when they are not (e.g. after boolean
    indexing), so that errors always name the global row.
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    k = da.asarray(P).shape[-1]
    min_rows = min_block_rows(k) if min_block_rows is not None else None
    name_p, name_q = names
    P = _as_row_blocks(P, min_rows)
    check(P, name_p)
    if Q is not None:
        Q = _as_row_blocks(Q, min_rows)
        check(Q, name_q)
        if same_bins and P.shape[1] != Q.shape[1]:
            raise ValueError(
                f"`{name_p}` and `{name_q}` must have the same number of bins "
                f"(columns); got {P.shape[1]} and {Q.shape[1]}."
            )
    tok = tokenize(P, Q, name, symmetric, *token)
    out = f"{name}-{tok}"
    rows_p = f"{name}-rows-P-{tok}"
    rows_q = f"{name}-rows-Q-{tok}"
    dsk = {}
    offsets = _offsets(P.chunks[0], P.name, dsk, f"{name}-offsets-P-{tok}")
    for I, off in enumerate(offsets):
        dsk[(rows_p, I)] = (prepare, (P.name, I, 0), name_p, off)
    n_p = len(P.chunks[0])
    if Q is None:
        for I in range(n_p):
            for J in range(n_p):
                if I == J:
                    dsk[(out, I, J)] = (pairs, (rows_p, I))
                elif symmetric and I > J:
                    dsk[(out, I, J)] = (np.transpose, (out, J, I))
                else:
                    dsk[(out, I, J)] = (pairs, (rows_p, I), (rows_p, J))
        chunks = (P.chunks[0], P.chunks[0])
        deps = [P]
    else:
        offsets = _offsets(Q.chunks[0], Q.name, dsk, f"{name}-offsets-Q-{tok}")
        for J, off in enumerate(offsets):
            dsk[(rows_q, J)] = (prepare, (Q.name, J, 0), name_q, off)
        for I in range(n_p):
            for J in range(len(Q.chunks[0])):
                dsk[(out, I, J)] = (pairs, (rows_p, I), (rows_q, J))
        chunks = (P.chunks[0], Q.chunks[0])
        deps = [P, Q]
    graph = HighLevelGraph.from_collections(out, dsk, dependencies=deps)
    result = da.Array(graph, out, chunks, dtype=np.float64, meta=np.empty((0, 0)))
    if result_check is None:
        return result
    from ._dask_checked import checked

    return checked(result, result_check)
