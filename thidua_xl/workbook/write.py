"""Writing a review's results back into the shared workbook, safely.

:func:`result_cells` and :func:`stamp_cells` are pure: they say which value goes into which
cell (``{sheet: {"C36": value}}``), from a :class:`~thidua_xl.model.ReviewResult` and the
positions read by :func:`~thidua_xl.workbook.read.read_round`.  They only ever name result
cells — `Tổng hợp` rows and labels, and the result block of each unit sheet (rank, grade,
proposal, reason) — never a cell people type into, and never a cell holding a formula (the
live totals of a unit sheet; in `Tổng hợp`, where the builder writes values, a formula
someone typed or an older workbook's link such as ``='HNB'!$C$34``).  `Tổng hợp`'s `Tự chấm`
and `Tổng điểm` are the engine's totals, blank for a unit with data errors.  The Excel macros
reuse them with xlwings, so the CLI and the buttons write the same cells.

:func:`write_results` puts those values into the file without an openpyxl round trip
(:func:`thidua_xl.xlsxpatch.patch_cells` edits only the worksheets concerned), keeps
timestamped backups and replaces the file atomically (:func:`thidua_xl.safefile.atomic_write`),
and refuses while Excel has the workbook open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from .. import __version__
from ..datafiles import conference_to_dict
from ..definition import bloc_to_dict
from ..errors import WorkbookError
from ..model import STATUS_LABELS, ReviewResult, RoundInput
from ..numbers import NotANumber, parse_score
from ..text import normalize
from . import layout as L
from .read import WorkbookRound

__all__ = ["result_cells", "stamp_cells", "input_checksum", "write_results"]

Cells = dict[str, dict[str, Any]]


def _blank(value: Any) -> Any:
    """``""`` and ``None`` both clear the cell (an old result must not linger)."""
    return None if value is None or value == "" else value


def result_cells(result: ReviewResult, wround: WorkbookRound) -> Cells:
    """The result values to write, as ``{sheet: {cell ref: value}}``.

    * `Tổng hợp`: per unit (on the row already holding its code, else on new rows after the
      table, code and name included) `Tự chấm`, `Tổng điểm` (points, Decimal), `Xếp hạng`
      (int), `Xếp loại`, `Đề nghị`, `Phiếu đồng ý` (int), `Trạng thái`, `Lý do`; and the
      label values: quota per award (count), next leader and deputy, quorum (Có/Không/Chưa
      ghi nhận).
    * each unit sheet: `Xếp hạng`, `Xếp loại`, `Đề nghị`, `Lý do`.

    Cells holding a formula (``formula_cells`` of the places read) are skipped on every sheet.

    ``None`` clears a cell.  Raises :class:`WorkbookError` if a target is an input cell
    (a layout damaged so that a result label sits next to an input).
    """
    bloc = result.bloc
    cells: Cells = {}
    summary = wround.summary
    if summary is not None:
        sheet = cells.setdefault(summary.sheet, {})
        cols = summary.columns
        extra = summary.next_row
        for unit in result.units:
            row = summary.unit_rows.get(unit.code)
            if row is None:
                row, extra = extra, extra + 1
                sheet[f"{cols[L.SUM_COL_CODE]}{row}"] = unit.code
                sheet[f"{cols[L.SUM_COL_NAME]}{row}"] = unit.name
            votes = unit.votes.get(unit.award) if unit.award else None
            values = {
                L.SUM_COL_SELF_TOTAL: unit.self_total,
                L.SUM_COL_TOTAL: unit.total,
                L.SUM_COL_RANK: unit.rank,
                L.SUM_COL_GRADE: unit.grade,
                L.SUM_COL_PROPOSAL: L.proposal_text(bloc, unit),
                L.SUM_COL_VOTES: votes,
                L.SUM_COL_STATUS: STATUS_LABELS.get(unit.status, unit.status),
                L.SUM_COL_REASON: unit.reason,
            }
            for title, value in values.items():
                ref = f"{cols[title]}{row}" if title in cols else None
                if ref is not None and ref not in summary.formula_cells:
                    sheet[ref] = _blank(value)
        labels = {L.quota_label(a): result.quotas.get(a.key) for a in bloc.awards}
        labels.update({
            L.LABEL_NEXT_LEADER: L.unit_label(bloc, result.next_leader),
            L.LABEL_NEXT_DEPUTY: L.unit_label(bloc, result.next_deputy),
            L.LABEL_QUORUM: L.yes_no(result.quorum_ok),
        })
        for label, value in labels.items():
            ref = summary.label_cells.get(label)
            if ref is not None and ref not in summary.formula_cells:
                sheet[ref] = _blank(value)

    for unit in result.units:
        place = wround.units.get(unit.code)
        if place is None:
            continue
        values = {L.LABEL_RANK: unit.rank, L.LABEL_GRADE: unit.grade,
                  L.LABEL_PROPOSAL: L.proposal_text(bloc, unit), L.LABEL_REASON: unit.reason}
        for label, value in values.items():
            ref = place.result_cells.get(label)
            if ref is not None and ref not in place.formula_cells:
                cells.setdefault(place.sheet, {})[ref] = _blank(value)
    _refuse_inputs(cells, wround)
    return cells


def stamp_cells(result: ReviewResult, wround: WorkbookRound, *, when: dt.datetime,
                version: str = __version__, checksum: str | None = None) -> Cells:
    """The run's stamp on `Tổng hợp`: `Trạng thái tính` (``Đã tính lúc … — n đơn vị, k lỗi``),
    `Tính lúc` (text ``dd/mm/yyyy hh:mm``: the cell may have no date format), `Phiên bản
    thidua_xl` and `Mã kiểm tra dữ liệu` (``checksum``, default :func:`input_checksum` of the
    round read).  Cells holding a formula are skipped, as in :func:`result_cells`."""
    summary = wround.summary
    if summary is None:
        return {}
    if checksum is None:
        checksum = input_checksum(wround.round_input)
    values = {
        L.LABEL_STATUS: L.status_text(when, len(result.units), len(result.errors)),
        L.LABEL_COMPUTED_AT: f"{when:%d/%m/%Y %H:%M}",
        L.LABEL_VERSION: version,
        L.LABEL_STAMP: checksum,
    }
    cells = {summary.sheet: {summary.label_cells[k]: v for k, v in values.items()
                             if k in summary.label_cells
                             and summary.label_cells[k] not in summary.formula_cells}}
    _refuse_inputs(cells, wround)
    return cells


def _refuse_inputs(cells: Cells, wround: WorkbookRound) -> None:
    for sheet, values in cells.items():
        clash = sorted(set(values) & set(wround.input_cells.get(sheet, ())))
        if clash:
            raise WorkbookError(f"Ô {sheet}!{clash[0]} vừa là ô nhập liệu vừa là ô kết quả "
                                "(bố cục sổ bị thay đổi); thidua không ghi đè dữ liệu đã nhập.",
                                f"{sheet}!{clash[0]}")


def _canon(value: Any) -> str:
    """A typed value in canonical form: a number as plain decimal text, else clean text."""
    try:
        number = parse_score(value)
    except NotANumber:
        return normalize(value)
    return "" if number is None else f"{number.normalize():f}"


def input_checksum(data: RoundInput) -> str:
    """SHA-256 (hex) of the canonical inputs: definition, non-blank score entries (numbers
    canonical, so ``9,5`` and 9.5 agree), review facts that say something, conference.

    The same data gives the same checksum whether it came from the workbook or the CSV/TOML
    files; cell positions and read errors are not part of it."""
    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return f"{v.normalize():f}"
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        return str(v)

    scores = sorted(
        [e.unit, e.criterion, _canon(e.self_score), _canon(e.assessed_score),
         normalize(e.evidence)] for e in data.scores)
    scores = [s for s in scores if any(s[2:])]
    facts = {}
    for code, f in sorted(data.facts.items()):
        votes = {k: v for k, v in sorted(f.votes.items()) if v is not None}
        if f.disciplined or votes:
            facts[code] = {"disciplined": bool(f.disciplined), "votes": votes}
    conference = conference_to_dict(data.conference) if data.conference else {}
    payload = {"bloc": bloc_to_dict(data.bloc), "scores": scores, "facts": facts,
               "conference": conference or None}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _merge(*parts: Mapping[str, Mapping[str, Any]]) -> Cells:
    out: Cells = {}
    for part in parts:
        for sheet, values in part.items():
            out.setdefault(sheet, {}).update(values)
    return out


def write_results(path: str | os.PathLike[str], result: ReviewResult, wround: WorkbookRound, *,
                  force: bool = False, backups: int | None = None, original: bytes | None = None,
                  when: dt.datetime | None = None) -> Path | None:
    """Write ``result`` into the workbook at ``path``; return the backup made (or None).

    Values: :func:`result_cells` + :func:`stamp_cells` (time ``when``, default now).  The file
    is patched in place of its worksheets only, then replaced atomically; ``backups``
    (default: the bloc's ``workbook.backups``) timestamped copies are kept beside it.
    ``original``: the bytes ``wround`` was read from — when given, the write is refused if the
    file changed since (someone saved it meanwhile).

    Raises :class:`WorkbookError` (Vietnamese) when the read found blocking problems, when
    Excel or LibreOffice has the file open (owner/lock file; ``force`` overrides), when the
    file changed since it was read, or when a cell cannot be written.
    """
    from ..safefile import atomic_write, check_not_open, read_bytes
    from ..xlsxpatch import patch_cells

    path = Path(path)
    if wround.blocking:
        raise WorkbookError("Không ghi kết quả vào sổ vì sổ có lỗi cần sửa trước: "
                            f"{wround.blocking_summary()}", str(path))
    check_not_open(path, force)
    data = read_bytes(path)
    if original is not None and data != original:
        raise WorkbookError(f"Tệp {path.name} đã thay đổi trong lúc tính (có người vừa lưu "
                            "tệp). Hãy chạy lại.", str(path))
    when = when or dt.datetime.now().replace(second=0, microsecond=0)
    cells = _merge(result_cells(result, wround), stamp_cells(result, wround, when=when))
    patched = patch_cells(data, cells)
    keep = wround.bloc.workbook.backups if backups is None else backups
    return atomic_write(path, patched, backups=keep, force=force)
