"""The Python behind the workbook's buttons, run by xlwings' ``RunPython`` (:mod:`thidua_xl.vba`).

Each macro takes ``book=None`` — the xlwings ``Book`` to work on, by default the workbook whose
button was clicked (``xw.Book.caller()``) — and does what the CLI does, with the same library
functions: :func:`~thidua_xl.workbook.read.read_round` → :func:`~thidua_xl.review.review` →
:func:`~thidua_xl.workbook.write.result_cells` / :func:`~thidua_xl.workbook.write.stamp_cells`.
Only the way in and out differs (:mod:`thidua_xl.workbook.xlwings_source`): one bulk read per
sheet, one bulk write per rectangle of result cells, never a formula or an input cell.

=================  ============================================================================
:func:`recompute`  Tính điểm: totals, ranks, grades and the status cell; the nomination cells
                   (Đề nghị, Phiếu đồng ý, Trạng thái, Lý do, next leader/deputy, quorum)
                   are cleared, so no proposal from older scores lingers.
:func:`nominate`   Xét khen thưởng: everything :func:`recompute` writes plus the nominations.
:func:`report`     Xuất báo cáo Word: :func:`nominate`, then the Word dossier in a folder beside
                   the workbook (a local folder when the workbook lives at a web address).
:func:`check_sheet`  Kiểm tra sheet này: the problems of the active sheet only; writes only the
                   status cell.
:func:`collect`    Gộp file các đơn vị: the unit files in ``thu-ve`` beside the workbook,
                   merged into the open workbook (:mod:`thidua_xl.collect`'s rules).
=================  ============================================================================

Every macro reports to the user in Vietnamese: the cell right of `Trạng thái tính` on
`Tổng hợp` always gets a one-line status, and an xlwings alert lists problems as
``Sheet!Cell: message``.  Nothing is raised to xlwings (its traceback box is English): an
unexpected failure is reported the same way.  Each call leaves its counts in
:data:`last_stats`.

Start-up cost matters (every click starts Python): importing this module loads neither
xlwings, openpyxl, docx, lxml nor a plotting library; they are imported by the call that needs
them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import unquote, urlparse

from .errors import ThiduaError
from .model import DataError
from .text import fold
from .workbook import layout as L
from .workbook.xlwings_source import (IOStats, XlwingsSource, col_letters, parse_ref,
                                      write_cells)

__all__ = ["recompute", "nominate", "report", "check_sheet", "collect", "last_stats",
           "RunStats", "dossier_folder", "COLLECT_FOLDER", "MAX_LISTED"]

#: Problems listed one per line in an alert; the rest are counted.
MAX_LISTED = 12
#: Problems named in the one-line status cell of :func:`check_sheet`.
_STATUS_LISTED = 3

#: Button captions (thidua_xl.vba holds the same; not imported: it loads lxml).
_CAPTIONS = {
    "recompute": "Tính điểm",
    "nominate": "Xét khen thưởng",
    "report": "Xuất báo cáo Word",
    "collect": "Gộp file các đơn vị",
    "check_sheet": "Kiểm tra sheet này",
}
_WEB = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclasses.dataclass
class RunStats:
    """What the last macro call did (for tests and the benchmark).

    ``action``: the macro's name; ``sheets``: sheets in the workbook; ``io``: reads, writes,
    cells and ranges (:class:`~thidua_xl.workbook.xlwings_source.IOStats`); ``seconds``: wall
    time of the call; ``status``: text put in the status cell (``""`` if none could be
    written); ``alerts``: alert texts shown; ``problems``: data problems found; ``written``:
    result cells were written; ``skipped``: result cells left alone because they hold a
    formula (``Sheet!Ref``); ``files``: Word files written.
    """

    action: str
    sheets: int = 0
    io: IOStats = dataclasses.field(default_factory=IOStats)
    seconds: float = 0.0
    status: str = ""
    alerts: list[str] = dataclasses.field(default_factory=list)
    problems: int = 0
    written: bool = False
    skipped: list[str] = dataclasses.field(default_factory=list)
    files: list[str] = dataclasses.field(default_factory=list)

    @property
    def reads(self) -> int:
        return self.io.reads

    @property
    def writes(self) -> int:
        return self.io.writes

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


#: The :class:`RunStats` of the most recent macro call in this process (None before any).
last_stats: RunStats | None = None


# --------------------------------------------------------------------------- plumbing

def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _now() -> dt.datetime:
    """The time stamped on this run (local time, to the minute)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


