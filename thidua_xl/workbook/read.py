"""Reading a filled shared workbook back: definition, scores, review facts, conference.

:func:`read_round` is pure over a :class:`~thidua_xl.workbook.sources.SheetSource`, so the CLI
(python-calamine), the Excel macros (xlwings) and the tests share it.  It finds everything by
the titles and labels of :mod:`thidua_xl.workbook.layout` (bloc-format.md, "Workbook layout"),
never by fixed positions, so it tolerates extra rows and columns, reordered criterion rows,
merged cells and blank bonus lines.

What it returns, :class:`WorkbookRound`, holds the engine's input (``round_input``, with the
problems found in ``read_errors``) and the positions needed to write results back (which row
each unit and criterion sits on, where each result cell is), derived from the sheet values.

Problems are :class:`~thidua_xl.model.DataError` records naming ``Sheet!Cell``.  Some are
*blocking* (:attr:`WorkbookRound.blocking`): the workbook's structure is not what it should be
(missing, renamed or duplicated unit sheet, a sheet from another bloc or year, missing result
sheet, unreadable conference data), so results must not be written into it.  Others (a bad
score, a missing criterion row, a score formula saved without its value, a bad vote or
`Kỷ luật` mark) only concern the unit named, as rules.md §2 wants; their ``kind`` says what
they block (:class:`~thidua_xl.model.DataError`).  Only an unreadable definition raises
(:class:`~thidua_xl.errors.BlocDefinitionError` / :class:`~thidua_xl.errors.WorkbookError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Mapping, Sequence

from ..cellref import column_letter
from ..datafiles import conference_from_dict, parse_date, parse_mark, parse_votes
from ..definition import bloc_from_dict
from ..errors import BlocDefinitionError, DataFileError, WorkbookError
from ..model import (DISCIPLINE_ERROR, SCORES_ERROR, VOTES_ERROR, Bloc, Conference, DataError,
                     Location, RoundInput, ScoreEntry, UnitFacts)
from ..text import fold, normalize
from . import layout as L
from .sources import SheetSource, cell_ref, formula_cells_of

__all__ = ["WorkbookRound", "UnitPlace", "SummaryPlace", "ReviewPlace", "read_round",
           "UNIT_HEADER_SEARCH_ROWS", "Grid", "match_key", "cell_text", "sheet_named",
           "find_unit_header", "missing_unit_columns", "unit_identity"]

#: A unit sheet's header row is looked for in its first rows only (tolerates a longer top).
UNIT_HEADER_SEARCH_ROWS = 30
_UNIT_OPTIONAL_COLUMNS = tuple(t for t in L.UNIT_COLUMNS if t not in L.UNIT_REQUIRED_COLUMNS)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class UnitPlace:
    """Where one unit's data sits on its sheet (rows 1-based, columns as Excel letters).

    ``columns``: header title → column letter (every title found on the header row).
    ``criterion_rows``: criterion code → row.  ``result_cells``: result label of
    :data:`layout.UNIT_RESULT_LABELS` → value cell (the cell right of the label).
    ``formula_cells``: the result cells holding a formula (left alone by the writer).
    """

    code: str
    sheet: str
    header_row: int
    columns: Mapping[str, str]
    criterion_rows: Mapping[str, int]
    result_cells: Mapping[str, str]
    formula_cells: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SummaryPlace:
    """Where results go on `Tổng hợp`: header row, title → column letter, unit code → row
    (rows whose `Mã đơn vị` already holds the code), ``next_row`` (first row after the table,
    for units without a row yet), label → value cell of :func:`layout.summary_labels`, and
    ``formula_cells``: the sheet's cells holding a formula (e.g. a live ``='HNB'!$C$34``
    total), which the writer leaves alone."""

    sheet: str
    header_row: int
    columns: Mapping[str, str]
    unit_rows: Mapping[str, int]
    next_row: int
    label_cells: Mapping[str, str]
    formula_cells: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReviewPlace:
    """Where the conference input sits on `Bình xét`: header row, title → column letter,
    unit code → row, conference label → value cell."""

    sheet: str
    header_row: int
    columns: Mapping[str, str]
    unit_rows: Mapping[str, int]
    label_cells: Mapping[str, str]


@dataclass(frozen=True)
class WorkbookRound:
    """A workbook read back.

    ``round_input``: the engine's input; its ``read_errors`` are every problem found.
    ``blocking``: the subset that forbids writing results into the workbook.  ``units``: unit
    code → :class:`UnitPlace` (units whose sheet was found).  ``summary`` / ``review``: the
    places on `Tổng hợp` / `Bình xét` (``None`` when the sheet or its header is missing).
    ``input_cells``: ``{sheet: {cell refs}}`` typed by people (scores, evidence, marks,
    votes, conference values) — results are never written there.  ``sheet_names``: as read.
    """

    round_input: RoundInput
    units: Mapping[str, UnitPlace]
    summary: SummaryPlace | None
    review: ReviewPlace | None
    blocking: tuple[DataError, ...] = ()
    input_cells: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sheet_names: tuple[str, ...] = ()

    @property
    def bloc(self) -> Bloc:
        return self.round_input.bloc

    @property
    def problems(self) -> tuple[DataError, ...]:
        """Every problem found while reading (same as ``round_input.read_errors``)."""
        return self.round_input.read_errors

    def blocking_summary(self) -> str:
        """The first blocking problem and how many more, for one-line messages:
        ``"HNB: Sổ không có sheet HNB … (và 2 lỗi khác)"``; "" when there is none."""
        if not self.blocking:
            return ""
        more = len(self.blocking) - 1
        return f"{self.blocking[0]}" + (f" (và {more} lỗi khác)" if more else "")


# ----------------------------------------------------------------------------- grid helpers


def match_key(value: Any) -> str:
    """Matching key of a title, label, code or sheet name: :func:`~thidua_xl.text.fold`ed,
    without a trailing colon (``"Năm:"`` and ``"nam"`` match)."""
    return fold(value).rstrip(":").strip()


def cell_text(value: Any) -> str:
    """A cell as text ("" when blank); numbers as typed (a code typed 10 reads "10", 1.5 reads
    "1.5", ``Decimal("9.50")`` reads "9.5")."""
    if isinstance(value, bool) or value is None:
        return normalize(value) if value is not None else ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return normalize(value)


def _col_letters(col: int) -> str:
    return column_letter(col + 1)


def sheet_named(names: Sequence[str], wanted: str) -> str | None:
    """The first of ``names`` matching ``wanted`` by :func:`match_key` (Excel compares sheet
    names case-insensitively), or None."""
    key = match_key(wanted)
    return next((n for n in names if match_key(n) == key), None)


class Grid:
    """One sheet of ``source`` (sheet ``name``): its values with 0-based (row, column) access,
    its formula cells (``formulas``: refs such as ``"D9"``) and merged ranges (0-based,
    inclusive).  Raises :class:`WorkbookError` when the sheet cannot be read."""

    def __init__(self, source: SheetSource, name: str) -> None:
        self.name = name
        self.rows = source.values(name)
        self.formulas = formula_cells_of(source, name)
        getter = getattr(source, "merged_ranges", None)
        self.merged: list[tuple[int, int, int, int]] = list(getter(name)) if getter else []

    @property
    def height(self) -> int:
        return len(self.rows)

    def get(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            value = self.rows[row][col]
            return None if value == "" else value
        return None

    def width(self, row: int) -> int:
        return len(self.rows[row]) if 0 <= row < len(self.rows) else 0

    def ref(self, row: int, col: int) -> str:
        return cell_ref(row, col)

    def right_of(self, row: int, col: int) -> int:
        """Column of the cell right of (row, col), past a merged range starting there."""
        for r1, c1, r2, c2 in self.merged:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return c2 + 1
        return col + 1

    def find_header(self, titles: Sequence[str], *, first: int = 0, limit: int | None = None,
                    optional: Sequence[str] = ()) -> tuple[int, dict[str, int]] | None:
        """The first row (from ``first``) holding every title; title → column (optional
        titles included when present).  When a title appears twice on the row (two tables side
        by side), the occurrence in the same run of non-blank cells as the first title wins."""
        wanted = [match_key(t) for t in titles]
        stop = self.height if limit is None else min(self.height, first + limit)
        for row in range(first, stop):
            keys = [match_key(v) for v in self.rows[row]]
            if not all(k in keys for k in wanted):
                continue
            anchor = keys.index(wanted[0])
            lo = anchor
            while lo > 0 and keys[lo - 1]:
                lo -= 1
            hi = anchor
            while hi + 1 < len(keys) and keys[hi + 1]:
                hi += 1
            columns: dict[str, int] = {}
            for title in (*titles, *optional):
                k = match_key(title)
                hits = [i for i, x in enumerate(keys) if x == k]
                if not hits:
                    continue
                near = [i for i in hits if lo <= i <= hi] or hits
                columns[title] = min(near, key=lambda i: abs(i - anchor))
            return row, columns
        return None

    def best_header_miss(self, titles: Sequence[str], limit: int | None = None) -> list[str]:
        """The titles missing from the row that holds the most of them (for messages)."""
        stop = self.height if limit is None else min(self.height, limit)
        best: list[str] = list(titles)
        for row in range(stop):
            keys = {match_key(v) for v in self.rows[row]}
            missing = [t for t in titles if match_key(t) not in keys]
            if len(missing) < len(best):
                best = missing
        return best

    def find_label(self, label: str, *, first: int = 0, stop: int | None = None,
                   col: int | None = None) -> tuple[int, int] | None:
        """(row, column) of the first cell reading ``label`` (folded), or None."""
        k = match_key(label)
        stop = self.height if stop is None else min(stop, self.height)
        for row in range(first, stop):
            cols = range(self.width(row)) if col is None else (col,)
            for c in cols:
                if match_key(self.get(row, c)) == k:
                    return row, c
        return None

    def table(self, header: int, key_col: int) -> list[int]:
        """Data rows of a header-row table: from the row after ``header`` until the first
        row whose key cell is blank (layout convention)."""
        rows = []
        row = header + 1
        while row < self.height and cell_text(self.get(row, key_col)):
            rows.append(row)
            row += 1
        return rows


# ----------------------------------------------------------------------------- unit sheets


def find_unit_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    """A unit sheet's header row, searched in its first :data:`UNIT_HEADER_SEARCH_ROWS` rows:
    (0-based row, title → 0-based column of every :data:`layout.UNIT_COLUMNS` title on it), or
    None when no row there holds all of :data:`layout.UNIT_REQUIRED_COLUMNS`."""
    return grid.find_header(L.UNIT_REQUIRED_COLUMNS, limit=UNIT_HEADER_SEARCH_ROWS,
                            optional=_UNIT_OPTIONAL_COLUMNS)


def missing_unit_columns(grid: Grid) -> list[str]:
    """The required unit-sheet titles missing from the row (among the first
    :data:`UNIT_HEADER_SEARCH_ROWS`) that holds the most of them, for messages."""
    return grid.best_header_miss(L.UNIT_REQUIRED_COLUMNS, UNIT_HEADER_SEARCH_ROWS)


def unit_identity(grid: Grid, stop: int) -> dict[str, tuple[Any, str]]:
    """A unit sheet's identity block above row ``stop`` (0-based, the header): label of
    `Khối thi đua`, `Năm`, `Mã đơn vị` → (raw value, ref of the value cell), for the labels
    found; the value is the cell right of the label (past a merged label)."""
    out = {}
    for label in (L.LABEL_BLOC, L.LABEL_YEAR, L.LABEL_UNIT_CODE):
        at = grid.find_label(label, stop=stop)
        if at is not None:
            col = grid.right_of(*at)
            out[label] = (grid.get(at[0], col), grid.ref(at[0], col))
    return out


# ----------------------------------------------------------------------------- definition


class _DefinitionCells:
    """Cells of the definition tables, to name ``Sheet!Cell`` in definition errors."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, str]] = {}
        self.arrays: dict[str, tuple[str, list[int], dict[str, int]]] = {}
        self.headers: dict[str, tuple[str, str]] = {}

    def locate(self, path: str) -> tuple[str, str] | None:
        m = re.match(r"^\[\[(\w+)\]\] #(\d+)(?:\.(\w+))?", path)
        if m:
            name, index, fieldname = m.group(1), int(m.group(2)), m.group(3)
            if name not in self.arrays:
                return None
            sheet, rows, cols = self.arrays[name]
            if not 1 <= index <= len(rows):
                return self.headers.get(name)
            col = cols.get(fieldname or "code", next(iter(cols.values())))
            return sheet, cell_ref(rows[index - 1], col)
        path = re.sub(r"\[\d+\]$", "", path)
        if path in self.keys:
            return self.keys[path]
        head = path.split(".")[-1] if path.startswith("scoring.grades") else path
        for name in (head, path.split(".")[0]):
            if name in self.headers:
                return self.headers[name]
        prefix = [k for k in self.keys if k.startswith(path + ".")]
        return self.keys[prefix[0]] if prefix else None


