"""thidua_xl.vba: the VBA project, the xlwings.conf sheet and the buttons, checked on real files.

Every workbook is built here with XlsxWriter (small, Vietnamese sheet names) and read back
with pyOpenVBA's checker, lxml, olevba, openpyxl and LibreOffice (engineering-notes §2, "Recommended
test and build strategy").  No test opens Excel: that stays a manual check on Windows.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from oletools.olevba import VBA_Parser
from pyopenvba import ExcelFile, check_file

from office import require_soffice
from thidua_xl import vba
from thidua_xl.errors import WorkbookError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
V = "urn:schemas-microsoft-com:vml"
X = "urn:schemas-microsoft-com:office:excel"
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")

SUMMARY_BUTTONS = [("Tính điểm", "TinhDiem"), ("Xét khen thưởng", "XetKhenThuong"),
                   ("Xuất báo cáo Word", "XuatBaoCao"), ("Gộp file các đơn vị", "GopFile")]
UNIT_BUTTON = [("Kiểm tra sheet này", "KiemTraSheet")]
RUNPYTHON = {
    "TinhDiem": 'RunPython "import thidua_xl.macros as m; m.recompute()"',
    "XetKhenThuong": 'RunPython "import thidua_xl.macros as m; m.nominate()"',
    "XuatBaoCao": 'RunPython "import thidua_xl.macros as m; m.report()"',
    "GopFile": 'RunPython "import thidua_xl.macros as m; m.collect()"',
    "KiemTraSheet": 'RunPython "import thidua_xl.macros as m; m.check_sheet()"',
}
UNIT_HEADER = ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Khối chấm", "Minh chứng"]


# --------------------------------------------------------------------------- building inputs

def _content(wb: xlsxwriter.Workbook) -> tuple:
    """A small bloc workbook: `Tổng hợp`, units HNB and HCCB (protected, with a validation),
    `Cấu hình` (not a unit sheet), a comment and a defined name."""
    bold = wb.add_format({"bold": True, "border": 1})
    summary = wb.add_worksheet("Tổng hợp")
    summary.write_row(0, 0, ["Mã đơn vị", "Tên đơn vị", "Tự chấm", "Tổng điểm", "Xếp hạng",
                             "Xếp loại", "Đề nghị", "Lý do"], bold)
    summary.write_row(1, 0, ["HNB", "Hội Nông dân tỉnh", 95.5, "=HNB!D4"])
    summary.write_comment("A1", "Mã đơn vị theo định nghĩa khối")
    units = []
    for code in ("HNB", "HCCB"):
        sheet = wb.add_worksheet(code)
        sheet.write_row(2, 0, UNIT_HEADER, bold)
        sheet.write_row(3, 0, ["I.1", "Chấp hành chủ trương", 10, 9.5])
        sheet.data_validation("D4:D20", {"validate": "decimal", "criteria": "between",
                                         "minimum": 0, "maximum": 10,
                                         "error_message": "Điểm phải từ 0 đến 10"})
        sheet.protect("mk", {"format_cells": True})
        units.append(sheet)
    config = wb.add_worksheet("Cấu hình")
    config.write_row(0, 0, ["Năm", 2021])
    wb.define_name("NamXet", "='Cấu hình'!$B$1")
    return summary, units


def build_xlsm(path: Path, **install_args) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    summary, units = _content(wb)
    vba.install(wb, summary, "K2", [(sheet, "H1") for sheet in units], **install_args)
    wb.close()
    return path


def build_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    _content(wb)
    wb.close()
    return path


# --------------------------------------------------------------------------- reading outputs

def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rels(pkg: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    folder, _, name = part.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in pkg:
        return {}
    out = {}
    for rel in etree.fromstring(pkg[rels]).iter(f"{{{PKG}}}Relationship"):
        target = rel.get("Target")
        target = target[1:] if target.startswith("/") else \
            str(Path(folder, target)).replace("\\", "/")
        out[rel.get("Id")] = (rel.get("Type").rsplit("/", 1)[-1], _norm(target))
    return out


def _norm(path: str) -> str:
    stack: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            stack.pop()
        elif piece not in ("", "."):
            stack.append(piece)
    return "/".join(stack)


def sheets(pkg: dict[str, bytes]) -> list[tuple[str, str, str | None]]:
    """[(name, part, state)] in tab order."""
    rels = _rels(pkg, "xl/workbook.xml")
    root = etree.fromstring(pkg["xl/workbook.xml"])
    return [(s.get("name"), rels[s.get(f"{{{REL}}}id")][1], s.get("state"))
            for s in root.iter(f"{{{MAIN}}}sheet")]


def code_names_in(pkg: dict[str, bytes]) -> tuple[str, list[str]]:
    book = etree.fromstring(pkg["xl/workbook.xml"]).find(f"{{{MAIN}}}workbookPr").get("codeName")
    names = []
    for _, part, _ in sheets(pkg):
        pr = etree.fromstring(pkg[part]).find(f"{{{MAIN}}}sheetPr")
        names.append(pr.get("codeName") if pr is not None else None)
    return book, names


def buttons(pkg: dict[str, bytes]) -> dict[str, list[tuple[str, str]]]:
    """{sheet name: [(caption, macro of x:FmlaMacro)]} from each sheet's VML drawing."""
    found = {}
    for name, part, _ in sheets(pkg):
        found[name] = []
        for kind, target in _rels(pkg, part).values():
            if kind != "vmlDrawing":
                continue
            root = etree.fromstring(pkg[target])
            for shape in root.iter(f"{{{V}}}shape"):
                data = shape.find(f"{{{X}}}ClientData")
                if data is not None and data.get("ObjectType") == "Button":
                    caption = "".join(shape.find(f"{{{V}}}textbox").itertext()).strip()
                    found[name].append((caption, data.findtext(f"{{{X}}}FmlaMacro")))
    return found


