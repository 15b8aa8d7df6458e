"""A dask array whose computed result is checked in the caller's process.

Imported only once a dask array is at hand (it imports dask itself).  Tasks
run wherever the scheduler puts them -- threads, other processes, other
machines -- where a warning they raise never reaches the caller.  A
`CheckedArray` instead carries a ``check`` that runs on the assembled
result in the process that asked for it (``.compute()``, ``dask.compute``,
``np.asarray``), whatever the scheduler: e.g. NaN entries, which travel
with the data, become the caller's warning there.
"""

import os
import sys

import dask
import dask.array as da
from dask.array.core import finalize

__all__ = ["CheckedArray", "checked", "caller_stacklevel"]

_SKIPPED = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (dask, sys.modules[__name__.rpartition(".")[0]])
) + (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + "transport"
     + os.sep,)


def caller_stacklevel():
    """The `stacklevel` that makes a warning issued by the caller of this
    function point at the first frame outside dask and the project's
    packages: the line that computed the array."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_SKIPPED):
        frame = frame.f_back
        level += 1
    return level


def _finalize_checked(results, check):
    out = finalize(results)
    check(out)
    return out


class CheckedArray(da.Array):
    """A `dask.array.Array` whose computed value goes through ``check``
    (a picklable callable of the NumPy result) where it is assembled.
    Persisting keeps the check; other operations give plain dask arrays."""

    def __dask_postcompute__(self):
        return _finalize_checked, (self._check,)

    def _rebuild(self, dsk, *, rename=None):
        return checked(super()._rebuild(dsk, rename=rename), self._check)


def checked(x, check):
    """The dask array `x` as a `CheckedArray` with `check`."""
    out = CheckedArray(x.dask, x.name, x.chunks, x.dtype, x._meta)
    out._check = check
    return out
