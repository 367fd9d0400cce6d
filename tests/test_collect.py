"""`thidua split` / `thidua collect` (thidua_xl.collect): unit files cut from a real master,
filled with openpyxl as a unit would, merged back and read back from the real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import office
from blocs import tiny_bloc
from collect.collect_builders import (criterion_rows, fill_from_scores_csv, fill_unit_file,
                                      header, make_master, sha)
from thidua_xl.collect import (IDENTITY_PROPERTIES, UnitIdentity, collect, collect_cells,
                               collect_folder, criteria_checksum, expand_inputs, plan_collect,
                               read_identity, split_workbook, unit_file_bytes, unit_file_name)
from thidua_xl.datafiles import load_round
from thidua_xl.errors import WorkbookError
from thidua_xl.review import review
from thidua_xl.safefile import backup_files
from thidua_xl.workbook import layout as L
from thidua_xl.workbook.build import build_workbook
from thidua_xl.workbook.read import read_round
from thidua_xl.workbook.sources import open_source

SELF, ASSESSED, EVIDENCE = L.COL_SELF, L.COL_ASSESSED, L.COL_EVIDENCE
NOW = dt.datetime(2022, 1, 10, 9, 15)


# ----------------------------------------------------------------------------- helpers

@pytest.fixture
def master(tmp_path) -> Path:
    return make_master(tmp_path / "so.xlsx")


@pytest.fixture
def unit_files(master, tmp_path) -> dict[str, Path]:
    """The master's unit files, by unit code."""
    return {read_identity(p).unit: p for p in split_workbook(master, tmp_path / "gui")}


def _values(path: Path, unit: str) -> dict[str, tuple]:
    """Criterion → (Tự chấm, Khối chấm, Minh chứng) of a unit sheet, read with read_round."""
    wround = read_round(open_source(path))
    return {e.criterion: (e.self_score, e.assessed_score, e.evidence or None)
            for e in wround.round_input.scores if e.unit == unit}


def _cell(path: Path, unit: str, criterion: str, title: str) -> str:
    place = read_round(open_source(path)).units[unit]
    return f"{place.columns[title]}{place.criterion_rows[criterion]}"


def _assert_refused_unchanged(master: Path, before: str, report, name: str) -> str:
    """The report refused ``name``, wrote nothing, and the master is byte-for-byte the same."""
    assert not report.written and not report.ok
    assert [f.path.name for f in report.refused] == [name]
    assert sha(master) == before
    assert backup_files(master) == []
    assert report.summary_lines()[-1] == ("Không ghi gì vào sổ vì có tệp bị từ chối. Hãy bỏ các "
                                          "tệp đó ra hoặc sửa lại rồi chạy lại.")
    return report.refused[0].refusal


# ----------------------------------------------------------------------------- split

def test_unit_file_name_is_windows_safe():
    bloc = tiny_bloc(2, units=[{"code": "U1", "name": 'Hội "Nông dân" / CCB: tỉnh <A|B>*?. '},
                               {"code": "U2", "name": "Hội Khuyến học\\tỉnh"}])
    assert unit_file_name(bloc, "U1") == "U1 - Hội Nông dân CCB tỉnh A B - 2021.xlsx"
    assert unit_file_name(bloc, "U2") == "U2 - Hội Khuyến học tỉnh - 2021.xlsx"
    long = tiny_bloc(1, units=[{"code": "U1", "name": "Hội " * 80}])
    name = unit_file_name(long, "U1")
    assert len(name) == 150 + len(".xlsx") and name.endswith(" - 2021.xlsx")


