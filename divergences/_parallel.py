"""When the ``parallel=True`` kernels may run: the one place both packages ask.

Every parallel kernel has a serial twin that returns the same result, so
this decides speed only, never a value.  `parallel_ok` is False

* in a process forked after the parent ran a parallel kernel on GNU OpenMP
  (numba's "omp" threading layer built with GCC, the layer numba picks on
  Linux when TBB is not installed).  GNU OpenMP's thread pool does not
  survive ``fork``: numba kills such a child at its first parallel region
  ("Terminating: fork() called from a process already using GNU OpenMP"),
  and a grandchild would wait for threads that do not exist.  The flag is
  set by an at-fork handler and inherited by further forks; a spawned
  process starts clean and runs the parallel kernels;
* when numba has one thread (``NUMBA_NUM_THREADS=1``, `numba.set_num_threads`).

Why numba's own choice of threading layer stands (TBB when the user has it,
GNU OpenMP otherwise) rather than one set here:

* "workqueue" survives fork, but numba terminates the whole process when
  two threads run parallel kernels at once ("Concurrent access has been
  detected"; 16 concurrent calls from 4 threads), and users call our
  functions from thread pools;
* "tbb" is safe for both, but it would be a second runtime dependency
  without wheels on every platform, and the PyPI wheel puts
  ``libtbb.so.12`` in ``<venv>/lib``, where numba does not find it ("No
  threading layer could be loaded") unless ``LD_LIBRARY_PATH`` is set;
* neither is faster.  Median ms of the parallel kernels (serial twin in
  brackets), numba 0.68.1, 2 cores, 5-6 interleaved runs per layer at a
  1-minute load of 1.3-4.1 (a shared machine):

  ============================  ==========  ==========  ==========
  kernel                        omp         tbb         workqueue
  ============================  ==========  ==========  ==========
  sparse scan, 8192 points      257 (414)   393 (404)   542 (409)
  sparse solve, 8192 points     706 (835)   838 (839)   1071 (841)
  KL, 2^23 bins                 51 (31)     32 (31)     33 (31)
  critic, 5000 x 3000 atoms     137 (136)   130 (135)   133 (136)
  ============================  ==========  ==========  ==========

  OpenMP is the fastest where the parallel kernels pay most (the sparse
  solver's scan) and the divergences already fall back to serial under
  load (`_divergences.PARALLEL_MIN_BINS`);
* the threading layer is process-wide: setting it here would change it
  for the user's own numba code too.

A child forked from an OpenMP process runs the serial twins instead (the
sparse solve above: 835 ms against 706 ms); a pool of forked workers
already keeps the cores busy.
"""

import os
import sys

import numba

__all__ = ["parallel_ok"]

_forked_after_gnu_openmp = False


def _gnu_openmp_started():
    """Whether this process has started numba's GNU OpenMP thread pool."""
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: no pool
        return False
    if layer != "omp":
        return False
    omppool = sys.modules.get("numba.np.ufunc.omppool")
    return getattr(omppool, "openmp_vendor", "GNU") == "GNU"


def _after_fork_in_child():
    global _forked_after_gnu_openmp
    if _gnu_openmp_started():
        _forked_after_gnu_openmp = True


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_ok():
    """Whether the ``parallel=True`` kernels can run here, and on > 1 thread."""
    return not _forked_after_gnu_openmp and numba.get_num_threads() > 1
