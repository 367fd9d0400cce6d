"""`thidua run THƯ_MỤC`: every workbook of a folder, in parallel processes.

:func:`run_many` calls :func:`thidua_xl.actions.run_workbook` — the function behind
``thidua run TỆP`` — once per workbook, in worker processes
(:class:`concurrent.futures.ProcessPoolExecutor`), and returns a :class:`BatchReport` with one
:class:`BatchItem` per file, in the order given.  A workbook that cannot be processed (not a
workbook, truncated, open in Excel, invalid definition, even a worker process that dies) is
reported in its item and never stops the others.

:func:`map_workbooks` is the parallel engine underneath, shared with the province roll-up
(:mod:`thidua_xl.province`); :func:`workbook_paths` turns a folder or a list into the files to
process (Excel owner files ``~$…``, LibreOffice lock files and thidua's backups skipped).

The report speaks Vietnamese for the CLI: :meth:`BatchReport.table_lines` (columns Tệp,
Đơn vị, Lỗi, Đề nghị, Trạng thái) and :meth:`BatchReport.summary_line`.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TypeVar

from .errors import ThiduaError, WorkbookError

__all__ = ["BatchItem", "BatchReport", "run_many", "map_workbooks", "workbook_paths",
           "format_table", "seconds_text", "TABLE_HEADER"]

T = TypeVar("T")

#: Columns of :meth:`BatchReport.table_lines`.
TABLE_HEADER = ("Tệp", "Đơn vị", "Lỗi", "Đề nghị", "Trạng thái")

# Item states (BatchItem.state).
OK, PROBLEMS, BLOCKED, FAILED = "ok", "problems", "blocked", "failed"

_CRASH = ("tiến trình xử lý tệp này bị dừng đột ngột (tệp có thể làm hỏng thư viện đọc "
          "Excel); các tệp khác vẫn được xử lý")


# ----------------------------------------------------------------------------- inputs

def workbook_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The workbooks to process, in order, each once.

    ``paths``: a folder (its ``*.xlsx``/``*.xlsm`` files, sorted by name — see
    :func:`thidua_xl.actions.workbook_files`), one file, or an iterable mixing both.  Excel
    owner files (``~$…``), LibreOffice lock files (``.~lock.…``) and thidua's backups are
    skipped even when named explicitly.  Raises :class:`WorkbookError` when a path does not
    exist.
    """
    from .actions import workbook_files

    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: list[Path] = []
    seen: set[Path] = set()
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = workbook_files(path)
        elif path.exists():
            # A file named explicitly is kept unless it is a side file; one that is no
            # workbook at all (.xls, .csv…) is kept so that run_workbook reports it.
            side = path.name.startswith(("~$", ".~lock.")) or (
                path.suffix.lower() in (".xlsx", ".xlsm")
                and path not in workbook_files(path.parent))
            found = [] if side else [path]
        else:
            raise WorkbookError(f"Không tìm thấy tệp hay thư mục {path}.", str(path))
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


# ----------------------------------------------------------------------------- parallel map

def map_workbooks(work: Callable[[Path], T], paths: Sequence[Path], *,
                  failed: Callable[[Path, str], T], jobs: int | None = None,
                  progress: Callable[[T], Any] | None = None) -> list[T]:
    """``work(path)`` for every path, in ``jobs`` worker processes; results in input order.

    ``work`` must be a module-level function (it is pickled to the workers) that catches its
    own errors and returns a picklable value.  ``failed(path, message)`` builds the value of a
    file whose worker process died or whose result could not come back.  ``progress(value)``
    is called in this process as each file finishes (completion order).  ``jobs``: worker
    processes, default the number of CPUs; with 1 (or one file) everything runs in this
    process.

    A dying worker breaks the whole pool; the files it left unfinished are then run again one
    process each, so only the culprit is reported failed.
    """
    paths = list(paths)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    results: dict[int, T] = {}

    def done(i: int, value: T) -> None:
        results[i] = value
        if progress is not None:
            progress(value)

    if jobs == 1:
        for i, path in enumerate(paths):
            done(i, work(path))
        return [results[i] for i in range(len(paths))]

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(work, path): i for i, path in enumerate(paths)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                value = future.result()
            except BrokenProcessPool:
                continue                      # retried alone below
            except Exception as exc:  # noqa: BLE001 — e.g. a result that cannot be pickled
                value = failed(paths[i], f"lỗi không mong đợi ({type(exc).__name__}: {exc})")
            done(i, value)
    for i, path in enumerate(paths):
        if i in results:
            continue
        with ProcessPoolExecutor(max_workers=1) as alone:
            try:
                value = alone.submit(work, path).result()
            except BrokenProcessPool:
                value = failed(path, _CRASH)
            except Exception as exc:  # noqa: BLE001
                value = failed(path, f"lỗi không mong đợi ({type(exc).__name__}: {exc})")
        done(i, value)
    return [results[i] for i in range(len(paths))]


