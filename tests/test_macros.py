"""The Excel macros (thidua_xl.macros) driven through xlwings' own Book/Range API.

Excel is stood in for by xlwings' remote engine (engineering-notes §1): the reference workbook
is built with build_workbook into a tmp .xlsm, turned into the JSON payload of
``xw.Book(json=…)``, the macro runs on that Book, and the actions it leaves in
``book.json()`` are replayed onto the same file with openpyxl — then the cells are compared
with expected-2021.json.  The remote engine cannot tell which cells hold formulas; the tests
give it that one answer from the file (``emulate_formula_lookup``), as Excel's SpecialCells
would.  ``XLWINGS_LICENSE_KEY=noncommercial`` is set here only, for the remote engine
(PolyForm Noncommercial; this public-sector project is noncommercial).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collect.collect_builders import fill_unit_file, make_master
from conftest import reference_folder
from macros.xlbook import (emulate_formula_lookup, formulas, open_book, payload, replay,
                           xlwings_remote)
from thidua_xl import macros
from thidua_xl.collect import split_workbook
from thidua_xl.datafiles import load_round
from thidua_xl.errors import WorkbookError
from thidua_xl.resources import reference_files
from thidua_xl.review import review
from thidua_xl.workbook import layout as L
from thidua_xl.workbook.build import build_workbook
from thidua_xl.workbook.xlwings_source import (IOStats, XlwingsSource, excel_value, parse_ref,
                                               plan_blocks, write_blocks, write_cells)

NOW = dt.datetime(2026, 11, 30, 14, 5)
SUMMARY_RESULT_COLUMNS = (L.SUM_COL_SELF_TOTAL, L.SUM_COL_TOTAL, L.SUM_COL_RANK,
                          L.SUM_COL_GRADE, L.SUM_COL_PROPOSAL, L.SUM_COL_VOTES,
                          L.SUM_COL_STATUS, L.SUM_COL_REASON)
UNIT_WRITTEN = (L.LABEL_RANK, L.LABEL_GRADE, L.LABEL_PROPOSAL, L.LABEL_REASON)
STALE = "cũ"


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture
def xw(monkeypatch):
    """xlwings with its remote engine; the licence key only for this test's duration."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    return xlwings_remote()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(macros, "_now", lambda: NOW)


@pytest.fixture(scope="module")
def round_input():
    files = reference_files(reference_folder())
    return load_round(files["bloc"], files["scores"], files["review"], files["conference"])


@pytest.fixture(scope="module")
def fresh_file(tmp_path_factory, round_input) -> Path:
    """The reference workbook as `thidua new` makes it: inputs filled, no results yet
    (`Tổng hợp`'s Tự chấm/Tổng điểm hold the engine's totals as values)."""
    return build_workbook(round_input, tmp_path_factory.mktemp("fresh") / "thidua.xlsm")


def _labels_column_b(ws, first: int = 1, last: int | None = None) -> dict[str, tuple[int, int]]:
    out = {}
    for row in range(first, (last or ws.max_row) + 1):
        value = ws.cell(row, 2).value
        if isinstance(value, str) and value not in out:
            out[value] = (row, 3)
    return out


def _summary_header(ws) -> tuple[int, dict[str, int]]:
    for row in ws.iter_rows():
        titles = [c.value for c in row]
        if L.SUM_COL_CODE in titles and L.SUM_COL_TOTAL in titles:
            return row[0].row, {t: i + 1 for i, t in enumerate(titles) if isinstance(t, str)}
    raise AssertionError("no header on Tổng hợp")


def _unit_result_rows(ws) -> dict[str, tuple[int, int]]:
    found = {}
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 2).value in L.UNIT_RESULT_LABELS:
            found[ws.cell(row, 2).value] = (row, 3)
    return found


@pytest.fixture(scope="module")
def stale_file(tmp_path_factory, round_input) -> Path:
    """The reference workbook with results from an earlier run that are all wrong ("cũ",
    rank 99, total 0): every expected value must come from the macro."""
    out = tmp_path_factory.mktemp("stale") / "thidua.xlsm"
    built = build_workbook(round_input, out.with_name("built.xlsm"),
                           result=review(round_input))
    wb = openpyxl.load_workbook(built, keep_vba=True)
    ws = wb[L.SUMMARY]
    header, cols = _summary_header(ws)
    for row in range(header + 1, header + 1 + len(round_input.bloc.units)):
        for title in SUMMARY_RESULT_COLUMNS:
            numeric = title in (L.SUM_COL_SELF_TOTAL, L.SUM_COL_TOTAL, L.SUM_COL_RANK,
                                L.SUM_COL_VOTES)
            ws.cell(row, cols[title]).value = 99 if numeric else STALE
    labels = _labels_column_b(ws, last=header - 1)
    for label in (L.LABEL_STATUS, L.LABEL_NEXT_LEADER, L.LABEL_NEXT_DEPUTY, L.LABEL_QUORUM):
        ws.cell(*labels[label]).value = STALE
    for unit in round_input.bloc.units:
        sheet = wb[unit.code]
        for label, at in _unit_result_rows(sheet).items():
            if label in UNIT_WRITTEN:
                sheet.cell(*at).value = STALE
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def bad_file(tmp_path_factory, round_input) -> Path:
    """The reference workbook with two bad scores: HNB I.2 self score "mười tám" (text) and
    HDY I.1 self score 7.3 (not a multiple of the 0.5 step)."""
    def spoil(entry):
        if (entry.unit, entry.criterion) == ("HNB", "I.2"):
            return dataclasses.replace(entry, self_score="mười tám")
        if (entry.unit, entry.criterion) == ("HDY", "I.1"):
            return dataclasses.replace(entry, self_score=Decimal("7.3"))
        return entry

    spoiled = dataclasses.replace(round_input,
                                  scores=tuple(spoil(e) for e in round_input.scores))
    return build_workbook(spoiled, tmp_path_factory.mktemp("bad") / "thidua.xlsm")


