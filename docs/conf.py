"""Sphinx configuration of the emdkit documentation (``make docs``).

Built with warnings as errors and nitpicky cross-references: every
reference must resolve.  Three things are generated at the start of each
build, none of them committed:

* the API reference pages, one per name of ``transport.__all__`` and
  ``divergences.__all__`` (``_tools/apigen.py``);
* intersphinx inventories of NumPy, SciPy, POT and Python, written from the
  installed packages (``_tools/inventories.py``): the build runs where no
  documentation site can be reached, and a reference to a name the
  installed package lacks still fails;
* the benchmark figure of the benchmarks page, from a small run of
  ``benchmarks.bench`` on the machine that builds the site.

The gallery (sphinx-gallery) runs every ``examples/plot_*.py`` and draws
its figures; an example that raises fails the build.
"""

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # benchmarks/ (helpers of the gallery and the figure)
sys.path.insert(0, str(DOCS / "_tools"))

import apigen  # noqa: E402
import inventories  # noqa: E402

from divergences import __version__  # noqa: E402

project = "emdkit"
author = "the emdkit developers"
copyright = "the emdkit developers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from the site itself, not from a CDN
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_tools", "_generated", "examples/README.txt", "**/GALLERY_HEADER.rst",
                    "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# Every cross-reference must resolve; warnings are errors (make docs: -W).
nitpicky = True
# `name` in a docstring links to the object when there is one and is set in
# italics otherwise (parameter names): NumPy's and SciPy's convention.
default_role = "autolink"

# -- API reference ----------------------------------------------------------
apigen.write_pages(DOCS / "api")
autosummary_generate = False  # the pages are apigen's
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_use_plots = False

# -- intersphinx from local inventories ------------------------------------
intersphinx_mapping = inventories.write_all(DOCS / "_build" / "inventories")
intersphinx_timeout = 1

# -- gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",   # every examples/plot_*.py runs
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("transport", "divergences"),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"transport": None, "divergences": None},
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "matplotlib_animations": False,
    "default_thumb_file": None,
    "min_reported_time": 1,
}

# -- the benchmark figure ----------------------------------------------------
BENCH_SECTIONS = os.environ.get("EMDKIT_DOCS_BENCH", "1d,emd,div,small-emd,circle,tree,grid")


_BENCH = {}


def start_bench_figure(app):
    """Start a small run of ``benchmarks.bench`` on this machine; its figure
    and report become ``_generated/bench.png`` and ``_generated/bench.md``."""
    out = DOCS / "_generated"
    out.mkdir(exist_ok=True)
    for name in ("bench.png", "bench.md"):
        (out / name).unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.bench", "--quick", "--sections", BENCH_SECTIONS,
           "--out", str(out)]
    log = open(out / "bench.log", "w")
    _BENCH["log"] = log
    _BENCH["proc"] = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, TQDM_DISABLE="1"),
                                      stdout=log, stderr=subprocess.STDOUT)


def finish_bench_figure(app, docname, source):
    """Before the benchmarks page is read: wait for the run; it must succeed."""
    if docname != "benchmarks" or "proc" not in _BENCH:
        return
    code = _BENCH.pop("proc").wait()
    _BENCH.pop("log").close()
    out = DOCS / "_generated"
    if code != 0 or not (out / "bench.png").exists():
        tail = (out / "bench.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the benchmark run for the docs failed (exit {code}):\n{tail}")


def stop_bench_figure(app, exception):
    proc = _BENCH.pop("proc", None)
    if proc is not None:  # the build stopped before the benchmarks page
        proc.kill()
        proc.wait()


def setup(app):
    # after sphinx-gallery's builder-inited handler (priority 500) has run the
    # examples, so that the run finds the numba kernels it shares with them
    # already compiled instead of compiling them a second time side by side;
    # it then proceeds while Sphinx reads the pages
    app.connect("builder-inited", start_bench_figure, priority=600)
    app.connect("source-read", finish_bench_figure)
    app.connect("build-finished", stop_bench_figure)


# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"emdkit {release}"
html_static_path = ["_static"]
html_css_files = ["emdkit.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_last_updated_fmt = None
