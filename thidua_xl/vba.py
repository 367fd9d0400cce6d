"""The macro-enabled side of the workbook: the VBA project, the xlwings configuration sheet and
the buttons that run thidua_xl's Python macros (engineering-notes §2).

The workbook's buttons call Subs of our standard module ``ThiDua``; each Sub is one line,
``RunPython "import thidua_xl.macros as m; m.<function>()"``, run by the standalone xlwings
module (``xlwings`` + class ``Dictionary``, copied from the *installed* xlwings package so the
VBA always matches the Python side).  The ``xlwings.conf`` sheet tells that VBA which Python to
start.

Two ways in:

* :func:`install` — the workbook builder (XlsxWriter) calls it before ``wb.close()``; the
  project is a pyOpenVBA-made ``vbaProject.bin`` (:func:`vba_project_bin`), the buttons are
  XlsxWriter's VML form buttons.
* :func:`refresh_vba` — ``thidua excel FILE --out FILE.xlsm``: an existing .xlsm gets a fresh
  project (every other part copied unchanged); an .xlsx gets a project, the conf sheet and the
  buttons through pyOpenVBA (notes §2a "Variant A" with its fixes P1–P4).  Never an openpyxl
  round trip (notes §3).

Rules the VBA keeps (notes P5/P6): ASCII source only (the project's code page would turn
Vietnamese into "?"), CRLF line endings.  Vietnamese lives only in the button captions (UTF-8
VML) and sheet names.  Nothing here was run in real Excel; see the notes' "Not verified".
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from thidua_xl.cellref import column_letter
from thidua_xl.errors import WorkbookError
from thidua_xl.safefile import atomic_write, inspect_workbook_file, read_bytes
from thidua_xl.xlsxpatch import (parse_part, read_package, relationships, safe_parser,
                                 serialize_part, sheet_parts, workbook_part, write_package)
from thidua_xl.text import ascii_fold, fold
from thidua_xl.workbook import layout as L

__all__ = [
    "BUTTON_GAP_PX", "BUTTON_HEIGHT_PX", "CONF_SHEET", "MODULE_NAME", "Macro", "SUMMARY_MACROS",
    "SUMMARY_SHEET", "UNIT_HEADERS", "UNIT_MACROS", "button_width_px", "code_names",
    "conf_rows", "install", "module_source", "refresh_vba", "vba_project_bin",
]


@dataclasses.dataclass(frozen=True)
class Macro:
    """One button: its Vietnamese ``caption``, the ASCII VBA ``sub`` behind it and the Python
    statement that Sub hands to xlwings' ``RunPython``."""

    caption: str
    sub: str
    python: str


def _call(function: str) -> str:
    return f"import thidua_xl.macros as m; m.{function}()"


#: Buttons on the results sheet `Tổng hợp`, top to bottom.
SUMMARY_MACROS: tuple[Macro, ...] = (
    Macro("Tính điểm", "TinhDiem", _call("recompute")),
    Macro("Xét khen thưởng", "XetKhenThuong", _call("nominate")),
    Macro("Xuất báo cáo Word", "XuatBaoCao", _call("report")),
    Macro("Gộp file các đơn vị", "GopFile", _call("collect")),
)
#: The button on every unit sheet.
UNIT_MACROS: tuple[Macro, ...] = (
    Macro("Kiểm tra sheet này", "KiemTraSheet", _call("check_sheet")),
)

MODULE_NAME = "ThiDua"
WORKBOOK_CODE_NAME = "ThisWorkbook"
#: The sheet xlwings reads its settings from; this exact name is what activates it.
CONF_SHEET = "xlwings.conf"
SUMMARY_SHEET = L.SUMMARY
#: Titles that, all in one row, mark a unit sheet (bloc-format.md, "Workbook layout").
UNIT_HEADERS: tuple[str, ...] = (L.COL_CODE, L.COL_TEXT, L.COL_MAX, L.COL_SELF)

#: Button geometry, in pixels (XlsxWriter's unit); pyOpenVBA takes points (px × 0.75).
BUTTON_HEIGHT_PX = 30
BUTTON_GAP_PX = 6
_MIN_BUTTON_WIDTH_PX = 120

