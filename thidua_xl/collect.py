"""`thidua split` / `thidua collect`: each member unit fills its own file.

:func:`split_workbook` cuts the shared workbook into one small workbook per unit — the guide,
that unit's sheet and the criteria table, protected like the master — named
``<code> - <unit name> - <year>.xlsx``.  The unit's sheet is written by the master's own
builder (:mod:`thidua_xl.workbook.build`), so it has exactly the master's layout and
:mod:`thidua_xl.workbook.read`'s header search reads it.

:func:`collect` merges the returned files into the master: `Tự chấm` and `Minh chứng` (and
`Khối chấm` when ``assessed``), matched by criterion code, through the same safe path as
`thidua run` (only the changed cells, :func:`thidua_xl.xlsxpatch.patch_cells`; backup and
atomic replace, :func:`thidua_xl.safefile.atomic_write`; refused while the master is open).
One row per file goes to the master's `Nhật ký gộp` sheet.

**Identity.**  Each unit file carries a hidden identity — bloc, province, year, unit code and
a checksum of the criteria table — as *custom document properties* (``docProps/custom.xml``,
names ``thidua_xl.*``).  A file is recognised by them, never by its name (mail and chat apps
rename attachments).  Custom properties were chosen over a ``veryHidden`` sheet because they
are part of the package itself: Excel, LibreOffice and openpyxl keep them on save (tested),
no sheet edit, rename, copy or paste touches them, and they never show up as a sheet that
the workbook reader would have to skip; LibreOffice turns a ``veryHidden`` sheet into a
plain hidden one that users can unhide and delete.  A file that lost them (re-created by
another program, e.g. exported from Google Sheets) is refused with a message saying so.

**Rules of collect** (all or nothing for refusals):

* a file is *refused* when it is unreadable (:func:`~thidua_xl.safefile.inspect_workbook_file`),
  has no identity, belongs to another bloc or year or to an unknown unit, its criteria table
  differs from the master's (each differing line is shown: code, master vs file), its unit
  sheet is missing or ambiguous, or another file claims the same unit (both are named).
  If any file is refused, nothing is written and the master stays byte-for-byte unchanged;
* a blank cell in a file never changes the master (it means "nothing entered");
* a *conflict* is a master cell that is not blank and differs from the file's value; it is
  kept unless ``overwrite`` (non-conflicting changes are written either way);
* values equal as numbers (``9,5`` typed as text and 9.5) are not changes; numbers are
  written as numbers, so the master's formulas count them;
* when no cell would change, the master is not rewritten (no backup, no log row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from . import __version__
from .cellref import column_letter
from .errors import WorkbookError
from .model import Bloc, ScoreEntry
from .numbers import NotANumber, format_number, parse_score
from .safefile import (atomic_write, backup_files, check_not_open, inspect_workbook_file,
                       owner_file, read_bytes)
from .text import fold, normalize
from .workbook import layout as L
from .workbook.read import (Grid, WorkbookRound, cell_text, find_unit_header, match_key,
                            missing_unit_columns, sheet_named, unit_identity)
from .workbook.sources import SheetSource, open_source

__all__ = ["UnitIdentity", "CellChange", "FileOutcome", "CollectReport", "IDENTITY_PROPERTIES",
           "criteria_checksum", "unit_file_name", "unit_file_bytes", "split_workbook",
           "read_identity", "expand_inputs", "plan_collect", "collect_cells", "collect",
           "collect_folder"]

# ----------------------------------------------------------------------------- identity

_PROP = "thidua_xl."
#: Custom document property names of a unit file's identity (all stored as text).
IDENTITY_PROPERTIES = {
    "kind": _PROP + "kind", "format": _PROP + "format", "bloc": _PROP + "bloc",
    "province": _PROP + "province", "year": _PROP + "year", "unit": _PROP + "unit",
    "unit_name": _PROP + "unit_name", "criteria": _PROP + "criteria_checksum",
    "version": _PROP + "version",
}
_KIND = "unit-file"
_FORMAT = "1"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/" \
              "custom-properties"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"


@dataclass(frozen=True)
class UnitIdentity:
    """Who a unit file belongs to: bloc name, province, year, unit code and name, and the
    :func:`criteria_checksum` of the criteria table it was cut with."""

    bloc: str
    province: str
    year: int
    unit: str
    unit_name: str
    criteria: str
    version: str = __version__

    @classmethod
    def of(cls, bloc: Bloc, code: str) -> "UnitIdentity":
        return cls(bloc=bloc.name, province=bloc.province, year=bloc.year, unit=code,
                   unit_name=bloc.unit(code).name, criteria=criteria_checksum(bloc))

    def properties(self) -> dict[str, str]:
        """The custom document properties (name → text) that store this identity."""
        p = IDENTITY_PROPERTIES
        return {p["kind"]: _KIND, p["format"]: _FORMAT, p["bloc"]: self.bloc,
                p["province"]: self.province, p["year"]: str(self.year), p["unit"]: self.unit,
                p["unit_name"]: self.unit_name, p["criteria"]: self.criteria,
                p["version"]: self.version}


def criteria_checksum(bloc: Bloc) -> str:
    """SHA-256 (hex) of the criteria table: sections (code, title, kind, max points) and
    criteria (code, section, text, max points, critical), in order.  Numbers are canonical
    decimal text, so 20 and 20.0 agree."""
    def num(v: Decimal) -> str:
        return f"{Decimal(v).normalize():f}"

    payload = {
        "sections": [[s.code, normalize(s.title), s.kind, num(s.max_points)]
                     for s in bloc.sections],
        "criteria": [[c.code, c.section, normalize(c.text), num(c.max_points), bool(c.critical)]
                     for c in bloc.criteria],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _custom_properties(data: bytes) -> dict[str, str]:
    """Custom document properties of a package (name → text of its value), ``{}`` if none.

    The part is found through the package relationships (``_rels/.rels``), as Office does.
    Raises zipfile/lxml errors or WorkbookError for a damaged package (callers inspect files
    first)."""
    from lxml import etree

    from .xlsxpatch import relationships, rels_path, safe_parser

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        rels = rels_path("")
        if rels not in names:
            return {}
        part = next((rel.target for rel in relationships({rels: zf.read(rels)}, "")
                     if rel.type == _CUSTOM_REL and not rel.external), None)
        if part is None or part not in names:
            return {}
        root = etree.fromstring(zf.read(part), safe_parser())
    out: dict[str, str] = {}
    for prop in root.iter(f"{{{_CUSTOM_NS}}}property"):
        name = prop.get("name")
        value = next(iter(prop), None)
        if name and value is not None:
            out[name] = normalize(value.text)
    return out


def read_identity(source: str | os.PathLike[str] | bytes) -> UnitIdentity | None:
    """The hidden identity of a unit file (path or bytes), or None when it has none.

    Raises :class:`WorkbookError` when the identity is there but damaged (year not a number,
    a key missing) or the package cannot be read."""
    from lxml import etree

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    name = "tệp" if isinstance(source, bytes) else f"tệp {Path(source).name}"
    try:
        props = _custom_properties(data)
    except (zipfile.BadZipFile, etree.XMLSyntaxError, WorkbookError, KeyError, ValueError,
            OSError) as exc:
        raise WorkbookError(f"Không đọc được thông tin nhận dạng của {name} ({exc}).") from exc
    p = IDENTITY_PROPERTIES
    if props.get(p["kind"]) != _KIND:
        return None
    missing = [k for k in ("bloc", "year", "unit", "criteria") if not props.get(p[k])]
    year = props.get(p["year"], "")
    if missing or not year.isdigit():
        raise WorkbookError(f"Thông tin nhận dạng ẩn của {name} bị hỏng (thiếu hoặc sai: "
                            + ", ".join(missing or ["year"]) + ").")
    return UnitIdentity(bloc=props[p["bloc"]], province=props.get(p["province"], ""),
                        year=int(year), unit=props[p["unit"]],
                        unit_name=props.get(p["unit_name"], ""), criteria=props[p["criteria"]],
                        version=props.get(p["version"], ""))


# ----------------------------------------------------------------------------- split

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_MAX_STEM = 150     # keeps the whole path well under Windows' 260 characters


def unit_file_name(bloc: Bloc, code: str) -> str:
    """``<code> - <unit name> - <year>.xlsx``, safe as a Windows file name: the characters
    ``\\/:*?"<>|`` and control characters are removed, spaces collapsed, trailing dots and
    spaces dropped, the name shortened to 150 characters before the year if needed."""
    def clean(text: str) -> str:
        return " ".join(_UNSAFE.sub(" ", normalize(text)).split()).strip(" .")

    tail = f" - {bloc.year}"
    head = clean(f"{code} - {bloc.unit(code).name}")[:_MAX_STEM - len(tail)].rstrip(" .-")
    return f"{head or clean(code) or 'don-vi'}{tail}.xlsx"


def _guide_lines(bloc: Bloc, code: str) -> list[tuple[str, str]]:
    """The unit file's `Hướng dẫn` lines: the master's guide speaks of sheets a unit file does
    not have, so it gets its own text (in the master guide's styles)."""
    unit = bloc.unit(code)
    step = format_number(bloc.scoring.step)
    return [
        ("title", f"HƯỚNG DẪN TỰ CHẤM ĐIỂM THI ĐUA NĂM {bloc.year}"),
        ("text", f"Tệp này dành riêng cho {unit.name} (mã {code}), thành viên {bloc.name} — "
                 f"{bloc.province}."),
        ("head", "Cách nhập"),
        ("text", f"Bước 1. Mở sheet “{code}”, kiểm tra tên đơn vị và năm ở đầu sheet."),
        ("text", "Bước 2. Ở cột “Tự chấm”, nhập điểm tự chấm cho từng tiêu chí, từ 0 đến “Điểm "
                 f"tối đa” của dòng đó, theo bước {step} điểm. Dòng điểm thưởng, điểm trừ có "
                 "thể để trống (tính là 0); điểm trừ nhập là số dương."),
        ("text", "Bước 3. Ở cột “Minh chứng”, ghi tên văn bản, số liệu chứng minh cho điểm đã "
                 "chấm."),
        ("text", "Bước 4. Xem “Tổng điểm tự chấm” ở cuối sheet. Lưu tệp (giữ dạng .xlsx) và gửi "
                 "lại cho đơn vị Trưởng khối."),
        ("text", "Nhập số thập phân bằng dấu thập phân của máy: Excel tiếng Việt dùng dấu phẩy "
                 "(9,5), Excel tiếng Anh dùng dấu chấm (9.5)."),
        ("head", "Lưu ý"),
        ("text", "Tệp mang thông tin nhận dạng ẩn (khối, năm, đơn vị, bảng tiêu chí), nên đổi "
                 "tên tệp không sao. Nhưng phải nhập điểm vào chính tệp này: không chép sheet "
                 "sang tệp khác, không đổi tên sheet, tiêu đề cột, không chèn hay xóa dòng."),
        ("text", "Ô để trống không xóa điểm đã có trong sổ của Khối. Muốn sửa một điểm đã gửi, "
                 "hãy nhập điểm mới và báo đơn vị Trưởng khối."),
        ("text", f"Sheet “{L.CRITERIA}” là bảng tiêu chí của Khối, chỉ để xem."),
    ]


def unit_file_bytes(bloc: Bloc, code: str, entries: Mapping[str, ScoreEntry] | None = None
                    ) -> bytes:
    """One unit's file as .xlsx bytes: sheets `Hướng dẫn`, ``code`` (the master's unit sheet,
    prefilled with ``entries``: criterion code → :class:`ScoreEntry`) and `Tiêu chí`, all
    protected like the master, and the hidden identity (:class:`UnitIdentity`).

    Raises KeyError for a code that is not a member unit."""
    from .workbook.build import unit_workbook_bytes

    unit = bloc.unit(code)
    return unit_workbook_bytes(
        bloc, code, dict(entries or {}), _guide_lines(bloc, code),
        properties={"title": f"Tự chấm điểm thi đua năm {bloc.year} — {unit.name}",
                    "subject": bloc.name, "company": bloc.name,
                    "comments": f"Tạo bởi thidua_xl {__version__} (thidua split)"},
        custom_properties=UnitIdentity.of(bloc, code).properties())


def _read_master(master: Path) -> tuple[bytes, WorkbookRound]:
    """The master's bytes and its reading; raises WorkbookError if unreadable or damaged."""
    from .actions import read_workbook

    data, wround = read_workbook(master)
    if wround.blocking:
        raise WorkbookError(f"Sổ {master.name} có lỗi cần sửa trước: "
                            f"{wround.blocking_summary()}", str(master))
    return data, wround


def split_workbook(master: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                   overwrite: bool = False, units: Sequence[str] | None = None) -> list[Path]:
    """Write one file per unit of the master workbook into ``out_dir`` (created if missing);
    return their paths in member order.

    Each file (:func:`unit_file_bytes`, named by :func:`unit_file_name`) holds the unit's
    sheet prefilled with the values the master holds now.  ``units``: only these codes
    (default: every unit).  Nothing is written unless every target can be: a target that
    exists (without ``overwrite``) or is open in Excel/LibreOffice refuses the whole split.

    Raises :class:`WorkbookError` (Vietnamese) when the master is unreadable or has blocking
    problems, a code in ``units`` is not a member, or a target is refused.
    """
    master, out_dir = Path(master), Path(out_dir)
    _, wround = _read_master(master)
    bloc = wround.bloc
    codes = [u.code for u in bloc.units]
    if units is not None:
        by_key = {match_key(c): c for c in codes}
        unknown = [u for u in units if match_key(u) not in by_key]
        if unknown:
            raise WorkbookError("Không có đơn vị mã " + ", ".join(unknown) + " trong khối "
                                f"{bloc.name}.", str(master))
        wanted = {by_key[match_key(u)] for u in units}
        codes = [c for c in codes if c in wanted]
    if out_dir.exists() and not out_dir.is_dir():
        raise WorkbookError(f"{out_dir} không phải là thư mục.", str(out_dir))
    targets = [out_dir / unit_file_name(bloc, c) for c in codes]
    if master.resolve() in {t.resolve() for t in targets}:
        raise WorkbookError(f"Tệp đơn vị sẽ trùng tên với sổ {master.name}; hãy chọn thư mục "
                            "khác.", str(out_dir))
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        raise WorkbookError(f"Thư mục {out_dir} đã có {len(existing)} tệp trùng tên (ví dụ "
                            f"{existing[0].name}); thidua không ghi đè. Hãy chọn thư mục khác "
                            "hoặc dùng tùy chọn ghi đè.", str(existing[0]))
    for t in targets:
        check_not_open(t)
    entries: dict[str, dict[str, ScoreEntry]] = {}
    for e in wround.round_input.scores:
        entries.setdefault(e.unit, {})[e.criterion] = e
    out_dir.mkdir(parents=True, exist_ok=True)
    for code, target in zip(codes, targets):
        atomic_write(target, unit_file_bytes(bloc, code, entries.get(code)), backups=0)
    return targets


# ----------------------------------------------------------------------------- report

@dataclass(frozen=True)
class CellChange:
    """One master cell a returned file changes.

    ``column``: the header title (`Tự chấm`, `Khối chấm` or `Minh chứng`); ``old``: the
    master's raw value (None when blank); ``new``: what is written (Decimal points or text);
    ``conflict``: the master cell was not blank."""

    unit: str
    criterion: str
    column: str
    sheet: str
    cell: str
    old: Any
    new: Any
    conflict: bool = False

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.cell}"

    def describe(self) -> str:
        """``HNB!D9 (I.1, Tự chấm): 9 → 8`` (Vietnamese number format)."""
        return f"{self.ref} ({self.criterion}, {self.column}): {_show(self.old)} → " \
               f"{_show(self.new)}"


