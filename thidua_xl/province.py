"""`thidua province THƯ_MỤC --out TỆP.xlsx`: the province-wide roll-up for the council.

The provincial commendation board (Ban Thi đua – Khen thưởng) receives one shared workbook
per bloc.  :func:`province_rollup` reads them all (in parallel, without writing into them:
:func:`thidua_xl.actions.check_workbook`), reviews each one with the same engine as
`thidua run`, and writes one new workbook (XlsxWriter) for the Hội đồng Thi đua – Khen
thưởng tỉnh:

* `Tổng hợp` — how many blocs were rolled up, and per award the blocs, the summed quotas and
  the units proposed across the province;
* `Các khối` — every bloc read: size, quota and nominees per award, next Trưởng khối / Phó
  Trưởng khối, and its state;
* one sheet per award (`Cờ thi đua`, `Bằng khen`…) — every nominated unit with its bloc,
  Tổng điểm, Xếp hạng, Xếp loại and Số phiếu đồng ý;
* `Khối chưa hoàn thành` — every file left out of the totals and why: unreadable, data
  errors, no scores, ballot not recorded, another year, the same bloc twice.  Nothing is
  skipped silently.

A bloc counts only when it is *complete*: readable, no data error, scores entered and the
conference's votes recorded (otherwise its list is only a proposal, rules.md §8).

When a folder holds several files of the same bloc and year (an old copy beside the final
one), one file speaks for the bloc: a complete one if any, then the one computed last (the
`Tính lúc` stamp of `Tổng hợp`, else the file's modification time), then the first by name.
The others are listed as duplicates naming the file used and why.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from .batch import _error_text, format_table, map_workbooks, seconds_text, workbook_paths
from .errors import ThiduaError, WorkbookError
from .text import fold, normalize

__all__ = ["province_rollup", "read_bloc", "rollup_bytes", "RollupReport", "BlocEntry",
           "Nominee", "AwardTotal", "SHEET_SUMMARY", "SHEET_BLOCS", "SHEET_PROBLEMS",
           "BLOC_COLUMNS", "AWARD_COLUMNS", "PROBLEM_COLUMNS", "TOTAL_COLUMNS"]

SHEET_SUMMARY = "Tổng hợp"
SHEET_BLOCS = "Các khối"
SHEET_PROBLEMS = "Khối chưa hoàn thành"

TOTAL_COLUMNS = ("Hình thức khen thưởng", "Số khối", "Tổng chỉ tiêu", "Số đơn vị được đề nghị")
AWARD_COLUMNS = ("STT", "Khối thi đua", "Mã đơn vị", "Tên đơn vị", "Tổng điểm", "Xếp hạng",
                 "Xếp loại", "Số phiếu đồng ý", "Tệp")
PROBLEM_COLUMNS = ("STT", "Tệp", "Khối thi đua", "Tình trạng", "Chi tiết")
#: Fixed columns of `Các khối`; per award, "Chỉ tiêu <award>", "Số đề nghị <award>" and
#: "Đơn vị đề nghị <award>" follow the unit count, then these closing columns.
BLOC_COLUMNS = ("STT", "Khối thi đua", "Tệp", "Năm", "Số đơn vị")
BLOC_CLOSING = ("Trưởng khối năm sau", "Phó Trưởng khối năm sau", "Trạng thái")

# Bloc states.
COMPLETE = "complete"
UNREADABLE = "unreadable"
DATA_ERRORS = "data_errors"
NO_SCORES = "no_scores"
NO_BALLOT = "no_ballot"
OTHER_YEAR = "other_year"
DUPLICATE = "duplicate"
STATE_LABELS = {
    COMPLETE: "Đã tổng hợp",
    UNREADABLE: "Không đọc được tệp",
    DATA_ERRORS: "Dữ liệu có lỗi",
    NO_SCORES: "Chưa có điểm",
    NO_BALLOT: "Chưa ghi kết quả bỏ phiếu",
    OTHER_YEAR: "Khác năm tổng hợp",
    DUPLICATE: "Trùng khối",
}
#: Problems quoted per bloc on the problems sheet; the rest are counted.
MAX_DETAILS = 5

_FONT = {"font_name": "Times New Roman", "font_size": 12, "valign": "vcenter"}
_HEADER_FILL = "#D9E1F2"
_SCORE_FORMAT = "0.0#"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# ----------------------------------------------------------------------------- reading one bloc

@dataclass(frozen=True)
class Nominee:
    """A unit a bloc proposes for an award: ``total`` in points, ``votes`` in favour (None
    when not recorded)."""

    code: str
    name: str
    total: Decimal | None
    rank: int | None
    grade: str | None
    votes: int | None


@dataclass(frozen=True)
class BlocEntry:
    """One bloc workbook as read for the roll-up (picklable: it crosses processes).

    ``failure``: why the file could not be read (then the bloc fields are empty).
    ``awards``: award key → (short name, full name), in the bloc's order.  ``quotas``: award
    key → count.  ``nominees``: award key → :class:`Nominee` in rank order.  ``errors``: data
    problems as ``Sheet!Cell: message``.  ``has_scores``: some score was typed.
    ``ballots``: the conference's votes are recorded.  ``ties``: award keys with an
    unresolved tie.  ``computed_at``: the `Tính lúc` stamp of `Tổng hợp` (None when never
    computed or unreadable); ``modified``: the file's modification time (POSIX seconds).
    ``state``/``note``: set by :func:`province_rollup` (``note`` explains states such as a
    duplicate).
    """

    path: Path
    failure: str | None = None
    bloc: str | None = None
    province: str | None = None
    year: int | None = None
    units: int = 0
    awards: dict[str, tuple[str, str]] = field(default_factory=dict)
    quotas: dict[str, int] = field(default_factory=dict)
    nominees: dict[str, tuple[Nominee, ...]] = field(default_factory=dict)
    next_leader: str | None = None
    next_deputy: str | None = None
    errors: tuple[str, ...] = ()
    has_scores: bool = False
    ballots: bool = False
    quorum_ok: bool | None = None
    ties: tuple[str, ...] = ()
    computed_at: dt.datetime | None = None
    modified: float = 0.0
    state: str = ""
    note: str = ""

    @property
    def complete(self) -> bool:
        return self.state == COMPLETE

    def state_text(self) -> str:
        """Trạng thái / Tình trạng, in Vietnamese (with the note, if any)."""
        text = STATE_LABELS.get(self.state, self.state)
        return f"{text}: {self.note}" if self.note else text

    def details(self) -> str:
        """Chi tiết for the problems sheet: the failure or the first problems, one a line."""
        if self.failure is not None:
            return self.failure
        if self.state == DATA_ERRORS:
            lines = list(self.errors[:MAX_DETAILS])
            if len(self.errors) > MAX_DETAILS:
                lines.append(f"… và {len(self.errors) - MAX_DETAILS} lỗi khác")
            return "\n".join(lines)
        return ""


def _unit_label(names: dict[str, str], code: str | None) -> str:
    return f"{code} – {names[code]}" if code and code in names else (code or "")


_STAMP_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y")


def _stamp(value: Any) -> dt.datetime | None:
    """The `Tính lúc` cell as a datetime: the text ``dd/mm/yyyy hh:mm`` that `thidua run`
    writes, or a date/datetime cell; None for anything else."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = normalize(value) if isinstance(value, str) else ""
    for fmt in _STAMP_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _computed_at(path: Path, wround: Any) -> dt.datetime | None:
    """The `Tính lúc` stamp of the workbook at ``path`` (None when absent or unreadable)."""
    from .cellref import column_number
    from .workbook import layout as L
    from .workbook.sources import CalamineSource

    summary = wround.summary
    ref = summary.label_cells.get(L.LABEL_COMPUTED_AT) if summary is not None else None
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref or "")
    if match is None:
        return None
    row, col = int(match.group(2)) - 1, column_number(match.group(1)) - 1
    try:
        grid = CalamineSource(path).values(summary.sheet)
    except Exception:  # noqa: BLE001 — a stamp that cannot be read is no stamp
        return None
    cells = grid[row] if row < len(grid) else []
    return _stamp(cells[col]) if col < len(cells) else None


