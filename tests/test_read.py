"""Reading the shared workbook back (thidua_xl.workbook.sources / read).

Real .xlsx files are built by the product's builder, then edited with openpyxl through the
documented layout (tests/read/books.py), and read with python-calamine (the CLI's source) —
or openpyxl, or the in-memory source the macros and unit tests use.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from read.books import (assert_subset, build, edit, fill_reference, find_header, find_label,
                        reference_round)
from thidua_xl.errors import BlocDefinitionError, WorkbookError
from thidua_xl.model import Location, ScoreEntry
from thidua_xl.numbers import parse_score
from thidua_xl.review import review
from thidua_xl.workbook import layout as L
from thidua_xl.workbook.read import read_round
from thidua_xl.workbook.sources import CalamineSource, MemorySource, OpenpyxlSource

UNIT_TITLES = ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Khối chấm", "Minh chứng"]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def read(path: Path):
    return read_round(CalamineSource(path))


def only(errors):
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


# ----------------------------------------------------------------------------- the reference


def test_reference_workbook_filled_by_another_tool_reads_back_exactly(reference, expected,
                                                                     tmp_path):
    path = fill_reference(build(tmp_path, reference_round(reference, with_scores=False)),
                          reference)
    wround = read(path)
    assert wround.problems == ()
    assert wround.blocking == ()
    source = reference_round(reference)
    assert wround.bloc == source.bloc
    # Same scores, value for value (the file holds numbers; the CSV text).
    typed = {(e.unit, e.criterion): (parse_score(e.self_score), parse_score(e.assessed_score),
                                     e.evidence) for e in source.scores}
    read_back = {(e.unit, e.criterion): (parse_score(e.self_score),
                                         parse_score(e.assessed_score), e.evidence)
                 for e in wround.round_input.scores}
    assert read_back == typed
    assert wround.round_input.facts["HDY"].disciplined is True
    assert wround.round_input.facts["HNB"].votes == {"emulation_flag": 14,
                                                     "certificate_of_merit": None}
    review_place = wround.review
    hnb_row = review_place.unit_rows["HNB"]
    assert dict(wround.round_input.facts["HNB"].votes_at) == {
        "emulation_flag": Location("Bình xét", f"{review_place.columns['Phiếu Cờ thi đua']}{hnb_row}"),
        "certificate_of_merit": Location("Bình xét",
                                         f"{review_place.columns['Phiếu Bằng khen']}{hnb_row}")}
    conf = wround.round_input.conference
    assert (conf.members, conf.present, conf.ballots_issued, conf.ballots_valid) == (15, 15, 15, 15)
    assert str(conf.date) == "2022-01-14"
    assert_subset(expected, review(wround.round_input).to_json())


def test_positions_are_where_the_documented_layout_says(reference, tmp_path):
    path = build(tmp_path, reference_round(reference))
    wround = read(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["HNB"]
    header, cols = find_header(ws, UNIT_TITLES)
    place = wround.units["HNB"]
    assert place.sheet == "HNB" and place.header_row == header
    for crit, row in place.criterion_rows.items():
        assert ws.cell(row, cols["Mã"]).value == crit
    assert len(place.criterion_rows) == 19
    rank_row, rank_col = find_label(ws, "Xếp hạng")
    assert place.result_cells["Xếp hạng"] == ws.cell(rank_row, rank_col + 1).coordinate
    # The two totals are live formulas: the writer must leave them alone.
    total_row, total_col = find_label(ws, "Tổng điểm")
    assert place.formula_cells == {ws.cell(total_row, total_col + 1).coordinate,
                                   ws.cell(total_row - 1, total_col + 1).coordinate}
    entry = next(e for e in wround.round_input.scores if (e.unit, e.criterion) == ("HNB", "I.2"))
    row = place.criterion_rows["I.2"]
    assert entry.self_at == Location("HNB", f"D{row}")
    assert entry.assessed_at == Location("HNB", f"E{row}")

    summary = wround.summary
    ws = wb["Tổng hợp"]
    header, cols = find_header(ws, ["Mã đơn vị", "Tự chấm", "Tổng điểm", "Lý do"])
    assert summary.header_row == header
    assert list(summary.unit_rows) == [u.code for u in wround.bloc.units]
    for code, row in summary.unit_rows.items():
        assert ws.cell(row, cols["Mã đơn vị"]).value == code
    assert summary.next_row == header + 16
    # Built without results, `Tự chấm` and `Tổng điểm` hold the engine's totals as values.
    totals = {ws.cell(row, cols[t]).coordinate for row in summary.unit_rows.values()
              for t in ("Tự chấm", "Tổng điểm")}
    assert len(totals) == 30 and not totals & summary.formula_cells
    assert ws.cell(summary.unit_rows["HNB"], cols["Tổng điểm"]).value == 106
    r, c = find_label(ws, "Mã kiểm tra dữ liệu")
    assert summary.label_cells["Mã kiểm tra dữ liệu"] == ws.cell(r, c + 1).coordinate
    r, c = find_label(wb["Bình xét"], "Số thành viên có mặt")
    assert wround.review.label_cells["Số thành viên có mặt"] == \
        wb["Bình xét"].cell(r, c + 1).coordinate
    # Input cells: the three typed columns of every criterion row, marks, votes, conference.
    assert f"D{row}" in wround.input_cells["HNB"] and f"G{row}" in wround.input_cells["HNB"]
    assert len(wround.input_cells["HNB"]) == 3 * 19
    assert len(wround.input_cells["Bình xét"]) == 15 * 3 + 10


def test_calamine_and_openpyxl_sources_read_the_same(reference, tmp_path):
    path = build(tmp_path, reference_round(reference))
    a = read_round(CalamineSource(path))
    b = read_round(OpenpyxlSource(path))
    assert a.round_input == b.round_input
    assert a.units == b.units and a.summary == b.summary and a.review == b.review


def test_calamine_source_reads_bytes_and_refuses_garbage(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(WorkbookError) as info:
        CalamineSource(path)
    assert str(info.value).startswith(f"{path}: Tệp x.xlsx bị hỏng hoặc không phải tệp Excel")


# ----------------------------------------------------------------------------- messy input


def _messy_unit_sheet(wb: openpyxl.Workbook) -> None:
    """Replace U1's sheet with one laid out differently but per the documented layout."""
    index = wb.sheetnames.index("U1")
    del wb["U1"]
    ws = wb.create_sheet("U1", index)
    ws["A1"] = "BẢNG TỰ CHẤM ĐIỂM"
    ws.merge_cells("A1:I1")
    ws["A3"], ws["B3"] = "Khối thi đua:", nfd("Khối thử nghiệm")     # NFD text
    ws.merge_cells("B3:D3")
    ws["A4"], ws["B4"] = "Năm", "2021"                                 # no colon, text year
    ws["A5"], ws["B5"] = "Mã đơn vị:", "U1\u200b"                      # zero-width
    ws["A7"] = "Ghi chú: bảng điểm gửi ngày 10/12"
    # Extra columns (STT, Ghi chú), reordered ones (Khối chấm before Tự chấm), NFD title,
    # a header row far from row 7.
    header = ["STT", "Mã", "Tiêu chí", "Điểm tối đa", "Khối chấm", " Tự chấm ", "Ghi chú",
              nfd("Minh chứng")]
    for col, title in enumerate(header, start=1):
        ws.cell(9, col, title)
    rows = [
        (None, "II", "Công tác thi đua", 40, None, None, None, None),     # section row
        (1, "II.2", "Tiêu chí II.2", 20, None, 20, None, None),
        (2, "II.1", "Tiêu chí II.1", 20, None, "2\u200b0", None, None),  # zero-width
        (None, None, None, None, None, None, None, None),                 # blank line
        (None, "I", "Nhiệm vụ chuyên môn", 60, None, None, None, None),
        (3, "I.2", "Tiêu chí I.2", 30, None, " 29.5 ", "ghi chú", nfd("Báo cáo số 12")),
        (4, "I.1\u200b", "Tiêu chí I.1", 30, "29", "29,5", None, None),   # decimal comma
        (None, "T", "Điểm thưởng", 15, None, None, None, None),
        (5, "T.1", "Tiêu chí T.1", 15, None, None, None, None),           # blank bonus line
        (None, "TR", "Điểm trừ", 20, None, None, None, None),
        (6, "TR.1", "Tiêu chí TR.1", 20, None, "", None, None),           # blank deduction
    ]
    for r, values in enumerate(rows, start=10):
        for col, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(r, col, value)
    ws.merge_cells("C10:D10")                                              # merged section row
    for r, label in enumerate(L.UNIT_RESULT_LABELS, start=23):
        ws.cell(r, 2, label)
    ws.merge_cells("B25:C25")                                              # merged label
    # Bình xét: U3 disciplined with stray characters, votes typed as text.
    bx = wb["Bình xét"]
    header_row, cols = find_header(bx, ["Mã đơn vị", "Kỷ luật", "Phiếu Cờ thi đua"])
    for r in range(header_row + 1, header_row + 4):
        if bx.cell(r, cols["Mã đơn vị"]).value == "U3":
            bx.cell(r, cols["Kỷ luật"]).value = " x\u200b"
        if bx.cell(r, cols["Mã đơn vị"]).value == "U2":
            bx.cell(r, cols["Phiếu Cờ thi đua"]).value = "3"
    r, c = find_label(bx, "Số thành viên có mặt")
    bx.cell(r, c).value = nfd("Số thành viên có mặt")
    bx.cell(r, c + 1).value = 3