def _row_of(ws, code: str) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 1).value == code:
            return row
    raise AssertionError(code)


def run_macro(xw, monkeypatch, path: Path, action: str, *, active: str | None = None,
              name: str | None = None):
    """Run ``macros.<action>`` on the remote Book of ``path``; replay its actions onto the
    file.  Returns (status returned, workbook after replay, workbook before, alerts)."""
    before = openpyxl.load_workbook(path)
    emulate_formula_lookup(monkeypatch, formulas(before))
    book = open_book(path, active=active, name=name)
    status = getattr(macros, action)(book)
    after = openpyxl.load_workbook(path)
    alerts = replay(after, book.json()["actions"])
    return status, after, before, alerts


def _values(wb) -> dict[tuple[str, str], object]:
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets
            for row in ws.iter_rows() for c in row if c.value is not None}


def _changed(before, after) -> set[tuple[str, str]]:
    a, b = _values(before), _values(after)
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


def _result_cells_allowed(wb, bloc) -> set[tuple[str, str]]:
    """Every cell a macro may write: `Tổng hợp`'s label values and result columns, and the
    result block of each unit sheet."""
    ws = wb[L.SUMMARY]
    header, cols = _summary_header(ws)
    allowed = {(L.SUMMARY, ws.cell(*at).coordinate)
               for at in _labels_column_b(ws, last=header - 1).values()}
    for row in range(header + 1, header + 1 + len(bloc.units)):
        for title in SUMMARY_RESULT_COLUMNS:
            allowed.add((L.SUMMARY, ws.cell(row, cols[title]).coordinate))
    for unit in bloc.units:
        sheet = wb[unit.code]
        allowed |= {(unit.code, sheet.cell(*at).coordinate)
                    for label, at in _unit_result_rows(sheet).items() if label in UNIT_WRITTEN}
    return allowed


def _summary_values(wb) -> tuple[dict[str, dict[str, object]], dict[str, object]]:
    ws = wb[L.SUMMARY]
    header, cols = _summary_header(ws)
    rows = {}
    for row in range(header + 1, ws.max_row + 1):
        code = ws.cell(row, cols[L.SUM_COL_CODE]).value
        if code:
            rows[code] = {t: ws.cell(row, c).value for t, c in cols.items()}
    labels = {label: ws.cell(*at).value
              for label, at in _labels_column_b(ws, last=header - 1).items()}
    return rows, labels


def _assert_io_bounds(bloc, sheets: int) -> None:
    stats = macros.last_stats
    assert stats.sheets == sheets
    assert stats.reads <= sheets
    assert len(stats.io.sheets_read) == len(set(stats.io.sheets_read)), "a sheet read twice"
    # One rectangle per unit sheet (its result block) and a few on Tổng hợp.
    assert stats.writes <= len(bloc.units) + 3
    assert stats.writes <= sheets


# ----------------------------------------------------------------------------- reference

def test_recompute_writes_scores_and_clears_nominations(xw, monkeypatch, stale_file, expected,
                                                        round_input):
    bloc = round_input.bloc
    status, after, before, alerts = run_macro(xw, monkeypatch, stale_file, "recompute")

    assert status == "Đã tính lúc 30/11/2026 14:05 — 15 đơn vị, 0 lỗi"
    assert alerts == []
    rows, labels = _summary_values(after)
    for unit in expected["units"]:
        row = rows[unit["code"]]
        assert row[L.SUM_COL_TOTAL] == unit["total"]
        assert row[L.SUM_COL_SELF_TOTAL] == unit["self_total"]
        assert row[L.SUM_COL_RANK] == unit["rank"]
        assert row[L.SUM_COL_GRADE] == unit["grade"]
        for title in (L.SUM_COL_PROPOSAL, L.SUM_COL_VOTES, L.SUM_COL_STATUS, L.SUM_COL_REASON):
            assert row[title] is None, (unit["code"], title)
        sheet = after[unit["code"]]
        result = {label: sheet.cell(*at).value for label, at in _unit_result_rows(sheet).items()}
        assert result[L.LABEL_RANK] == unit["rank"]
        assert result[L.LABEL_GRADE] == unit["grade"]
        assert result[L.LABEL_PROPOSAL] is None and result[L.LABEL_REASON] is None
    assert labels[L.LABEL_STATUS] == status
    assert labels[L.LABEL_COMPUTED_AT] == "30/11/2026 14:05"
    assert labels[L.LABEL_NEXT_LEADER] is None and labels[L.LABEL_QUORUM] is None
    assert labels[L.quota_label(bloc.award("emulation_flag"))] == 2

    assert _changed(before, after) <= _result_cells_allowed(before, bloc)
    assert formulas(after) == formulas(before)
    _assert_io_bounds(bloc, len(before.worksheets))