def read_bloc(path: str | os.PathLike[str]) -> BlocEntry:
    """Read and review one bloc workbook without writing to it; never raises (a file that
    cannot be read becomes an entry with ``failure``).  ``state`` is left for the caller."""
    from .actions import check_workbook

    path = Path(path)
    try:
        report = check_workbook(path)
    except ThiduaError as exc:
        return BlocEntry(path=path, failure=_error_text(exc, path))
    except Exception as exc:  # noqa: BLE001 — one bad file never stops the roll-up
        return BlocEntry(path=path, failure=f"lỗi không mong đợi ({type(exc).__name__}: {exc})")
    result = report.result
    bloc = result.bloc
    names = {u.code: u.name for u in bloc.units}
    by_code = {u.code: u for u in result.units}
    nominees = {}
    for key, codes in result.nominees.items():
        nominees[key] = tuple(Nominee(code=c, name=names[c], total=by_code[c].total,
                                      rank=by_code[c].rank, grade=by_code[c].grade,
                                      votes=by_code[c].votes.get(key)) for c in codes)
    scores = report.wround.round_input.scores
    has_scores = any(normalize(e.self_score) or normalize(e.assessed_score) for e in scores)
    return BlocEntry(
        path=path, bloc=bloc.name, province=bloc.province, year=bloc.year,
        units=len(bloc.units), awards={a.key: (a.short_name, a.name) for a in bloc.awards},
        quotas=dict(result.quotas), nominees=nominees,
        next_leader=_unit_label(names, result.next_leader),
        next_deputy=_unit_label(names, result.next_deputy),
        errors=tuple(str(e) for e in result.errors), has_scores=has_scores,
        ballots=result.ballots, quorum_ok=result.quorum_ok,
        ties=tuple(result.unresolved_ties),
        computed_at=_computed_at(path, report.wround), modified=_mtime(path))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _failed(path: Path, message: str) -> BlocEntry:
    return BlocEntry(path=Path(path), failure=message)


