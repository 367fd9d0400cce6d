"""`thidua new`: build the shared workbook (sổ Excel dùng chung) of a bloc-year with XlsxWriter.

One call, :func:`build_workbook`, writes a new .xlsx/.xlsm laid out as
:mod:`thidua_xl.workbook.layout` says: guide, results, conference, one sheet per unit, the
criteria table and the configuration.  Unit sheets carry live formulas that reproduce
rules.md §3 (official score per line, section subtotals, capped bonus and deductions, total
floored at 0) with their cached values computed by :mod:`thidua_xl.scoring`, so Protected View
and LibreOffice show the right numbers before any recalculation.

Choices worth knowing:

* Score cells get an Excel data validation of type *decimal* between 0 and the line's maximum.
  Excel's decimal validation rejects text, so on an English-locale Excel "9,5" typed by hand is
  refused with a Vietnamese message asking for the machine's decimal separator; staff on a
  Vietnamese-locale Excel type 9,5 and get the number 9.5.  Pasted text bypasses validation and
  the engine still reads "9,5" (rules.md §2).  The step (0.5) is not checked by Excel; the
  engine and the unit sheet's check button report it.
* Scores are written as numbers exactly (Decimal → float only at the XlsxWriter call; points
  such as 17.5 or 0.25 are exact binary fractions).  A score that is not a number is written
  as the text typed: the formulas then count it 0, and so do the cached values.
* The unit sheet's formulas read a score typed as text the way the engine does, whatever
  Excel's locale: "24,5" and " 9.5 " count 24.5 and 9.5 (NUMBERVALUE with "." after the comma
  is replaced), other text counts 0.  The self scores so read sit in a hidden helper column
  (I) that the self subtotals add up: a SUM over an IF of a range would need an array formula.
* `Tổng hợp` is the result sheet: its `Tự chấm` and `Tổng điểm` cells hold values, never
  formulas — the engine's totals (blank for a unit with data errors), computed here when built
  without a result, then rewritten by `thidua run` and the buttons.
* Totals are wrapped in ``ROUND(…, 6)`` so binary sums of steps such as 0.1 land on the decimal
  value; cached totals are the exact Decimal rounded the same way.
* Printing: A4, fitted to the page width.  A sheet that nearly fits one page (a unit sheet of
  the usual size, the guide) is fitted to one page, a longer one to as few pages as it fills,
  so no page holds a lone row.  Excel does not grow the rows of wrapped text written by
  XlsxWriter, so their heights are computed from Times New Roman's character widths; rows
  for a reason that `thidua run` writes later are built REASON_LINES lines high.  On
  `Tổng hợp` the table is shrunk onto one page when it fills less than TABLE_SHRINK pages at
  the page width, and the chart then gets a page of its own (a fixed print scale and a manual
  break: Excel ignores manual breaks under "fit to pages").
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Mapping

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell

from .. import __version__
from ..model import (BONUS, DEDUCTION, SCORES_ERROR, STANDARD, STATUS_LABELS, Bloc,
                     ReviewResult, RoundInput, ScoreEntry, UnitResult)
from ..nomination import quota_for
from ..numbers import NotANumber, format_number, parse_score
from ..scoring import Totals, compute_totals, score_unit
from ..text import normalize
from . import layout as L

__all__ = ["build_workbook", "workbook_bytes", "unit_workbook_bytes", "FONT_NAME",
           "ROUND_DIGITS"]

FONT_NAME = "Times New Roman"   # metric-compatible Liberation Serif on Linux (notes §4c)
FONT_SIZE = 12
ROUND_DIGITS = 6
INPUT_FILL = "#FFF2CC"          # light yellow: cells to fill in
SECTION_FILL = "#DDEBF7"        # light blue: section rows
HEADER_FILL = "#D9E1F2"
FORMULA_FILL = "#F2F2F2"        # grey: computed
NOMINEE_FILL = "#C6EFCE"        # green: units proposed for an award
SCORE_FORMAT = "0.0#"
DATE_FORMAT = "dd/mm/yyyy"
DEFINED_UNITS_NAME = "DanhSachDonVi"   # workbook name: unit codes on Cấu hình (list validations)
PAPER_A4 = 9
A4_POINTS = (595.3, 841.9)      # portrait width, height
MARGINS = {"left": 0.5, "right": 0.4, "top": 0.6, "bottom": 0.6}   # inches
PAGE_SLACK = 0.95               # of the page height, for rounding of rows and the repeated header
SQUEEZE = 0.3                   # a last page filled less than this is shrunk onto the others
DEFAULT_ROW_HEIGHT = 15.0       # points
LINE_HEIGHT = 16.0              # points per line of wrapped 12-pt text
# Share of a cell's width that wrapped text may fill: LibreOffice wrapped a line at 0.93-0.97
# of the cell (padding, and text drawn wider when the page is scaled down); a little under so
# rows are never short.
TEXT_FILL = 0.9
#: Lines kept for a reason that `thidua run` will write later (built without a result).
REASON_LINES = 3
#: `Tổng hợp`'s table is shrunk onto one page when it fills at most this many pages at the
#: page width; a longer one runs over pages with its header repeated.
TABLE_SHRINK = 1.5
# The guide's single column fits portrait A4 unscaled (LibreOffice does not shrink one wrapped
# column wider than the page: the text is cut at both edges).
GUIDE_WIDTH = 85

# Unit sheet columns (0-based), in layout.UNIT_COLUMNS order.
_U_CODE, _U_TEXT, _U_MAX, _U_SELF, _U_ASSESSED, _U_OFFICIAL, _U_EVIDENCE, _U_CRITICAL = range(8)
_UNIT_WIDTHS = (13, 58, 11, 11, 11, 13, 40, 9)
# Hidden helper column right of the table: each self score read as a number (see _as_number).
_U_SELF_NUMBER = len(L.UNIT_COLUMNS)
SELF_NUMBER_TITLE = "Tự chấm (số)"
# Tổng hợp: names wrap in B so the reason (J) gets the room: 2 lines for a usual reason.
_SUMMARY_WIDTHS = (12, 36, 10, 11, 9, 11, 18, 11, 24, 70)


def _f(value: Decimal | int | float) -> float | int:
    """The only Decimal → float crossing (XlsxWriter wants Python numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _num_text(value: Decimal) -> str:
    """A Decimal as a formula literal: ``Decimal("10")`` → ``10``, ``0.25`` → ``0.25``."""
    text = f"{value.normalize():f}"
    return text


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-ROUND_DIGITS), rounding=ROUND_HALF_UP).normalize()


def _lenient(raw: Any) -> tuple[Decimal | None, Any]:
    """(number or None, what to write): a number is written as a number; text that is not a
    number is written as typed and counts 0 in the formulas (Excel's SUM skips text)."""
    try:
        value = parse_score(raw)
    except NotANumber:
        return None, normalize(raw)
    return value, value


def _as_number(ref: str) -> str:
    """Excel expression for the score in cell ``ref`` read as the engine reads it (rules.md
    §2): a number as it is; text such as "24,5" or " 9.5 " as that number whatever Excel's
    locale (commas made points, then NUMBERVALUE with "." as the decimal separator — Excel
    2013+, LibreOffice; the ``_xlfn.`` prefix is how the file must store it); other text 0."""
    return (f'IF(ISNUMBER({ref}),{ref},IFERROR(_xlfn.NUMBERVALUE(SUBSTITUTE(TRIM({ref}),",",'
            f'"."),".",","),0))')


