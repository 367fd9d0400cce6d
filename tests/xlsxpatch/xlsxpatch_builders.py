"""Builders for the workbooks the xlsxpatch/safefile tests patch (engineering-notes §2/§3).

Two macro workbooks, each with the parts an openpyxl round trip damages:

* :func:`build_xlsxwriter_book` — XlsxWriter + a pyopenvba-made ``vbaProject.bin``: VML form
  button, comment, data validations, conditional format, protected sheet (password), book /
  sheet-scoped / constant names, a hidden sheet, a table, a merged range, an array formula;
  then injected the way Excel writes them: a shape with a macro (DrawingML), an x14
  data validation in ``extLst``, a printer-settings part with ``pageSetup r:id``, a shared
  formula and a calc chain.
* :func:`build_pyopenvba_book` — pyopenvba ``create_new`` + ``add_button`` (Excel 2010 form
  control: drawing + ``<controls>`` + ctrlProps + VML) + ``add_shape`` with a macro.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import xlsxwriter
from pyopenvba import ExcelFile
from pyopenvba.apps.excel import ExcelApplication
from pyopenvba.cfb import CFB

MACRO = 'Sub TinhLai()\r\n    MsgBox "ok"\r\nEnd Sub\r\n'   # ASCII only (notes §2 P5), CRLF (P6)
SCORES = "Điểm thi đua"
CONFIG = "Cấu hình"
PRINTER_SETTINGS = bytes(range(256)) * 4    # stands for a DEVMODE blob; only its bytes matter

_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def rewrite_zip(path: Path, edit: Callable[[str, bytes], bytes | None],
                add: dict[str, bytes] | None = None) -> None:
    """Rewrite the zip at ``path``: ``edit(name, data)`` returns new bytes or None to keep."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, edit(info.filename, data) or data)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    path.write_bytes(out.getvalue())


@functools.lru_cache(maxsize=1)
def vba_project_bin() -> bytes:
    """A pyopenvba-made VBA project (ThisWorkbook, Sheet1, Module1 with ``TinhLai``)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "vba.xlsm"
        xf = ExcelFile.create_new(target)
        xf.set_module("Module1", MACRO)
        xf.save(target)
        return zipfile.ZipFile(target).read("xl/vbaProject.bin")


def _write_xlsxwriter(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_vba_project(io.BytesIO(vba_project_bin()), is_stream=True)
    ws = wb.add_worksheet(SCORES)
    cfg = wb.add_worksheet(CONFIG)
    conf = wb.add_worksheet("xlwings.conf")

    bold = wb.add_format({"bold": True})
    points = wb.add_format({"num_format": "0.00", "locked": False})
    date = wb.add_format({"num_format": "dd/mm/yyyy", "locked": False})
    unlocked = wb.add_format({"locked": False})

    ws.write_row("A1", ["Mã", "Đơn vị", "Tiêu chí 1", "Tiêu chí 2", "Tổng", "Đạt", "Kết quả",
                        "Gấp đôi"], bold)
    units = [("SYT", "Sở Y tế", 9.5, 8.25), ("SGD", "Sở Giáo dục", 7, 9.75),
             ("STC", "Sở Tài chính", 8.5, 8.5)]
    for i, (code, name, c1, c2) in enumerate(units, start=2):
        ws.write_row(f"A{i}", [code, name])
        ws.write_number(f"C{i}", c1, points)
        ws.write_number(f"D{i}", c2, points)
        ws.write_formula(f"E{i}", f"=SUM(C{i}:D{i})", points, c1 + c2)
        ws.write_boolean(f"F{i}", True, unlocked)
        ws.write_blank(f"G{i}", None, points)
    ws.write_array_formula("H2:H4", "{=C2:C4*2}", points, 19)
    ws.merge_range("A6:C6", "Ghi chú chung", unlocked)
    ws.write_datetime("B8", dt.datetime(2025, 5, 31), date)
    ws.write_blank("C8", None, unlocked)
    ws.write_blank("B9", None, date)
    ws.write_comment("A1", "Mã đơn vị (viết tắt)")
    ws.data_validation("C2:D4", {"validate": "decimal", "criteria": "between", "minimum": 0,
                                 "maximum": 10, "error_title": "Điểm không hợp lệ",
                                 "error_message": "Điểm phải từ 0 đến 10."})
    ws.data_validation("F2:F4", {"validate": "list", "source": ["Có", "Không"]})
    ws.conditional_format("E2:E4", {"type": "cell", "criteria": ">=", "value": 18,
                                    "format": bold})
    ws.insert_button("J2", {"macro": "TinhLai", "caption": "Tính lại điểm", "width": 140,
                            "height": 32})
    ws.set_landscape()
    ws.set_paper(9)
    ws.protect("matkhau", {"format_cells": True})

    cfg.write_row("A1", ["Có", "Không", "Chưa rõ"])
    cfg.write("A3", "Ngày chốt")
    cfg.write_datetime("B3", dt.datetime(2025, 6, 1), date)
    cfg.add_table("D1:E3", {"columns": [{"header": "Khóa"}, {"header": "Giá trị"}],
                            "data": [["nam", 2025], ["khoi", "Khối 1"]]})
    wb.define_name("NgayChot", f"='{CONFIG}'!$B$3")
    wb.define_name("HeSo", "=1.5")
    wb.define_name(f"'{SCORES}'!VungDiem", f"='{SCORES}'!$C$2:$D$4")   # sheet-scoped
    conf.write_row("A1", ["Interpreter_Win", "python"])
    conf.hide()
    wb.close()


_SHAPE_DRAWING = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" \
xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:twoCellAnchor editAs="oneCell">\
<xdr:from><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>\
<xdr:to><xdr:col>11</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>7</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>\
<xdr:sp macro="[0]!TinhLai" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Nút Tính lại"/><xdr:cNvSpPr/></xdr:nvSpPr>\
<xdr:spPr><a:xfrm><a:off x="6000000" y="1000000"/><a:ext cx="1800000" cy="400000"/></a:xfrm>\
<a:prstGeom prst="roundRect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></xdr:spPr>\
<xdr:txBody><a:bodyPr anchor="ctr"/><a:lstStyle/><a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="vi-VN" sz="1100"/>\
<a:t>Tính lại (hình)</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"""