def test_nominate_writes_expected_results(xw, monkeypatch, stale_file, expected, round_input):
    bloc = round_input.bloc
    status, after, before, alerts = run_macro(xw, monkeypatch, stale_file, "nominate")

    assert status == "Đã tính lúc 30/11/2026 14:05 — 15 đơn vị, 0 lỗi"
    assert alerts == []
    rows, labels = _summary_values(after)
    for unit in expected["units"]:
        row = rows[unit["code"]]
        award = bloc.award(unit["award"]).short_name if unit["award"] else None
        assert (row[L.SUM_COL_TOTAL], row[L.SUM_COL_RANK], row[L.SUM_COL_GRADE],
                row[L.SUM_COL_PROPOSAL]) == (unit["total"], unit["rank"], unit["grade"], award)
        assert row[L.SUM_COL_REASON] and row[L.SUM_COL_REASON] != STALE
        sheet = after[unit["code"]]
        result = {label: sheet.cell(*at).value for label, at in _unit_result_rows(sheet).items()}
        assert (result[L.LABEL_RANK], result[L.LABEL_GRADE], result[L.LABEL_PROPOSAL]) == \
            (unit["rank"], unit["grade"], award)
        assert result[L.LABEL_REASON] == row[L.SUM_COL_REASON]
    for key, codes in expected["nominees"].items():
        short = bloc.award(key).short_name
        assert [c for c in codes if rows[c][L.SUM_COL_PROPOSAL] == short] == codes
    assert labels[L.LABEL_NEXT_LEADER] == "Hội Nhà báo tỉnh (HNB)" == \
        L.unit_label(bloc, expected["next_leader"])
    assert labels[L.LABEL_NEXT_DEPUTY] == L.unit_label(bloc, expected["next_deputy"])
    assert labels[L.LABEL_QUORUM] == "Có"
    assert labels[L.LABEL_STATUS] == status

    assert _changed(before, after) <= _result_cells_allowed(before, bloc)
    assert formulas(after) == formulas(before)
    _assert_io_bounds(bloc, len(before.worksheets))
    # Tổng hợp: the label values (one column) and the table; each unit sheet: one block.
    assert sorted(macros.last_stats.io.ranges_written)[:3] == [
        "HCTD!C36:C39", "HCTNXP!C36:C39", "HDY!C36:C39"]
    assert [r for r in macros.last_stats.io.ranges_written if r.startswith(L.SUMMARY)] == [
        "Tổng hợp!C3:C11", "Tổng hợp!C14:J28"]


def test_nominate_on_a_new_workbook_writes_its_totals(xw, monkeypatch, fresh_file, expected,
                                                      round_input):
    bloc = round_input.bloc
    status, after, before, _ = run_macro(xw, monkeypatch, fresh_file, "nominate")

    assert status == "Đã tính lúc 30/11/2026 14:05 — 15 đơn vị, 0 lỗi"
    ws = after[L.SUMMARY]
    header, cols = _summary_header(ws)
    for unit in expected["units"]:
        row = _row_of(ws, unit["code"])
        # Tổng hợp is the result sheet: Tự chấm / Tổng điểm are values, the engine's totals —
        # as the builder already wrote them.
        for title, key in ((L.SUM_COL_SELF_TOTAL, "self_total"), (L.SUM_COL_TOTAL, "total")):
            assert before[L.SUMMARY].cell(row, cols[title]).value == unit[key], unit["code"]
            assert ws.cell(row, cols[title]).value == unit[key], unit["code"]
        assert ws.cell(row, cols[L.SUM_COL_RANK]).value == unit["rank"]
        assert ws.cell(row, cols[L.SUM_COL_GRADE]).value == unit["grade"]
    # No formula on Tổng hợp, so the macro has nothing to skip.
    assert L.SUMMARY not in formulas(before)
    assert set(macros.last_stats.skipped) == set()
    assert formulas(after) == formulas(before)
    assert _changed(before, after) <= _result_cells_allowed(before, bloc)
    _assert_io_bounds(bloc, len(before.worksheets))


