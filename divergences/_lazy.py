"""Public names resolved on first access (PEP 562), for both packages.

``import transport`` or ``import divergences`` then costs little more than
NumPy and numba: a part of the toolkit (its modules, its numba kernels
loaded from the cache, SciPy's spatial or sparse modules, HiGHS, Dask) is
imported when one of its names is first used, not before.  Each package
keeps an explicit ``__all__`` and a table naming where each public name
lives; ``from package import *``, ``dir(package)`` and attribute access
all go through the table.
"""

import importlib
import sys

__all__ = ["lazy_exports"]


def lazy_exports(package, table):
    """The module-level ``__getattr__`` and ``__dir__`` of `package`.

    Parameters
    ----------
    package : str
        The package's name (``__name__``).
    table : dict
        Public name -> the private module (relative to `package`) that
        defines it.
    """

    def __getattr__(name):
        try:
            where = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(where, package), name)
        # Cache it in the package, so the next access is a plain lookup.
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__():
        return sorted(set(table) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
