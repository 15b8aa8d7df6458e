"""The benchmark harness runs in --quick mode and its checks bite.

Timings are never asserted (benchmarks are not timed tests); only that the
quick run completes, writes its report and that values agree with the peers.
"""

import pytest

from benchmarks import _bench_cases as cases
from benchmarks import bench


def test_quick_run_writes_report(tmp_path):
    code = bench.main(["--quick", "--out", str(tmp_path), "--no-plot"])
    assert code == 0
    report = (tmp_path / "bench.md").read_text(encoding="utf-8")
    for title in ("1-D W_1", "Dense discrete EMD", "Divergences", "KR dual",
                  "W_p on the circle", "Tree W_1", "Grid W_1"):
        assert title in report
    assert "all values agree" in report
    emd = report[report.index("Dense discrete EMD"):report.index("Divergences")]
    assert "pivots ours" in emd  # the EMD section reports pivot counts


def test_emd_cases_time_the_peers_and_probe_pivots_apart():
    contest = cases.plan_emd(quick=True)[0][0].build()
    assert contest.floors == {}  # the pivot probes are not timed as floors
    assert isinstance(contest.pivots["ours"](), int)


def _fake_plan(peer_value):
    def plan(quick=False, large=False, max_n=None):
        contest = cases.Contest({"ours": lambda: 1.0, "peer": lambda: peer_value},
                                floors={"floor: none": lambda: None})
        return [cases.Case("1d", "fake", 10, lambda: contest)], ["fake section"]

    return plan


def test_disagreement_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(cases.PLANS, "1d", _fake_plan(1.0 + 1e-6))
    code = bench.main(["--quick", "--sections", "1d", "--out", str(tmp_path), "--no-plot"])
    assert code == 1
    assert "differs from ours" in capsys.readouterr().err
    assert "FAIL" in (tmp_path / "bench.md").read_text(encoding="utf-8")


def test_agreement_within_tolerance_passes(tmp_path, monkeypatch):
    monkeypatch.setitem(cases.PLANS, "1d", _fake_plan(1.0 + 1e-12))
    code = bench.main(["--quick", "--sections", "1d", "--out", str(tmp_path), "--no-plot"])
    assert code == 0


def test_peer_error_is_reported_not_raised():
    def boom():
        raise MemoryError("too big")

    contest = cases.Contest({"ours": lambda: 2.0, "peer": boom})
    row = bench.measure(cases.Case("x", "y", 1, lambda: contest), repeats=1)
    assert row["values"] == {"ours": 2.0}
    assert "MemoryError" in row["errors"]["peer"]
    assert bench.check_row(row) == []  # a peer's failure is not ours
    assert "MemoryError" in bench.peer_errors(row)[0]


def test_subject_error_fails():
    def boom():
        raise ValueError("bad")

    contest = cases.Contest({"ours": boom, "peer": lambda: 1.0})
    row = bench.measure(cases.Case("x", "y", 1, lambda: contest), repeats=1)
    assert "ValueError" in bench.check_row(row)[0]
    assert bench.max_rel_diff(row) is None


def test_time_call_is_median():
    ticks = iter(range(100))
    assert bench.time_call(lambda: next(ticks), repeats=5, warmup=2) >= 0.0
    assert next(ticks) == 7  # 2 warm-up calls + 5 timed


def test_floor_runs_alternate_with_the_subject_and_report_minima():
    calls = []
    best = bench.time_interleaved(lambda: calls.append("s"), lambda: calls.append("f"),
                                  repeats=3, number=2, floor_number=1)
    assert calls == ["s", "s", "f"] * 3
    assert all(0.0 <= t < 1.0 for t in best)


def test_floor_is_a_column_with_a_ratio_from_the_same_rounds():
    contest = cases.Contest({"ours": lambda: 2.0, "peer": lambda: 2.0},
                            floors={"floor: x": lambda: None})
    row = bench.measure(cases.Case("x", "y", 1, lambda: contest), repeats=2)
    assert set(row["floors"]) == set(row["paired"]) == {"floor: x"}
    assert "floor: x" not in row["values"]  # nothing to compare
    row["times"]["ours"], row["floors"]["floor: x"], row["paired"]["floor: x"] = 9.0, 1.0, 3.0
    table = bench.section_table([row])
    assert "ours/floor" in table.splitlines()[0]
    assert "| 3.00 |" in table  # min of ours in the paired rounds / floor, not 9 / 1


