"""The shared workbook built by `thidua new` (thidua_xl.workbook.build), read back from real
files with openpyxl, its zip parts and LibreOffice."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import office
from thidua_xl.datafiles import load_round
from thidua_xl.definition import bloc_from_dict, load_bloc
from thidua_xl.errors import WorkbookError
from thidua_xl.model import RoundInput, ScoreEntry, WorkbookSettings
from thidua_xl.review import review
from thidua_xl.text import fold
from thidua_xl.workbook import layout as L
from thidua_xl.workbook.build import build_workbook

HERE = Path(__file__).resolve().parent
SMALL = HERE / "build" / "small-bloc.toml"
NOW = dt.datetime(2022, 1, 14, 10, 30)


# ----------------------------------------------------------------------------- helpers

def _round(reference) -> RoundInput:
    return load_round(reference["bloc"], reference["scores"], reference["review"],
                      reference["conference"])


def _small_round(bloc=None) -> RoundInput:
    bloc = bloc or load_bloc(SMALL)

    def e(unit, crit, own, assessed=None, evidence=""):
        return ScoreEntry(unit, crit, own, assessed, evidence)

    scores = (
        # DV1: bonus 4 capped at 2.5, deductions 4.5 capped at 3.75; A.1 assessed lower.
        e("DV1", "A.1", Decimal("4.25"), Decimal("3.75"), "Báo cáo số 12/BC"),
        e("DV1", "A.2", 2), e("DV1", "B.1", Decimal("3.25")),
        e("DV1", "T.1", Decimal("2.75")), e("DV1", "T.2", Decimal("1.25")),
        e("DV1", "TR.1", Decimal("0.5")), e("DV1", "TR.2", 4),
        # DV2: nothing earned, deductions 9.5 capped at 3.75: total floored at 0.
        e("DV2", "A.1", 0), e("DV2", "A.2", 0), e("DV2", "B.1", 0),
        e("DV2", "TR.1", 5), e("DV2", "TR.2", Decimal("4.5")),
        # DV3: decimal-comma text, an assessed 0.25, a blank bonus.
        e("DV3", "A.1", "4,25"), e("DV3", "A.2", 1.75), e("DV3", "B.1", "3.5", "0,25"),
        e("DV3", "TR.2", "1,25"),
    )
    return RoundInput(bloc=bloc, scores=scores)


def _header_row(ws, titles) -> int:
    """1-based row holding every title of ``titles`` (compared exactly)."""
    for row in ws.iter_rows():
        values = [c.value for c in row]
        if all(t in values for t in titles):
            return row[0].row
    raise AssertionError(f"{ws.title}: no header row with {titles}")


def _columns(ws, row: int) -> dict[str, int]:
    return {c.value: c.column for c in ws[row] if isinstance(c.value, str)}


def _label_value(ws, label: str):
    """Value of the cell right of the cell whose text folds to ``label``."""
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and fold(c.value) == fold(label):
                return ws.cell(c.row, c.column + 1).value
    raise AssertionError(f"{ws.title}: no label {label!r}")


def _label_cell(ws, label: str):
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and fold(c.value) == fold(label):
                return ws.cell(c.row, c.column + 1)
    raise AssertionError(f"{ws.title}: no label {label!r}")


def _unit_rows(ws) -> dict[str, int]:
    """Criterion/section code → 1-based row below the unit sheet's header."""
    header = _header_row(ws, L.UNIT_REQUIRED_COLUMNS)
    rows = {}
    for r in range(header + 1, ws.max_row + 1):
        v = ws.cell(r, 1).value
        if v is None:
            break
        rows[v] = r
    return rows


def _num(value) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


