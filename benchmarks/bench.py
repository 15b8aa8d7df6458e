"""Speed of the toolkit against SciPy, POT and plain NumPy (issue 6).

Sections (``--sections``): ``1d`` (W_1, W_2 on the line), ``emd`` (dense
discrete EMD, with pivot counts), ``div`` (KL, JS, TV on histograms, with a
floor that reads both inputs once), ``kr`` (KR dual against the primal LP),
``small-emd`` (emd2 and wasserstein per call on 5 to 64 points),
``small-div`` (the divergences' per-call cost on 10 and 100 bins),
``pairwise-div`` (JS between all rows of two matrices, against SciPy's
``cdist``), ``circle`` (W_1, W_2 on the circle against POT), ``tree`` (tree
W_1), ``grid`` (W_1 between photographs on their pixel grid, against the
dense LPs), ``critic`` (the audit of a critic, `benchmarks._bench_critic`),
``families`` (the matrix-free solver on data families,
`benchmarks._bench_families`), ``sliced`` and ``gaussian`` (samples in
feature space against POT and the FID code, `benchmarks._bench_samples`;
``sliced`` also writes ``sliced_bracket.png``) and ``cold``
(import and first-call time in fresh interpreters, with an empty and with a
warm numba cache, and a count of recompilations in the warm process).

Why a harness of our own rather than pytest-benchmark or asv: no extra
dependency; every peer runs side by side in one process on the very same
arrays (built once per case, outside the timing), so the table can report
ratios ours/peer directly; and the values each peer returns are compared
with ours in the same pass, so a speed-up is never bought with a wrong
answer.  Each call gets one warm-up (numba compilation, caches), then the
median of several timed runs (`time.perf_counter`): calls faster than 1 ms
are looped inside a run, the number of runs falls from 50 for fast calls to
5 from 0.1 s and 3 from 1 s (``--repeats`` overrides).  A floor (what any
method pays at least, e.g. NumPy's sort of the inputs) is timed in rounds
that alternate with runs of ours, and both are reported by their minimum
over the rounds: the floor and the case it bounds are measured in the same
conditions, each at its quietest.

Outputs ``<out>/bench.md`` (also printed) and ``<out>/bench.png``.  Exit
code 1 when a peer's value differs from ours by more than `RTOL` relative or
the warm process recompiled; timings are never asserted.  ``--quick`` (CI,
well under a minute) runs small sizes only.  Run ``python -m benchmarks.bench
--help``.
"""

import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import _bench_cases as cases
from benchmarks import _bench_critic
from benchmarks import _bench_families as families
from benchmarks import _bench_features as features
from benchmarks import _bench_samples as samples
from benchmarks._cli import make_output_folder, positive_int, progress_bar

#: Relative agreement required between ours and every peer.
RTOL = 1e-9

SECTIONS = ["1d", "emd", "div", "kr", "small-emd", "small-div", "pairwise-div",
            "circle", "tree", "grid", "critic", "families", "features", "sliced",
            "gaussian", "cold"]

# sections whose cases live in a module of their own
cases.PLANS["critic"] = _bench_critic.plan_critic
cases.TITLES["critic"] = _bench_critic.TITLE

#: Sections with a runner and a table of their own (fresh interpreters).
OWN_RUNNERS = {"families": (families.run, families.families_table,
                            "Exact transport at scale: data families (sparse solver)"),
               "features": (features.run, features.features_table,
                            "Samples in feature space: cost matrices and exact W, 64-2048-D"),
               "sliced": (samples.run_sliced, samples.sliced_table,
                          "Sliced W_2 with its bracket on W_2, samples in feature space"),
               "gaussian": (samples.run_gaussian, samples.gaussian_table,
                            "Gaussian W_2 (FID) in feature space")}

#: Own runners that also write a figure into the output folder.
WRITES_FIGURE = {"sliced"}


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def time_call(fn, repeats, warmup=1, number=1):
    """Median over `repeats` runs of the seconds one call of `fn` takes.

    `warmup` untimed calls first; each run times `number` calls in a row
    and divides (for calls too short to time singly).
    """
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t) / number)
    return statistics.median(samples)


