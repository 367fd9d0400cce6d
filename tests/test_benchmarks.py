"""The benchmark's quick mode runs end to end and writes results.json with every key issue 7
asks for.  No timing is asserted here (speed is judged by benchmarks/run.py itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl

from thidua_xl.actions import new_workbook
from thidua_xl.resources import reference_files

REPO = Path(__file__).resolve().parent.parent
SIZE_KEYS = {"units", "criteria", "engine_s", "run_s", "openpyxl_load_s", "run_ratio",
             "peak_mb"}
TOP_KEYS = {"sizes", "macros_import_s", "xlwings_import_s", "dossier_s", "range_calls",
            "sheets", "machine", "targets"}


def reference_workbook(folder: Path) -> Path:
    f = reference_files()
    return new_workbook(f["bloc"], folder / "reference.xlsx", scores=f["scores"],
                        review=f["review"], conference=f["conference"])


def test_quick_benchmark_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick",
                           "--repeat", "1", "--out", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))

    assert TOP_KEYS <= results.keys()
    assert results["quick"] is True
    [size] = results["sizes"]
    assert SIZE_KEYS <= size.keys()
    assert (size["units"], size["criteria"]) == (15, 19)
    for key in SIZE_KEYS - {"units", "criteria"}:
        assert isinstance(size[key], (int, float)) and size[key] > 0, key
    # The ratio is of the unrounded times; the stored times are rounded to the millisecond.
    assert abs(size["run_ratio"] - size["run_s"] / size["openpyxl_load_s"]) < 0.02
    assert {"cores", "memory_gb", "python"} <= results["machine"].keys()
    assert results["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    # `sheets` counts the sheets of the reference workbook macros.recompute ran on.
    assert results["sheets"] == len(openpyxl.load_workbook(reference_workbook(tmp_path),
                                                           read_only=True).sheetnames)
    assert results["range_calls"] == (results["range_detail"]["reads"]
                                      + results["range_detail"]["writes"]
                                      + results["range_detail"]["formula_probes"]) > 0
    # One verdict per target; the engine target is not measured at the quick size.
    verdicts = {t["target"]: t["pass"] for t in results["targets"]}
    assert len(verdicts) == 5
    assert verdicts["engine ≤ 50 ms at 500 × 60"] is None
    assert all(isinstance(v, bool) for k, v in verdicts.items() if not k.startswith("engine"))
    # The printed table and the verdict lines.
    assert "| 15 × 19 |" in proc.stdout
    assert proc.stdout.count("PASS") + proc.stdout.count("MISS") == 4