def test_book_defaults_to_the_caller(xw, monkeypatch, fresh_file):
    emulate_formula_lookup(monkeypatch, formulas(openpyxl.load_workbook(fresh_file)))
    book = open_book(fresh_file, active="HNB")
    book.set_mock_caller()
    try:
        status = macros.check_sheet()
    finally:
        del xw.Book._mock_caller
    assert status == "Kiểm tra sheet HNB lúc 30/11/2026 14:05: không có lỗi."
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["setValues", "alert"]
    assert actions[0]["values"] == [[status]] and actions[1]["args"][0] == status


# ----------------------------------------------------------------------------- problems

def test_data_errors_are_written_and_listed(xw, monkeypatch, bad_file, expected):
    status, after, before, alerts = run_macro(xw, monkeypatch, bad_file, "recompute")

    hnb = before["HNB"]
    ref = f"D{_row_of(hnb, 'I.2')}"
    assert status == "Đã tính lúc 30/11/2026 14:05 — 15 đơn vị, 2 lỗi"
    [alert] = alerts
    assert alert["mode"] == "critical" and alert["title"] == "thidua_xl — Tính điểm"
    assert f"• HNB!{ref}: " in alert["prompt"]
    assert f"• HDY!D{_row_of(before['HDY'], 'I.1')}: " in alert["prompt"]
    assert alert["prompt"] == macros.last_stats.alerts[0]
    rows, labels = _summary_values(after)
    # No total for a unit with data errors, beside its blank rank (the builder's blanks too).
    assert (rows["HNB"][L.SUM_COL_SELF_TOTAL], rows["HNB"][L.SUM_COL_TOTAL],
            rows["HNB"][L.SUM_COL_RANK]) == (None, None, None)
    assert _summary_values(before)[0]["HNB"][L.SUM_COL_TOTAL] is None
    # HNB and HDY drop out of the ranking: units below them move up.
    ranks = {u["code"]: u["rank"] for u in expected["units"]}
    above = sum(ranks[c] < ranks["HNCT"] for c in ("HNB", "HDY"))
    assert above >= 1 and rows["HNCT"][L.SUM_COL_RANK] == ranks["HNCT"] - above
    assert labels[L.LABEL_STATUS] == status
    assert hnb[ref].value == after["HNB"][ref].value == "mười tám"   # input untouched


def test_check_sheet_reports_only_the_active_sheet(xw, monkeypatch, bad_file):
    status, after, before, alerts = run_macro(xw, monkeypatch, bad_file, "check_sheet",
                                              active="HNB")

    ref = f"HNB!D{_row_of(before['HNB'], 'I.2')}"
    assert status.startswith(f"Kiểm tra sheet HNB lúc 30/11/2026 14:05: 1 lỗi — {ref}: ")
    assert "HDY" not in status
    [alert] = alerts
    assert alert["mode"] == "critical"
    assert alert["prompt"].startswith(f"Sheet HNB có 1 lỗi. Hãy sửa các ô sau:\n• {ref}: ")
    assert "HDY" not in alert["prompt"]
    assert _changed(before, after) == {(L.SUMMARY, "C3")}
    assert after[L.SUMMARY]["C3"].value == status
    stats = macros.last_stats
    assert set(stats.io.sheets_read) == {L.CONFIG, L.CRITERIA, L.SUMMARY, "HNB"}
    assert stats.reads == 4 and stats.writes == 1
    assert stats.io.ranges_written == [f"{L.SUMMARY}!C3"]


@pytest.mark.parametrize("active, expected_status, mode", [
    (L.SUMMARY, "Sheet Tổng hợp không có dữ liệu để kiểm tra: nút «Kiểm tra sheet này» dùng "
                "trên sheet chấm điểm của một đơn vị hoặc sheet Bình xét.", "info"),
    (L.CONFIG, "Kiểm tra sheet Cấu hình lúc 30/11/2026 14:05: cấu hình và bảng tiêu chí hợp lệ "
               "(15 đơn vị, 19 tiêu chí).", "info"),
    (L.REVIEW, "Kiểm tra sheet Bình xét lúc 30/11/2026 14:05: không có lỗi.", "info"),
])
def test_check_sheet_on_other_sheets(xw, monkeypatch, bad_file, active, expected_status, mode):
    status, after, _, alerts = run_macro(xw, monkeypatch, bad_file, "check_sheet",
                                         active=active)
    assert status == expected_status
    assert [(a["prompt"], a["mode"]) for a in alerts] == [(expected_status, mode)]
    assert after[L.SUMMARY]["C3"].value == status
    assert macros.last_stats.reads <= 5


