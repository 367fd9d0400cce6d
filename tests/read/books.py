"""Workbooks for the read/write/CLI tests, built with the product's builder and then edited
with openpyxl *as another tool would*: through the documented layout (bloc-format.md,
"Workbook layout") — header rows found by their titles, labels by their text — never through
the builder's internal positions.

Helpers:

- :func:`tiny_round` / :func:`reference_round`: engine inputs (tiny bloc of tests/blocs.py, or
  the reference bloc with or without its scores/review/conference);
- :func:`build`: the builder's workbook for those inputs;
- :func:`fill_reference`: type the reference CSV/TOML data into a workbook built without
  them (openpyxl, keep_vba for .xlsm);
- :func:`edit`: load with openpyxl, apply a function, save;
- :func:`find_header`, :func:`find_label`: the documented way to locate things;
- :func:`parts`, :func:`cells`, :func:`all_cells`: a package's zip entries and the cell
  values of a sheet or of every sheet, to compare;
- :func:`assert_subset`: the fields of an expected JSON tree equal those of the one got.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import openpyxl
import pytest

from blocs import entries, tiny_bloc
from thidua_xl.datafiles import load_round
from thidua_xl.model import Conference, RoundInput, UnitFacts
from thidua_xl.text import fold
from thidua_xl.workbook.build import build_workbook

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def tiny_round(n_units: int = 3, scores: dict | None = None, *, with_scores: bool = True,
               facts: dict | None = None, conference: Conference | None = None,
               **overrides: Any) -> RoundInput:
    """The tiny bloc (tests/blocs.py) with full marks for every unit unless ``scores`` says
    otherwise (``{unit: {criterion: self | (self, assessed)}}``)."""
    bloc = tiny_bloc(n_units, **overrides)
    given = {u.code: (scores or {}).get(u.code, {}) for u in bloc.units}
    data = entries(bloc, given) if with_scores else []
    return RoundInput(bloc=bloc, scores=tuple(data), facts=dict(facts or {}),
                      conference=conference)


def reference_round(reference: dict[str, Path], *, with_scores: bool = True) -> RoundInput:
    """The reference bloc; with ``with_scores`` also its scores, review facts, conference."""
    if with_scores:
        return load_round(reference["bloc"], reference["scores"], reference["review"],
                          reference["conference"])
    return load_round(reference["bloc"])


def build(folder: Path, data: RoundInput, name: str = "khoi.xlsx") -> Path:
    """The builder's workbook for ``data`` at ``folder/name`` (.xlsm: with macros)."""
    return build_workbook(data, folder / name)


def edit(path: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    """Load ``path`` with openpyxl (VBA kept for .xlsm), apply ``change``, save in place."""
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    change(wb)
    wb.save(path)
    wb.close()
    return path


def find_header(ws: Any, titles: Iterable[str], max_rows: int = 30) -> tuple[int, dict[str, int]]:
    """(row, {title: column}) of the first row holding every title (1-based)."""
    titles = list(titles)
    for row in ws.iter_rows(min_row=1, max_row=max_rows):
        found = {fold(c.value): c.column for c in row if c.value is not None}
        if all(fold(t) in found for t in titles):
            return row[0].row, {t: found[fold(t)] for t in titles}
    raise AssertionError(f"no header row with {titles} on {ws.title}")


def find_label(ws: Any, label: str) -> tuple[int, int]:
    """(row, column) of the cell reading ``label``."""
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None and fold(c.value) == fold(label):
                return c.row, c.column
    raise AssertionError(f"no label {label!r} on {ws.title}")


def _number(text: str) -> Any:
    """A CSV score as another tool would type it: a number when it is one, else the text."""
    if not text.strip():
        return None
    try:
        value = Decimal(text)
    except Exception:  # noqa: BLE001
        return text
    return int(value) if value == value.to_integral_value() else float(value)


def fill_reference(path: Path, reference: dict[str, Path]) -> Path:
    """Type the reference scores, review facts and conference into the workbook at ``path``
    through the documented layout, with openpyxl, and save it."""
    with reference["scores"].open(encoding="utf-8") as fh:
        scores = list(csv.DictReader(fh))
    with reference["review"].open(encoding="utf-8") as fh:
        review = list(csv.DictReader(fh))
    conference = tomllib.loads(reference["conference"].read_text(encoding="utf-8"))["conference"]

    def change(wb: openpyxl.Workbook) -> None:
        headers: dict[str, tuple[int, dict[str, int]]] = {}
        for row in scores:
            ws = wb[row["unit"]]
            if ws.title not in headers:
                headers[ws.title] = find_header(ws, ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm",
                                                     "Khối chấm", "Minh chứng"])
            header, cols = headers[ws.title]
            target = next(r for r in range(header + 1, ws.max_row + 1)
                          if ws.cell(r, cols["Mã"]).value == row["criterion"])
            ws.cell(target, cols["Tự chấm"]).value = _number(row["self_score"])
            ws.cell(target, cols["Khối chấm"]).value = _number(row["assessed_score"])
            ws.cell(target, cols["Minh chứng"]).value = row["evidence"] or None
        ws = wb["Bình xét"]
        header, cols = find_header(ws, ["Mã đơn vị", "Kỷ luật", "Phiếu Cờ thi đua",
                                        "Phiếu Bằng khen"])
        for row in review:
            target = next(r for r in range(header + 1, ws.max_row + 1)
                          if ws.cell(r, cols["Mã đơn vị"]).value == row["unit"])
            ws.cell(target, cols["Kỷ luật"]).value = row["disciplined"] or None
            for title, key in (("Phiếu Cờ thi đua", "votes_emulation_flag"),
                               ("Phiếu Bằng khen", "votes_certificate_of_merit")):
                ws.cell(target, cols[title]).value = _number(row[key])
        labels = {"Ngày họp": "date", "Địa điểm": "place", "Số thành viên": "members",
                  "Số thành viên có mặt": "present", "Số phiếu phát ra": "ballots_issued",
                  "Số phiếu hợp lệ": "ballots_valid"}
        for label, key in labels.items():
            r, c = find_label(ws, label)
            value = conference[key]
            if isinstance(value, dt.date):
                value = dt.datetime.combine(value, dt.time())
            ws.cell(r, c + 1).value = value

    return edit(path, change)


