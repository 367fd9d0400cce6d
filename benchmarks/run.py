"""Measured speed of thidua_xl (issue 7): ``python benchmarks/run.py [--quick] [--out PATH]``.

For each synthetic bloc size (units × criteria: 15 × 19, 60 × 60, 500 × 60; ``--quick``: the
smallest only), built with `thidua new`'s library function and filled (:mod:`synth`):

* ``engine_s``: :func:`thidua_xl.review.review` on the round read from the workbook, in process;
* ``run_s``: wall time of the command ``thidua run FILE`` (a fresh Python process, as a user
  runs it; results and a backup written), ``peak_mb`` its peak resident memory;
* ``openpyxl_load_s``: wall time of a fresh Python process doing only
  ``openpyxl.load_workbook(FILE)`` — the floor — and ``run_ratio`` = run_s / openpyxl_load_s;
* in-process variants of the last two (``run_lib_s``: :func:`thidua_xl.actions.run_workbook`,
  ``openpyxl_load_warm_s``, ``run_lib_ratio``), which leave interpreter start-up and imports out.

Then, once: ``import thidua_xl.macros`` against ``import xlwings`` (fresh processes, best of N);
the reference bloc's Word dossier (``dossier_s``: :func:`thidua_xl.reports.write_dossier`, warm,
best of N; ``dossier_cold_s``: the first call in a fresh process, imports included); the range
reads and writes of ``macros.recompute`` on the reference workbook through xlwings' remote
engine (``range_calls``; ``sheets``: the workbook's sheet count).

Every time is the best of ``--repeat`` runs (fewer on the largest size).  The table and a
PASS/MISS line per target are printed; everything goes to ``results.json`` (``--out``: a
``.json`` file or a folder; default ``benchmarks/results.json``).  Speed is asserted here,
never in unit tests.  Exit status 0 (``--strict``: 1 when a target is missed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import synth  # noqa: E402  (benchmarks/ on the path)

SIZES = ((15, 19), (60, 60), (500, 60))
LARGE_UNITS = 200          # sizes from this many units get at most 2 repeats

# Targets of issue 7.
RUN_RATIO_MAX = 1.5        # thidua run ≤ 1.5 × bare openpyxl load
ENGINE_MAX_S = 0.050       # engine ≤ 50 ms at 500 × 60
ENGINE_SIZE = (500, 60)
IMPORT_RATIO_MAX = 1.2     # import thidua_xl.macros ≤ 1.2 × import xlwings
DOSSIER_MAX_S = 1.0        # reference dossier ≤ 1 s
RANGE_CALLS_PER_SHEET = 2  # range calls ≤ 2 × sheets

CLI = "from thidua_xl.cli import main; raise SystemExit(main())"
BARE_LOAD = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])"
IMPORT_TIMER = ("import time; t = time.perf_counter(); import {module}; "
                "print(time.perf_counter() - t)")
DOSSIER_COLD = """
import sys, time
t = time.perf_counter()
from thidua_xl.datafiles import load_round
from thidua_xl.resources import reference_files
from thidua_xl.review import review
from thidua_xl.reports import write_dossier
f = reference_files()
result = review(load_round(f["bloc"], f["scores"], f["review"], f["conference"]))
t = time.perf_counter()
write_dossier(result, __import__("pathlib").Path(sys.argv[1]), overwrite=True)
print(time.perf_counter() - t)
"""


# ----------------------------------------------------------------------------- helpers

def child_env() -> dict[str, str]:
    """The environment of measured processes: this one, the repository first on the path, and
    no xlwings licence key (a user's machine has none; with it xlwings loads its PRO engines)."""
    env = dict(os.environ)
    env.pop("XLWINGS_LICENSE_KEY", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in
                                                      env.get("PYTHONPATH", "").split(os.pathsep)
                                                      if p])
    return env


def measured_process(args: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run ``python args…`` in a fresh process; return (wall seconds, peak resident MiB from
    ``os.wait4``, stdout).  Raises RuntimeError when it fails (exit status above 1; 1 means
    data problems)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=cwd, env=child_env(),
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{args[:2]} failed ({proc.returncode}): "
                               f"{err.read().decode()[-2000:]}")
        # ru_maxrss is in KiB on Linux, bytes on macOS.
        scale = 1 if sys.platform == "darwin" else 1024
        return wall, usage.ru_maxrss * scale / 2**20, out.read().decode()


