"""Command-line pieces shared by the runnable modules of `benchmarks`."""

import argparse
import sys

from tqdm import tqdm

__all__ = ["progress_bar", "positive_int", "make_output_folder"]


def progress_bar(total, unit):
    """A tqdm progress bar on stderr, with rate and time left.

    Silent when stderr is not a terminal (logs, pytest).  It first appears
    after half a second, so that a one-off line printed at the very start
    (the packages' notice that numba is compiling) gets a line of its own.
    """
    return tqdm(total=total, unit=unit, file=sys.stderr, disable=None, delay=0.5,
                dynamic_ncols=True)


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
