"""Progress of long solves, on stderr (never stdout).

`progress=True` on `solve`, `wasserstein`, `kr_dual` and `pairwise` makes the
solver report as it goes: a tqdm bar where tqdm is installed, plain lines
otherwise.  The solvers speak to one small object, whatever is behind it:

    report = progress_reporter(progress, "sparse")
    report.update(round=3, arcs=81234, violations=512, cost=0.71)
    ...
    report.close(status="optimal")

`update` is throttled (at most one refresh per `MIN_INTERVAL` seconds, the
last one always shown by `close`), so a solver may call it every round or
every block of pairs at no measurable cost.  With `progress=False` the
reporter is `NO_PROGRESS`, whose methods do nothing.
"""

import sys
import time

__all__ = ["NO_PROGRESS", "progress_reporter", "validate_progress"]

#: Seconds between two refreshes of the display.
MIN_INTERVAL = 0.5


class _Silent:
    """The reporter of `progress=False`: every call does nothing."""

    enabled = False

    def update(self, advance=0, **fields):
        pass

    def close(self, **fields):
        pass


NO_PROGRESS = _Silent()


def _format(fields):
    parts = []
    for key, value in fields.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.10g}")
        else:
            parts.append(f"{key}={value}")
    return " ".join(parts)


class _Lines:
    """Plain lines on stderr: `emdkit <what>: key=value ...`."""

    enabled = True

    def __init__(self, what, total, stream):
        self.what = what
        self.total = total
        self.stream = stream
        self.done = 0
        self.fields = {}
        self.last = -float("inf")
        self.start = time.perf_counter()

    def _emit(self, final=False):
        elapsed = time.perf_counter() - self.start
        head = f"emdkit {self.what}:"
        if self.total:
            head += f" {self.done}/{self.total}"
        line = f"{head} {_format(self.fields)} [{elapsed:.1f} s]"
        if final:
            line += " done"
        try:
            print(line, file=self.stream, flush=True)
        except (OSError, ValueError):  # closed or broken stderr: stay silent
            pass

    def update(self, advance=0, **fields):
        self.done += advance
        self.fields.update(fields)
        now = time.perf_counter()
        if now - self.last >= MIN_INTERVAL:
            self.last = now
            self._emit()

    def close(self, **fields):
        self.fields.update(fields)
        self._emit(final=True)


class _Bar:
    """A tqdm bar on stderr; the fields go to its postfix."""

    enabled = True

    def __init__(self, tqdm, what, total, stream):
        self.bar = tqdm(total=total, desc=f"emdkit {what}", file=stream,
                        mininterval=MIN_INTERVAL, leave=True, dynamic_ncols=True,
                        unit="pair" if total else "it",
                        bar_format=None if total else "{desc}: {elapsed}{postfix}")
        self.fields = {}
        self.last = -float("inf")

    def update(self, advance=0, **fields):
        self.fields.update(fields)
        if advance:
            self.bar.update(advance)
        now = time.perf_counter()
        if fields and now - self.last >= MIN_INTERVAL:
            self.last = now
            self.bar.set_postfix_str(_format(self.fields), refresh=True)

    def close(self, **fields):
        self.fields.update(fields)
        if self.fields:
            self.bar.set_postfix_str(_format(self.fields), refresh=False)
        self.bar.close()


def validate_progress(progress):
    """`progress` must be a bool (or a NumPy bool); anything else is refused."""
    if isinstance(progress, bool) or type(progress).__name__ == "bool_":
        return bool(progress)
    raise TypeError(f"`progress` must be True or False; got {progress!r}.")


def progress_reporter(progress, what, total=None, stream=None):
    """The reporter for a solve: `NO_PROGRESS` unless `progress` is true.

    Parameters
    ----------
    progress : bool
        The caller's `progress` argument (validated here).
    what : str
        What is running, shown at the start of each line ("sparse", "kr_dual",
        "pairwise").
    total : int, optional
        The number of units of work when it is known (pairs of `pairwise`):
        the bar then shows a fraction.
    stream : file, optional
        Where to write; stderr by default.
    """
    if not validate_progress(progress):
        return NO_PROGRESS
    stream = sys.stderr if stream is None else stream
    try:
        from tqdm import tqdm
    except ImportError:
        return _Lines(what, total, stream)
    return _Bar(tqdm, what, total, stream)