def _stamp(when: dt.datetime) -> str:
    return f"{when:%d/%m/%Y %H:%M}"


def _listing(errors: Iterable[Any], limit: int = MAX_LISTED) -> str:
    errors = list(errors)
    lines = [f"• {e}" for e in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"… và {len(errors) - limit} lỗi khác.")
    return "\n".join(lines)


class _Run:
    """One macro call: the book, its source, the status cell and the alerts."""

    def __init__(self, action: str, book: Any) -> None:
        self.stats = RunStats(action)
        self.book = _caller(book)
        self.source = XlwingsSource(self.book, self.stats.io)
        self.when = _now()
        self.title = f"thidua_xl — {_CAPTIONS[action]}"
        self.stats.sheets = len(self.source.names())

    # -- messages -----------------------------------------------------------------------

    def alert(self, text: str, *, critical: bool = False) -> None:
        """An xlwings alert (Excel's message box), when the engine can show one."""
        self.stats.alerts.append(text)
        try:
            self.book.app.alert(text, title=self.title, buttons="ok",
                                mode="critical" if critical else "info")
        except Exception:  # noqa: BLE001 — no alert on this engine/platform: the status cell stays
            pass

    def status_cell(self, wround: Any = None) -> tuple[str, str] | None:
        """(sheet, ref) of the value cell of `Trạng thái tính` on `Tổng hợp`, found from the
        read positions or, when the read failed, in `Tổng hợp`'s values (read once)."""
        if wround is not None and wround.summary is not None:
            ref = wround.summary.label_cells.get(L.LABEL_STATUS)
            return (wround.summary.sheet, ref) if ref else None
        names = [n for n in self.source.names() if fold(n) == fold(L.SUMMARY)]
        if not names:
            return None
        label = fold(L.LABEL_STATUS)
        for r, row in enumerate(self.source.values(names[0])):
            for c, value in enumerate(row):
                if isinstance(value, str) and fold(value).rstrip(":").strip() == label:
                    return names[0], f"{col_letters(c + 2)}{r + 1}"
        return None

    def write(self, cells: Mapping[str, Mapping[str, Any]], wround: Any = None,
              status: str | None = None) -> None:
        """Write result ``cells`` and, when given, ``status`` into the status cell, in bulk."""
        cells = {sheet: dict(refs) for sheet, refs in cells.items()}
        at = self.status_cell(wround) if status is not None else None
        if at is not None:
            cells.setdefault(at[0], {})[at[1]] = status
        skipped = write_cells(self.source, cells)
        self.stats.skipped += skipped
        if at is not None and f"{at[0]}!{at[1]}" not in skipped:
            self.stats.status = status

    def fail(self, message: str, wround: Any = None) -> str:
        """Report a failure: status cell (if it can be written) and a critical alert."""
        status = f"Lỗi lúc {_stamp(self.when)}: {message}"
        try:
            self.write({}, wround, status)
        except Exception:  # noqa: BLE001 — the alert below still tells the user
            pass
        self.alert(message, critical=True)
        return status


def _macro(action: str, book: Any, body: Callable[[_Run], str]) -> str:
    """Run ``body`` for the macro ``action``; turn every failure into a Vietnamese report;
    publish :data:`last_stats`.  Returns the status text."""
    global last_stats
    started = time.perf_counter()
    run = _Run(action, book)
    try:
        status = body(run)
    except ThiduaError as exc:
        status = run.fail(str(exc))
    except Exception as exc:  # noqa: BLE001 — never an English traceback box for the user
        status = run.fail(f"lỗi không mong đợi ({type(exc).__name__}: {exc}). Hãy báo cho "
                          "người quản trị sổ, kèm tệp sổ và thông báo này.")
    run.stats.seconds = time.perf_counter() - started
    last_stats = run.stats
    return status