_VBA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")
_MAX_NAME = 31
_OTHER_MODULES = ("xlwings", "Dictionary", MODULE_NAME)
_CELL = re.compile(r"\$?[A-Za-z]{1,3}\$?[1-9][0-9]{0,6}")
_MAX_ROWS, _MAX_COLS = 1_048_576, 16_384
_SCAN_ROWS = 50  # rows searched for a unit sheet's header row

_MACRO_ENABLED = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_VML_REL = _REL_NS + "/vmlDrawing"
_VML_NAMESPACES = (' xmlns:v="urn:schemas-microsoft-com:vml"'
                   ' xmlns:o="urn:schemas-microsoft-com:office:office"'
                   ' xmlns:x="urn:schemas-microsoft-com:office:excel"')
_V = "urn:schemas-microsoft-com:vml"
_X = "urn:schemas-microsoft-com:office:excel"


# --------------------------------------------------------------------------- VBA text

def module_source() -> str:
    """Source of the standard module ``ThiDua``: ``Option Explicit`` and one Sub per button
    (:data:`SUMMARY_MACROS`, :data:`UNIT_MACROS`).  ASCII, CRLF line endings, no header (the
    ``Attribute VB_Name`` line is added when the module is stored)."""
    lines = [
        "Option Explicit",
        "",
        "' thidua_xl: the Subs behind the workbook's buttons. Each one runs a Python function",
        "' of thidua_xl.macros through xlwings (module xlwings, settings on sheet xlwings.conf).",
        "' Written by thidua_xl; 'thidua excel' rebuilds this project, so edits here are lost.",
    ]
    for macro in (*SUMMARY_MACROS, *UNIT_MACROS):
        lines += ["", f"Public Sub {macro.sub}()", f'    RunPython "{macro.python}"', "End Sub"]
    text = "\r\n".join(lines) + "\r\n"
    text.encode("ascii")  # P5: a non-ASCII character here would be stored as "?"
    return text


def conf_rows(interpreter: str = "python") -> list[tuple[str, Any]]:
    """The ``xlwings.conf`` settings, in the order and spelling of xlwings' quickstart sheet:
    ``[(key, value)]`` written from A1 down, no gaps (xlwings reads A1 to the first blank).
    Empty strings mean "not set"; ``interpreter`` becomes ``Interpreter_Win``."""
    return [
        ("Interpreter_Win", interpreter),
        ("Interpreter_Mac", ""),
        ("PYTHONPATH", ""),
        ("Conda Path", ""),
        ("Conda Env", ""),
        ("UDF Modules", ""),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
    ]


#: Notes under the settings (after a blank row, so xlwings does not read them).
_CONF_NOTES = (
    "Hướng dẫn:",
    "Đây là cấu hình của xlwings cho các nút lệnh của sổ (Tính điểm, Xét khen thưởng…).",
    "Interpreter_Win: đường dẫn tới python.exe đã cài thidua_xl, nếu «python» không tìm được.",
    "Các thiết lập phải bắt đầu từ ô A1, liền nhau; không đổi tên trang tính này.",
)


# --------------------------------------------------------------------------- code names

def code_names(titles: Sequence[str]) -> list[str]:
    """Sheet code names for sheets titled ``titles``, in the same order.

    Each is ``sh`` + the ASCII-folded title's words capitalised (``Tổng hợp`` → ``shTongHop``,
    ``HNB`` → ``shHNB``, ``xlwings.conf`` → ``shXlwingsConf``), cut to 31 characters; a title
    with no letters or digits gives ``shSheet``.  Names already taken (VBA compares
    case-insensitively) get ``2``, ``3``… appended.  Deterministic; every name is a valid VBA
    identifier and none equals a module of the project.
    """
    taken = {name.casefold() for name in (WORKBOOK_CODE_NAME, *_OTHER_MODULES)}
    names: list[str] = []
    for title in titles:
        words = re.findall(r"[A-Za-z0-9]+", ascii_fold(title))
        stem = ("sh" + "".join(word[:1].upper() + word[1:] for word in words))[:_MAX_NAME]
        if stem == "sh":
            stem = "shSheet"
        name, number = stem, 2
        while name.casefold() in taken:
            suffix = str(number)
            name = stem[:_MAX_NAME - len(suffix)] + suffix
            number += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def _check_code_names(names: Sequence[str], book_code_name: str) -> None:
    seen: set[str] = {module.casefold() for module in _OTHER_MODULES}
    for name in (book_code_name, *names):
        if not _VBA_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid VBA code name")
        if name.casefold() in seen:
            raise ValueError(f"code name {name!r} is used twice or names a module")
        seen.add(name.casefold())