def test_messy_input_is_read_as_typed_and_reviewed(book):
    edit(book, _messy_unit_sheet)
    wround = read(book)
    assert [str(e) for e in wround.problems] == []
    place = wround.units["U1"]
    assert place.header_row == 9
    assert place.columns["Tự chấm"] == "F" and place.columns["Khối chấm"] == "E"
    assert place.columns["Minh chứng"] == "H"
    assert dict(place.criterion_rows) == {"II.2": 11, "II.1": 12, "I.2": 15, "I.1": 16,
                                          "T.1": 18, "TR.1": 20}
    # The merged label B25:C25 has its value in D25.
    assert place.result_cells == {"Tổng điểm tự chấm": "C23", "Tổng điểm": "C24",
                                  "Xếp hạng": "D25", "Xếp loại": "C26", "Đề nghị": "C27",
                                  "Lý do": "C28"}
    mine = {e.criterion: e for e in wround.round_input.scores if e.unit == "U1"}
    assert mine["I.1"] == ScoreEntry("U1", "I.1", "29,5", "29", "", Location("U1", "F16"),
                                     Location("U1", "E16"))
    assert mine["I.2"].self_score == " 29.5 "
    assert mine["I.2"].evidence == "Báo cáo số 12"            # NFC again
    assert mine["II.1"].self_score == "2\u200b0"
    assert mine["T.1"].self_score is None and mine["TR.1"].self_score is None

    facts = wround.round_input.facts
    assert facts["U3"].disciplined is True
    assert facts["U2"].votes["emulation_flag"] == 3
    assert wround.round_input.conference.present == 3

    result = review(wround.round_input)
    u1 = result.unit("U1")
    assert u1.errors == ()
    assert (u1.total, u1.self_total) == (Decimal("98.5"), Decimal("99"))
    assert result.unit("U3").eligible is False


