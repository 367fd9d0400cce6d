"""The `thidua` command line (click), a thin layer over :mod:`thidua_xl.actions`.

Conventions every command follows:

* help texts in Vietnamese, each ending with an example line (``Ví dụ: …``);
* results on stdout (the report, the table, the JSON); diagnostics, progress and the
  "đã ghi …" notes on stderr;
* exit status 0 = all good, 1 = data errors found, 2 = usage or file errors (the highest one
  wins when a folder holds several workbooks);
* one place turns a :class:`~thidua_xl.errors.ThiduaError` into a clean one-line message
  (:func:`error_message`, used by :class:`ThiduaGroup` and by the per-file loops);
* output is UTF-8 on a Windows console and when redirected (:func:`_utf8_streams`).

Adding a command: a function decorated with ``@cli.command("name",
context_settings=CONTEXT_SETTINGS)`` and ``@_help`` (the Vietnamese ``--help``), with a
Vietnamese docstring ending in ``Ví dụ: thidua …`` and options whose help ends with an example;
it returns nothing or calls ``ctx.exit(code)``; a ThiduaError it raises is reported by the
group.  For several files use :func:`_workbooks` and :func:`_map` (progress bar, per-file
errors), or :mod:`thidua_xl.batch` for worker processes as `run` does.
"""

from __future__ import annotations

import json as jsonlib
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import click

from . import __version__, click_vi
from .errors import ThiduaError
from .numbers import format_points

__all__ = ["cli", "main", "error_message", "EXIT_OK", "EXIT_DATA", "EXIT_USAGE"]

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
click_vi.install()  # click's own words ("Usage:", "Missing argument"…) in Vietnamese

CONTEXT_SETTINGS = {"max_content_width": 100}
_help = click.help_option("-h", "--help", help="Hiện hướng dẫn này rồi thoát.")
_workbook_argument = click.argument("path", metavar="SỔ", type=click.Path(
    exists=True, dir_okay=False, path_type=Path))


def error_message(exc: ThiduaError) -> str:
    """The one-line message shown for a ThiduaError: ``Lỗi: <where>: <message>``."""
    return f"Lỗi: {exc}"


def _utf8_streams() -> None:
    """Make stdout/stderr UTF-8 (errors replaced) when they are not, e.g. redirected on a
    Windows machine whose code page is cp1252, so Vietnamese text never crashes a command."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(encoding="utf-8", errors="replace")
            except (ValueError, OSError):  # pragma: no cover — a detached or odd stream
                pass


def _say(message: str) -> None:
    click.echo(message, err=True)


class ThiduaCommand(click.Command):
    """A `thidua` command: Vietnamese placeholder for the options in its usage line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        super().__init__(*args, **kwargs)


class ThiduaGroup(click.Group):
    """The `thidua` group: reports a ThiduaError raised by any command as one clean line on
    stderr and exits with the error's ``exit_code`` (2 for file problems)."""

    command_class = ThiduaCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM_SỐ]...")
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ThiduaError as exc:
            _say(error_message(exc))
            ctx.exit(getattr(exc, "exit_code", EXIT_USAGE))


@click.group(cls=ThiduaGroup, context_settings=CONTEXT_SETTINGS)
@_help
@click.version_option(__version__, "--version", "-V", prog_name="thidua",
                      message="%(prog)s %(version)s", help="In phiên bản rồi thoát.")
def cli() -> None:
    """thidua — tổng kết công tác thi đua, khen thưởng của Khối thi đua từ một sổ Excel
    dùng chung: tạo sổ, kiểm tra, tính điểm, xếp hạng, xét khen thưởng, xuất hồ sơ Word,
    tách và gộp tệp các đơn vị, tổng hợp toàn tỉnh.  Bắt đầu với: thidua demo

    Mã thoát: 0 không có lỗi, 1 dữ liệu có lỗi, 2 lỗi cách gọi lệnh hoặc lỗi tệp.

    Ví dụ: thidua check khoi-2021.xlsx
    """


# ----------------------------------------------------------------------------- helpers


def _workbooks(target: Path) -> list[Path]:
    """A file as given, or the workbooks of a folder (owner files and backups skipped)."""
    from .actions import workbook_files

    if target.is_dir():
        files = workbook_files(target)
        if not files:
            raise ThiduaError(f"Thư mục {target} không có sổ Excel (.xlsx, .xlsm) nào.",
                              str(target))
        return files
    return [target]