# --------------------------------------------------------------------------- the project

def _xlwings_dir() -> Path:
    # find_spec locates the package without importing it (importing xlwings is slow and
    # registers engines).
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise WorkbookError("Không tìm thấy gói xlwings trong môi trường Python này; "
                            "hãy cài xlwings rồi chạy lại.")
    return Path(next(iter(spec.submodule_search_locations)))


def _crlf(text: str) -> str:
    return re.sub(r"\r?\n", "\r\n", text)


def _xlwings_sources() -> tuple[str, str]:
    """``(xlwings.bas, Dictionary.cls)`` of the installed xlwings, as cp1252 text with CRLF."""
    folder = _xlwings_dir()
    try:
        bas = (folder / "xlwings.bas").read_text(encoding="cp1252")
        cls = (folder / "addin" / "Dictionary.cls").read_text(encoding="cp1252")
    except OSError as exc:
        raise WorkbookError(f"Gói xlwings tại {folder} thiếu tệp VBA ({exc.filename}); "
                            "hãy cài lại xlwings.") from exc
    return _crlf(bas), _crlf(cls)


def _with_project(package: bytes, where: str = "") -> bytes:
    """The workbook ``package`` (zip bytes, no project in it) given a VBA project as Excel
    gives one for a first macro — a document module for the workbook and each sheet, named by
    their codeName (Excel's ``SheetN`` written into a sheet that has none), the relationship
    and the ``bin`` content type — holding our three modules.  Returns the new package's bytes
    as pyOpenVBA saves it (other parts copied unchanged).
    """
    from pyopenvba import ExcelFile, PyOpenVBAError, VBAModuleKind

    bas, cls = _xlwings_sources()
    with tempfile.TemporaryDirectory(prefix="thidua-vba-") as tmp:
        src, dst = Path(tmp, "in.xlsm"), Path(tmp, "out.xlsm")
        src.write_bytes(package)
        try:
            with ExcelFile(src) as xf:
                project = xf.add_vba_project()
                project.add_module("xlwings", bas)
                # VBE export form ("VERSION 1.0 CLASS"); add_module turns it into stream form.
                project.add_module("Dictionary", cls, kind=VBAModuleKind.other)
                project.add_module(MODULE_NAME, module_source())
                xf.save(dst)
        except PyOpenVBAError as exc:
            raise WorkbookError(f"Không tạo được dự án VBA cho sổ: {exc}", where) from exc
        return dst.read_bytes()


@functools.lru_cache(maxsize=16)
def _cached_project(names: tuple[str, ...], book_code_name: str, xlwings_dir: str) -> bytes:
    import xlsxwriter

    # A bare workbook whose sheets carry the wanted code names: pyOpenVBA names the project's
    # document modules after them.
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_vba_name(book_code_name)
    for name in names:
        wb.add_worksheet().set_vba_name(name)
    wb.close()
    with zipfile.ZipFile(io.BytesIO(_with_project(buf.getvalue()))) as made:
        return made.read("xl/vbaProject.bin")