def _dv_for(ws, coord: str):
    found = [dv for dv in ws.data_validations.dataValidation if coord in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{coord}: {len(found)} validations"
    return found[0]


@pytest.fixture(scope="module")
def ref_built(tmp_path_factory):
    """The reference bloc with its data: built without result (the engine's totals as values
    in Tổng hợp, no rank) and with the engine's result."""
    from conftest import reference_folder
    from thidua_xl.resources import reference_files

    reference = reference_files(reference_folder())
    data = _round(reference)
    result = review(data)
    folder = tmp_path_factory.mktemp("ref")
    plain = build_workbook(data, folder / "khoi-2021.xlsx", now=NOW)
    with_result = build_workbook(data, folder / "khoi-2021-ket-qua.xlsx", result=result, now=NOW)
    return data, result, plain, with_result


# ----------------------------------------------------------------------------- layout

def test_config_rows_round_trip_is_exact():
    """bloc → config rows → dict → bloc_from_dict gives the same Bloc (Decimals exact), for the
    reference bloc and for one with step 0.25, a deduction cap, no deputy and documents."""
    from conftest import reference_folder
    from thidua_xl.resources import reference_files

    for bloc in (load_bloc(reference_files(reference_folder())["bloc"]), load_bloc(SMALL)):
        data = L.config_dict(L.config_rows(bloc), L.unit_rows(bloc), L.grade_rows(bloc),
                             L.section_rows(bloc), L.criterion_rows(bloc))
        assert bloc_from_dict(data, "Cấu hình") == bloc
    small = load_bloc(SMALL)
    rows = {k: v for k, v, _ in L.config_rows(small)}
    assert rows["scoring.step"] == Decimal("0.25")
    assert rows["scoring.deduction_cap"] == Decimal("3.75")
    assert rows["bloc.deputy"] is None
    assert rows["review.tie_break"] == "total, section:B"
    assert rows["awards.emulation_flag.quota"] == "1:1; 10:2"
    assert rows["awards.certificate_of_merit.rounding"] == "half_up"
    assert rows["documents.legal_bases"] == ("Luật Thi đua, khen thưởng năm 2022\n"
                                             "Nghị định số 98/2023/NĐ-CP")
    assert rows["documents.office.phone"] == "0123"


def test_config_dict_reads_cells_as_excel_gives_them():
    """Floats from numeric cells, numbers where text was meant, blank cells, 'X' marks."""
    data = L.config_dict(
        [("bloc.year", 2024.0, None), ("scoring.step", 0.25, ""), ("bloc.deputy", None, ""),
         ("scoring.deduction_cap", "  ", ""), ("awards.x.quota", "1:1 ; 10:2", ""),
         ("bloc.name", "Khối\u200b A", ""), (None, "bỏ qua", "")],
        [("DV1", "Một"), (None, None), (10.0, "Mười")],
        [("A", "Tốt", 8.5)],
        [("I", "Nhóm I", "Tiêu chí chuẩn", 6.5), ("T", "Thưởng", "điểm thưởng", 4.0)],
        [("I.1", "I", "Dòng", 6.5, "X"), ("T.1", "T", "Thưởng", 4.0, None)])
    assert data["bloc"] == {"year": 2024, "name": "Khối A"}
    assert data["scoring"]["step"] == Decimal("0.25")
    assert "deduction_cap" not in data["scoring"]
    assert data["awards"]["x"]["quota"] == [{"min_units": 1, "count": 1},
                                            {"min_units": 10, "count": 2}]
    assert data["units"] == [{"code": "DV1", "name": "Một"}, {"code": "10", "name": "Mười"}]
    assert data["scoring"]["grades"] == [{"code": "A", "name": "Tốt",
                                          "min_total": Decimal("8.5")}]
    assert [s["kind"] for s in data["sections"]] == ["standard", "bonus"]
    assert [c["critical"] for c in data["criteria"]] == [True, False]


def test_malformed_quota_text_names_the_key():
    from thidua_xl.errors import BlocDefinitionError

    with pytest.raises(BlocDefinitionError) as info:
        L.config_dict([("awards.emulation_flag.quota", "1-1", "")], [], [])
    assert info.value.where == "Cấu hình: awards.emulation_flag.quota"
    assert "1:1; 10:2" in info.value.message


# ----------------------------------------------------------------------------- structure

def test_sheet_names_and_order(ref_built):
    data, _, plain, _ = ref_built
    wb = openpyxl.load_workbook(plain)
    codes = [u.code for u in data.bloc.units]
    assert wb.sheetnames == ["Hướng dẫn", "Tổng hợp", "Bình xét", *codes, "Tiêu chí", "Cấu hình",
                            "Nhật ký gộp"]
    assert wb.sheetnames == L.sheet_order(data.bloc)
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)


def test_header_titles_exactly_as_bloc_format(ref_built):
    data, _, plain, _ = ref_built
    wb = openpyxl.load_workbook(plain)
    for code in ("HNCT", "LHTCHN"):
        ws = wb[code]
        row = _header_row(ws, ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Khối chấm",
                               "Minh chứng"])
        assert [c.value for c in ws[row]] == ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm",
                                              "Khối chấm", "Điểm chính thức", "Minh chứng",
                                              "Bắt buộc", "Tự chấm (số)"]
        # The helper column (self scores read as numbers) is hidden; it is not printed
        # (print areas end at H, tested below).
        assert ws.column_dimensions["I"].hidden
        # One row per criterion, keyed by its code in Mã (section rows between groups).
        rows = _unit_rows(ws)
        assert [k for k in rows if k in {c.code for c in data.bloc.criteria}] == \
            [c.code for c in data.bloc.criteria]
        assert [k for k in rows if k not in {c.code for c in data.bloc.criteria}] == \
            [s.code for s in data.bloc.sections]
        assert _label_value(ws, "Khối thi đua:") == data.bloc.name
        assert _label_value(ws, "Năm:") == 2021
        assert _label_value(ws, "Đơn vị:") == data.bloc.unit(code).name
        assert _label_value(ws, "Mã đơn vị:") == code
    review_ws = wb["Bình xét"]
    row = _header_row(review_ws, ["Mã đơn vị", "Kỷ luật", "Phiếu Cờ thi đua", "Phiếu Bằng khen"])
    assert [c.value for c in review_ws[row]][:5] == ["Mã đơn vị", "Tên đơn vị", "Kỷ luật",
                                                     "Phiếu Cờ thi đua", "Phiếu Bằng khen"]
    assert [review_ws.cell(r, 1).value for r in range(row + 1, row + 16)] == \
        [u.code for u in data.bloc.units]
    assert _label_value(review_ws, "Số thành viên có mặt") == 15
    summary = wb["Tổng hợp"]
    row = _header_row(summary, ["Mã đơn vị", "Tên đơn vị", "Tự chấm", "Tổng điểm", "Xếp hạng",
                                "Xếp loại", "Đề nghị", "Lý do"])
    assert [summary.cell(r, 1).value for r in range(row + 1, row + 16)] == \
        [u.code for u in data.bloc.units]
    for label in ("Trạng thái tính", "Chỉ tiêu Cờ thi đua", "Chỉ tiêu Bằng khen",
                  "Trưởng khối năm sau", "Phó Trưởng khối năm sau", "Hội nghị đủ số thành viên",
                  "Tính lúc", "Phiên bản thidua_xl", "Mã kiểm tra dữ liệu"):
        _label_cell(summary, label)
    crit = wb["Tiêu chí"]
    _header_row(crit, ["Mã nhóm", "Tên nhóm", "Loại", "Điểm tối đa"])
    _header_row(crit, ["Mã", "Nhóm", "Tiêu chí", "Điểm tối đa", "Bắt buộc"])
    config = wb["Cấu hình"]
    _header_row(config, ["Khóa", "Giá trị", "Ghi chú"])
    _header_row(config, ["Mã đơn vị", "Tên đơn vị"])
    _header_row(config, ["Mã xếp loại", "Tên xếp loại", "Điểm tối thiểu"])


