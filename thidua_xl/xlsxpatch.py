"""Write cell values into an existing .xlsx/.xlsm without an openpyxl load/save round trip.

A round trip through openpyxl loses the parts a user's workbook really has: shapes used as
buttons, modern form controls, x14 validations, printer settings, the ribbon link
(engineering-notes §3).  So this module edits only the XML of the worksheets that receive
values and copies every other zip entry unchanged (same name, order, ZipInfo and compression):

* the patched ``xl/worksheets/sheetN.xml`` parts;
* ``xl/workbook.xml``, only to set ``<calcPr fullCalcOnLoad="1">`` so Excel recalculates
  formulas that depend on the new values (left byte for byte when it is already set);
* when a formula cell was overwritten: ``xl/calcChain.xml`` is dropped with its relationship
  and content-type override, because a calc chain naming a cell that has no formula any more
  makes Excel report the file as damaged.

Old entries in ``sharedStrings.xml`` stay; new text is written as an inline string
(``t="inlineStr"``), which Excel, openpyxl and calamine read, and Excel folds back into the
shared table on its next save.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import posixpath
import re
import unicodedata
import zipfile
import zlib
from decimal import Decimal
from typing import Any, Mapping, NamedTuple, Sequence
from urllib.parse import unquote

from lxml import etree

from thidua_xl.cellref import column_letter, column_number
from thidua_xl.errors import WorkbookError

__all__ = ["patch_cells", "parse_part", "serialize_part", "safe_parser", "Relationship",
           "rels_path", "resolve_target", "relationships", "workbook_part", "sheet_parts",
           "read_package", "write_package"]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_OFFICE_DOCUMENT = _REL_NS + "/officeDocument"
_WORKSHEET = _REL_NS + "/worksheet"
_CALC_CHAIN = _REL_NS + "/calcChain"
_TABLE = _REL_NS + "/table"

_MAX_ROW = 1_048_576
_MAX_COL = 16_384
_MAX_TEXT = 32_767  # Excel's limit on the characters of one cell

# Elements that come before <calcPr> in CT_Workbook, in schema order (ECMA-376 Part 1 §18.2.28).
_BEFORE_CALCPR = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
                  "sheets", "functionGroups", "externalReferences", "definedNames")

_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
# Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# OOXML strings encode characters as _xHHHH_; a literal "_x0041_" must be written _x005F_x0041_
# (ECMA-376 Part 1 §22.9.2.19), as Excel and XlsxWriter do, or Excel shows "A".
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)   # serial 61 = 1900-03-01; earlier dates hit the 1900 leap bug
_EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def _q(tag: str) -> str:
    return f"{{{_MAIN_NS}}}{tag}"


def safe_parser() -> etree.XMLParser:
    """An lxml parser for parts of users' files (untrusted: no entities, network or DTD)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           remove_blank_text=False)


def parse_part(data: bytes, part: str, where: str | None = None) -> etree._Element:
    """Parse one XML part of a package; WorkbookError (Vietnamese, ``where`` or the part)
    when it is not well-formed."""
    try:
        return etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(f"Phần {part} của tệp Excel bị hỏng (XML không hợp lệ: {exc}).",
                            where or part) from exc


def serialize_part(root: etree._Element) -> bytes:
    """An XML part as bytes with Excel's own declaration (double quotes, standalone), rather
    than lxml's single-quoted one."""
    return _DECLARATION + etree.tostring(root, encoding="UTF-8")


# --------------------------------------------------------------------------- cell references

def _split_ref(ref: str, where: str) -> tuple[int, int]:
    """``"G7"`` → (row 7, column 7); raises WorkbookError for anything that is not one cell."""
    m = _REF_RE.match(ref.strip())
    if m:
        col, row = column_number(m.group(1)), int(m.group(2))
        if 1 <= col <= _MAX_COL and 1 <= row <= _MAX_ROW:
            return row, col
    raise WorkbookError(f"«{ref}» không phải địa chỉ của một ô (ví dụ G7).", where)