def time_interleaved(subject, floor, repeats, number=1, floor_number=1):
    """Min seconds per call of `subject` and of `floor`, timed alternately.

    Each of `repeats` rounds times `number` calls of `subject`, then
    `floor_number` calls of `floor`, so both see the same machine state;
    the minimum over rounds is each one's time at the quietest moment (a
    floor measured while something else ran would be no floor).  No warm-up.
    """
    best_subject = best_floor = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            subject()
        t_mid = time.perf_counter()
        for _ in range(floor_number):
            floor()
        t_end = time.perf_counter()
        best_subject = min(best_subject, (t_mid - t) / number)
        best_floor = min(best_floor, (t_end - t_mid) / floor_number)
    return best_subject, best_floor


def choose_repeats(seconds):
    """Runs and calls per run for a call that took `seconds` once (pure)."""
    if seconds >= 1.0:
        return 3, 1
    if seconds >= 0.1:
        return 5, 1
    number = max(1, min(1000, int(1e-3 / max(seconds, 1e-7))))
    repeats = max(5, min(50, int(0.5 / max(seconds * number, 1e-7))))
    return repeats, number


def measure(case, repeats=None):
    """Run one case: the row dict with times, values and pivots per method.

    ``times``: median per call of each competitor; ``floors``: min per call
    of each floor, and ``paired``: the subject's min in the same
    interleaved rounds (the ours/floor ratio divides these two).
    """
    contest = case.build()
    subject = next(iter(contest.calls))
    row = {"section": case.section, "case": case.label, "n": case.n, "subject": subject,
           "times": {}, "values": {}, "pivots": {}, "errors": {}, "floors": {}, "paired": {}}
    plan = {}  # name -> (runs, calls per run)
    for name, fn in contest.calls.items():
        try:
            t = time.perf_counter()
            value = fn()  # the warm-up call; its value is the one compared
            first = time.perf_counter() - t
            if first < 1.0:  # may include compiling or loading code: time a warm call
                t = time.perf_counter()
                fn()
                first = time.perf_counter() - t
            reps, number = plan[name] = choose_repeats(first)
            if repeats is not None:
                reps = repeats
            row["times"][name] = time_call(fn, reps, warmup=0, number=number)
            row["values"][name] = None if value is None else float(value)
        except Exception as exc:  # a peer failing must not stop the run
            row["errors"][name] = f"{type(exc).__name__}: {exc}"
    for name, floor in contest.floors.items():
        if subject not in row["times"]:
            break
        try:
            t = time.perf_counter()
            floor()  # warm-up
            floor_number = choose_repeats(time.perf_counter() - t)[1]
            reps, number = plan[subject]
            row["paired"][name], row["floors"][name] = time_interleaved(
                contest.calls[subject], floor, max(5, reps) if repeats is None else repeats,
                number, floor_number)
        except Exception as exc:
            row["errors"][name] = f"{type(exc).__name__}: {exc}"
    for name, probe in contest.pivots.items():
        try:
            row["pivots"][name] = probe()
        except Exception as exc:
            row["pivots"][name] = f"error ({type(exc).__name__})"
    return row


def check_row(row, rtol=RTOL):
    """Failures of a row: the subject raised, or a peer's value is off (pure)."""
    problems = []
    where = f"[{row['section']}] {row['case']}, n={row['n']}"
    subject = row["subject"]
    if subject in row["errors"]:
        problems.append(f"{where}: {subject} raised {row['errors'][subject]}")
    ref = row["values"].get(subject)
    if ref is None:
        return problems
    for name, value in row["values"].items():
        if name == subject or value is None:
            continue
        rel = abs(value - ref) / max(abs(ref), 1e-300)
        if not rel <= rtol:
            problems.append(f"{where}: {name} = {value!r} differs from {subject} = {ref!r} "
                            f"(relative {rel:.2e} > {rtol:g})")
    return problems


def peer_errors(row):
    """Peers that raised (reported, not failures: ours was not at fault)."""
    where = f"[{row['section']}] {row['case']}, n={row['n']}"
    return [f"{where}: {name} raised {err}" for name, err in row["errors"].items()
            if name != row["subject"]]