def vba_project_bin(sheet_code_names: Sequence[str],
                    book_code_name: str = WORKBOOK_CODE_NAME) -> bytes:
    """A ``vbaProject.bin`` (bytes) holding the document modules ``book_code_name`` and one per
    entry of ``sheet_code_names`` (worksheets, in order), the standard module ``xlwings`` and
    class ``Dictionary`` of the installed xlwings, and our module ``ThiDua``.

    Built with pyOpenVBA; cached per (names, xlwings location) within the process.  Raises
    ValueError for an invalid or repeated code name, WorkbookError when xlwings is missing.
    """
    names = tuple(sheet_code_names)
    _check_code_names(names, book_code_name)
    return _cached_project(names, book_code_name, str(_xlwings_dir()))


# --------------------------------------------------------------------------- XlsxWriter

def button_width_px(captions: Sequence[str]) -> int:
    """Width in pixels that fits the longest of ``captions`` in Calibri 11 with padding."""
    longest = max((len(caption) for caption in captions), default=0)
    return max(_MIN_BUTTON_WIDTH_PX, 8 * longest + 24)


def _check_target(wb: Any) -> None:
    target = wb.filename
    if isinstance(target, (str, os.PathLike)) and Path(target).suffix.lower() != ".xlsm":
        raise ValueError(f"a workbook with macros must be saved as .xlsm, not {target!r}")


def _check_anchor(anchor: str) -> None:
    from xlsxwriter.utility import xl_cell_to_rowcol

    if not isinstance(anchor, str) or not _CELL.fullmatch(anchor):
        raise ValueError(f"button anchor must be a cell like 'J2', not {anchor!r}")
    row, col = xl_cell_to_rowcol(anchor)
    if row >= _MAX_ROWS or col >= _MAX_COLS:
        raise ValueError(f"button anchor {anchor!r} is outside the worksheet")


def _insert_buttons(sheet: Any, anchor: str, macros: Sequence[Macro]) -> None:
    from xlsxwriter.utility import xl_cell_to_rowcol

    row, col = xl_cell_to_rowcol(anchor)
    width = button_width_px([macro.caption for macro in macros])
    for place, macro in enumerate(macros):
        sheet.insert_button(row, col, {
            "macro": macro.sub, "caption": macro.caption, "width": width,
            "height": BUTTON_HEIGHT_PX, "y_offset": place * (BUTTON_HEIGHT_PX + BUTTON_GAP_PX),
            "description": macro.caption,
        })


def install(wb: Any, summary_sheet: Any, summary_anchor: str,
            unit_sheets: Sequence[tuple[Any, str]], interpreter: str = "python") -> None:
    """Make the XlsxWriter workbook ``wb`` macro-enabled.  Call after every content sheet
    exists and before ``wb.close()``.

    Adds the hidden ``xlwings.conf`` sheet (last), gives every worksheet its code name
    (:func:`code_names` of the sheet titles) and the workbook ``ThisWorkbook``, attaches the
    project (:func:`vba_project_bin`), and inserts form buttons stacked downwards from
    ``summary_anchor`` (a cell such as ``"J2"``) on ``summary_sheet`` (:data:`SUMMARY_MACROS`)
    and from each anchor of ``unit_sheets`` = ``[(worksheet, anchor)]`` (:data:`UNIT_MACROS`).
    The stack is :func:`button_width_px` wide and ``n × 30 + (n − 1) × 6`` pixels high; keep
    those cells free and outside the print area.

    Raises ValueError when ``wb`` is to be written to a path not ending in ``.xlsm`` (an
    in-memory target is accepted), has a chart sheet or already has an ``xlwings.conf`` sheet,
    when a sheet passed is not one of ``wb``'s, or for a malformed anchor — all before ``wb`` is
    changed.  WorkbookError when xlwings is not installed.
    """
    _check_target(wb)
    sheets = list(wb.worksheets())
    if any(getattr(sheet, "is_chartsheet", False) for sheet in sheets):
        raise ValueError("chart sheets are not supported in the macro-enabled workbook")
    if wb.get_worksheet_by_name(CONF_SHEET) is not None:
        raise ValueError(f"the workbook already has a sheet {CONF_SHEET!r}")
    placed = [(summary_sheet, summary_anchor, SUMMARY_MACROS)]
    placed += [(sheet, anchor, UNIT_MACROS) for sheet, anchor in unit_sheets]
    for sheet, anchor, _ in placed:
        if not any(sheet is own for own in sheets):
            raise ValueError(f"sheet {sheet.get_name()!r} does not belong to this workbook")
        _check_anchor(anchor)
    _xlwings_dir()

    conf = wb.add_worksheet(CONF_SHEET)
    rows = conf_rows(interpreter)
    for row, (key, value) in enumerate(rows):
        conf.write_string(row, 0, key)
        if isinstance(value, bool):
            conf.write_boolean(row, 1, value)
        elif value != "":
            conf.write_string(row, 1, value)
    for offset, note in enumerate(_CONF_NOTES):
        conf.write_string(len(rows) + 2 + offset, 0, note)
    conf.set_column(0, 0, 18)
    conf.set_column(1, 1, 40)
    conf.hide()

    names = code_names([sheet.get_name() for sheet in wb.worksheets()])
    for sheet, name in zip(wb.worksheets(), names):
        sheet.set_vba_name(name)
    wb.set_vba_name(WORKBOOK_CODE_NAME)
    wb.add_vba_project(io.BytesIO(vba_project_bin(names)), is_stream=True)

    for sheet, anchor, macros in placed:
        _insert_buttons(sheet, anchor, macros)