def _with_state(entry: BlocEntry, state: str, note: str = "") -> BlocEntry:
    from dataclasses import replace

    return replace(entry, state=state, note=note)


def _assess(e: BlocEntry, year: int | None) -> tuple[str, str]:
    """(state, note) of a readable entry on its own, against the roll-up ``year``."""
    if e.year != year:
        return OTHER_YEAR, f"sổ năm {e.year}, bản tổng hợp là năm {year}"
    if not e.has_scores:
        return NO_SCORES, "sổ chưa có điểm tự chấm hay điểm Khối chấm"
    if e.errors:
        return DATA_ERRORS, f"{len(e.errors)} lỗi, phải sửa rồi gửi lại"
    if not e.ballots:
        return NO_BALLOT, ("chưa nhập số thành viên có mặt và số phiếu ở sheet Bình xét; danh "
                           "sách mới là dự kiến")
    notes = []
    if e.quorum_ok is False:
        notes.append("hội nghị không đủ số thành viên, không có đề nghị")
    if e.ties:
        names = ", ".join(e.awards.get(k, (k, k))[0] for k in e.ties)
        notes.append(f"còn bằng điểm chưa phân định ({names})")
    return COMPLETE, "; ".join(notes)


def _when(e: BlocEntry) -> str:
    if e.computed_at is not None:
        return f"tính lúc {e.computed_at:%H:%M ngày %d/%m/%Y}"
    return f"lưu lúc {dt.datetime.fromtimestamp(e.modified):%H:%M ngày %d/%m/%Y}"