def _official_formula(self_ref: str, assessed_ref: str) -> str:
    """The official score of a line: blank when neither score is given (blank or spaces),
    else Khối chấm when given, else Tự chấm, each read by :func:`_as_number`."""
    d, e = self_ref, assessed_ref
    return (f'=IF(AND(TRIM({d})="",TRIM({e})=""),"",'
            f'IF(TRIM({e})="",{_as_number(d)},{_as_number(e)}))')


# ----------------------------------------------------------------------------- plan

class _UnitPlan:
    """Row numbers (0-based) of a unit sheet; identical for every unit of the bloc."""

    def __init__(self, bloc: Bloc) -> None:
        self.header = L.UNIT_HEADER_ROW - 1
        self.section_row: dict[str, int] = {}
        self.criterion_row: dict[str, int] = {}
        self.section_lines: dict[str, tuple[int, int] | None] = {}
        row = self.header + 1
        for s in bloc.sections:
            self.section_row[s.code] = row
            row += 1
            lines = bloc.criteria_of(s.code)
            first = row
            for c in lines:
                self.criterion_row[c.code] = row
                row += 1
            self.section_lines[s.code] = (first, row - 1) if lines else None
        self.last_line = row - 1
        self.result_row = {label: row + 1 + i for i, label in enumerate(L.UNIT_RESULT_LABELS)}
        self.last = row + len(L.UNIT_RESULT_LABELS)


def _total_formula(bloc: Bloc, plan: _UnitPlan, col: int) -> str:
    """rules.md §3 on one column of section subtotals: MAX(0, standard + MIN(bonus, cap) −
    MIN(deductions, cap)), rounded to ROUND_DIGITS."""
    def refs(kind: str) -> str:
        cells = [xl_rowcol_to_cell(plan.section_row[s.code], col)
                 for s in bloc.sections if s.kind == kind]
        return "+".join(cells) if cells else "0"

    expr = f"({refs(STANDARD)})"
    if any(s.kind == BONUS for s in bloc.sections):
        expr += f"+MIN({refs(BONUS)},{_num_text(bloc.scoring.bonus_cap)})"
    if any(s.kind == DEDUCTION for s in bloc.sections):
        ded = refs(DEDUCTION)
        cap = bloc.scoring.deduction_cap
        expr += f"-MIN({ded},{_num_text(cap)})" if cap is not None else f"-({ded})"
    return f"=ROUND(MAX(0,{expr}),{ROUND_DIGITS})"


# ----------------------------------------------------------------------------- formats

class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT_NAME, "font_size": FONT_SIZE, "valign": "vcenter"}
        box = {"border": 1, "border_color": "#808080"}

        def fmt(**kw: Any) -> Any:
            return wb.add_format({**base, **kw})

        self.plain = fmt()
        self.wrap = fmt(text_wrap=True, valign="top")
        self.title = fmt(bold=True, font_size=14)
        self.subtitle = fmt(italic=True)
        self.label = fmt(bold=True)
        self.value = fmt()
        self.value_text = fmt(num_format="@")
        self.value_wrap = fmt(text_wrap=True, valign="top", num_format="@")
        self.value_score = fmt(num_format=SCORE_FORMAT, align="left")
        self.value_int = fmt(align="left")
        self.header = fmt(bold=True, bg_color=HEADER_FILL, text_wrap=True, align="center",
                          **box)
        self.cell = fmt(**box)
        self.cell_center = fmt(align="center", **box)
        self.cell_wrap = fmt(text_wrap=True, **box)
        self.cell_score = fmt(num_format=SCORE_FORMAT, **box)
        self.cell_text = fmt(num_format="@", **box)
        self.cell_text_wrap = fmt(num_format="@", text_wrap=True, **box)
        self.section = fmt(bold=True, bg_color=SECTION_FILL, **box)
        self.section_wrap = fmt(bold=True, bg_color=SECTION_FILL, text_wrap=True, **box)
        self.section_score = fmt(bold=True, bg_color=SECTION_FILL, num_format=SCORE_FORMAT,
                                 **box)
        self.formula_score = fmt(bg_color=FORMULA_FILL, num_format=SCORE_FORMAT, **box)
        self.total_label = fmt(bold=True, align="right")
        self.total_label_top = fmt(bold=True, align="right", valign="top")
        self.total_score = fmt(bold=True, bg_color=FORMULA_FILL, num_format=SCORE_FORMAT,
                               **box)
        self.result_value = fmt(bold=True, text_wrap=True, align="left", valign="top", **box)
        self.input_score = fmt(bg_color=INPUT_FILL, num_format=SCORE_FORMAT, locked=False,
                               **box)
        self.input_text = fmt(bg_color=INPUT_FILL, text_wrap=True, locked=False, **box)
        self.input_mark = fmt(bg_color=INPUT_FILL, align="center", locked=False, **box)
        self.input_int = fmt(bg_color=INPUT_FILL, align="center", locked=False, **box)
        self.input_value = fmt(bg_color=INPUT_FILL, align="left", text_wrap=True, locked=False,
                               **box)
        self.input_date = fmt(bg_color=INPUT_FILL, align="left", num_format=DATE_FORMAT,
                              locked=False, **box)
        self.nominee = wb.add_format({"bg_color": NOMINEE_FILL, "bold": True})
        self.guide_title = fmt(bold=True, font_size=16)
        self.guide_head = fmt(bold=True, font_size=13, font_color="#1F4E79")
        self.guide_text = fmt(text_wrap=True, valign="top")


def _protect(ws: Any, bloc: Bloc) -> None:
    # Password only when the bloc sets one; it is never written into a cell.
    ws.protect(bloc.workbook.password or "", {"format_columns": True, "format_rows": True})


