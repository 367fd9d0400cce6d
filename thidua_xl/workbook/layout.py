"""Layout of the shared workbook: every sheet name, header title and label, and where things sit.

The single source of these strings for the builder, the reader, the writer and the macros
(bloc-format.md, "Workbook layout", is the public part).  Readers match headers and labels with
:func:`thidua_xl.text.fold`, so the constants here are exact.  Pure: no openpyxl/XlsxWriter.

Conventions:

* a *header row* is one row holding a table's column titles; data rows follow it until the
  first row whose first column is blank;
* a *label/value pair* is a label cell with its value in the cell to its right;
* row numbers named ``*_ROW`` are 1-based Excel rows; column letters are Excel letters.
  Readers should locate by header/label, not by position; positions are for the builder.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from ..errors import BlocDefinitionError
from ..model import BONUS, DEDUCTION, STANDARD, Award, Bloc, QuotaStep, UnitResult
from ..numbers import fraction_text
from ..text import fold, normalize

# ----------------------------------------------------------------------------- sheets

GUIDE = "Hướng dẫn"
SUMMARY = "Tổng hợp"
REVIEW = "Bình xét"
CRITERIA = "Tiêu chí"
CONFIG = "Cấu hình"
COLLECT_LOG = "Nhật ký gộp"      # log of `thidua collect`: one row per returned file
XLWINGS_CONF = "xlwings.conf"    # added (hidden, last) by thidua_xl.vba.install

#: Header (row 1) of the collection log; `thidua collect` appends a row per file below it.
COLLECT_LOG_COLUMNS = ("Thời gian", "Tệp", "Đơn vị", "Số ô thay đổi", "Vấn đề")
COLLECT_LOG_HEADER_ROW = 1

#: Sheet names that can never be a unit code's sheet (besides the unit codes themselves).
FIXED_SHEETS = (GUIDE, SUMMARY, REVIEW, CRITERIA, CONFIG, COLLECT_LOG, XLWINGS_CONF)


def sheet_order(bloc: Bloc) -> list[str]:
    """Sheet names of a new workbook, in order: Hướng dẫn, Tổng hợp, Bình xét, one sheet per
    unit (member order, named by the unit code), Tiêu chí, Cấu hình, Nhật ký gộp.
    (``xlwings.conf`` is appended by the macro installer.)"""
    return [GUIDE, SUMMARY, REVIEW, *(u.code for u in bloc.units), CRITERIA, CONFIG, COLLECT_LOG]


# ----------------------------------------------------------------------------- unit sheet

# Identity block (labels in column A, values in column B), rows 2–5.
LABEL_BLOC = "Khối thi đua:"
LABEL_YEAR = "Năm:"
LABEL_UNIT = "Đơn vị:"
LABEL_UNIT_CODE = "Mã đơn vị:"
UNIT_IDENTITY_LABELS = (LABEL_BLOC, LABEL_YEAR, LABEL_UNIT, LABEL_UNIT_CODE)

# Column titles (bloc-format.md: the first six, exactly; the others are ours).
COL_CODE = "Mã"
COL_TEXT = "Tiêu chí"
COL_MAX = "Điểm tối đa"
COL_SELF = "Tự chấm"
COL_ASSESSED = "Khối chấm"
COL_OFFICIAL = "Điểm chính thức"   # formula: Khối chấm if given, else Tự chấm
COL_EVIDENCE = "Minh chứng"
COL_CRITICAL = "Bắt buộc"          # "x" on a critical criterion (tiêu chí bắt buộc, điểm liệt)
#: Header row of a unit sheet, in column order (A…H).
UNIT_COLUMNS = (COL_CODE, COL_TEXT, COL_MAX, COL_SELF, COL_ASSESSED, COL_OFFICIAL,
                COL_EVIDENCE, COL_CRITICAL)
#: The titles bloc-format.md requires on a unit sheet's header row.
UNIT_REQUIRED_COLUMNS = (COL_CODE, COL_TEXT, COL_MAX, COL_SELF, COL_ASSESSED, COL_EVIDENCE)
#: Columns the units fill in (unlocked cells).
UNIT_INPUT_COLUMNS = (COL_SELF, COL_ASSESSED, COL_EVIDENCE)

UNIT_TITLE_ROW = 1
UNIT_IDENTITY_ROW = 2            # first identity label row
UNIT_HEADER_ROW = 7
UNIT_BUTTON_ANCHOR = "D2"        # one button (Kiểm tra sheet này), over empty cells D2:F3

# Result block below the criteria table (labels in column B, values in column C).
LABEL_SELF_TOTAL = "Tổng điểm tự chấm"   # live formula
LABEL_TOTAL = "Tổng điểm"                # live formula (official scores)
LABEL_RANK = "Xếp hạng"                  # written by `thidua run`
LABEL_GRADE = "Xếp loại"
LABEL_PROPOSAL = "Đề nghị"
LABEL_REASON = "Lý do"
UNIT_RESULT_LABELS = (LABEL_SELF_TOTAL, LABEL_TOTAL, LABEL_RANK, LABEL_GRADE, LABEL_PROPOSAL,
                      LABEL_REASON)


def unit_title(bloc: Bloc) -> str:
    """Title line of a unit sheet."""
    return f"BẢNG TỰ CHẤM ĐIỂM THI ĐUA NĂM {bloc.year}"


def section_title(bloc: Bloc, section_code: str) -> str:
    """Text of a section row on a unit sheet: the title, plus the cap for bonus/deductions."""
    from ..numbers import format_number

    s = bloc.section(section_code)
    if s.kind == BONUS:
        return f"{s.title} (được tính tối đa {format_number(bloc.scoring.bonus_cap)} điểm)"
    if s.kind == DEDUCTION:
        cap = bloc.scoring.deduction_cap
        extra = f"; trừ tối đa {format_number(cap)} điểm" if cap is not None else ""
        return f"{s.title} (nhập số điểm bị trừ, số dương{extra})"
    return s.title


# ----------------------------------------------------------------------------- Bình xét

REVIEW_COL_CODE = "Mã đơn vị"
REVIEW_COL_NAME = "Tên đơn vị"
REVIEW_COL_DISCIPLINED = "Kỷ luật"


def votes_header(award: Award) -> str:
    """Column title of an award's votes on `Bình xét`: ``Phiếu <short_name>``
    (``Phiếu Cờ thi đua``, ``Phiếu Bằng khen``)."""
    return f"Phiếu {award.short_name}"


def review_columns(bloc: Bloc) -> list[str]:
    """Header row of `Bình xét`: Mã đơn vị, Tên đơn vị, Kỷ luật, one ``Phiếu …`` per award."""
    return [REVIEW_COL_CODE, REVIEW_COL_NAME, REVIEW_COL_DISCIPLINED,
            *(votes_header(a) for a in bloc.awards)]


# Conference label/value pairs (labels in column B, values in column C).
LABEL_DATE = "Ngày họp"
LABEL_PLACE = "Địa điểm"
LABEL_MEMBERS = "Số thành viên"
LABEL_PRESENT = "Số thành viên có mặt"     # exact label of bloc-format.md
LABEL_BALLOTS_ISSUED = "Số phiếu phát ra"
LABEL_BALLOTS_VALID = "Số phiếu hợp lệ"
LABEL_CHAIR = "Chủ trì"
LABEL_SECRETARY = "Thư ký"
LABEL_ELECTED_LEADER = "Trưởng khối được bầu"
LABEL_ELECTED_DEPUTY = "Phó Trưởng khối được bầu"
#: Conference labels → :class:`~thidua_xl.model.Conference` field names.
CONFERENCE_LABELS: dict[str, str] = {
    LABEL_DATE: "date",
    LABEL_PLACE: "place",
    LABEL_MEMBERS: "members",
    LABEL_PRESENT: "present",
    LABEL_BALLOTS_ISSUED: "ballots_issued",
    LABEL_BALLOTS_VALID: "ballots_valid",
    LABEL_CHAIR: "chair",
    LABEL_SECRETARY: "secretary",
    LABEL_ELECTED_LEADER: "next_leader",
    LABEL_ELECTED_DEPUTY: "next_deputy",
}
REVIEW_TITLE_ROW = 1
REVIEW_CONFERENCE_ROW = 3        # first conference label row (10 rows: 3–12)
REVIEW_HEADER_ROW = 14


def review_title(bloc: Bloc) -> str:
    """Title line of `Bình xét`."""
    return f"HỘI NGHỊ TỔNG KẾT, BÌNH XÉT THI ĐUA NĂM {bloc.year}"


# ----------------------------------------------------------------------------- Tổng hợp

SUM_COL_CODE = "Mã đơn vị"
SUM_COL_NAME = "Tên đơn vị"
SUM_COL_SELF_TOTAL = "Tự chấm"
SUM_COL_TOTAL = "Tổng điểm"
SUM_COL_RANK = "Xếp hạng"
SUM_COL_GRADE = "Xếp loại"
SUM_COL_PROPOSAL = "Đề nghị"
SUM_COL_VOTES = "Phiếu đồng ý"
SUM_COL_STATUS = "Trạng thái"
SUM_COL_REASON = "Lý do"
#: Header row of `Tổng hợp`, in column order (A…J).
SUMMARY_COLUMNS = (SUM_COL_CODE, SUM_COL_NAME, SUM_COL_SELF_TOTAL, SUM_COL_TOTAL, SUM_COL_RANK,
                   SUM_COL_GRADE, SUM_COL_PROPOSAL, SUM_COL_VOTES, SUM_COL_STATUS,
                   SUM_COL_REASON)
#: The titles bloc-format.md requires on `Tổng hợp`'s header row.
SUMMARY_REQUIRED_COLUMNS = (SUM_COL_CODE, SUM_COL_NAME, SUM_COL_SELF_TOTAL, SUM_COL_TOTAL,
                            SUM_COL_RANK, SUM_COL_GRADE, SUM_COL_PROPOSAL, SUM_COL_REASON)

# Label/value pairs above the table (labels in column B, values in column C).
LABEL_STATUS = "Trạng thái tính"       # "Đã tính lúc … — 15 đơn vị, 0 lỗi" (see status_text)
LABEL_NEXT_LEADER = "Trưởng khối năm sau"
LABEL_NEXT_DEPUTY = "Phó Trưởng khối năm sau"
LABEL_QUORUM = "Hội nghị đủ số thành viên"
LABEL_COMPUTED_AT = "Tính lúc"
LABEL_VERSION = "Phiên bản thidua_xl"
LABEL_STAMP = "Mã kiểm tra dữ liệu"


def quota_label(award: Award) -> str:
    """Label of an award's quota on `Tổng hợp`: ``Chỉ tiêu <short_name>``."""
    return f"Chỉ tiêu {award.short_name}"