# ----------------------------------------------------------------------------- sheets


def test_missing_unit_sheet_is_blocking_and_names_the_unit(book):
    edit(book, lambda wb: wb.remove(wb["U2"]))
    wround = read(book)
    error = only(wround.blocking)
    assert str(error) == ("U2: Sổ không có sheet U2 của đơn vị Đơn vị 2. Hãy chép lại sheet "
                          "của đơn vị từ sổ gốc (không xóa sheet).")
    assert error.unit == "U2"
    assert "U2" not in wround.units


def test_renamed_unit_sheet_is_recognised_by_its_identity(book):
    def rename(wb):
        wb["U2"].title = "Đơn vị 2"
        wb.create_sheet("Nháp")
    edit(book, rename)
    wround = read(book)
    error = only(wround.blocking)
    assert str(error) == ("U2: Sổ không có sheet U2 của đơn vị Đơn vị 2. Sheet «Đơn vị 2» ghi "
                          "Mã đơn vị U2: có lẽ sheet đã bị đổi tên — hãy đổi tên sheet "
                          "«Đơn vị 2» thành U2.")
    # The cause is the unit's one error: no "tiêu chí … chưa chấm" for each of its lines.
    assert review(wround.round_input).unit("U2").errors == (error,)


def test_missing_sheet_lists_the_unexpected_ones(book):
    def change(wb):
        wb["U2"]["B5"] = None          # identity wiped: no hint from it
        wb["U2"].title = "Sheet1"
    edit(book, change)
    assert str(only(read(book).blocking)) == (
        "U2: Sổ không có sheet U2 của đơn vị Đơn vị 2. Các sheet không thuộc mẫu: «Sheet1».")