class _Rows:
    """The row heights (points) set on one sheet, kept to estimate its printed height."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.heights: dict[int, float] = {}

    def set(self, row: int, height: float | None) -> None:
        """Set 0-based ``row`` to ``height`` points (None: leave the default height)."""
        if height:
            self.ws.set_row(row, height)
            self.heights[row] = height

    def total(self, first: int, last: int) -> float:
        """Height in points of rows ``first``..``last`` (0-based, inclusive)."""
        return sum(self.heights.get(r, DEFAULT_ROW_HEIGHT) for r in range(first, last + 1))


def _column_points(width: float) -> float:
    """Printed width in points of a column ``width`` characters wide: 8 px per character (the
    digit width of 12-pt Times New Roman) plus 5 px padding, at 0.75 pt per px — as
    LibreOffice and Excel lay it out."""
    return 6.0 * width + 4.3


def _usable(widths: tuple[float, ...] | list[float], *, landscape: bool) -> tuple[float, float]:
    """(scale that fits the columns of ``widths`` (characters) to the A4 page width, never
    enlarging; usable page height in points, less PAGE_SLACK)."""
    page_w, page_h = (A4_POINTS[1], A4_POINTS[0]) if landscape else A4_POINTS
    usable_w = page_w - 72 * (MARGINS["left"] + MARGINS["right"])
    usable_h = (page_h - 72 * (MARGINS["top"] + MARGINS["bottom"])) * PAGE_SLACK
    return min(1.0, usable_w / sum(_column_points(w) for w in widths)), usable_h


def _printed_pages(widths: tuple[float, ...] | list[float], height: float, *,
                   landscape: bool) -> float:
    """Pages (fractional) that ``height`` points of rows fill on A4 once the columns of
    ``widths`` (characters) are scaled to the page width (never enlarged)."""
    scale, usable_h = _usable(widths, landscape=landscape)
    return height * scale / usable_h


def _fit_scale(widths: tuple[float, ...] | list[float], height: float, *,
               landscape: bool) -> int:
    """Print scale (whole percent, 10–100) at which the columns of ``widths`` fit the A4
    page width and ``height`` points of rows fit one page."""
    scale, usable_h = _usable(widths, landscape=landscape)
    if height > 0:
        scale = min(scale, usable_h / height)
    return max(10, min(100, math.floor(scale * 100)))


def _pages_tall(pages: float) -> int:
    """Pages to fit a print area that fills ``pages`` pages at page width: a last page filled
    less than SQUEEZE is folded into the others by shrinking, so no page holds a lone row."""
    return max(1, math.ceil(pages - SQUEEZE))


def _print_setup(ws: Any, last_row: int, last_col: int, *, landscape: bool,
                 header_row: int | None = None, pages_tall: int = 0,
                 scale: int | None = None) -> None:
    """A4, fit to one page wide and ``pages_tall`` pages tall (0: as many as needed) — or
    printed at ``scale`` percent when given —, print area A1 to (``last_row``, ``last_col``),
    ``header_row`` repeated on every page."""
    ws.set_paper(PAPER_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if scale is not None:
        ws.set_print_scale(scale)
    else:
        ws.fit_to_pages(1, pages_tall)
    if last_row > (header_row or 0):
        ws.print_area(0, 0, last_row, last_col)
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_margins(**MARGINS)
    ws.center_horizontally()
    ws.set_footer("&C&\"Times New Roman\"&10Trang &P/&N")


# Advance widths (1/1000 em) of Times New Roman — Liberation Serif on Linux has the same
# metrics — for ASCII 32..126, regular and bold, read from the font's hmtx table.  A letter
# with Vietnamese diacritics takes its base letter's width, except the horned/barred ones.
_TNR_REGULAR = (
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500,
    500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667,
    722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722,
    722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500,
    500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500,
    444, 480, 200, 480, 541)
_TNR_BOLD = (
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500,
    500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722,
    722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722,
    722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500,
    556, 278, 333, 556, 278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500,
    444, 394, 220, 394, 520)
_TNR_OTHER = {  # (regular, bold)
    "đ": (500, 556), "Đ": (722, 722), "ư": (542, 600), "Ư": (776, 796), "ơ": (529, 554),
    "Ơ": (722, 778), "“": (444, 500), "”": (444, 500), "‘": (333, 333), "’": (333, 333),
    "–": (500, 500), "—": (1000, 1000), "…": (1000, 1000), "•": (350, 350)}


@functools.lru_cache(maxsize=None)
def _char_em(ch: str, bold: bool) -> int:
    """Advance width of one character in 1/1000 em (a wide letter's width when unknown)."""
    base = unicodedata.normalize("NFD", ch)
    # ứ → u + horn + acute: keep the horn (a wider glyph), drop the tone marks.
    key = unicodedata.normalize("NFC", base[:2]) if len(base) > 1 else ch
    key = key if key in _TNR_OTHER else base[:1] or ch
    if key in _TNR_OTHER:
        return _TNR_OTHER[key][bold]
    code = ord(key)
    if 32 <= code < 127:
        return (_TNR_BOLD if bold else _TNR_REGULAR)[code - 32]
    return 722


def _text_points(text: str, *, bold: bool = False) -> float:
    """Width in points of ``text`` on one line in 12-pt Times New Roman."""
    return sum(_char_em(ch, bold) for ch in text) * FONT_SIZE / 1000


@functools.lru_cache(maxsize=4096)
def _wrapped_lines(text: str, width: float, *, bold: bool = False) -> int:
    """Lines ``text`` takes when wrapped at spaces in a cell ``width`` characters wide, in
    12-pt Times New Roman (each line break in ``text`` starts a new line; a word wider than
    the cell is cut)."""
    room = _column_points(width) * TEXT_FILL
    space = _text_points(" ", bold=bold)
    lines = 0
    for part in str(text).split("\n"):
        count, used = 1, 0.0
        for word in part.split():
            need = _text_points(word, bold=bold)
            if used and used + space + need > room:
                count, used = count + 1, need
            else:
                used += (space if used else 0.0) + need
            while used > room:       # a word wider than the cell wraps mid-word
                count, used = count + 1, used - room
        lines += count
    return lines


def _line_height(text: str, width: float, *, bold: bool = False,
                 min_lines: int = 1) -> float | None:
    """Row height (points) fitting ``text`` wrapped in a column ``width`` characters wide, at
    least ``min_lines`` lines; None for one line (Excel does not grow wrapped rows written by
    XlsxWriter by itself)."""
    lines = max(min_lines, _wrapped_lines(normalize(text), width, bold=bold))
    return None if lines == 1 else LINE_HEIGHT * lines


# ----------------------------------------------------------------------------- unit sheets

def _unit_entries(data: RoundInput) -> dict[str, dict[str, ScoreEntry]]:
    out: dict[str, dict[str, ScoreEntry]] = {}
    for e in data.scores:
        out.setdefault(e.unit, {})[e.criterion] = e
    return out


class _UnitSheet:
    """One unit's sheet, with the totals its formulas show (for cached values elsewhere)."""

    def __init__(self, ws: Any, self_totals: Totals, totals: Totals) -> None:
        self.ws, self.self_totals, self.totals = ws, self_totals, totals


def _write_unit(wb: Any, fm: _Formats, bloc: Bloc, plan: _UnitPlan, code: str,
                entries: Mapping[str, ScoreEntry], result: UnitResult | None) -> _UnitSheet:
    ws = wb.add_worksheet(code)
    rows = _Rows(ws)
    unit = bloc.unit(code)
    for col, width in enumerate(_UNIT_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_column(_U_SELF_NUMBER, _U_SELF_NUMBER, _UNIT_WIDTHS[_U_SELF], None, {"hidden": True})
    ws.write_string(L.UNIT_TITLE_ROW - 1, 0, L.unit_title(bloc), fm.title)
    identity = (bloc.name, bloc.year, unit.name, unit.code)
    for i, (label, value) in enumerate(zip(L.UNIT_IDENTITY_LABELS, identity)):
        row = L.UNIT_IDENTITY_ROW - 1 + i
        ws.write_string(row, 0, label, fm.label)
        ws.write(row, 1, value, fm.value_int if isinstance(value, int) else fm.label)
    ws.write_string(plan.header - 1, 0, "Nhập điểm vào các ô màu vàng; các ô khác do phần mềm "
                                        "tính hoặc khóa.", fm.subtitle)
    for col, title in enumerate((*L.UNIT_COLUMNS, SELF_NUMBER_TITLE)):
        ws.write_string(plan.header, col, title, fm.header)
    rows.set(plan.header, 32)

    # Lenient values: what the formulas will see (number text read as the number, other text
    # and blank count 0).
    own: dict[str, Decimal] = {}
    official: dict[str, Decimal] = {}
    step = format_number(bloc.scoring.step)
    for s in bloc.sections:
        srow = plan.section_row[s.code]
        ws.write_string(srow, _U_CODE, s.code, fm.section)
        title = L.section_title(bloc, s.code)
        ws.write_string(srow, _U_TEXT, title, fm.section_wrap)
        rows.set(srow, _line_height(title, _UNIT_WIDTHS[_U_TEXT], bold=True))
        ws.write_number(srow, _U_MAX, _f(s.max_points), fm.section_score)
        for col in (_U_ASSESSED, _U_EVIDENCE, _U_CRITICAL):
            ws.write_blank(srow, col, None, fm.section)
        for c in bloc.criteria_of(s.code):
            row = plan.criterion_row[c.code]
            n = row + 1
            e = entries.get(c.code) or ScoreEntry(unit=code, criterion=c.code)
            ws.write_string(row, _U_CODE, c.code, fm.cell)
            ws.write_string(row, _U_TEXT, c.text, fm.cell_wrap)
            ws.write_number(row, _U_MAX, _f(c.max_points), fm.cell_score)
            mine, shown_self = _lenient(e.self_score)
            theirs, shown_assessed = _lenient(e.assessed_score)
            for col, shown in ((_U_SELF, shown_self), (_U_ASSESSED, shown_assessed)):
                if shown is None or shown == "":
                    ws.write_blank(row, col, None, fm.input_score)
                elif isinstance(shown, Decimal):
                    ws.write_number(row, col, _f(shown), fm.input_score)
                else:
                    ws.write_string(row, col, shown, fm.input_score)
            self_given = e.self_score is not None and normalize(e.self_score) != ""
            assessed_given = e.assessed_score is not None and normalize(e.assessed_score) != ""
            if assessed_given:
                line = theirs or Decimal(0)
            elif self_given:
                line = mine or Decimal(0)
            else:
                line = Decimal(0)
            cached: Any = _f(line) if assessed_given or self_given else ""
            own[c.code] = mine or Decimal(0)
            official[c.code] = line
            ws.write_formula(row, _U_OFFICIAL, _official_formula(f"D{n}", f"E{n}"),
                             fm.formula_score, cached)
            ws.write_formula(row, _U_SELF_NUMBER, f"={_as_number(f'D{n}')}", fm.formula_score,
                             _f(own[c.code]))
            evidence = normalize(e.evidence)
            if evidence:
                ws.write_string(row, _U_EVIDENCE, evidence, fm.input_text)
            else:
                ws.write_blank(row, _U_EVIDENCE, None, fm.input_text)
            ws.write_string(row, _U_CRITICAL, L.CRITICAL_MARK if c.critical else "",
                            fm.cell_center)
            rows.set(row, _line_height(c.text, _UNIT_WIDTHS[_U_TEXT]))
            kind = "số điểm bị trừ" if s.kind == DEDUCTION else "điểm"
            top = format_number(c.max_points)
            for col, who in ((_U_SELF, "Tự chấm"), (_U_ASSESSED, "Khối chấm")):
                ws.data_validation(row, col, row, col, {
                    "validate": "decimal", "criteria": "between",
                    "minimum": 0, "maximum": _f(c.max_points), "ignore_blank": True,
                    "input_title": f"{who} {c.code}"[:32],
                    "input_message": (f"Nhập {kind} từ 0 đến {top}, bước {step} điểm."
                                      + (" Để trống nếu không có." if s.kind != STANDARD
                                         else ""))[:255],
                    "error_title": "Điểm không hợp lệ",
                    "error_message": (f"Tiêu chí {c.code}: {kind} phải là số từ 0 đến {top}. "
                                      "Nhập số thập phân bằng dấu thập phân của máy "
                                      "(ví dụ 9,5 hoặc 9.5).")[:255],
                    "error_type": "stop",
                })

    self_totals = compute_totals(bloc, own)
    totals = compute_totals(bloc, official)
    for s in bloc.sections:
        srow = plan.section_row[s.code]
        span = plan.section_lines[s.code]
        # Self scores are added up from the helper column, where text is already a number.
        for col, summed, tot in ((_U_SELF, _U_SELF_NUMBER, self_totals),
                                 (_U_OFFICIAL, _U_OFFICIAL, totals)):
            value = _f(tot.section_totals[s.code])
            if span is None:
                ws.write_number(srow, col, value, fm.section_score)
            else:
                letter = xl_col_to_name(summed)
                ws.write_formula(srow, col, f"=SUM({letter}{span[0] + 1}:{letter}{span[1] + 1})",
                                 fm.section_score, value)

    # Result block: label in column B, value to its right.
    rr = plan.result_row
    for label in L.UNIT_RESULT_LABELS:
        # Lý do spans lines: its label stands by the first one.
        ws.write_string(rr[label], _U_TEXT, label,
                        fm.total_label_top if label == L.LABEL_REASON else fm.total_label)
        if label not in (L.LABEL_SELF_TOTAL, L.LABEL_TOTAL):
            # Value cell C spans to the last column so a long reason stays on the page.
            ws.merge_range(rr[label], _U_MAX, rr[label], len(L.UNIT_COLUMNS) - 1, "",
                           fm.result_value)
    ws.write_formula(rr[L.LABEL_SELF_TOTAL], _U_MAX, _total_formula(bloc, plan, _U_SELF),
                     fm.total_score, _f(_rounded(self_totals.total)))
    ws.write_formula(rr[L.LABEL_TOTAL], _U_MAX, _total_formula(bloc, plan, _U_OFFICIAL),
                     fm.total_score, _f(_rounded(totals.total)))
    if result is not None:
        values = {L.LABEL_RANK: result.rank, L.LABEL_GRADE: result.grade or "",
                  L.LABEL_PROPOSAL: L.proposal_text(bloc, result), L.LABEL_REASON: result.reason}
        for label, value in values.items():
            if value is not None and value != "":
                ws.write(rr[label], _U_MAX, value, fm.result_value)
    # The reason row fits its text, with 2 lines at least (a later run may write a longer
    # one); built without a result it keeps REASON_LINES lines for the reason to come.
    reason_width = sum(_UNIT_WIDTHS[_U_MAX:])
    if result is not None:
        rows.set(rr[L.LABEL_REASON], _line_height(result.reason or "", reason_width, bold=True,
                                                  min_lines=2))
    else:
        rows.set(rr[L.LABEL_REASON], LINE_HEIGHT * REASON_LINES)

    if bloc.criteria:
        ws.freeze_panes(plan.header + 1, 0)
    # One page when the sheet nearly fits one (the usual case), else as few as it fills.
    pages = _printed_pages(_UNIT_WIDTHS, rows.total(0, plan.last), landscape=True)
    _print_setup(ws, plan.last, len(L.UNIT_COLUMNS) - 1, landscape=True,
                 header_row=plan.header, pages_tall=_pages_tall(pages))
    _protect(ws, bloc)
    return _UnitSheet(ws, self_totals, totals)


# ----------------------------------------------------------------------------- Tổng hợp

def _engine_totals(data: RoundInput) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """Unit code → (self total, total) in points as the engine gives them: both None for a
    unit with data errors in its scores (its own, or read errors of the round), as `thidua
    run` would write them."""
    bloc = data.bloc
    entries = _unit_entries(data)
    blocked = {e.unit for e in data.read_errors if e.unit and e.kind == SCORES_ERROR}
    memo: dict = {}
    out: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for unit in bloc.units:
        scored = score_unit(bloc, unit.code, entries.get(unit.code, {}), memo)
        if scored.errors or scored.official is None or scored.self is None \
                or unit.code in blocked:
            out[unit.code] = (None, None)
        else:
            out[unit.code] = (scored.self.total, scored.official.total)
    return out


def _checksum(data: RoundInput) -> str:
    """`Mã kiểm tra dữ liệu` of the inputs, as `thidua run` stamps it (blank if unavailable)."""
    try:
        from .write import input_checksum
    except ImportError:  # the writer is optional for building
        return ""
    return input_checksum(data)


def _write_summary(ws: Any, wb: Any, fm: _Formats, bloc: Bloc, result: ReviewResult | None,
                   now: dt.datetime, data: RoundInput) -> None:
    totals = _engine_totals(data) if result is None else {}
    rows = _Rows(ws)
    for col, width in enumerate(_SUMMARY_WIDTHS):
        ws.set_column(col, col, width)
    ws.write_string(L.SUMMARY_TITLE_ROW - 1, 0, L.summary_title(bloc), fm.title)
    ws.write_string(L.SUMMARY_TITLE_ROW, 0, f"{bloc.name} — {bloc.province}", fm.subtitle)

    labels = L.summary_labels(bloc)
    values: dict[str, Any] = {L.LABEL_STATUS: L.NOT_COMPUTED}
    for a in bloc.awards:
        values[L.quota_label(a)] = (result.quotas.get(a.key) if result is not None
                                    else quota_for(a, len(bloc.units)))
    if result is not None:
        values.update({
            L.LABEL_STATUS: L.status_text(now, len(result.units), len(result.errors)),
            L.LABEL_NEXT_LEADER: L.unit_label(bloc, result.next_leader),
            L.LABEL_NEXT_DEPUTY: L.unit_label(bloc, result.next_deputy),
            L.LABEL_QUORUM: L.yes_no(result.quorum_ok),
            L.LABEL_COMPUTED_AT: f"{now:%d/%m/%Y %H:%M}",
            L.LABEL_VERSION: __version__,
            L.LABEL_STAMP: _checksum(data),
        })
    for i, label in enumerate(labels):
        row = L.SUMMARY_LABEL_ROW - 1 + i
        ws.write_string(row, 1, label, fm.label)
        value = values.get(label)
        if isinstance(value, int) and not isinstance(value, bool):
            ws.write_number(row, 2, value, fm.value_int)
        elif value:
            ws.write_string(row, 2, str(value), fm.value_text)

    header = L.summary_header_row(bloc) - 1
    for col, title in enumerate(L.SUMMARY_COLUMNS):
        ws.write_string(header, col, title, fm.header)
    rows.set(header, 32)
    first = header + 1
    for i, unit in enumerate(bloc.units):
        row = first + i
        ws.write_string(row, 0, unit.code, fm.cell)
        ws.write_string(row, 1, unit.name, fm.cell_wrap)
        res = None
        if result is not None:
            try:
                res = result.unit(unit.code)
            except KeyError:
                res = None
        if result is None:
            # Values, never formulas: a live link would show a total for a unit the engine
            # cannot score, and would skip a score typed as text.
            for col, value in zip((2, 3), totals[unit.code]):
                if value is None:
                    ws.write_blank(row, col, None, fm.cell_score)
                else:
                    ws.write_number(row, col, _f(value), fm.cell_score)
            # `thidua run` writes the results into these cells later: they get the formats
            # of a built result (centred, wrapped) and room for a reason now.
            for col, f in enumerate((fm.cell_center, fm.cell_center, fm.cell, fm.cell_center,
                                     fm.cell_wrap, fm.cell_wrap), start=4):
                ws.write_blank(row, col, None, f)
            rows.set(row, LINE_HEIGHT * REASON_LINES)
            continue
        status = STATUS_LABELS.get(res.status, res.status) if res else ""
        reason = res.reason if res else ""
        cells: list[tuple[int, Any, Any]] = [
            (2, res.self_total if res else None, fm.cell_score),
            (3, res.total if res else None, fm.cell_score),
            (4, res.rank if res else None, fm.cell_center),
            (5, (res.grade or "") if res else "", fm.cell_center),
            (6, L.proposal_text(bloc, res) if res else "", fm.cell),
            (7, res.votes.get(res.award) if res and res.award else None, fm.cell_center),
            (8, status, fm.cell_wrap),
            (9, reason, fm.cell_wrap),
        ]
        for col, value, f in cells:
            if value is None or value == "":
                ws.write_blank(row, col, None, f)
            elif isinstance(value, (Decimal, int)) and not isinstance(value, bool):
                ws.write_number(row, col, _f(value), f)
            else:
                ws.write_string(row, col, str(value), f)
        # Measured bold: a proposed unit's row is bold (the conditional format below).
        rows.set(row, max(_line_height(text, _SUMMARY_WIDTHS[col], bold=True) or 0.0
                          for col, text in ((1, unit.name), (8, status), (9, reason))))
    last = first + len(bloc.units) - 1
    last_col = len(L.SUMMARY_COLUMNS) - 1
    proposal = xl_col_to_name(L.SUMMARY_COLUMNS.index(L.SUM_COL_PROPOSAL))
    # Highlight whole rows whose Đề nghị is not blank, so values patched later highlight too.
    ws.conditional_format(first, 0, last, last_col, {
        "type": "formula", "criteria": f"=LEN(TRIM(${proposal}{first + 1}))>0",
        "format": fm.nominee})

    chart = wb.add_chart({"type": "bar"})
    chart.add_series({
        "name": L.SUM_COL_TOTAL,
        "categories": [L.SUMMARY, first, 0, last, 0],
        "values": [L.SUMMARY, first, 3, last, 3],
        "fill": {"color": "#4472C4"},
        "data_labels": {"value": True, "num_format": SCORE_FORMAT},
    })
    chart.set_title({"name": f"Tổng điểm thi đua năm {bloc.year}",
                     "name_font": {"name": FONT_NAME, "size": 13, "bold": True}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"min": 0, "num_format": "0", "num_font": {"name": FONT_NAME},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"reverse": True, "num_font": {"name": FONT_NAME}})
    height = max(300, 22 * len(bloc.units) + 90)
    chart.set_size({"width": 900, "height": height})
    chart_row = last + 2
    ws.insert_chart(chart_row, 0, chart, {"x_offset": 4, "y_offset": 4})
    chart_rows = math.ceil(height / 20) + 1     # default rows are 20 px high
    end = chart_row + chart_rows

    ws.freeze_panes(header + 1, 2)
    # All on one page when it nearly fits.  Else the table alone on the first page, shrunk to
    # fit when it fills a little more than one, and the chart on the next: a fixed scale with
    # a manual break (Excel ignores manual breaks under "fit to pages").  A table too long to
    # shrink runs over pages at the page width with its header repeated, and the chart starts
    # a page of its own when it would not fit below the table's last rows.
    table = _printed_pages(_SUMMARY_WIDTHS, rows.total(0, last), landscape=True)
    plot = _printed_pages(_SUMMARY_WIDTHS, rows.total(last + 1, end), landscape=True)
    if _pages_tall(table + plot) == 1:
        _print_setup(ws, end, last_col, landscape=True, header_row=header, pages_tall=1)
    elif table <= TABLE_SHRINK:
        ws.set_h_pagebreaks([chart_row])
        scale = _fit_scale(_SUMMARY_WIDTHS, rows.total(0, last), landscape=True)
        _print_setup(ws, end, last_col, landscape=True, scale=scale)
    else:
        if table - math.floor(table) + plot > 1:
            ws.set_h_pagebreaks([chart_row])
        _print_setup(ws, end, last_col, landscape=True, header_row=header, pages_tall=0)
    _protect(ws, bloc)


# ----------------------------------------------------------------------------- Bình xét

def _write_review(ws: Any, fm: _Formats, bloc: Bloc, data: RoundInput) -> None:
    rows = _Rows(ws)
    columns = L.review_columns(bloc)
    widths = [12, 44, 10] + [16] * len(bloc.awards)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.set_column(len(widths), len(widths), 4)
    ws.write_string(L.REVIEW_TITLE_ROW - 1, 0, L.review_title(bloc), fm.title)
    ws.write_string(L.REVIEW_TITLE_ROW, 0, f"{bloc.name} — {bloc.province}. Trưởng khối nhập "
                    "kết quả hội nghị vào các ô màu vàng.", fm.subtitle)
    conf = data.conference
    members = conf.members if conf and conf.members is not None else len(bloc.units)
    last_col = len(columns) - 1
    for i, (label, field) in enumerate(L.CONFERENCE_LABELS.items()):
        row = L.REVIEW_CONFERENCE_ROW - 1 + i
        ws.write_string(row, 1, label, fm.label)
        value = getattr(conf, field) if conf is not None else None
        if field == "members":
            value = members
        # The value cell C spans to the table's last column, so long texts stay on the page.
        if field == "date":
            f, rule = fm.input_date, {
                "validate": "date", "criteria": "between",
                "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2199, 12, 31),
                "input_message": "Nhập ngày họp, ví dụ 14/01/2022.",
                "error_title": "Ngày không hợp lệ",
                "error_message": "Hãy nhập một ngày (ngày/tháng/năm)."}
            if value is not None:
                value = dt.datetime.combine(value, dt.time())
        elif field in ("members", "present", "ballots_issued", "ballots_valid"):
            f, rule = fm.input_value, {
                "validate": "integer", "criteria": ">=", "value": 0,
                "input_message": "Nhập một số nguyên.",
                "error_title": "Số không hợp lệ",
                "error_message": f"{label}: hãy nhập một số nguyên không âm."}
        elif field in ("next_leader", "next_deputy"):
            f, rule = fm.input_value, {
                "validate": "list", "source": f"={DEFINED_UNITS_NAME}",
                "input_message": "Chỉ nhập khi Khối bầu Trưởng khối, Phó Trưởng khối tại hội "
                                 "nghị: chọn mã đơn vị.",
                "error_title": "Mã đơn vị không hợp lệ",
                "error_message": "Hãy chọn mã của một đơn vị thành viên."}
        else:
            f, rule = fm.input_value, None
        if last_col > 2:
            ws.merge_range(row, 2, row, last_col, "", f)
        if value is None or value == "":
            ws.write_blank(row, 2, None, f)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, 2, value, f)
        elif isinstance(value, int):
            ws.write_number(row, 2, value, f)
        else:
            ws.write_string(row, 2, str(value), f)
            rows.set(row, _line_height(str(value), sum(widths[2:])))
        if rule is not None:
            ws.data_validation(row, 2, row, 2, {"input_title": label[:32], **rule})

    header = L.REVIEW_HEADER_ROW - 1
    for col, title in enumerate(columns):
        ws.write_string(header, col, title, fm.header)
    rows.set(header, 32)
    first = header + 1
    for i, unit in enumerate(bloc.units):
        row = first + i
        facts = data.facts.get(unit.code)
        ws.write_string(row, 0, unit.code, fm.cell)
        ws.write_string(row, 1, unit.name, fm.cell)
        if facts is not None and facts.disciplined:
            ws.write_string(row, 2, L.CRITICAL_MARK, fm.input_mark)
        else:
            ws.write_blank(row, 2, None, fm.input_mark)
        for j, award in enumerate(bloc.awards):
            votes = facts.votes.get(award.key) if facts is not None else None
            if votes is not None:
                ws.write_number(row, 3 + j, votes, fm.input_int)
            else:
                ws.write_blank(row, 3 + j, None, fm.input_int)
    last = first + len(bloc.units) - 1
    ws.data_validation(first, 2, last, 2, {
        "validate": "list", "source": [L.CRITICAL_MARK],
        "input_title": L.REVIEW_COL_DISCIPLINED,
        "input_message": "Ghi x nếu tập thể hoặc người đứng đầu đơn vị bị kỷ luật trong năm; "
                         "để trống nếu không.",
        "error_title": "Giá trị không hợp lệ", "error_message": "Chỉ ghi x hoặc để trống."})
    if bloc.awards:
        ws.data_validation(first, 3, last, 2 + len(bloc.awards), {
            "validate": "integer", "criteria": ">=", "value": 0,
            "input_title": "Số phiếu đồng ý",
            "input_message": "Số phiếu đồng ý của hội nghị; để trống nếu đơn vị không có tên "
                             "trong phiếu bầu hình thức này.",
            "error_title": "Số phiếu không hợp lệ",
            "error_message": "Hãy nhập một số nguyên không âm."})
    ws.freeze_panes(header + 1, 2)
    pages = _printed_pages(widths, rows.total(0, last), landscape=False)
    _print_setup(ws, last, len(columns) - 1, landscape=False, header_row=header,
                 pages_tall=_pages_tall(pages))
    _protect(ws, bloc)


# ----------------------------------------------------------------------------- Tiêu chí, Cấu hình

def _write_table(ws: Any, fm: _Formats, sheet_rows: _Rows, row: int,
                 columns: tuple[str, ...] | list[str], rows: list[tuple],
                 wraps: Mapping[int, float] | None = None) -> int:
    """Header + rows from ``row`` (0-based); returns the row after the table.  ``wraps``:
    column → width of the columns whose text wraps (rows grow to fit it)."""
    wraps = wraps or {}
    for col, title in enumerate(columns):
        ws.write_string(row, col, title, fm.header)
    for r, values in enumerate(rows, start=row + 1):
        heights = [0.0]
        for col, value in enumerate(values):
            _write_value(ws, fm, r, col, value, wrap=col in wraps, boxed=True)
            if col in wraps and isinstance(value, str):
                heights.append(_line_height(value, wraps[col]) or 0.0)
        sheet_rows.set(r, max(heights))
    return row + 1 + len(rows)


def _write_value(ws: Any, fm: _Formats, row: int, col: int, value: Any, *, wrap: bool = False,
                 boxed: bool = False) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fm.cell if boxed else fm.plain)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fm.cell_center if boxed else fm.plain)
    elif isinstance(value, (int, Decimal, float)):
        ws.write_number(row, col, _f(value), fm.cell_score if boxed else fm.value_score)
    else:
        # Text format ("@") so Excel never turns "2/3" into a date when someone edits it.
        text = str(value)
        f = fm.cell_text_wrap if (wrap or "\n" in text) else fm.cell_text
        ws.write_string(row, col, text, f)


