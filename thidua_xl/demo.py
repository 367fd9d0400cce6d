"""`thidua demo`: the whole round on the bundled reference bloc, end to end.

Builds the macro-enabled workbook filled with the reference data, runs the review through the
same library functions as `thidua run` (results written back into the workbook), writes the
Word dossier and returns a report whose :meth:`DemoReport.summary_lines` the CLI prints.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ThiduaError
from .model import ReviewResult
from .numbers import format_points, two_digits
from .resources import reference_files

WORKBOOK_NAME = "khoi-thi-dua-{year}.xlsm"
DOSSIER_DIR = "ho-so-word"
DATA_DIR = "du-lieu-mau"


@dataclass(frozen=True)
class DemoReport:
    """What the demo produced: the folder, the workbook, the input copies, the Word files and
    the review result."""

    out_dir: Path
    workbook: Path
    inputs: tuple[Path, ...]
    dossier: tuple[Path, ...]
    result: ReviewResult

    def summary_lines(self) -> list[str]:
        """A Vietnamese summary: units by rank, nominee lists, next leader and deputy, files."""
        return summary_lines(self.result) + [
            "",
            "Các tệp đã tạo:",
            f"  Sổ Excel (có nút lệnh): {self.workbook}",
            f"  Hồ sơ Word ({len(self.dossier)} tệp): {self.workbook.parent / DOSSIER_DIR}",
            f"  Dữ liệu mẫu (định nghĩa khối, điểm, bình xét): {self.out_dir / DATA_DIR}",
        ]


def summary_lines(result: ReviewResult) -> list[str]:
    """The result as a readable table plus the nominee lists and the next leader/deputy."""
    bloc = result.bloc
    names = {u.code: u.name for u in bloc.units}
    awards = {a.key: a for a in bloc.awards}
    header = ("Hạng", "Mã", "Đơn vị", "Tổng điểm", "Xếp loại", "Đề nghị")
    rows = []
    for u in result.ranked():
        rows.append((str(u.rank or "—"), u.code, u.name, format_points(u.total, empty="—"),
                     u.grade or "—", awards[u.award].short_name if u.award else ""))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    right = {0, 3}

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    lines = [f"{bloc.name} — năm {bloc.year}", "", line(header),
             "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in rows]
    lines.append("")
    for a in bloc.awards:
        codes = result.nominees.get(a.key, ())
        lines.append(f"{a.name}: {two_digits(len(codes))} đơn vị "
                     f"(chỉ tiêu {two_digits(result.quotas[a.key])})"
                     + (" — " + ", ".join(f"{c} ({names[c]})" for c in codes) if codes else ""))
    for award in result.unresolved_ties:
        lines.append(f"Bằng điểm chưa phân định ở chỉ tiêu {awards[award].short_name}.")
    if result.quorum_ok is False:
        lines.append("Hội nghị không đủ số thành viên có mặt: chưa đề nghị khen thưởng.")
    elif not result.ballots:
        lines.append("Chưa ghi kết quả bỏ phiếu: danh sách trên là dự kiến.")
    lead, dep = result.next_leader, result.next_deputy
    lines.append(f"Trưởng khối năm {bloc.year + 1}: "
                 + (f"{lead} ({names[lead]})" if lead else "chưa xác định"))
    lines.append(f"Phó Trưởng khối năm {bloc.year + 1}: "
                 + (f"{dep} ({names[dep]})" if dep else "chưa xác định"))
    if result.leader_note:
        lines.append(f"Ghi chú: {result.leader_note}.")
    if result.errors:
        lines.append(f"Dữ liệu có {len(result.errors)} lỗi; chạy `thidua check` để xem chi tiết.")
    return lines


def run_demo(out_dir: str | Path = "thidua-demo", *, force: bool = False) -> DemoReport:
    """Run the whole round on the bundled reference bloc into ``out_dir``.

    Creates ``out_dir`` with: a copy of the reference inputs (``du-lieu-mau/``), the filled
    macro-enabled workbook with results written in, and the Word dossier (``ho-so-word/``).

    Raises :class:`ThiduaError` when ``out_dir`` exists and is not empty (unless ``force``:
    then the demo's own files in it are replaced), and the library's errors otherwise.
    """
    from .actions import new_workbook, run_workbook
    from .definition import load_bloc

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ThiduaError(f"{out} đã có và không phải là thư mục.", str(out))
    if out.exists() and any(out.iterdir()) and not force:
        raise ThiduaError(f"Thư mục {out} đã có và không trống; thidua không ghi đè. "
                          "Hãy chọn thư mục khác, hoặc thêm --force để ghi lại bản chạy thử.",
                          str(out))
    ref = reference_files()
    bloc = load_bloc(ref["bloc"])
    data_dir = out / DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    inputs = []
    for role in ("bloc", "scores", "review", "conference"):
        inputs.append(Path(shutil.copyfile(ref[role], data_dir / ref[role].name)))
    workbook = out / WORKBOOK_NAME.format(year=bloc.year)
    if force and workbook.exists():
        workbook.unlink()
    dossier_dir = out / DOSSIER_DIR
    if force and dossier_dir.exists():
        shutil.rmtree(dossier_dir)
    new_workbook(inputs[0], workbook, scores=inputs[1], review=inputs[2],
                 conference=inputs[3], macros=True)
    report = run_workbook(workbook, out_dir=dossier_dir, backups=0)
    return DemoReport(out_dir=out, workbook=workbook, inputs=tuple(inputs),
                      dossier=tuple(report.dossier), result=report.result)
