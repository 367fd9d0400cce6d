"""What the `thidua` commands and the workbook's buttons do, as library functions.

* :func:`check_workbook` — read a workbook and list every problem (``Sheet!Cell: message``)
  and the file's warnings (:func:`file_warnings`); writes nothing.
* :func:`run_workbook` — inspect the file, read it, review, write the results back into it
  (and, on request, the Word dossier).
* :func:`new_workbook` — build the shared workbook of a bloc-year from its TOML/CSV files.
* :func:`export_workbook` — the inverse: write the bloc TOML, scores CSV, review CSV and
  conference TOML held in a workbook.

Files that cannot be used at all raise :class:`~thidua_xl.errors.ThiduaError` subclasses
(Vietnamese message, ``exit_code`` 2).  Problems in the data are returned in the reports
(``exit_code`` 1), never raised.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .datafiles import conference_to_dict, load_round
from .definition import bloc_to_dict, dump_toml
from .errors import DataFileError, ThiduaError, WorkbookError
from .model import DataError, ReviewResult
from .review import review
from .text import normalize
from .workbook.read import WorkbookRound, read_round
from .workbook.sources import open_source

__all__ = ["CheckReport", "RunReport", "check_workbook", "run_workbook", "new_workbook",
           "export_workbook", "workbook_files", "file_warnings", "EXPORT_NAMES"]

#: Role → file name pattern of :func:`export_workbook` (``{year}`` = the bloc's year).
EXPORT_NAMES = {"bloc": "khoi-{year}.toml", "scores": "scores-{year}.csv",
                "review": "review-{year}.csv", "conference": "conference-{year}.toml"}
_BACKUP_NAME = re.compile(r"\.backup-\d{8}-\d{6}(?:-\d+)?\.xls[xm]$", re.IGNORECASE)


@dataclass(frozen=True)
class CheckReport:
    """Outcome of :func:`check_workbook` for one file.

    ``problems``: every data problem (read problems and the engine's validation errors).
    ``blocking``: those that stop `run` from writing results.  ``result``: the review computed
    on the data as read.  ``warnings``: Vietnamese notes about the file that stop nothing
    (:func:`file_warnings`), for stderr; they do not change ``exit_code``.
    """

    path: Path
    problems: tuple[DataError, ...]
    blocking: tuple[DataError, ...]
    result: ReviewResult
    wround: WorkbookRound
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        """0 without problems, 1 with data problems."""
        return 0 if self.ok else 1

    def lines(self) -> list[str]:
        """Problems as ``Sheet!Cell: message``."""
        return [str(p) for p in self.problems]


@dataclass(frozen=True)
class RunReport:
    """Outcome of :func:`run_workbook` for one file.

    ``written``: results were written into the workbook (False when ``blocking`` problems
    stopped it, or with ``write=False``).  ``backup``: the backup copy made, if any.
    ``dossier``: Word files written.  ``warnings``: as in :class:`CheckReport`.
    """

    path: Path
    result: ReviewResult
    wround: WorkbookRound
    written: bool
    backup: Path | None = None
    dossier: tuple[Path, ...] = ()
    problems: tuple[DataError, ...] = field(default=())
    blocking: tuple[DataError, ...] = field(default=())
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 without problems, 1 with data problems (results may still have been written)."""
        return 0 if not self.problems else 1

    def to_json(self) -> dict:
        """The `thidua run --json` object (bloc-format.md)."""
        return self.result.to_json()


def workbook_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The workbooks of a folder: ``*.xlsx``/``*.xlsm`` (any case), sorted by name, without
    Excel owner files (``~$…``), LibreOffice lock files and thidua's own backups."""
    out = []
    for entry in sorted(Path(folder).iterdir(), key=lambda p: p.name.casefold()):
        name = entry.name
        if not entry.is_file() or entry.suffix.lower() not in (".xlsx", ".xlsm"):
            continue
        if name.startswith(("~$", ".~lock.")) or _BACKUP_NAME.search(name):
            continue
        out.append(entry)
    return out


_MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _shell_arg(text: str) -> str:
    return f'"{text}"' if re.search(r"[\s&()^;,]", text) else text


def file_warnings(path: Path, data: bytes) -> tuple[str, ...]:
    """Notes about a workbook file that stop nothing (Vietnamese, one sentence each).

    Today one: a ``.xlsm`` whose VBA project is gone (a program such as openpyxl saved it
    without macros: no ``vbaProject.bin``, and usually the plain-xlsx content type, which
    Excel refuses under an .xlsm name).  ``data``: the file's bytes; an unreadable package
    gives no warning (reading it reports that)."""
    if path.suffix.lower() != ".xlsm":
        return ()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, KeyError, OSError):
        return ()
    has_project = any(n.lower().endswith("vbaproject.bin") for n in names)
    macro_type = _MACRO_CONTENT_TYPE in types
    if has_project and macro_type:
        return ()
    name = _shell_arg(path.name)
    refused = ("; Excel có thể từ chối mở tệp vì nội dung là sổ .xlsx mang đuôi .xlsm"
               if not macro_type else "")
    return (f"Sổ {path.name} có đuôi .xlsm nhưng không còn phần macro (VBA) — có lẽ tệp đã được "
            f"lưu bằng một chương trình khác Excel — nên các nút lệnh không chạy{refused}. "
            f"Để khôi phục macro và nút lệnh, chạy lệnh: thidua excel {name} --out {name}",)


