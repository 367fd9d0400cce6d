"""The workbook as the Excel macros see it: an xlwings ``Book`` read and written in bulk.

* :class:`XlwingsSource` — a :class:`~thidua_xl.workbook.sources.SheetSource` over an open
  xlwings ``Book``: **one** range read per sheet (from A1 to the used range's last cell, cached),
  formula cells from one ``SpecialCells(formulas)`` call per sheet when the engine has it.
* :func:`plan_blocks` / :func:`write_blocks` — changed cells ``{sheet: {ref: value}}`` grouped
  into rectangles made only of those cells (so a formula or an input cell in between is never
  touched), each written with **one** ``sheet.range(…).value = 2-D list``.
* :class:`IOStats` — the reads and writes actually made (the tests bound them by the number of
  sheets; the benchmark reports them).

Only the open-source part of xlwings is used (``Book``/``Sheet``/``Range``); the module does
not import xlwings, openpyxl or lxml itself, so ``thidua_xl.macros`` starts fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import re
import warnings
from decimal import Decimal
from typing import Any, Iterable, Iterator, Mapping

from ..cellref import column_letter, column_number
from ..errors import WorkbookError

__all__ = ["Block", "IOStats", "XlwingsSource", "col_letters", "excel_value", "parse_ref",
           "plan_blocks", "unprotected", "write_blocks", "write_cells"]

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})\Z")
#: Text Excel would turn into a number, date, formula or boolean when written as a value.
_COERCIBLE = re.compile(r"\s*[=+\-@0-9.,($%']|\s*(true|false)\s*\Z", re.IGNORECASE)


# --------------------------------------------------------------------------- references

def col_letters(col: int) -> str:
    """1-based column number → letters: ``1`` → ``A``, ``28`` → ``AB``; ValueError below 1."""
    if col < 1:
        raise ValueError(f"column number must be ≥ 1, not {col}")
    return column_letter(col)


def parse_ref(ref: str) -> tuple[int, int]:
    """``"C5"`` (or ``"$C$5"``) → ``(5, 3)``: 1-based (row, column).  ValueError otherwise."""
    match = _REF.match(ref.strip())
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


def _ref(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


# --------------------------------------------------------------------------- statistics

@dataclasses.dataclass
class IOStats:
    """What one macro call did to the workbook.

    ``reads``: bulk range reads (one per sheet read); ``writes``: bulk range writes (one per
    rectangle); ``formula_probes``: ``SpecialCells(formulas)`` calls (one per sheet asked);
    ``cells_read`` / ``cells_written``: cells moved by those calls; ``sheets_read``: in read
    order; ``ranges_written``: ``Sheet!A1:B2`` per write; ``unprotected``: protected sheets
    unlocked for the write and locked again (desktop Excel only).
    """

    reads: int = 0
    writes: int = 0
    formula_probes: int = 0
    cells_read: int = 0
    cells_written: int = 0
    sheets_read: list[str] = dataclasses.field(default_factory=list)
    ranges_written: list[str] = dataclasses.field(default_factory=list)
    unprotected: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------- reading

def _plain(value: Any) -> Any:
    # Excel hands back "" for an empty string result and whole numbers as floats; blank is None.
    if isinstance(value, str) and value == "":
        return None
    return value


def _special_formula_cells(sheet: Any) -> list[Any] | None:
    """The areas of ``sheet``'s formula cells (Excel's ``SpecialCells(xlCellTypeFormulas)``
    over the used range; ``[]`` when there are none), or None when the engine cannot say
    synchronously."""
    try:
        areas = sheet.used_range.get_special_cells("formulas")
    except Exception:  # noqa: BLE001 — older xlwings, an engine without it, or Excel refusing
        return None    # (SpecialCells can fail on a protected sheet): the writer asks per block
    if inspect.isawaitable(areas):
        # xlwings Lite/remote: an async call, unusable here.  Close it unstarted; the inner
        # coroutine it wraps is finalised unawaited, which would only warn.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            areas.close()
            del areas
        return None
    return list(areas)


class XlwingsSource:
    """A :class:`~thidua_xl.workbook.sources.SheetSource` over an xlwings ``Book``.

    ``values(name)`` reads the sheet once — ``A1`` to the last cell of its used range, as a 2-D
    list (``None`` for blank, numbers as ``float``, dates as ``datetime``, Excel errors as their
    text such as ``"#N/A"``) — and caches it.  ``formula_cells(name)`` asks Excel once per sheet
    for its formula cells (``Range.get_special_cells("formulas")``); when the engine lacks that
    call or Excel refuses it, the set is empty and the sheet is listed in
    :attr:`formulas_unknown` (:func:`write_cells` then checks each block before writing).
    Counts go to :attr:`stats`.  ``values`` raises ``KeyError`` for an unknown sheet.
    """

    def __init__(self, book: Any, stats: IOStats | None = None) -> None:
        self.book = book
        self.stats = stats if stats is not None else IOStats()
        self._sheets: dict[str, Any] | None = None
        self._values: dict[str, list[list[Any]]] = {}
        self._formulas: dict[str, set[str]] = {}
        self.formulas_unknown: list[str] = []

    def _sheet_map(self) -> dict[str, Any]:
        if self._sheets is None:
            self._sheets = {sheet.name: sheet for sheet in self.book.sheets}
        return self._sheets

    def sheet(self, name: str) -> Any:
        """The xlwings ``Sheet`` called ``name``; ``KeyError`` if none."""
        return self._sheet_map()[name]

    def names(self) -> list[str]:
        return list(self._sheet_map())

    def values(self, name: str) -> list[list[Any]]:
        if name not in self._values:
            sheet = self.sheet(name)
            last = sheet.used_range.last_cell
            rows, cols = last.row, last.column
            raw = sheet.range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True).value
            self.stats.reads += 1
            self.stats.cells_read += rows * cols
            self.stats.sheets_read.append(name)
            self._values[name] = [[_plain(v) for v in row] for row in (raw or [])]
        return [list(row) for row in self._values[name]]

    def formula_cells(self, name: str) -> set[str]:
        if name not in self._formulas:
            sheet = self.sheet(name)
            found: set[str] = set()
            areas = _special_formula_cells(sheet)
            if areas is None:
                # Older xlwings, or an engine (Office.js/remote) that cannot answer synchronously.
                self.formulas_unknown.append(name)
                areas = []
            else:
                self.stats.formula_probes += 1
            for area in areas:
                rows, cols = area.shape
                for r in range(area.row, area.row + rows):
                    for c in range(area.column, area.column + cols):
                        found.add(_ref(r, c))
            self._formulas[name] = found
        return set(self._formulas[name])


# --------------------------------------------------------------------------- writing

def excel_value(value: Any) -> Any:
    """A result value as handed to Excel: Decimal → int/float; text that Excel would re-read as
    a number, date, formula or boolean (``"02"``, ``"1/2"``, ``"=…"``, ``"-"``) gets a leading
    apostrophe, which Excel keeps as "this is text" and does not show; others unchanged."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str) and _COERCIBLE.match(value):
        return "'" + value
    return value