def test_blocking_problem_writes_only_the_status(xw, monkeypatch, tmp_path, fresh_file):
    # HNB's sheet says it belongs to another unit: results must not go into this workbook.
    wb = openpyxl.load_workbook(fresh_file, keep_vba=True)
    ws = wb["HNB"]
    [(row, _)] = [(r, c) for (label, (r, c)) in _labels_column_a(ws).items()
                  if label == L.LABEL_UNIT_CODE]
    ws.cell(row, 2).value = "HDY"
    path = tmp_path / "blocked.xlsm"
    wb.save(path)

    status, after, before, alerts = run_macro(xw, monkeypatch, path, "nominate")
    assert status.startswith("Chưa ghi kết quả (lúc 30/11/2026 14:05): sổ có 1 lỗi phải sửa "
                             f"trước — HNB!B{row}: ")
    assert _changed(before, after) == {(L.SUMMARY, "C3")}
    [alert] = alerts
    assert alert["mode"] == "critical"
    assert alert["prompt"].startswith("Không ghi kết quả vào sổ vì sổ có lỗi phải sửa trước:\n"
                                      f"• HNB!B{row}: ")
    assert macros.last_stats.writes == 1 and not macros.last_stats.written


def _labels_column_a(ws) -> dict[str, tuple[int, int]]:
    return {ws.cell(r, 1).value: (r, 1) for r in range(1, 8)
            if isinstance(ws.cell(r, 1).value, str)}


def test_unreadable_definition_names_sheet_and_cell(xw, fresh_file):
    data = payload(fresh_file)
    config = next(s for s in data["sheets"] if s["name"] == L.CONFIG)
    [row] = [i for i, r in enumerate(config["values"]) if r[0] == "scoring.step"]
    config["values"][row][1] = -1.0
    book = xw.Book(json=data)

    status = macros.recompute(book)
    cell = f"{L.CONFIG}!B{row + 1}"
    assert status.startswith(f"Lỗi lúc 30/11/2026 14:05: {cell}: ")
    assert macros.last_stats.alerts[0].startswith(f"{cell}: ")
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["setValues", "alert"]
    assert actions[0]["values"] == [[status]] and actions[0]["sheet_position"] == 1
    assert actions[1]["args"][3] == "critical"


def test_missing_sheet_is_reported(xw, fresh_file):
    data = payload(fresh_file)
    data["sheets"] = [s for s in data["sheets"] if s["name"] != L.CRITERIA]
    book = xw.Book(json=data)
    status = macros.nominate(book)
    assert status.startswith("Lỗi lúc 30/11/2026 14:05: Tiêu chí: Sổ không có sheet «Tiêu chí»")
    assert macros.last_stats.alerts == [status.removeprefix("Lỗi lúc 30/11/2026 14:05: ")]


def test_unexpected_failure_is_reported_not_raised(xw, monkeypatch, fresh_file):
    def boom(_):
        raise RuntimeError("hỏng")

    monkeypatch.setattr("thidua_xl.review.review", boom)
    book = open_book(fresh_file)
    status = macros.recompute(book)
    assert status.startswith("Lỗi lúc 30/11/2026 14:05: lỗi không mong đợi (RuntimeError: hỏng)")
    assert book.json()["actions"][-1]["func"] == "alert"


def test_collect_needs_a_workbook_saved_on_this_machine(xw, fresh_file):
    book = open_book(fresh_file, name="https://contoso.sharepoint.com/sites/TDKT/so.xlsm")
    status = macros.collect(book)
    assert status.startswith("Không gộp (lúc 30/11/2026 14:05): Sổ đang mở từ một địa chỉ web")
    assert macros.last_stats.reads == 1 and macros.last_stats.writes == 1
    assert [a["func"] for a in book.json()["actions"]] == ["setValues", "alert"]


# ----------------------------------------------------------------------------- collect

@pytest.fixture
def master(tmp_path) -> Path:
    """A tiny master (units U1…U3) with U2's I.1 self score 12 already in it, and the unit
    files split from it in ``thu-ve`` beside it."""
    path = make_master(tmp_path / "so.xlsx", scores={"U2": {"I.1": {L.COL_SELF: 12}}})
    split_workbook(path, tmp_path / macros.COLLECT_FOLDER)
    return path


def _unit_file(master: Path, code: str) -> Path:
    [path] = (master.parent / macros.COLLECT_FOLDER).glob(f"{code} - *.xlsx")
    return path