def read_workbook(path: Path) -> tuple[bytes, WorkbookRound]:
    """The file's bytes and its reading (:func:`read_round`), after the file guards
    (:func:`thidua_xl.safefile.inspect_workbook_file`).  Raises :class:`WorkbookError` for an
    unusable file; ThiduaErrors from reading name the file as well as the sheet/cell."""
    from .safefile import inspect_workbook_file, read_bytes

    inspect_workbook_file(path)
    data = read_bytes(path)
    try:
        return data, read_round(open_source(path, data))
    except ThiduaError as exc:
        if not exc.where or exc.where == str(path):
            raise
        # Name the file as well as the sheet/cell.
        raise type(exc)(exc.message, f"{path.name}: {exc.where}") from None


def check_workbook(path: str | os.PathLike[str]) -> CheckReport:
    """Read and review the workbook at ``path`` without writing anything.

    Raises :class:`WorkbookError` for a file that is missing, not a readable workbook,
    encrypted, too big, a zip bomb, or lacks its definition sheets;
    :class:`BlocDefinitionError` for an invalid definition (``where`` names file and cell).
    """
    path = Path(path)
    data, wround = read_workbook(path)
    result = review(wround.round_input)
    return CheckReport(path=path, problems=tuple(result.errors), blocking=wround.blocking,
                       result=result, wround=wround, warnings=file_warnings(path, data))


def _dossier(result: ReviewResult, out_dir: Path, templates: Any, pdf: bool,
             overwrite: bool) -> tuple[Path, ...]:
    from .reports import write_dossier

    return tuple(write_dossier(result, out_dir, templates=templates, pdf=pdf,
                               overwrite=overwrite))


def run_workbook(path: str | os.PathLike[str], *, force: bool = False,
                 out_dir: str | os.PathLike[str] | None = None, write: bool = True,
                 backups: int | None = None, templates: Any = None,
                 pdf: bool = False, overwrite: bool = False) -> RunReport:
    """Review the workbook at ``path`` and write the results into it.

    Steps: inspect the file (:func:`thidua_xl.safefile.inspect_workbook_file`); refuse while
    Excel/LibreOffice has it open (``force`` overrides a stale owner file); read it; review;
    unless the read found blocking problems (then nothing is written), write the results
    (:func:`thidua_xl.workbook.write.write_results`, ``backups`` copies kept, default the
    bloc's setting); when ``out_dir`` is given, write the Word dossier there too
    (``thidua_xl.reports.write_dossier``; ``templates``, ``pdf``, ``overwrite`` passed on:
    existing Word files are kept unless ``overwrite``).  ``write=False``
    computes only.

    Raises :class:`WorkbookError` for an unusable or open file, :class:`BlocDefinitionError`
    for an invalid definition, :class:`ThiduaError` when the dossier cannot be produced.
    """
    from .safefile import check_not_open
    from .workbook.write import write_results

    path = Path(path)
    if write:
        check_not_open(path, force)
    data, wround = read_workbook(path)
    result = review(wround.round_input)
    written, backup, dossier = False, None, ()
    # The dossier first: when it is refused (Word files already there), the workbook is not
    # written either, so the user is not left guessing what happened.
    if out_dir is not None and not wround.blocking:
        dossier = _dossier(result, Path(out_dir), templates, pdf, overwrite)
    if write and not wround.blocking:
        backup = write_results(path, result, wround, force=force, backups=backups,
                               original=data)
        written = True
    return RunReport(path=path, result=result, wround=wround, written=written, backup=backup,
                     dossier=dossier, problems=tuple(result.errors), blocking=wround.blocking,
                     warnings=file_warnings(path, data))