def test_choose_repeats():
    assert bench.choose_repeats(2.0) == (3, 1)
    assert bench.choose_repeats(0.2) == (5, 1)
    reps, number = bench.choose_repeats(1e-6)
    assert reps >= 5 and number > 1


def test_sizes():
    assert cases.sizes("emd", quick=True) == [100, 250]
    assert cases.sizes("emd", large=True)[-1] == 8000
    assert 8000 not in cases.sizes("emd")


@pytest.mark.parametrize("argv", [["--sections", "1d,nope"], ["--repeats", "0"],
                                  ["--quick", "--large"], ["--repeats", "x"]])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        bench.parse_args(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_sections_defaults():
    assert "cold" not in bench.parse_args(["--quick"]).sections
    assert "cold" in bench.parse_args(["--quick", "--cold"]).sections
    assert bench.parse_args(["--sections", "emd,1d"]).sections == ["emd", "1d"]
    assert bench.parse_args([]).sections == bench.SECTIONS


def test_families_table_renders_rows_and_errors():
    from benchmarks import _bench_families as fam

    ok = {"n": 10, "value": 1.0, "time": 0.5, "peak_mib": 200.0,
          "stats": {"rounds": 3, "arcs": 1234}}
    rows = [{"family": "uniform", "n": 10, "cost": "W_1", "sparse": ok,
             "network_simplex": {"value": 1.0, "time": 0.25, "rel": 0.0},
             "pot": {"error": "stopped after 5 s"}}]
    table = fam.families_table(rows)
    assert "| uniform | 10 | W_1 | 0.5 s | 0.20 GiB | 3 | 1,234 | 0.25 s | 2.00 |" in table
    assert "stopped after 5 s" in table


def test_families_child_and_disagreement(monkeypatch):
    from benchmarks import _bench_families as fam

    row = fam._child("shifted", 300, "euclidean", "sparse")
    assert row["n"] == 300 and row["value"] > 0 and row["stats"]["rounds"] >= 1
    dense = fam._child("shifted", 300, "euclidean", "network_simplex")
    assert abs(dense["value"] - row["value"]) <= 1e-12 * row["value"]

    def fake(family, n, metric, solver, timeout):
        value = 1.0 if solver == "sparse" else 1.0 + 1e-6
        return {"n": n, "value": value, "time": 1.0, "peak_mib": 100.0}

    monkeypatch.setattr(fam, "_run_child", fake)
    monkeypatch.setitem(fam.SIZES, "quick", [100])
    monkeypatch.setitem(fam.IMAGE_SIDES, "quick", [])
    rows, _, problems = fam.run(quick=True)
    assert len(rows) == 2 * (len(fam._families()) - 1)
    assert problems and all("ours 1.0" in p for p in problems)


def test_families_huge_adds_the_million_for_ours_alone(monkeypatch):
    from benchmarks import _bench_families as fam

    calls = []

    def fake(family, n, metric, solver, timeout):
        calls.append((family, n, metric, solver, timeout))
        return {"n": n, "value": 1.0, "time": 1.0, "peak_mib": 100.0}

    monkeypatch.setattr(fam, "_run_child", fake)
    monkeypatch.setitem(fam.SIZES, "quick", [100])
    monkeypatch.setitem(fam.IMAGE_SIDES, "quick", [])
    rows, notes, problems = fam.run(quick=True, huge=True)
    huge = [c for c in calls if c[1] == fam.HUGE_N]
    assert sorted({c[0] for c in huge}) == sorted(fam.HUGE_FAMILIES)
    assert {c[2] for c in huge} == set(fam.METRICS.values())
    assert {c[3] for c in huge} == {"sparse"}
    assert {c[4] for c in huge} == {fam.CHILD_TIMEOUT["huge"]}
    assert not problems and "--huge" in " ".join(notes)
    assert f"{fam.HUGE_N:,}" in fam.families_table(rows)
    assert bench.parse_args(["--sections", "families", "--huge"]).huge
    assert not bench.parse_args(["--sections", "families"]).huge