def _definition(source: SheetSource, names: Sequence[str]) -> Bloc:
    """The bloc from `Cấu hình` and `Tiêu chí` (layout.config_dict → bloc_from_dict)."""
    by_key = {match_key(n): n for n in names}
    for fixed in (L.CONFIG, L.CRITERIA):
        if match_key(fixed) not in by_key:
            raise WorkbookError(f"Sổ không có sheet «{fixed}», nơi lưu cấu hình và bảng tiêu "
                                "chí của Khối, nên không đọc được. Hãy dùng sổ do thidua new "
                                "tạo ra.", fixed)
    config = Grid(source, by_key[match_key(L.CONFIG)])
    criteria = Grid(source, by_key[match_key(L.CRITERIA)])
    cells = _DefinitionCells()

    def table(grid: Grid, titles: Sequence[str], name: str,
              fields: Sequence[str]) -> list[list[Any]]:
        found = grid.find_header(titles)
        if found is None:
            missing = grid.best_header_miss(titles)
            raise BlocDefinitionError(
                "không tìm thấy dòng tiêu đề của bảng gồm các cột " + ", ".join(titles)
                + " (thiếu: " + ", ".join(missing) + ")", grid.name)
        header, cols = found
        order = [cols[t] for t in titles]
        rows = grid.table(header, order[0])
        cells.headers[name] = (grid.name, cell_ref(header, order[0]))
        cells.arrays[name] = (grid.name, rows, dict(zip(fields, order)))
        return [[grid.get(r, c) for c in order] for r in rows]

    config_rows = table(config, L.CONFIG_COLUMNS, "config", ("key", "value", "note"))
    _, rows, cols = cells.arrays["config"]
    for r in rows:
        key = cell_text(config.get(r, cols["key"]))
        cells.keys.setdefault(key, (config.name, cell_ref(r, cols["value"])))
    units = table(config, L.UNITS_COLUMNS, "units", ("code", "name"))
    grades = table(config, L.GRADES_COLUMNS, "grades", ("code", "name", "min_total"))
    sections = table(criteria, L.SECTION_COLUMNS, "sections",
                     ("code", "title", "kind", "max_points"))
    crits = table(criteria, L.CRITERION_COLUMNS, "criteria",
                  ("code", "section", "text", "max_points", "critical"))
    source_name = f"{L.CONFIG}, {L.CRITERIA}"
    try:
        data = L.config_dict(config_rows, units, grades, sections, crits)
        return bloc_from_dict(data, source_name)
    except BlocDefinitionError as exc:
        path = exc.where.split(": ", 1)[1] if ": " in exc.where else exc.where
        found = cells.locate(path)
        if found is None:
            raise
        sheet, ref = found
        raise BlocDefinitionError(f"{exc.message} (khóa {path})", f"{sheet}!{ref}") from None


