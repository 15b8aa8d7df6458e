"""One line on stderr when the first of the packages' numba kernels compiles.

The kernels are compiled lazily and cached on disk (``cache=True``), so a
first run in a fresh environment spends several seconds compiling, in
silence, before any output; later runs load the machine code from the cache
and never get here.  A listener on numba's ``"numba:compile"`` event (which
numba broadcasts only on a cache miss, when it really compiles) prints the
notice once per process, for kernels of ``divergences`` and ``transport``
only.  With a warm cache no event fires: the listener costs nothing.
"""

import sys

from numba.core import event

#: The time: `make example1` in a fresh clone spent 15-33 s more on its first
#: run than on later ones (six runs; 2-core VM, 1-minute load 2-3); all 39
#: kernels compiled in 13 s on an idle machine (`make bench`, cold start).
MESSAGE = ("emdkit: compiling numba kernels, first run only "
           "(about 15-30 s; cached for later runs)")

#: Modules whose kernels trigger the notice.
PACKAGES = ("divergences.", "transport.")


class CompileNotice(event.Listener):
    """Print `MESSAGE` to stderr at the start of the first matching compile."""

    def __init__(self, packages=PACKAGES, stream=None):
        self.packages = packages
        self.stream = stream
        self.shown = False

    def on_start(self, ev):
        if self.shown:
            return
        dispatcher = ev.data.get("dispatcher") if isinstance(ev.data, dict) else None
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if not module.startswith(self.packages):
            return
        self.shown = True
        stream = self.stream if self.stream is not None else sys.stderr
        try:
            print(MESSAGE, file=stream, flush=True)
        except (OSError, ValueError):  # closed or broken stderr: stay silent
            pass

    def on_end(self, ev):
        pass


LISTENER = CompileNotice()
event.register("numba:compile", LISTENER)