def summary_labels(bloc: Bloc) -> list[str]:
    """The label/value pairs of `Tổng hợp`, top to bottom."""
    return [LABEL_STATUS, *(quota_label(a) for a in bloc.awards), LABEL_NEXT_LEADER,
            LABEL_NEXT_DEPUTY, LABEL_QUORUM, LABEL_COMPUTED_AT, LABEL_VERSION, LABEL_STAMP]


SUMMARY_TITLE_ROW = 1
SUMMARY_LABEL_ROW = 3            # first label row
SUMMARY_BUTTON_ANCHOR = "H3"     # 4 buttons stacked downwards (≈ 7 rows), right of the labels


def summary_header_row(bloc: Bloc) -> int:
    """1-based row of `Tổng hợp`'s header: below the labels, with a gap that also leaves room
    for the 4 stacked buttons (at least row 13)."""
    return max(SUMMARY_LABEL_ROW + len(summary_labels(bloc)) + 1, 13)


def summary_title(bloc: Bloc) -> str:
    """Title line of `Tổng hợp`."""
    return f"TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM, BÌNH XÉT THI ĐUA NĂM {bloc.year}"


def status_text(when: dt.datetime, units: int, errors: int) -> str:
    """The `Trạng thái tính` value: ``Đã tính lúc 14/01/2022 10:30 — 15 đơn vị, 0 lỗi``."""
    return f"Đã tính lúc {when:%d/%m/%Y %H:%M} — {units} đơn vị, {errors} lỗi"


