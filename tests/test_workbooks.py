"""The shipped example workbooks in workbooks/ are what the current code builds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
WORKBOOKS = ROOT / "workbooks"


def _maker():
    spec = importlib.util.spec_from_file_location("make_workbooks", WORKBOOKS / "make_workbooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)  # formulas as written, values as typed
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row
                       if c.value is not None} for ws in wb.worksheets}


def test_examples_are_up_to_date(tmp_path):
    maker = _maker()
    rebuilt = maker.build(tmp_path)
    assert [p.name for p in rebuilt] == [maker.EMPTY, maker.FILLED]
    for path in rebuilt:
        shipped = WORKBOOKS / path.name
        assert shipped.exists(), f"thiếu {shipped}: chạy python workbooks/make_workbooks.py"
        assert _cells(shipped) == _cells(path), (
            f"{shipped.name} đã cũ: chạy python workbooks/make_workbooks.py")


def test_filled_example_holds_the_reference_outcome(expected):
    ws = openpyxl.load_workbook(WORKBOOKS / "khoi-hoi-dac-thu-2021.xlsm")["Tổng hợp"]
    rows = list(ws.iter_rows(values_only=True))
    header_index = next(i for i, r in enumerate(rows) if r and "Mã đơn vị" in r and "Xếp hạng" in r)
    header = rows[header_index]
    col = {title: header.index(title) for title in ("Mã đơn vị", "Tổng điểm", "Xếp hạng", "Xếp loại")}
    got = {r[col["Mã đơn vị"]]: (r[col["Tổng điểm"]], r[col["Xếp hạng"]], r[col["Xếp loại"]])
           for r in rows[header_index + 1:] if r[col["Mã đơn vị"]]}
    want = {u["code"]: (u["total"], u["rank"], u["grade"]) for u in expected["units"]}
    assert got == want