def best_of(n: int, fn: Callable[[], float]) -> float:
    """The smallest of ``n`` measurements returned by ``fn`` (seconds)."""
    return min(fn() for _ in range(max(1, n)))


def stopwatch(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def machine() -> dict[str, Any]:
    """Cores, memory (GiB), CPU model, OS and Python version of this machine."""
    memory = None
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 2**20, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gb": memory, "cpu": cpu,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "implementation": platform.python_implementation()}


def versions() -> dict[str, str]:
    out = {}
    for name in ("thidua_xl", "openpyxl", "python_calamine", "lxml", "xlsxwriter", "xlwings",
                 "docxtpl"):
        try:
            from importlib.metadata import version

            out[name] = version(name.replace("_", "-") if name == "python_calamine" else name)
        except Exception:  # noqa: BLE001 — informative only
            out[name] = "?"
    return out


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# ----------------------------------------------------------------------------- measurements

def measure_size(work: Path, units: int, criteria: int, repeat: int,
                 log: Callable[[str], None]) -> dict[str, Any]:
    """Build the units × criteria bloc and time engine, `thidua run` and the bare load."""
    from thidua_xl.actions import check_workbook, run_workbook
    from thidua_xl.review import review

    import openpyxl

    n = repeat if units < LARGE_UNITS else min(repeat, 2)
    folder = work / f"{units}x{criteria}"
    folder.mkdir()
    started = time.perf_counter()
    source = synth.make_workbook(folder, units, criteria)
    build_s = time.perf_counter() - started
    log(f"  {units} × {criteria}: built {source.name} ({source.stat().st_size / 2**20:.1f} MiB) "
        f"in {build_s:.1f} s")

    copies = iter(range(10_000))

    def fresh() -> Path:
        """A copy of the filled workbook in its own folder (backups stay apart)."""
        target = folder / f"run-{next(copies)}" / source.name
        target.parent.mkdir()
        shutil.copyfile(source, target)
        return target

    check = check_workbook(source)
    if check.problems or check.blocking:
        raise RuntimeError(f"synthetic bloc {units}×{criteria} has problems: {check.lines()[:3]}")
    data = check.wround.round_input
    engine_s = best_of(max(n, 3) * (3 if units < LARGE_UNITS else 1),
                       lambda: stopwatch(lambda: review(data)))

    # Fresh processes: `thidua run FILE` against a script doing only openpyxl.load_workbook.
    run_times, peaks = [], []
    for _ in range(n):
        wall, peak, _ = measured_process(["-c", CLI, "run", str(fresh())])
        run_times.append(wall)
        peaks.append(peak)
    load_times = [measured_process(["-c", BARE_LOAD, str(source)])[0] for _ in range(n)]
    log(f"  {units} × {criteria}: thidua run {min(run_times):.3f} s, bare load "
        f"{min(load_times):.3f} s")

    # In process (warm): the library function behind `thidua run`, and the bare load.
    def lib_run() -> float:
        target = fresh()
        return stopwatch(lambda: run_workbook(target))

    report = run_workbook(fresh())
    if not report.written or report.problems:
        raise RuntimeError(f"thidua run did not write {units}×{criteria} cleanly")
    run_lib_s = best_of(n, lib_run)
    load_warm_s = best_of(n, lambda: stopwatch(lambda: openpyxl.load_workbook(source)))
    run_s, load_s = min(run_times), min(load_times)
    return {
        "units": units, "criteria": criteria,
        "file_mb": round(source.stat().st_size / 2**20, 2),
        "build_s": round(build_s, 3),
        "engine_s": round(engine_s, 4),
        "run_s": round(run_s, 3),
        "openpyxl_load_s": round(load_s, 3),
        "run_ratio": round(run_s / load_s, 2),
        "peak_mb": round(max(peaks), 1),
        "run_lib_s": round(run_lib_s, 3),
        "openpyxl_load_warm_s": round(load_warm_s, 3),
        "run_lib_ratio": round(run_lib_s / load_warm_s, 2),
        "repeat": n,
    }


def import_time(module: str, repeat: int) -> float:
    """Best time (s) of ``import module`` in a fresh process, measured inside it."""
    return best_of(repeat, lambda: float(
        measured_process(["-c", IMPORT_TIMER.format(module=module)], cwd=ROOT)[2]))


def dossier_times(work: Path, repeat: int) -> tuple[float, float, int]:
    """(warm best-of-N seconds, cold first-call seconds, documents) of the reference bloc's
    Word dossier."""
    from thidua_xl.datafiles import load_round
    from thidua_xl.reports import write_dossier
    from thidua_xl.resources import reference_files
    from thidua_xl.review import review

    f = reference_files()
    result = review(load_round(f["bloc"], f["scores"], f["review"], f["conference"]))
    target = work / "dossier"
    written = write_dossier(result, target, overwrite=True)  # warm-up: imports, templates
    warm = best_of(repeat, lambda: stopwatch(lambda: write_dossier(result, target,
                                                                    overwrite=True)))
    cold_dir = work / "dossier-cold"
    cold = float(measured_process(["-c", DOSSIER_COLD, str(cold_dir)], cwd=ROOT)[2])
    return warm, cold, len(written)


def _load_xlbook():
    """tests/macros/xlbook.py (the remote-engine helpers the macro tests use)."""
    spec = importlib.util.spec_from_file_location("thidua_bench_xlbook",
                                                  ROOT / "tests" / "macros" / "xlbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def range_calls(work: Path) -> dict[str, Any]:
    """Reads and writes of ``macros.recompute`` on the reference workbook (remote engine)."""
    from thidua_xl import macros
    from thidua_xl.actions import new_workbook
    from thidua_xl.resources import reference_files

    f = reference_files()
    path = new_workbook(f["bloc"], work / "reference.xlsx", scores=f["scores"],
                        review=f["review"], conference=f["conference"])
    xlbook = _load_xlbook()
    book = xlbook.open_book(path)
    try:
        status = macros.recompute(book)
        stats = macros.last_stats
    finally:
        book.close()
    if stats is None or not stats.written:
        raise RuntimeError(f"macros.recompute did not write: {status}")
    io = stats.io
    return {"range_calls": io.reads + io.writes + io.formula_probes, "sheets": stats.sheets,
            "reads": io.reads, "writes": io.writes, "formula_probes": io.formula_probes,
            "cells_read": io.cells_read, "cells_written": io.cells_written,
            "recompute_s": round(stats.seconds, 3), "status": status}


# ----------------------------------------------------------------------------- report

def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 7 with its measured value, limit and PASS/MISS (None: not
    measured in this run)."""
    out = []
    for s in results["sizes"]:
        out.append({"target": f"thidua run ≤ {RUN_RATIO_MAX} × bare load "
                              f"({s['units']} × {s['criteria']})",
                    "measured": s["run_ratio"], "limit": RUN_RATIO_MAX,
                    "pass": s["run_ratio"] <= RUN_RATIO_MAX})
    engine = next((s for s in results["sizes"]
                   if (s["units"], s["criteria"]) == ENGINE_SIZE), None)
    out.append({"target": f"engine ≤ {ENGINE_MAX_S * 1000:.0f} ms at "
                          f"{ENGINE_SIZE[0]} × {ENGINE_SIZE[1]}",
                "measured": engine["engine_s"] if engine else None, "limit": ENGINE_MAX_S,
                "pass": engine["engine_s"] <= ENGINE_MAX_S if engine else None})
    ratio = results["macros_import_s"] / results["xlwings_import_s"]
    out.append({"target": f"import thidua_xl.macros ≤ {IMPORT_RATIO_MAX} × import xlwings",
                "measured": round(ratio, 2), "limit": IMPORT_RATIO_MAX,
                "pass": ratio <= IMPORT_RATIO_MAX})
    out.append({"target": f"reference dossier ≤ {DOSSIER_MAX_S:g} s",
                "measured": results["dossier_s"], "limit": DOSSIER_MAX_S,
                "pass": results["dossier_s"] <= DOSSIER_MAX_S})
    limit = RANGE_CALLS_PER_SHEET * results["sheets"]
    out.append({"target": f"macros.recompute range calls ≤ {RANGE_CALLS_PER_SHEET} × sheets",
                "measured": results["range_calls"], "limit": limit,
                "pass": results["range_calls"] <= limit})
    return out


def table(results: dict[str, Any]) -> list[str]:
    """The printed (and README) table: one row per size, then the single measurements."""
    head = ("| units × criteria | engine (ms) | thidua run (s) | openpyxl load (s) | ratio "
            "| peak (MiB) | run in-process (s) | load in-process (s) | ratio in-process |")
    lines = [head, "|" + "---|" * 9]
    for s in results["sizes"]:
        lines.append(f"| {s['units']} × {s['criteria']} | {s['engine_s'] * 1000:.1f} "
                     f"| {s['run_s']:.3f} | {s['openpyxl_load_s']:.3f} | {s['run_ratio']:.2f} "
                     f"| {s['peak_mb']:.0f} | {s['run_lib_s']:.3f} "
                     f"| {s['openpyxl_load_warm_s']:.3f} | {s['run_lib_ratio']:.2f} |")
    lines += [
        "",
        "| measurement | value |",
        "|---|---|",
        f"| import thidua_xl.macros | {results['macros_import_s'] * 1000:.1f} ms |",
        f"| import xlwings | {results['xlwings_import_s'] * 1000:.1f} ms |",
        f"| reference Word dossier ({results['dossier_documents']} files), warm "
        f"| {results['dossier_s']:.3f} s |",
        f"| reference Word dossier, first call in a fresh process | "
        f"{results['dossier_cold_s']:.3f} s |",
        f"| macros.recompute range calls (reads + writes) | {results['range_calls']} "
        f"({results['range_detail']['reads']} + {results['range_detail']['writes']}) "
        f"for {results['sheets']} sheets |",
    ]
    return lines


def target_lines(checks: list[dict[str, Any]]) -> list[str]:
    lines = []
    for t in checks:
        verdict = {True: "PASS", False: "MISS", None: "n/a "}[t["pass"]]
        measured = "not measured (quick mode)" if t["measured"] is None else t["measured"]
        lines.append(f"{verdict}  {t['target']}: {measured} (limit {t['limit']})")
    return lines


def machine_line(m: dict[str, Any]) -> str:
    return (f"{m['cpu'] or 'unknown CPU'}, {m['cores']} cores, {m['memory_gb']} GiB, {m['os']}, "
            f"{m['implementation']} {m['python']}")


# ----------------------------------------------------------------------------- main

def _out_path(value: str | None) -> Path:
    if value is None:
        return HERE / "results.json"
    path = Path(value)
    return path if path.suffix.lower() == ".json" else path / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smallest size only (CI smoke run)")
    parser.add_argument("--out", help="results file (.json) or folder (default: "
                                      "benchmarks/results.json)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement, best kept (default 5; quick: 2)")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 5)
    sizes = SIZES[:1] if args.quick else SIZES
    out = _out_path(args.out)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="thidua-bench-"))
    try:
        log(f"machine: {machine_line(machine())}")
        results: dict[str, Any] = {
            "quick": args.quick, "repeat": repeat,
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            "commit": git_commit(), "machine": machine(), "versions": versions(),
            "sizes": [],
        }
        for units, criteria in sizes:
            results["sizes"].append(measure_size(work, units, criteria, repeat, log))
        log("imports …")
        import_repeat = max(2 * repeat, 3)
        results["macros_import_s"] = round(import_time("thidua_xl.macros", import_repeat), 4)
        results["xlwings_import_s"] = round(import_time("xlwings", import_repeat), 4)
        log("Word dossier …")
        warm, cold, documents = dossier_times(work, repeat)
        results["dossier_s"] = round(warm, 3)
        results["dossier_cold_s"] = round(cold, 3)
        results["dossier_documents"] = documents
        log("macros.recompute on the remote engine …")
        calls = range_calls(work)
        results["range_calls"] = calls["range_calls"]
        results["sheets"] = calls["sheets"]
        results["range_detail"] = calls
        results["targets"] = targets(results)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if args.keep:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"Machine: {machine_line(results['machine'])}")
    print()
    print("\n".join(table(results)))
    print()
    print("\n".join(target_lines(results["targets"])))
    print(f"\nresults: {out}")
    missed = [t for t in results["targets"] if t["pass"] is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