def _duplicate_note(e: BlocEntry, assessed: tuple[str, str], chosen: BlocEntry,
                    chosen_state: str) -> str:
    """Why ``e`` (whose own (state, note) is ``assessed``) gave way to ``chosen``, a file of
    the same bloc and year."""
    head = f"cùng khối, cùng năm với tệp {chosen.path.name}"
    state, note = assessed
    if chosen_state != COMPLETE:
        return (f"{head}; chưa tệp nào của khối đầy đủ, tệp đó ({_when(chosen)}) được dùng để "
                "báo tình trạng của khối")
    if state != COMPLETE:
        label = STATE_LABELS[state]
        return (f"{head}; đã tổng hợp tệp đó (đầy đủ); tệp này: {label[0].lower()}{label[1:]}"
                + (f" ({note})" if note else ""))
    if (chosen.computed_at, chosen.modified) == (e.computed_at, e.modified):
        return f"{head}; cả hai đều đầy đủ, đã tổng hợp tệp đó (xếp trước theo tên)"
    return f"{head}; cả hai đều đầy đủ, đã tổng hợp tệp đó vì mới hơn ({_when(chosen)})"


def _preference(e: BlocEntry, state: str, position: int) -> tuple:
    """Sort key among files of one bloc and year, best last: complete, then computed last
    (a `Tính lúc` stamp beats none), then modified last, then first in the input."""
    stamped = e.computed_at is not None
    return (state == COMPLETE, stamped, e.computed_at if stamped else dt.datetime.min,
            e.modified, -position)


def _classify(entries: list[BlocEntry]) -> tuple[list[BlocEntry], int | None]:
    """Give each entry its state; return them and the roll-up's year (the most common one).

    Among files of the same bloc and year the one kept is complete if any, then computed
    last (`Tính lúc`, then modification time), then first in ``entries``; the others become
    :data:`DUPLICATE` with a note naming the file kept."""
    years = Counter(e.year for e in entries if e.failure is None)
    year = max(years, key=lambda y: (years[y], y)) if years else None
    assessed = {i: _assess(e, year) for i, e in enumerate(entries) if e.failure is None}
    groups: dict[tuple[str, int | None], list[int]] = {}
    for i in assessed:
        groups.setdefault((fold(entries[i].bloc), entries[i].year), []).append(i)
    kept: dict[int, int] = {}       # entry index → index of the entry kept for its bloc
    for members in groups.values():
        best = max(members, key=lambda i: _preference(entries[i], assessed[i][0], i))
        for i in members:
            kept[i] = best
    out = []
    for i, e in enumerate(entries):
        if e.failure is not None:
            out.append(_with_state(e, UNREADABLE))
            continue
        state, note = assessed[i]
        best = kept[i]
        if best != i:
            chosen = entries[best]
            out.append(_with_state(e, DUPLICATE,
                                   _duplicate_note(e, assessed[i], chosen, assessed[best][0])))
            continue
        others = sum(1 for j, k in kept.items() if k == i and j != i)
        if others and state != COMPLETE:
            note = f"{note}; khối có {others + 1} tệp, không tệp nào đầy đủ"
        out.append(_with_state(e, state, note))
    return out, year


# ----------------------------------------------------------------------------- the report

@dataclass(frozen=True)
class AwardTotal:
    """One award across the complete blocs: blocs offering it, summed quotas, nominees."""

    key: str
    short_name: str
    name: str
    blocs: int
    quota: int
    nominees: int