@dataclass(frozen=True)
class FileOutcome:
    """What collect made of one returned file.

    ``refusal``: why the file is refused (None when accepted), with ``details`` (e.g. the
    changed criteria lines).  ``changes``: the planned cell changes, conflicts included.
    ``notes``: problems that do not refuse the file (unknown criterion rows, missing rows,
    values that are not numbers, ignored `Khối chấm` values)."""

    path: Path
    unit: str | None = None
    unit_name: str = ""
    refusal: str | None = None
    details: tuple[str, ...] = ()
    changes: tuple[CellChange, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    @property
    def conflicts(self) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if c.conflict)

    def to_write(self, overwrite: bool) -> tuple[CellChange, ...]:
        """The changes written: all of them with ``overwrite``, else the non-conflicts."""
        return tuple(c for c in self.changes if overwrite or not c.conflict)


@dataclass(frozen=True)
class CollectReport:
    """The outcome of :func:`collect` (or :func:`plan_collect`).

    ``master``: the master's path (``Path("")`` when planned without one).  ``files``: one
    :class:`FileOutcome` per input file, in input order.  ``written``: the master was
    rewritten (then ``backup`` is the copy made, if any, and ``log_rows`` the rows
    appended to `Nhật ký gộp`).  ``warnings``: things the user should know that stop nothing
    (a unit file open in Excel, a master without a log sheet)."""

    master: Path
    files: tuple[FileOutcome, ...]
    assessed: bool = False
    dry_run: bool = False
    overwrite: bool = False
    written: bool = False
    backup: Path | None = None
    log_rows: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def accepted(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.accepted)

    @property
    def refused(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if not f.accepted)

    @property
    def ok(self) -> bool:
        """No file was refused."""
        return not self.refused

    @property
    def changes(self) -> tuple[CellChange, ...]:
        """Every planned change of the accepted files, conflicts included."""
        return tuple(c for f in self.accepted for c in f.changes)

    @property
    def conflicts(self) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if c.conflict)

    @property
    def to_write(self) -> tuple[CellChange, ...]:
        """The changes that are (or would be) written, given ``overwrite``."""
        return tuple(c for f in self.accepted for c in f.to_write(self.overwrite))

    def summary_lines(self, max_cells_per_file: int | None = 40) -> list[str]:
        """The report in Vietnamese, one line per item, for the CLI and the macro's message.

        Per refused file: the reason and its details; per accepted file: the unit, the cells
        that change (at most ``max_cells_per_file`` listed, None for all), every conflict and
        the notes; then what was done."""
        cols = [L.COL_SELF, L.COL_EVIDENCE] + ([L.COL_ASSESSED] if self.assessed else [])
        lines = [f"Gộp {len(self.files)} tệp vào sổ {self.master.name} (cột "
                 + ", ".join(cols) + ")."]
        for w in self.warnings:
            lines.append(f"Lưu ý: {w}")
        if self.refused:
            lines.append(f"Từ chối {len(self.refused)} tệp:")
            for f in self.refused:
                lines.append(f"  ✗ {f.path.name}: {f.refusal}")
                lines += [f"      {d}" for d in f.details]
        for f in self.accepted:
            plain = [c for c in f.changes if not c.conflict]
            head = f"  {f.unit} — {f.unit_name} (tệp {f.path.name}): "
            head += f"{len(plain)} ô thay đổi" if plain else "không có ô nào thay đổi"
            if f.conflicts:
                head += f", {len(f.conflicts)} ô xung đột"
            lines.append(head)
            shown = plain if max_cells_per_file is None else plain[:max_cells_per_file]
            lines += [f"      {c.describe()}" for c in shown]
            if len(shown) < len(plain):
                lines.append(f"      … và {len(plain) - len(shown)} ô khác")
            what = "ghi đè bằng giá trị trong tệp" if self.overwrite else "giữ giá trị trong sổ"
            for c in f.conflicts:
                lines.append(f"      ! {c.ref} ({c.criterion}, {c.column}): trong sổ "
                             f"{_show(c.old)}, trong tệp {_show(c.new)} — {what}")
            lines += [f"      - {n}" for n in f.notes]
        lines.append(self._outcome_line())
        return lines

    def _outcome_line(self) -> str:
        n = len(self.to_write)
        kept = len(self.conflicts) if not self.overwrite else 0
        keep = (f" {kept} ô xung đột được giữ nguyên giá trị trong sổ (dùng tùy chọn ghi đè "
                "--overwrite để lấy giá trị trong tệp).") if kept else ""
        if self.refused:
            return ("Không ghi gì vào sổ vì có tệp bị từ chối. Hãy bỏ các tệp đó ra hoặc sửa "
                    "lại rồi chạy lại.")
        if not self.files:
            return "Không có tệp nào để gộp."
        if self.dry_run:
            return f"Chạy thử: {n} ô sẽ thay đổi; chưa ghi gì vào sổ.{keep}"
        if not self.written:
            return f"Không có ô nào cần thay đổi; sổ giữ nguyên.{keep}"
        backup = f" Bản sao lưu: {self.backup.name}." if self.backup else ""
        log = f" Nhật ký ở sheet “{L.COLLECT_LOG}”." if self.log_rows else ""
        return f"Đã ghi {n} ô vào sổ {self.master.name}.{backup}{log}{keep}"


