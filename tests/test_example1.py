"""The Example 1 reproduction: closed forms on a small grid, and the CLI end to end."""

import csv
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from benchmarks import example1

LOG2 = math.log(2.0)


@pytest.fixture(scope="module")
def rows():
    return example1.sweep(example1.theta_grid(7), k=12, n=60, seed=3, repeats=2)


def test_grid_is_symmetric_and_contains_zero():
    grid = example1.theta_grid(9)
    assert grid[4] == 0.0
    assert_allclose(grid, -grid[::-1])
    assert grid[0] == -1.0 and grid[-1] == 1.0


def test_discretised_quantities_equal_the_closed_forms(rows):
    for r in rows:
        theta = r["theta"]
        # LP and dual are exact up to rounding on O(1) data
        assert_allclose(r["W_lp"], abs(theta), atol=1e-12)
        assert_allclose(r["W_dual"], abs(theta), atol=1e-12)
        if theta == 0.0:
            assert r["JS_discrete"] == r["KL_discrete"] == r["TV_discrete"] == 0.0
        else:
            assert r["TV_discrete"] == 1.0
            assert r["KL_discrete"] == math.inf
            assert_allclose(r["JS_discrete"], LOG2, rtol=1e-15)
    worst = example1.max_deviation(rows)
    assert max(worst.values()) <= example1.TOLERANCE


def test_gradients_critic_against_finite_differences(rows):
    for r in rows:
        theta = r["theta"]
        if theta == 0.0:
            assert math.isnan(r["dW_critic"])
            # W = |theta|: a kink, one-sided slopes -1 and +1 (differences of
            # exact O(1) values over h = 1e-3: rounding / h ~ 1e-13)
            assert_allclose([r["dW_left"], r["dW_right"]], [-1.0, 1.0], atol=1e-9)
            # JS jumps from 0 to log 2: the quotients are +-log 2 / h
            assert_allclose([r["dJS_left"], r["dJS_right"]], [-LOG2 / 1e-3, LOG2 / 1e-3],
                            rtol=1e-12)
            continue
        assert_allclose(r["dW_critic"], math.copysign(1.0, theta), atol=1e-9)
        assert_allclose(r["dW_left"], math.copysign(1.0, theta), atol=1e-9)
        assert_allclose(r["dW_right"], math.copysign(1.0, theta), atol=1e-9)
        assert r["dJS_left"] == r["dJS_right"] == 0.0  # JS is flat at log 2 away from 0


def test_critic_map_is_the_exact_critic():
    critic = example1.critic_map(0.5, k=8, n_grid=21)
    assert_allclose(critic["W"], 0.5, atol=1e-12)
    assert critic["f"].shape == critic["x"].shape == critic["y"].shape == (21, 21)
    # 1-Lipschitz on the grid (euclidean): |f(a) - f(b)| <= |a - b|
    pts = np.column_stack([critic["x"].ravel(), critic["y"].ravel()])
    f = critic["f"].ravel()
    dist = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=-1))
    assert (np.abs(f[:, None] - f[None, :]) <= dist + 1e-12).all()
    # the grid holds the atoms x = 0 and x = 0.5 on its columns
    assert_allclose(critic["base"][:, 0], 0.0)
    assert_allclose(critic["moved"][:, 0], 0.5)


def test_samples_are_disjoint_so_divergences_saturate_even_at_zero(rows):
    for r in rows:
        # sum of 2n normalised masses: 1 up to rounding
        assert_allclose(r["TV_samples"], 1.0, rtol=1e-15)
        assert_allclose(r["JS_samples"], LOG2, rtol=1e-15)
        assert r["KL_samples"] == math.inf
        # the sample W is an upper-biased estimate of |theta|: within the
        # transport cost of two independent 60-point uniform samples
        assert abs(r["theta"]) - 1e-12 <= r["W_samples"] <= abs(r["theta"]) + 0.3
        assert r["W_samples_min"] <= r["W_samples"] <= r["W_samples_max"]


def test_gaussian_shift_closed_forms():
    out = example1.gaussian_shift(np.array([0.0, 1.0, 4.0, 20.0]), n_grid=2001, n_quantiles=500)
    for r in out:
        mu = r["mu"]
        assert_allclose(r["W_quantiles"], mu, rtol=1e-12, atol=1e-12)
        assert_allclose(r["KL_grid"], mu * mu / 2, rtol=1e-3, atol=1e-9)
        assert 0.0 <= r["JS_grid"] <= LOG2
    assert out[-1]["JS_grid"] == pytest.approx(LOG2, rel=1e-9)


def test_cli_end_to_end(tmp_path, capsys):
    code = example1.main(["--grid", "5", "--k", "6", "--n", "30", "--repeats", "1",
                          "--out", str(tmp_path)])
    assert code == 0
    for name in ("example1.csv", "example1.png", "gaussian_shift.png"):
        assert (tmp_path / name).stat().st_size > 0
    with open(tmp_path / "example1.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 5
    assert [float(r["theta"]) for r in table] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    out = capsys.readouterr().out
    assert "largest deviation" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--grid", "4"], "odd"),
        (["--k", "zero"], "integer"),
        (["--n", "1"], ">= 2"),
    ],
)
def test_cli_rejects_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        example1.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
