"""Uncertified pairs of a lazily computed `pairwise`, reported to the caller.

On Dask, a tile's task may run in another process or on another machine,
where a warning it raised would never reach the caller.  The NaN entries
travel with the data instead (a pair is NaN exactly when it could not be
proven optimal), and `warn_nan_pairs` turns them into the caller's
`UncertifiedWarning`s where the result is assembled
(`divergences._dask_checked`), whatever the scheduler.
"""

import warnings

import numpy as np

from .._core._results import UncertifiedWarning

__all__ = ["warn_nan_pairs", "MAX_PAIR_WARNINGS"]

#: Uncertified pairs named one warning each; beyond, one warning counts them.
MAX_PAIR_WARNINGS = 10


def warn_nan_pairs(D, symmetric=False):
    """One `UncertifiedWarning` per NaN pair (i, j) of the computed matrix D
    (with `symmetric`, the pairs i < j), the first `MAX_PAIR_WARNINGS`
    named, the rest counted; pointed at the line that computed D."""
    from divergences._dask_checked import caller_stacklevel

    bad = np.isnan(D)
    if symmetric:
        bad &= np.triu(np.ones(D.shape, dtype=bool), 1)
    if not bad.any():
        return
    rows, cols = np.nonzero(bad)
    for i, j in zip(rows[:MAX_PAIR_WARNINGS].tolist(), cols[:MAX_PAIR_WARNINGS].tolist()):
        warnings.warn(
            f"pairwise: the pair (i, j) = ({i}, {j}) could not be proven optimal; "
            f"its distance is NaN.", UncertifiedWarning, stacklevel=caller_stacklevel())
    if rows.size > MAX_PAIR_WARNINGS:
        warnings.warn(
            f"pairwise: {rows.size - MAX_PAIR_WARNINGS} more pairs could not be "
            f"proven optimal; their distances are NaN.", UncertifiedWarning,
            stacklevel=caller_stacklevel())