def test_split_writes_one_protected_file_per_unit_with_hidden_identity(master, tmp_path):
    paths = split_workbook(master, tmp_path / "gui")
    assert [p.name for p in paths] == ["U1 - Đơn vị 1 - 2021.xlsx", "U2 - Đơn vị 2 - 2021.xlsx",
                                       "U3 - Đơn vị 3 - 2021.xlsx"]
    bloc = tiny_bloc(3)
    for code, path in zip(("U1", "U2", "U3"), paths):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [L.GUIDE, code, L.CRITERIA]
        assert all(ws.protection.sheet for ws in wb.worksheets)
        props = {p.name: p.value for p in wb.custom_doc_props.props}
        assert props == {
            "thidua_xl.kind": "unit-file", "thidua_xl.format": "1",
            "thidua_xl.bloc": "Khối thử nghiệm", "thidua_xl.province": "An Bình",
            "thidua_xl.year": "2021", "thidua_xl.unit": code,
            "thidua_xl.unit_name": bloc.unit(code).name,
            "thidua_xl.criteria_checksum": criteria_checksum(bloc),
            "thidua_xl.version": props["thidua_xl.version"]}
        assert read_identity(path) == UnitIdentity(
            bloc="Khối thử nghiệm", province="An Bình", year=2021, unit=code,
            unit_name=bloc.unit(code).name, criteria=criteria_checksum(bloc),
            version=props["thidua_xl.version"])


def test_unit_sheet_is_the_masters_unit_sheet_cell_for_cell(master, unit_files):
    # Same writer, same layout: every value and formula, the validations and the protection.
    ours = openpyxl.load_workbook(master)["U2"]
    theirs = openpyxl.load_workbook(unit_files["U2"])["U2"]
    assert theirs.max_row == ours.max_row and theirs.max_column == ours.max_column
    for row in range(1, ours.max_row + 1):
        for col in range(1, ours.max_column + 1):
            assert theirs.cell(row, col).value == ours.cell(row, col).value, (row, col)
            assert theirs.cell(row, col).protection.locked == ours.cell(row, col).protection.locked
    assert [(str(v.sqref), v.formula2) for v in theirs.data_validations.dataValidation] == \
        [(str(v.sqref), v.formula2) for v in ours.data_validations.dataValidation]
    # …so read.py's header search finds the same header row and criterion rows.
    assert header(theirs) == header(ours)
    assert criterion_rows(theirs) == criterion_rows(ours)


def test_split_prefills_what_the_master_holds(tmp_path):
    master = make_master(tmp_path / "so.xlsx", scores={
        "U1": {"I.1": {SELF: 25, EVIDENCE: "Báo cáo số 1"}, "T.1": {SELF: "4,5"}}})
    path = split_workbook(master, tmp_path / "gui", units=["u1"])[0]
    assert path.name == "U1 - Đơn vị 1 - 2021.xlsx"
    ws = openpyxl.load_workbook(path)["U1"]
    rows, (_, cols) = criterion_rows(ws), header(ws)
    assert ws.cell(rows["I.1"], cols[SELF]).value == 25
    assert ws.cell(rows["I.1"], cols[EVIDENCE]).value == "Báo cáo số 1"
    assert ws.cell(rows["T.1"], cols[SELF]).value == 4.5
    assert ws.cell(rows["I.2"], cols[SELF]).value is None


def test_split_refuses_to_overwrite_and_checks_units(master, tmp_path):
    out = tmp_path / "gui"
    first = split_workbook(master, out)
    fill_unit_file(first[0], {"I.1": {SELF: 30}})
    filled = sha(first[0])
    with pytest.raises(WorkbookError, match="đã có 3 tệp trùng tên"):
        split_workbook(master, out)
    assert sha(first[0]) == filled
    with pytest.raises(WorkbookError, match="Không có đơn vị mã X9"):
        split_workbook(master, tmp_path / "khac", units=["U1", "X9"])
    assert not (tmp_path / "khac").exists()
    again = split_workbook(master, out, overwrite=True)
    assert again == first
    ws = openpyxl.load_workbook(again[0])["U1"]          # the filled value was replaced
    assert ws.cell(criterion_rows(ws)["I.1"], header(ws)[1][SELF]).value is None
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in first]   # no backups


# ----------------------------------------------------------------------------- collect: reference