def _write_criteria(ws: Any, fm: _Formats, bloc: Bloc) -> None:
    rows = _Rows(ws)
    widths = (10, 40, 60, 12, 10)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, f"BẢNG TIÊU CHÍ CHẤM ĐIỂM THI ĐUA NĂM {bloc.year}", fm.title)
    ws.write_string(1, 0, f"{bloc.name}. Sheet chỉ để xem; muốn sửa tiêu chí hãy sửa tệp định "
                    "nghĩa khối rồi tạo lại sổ.", fm.subtitle)
    row = _write_table(ws, fm, rows, L.CRITERIA_SECTIONS_HEADER_ROW - 1, L.SECTION_COLUMNS,
                       L.section_rows(bloc), wraps={1: 40})
    last = _write_table(ws, fm, rows, row + 1, L.CRITERION_COLUMNS, L.criterion_rows(bloc),
                        wraps={2: 60})
    pages = _printed_pages(widths, rows.total(0, last - 1), landscape=False)
    _print_setup(ws, last - 1, len(L.CRITERION_COLUMNS) - 1, landscape=False,
                 pages_tall=_pages_tall(pages))
    _protect(ws, bloc)


def _write_collect_log(ws: Any, fm: _Formats, bloc: Bloc) -> None:
    # Written only by `thidua collect` (cell patches below the header), never typed into.
    for col, (title, width) in enumerate(zip(L.COLLECT_LOG_COLUMNS, (20, 50, 12, 14, 90))):
        ws.set_column(col, col, width)
        ws.write_string(L.COLLECT_LOG_HEADER_ROW - 1, col, title, fm.header)
    ws.freeze_panes(L.COLLECT_LOG_HEADER_ROW, 0)
    _print_setup(ws, 0, len(L.COLLECT_LOG_COLUMNS) - 1, landscape=True, header_row=0)
    _protect(ws, bloc)


