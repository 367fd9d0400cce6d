"""Where workbook values come from: a tiny protocol and its adapters.

The reader (:mod:`thidua_xl.workbook.read`) is pure over :class:`SheetSource`, so the CLI
(python-calamine, openpyxl), the Excel macros (xlwings, one bulk read per sheet) and the tests
(:class:`MemorySource`) share it.

Shape of :meth:`SheetSource.values`: a 2-D list anchored at ``A1`` (``values[0][0]`` is A1),
``None`` for a blank cell, rows possibly of different lengths.  Cell values are ``str``,
``int``/``float``, ``bool``, ``date``/``datetime`` — whatever the cell holds (for a formula, its
cached result; blank when none was saved).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

from thidua_xl.cellref import column_letter
from thidua_xl.errors import WorkbookError

__all__ = ["SheetSource", "MemorySource", "CalamineSource", "OpenpyxlSource", "open_source",
           "formula_cells_of", "cell_ref"]


@runtime_checkable
class SheetSource(Protocol):
    """Read access to a workbook's cell values.

    Required: ``names()`` (sheet names in workbook order) and ``values(name)`` (2-D list anchored
    at A1, ``None`` for blank).  Optional: ``formula_cells(name) -> set[str]`` (references such
    as ``"D7"`` of cells holding a formula; a source without it is taken to hold no formulas)
    and ``merged_ranges(name) -> [(first row, first col, last row, last col)]`` (0-based,
    inclusive; used to find the cell right of a merged label).
    ``values`` raises ``KeyError`` for an unknown sheet.
    """

    def names(self) -> list[str]: ...

    def values(self, name: str) -> list[list[Any]]: ...


def cell_ref(row: int, col: int) -> str:
    """``(0, 0)`` → ``"A1"``: the reference of a 0-based position in :meth:`SheetSource.values`."""
    return f"{column_letter(col + 1)}{row + 1}"


def formula_cells_of(source: SheetSource, name: str) -> set[str]:
    """The formula cells of a sheet when the source can tell, else an empty set."""
    getter = getattr(source, "formula_cells", None)
    return set(getter(name)) if getter is not None else set()


class MemorySource:
    """An in-memory workbook for tests and for macros that already hold the values.

    ``sheets``: ``{name: 2-D list}`` in workbook order; ``formulas``: ``{name: {"D7", …}}``;
    ``merged``: ``{name: [(first row, first col, last row, last col), …]}`` (0-based).
    ``""`` is read as blank, like an empty cell.
    """

    def __init__(self, sheets: Mapping[str, list[list[Any]]],
                 formulas: Mapping[str, Iterable[str]] | None = None,
                 merged: Mapping[str, Iterable[tuple[int, int, int, int]]] | None = None) -> None:
        self._merged = {name: list(ranges) for name, ranges in (merged or {}).items()}
        self._sheets = {name: [[None if v == "" else v for v in row] for row in rows]
                        for name, rows in sheets.items()}
        self._formulas = {name: set(refs) for name, refs in (formulas or {}).items()}

    def names(self) -> list[str]:
        return list(self._sheets)

    def values(self, name: str) -> list[list[Any]]:
        return [list(row) for row in self._sheets[name]]

    def formula_cells(self, name: str) -> set[str]:
        return set(self._formulas.get(name, ()))

    def merged_ranges(self, name: str) -> list[tuple[int, int, int, int]]:
        return list(self._merged.get(name, ()))


def _open_error(path: Path, exc: Exception) -> WorkbookError:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return WorkbookError(f"Tệp {path.name} được bảo vệ bằng mật khẩu (đã mã hóa), nên không "
                             "đọc được. Hãy gỡ mật khẩu trong Excel rồi chạy lại.", str(path))
    return WorkbookError(f"Tệp {path.name} bị hỏng hoặc không phải tệp Excel (.xlsx/.xlsm), "
                         f"không đọc được ({exc}).", str(path))


def _input(path: Path, data: bytes | None) -> Any:
    return io.BytesIO(data) if data is not None else path


class _OpenpyxlFormulas:
    """Formula cells of a file, found with one openpyxl read-only pass (lazily, once)."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self._path = path
        self._data = data
        self._cells: dict[str, set[str]] | None = None

    def get(self, name: str) -> set[str]:
        if self._cells is None:
            import openpyxl

            try:
                wb = openpyxl.load_workbook(_input(self._path, self._data), read_only=True,
                                            data_only=False)
            except Exception as exc:  # noqa: BLE001 — any parser failure = unreadable file
                raise _open_error(self._path, exc) from exc
            try:
                self._cells = {}
                for ws in wb.worksheets:
                    found = self._cells.setdefault(ws.title, set())
                    for row in ws.iter_rows():
                        for cell in row:
                            if getattr(cell, "data_type", None) == "f":
                                found.add(cell.coordinate)
            finally:
                wb.close()
        return set(self._cells.get(name, ()))