@pytest.mark.parametrize("assessed", [True, False])
def test_reference_split_fill_collect_gives_the_expected_result(reference, expected, tmp_path,
                                                                assessed):
    # The Bình xét facts and conference go into the master up front; scores only via files.
    data = load_round(reference["bloc"], None, reference["review"], reference["conference"])
    master = tmp_path / "so-khoi-2021.xlsx"
    build_workbook(data, master)
    files = split_workbook(master, tmp_path / "gui")
    assert len(files) == 15
    for path in files:
        # Khối chấm is filled in both runs; only --assessed merges it.
        fill_from_scores_csv(path, reference["scores"], assessed=True)

    report = collect(master, files, assessed=assessed, now=NOW)

    assert report.ok and report.written and report.log_rows == 15
    assert len(report.to_write) == len(report.changes) and not report.conflicts
    wround = read_round(open_source(master))
    assert wround.problems == ()
    got = json.loads(json.dumps(review(wround.round_input).to_json(), ensure_ascii=False))
    reference_run = review(load_round(reference["bloc"], reference["scores"],
                                      reference["review"], reference["conference"]))
    if assessed:
        assert [u["code"] for u in got["units"]] == [u["code"] for u in expected["units"]]
        for mine, theirs in zip(got["units"], expected["units"]):
            assert {key: mine[key] for key in theirs} == theirs, mine["code"]
        for key in ("nominees", "next_leader", "next_deputy", "quorum_ok", "unresolved_ties"):
            assert got[key] == expected[key], key
        assert got["errors"] == []
    else:
        # Without --assessed the official scores are the self scores.
        assessed_units = {u.code for u in reference_run.units if u.differences}
        assert assessed_units                       # the reference does assess some lines
        for unit in got["units"]:
            assert unit["total"] == unit["self_total"], unit["code"]
        notes = [n for f in report.accepted for n in f.notes]
        assert len(notes) == len(assessed_units)
        assert all(n.endswith("ô Khối chấm trong tệp khác với sổ nhưng không được gộp (chỉ "
                              "gộp điểm Khối chấm khi chọn gộp cả Khối chấm, --assessed)")
                   for n in notes)
    # Collecting the same files again changes nothing and leaves the file alone.
    before = sha(master)
    again = collect(master, files, assessed=assessed, now=NOW)
    assert again.ok and not again.written and again.changes == ()
    assert sha(master) == before
    assert again.summary_lines()[-1] == "Không có ô nào cần thay đổi; sổ giữ nguyên."


# ----------------------------------------------------------------------------- collect: behaviour

def test_collect_writes_changed_cells_as_numbers_and_logs_one_row_per_file(master, unit_files):
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25.5, EVIDENCE: "  Báo cáo số 7  "},
                                      "TR.1": {SELF: "2,5"}})
    fill_unit_file(unit_files["U3"], {"II.2": {SELF: 20}})
    report = collect(master, [unit_files["U1"], unit_files["U3"]], now=NOW)

    assert report.written and report.ok
    assert [(c.unit, c.criterion, c.column, c.old, c.new, c.conflict) for c in report.changes] == [
        ("U1", "I.1", SELF, None, Decimal("25.5"), False),
        ("U1", "I.1", EVIDENCE, None, "Báo cáo số 7", False),
        ("U1", "TR.1", SELF, None, Decimal("2.5"), False),
        ("U3", "II.2", SELF, None, Decimal("20"), False)]
    values = _values(master, "U1")
    assert values["I.1"] == (25.5, None, "Báo cáo số 7")
    assert values["TR.1"] == (2.5, None, None)          # the text "2,5" became a number
    assert _values(master, "U3")["II.2"] == (20, None, None)
    assert [b.name.startswith("so.backup-") for b in backup_files(master)] == [True]

    log = openpyxl.load_workbook(master)[L.COLLECT_LOG]
    assert [c.value for c in log[L.COLLECT_LOG_HEADER_ROW]] == list(L.COLLECT_LOG_COLUMNS)
    assert [[c.value for c in row] for row in log.iter_rows(min_row=2)] == [
        ["10/01/2022 09:15", "U1 - Đơn vị 1 - 2021.xlsx", "Đơn vị 1 (U1)", 3, None],
        ["10/01/2022 09:15", "U3 - Đơn vị 3 - 2021.xlsx", "Đơn vị 3 (U3)", 1, None]]