def _write_config(ws: Any, wb: Any, fm: _Formats, bloc: Bloc) -> None:
    rows = _Rows(ws)
    widths = (36, 46, 80)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, "CẤU HÌNH KHỐI THI ĐUA", fm.title)
    ws.write_string(1, 0, "Sổ mang theo toàn bộ cấu hình để tính lại được. Sheet chỉ để xem; "
                    "muốn sửa, hãy sửa tệp định nghĩa khối (.toml) rồi tạo lại sổ.", fm.subtitle)
    row = _write_table(ws, fm, rows, L.CONFIG_HEADER_ROW - 1, L.CONFIG_COLUMNS,
                       L.config_rows(bloc), wraps={1: 46, 2: 80})
    units_header = row + 1
    row = _write_table(ws, fm, rows, units_header, L.UNITS_COLUMNS, L.unit_rows(bloc))
    wb.define_name(DEFINED_UNITS_NAME,
                   f"={quote_sheetname(L.CONFIG)}!$A${units_header + 2}:$A${row}")
    row = _write_table(ws, fm, rows, row + 1, L.GRADES_COLUMNS, L.grade_rows(bloc))
    pages = _printed_pages(widths, rows.total(0, row - 1), landscape=False)
    _print_setup(ws, row - 1, 2, landscape=False, pages_tall=_pages_tall(pages))
    _protect(ws, bloc)