NOT_COMPUTED = "Chưa tính"


def unit_label(bloc: Bloc, code: str | None) -> str:
    """A unit as written in label values: ``Hội Nhà báo tỉnh (HNB)``; ``""`` for None."""
    if not code:
        return ""
    try:
        return f"{bloc.unit(code).name} ({code})"
    except KeyError:
        return code


def yes_no(value: bool | None) -> str:
    """``Có`` / ``Không`` / ``Chưa ghi nhận`` (None: no ballot recorded)."""
    return "Chưa ghi nhận" if value is None else ("Có" if value else "Không")


def proposal_text(bloc: Bloc, unit: UnitResult) -> str:
    """The `Đề nghị` value of a unit: the award's short name (``Cờ thi đua``), with
    ``(dự kiến)`` while the vote is pending; ``""`` when no award."""
    from ..model import PROPOSED

    if not unit.award:
        return ""
    text = bloc.award(unit.award).short_name
    return f"{text} (dự kiến)" if unit.status == PROPOSED else text


# ----------------------------------------------------------------------------- Tiêu chí

SEC_COL_CODE = "Mã nhóm"
SEC_COL_TITLE = "Tên nhóm"
SEC_COL_KIND = "Loại"
SEC_COL_MAX = "Điểm tối đa"
SECTION_COLUMNS = (SEC_COL_CODE, SEC_COL_TITLE, SEC_COL_KIND, SEC_COL_MAX)