def test_second_collect_appends_below_the_last_used_row(master, unit_files):
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25}})
    collect(master, [unit_files["U1"]], now=NOW)
    fill_unit_file(unit_files["U2"], {"I.2": {SELF: 10}})
    later = NOW + dt.timedelta(days=1)
    report = collect(master, [unit_files["U1"], unit_files["U2"]], now=later)
    assert report.written
    rows = [[c.value for c in row] for row in
            openpyxl.load_workbook(master)[L.COLLECT_LOG].iter_rows(min_row=2)]
    assert rows == [
        ["10/01/2022 09:15", "U1 - Đơn vị 1 - 2021.xlsx", "Đơn vị 1 (U1)", 1, None],
        ["11/01/2022 09:15", "U1 - Đơn vị 1 - 2021.xlsx", "Đơn vị 1 (U1)", 0, None],
        ["11/01/2022 09:15", "U2 - Đơn vị 2 - 2021.xlsx", "Đơn vị 2 (U2)", 1, None]]


def test_files_are_identified_by_their_identity_not_their_name(master, unit_files, tmp_path):
    # U2's file renamed as if it were U1's (chat apps rename attachments).
    misleading = tmp_path / "U1 - Đơn vị 1 - 2021 (1).xlsx"
    shutil.move(unit_files["U2"], misleading)
    fill_unit_file(misleading, {"I.1": {SELF: 12}})
    report = collect(master, [misleading], now=NOW)
    assert [(f.unit, f.path.name) for f in report.accepted] == [("U2", misleading.name)]
    assert _values(master, "U2")["I.1"][0] == 12
    assert _values(master, "U1")["I.1"][0] is None


def test_cells_are_matched_by_criterion_code_when_rows_are_reordered(master, unit_files):
    path = unit_files["U1"]
    fill_unit_file(path, {"I.1": {SELF: 21, EVIDENCE: "A"}, "I.2": {SELF: 22, EVIDENCE: "B"}})
    wb = openpyxl.load_workbook(path)     # swap the two rows, every column (A…H)
    ws = wb["U1"]
    rows = criterion_rows(ws)
    a, b = rows["I.1"], rows["I.2"]
    for col in range(1, ws.max_column + 1):
        ws.cell(a, col).value, ws.cell(b, col).value = ws.cell(b, col).value, ws.cell(a, col).value
    wb.save(path)
    assert criterion_rows(openpyxl.load_workbook(path)["U1"])["I.2"] == a
    collect(master, [path], now=NOW)
    values = _values(master, "U1")
    assert (values["I.1"], values["I.2"]) == ((21, None, "A"), (22, None, "B"))


def test_blank_file_cells_never_clear_and_equal_numbers_are_no_change(tmp_path):
    master = make_master(tmp_path / "so.xlsx", scores={
        "U1": {"I.1": {SELF: "9,5", EVIDENCE: "BC 1"}, "I.2": {SELF: 30}}})
    path = split_workbook(master, tmp_path / "gui", units=["U1"])[0]
    fill_unit_file(path, {"I.1": {SELF: 9.5, EVIDENCE: None}, "I.2": {SELF: None}})
    before = sha(master)
    report = collect(master, [path], now=NOW)
    assert report.ok and report.changes == () and not report.written
    assert sha(master) == before


def test_dry_run_shows_the_plan_and_writes_nothing(master, unit_files):
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25}, "II.1": {EVIDENCE: "Quyết định 12"}})
    before = sha(master)
    report = collect(master, [unit_files["U1"]], dry_run=True, now=NOW)
    assert report.dry_run and not report.written and sha(master) == before
    d9, g13 = _cell(master, "U1", "I.1", SELF), _cell(master, "U1", "II.1", EVIDENCE)
    assert report.summary_lines() == [
        "Gộp 1 tệp vào sổ so.xlsx (cột Tự chấm, Minh chứng).",
        "  U1 — Đơn vị 1 (tệp U1 - Đơn vị 1 - 2021.xlsx): 2 ô thay đổi",
        f"      U1!{d9} (I.1, Tự chấm): (trống) → 25",
        f"      U1!{g13} (II.1, Minh chứng): (trống) → “Quyết định 12”",
        "Chạy thử: 2 ô sẽ thay đổi; chưa ghi gì vào sổ.",
    ]