@dataclass(frozen=True)
class RollupReport:
    """Outcome of :func:`province_rollup`.

    ``blocs``: every file, in input order, with its state; ``included``/``excluded``: those
    counted / listed on `Khối chưa hoàn thành`; ``awards``: totals per award; ``year``:
    the roll-up's year; ``out``: the workbook written; ``seconds``: wall time.
    """

    out: Path
    year: int | None
    blocs: tuple[BlocEntry, ...]
    awards: tuple[AwardTotal, ...]
    seconds: float = 0.0

    @property
    def included(self) -> tuple[BlocEntry, ...]:
        return tuple(b for b in self.blocs if b.complete)

    @property
    def excluded(self) -> tuple[BlocEntry, ...]:
        return tuple(b for b in self.blocs if not b.complete)

    @property
    def exit_code(self) -> int:
        """0 when every bloc was rolled up, 1 when some are listed as not complete."""
        return 1 if self.excluded else 0

    def table_lines(self) -> list[str]:
        """Per award: Hình thức khen thưởng, Số khối, Tổng chỉ tiêu, Số đơn vị được đề nghị."""
        return format_table(TOTAL_COLUMNS, ([a.short_name, str(a.blocs), str(a.quota),
                                             str(a.nominees)] for a in self.awards))

    def summary_lines(self) -> list[str]:
        """Vietnamese lines for the terminal: what was rolled up, what was left out and why,
        and where the workbook is."""
        lines = [f"Đã tổng hợp {len(self.included)}/{len(self.blocs)} khối"
                 + (f" năm {self.year}" if self.year else "")
                 + f" trong {seconds_text(self.seconds)}."]
        lines += self.table_lines()
        if self.excluded:
            lines.append(f"{len(self.excluded)} tệp chưa được tổng hợp (xem sheet "
                         f"«{SHEET_PROBLEMS}»):")
            lines += [f"- {b.path.name}: {b.state_text()}"
                      + (f" — {b.failure}" if b.failure else "") for b in self.excluded]
        lines.append(f"Đã ghi {self.out}.")
        return lines


def _award_totals(entries: list[BlocEntry]) -> tuple[AwardTotal, ...]:
    """Per award key (emulation flag, certificate of merit, then others as first met)."""
    from .model import AWARD_ORDER

    keys: list[str] = []
    labels: dict[str, tuple[str, str]] = {}
    for e in entries:
        for key, label in e.awards.items():
            if key not in labels:
                keys.append(key)
                labels[key] = label
    first_seen = {k: i for i, k in enumerate(keys)}
    keys.sort(key=lambda k: (AWARD_ORDER.index(k) if k in AWARD_ORDER else len(AWARD_ORDER),
                             first_seen[k]))
    out = []
    for key in keys:
        offering = [e for e in entries if e.complete and key in e.awards]
        out.append(AwardTotal(key=key, short_name=labels[key][0], name=labels[key][1],
                              blocs=len(offering),
                              quota=sum(e.quotas.get(key, 0) for e in offering),
                              nominees=sum(len(e.nominees.get(key, ())) for e in offering)))
    return tuple(out)


# ----------------------------------------------------------------------------- the workbook