# ----------------------------------------------------------------------------- Hướng dẫn

def _guide_text(bloc: Bloc, macros: bool) -> list[tuple[str, str]]:
    """(style, text) lines of the `Hướng dẫn` sheet."""
    from ..vba import SUMMARY_MACROS, UNIT_MACROS

    summary_buttons = [m.caption for m in SUMMARY_MACROS]
    unit_button = UNIT_MACROS[0].caption
    what = {
        "Tính điểm": "kiểm tra dữ liệu mọi sheet đơn vị, tính tổng điểm, xếp hạng, xếp loại và "
                     "ghi vào sheet “Tổng hợp” (các lỗi được liệt kê kèm tên sheet, ô).",
        "Xét khen thưởng": "áp dụng chỉ tiêu, điều kiện và kết quả bỏ phiếu ở sheet “Bình "
                           "xét” để đề xuất Cờ thi đua, Bằng khen và Trưởng khối, Phó Trưởng "
                           "khối năm sau.",
        "Xuất báo cáo Word": "tạo biên bản, tờ trình và báo cáo (.docx) từ kết quả đã tính, "
                             "lưu cạnh sổ này.",
        "Gộp file các đơn vị": "chép điểm từ các file đơn vị gửi về vào đúng sheet đơn vị của sổ "
                               "này; kết quả ghi ở sheet “Nhật ký gộp”.",
    }
    n_units = len(bloc.units)
    lines: list[tuple[str, str]] = [
        ("title", f"HƯỚNG DẪN SỬ DỤNG SỔ CHẤM ĐIỂM THI ĐUA NĂM {bloc.year}"),
        ("text", f"{bloc.name} — {bloc.province}. Khối có {n_units} đơn vị thành viên; mỗi "
                 "đơn vị có một sheet mang mã của đơn vị (xem danh sách mã ở sheet “Cấu hình”)."),
        ("text", "Các ô màu vàng là ô cần nhập. Các ô khác được khóa (sheet được bảo vệ) để "
                 "tránh sửa nhầm công thức, tiêu chí và cấu hình."),
        ("head", "1. Dành cho đơn vị thành viên (tự chấm điểm)"),
        ("text", "Bước 1. Mở sheet mang mã đơn vị mình (ví dụ "
                 f"“{bloc.units[0].code}”), kiểm tra tên đơn vị và năm ở đầu sheet."),
        ("text", "Bước 2. Ở cột “Tự chấm”, nhập điểm tự chấm cho từng tiêu chí, từ 0 đến “Điểm "
                 f"tối đa” của dòng đó, theo bước {format_number(bloc.scoring.step)} điểm. "
                 "Dòng điểm thưởng, điểm trừ có thể để trống (tính là 0); điểm trừ nhập là số "
                 "dương."),
        ("text", "Bước 3. Ở cột “Minh chứng”, ghi tên văn bản, số liệu chứng minh cho điểm đã "
                 "chấm."),
        ("text", "Bước 4. Xem “Tổng điểm tự chấm” ở cuối sheet (tự tính lại khi nhập). Lưu tệp "
                 "và gửi cho đơn vị Trưởng khối. Không đổi tên sheet, không chèn hay xóa dòng."),
        ("text", "Nhập số thập phân: dùng dấu thập phân của máy — Excel tiếng Việt dùng dấu "
                 "phẩy (9,5), Excel tiếng Anh dùng dấu chấm (9.5). Ô điểm chỉ nhận số; nếu Excel "
                 "báo “Điểm không hợp lệ”, hãy gõ lại bằng dấu còn lại. Điểm dán vào dạng chữ "
                 "(“9,5” hoặc “9.5”) phần mềm vẫn đọc được."),
        ("head", "2. Dành cho đơn vị Trưởng khối"),
        ("text", "Bước 1. Nhận file của các đơn vị và gộp vào sổ này (nút “Gộp file các đơn "
                 "vị” hoặc lệnh thidua collect), hoặc để các đơn vị nhập trực tiếp vào sổ dùng "
                 "chung."),
        ("text", "Bước 2. Sau khi Khối thẩm định, nhập điểm Khối chấm vào cột “Khối chấm” của "
                 "từng đơn vị (chỉ dòng có điều chỉnh). “Điểm chính thức” = Khối chấm nếu có, "
                 "nếu không thì bằng Tự chấm."),
        ("text", "Bước 3. Ở sheet “Bình xét”, nhập thông tin hội nghị (ngày họp, địa điểm, số "
                 "thành viên có mặt, số phiếu…), ghi x vào cột “Kỷ luật” với đơn vị bị kỷ luật, "
                 "và nhập số phiếu đồng ý cho từng hình thức khen thưởng sau khi bỏ phiếu."),
        ("text", "Bước 4. Tính kết quả: bấm nút “Tính điểm” rồi “Xét khen thưởng” ở sheet "
                 "“Tổng hợp”, hoặc chạy lệnh thidua run <tệp sổ>. Kết quả (tổng điểm, xếp hạng, "
                 "xếp loại, đề nghị khen thưởng, lý do) ghi vào sheet “Tổng hợp” và cuối mỗi "
                 "sheet đơn vị; đơn vị được đề nghị được tô màu xanh. Sheet “Tổng hợp” không "
                 "tự tính lại: sửa điểm xong, hãy tính lại."),
        ("text", "Bước 5. Xuất biên bản, tờ trình: nút “Xuất báo cáo Word” hoặc lệnh thidua "
                 "report."),
        ("head", "3. Các nút lệnh"),
    ]
    if macros:
        for caption in summary_buttons:
            lines.append(("text", f"• “{caption}” (sheet Tổng hợp): "
                                  f"{what.get(caption, 'chạy chức năng tương ứng của thidua.')}"))
        lines.append(("text", f"• “{unit_button}” (mỗi sheet đơn vị): kiểm tra dữ liệu của "
                              "riêng sheet đó và chỉ ra ô sai (điểm không phải số, vượt điểm "
                              "tối đa, sai bước chấm, tiêu chí chưa chấm)."))
        lines.append(("text", "Các nút cần Excel trên máy có cài Python và thidua_xl (xem "
                              "sheet ẩn xlwings.conf). Khi mở tệp, chọn “Enable Content/Bật "
                              "nội dung” để cho phép macro."))
    else:
        lines.append(("text", "Sổ này là tệp .xlsx nên không có nút lệnh. Dùng các lệnh thidua "
                              "run, thidua report, thidua collect; hoặc tạo sổ .xlsm để có nút "
                              "“" + "”, “".join(summary_buttons) + "”."))
    lines += [
        ("head", "4. Lưu ý"),
        ("text", "Sheet “Tiêu chí” và “Cấu hình” chứa bảng tiêu chí và toàn bộ cấu hình của "
                 "Khối (chỉ tiêu khen thưởng, cách phân định bằng điểm…), để sổ tự tính lại "
                 "được. Muốn thay đổi, sửa tệp định nghĩa khối rồi tạo sổ mới."),
        ("text", "Không đổi tên sheet, tiêu đề cột và các nhãn; phần mềm dựa vào chúng để đọc "
                 "sổ."),
    ]
    return lines