# --------------------------------------------------------------------------- compute

def _nomination_refs(cells: Mapping[str, Mapping[str, Any]], wround: Any) -> set[tuple[str, str]]:
    """(sheet, ref) of the cells of ``cells`` that hold nomination results: on `Tổng hợp` the
    columns Đề nghị, Phiếu đồng ý, Trạng thái, Lý do and the labels of the next leader and
    deputy and of the quorum; on unit sheets Đề nghị and Lý do.  (The quotas depend only on
    the bloc's size: they stay.)"""
    out: set[tuple[str, str]] = set()
    summary = wround.summary
    if summary is not None:
        letters = {summary.columns[t] for t in (L.SUM_COL_PROPOSAL, L.SUM_COL_VOTES,
                                                L.SUM_COL_STATUS, L.SUM_COL_REASON)
                   if t in summary.columns}
        labels = (L.LABEL_NEXT_LEADER, L.LABEL_NEXT_DEPUTY, L.LABEL_QUORUM)
        label_refs = {summary.label_cells[x] for x in labels if x in summary.label_cells}
        for ref in cells.get(summary.sheet, {}):
            row, _ = parse_ref(ref)
            column = re.sub(r"\d", "", ref)
            if ref in label_refs or (row > summary.header_row and column in letters):
                out.add((summary.sheet, ref))
    for place in wround.units.values():
        for label in (L.LABEL_PROPOSAL, L.LABEL_REASON):
            ref = place.result_cells.get(label)
            if ref is not None and ref in cells.get(place.sheet, {}):
                out.add((place.sheet, ref))
    return out


def _blocked(run: _Run, wround: Any) -> str:
    """Report blocking problems (nothing is written but the status cell)."""
    status = (f"Chưa ghi kết quả (lúc {_stamp(run.when)}): sổ có {len(wround.blocking)} lỗi "
              f"phải sửa trước — {wround.blocking_summary()}")
    run.write({}, wround, status)
    run.alert("Không ghi kết quả vào sổ vì sổ có lỗi phải sửa trước:\n"
              + _listing(wround.blocking), critical=True)
    return status


def _compute(run: _Run, nominations: bool) -> tuple[Any, Any, dict | None]:
    """Read, review and prepare the cells to write.

    Returns ``(wround, result, cells)``; ``cells`` is None when blocking problems forbid
    writing (they have been reported then).  Without ``nominations`` the nomination cells are
    cleared instead of filled.
    """
    from .review import review
    from .workbook.read import read_round
    from .workbook.write import result_cells, stamp_cells

    wround = read_round(run.source)
    result = review(wround.round_input)
    run.stats.problems = len(result.errors)
    if wround.blocking:
        _blocked(run, wround)
        return wround, result, None
    cells = result_cells(result, wround)
    if not nominations:
        for sheet, ref in _nomination_refs(cells, wround):
            cells[sheet][ref] = None
    for sheet, refs in stamp_cells(result, wround, when=run.when).items():
        cells.setdefault(sheet, {}).update(refs)
    return wround, result, cells


def _problems_alert(run: _Run, errors: Iterable[DataError], done: str) -> None:
    errors = list(errors)
    if errors:
        run.alert(f"{done}, nhưng dữ liệu có {len(errors)} lỗi; đơn vị có lỗi không được tính "
                  "tổng điểm, xếp hạng và xét khen thưởng. Hãy sửa các ô sau rồi bấm lại:\n"
                  + _listing(errors), critical=True)


def _status_of(cells: Mapping[str, Mapping[str, Any]], wround: Any) -> str | None:
    summary = wround.summary
    if summary is None or L.LABEL_STATUS not in summary.label_cells:
        return None
    return cells.get(summary.sheet, {}).get(summary.label_cells[L.LABEL_STATUS])