def _sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unused sheet name from ``text`` (≤ 31 characters, no []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub(" ", normalize(text)).strip("' ")[:31] or "Sheet"
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def _points(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class _Writer:
    """The roll-up workbook, sheet by sheet (XlsxWriter, in memory)."""

    def __init__(self, report: RollupReport, now: dt.datetime) -> None:
        import xlsxwriter

        self.report, self.now = report, now
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, {"in_memory": True,
                                                    "default_format_properties": _FONT})
        box = {"border": 1, "border_color": "#808080"}
        f = lambda **kw: self.wb.add_format({**_FONT, **kw})  # noqa: E731
        self.title = f(bold=True, font_size=14)
        self.subtitle = f(italic=True)
        self.label = f(bold=True)
        self.header = f(bold=True, bg_color=_HEADER_FILL, text_wrap=True, align="center", **box)
        self.cell = f(text_wrap=True, valign="top", **box)
        self.number = f(align="right", valign="top", **box)
        self.score = f(num_format=_SCORE_FORMAT, valign="top", **box)
        self.taken: set[str] = set()

    def sheet(self, name: str, widths: Iterable[float]) -> Any:
        ws = self.wb.add_worksheet(_sheet_name(name, self.taken))
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C&\"Times New Roman\"&10Trang &P/&N")
        return ws

    def table(self, ws: Any, row: int, header: Iterable[str], rows: list[list[Any]]) -> int:
        """Header at ``row`` (0-based) and the rows under it; returns the row after."""
        header = list(header)
        for col, title in enumerate(header):
            ws.write_string(row, col, title, self.header)
        for r, values in enumerate(rows, start=row + 1):
            for col, value in enumerate(values):
                if value is None or value == "":
                    ws.write_blank(r, col, None, self.cell)
                elif isinstance(value, Decimal):
                    ws.write_number(r, col, _points(value), self.score)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(r, col, value, self.number)
                else:
                    ws.write_string(r, col, str(value), self.cell)
        ws.repeat_rows(row)
        ws.freeze_panes(row + 1, 0)
        if rows:
            ws.autofilter(row, 0, row + len(rows), len(header) - 1)
        return row + 1 + len(rows)

    def heading(self, ws: Any, title: str) -> None:
        r = self.report
        provinces = sorted({b.province for b in r.included if b.province})
        where = f"Tỉnh {', '.join(provinces)}. " if provinces else ""
        from . import __version__

        ws.write_string(0, 0, title, self.title)
        ws.write_string(1, 0, f"{where}Lập lúc {self.now:%H:%M ngày %d/%m/%Y} bằng thidua_xl "
                              f"{__version__} từ {len(r.blocs)} tệp sổ của các khối.",
                        self.subtitle)

    def summary(self) -> None:
        r = self.report
        ws = self.sheet(SHEET_SUMMARY, (34, 14, 16, 24))
        year = f" NĂM {r.year}" if r.year else ""
        self.heading(ws, f"TỔNG HỢP ĐỀ NGHỊ KHEN THƯỞNG CỦA CÁC KHỐI THI ĐUA{year}")
        facts = [("Số tệp sổ đã đọc", len(r.blocs)),
                 ("Số khối đã tổng hợp", len(r.included)),
                 ("Số tệp chưa tổng hợp", len(r.excluded)),
                 ("Tổng số đơn vị của các khối đã tổng hợp", sum(b.units for b in r.included))]
        for i, (label, value) in enumerate(facts, start=3):
            ws.write_string(i, 0, label, self.label)
            ws.write_number(i, 1, value)
        rows = [[a.short_name, a.blocs, a.quota, a.nominees] for a in r.awards]
        end = self.table(ws, 8, TOTAL_COLUMNS, rows)
        if r.excluded:
            ws.write_string(end + 1, 0, f"{len(r.excluded)} tệp chưa được tổng hợp: xem sheet "
                                        f"«{SHEET_PROBLEMS}».", self.subtitle)
        ws.print_area(0, 0, end + 1, len(TOTAL_COLUMNS) - 1)
        ws.activate()

    def blocs(self) -> None:
        r = self.report
        header = list(BLOC_COLUMNS)
        widths = [6, 40, 24, 7, 9]
        for a in r.awards:
            header += [f"Chỉ tiêu {a.short_name}", f"Số đề nghị {a.short_name}",
                       f"Đơn vị đề nghị {a.short_name}"]
            widths += [11, 11, 40]
        header += BLOC_CLOSING
        widths += [30, 30, 36]
        rows = []
        readable = [b for b in r.blocs if b.failure is None]
        for i, b in enumerate(readable, start=1):
            row: list[Any] = [i, b.bloc, b.path.name, b.year, b.units]
            for a in r.awards:
                if a.key not in b.awards:
                    row += ["", "", ""]
                    continue
                listed = b.nominees.get(a.key, ()) if b.complete else ()
                row += [b.quotas.get(a.key, 0), len(listed) if b.complete else "",
                        "\n".join(f"{n.code} – {n.name}" for n in listed)]
            row += [b.next_leader if b.complete else "", b.next_deputy if b.complete else "",
                    b.state_text()]
            rows.append(row)
        ws = self.sheet(SHEET_BLOCS, widths)
        self.heading(ws, "CÁC KHỐI THI ĐUA: QUY MÔ, CHỈ TIÊU VÀ ĐỀ NGHỊ KHEN THƯỞNG")
        self.table(ws, 3, header, rows)

    def award(self, total: AwardTotal) -> None:
        rows = []
        for b in self.report.included:
            for n in b.nominees.get(total.key, ()):
                rows.append([len(rows) + 1, b.bloc, n.code, n.name, n.total, n.rank, n.grade,
                             n.votes, b.path.name])
        ws = self.sheet(total.short_name, (6, 40, 12, 40, 11, 9, 10, 11, 24))
        self.heading(ws, f"DANH SÁCH ĐỀ NGHỊ {total.name.upper()}")
        self.table(ws, 3, AWARD_COLUMNS, rows)

    def problems(self) -> None:
        rows = [[i, b.path.name, b.bloc or "", b.state_text(), b.details()]
                for i, b in enumerate(self.report.excluded, start=1)]
        ws = self.sheet(SHEET_PROBLEMS, (6, 28, 36, 44, 80))
        self.heading(ws, "CÁC TỆP CHƯA ĐƯỢC TỔNG HỢP")
        end = self.table(ws, 3, PROBLEM_COLUMNS, rows)
        if not rows:
            ws.write_string(end, 0, "Không có: mọi khối đều đã được tổng hợp.", self.subtitle)

    def bytes(self) -> bytes:
        self.summary()
        self.blocs()
        for total in self.report.awards:
            self.award(total)
        self.problems()
        self.wb.close()
        return self.buffer.getvalue()