def parts(path: Path) -> dict[str, bytes]:
    """The zip entries of a package: name → bytes."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def cells(path: Path, sheet: str) -> dict[str, Any]:
    """Every non-blank cell of a sheet as {ref: value} (formulas as text)."""
    wb = openpyxl.load_workbook(path)
    try:
        return {c.coordinate: c.value for row in wb[sheet].iter_rows() for c in row
                if c.value is not None}
    finally:
        wb.close()


def all_cells(path: Path, *, data_only: bool = False) -> dict[str, dict[str, Any]]:
    """Sheet → {ref: value} of every non-blank cell (formulas as text unless ``data_only``),
    one openpyxl load."""
    wb = openpyxl.load_workbook(path, data_only=data_only)
    try:
        return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row
                           if c.value is not None} for ws in wb.worksheets}
    finally:
        wb.close()


def assert_subset(expected: Any, got: Any, path: str = "$") -> None:
    """Every field present in ``expected`` equals the one in ``got`` (lists: same length, item
    by item); ``path`` names the field in the failure message."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), path
        for key, value in expected.items():
            assert key in got, f"{path}.{key} missing"
            assert_subset(value, got[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        for i, (a, b) in enumerate(zip(expected, got)):
            assert_subset(a, b, f"{path}[{i}]")
    else:
        assert got == expected, f"{path}: expected {expected!r}, got {got!r}"


def sheet_part(path: Path, sheet: str) -> str:
    """The zip entry name of a worksheet (via workbook.xml and its relationships)."""
    from lxml import etree

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    data = parts(path)
    book = etree.fromstring(data["xl/workbook.xml"])
    rels = etree.fromstring(data["xl/_rels/workbook.xml.rels"])
    rid = next(s.get(f"{{{ns['r']}}}id") for s in book.iterfind("m:sheets/m:sheet", ns)
               if s.get("name") == sheet)
    target = next(r.get("Target") for r in rels.iterfind("p:Relationship", ns)
                  if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def unit_facts(**marks: Any) -> dict[str, UnitFacts]:
    """Review facts: ``U3=("x", {"emulation_flag": 2})``."""
    return {code: UnitFacts(unit=code, disciplined=mark == "x", votes=dict(votes))
            for code, (mark, votes) in marks.items()}


__all__ = ["tiny_round", "reference_round", "build", "edit", "find_header", "find_label",
           "fill_reference", "parts", "cells", "sheet_part", "unit_facts"]


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory) -> Path:
    """The tiny bloc's workbook (3 units, full marks), built once per module."""
    return build(tmp_path_factory.mktemp("tiny"), tiny_round(3))


@pytest.fixture
def book(tiny_book, tmp_path) -> Path:
    """A fresh copy of :func:`tiny_book` for one test to edit."""
    target = tmp_path / "khoi.xlsx"
    shutil.copy(tiny_book, target)
    return target