# ----------------------------------------------------------------------------- reader


class _Reader:
    def __init__(self, source: SheetSource) -> None:
        self.source = source
        self.names = list(source.names())
        self.bloc = _definition(source, self.names)
        self.errors: list[DataError] = []
        self.blocking: list[DataError] = []
        self.inputs: dict[str, set[str]] = {}

    def problem(self, sheet: str, cell: str, message: str, unit: str | None = None, *,
                blocking: bool = False, kind: str = SCORES_ERROR) -> None:
        error = DataError(sheet, cell, message, unit, kind)
        self.errors.append(error)
        if blocking:
            self.blocking.append(error)

    # -- sheets ---------------------------------------------------------------------------

    def assign_sheets(self) -> tuple[dict[str, str], list[str]]:
        """Unit code → sheet name (matched case-insensitively), and the unexpected sheets."""
        fixed = {match_key(n) for n in L.FIXED_SHEETS}
        by_key: dict[str, str] = {}
        for name in self.names:
            by_key.setdefault(match_key(name), name)
        assigned = {}
        for unit in self.bloc.units:
            if match_key(unit.code) in by_key:
                assigned[unit.code] = by_key[match_key(unit.code)]
        used = set(assigned.values())
        unexpected = [n for n in self.names if n not in used and match_key(n) not in fixed]
        return assigned, unexpected

    def check_sheets(self, assigned: dict[str, str], unexpected: list[str]) -> None:
        """Missing, renamed and duplicated unit sheets (blocking)."""
        claims: dict[str, list[tuple[str, str]]] = {}
        codes = {match_key(u.code): u.code for u in self.bloc.units}
        for name in unexpected:
            grid = Grid(self.source, name)
            found = find_unit_header(grid)
            stop = found[0] if found else min(grid.height, UNIT_HEADER_SEARCH_ROWS)
            value = unit_identity(grid, stop).get(L.LABEL_UNIT_CODE)
            claimed = codes.get(match_key(cell_text(value[0]))) if value is not None else None
            if claimed is not None:
                claims.setdefault(claimed, []).append((name, value[1]))
        others = ", ".join(f"«{n}»" for n in unexpected)
        for unit in self.bloc.units:
            code = unit.code
            if code not in assigned:
                claimed = claims.get(code)
                if claimed:
                    name = claimed[0][0]
                    hint = (f"Sheet «{name}» ghi Mã đơn vị {code}: có lẽ sheet đã bị đổi tên — "
                            f"hãy đổi tên sheet «{name}» thành {code}.")
                elif unexpected:
                    hint = f"Các sheet không thuộc mẫu: {others}."
                else:
                    hint = "Hãy chép lại sheet của đơn vị từ sổ gốc (không xóa sheet)."
                self.problem(code, "", f"Sổ không có sheet {code} của đơn vị {unit.name}. "
                             f"{hint}", code, blocking=True)
            else:
                for name, ref in claims.get(code, []):
                    self.problem(name, ref, f"Sheet «{name}» cũng ghi Mã đơn vị {code}, trùng "
                                 f"với sheet {assigned[code]}: mã đơn vị bị trùng. Hãy xóa "
                                 "sheet thừa hoặc sửa lại cho đúng.", code, blocking=True)

    # -- unit sheets ----------------------------------------------------------------------

    def unit_sheet(self, code: str, sheet: str) -> tuple[UnitPlace | None, list[ScoreEntry]]:
        bloc = self.bloc
        grid = Grid(self.source, sheet)
        found = find_unit_header(grid)
        if found is None:
            missing = missing_unit_columns(grid)
            self.problem(sheet, "", "không tìm thấy dòng tiêu đề (trong "
                         f"{UNIT_HEADER_SEARCH_ROWS} dòng đầu) gồm các cột "
                         + ", ".join(L.UNIT_REQUIRED_COLUMNS) + "; thiếu: "
                         + ", ".join(missing), code, blocking=True)
            return None, []
        header, cols = found
        self.check_identity(code, grid, header)

        c_code, c_self = cols[L.COL_CODE], cols[L.COL_SELF]
        c_assessed, c_evidence = cols[L.COL_ASSESSED], cols[L.COL_EVIDENCE]
        criteria = {match_key(c.code): c.code for c in bloc.criteria}
        sections = {match_key(s.code) for s in bloc.sections}
        rows: dict[str, int] = {}
        entries: list[ScoreEntry] = []
        inputs = self.inputs.setdefault(sheet, set())
        last = header
        for row in range(header + 1, grid.height):
            raw_code = cell_text(grid.get(row, c_code))
            if not raw_code:
                continue
            crit = criteria.get(match_key(raw_code))
            self_raw, assessed_raw = grid.get(row, c_self), grid.get(row, c_assessed)
            if crit is None:
                typed = any(cell_text(v) for v in (self_raw, assessed_raw))
                if typed and match_key(raw_code) not in sections:
                    self.problem(sheet, grid.ref(row, c_code),
                                 f"mã tiêu chí “{raw_code}” không có trong bảng tiêu chí, nên "
                                 "điểm ở dòng này không được tính", code)
                continue
            last = row
            if crit in rows:
                self.problem(sheet, grid.ref(row, c_code),
                             f"tiêu chí {crit} có hai dòng (dòng {rows[crit]} và dòng {row + 1})",
                             code)
                continue
            rows[crit] = row + 1
            self_ref, assessed_ref = grid.ref(row, c_self), grid.ref(row, c_assessed)
            inputs.update((self_ref, assessed_ref, grid.ref(row, c_evidence)))
            for raw, ref, label in ((self_raw, self_ref, L.COL_SELF),
                                    (assessed_raw, assessed_ref, L.COL_ASSESSED)):
                # Only this unit is concerned (rules.md §2); the entry keeps the blank value
                # read, and this message is the one given for the cell.
                if ref in grid.formulas and not cell_text(raw):
                    self.problem(sheet, ref, f"ô {label} của tiêu chí {crit} chứa công thức nhưng "
                                 "chưa có giá trị tính sẵn (tệp được lưu bởi chương trình không "
                                 "tính công thức). Hãy mở tệp trong Excel, lưu lại rồi chạy lại, "
                                 "hoặc nhập số thay cho công thức.", code)
            entries.append(ScoreEntry(
                unit=code, criterion=crit, self_score=self_raw, assessed_score=assessed_raw,
                evidence=cell_text(grid.get(row, c_evidence)),
                self_at=Location(sheet, self_ref), assessed_at=Location(sheet, assessed_ref)))
        for c in bloc.criteria:
            if c.code not in rows:
                self.problem(sheet, "", f"thiếu dòng của tiêu chí {c.code} (không có ô nào ở cột "
                             f"{L.COL_CODE} ghi {c.code})", code)

        result_cells: dict[str, str] = {}
        formulas: set[str] = set()
        for label in L.UNIT_RESULT_LABELS:
            at = grid.find_label(label, first=last + 1)
            if at is None:
                continue
            ref = grid.ref(at[0], grid.right_of(*at))
            result_cells[label] = ref
            if ref in grid.formulas:
                formulas.add(ref)
        place = UnitPlace(code=code, sheet=sheet, header_row=header + 1,
                          columns={t: _col_letters(c) for t, c in cols.items()},
                          criterion_rows=rows, result_cells=result_cells,
                          formula_cells=frozenset(formulas))
        return place, entries

    def check_identity(self, code: str, grid: Grid, header: int) -> None:
        """The identity block must name this bloc, year and unit (else: a copied sheet)."""
        bloc = self.bloc
        ident = unit_identity(grid, header)
        bloc_value = ident.get(L.LABEL_BLOC)
        year_value = ident.get(L.LABEL_YEAR)
        other_bloc = bloc_value is not None and cell_text(bloc_value[0]) \
            and fold(bloc_value[0]) != fold(bloc.name)
        other_year = year_value is not None and cell_text(year_value[0]) \
            and cell_text(year_value[0]) != str(bloc.year)
        if other_bloc or other_year:
            ref = (bloc_value if other_bloc else year_value)[1]
            named = cell_text(bloc_value[0]) if bloc_value else bloc.name
            year = cell_text(year_value[0]) if year_value else str(bloc.year)
            self.problem(grid.name, ref, f"sheet {grid.name} thuộc “{named}” năm {year}, không "
                         f"phải “{bloc.name}” năm {bloc.year} của sổ này (có lẽ được chép từ sổ "
                         "khác hoặc sổ năm trước). Hãy nhập điểm vào sheet của sổ năm nay.",
                         code, blocking=True)
        unit_value = ident.get(L.LABEL_UNIT_CODE)
        if unit_value is not None and cell_text(unit_value[0]) \
                and match_key(cell_text(unit_value[0])) != match_key(code):
            self.problem(grid.name, unit_value[1], f"sheet {grid.name} ghi Mã đơn vị "
                         f"“{cell_text(unit_value[0])}”, không phải {code}: sheet bị đổi tên hoặc "
                         "chép nhầm từ đơn vị khác.", code, blocking=True)

    # -- Bình xét -------------------------------------------------------------------------

    def review_sheet(self) -> tuple[ReviewPlace | None, dict[str, UnitFacts], Conference | None]:
        bloc = self.bloc
        name = self.sheet_named(L.REVIEW)
        if name is None:
            self.problem(L.REVIEW, "", f"Sổ không có sheet «{L.REVIEW}» (kết quả hội nghị bình "
                         "xét).", blocking=True)
            return None, {}, None
        grid = Grid(self.source, name)
        votes_titles = {a.key: L.votes_header(a) for a in bloc.awards}
        required = (L.REVIEW_COL_CODE, L.REVIEW_COL_DISCIPLINED)
        found = grid.find_header(required, optional=(L.REVIEW_COL_NAME, *votes_titles.values()))
        inputs = self.inputs.setdefault(name, set())
        conference, labels = self.conference(grid, found[0] if found else grid.height)
        inputs.update(labels.values())
        if found is None:
            missing = grid.best_header_miss(required)
            self.problem(name, "", "không tìm thấy dòng tiêu đề gồm các cột "
                         + ", ".join(required) + "; thiếu: " + ", ".join(missing),
                         blocking=True)
            return None, {}, conference
        header, cols = found
        codes = {match_key(u.code): u.code for u in bloc.units}
        c_code, c_disc = cols[L.REVIEW_COL_CODE], cols[L.REVIEW_COL_DISCIPLINED]
        facts: dict[str, UnitFacts] = {}
        rows: dict[str, int] = {}
        for row in range(header + 1, grid.height):
            raw = cell_text(grid.get(row, c_code))
            if not raw:
                continue
            marks = [grid.get(row, c_disc)] + [grid.get(row, cols[t]) for t in
                                               votes_titles.values() if t in cols]
            code = codes.get(match_key(raw))
            if code is None:
                if any(cell_text(v) for v in marks):
                    self.problem(name, grid.ref(row, c_code),
                                 f"mã đơn vị “{raw}” không có trong khối")
                continue
            mark = parse_mark(grid.get(row, c_disc))
            if code in rows:
                # Which row is right is unknown: a differing mark puts the discipline in
                # doubt, otherwise the votes.
                first = facts[code].disciplined if code in facts else None
                kind = DISCIPLINE_ERROR if mark != first else VOTES_ERROR
                self.problem(name, grid.ref(row, c_code), f"đơn vị {code} có hai dòng (dòng "
                             f"{rows[code]} và dòng {row + 1}): mã đơn vị bị trùng", code,
                             kind=kind)
                continue
            rows[code] = row + 1
            disc_ref = grid.ref(row, c_disc)
            inputs.add(disc_ref)
            disciplined = mark
            if disciplined is None:
                self.problem(name, disc_ref, f"cột {L.REVIEW_COL_DISCIPLINED} chỉ nhận “x” hoặc "
                             f"để trống (đang là “{cell_text(grid.get(row, c_disc))}”)", code,
                             kind=DISCIPLINE_ERROR)
                disciplined = False
            votes: dict[str, int | None] = {}
            votes_at: dict[str, Location] = {}
            for key, title in votes_titles.items():
                votes[key] = None
                if title not in cols:
                    continue
                ref = grid.ref(row, cols[title])
                inputs.add(ref)
                votes_at[key] = Location(name, ref)
                try:
                    votes[key] = parse_votes(grid.get(row, cols[title]))
                except ValueError as exc:
                    self.problem(name, ref, f"{title}: {exc}", code, kind=VOTES_ERROR)
            facts[code] = UnitFacts(unit=code, disciplined=disciplined, votes=votes,
                                    at=Location(name, grid.ref(row, c_code)), votes_at=votes_at)
        for unit in bloc.units:
            if unit.code not in rows:
                # Its votes are unknown: hold its place rather than hand it to another unit.
                self.problem(name, "", f"không có dòng của đơn vị {unit.code} ({unit.name}) ở "
                             f"cột {L.REVIEW_COL_CODE}", unit.code, kind=VOTES_ERROR)
        place = ReviewPlace(sheet=name, header_row=header + 1,
                            columns={t: _col_letters(c) for t, c in cols.items()},
                            unit_rows=rows, label_cells=labels)
        return place, facts, conference

    def conference(self, grid: Grid, stop: int) -> tuple[Conference | None, dict[str, str]]:
        """The conference label/value pairs above the header (blocking errors when bad)."""
        table: dict[str, Any] = {}
        refs: dict[str, str] = {}
        labels: dict[str, str] = {}
        for label, fieldname in L.CONFERENCE_LABELS.items():
            at = grid.find_label(label, stop=stop)
            if at is None:
                continue
            col = grid.right_of(*at)
            ref = grid.ref(at[0], col)
            labels[label], refs[fieldname] = ref, ref
            value = grid.get(at[0], col)
            try:
                if fieldname == "date":
                    value = parse_date(value)
                elif fieldname in ("members", "present", "ballots_issued", "ballots_valid"):
                    # The label names the count: "số thành viên có mặt “ba” phải là …".
                    value = parse_votes(value, what=label[:1].lower() + label[1:])
                else:
                    value = cell_text(value) or None
            except ValueError as exc:
                # The ballot is then unrecorded (proposals, draft dossier); scores still count.
                self.problem(grid.name, ref, str(exc) if fieldname != "date" else
                             f"{label}: {exc}", kind=VOTES_ERROR)
                value = None
            table[fieldname] = value
        if L.LABEL_PRESENT not in labels:
            self.problem(grid.name, "", f"không tìm thấy ô có nhãn “{L.LABEL_PRESENT}”",
                         blocking=True)
        try:
            conference = conference_from_dict(table, grid.name)
        except DataFileError as exc:
            # A mistyped meeting detail leaves the ballot unrecorded (nominations stay
            # proposals, the dossier a draft); it does not stop the scores being written.
            fieldname = exc.where.rsplit(".", 1)[-1]
            self.problem(grid.name, refs.get(fieldname, ""), exc.message, kind=VOTES_ERROR)
            return None, labels
        elected = {}
        for fieldname in ("next_leader", "next_deputy"):
            value = getattr(conference, fieldname)
            if not value:
                continue
            code = self.unit_code_of(value)
            if code is None:
                self.problem(grid.name, refs[fieldname], f"“{value}” không phải mã hay tên đơn "
                             "vị thành viên của khối", kind=VOTES_ERROR)
            elected[fieldname] = code
        return replace(conference, **elected), labels

    def unit_code_of(self, text: str) -> str | None:
        """The unit a typed code or name designates (case and diacritics form ignored)."""
        key = match_key(text)
        for unit in self.bloc.units:
            if key in (match_key(unit.code), match_key(unit.name)):
                return unit.code
        return None

    # -- Tổng hợp -------------------------------------------------------------------------

    def summary_sheet(self) -> SummaryPlace | None:
        bloc = self.bloc
        name = self.sheet_named(L.SUMMARY)
        if name is None:
            self.problem(L.SUMMARY, "", f"Sổ không có sheet «{L.SUMMARY}» (nơi ghi kết quả).",
                         blocking=True)
            return None
        grid = Grid(self.source, name)
        found = grid.find_header(L.SUMMARY_REQUIRED_COLUMNS, optional=L.SUMMARY_COLUMNS)
        if found is None:
            missing = grid.best_header_miss(L.SUMMARY_REQUIRED_COLUMNS)
            self.problem(name, "", "không tìm thấy dòng tiêu đề gồm các cột "
                         + ", ".join(L.SUMMARY_REQUIRED_COLUMNS) + "; thiếu: "
                         + ", ".join(missing), blocking=True)
            return None
        header, cols = found
        codes = {match_key(u.code): u.code for u in bloc.units}
        c_code = cols[L.SUM_COL_CODE]
        rows: dict[str, int] = {}
        next_row = header + 1
        for row in range(header + 1, grid.height):
            raw = cell_text(grid.get(row, c_code))
            if not raw:
                if any(cell_text(grid.get(row, c)) for c in cols.values()):
                    next_row = row + 1
                continue
            next_row = row + 1
            code = codes.get(match_key(raw))
            if code is not None and code not in rows:
                rows[code] = row + 1
        labels: dict[str, str] = {}
        for label in L.summary_labels(bloc):
            at = grid.find_label(label, stop=header)
            if at is not None:
                labels[label] = grid.ref(at[0], grid.right_of(*at))
        return SummaryPlace(sheet=name, header_row=header + 1,
                            columns={t: _col_letters(c) for t, c in cols.items()},
                            unit_rows=rows, next_row=next_row + 1, label_cells=labels,
                            formula_cells=frozenset(grid.formulas))

    def sheet_named(self, wanted: str) -> str | None:
        return sheet_named(self.names, wanted)