# ----------------------------------------------------------------------------- one workbook

@dataclass(frozen=True)
class BatchItem:
    """The outcome of `thidua run` on one workbook (picklable: it crosses processes).

    ``bloc``/``year``/``units``: the bloc read (None when the file could not be read).
    ``errors``: data problems (``Sheet!Cell: message`` lines); ``blocking``: how many of them
    are structural and stopped the write.  ``nominees``: award key → unit codes in rank
    order; ``award_names``: award key → short name (``Cờ thi đua``…); ``ballots``: votes were
    recorded (otherwise nominees are proposals).  ``written``/``backup``/``dossier``: what was
    written.  ``failure``: the Vietnamese message when the file could not be processed at all.
    ``result``: the ``--json`` object (bloc-format.md) or None.  ``seconds``: wall time.
    """

    path: Path
    bloc: str | None = None
    year: int | None = None
    units: int | None = None
    errors: tuple[str, ...] = ()
    blocking: int = 0
    nominees: dict[str, tuple[str, ...]] = field(default_factory=dict)
    award_names: dict[str, str] = field(default_factory=dict)
    ballots: bool = False
    written: bool = False
    backup: Path | None = None
    dossier: tuple[Path, ...] = ()
    failure: str | None = None
    result: dict | None = None
    seconds: float = 0.0

    @property
    def state(self) -> str:
        """``ok``, ``problems`` (written, data errors), ``blocked`` (structural errors: not
        written) or ``failed`` (not processed)."""
        if self.failure is not None:
            return FAILED
        if self.blocking:
            return BLOCKED
        return PROBLEMS if self.errors else OK

    @property
    def exit_code(self) -> int:
        """0 ok, 1 data problems, 2 file unusable (as `thidua run TỆP`)."""
        return {OK: 0, PROBLEMS: 1, BLOCKED: 1, FAILED: 2}[self.state]

    def status_text(self) -> str:
        """Trạng thái, in Vietnamese."""
        if self.failure is not None:
            return f"Không xử lý được: {self.failure}"
        if self.blocking:
            return f"Chưa ghi kết quả: sổ có {self.blocking} lỗi cấu trúc phải sửa trước"
        text = "Đã ghi kết quả" if self.written else "Đã tính (chưa ghi)"
        if self.errors:
            text += f", có {len(self.errors)} lỗi dữ liệu"
        if self.dossier:
            text += f", {len(self.dossier)} tệp Word"
        return text

    def nominee_text(self) -> str:
        """Đề nghị: ``Cờ thi đua 1, Bằng khen 4`` (``dự kiến`` before the vote); ``—`` when
        the file could not be processed."""
        if self.failure is not None or self.blocking:
            return "—"
        parts = [f"{self.award_names.get(k, k)} {len(v)}" for k, v in self.nominees.items()]
        text = ", ".join(parts) or "0"
        return text if self.ballots or not any(self.nominees.values()) else text + " (dự kiến)"

    def row(self) -> list[str]:
        """The item's row of :meth:`BatchReport.table_lines`."""
        return [self.path.name, "—" if self.units is None else str(self.units),
                "—" if self.failure is not None else str(len(self.errors)),
                self.nominee_text(), self.status_text()]


def _failed(path: Path, message: str) -> BatchItem:
    return BatchItem(path=Path(path), failure=message)


def _error_text(exc: ThiduaError, path: Path) -> str:
    """The error without the file's own path (the table names the file already)."""
    where = exc.where
    for prefix in (str(path), path.name):
        if where == prefix:
            where = ""
        elif where.startswith(prefix + ": "):
            where = where[len(prefix) + 2:]
    return f"{where}: {exc.message}" if where else exc.message