def test_duplicated_unit_code_is_blocking(book):
    def copy(wb):
        clone = wb.copy_worksheet(wb["U1"])
        clone.title = "U1 (2)"
    edit(book, copy)
    error = only(read(book).blocking)
    assert str(error) == ("U1 (2)!B5: Sheet «U1 (2)» cũng ghi Mã đơn vị U1, trùng với sheet "
                          "U1: mã đơn vị bị trùng. Hãy xóa sheet thừa hoặc sửa lại cho đúng.")
    assert error.unit == "U1"


def test_sheet_copied_from_last_year_is_blocking(book):
    edit(book, lambda wb: wb["U3"].__setitem__("B3", 2020))
    error = only(read(book).blocking)
    assert str(error) == ("U3!B3: sheet U3 thuộc “Khối thử nghiệm” năm 2020, không phải “Khối "
                          "thử nghiệm” năm 2021 của sổ này (có lẽ được chép từ sổ khác hoặc sổ "
                          "năm trước). Hãy nhập điểm vào sheet của sổ năm nay.")


def test_sheet_of_another_bloc_is_blocking(book):
    edit(book, lambda wb: wb["U3"].__setitem__("B2", "Khối các sở, ngành"))
    assert str(only(read(book).blocking)).startswith(
        "U3!B2: sheet U3 thuộc “Khối các sở, ngành” năm 2021, không phải “Khối thử nghiệm”")


def test_identity_naming_another_unit_is_blocking(book):
    edit(book, lambda wb: wb["U3"].__setitem__("B5", "U1"))
    assert str(only(read(book).blocking)) == (
        "U3!B5: sheet U3 ghi Mã đơn vị “U1”, không phải U3: sheet bị đổi tên hoặc chép nhầm "
        "từ đơn vị khác.")


def test_unit_sheet_without_its_header_row_is_blocking(book):
    edit(book, lambda wb: wb["U1"].__setitem__("E7", "Điểm khối"))
    wround = read(book)
    error = only(wround.blocking)
    assert str(error) == ("U1: không tìm thấy dòng tiêu đề (trong 30 dòng đầu) gồm các cột Mã, "
                          "Tiêu chí, Điểm tối đa, Tự chấm, Khối chấm, Minh chứng; thiếu: Khối chấm")
    result = review(wround.round_input)
    assert result.unit("U1").errors == (error,)
    assert [str(e) for e in result.errors] == [str(error)]