def modules(path: Path) -> dict[str, str]:
    """{module name: source} as olevba extracts it."""
    parser = VBA_Parser(str(path))
    try:
        return {Path(vba_name).stem: code for _, _, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()


def document_modules(path: Path) -> list[str]:
    """The project's `Document=` declarations (PROJECT stream), in order."""
    with ExcelFile(path) as xf:
        raw = xf.vba_project_bytes()
    import olefile
    ole = olefile.OleFileIO(io.BytesIO(raw))
    try:
        text = ole.openstream("PROJECT").read().decode("cp1252")
    finally:
        ole.close()
    return re.findall(r"^Document=([^/\r\n]+)/", text, re.MULTILINE)


def subs(source: str) -> list[str]:
    return re.findall(r"^Public Sub (\w+)\(\)", source, re.MULTILINE)


def assert_valid_package(path: Path) -> dict[str, bytes]:
    report = check_file(path)
    assert report.complete and report.issues == ()
    pkg = parts(path)
    for name, data in pkg.items():
        if name.endswith((".xml", ".rels", ".vml")):
            etree.fromstring(data)                      # raises on malformed XML
    types = etree.fromstring(pkg["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in types}
    assert overrides["/xl/workbook.xml"] == MACRO_MAIN
    return pkg


def assert_project(path: Path, sheet_code_names: list[str]) -> dict[str, str]:
    mods = modules(path)
    assert set(mods) == {"ThisWorkbook", *sheet_code_names, "xlwings", "Dictionary", "ThiDua"}
    assert document_modules(path) == ["ThisWorkbook", *sheet_code_names]
    assert "Public Function RunPython" in mods["xlwings"]
    assert "Private Sub Class_Initialize()" in mods["Dictionary"]
    thidua = mods["ThiDua"]
    assert thidua.split("\r\n")[1] == "Option Explicit"
    assert subs(thidua) == list(RUNPYTHON)
    for sub, line in RUNPYTHON.items():
        assert f"Public Sub {sub}()\r\n    {line}\r\nEnd Sub\r\n" in thidua
    for name, source in mods.items():
        source.encode("ascii")                           # P5: ASCII only, whole project
    return mods


def load_openpyxl(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no "unknown extension" etc.
        return openpyxl.load_workbook(path, keep_vba=True)


def ods_buttons(path: Path, tmp: Path) -> dict[str, list[tuple[str, str]]]:
    """{table name: [(button label, macro URL)]} of LibreOffice's .ods conversion."""
    soffice = require_soffice()
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        proc = subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--norestore", "--nolockcheck", "--convert-to", "ods", "--outdir", str(tmp),
             str(path)], capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    ods = tmp / (path.stem + ".ods")
    assert proc.returncode == 0 and ods.is_file(), proc.stderr
    with zipfile.ZipFile(ods) as zf:
        root = etree.fromstring(zf.read("content.xml"))
    ns = root.nsmap
    found: dict[str, list[tuple[str, str]]] = {}
    for table in root.iter(f"{{{ns['table']}}}table"):
        entries = found.setdefault(table.get(f"{{{ns['table']}}}name"), [])
        for button in table.iter(f"{{{ns['form']}}}button"):
            hrefs = [e.get(f"{{{ns['xlink']}}}href")
                     for e in button.iter(f"{{{ns['script']}}}event-listener")]
            entries.append((button.get(f"{{{ns['form']}}}label"), hrefs[0] if hrefs else ""))
    return found


def lo_macro(sub: str) -> str:
    return f"vnd.sun.star.script:VBAProject.ThiDua.{sub}?language=Basic&location=document"


# --------------------------------------------------------------------------- constants, names

def test_module_source_is_ascii_crlf_with_one_sub_per_button():
    source = vba.module_source()
    source.encode("ascii")
    assert "\n" not in source.replace("\r\n", "")
    assert source.startswith("Option Explicit\r\n")
    assert subs(source) == list(RUNPYTHON)
    for sub, line in RUNPYTHON.items():
        assert f"Public Sub {sub}()\r\n    {line}\r\nEnd Sub\r\n" in source
    assert [(m.caption, m.sub) for m in vba.SUMMARY_MACROS] == SUMMARY_BUTTONS
    assert [(m.caption, m.sub) for m in vba.UNIT_MACROS] == UNIT_BUTTON


def test_code_names_examples():
    titles = ["Tổng hợp", "HNB", "HCCB_2", "Bình xét", "Cấu hình", "xlwings.conf", "tổng HỢP",
              "★", "", "Sheet", "Đơn vị " + "rất dài " * 6]
    assert vba.code_names(titles) == [
        "shTongHop", "shHNB", "shHCCB2", "shBinhXet", "shCauHinh", "shXlwingsConf",
        "shTongHOP2", "shSheet", "shSheet2", "shSheet3", "shDonViRatDaiRatDaiRatDaiRatDai"]


@given(st.lists(st.text(max_size=40), max_size=12))
def test_code_names_are_valid_unique_and_deterministic(titles):
    names = vba.code_names(titles)
    assert len(names) == len(titles)
    assert all(IDENT.match(name) for name in names)
    folded = [name.casefold() for name in names]
    assert len(set(folded)) == len(folded)
    assert not {"thisworkbook", "thidua", "xlwings", "dictionary"} & set(folded)
    assert vba.code_names(titles) == names


def test_vba_project_bin_modules_and_cache(tmp_path):
    project = vba.vba_project_bin(["shA", "shB"])
    assert vba.vba_project_bin(("shA", "shB")) is project      # cached per name tuple
    wb = xlsxwriter.Workbook(str(tmp_path / "p.xlsm"))
    for name in ("shA", "shB"):
        wb.add_worksheet().set_vba_name(name)
    wb.add_vba_project(io.BytesIO(project), is_stream=True)
    wb.close()
    assert_valid_package(tmp_path / "p.xlsm")
    assert_project(tmp_path / "p.xlsm", ["shA", "shB"])


@pytest.mark.parametrize("names", [["shA", "SHA"], ["1abc"], ["sh-A"], ["x" * 32], ["ThiDua"],
                                   ["ThisWorkbook"]])
def test_vba_project_bin_refuses_bad_names(names):
    with pytest.raises(ValueError):
        vba.vba_project_bin(names)


def test_button_width_fits_longest_caption():
    assert vba.button_width_px(["Tính điểm"]) == 120                  # the minimum
    assert vba.button_width_px([m.caption for m in vba.SUMMARY_MACROS]) == 8 * 19 + 24


# --------------------------------------------------------------------------- install()

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_xlsm(tmp_path_factory.mktemp("install") / "khoi.xlsm")


def test_install_package_is_valid_and_macro_enabled(built):
    pkg = assert_valid_package(built)
    assert "xl/vbaProject.bin" in pkg


def test_install_project_matches_code_names(built):
    pkg = parts(built)
    titles = [name for name, _, _ in sheets(pkg)]
    assert titles == ["Tổng hợp", "HNB", "HCCB", "Cấu hình", "xlwings.conf"]
    expected = ["shTongHop", "shHNB", "shHCCB", "shCauHinh", "shXlwingsConf"]
    assert code_names_in(pkg) == ("ThisWorkbook", expected)
    assert_project(built, expected)


def test_install_buttons_run_subs_of_thidua(built):
    pkg = parts(built)
    found = buttons(pkg)
    assert found == {
        "Tổng hợp": [(caption, f"[0]!{sub}") for caption, sub in SUMMARY_BUTTONS],
        "HNB": [(caption, f"[0]!{sub}") for caption, sub in UNIT_BUTTON],
        "HCCB": [(caption, f"[0]!{sub}") for caption, sub in UNIT_BUTTON],
        "Cấu hình": [], "xlwings.conf": []}
    defined = set(subs(modules(built)["ThiDua"]))
    assert {macro.removeprefix("[0]!") for entries in found.values()
            for _, macro in entries} <= defined


def test_install_buttons_stack_down_from_the_anchor(built):
    vml = next(data for name, data in parts(built).items() if name.endswith(".vml")
               and b"TinhDiem" in data)
    anchors = []
    for shape in etree.fromstring(vml).iter(f"{{{V}}}shape"):
        data = shape.find(f"{{{X}}}ClientData")
        if data.get("ObjectType") == "Button":
            anchors.append([int(n) for n in data.findtext(f"{{{X}}}Anchor").split(",")])
    # x:Anchor = left col, dx, top row, dy, right col, dx, bottom row, dy (0-based).
    assert [a[0:2] for a in anchors] == [[10, 0]] * 4              # column K, flush
    assert anchors[0][2:4] == [1, 0]                               # row 2, flush
    tops = [a[2] * 20 + a[3] for a in anchors]                     # 20 px default rows
    assert [b - a for a, b in zip(tops, tops[1:])] == [36, 36, 36]
    assert len({(a[4], a[5]) for a in anchors}) == 1               # one width for the stack


def test_install_conf_sheet_and_openpyxl(built):
    wb = load_openpyxl(built)
    assert wb.sheetnames == ["Tổng hợp", "HNB", "HCCB", "Cấu hình", "xlwings.conf"]
    conf = wb["xlwings.conf"]
    assert conf.sheet_state == "hidden"
    rows = [(conf.cell(r, 1).value, conf.cell(r, 2).value) for r in range(1, 11)]
    assert rows == [("Interpreter_Win", "python"), ("Interpreter_Mac", None),
                    ("PYTHONPATH", None), ("Conda Path", None), ("Conda Env", None),
                    ("UDF Modules", None), ("Debug UDFs", False), ("Use UDF Server", False),
                    ("Show Console", False), (None, None)]
    assert conf["A12"].value == "Hướng dẫn:"
    assert wb["Tổng hợp"]["B2"].value == "Hội Nông dân tỉnh"
    assert wb.vba_archive is not None
    assert wb.active.title == "Tổng hợp"


def test_install_interpreter_setting(tmp_path):
    path = build_xlsm(tmp_path / "k.xlsm", interpreter=r"C:\Python311\python.exe")
    assert load_openpyxl(path)["xlwings.conf"]["B1"].value == r"C:\Python311\python.exe"


def test_install_refuses_xlsx_target_before_changing_the_workbook(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "k.xlsx"))
    summary, units = _content(wb)
    with pytest.raises(ValueError, match=r"\.xlsm"):
        vba.install(wb, summary, "K2", [(units[0], "H1")])
    assert wb.get_worksheet_by_name("xlwings.conf") is None and wb.vba_project is None
    wb.close()


@pytest.mark.parametrize("anchor", ["K", "2K", "K0", "XFE1", "A1048577", "K2:K5"])
def test_install_refuses_bad_anchor(tmp_path, anchor):
    wb = xlsxwriter.Workbook(str(tmp_path / "k.xlsm"))
    summary, _ = _content(wb)
    with pytest.raises(ValueError, match="anchor"):
        vba.install(wb, summary, anchor, [])
    assert wb.get_worksheet_by_name("xlwings.conf") is None


def test_install_refuses_sheet_of_another_workbook(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "k.xlsm"))
    other = xlsxwriter.Workbook(str(tmp_path / "o.xlsm"))
    summary, _ = _content(wb)
    stranger = other.add_worksheet("HNB")
    with pytest.raises(ValueError, match="does not belong"):
        vba.install(wb, summary, "K2", [(stranger, "H1")])


@pytest.mark.needs_office
def test_install_libreoffice_imports_buttons_with_captions(built, tmp_path):
    found = ods_buttons(built, tmp_path)
    assert found["Tổng hợp"] == [(caption, lo_macro(sub)) for caption, sub in SUMMARY_BUTTONS]
    for unit in ("HNB", "HCCB"):
        assert found[unit] == [(caption, lo_macro(sub)) for caption, sub in UNIT_BUTTON]
    assert found["Cấu hình"] == [] and found["xlwings.conf"] == []


# --------------------------------------------------------------------------- refresh_vba: .xlsx

@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("refresh")
    source = build_xlsx(folder / "khoi.xlsx")
    out = folder / "khoi.xlsm"
    assert vba.refresh_vba(source, out) is None                   # no earlier file: no backup
    return source, out


def test_refresh_xlsx_valid_project_and_conf(refreshed):
    source, out = refreshed
    pkg = assert_valid_package(out)
    names = ["Sheet1", "Sheet2", "Sheet3", "Sheet4", "Sheet5"]   # Excel's naming
    assert code_names_in(pkg) == ("ThisWorkbook", names)
    assert_project(out, names)
    assert [(n, s) for n, _, s in sheets(pkg)] == [
        ("Tổng hợp", None), ("HNB", None), ("HCCB", None), ("Cấu hình", None),
        ("xlwings.conf", "hidden")]
    wb = load_openpyxl(out)
    conf = wb["xlwings.conf"]
    assert [(conf.cell(r, 1).value, conf.cell(r, 2).value) for r in (1, 7, 9, 10)] == [
        ("Interpreter_Win", "python"), ("Debug UDFs", False), ("Show Console", False),
        (None, None)]
    # The user's content survives: validation, protection, names, values.
    hnb = wb["HNB"]
    assert hnb.protection.sheet
    protection = re.search(rb"<sheetProtection [^>]*/>", parts(source)["xl/worksheets/sheet2.xml"])
    assert protection.group() in parts(out)["xl/worksheets/sheet2.xml"]
    assert [(str(dv.sqref), dv.error) for dv in hnb.data_validations.dataValidation] == [
        ("D4:D20", "Điểm phải từ 0 đến 10")]
    assert wb.defined_names["NamXet"].attr_text == "'Cấu hình'!$B$1"
    assert wb["Tổng hợp"]["D2"].value == "=HNB!D4"


def test_refresh_xlsx_buttons_on_summary_and_detected_unit_sheets(refreshed):
    _, out = refreshed
    pkg = parts(out)
    assert buttons(pkg) == {
        "Tổng hợp": [(caption, f"[0]!{sub}") for caption, sub in SUMMARY_BUTTONS],
        "HNB": [(caption, f"[0]!{sub}") for caption, sub in UNIT_BUTTON],
        "HCCB": [(caption, f"[0]!{sub}") for caption, sub in UNIT_BUTTON],
        "Cấu hình": [], "xlwings.conf": []}
    # P4: each caption sits in a <font> so LibreOffice (and Excel) show it.
    for name, data in pkg.items():
        if name.endswith(".vml") and b'ObjectType="Button"' in data:
            assert data.count(b'<font face="Calibri"') == data.count(b'ObjectType="Button"')


def test_refresh_xlsx_keeps_untouched_parts_byte_identical(refreshed):
    source, out = refreshed
    before, after = parts(source), parts(out)
    for name in ("xl/styles.xml", "xl/sharedStrings.xml", "xl/theme/theme1.xml",
                 "xl/comments1.xml", "docProps/core.xml", "docProps/app.xml"):
        assert after[name] == before[name], name
    assert set(before) <= set(after)


@pytest.mark.needs_office
def test_refresh_xlsx_libreoffice_imports_buttons(refreshed, tmp_path):
    _, out = refreshed
    found = ods_buttons(out, tmp_path)
    assert found["Tổng hợp"] == [(caption, lo_macro(sub)) for caption, sub in SUMMARY_BUTTONS]
    assert found["HNB"] == found["HCCB"] == [(c, lo_macro(s)) for c, s in UNIT_BUTTON]
    assert found["Cấu hình"] == []


def _strip_project(src: Path, dst: Path) -> Path:
    """What Excel's "Save as .xlsx" leaves: no project, xlsx content type, buttons kept."""
    pkg = parts(src)
    del pkg["xl/vbaProject.bin"]
    pkg["[Content_Types].xml"] = pkg["[Content_Types].xml"].replace(
        MACRO_MAIN.encode(),
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    pkg["xl/_rels/workbook.xml.rels"] = re.sub(
        rb'<Relationship [^>]*vbaProject[^>]*/>', b"", pkg["xl/_rels/workbook.xml.rels"])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pkg.items():
            zf.writestr(name, data)
    return dst


def test_refresh_xlsx_does_not_duplicate_existing_buttons(refreshed, tmp_path):
    _, out = refreshed
    plain = _strip_project(out, tmp_path / "saved-as.xlsx")
    again = tmp_path / "again.xlsm"
    vba.refresh_vba(plain, again)
    assert_valid_package(again)
    found = buttons(parts(again))
    assert [len(found[name]) for name in ("Tổng hợp", "HNB", "HCCB")] == [4, 1, 1]
    assert [name for name, _, _ in sheets(parts(again))].count("xlwings.conf") == 1


def test_refresh_openpyxl_written_xlsx_gets_packaging_fixes(tmp_path):
    # openpyxl writes sheets without xmlns:r (P2) and comment VML under a bare <xml> (P3).
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Tổng hợp"
    summary["A1"] = "Mã đơn vị"
    summary["A1"].comment = openpyxl.comments.Comment("Ghi chú của khối", "thidua")
    wb.create_sheet("HNB").append(UNIT_HEADER)
    wb.security = openpyxl.workbook.protection.WorkbookProtection(lockStructure=True)
    wb.save(tmp_path / "op.xlsx")
    before = parts(tmp_path / "op.xlsx")
    assert b"xmlns:r=" not in before["xl/worksheets/sheet2.xml"]
    out = tmp_path / "op.xlsm"
    vba.refresh_vba(tmp_path / "op.xlsx", out)
    pkg = assert_valid_package(out)
    assert buttons(pkg)["Tổng hợp"] == [(c, f"[0]!{s}") for c, s in SUMMARY_BUTTONS]
    assert buttons(pkg)["HNB"] == [(c, f"[0]!{s}") for c, s in UNIT_BUTTON]
    assert [(n, st) for n, _, st in sheets(pkg)] == [
        ("Tổng hợp", "visible"), ("HNB", "visible"), ("xlwings.conf", "hidden")]
    loaded = load_openpyxl(out)
    assert loaded["Tổng hợp"]["A1"].comment.text == "Ghi chú của khối"
    assert loaded.security.lockStructure                      # structure protection kept


def test_refresh_xlsx_named_unit_sheets_and_anchor(tmp_path):
    source = build_xlsx(tmp_path / "k.xlsx")
    out = tmp_path / "k.xlsm"
    vba.refresh_vba(source, out, unit_sheets=["HNB"], anchors={"Tổng hợp": "M5"})
    found = buttons(parts(out))
    assert [len(found[name]) for name in ("Tổng hợp", "HNB", "HCCB")] == [4, 1, 0]
    sheet1 = parts(out)["xl/worksheets/sheet1.xml"].decode()
    froms = re.findall(r"<from><xdr:col>(\d+)</xdr:col><xdr:colOff>0</xdr:colOff>"
                       r"<xdr:row>(\d+)</xdr:row>", sheet1)
    assert froms[0] == ("12", "4")                                 # M5, 0-based


def test_refresh_in_place_keeps_a_backup(tmp_path):
    path = build_xlsm(tmp_path / "k.xlsm")
    original = path.read_bytes()
    backup = vba.refresh_vba(path, path)
    assert backup is not None and backup.read_bytes() == original
    assert_valid_package(path)


@pytest.mark.parametrize("case, message", [
    ("out.xlsx", "đuôi .xlsm"),
    ("no summary", "«Tổng hợp»"),
    ("no units", "trang tính đơn vị"),
    ("unknown unit", "«XYZ»"),
    ("not a workbook", "không phải"),
])
def test_refresh_errors_are_vietnamese(tmp_path, case, message):
    source = build_xlsx(tmp_path / "k.xlsx")
    out = tmp_path / "k.xlsm"
    kwargs = {}
    if case == "out.xlsx":
        out = tmp_path / "k2.xlsx"
    elif case == "no summary":
        kwargs["summary_sheet"] = "Kết quả"
        message = "«Kết quả»"
    elif case == "no units":
        wb = xlsxwriter.Workbook(str(source))
        wb.add_worksheet("Tổng hợp").write("A1", "Mã đơn vị")
        wb.close()
    elif case == "unknown unit":
        kwargs["unit_sheets"] = ["HNB", "XYZ"]
    elif case == "not a workbook":
        source.write_bytes(b"Ma,Tieu chi\n")
    with pytest.raises(WorkbookError, match=message):
        vba.refresh_vba(source, out, **kwargs)
    assert not out.exists()


# --------------------------------------------------------------------------- refresh_vba: .xlsm

def _old_project_xlsm(path: Path) -> Path:
    """An .xlsm as an older thidua_xl made it: project with Sheet1 + Module1 (Sub TinhLai),
    sheets code-named Sheet1 and shHNB (the project lacks shHNB's document module)."""
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp, "seed.xlsm")
        with ExcelFile.create_new(seed) as xf:
            xf.set_module("Module1", 'Attribute VB_Name = "Module1"\r\nSub TinhLai()\r\n'
                          '    RunPython "import old; old.run()"\r\nEnd Sub\r\n')
            xf.save()
        old_bin = zipfile.ZipFile(seed).read("xl/vbaProject.bin")
    wb = xlsxwriter.Workbook(str(path))
    summary, units = _content(wb)
    for sheet, name in zip(wb.worksheets(), ["Sheet1", "shHNB", "shHCCB", "shCauHinh"]):
        sheet.set_vba_name(name)
    wb.add_vba_project(io.BytesIO(old_bin), is_stream=True)
    summary.insert_button("K2", {"macro": "TinhLai", "caption": "Tính lại"})
    wb.close()
    return path


def test_refresh_xlsm_replaces_project_only(tmp_path):
    source = _old_project_xlsm(tmp_path / "old.xlsm")
    assert "Module1" in modules(source)
    out = tmp_path / "new.xlsm"
    vba.refresh_vba(source, out)
    assert_valid_package(out)
    mods = assert_project(out, ["Sheet1", "shHNB", "shHCCB", "shCauHinh"])
    assert "TinhLai" not in "".join(mods.values())
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert changed == ["xl/vbaProject.bin"]
        assert [i.compress_type for i in a.infolist()] == [i.compress_type for i in b.infolist()]


def test_refresh_xlsm_names_a_sheet_without_code_name(tmp_path):
    built = build_xlsm(tmp_path / "k.xlsm")
    pkg = parts(built)
    sheet = pkg["xl/worksheets/sheet4.xml"]
    pkg["xl/worksheets/sheet4.xml"] = re.sub(rb'<sheetPr codeName="shCauHinh"\s*/>', b"", sheet)
    assert pkg["xl/worksheets/sheet4.xml"] != sheet
    edited = tmp_path / "edited.xlsm"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(edited, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, pkg[info.filename])
    out = tmp_path / "out.xlsm"
    vba.refresh_vba(edited, out)
    assert_valid_package(out)
    after = parts(out)
    assert code_names_in(after)[1] == ["shTongHop", "shHNB", "shHCCB", "Sheet4", "shXlwingsConf"]
    assert_project(out, ["shTongHop", "shHNB", "shHCCB", "Sheet4", "shXlwingsConf"])
    assert sorted(n for n in pkg if pkg[n] != after[n]) == [
        "xl/vbaProject.bin", "xl/worksheets/sheet4.xml"]


def test_refresh_xlsm_refuses_signed_project(tmp_path):
    built = build_xlsm(tmp_path / "k.xlsm")
    edited = tmp_path / "signed.xlsm"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(edited, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/_rels/vbaProject.bin.rels",
                     '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="' + PKG + '">'
                     '<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/'
                     'relationships/vbaProjectSignature" Target="vbaProjectSignature.bin"/>'
                     '</Relationships>')
        dst.writestr("xl/vbaProjectSignature.bin", b"\0" * 16)
    with pytest.raises(WorkbookError, match="chữ ký số"):
        vba.refresh_vba(edited, tmp_path / "out.xlsm")
