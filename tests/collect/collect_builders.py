"""Builders for the split/collect tests: small masters, unit files filled as a user would.

* :func:`make_master` — a shared workbook of a bloc (default: the tiny bloc of
  ``tests/blocs.py``, 3 units U1…U3, criteria I.1 I.2 II.1 II.2 T.1 TR.1), optionally with
  scores already in it.
* :func:`fill_unit_file` — open a unit file with openpyxl, find its header row by the titles
  (never by position), write values per criterion code and column title, save: what a unit
  does in Excel (openpyxl keeps the custom document properties, as Excel does).
* :func:`fill_from_scores_csv` — the same from a scores CSV (bloc-format.md) for one unit.
* :func:`sha` — a file's SHA-256, to assert that a refused collect left the master untouched.
"""

from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import openpyxl

from blocs import tiny_bloc
from thidua_xl.collect import read_identity
from thidua_xl.model import Bloc, RoundInput, ScoreEntry
from thidua_xl.workbook import layout as L
from thidua_xl.workbook.build import build_workbook


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make_master(path: Path, bloc: Bloc | None = None,
                scores: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None) -> Path:
    """Build a master at ``path``; ``scores``: unit → criterion → {column title: value}
    with titles `Tự chấm`, `Khối chấm`, `Minh chứng`."""
    bloc = bloc or tiny_bloc(3)
    entries = []
    for unit, lines in (scores or {}).items():
        for crit, values in lines.items():
            entries.append(ScoreEntry(unit, crit, values.get(L.COL_SELF),
                                      values.get(L.COL_ASSESSED),
                                      values.get(L.COL_EVIDENCE, "")))
    build_workbook(RoundInput(bloc=bloc, scores=tuple(entries)), path)
    return path


def header(ws) -> tuple[int, dict[str, int]]:
    """(1-based header row, title → 1-based column) of a unit sheet, found by its titles."""
    for row in ws.iter_rows(max_row=30):
        values = [c.value for c in row]
        if all(t in values for t in L.UNIT_REQUIRED_COLUMNS):
            return row[0].row, {c.value: c.column for c in row if isinstance(c.value, str)}
    raise AssertionError(f"{ws.title}: no unit header row")


def criterion_rows(ws) -> dict[str, int]:
    row, cols = header(ws)
    return {ws.cell(r, cols[L.COL_CODE]).value: r for r in range(row + 1, ws.max_row + 1)
            if ws.cell(r, cols[L.COL_CODE]).value}


def fill_unit_file(path: Path, values: Mapping[str, Mapping[str, Any]],
                   sheet: str | None = None) -> Path:
    """Write ``values`` (criterion → {column title: value}) into the unit sheet of the unit
    file at ``path`` (the sheet named by its identity's unit code) and save it."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet or read_identity(path).unit]
    row0, cols = header(ws)
    rows = criterion_rows(ws)
    for crit, cells in values.items():
        for title, value in cells.items():
            ws.cell(rows[crit], cols[title]).value = value
    wb.save(path)
    return path


def scores_of(csv_path: Path, unit: str, *, assessed: bool) -> dict[str, dict[str, Any]]:
    """One unit's rows of a scores CSV as fill values: numbers as numbers (what Excel stores
    when a number is typed), evidence as text; blank cells left out."""
    out: dict[str, dict[str, Any]] = {}
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["unit"] != unit:
                continue
            cells: dict[str, Any] = {}
            if row["self_score"]:
                cells[L.COL_SELF] = float(Decimal(row["self_score"]))
            if assessed and row["assessed_score"]:
                cells[L.COL_ASSESSED] = float(Decimal(row["assessed_score"]))
            if row["evidence"]:
                cells[L.COL_EVIDENCE] = row["evidence"]
            out[row["criterion"]] = cells
    return out


def fill_from_scores_csv(path: Path, csv_path: Path, *, assessed: bool) -> Path:
    """Fill a unit file from a scores CSV (its identity says which unit)."""
    unit = read_identity(path).unit
    return fill_unit_file(path, scores_of(csv_path, unit, assessed=assessed))