CRIT_COL_CODE = "Mã"
CRIT_COL_SECTION = "Nhóm"
CRIT_COL_TEXT = "Tiêu chí"
CRIT_COL_MAX = "Điểm tối đa"
CRIT_COL_CRITICAL = "Bắt buộc"
CRITERION_COLUMNS = (CRIT_COL_CODE, CRIT_COL_SECTION, CRIT_COL_TEXT, CRIT_COL_MAX,
                     CRIT_COL_CRITICAL)
CRITICAL_MARK = "x"

#: Section kind → its Vietnamese label on `Tiêu chí`.
SECTION_KIND_LABELS = {STANDARD: "Tiêu chí chuẩn", BONUS: "Điểm thưởng", DEDUCTION: "Điểm trừ"}
CRITERIA_SECTIONS_HEADER_ROW = 3


def section_kind(label: object) -> object:
    """Inverse of :data:`SECTION_KIND_LABELS` by :func:`fold`; the English kind is accepted as
    well; anything else is returned as typed (the definition check then names it)."""
    key = fold(label)
    for kind, text in SECTION_KIND_LABELS.items():
        if key in (fold(text), kind):
            return kind
    return label


def section_rows(bloc: Bloc) -> list[tuple[str, str, str, Decimal]]:
    """Rows of the sections table: (code, title, kind label, max points)."""
    return [(s.code, s.title, SECTION_KIND_LABELS[s.kind], s.max_points) for s in bloc.sections]


def criterion_rows(bloc: Bloc) -> list[tuple[str, str, str, Decimal, str]]:
    """Rows of the criteria table: (code, section, text, max points, ``x`` or ``""``)."""
    return [(c.code, c.section, c.text, c.max_points, CRITICAL_MARK if c.critical else "")
            for c in bloc.criteria]


# ----------------------------------------------------------------------------- Cấu hình

CFG_COL_KEY = "Khóa"
CFG_COL_VALUE = "Giá trị"
CFG_COL_NOTE = "Ghi chú"
CONFIG_COLUMNS = (CFG_COL_KEY, CFG_COL_VALUE, CFG_COL_NOTE)
UNITS_COL_CODE = "Mã đơn vị"
UNITS_COL_NAME = "Tên đơn vị"
UNITS_COLUMNS = (UNITS_COL_CODE, UNITS_COL_NAME)
GRADES_COL_CODE = "Mã xếp loại"
GRADES_COL_NAME = "Tên xếp loại"
GRADES_COL_MIN = "Điểm tối thiểu"
GRADES_COLUMNS = (GRADES_COL_CODE, GRADES_COL_NAME, GRADES_COL_MIN)
CONFIG_HEADER_ROW = 3