def test_input_cells_unlocked_everything_else_locked(ref_built):
    data, _, plain, _ = ref_built
    wb = openpyxl.load_workbook(plain)
    ws = wb["HNCT"]
    assert ws.protection.sheet is True
    assert ws.protection.password is None          # the bloc sets no password
    header = _header_row(ws, L.UNIT_REQUIRED_COLUMNS)
    cols = _columns(ws, header)
    inputs = {cols["Tự chấm"], cols["Khối chấm"], cols["Minh chứng"]}
    crit_rows = {r for k, r in _unit_rows(ws).items() if k in {c.code for c in data.bloc.criteria}}
    unlocked = {(c.row, c.column) for row in ws.iter_rows(max_col=12, max_row=ws.max_row + 3)
                for c in row if c.protection.locked is False}
    assert unlocked == {(r, col) for r in crit_rows for col in inputs}
    for name in ("Tổng hợp", "Tiêu chí", "Cấu hình", "Hướng dẫn", "Bình xét"):
        assert wb[name].protection.sheet is True, name
    for name in ("Tổng hợp", "Tiêu chí", "Cấu hình", "Hướng dẫn"):
        assert not any(c.protection.locked is False for row in wb[name].iter_rows()
                       for c in row), name
    # Bình xét: the conference values and the per-unit facts are the only inputs.
    rv = wb["Bình xét"]
    unlocked = {c.coordinate for row in rv.iter_rows() for c in row
                if c.protection.locked is False and not isinstance(c, openpyxl.cell.MergedCell)}
    header = _header_row(rv, ["Mã đơn vị", "Kỷ luật"])
    expected = {f"C{r}" for r in range(L.REVIEW_CONFERENCE_ROW, L.REVIEW_CONFERENCE_ROW + 10)}
    expected |= {f"{col}{r}" for col in "CDE" for r in range(header + 1, header + 16)}
    assert unlocked == expected
    assert fold(rv[f"B{L.REVIEW_CONFERENCE_ROW + 3}"].value) == fold("Số thành viên có mặt")


def test_score_cells_have_decimal_validation_with_the_line_maximum(ref_built):
    data, _, plain, _ = ref_built
    ws = openpyxl.load_workbook(plain)["HKH"]
    rows = _unit_rows(ws)
    for crit in data.bloc.criteria:
        for col in "DE":
            dv = _dv_for(ws, f"{col}{rows[crit.code]}")
            assert dv.type == "decimal" and dv.operator in (None, "between")  # default
            assert Decimal(dv.formula1) == 0
            assert Decimal(dv.formula2) == crit.max_points
            assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
            assert dv.allow_blank
            assert "từ 0 đến" in dv.error and "từ 0 đến" in dv.prompt
    # Evidence and the computed columns carry no validation.
    assert not [dv for dv in ws.data_validations.dataValidation
                if any(str(r).startswith(("F", "G")) for r in dv.sqref.ranges)]


def _chart_anchor_row(path: Path) -> int:
    """0-based row the `Tổng hợp` chart is anchored at (its drawing's top-left cell)."""
    import re

    with zipfile.ZipFile(path) as zf:
        drawing = zf.read("xl/drawings/drawing1.xml").decode()
    return int(re.search(r"<xdr:from><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff>"
                         r"<xdr:row>(\d+)</xdr:row>", drawing).group(1))


def _pages_tall(ws) -> int:
    """Pages tall the sheet is fitted to: openpyxl leaves the default (1) as None."""
    return 1 if ws.page_setup.fitToHeight is None else ws.page_setup.fitToHeight


def test_print_setup(ref_built):
    data, _, plain, with_result = ref_built
    for path in (plain, with_result):
        wb = openpyxl.load_workbook(path)
        for name in wb.sheetnames:
            ws = wb[name]
            assert ws.page_setup.paperSize == 9, name                  # A4
            if name == "Tổng hợp":     # a fixed scale (below), so a manual break holds
                continue
            assert ws.sheet_properties.pageSetUpPr.fitToPage is True, name
            assert ws.page_setup.fitToWidth in (None, 1), name       # one page wide
            if name != "Nhật ký gộp":  # the log grows below its header: no fixed print area
                assert ws.print_area, name
        # Every sheet but the summary and the log fits one page (the guide, the conference,
        # each unit sheet, the criteria and the configuration of the reference bloc).
        assert {name: _pages_tall(wb[name]) for name in wb.sheetnames if name != "Tổng hợp"} \
            == {**{name: 1 for name in wb.sheetnames if name != "Tổng hợp"}, "Nhật ký gộp": 0}
        for unit in data.bloc.units:
            ws = wb[unit.code]
            header = _header_row(ws, L.UNIT_REQUIRED_COLUMNS)
            assert ws.print_title_rows == f"${header}:${header}"
            assert ws.page_setup.orientation == "landscape"
            # The print area ends exactly at the result block's last row, Lý do.
            last = _label_cell(ws, "Lý do").row
            assert ws.print_area == f"'{unit.code}'!$A$1:$H${last}"
        # Tổng hợp: the table on the first page, the chart alone on the next (a break right
        # above it, one blank row below the table); no header repeated over the chart.
        summary = wb["Tổng hợp"]
        header = _header_row(summary, L.SUMMARY_REQUIRED_COLUMNS)
        assert not summary.sheet_properties.pageSetUpPr.fitToPage
        assert summary.print_title_rows is None
        chart_row = _chart_anchor_row(path)
        assert chart_row == header + 15 + 1
        assert [b.id for b in summary.row_breaks.brk] == [chart_row]
    # With results the table fits the page width (59 %); without, its rows are kept tall
    # for the reasons to come and it is shrunk further to stay on its page.
    assert openpyxl.load_workbook(with_result)["Tổng hợp"].page_setup.scale == 59
    assert openpyxl.load_workbook(plain)["Tổng hợp"].page_setup.scale == 51


