"""The API reference's page sources, one per public name, from ``__all__``.

Run by ``docs/conf.py`` at the start of every build (and by
``tests/test_docs_api.py`` without Sphinx): for each package in `PACKAGES`,
one page per name of its ``__all__`` under ``docs/api/generated/`` and an
index page with a summary table.  A public name added to an ``__all__``
gets its page on the next build, with nothing to write by hand.
"""

import importlib
import inspect
from pathlib import Path

#: The documented packages and the sentence that introduces each.
PACKAGES = {
    "divergences": "Divergences between histograms: total variation, "
                   "Kullback-Leibler, Jensen-Shannon, and empirical measures put "
                   "on a common support.",
    "transport": "Exact optimal transport: the Earth-Mover (Wasserstein) distance, "
                 "its plans, potentials and certificates, and the "
                 "Kantorovich-Rubinstein dual.",
}

GENERATED = "generated"


def public_names(package):
    """The names of ``package.__all__``, in its order."""
    module = importlib.import_module(package)
    return list(module.__all__)


def kind(obj):
    """The autodoc directive that documents `obj`."""
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return "autoexception"
        return "autoclass"
    return "autofunction"


def page_name(package, name):
    return f"{package}.{name}"


def page_source(package, name):
    """The reStructuredText of one name's page."""
    obj = getattr(importlib.import_module(package), name)
    title = f"{package}.{name}"
    directive = kind(obj)
    lines = [title, "=" * len(title), "", f".. currentmodule:: {package}", "",
             f".. {directive}:: {name}"]
    if directive == "autoclass":
        lines += ["   :members:", "   :exclude-members: __init__, __new__"]
    lines.append("")
    if directive == "autofunction":
        # the gallery examples that call it (sphinx-gallery's backreferences)
        lines += [f".. minigallery:: {package}.{name}", "   :add-heading: Examples using this function",
                  ""]
    return "\n".join(lines)


def index_source(package):
    """The package's index page: its summary and a table of every name."""
    title = f"``{package}``"
    lines = [f".. _api-{package}:", "", title, "=" * len(title), "",
             f".. module:: {package}", "", PACKAGES[package], "",
             ".. autosummary::", ""]
    lines += [f"   {name}" for name in public_names(package)]
    lines += ["", ".. toctree::", "   :hidden:", ""]
    lines += [f"   {GENERATED}/{page_name(package, name)}" for name in public_names(package)]
    lines.append("")
    return "\n".join(lines)


def _write(path, text):
    """Write only when the text changed (Sphinx rebuilds what changed)."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_pages(api_dir):
    """Write every page source under `api_dir`; return the written paths.

    Pages of names no longer public are removed, so the reference never
    shows a stale name.
    """
    api_dir = Path(api_dir)
    out = api_dir / GENERATED
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for package in PACKAGES:
        path = api_dir / f"{package}.rst"
        _write(path, index_source(package))
        written.append(path)
        for name in public_names(package):
            path = out / f"{page_name(package, name)}.rst"
            _write(path, page_source(package, name))
            written.append(path)
    for stale in set(out.glob("*.rst")) - set(written):
        stale.unlink()
    return written