DOCUMENT_LIST_NOTE = "Danh sách: mỗi dòng trong ô là một mục"
DOCUMENT_JSON_NOTE = "Giá trị phức hợp, ghi dạng JSON"

_INT_KEYS = {"schema", "bloc.year", "workbook.backups"}
_NOTES = {
    "schema": "Phiên bản định dạng cấu hình (luôn là 1)",
    "bloc.name": "Tên Khối thi đua",
    "bloc.province": "Tỉnh, thành phố",
    "bloc.year": "Năm thi đua được tổng kết",
    "bloc.leader": "Mã đơn vị Trưởng khối năm nay",
    "bloc.deputy": "Mã đơn vị Phó Trưởng khối năm nay (để trống nếu không có)",
    "scoring.base_points": "Tổng điểm tối đa các nhóm tiêu chí chuẩn",
    "scoring.step": "Bước chấm điểm (điểm phải là bội số của bước này)",
    "scoring.bonus_cap": "Điểm thưởng được tính tối đa",
    "scoring.deduction_cap": "Điểm trừ tối đa (để trống nếu không giới hạn)",
    "review.quorum": "Tỉ lệ thành viên phải có mặt để hội nghị hợp lệ (dạng a/b)",
    "review.tie_break": "Thứ tự tiêu chí phân định thứ hạng khi bằng điểm, cách nhau bằng dấu "
                        "phẩy: total (tổng điểm), section:<mã nhóm> (điểm nhóm), "
                        "fewer_deductions (ít điểm trừ hơn)",
    "review.leader_rule": "Cách chọn Trưởng khối năm sau: deputy_succeeds (Phó Trưởng khối kế "
                          "nhiệm), rotation (luân phiên), vote (bầu tại hội nghị)",
    "workbook.backups": "Số bản sao lưu giữ lại bên cạnh sổ khi ghi kết quả",
}
_AWARD_NOTES = {
    "name": "Tên đầy đủ của hình thức khen thưởng",
    "short_name": "Tên ngắn dùng trong tiêu đề cột",
    "min_grade": "Mức xếp loại tối thiểu để được xét",
    "quota": "Chỉ tiêu theo số đơn vị của khối, dạng “số đơn vị tối thiểu:số chỉ tiêu” "
             "cách nhau bằng dấu chấm phẩy (ví dụ 1:1; 10:2)",
    "quota_fraction": "Chỉ tiêu theo tỉ lệ số đơn vị của khối (dạng a/b)",
    "rounding": "Cách làm tròn chỉ tiêu theo tỉ lệ: floor (làm tròn xuống), half_up "
                "(làm tròn nửa lên)",
    "vote_threshold": "Đơn vị cần số phiếu đồng ý nhiều hơn tỉ lệ này của tổng số thành viên",
}


def quota_text(steps: Sequence[QuotaStep]) -> str:
    """Quota steps as one cell: ``1:1; 10:2`` (min_units:count, ascending)."""
    return "; ".join(f"{s.min_units}:{s.count}" for s in steps)


def parse_quota_text(text: object, where: str = f"{CONFIG}: awards.*.quota") -> list[dict]:
    """Inverse of :func:`quota_text`: ``"1:1; 10:2"`` → ``[{"min_units": 1, "count": 1}, …]``.

    Raises :class:`BlocDefinitionError` (``where``) when a part is not ``a:b`` with whole numbers.
    """
    steps = []
    for part in normalize(text).replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.split(":")]
        if len(pieces) != 2 or not all(p.isdigit() for p in pieces):
            raise BlocDefinitionError(
                f"chỉ tiêu “{part}” phải có dạng số đơn vị tối thiểu:số chỉ tiêu, ví dụ "
                "1:1; 10:2", where)
        steps.append({"min_units": int(pieces[0]), "count": int(pieces[1])})
    return steps