@dataclasses.dataclass(frozen=True)
class Block:
    """A rectangle of cells on one sheet: ``top``/``left`` 1-based, ``values`` a full 2-D list
    (rows of equal length)."""

    sheet: str
    top: int
    left: int
    values: tuple[tuple[Any, ...], ...]

    @property
    def bottom(self) -> int:
        return self.top + len(self.values) - 1

    @property
    def right(self) -> int:
        return self.left + len(self.values[0]) - 1

    @property
    def address(self) -> str:
        """``C5:E9`` (``C5`` for one cell)."""
        first, last = _ref(self.top, self.left), _ref(self.bottom, self.right)
        return first if first == last else f"{first}:{last}"


def _greedy(points: set[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cover ``points`` (row, col) with rectangles of points only: take the first uncovered
    point in row order, extend right, then down while the whole row segment is there."""
    left = set(points)
    rects = []
    for r, c in sorted(points):
        if (r, c) not in left:
            continue
        width = 1
        while (r, c + width) in left:
            width += 1
        height = 1
        while all((r + height, c + k) in left for k in range(width)):
            height += 1
        for i in range(height):
            for k in range(width):
                left.discard((r + i, c + k))
        rects.append((r, c, height, width))
    return rects


def _rectangles(points: set[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Rectangles ``(top, left, height, width)`` covering exactly ``points``: the better of a
    row-first and a column-first greedy cover (fewer rectangles; row-first on a tie)."""
    by_rows = _greedy(points)
    by_cols = [(r, c, h, w) for c, r, w, h in _greedy({(c, r) for r, c in points})]
    return by_cols if len(by_cols) < len(by_rows) else by_rows


def _sheet_blocks(sheet: str, grid: Mapping[tuple[int, int], Any]) -> list[Block]:
    """Blocks of one sheet from ``{(row, col): value}`` (values already converted)."""
    blocks = []
    for top, left, height, width in sorted(_rectangles(set(grid))):
        values = tuple(tuple(grid[(top + i, left + k)] for k in range(width))
                       for i in range(height))
        blocks.append(Block(sheet, top, left, values))
    return blocks


def plan_blocks(cells: Mapping[str, Mapping[str, Any]]) -> list[Block]:
    """Group ``{sheet: {ref: value}}`` into :class:`Block` rectangles, each made only of the
    given cells, values passed through :func:`excel_value`.  Sheets keep the mapping's order;
    blocks within a sheet go top to bottom.  Raises ValueError for a malformed reference."""
    blocks: list[Block] = []
    for sheet, refs in cells.items():
        blocks += _sheet_blocks(sheet, {parse_ref(ref): excel_value(v) for ref, v in refs.items()})
    return blocks


#: Sheet-protection permissions carried over when a sheet is locked again (Excel's
#: ``Worksheet.Protection`` properties; the names are also ``Protect``'s keyword arguments).
_PERMISSIONS = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows",
                "AllowInsertingColumns", "AllowInsertingRows", "AllowInsertingHyperlinks",
                "AllowDeletingColumns", "AllowDeletingRows", "AllowSorting", "AllowFiltering",
                "AllowUsingPivotTables")


def _com_sheet(sheet: Any) -> Any | None:
    """The sheet's COM object when it is desktop Excel on Windows (it has
    ``ProtectContents``), else None (remote/Office.js engines keep a dict, Mac an appscript
    reference; neither is unlocked here)."""
    api = getattr(sheet, "api", None)
    if api is None or isinstance(api, (dict, list)):
        return None
    try:
        api.ProtectContents
    except Exception:  # noqa: BLE001 — any failure: not a COM worksheet
        return None
    return api


@contextlib.contextmanager
def unprotected(sheet: Any, stats: IOStats | None = None) -> Iterator[None]:
    """Let a macro write into ``sheet`` even when it is protected (the shared workbook's
    sheets are, with result cells locked), then protect it again with the same permissions.

    Only desktop Excel on Windows is handled (the COM ``Unprotect``/``Protect``); a sheet
    protected with a password cannot be unlocked and raises :class:`WorkbookError` asking the
    user to unprotect it.  Elsewhere this does nothing.
    """
    api = _com_sheet(sheet)
    if api is None or not api.ProtectContents:
        yield
        return
    permissions = {}
    for name in _PERMISSIONS:
        try:
            permissions[name] = bool(getattr(api.Protection, name))
        except Exception:  # noqa: BLE001 — an older Excel without this permission
            pass
    drawing, scenarios = bool(api.ProtectDrawingObjects), bool(api.ProtectScenarios)
    try:
        api.Unprotect(Password="")
    except Exception:  # noqa: BLE001 — COM raises com_error for a wrong password
        raise WorkbookError(f"Sheet «{sheet.name}» được khóa bằng mật khẩu nên không ghi được "
                            "kết quả. Hãy bỏ khóa (Review → Unprotect Sheet), bấm lại nút, rồi "
                            "khóa lại nếu cần.", sheet.name) from None
    if stats is not None:
        stats.unprotected.append(sheet.name)
    try:
        yield
    finally:
        api.Protect(Password="", DrawingObjects=drawing, Contents=True, Scenarios=scenarios,
                    **permissions)


def write_blocks(book: Any, blocks: Iterable[Block], stats: IOStats | None = None,
                 sheets: Mapping[str, Any] | None = None) -> None:
    """Write each block with one ``sheet.range((top, left), (bottom, right)).value = …``,
    inside :func:`unprotected` (once per sheet).

    ``sheets``: name → xlwings ``Sheet`` (default: looked up in ``book.sheets``).  Raises
    :class:`WorkbookError` (Vietnamese, naming the sheet) when a sheet is missing or locked
    with a password.
    """
    lookup = dict(sheets) if sheets is not None else {s.name: s for s in book.sheets}
    by_sheet: dict[str, list[Block]] = {}
    for block in blocks:
        by_sheet.setdefault(block.sheet, []).append(block)
    for name, group in by_sheet.items():
        sheet = lookup.get(name)
        if sheet is None:
            raise WorkbookError(f"Sổ không có sheet «{name}» để ghi kết quả.", name)
        with unprotected(sheet, stats):
            for block in group:
                rng = sheet.range((block.top, block.left), (block.bottom, block.right))
                rng.value = [list(row) for row in block.values]
                if stats is not None:
                    stats.writes += 1
                    stats.cells_written += len(block.values) * len(block.values[0])
                    stats.ranges_written.append(f"{block.sheet}!{block.address}")


class _CannotTell(Exception):
    """The engine cannot say whether a range holds formulas."""


def _has_formula(sheet: Any, top: int, left: int, bottom: int, right: int,
                 stats: IOStats) -> bool | None:
    """Excel's ``Range.HasFormula`` (COM): True (all cells), False (none), None (some).  Works
    on protected sheets, where ``SpecialCells`` may fail.  Raises :class:`_CannotTell` on an
    engine without it (remote/Office.js keep plain values in ``Range.api``)."""
    api = sheet.range((top, left), (bottom, right)).api
    if isinstance(api, (tuple, list, dict)):
        raise _CannotTell
    try:
        has = api.HasFormula
    except Exception as exc:  # noqa: BLE001 — Mac appscript, or anything unexpected
        raise _CannotTell from exc
    stats.formula_probes += 1
    return has


def _formula_free(block: Block, sheet: Any, stats: IOStats) -> tuple[list[Block], list[str]]:
    """``block`` without its formula cells, asked of Excel through ``HasFormula`` (one call
    for the block, one per cell when it holds some): ``(blocks to write, skipped refs)``.
    An engine that cannot tell gets the block as it is."""
    try:
        has = _has_formula(sheet, block.top, block.left, block.bottom, block.right, stats)
        if has is False:
            return [block], []
        grid, skipped = {}, []
        for i, row in enumerate(block.values):
            for k, value in enumerate(row):
                r, c = block.top + i, block.left + k
                if has is True or _has_formula(sheet, r, c, r, c, stats):
                    skipped.append(_ref(r, c))
                else:
                    grid[(r, c)] = value
    except _CannotTell:
        return [block], []
    return _sheet_blocks(block.sheet, grid), skipped


def write_cells(source: XlwingsSource, cells: Mapping[str, Mapping[str, Any]],
                protected: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """Write ``{sheet: {ref: value}}`` into ``source``'s book in bulk (:func:`plan_blocks`,
    :func:`write_blocks`), counting into ``source.stats``; never over a formula.

    Left out: cells listed in ``protected`` (``{sheet: refs}``) and formula cells — known from
    :meth:`XlwingsSource.formula_cells` (asked once per sheet, usually already by the read),
    or, on a sheet where Excel could not list them (e.g. ``SpecialCells`` refused on a
    protected sheet), from ``HasFormula`` per block.  Returns the cells left out as
    ``Sheet!Ref``, sorted.
    """
    kept: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for sheet, refs in cells.items():
        guard = source.formula_cells(sheet) if refs else set()
        guard |= {r.replace("$", "").upper() for r in (protected or {}).get(sheet, ())}
        for ref, value in refs.items():
            key = ref.replace("$", "").upper()
            if key in guard:
                skipped.append(f"{sheet}!{key}")
            else:
                kept.setdefault(sheet, {})[key] = value
    sheets = source._sheet_map()
    blocks: list[Block] = []
    for block in plan_blocks(kept):
        if block.sheet in source.formulas_unknown:
            safe, left_out = _formula_free(block, sheets[block.sheet], source.stats)
            blocks += safe
            skipped += [f"{block.sheet}!{ref}" for ref in left_out]
        else:
            blocks.append(block)
    write_blocks(source.book, blocks, source.stats, sheets)
    return sorted(skipped)
