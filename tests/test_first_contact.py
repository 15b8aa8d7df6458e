"""What a new user meets first: the version, and one line while kernels compile."""

import configparser
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest
from numba.core import event

import divergences
import transport
from divergences import _compile_notice, _version

ROOT = Path(__file__).resolve().parents[1]


def _setup_cfg_version():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    return parser["metadata"]["version"]


# --------------------------------------------------------------------------
# __version__
# --------------------------------------------------------------------------
def test_both_packages_report_the_setup_cfg_version():
    expected = _setup_cfg_version()
    assert divergences.__version__ == transport.__version__ == expected
    assert "__version__" not in divergences.__all__ + transport.__all__


def test_version_follows_the_file(tmp_path):
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = emdkit\nversion = 7.8.9rc1\n")
    assert _version.version_from(tmp_path) == "7.8.9rc1"


def test_version_of_an_installed_copy_comes_from_its_metadata(tmp_path, monkeypatch):
    from importlib import metadata

    # No setup.cfg of ours beside the packages (another project's is ignored).
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = other\nversion = 9.9\n")
    monkeypatch.setattr(metadata, "version",
                        lambda name: "1.2.3" if name == "emdkit" else None)
    assert _version.version_from(tmp_path) == "1.2.3"

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert _version.version_from(tmp_path / "nowhere") == "0+unknown"


# --------------------------------------------------------------------------
# The compile notice
# --------------------------------------------------------------------------
class _FakeDispatcher:
    def __init__(self, module):
        def py_func():
            pass

        py_func.__module__ = module
        self.py_func = py_func


def _compile_event(module):
    return event.Event("numba:compile", event.EventStatus.START,
                       data={"dispatcher": _FakeDispatcher(module), "args": (),
                             "return_type": None})


def test_notice_once_and_only_for_our_kernels():
    stream = io.StringIO()
    listener = _compile_notice.CompileNotice(stream=stream)
    listener.notify(_compile_event("user_code"))
    listener.notify(_compile_event("transportation.x"))  # a prefix, not our package
    assert stream.getvalue() == ""
    listener.notify(_compile_event("transport._kernels_1d"))
    listener.notify(_compile_event("divergences._kernels"))
    assert stream.getvalue() == _compile_notice.MESSAGE + "\n"


def test_notice_is_registered_once():
    listeners = [obj for obj in event._registered["numba:compile"]
                 if isinstance(obj, _compile_notice.CompileNotice)]
    assert listeners == [_compile_notice.LISTENER]


# A small first call (a few kernels, well under a second to compile) and a
# numba function of the user's own, which must not trigger the notice.
SCRIPT = r"""
import numba
import transport
numba.njit(lambda x: x + 1)(1)
transport.wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0])
transport.wasserstein_1d([0.0, 1.0], [5.0, 6.0], [1.0, 2.0], [3.0, 1.0], p=2)
print("done")
"""


def _run(cache_dir):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
    return out.stderr


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")
def test_fresh_cache_prints_the_notice_once_warm_cache_prints_nothing(tmp_path):
    cold = _run(tmp_path)
    assert cold.count(_compile_notice.MESSAGE) == 1, cold
    assert cold.strip() == _compile_notice.MESSAGE
    warm = _run(tmp_path)
    assert warm == ""


# --------------------------------------------------------------------------
# make help
# --------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_alone_lists_every_target():
    phony = next(line for line in (ROOT / "Makefile").read_text().splitlines()
                 if line.startswith(".PHONY:")).split()[1:]
    alone = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    helped = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert alone.returncode == helped.returncode == 0, alone.stderr + helped.stderr
    assert alone.stdout == helped.stdout
    listed = [line.split()[0] for line in alone.stdout.splitlines() if line.startswith("  ")]
    assert sorted(listed) == sorted(phony)
    assert {"test", "example1"} <= set(listed)