def _flatten_documents(prefix: str, value: Any, out: list[tuple[str, Any, str]]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten_documents(f"{prefix}.{k}", v, out)
    elif isinstance(value, (list, tuple)):
        if all(isinstance(x, str) for x in value):
            out.append((prefix, "\n".join(value), DOCUMENT_LIST_NOTE))
        else:
            out.append((prefix, json.dumps(value, ensure_ascii=False, default=str),
                        DOCUMENT_JSON_NOTE))
    elif isinstance(value, (dt.date, dt.time)):
        out.append((prefix, value.isoformat(), ""))
    else:
        out.append((prefix, value, ""))


def config_rows(bloc: Bloc) -> list[tuple[str, Any, str]]:
    """Every scalar of the definition as ``(dotted key, value, Vietnamese note)`` rows for the
    `Cấu hình` key/value table.

    Values: ``str``, ``int``, ``Decimal`` (points), ``bool`` or ``None`` (blank cell: no
    deputy, no deduction cap).  Shares are ``"a/b"`` text, ``review.tie_break`` is
    comma-separated, ``awards.<key>.quota`` is ``"1:1; 10:2"``.  ``[documents]`` keys become
    ``documents.<key>`` rows (a list of texts: one line per item).  The workbook password is
    never included.  Units, grades, sections and criteria are separate tables (:func:`unit_rows`,
    :func:`grade_rows`, :func:`section_rows`, :func:`criterion_rows`).
    """
    sc, rv = bloc.scoring, bloc.review
    rows: list[tuple[str, Any]] = [
        ("schema", bloc.schema),
        ("bloc.name", bloc.name),
        ("bloc.province", bloc.province),
        ("bloc.year", bloc.year),
        ("bloc.leader", bloc.leader),
        ("bloc.deputy", bloc.deputy),
        ("scoring.base_points", sc.base_points),
        ("scoring.step", sc.step),
        ("scoring.bonus_cap", sc.bonus_cap),
        ("scoring.deduction_cap", sc.deduction_cap),
        ("review.quorum", fraction_text(rv.quorum)),
        ("review.tie_break", ", ".join(rv.tie_break)),
        ("review.leader_rule", rv.leader_rule),
    ]
    out = [(k, v, _NOTES[k]) for k, v in rows]
    for a in bloc.awards:
        p = f"awards.{a.key}"
        items: list[tuple[str, Any]] = [("name", a.name), ("short_name", a.short_name),
                                        ("min_grade", a.min_grade)]
        if a.quota_steps:
            items.append(("quota", quota_text(a.quota_steps)))
        else:
            items += [("quota_fraction", fraction_text(a.quota_fraction)),
                      ("rounding", a.rounding)]
        items.append(("vote_threshold", fraction_text(a.vote_threshold)))
        out += [(f"{p}.{k}", v, f"{a.short_name}: {_AWARD_NOTES[k]}") for k, v in items]
    out.append(("workbook.backups", bloc.workbook.backups, _NOTES["workbook.backups"]))
    for key, value in bloc.documents.items():
        _flatten_documents(f"documents.{key}", value, out)
    return out


def unit_rows(bloc: Bloc) -> list[tuple[str, str]]:
    """Rows of the units table of `Cấu hình`, in member order: (code, name)."""
    return [(u.code, u.name) for u in bloc.units]


def grade_rows(bloc: Bloc) -> list[tuple[str, str, Decimal]]:
    """Rows of the grades table of `Cấu hình`: (code, name, min_total points)."""
    return [(g.code, g.name, g.min_total) for g in bloc.scoring.grades]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not normalize(value))