def test_reason_rows_fit_their_text(ref_built):
    data, result, plain, with_result = ref_built
    built = openpyxl.load_workbook(with_result)
    empty = openpyxl.load_workbook(plain)
    # Unit sheets: Lý do is the merged C:H cell (95 characters wide), bold.  A 137-character
    # reason takes 2 lines, the 201-character one 3; built without a result, 3 lines wait.
    heights = {}
    for unit in result.units:
        row = _label_cell(built[unit.code], "Lý do").row
        assert built[unit.code][f"C{row}"].alignment.wrap_text is True
        heights[unit.code] = (len(unit.reason), built[unit.code].row_dimensions[row].height)
        assert empty[unit.code].row_dimensions[row].height == 48
    assert heights["HNCT"] == (137, 32.25)
    assert heights["HNKT"] == (201, 48)
    # Tổng hợp: Tên đơn vị, Trạng thái and Lý do wrap, with or without results (`thidua run`
    # writes into the built cells and keeps their format and height).
    for wb in (built, empty):
        ws = wb["Tổng hợp"]
        header = _header_row(ws, L.SUMMARY_REQUIRED_COLUMNS)
        cols = _columns(ws, header)
        for r in range(header + 1, header + 16):
            for title in ("Tên đơn vị", "Trạng thái", "Lý do"):
                assert ws.cell(r, cols[title]).alignment.wrap_text is True, (r, title)
    assert built["Tổng hợp"].column_dimensions["J"].width == pytest.approx(70.71, abs=0.01)
    ws = built["Tổng hợp"]
    header = _header_row(ws, L.SUMMARY_REQUIRED_COLUMNS)
    by_code = {ws.cell(r, 1).value: ws.row_dimensions[r].height
               for r in range(header + 1, header + 16)}
    # 2 lines for a usual reason (bold when proposed), 3 for the long ones.
    assert by_code["HNCT"] == 32.25 and by_code["HDY"] == 32.25
    assert by_code["HNKT"] == 48 and by_code["HVHNT"] == 48
    ws = empty["Tổng hợp"]
    assert {ws.row_dimensions[r].height for r in range(header + 1, header + 16)} == {48}


def test_text_lines_follow_the_font_metrics():
    from thidua_xl.workbook.build import _line_height, _wrapped_lines

    reason = ("Xếp hạng 15/15, 83,0 điểm, hoàn thành tốt nhiệm vụ; không đủ điều kiện khen "
              "thưởng vì xếp loại chưa đạt mức tối thiểu “Hoàn thành xuất sắc nhiệm vụ”.")
    # As LibreOffice wraps it: 3 lines in a 60-wide column, 2 in a 95-wide one.
    assert _wrapped_lines(reason, 60) == 3
    assert _wrapped_lines(reason, 95) == 2
    assert _wrapped_lines("Hội Người cao tuổi tỉnh", 25) == 1
    assert _wrapped_lines("Hội Người cao tuổi tỉnh", 20) == 2
    assert _wrapped_lines("W" * 30, 10) == 6            # 340 pt cut mid-word into 58-pt lines
    assert _wrapped_lines("Dòng một\nDòng hai", 40) == 2
    # Bold text is wider: this line fits regular, not bold.
    line = "Xếp hạng 4/15, 103,5 điểm, hoàn thành xuất sắc nhiệm vụ; đề nghị tặng"
    assert (_wrapped_lines(line, 64), _wrapped_lines(line, 64, bold=True)) == (1, 2)
    assert _line_height("Hội Người cao tuổi tỉnh", 25) is None        # one line: default
    assert _line_height("Hội Người cao tuổi tỉnh", 25, min_lines=2) == 32
    assert _line_height(reason, 60) == 48


def _long_round(n_long: int) -> RoundInput:
    """The small bloc with section A split into ``n_long`` criteria of 0.25 point whose text
    takes 3 lines, so each unit sheet runs over two pages."""
    from thidua_xl.definition import bloc_to_dict

    data = bloc_to_dict(load_bloc(SMALL))
    text = ("Tổ chức thực hiện, kiểm tra, đôn đốc, sơ kết và tổng kết nhiệm vụ chuyên môn "
            "được giao trong năm theo kế hoạch của Khối, nội dung số {i}")
    data["sections"][0]["max_points"] = Decimal("0.25") * n_long
    data["scoring"]["base_points"] = Decimal("0.25") * n_long + Decimal("3.5")
    data["criteria"] = [{"code": f"A.{i}", "section": "A", "text": text.format(i=i),
                         "max_points": Decimal("0.25")} for i in range(1, n_long + 1)] + [
        c for c in data["criteria"] if c["section"] != "A"]
    return RoundInput(bloc=bloc_from_dict(data, "dai.toml"), scores=())


def test_a_long_unit_sheet_is_fitted_to_the_pages_it_fills(tmp_path):
    # 21 criteria of 3 lines fill 2.2 pages at the page width: squeezed onto 2 pages rather
    # than leaving a third page with a few rows; 12 fill 1.5 pages: 2 pages, unsqueezed;
    # 6 fill 1.1 pages: squeezed onto one.
    for n_long, pages in ((21, 2), (12, 2), (6, 1)):
        out = build_workbook(_long_round(n_long), tmp_path / f"dai-{n_long}.xlsx")
        ws = openpyxl.load_workbook(out)["DV1"]
        assert _pages_tall(ws) == pages, n_long


def test_chart_of_totals_by_unit(ref_built):
    _, _, plain, _ = ref_built
    with zipfile.ZipFile(plain) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
        drawing_rels = zf.read("xl/drawings/_rels/drawing1.xml.rels").decode()
        sheet2_rels = zf.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
    assert "<c:barChart>" in chart and '<c:barDir val="bar"/>' in chart
    assert "<c:f>'Tổng hợp'!$A$14:$A$28</c:f>" in chart      # unit codes
    assert "<c:f>'Tổng hợp'!$D$14:$D$28</c:f>" in chart      # Tổng điểm
    assert "Tổng điểm thi đua năm 2021" in chart
    assert "../charts/chart1.xml" in drawing_rels
    assert "drawing1.xml" in sheet2_rels                      # on sheet 2 = Tổng hợp