def test_folder_expansion_skips_owner_files_the_master_and_its_backups(master, unit_files,
                                                                       tmp_path):
    folder = unit_files["U1"].parent
    (folder / "~$U1 - Đơn vị 1 - 2021.xlsx").write_bytes(b"owner")
    (folder / ".~lock.U2 - Đơn vị 2 - 2021.xlsx#").write_bytes(b"lock")
    (folder / "ghi chu.txt").write_text("x")
    (folder / "con").mkdir()
    assert [p.name for p in expand_inputs(master, [folder])] == [
        "U1 - Đơn vị 1 - 2021.xlsx", "U2 - Đơn vị 2 - 2021.xlsx", "U3 - Đơn vị 3 - 2021.xlsx"]
    # The master's own folder: the master and its backups are not unit files.
    shutil.copy(unit_files["U3"], master.parent / "U3.xlsx")
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25}})
    collect(master, [unit_files["U1"]], now=NOW)                  # makes a backup
    assert [b.parent for b in backup_files(master)] == [master.parent]
    assert [p.name for p in expand_inputs(master, [master.parent])] == ["U3.xlsx"]
    report = collect_folder(master, folder, now=NOW)
    assert report.ok and [f.unit for f in report.files] == ["U1", "U2", "U3"]
    with pytest.raises(WorkbookError, match="không có tệp Excel"):
        collect_folder(master, folder / "con")


def test_refuses_while_the_master_is_open_unless_forced(master, unit_files):
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25}})
    (master.parent / "~$so.xlsx").write_bytes(b"owner")
    before = sha(master)
    with pytest.raises(WorkbookError, match="đang được mở trong Excel"):
        collect(master, [unit_files["U1"]], now=NOW)
    assert sha(master) == before
    assert collect(master, [unit_files["U1"]], dry_run=True).to_write != ()
    assert collect(master, [unit_files["U1"]], force=True, now=NOW).written
    assert _values(master, "U1")["I.1"][0] == 25


def test_assessed_scores_only_with_assessed(master, unit_files):
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25, ASSESSED: 20}})
    report = collect(master, [unit_files["U1"]], now=NOW)
    assert [(c.column, c.new) for c in report.changes] == [(SELF, 25)]
    assert report.accepted[0].notes == (
        "1 ô Khối chấm trong tệp khác với sổ nhưng không được gộp (chỉ gộp điểm Khối chấm "
        "khi chọn gộp cả Khối chấm, --assessed)",)
    assert _values(master, "U1")["I.1"] == (25, None, None)
    report = collect(master, [unit_files["U1"]], assessed=True, now=NOW)
    assert [(c.column, c.new) for c in report.changes] == [(ASSESSED, 20)]
    assert _values(master, "U1")["I.1"] == (25, 20, None)


# ----------------------------------------------------------------------------- refusals

def _good_file(unit_files) -> Path:
    """U1's file with a change in it, so a collect that is not refused would write."""
    return fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25}})


def test_refuses_a_file_of_another_bloc(master, unit_files, tmp_path):
    other = make_master(tmp_path / "khac.xlsx", tiny_bloc(3, bloc={"name": "Khối thi đua khác"}))
    stranger = split_workbook(other, tmp_path / "khac", units=["U2"])[0]
    fill_unit_file(stranger, {"I.1": {SELF: 5}})
    before = sha(master)
    report = collect(master, [_good_file(unit_files), stranger], now=NOW)
    reason = _assert_refused_unchanged(master, before, report, stranger.name)
    assert reason == (f"Tệp {stranger.name} thuộc “Khối thi đua khác”, không phải “Khối thử "
                      "nghiệm” của sổ này.")


def test_refuses_a_file_of_another_year(master, unit_files, tmp_path):
    last = make_master(tmp_path / "2022.xlsx", tiny_bloc(3, bloc={"year": 2022}))
    old = split_workbook(last, tmp_path / "2022", units=["U2"])[0]
    before = sha(master)
    report = collect(master, [_good_file(unit_files), old], now=NOW)
    reason = _assert_refused_unchanged(master, before, report, old.name)
    assert reason == f"Tệp {old.name} là tệp năm 2022, sổ này là năm 2021."