def _results(run: _Run, nominations: bool, done: str) -> str:
    wround, result, cells = _compute(run, nominations)
    if cells is None:
        return run.stats.status
    status = _status_of(cells, wround)
    run.write(cells, wround, status)
    run.stats.written = True
    _problems_alert(run, result.errors, done)
    return status or L.status_text(run.when, len(result.units), len(result.errors))


def recompute(book: Any = None) -> str:
    """Tính điểm: compute totals, ranks and grades and write them (with the award quotas and
    the run's stamp: status cell, time, version, input checksum) into the workbook; clear the
    nomination cells (see :func:`nominate`), so no proposal from older scores lingers.

    ``book``: an xlwings ``Book`` (default ``xw.Book.caller()``).  Returns the status text,
    e.g. ``Đã tính lúc 30/11/2026 14:05 — 15 đơn vị, 0 lỗi``.  Never raises for bad data or an
    unusable workbook: those are reported in the status cell and an alert.
    """
    return _macro("recompute", book, lambda run: _results(run, False, "Đã tính điểm"))


def nominate(book: Any = None) -> str:
    """Xét khen thưởng: :func:`recompute` plus the nominations — Đề nghị, Phiếu đồng ý,
    Trạng thái, Lý do per unit, the next Trưởng khối / Phó Trưởng khối and whether
    the conference had its quorum.  Same arguments, return and reporting as :func:`recompute`."""
    return _macro("nominate", book, lambda run: _results(run, True, "Đã xét khen thưởng"))


# --------------------------------------------------------------------------- report

def dossier_folder(fullname: str, home: Path | None = None) -> tuple[Path, bool]:
    """Where :func:`report` writes the Word files for the workbook ``fullname``
    (``Book.fullname``): ``(folder, local)``.

    A workbook saved on disk gets ``<its folder>/<name> - Văn bản`` (``name`` without its
    extension).  A workbook opened from a web address (OneDrive, SharePoint: ``https://…``) or
    never saved has no folder on this machine, so the files go to
    ``<home>/Documents/thidua_xl/<name> - Văn bản`` and ``local`` is True.  ``home`` defaults
    to the user's home folder.
    """
    if _WEB.match(fullname):
        name = unquote(Path(urlparse(fullname).path).name) or "Sổ thi đua"
        local = True
    else:
        path = Path(fullname)
        name, local = path.name, not path.is_absolute()
    stem = Path(name).stem or "Sổ thi đua"
    folder_name = f"{stem} - Văn bản"
    if local:
        return (home or Path.home()) / "Documents" / "thidua_xl" / folder_name, True
    return Path(fullname).parent / folder_name, False


def _report(run: _Run) -> str:
    wround, result, cells = _compute(run, True)
    if cells is None:
        return run.stats.status
    status = _status_of(cells, wround) or L.status_text(run.when, len(result.units),
                                                        len(result.errors))
    folder, local = dossier_folder(str(run.book.fullname))
    from .reports import DossierExistsError, write_dossier

    failure = None
    try:
        try:
            run.stats.files = [str(p) for p in write_dossier(result, folder)]
        except DossierExistsError:
            # Keep the documents staff may have edited: write beside them, stamped.
            folder = folder.with_name(f"{folder.name} ({run.when:%Y-%m-%d %H.%M})")
            run.stats.files = [str(p) for p in write_dossier(result, folder)]
    except ThiduaError as exc:
        failure = str(exc)
    if failure is None:
        status += f" — đã xuất {len(run.stats.files)} tệp Word vào thư mục {folder}"
    else:
        status += f" — không xuất được văn bản Word: {failure}"
    run.write(cells, wround, status)
    run.stats.written = True
    if failure is not None:
        run.alert(f"Đã ghi kết quả vào sổ nhưng không xuất được văn bản Word: {failure}",
                  critical=True)
    else:
        where = ("Sổ đang mở từ một địa chỉ web (OneDrive/SharePoint), nên các tệp được ghi "
                 "vào thư mục trên máy này:\n" if local else "Các tệp nằm trong thư mục:\n")
        note = (f"\n\nLưu ý: dữ liệu có {len(result.errors)} lỗi; đơn vị có lỗi không được "
                "xét khen thưởng:\n" + _listing(result.errors)) if result.errors else ""
        run.alert(f"Đã xuất {len(run.stats.files)} tệp Word.\n{where}{folder}{note}",
                  critical=bool(result.errors))
    return status