def test_nominee_rows_highlight_from_the_proposal_column(ref_built):
    _, _, plain, _ = ref_built
    ws = openpyxl.load_workbook(plain)["Tổng hợp"]
    header = _header_row(ws, L.SUMMARY_REQUIRED_COLUMNS)
    proposal = openpyxl.utils.get_column_letter(_columns(ws, header)["Đề nghị"])
    rules = [(str(rng.sqref), r) for rng in ws.conditional_formatting for r in rng.rules]
    assert len(rules) == 1
    sqref, rule = rules[0]
    assert sqref == f"A{header + 1}:J{header + 15}"
    assert rule.type == "expression"
    assert rule.formula == [f"LEN(TRIM(${proposal}{header + 1}))>0"]
    assert rule.dxf.fill.bgColor.rgb.endswith("C6EFCE")


# ----------------------------------------------------------------------------- values

def test_data_fills_the_input_cells_exactly(ref_built):
    data, _, plain, _ = ref_built
    wb = openpyxl.load_workbook(plain)
    ws = wb["HCTD"]
    rows = _unit_rows(ws)
    assert ws[f"D{rows['I.2']}"].value == 19.5
    assert ws[f"E{rows['I.2']}"].value == 18.5
    assert ws[f"G{rows['I.2']}"].value == "Báo cáo tổng kết năm 2021 của Hội"
    assert ws[f"E{rows['I.1']}"].value is None
    n = rows["I.2"]

    def number(ref):    # the score read as the engine reads it, whatever Excel's locale
        return (f'IF(ISNUMBER({ref}),{ref},IFERROR(_xlfn.NUMBERVALUE(SUBSTITUTE(TRIM({ref}),'
                f'",","."),".",","),0))')

    assert ws[f"F{n}"].value == (f'=IF(AND(TRIM(D{n})="",TRIM(E{n})=""),"",'
                                 f'IF(TRIM(E{n})="",{number(f"D{n}")},{number(f"E{n}")}))')
    assert ws[f"I{n}"].value == f"={number(f'D{n}')}"
    lines = [rows[c.code] for c in data.bloc.criteria_of("I")]
    first, last = min(lines), max(lines)
    assert ws[f"D{rows['I']}"].value == f"=SUM(I{first}:I{last})"   # self subtotal: helper
    assert ws[f"F{rows['I']}"].value == f"=SUM(F{first}:F{last})"
    entries = {(e.unit, e.criterion): e for e in data.scores}
    for code in ("HNCT", "HNKT"):
        sheet = wb[code]
        for crit, row in _unit_rows(sheet).items():
            e = entries.get((code, crit))
            if e is None:
                continue
            assert _num(sheet[f"D{row}"].value) == (e.self_score and Decimal(e.self_score)), crit
    rv = wb["Bình xét"]
    header = _header_row(rv, ["Mã đơn vị", "Kỷ luật"])
    table = {rv.cell(r, 1).value: [rv.cell(r, c).value for c in (3, 4, 5)]
             for r in range(header + 1, header + 16)}
    assert table["HDY"] == ["x", None, None]
    assert table["HCTD"] == [None, 13, None]
    assert table["HNCT"] == [None, None, 15]
    assert _label_value(rv, "Ngày họp") == dt.datetime(2022, 1, 14)
    assert _label_value(rv, "Địa điểm") == \
        "Hội trường Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh"
    for label, value in (("Số thành viên", 15), ("Số phiếu phát ra", 15),
                         ("Số phiếu hợp lệ", 15)):
        assert _label_value(rv, label) == value
    assert _label_value(rv, "Chủ trì") is None


def test_cached_totals_equal_the_engine(ref_built):
    """Every formula's cached value (what Protected View shows) is the engine's number."""
    data, result, plain, with_result = ref_built
    for path in (plain, with_result):
        wb = openpyxl.load_workbook(path, data_only=True)
        for unit in result.units:
            ws = wb[unit.code]
            assert _num(_label_value(ws, "Tổng điểm")) == unit.total, unit.code
            assert _num(_label_value(ws, "Tổng điểm tự chấm")) == unit.self_total, unit.code
            rows = _unit_rows(ws)
            for section, value in unit.section_totals.items():
                assert _num(ws[f"F{rows[section]}"].value) == value, (unit.code, section)
            for line in unit.lines:
                assert _num(ws[f"F{rows[line.criterion]}"].value) == line.official
            for line in unit.lines:          # the hidden helper: self scores as numbers
                assert _num(ws[f"I{rows[line.criterion]}"].value) == (line.self_score or 0)


def test_summary_totals_are_values_built_without_a_result(ref_built):
    """Tổng hợp is the result sheet: Tự chấm and Tổng điểm are the engine's totals written
    as values, not formulas linking to the unit sheets."""
    _, result, plain, _ = ref_built
    summary = openpyxl.load_workbook(plain)["Tổng hợp"]
    header = _header_row(summary, L.SUMMARY_REQUIRED_COLUMNS)
    for i, unit in enumerate(result.units, start=header + 1):
        assert summary[f"A{i}"].value == unit.code
        assert summary[f"C{i}"].data_type == "n" and summary[f"D{i}"].data_type == "n"
        assert _num(summary[f"C{i}"].value) == unit.self_total
        assert _num(summary[f"D{i}"].value) == unit.total
        assert summary[f"E{i}"].value is None                 # no rank until `thidua run`


