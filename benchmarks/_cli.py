"""Command-line pieces shared by the runnable modules of `benchmarks`."""

import argparse
import sys
import time

__all__ = ["Progress", "positive_int", "make_output_folder"]


class Progress:
    """A one-line progress bar on stderr (no tqdm dependency)."""

    def __init__(self, total, width=30, file=sys.stderr):
        self.total, self.width, self.file = max(total, 1), width, file
        self.done, self.start = 0, time.perf_counter()

    def show(self, label):
        """Draw the bar with `label` as the step under way."""
        filled = int(self.width * self.done / self.total)
        self.file.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] "
                        f"{self.done}/{self.total} {time.perf_counter() - self.start:6.1f}s "
                        f"{label[:42]:<42}")
        self.file.flush()

    def advance(self):
        """One step done; a newline after the last."""
        self.done += 1
        self.show("done" if self.done >= self.total else "")
        if self.done >= self.total:
            self.file.write("\n")
            self.file.flush()


def positive_int(name, minimum=1, odd=False):
    """An argparse type: an integer >= `minimum` (and odd when asked)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}; got {value}")
        if odd and value % 2 == 0:
            raise argparse.ArgumentTypeError(
                f"{name} must be odd so that theta = 0 is on the grid; got {value}"
            )
        return value

    return parse


def make_output_folder(path):
    """Create `path`; False (with the reason on stderr) when that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create the output folder {path}: {exc}", file=sys.stderr)
        return False
    return True