def report(book: Any = None) -> str:
    """Xuất báo cáo Word: :func:`nominate`, then the Word dossier
    (:func:`thidua_xl.reports.write_dossier`) into :func:`dossier_folder` of the workbook; the
    alert and the status cell name the folder.  Nothing is exported while the workbook has
    blocking problems.  Same arguments, return and reporting as :func:`recompute`."""
    return _macro("report", book, _report)


# --------------------------------------------------------------------------- check

class _OnlySheets:
    """A view of a source that lists every sheet but reads only ``keep`` (by folded name);
    the others look empty, so checking one sheet costs a few reads, not one per sheet."""

    def __init__(self, source: XlwingsSource, keep: Iterable[str]) -> None:
        self.source = source
        self.keep = {fold(name) for name in keep}

    def names(self) -> list[str]:
        return self.source.names()

    def values(self, name: str) -> list[list[Any]]:
        return self.source.values(name) if fold(name) in self.keep else []

    def formula_cells(self, name: str) -> set[str]:
        return self.source.formula_cells(name) if fold(name) in self.keep else set()


def _check(run: _Run) -> str:
    from .review import review
    from .workbook.read import read_round

    active = run.book.sheets.active.name
    key = fold(active)
    wround = read_round(_OnlySheets(run.source, (L.CONFIG, L.CRITERIA, L.SUMMARY, active)))
    bloc = wround.bloc
    units = {fold(u.code): u.code for u in bloc.units}
    when = _stamp(run.when)
    if key in (fold(L.CONFIG), fold(L.CRITERIA)):
        status = (f"Kiểm tra sheet {active} lúc {when}: cấu hình và bảng tiêu chí hợp lệ "
                  f"({len(bloc.units)} đơn vị, {len(bloc.criteria)} tiêu chí).")
        run.write({}, wround, status)
        run.alert(status)
        return status
    if key not in units and key != fold(L.REVIEW):
        status = (f"Sheet {active} không có dữ liệu để kiểm tra: nút «Kiểm tra sheet này» dùng "
                  "trên sheet chấm điểm của một đơn vị hoặc sheet Bình xét.")
        run.write({}, wround, status)
        run.alert(status)
        return status
    result = review(wround.round_input)
    problems = [e for e in result.errors if fold(e.sheet) == key]
    run.stats.problems = len(problems)
    if not problems:
        status = f"Kiểm tra sheet {active} lúc {when}: không có lỗi."
        run.write({}, wround, status)
        run.alert(status)
        return status
    shown = "; ".join(str(e) for e in problems[:_STATUS_LISTED])
    more = len(problems) - _STATUS_LISTED
    status = (f"Kiểm tra sheet {active} lúc {when}: {len(problems)} lỗi — {shown}"
              + (f" (và {more} lỗi khác)" if more > 0 else ""))
    run.write({}, wround, status)
    run.alert(f"Sheet {active} có {len(problems)} lỗi. Hãy sửa các ô sau:\n"
              + _listing(problems), critical=True)
    return status


def check_sheet(book: Any = None) -> str:
    """Kiểm tra sheet này: check only the active sheet (a unit's scoring sheet or `Bình xét`;
    on `Cấu hình`/`Tiêu chí`, the definition) and report its problems as ``Sheet!Cell:
    message`` in the status cell and an alert.  Reads only that sheet, `Cấu hình`, `Tiêu chí`
    and `Tổng hợp`; writes only the status cell.  Returns the status text."""
    return _macro("check_sheet", book, _check)