def new_workbook(bloc_toml: str | os.PathLike[str], out: str | os.PathLike[str],
                 scores: str | os.PathLike[str] | None = None,
                 review: str | os.PathLike[str] | None = None,
                 conference: str | os.PathLike[str] | None = None, *,
                 macros: bool | None = None, overwrite: bool = False) -> Path:
    """Build the shared workbook at ``out`` (.xlsx, or .xlsm with buttons) from a bloc TOML
    and, optionally, scores CSV, review CSV and conference TOML (bloc-format.md).

    Raises :class:`BlocDefinitionError` / :class:`DataFileError` for unreadable inputs —
    including rows the workbook could not hold (unknown unit or criterion, duplicates), listed
    with their ``file!cell`` — and :class:`WorkbookError` when ``out`` exists (unless
    ``overwrite``) or is open.
    """
    from .workbook.build import build_workbook

    data = load_round(bloc_toml, scores=scores, review=review, conference=conference)
    if data.read_errors:
        shown = "; ".join(str(e) for e in data.read_errors[:5])
        more = len(data.read_errors) - 5
        raise DataFileError("có dòng dữ liệu không đưa được vào sổ: " + shown
                            + (f" (và {more} dòng khác)" if more > 0 else ""))
    out = Path(out)
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(f"Tên sổ {out.name} phải có đuôi .xlsx hoặc .xlsm (có nút lệnh).",
                            str(out))
    return build_workbook(data, out, macros=macros, overwrite=overwrite)


def _csv_value(value: Any) -> str:
    """A cell value as CSV text: numbers in plain decimal form (9.5, 10), text as typed."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, Decimal)):
        return f"{Decimal(value).normalize():f}"
    return normalize(value)


def _csv_text(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def export_workbook(path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                    overwrite: bool = False) -> dict[str, Path]:
    """Write the data held in the workbook at ``path`` as the files of bloc-format.md.

    Returns role → path: ``bloc`` (``khoi-<year>.toml``), ``scores`` (``scores-<year>.csv``:
    one row per unit and criterion row found, values as typed), ``review``
    (``review-<year>.csv``: every unit, ``disciplined`` ``x``/blank, ``votes_<award>``) and
    ``conference`` (``conference-<year>.toml``).  ``new_workbook`` on these files rebuilds a
    workbook holding the same data.  Refuses (``WorkbookError``) to replace existing files
    unless ``overwrite``; raises like :func:`check_workbook` for an unusable workbook.
    """
    from .safefile import atomic_write

    path, out_dir = Path(path), Path(out_dir)
    _, wround = read_workbook(path)
    data = wround.round_input
    bloc = data.bloc
    targets = {role: out_dir / name.format(year=bloc.year) for role, name in EXPORT_NAMES.items()}
    if not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True)
        except OSError as exc:
            raise WorkbookError(f"Không tạo được thư mục {out_dir}: {exc.strerror or exc}.",
                                str(out_dir)) from exc
    existing = [p.name for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise WorkbookError("Thư mục đã có tệp " + ", ".join(existing) + "; thidua không ghi "
                            "đè. Hãy chọn thư mục khác hoặc dùng --force.", str(out_dir))

    score_rows = [[e.unit, e.criterion, _csv_value(e.self_score),
                   _csv_value(e.assessed_score), normalize(e.evidence)] for e in data.scores]
    award_keys = [a.key for a in bloc.awards]
    review_rows = []
    for unit in bloc.units:
        facts = data.facts.get(unit.code)
        votes = facts.votes if facts else {}
        review_rows.append([unit.code, "x" if facts and facts.disciplined else ""]
                           + [_csv_value(votes.get(k)) for k in award_keys])
    conference = conference_to_dict(data.conference) if data.conference else {}
    contents = {
        "bloc": dump_toml(bloc_to_dict(bloc)).encode("utf-8"),
        "scores": _csv_text(["unit", "criterion", "self_score", "assessed_score", "evidence"],
                            score_rows),
        "review": _csv_text(["unit", "disciplined"] + [f"votes_{k}" for k in award_keys],
                            review_rows),
        "conference": dump_toml({"conference": conference}).encode("utf-8"),
    }
    for role, target in targets.items():
        atomic_write(target, contents[role], backups=0, force=True)
    return targets