def test_collect_merges_unit_files_into_the_open_workbook(xw, monkeypatch, master):
    fill_unit_file(_unit_file(master, "U1"), {"I.1": {L.COL_SELF: 25.5,
                                                      L.COL_EVIDENCE: "Báo cáo số 7"}})
    fill_unit_file(_unit_file(master, "U2"), {"I.1": {L.COL_SELF: 14}})   # conflict: kept

    status, after, before, alerts = run_macro(xw, monkeypatch, master, "collect",
                                              name=str(master))
    assert status == ("Đã gộp 2 ô từ 3 tệp lúc 30/11/2026 14:05, giữ nguyên 1 ô xung đột — "
                      "hãy lưu sổ, rồi bấm Tính điểm để tính lại.")
    row = _row_of(before["U1"], "I.1")
    assert (after["U1"][f"D{row}"].value, after["U1"][f"G{row}"].value) == (25.5, "Báo cáo số 7")
    assert after["U2"][f"D{_row_of(before['U2'], 'I.1')}"].value == 12
    log = after[L.COLLECT_LOG]
    assert [[c.value for c in r] for r in log.iter_rows(min_row=2)] == [
        ["30/11/2026 14:05", _unit_file(master, "U1").name, "Đơn vị 1 (U1)", 2, None],
        ["30/11/2026 14:05", _unit_file(master, "U2").name, "Đơn vị 2 (U2)", 0,
         f"giữ giá trị trong sổ ở 1 ô xung đột: D{row} (12 → 14)"],
        ["30/11/2026 14:05", _unit_file(master, "U3").name, "Đơn vị 3 (U3)", 0, None]]
    changed = _changed(before, after)
    assert changed == {("U1", f"D{row}"), ("U1", f"G{row}"), (L.SUMMARY, "C3")} | {
        (L.COLLECT_LOG, f"{col}{r}") for col in "ABCDE" for r in (2, 3, 4)
        if log[f"{col}{r}"].value is not None}
    [alert] = alerts
    assert alert["mode"] == "critical"
    assert "Đã ghi 2 ô vào sổ so.xlsx." in alert["prompt"]
    assert alert["prompt"].endswith("hãy lưu sổ (Ctrl+S), rồi bấm «Tính điểm» để tính lại.")
    stats = macros.last_stats
    assert stats.reads <= stats.sheets and stats.writes <= 4


def test_collect_refuses_a_foreign_file_and_writes_nothing(xw, monkeypatch, master):
    openpyxl.Workbook().save(master.parent / macros.COLLECT_FOLDER / "bang-luong.xlsx")
    status, after, before, alerts = run_macro(xw, monkeypatch, master, "collect",
                                              name=str(master))
    assert status.startswith("Không gộp (lúc 30/11/2026 14:05): 1/4 tệp bị từ chối — "
                             "bang-luong.xlsx: Tệp bang-luong.xlsx không phải tệp đơn vị")
    assert _changed(before, after) == {(L.SUMMARY, "C3")}
    assert "Không ghi gì vào sổ vì có tệp bị từ chối." in alerts[0]["prompt"]


def test_collect_creates_its_folder_and_says_what_to_do(xw, monkeypatch, tmp_path):
    path = make_master(tmp_path / "so.xlsx")
    status, after, _, alerts = run_macro(xw, monkeypatch, path, "collect", name=str(path))
    folder = tmp_path / macros.COLLECT_FOLDER
    assert folder.is_dir()
    assert status == ("Lúc 30/11/2026 14:05: Chưa có tệp nào để gộp. Hãy chép các tệp các đơn "
                      "vị gửi về (tệp do lệnh thidua split tạo ra) vào thư mục "
                      f"{folder} rồi bấm lại.")
    assert after[L.SUMMARY]["C3"].value == status and alerts[0]["mode"] == "info"


# ----------------------------------------------------------------------------- report

def test_report_writes_the_dossier_beside_the_workbook(xw, monkeypatch, tmp_path, stale_file,
                                                       round_input):
    path = tmp_path / "Khối hội 2021.xlsm"
    path.write_bytes(stale_file.read_bytes())
    status, after, _, alerts = run_macro(xw, monkeypatch, path, "report", name=str(path))

    folder = tmp_path / "Khối hội 2021 - Văn bản"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 4 + len(round_input.bloc.units)
    assert "01 Bao cao tong ket 2021.docx" in files
    assert sorted(Path(f) for f in macros.last_stats.files) == sorted(folder.iterdir())
    assert status == ("Đã tính lúc 30/11/2026 14:05 — 15 đơn vị, 0 lỗi — đã xuất 19 tệp Word "
                      f"vào thư mục {folder}")
    assert after[L.SUMMARY]["C3"].value == status
    assert [a["prompt"] for a in alerts] == [
        f"Đã xuất 19 tệp Word.\nCác tệp nằm trong thư mục:\n{folder}"]
    rows, _ = _summary_values(after)
    assert rows["HNB"][L.SUM_COL_PROPOSAL] == "Cờ thi đua"


def test_dossier_folder():
    home = Path("/home/canbo")
    url = ("https://contoso.sharepoint.com/sites/TDKT/Shared%20Documents/"
           "S%E1%BB%95%20thi%20%C4%91ua%202021.xlsm")
    assert macros.dossier_folder(url, home) == (
        home / "Documents" / "thidua_xl" / "Sổ thi đua 2021 - Văn bản", True)
    assert macros.dossier_folder("https://d.docs.live.net/1a2b/Thi dua.xlsm", home) == (
        home / "Documents" / "thidua_xl" / "Thi dua - Văn bản", True)
    assert macros.dossier_folder("Book1", home) == (
        home / "Documents" / "thidua_xl" / "Book1 - Văn bản", True)
    assert macros.dossier_folder("/srv/tdkt/so.xlsm", home) == (
        Path("/srv/tdkt/so - Văn bản"), False)