def rollup_bytes(report: RollupReport, now: dt.datetime | None = None) -> bytes:
    """The roll-up workbook of ``report`` as .xlsx bytes."""
    return _Writer(report, now or dt.datetime.now().replace(microsecond=0)).bytes()


# ----------------------------------------------------------------------------- entry point

def province_rollup(paths_or_dir: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                    out: str | os.PathLike[str], *, jobs: int | None = None,
                    overwrite: bool = False,
                    progress: Callable[[BlocEntry], Any] | None = None,
                    now: dt.datetime | None = None) -> RollupReport:
    """Roll the bloc workbooks of ``paths_or_dir`` (a folder, a file or a list; see
    :func:`thidua_xl.batch.workbook_paths`) up into the new workbook ``out`` (.xlsx).

    Each workbook is read and reviewed in one of ``jobs`` worker processes (default: CPU
    count) and never written to; ``out`` itself is skipped if it lies in the folder.
    ``progress(entry)`` is called as each file is read.  ``now`` stamps the sheets.

    Returns a :class:`RollupReport`.  Raises :class:`WorkbookError` (Vietnamese) when ``out``
    is not ``.xlsx``, exists and not ``overwrite``, is open in Excel, or its folder is missing,
    and when a given path does not exist.
    """
    from .safefile import atomic_write, check_new_file

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise WorkbookError(f"Tệp tổng hợp {out.name} phải có đuôi .xlsx.", str(out))
    check_new_file(out, overwrite)
    started = time.perf_counter()
    target = out.resolve()
    files = [p for p in workbook_paths(paths_or_dir) if p.resolve() != target]
    entries = map_workbooks(read_bloc, files, failed=_failed, jobs=jobs, progress=progress)
    classified, year = _classify(entries)
    report = RollupReport(out=out, year=year, blocs=tuple(classified),
                          awards=_award_totals(classified))
    atomic_write(out, rollup_bytes(report, now), backups=0)
    return RollupReport(out=out, year=year, blocs=report.blocs, awards=report.awards,
                        seconds=time.perf_counter() - started)
