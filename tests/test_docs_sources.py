"""The documentation's sources, checked without building the site.

Every public name of `transport` and `divergences` gets an API page (the
pages are generated from ``__all__`` at each build by
``docs/_tools/apigen.py``), every gallery script has the title
sphinx-gallery needs, and the examples of the user guide run.
"""

import ast
import doctest
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_tools"))
import apigen  # noqa: E402

PACKAGES = ["transport", "divergences"]


@pytest.fixture(scope="module")
def api_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    apigen.write_pages(out)
    return out


def test_the_generator_documents_both_packages():
    assert sorted(apigen.PACKAGES) == sorted(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_a_page(api_dir, package):
    module = importlib.import_module(package)
    index = (api_dir / f"{package}.rst").read_text(encoding="utf-8")
    for name in module.__all__:
        page = api_dir / apigen.GENERATED / f"{package}.{name}.rst"
        assert page.exists(), f"no API page for {package}.{name}"
        text = page.read_text(encoding="utf-8")
        directive = apigen.kind(getattr(module, name))
        assert f".. {directive}:: {name}" in text
        assert f"   {name}\n" in index  # in the package's summary table
        assert f"{apigen.GENERATED}/{package}.{name}\n" in index  # and its toctree


def test_a_name_added_to_all_gets_a_page(tmp_path, monkeypatch):
    module = importlib.import_module("transport")
    monkeypatch.setattr(module, "__all__", [*module.__all__, "_brand_new"], raising=True)
    monkeypatch.setattr(module, "_brand_new", lambda x: x, raising=False)
    apigen.write_pages(tmp_path)
    assert (tmp_path / apigen.GENERATED / "transport._brand_new.rst").exists()


def test_pages_of_names_no_longer_public_are_removed(tmp_path):
    stale = tmp_path / apigen.GENERATED / "transport.gone.rst"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    apigen.write_pages(tmp_path)
    assert not stale.exists()


def _tracked_docs():
    """The files under docs/ that git tracks (skip outside a git checkout)."""
    import subprocess

    try:
        done = subprocess.run(["git", "ls-files", "docs"], cwd=ROOT, capture_output=True,
                              text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [Path(line) for line in done.stdout.splitlines()]


def test_no_generated_page_is_committed():
    # written at every build: a committed copy would go stale
    generated = Path("docs", "api", apigen.GENERATED)
    assert [p for p in _tracked_docs() if generated in p.parents] == []


EXAMPLES = sorted((DOCS / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_gallery_scripts_have_a_title(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.name}: no docstring"
    title, underline = doc.splitlines()[:2]
    assert title.strip() and set(underline.strip()) == {"="} and len(underline) >= len(title)


def test_no_figure_is_committed_in_docs():
    # every figure of the site is drawn at build time; the one exception is
    # the README's dated benchmark figure in docs/_static (its command and
    # load are on the benchmarks page)
    pngs = [p for p in _tracked_docs() if p.suffix == ".png" and p.parent.name != "_static"]
    assert pngs == []


PAGES = sorted([*(DOCS / "guide").glob("*.rst"), DOCS / "index.rst"])


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_guide_examples_run(path):
    result = doctest.testfile(str(path), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