def test_report_from_a_web_address_uses_a_local_folder(xw, monkeypatch, tmp_path, fresh_file):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    url = "https://contoso.sharepoint.com/sites/TDKT/Shared%20Documents/thidua.xlsm"
    # Only the folder matters here: a stub dossier keeps the test fast.
    monkeypatch.setattr("thidua_xl.reports.write_dossier",
                        lambda result, out: [_touch(out / "01 Bao cao tong ket 2021.docx")])
    book = open_book(fresh_file, name=url)
    status = macros.report(book)
    folder = tmp_path / "Documents" / "thidua_xl" / "thidua - Văn bản"
    assert (folder / "01 Bao cao tong ket 2021.docx").is_file()
    assert status.endswith(f"— đã xuất 1 tệp Word vào thư mục {folder}")
    assert macros.last_stats.alerts == [
        "Đã xuất 1 tệp Word.\nSổ đang mở từ một địa chỉ web (OneDrive/SharePoint), nên các tệp "
        f"được ghi vào thư mục trên máy này:\n{folder}"]


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


# ----------------------------------------------------------------------------- start-up

def test_import_loads_no_heavy_library():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import thidua_xl.macros"],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = {line.split("|")[-1].strip().split(".")[0]
              for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "thidua_xl" in loaded
    assert loaded & {"openpyxl", "docx", "docxtpl", "matplotlib", "lxml", "xlwings"} == set()


# ----------------------------------------------------------------------------- blocks

def test_blocks_skip_cells_in_between():
    cells = {"S": {"C3": 1, "C4": 2, "C5": 3, "E3": "a", "F3": "b", "E4": "c", "F4": "d",
                   "C7": None}}
    blocks = plan_blocks(cells)
    assert [(b.sheet, b.address, b.values) for b in blocks] == [
        ("S", "C3:C5", ((1,), (2,), (3,))),
        ("S", "E3:F4", (("a", "b"), ("c", "d"))),
        ("S", "C7", ((None,),)),
    ]


@given(st.sets(st.tuples(st.integers(1, 12), st.integers(1, 8)), min_size=1, max_size=60))
def test_blocks_cover_exactly_the_given_cells(points):
    cells = {"S": {f"{chr(64 + c)}{r}": r * 100 + c for r, c in points}}
    covered = []
    for block in plan_blocks(cells):
        for i, row in enumerate(block.values):
            for k, value in enumerate(row):
                r, c = block.top + i, block.left + k
                assert value == r * 100 + c
                covered.append((r, c))
    assert sorted(covered) == sorted(points)          # every cell once, nothing else


def test_excel_value():
    assert excel_value(Decimal("106.0")) == 106 and isinstance(excel_value(Decimal("106")), int)
    assert excel_value(Decimal("97.5")) == 97.5
    assert excel_value("02") == "'02"
    assert excel_value("=SUM(A1)") == "'=SUM(A1)"
    assert excel_value("1/2") == "'1/2"
    assert excel_value("TRUE") == "'TRUE"
    assert excel_value("Hội Nhà báo tỉnh (HNB)") == "Hội Nhà báo tỉnh (HNB)"
    assert excel_value(None) is None and excel_value(3) == 3
    assert parse_ref("$AB$12") == (12, 28)
    with pytest.raises(ValueError):
        parse_ref("Tổng hợp")


class _FakeProtection:
    AllowFormattingColumns = True
    AllowFormattingRows = True
    AllowSorting = False


class _FakeApi:
    """The slice of a COM Worksheet that unprotect/protect uses."""

    def __init__(self, password: str | None, log: list) -> None:
        self.password, self.log = password, log
        self.ProtectContents = True
        self.ProtectDrawingObjects = True
        self.ProtectScenarios = False
        self.Protection = _FakeProtection()

    def Unprotect(self, Password=""):  # noqa: N802, N803 — COM names
        if Password != (self.password or ""):
            raise RuntimeError("com_error: The password you supplied is not correct.")
        self.ProtectContents = False
        self.log.append(("Unprotect",))

    def Protect(self, **kwargs):  # noqa: N802
        self.ProtectContents = True
        self.log.append(("Protect", kwargs))


class _FakeRangeApi:
    def __init__(self, sheet, a, b) -> None:
        self.sheet, self.a, self.b = sheet, a, b

    @property
    def HasFormula(self):  # noqa: N802 — COM name: True all, False none, None some
        cells = [(r, c) for r in range(self.a[0], self.b[0] + 1)
                 for c in range(self.a[1], self.b[1] + 1)]
        found = [cell in self.sheet.formulas for cell in cells]
        return True if all(found) else (False if not any(found) else None)