def max_rel_diff(row):
    """Largest relative difference between a peer's value and the subject's."""
    ref = row["values"].get(row["subject"])
    if ref is None:
        return None
    diffs = [abs(v - ref) / max(abs(ref), 1e-300) for name, v in row["values"].items()
             if name != row["subject"] and v is not None]
    return max(diffs) if diffs else None


# --------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------
def fmt_seconds(s):
    if s is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def _markdown_table(header, body, n_left=2):
    """Markdown table: the first `n_left` columns left-aligned, others right."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < n_left else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in body]
    return "\n".join(lines)


def section_table(rows):
    """Markdown table of one section's rows: medians, ratios ours/peer."""
    methods = [rows[0]["subject"]] if rows else []
    for r in rows:
        for m in list(r["times"]) + list(r["floors"]) + list(r["errors"]):
            if m not in methods:
                methods.append(m)
    if not methods:
        return "(no rows)"
    subject, peers = methods[0], methods[1:]
    with_pivots = [m for m in methods if any(m in r["pivots"] for r in rows)]
    header = ["case", "n", subject]
    for m in peers:
        header += [m, f"{subject}/{m.split(':')[0]}"]
    header += [f"pivots {m}" for m in with_pivots] + ["max rel. diff"]
    body = []
    for r in rows:
        ours = r["times"].get(subject)
        line = [r["case"], f"{r['n']:,}", fmt_seconds(ours)]
        for m in peers:
            if m in r["floors"]:  # min against min, from the same rounds
                their, mine = r["floors"][m], r["paired"][m]
            else:
                their, mine = r["times"].get(m), ours
            cell = "error" if m in r["errors"] else fmt_seconds(their)
            line += [cell, fmt_ratio(mine, their)]
        line += [r["pivots"].get(m, "—") for m in with_pivots]
        diff = max_rel_diff(r)
        line.append("—" if diff is None else f"{diff:.1e}")
        body.append(line)
    return _markdown_table(header, body)


def cold_table(result):
    cold, warm = result["cold"]["timings"], result["warm"]["timings"]
    body = [[name, fmt_seconds(cold[name]), fmt_seconds(warm.get(name)),
             fmt_ratio(cold[name], warm.get(name))] for name in cold]
    table = _markdown_table(["step", "empty numba cache", "warm numba cache", "cold/warm"], body,
                            n_left=1)
    compiled = result["warm"]["compiled"]
    lines = [table, "",
             f"Compilations: cold process {sum(result['cold']['compiled'].values())} "
             f"(cache entries saved: {result['cold']['saved']}); warm process "
             f"{result['recompilations']} (must be 0; counted from every numba dispatcher's "
             "`stats.cache_misses` and from NUMBA_DEBUG_CACHE's 'data saved' lines).",
             f"Wall time per process including interpreter start-up: cold "
             f"{result['cold']['wall']:.2f} s, warm {result['warm']['wall']:.2f} s."]
    if compiled:
        lines.append("Recompiled in the warm process: " + ", ".join(sorted(compiled)))
    return "\n".join(lines)