def _split_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"A1:C3"`` or ``"B2"`` → (min_row, min_col, max_row, max_col); None when malformed."""
    parts = ref.replace("$", "").split(":")
    try:
        corners = [_split_ref(p, "") for p in parts]
    except WorkbookError:
        return None
    if len(corners) not in (1, 2):
        return None
    (r1, c1), (r2, c2) = corners[0], corners[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _inside(box: tuple[int, int, int, int], row: int, col: int) -> bool:
    return box[0] <= row <= box[2] and box[1] <= col <= box[3]


# --------------------------------------------------------------------------- package structure

class Relationship(NamedTuple):
    """One relationship of a package part: ``id``, ``type`` (the type URI) and ``target``:
    the target part's zip entry name (resolved by :func:`resolve_target`), or the URI as
    written when ``external`` (``TargetMode="External"``)."""

    id: str
    type: str
    target: str
    external: bool


def rels_path(part: str) -> str:
    """The relationships part of ``part``: ``xl/workbook.xml`` → ``xl/_rels/workbook.xml.rels``;
    ``""`` (the package) → ``_rels/.rels``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """Resolve a relationship target against the folder of ``source_part`` (zip entry names)."""
    target = unquote(target)    # OPC targets are URIs: "sheet%201.xml" is the part "sheet 1.xml"
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relationships(parts: Mapping[str, bytes], part: str,
                  where: str | None = None) -> list[Relationship]:
    """The relationships of ``part`` (``""``: the package's own), in file order; ``[]`` when
    it has no relationships part.  WorkbookError (``where`` or the part) when that part is not
    well-formed XML."""
    rels = rels_path(part)
    if rels not in parts:
        return []
    out = []
    for rel in parse_part(parts[rels], rels, where).iter(f"{{{_PKG_REL_NS}}}Relationship"):
        target, external = rel.get("Target", ""), rel.get("TargetMode") == "External"
        out.append(Relationship(rel.get("Id", ""), rel.get("Type", ""),
                                target if external else resolve_target(part, target), external))
    return out


def workbook_part(parts: Mapping[str, bytes], where: str | None = None) -> str:
    """The name of the package's workbook part (via the root relationships, else
    ``xl/workbook.xml``); WorkbookError (``where``) when the package is not a workbook."""
    for rel in relationships(parts, "", where):
        if rel.type == _OFFICE_DOCUMENT and rel.target in parts:
            return rel.target
    if "xl/workbook.xml" in parts:
        return "xl/workbook.xml"
    raise WorkbookError("Tệp không phải là sổ làm việc Excel (không có xl/workbook.xml).",
                        where or "")


def sheet_parts(parts: Mapping[str, bytes], workbook_part: str,
                workbook: etree._Element) -> dict[str, str]:
    """Sheet name (as shown on its tab) → worksheet part name, in tab order (chart sheets
    left out); ``workbook`` is the parsed workbook part."""
    by_id = {rel.id: rel for rel in relationships(parts, workbook_part)}
    out: dict[str, str] = {}
    for sheet in workbook.iter(_q("sheet")):
        rel = by_id.get(sheet.get(f"{{{_REL_NS}}}id", ""))
        if rel is not None and rel.type == _WORKSHEET:
            out[sheet.get("name", "")] = rel.target
    return out


def _find_sheet(sheets: dict[str, str], name: str) -> str:
    if name in sheets:
        return sheets[name]
    # Excel treats sheet names case-insensitively; also tolerate NFD input.
    key = unicodedata.normalize("NFC", name).casefold()
    for real, part in sheets.items():
        if unicodedata.normalize("NFC", real).casefold() == key:
            return part
    raise WorkbookError(f"Không tìm thấy trang tính «{name}» trong sổ làm việc "
                        f"(các trang tính: {', '.join(sheets)}).", name)


# --------------------------------------------------------------------------- values

def _serial(value: dt.date | dt.datetime | dt.time, date1904: bool, where: str) -> str:
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return repr(seconds / 86400)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    value = value.replace(tzinfo=None)   # Excel has no time zones: keep the wall-clock time
    epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH
    if value < (epoch if date1904 else dt.datetime(1900, 3, 1)):
        raise WorkbookError(f"Ngày {value:%d/%m/%Y} quá sớm, Excel không ghi được.", where)
    delta = value - epoch
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return str(delta.days) if serial == delta.days else repr(serial)