def _as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _as_text(value: Any) -> Any:
    """A text cell that Excel may have turned into a number (e.g. a code "10")."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = _as_int(value)
        return str(value) if not isinstance(value, float) else repr(value)
    return normalize(value) if isinstance(value, str) else value


def _number(value: Any) -> Any:
    # Floats come from numeric cells; their shortest repr is what was typed (0.25, 17.5).
    if isinstance(value, float):
        return Decimal(repr(value))
    return normalize(value) if isinstance(value, str) else value


def _put(target: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise BlocDefinitionError(f"khóa “{dotted}” xung đột với một khóa khác",
                                      f"{CONFIG}: {dotted}")
    node[parts[-1]] = value


def config_dict(rows: Iterable[Sequence[Any]], units: Iterable[Sequence[Any]],
                grades: Iterable[Sequence[Any]],
                sections: Iterable[Sequence[Any]] | None = None,
                criteria: Iterable[Sequence[Any]] | None = None) -> dict[str, Any]:
    """Inverse of :func:`config_rows` & co.: raw cell values → the dict of bloc-format.md keys
    that :func:`thidua_xl.definition.bloc_from_dict` validates.

    ``rows``: ``(key, value[, note])``; ``units``: ``(code, name)``; ``grades``: ``(code, name,
    min_total)``; ``sections``: ``(code, title, kind label, max_points)``; ``criteria``:
    ``(code, section, text, max_points, critical mark)`` — as read from the sheets (``None``
    for blank cells, floats for numbers, possibly numbers where text was meant).  Rows with a
    blank key/code are skipped; blank values are omitted (the definition's defaults apply).
    Floats become exact Decimals through their shortest repr.  Unknown keys pass through.
    Raises :class:`BlocDefinitionError` for a malformed ``awards.*.quota``.
    """
    data: dict[str, Any] = {}
    for row in rows:
        row = list(row) + [None] * 3
        key, value, note = normalize(row[0]), row[1], normalize(row[2])
        if not key or _blank(value):
            continue
        if key in _INT_KEYS:
            value = _as_int(_number(value))
        elif key.startswith("awards.") and key.endswith(".quota"):
            value = parse_quota_text(value, f"{CONFIG}: {key}")
        elif key == "review.tie_break":
            value = [p.strip() for p in normalize(value).split(",") if p.strip()]
        elif key.startswith("scoring."):
            value = _number(value)
        elif key.startswith("documents."):
            if fold(note) == fold(DOCUMENT_LIST_NOTE) or (isinstance(value, str)
                                                         and "\n" in value):
                value = [normalize(x) for x in str(value).splitlines() if normalize(x)]
            elif fold(note) == fold(DOCUMENT_JSON_NOTE):
                try:
                    value = json.loads(value)
                except (TypeError, ValueError):
                    raise BlocDefinitionError("giá trị không phải JSON hợp lệ",
                                              f"{CONFIG}: {key}") from None
            elif isinstance(value, str):
                value = normalize(value)
            elif isinstance(value, float):
                value = _as_int(value)
        else:
            value = _as_text(value)
        _put(data, key, value)

    data["units"] = [{"code": _as_text(r[0]), "name": _as_text(r[1])}
                     for r in map(list, units) if not _blank(r[0])]
    scoring = data.setdefault("scoring", {})
    scoring["grades"] = [{"code": _as_text(r[0]), "name": _as_text(r[1]),
                          "min_total": _number(r[2])}
                         for r in map(list, grades) if not _blank(r[0])]
    if sections is not None:
        data["sections"] = [{"code": _as_text(r[0]), "title": _as_text(r[1]),
                             "kind": section_kind(r[2]), "max_points": _number(r[3])}
                            for r in map(list, sections) if not _blank(r[0])]
    if criteria is not None:
        out = []
        for r in map(list, criteria):
            r += [None] * (5 - len(r))
            if _blank(r[0]):
                continue
            mark = r[4]
            if isinstance(mark, str) or mark is None:
                mark = normalize(mark)
                mark = True if fold(mark) == CRITICAL_MARK else (False if not mark else mark)
            out.append({"code": _as_text(r[0]), "section": _as_text(r[1]),
                        "text": _as_text(r[2]), "max_points": _number(r[3]),
                        "critical": mark})
        data["criteria"] = out
    return data


# ----------------------------------------------------------------------------- Hướng dẫn

GUIDE_TITLE_ROW = 1