def _write_guide(ws: Any, fm: _Formats, bloc: Bloc, lines: list[tuple[str, str]]) -> None:
    """The `Hướng dẫn` sheet from (style, text) ``lines``: style "title", "head" (a blank row
    before it) or "text" (wrapped, its row as high as its lines)."""
    rows = _Rows(ws)
    ws.set_column(0, 0, GUIDE_WIDTH)
    row = L.GUIDE_TITLE_ROW - 1
    for style, text in lines:
        if style == "head":
            row += 1
        f = {"title": fm.guide_title, "head": fm.guide_head}.get(style, fm.guide_text)
        ws.write_string(row, 0, text, f)
        if style == "text":
            rows.set(row, _line_height(text, GUIDE_WIDTH))
        row += 1
    pages = _printed_pages((GUIDE_WIDTH,), rows.total(0, row - 1), landscape=False)
    _print_setup(ws, row - 1, 0, landscape=False, pages_tall=_pages_tall(pages))
    _protect(ws, bloc)


# ----------------------------------------------------------------------------- entry points

def _new_workbook(buffer: io.BytesIO, properties: Mapping[str, str]) -> Any:
    """An in-memory XlsxWriter workbook in the default font, with document ``properties``."""
    wb = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        "default_format_properties": {"font_name": FONT_NAME, "font_size": FONT_SIZE},
    })
    wb.set_properties(dict(properties))
    return wb


