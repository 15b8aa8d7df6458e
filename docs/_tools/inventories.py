"""Intersphinx inventories written from the installed packages.

The documentation is built where only the package registries are reachable,
so the inventories (``objects.inv``) of NumPy, SciPy, Dask, POT and Python cannot
be downloaded at build time.  Instead, each build writes one inventory per
project listing the public objects that the *installed* package really has
(found by importing its modules), each linked to where that project's
documentation puts such an object.  A reference to a name the package does
not have stays unresolved, and the nitpicky build fails on it, as it would
with the downloaded inventory.
"""

import builtins
import importlib
import inspect
import zlib
from pathlib import Path

#: project -> (base URL, modules whose public names are listed, page of a name)
PROJECTS = {
    "numpy": ("https://numpy.org/doc/stable/",
              ["numpy", "numpy.linalg", "numpy.random", "numpy.ma"],
              lambda module, name: f"reference/generated/{name}.html#{name}"),
    "scipy": ("https://docs.scipy.org/doc/scipy/",
              ["scipy.stats", "scipy.spatial", "scipy.spatial.distance", "scipy.sparse",
               "scipy.optimize", "scipy.linalg", "scipy.special"],
              lambda module, name: f"reference/generated/{name}.html#{name}"),
    "dask": ("https://docs.dask.org/en/stable/",
             ["dask.array"],
             lambda module, name: "array.html" if name == module
             else f"generated/{name}.html#{name}"),
    "distributed": ("https://distributed.dask.org/en/stable/",
                    ["dask.distributed"],
                    lambda module, name: "index.html" if name == module
                    else f"api.html#{name.replace('dask.distributed.', 'distributed.')}"),
    "ot": ("https://pythonot.github.io/",
           ["ot", "ot.lp", "ot.sliced", "ot.gaussian", "ot.utils"],
           lambda module, name: ("all.html" if module == "ot" else f"gen_modules/{module}.html")
           + f"#{name}"),
}


def _public(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return names


def _role(obj):
    if inspect.isclass(obj):
        return "py:exception" if issubclass(obj, BaseException) else "py:class"
    if callable(obj):
        return "py:function"
    if inspect.ismodule(obj):
        return "py:module"
    return "py:data"


def entries(project):
    """(name, role, uri) of every public object of `project`'s modules."""
    _, modules, page = PROJECTS[project]
    out = {}
    for modname in modules:
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue
        out[modname] = (modname, "py:module", page(modname, modname))
        for name in _public(module):
            obj = getattr(module, name, None)
            if obj is None or inspect.ismodule(obj):
                continue
            full = f"{modname}.{name}"
            out.setdefault(full, (full, _role(obj), page(modname, full)))
    return sorted(out.values())


def python_entries():
    """The built-in functions, types and exceptions of Python."""
    out = []
    for name in dir(builtins):
        if name.startswith("_"):
            continue
        obj = getattr(builtins, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            out.append((name, "py:exception", f"library/exceptions.html#{name}"))
        elif inspect.isclass(obj):
            out.append((name, "py:class", f"library/functions.html#{name}"))
        elif callable(obj):
            out.append((name, "py:function", f"library/functions.html#{name}"))
    for name in ("warn", "catch_warnings", "simplefilter", "filterwarnings"):
        out.append((f"warnings.{name}", "py:function", f"library/warnings.html#warnings.{name}"))
    out.append(("concurrent.futures.ThreadPoolExecutor", "py:class",
                "library/concurrent.futures.html#concurrent.futures.ThreadPoolExecutor"))
    out.append(("multiprocessing", "py:module", "library/multiprocessing.html"))
    return sorted(out)


def write_inventory(path, project, version, rows):
    """Write rows (name, role, uri) as a Sphinx version-2 inventory."""
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in rows)
    path.write_bytes(header.encode() + zlib.compress(body.encode()))


def write_all(folder):
    """Write the inventories into `folder`; return Sphinx's intersphinx_mapping."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for project, (base, modules, _) in PROJECTS.items():
        try:
            version = importlib.import_module(project).__version__
        except ImportError:
            continue
        path = folder / f"{project}.inv"
        write_inventory(path, project, version, entries(project))
        mapping[project] = (base, str(path))
    path = folder / "python.inv"
    import platform

    write_inventory(path, "Python", platform.python_version(), python_entries())
    mapping["python"] = ("https://docs.python.org/3/", str(path))
    return mapping