_X14_VALIDATION = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
    f"<x14:formula1><xm:f>'{CONFIG}'!$A$1:$C$1</xm:f></x14:formula1><xm:sqref>C8</xm:sqref>"
    "</x14:dataValidation></x14:dataValidations></ext></extLst>")

_CALC_CHAIN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
               '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<c r="E2" i="1"/><c r="E3"/><c r="E4"/><c r="H2" a="1"/></calcChain>')


def _inject_excel_parts(path: Path) -> None:
    """Add what Excel writes and XlsxWriter does not (see the module docstring)."""
    def edit(name: str, data: bytes) -> bytes | None:
        if not name.endswith((".xml", ".rels")):
            return None
        text = data.decode("utf-8")
        if name == "xl/worksheets/sheet1.xml":
            # Shared formula E2:E4, as Excel stores a filled-down formula.
            for row in (2, 3, 4):
                old = f"<f>SUM(C{row}:D{row})</f>"
                new = ('<f t="shared" ref="E2:E4" si="0">SUM(C2:D2)</f>' if row == 2
                       else '<f t="shared" si="0"/>')
                assert old in text, old
                text = text.replace(old, new)
            assert "<pageSetup " in text and "<legacyDrawing " in text
            text = text.replace("<pageSetup ", '<pageSetup r:id="rId90" ', 1)
            text = text.replace("<legacyDrawing ", '<drawing r:id="rId91"/><legacyDrawing ', 1)
            return text.replace("</worksheet>", _X14_VALIDATION + "</worksheet>").encode()
        if name == "xl/worksheets/_rels/sheet1.xml.rels":
            return text.replace("</Relationships>", (
                f'<Relationship Id="rId90" Type="{_R}/printerSettings" '
                'Target="../printerSettings/printerSettings1.bin"/>'
                f'<Relationship Id="rId91" Type="{_R}/drawing" Target="../drawings/drawing1.xml"/>'
                "</Relationships>")).encode()
        if name == "xl/workbook.xml":   # as Excel writes it: no forced recalculation
            assert '<calcPr calcId="124519" fullCalcOnLoad="1"/>' in text
            return text.replace('<calcPr calcId="124519" fullCalcOnLoad="1"/>',
                                '<calcPr calcId="191029"/>').encode()
        if name == "xl/_rels/workbook.xml.rels":
            return text.replace("</Relationships>", (
                f'<Relationship Id="rId90" Type="{_R}/calcChain" Target="calcChain.xml"/>'
                "</Relationships>")).encode()
        if name == "[Content_Types].xml":
            return text.replace("</Types>", (
                '<Override PartName="/xl/printerSettings/printerSettings1.bin" ContentType='
                '"application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>'
                '<Override PartName="/xl/drawings/drawing1.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
                '<Override PartName="/xl/calcChain.xml" ContentType='
                '"application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>'
                "</Types>")).encode()
        return None

    rewrite_zip(path, edit, add={
        "xl/printerSettings/printerSettings1.bin": PRINTER_SETTINGS,
        "xl/drawings/drawing1.xml": _SHAPE_DRAWING.encode(),
        "xl/calcChain.xml": _CALC_CHAIN.encode(),
    })


def build_xlsxwriter_book(path: Path) -> Path:
    """The XlsxWriter-made macro workbook with Excel-style extras (module docstring)."""
    _write_xlsxwriter(path)
    _inject_excel_parts(path)
    return path


def build_pyopenvba_book(path: Path) -> Path:
    """pyopenvba workbook: Excel 2010 form button + a rounded rectangle running ``TinhLai``."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.xlsm"
        xf = ExcelFile.create_new(base)
        xf.set_module("Module1", MACRO)
        xf.save(base)
        app = ExcelApplication.open(base)
        sheet = app.sheet(1)
        sheet.set_value("A1", "Mã đơn vị")
        sheet.set_value("B2", 9.5)
        sheet.add_button(name="btnTinhLai", left=300, top=10, width=140, height=32,
                         text="Tính lại điểm", macro="TinhLai")
        sheet.add_shape(5, name="shpTinhLai", left=300, top=60, width=140, height=32,
                        text="Chạy", macro="TinhLai")
        app.save(path)
    return path


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (CFB) whose root holds exactly ``streams``.

    Made from pyopenvba's VBA project by removing its storages, since no CFB writer that
    starts from nothing is at hand.
    """
    cfb = CFB.from_bytes(vba_project_bin())
    for storage in cfb.list_storages_at(()):
        cfb.remove_storage_at((), storage)
    for stream in cfb.list_streams_at(()):
        cfb.remove_stream(stream)
    for name, data in streams.items():
        cfb.add_stream_at((), name, data)
    return cfb.to_bytes()


def encrypted_workbook_cfb() -> bytes:
    """How Office stores a password-protected .xlsx: EncryptionInfo + EncryptedPackage streams."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b'<?xml version="1.0"?><encryption/>'
    return compound_file({"EncryptionInfo": info, "EncryptedPackage": bytes(4096)})


def legacy_xls_cfb() -> bytes:
    """How Excel 97-2003 stores a workbook: a BIFF8 "Workbook" stream (BOF record first)."""
    return compound_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(4096)})