def _number_text(value: Any, where: str) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise WorkbookError(f"Giá trị {value} không phải là số hữu hạn.", where)
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise WorkbookError(f"Giá trị {value} không phải là số hữu hạn.", where)
        return repr(value)
    return str(int(value))


def _clean_text(value: str, where: str) -> str:
    text = _ILLEGAL_XML.sub("", value)
    if len(text) > _MAX_TEXT:
        raise WorkbookError(f"Văn bản dài {len(text)} ký tự, quá giới hạn {_MAX_TEXT} ký tự "
                            "của một ô Excel.", where)
    return text


def _write_value(cell: etree._Element, value: Any, date1904: bool, where: str) -> None:
    """Fill an emptied ``<c>`` with ``value`` (its ``s=`` style is kept by the caller)."""
    if value is None:
        return
    if isinstance(value, bool):
        cell.set("t", "b")
        etree.SubElement(cell, _q("v")).text = "1" if value else "0"
    elif isinstance(value, (int, float, Decimal)):
        etree.SubElement(cell, _q("v")).text = _number_text(value, where)
    elif isinstance(value, (dt.date, dt.time)):
        etree.SubElement(cell, _q("v")).text = _serial(value, date1904, where)
    elif isinstance(value, str):
        cell.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(cell, _q("is")), _q("t"))
        text = _clean_text(value, where)
        t.text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
        if text != text.strip() or "\n" in text or "\r" in text or "\t" in text:
            t.set(f"{{{_XML_NS}}}space", "preserve")
    else:
        raise TypeError(f"{where}: unsupported cell value type {type(value).__name__}")


def _check_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.time, str)):
        return
    raise TypeError(f"{where}: unsupported cell value type {type(value).__name__}")


# --------------------------------------------------------------------------- one worksheet

class _Guards:
    """Cells that must not be overwritten: merged non-anchors, array ranges, shared masters."""

    def __init__(self, root: etree._Element, table_headers: list[tuple[int, int, int, int]]):
        self.merged = [box for box in (_split_range(m.get("ref", ""))
                                       for m in root.iter(_q("mergeCell"))) if box]
        self.arrays: list[tuple[int, int, int, int]] = []
        self.shared_masters: dict[tuple[int, int], str] = {}
        for f in root.iter(_q("f")):
            kind, ref = f.get("t"), f.get("ref")
            if kind in ("array", "dataTable") and ref and (box := _split_range(ref)):
                self.arrays.append(box)
            elif kind == "shared" and ref:
                cell_ref = f.getparent().get("r")
                if cell_ref:
                    self.shared_masters[_split_ref(cell_ref, "")] = ref
        self.table_headers = table_headers

    def check(self, row: int, col: int, where: str) -> None:
        for box in self.merged:
            if _inside(box, row, col) and (row, col) != (box[0], box[1]):
                anchor = f"{column_letter(box[1])}{box[0]}"
                raise WorkbookError(f"Ô {where} nằm trong vùng ô đã gộp nhưng không phải ô đầu "
                                    f"{anchor}; không ghi được giá trị vào ô này.", where)
        for box in self.arrays:
            if _inside(box, row, col):
                raise WorkbookError(f"Ô {where} thuộc vùng công thức mảng; ghi đè sẽ làm hỏng "
                                    "công thức, nên không ghi.", where)
        if (row, col) in self.shared_masters:
            raise WorkbookError(f"Ô {where} chứa công thức dùng chung cho vùng "
                                f"{self.shared_masters[(row, col)]}; ghi đè sẽ làm hỏng các ô "
                                "còn lại, nên không ghi.", where)
        for box in self.table_headers:
            if _inside(box, row, col):
                raise WorkbookError(f"Ô {where} là tiêu đề cột của một bảng (Table); "
                                    "không ghi đè tiêu đề bảng.", where)


def _table_headers(parts: dict[str, bytes], sheet_part: str) -> list[tuple[int, int, int, int]]:
    """Header-row boxes of the Excel tables (ListObjects) on this sheet."""
    boxes = []
    for rel in relationships(parts, sheet_part):
        if rel.type != _TABLE or rel.external:
            continue
        part = rel.target
        if part not in parts:
            continue
        table = parse_part(parts[part], part)
        box = _split_range(table.get("ref", ""))
        if box and table.get("headerRowCount", "1") != "0":
            boxes.append((box[0], box[1], box[0], box[3]))
    return boxes