class _FakeRange:
    """The slice of an xlwings Range on desktop Excel that the adapter uses."""

    def __init__(self, sheet, a, b=None) -> None:
        self.sheet, self.a, self.b = sheet, a, b or a
        self.row, self.column = self.a
        self.api = _FakeRangeApi(sheet, self.a, self.b)

    @property
    def last_cell(self):
        return _FakeRange(self.sheet, self.b)

    def options(self, **options):
        assert options == {"ndim": 2, "err_to_str": True}
        return self

    def get_special_cells(self, cell_type):
        raise RuntimeError("com_error: Unable to get the SpecialCells property")

    @property
    def value(self):
        self.sheet.log.append(("read", self.a, self.b))
        return [list(row[self.a[1] - 1:self.b[1]]) for row in self.sheet.grid]

    @value.setter
    def value(self, values) -> None:
        assert not self.sheet.api.ProtectContents, "written while protected"
        self.sheet.log.append(("write", self.a, self.b, values))


class _FakeSheet:
    def __init__(self, name: str, password: str | None = None, grid=(), formulas=()) -> None:
        self.name, self.log = name, []
        self.api = _FakeApi(password, self.log)
        self.grid = [list(row) for row in grid] or [[None]]
        self.formulas = set(formulas)

    @property
    def used_range(self):
        return _FakeRange(self, (1, 1), (len(self.grid), len(self.grid[0])))

    def range(self, a, b=None):
        return _FakeRange(self, a, b)


class _FakeBook:
    def __init__(self, *sheets) -> None:
        self.sheets = list(sheets)


def test_protected_sheet_is_unlocked_and_locked_again():
    sheet = _FakeSheet("HNB")
    stats = IOStats()
    write_blocks(None, plan_blocks({"HNB": {"C36": 4, "C37": "HTXSNV", "E2": "x"}}), stats,
                 {"HNB": sheet})
    assert sheet.log == [
        ("Unprotect",),
        ("write", (2, 5), (2, 5), [["x"]]),
        ("write", (36, 3), (37, 3), [[4], ["HTXSNV"]]),
        ("Protect", {"Password": "", "DrawingObjects": True, "Contents": True,
                     "Scenarios": False, "AllowFormattingColumns": True,
                     "AllowFormattingRows": True, "AllowSorting": False}),
    ]
    assert stats.writes == 2 and stats.unprotected == ["HNB"]


def test_password_protected_sheet_is_refused_in_vietnamese():
    sheet = _FakeSheet("HNB", password="bimat")
    with pytest.raises(WorkbookError, match="Sheet «HNB» được khóa bằng mật khẩu"):
        write_blocks(None, plan_blocks({"HNB": {"C36": 4}}), IOStats(), {"HNB": sheet})
    assert sheet.log == []


def test_last_stats_serialise(xw, monkeypatch, fresh_file):
    emulate_formula_lookup(monkeypatch, formulas(openpyxl.load_workbook(fresh_file)))
    macros.check_sheet(open_book(fresh_file, active="HNB"))
    data = json.loads(json.dumps(macros.last_stats.to_json()))
    assert data["action"] == "check_sheet" and data["io"]["reads"] == 4
    assert re.fullmatch(r"\d+\.\d+", str(data["seconds"]))


def test_protected_sheet_without_special_cells_is_checked_per_block():
    # Desktop Excel refusing SpecialCells (protected sheet): HasFormula guards each block.
    grid = [["Mã", "x", None], [None, "y", 1.0], [None, "z", ""]]
    sheet = _FakeSheet("Tổng hợp", grid=grid, formulas={(2, 3)})
    source = XlwingsSource(_FakeBook(sheet))
    assert source.values("Tổng hợp") == [["Mã", "x", None], [None, "y", 1.0], [None, "z", None]]
    assert source.values("Tổng hợp")[0][0] == "Mã"            # cached: still one read
    skipped = write_cells(source, {"Tổng hợp": {"C1": 5, "C2": 6, "C3": 7, "A3": "02"}})
    assert skipped == ["Tổng hợp!C2"]
    assert source.formulas_unknown == ["Tổng hợp"]
    assert sheet.log == [
        ("read", (1, 1), (3, 3)),
        ("Unprotect",),
        ("write", (1, 3), (1, 3), [[5]]),
        ("write", (3, 3), (3, 3), [[7]]),
        ("write", (3, 1), (3, 1), [["'02"]]),
        ("Protect", {"Password": "", "DrawingObjects": True, "Contents": True,
                     "Scenarios": False, "AllowFormattingColumns": True,
                     "AllowFormattingRows": True, "AllowSorting": False}),
    ]
    stats = source.stats
    assert (stats.reads, stats.writes, stats.cells_read, stats.cells_written) == (1, 3, 9, 3)
    # C1:C3 (one call: some), then C1, C2, C3 one by one; A3 (one call: none).
    assert stats.formula_probes == 5