def test_refuses_a_changed_criterion_maximum_and_shows_the_lines(master, unit_files, tmp_path):
    # The definition changed (I.1 30 → 25, I.2 30 → 35) after the file was cut.
    changed = tiny_bloc(3, criteria=[
        {"code": "I.1", "section": "I", "text": "Tiêu chí I.1", "max_points": 25},
        {"code": "I.2", "section": "I", "text": "Tiêu chí I.2", "max_points": 35},
        {"code": "II.1", "section": "II", "text": "Tiêu chí II.1", "max_points": 20,
         "critical": True},
        {"code": "II.2", "section": "II", "text": "Tiêu chí II.2", "max_points": 20},
        {"code": "T.1", "section": "T", "text": "Tiêu chí T.1", "max_points": 15},
        {"code": "TR.1", "section": "TR", "text": "Tiêu chí TR.1", "max_points": 20}])
    new_master = make_master(tmp_path / "moi.xlsx", changed)
    fill_unit_file(unit_files["U2"], {"I.1": {SELF: 30}})
    new_file = split_workbook(new_master, tmp_path / "moi", units=["U1"])[0]
    fill_unit_file(new_file, {"I.1": {SELF: 25}})
    before = sha(new_master)
    report = collect(new_master, [new_file, unit_files["U2"]], now=NOW)
    name = unit_files["U2"].name
    reason = _assert_refused_unchanged(new_master, before, report, name)
    assert reason == (f"Tệp {name}: bảng tiêu chí khác với sổ (có lẽ bảng tiêu chí đã thay đổi "
                      "sau khi chia tệp). Hãy chia lại tệp cho đơn vị rồi nhập lại điểm. Các "
                      "dòng khác nhau:")
    assert report.refused[0].details == (
        "I.1: điểm tối đa trong sổ 25, trong tệp 30",
        "I.2: điểm tối đa trong sổ 35, trong tệp 30")
    assert "      I.1: điểm tối đa trong sổ 25, trong tệp 30" in report.summary_lines()


def test_refuses_a_criteria_table_edited_in_the_file(master, unit_files):
    path = unit_files["U2"]
    wb = openpyxl.load_workbook(path)
    ws = wb[L.CRITERIA]
    for row in ws.iter_rows():
        if row[0].value == "II.2":
            row[2].value = "Tiêu chí đã sửa"
    wb.save(path)
    before = sha(master)
    report = collect(master, [_good_file(unit_files), path], now=NOW)
    _assert_refused_unchanged(master, before, report, path.name)
    assert report.refused[0].details == (
        "II.2: nội dung trong sổ “Tiêu chí II.2”, trong tệp “Tiêu chí đã sửa”",)


def test_refuses_two_files_for_the_same_unit_and_names_both(master, unit_files, tmp_path):
    copy = tmp_path / "gui" / "ban sao.xlsx"
    shutil.copy(unit_files["U2"], copy)
    fill_unit_file(copy, {"I.1": {SELF: 10}})
    good = _good_file(unit_files)
    before = sha(master)
    report = collect(master, [good, unit_files["U2"], copy], now=NOW)
    assert not report.written and sha(master) == before
    message = (f"Có 2 tệp của cùng đơn vị Đơn vị 2 (U2): {unit_files['U2'].name}, ban sao.xlsx. "
               "Hãy giữ lại một tệp rồi chạy lại.")
    assert [(f.path.name, f.refusal) for f in report.refused] == [
        (unit_files["U2"].name, message), ("ban sao.xlsx", message)]
    assert [f.unit for f in report.accepted] == ["U1"]


def test_refuses_a_corrupted_file(master, unit_files, tmp_path):
    broken = tmp_path / "hong.xlsx"
    data = unit_files["U2"].read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    before = sha(master)
    report = collect(master, [_good_file(unit_files), broken], now=NOW)
    reason = _assert_refused_unchanged(master, before, report, "hong.xlsx")
    assert reason.startswith("Tệp hong.xlsx bị hỏng hoặc không phải tệp Excel")


def test_refuses_a_workbook_without_identity_and_the_master_itself(master, unit_files, tmp_path):
    plain = tmp_path / "tu-tao.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "U2"
    wb.save(plain)
    before = sha(master)
    report = collect(master, [_good_file(unit_files), plain, master], now=NOW)
    assert not report.written and sha(master) == before
    assert [(f.path.name, f.refusal.split(":")[0]) for f in report.refused] == [
        ("tu-tao.xlsx", "Tệp tu-tao.xlsx không phải tệp đơn vị do lệnh chia sổ (thidua split) "
                        "tạo ra"),
        ("so.xlsx", "Tệp so.xlsx là chính sổ tổng hợp, không phải tệp của một đơn vị.")]