class _XmlFormulas:
    """Formula cells of a file, read from each worksheet's XML with lxml, one sheet at a
    time when first asked (``<c r="D7"><f>…</f>`` — shared-formula children included).

    An openpyxl read-only pass builds a Python object per cell of every sheet; this reads
    only the ``<f>`` elements and costs about a tenth of it."""

    _F = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}f"

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self._path = path
        self._data = data
        self._zip: Any = None
        self._parts: dict[str, str] | None = None
        self._cells: dict[str, set[str]] = {}
        self._fallback: _OpenpyxlFormulas | None = None

    def _sheet_parts(self) -> dict[str, str]:
        if self._parts is None:
            import zipfile

            from .. import xlsxpatch as X

            try:
                self._zip = zipfile.ZipFile(_input(self._path, self._data))
                parts = {n: self._zip.read(n) for n in self._zip.namelist()
                         if n.endswith((".rels", "workbook.xml"))}
                workbook = X.workbook_part(parts)
                root = X.parse_part(parts[workbook], workbook, str(self._path))
                self._parts = X.sheet_parts(parts, workbook, root)
            except WorkbookError:
                raise
            except Exception as exc:  # noqa: BLE001 — any zip/XML failure = unreadable file
                raise _open_error(self._path, exc) from exc
        return self._parts

    def get(self, name: str) -> set[str]:
        if name not in self._cells:
            part = self._sheet_parts().get(name)
            found: set[str] = set()
            if part is not None:
                from .. import xlsxpatch as X

                try:
                    data = self._zip.read(part)
                except Exception as exc:  # noqa: BLE001
                    raise _open_error(self._path, exc) from exc
                root = X.parse_part(data, part, str(self._path))
                found = {f.getparent().get("r") for f in root.iter(self._F)}
                if None in found:   # cells without references (rare writers): count them
                    if self._fallback is None:
                        self._fallback = _OpenpyxlFormulas(self._path, self._data)
                    found = self._fallback.get(name)
            self._cells[name] = found
        return set(self._cells[name])


class CalamineSource:
    """Values read with python-calamine (fast, Rust); formula cells from the sheets' XML.

    ``data``: the file's bytes, already read (then ``path`` only names it in messages).
    Raises :class:`WorkbookError` (Vietnamese, naming the file) when the file cannot be opened.
    Cached formula results are read; a formula saved without a result reads as blank.
    """

    def __init__(self, path: str | os.PathLike[str], data: bytes | None = None) -> None:
        import python_calamine as pc

        self.path = Path(path)
        try:
            if data is not None:
                self._book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
            else:
                self._book = pc.CalamineWorkbook.from_path(str(self.path))
            self._names = [m.name for m in self._book.sheets_metadata
                           if m.typ == pc.SheetTypeEnum.WorkSheet]
        except Exception as exc:  # noqa: BLE001 — calamine raises several unrelated types
            raise _open_error(self.path, exc) from exc
        self._formulas = _XmlFormulas(self.path, data)
        self._cache: dict[str, list[list[Any]]] = {}

    def names(self) -> list[str]:
        return list(self._names)

    def values(self, name: str) -> list[list[Any]]:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._cache:
            try:
                rows = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001
                raise _open_error(self.path, exc) from exc
            self._cache[name] = [[None if v == "" else v for v in row] for row in rows]
        return [list(row) for row in self._cache[name]]

    def formula_cells(self, name: str) -> set[str]:
        return self._formulas.get(name)

    def merged_ranges(self, name: str) -> list[tuple[int, int, int, int]]:
        try:
            ranges = self._book.get_sheet_by_name(name).merged_cell_ranges or []
        except Exception:  # noqa: BLE001 — merges are a reading aid only
            return []
        return [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in ranges]


class OpenpyxlSource:
    """Values read with openpyxl (``data_only=True``: cached formula results); formula cells
    from a second read-only pass.  ``data``: the file's bytes, already read.  Raises
    :class:`WorkbookError` when the file cannot be opened."""

    def __init__(self, path: str | os.PathLike[str], data: bytes | None = None) -> None:
        import openpyxl

        self.path = Path(path)
        try:
            wb = openpyxl.load_workbook(_input(self.path, data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001
            raise _open_error(self.path, exc) from exc
        try:
            self._sheets: dict[str, list[list[Any]]] = {}
            for ws in wb.worksheets:
                ws.reset_dimensions()          # the stored <dimension> may be wrong or absent
                rows = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
                width = max((len(r) for r in rows), default=0)
                self._sheets[ws.title] = [[_plain(v) for v in r] + [None] * (width - len(r))
                                          for r in rows]
        finally:
            wb.close()
        self._formulas = _XmlFormulas(self.path, data)

    def names(self) -> list[str]:
        return list(self._sheets)

    def values(self, name: str) -> list[list[Any]]:
        return [list(row) for row in self._sheets[name]]

    def formula_cells(self, name: str) -> set[str]:
        return self._formulas.get(name)


def _plain(value: Any) -> Any:
    # An empty shared string reads as "": blank, as calamine and Excel treat it.
    return None if value == "" else value


def open_source(path: str | os.PathLike[str], data: bytes | None = None) -> SheetSource:
    """The default source for a workbook file (python-calamine); ``data``: its bytes if read."""
    return CalamineSource(path, data)