def read_round(source: SheetSource) -> WorkbookRound:
    """Read a shared workbook through ``source``.

    Returns a :class:`WorkbookRound`: the engine input (definition from `Cấu hình` +
    `Tiêu chí`; one :class:`ScoreEntry` per criterion row of each unit sheet, located at its
    cells; review facts and conference from `Bình xét`; every problem in ``read_errors``) and
    the positions to write results back.  Raises :class:`BlocDefinitionError` (``where`` =
    ``Sheet!Cell`` when the cell is known) for an invalid definition and
    :class:`WorkbookError` when `Cấu hình` or `Tiêu chí` is missing.
    """
    reader = _Reader(source)
    assigned, unexpected = reader.assign_sheets()
    reader.check_sheets(assigned, unexpected)
    places: dict[str, UnitPlace] = {}
    scores: list[ScoreEntry] = []
    for unit in reader.bloc.units:
        if unit.code in assigned:
            place, entries = reader.unit_sheet(unit.code, assigned[unit.code])
            if place is not None:
                places[unit.code] = place
            scores += entries
    review_place, facts, conference = reader.review_sheet()
    summary = reader.summary_sheet()
    data = RoundInput(bloc=reader.bloc, scores=tuple(scores), facts=facts,
                      conference=conference, read_errors=tuple(reader.errors))
    return WorkbookRound(round_input=data, units=places, summary=summary, review=review_place,
                         blocking=tuple(reader.blocking),
                         input_cells={k: frozenset(v) for k, v in reader.inputs.items()},
                         sheet_names=tuple(reader.names))