# ----------------------------------------------------------------------------- criterion rows


def test_missing_and_duplicated_criterion_rows_block_only_that_unit(book):
    def change(wb):
        ws = wb["U1"]
        ws["A10"] = "I.1"          # the I.2 row now says I.1: I.1 twice, I.2 missing
        ws["A30"], ws["D30"] = "I.9", 5
    edit(book, change)
    wround = read(book)
    assert wround.blocking == ()
    assert [str(e) for e in wround.problems] == [
        "U1!A10: tiêu chí I.1 có hai dòng (dòng 9 và dòng 10)",
        "U1!A30: mã tiêu chí “I.9” không có trong bảng tiêu chí, nên điểm ở dòng này không "
        "được tính",
        "U1: thiếu dòng của tiêu chí I.2 (không có ô nào ở cột Mã ghi I.2)",
    ]
    result = review(wround.round_input)
    assert result.unit("U1").total is None
    assert result.unit("U2").total == Decimal(100)
    # The missing row is reported once, not again as "tiêu chí I.2 chưa chấm".
    assert [str(e) for e in result.unit("U1").errors] == [str(e) for e in wround.problems]


FORMULA_WITHOUT_VALUE = ("U2!D9: ô Tự chấm của tiêu chí I.1 chứa công thức nhưng chưa có giá "
                         "trị tính sẵn (tệp được lưu bởi chương trình không tính công thức). Hãy "
                         "mở tệp trong Excel, lưu lại rồi chạy lại, hoặc nhập số thay cho công "
                         "thức.")


def test_formula_without_a_cached_value_in_a_score_cell_concerns_that_unit_only(book):
    edit(book, lambda wb: wb["U2"].__setitem__("D9", "=15+15"))   # openpyxl saves no value
    wround = read(book)
    assert wround.blocking == ()
    error = only(wround.problems)
    assert (str(error), error.unit, error.kind) == (FORMULA_WITHOUT_VALUE, "U2", "scores")
    entry = next(e for e in wround.round_input.scores if (e.unit, e.criterion) == ("U2", "I.1"))
    assert entry.self_score is None                   # the value read: none was saved
    # One message for that cell (not also "chưa chấm"); the other units are computed.
    result = review(wround.round_input)
    assert [str(e) for e in result.errors] == [FORMULA_WITHOUT_VALUE]
    assert [u.total for u in result.units] == [Decimal(100), None, Decimal(100)]


def _memory(book: Path, **changes) -> MemorySource:
    source = CalamineSource(book)
    sheets = {name: source.values(name) for name in source.names()}
    formulas = {}
    for ref_key, value in changes.items():
        sheet, ref = ref_key.split("_")
        row, col = int(ref[1:]) - 1, ord(ref[0]) - 65
        sheets[sheet][row][col] = value
        formulas.setdefault(sheet, set()).add(ref)
    return MemorySource(sheets, formulas)


def test_formula_with_a_cached_value_is_read_like_a_typed_value(book):
    wround = read_round(_memory(book, U2_D9=25.5))
    assert wround.problems == ()
    entry = next(e for e in wround.round_input.scores if (e.unit, e.criterion) == ("U2", "I.1"))
    assert entry.self_score == 25.5
    blank = read_round(_memory(book, U2_D9=None))
    assert blank.blocking == ()
    assert [(e.sheet, e.cell, e.unit) for e in blank.problems] == [("U2", "D9", "U2")]


# ----------------------------------------------------------------------------- Bình xét