# --------------------------------------------------------------------------- collect

#: The folder beside the workbook where the unit files sent back are put for the button.
COLLECT_FOLDER = "thu-ve"


def _collect(run: _Run) -> str:
    from dataclasses import replace

    from . import collect as C
    from .workbook.read import read_round

    when = _stamp(run.when)
    fullname = str(run.book.fullname)
    if _WEB.match(fullname) or not Path(fullname).is_absolute():
        message = ("Sổ đang mở từ một địa chỉ web (OneDrive/SharePoint) hoặc chưa được lưu trên "
                   "máy, nên nút này không gộp được. Hãy lưu sổ vào một thư mục trên máy rồi "
                   "bấm lại, hoặc dùng lệnh thidua collect.")
        run.write({}, None, f"Không gộp (lúc {when}): {message}")
        run.alert(message, critical=True)
        return run.stats.status
    master = Path(fullname)
    folder = master.parent / COLLECT_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ThiduaError(f"Không tạo được thư mục {folder} ({exc.strerror or exc}).",
                          str(folder)) from None
    files = C.expand_inputs(master, [folder])
    if not files:
        message = ("Chưa có tệp nào để gộp. Hãy chép các tệp các đơn vị gửi về (tệp do lệnh "
                   f"thidua split tạo ra) vào thư mục {folder} rồi bấm lại.")
        run.write({}, None, f"Lúc {when}: {message}")
        run.alert(message)
        return run.stats.status

    wround = read_round(run.source)
    if wround.blocking:
        return _blocked(run, wround)
    # The same plan as `thidua collect`, made on the open workbook as read through xlwings.
    report = C.plan_collect(wround, files, master=master)
    if report.refused:
        first = report.refused[0]
        status = (f"Không gộp (lúc {when}): {len(report.refused)}/{len(report.files)} tệp bị "
                  f"từ chối — {first.path.name}: {first.refusal}")
        run.write({}, wround, status)
        run.alert("\n".join(report.summary_lines(max_cells_per_file=20)), critical=True)
        return status
    kept = len(report.conflicts)
    if not report.to_write:
        status = f"Gộp lúc {when}: {len(report.files)} tệp, không có ô nào cần thay đổi."
        run.write({}, wround, status)
        run.alert("\n".join(report.summary_lines(max_cells_per_file=20)), critical=bool(kept))
        return status
    cells, report = C.collect_cells(report, wround, run.source, now=run.when)
    changed = len(report.to_write)
    status = (f"Đã gộp {changed} ô từ {len(report.accepted)} tệp lúc {when}"
              + (f", giữ nguyên {kept} ô xung đột" if kept else "")
              + " — hãy lưu sổ, rồi bấm Tính điểm để tính lại.")
    run.write(cells, wround, status)
    run.stats.written = True
    lines = replace(report, written=True).summary_lines(max_cells_per_file=20)
    lines.append("Các thay đổi đã ghi vào sổ đang mở, chưa lưu: hãy lưu sổ (Ctrl+S), rồi bấm "
                 "«Tính điểm» để tính lại.")
    run.alert("\n".join(lines), critical=bool(kept))
    return status


def collect(book: Any = None) -> str:
    """Gộp file các đơn vị: merge the unit files put in the folder ``thu-ve`` beside the
    workbook (:data:`COLLECT_FOLDER`; created, with a message, when missing) into the open
    workbook — `Tự chấm` and `Minh chứng`, by criterion code, planned by
    :func:`thidua_xl.collect.plan_collect` on the workbook as open in Excel (refusals all or
    nothing, conflicts kept, blanks never erase) — plus one row per file on `Nhật ký gộp`
    (:func:`thidua_xl.collect.collect_cells`).  The workbook is not saved: the user saves
    it.  Needs a workbook saved on this machine (not a web address).  Returns the status
    text; reports like :func:`recompute`."""
    return _macro("collect", book, _collect)