class _RunOne:
    """`thidua run` on one workbook as a picklable callable (the options travel with it)."""

    def __init__(self, force: bool, out_dirs: dict[Path, Path | None]) -> None:
        self.force = force
        self.out_dirs = out_dirs

    def __call__(self, path: Path) -> BatchItem:
        from .actions import run_workbook

        started = time.perf_counter()
        try:
            report = run_workbook(path, force=self.force, out_dir=self.out_dirs.get(path))
        except ThiduaError as exc:
            return BatchItem(path=path, failure=_error_text(exc, path),
                             seconds=time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 — one bad file never stops the others
            return BatchItem(path=path, failure=f"lỗi không mong đợi ({type(exc).__name__}: "
                                                f"{exc})", seconds=time.perf_counter() - started)
        result = report.result
        bloc = result.bloc
        return BatchItem(
            path=path, bloc=bloc.name, year=bloc.year, units=len(bloc.units),
            errors=tuple(str(e) for e in report.problems), blocking=len(report.blocking),
            nominees={k: tuple(v) for k, v in result.nominees.items()},
            award_names={a.key: a.short_name for a in bloc.awards}, ballots=result.ballots,
            written=report.written, backup=report.backup, dossier=tuple(report.dossier),
            result=report.to_json(), seconds=time.perf_counter() - started)


# ----------------------------------------------------------------------------- report

def seconds_text(seconds: float) -> str:
    """``3.25`` → ``3,3 giây`` (decimal comma)."""
    return f"{seconds:.1f}".replace(".", ",") + " giây"


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A plain-text table (columns padded, a rule under the header) for the terminal."""
    rows = [list(map(str, r)) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


@dataclass(frozen=True)
class BatchReport:
    """Outcome of :func:`run_many`: ``items`` in input order, ``jobs`` worker processes used,
    ``seconds`` of wall time."""

    items: tuple[BatchItem, ...]
    jobs: int
    seconds: float

    @property
    def exit_code(self) -> int:
        """The worst item's: 0 all clean, 1 data problems somewhere, 2 a file unusable."""
        return max((i.exit_code for i in self.items), default=0)

    def count(self, state: str) -> int:
        return sum(1 for i in self.items if i.state == state)

    def table_lines(self) -> list[str]:
        """The summary table (Tệp, Đơn vị, Lỗi, Đề nghị, Trạng thái), one row per file."""
        return format_table(TABLE_HEADER, (i.row() for i in self.items))

    def summary_line(self) -> str:
        """One Vietnamese sentence: files, time, processes, and how many of each outcome."""
        parts = []
        written = sum(1 for i in self.items if i.written)
        if written:
            parts.append(f"{written} tệp đã ghi kết quả")
        if self.count(PROBLEMS):
            parts.append(f"{self.count(PROBLEMS)} tệp có lỗi dữ liệu")
        if self.count(BLOCKED):
            parts.append(f"{self.count(BLOCKED)} tệp có lỗi cấu trúc, chưa ghi")
        if self.count(FAILED):
            parts.append(f"{self.count(FAILED)} tệp không xử lý được")
        head = (f"Đã xử lý {len(self.items)} tệp trong {seconds_text(self.seconds)} "
                f"({self.jobs} tiến trình)")
        return head + (": " + "; ".join(parts) if parts else "") + "."

    def to_json(self) -> list[dict]:
        """`thidua run THƯ_MỤC --json`: per file ``{"file", "state", "error", **result}``."""
        out = []
        for i in self.items:
            entry: dict[str, Any] = {"file": i.path.name, "state": i.state,
                                     "error": i.failure}
            entry.update(i.result or {})
            out.append(entry)
        return out


def _dossier_dirs(paths: list[Path], out_dir: Path | None) -> dict[Path, Path | None]:
    """Per workbook, its dossier folder ``out_dir/<file stem>`` (the full name when two files
    share a stem)."""
    if out_dir is None:
        return {p: None for p in paths}
    stems = [p.stem.casefold() for p in paths]
    return {p: Path(out_dir) / (p.stem if stems.count(p.stem.casefold()) == 1 else p.name)
            for p in paths}


def run_many(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
             jobs: int | None = None, force: bool = False,
             out_dir: str | os.PathLike[str] | None = None,
             progress: Callable[[BatchItem], Any] | None = None) -> BatchReport:
    """Run every workbook of ``paths`` (a folder, a file or a list: :func:`workbook_paths`)
    as `thidua run` does, in ``jobs`` processes (default: CPU count).

    ``force``: as `thidua run --force` (write despite a stale Excel owner file).  ``out_dir``:
    write each workbook's Word dossier into ``out_dir/<file stem>``.  ``progress``: called
    with each :class:`BatchItem` as its file finishes (e.g. ``lambda item: bar.update(1)``).

    Returns a :class:`BatchReport` (items in input order).  A file that cannot be processed
    is an item with ``failure`` set; nothing is raised for it.  Raises
    :class:`WorkbookError` only when a given path does not exist.
    """
    files = workbook_paths(paths)
    started = time.perf_counter()
    worker = _RunOne(force, _dossier_dirs(files, Path(out_dir) if out_dir else None))
    used = max(1, min(jobs or os.cpu_count() or 1, len(files) or 1))
    items = map_workbooks(worker, files, failed=_failed, jobs=used, progress=progress)
    return BatchReport(items=tuple(items), jobs=used, seconds=time.perf_counter() - started)