def _index_rows(sheet_data: etree._Element) -> dict[int, etree._Element]:
    """Row number → <row>; rows (and cells) without ``r`` get their implied number written."""
    rows: dict[int, etree._Element] = {}
    last = 0
    for row in sheet_data.findall(_q("row")):
        number = int(row.get("r") or last + 1)
        row.set("r", str(number))
        rows[number] = row
        last = number
        col = 0
        for cell in row.findall(_q("c")):
            if cell.get("r"):
                col = _split_ref(cell.get("r"), "")[1]
            else:
                col += 1
                cell.set("r", f"{column_letter(col)}{number}")
    return rows


def _get_row(sheet_data: etree._Element, rows: dict[int, etree._Element], number: int) -> etree._Element:
    if number in rows:
        return rows[number]
    # SubElement first, so the new element uses the document's prefix for the main namespace
    # (some writers use <x:row>); then move it into place.
    new = etree.SubElement(sheet_data, _q("row"), r=str(number))
    following = [r for n, r in rows.items() if n > number]
    if following:
        min(following, key=lambda r: int(r.get("r"))).addprevious(new)
    else:
        sheet_data.append(new)
    rows[number] = new
    return new


def _get_cell(row: etree._Element, ref: str, col: int,
              col_styles: dict[int, str] | None) -> etree._Element | None:
    """The row's ``<c>`` for column ``col``; created in column order when ``col_styles`` is
    given (None: find only).  A new cell takes the style Excel would give a typed entry: the
    row's (``customFormat``) or else the column's."""
    after = None
    for cell in row.findall(_q("c")):
        c = _split_ref(cell.get("r"), "")[1]
        if c == col:
            return cell
        if c > col:
            after = cell
            break
    if col_styles is None:
        return None
    new = etree.SubElement(row, _q("c"), r=ref)
    style = row.get("s") if row.get("customFormat") in ("1", "true") else col_styles.get(col)
    if style and style != "0":
        new.set("s", style)
    if after is not None:
        after.addprevious(new)
    else:
        # Cells precede the row's optional extLst.
        ext = row.find(_q("extLst"))
        if ext is not None:
            ext.addprevious(new)
    _widen_spans(row, col)
    return new


def _column_styles(root: etree._Element) -> dict[int, str]:
    """Column number → style index from ``<cols><col min max style>``."""
    styles: dict[int, str] = {}
    for col in root.iter(_q("col")):
        style = col.get("style")
        if not style:
            continue
        try:
            lo, hi = int(col.get("min", "0")), int(col.get("max", "0"))
        except ValueError:
            continue
        for n in range(max(lo, 1), min(hi, _MAX_COL) + 1):
            styles[n] = style
    return styles


def _widen_spans(row: etree._Element, col: int) -> None:
    """``spans`` is an optional hint; a hint that leaves out a cell is wrong, so drop it then."""
    spans = row.get("spans")
    if not spans:
        return
    try:
        ranges = [tuple(int(x) for x in s.split(":")) for s in spans.split()]
        if any(lo <= col <= hi for lo, hi in ranges):
            return
    except ValueError:
        pass
    del row.attrib["spans"]


def _update_dimension(root: etree._Element, written: list[tuple[int, int]], was_empty: bool) -> None:
    """Widen ``<dimension ref>`` to the written cells (never shrink; an empty sheet says A1)."""
    dim = root.find(_q("dimension"))
    if dim is None or not written:
        return
    box = None if was_empty else _split_range(dim.get("ref", ""))
    rows = [r for r, _ in written] + ([box[0], box[2]] if box else [])
    cols = [c for _, c in written] + ([box[1], box[3]] if box else [])
    first = f"{column_letter(min(cols))}{min(rows)}"
    last = f"{column_letter(max(cols))}{max(rows)}"
    dim.set("ref", first if first == last else f"{first}:{last}")