# --------------------------------------------------------------------------- package helpers

def _macro_enabled_types(data: bytes, where: str) -> bytes | None:
    """``[Content_Types].xml`` with the workbook's main type macro-enabled (pitfall P1), or
    None when it already is."""
    root = parse_part(data, "[Content_Types].xml", where)
    changed = False
    for override in root.iter(f"{{{_CT_NS}}}Override"):
        if override.get("ContentType") == _XLSX_MAIN:
            override.set("ContentType", _MACRO_ENABLED)
            changed = True
    return serialize_part(root) if changed else None


# --------------------------------------------------------------------------- refresh: .xlsm

def _vba_part(parts: Mapping[str, bytes], book_part: str, where: str) -> str | None:
    for rel in relationships(parts, book_part, where):
        if rel.type == _VBA_REL and rel.target in parts:
            return rel.target
    return None


def _replace_project(infos: Sequence[zipfile.ZipInfo], parts: dict[str, bytes], comment: bytes,
                     vba_part: str, where: str) -> bytes:
    """The package with ``vba_part`` replaced by a fresh project whose document modules follow
    the workbook's codeNames; every other part byte for byte (bar codeNames a sheet lacked and
    the macro-enabled content type)."""
    if any(rel.type.startswith("http://schemas.microsoft.com/office/")
           and "vbaProjectSignature" in rel.type
           for rel in relationships(parts, vba_part, where)):
        raise WorkbookError("Dự án VBA của sổ có chữ ký số; làm mới VBA sẽ làm chữ ký mất hiệu "
                            "lực. Hãy gỡ chữ ký số trong Excel (Tools › Digital Signature) rồi "
                            "chạy lại.", where)
    without = [info for info in infos if info.filename != vba_part]
    made = read_package(_with_project(write_package(without, parts, b""), where), where)[1]
    out = dict(parts)
    out[vba_part] = made["xl/vbaProject.bin"]
    # Workbook and sheet parts that had to gain a codeName (none when every sheet had one).
    out.update({name: made[name] for name in parts
                if name.startswith("xl/") and name.endswith(".xml") and name in made
                and made[name] != parts[name]})
    types = _macro_enabled_types(parts["[Content_Types].xml"], where)
    if types is not None:
        out["[Content_Types].xml"] = types
    return write_package(infos, out, comment)


# --------------------------------------------------------------------------- refresh: .xlsx

_HELPER_VBA = """
Function ThiduaAnchor(sheetName As String, addr As String) As Variant
    Dim r As Range
    Set r = ThisWorkbook.Worksheets(sheetName).Range(addr)
    ThiduaAnchor = Array(r.Left, r.Top)
End Function

Sub ThiduaAddConf(confName As String)
    Dim previous As Worksheet, sh As Worksheet, n As Long
    Set previous = ActiveSheet
    n = ThisWorkbook.Worksheets.Count
    Set sh = ThisWorkbook.Worksheets.Add(After:=ThisWorkbook.Worksheets(n))
    sh.Name = confName
    previous.Activate
End Sub
"""