def test_result_fills_summary_and_unit_result_blocks(ref_built, expected):
    data, result, _, with_result = ref_built
    wb = openpyxl.load_workbook(with_result)
    summary = wb["Tổng hợp"]
    header = _header_row(summary, L.SUMMARY_REQUIRED_COLUMNS)
    cols = _columns(summary, header)
    by_code = {u["code"]: u for u in expected["units"]}
    short = {"emulation_flag": "Cờ thi đua", "certificate_of_merit": "Bằng khen", None: None}
    for r in range(header + 1, header + 16):
        code = summary.cell(r, 1).value
        want = by_code[code]
        assert summary.cell(r, cols["Tổng điểm"]).value == want["total"]
        assert summary.cell(r, cols["Tự chấm"]).value == want["self_total"]
        assert summary.cell(r, cols["Xếp hạng"]).value == want["rank"]
        assert summary.cell(r, cols["Xếp loại"]).value == want["grade"]
        assert summary.cell(r, cols["Đề nghị"]).value == short[want["award"]]
        assert summary.cell(r, cols["Lý do"]).value == result.unit(code).reason
    assert _label_value(summary, "Chỉ tiêu Cờ thi đua") == 2
    assert _label_value(summary, "Chỉ tiêu Bằng khen") == 5
    assert _label_value(summary, "Trưởng khối năm sau") == "Hội Nhà báo tỉnh (HNB)"
    assert _label_value(summary, "Phó Trưởng khối năm sau") == \
        "Hội Liên hiệp thanh niên Việt Nam tỉnh (HLHTN)"
    assert _label_value(summary, "Hội nghị đủ số thành viên") == "Có"
    assert _label_value(summary, "Trạng thái tính") == \
        "Đã tính lúc 14/01/2022 10:30 — 15 đơn vị, 0 lỗi"
    assert _label_value(summary, "Tính lúc") == "14/01/2022 10:30"
    ws = wb["HNB"]
    assert _label_value(ws, "Xếp hạng") == by_code["HNB"]["rank"]
    assert _label_value(ws, "Xếp loại") == "HTXSNV"
    assert _label_value(ws, "Đề nghị") == "Cờ thi đua"
    assert _label_value(ws, "Lý do") == result.unit("HNB").reason
    # Without a result the same cells wait for `thidua run`.
    plain = openpyxl.load_workbook(ref_built[2])
    assert _label_value(plain["Tổng hợp"], "Trạng thái tính") == "Chưa tính"
    assert _label_value(plain["Tổng hợp"], "Chỉ tiêu Bằng khen") == 5
    assert _label_value(plain["HNB"], "Xếp hạng") is None


def test_small_bloc_caps_and_quarter_steps_cached(tmp_path):
    data = _small_round()
    result = review(data)
    assert [u.total for u in result.units] == [Decimal("7.75"), 0, Decimal("5.0")]
    assert [u.self_total for u in result.units] == [Decimal("8.25"), 0, Decimal("8.25")]
    out = build_workbook(data, tmp_path / "nho.xlsx")
    wb = openpyxl.load_workbook(out, data_only=True)
    for unit in result.units:
        assert _num(_label_value(wb[unit.code], "Tổng điểm")) == unit.total
        assert _num(_label_value(wb[unit.code], "Tổng điểm tự chấm")) == unit.self_total
    ws = openpyxl.load_workbook(out)["DV3"]
    rows = _unit_rows(ws)
    assert ws[f"D{rows['A.1']}"].value == 4.25           # "4,25" typed → the number
    assert ws[f"E{rows['B.1']}"].value == 0.25
    formula = _label_value(ws, "Tổng điểm")
    s = {code: rows[code] for code in ("A", "B", "T", "TR")}
    assert formula == (f"=ROUND(MAX(0,(F{s['A']}+F{s['B']})+MIN(F{s['T']},2.5)"
                       f"-MIN(F{s['TR']},3.75)),6)")
    assert _dv_for(ws, f"D{rows['A.2']}").formula2 == "2.25"


def test_text_that_is_not_a_number_counts_zero(tmp_path):
    bloc = load_bloc(SMALL)
    data = _small_round(bloc)
    data = RoundInput(bloc=bloc, scores=data.scores + (
        ScoreEntry("DV1", "B.1", "ba phẩy hai lăm"),))
    out = build_workbook(data, tmp_path / "sai.xlsx")
    ws = openpyxl.load_workbook(out, data_only=True)["DV1"]
    rows = _unit_rows(ws)
    assert ws[f"D{rows['B.1']}"].value == "ba phẩy hai lăm"
    assert _num(_label_value(ws, "Tổng điểm tự chấm")) == Decimal("5.0")  # 8.25 − 3.25


# ----------------------------------------------------------------------------- LibreOffice

def _assert_recalculated_totals(built: Path, result, tmp_path: Path) -> None:
    office.require_soffice()
    recalculated = office.recalc_xlsx(built, tmp_path / "lo")
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    for unit in result.units:
        ws = wb[unit.code]
        assert _num(_label_value(ws, "Tổng điểm")) == unit.total, unit.code
        assert _num(_label_value(ws, "Tổng điểm tự chấm")) == unit.self_total, unit.code
    summary = wb["Tổng hợp"]
    header = _header_row(summary, L.SUMMARY_REQUIRED_COLUMNS)
    for i, unit in enumerate(result.units, start=header + 1):
        assert _num(summary[f"D{i}"].value) == unit.total, unit.code


def test_libreoffice_recalculation_gives_the_engine_totals(ref_built, tmp_path):
    _, result, plain, _ = ref_built
    _assert_recalculated_totals(plain, result, tmp_path)


def test_libreoffice_recalculation_with_caps_and_quarter_steps(tmp_path):
    data = _small_round()
    out = build_workbook(data, tmp_path / "nho.xlsx")
    _assert_recalculated_totals(out, review(data), tmp_path)