def test_refuses_a_unit_sheet_pasted_from_another_file(master, unit_files):
    path = unit_files["U2"]
    wb = openpyxl.load_workbook(path)
    ws = wb["U2"]
    for row in ws.iter_rows(max_row=6):
        if row[0].value == L.LABEL_UNIT_CODE:
            row[1].value = "U3"
            ref = row[1].coordinate
    wb.save(path)
    before = sha(master)
    report = collect(master, [_good_file(unit_files), path], now=NOW)
    reason = _assert_refused_unchanged(master, before, report, path.name)
    assert reason == (f"Tệp {path.name}, ô U2!{ref} ghi Mã đơn vị “U3”, khác với thông tin "
                      "nhận dạng của tệp (U2): sheet được chép từ tệp khác.")


def test_a_conflict_is_kept_unless_overwrite(tmp_path):
    master = make_master(tmp_path / "so.xlsx", scores={"U1": {"I.1": {SELF: 20}}})
    path = split_workbook(master, tmp_path / "gui", units=["U1"])[0]
    fill_unit_file(path, {"I.1": {SELF: 25}})
    d9 = _cell(master, "U1", "I.1", SELF)
    before = sha(master)

    report = collect(master, [path], now=NOW)
    assert report.ok and not report.written and sha(master) == before
    (conflict,) = report.conflicts
    assert (conflict.ref, conflict.old, conflict.new) == (f"U1!{d9}", 20, Decimal(25))
    assert report.summary_lines()[1:] == [
        "  U1 — Đơn vị 1 (tệp U1 - Đơn vị 1 - 2021.xlsx): không có ô nào thay đổi, 1 ô xung đột",
        f"      ! U1!{d9} (I.1, Tự chấm): trong sổ 20, trong tệp 25 — giữ giá trị trong sổ",
        "Không có ô nào cần thay đổi; sổ giữ nguyên. 1 ô xung đột được giữ nguyên giá trị "
        "trong sổ (dùng tùy chọn ghi đè --overwrite để lấy giá trị trong tệp)."]

    # With another change beside it, the other change is written and the conflict kept.
    fill_unit_file(path, {"I.2": {SELF: 28}})
    report = collect(master, [path], now=NOW)
    assert report.written and [c.criterion for c in report.to_write] == ["I.2"]
    assert _values(master, "U1")["I.1"][0] == 20 and _values(master, "U1")["I.2"][0] == 28
    log = openpyxl.load_workbook(master)[L.COLLECT_LOG]
    assert [c.value for c in log[2]][3:] == [
        1, f"giữ giá trị trong sổ ở 1 ô xung đột: {d9} (20 → 25)"]

    report = collect(master, [path], overwrite=True, now=NOW)
    assert report.written and [c.criterion for c in report.to_write] == ["I.1"]
    assert _values(master, "U1")["I.1"][0] == 25
    log = openpyxl.load_workbook(master)[L.COLLECT_LOG]
    assert [c.value for c in log[3]][3:] == [1, f"ghi đè 1 ô đã có giá trị: {d9} (20 → 25)"]


# ----------------------------------------------------------------------------- office suites

def test_identity_survives_a_save_in_libreoffice(master, unit_files, tmp_path):
    office.require_soffice()
    fill_unit_file(unit_files["U3"], {"II.2": {SELF: 15, EVIDENCE: "Kế hoạch số 3"}})
    saved = office.convert(unit_files["U3"], "xlsx", tmp_path / "lo")
    with zipfile.ZipFile(saved) as zf:                     # really rewritten by LibreOffice
        assert b"LibreOffice" in zf.read("docProps/app.xml")
    assert read_identity(saved) == read_identity(unit_files["U3"])
    report = collect(master, [saved], now=NOW)
    assert report.ok and report.written
    assert _values(master, "U3")["II.2"] == (15, None, "Kế hoạch số 3")


