"""thidua_xl.xlsxpatch: cell patches that leave every other part of a user's workbook intact."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import warnings
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.worksheet.formula
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import xlsxwriter
from lxml import etree
from pyopenvba import check_file
from python_calamine import CalamineWorkbook

from thidua_xl.errors import WorkbookError
from thidua_xl.xlsxpatch import patch_cells

from xlsxpatch import xlsxpatch_builders as builders   # tests/ is on sys.path (setup.cfg)

SCORES, CONFIG = builders.SCORES, builders.CONFIG
SHEET1 = "xl/worksheets/sheet1.xml"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
# A patch that overwrites no formula cell: new number, exact Decimal, text, bool, date, clear.
PLAIN_CHANGES = {SCORES: {"G2": 27.75, "G3": Decimal("26.50"), "G4": "Chưa đủ điểm",
                          "F3": False, "B9": dt.date(2025, 6, 2), "F4": None}}


# --------------------------------------------------------------------------- fixtures / helpers

@pytest.fixture(scope="module")
def xw_book(tmp_path_factory) -> bytes:
    return builders.build_xlsxwriter_book(tmp_path_factory.mktemp("xw") / "thidua.xlsm").read_bytes()


@pytest.fixture(scope="module")
def po_book(tmp_path_factory) -> bytes:
    return builders.build_pyopenvba_book(tmp_path_factory.mktemp("po") / "thidua.xlsm").read_bytes()


@pytest.fixture(scope="module")
def xw_patched(xw_book) -> bytes:
    return patch_cells(xw_book, PLAIN_CHANGES)


def _parts(data: bytes) -> dict[str, bytes]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return {name: zf.read(name) for name in zf.namelist()}


def _changed(before: bytes, after: bytes) -> set[str]:
    a, b = _parts(before), _parts(after)
    return {name for name in a.keys() | b.keys() if a.get(name) != b.get(name)}


def _load(data: bytes, **kw) -> openpyxl.Workbook:
    with warnings.catch_warnings():          # openpyxl warns about the x14 validation
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(io.BytesIO(data), **kw)


def _plain(value: object) -> object:
    if isinstance(value, openpyxl.worksheet.formula.ArrayFormula):
        return ("array", value.ref, value.text)
    return value


def _values(data: bytes) -> dict[tuple[str, str], object]:
    """Every non-empty cell of every sheet, as openpyxl reads it (formulas as text)."""
    wb = _load(data)
    return {(ws.title, cell.coordinate): _plain(cell.value)
            for ws in wb.worksheets for row in ws.iter_rows() for cell in row
            if cell.value is not None}


def _sheet_xml(data: bytes, part: str = SHEET1) -> etree._Element:
    return etree.fromstring(_parts(data)[part])


def _element(data: bytes, xpath: str, part: str = SHEET1) -> bytes:
    found = _sheet_xml(data, part).xpath(xpath, namespaces=NS)
    assert len(found) == 1, xpath
    return etree.tostring(found[0])


# --------------------------------------------------------------------------- package preserved

def test_only_the_patched_sheet_and_workbook_xml_change(xw_book, xw_patched):
    assert _changed(xw_book, xw_patched) == {SHEET1, "xl/workbook.xml"}


def test_part_list_and_zip_entries_unchanged(xw_book, xw_patched):
    before = zipfile.ZipFile(io.BytesIO(xw_book)).infolist()
    after = zipfile.ZipFile(io.BytesIO(xw_patched)).infolist()
    assert [(i.filename, i.compress_type, i.date_time, i.external_attr) for i in after] == \
           [(i.filename, i.compress_type, i.date_time, i.external_attr) for i in before]


@pytest.mark.parametrize("part", [
    "xl/vbaProject.bin",                          # VBA project
    "xl/drawings/vmlDrawing1.vml",                # VML form button (+ comment)
    "xl/drawings/drawing1.xml",                   # DrawingML shape with a macro
    "xl/printerSettings/printerSettings1.bin",    # printer settings
    "xl/worksheets/_rels/sheet1.xml.rels",        # drawing / printer / VML relationships
    "xl/comments1.xml",
    "xl/sharedStrings.xml",
    "xl/tables/table1.xml",
    "xl/calcChain.xml",
])
def test_xlsxwriter_book_part_byte_identical(xw_book, xw_patched, part):
    assert _parts(xw_patched)[part] == _parts(xw_book)[part]


@pytest.mark.parametrize("part", [
    "xl/vbaProject.bin",
    "xl/drawings/vmlDrawing1.vml",               # form button's VML
    "xl/drawings/drawing1.xml",                  # button anchor + macro shape
    "xl/ctrlProps/ctrlProp1.xml",                # Excel 2010 form-control properties
    "xl/worksheets/_rels/sheet1.xml.rels",
])
def test_pyopenvba_book_part_byte_identical(po_book, part):
    patched = patch_cells(po_book, {"Sheet1": {"C3": 12.5, "A5": "Tổng"}})
    assert _parts(patched)[part] == _parts(po_book)[part]
    assert _changed(po_book, patched) == {SHEET1, "xl/workbook.xml"}


@pytest.mark.parametrize("xpath", [
    "m:dataValidations",                          # standard validations (Vietnamese message)
    "m:extLst",                                   # x14 cross-sheet list validation
    "m:sheetProtection",                          # password hash E5C2
    "m:pageSetup",                                # keeps r:id of the printer settings
    "m:drawing",                                  # shape with macro
    "m:legacyDrawing",                            # VML button + comment
    "m:conditionalFormatting",
    "m:mergeCells",
])
def test_sheet_element_kept(xw_book, xw_patched, xpath):
    assert _element(xw_patched, xpath) == _element(xw_book, xpath)


def test_pyopenvba_controls_block_kept(po_book):
    patched = patch_cells(po_book, {"Sheet1": {"C3": 12.5}})
    xpath = "mc:AlternateContent"
    ns = {"mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
    before = _sheet_xml(po_book).xpath(xpath, namespaces=ns)
    after = _sheet_xml(patched).xpath(xpath, namespaces=ns)
    assert len(before) == 1 and b'macro="[0]!TinhLai"' in etree.tostring(before[0])
    assert [etree.tostring(e) for e in after] == [etree.tostring(e) for e in before]


def test_defined_names_kept(xw_book, xw_patched):
    xpath = "m:definedNames"
    part = "xl/workbook.xml"
    assert _element(xw_patched, xpath, part) == _element(xw_book, xpath, part)
    wb = _load(xw_patched)
    assert wb.defined_names["NgayChot"].attr_text == f"'{CONFIG}'!$B$3"
    assert wb.defined_names["HeSo"].attr_text == "1.5"
    assert wb[SCORES].defined_names["VungDiem"].attr_text == f"'{SCORES}'!$C$2:$D$4"


def test_patched_file_passes_pyopenvba_check(xw_patched, tmp_path):
    target = tmp_path / "patched.xlsm"
    target.write_bytes(xw_patched)
    report = check_file(target)
    assert report.ok, report.issues


def test_patched_pyopenvba_file_passes_check(po_book, tmp_path):
    target = tmp_path / "patched.xlsm"
    target.write_bytes(patch_cells(po_book, {"Sheet1": {"C3": 12.5}}))
    report = check_file(target)
    assert report.ok, report.issues


# --------------------------------------------------------------------------- values read back

def test_openpyxl_reads_new_values_exactly(xw_patched):
    ws = _load(xw_patched)[SCORES]
    assert (ws["G2"].value, ws["G3"].value, ws["G4"].value) == (27.75, 26.5, "Chưa đủ điểm")
    assert ws["F3"].value is False
    assert ws["B9"].value == dt.datetime(2025, 6, 2)
    assert ws["F4"].value is None


def test_other_cells_unchanged(xw_book, xw_patched):
    targets = {(SCORES, ref) for ref in PLAIN_CHANGES[SCORES]}
    before = {k: v for k, v in _values(xw_book).items() if k not in targets}
    after = {k: v for k, v in _values(xw_patched).items() if k not in targets}
    assert after == before
    assert before[(SCORES, "E2")] == "=SUM(C2:D2)"
    assert before[(SCORES, "H2")] == ("array", "H2:H4", "=C2:C4*2")
    assert before[(SCORES, "B8")] == dt.datetime(2025, 5, 31)


def test_style_kept_on_overwritten_and_cleared_cells(xw_book, xw_patched):
    for ref in ("G2", "G3", "B9", "F4"):
        xpath = f"m:sheetData/m:row/m:c[@r='{ref}']/@s"
        assert _sheet_xml(xw_patched).xpath(xpath, namespaces=NS) == \
               _sheet_xml(xw_book).xpath(xpath, namespaces=NS)
    ws = _load(xw_patched)[SCORES]
    assert (ws["G2"].number_format, ws["B9"].number_format) == ("0.00", "dd/mm/yyyy")


def test_decimal_written_as_its_exact_text(xw_patched):
    assert _sheet_xml(xw_patched).xpath("m:sheetData/m:row/m:c[@r='G3']/m:v/text()",
                                        namespaces=NS) == ["26.50"]


def test_float_written_as_shortest_repr(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"G2": 0.1 + 0.2}})
    assert _sheet_xml(patched).xpath("m:sheetData/m:row/m:c[@r='G2']/m:v/text()",
                                     namespaces=NS) == ["0.30000000000000004"]
    assert _load(patched)[SCORES]["G2"].value == 0.1 + 0.2


def test_text_goes_inline_and_shared_strings_untouched(xw_book, xw_patched):
    cell = _sheet_xml(xw_patched).xpath("m:sheetData/m:row/m:c[@r='G4']", namespaces=NS)[0]
    assert cell.get("t") == "inlineStr"
    assert cell.xpath("m:is/m:t/text()", namespaces=NS) == ["Chưa đủ điểm"]
    assert _parts(xw_patched)["xl/sharedStrings.xml"] == _parts(xw_book)["xl/sharedStrings.xml"]


def test_overwriting_a_shared_string_cell(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"B2": "Sở Y tế tỉnh"}})
    assert _load(patched)[SCORES]["B2"].value == "Sở Y tế tỉnh"
    rows = CalamineWorkbook.from_filelike(io.BytesIO(patched)).get_sheet_by_name(SCORES).to_python()
    assert rows[1][1] == "Sở Y tế tỉnh" and rows[2][1] == "Sở Giáo dục"


TRICKY = '  Tổng <điểm> & "hạng" \'A\'\nDòng 2\t '


def test_text_escaping_and_whitespace_openpyxl(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"A12": TRICKY}})
    assert _load(patched)[SCORES]["A12"].value == TRICKY


def test_text_escaping_and_whitespace_calamine(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"A12": TRICKY}})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(patched)).get_sheet_by_name(SCORES).to_python()
    assert rows[11][0] == TRICKY


def test_characters_illegal_in_xml_are_removed(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"A12": "A\x00B\x07C\x1fD\ufffeE"}})
    assert _load(patched)[SCORES]["A12"].value == "ABCDE"


def test_literal_escape_sequence_survives(xw_book):
    """Text "_x0041_" is escaped as Excel does; calamine (like Excel) reads it back literally."""
    patched = patch_cells(xw_book, {SCORES: {"A12": "Mã_x0041_"}})
    assert _sheet_xml(patched).xpath("//m:c[@r='A12']/m:is/m:t/text()", namespaces=NS) == \
           ["Mã_x005F_x0041_"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(patched)).get_sheet_by_name(SCORES).to_python()
    assert rows[11][0] == "Mã_x0041_"


def test_text_looking_like_a_formula_stays_text(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"A12": "=1+1"}})
    cell = _sheet_xml(patched).xpath("m:sheetData/m:row/m:c[@r='A12']", namespaces=NS)[0]
    assert cell.find("m:f", NS) is None and cell.get("t") == "inlineStr"


def test_sheet_name_matched_case_insensitively(xw_book):
    patched = patch_cells(xw_book, {"điểm THI đua": {"G2": 1}})
    assert _load(patched)[SCORES]["G2"].value == 1


def test_second_sheet_patched_by_vietnamese_name(xw_book):
    patched = patch_cells(xw_book, {CONFIG: {"B3": dt.datetime(2025, 12, 31, 12, 0)}})
    assert _changed(xw_book, patched) == {"xl/worksheets/sheet2.xml", "xl/workbook.xml"}
    assert _load(patched)[CONFIG]["B3"].value == dt.datetime(2025, 12, 31, 12, 0)


def test_date_in_1904_workbook(tmp_path):
    target = tmp_path / "d1904.xlsx"
    wb = xlsxwriter.Workbook(str(target), {"date_1904": True})
    wb.add_worksheet("Ngày").write_blank("A1", None, wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    patched = patch_cells(target.read_bytes(), {"Ngày": {"A1": dt.date(2025, 6, 2)}})
    assert _load(patched)["Ngày"]["A1"].value == dt.datetime(2025, 6, 2)
    assert _sheet_xml(patched).xpath("//m:c[@r='A1']/m:v/text()", namespaces=NS) == ["44348"]   # 45810 - 1462


# --------------------------------------------------------------------------- sheet structure

def test_new_rows_and_cells_inserted_in_order(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"Z1": 1, "A5": "x", "A12": "y", "I8": 2, "A8": 3}})
    root = _sheet_xml(patched)
    assert [int(r) for r in root.xpath("m:sheetData/m:row/@r", namespaces=NS)] == \
           [1, 2, 3, 4, 5, 6, 8, 9, 12]
    assert root.xpath("m:sheetData/m:row[@r='8']/m:c/@r", namespaces=NS) == ["A8", "B8", "C8", "I8"]
    assert root.xpath("m:sheetData/m:row[@r='1']/m:c/@r", namespaces=NS)[-2:] == ["H1", "Z1"]


def test_spans_dropped_only_when_cell_outside(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"Z1": 1, "G2": 2}})
    root = _sheet_xml(patched)
    assert root.xpath("m:sheetData/m:row[@r='1']/@spans", namespaces=NS) == []
    assert root.xpath("m:sheetData/m:row[@r='2']/@spans", namespaces=NS) == ["1:8"]


def test_dimension_widened(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"Z1": 1, "B20": 2}})
    assert _sheet_xml(patched).xpath("m:dimension/@ref", namespaces=NS) == ["A1:Z20"]


def test_dimension_of_empty_sheet_set_to_written_cell(tmp_path):
    target = tmp_path / "empty.xlsx"
    wb = xlsxwriter.Workbook(str(target))
    wb.add_worksheet("Trống")
    wb.close()
    patched = patch_cells(target.read_bytes(), {"Trống": {"C4": 5}})
    assert _sheet_xml(patched).xpath("m:dimension/@ref", namespaces=NS) == ["C4"]
    assert _load(patched)["Trống"]["C4"].value == 5


def _small_book(tmp_path, edit_sheet=None, **options) -> bytes:
    """A one-sheet "Bảng" workbook, A1:B2 filled; ``edit_sheet(xml text) -> text`` rewrites it."""
    target = tmp_path / "small.xlsx"
    wb = xlsxwriter.Workbook(str(target), options)
    ws = wb.add_worksheet("Bảng")
    ws.set_column("D:D", 12, wb.add_format({"num_format": "0.000"}))
    ws.set_row(5, None, wb.add_format({"num_format": "0.0%"}))
    ws.write_row("A1", ["Mã", "Điểm"])
    ws.write_row("A2", ["SYT", 9.5])
    wb.close()
    data = target.read_bytes()
    if edit_sheet:
        data = _rewrite(data, lambda name, raw: edit_sheet(raw.decode()).encode()
                        if name == SHEET1 else None)
    return data


def test_new_cell_takes_the_column_style(tmp_path):
    patched = patch_cells(_small_book(tmp_path), {"Bảng": {"D3": 1.25}})
    assert _load(patched)["Bảng"]["D3"].number_format == "0.000"


def test_new_cell_takes_the_row_style(tmp_path):
    patched = patch_cells(_small_book(tmp_path), {"Bảng": {"B6": 0.5}})
    assert _load(patched)["Bảng"]["B6"].number_format == "0.0%"


def test_rows_and_cells_without_r_attribute(tmp_path):
    def strip_r(xml: str) -> str:
        for ref in ("A1", "B1", "A2", "B2"):
            xml = xml.replace(f' r="{ref}"', "")
        return xml.replace('<row r="1"', "<row").replace('<row r="2"', "<row")
    src = _small_book(tmp_path, strip_r)
    assert b' r="A1"' not in _parts(src)[SHEET1] and b'<row r="2"' not in _parts(src)[SHEET1]
    patched = patch_cells(src, {"Bảng": {"C2": 7, "B1": "Điểm mới"}})
    ws = _load(patched)["Bảng"]
    assert [[c.value for c in row] for row in ws["A1:C2"]] == [["Mã", "Điểm mới", None],
                                                                ["SYT", 9.5, 7]]


def test_prefixed_main_namespace_kept(tmp_path):
    """Some writers (OpenXML SDK) use <x:row>; new elements must not get a made-up prefix."""
    def prefix(xml: str) -> str:
        xml = xml.replace('xmlns="http://schemas', 'xmlns:x="http://schemas', 1)
        return re.sub(r"<(/?)([a-zA-Z])", r"<\1x:\2", xml)
    src = _small_book(tmp_path, prefix)
    assert b"<x:sheetData>" in _parts(src)[SHEET1]
    patched = patch_cells(src, {"Bảng": {"A9": "Ghi chú", "C1": 1}})
    xml = _parts(patched)[SHEET1].decode()
    assert '<x:row r="9"><x:c r="A9" t="inlineStr"><x:is><x:t>Ghi chú</x:t>' in xml
    assert "ns0" not in xml
    assert _load(patched)["Bảng"]["A9"].value == "Ghi chú"


def test_strict_open_xml_refused(tmp_path):
    src = _rewrite(_small_book(tmp_path), lambda name, raw: raw.replace(
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        b"http://purl.oclc.org/ooxml/spreadsheetml/main") if name == "xl/workbook.xml" else None)
    with pytest.raises(WorkbookError, match="Strict Open XML"):
        patch_cells(src, {"Bảng": {"A1": 1}})


def test_clearing_an_absent_cell_adds_nothing(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"Q40": None}})
    assert _sheet_xml(patched).xpath("//m:c[@r='Q40'] | //m:row[@r='40']", namespaces=NS) == []


def test_no_changes_returns_input(xw_book):
    assert patch_cells(xw_book, {SCORES: {}}) is xw_book


# --------------------------------------------------------------------------- calcPr / calcChain

def test_full_calc_on_load_set_and_calc_id_kept(xw_patched):
    calc = _sheet_xml(xw_patched, "xl/workbook.xml").find("m:calcPr", NS)
    assert (calc.get("calcId"), calc.get("fullCalcOnLoad")) == ("191029", "1")


def test_workbook_xml_untouched_when_full_calc_already_set(tmp_path):
    target = tmp_path / "calc.xlsx"
    wb = xlsxwriter.Workbook(str(target))        # XlsxWriter writes fullCalcOnLoad="1"
    wb.add_worksheet("A").write("A1", 1)
    wb.close()
    before = target.read_bytes()
    assert _changed(before, patch_cells(before, {"A": {"A1": 2}})) == {SHEET1}


def test_calc_pr_inserted_after_defined_names_when_missing(xw_book):
    def without_calc_pr(name, data):
        if name == "xl/workbook.xml":
            return data.replace(b'<calcPr calcId="191029"/>', b"")
        return None
    src = _rewrite(xw_book, without_calc_pr)
    assert b"calcPr" not in _parts(src)["xl/workbook.xml"]
    root = _sheet_xml(patch_cells(src, {SCORES: {"G2": 1}}), "xl/workbook.xml")
    names = [etree.QName(e).localname for e in root]
    assert names[names.index("definedNames") + 1] == "calcPr"
    assert root.find("m:calcPr", NS).get("fullCalcOnLoad") == "1"


def _rewrite(data: bytes, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            raw = src.read(info)
            dst.writestr(info, edit(info.filename, raw) or raw)
    return out.getvalue()


def test_calc_chain_kept_when_no_formula_overwritten(xw_book, xw_patched):
    assert "xl/calcChain.xml" in _parts(xw_patched)


def test_overwriting_formula_drops_calc_chain(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"E3": 30}})     # dependent of the shared formula
    parts = _parts(patched)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in parts["[Content_Types].xml"]
    assert set(_parts(xw_book)) - set(parts) == {"xl/calcChain.xml"}
    assert _changed(xw_book, patched) == {SHEET1, "xl/workbook.xml", "xl/calcChain.xml",
                                          "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}


def test_overwritten_formula_cell_holds_value_and_others_keep_formula(xw_book, tmp_path):
    patched = patch_cells(xw_book, {SCORES: {"E3": 30}})
    ws = _load(patched)[SCORES]
    assert (ws["E2"].value, ws["E3"].value, ws["E4"].value) == ("=SUM(C2:D2)", 30, "=SUM(C4:D4)")
    target = tmp_path / "f.xlsm"
    target.write_bytes(patched)
    assert check_file(target).ok


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("sheet, ref, where, words", [
    (SCORES, "E2", f"{SCORES}!E2", "công thức dùng chung"),
    (SCORES, "H2", f"{SCORES}!H2", "công thức mảng"),
    (SCORES, "H4", f"{SCORES}!H4", "công thức mảng"),
    (SCORES, "B6", f"{SCORES}!B6", "ô đã gộp"),
    (CONFIG, "E1", f"{CONFIG}!E1", "tiêu đề"),
])
def test_refuses_cells_that_must_not_be_overwritten(xw_book, sheet, ref, where, words):
    with pytest.raises(WorkbookError) as info:
        patch_cells(xw_book, {sheet: {ref: 1}})
    assert info.value.where == where
    assert words in info.value.message and where in info.value.message


def test_merged_top_left_cell_is_writable(xw_book):
    patched = patch_cells(xw_book, {SCORES: {"A6": "Ghi chú mới"}})
    assert _load(patched)[SCORES]["A6"].value == "Ghi chú mới"


def test_unknown_sheet_refused(xw_book):
    with pytest.raises(WorkbookError, match="Không tìm thấy trang tính «Kết quả»"):
        patch_cells(xw_book, {"Kết quả": {"A1": 1}})


@pytest.mark.parametrize("ref", ["7G", "A0", "XFE1", "A1:B2", ""])
def test_bad_reference_refused(xw_book, ref):
    with pytest.raises(WorkbookError, match="không phải địa chỉ của một ô"):
        patch_cells(xw_book, {SCORES: {ref: 1}})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_non_finite_number_refused(xw_book, value):
    with pytest.raises(WorkbookError, match="không phải là số hữu hạn"):
        patch_cells(xw_book, {SCORES: {"G2": value}})


def test_unsupported_type_is_a_type_error(xw_book):
    with pytest.raises(TypeError):
        patch_cells(xw_book, {SCORES: {"G2": [1, 2]}})


def test_one_refused_cell_refuses_the_whole_patch(xw_book):
    """G2 alone would be fine; the shared-formula master E2 beside it refuses the whole call."""
    with pytest.raises(WorkbookError):
        patch_cells(xw_book, {SCORES: {"G2": 1, "E2": 2}})


def test_not_a_zip_refused():
    with pytest.raises(WorkbookError, match="bị hỏng"):
        patch_cells(b"not a zip", {SCORES: {"A1": 1}})


# --------------------------------------------------------------------------- LibreOffice

def test_libreoffice_imports_patched_xlsm_with_button_and_shape(xw_patched, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("soffice (LibreOffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    src = tmp_path / "patched.xlsm"
    src.write_bytes(xw_patched)
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--norestore", "--convert-to", "ods", "--outdir", str(tmp_path / "out"),
                    str(src)], check=True, capture_output=True, timeout=180)
    content = zipfile.ZipFile(tmp_path / "out" / "patched.ods").read("content.xml").decode()
    assert 'form:label="Tính lại điểm"' in content                        # VML button
    assert "VBAProject.Module1.TinhLai" in content                          # bound to the macro
    assert 'draw:name="Nút Tính lại"' in content                            # DrawingML shape
    assert "Chưa đủ điểm" in content                                        # patched value


# --------------------------------------------------------------------------- property

_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",),
                                  blacklist_characters="\ufffe\uffff"), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_XML_TEXT.map(lambda s: "".join(ch for ch in s if ch in "\t\n\r" or ch >= " ")))
def test_any_legal_text_reads_back_exactly_in_calamine(tmp_path, text):
    patched = patch_cells(_small_book(tmp_path), {"Bảng": {"C5": text}})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(patched)).get_sheet_by_name("Bảng").to_python()
    assert rows[4][2] == text
