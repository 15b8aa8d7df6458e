"""`progress=True` on `solve` and `wasserstein`: rounds on stderr, nothing
on stdout, the same answer as without."""

import sys

import numpy as np
import pytest

import transport._core._progress as progress_module
from transport import solve, wasserstein


@pytest.fixture(params=["lines", "tqdm"])
def reporter_kind(request, monkeypatch):
    """Run each test with plain lines (tqdm hidden) and with the tqdm bar
    (when installed), every update shown."""
    monkeypatch.setattr(progress_module, "MIN_INTERVAL", 0.0)
    if request.param == "lines":
        monkeypatch.setitem(sys.modules, "tqdm", None)  # import fails
    else:
        pytest.importorskip("tqdm")
    return request.param


def _clouds(n, shift):
    rng = np.random.default_rng(31)
    return rng.random((n, 2)), rng.random((n, 2)) + [shift, 0.0]


def test_sparse_progress_reports_rounds_on_stderr_only(reporter_kind, capsys):
    X, Y = _clouds(700, 0.4)  # above MULTISCALE_MIN: a coarse level too
    quiet = solve(X, Y, method="sparse")
    capsys.readouterr()  # a cold numba cache says it is compiling (stderr)
    res = solve(X, Y, method="sparse", progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert res.cost == quiet.cost and res.status == "optimal"
    for field in ("round=", "arcs=", "violations=", "cost=", "level=1", "level=0",
                  "status=optimal"):
        assert field in err, field
    if reporter_kind == "lines":
        lines = err.strip().splitlines()
        assert all(line.startswith("emdkit solve:") for line in lines)
        assert lines[-1].endswith("done")
        # the cost shown is that of a feasible plan: never below the optimum
        shown = [float(tok.split("=", 1)[1]) for line in lines for tok in line.split()
                 if tok.startswith("cost=") and tok != "cost=-" and "level=0" in line]
        # each level announces its start before its first round
        assert any("level=0" in line and "round=0" in line and "scan=start" in line
                   for line in lines)
        assert shown and min(shown) >= res.cost * (1 - 1e-12)
        assert f"cost={res.cost:.10g}" in lines[-1]


def test_dense_progress_start_and_end_lines(reporter_kind, capsys):
    X, Y = _clouds(40, 0.0)
    quiet = wasserstein(X, Y, method="network_simplex")
    capsys.readouterr()
    assert wasserstein(X, Y, method="network_simplex", progress=True) == quiet
    out, err = capsys.readouterr()
    assert out == ""
    assert "method=network_simplex" in err and "status=optimal" in err
    if reporter_kind == "lines":
        assert len(err.strip().splitlines()) == 2


def test_progress_off_and_closed_form_print_nothing(capsys):
    X, Y = _clouds(40, 0.0)
    solve(X, Y)
    wasserstein(X[:, 0], Y[:, 0])
    capsys.readouterr()  # compiled and warm
    solve(X, Y, progress=False)
    wasserstein(X[:, 0], Y[:, 0], progress=True)  # closed form: nothing to report
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_progress_must_be_a_bool(bad):
    X, Y = _clouds(5, 0.0)
    with pytest.raises(TypeError, match="`progress`"):
        solve(X, Y, progress=bad)
    with pytest.raises(TypeError, match="`progress`"):
        wasserstein(X, Y, progress=bad)