def test_libreoffice_reads_scores_typed_as_text_as_the_engine(tmp_path):
    """Scores typed as text after the build — "24,5" (decimal comma) as a self score, " 9.5 "
    (point, spaces) as an assessed score — count as those numbers in the unit sheet's
    formulas once LibreOffice recalculates, exactly as the engine reads them."""
    from blocs import entries, tiny_bloc
    from thidua_xl.workbook.read import read_round
    from thidua_xl.workbook.sources import CalamineSource
    from thidua_xl.xlsxpatch import patch_cells

    bloc = tiny_bloc(3)
    built = build_workbook(RoundInput(bloc=bloc, scores=tuple(entries(bloc, {"U1": {}}))),
                           tmp_path / "so.xlsx")
    rows = _unit_rows(openpyxl.load_workbook(built)["U1"])
    book = tmp_path / "go-chu.xlsx"
    book.write_bytes(patch_cells(built.read_bytes(), {"U1": {f"D{rows['I.1']}": "24,5",
                                                             f"E{rows['II.2']}": " 9.5 "}}))
    typed = openpyxl.load_workbook(book)["U1"]
    assert (typed[f"D{rows['I.1']}"].data_type, typed[f"E{rows['II.2']}"].data_type) == ("s", "s")

    unit = review(read_round(CalamineSource(book)).round_input).unit("U1")
    # I.1 24.5 + I.2 30 + II.1 20 + II.2 9.5 (assessed); self: 24.5 + 30 + 20 + 20.
    assert (unit.total, unit.self_total) == (Decimal("84"), Decimal("94.5"))

    office.require_soffice()
    ws = openpyxl.load_workbook(office.recalc_xlsx(book, tmp_path / "lo"), data_only=True)["U1"]
    assert _num(_label_value(ws, "Tổng điểm")) == unit.total
    assert _num(_label_value(ws, "Tổng điểm tự chấm")) == unit.self_total
    assert _num(ws[f"F{rows['I.1']}"].value) == Decimal("24.5")
    assert _num(ws[f"F{rows['II.2']}"].value) == Decimal("9.5")
    assert _num(ws[f"D{rows['I']}"].value) == Decimal("54.5")        # self subtotal of I


def _pdf_pages(path: Path, outdir: Path) -> list[str]:
    """Text of each page of the workbook printed by LibreOffice, whitespace collapsed."""
    pdf = office.convert(path, "pdf", outdir)
    pages = office.pdf_text(pdf).split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    assert len(pages) == office.pdf_pages(pdf)
    return [" ".join(p.split()) for p in pages]


def _assert_summary_pages(table: str, chart: str, result) -> None:
    """`Tổng hợp` printed on two pages: every row of the table on the first, the chart alone
    on the second (no repeated header, no row)."""
    for unit in result.units:
        row = f"{unit.code} {unit.name.split()[0]}"      # code, then the name's first word
        assert row in table, unit.code
        assert row not in chart, unit.code
    assert chart.startswith("Tổng điểm thi đua năm 2021"), chart[:80]
    assert "Mã đơn vị" not in chart and "Lý do" not in chart


def _assert_reference_print(pages: list[str], result) -> None:
    """The reference workbook printed: guide 1 page, Tổng hợp 2 (the whole table, then the
    chart alone), Bình xét 1, each of the 15 unit sheets 1, Tiêu chí 1, Cấu hình 1, Nhật ký
    gộp 1."""
    assert len(pages) == 1 + 2 + 1 + 15 + 1 + 1 + 1
    assert pages[0].startswith("HƯỚNG DẪN SỬ DỤNG SỔ CHẤM ĐIỂM")
    assert pages[0].split(" Trang ")[0].endswith("phần mềm dựa vào chúng để đọc sổ.")
    assert pages[1].startswith("TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM")
    _assert_summary_pages(pages[1], pages[2], result)
    assert pages[3].startswith("HỘI NGHỊ TỔNG KẾT")
    for page, unit in zip(pages[4:19], result.units):
        assert page.startswith("BẢNG TỰ CHẤM ĐIỂM THI ĐUA NĂM 2021"), unit.code
        assert f"Mã đơn vị: {unit.code}" in page, unit.code
        # The whole sheet is on its page, down to the reason, whole.
        assert "Tổng điểm tự chấm" in page and unit.reason in page, unit.code
    for unit in result.units:        # every reason whole on the table's page
        assert unit.reason in pages[1], unit.code
    assert pages[19].startswith("BẢNG TIÊU CHÍ CHẤM ĐIỂM")
    assert pages[20].startswith("CẤU HÌNH KHỐI THI ĐUA")
    assert pages[21].startswith("Thời gian Tệp")


@pytest.mark.needs_office
def test_libreoffice_prints_each_unit_sheet_on_one_page(ref_built, tmp_path):
    _, result, _, with_result = ref_built
    pages = _pdf_pages(with_result, tmp_path / "pdf")
    _assert_reference_print(pages, result)
    assert not [u.code for u in result.units if u.reason[:20] in pages[2]]


@pytest.mark.needs_office
def test_libreoffice_prints_the_summary_table_on_one_page_built_without_a_result(ref_built,
                                                                                tmp_path):
    # Rows kept 3 lines high for the reasons to come: the 15-row table is shrunk onto its
    # page instead of leaving 2 rows to the chart's page.
    _, result, plain, _ = ref_built
    pages = _pdf_pages(plain, tmp_path / "pdf")
    assert len(pages) == 1 + 2 + 1 + 15 + 1 + 1 + 1
    assert pages[1].startswith("TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM")
    _assert_summary_pages(pages[1], pages[2], result)


@pytest.mark.needs_office
def test_libreoffice_prints_reasons_written_later_whole(ref_built, tmp_path):
    # `thidua run` on a workbook built without results: the reasons it writes wrap in the
    # cells built for them, and the pages are the same.
    from thidua_xl.workbook.read import read_round
    from thidua_xl.workbook.sources import CalamineSource
    from thidua_xl.workbook.write import write_results

    _, result, plain, _ = ref_built
    book = tmp_path / "khoi.xlsx"
    book.write_bytes(plain.read_bytes())
    wround = read_round(CalamineSource(book))
    write_results(book, review(wround.round_input), wround, when=NOW, backups=0)
    _assert_reference_print(_pdf_pages(book, tmp_path / "pdf"), result)