def _is_unit_sheet(rows: Sequence[Sequence[object]]) -> bool:
    wanted = {fold(title) for title in UNIT_HEADERS}
    return any(wanted <= {fold(value) for value in row if isinstance(value, str)}
               for row in rows[:_SCAN_ROWS])


def _existing_macros(parts: Mapping[str, bytes], sheet_part: str, where: str) -> set[str]:
    """Sub names that buttons on the sheet already run (VML ``x:FmlaMacro``, lower-cased), so a
    workbook saved from .xlsm to .xlsx does not get its buttons twice."""
    found: set[str] = set()
    for rel in relationships(parts, sheet_part, where):
        if rel.type == _VML_REL and rel.target in parts:
            text = parts[rel.target].decode("utf-8", errors="replace")
            for macro in re.findall(r"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", text):
                found.add(macro.rsplit("!", 1)[-1].rsplit(".", 1)[-1].strip().casefold())
    return found


def _fix_vml(data: bytes) -> bytes | None:
    """P3: declare the v/o/x prefixes on a bare ``<xml>`` root; P4: wrap a button caption that
    has no ``<font>`` in one, as Excel and XlsxWriter write it (LibreOffice shows no caption
    otherwise).  None when nothing needed (or could safely be) fixed: VML that is not
    well-formed XML (Excel may write HTML-like ``<br>``) is left as it is."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    fixed = re.sub(r"<xml>", "<xml" + _VML_NAMESPACES + ">", text, count=1)
    try:
        root = etree.fromstring(fixed.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError:
        return fixed.encode("utf-8") if fixed != text else None
    wrapped = False
    for shape in root.iter(f"{{{_V}}}shape"):
        client = shape.find(f"{{{_X}}}ClientData")
        if client is None or client.get("ObjectType") != "Button":
            continue
        for div in shape.iter("div"):
            if div.find("font") is None and div.text:
                font = etree.SubElement(div, "font", face="Calibri", size="220", color="#000000")
                font.text, div.text = div.text, None
                wrapped = True
    if wrapped:
        return etree.tostring(root, encoding="UTF-8")
    return fixed.encode("utf-8") if fixed != text else None


def _declare_r(data: bytes) -> bytes | None:
    """P2: a part using ``r:id`` must declare the relationships prefix on its root.  pyOpenVBA
    writes ``r:id`` into worksheets whose root lacks it, and when it adds a sheet it rebuilds
    ``<sheets>`` without the per-element ``xmlns:r`` openpyxl writes there.  None when fine."""
    text = data.decode("utf-8")
    root = re.search(r"<(?![?!])[^>]*>", text)
    if root is None or "r:id=" not in text or "xmlns:r=" in root.group():
        return None
    at = root.start() + len(root.group().split(None, 1)[0].rstrip(">/"))
    return (text[:at] + f' xmlns:r="{_REL_NS}"' + text[at:]).encode("utf-8")


def _hide_sheet(data: bytes, part: str, name: str, where: str) -> bytes:
    root = parse_part(data, part, where)
    for sheet in root.iter(f"{{{_MAIN_NS}}}sheet"):
        if sheet.get("name") == name:
            sheet.set("state", "hidden")
    return serialize_part(root)


def _add_project(data: bytes, unit_sheets: Sequence[str] | None, summary_sheet: str,
                 interpreter: str, anchors: Mapping[str, str], where: str) -> bytes:
    """Variant A: ``data`` (a workbook without a project) + conf sheet + buttons + project."""
    from pyopenvba import PyOpenVBAError
    from pyopenvba.apps.excel import ExcelApplication

    parts = read_package(data, where)[1]
    book_part = workbook_part(parts, where)
    sheets = sheet_parts(parts, book_part, parse_part(parts[book_part], book_part, where))
    with tempfile.TemporaryDirectory(prefix="thidua-xlsm-") as tmp:
        step1, step2 = Path(tmp, "step1.xlsm"), Path(tmp, "step2.xlsm")
        step1.write_bytes(data)
        try:
            app = ExcelApplication.open(step1, with_vba=False)
        except (PyOpenVBAError, LookupError, ValueError, NotImplementedError) as exc:
            raise WorkbookError(f"Không đọc được sổ Excel ({exc}).", where) from exc
        titles = [view.name for view in app.sheets()]
        if summary_sheet not in titles:
            raise WorkbookError(f"Sổ không có trang tính «{summary_sheet}».", where)
        if unit_sheets is None:
            unit_sheets = [view.name for view in app.sheets()
                           if view.name not in (summary_sheet, CONF_SHEET)
                           and _is_unit_sheet(view.rows())]
            if not unit_sheets:
                raise WorkbookError("Không tìm thấy trang tính đơn vị nào (trang có dòng tiêu đề "
                                    "«" + "», «".join(UNIT_HEADERS) + "»).", where)
        for name in unit_sheets:
            if name not in titles:
                raise WorkbookError(f"Sổ không có trang tính «{name}».", where)
        app.add_module(_HELPER_VBA, name="ThiduaHelper")  # in memory only, never saved
        try:
            for name, macros in [(summary_sheet, SUMMARY_MACROS),
                                 *[(unit, UNIT_MACROS) for unit in unit_sheets]]:
                have = (_existing_macros(parts, sheets[name], where)
                        if name in sheets else set())
                wanted = [macro for macro in macros if macro.sub.casefold() not in have]
                if wanted:
                    _add_buttons(app, name, anchors.get(name), wanted)
            if CONF_SHEET not in titles:
                with _unguarded(app.sheet(1).sheet):
                    app.run("ThiduaAddConf", CONF_SHEET)
                conf = app.sheet(CONF_SHEET)
                for row, (key, value) in enumerate(conf_rows(interpreter), start=1):
                    conf.set_value(f"A{row}", key)
                    if value != "":
                        conf.set_value(f"B{row}", value)
                start = len(conf_rows(interpreter)) + 3
                for offset, note in enumerate(_CONF_NOTES):
                    conf.set_value(f"A{start + offset}", note)
            app.save(step2)
        except PyOpenVBAError as exc:
            raise WorkbookError(f"Không thêm được nút lệnh vào sổ ({exc}).", where) from exc
        staged = step2.read_bytes()

    original = parts
    infos, parts, comment = read_package(staged, where)
    _fix_parts(parts, original, where)
    if CONF_SHEET not in titles:
        # pyOpenVBA does not write a sheet's visibility; the conf sheet is hidden like install().
        book_part = workbook_part(parts, where)
        parts[book_part] = _hide_sheet(parts[book_part], book_part, CONF_SHEET, where)
    made = _with_project(write_package(infos, parts, comment), where)
    infos, parts, comment = read_package(made, where)
    types = _macro_enabled_types(parts["[Content_Types].xml"], where)   # P1
    if types is not None:
        parts["[Content_Types].xml"] = types
    return write_package(infos, parts, comment)


def _add_buttons(app: Any, sheet_name: str, anchor: str | None, macros: Sequence[Macro]) -> None:
    view = app.sheet(sheet_name)
    if anchor is None:
        bounds = view.sheet.used_bounds()
        anchor = f"{column_letter((bounds[3] if bounds else 0) + 2)}1"
    left, top = app.run("ThiduaAnchor", sheet_name, anchor)
    width = button_width_px([macro.caption for macro in macros]) * 0.75
    with _unguarded(view.sheet):
        for place, macro in enumerate(macros):
            view.add_button(name=f"btn{macro.sub}", left=float(left),
                            top=float(top) + place * (BUTTON_HEIGHT_PX + BUTTON_GAP_PX) * 0.75,
                            width=width, height=BUTTON_HEIGHT_PX * 0.75,
                            text=macro.caption, macro=macro.sub)


@contextlib.contextmanager
def _unguarded(sheet: Any) -> Iterator[None]:
    """Set aside the protection of ``sheet`` and of its workbook's structure while pyOpenVBA
    adds a button or the conf sheet (it refuses both on protected objects, as Excel refuses a
    macro without UserInterfaceOnly), then put it back untouched: ``protection_changed`` stays
    False, so the save does not rewrite ``<sheetProtection>``/``<workbookProtection>``."""
    book = sheet.book
    held = sheet.protection, book.protection
    sheet.protection = book.protection = None
    try:
        yield
    finally:
        sheet.protection, book.protection = held


def _fix_parts(parts: dict[str, bytes], original: Mapping[str, bytes], where: str) -> None:
    """Apply the packaging fixes P2–P4 of engineering-notes §2a, in place, to the parts
    pyOpenVBA wrote or changed (those that differ from ``original``); the user's other parts
    stay as they were."""
    book_part = workbook_part(parts, where)
    for name in list(parts):
        if original.get(name) == parts[name]:
            continue
        fixed = None
        if name == book_part or (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            fixed = _declare_r(parts[name])
        elif name.endswith(".vml"):
            fixed = _fix_vml(parts[name])
        if fixed is not None:
            parts[name] = fixed


# --------------------------------------------------------------------------- refresh: entry

def refresh_vba(path_in: Path, path_out: Path, *, unit_sheets: Sequence[str] | None = None,
                summary_sheet: str = SUMMARY_SHEET, interpreter: str = "python",
                anchors: Mapping[str, str] | None = None, backups: int = 5,
                force: bool = False) -> Path | None:
    """Write ``path_out`` (.xlsm): the workbook ``path_in`` (.xlsx or .xlsm) with a fresh VBA
    project of the installed xlwings, without an openpyxl round trip.

    * ``path_in`` has a project: it is replaced by a new one whose document modules follow the
      workbook's codeNames (code a user put in the old project is dropped); every other part
      is copied byte for byte, bar a codeName added to a sheet that lacked one and the main
      content type made macro-enabled.  Buttons and ``xlwings.conf`` are left as they are.
    * ``path_in`` has none (.xlsx): adds the hidden ``xlwings.conf`` sheet (unless present;
      ``Interpreter_Win`` = ``interpreter``), the :data:`SUMMARY_MACROS` buttons on
      ``summary_sheet`` and the :data:`UNIT_MACROS` button on each unit sheet — ``unit_sheets``
      by name, or by default every sheet with a header row holding :data:`UNIT_HEADERS` within
      its first 50 rows — skipping buttons a sheet already has for the same Sub; then the
      project (sheets keep their codeNames, others get Excel's ``SheetN``).  A stack of buttons
      starts at ``anchors[sheet name]`` or, by default, in row 1 two columns right of the
      sheet's used range.

    ``path_out`` may equal ``path_in``.  It is written by :func:`thidua_xl.safefile.atomic_write`
    (temp file + replace, keeping ``backups`` backups of an existing ``path_out``, refusing while
    it is open in Excel unless ``force``); the backup made, or None, is returned.

    Raises ValueError for a malformed anchor; WorkbookError (Vietnamese, ``where`` = the file)
    when ``path_out`` does not end in .xlsm, the input is not a readable workbook (see
    :func:`thidua_xl.safefile.inspect_workbook_file`), a named sheet is missing, no unit sheet
    is found, the old project is digitally signed, ``path_out`` is open, or writing fails.
    """
    path_in, path_out = Path(path_in), Path(path_out)
    where = str(path_in)
    for anchor in (anchors or {}).values():
        _check_anchor(anchor)
    if path_out.suffix.lower() != ".xlsm":
        raise WorkbookError(f"Sổ có macro phải lưu với đuôi .xlsm, không phải «{path_out.name}».",
                            str(path_out))
    inspect_workbook_file(path_in)
    data = read_bytes(path_in)
    infos, parts, comment = read_package(data, where)
    vba_part = _vba_part(parts, workbook_part(parts, where), where)
    if vba_part is not None:
        result = _replace_project(infos, parts, comment, vba_part, where)
    else:
        result = _add_project(data, unit_sheets, summary_sheet, interpreter, anchors or {}, where)
    return atomic_write(path_out, result, backups, force)
