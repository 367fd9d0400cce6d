"""Writing results back into the workbook (thidua_xl.workbook.write).

The values (:func:`result_cells`, :func:`stamp_cells`) are checked cell by cell; the file
write is checked on real packages: only the patched worksheets change, every typed input
stays, backups are kept, and an open, changed or broken workbook is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from read.books import (all_cells, build, edit, find_header, find_label, parts, reference_round,
                        sheet_part, tiny_round)
from thidua_xl import __version__
from thidua_xl.errors import WorkbookError
from thidua_xl.review import review
from thidua_xl.safefile import backup_files
from thidua_xl.workbook.build import build_workbook
from thidua_xl.workbook.read import read_round
from thidua_xl.workbook.sources import CalamineSource
from thidua_xl.workbook.write import input_checksum, result_cells, stamp_cells, write_results

WHEN = dt.datetime(2022, 1, 14, 10, 30)


@pytest.fixture(scope="module")
def reference_book(tmp_path_factory, reference) -> Path:
    return build(tmp_path_factory.mktemp("ref"), reference_round(reference))


@pytest.fixture
def book(reference_book, tmp_path) -> Path:
    target = tmp_path / "khoi.xlsx"
    shutil.copy(reference_book, target)
    return target


@pytest.fixture(scope="module")
def reference():  # module-scoped twin of conftest's fixture
    from conftest import reference_folder
    from thidua_xl.resources import reference_files

    return reference_files(reference_folder())


def read(path: Path):
    wround = read_round(CalamineSource(path))
    return wround, review(wround.round_input)


# ----------------------------------------------------------------------------- values


def test_result_cells_of_the_reference(book):
    wround, result = read(book)
    cells_ = result_cells(result, wround)
    assert set(cells_) == {"Tổng hợp", *(u.code for u in result.bloc.units)}
    hnb = result.unit("HNB")
    assert cells_["HNB"] == {"C36": 1, "C37": "HTXSNV", "C38": "Cờ thi đua",
                             "C39": hnb.reason}
    assert cells_["HDY"]["C38"] is None                    # no award: cleared
    summary = cells_["Tổng hợp"]
    row = wround.summary.unit_rows["HNB"]
    assert row == 20
    # Built without results, C (Tự chấm) and D (Tổng điểm) hold the builder's values: the
    # engine's totals are written over them.
    assert wround.summary.formula_cells == frozenset()
    assert {k: v for k, v in summary.items() if k[1:] == str(row)} == {
        "C20": Decimal("106"), "D20": Decimal("106"), "E20": 1, "F20": "HTXSNV",
        "G20": "Cờ thi đua", "H20": 14, "I20": "Đề nghị khen thưởng", "J20": hnb.reason}
    assert summary["C4"] == 2 and summary["C5"] == 5
    assert summary["C6"] == "Hội Nhà báo tỉnh (HNB)"
    assert summary["C7"] == "Hội Liên hiệp thanh niên Việt Nam tỉnh (HLHTN)"
    assert summary["C8"] == "Có"
    # Never an input cell, never a formula.
    for sheet, values in cells_.items():
        assert not set(values) & set(wround.input_cells.get(sheet, ()))
        if sheet in wround.units:
            assert not set(values) & wround.units[sheet].formula_cells
    assert not set(summary) & wround.summary.formula_cells


def test_stamp_cells(book):
    wround, result = read(book)
    assert stamp_cells(result, wround, when=WHEN, checksum="abc") == {"Tổng hợp": {
        "C3": "Đã tính lúc 14/01/2022 10:30 — 15 đơn vị, 0 lỗi",
        "C9": "14/01/2022 10:30", "C10": __version__, "C11": "abc"}}


def test_a_unit_with_errors_gets_its_old_results_cleared(tmp_path):
    # A workbook holding results as values (as `thidua new` writes them with data), whose
    # U2 then got a bad score.
    data = tiny_round(3, {"U2": {"I.1": "ba mươi"}})
    path = build_workbook(data, tmp_path / "khoi.xlsx", result=review(tiny_round(3)))
    wround, result = read(path)
    assert wround.summary.formula_cells == frozenset()
    u2 = result.unit("U2")
    assert u2.total is None
    written = result_cells(result, wround)
    row = wround.summary.unit_rows["U2"]
    assert written["Tổng hợp"][f"D{row}"] is None and written["Tổng hợp"][f"E{row}"] is None
    assert written["Tổng hợp"][f"I{row}"] == "Dữ liệu có lỗi"
    place = wround.units["U2"]
    assert written["U2"][place.result_cells["Xếp hạng"]] is None
    assert written["U2"][place.result_cells["Lý do"]] == u2.reason


def test_formula_cells_of_the_summary_are_never_overwritten(tmp_path):
    """A workbook whose `Tự chấm`/`Tổng điểm` are live ``='U1'!$C$…`` formulas (as earlier
    versions built them, or typed by someone), and a label cell holding one too: the CLI
    writes every other result cell and leaves them, as the buttons do."""
    path = build(tmp_path, tiny_round(3))

    def change(wb):
        ws = wb["Tổng hợp"]
        r, c = find_label(ws, "Chỉ tiêu Cờ thi đua")
        ws.cell(r, c + 1).value = "=1+0"
        header, cols = find_header(ws, ["Mã đơn vị", "Tự chấm", "Tổng điểm"])
        for row in range(header + 1, header + 4):
            code = ws.cell(row, cols["Mã đơn vị"]).value
            for label, title in (("Tổng điểm tự chấm", "Tự chấm"), ("Tổng điểm", "Tổng điểm")):
                r, c = find_label(wb[code], label)
                ref = wb[code].cell(r, c + 1).coordinate
                ws.cell(row, cols[title]).value = f"='{code}'!${ref[0]}${ref[1:]}"
    edit(path, change)
    wround, result = read(path)
    summary = wround.summary
    quota = summary.label_cells["Chỉ tiêu Cờ thi đua"]
    live = {f"{summary.columns[t]}{row}" for row in summary.unit_rows.values()
            for t in ("Tự chấm", "Tổng điểm")}
    assert live | {quota} <= summary.formula_cells
    written = result_cells(result, wround)["Tổng hợp"]
    assert not (live | {quota}) & set(written)
    assert written[f"{summary.columns['Xếp hạng']}{summary.unit_rows['U2']}"] == 1

    write_results(path, result, wround, when=WHEN)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tổng hợp"]
    assert ws[quota].value == "=1+0"
    for ref in sorted(live):
        assert str(ws[ref].value).startswith("='U"), ref
    u2 = summary.unit_rows["U2"]
    total = wround.units["U2"].result_cells["Tổng điểm"]            # e.g. C20
    assert ws[f"{summary.columns['Tổng điểm']}{u2}"].value == \
        f"='U2'!${total[0]}${total[1:]}"
    assert ws[f"{summary.columns['Trạng thái']}{u2}"].value == "Bằng điểm chưa phân định"


def test_summary_totals_are_the_engines_built_and_run(tmp_path):
    """Tổng hợp's `Tự chấm`/`Tổng điểm` are values: the builder's hold the engine's totals
    (blank for U2, whose score is above the maximum), and a run writes the engine's over them
    — blank for U2 beside its blank rank, 94,5 for U3 whose "24,5" was typed as text later."""
    from thidua_xl.xlsxpatch import patch_cells

    path = build(tmp_path, tiny_round(3, {"U2": {"I.1": Decimal("30.5")}}))
    wround, _ = read(path)
    summary = wround.summary
    cols, rows = summary.columns, summary.unit_rows
    totals = {code: tuple(f"{cols[t]}{rows[code]}" for t in ("Tự chấm", "Tổng điểm", "Xếp hạng"))
              for code in ("U1", "U2", "U3")}

    def shown(p):
        ws = openpyxl.load_workbook(p)["Tổng hợp"]
        return {code: tuple(ws[ref].value for ref in refs) for code, refs in totals.items()}

    assert shown(path) == {"U1": (100, 100, None), "U2": (None, None, None),
                           "U3": (100, 100, None)}
    self_ref = f"{wround.units['U3'].columns['Tự chấm']}{wround.units['U3'].criterion_rows['I.1']}"
    path.write_bytes(patch_cells(path.read_bytes(), {"U3": {self_ref: "24,5"}}))

    wround, result = read(path)
    assert summary.formula_cells == wround.summary.formula_cells == frozenset()
    written = result_cells(result, wround)["Tổng hợp"]
    assert [written[ref] for ref in totals["U2"]] == [None, None, None]
    assert [written[ref] for ref in totals["U3"]] == [Decimal("94.5"), Decimal("94.5"), 2]
    write_results(path, result, wround, when=WHEN, backups=0)
    assert shown(path) == {"U1": (100, 100, 1), "U2": (None, None, None),
                           "U3": (94.5, 94.5, 2)}


def test_units_without_a_summary_row_get_new_rows(tmp_path):
    path = build(tmp_path, tiny_round(3))
    edit(path, lambda wb: wb["Tổng hợp"].__setitem__("A15", None))   # U2's code wiped
    wround, result = read(path)
    assert dict(wround.summary.unit_rows) == {"U1": 14, "U3": 16}
    written = result_cells(result, wround)["Tổng hợp"]
    assert written["A17"] == "U2" and written["B17"] == "Đơn vị 2"
    assert written["D17"] == Decimal(100)
    assert "A15" not in written


def test_result_cells_refuse_to_overwrite_an_input_cell(tmp_path):
    # The reader looks for result labels below the criteria only, so this takes a layout
    # damaged beyond that: a place whose result cell is a score cell.
    path = build(tmp_path, tiny_round(3))
    wround, result = read(path)
    place = wround.units["U1"]
    broken = dataclasses.replace(place, result_cells={**place.result_cells, "Xếp loại": "D9"})
    wround = dataclasses.replace(wround, units={**wround.units, "U1": broken})
    with pytest.raises(WorkbookError) as info:
        result_cells(result, wround)
    assert str(info.value) == ("U1!D9: Ô U1!D9 vừa là ô nhập liệu vừa là ô kết quả (bố cục sổ "
                               "bị thay đổi); thidua không ghi đè dữ liệu đã nhập.")


def test_result_labels_are_looked_for_below_the_criteria_only(tmp_path):
    path = build(tmp_path, tiny_round(3))

    def change(wb):
        ws = wb["U1"]
        ws["B22"] = None          # the Xếp loại label removed from the result block …
        ws["C9"] = "Xếp loại"     # … and typed beside a score cell (D9)
    edit(path, change)
    wround, result = read(path)
    assert "Xếp loại" not in wround.units["U1"].result_cells
    assert "D9" not in result_cells(result, wround)["U1"]


def test_input_checksum_depends_on_the_data_not_on_where_it_came_from(book, reference):
    wround, _ = read(book)
    from_files = reference_round(reference)
    assert input_checksum(wround.round_input) == input_checksum(from_files)
    changed = list(from_files.scores)
    changed[0] = type(changed[0])(**{**changed[0].__dict__, "self_score": "8,5"})
    other = type(from_files)(bloc=from_files.bloc, scores=tuple(changed),
                             facts=from_files.facts, conference=from_files.conference)
    assert input_checksum(other) != input_checksum(from_files)
    assert len(input_checksum(other)) == 64


# ----------------------------------------------------------------------------- the file


def _unit_and_summary_parts(path: Path, wround) -> set[str]:
    return {sheet_part(path, s) for s in ["Tổng hợp", *(p.sheet for p in wround.units.values())]}


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_write_changes_only_result_cells_of_the_patched_worksheets(reference, tmp_path, suffix):
    path = build(tmp_path, reference_round(reference), name=f"khoi{suffix}")
    before = parts(path)
    original = path.read_bytes()
    before_cells = all_cells(path)
    wround, result = read(path)
    backup = write_results(path, result, wround, when=WHEN, original=original)

    assert backup is not None and backup.read_bytes() == original
    after = parts(path)
    assert list(after) == list(before)                  # same parts, same order
    changed = {name for name in before if before[name] != after[name]}
    assert changed == _unit_and_summary_parts(path, wround)
    if suffix == ".xlsm":
        assert "xl/vbaProject.bin" in after

    written = result_cells(result, wround)
    written = {s: {**v, **stamp_cells(result, wround, when=WHEN).get(s, {})}
               for s, v in written.items()}
    after_cells = all_cells(path)
    for sheet, old in before_cells.items():
        new = after_cells[sheet]
        targets = written.get(sheet, {})
        untouched = {k: v for k, v in old.items() if k not in targets}
        assert {k: v for k, v in new.items() if k not in targets} == untouched, sheet
    # Values read back as written (Decimal points read as numbers).
    again, _ = read(path)
    source = CalamineSource(path)
    summary = source.values("Tổng hợp")
    assert summary[19][:8] == ["HNB", "Hội Nhà báo tỉnh", 106.0, 106.0, 1.0, "HTXSNV",
                               "Cờ thi đua", 14.0]
    assert summary[10][2] == input_checksum(wround.round_input)
    assert summary[8][2] == "14/01/2022 10:30"
    assert again.round_input == wround.round_input       # inputs untouched


def test_write_refuses_while_excel_has_the_file_open(book):
    wround, result = read(book)
    original = book.read_bytes()
    owner = book.with_name("~$khoi.xlsx")
    owner.write_bytes(b"owner")
    with pytest.raises(WorkbookError) as info:
        write_results(book, result, wround, when=WHEN)
    assert str(info.value) == (f"{book}: Tệp khoi.xlsx đang được mở trong Excel (có tệp khóa "
                               "~$khoi.xlsx). Hãy đóng Excel rồi chạy lại, hoặc dùng --force.")
    assert book.read_bytes() == original
    assert backup_files(book) == []
    write_results(book, result, wround, when=WHEN, force=True)
    assert book.read_bytes() != original


def test_write_refuses_a_workbook_with_blocking_problems(book):
    edit(book, lambda wb: wb.remove(wb["HNB"]))
    original = book.read_bytes()
    wround, result = read(book)
    with pytest.raises(WorkbookError) as info:
        write_results(book, result, wround, when=WHEN)
    assert info.value.message == ("Không ghi kết quả vào sổ vì sổ có lỗi cần sửa trước: HNB: Sổ "
                                  "không có sheet HNB của đơn vị Hội Nhà báo tỉnh. Hãy chép lại "
                                  "sheet của đơn vị từ sổ gốc (không xóa sheet).")
    assert book.read_bytes() == original


def test_write_refuses_a_file_changed_since_it_was_read(book):
    original = book.read_bytes()
    wround, result = read(book)
    edit(book, lambda wb: wb["HNB"].__setitem__("G9", "ghi thêm"))
    changed = book.read_bytes()
    with pytest.raises(WorkbookError) as info:
        write_results(book, result, wround, when=WHEN, original=original)
    assert info.value.message == ("Tệp khoi.xlsx đã thay đổi trong lúc tính (có người vừa lưu "
                                  "tệp). Hãy chạy lại.")
    assert book.read_bytes() == changed


def test_backups_follow_the_setting(book):
    wround, result = read(book)
    assert wround.bloc.workbook.backups == 5
    for _ in range(3):
        write_results(book, result, wround, when=WHEN, backups=2)
    assert len(backup_files(book)) == 2
    write_results(book, result, wround, when=WHEN, backups=0)
    assert len(backup_files(book)) == 2
