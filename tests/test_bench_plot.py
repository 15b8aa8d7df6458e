"""The benchmark figure's bars: ours / each peer, per case (no drawing)."""

import pytest

from benchmarks._bench_plot import figure_rows, section_ratios


def test_common_rows_give_one_bar_per_timed_peer():
    rows = [{"section": "1d", "case": "W_1", "n": 1000, "subject": "ours",
             "times": {"ours": 1.0, "SciPy": 4.0, "POT": 0.5},
             "floors": {"floor: np.sort": 0.1}, "errors": {}}]
    bars = section_ratios("1d", rows)
    assert bars == [("W_1, n=1,000 vs SciPy", 0.25), ("W_1, n=1,000 vs POT", 2.0)]


def test_families_rows_compare_with_dense_and_pot():
    rows = [{"family": "uniform", "cost": "W_1", "n": 6000, "sparse": {"time": 1.0},
             "network_simplex": {"time": 2.0}, "pot": {"error": "timeout"}}]
    assert section_ratios("families", rows) == [("uniform W_1, n=6,000 vs dense", 0.5)]


def test_sections_without_peers_and_cold_are_left_out():
    results = {"cold": ({"cold": {}}, []),
               "tree": ([{"case": "t", "n": 10, "subject": "ours", "times": {"ours": 1.0}}],
                        []),
               "div": ([{"case": "KL", "n": 10, "subject": "ours",
                         "times": {"ours": 1.0, "SciPy": 2.0}}], [])}
    groups = figure_rows(results, {"div": "Divergences"})
    assert groups == [("Divergences", [("KL, n=10 vs SciPy", pytest.approx(0.5))])]


def test_a_written_report_gives_the_same_bars():
    # the report's tables, as bench.py writes them, read back by the figure
    from benchmarks import bench
    from benchmarks._bench_plot import largest_only, ratios_from_report

    rows = [{"section": "1d", "case": "W_1", "n": n, "subject": "ours",
             "times": {"ours": 1.0, "SciPy": 4.0 * n / 10, "POT": 2.0},
             "values": {}, "pivots": {}, "errors": {},
             "floors": {"floor: np.sort": 0.5}, "paired": {"floor: np.sort": 1.0}}
            for n in (10, 1000)]
    report = "## 1-D W_1\n\n- a note\n\n" + bench.section_table(rows) + "\n\n## Checks\n"
    groups = ratios_from_report(report)
    # ours / SciPy at n = 1000 is 1/400, printed as 0.00: no bar
    assert groups == [("1-D W_1", [("W_1, n=10 vs SciPy", 0.25), ("W_1, n=10 vs POT", 0.5),
                                   ("W_1, n=1,000 vs POT", 0.5)])]
    assert largest_only(groups) == [("1-D W_1", [("W_1, n=10 vs SciPy", 0.25),
                                                 ("W_1, n=1,000 vs POT", 0.5)])]