def test_review_sheet_problems_are_located(book):
    def change(wb):
        ws = wb["Bình xét"]
        header, cols = find_header(ws, ["Mã đơn vị", "Kỷ luật", "Phiếu Cờ thi đua"])
        ws.cell(header + 1, cols["Kỷ luật"]).value = "có lỗi"
        ws.cell(header + 2, cols["Phiếu Cờ thi đua"]).value = "hai"
        ws.cell(header + 3, cols["Mã đơn vị"]).value = "U2"      # U2 twice, U3 missing
        ws.cell(header + 3, cols["Kỷ luật"]).value = "x"
        ws.cell(header + 5, cols["Mã đơn vị"]).value = "U9"
        ws.cell(header + 5, cols["Kỷ luật"]).value = "x"
    edit(book, change)
    wround = read(book)
    assert wround.blocking == ()
    assert [str(e) for e in wround.problems] == [
        "Bình xét!C15: cột Kỷ luật chỉ nhận “x” hoặc để trống (đang là “có lỗi”)",
        "Bình xét!D16: Phiếu Cờ thi đua: số phiếu “hai” phải là số nguyên không âm",
        "Bình xét!A17: đơn vị U2 có hai dòng (dòng 16 và dòng 17): mã đơn vị bị trùng",
        "Bình xét!A19: mã đơn vị “U9” không có trong khối",
        "Bình xét: không có dòng của đơn vị U3 (Đơn vị 3) ở cột Mã đơn vị",
    ]
    assert [e.unit for e in wround.problems] == ["U1", "U2", "U2", None, "U3"]
    # A bad mark puts the discipline in doubt; a bad count, or a row (hence votes) missing,
    # the votes; the second U2 row marks "x" where the first does not: discipline again.
    assert [e.kind for e in wround.problems] == ["discipline", "votes", "discipline", "scores",
                                                 "votes"]
    assert wround.round_input.facts["U2"].votes_at["emulation_flag"] == \
        Location("Bình xét", "D16")


def test_a_vote_above_the_members_is_reported_at_its_cell(book):
    def change(wb):
        ws = wb["Bình xét"]
        header, cols = find_header(ws, ["Mã đơn vị", "Kỷ luật", "Phiếu Cờ thi đua"])
        ws.cell(header + 2, cols["Phiếu Cờ thi đua"]).value = 20        # U2, 3 members
    edit(book, change)
    wround = read(book)
    assert wround.problems == ()
    assert wround.round_input.facts["U2"].votes_at["emulation_flag"] == \
        Location("Bình xét", "D16")
    # (The book records no attendance, so the bloc also gets the half-entered-ballot note.)
    error = only([e for e in review(wround.round_input).errors if e.unit == "U2"])
    assert (error.sheet, error.cell, error.unit, error.kind) == ("Bình xét", "D16", "U2", "votes")


def test_conference_present_above_members_is_a_ballot_error(book):
    def change(wb):
        ws = wb["Bình xét"]
        r, c = find_label(ws, "Số thành viên có mặt")
        ws.cell(r, c + 1).value = 4
    edit(book, change)
    # A meeting detail typed wrong leaves the ballot unrecorded; it blocks nothing.
    wround = read(book)
    assert wround.blocking == () and only(wround.problems).kind == "votes"
    assert str(only(wround.problems)) == \
        "Bình xét!C6: số thành viên có mặt (4) lớn hơn số thành viên (3)"


def test_conference_value_that_is_not_a_count_is_a_ballot_error(book):
    def change(wb):
        ws = wb["Bình xét"]
        r, c = find_label(ws, "Số thành viên có mặt")
        ws.cell(r, c + 1).value = "ba"
    edit(book, change)
    # A meeting detail typed wrong leaves the ballot unrecorded; it blocks nothing.
    wround = read(book)
    assert wround.blocking == () and only(wround.problems).kind == "votes"
    assert str(only(wround.problems)) == \
        "Bình xét!C6: số thành viên có mặt “ba” phải là số nguyên không âm"