class _Failure:
    """A file that could not be processed: the clean message and its exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        self.message, self.exit_code = message, exit_code


def _guarded(work: Callable[[Path], Any], path: Path) -> Any:
    try:
        return work(path)
    except ThiduaError as exc:
        return _Failure(error_message(exc), getattr(exc, "exit_code", EXIT_USAGE))


def _map(files: list[Path], work: Callable[[Path], Any],
         label: str) -> Iterator[tuple[Path, Any]]:
    """(path, outcome) for every file in order; outcome is ``work(path)`` or a
    :class:`_Failure` (a ThiduaError turned into its message).  Several files: a progress bar
    on stderr."""
    if len(files) == 1:
        yield files[0], _guarded(work, files[0])
        return
    with click.progressbar(length=len(files), label=label, file=sys.stderr) as bar:
        for path in files:
            outcome = _guarded(work, path)
            bar.update(1)
            yield path, outcome


def _table(rows: list[list[str]], header: list[str], right: Iterable[int] = ()) -> list[str]:
    """Rows as aligned text columns (the last column is not padded)."""
    right = set(right)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                 for i, c in enumerate(row[:-1])]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    return lines


def _warn(path: Path, report: Any) -> None:
    """Problems, file warnings (macros lost…) and dossier warnings (draft, ties) on stderr."""
    for problem in report.problems:
        _say(f"{path.name}: {problem}")
    for warning in getattr(report, "warnings", ()):
        _say(f"Chú ý: {path.name}: {warning}")
    if report.dossier:
        from .reports import dossier_warnings

        for warning in dossier_warnings(report.result):
            _say(f"Chú ý: {warning}")


def _result_lines(result: Any) -> list[str]:
    """The readable result: one line per unit in rank order, then nominees and leaders."""
    bloc = result.bloc
    rows = []
    for u in result.ranked():
        award = bloc.award(u.award).short_name if u.award else ""
        rows.append([u.code, str(u.rank) if u.rank is not None else "—",
                     format_points(u.total, empty="—"), u.grade or "—", award or "—", u.reason])
    lines = _table(rows, ["Đơn vị", "Hạng", "Tổng điểm", "Xếp loại", "Đề nghị", "Lý do"],
                   right=(1, 2))
    lines.append("")
    for a in bloc.awards:
        names = ", ".join(result.nominees.get(a.key, ())) or "(không có)"
        lines.append(f"{a.short_name} ({result.quotas.get(a.key, 0)} chỉ tiêu): {names}")
    lines.append(f"Trưởng khối năm sau: {result.next_leader or '(chưa xác định)'}; "
                 f"Phó Trưởng khối năm sau: {result.next_deputy or '(chưa xác định)'}")
    if result.leader_note:
        lines.append(f"Ghi chú: {result.leader_note}.")
    if result.ties:
        lines.append("Bằng điểm chưa phân định ở: " + ", ".join(
            bloc.award(k).short_name for k in result.unresolved_ties))
    return lines


# ----------------------------------------------------------------------------- new


@cli.command("new", context_settings=CONTEXT_SETTINGS)
@_help
@click.argument("bloc_toml", metavar="KHOI.toml",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", metavar="SỔ.xlsx|.xlsm", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp sổ cần tạo: .xlsx (không có macro) hoặc .xlsm (có nút lệnh). "
                   "Ví dụ: --out khoi-2021.xlsm")
@click.option("--scores", metavar="TỆP.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp điểm CSV (unit,criterion,self_score,assessed_score,evidence) để điền "
                   "sẵn vào sổ. Ví dụ: --scores scores-2021.csv")
@click.option("--review", metavar="TỆP.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp bình xét CSV (unit,disciplined,votes_…) để điền sẵn. "
                   "Ví dụ: --review review-2021.csv")
@click.option("--conference", metavar="TỆP.toml", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp hội nghị TOML ([conference]) để điền sẵn. "
                   "Ví dụ: --conference conference-2021.toml")
@click.option("--force", is_flag=True,
              help="Ghi đè nếu tệp sổ đã tồn tại (giữ bản sao lưu). Ví dụ: --force")
def new_command(bloc_toml: Path, out: Path, scores: Path | None, review: Path | None,
                conference: Path | None, force: bool) -> None:
    """Tạo sổ Excel dùng chung của Khối từ tệp định nghĩa khối (TOML): mỗi đơn vị một sheet,
    sheet Bình xét, Tổng hợp, Tiêu chí, Cấu hình. Đuôi .xlsm tạo sổ có nút lệnh (macro).

    Ví dụ: thidua new khoi-2021.toml --out khoi-2021.xlsm
    """
    from .actions import new_workbook
    from .definition import load_bloc

    for warning in load_bloc(bloc_toml).warnings:
        _say(f"Chú ý: {warning}")
    out.parent.mkdir(parents=True, exist_ok=True)
    path = new_workbook(bloc_toml, out, scores=scores, review=review, conference=conference,
                        overwrite=force)
    _say(f"Đã tạo sổ {path}.")


# ----------------------------------------------------------------------------- check


@cli.command("check", context_settings=CONTEXT_SETTINGS)
@_help
@click.argument("target", metavar="TỆP|THƯ_MỤC",
                type=click.Path(exists=True, path_type=Path))
@click.pass_context
def check_command(ctx: click.Context, target: Path) -> None:
    """Kiểm tra sổ (hoặc mọi sổ .xlsx/.xlsm trong thư mục) mà không ghi gì: liệt kê từng lỗi
    kèm tên sheet và ô (điểm không phải số, vượt điểm tối đa, sai bước chấm, chưa chấm, thiếu
    hay trùng sheet đơn vị, sheet chép từ sổ năm trước…).

    Ví dụ: thidua check khoi-2021.xlsx
    """
    from .actions import check_workbook

    status = EXIT_OK
    for path, report in _map(_workbooks(target), check_workbook, "Đang kiểm tra"):
        if isinstance(report, _Failure):
            _say(report.message)
            status = max(status, report.exit_code)
            continue
        status = max(status, report.exit_code)
        for warning in report.warnings:
            _say(f"Chú ý: {path.name}: {warning}")
        if report.ok:
            click.echo(f"{path.name}: không có lỗi.")
            continue
        click.echo(f"{path.name}: {len(report.problems)} lỗi")
        for line in report.lines():
            click.echo(f"  {line}")
        if report.blocking:
            click.echo("  (thidua run sẽ không ghi kết quả vào sổ cho đến khi sửa các lỗi về "
                       "cấu trúc sổ ở trên)")
    ctx.exit(status)


# ----------------------------------------------------------------------------- run


@cli.command("run", context_settings=CONTEXT_SETTINGS)
@_help
@click.argument("target", metavar="TỆP|THƯ_MỤC",
                type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="In kết quả dạng JSON (định dạng máy đọc của bloc-format.md) ra stdout. "
                   "Ví dụ: thidua run khoi-2021.xlsx --json")
@click.option("--out", "out_dir", metavar="THƯ_MỤC",
              type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi bộ hồ sơ Word (biên bản, tờ trình, danh sách…); với thư mục "
                   "sổ, mỗi sổ một thư mục con. Ví dụ: --out ho-so-2021")
@click.option("--force", is_flag=True,
              help="Vẫn ghi khi còn tệp khóa ~$ do Excel bị tắt đột ngột để lại (hãy chắc "
                   "chắn sổ không còn mở); với --out, ghi đè các tệp Word đã có. "
                   "Ví dụ: --force")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Số sổ chạy song song khi chạy cả thư mục (mặc định: số nhân CPU). "
                   "Ví dụ: --jobs 2")
@click.pass_context
def run_command(ctx: click.Context, target: Path, as_json: bool, out_dir: Path | None,
                force: bool, jobs: int | None) -> None:
    """Tính điểm, xếp hạng, xếp loại, xét khen thưởng và chọn Trưởng khối năm sau, rồi ghi
    kết quả vào sheet Tổng hợp và cuối mỗi sheet đơn vị (có bản sao lưu bên cạnh sổ). Sổ có
    lỗi cấu trúc (thiếu sheet, sheet của năm khác…) thì không được ghi. Với thư mục: chạy mọi
    sổ (song song), in bảng tóm tắt; JSON khi đó là một danh sách, mỗi phần tử thêm các khóa
    "file", "state", "error".

    Ví dụ: thidua run khoi-2021.xlsx --out ho-so-2021
    """
    if target.is_dir():
        ctx.exit(_run_folder(target, as_json=as_json, out_dir=out_dir, force=force, jobs=jobs))
    from .actions import run_workbook

    try:
        report = run_workbook(target, force=force, out_dir=out_dir, overwrite=force)
    except ThiduaError as exc:
        if as_json:  # a script reading stdout still gets JSON saying why
            click.echo(jsonlib.dumps({
                "file": str(target), "units": [], "nominees": {}, "next_leader": None,
                "next_deputy": None, "quorum_ok": None, "unresolved_ties": [],
                "errors": [{"sheet": "", "cell": "", "message": str(exc)}]},
                ensure_ascii=False, indent=1))
        raise
    if as_json:
        click.echo(jsonlib.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        for line in _result_lines(report.result):
            click.echo(line)
    name = target.name
    _warn(target, report)
    if report.written:
        note = f"Đã ghi kết quả vào {name}"
        if report.backup is not None:
            note += f" (bản sao lưu: {report.backup.name})"
        _say(note + ".")
    elif report.blocking:
        _say(f"{name}: không ghi kết quả"
             + (" và không xuất hồ sơ Word" if out_dir is not None else "")
             + f" vì sổ có {len(report.blocking)} lỗi cấu trúc cần sửa trước (xem ở trên).")
    for doc in report.dossier:
        _say(f"Đã ghi {doc}.")
    ctx.exit(report.exit_code)


def _run_folder(folder: Path, *, as_json: bool, out_dir: Path | None, force: bool,
                jobs: int | None) -> int:
    """`run` on every workbook of a folder (:func:`thidua_xl.batch.run_many`, worker
    processes): progress bar and per-file problems on stderr; the summary table (or the JSON
    list) on stdout.  Returns the worst exit status."""
    from .batch import run_many

    files = _workbooks(folder)              # refuses an empty folder with a clear message
    with click.progressbar(length=len(files), label="Đang tính", file=sys.stderr) as bar:
        report = run_many(folder, jobs=jobs, force=force, out_dir=out_dir,
                          progress=lambda item: bar.update(1))
    for item in report.items:
        if item.failure is not None:
            _say(f"Lỗi: {item.path.name}: {item.failure}")
        for line in item.errors:
            _say(f"{item.path.name}: {line}")
    if as_json:
        click.echo(jsonlib.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        for line in report.table_lines():
            click.echo(line)
    _say(report.summary_line())
    return report.exit_code


# ----------------------------------------------------------------------------- export


@cli.command("export", context_settings=CONTEXT_SETTINGS)
@_help
@click.argument("path", metavar="TỆP", type=click.Path(exists=True, dir_okay=False,
                                                      path_type=Path))
@click.option("--out", "out_dir", required=True, metavar="THƯ_MỤC",
              type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi các tệp xuất ra. Ví dụ: --out du-lieu-2021")
@click.option("--force", is_flag=True,
              help="Ghi đè các tệp cùng tên đã có trong thư mục. Ví dụ: --force")
def export_command(path: Path, out_dir: Path, force: bool) -> None:
    """Xuất dữ liệu trong sổ ra các tệp dùng chung: định nghĩa khối (TOML), điểm (CSV), bình
    xét (CSV), hội nghị (TOML) — tạo lại được sổ bằng thidua new.

    Ví dụ: thidua export khoi-2021.xlsx --out du-lieu-2021
    """
    from .actions import export_workbook

    written = export_workbook(path, out_dir, overwrite=force)
    for file in written.values():
        _say(f"Đã ghi {file}.")


# ----------------------------------------------------------------------------- demo


@cli.command("demo", context_settings=CONTEXT_SETTINGS)
@_help
@click.option("--out", "out_dir", metavar="THƯ_MỤC", default="thidua-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi bản chạy thử. Ví dụ: --out C:\\thidua-demo")
@click.option("--force", is_flag=True,
              help="Ghi lại vào thư mục đã có (thay các tệp của bản chạy thử trước). "
                   "Ví dụ: --force")
def demo_command(out_dir: Path, force: bool) -> None:
    """Chạy trọn một kỳ tổng kết trên Khối mẫu đi kèm (15 tổ chức Hội đặc thù, năm 2021):
    tạo sổ Excel có nút lệnh đã điền điểm, tính điểm, xếp hạng, xét khen thưởng, chọn Trưởng
    khối năm sau, ghi kết quả vào sổ, xuất bộ hồ sơ Word, rồi in bảng tóm tắt.

    Ví dụ: thidua demo --out thidua-demo
    """
    from .demo import run_demo

    _say(f"Đang chạy thử trên Khối mẫu vào thư mục {out_dir} …")
    report = run_demo(out_dir, force=force)
    for line in report.summary_lines():
        click.echo(line)


# ----------------------------------------------------------------------------- report


@cli.command("report", context_settings=CONTEXT_SETTINGS)
@_help
@_workbook_argument
@click.option("--out", "out_dir", required=True, metavar="THƯ_MỤC",
              type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi bộ hồ sơ Word. Ví dụ: --out ho-so-2021")
@click.option("--templates", metavar="THƯ_MỤC",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Thư mục mẫu Word đã sửa; mẫu cùng tên thay mẫu có sẵn. "
                   "Ví dụ: --templates mau-cua-khoi")
@click.option("--pdf", is_flag=True,
              help="Chuyển thêm sang PDF bằng LibreOffice (nếu đã cài). Ví dụ: --pdf")
@click.option("--force", is_flag=True,
              help="Ghi đè các tệp Word đã có trong thư mục (mất các chỉnh sửa tay trong "
                   "đó). Ví dụ: --force")
@click.pass_context
def report_command(ctx: click.Context, path: Path, out_dir: Path, templates: Path | None,
                   pdf: bool, force: bool) -> None:
    """Xuất bộ hồ sơ Word của kỳ tổng kết từ sổ: Báo cáo tổng kết, Biên bản hội nghị, Tờ
    trình đề nghị khen thưởng kèm Danh sách, Bảng tổng hợp và Phiếu chấm điểm từng đơn vị,
    theo thể thức Nghị định 30/2020/NĐ-CP. Không ghi gì vào sổ.

    Ví dụ: thidua report khoi-2021.xlsm --out ho-so-2021 --pdf
    """
    from .actions import run_workbook

    report = run_workbook(path, out_dir=out_dir, write=False, templates=templates, pdf=pdf,
                          overwrite=force)
    _warn(path, report)
    if report.blocking:
        _say(f"{path.name}: không xuất hồ sơ vì sổ có {len(report.blocking)} lỗi cấu trúc cần "
             "sửa trước (xem ở trên).")
    for doc in report.dossier:
        click.echo(str(doc))
    if not report.blocking:
        _say(f"Đã ghi {len(report.dossier)} tệp vào {out_dir}.")
    ctx.exit(report.exit_code)


# ----------------------------------------------------------------------------- excel


@cli.command("excel", context_settings=CONTEXT_SETTINGS)
@_help
@_workbook_argument
@click.option("--out", "out", required=True, metavar="SỔ.xlsm",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Sổ có nút lệnh cần ghi (.xlsm); có thể trùng SỔ để làm mới phần VBA tại "
                   "chỗ (có bản sao lưu). Ví dụ: --out khoi-2021.xlsm")
@click.option("--force", is_flag=True,
              help="Vẫn ghi khi còn tệp khóa ~$ do Excel bị tắt đột ngột để lại. "
                   "Ví dụ: --force")
def excel_command(path: Path, out: Path, force: bool) -> None:
    """Biến sổ .xlsx thành sổ có nút lệnh (.xlsm: dự án VBA xlwings, các nút Tính điểm,
    Xét khen thưởng, Xuất báo cáo Word, Gộp file các đơn vị, Kiểm tra sheet này), hoặc làm
    mới phần VBA của sổ .xlsm cũ sau khi nâng cấp xlwings. Mọi phần khác của sổ giữ nguyên.

    Ví dụ: thidua excel khoi-2021.xlsx --out khoi-2021.xlsm
    """
    from .vba import refresh_vba

    if out.suffix.lower() != ".xlsm":
        raise ThiduaError(f"Sổ có nút lệnh phải có đuôi .xlsm, không phải {out.name}.", str(out))
    backup = refresh_vba(path, out, force=force)
    _say(f"Đã ghi sổ có nút lệnh {out}" + (f" (bản sao lưu: {backup.name})" if backup else "")
         + ".")


# ----------------------------------------------------------------------------- split, collect


@cli.command("split", context_settings=CONTEXT_SETTINGS)
@_help
@_workbook_argument
@click.option("--out", "out_dir", required=True, metavar="THƯ_MỤC",
              type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi các tệp của từng đơn vị. Ví dụ: --out gui-don-vi")
@click.option("--force", is_flag=True,
              help="Ghi đè các tệp cùng tên đã có trong thư mục. Ví dụ: --force")
def split_command(path: Path, out_dir: Path, force: bool) -> None:
    """Tách sổ chung thành mỗi đơn vị một tệp (Hướng dẫn, Tiêu chí và sheet của đơn vị đó,
    được bảo vệ như sổ chung), đặt tên “<mã> - <tên đơn vị> - <năm>.xlsx”, mang mã nhận diện
    ẩn (khối, năm, mã đơn vị, mã kiểm tra bảng tiêu chí) để gộp lại an toàn.

    Ví dụ: thidua split khoi-2021.xlsm --out gui-don-vi
    """
    from .collect import split_workbook

    files = split_workbook(path, out_dir, overwrite=force)
    for file in files:
        click.echo(str(file))
    _say(f"Đã tạo {len(files)} tệp trong {out_dir}.")


@cli.command("collect", context_settings=CONTEXT_SETTINGS)
@_help
@_workbook_argument
@click.argument("inputs", metavar="THƯ_MỤC|TỆP…", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--assessed", is_flag=True,
              help="Gộp cả cột Khối chấm (mặc định chỉ Tự chấm và Minh chứng). "
                   "Ví dụ: --assessed")
@click.option("--dry-run", is_flag=True,
              help="Chỉ liệt kê các ô sẽ thay đổi và các ô xung đột, không ghi gì. "
                   "Ví dụ: --dry-run")
@click.option("--overwrite", is_flag=True,
              help="Ghi đè cả các ô xung đột (sổ chung đã có giá trị khác). "
                   "Ví dụ: --overwrite")
@click.option("--force", is_flag=True,
              help="Vẫn ghi khi còn tệp khóa ~$ do Excel bị tắt đột ngột để lại. "
                   "Ví dụ: --force")
@click.pass_context
def collect_command(ctx: click.Context, path: Path, inputs: tuple[Path, ...], assessed: bool,
                    dry_run: bool, overwrite: bool, force: bool) -> None:
    """Gộp các tệp đơn vị gửi về (tạo bởi thidua split) vào sổ chung: nhận diện tệp theo mã
    ẩn, không theo tên tệp; từ chối tệp của khối/năm khác, bảng tiêu chí đã bị sửa, hai tệp
    của cùng một đơn vị, tệp hỏng; báo trước các ô sẽ đổi và các ô xung đột; ghi an toàn
    (chỉ các ô thay đổi, có bản sao lưu) và ghi nhật ký vào sheet Nhật ký gộp.

    Ví dụ: thidua collect khoi-2021.xlsm thu-ve/ --dry-run
    """
    from .collect import collect, expand_inputs

    files = expand_inputs(path, list(inputs))
    if not files:
        raise ThiduaError("Không có tệp Excel (.xlsx/.xlsm) nào để gộp trong "
                          + ", ".join(map(str, inputs)) + ".", str(inputs[0]))
    report = collect(path, files, assessed=assessed,
                     dry_run=dry_run, overwrite=overwrite, force=force)
    for line in report.summary_lines():
        click.echo(line)
    ctx.exit(EXIT_OK if report.ok else EXIT_DATA)


# ----------------------------------------------------------------------------- province


@cli.command("province", context_settings=CONTEXT_SETTINGS)
@_help
@click.argument("target", metavar="THƯ_MỤC", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out", required=True, metavar="TỆP.xlsx",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Sổ tổng hợp cần tạo. Ví dụ: --out tong-hop-tinh-2021.xlsx")
@click.option("--force", is_flag=True, help="Ghi đè sổ tổng hợp đã có. Ví dụ: --force")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Số sổ đọc song song (mặc định: số nhân CPU). Ví dụ: --jobs 2")
@click.pass_context
def province_command(ctx: click.Context, target: Path, out: Path, force: bool,
                     jobs: int | None) -> None:
    """Tổng hợp mọi sổ của các Khối trong thư mục thành một sổ cho Hội đồng Thi đua – Khen
    thưởng tỉnh: mỗi Khối với số đơn vị, chỉ tiêu và danh sách đề nghị; tổng số theo từng
    hình thức khen thưởng; mỗi hình thức một sheet; các sổ lỗi hoặc chưa xong được liệt kê.

    Ví dụ: thidua province cac-khoi-2021/ --out tong-hop-tinh-2021.xlsx
    """
    from .province import province_rollup

    files = _workbooks(target)
    with click.progressbar(length=len(files), label="Đang đọc", file=sys.stderr) as bar:
        report = province_rollup(target, out, jobs=jobs, overwrite=force,
                                 progress=lambda entry: bar.update(1))
    for line in report.summary_lines():
        click.echo(line)
    ctx.exit(report.exit_code)


# ----------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Console entry point (``thidua``): UTF-8 streams, then the click group; returns the
    exit status (``argv`` defaults to the command line)."""
    _utf8_streams()
    try:
        cli.main(args=argv, prog_name="thidua", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else 1)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