def _show(value: Any) -> str:
    if value is None or (isinstance(value, str) and not normalize(value)):
        return "(trống)"
    try:
        number = parse_score(value)
    except NotANumber:
        number = None
    if number is not None and not isinstance(value, str):
        return format_number(number)
    text = normalize(value)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


# ----------------------------------------------------------------------------- one file

@dataclass
class _FileValues:
    """What a returned file holds: criterion code → column title → (raw value, file cell)."""

    identity: UnitIdentity
    values: dict[str, dict[str, tuple[Any, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message, self.details = message, tuple(details)


def _number_or_text(value: Any) -> tuple[str, Any]:
    """Comparison key of a cell: ("", None) blank, ("n", Decimal) number, ("t", text)."""
    if value is None or (isinstance(value, str) and not normalize(value)):
        return "", None
    try:
        number = parse_score(value)
    except NotANumber:
        return "t", normalize(value)
    return ("", None) if number is None else ("n", number)


def _table(grid: Grid, titles: Sequence[str]) -> list[list[Any]] | None:
    found = grid.find_header(titles)
    if found is None:
        return None
    header, cols = found
    return [[grid.get(r, cols[t]) for t in titles] for r in grid.table(header, cols[titles[0]])]


def _criteria_diff(bloc: Bloc, source: SheetSource, sheet: str | None,
                   unit_rows: Mapping[str, tuple[Any, Any]]) -> list[str]:
    """Lines where the file's criteria table differs from the master's: its `Tiêu chí`
    sheet (sections and criteria) and the code/text/maximum columns of its unit sheet."""
    lines: list[str] = []

    def differ(code: str, what: str, ours: Any, theirs: Any, show=_show) -> None:
        line = f"{code}: {what} trong sổ {show(ours)}, trong tệp {show(theirs)}"
        if line not in lines:
            lines.append(line)

    def same_text(a: Any, b: Any) -> bool:
        return " ".join(normalize(a).split()) == " ".join(cell_text(b).split())

    def same_number(a: Decimal, b: Any) -> bool:
        return _number_or_text(b) == ("n", a)

    mark = lambda v: "có" if v else "không"  # noqa: E731
    if sheet is not None:
        grid = Grid(source, sheet)
        sections = _table(grid, L.SECTION_COLUMNS)
        if sections is not None:
            theirs = {cell_text(r[0]): r for r in sections}
            for s in bloc.sections:
                r = theirs.pop(s.code, None)
                if r is None:
                    lines.append(f"nhóm {s.code}: có trong sổ, không có trong tệp")
                    continue
                if not same_text(s.title, r[1]):
                    differ(f"nhóm {s.code}", "tên", s.title, cell_text(r[1]))
                if L.section_kind(r[2]) != s.kind:
                    differ(f"nhóm {s.code}", "loại", L.SECTION_KIND_LABELS[s.kind], cell_text(r[2]))
                if not same_number(s.max_points, r[3]):
                    differ(f"nhóm {s.code}", "điểm tối đa", s.max_points, r[3])
            lines += [f"nhóm {code}: có trong tệp, không có trong sổ" for code in theirs]
        criteria = _table(grid, L.CRITERION_COLUMNS)
        if criteria is not None:
            theirs = {cell_text(r[0]): r for r in criteria}
            for c in bloc.criteria:
                r = theirs.pop(c.code, None)
                if r is None:
                    lines.append(f"{c.code}: có trong sổ, không có trong tệp")
                    continue
                if cell_text(r[1]) != c.section:
                    differ(c.code, "thuộc nhóm", c.section, cell_text(r[1]), show=str)
                if not same_text(c.text, r[2]):
                    differ(c.code, "nội dung", c.text, cell_text(r[2]))
                if not same_number(c.max_points, r[3]):
                    differ(c.code, "điểm tối đa", c.max_points, r[3])
                if (fold(cell_text(r[4])) == L.CRITICAL_MARK) != c.critical:
                    differ(c.code, "bắt buộc", mark(c.critical),
                           mark(fold(cell_text(r[4])) == L.CRITICAL_MARK), show=str)
            lines += [f"{code}: có trong tệp, không có trong sổ" for code in theirs]
    for c in bloc.criteria:
        if c.code in unit_rows:
            text, top = unit_rows[c.code]
            if not same_text(c.text, text):
                differ(c.code, "nội dung", c.text, cell_text(text))
            if not same_number(c.max_points, top):
                differ(c.code, "điểm tối đa", c.max_points, top)
    return lines


def _read_unit_file(path: Path, bloc: Bloc, checksum: str) -> _FileValues:
    """Read and check one returned file; raises :class:`_Refused` with the reason."""
    name = path.name
    try:
        inspect_workbook_file(path)
        data = read_bytes(path)
        identity = read_identity(data)
    except WorkbookError as exc:
        raise _Refused(exc.message) from exc
    if identity is None:
        raise _Refused(f"Tệp {name} không phải tệp đơn vị do lệnh chia sổ (thidua split) tạo "
                       "ra: không có thông tin nhận dạng ẩn (khối, năm, đơn vị). Có thể tệp đã "
                       "được tạo lại bằng chương trình khác; hãy nhập điểm vào đúng tệp đã "
                       "nhận.")
    if fold(identity.bloc) != fold(bloc.name):
        raise _Refused(f"Tệp {name} thuộc “{identity.bloc}”, không phải “{bloc.name}” của sổ "
                       "này.")
    if identity.year != bloc.year:
        raise _Refused(f"Tệp {name} là tệp năm {identity.year}, sổ này là năm {bloc.year}.")
    codes = {match_key(u.code): u.code for u in bloc.units}
    code = codes.get(match_key(identity.unit))
    if code is None:
        raise _Refused(f"Tệp {name} là của đơn vị mã {identity.unit}"
                       + (f" ({identity.unit_name})" if identity.unit_name else "")
                       + f", không có trong danh sách đơn vị của {bloc.name}.")
    found = _UnitSheetReader(path, data, bloc, code)
    diff = _criteria_diff(bloc, found.source, sheet_named(found.names, L.CRITERIA),
                          found.unit_rows)
    if identity.criteria != checksum and not diff:
        diff = ["bảng tiêu chí trong sổ đã thay đổi sau khi tạo tệp này"]
    if diff:
        raise _Refused(f"Tệp {name}: bảng tiêu chí khác với sổ (có lẽ bảng tiêu chí đã thay đổi "
                       "sau khi chia tệp). Hãy chia lại tệp cho đơn vị rồi nhập lại điểm. "
                       "Các dòng khác nhau:", diff)
    result = _FileValues(identity=replace(identity, unit=code))
    result.values, result.notes = found.values, found.notes
    return result


class _UnitSheetReader:
    """The unit sheet of a returned file, read with :mod:`~thidua_xl.workbook.read`'s header
    search: criterion code → input values, code/text/maximum of each criterion row, notes.
    Raises :class:`_Refused` when the sheet cannot be read unambiguously."""

    def __init__(self, path: Path, data: bytes, bloc: Bloc, code: str) -> None:
        name = path.name
        try:
            self.source = open_source(path, data)
            names = self.source.names()
        except WorkbookError as exc:
            raise _Refused(exc.message) from exc
        self.names = names
        sheet = sheet_named(names, code)
        if sheet is None:
            raise _Refused(f"Tệp {name} không có sheet {code} của đơn vị (sheet bị đổi tên hoặc "
                           "bị xóa).")
        try:
            grid = Grid(self.source, sheet)
        except WorkbookError as exc:
            raise _Refused(exc.message) from exc
        found = find_unit_header(grid)
        if found is None:
            missing = missing_unit_columns(grid)
            raise _Refused(f"Tệp {name}, sheet {sheet}: không tìm thấy dòng tiêu đề gồm các cột "
                           + ", ".join(L.UNIT_REQUIRED_COLUMNS) + " (thiếu: "
                           + ", ".join(missing) + ").")
        header, cols = found
        self._check_visible_identity(name, grid, header, bloc, code)
        criteria = {match_key(c.code): c.code for c in bloc.criteria}
        sections = {match_key(s.code) for s in bloc.sections}
        inputs = L.UNIT_INPUT_COLUMNS
        self.values: dict[str, dict[str, tuple[Any, str]]] = {}
        self.unit_rows: dict[str, tuple[Any, Any]] = {}
        self.notes: list[str] = []
        first_row: dict[str, int] = {}
        for row in range(header + 1, grid.height):
            raw = cell_text(grid.get(row, cols[L.COL_CODE]))
            if not raw:
                continue
            crit = criteria.get(match_key(raw))
            cells = {t: (grid.get(row, cols[t]), grid.ref(row, cols[t])) for t in inputs}
            if crit is None:
                if match_key(raw) not in sections and any(cell_text(v) for v, _ in cells.values()):
                    self.notes.append(f"{sheet}!{grid.ref(row, cols[L.COL_CODE])}: mã tiêu chí "
                                      f"“{raw}” không có trong bảng tiêu chí; dòng này không "
                                      "được gộp")
                continue
            if crit in first_row:
                raise _Refused(f"Tệp {name}, sheet {sheet}: tiêu chí {crit} có hai dòng (dòng "
                               f"{first_row[crit]} và dòng {row + 1}).")
            first_row[crit] = row + 1
            for title, (value, ref) in cells.items():
                if ref in grid.formulas and not cell_text(value):
                    raise _Refused(f"Tệp {name}, ô {sheet}!{ref} ({title}, tiêu chí {crit}) chứa "
                                   "công thức nhưng chưa có giá trị tính sẵn. Hãy mở tệp trong "
                                   "Excel, lưu lại rồi gửi lại, hoặc nhập số thay cho công thức.")
            self.values[crit] = cells
            self.unit_rows[crit] = (grid.get(row, cols[L.COL_TEXT]),
                                    grid.get(row, cols[L.COL_MAX]))
        for c in bloc.criteria:
            if c.code not in self.values:
                self.notes.append(f"{sheet}: thiếu dòng của tiêu chí {c.code}")

    @staticmethod
    def _check_visible_identity(name: str, grid: Grid, header: int, bloc: Bloc,
                                code: str) -> None:
        """The identity block on the sheet must agree with the hidden identity (else a sheet
        of another file was pasted in)."""
        expected = {L.LABEL_BLOC: bloc.name, L.LABEL_YEAR: str(bloc.year),
                    L.LABEL_UNIT_CODE: code}
        for label, (raw, ref) in unit_identity(grid, header).items():
            value, want = cell_text(raw), expected[label]
            if value and fold(value) != fold(want):
                raise _Refused(f"Tệp {name}, ô {grid.name}!{ref} ghi "
                               f"{label.rstrip(':')} “{value}”, khác với thông tin nhận dạng "
                               f"của tệp ({want}): sheet được chép từ tệp khác.")


# ----------------------------------------------------------------------------- planning

def _plan(bloc: Bloc, wround: WorkbookRound, code: str, found: _FileValues,
          assessed: bool) -> tuple[list[CellChange], list[str]]:
    """The cell changes one accepted file brings to the master, and its notes."""
    place = wround.units[code]
    current = {e.criterion: e for e in wround.round_input.scores if e.unit == code}
    columns = [L.COL_SELF] + ([L.COL_ASSESSED] if assessed else []) + [L.COL_EVIDENCE]
    changes: list[CellChange] = []
    notes = list(found.notes)
    ignored = 0
    for c in bloc.criteria:
        theirs = found.values.get(c.code)
        row = place.criterion_rows.get(c.code)
        if theirs is None:
            continue
        if row is None:
            notes.append(f"sổ không có dòng của tiêu chí {c.code} ở sheet {place.sheet}; không "
                         "gộp được dòng này")
            continue
        entry = current.get(c.code) or ScoreEntry(unit=code, criterion=c.code)
        ours = {L.COL_SELF: entry.self_score, L.COL_ASSESSED: entry.assessed_score,
                L.COL_EVIDENCE: entry.evidence}
        if not assessed:
            value = theirs[L.COL_ASSESSED][0]
            key = _number_or_text(value)
            if key[0] and key != _number_or_text(ours[L.COL_ASSESSED]):
                ignored += 1
        for title in columns:
            value, file_ref = theirs[title]
            if title == L.COL_EVIDENCE:
                new: Any = cell_text(value)
                if not new or new == cell_text(ours[title]):
                    continue
            else:
                kind, parsed = _number_or_text(value)
                if not kind or (kind, parsed) == _number_or_text(ours[title]):
                    continue
                if kind == "n":
                    new = Decimal(f"{parsed.normalize():f}")
                else:
                    new = parsed
                    notes.append(f"ô {file_ref} ({title}, tiêu chí {c.code}): “{parsed}” không "
                                 "phải là số; vẫn chép vào sổ, khi tính sẽ báo lỗi")
            old = ours[title]
            old = None if not cell_text(old) else old
            changes.append(CellChange(unit=code, criterion=c.code, column=title,
                                      sheet=place.sheet, cell=f"{place.columns[title]}{row}",
                                      old=old, new=new, conflict=old is not None))
    if ignored:
        notes.append(f"{ignored} ô {L.COL_ASSESSED} trong tệp khác với sổ nhưng không được gộp "
                     "(chỉ gộp điểm Khối chấm khi chọn gộp cả Khối chấm, --assessed)")
    return changes, notes


def _log_cells(wround: WorkbookRound, source: SheetSource, outcomes: Sequence[FileOutcome],
               overwrite: bool, when: dt.datetime) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Cells of the log rows appended to `Nhật ký gộp` (below its last used row), or a
    warning when the sheet or its header is missing."""
    sheet = sheet_named(wround.sheet_names, L.COLLECT_LOG)
    if sheet is None:
        return {}, (f"sổ không có sheet “{L.COLLECT_LOG}” (sổ tạo bằng phiên bản cũ), nên không "
                    "ghi nhật ký gộp.")
    grid = Grid(source, sheet)
    found = grid.find_header(L.COLLECT_LOG_COLUMNS)
    if found is None:
        return {}, (f"sheet “{L.COLLECT_LOG}” không có dòng tiêu đề "
                    + ", ".join(L.COLLECT_LOG_COLUMNS) + ", nên không ghi nhật ký gộp.")
    header, cols = found
    last = header
    for row in range(header + 1, grid.height):
        if any(cell_text(v) for v in grid.rows[row]):
            last = row
    time_col, file_col, unit_col, count_col, problem_col = (
        column_letter(cols[t] + 1) for t in L.COLLECT_LOG_COLUMNS)
    cells: dict[str, Any] = {}
    bloc = wround.bloc
    for i, f in enumerate(outcomes):
        row = last + 2 + i                     # 1-based: the row after the last used one
        problems = list(f.notes)
        conflicts = f.conflicts
        if conflicts:
            refs = ", ".join(f"{c.cell} ({_show(c.old)} → {_show(c.new)})" for c in conflicts)
            problems.insert(0, (f"ghi đè {len(conflicts)} ô đã có giá trị: " if overwrite else
                                f"giữ giá trị trong sổ ở {len(conflicts)} ô xung đột: ") + refs)
        cells[f"{time_col}{row}"] = f"{when:%d/%m/%Y %H:%M}"
        cells[f"{file_col}{row}"] = f.path.name
        cells[f"{unit_col}{row}"] = L.unit_label(bloc, f.unit)
        cells[f"{count_col}{row}"] = len(f.to_write(overwrite))
        cells[f"{problem_col}{row}"] = "; ".join(problems) or None
    return {sheet: cells}, None


# ----------------------------------------------------------------------------- collect

_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def expand_inputs(master: str | os.PathLike[str],
                  paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files to collect from ``paths`` (files and folders, in the order given).

    A folder gives its .xlsx/.xlsm files (not its subfolders), sorted by name, skipping
    Excel's ``~$`` owner files, LibreOffice's ``.~lock.`` files and other hidden files, the
    master itself and its backups.  Files named explicitly are kept as given."""
    master = Path(master)
    skip = {master.resolve(), *(p.resolve() for p in backup_files(master))}
    out: list[Path] = []
    for item in map(Path, paths):
        if not item.is_dir():
            out.append(item)
            continue
        for p in sorted(item.iterdir(), key=lambda p: p.name.casefold()):
            if (p.is_file() and p.suffix.lower() in _WORKBOOK_SUFFIXES
                    and not p.name.startswith(("~$", "."))
                    and p.resolve() not in skip):
                out.append(p)
    return out


def plan_collect(wround: WorkbookRound, files: Sequence[str | os.PathLike[str]], *,
                 master: str | os.PathLike[str] | None = None, assessed: bool = False,
                 overwrite: bool = False, dry_run: bool = False) -> CollectReport:
    """Read and check the returned ``files`` against the master read as ``wround``, and plan
    the cell changes; write nothing.  Pure over the master's reading, so the Excel macro
    (master open, read through xlwings) and :func:`collect` share it.

    ``master``: the master's path, named in the report and refused if found among ``files``.
    ``assessed`` / ``overwrite`` / ``dry_run``: as :func:`collect` (recorded in the report).
    A file named twice is read once.  Raises :class:`WorkbookError` when ``wround`` has
    blocking problems.
    """
    if wround.blocking:
        raise WorkbookError(f"Sổ có lỗi cần sửa trước khi gộp: {wround.blocking_summary()}")
    bloc = wround.bloc
    checksum = criteria_checksum(bloc)
    warnings: list[str] = []
    outcomes: list[FileOutcome] = []
    found: dict[int, _FileValues] = {}
    seen: set[Path] = set()
    master_real = Path(master).resolve() if master is not None else None
    for path in map(Path, files):
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        if real == master_real:
            outcomes.append(FileOutcome(path, refusal=f"Tệp {path.name} là chính sổ tổng hợp, "
                                                      "không phải tệp của một đơn vị."))
            continue
        try:
            values = _read_unit_file(path, bloc, checksum)
        except _Refused as exc:
            outcomes.append(FileOutcome(path, refusal=exc.message, details=exc.details))
            continue
        code = values.identity.unit
        found[len(outcomes)] = values
        outcomes.append(FileOutcome(path, unit=code, unit_name=bloc.unit(code).name))
        if owner_file(path) is not None:
            warnings.append(f"tệp {path.name} đang mở trong Excel/LibreOffice; phần chưa lưu "
                            "sẽ không được gộp.")

    by_unit: dict[str, list[int]] = {}
    for i in found:
        by_unit.setdefault(outcomes[i].unit, []).append(i)
    for code, indexes in by_unit.items():
        if len(indexes) > 1:
            names = ", ".join(outcomes[i].path.name for i in indexes)
            for i in indexes:
                outcomes[i] = replace(outcomes[i], refusal=(
                    f"Có {len(indexes)} tệp của cùng đơn vị {L.unit_label(bloc, code)}: {names}. "
                    "Hãy giữ lại một tệp rồi chạy lại."))
                found.pop(i)
    for i, values in found.items():
        changes, notes = _plan(bloc, wround, values.identity.unit, values, assessed)
        outcomes[i] = replace(outcomes[i], changes=tuple(changes), notes=tuple(notes))
    return CollectReport(master=Path(master) if master is not None else Path(""),
                         files=tuple(outcomes), assessed=assessed, dry_run=dry_run,
                         overwrite=overwrite, warnings=tuple(warnings))


def collect_cells(report: CollectReport, wround: WorkbookRound, source: SheetSource, *,
                  now: dt.datetime) -> tuple[dict[str, dict[str, Any]], CollectReport]:
    """The cells to write for a planned ``report`` — ``{sheet: {ref: value}}``: the changes
    to write (:attr:`CollectReport.to_write`) and one `Nhật ký gộp` row per accepted file
    (time ``now``, appended below the sheet's last used row, read from ``source``) — and the
    report with ``log_rows`` set (and a warning when the log sheet is missing).

    Gives no cells when the report has refusals or nothing to write (a refused collect must
    leave the master unchanged)."""
    if report.refused or not report.to_write:
        return {}, report
    cells: dict[str, dict[str, Any]] = {}
    for change in report.to_write:
        cells.setdefault(change.sheet, {})[change.cell] = change.new
    log, warning = _log_cells(wround, source, report.accepted, report.overwrite, now)
    for sheet, values in log.items():
        cells.setdefault(sheet, {}).update(values)
    return cells, replace(report, log_rows=len(report.accepted) if log else 0,
                          warnings=report.warnings + ((warning,) if warning else ()))


def collect(master: str | os.PathLike[str], files: Sequence[str | os.PathLike[str]], *,
            assessed: bool = False, dry_run: bool = False, overwrite: bool = False,
            force: bool = False, now: dt.datetime | None = None) -> CollectReport:
    """Merge returned unit files into the master workbook file; return a
    :class:`CollectReport`.

    ``files``: unit files made by :func:`split_workbook` (any names; see
    :func:`expand_inputs` for folders).  Merged per unit, by criterion code: `Tự chấm`,
    `Minh chứng`, and `Khối chấm` when ``assessed``.  ``dry_run``: plan and report only.
    ``overwrite``: also write conflicting cells.  ``force``: write even though a lock file
    says the master is open (a lock left by a crash).  ``now``: the log's time (default now).

    Nothing is written when a file is refused, when nothing changes, or on ``dry_run``;
    otherwise only the changed cells and the log rows are patched in
    (:func:`~thidua_xl.xlsxpatch.patch_cells`), a backup is kept (the bloc's
    ``workbook.backups``) and the master is replaced atomically.

    Raises :class:`WorkbookError` (Vietnamese) when the master is unreadable, has blocking
    problems, is open in Excel/LibreOffice (unless ``force``; not checked on ``dry_run``),
    changed while collecting, or a cell cannot be written.
    """
    master = Path(master)
    if not dry_run:
        check_not_open(master, force)
    data, wround = _read_master(master)
    report = plan_collect(wround, files, master=master, assessed=assessed,
                          overwrite=overwrite, dry_run=dry_run)
    if dry_run:
        return report
    when = now or dt.datetime.now().replace(second=0, microsecond=0)
    cells, report = collect_cells(report, wround, open_source(master, data), now=when)
    if not cells:
        return report
    from .xlsxpatch import patch_cells

    patched = patch_cells(data, cells)
    if read_bytes(master) != data:
        raise WorkbookError(f"Tệp {master.name} đã thay đổi trong lúc gộp (có người vừa lưu "
                            "tệp). Hãy chạy lại.", str(master))
    backup = atomic_write(master, patched, backups=wround.bloc.workbook.backups, force=force)
    return replace(report, written=True, backup=backup)


def collect_folder(master: str | os.PathLike[str], folder: str | os.PathLike[str],
                   **options: Any) -> CollectReport:
    """:func:`collect` on the workbook files of ``folder`` (:func:`expand_inputs`).

    Raises :class:`WorkbookError` when ``folder`` is not a folder or holds no workbook file;
    otherwise as :func:`collect` (``options``: its keyword arguments)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkbookError(f"Không tìm thấy thư mục {folder}.", str(folder))
    files = expand_inputs(master, [folder])
    if not files:
        raise WorkbookError(f"Thư mục {folder} không có tệp Excel (.xlsx/.xlsm) nào để gộp.",
                            str(folder))
    return collect(master, files, **options)
