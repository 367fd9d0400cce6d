"""xlwings' remote engine as a test double for Excel (engineering-notes §1).

* :func:`xlwings_remote` — xlwings with its ``remote`` engine registered.  The engine lives in
  ``xlwings/pro`` under the PolyForm Noncommercial licence; ``XLWINGS_LICENSE_KEY=noncommercial``
  is set here, in the test set-up only (this public-sector project is noncommercial).  The
  product code never needs it: the macros use only open-source xlwings.
* :func:`payload` / :func:`open_book` — an .xlsx/.xlsm file (cached values, as Excel would show
  them) → the JSON payload ``xw.Book(json=…)`` accepts → an xlwings ``Book``.
* :func:`replay` — the actions a macro left in ``book.json()["actions"]`` applied to an openpyxl
  workbook, as Excel would apply them.  Strict: an action it does not know raises, so a macro
  doing something unplanned shows up in the tests.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

_LICENCE_VAR = "XLWINGS_LICENSE_KEY"


def xlwings_remote():
    """The ``xlwings`` module with the ``remote`` engine available.

    Sets ``XLWINGS_LICENSE_KEY=noncommercial`` (unless a key is set) before xlwings is imported
    — engines register at import time.  If xlwings was already imported without a key, the
    engine is registered afterwards, the way ``xlwings/__init__.py`` does it.
    """
    os.environ.setdefault(_LICENCE_VAR, "noncommercial")
    import xlwings as xw

    if "remote" not in [engine.name for engine in xw.engines]:
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))
    return xw


def _json_value(value: Any) -> Any:
    """A cell value as the Office Scripts client sends it (notes §1, "Value encoding")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.time):
        return (dt.datetime.combine(dt.date(1899, 12, 30), value)
                .isoformat(timespec="milliseconds") + "Z")
    return str(value)


def _names(wb: Any) -> list[dict]:
    titles = [ws.title for ws in wb.worksheets]
    names = []
    scoped = [(None, dn) for dn in wb.defined_names.values()]
    scoped += [(i, dn) for i, ws in enumerate(wb.worksheets) for dn in ws.defined_names.values()]
    for scope, dn in scoped:
        destinations = list(dn.destinations)
        if len(destinations) != 1:  # constants, formulas, multi-area names: not ranges
            continue
        sheet, ref = destinations[0]
        names.append({"name": dn.name, "sheet_index": titles.index(sheet),
                      "address": ref.replace("$", ""), "refers_to": "=" + dn.attr_text,
                      "book_scope": scope is None,
                      "scope_sheet_name": None if scope is None else titles[scope],
                      "scope_sheet_index": scope})
    return names


def payload(path: Path, *, name: str | None = None, active: str | None = None) -> dict:
    """The JSON payload of the workbook file ``path`` (values as cached in the file).

    ``name``: the book's name as the client reports it (default: the file name; the remote
    engine's ``Book.fullname`` returns it unchanged, so a full path or a URL may be given).
    ``active``: the active sheet (default: the file's active sheet).
    """
    import openpyxl
    import xlwings as xw

    wb = openpyxl.load_workbook(path, data_only=True, keep_links=False)
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = [[_json_value(c.value) for c in row] for row in ws.iter_rows(
                min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column)]
            sheets.append({"name": ws.title, "values": rows or [[]], "pictures": [],
                           "shapes": [], "charts": [], "notes": [], "tables": [],
                           "used_range_address": ws.calculate_dimension()})
        titles = [ws.title for ws in wb.worksheets]
        index = titles.index(active) if active is not None else wb.index(wb.active)
        return {"client": "Microsoft Office Scripts", "version": xw.__version__,
                "book": {"name": name or Path(path).name, "active_sheet_index": index,
                         "selection": "A1"},
                "names": _names(wb), "sheets": sheets}
    finally:
        wb.close()


def open_book(path: Path, *, name: str | None = None, active: str | None = None):
    """An xlwings ``Book`` (remote engine) showing the workbook file ``path``."""
    xw = xlwings_remote()
    return xw.Book(json=payload(path, name=name, active=active))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?\Z")


def _excel_value(value: Any) -> Any:
    """What Excel stores when a macro writes ``value``: "" clears, a leading apostrophe marks
    text (and is not part of it), ISO date strings (how xlwings sends datetimes) are dates."""
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if _DATE.match(value):
            return dt.datetime.fromisoformat(value)
    return value


def replay(wb: Any, actions: list[dict]) -> list[dict]:
    """Apply ``actions`` (``book.json()["actions"]``) to the openpyxl workbook ``wb`` in order.

    Handles ``setValues``, ``rangeClearContents`` and ``alert`` (returned, not applied); any
    other action raises AssertionError.  Returns the alerts as
    ``[{"prompt", "title", "buttons", "mode"}]``.
    """
    alerts = []
    for action in actions:
        func = action["func"]
        if func == "alert":
            prompt, title, buttons, mode = action["args"][:4]
            alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
            continue
        ws = wb.worksheets[action["sheet_position"]]
        top, left = action["start_row"] + 1, action["start_column"] + 1
        if func == "setValues":
            values = action["values"]
            assert len(values) == action["row_count"], action
            for i, row in enumerate(values):
                assert len(row) == action["column_count"], action
                for j, value in enumerate(row):
                    # ws.cell(..., value=None) would leave the old value: assign instead.
                    ws.cell(top + i, left + j).value = _excel_value(value)
        elif func == "rangeClearContents":
            for r in range(top, top + action["row_count"]):
                for c in range(left, left + action["column_count"]):
                    ws.cell(r, c).value = None
        else:
            raise AssertionError(f"replay: unexpected action {func!r}: {action}")
    return alerts


def formulas(wb: Any) -> dict[str, dict[str, str]]:
    """``{sheet: {ref: formula}}`` of an openpyxl workbook loaded with formulas."""
    out: dict[str, dict[str, str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    out.setdefault(ws.title, {})[cell.coordinate] = str(cell.value)
    return out


def emulate_formula_lookup(monkeypatch: Any, formula_map: dict[str, dict[str, str]]) -> None:
    """Give the remote engine the one thing Excel answers that its payload lacks: which cells
    hold formulas (``Range.get_special_cells("formulas")``, Excel's ``SpecialCells``), from
    ``formula_map`` = :func:`formulas` of the same file.  Like Excel, it returns the formula
    cells inside the range (one 1×1 area per cell) and ``[]`` when there are none."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    xlwings_remote()
    from xlwings.pro import _xlremote

    def get_special_cells(self, cell_type, value_type=None):
        if cell_type != "formulas" or value_type is not None:
            raise NotImplementedError(f"emulated only for formulas, not {cell_type!r}")
        (top, left), (bottom, right) = self.arg1, self.arg2 or self.arg1
        areas = []
        for ref in formula_map.get(self.sheet.name, {}):
            letters, row = coordinate_from_string(ref)
            col = column_index_from_string(letters)
            if top <= row <= bottom and left <= col <= right:
                areas.append(_xlremote.Range(sheet=self.sheet, arg1=(row, col)))
        return sorted(areas, key=lambda a: a.arg1)

    monkeypatch.setattr(_xlremote.Range, "get_special_cells", get_special_cells)