def unit_workbook_bytes(bloc: Bloc, code: str, entries: Mapping[str, ScoreEntry],
                        guide_lines: list[tuple[str, str]], *,
                        properties: Mapping[str, str],
                        custom_properties: Mapping[str, str] | None = None) -> bytes:
    """A one-unit workbook as .xlsx bytes: `Hướng dẫn` written from ``guide_lines`` ((style,
    text) as the master's guide: "title", "head", "text"), the unit's sheet exactly as in the
    master (prefilled with ``entries``: criterion code → :class:`ScoreEntry`, no results) and
    `Tiêu chí`, all protected like the master.  ``properties``: XlsxWriter document
    properties (title, subject…); ``custom_properties``: custom document properties, stored
    as text.

    Raises KeyError for a code that is not a member unit."""
    bloc.unit(code)     # KeyError before anything is built
    buffer = io.BytesIO()
    wb = _new_workbook(buffer, properties)
    for name, value in (custom_properties or {}).items():
        wb.set_custom_property(name, value, "text")
    fm = _Formats(wb)
    guide = wb.add_worksheet(L.GUIDE)
    _write_unit(wb, fm, bloc, _UnitPlan(bloc), code, entries, None)
    criteria = wb.add_worksheet(L.CRITERIA)
    _write_guide(guide, fm, bloc, guide_lines)
    _write_criteria(criteria, fm, bloc)
    guide.activate()
    wb.close()
    return buffer.getvalue()


def workbook_bytes(data: RoundInput, *, result: ReviewResult | None = None,
                   macros: bool = False, now: dt.datetime | None = None) -> bytes:
    """The workbook file as bytes (.xlsm content when ``macros``), built in memory.

    Raises :class:`WorkbookError` when the macros cannot be installed (xlwings missing).
    """
    bloc = data.bloc
    now = now or dt.datetime.now().replace(microsecond=0)
    buffer = io.BytesIO()
    wb = _new_workbook(buffer, {
        "title": f"Chấm điểm thi đua năm {bloc.year} — {bloc.name}",
        "subject": "Tổng kết công tác thi đua, khen thưởng của Khối",
        "company": bloc.name, "comments": f"Tạo bởi thidua_xl {__version__}"})
    fm = _Formats(wb)
    plan = _UnitPlan(bloc)
    entries = _unit_entries(data)

    guide = wb.add_worksheet(L.GUIDE)
    summary = wb.add_worksheet(L.SUMMARY)
    review_ws = wb.add_worksheet(L.REVIEW)
    sheets: dict[str, _UnitSheet] = {}
    for unit in bloc.units:
        res = None
        if result is not None:
            try:
                res = result.unit(unit.code)
            except KeyError:
                res = None
        sheets[unit.code] = _write_unit(wb, fm, bloc, plan, unit.code,
                                        entries.get(unit.code, {}), res)
    criteria_ws = wb.add_worksheet(L.CRITERIA)
    config_ws = wb.add_worksheet(L.CONFIG)
    log_ws = wb.add_worksheet(L.COLLECT_LOG)

    _write_guide(guide, fm, bloc, _guide_text(bloc, macros))
    _write_summary(summary, wb, fm, bloc, result, now, data)
    _write_review(review_ws, fm, bloc, data)
    _write_criteria(criteria_ws, fm, bloc)
    _write_config(config_ws, wb, fm, bloc)
    _write_collect_log(log_ws, fm, bloc)
    guide.activate()

    if macros:
        from .. import vba

        vba.install(wb, summary, L.SUMMARY_BUTTON_ANCHOR,
                    [(s.ws, L.UNIT_BUTTON_ANCHOR) for s in sheets.values()])
    wb.close()
    return buffer.getvalue()


def build_workbook(data: RoundInput, out: Path, *, result: ReviewResult | None = None,
                   macros: bool | None = None, overwrite: bool = False,
                   now: dt.datetime | None = None) -> Path:
    """Build the shared workbook of ``data.bloc`` at ``out`` and return ``out``.

    ``out`` ends in ``.xlsx`` or ``.xlsm``; ``macros`` defaults to ``out`` being ``.xlsm``
    (buttons + VBA project via :func:`thidua_xl.vba.install`).  Scores, review facts and the
    conference in ``data`` fill the input cells; ``result`` (from
    :func:`thidua_xl.review.review`) fills the result cells as values.  ``now`` stamps the
    `Tính lúc` cell (default: now).  The file is written atomically.

    Raises :class:`WorkbookError` (Vietnamese) when ``out`` exists and not ``overwrite``, when
    its folder is missing or the file is open in Excel; ValueError when the suffix is neither
    .xlsx nor .xlsm or contradicts ``macros``.
    """
    from ..safefile import atomic_write, check_new_file

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise ValueError(f"the workbook must be .xlsx or .xlsm, not {out.name!r}")
    if macros is None:
        macros = suffix == ".xlsm"
    if macros != (suffix == ".xlsm"):
        raise ValueError(f"{out.name}: a workbook with macros must be .xlsm and one without "
                         "must be .xlsx")
    check_new_file(out, overwrite)
    payload = workbook_bytes(data, result=result, macros=macros, now=now)
    atomic_write(out, payload, backups=data.bloc.workbook.backups if overwrite else 0)
    return out
