"""A dask array whose computed result is checked in the caller's process.

Imported only once a dask array is at hand (it imports dask itself).  Tasks
run wherever the scheduler puts them -- threads, other processes, other
machines -- where a warning they raise never reaches the caller.  A
`CheckedArray` carries a ``check`` of the assembled NumPy result (e.g. NaN
entries, which travel with the data, become the caller's warning), run in
the process that built the lazy array, whatever the scheduler:

* threads and the synchronous scheduler assemble the result in that
  process: the check runs there and then;
* the process scheduler and ``dask.distributed`` assemble it in a worker
  (dask runs the final step as a task) and send it back pickled: there
  the result is wrapped in a `_Delivery`, whose unpickling -- in the
  caller's process -- runs the check and hands over the plain array.
"""

import os
import sys

import dask
import dask.array as da
from dask.array.core import finalize

__all__ = ["CheckedArray", "checked", "caller_stacklevel"]

def _package_dir(module):
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STDLIB = _package_dir(os)

#: Frames skipped on the way to the caller's line: dask (and distributed),
#: the project's packages, the standard library (threads, pickling).
_SKIPPED = tuple(
    [_package_dir(dask), os.path.join(_ROOT, "divergences") + os.sep,
     os.path.join(_ROOT, "transport") + os.sep]
    + [_package_dir(sys.modules[name]) for name in ("distributed", "tornado")
       if name in sys.modules]
)


def _skipped(filename):
    if filename.startswith(_SKIPPED):
        return True
    return filename.startswith(_STDLIB) and "site-packages" not in filename


def caller_stacklevel():
    """The `stacklevel` that makes a warning issued by the caller of this
    function point at the first frame outside dask, the project's packages
    and the standard library: the line that computed the array (1 when the
    warning is issued on a thread without such a frame)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and _skipped(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level if frame is not None else 1


def _deliver(result, check):
    check(result)
    return result


class _Delivery:
    """A result assembled in another process, on its way back: unpickled
    in the caller's process as the plain array, after `check` ran there."""

    def __init__(self, result, check):
        self.result = result
        self.check = check

    def __reduce__(self):
        return _deliver, (self.result, self.check)


def _finalize_checked(results, check, pid):
    out = finalize(results)
    if os.getpid() == pid:
        check(out)
        return out
    return _Delivery(out, check)


class CheckedArray(da.Array):
    """A `dask.array.Array` whose computed value goes through ``check``
    (a picklable callable of the NumPy result) in the process that built
    it, whatever the scheduler.  Persisting keeps the check; other
    operations (slicing, arithmetic) give plain dask arrays."""

    def __dask_postcompute__(self):
        return _finalize_checked, (self._check, self._pid)

    def _rebuild(self, dsk, *, rename=None):
        return checked(super()._rebuild(dsk, rename=rename), self._check, self._pid)


def checked(x, check, pid=None):
    """The dask array `x` as a `CheckedArray` with `check`, run in this
    process (or process `pid`)."""
    out = CheckedArray(x.dask, x.name, x.chunks, x.dtype, x._meta)
    out._check = check
    out._pid = os.getpid() if pid is None else pid
    return out