def _patch_sheet(xml: bytes, part: str, sheet: str, values: Mapping[str, Any], date1904: bool,
                 table_headers: list[tuple[int, int, int, int]]) -> tuple[bytes, bool]:
    """Return the new sheet XML and whether a formula cell was overwritten."""
    root = parse_part(xml, part)
    sheet_data = root.find(_q("sheetData"))
    if sheet_data is None:
        raise WorkbookError(f"Trang tính «{sheet}» không có phần dữ liệu ô (sheetData).", sheet)
    rows = _index_rows(sheet_data)
    was_empty = not rows
    col_styles = _column_styles(root)
    guards = _Guards(root, table_headers)
    targets = []
    for ref, value in values.items():
        where = f"{sheet}!{ref}"
        row_no, col = _split_ref(ref, where)
        where = f"{sheet}!{column_letter(col)}{row_no}"
        _check_value(value, where)
        guards.check(row_no, col, where)
        targets.append((row_no, col, value, where))

    had_formula = False
    written: list[tuple[int, int]] = []
    for row_no, col, value, where in targets:
        ref = f"{column_letter(col)}{row_no}"
        if value is None and row_no not in rows:
            continue
        row = _get_row(sheet_data, rows, row_no)
        cell = _get_cell(row, ref, col, col_styles if value is not None else None)
        if cell is None:
            continue
        had_formula |= cell.find(_q("f")) is not None
        for child in list(cell):
            if child.tag != _q("extLst"):
                cell.remove(child)
        for attr in ("t", "cm", "vm"):     # type, cell/value metadata belong to the old value
            cell.attrib.pop(attr, None)
        _write_value(cell, value, date1904, where)
        ext = cell.find(_q("extLst"))
        if ext is not None:                 # schema order: f, v, is, extLst
            cell.append(ext)
        if value is not None:
            written.append((row_no, col))
    _update_dimension(root, written, was_empty)
    return serialize_part(root), had_formula


# --------------------------------------------------------------------------- workbook level

def _ensure_full_calc(workbook: etree._Element) -> bool:
    """Set ``<calcPr fullCalcOnLoad="1">``; return False when it already was."""
    calc = workbook.find(_q("calcPr"))
    if calc is not None:
        if calc.get("fullCalcOnLoad") in ("1", "true"):
            return False
        calc.set("fullCalcOnLoad", "1")
        return True
    calc = etree.SubElement(workbook, _q("calcPr"), fullCalcOnLoad="1")
    anchor = None
    for child in workbook:
        if isinstance(child.tag, str) and etree.QName(child).localname in _BEFORE_CALCPR:
            anchor = child
    if anchor is not None:
        anchor.addnext(calc)
    else:
        workbook.insert(0, calc)   # moves it
    return True


def _drop_calc_chain(parts: dict[str, bytes], workbook_part: str) -> tuple[dict[str, bytes], set[str]]:
    """New bytes for the rels and content types without the calc chain, and the removed parts."""
    rels_name = rels_path(workbook_part)
    if rels_name not in parts:
        return {}, set()
    rels = parse_part(parts[rels_name], rels_name)
    removed: set[str] = set()
    for rel in list(rels):
        if rel.get("Type") == _CALC_CHAIN:
            removed.add(resolve_target(workbook_part, rel.get("Target", "")))
            rels.remove(rel)
    if not removed:
        return {}, set()
    updates = {rels_name: serialize_part(rels)}
    ct_name = "[Content_Types].xml"
    if ct_name in parts:
        types = parse_part(parts[ct_name], ct_name)
        for override in list(types.iter(f"{{{_CT_NS}}}Override")):
            if override.get("PartName", "").lstrip("/") in removed:
                types.remove(override)
        updates[ct_name] = serialize_part(types)
    return updates, removed & set(parts)