def test_identity_properties_are_plain_text_in_custom_xml(unit_files):
    with zipfile.ZipFile(unit_files["U1"]) as zf:
        xml = zf.read("docProps/custom.xml").decode("utf-8")
    for name in IDENTITY_PROPERTIES.values():
        assert f'name="{name}"' in xml
    assert "<vt:i4>" not in xml and "<vt:lpwstr>2021</vt:lpwstr>" in xml


def test_unit_file_bytes_rejects_an_unknown_unit():
    with pytest.raises(KeyError):
        unit_file_bytes(tiny_bloc(2), "X9")


# ----------------------------------------------------------------------------- macro path

def test_plan_and_cells_on_a_source_are_what_collect_writes(master, unit_files, tmp_path):
    # The Excel macro reads the open book through a SheetSource and writes the cells itself.
    fill_unit_file(unit_files["U1"], {"I.1": {SELF: 25, EVIDENCE: "BC"}})
    fill_unit_file(unit_files["U2"], {"T.1": {SELF: "3,5"}})
    twin = tmp_path / "twin.xlsx"
    shutil.copy(master, twin)
    source = open_source(master)
    wround = read_round(source)
    report = plan_collect(wround, [unit_files["U1"], unit_files["U2"]], master=master)
    cells, report = collect_cells(report, wround, source, now=NOW)
    place1, place2 = wround.units["U1"], wround.units["U2"]
    assert cells == {
        "U1": {f"D{place1.criterion_rows['I.1']}": Decimal(25),
               f"G{place1.criterion_rows['I.1']}": "BC"},
        "U2": {f"D{place2.criterion_rows['T.1']}": Decimal("3.5")},
        L.COLLECT_LOG: {
            "A2": "10/01/2022 09:15", "B2": "U1 - Đơn vị 1 - 2021.xlsx", "C2": "Đơn vị 1 (U1)",
            "D2": 2, "E2": None,
            "A3": "10/01/2022 09:15", "B3": "U2 - Đơn vị 2 - 2021.xlsx", "C3": "Đơn vị 2 (U2)",
            "D3": 1, "E3": None}}
    assert report.log_rows == 2 and not report.written
    collect(twin, [unit_files["U1"], unit_files["U2"]], now=NOW)
    theirs = openpyxl.load_workbook(twin)
    for sheet, refs in cells.items():
        for ref, value in refs.items():
            assert theirs[sheet][ref].value == value, (sheet, ref)


def test_refuses_to_collect_into_a_master_with_blocking_problems(master, unit_files):
    wb = openpyxl.load_workbook(master)
    wb["U2"].title = "U2 cu"           # a renamed unit sheet: the master cannot be read right
    wb.save(master)
    before = sha(master)
    with pytest.raises(WorkbookError, match="có lỗi cần sửa trước"):
        collect(master, [_good_file(unit_files)], now=NOW)
    with pytest.raises(WorkbookError, match="có lỗi cần sửa trước khi gộp"):
        plan_collect(read_round(open_source(master)), [unit_files["U1"]])
    assert sha(master) == before


def test_unit_file_guide_speaks_to_the_unit(unit_files):
    ws = openpyxl.load_workbook(unit_files["U2"])[L.GUIDE]
    assert ws["A1"].value == "HƯỚNG DẪN TỰ CHẤM ĐIỂM THI ĐUA NĂM 2021"
    assert ws["A2"].value == ("Tệp này dành riêng cho Đơn vị 2 (mã U2), thành viên Khối thử "
                              "nghiệm — An Bình.")
    texts = [c.value for c in ws["A"] if c.value]
    assert "Bước 1. Mở sheet “U2”, kiểm tra tên đơn vị và năm ở đầu sheet." in texts
    assert not any(L.SUMMARY in t for t in texts)      # no sheet a unit file does not have


def test_warns_when_a_returned_file_is_still_open(master, unit_files):
    path = _good_file(unit_files)
    (path.parent / ("~$" + path.name)).write_bytes(b"owner")
    report = collect(master, [path], now=NOW)
    assert report.written
    assert report.warnings == (f"tệp {path.name} đang mở trong Excel/LibreOffice; phần chưa lưu "
                               "sẽ không được gộp.",)
    assert report.summary_lines()[1] == f"Lưu ý: {report.warnings[0]}"