def test_conference_ballot_count_that_is_not_a_count_names_the_ballots(book):
    def change(wb):
        ws = wb["Bình xét"]
        r, c = find_label(ws, "Số phiếu hợp lệ")
        ws.cell(r, c + 1).value = -1
    edit(book, change)
    # A meeting detail typed wrong leaves the ballot unrecorded; it blocks nothing.
    wround = read(book)
    assert wround.blocking == () and only(wround.problems).kind == "votes"
    assert str(only(wround.problems)) == "Bình xét!C8: số phiếu hợp lệ -1 không được âm"


# ----------------------------------------------------------------------------- definition


def test_definition_error_names_the_sheet_and_cell(book):
    def change(wb):
        ws = wb["Cấu hình"]
        r, c = find_label(ws, "bloc.leader")
        ws.cell(r, c + 1).value = "U7"
    edit(book, change)
    with pytest.raises(BlocDefinitionError) as info:
        read(book)
    assert str(info.value) == ("Cấu hình!B8: Trưởng khối “U7” không phải là đơn vị thành viên "
                               "(khóa bloc.leader)")


def test_definition_error_in_the_criteria_table_names_its_cell(book):
    def change(wb):
        ws = wb["Tiêu chí"]
        header, cols = find_header(ws, ["Mã", "Nhóm", "Tiêu chí", "Điểm tối đa"])
        ws.cell(header + 2, cols["Điểm tối đa"]).value = 25      # I.2: I adds up to 55
    edit(book, change)
    with pytest.raises(BlocDefinitionError) as info:
        read(book)
    # A table-wide check names the table's header cell.
    assert info.value.where == "Tiêu chí!A9"
    assert info.value.message.startswith("các tiêu chí của nhóm I cộng lại được 55")
    assert info.value.message.endswith("(khóa criteria)")


def test_workbook_without_its_configuration_sheet_is_refused(book):
    edit(book, lambda wb: wb.remove(wb["Cấu hình"]))
    with pytest.raises(WorkbookError) as info:
        read(book)
    assert str(info.value).startswith("Cấu hình: Sổ không có sheet «Cấu hình»")


def test_duplicated_unit_code_in_the_units_table_names_its_cell(book):
    def change(wb):
        ws = wb["Cấu hình"]
        header, cols = find_header(ws, ["Mã đơn vị", "Tên đơn vị"], max_rows=200)
        ws.cell(header + 2, cols["Mã đơn vị"]).value = "u1"
    edit(book, change)
    with pytest.raises(BlocDefinitionError) as info:
        read(book)
    wb = openpyxl.load_workbook(book)
    header, cols = find_header(wb["Cấu hình"], ["Mã đơn vị", "Tên đơn vị"], max_rows=200)
    assert info.value.where == f"Cấu hình!A{header + 2}"
    assert info.value.message == ("mã đơn vị “u1” trùng với “U1” (Excel không phân biệt chữ hoa, "
                                  "chữ thường trong tên sheet) (khóa [[units]] #2.code)")


@pytest.mark.parametrize("typed, code", [("u2", "U2"), ("  Đơn vị 3 ", "U3")])
def test_elected_leader_may_be_typed_as_code_or_name(book, typed, code):
    def change(wb):
        ws = wb["Bình xét"]
        r, c = find_label(ws, "Trưởng khối được bầu")
        ws.cell(r, c + 1).value = typed
    edit(book, change)
    wround = read(book)
    assert wround.problems == ()
    assert wround.round_input.conference.next_leader == code


def test_an_unknown_elected_leader_is_a_ballot_error(book):
    def change(wb):
        ws = wb["Bình xét"]
        r, c = find_label(ws, "Trưởng khối được bầu")
        ws.cell(r, c + 1).value = "X9"
    edit(book, change)
    wround = read(book)
    assert wround.blocking == ()
    error = only(wround.problems)
    assert (error.kind, error.message) == ("votes", "“X9” không phải mã hay tên đơn vị thành "
                                                    "viên của khối")
    assert wround.round_input.conference.next_leader is None