def read_package(data: bytes, where: str | None = None
                 ) -> tuple[list[zipfile.ZipInfo], dict[str, bytes], bytes]:
    """A package's zip entries (ZipInfo, in order), their bytes by name, and the zip comment.

    Raises WorkbookError (``where``) when ``data`` is not a readable zip or names a part
    twice."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        parts = {info.filename: zf.read(info) for info in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise WorkbookError(f"Tệp Excel bị hỏng, không đọc được (tệp zip lỗi: {exc}).",
                            where or "") from exc
    if len(parts) != len(infos):
        raise WorkbookError("Tệp Excel bị hỏng: có hai phần trùng tên trong tệp zip.",
                            where or "")
    return infos, parts, zf.comment


def write_package(infos: Sequence[zipfile.ZipInfo], parts: Mapping[str, bytes],
                  comment: bytes) -> bytes:
    """The zip of ``parts``: the entries of ``infos`` in their order, each with its own ZipInfo
    (so unchanged parts keep name, date and compression), and ``comment``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        dst.comment = comment
        for info in infos:
            # A copy: writestr() rewrites sizes and offsets on the ZipInfo it is given.
            dst.writestr(copy.copy(info), parts[info.filename])
    return out.getvalue()


def patch_cells(data: bytes, changes: Mapping[str, Mapping[str, Any]]) -> bytes:
    """Return the workbook ``data`` (.xlsx/.xlsm bytes) with the given cells set.

    ``changes`` is ``{sheet name: {"G7": value}}``; sheet names are matched exactly, then
    case-insensitively.  Values:

    * ``None`` clears the cell (its style stays; an absent cell is not created);
    * ``bool`` → boolean cell; ``int``/``float`` → number (``repr``, shortest exact form);
      ``Decimal`` → number written as ``str(value)`` (points stay exact in the file);
    * ``str`` → inline string; leading/trailing spaces and line breaks are kept, characters
      XML forbids are removed, a literal ``_xHHHH_`` is escaped as Excel does;
    * ``date``/``datetime``/``time`` → serial number (1900 or 1904 system as the workbook says).
      Only write into cells the template already formats as dates: the style ``s=`` is kept.

    An existing cell keeps its style ``s=``; a new cell gets the row's style (when the row
    has ``customFormat``) or else its column's, as Excel does for a typed entry; rows and cells
    are inserted in order, ``spans`` hints that no longer cover a row are dropped and
    ``<dimension>`` is widened.  Formulas in overwritten cells are removed.  The result has ``fullCalcOnLoad="1"`` so Excel
    recalculates on opening.  Every zip entry other than the patched worksheets,
    ``xl/workbook.xml`` and (when a formula was overwritten) the calc chain's relationship and
    content-type parts is copied unchanged.

    Raises :class:`WorkbookError` (Vietnamese, ``where`` = ``Sheet!Cell`` or the sheet) for an
    unknown sheet, a malformed reference, a cell that must not be overwritten (non-top-left
    cell of a merged range, cell of an array formula, master of a shared formula, header of an
    Excel table), a non-finite number, a too long text or a damaged package; no partial result
    is produced.  Raises :class:`TypeError` for a value of another type.
    """
    if not any(changes.values()):
        return data
    infos, parts, comment = read_package(data)
    wb_part = workbook_part(parts)
    workbook = parse_part(parts[wb_part], wb_part)
    if etree.QName(workbook).namespace != _MAIN_NS:
        raise WorkbookError("Sổ làm việc được lưu ở định dạng Strict Open XML, không ghi được. "
                            "Hãy lưu lại thành Sổ làm việc Excel (.xlsx/.xlsm) thông thường.")
    sheets = sheet_parts(parts, wb_part, workbook)
    pr = workbook.find(_q("workbookPr"))
    date1904 = pr is not None and pr.get("date1904") in ("1", "true")

    updates: dict[str, bytes] = {}
    any_formula = False
    for sheet, values in changes.items():
        if not values:
            continue
        part = _find_sheet(sheets, sheet)
        if part not in parts:
            raise WorkbookError(f"Tệp Excel bị hỏng: thiếu phần {part} của trang tính «{sheet}».",
                                sheet)
        real_name = next(n for n, p in sheets.items() if p == part)
        source = updates.get(part, parts[part])
        updates[part], had_formula = _patch_sheet(source, part, real_name, values, date1904,
                                                  _table_headers(parts, part))
        any_formula |= had_formula

    if _ensure_full_calc(workbook):
        updates[wb_part] = serialize_part(workbook)
    removed: set[str] = set()
    if any_formula:
        more, removed = _drop_calc_chain(parts, wb_part)
        updates.update(more)

    return write_package([info for info in infos if info.filename not in removed],
                         {**parts, **updates}, comment)