@pytest.mark.needs_office
def test_libreoffice_prints_a_long_unit_sheet_on_the_pages_it_is_fitted_to(tmp_path):
    out = build_workbook(_long_round(21), tmp_path / "dai.xlsx")
    pages = _pdf_pages(out, tmp_path / "pdf")
    first = next(i for i, p in enumerate(pages) if p.startswith("BẢNG TỰ CHẤM ĐIỂM"))
    last = next(i for i, p in enumerate(pages) if p.startswith("BẢNG TIÊU CHÍ CHẤM ĐIỂM"))
    units = pages[first:last]
    assert len(units) == 3 * 2                      # DV1, DV2, DV3: two pages each
    for i, code in enumerate(("DV1", "DV2", "DV3")):
        head, tail = units[2 * i], units[2 * i + 1]
        assert head.startswith("BẢNG TỰ CHẤM ĐIỂM") and f"Mã đơn vị: {code}" in head
        # The second page carries the repeated header, criteria and the result block.
        assert tail.startswith("Mã Tiêu chí") and "A.21" in tail and "Lý do" in tail


# ----------------------------------------------------------------------------- files

def test_refuses_to_overwrite_an_existing_file(tmp_path):
    data = _small_round()
    out = tmp_path / "so.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(WorkbookError) as info:
        build_workbook(data, out)
    assert "đã tồn tại" in str(info.value)
    assert out.read_bytes() == b"old"
    build_workbook(data, out, overwrite=True)
    assert openpyxl.load_workbook(out).sheetnames[0] == "Hướng dẫn"
    backups = [p for p in tmp_path.iterdir() if ".backup-" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == b"old"


def test_suffix_decides_macros(tmp_path):
    data = _small_round()
    with pytest.raises(ValueError):
        build_workbook(data, tmp_path / "so.xls")
    with pytest.raises(ValueError):
        build_workbook(data, tmp_path / "so.xlsx", macros=True)
    assert not (tmp_path / "so.xlsx").exists()
    plain = build_workbook(data, tmp_path / "so2.xlsx")
    with zipfile.ZipFile(plain) as zf:
        assert "xl/vbaProject.bin" not in zf.namelist()


def test_xlsm_has_project_and_buttons(tmp_path):
    data = _small_round()
    out = build_workbook(data, tmp_path / "so.xlsm")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        types = zf.read("[Content_Types].xml").decode()
        vml = {n: zf.read(n).decode() for n in names if n.endswith(".vml")}
    assert "xl/vbaProject.bin" in names
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    macros = sorted(m for text in vml.values() for m in
                    __import__("re").findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", text))
    assert macros == sorted(["TinhDiem", "XetKhenThuong", "XuatBaoCao", "GopFile",
                             "KiemTraSheet", "KiemTraSheet", "KiemTraSheet"])
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb.sheetnames == [*L.sheet_order(data.bloc), "xlwings.conf"]
    guide = " ".join(str(c.value) for row in wb["Hướng dẫn"].iter_rows() for c in row if c.value)
    assert "“Tính điểm”" in guide and "“Kiểm tra sheet này”" in guide


def test_password_protects_sheets_and_is_stored_nowhere(tmp_path):
    import dataclasses

    bloc = load_bloc(SMALL)
    bloc = dataclasses.replace(bloc, workbook=WorkbookSettings(password="MatKhau#2024"))
    out = build_workbook(_small_round(bloc), tmp_path / "khoa.xlsx")
    wb = openpyxl.load_workbook(out)
    assert all(ws.protection.sheet and ws.protection.password for ws in wb.worksheets)
    with zipfile.ZipFile(out) as zf:
        assert not any(b"MatKhau" in zf.read(n) for n in zf.namelist())


def test_configuration_sheets_carry_the_whole_definition(tmp_path):
    """Cấu hình + Tiêu chí read back cell by cell rebuild the Bloc exactly."""
    bloc = load_bloc(SMALL)
    out = build_workbook(_small_round(bloc), tmp_path / "so.xlsx")
    wb = openpyxl.load_workbook(out)

    def table(ws, titles):
        row = _header_row(ws, titles)
        cols = _columns(ws, row)
        out = []
        for r in range(row + 1, ws.max_row + 1):
            if ws.cell(r, 1).value is None:
                break
            out.append(tuple(ws.cell(r, cols[t]).value for t in titles))
        return out

    config, crit = wb["Cấu hình"], wb["Tiêu chí"]
    data = L.config_dict(table(config, L.CONFIG_COLUMNS), table(config, L.UNITS_COLUMNS),
                         table(config, L.GRADES_COLUMNS), table(crit, L.SECTION_COLUMNS),
                         table(crit, L.CRITERION_COLUMNS))
    assert bloc_from_dict(data, "Cấu hình") == bloc
    values = dict((k, v) for k, v, _ in table(config, L.CONFIG_COLUMNS))
    assert values["scoring.step"] == 0.25 and values["review.quorum"] == "3/4"
    kinds = [row[2] for row in table(crit, L.SECTION_COLUMNS)]
    assert kinds == ["Tiêu chí chuẩn", "Tiêu chí chuẩn", "Điểm thưởng", "Điểm trừ"]
    assert [row[4] for row in table(crit, L.CRITERION_COLUMNS)] == \
        [None, "x", None, None, None, None, None]


def test_fonts_are_times_new_roman(ref_built):
    _, _, plain, _ = ref_built
    wb = openpyxl.load_workbook(plain)
    fonts = {c.font.name for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None}
    assert fonts == {"Times New Roman"}


def test_result_build_carries_the_input_checksum(ref_built):
    write = pytest.importorskip("thidua_xl.workbook.write")
    data, _, plain, with_result = ref_built
    summary = openpyxl.load_workbook(with_result)["Tổng hợp"]
    assert _label_value(summary, "Mã kiểm tra dữ liệu") == write.input_checksum(data)
    assert _label_value(summary, "Phiên bản thidua_xl") == __import__("thidua_xl").__version__
    assert _label_value(openpyxl.load_workbook(plain)["Tổng hợp"], "Mã kiểm tra dữ liệu") is None