def describe_machine():
    """CPU, cores and library versions for the report header."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    versions = {"Python": platform.python_version(), "numpy": np.__version__}
    for name, module in (("scipy", "scipy"), ("numba", "numba"), ("POT", "ot"),
                         ("wasserstein", "wasserstein")):
        try:
            versions[name] = __import__(module).__version__
        except ImportError:
            versions[name] = "not installed"
        except AttributeError:
            versions[name] = "?"
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    try:
        import numba

        threads = f"numba {numba.config.NUMBA_NUM_THREADS} threads ({numba.config.THREADING_LAYER})"
    except ImportError:
        threads = "numba not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "load": load,
            "threads": threads,
            "platform": platform.platform(), "versions": versions}


def render_report(results, machine, args, problems, warnings, elapsed):
    """The whole markdown report."""
    mode = "quick" if args.quick else ("full + large" if args.large else "full")
    if getattr(args, "huge", False):
        mode += " + huge"
    v = machine["versions"]
    out = [
        "# emdkit benchmarks",
        "",
        f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}; mode: {mode}; "
        f"sections: {', '.join(results)}; run time {elapsed:.0f} s",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores "
        f"({machine['usable_cores']} usable, {machine['threads']}), {machine['platform']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        "- Load average (1 min) at start: "
        + ("unknown" if machine["load"] is None else f"{machine['load']:.2f}")
        + (" -- other work ran recently: timings may be distorted, multi-threaded kernels most"
           if machine["load"] is not None and machine["load"] > 0.5 else ""),
        "- Median of several runs after one warm-up call (time.perf_counter); "
        "ratio = ours / peer time, < 1 means we are faster. "
        f"Values must agree to {RTOL:g} relative.",
        "- Floors: minimum over rounds that alternate a run of ours with a run of the "
        "floor; their ratio column divides ours' minimum in those same rounds by the "
        "floor's.",
        "",
    ]
    for name, (rows, notes) in results.items():
        title = OWN_RUNNERS[name][2] if name in OWN_RUNNERS else cases.TITLES[name]
        out += [f"## {title}", ""]
        out += [f"- {note}" for note in notes]
        if rows is not None:
            if name in OWN_RUNNERS:
                table = OWN_RUNNERS[name][1](rows)
            else:
                table = section_table(rows) if name != "cold" else cold_table(rows)
            out += ["", table]
        out.append("")
    out += ["## Checks", ""]
    if problems:
        out += [f"- FAIL {p}" for p in problems]
    else:
        out.append("- all values agree; no recompilation.")
    out += [f"- WARNING (not a failure) {w}" for w in warnings]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------
def plot(results, path):
    """Draw ``bench.png``: per case, ours / each peer as a bar around parity
    on a log scale (`benchmarks._bench_plot`)."""
    from benchmarks._bench_plot import plot_ratios

    titles = {**cases.TITLES, **{k: v[2] for k, v in OWN_RUNNERS.items()}}
    return plot_ratios(results, titles, path)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def _section_list(text):
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SECTIONS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(unknown) or repr(text)}; "
            f"choose a comma-separated subset of {','.join(SECTIONS)}")
    return list(dict.fromkeys(names))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench",
        description="Time the toolkit against SciPy, POT and NumPy on seeded inputs, check "
                    "that the values agree, and write <out>/bench.md (also printed) and "
                    "<out>/bench.png.",
        epilog="Sections: 1d = W_1/W_2 on the line vs SciPy, POT and np.sort; emd = dense EMD "
               "vs POT (and the `wasserstein` package if installed), with pivot counts; "
               "div = KL/JS/TV vs SciPy, NumPy and a floor (summing both inputs); kr = "
               "kr_dual vs the primal LP; small-emd = per-call cost of emd2 and "
               "wasserstein on 5-64 points vs POT; small-div = per-call cost of KL/JS/TV on "
               "10 and 100 bins; pairwise-div = all-pairs JS vs SciPy's cdist; "
               "circle = W_1/W_2 on the circle vs POT; tree = tree W_1 vs a NumPy edge "
               "sum; grid = image W_1 vs the dense LPs; families = the matrix-free solver "
               "on data families (uniform, shifted, clusters, 3-D Gaussians, photographs), "
               "W_1 and W_2, vs the dense solver and POT's emd2_lazy, with peak memory, "
               "rounds and arcs; features = cost matrices and exact W_1/W_2 in 64-2048 "
               "dimensions (sklearn digits, photo patches, Gaussians) vs POT, and the "
               "sparse method vs the dense one in 64-D; "
               "cold = import and first calls in fresh interpreters, empty vs warm "
               "numba cache.  Exit status: 0 ok, 1 a value disagreed with a peer (or the "
               "warm process recompiled), 2 bad usage.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="small sizes only, cold start skipped (CI: under a minute); "
                           "checks values, never timings")
    size.add_argument("--large", action="store_true",
                      help="add the large sizes (EMD n=8000, KR n=2000, trees of 10^7 "
                           "nodes, 512 x 512 images, families n=20,000 and 100,000)")
    parser.add_argument("--huge", action="store_true",
                        help="families section: add n = 10^6 a side (uniform squares and "
                             "the shifted ones, W_1 and W_2, ours alone; about an hour)")
    parser.add_argument("--cold", action="store_true",
                        help="with --quick, run the cold-start section too")
    parser.add_argument("--sections", type=_section_list, default=None,
                        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all; "
                             "with --quick all but cold and families)")
    parser.add_argument("--repeats", type=positive_int("--repeats"), default=None,
                        help="timed runs per call (default: 50 for fast calls down to 3 "
                             "for calls over 1 s; 3 with --quick); calls under 1 ms are "
                             "still looped inside a run")
    parser.add_argument("--max-n", type=positive_int("--max-n"), default=None, metavar="N",
                        help="skip sizes above N (e.g. --max-n 1000000 for a shorter full run)")
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="output folder (default out/)")
    parser.add_argument("--no-plot", action="store_true", help="skip bench.png")
    args = parser.parse_args(argv)
    if args.sections is None:
        # --quick skips cold and families (fresh interpreters: minutes, not
        # seconds) unless named
        args.sections = [s for s in SECTIONS
                         if not args.quick or s not in ("cold", "families")
                         or (s == "cold" and args.cold)]
    elif args.cold and "cold" not in args.sections:
        args.sections.append("cold")
    if args.quick and args.repeats is None:
        args.repeats = 3
    return args


def run_section(name, case_list, repeats, progress):
    """Measure every case of a section: (rows, failures, warnings)."""
    rows, problems, warnings = [], [], []
    for case in case_list:
        progress.set_description_str(f"{name}: {case.label}, n={case.n:,}")
        row = measure(case, repeats)
        progress.update()
        rows.append(row)
        problems += check_row(row)
        warnings += peer_errors(row)
    return rows, problems, warnings


COLD_NOTE = ("Import, then the first call of each public function on tiny inputs, in a "
             "fresh interpreter; NUMBA_CACHE_DIR is a temporary folder (empty, then warmed "
             "by the cold run), so the user's cache is untouched.")


def run_cold(progress):
    """The cold-start section: (result or None, notes, failures)."""
    def step(label):
        progress.update()
        if label:
            progress.set_description_str(label)

    progress.set_description_str("cold start: priming the OS file cache")
    try:
        result = cases.cold_start(progress=step)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        progress.update()
        return None, [COLD_NOTE], [f"[cold] {exc}"]
    problems = []
    if result["recompilations"]:
        problems.append(f"[cold] the warm process recompiled {result['recompilations']} "
                        "time(s): " + ", ".join(sorted(result["warm"]["compiled"])))
    return result, [COLD_NOTE], problems


def main(argv=None):
    args = parse_args(argv)
    if not make_output_folder(args.out):
        return 2
    t0 = time.perf_counter()
    machine = describe_machine()  # before the run: its load average is the others'
    plans = {name: cases.PLANS[name](quick=args.quick, large=args.large, max_n=args.max_n)
             for name in args.sections if name != "cold" and name not in OWN_RUNNERS}
    total = (sum(len(c) for c, _ in plans.values()) + (3 if "cold" in args.sections else 0)
             + sum(1 for name in args.sections if name in OWN_RUNNERS))
    results, problems, warnings = {}, [], []
    with progress_bar(total, unit="case") as progress:
        for name in args.sections:
            if name in OWN_RUNNERS:
                extra = (dict(out=args.out, plot=not args.no_plot)
                         if name in WRITES_FIGURE else {})
                if name == "families":
                    extra["huge"] = args.huge
                rows, notes, failed = OWN_RUNNERS[name][0](
                    quick=args.quick, large=args.large, max_n=args.max_n,
                    progress=progress.set_description_str, **extra)
                progress.update()
                results[name] = (rows, notes)
                problems += failed
                continue
            if name == "cold":
                result, notes, failed = run_cold(progress)
                results[name] = (result, notes)
                problems += failed
                continue
            case_list, notes = plans[name]
            rows, failed, warned = run_section(name, case_list, args.repeats, progress)
            results[name] = (rows if case_list else None, notes)
            problems += failed
            warnings += warned
    report = render_report(results, machine, args, problems, warnings,
                           time.perf_counter() - t0)
    (args.out / "bench.md").write_text(report, encoding="utf-8")
    print(report)
    written = [str(args.out / "bench.md")]
    if not args.no_plot and plot(results, args.out / "bench.png"):
        written.append(str(args.out / "bench.png"))
    print(f"wrote {', '.join(written)} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if problems:
        print("error: the benchmark's checks failed:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
