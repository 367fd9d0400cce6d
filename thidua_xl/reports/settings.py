"""The bloc definition's optional ``[documents]`` table: who issues and signs the dossier, the
legal bases, next year's directions, the recipients.  Every key is optional; the defaults suit
a bloc of provincial associations (the reference bloc) and follow domain.md §5, §6 and §8.

Keys (all strings unless stated)::

    [documents]
    parent_body = "KHỐI THI ĐUA CÁC TỔ CHỨC HỘI ĐẶC THÙ TỈNH"  # default: the bloc name, upper-cased; "" = no line
    issuer = "LIÊN HIỆP CÁC HỘI KHOA HỌC VÀ KỸ THUẬT TỈNH"    # default: the leader unit's name, upper-cased
    number_suffix = "LHH"          # after the type code: Số: ……/BC-LHH, ……/TTr-LHH, ……/BB-LHH (default: leader's code)
    place = "An Bình"              # place in the date line (default: the province)
    date = 2022-01-20              # date of the report and the proposal (default: the conference date)
    signing_capacity = "TM. BAN THƯỜNG VỤ"   # "" = no line; "KT. CHỦ TỊCH" when a deputy signs
    signer_title = "CHỦ TỊCH"
    signer_name = "Nguyễn Văn A"   # default: blank, to sign by hand
    commendation_board = "Ban Thi đua – Khen thưởng, Sở Nội vụ"
    legal_bases = ["Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022", …]   # list; default by date
    directions = ["Tiếp tục …", …]  # list of paragraphs (or one text, one paragraph per line)
    recipients = ["Ban Thi đua – Khen thưởng, Sở Nội vụ", "Các đơn vị thành viên Khối", "Lưu: VT"]
    [documents.reason_lines]       # per award key; placeholders {khoi} (Khối …) and {nam} (year)
    emulation_flag = "Đã có thành tích xuất sắc trong công tác, dẫn đầu phong trào thi đua {khoi} năm {nam}"
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import BlocDefinitionError
from ..model import EMULATION_FLAG, Bloc
from .format import clean_text

DEFAULT_SIGNING_CAPACITY = "TM. BAN THƯỜNG VỤ"
DEFAULT_SIGNER_TITLE = "CHỦ TỊCH"
DEFAULT_COMMENDATION_BOARD = "Ban Thi đua – Khen thưởng, Sở Nội vụ"

#: The province's own regulation: a line to complete (domain.md §4.2).
PROVINCE_REGULATION = ("Quy định về công tác thi đua, khen thưởng trên địa bàn tỉnh {tinh} (số …… "
                       "ngày …… của Ủy ban nhân dân tỉnh)")

#: Legal bases of documents dated before :data:`LAW_2022_IN_FORCE`: the 2003 Law as amended
#: in 2013, Nghị định 91/2017 and Thông tư 12/2019 (domain.md §4.1, [S38], [S41]).  Each is
#: written after "Căn cứ ".
LEGAL_BASES_2003 = (
    "Luật Thi đua, Khen thưởng ngày 26 tháng 11 năm 2003",
    "Luật sửa đổi, bổ sung một số điều của Luật Thi đua, Khen thưởng ngày 16 tháng 11 năm 2013",
    "Nghị định số 91/2017/NĐ-CP ngày 31 tháng 7 năm 2017 của Chính phủ quy định chi tiết thi "
    "hành một số điều của Luật Thi đua, khen thưởng",
    "Thông tư số 12/2019/TT-BNV ngày 04 tháng 11 năm 2019 của Bộ Nội vụ quy định chi tiết thi "
    "hành một số điều của Nghị định số 91/2017/NĐ-CP",
    PROVINCE_REGULATION,
)

#: Legal bases of documents dated from :data:`LAW_2022_IN_FORCE` until the day before
#: :data:`CIRCULAR_01_2024_ISSUED`: the 2022 Law and Nghị định 98/2023 (domain.md §4.1,
#: [S34], [S36]); Thông tư 01/2024 did not exist yet.
LEGAL_BASES_2022_EARLY = (
    "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
    "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi "
    "hành một số điều của Luật Thi đua, khen thưởng",
    PROVINCE_REGULATION,
)

#: Legal bases of documents dated from :data:`CIRCULAR_01_2024_ISSUED`: the above and Thông
#: tư 01/2024/TT-BNV (24/02/2024, domain.md §4.1 [S40]).
LEGAL_BASES_2022 = LEGAL_BASES_2022_EARLY[:2] + (
    "Thông tư số 01/2024/TT-BNV ngày 24 tháng 02 năm 2024 của Bộ Nội vụ quy định biện pháp "
    "thi hành Luật Thi đua, khen thưởng",
    PROVINCE_REGULATION,
)

#: The day the 2022 Law (06/2022/QH15) came into force (domain.md §4.1).
LAW_2022_IN_FORCE = dt.date(2024, 1, 1)

#: The day Thông tư 01/2024/TT-BNV was issued (domain.md §4.1: "(24/02/2024)"); a document
#: dated earlier cannot cite it.
CIRCULAR_01_2024_ISSUED = dt.date(2024, 2, 24)


def default_legal_bases(date: dt.date) -> tuple[str, ...]:
    """The legal bases in force on ``date`` (the documents' date), placeholders not filled:
    :data:`LEGAL_BASES_2003` before 01/01/2024; :data:`LEGAL_BASES_2022_EARLY` (2022 Law,
    Nghị định 98/2023) from 01/01/2024 to 23/02/2024; :data:`LEGAL_BASES_2022` (also Thông
    tư 01/2024/TT-BNV) from 24/02/2024."""
    if date < LAW_2022_IN_FORCE:
        return LEGAL_BASES_2003
    return LEGAL_BASES_2022_EARLY if date < CIRCULAR_01_2024_ISSUED else LEGAL_BASES_2022


#: Next year's directions (Báo cáo tổng kết, part IV): generic paragraphs to edit.
DEFAULT_DIRECTIONS = (
    "Tiếp tục quán triệt, triển khai thực hiện Luật Thi đua, khen thưởng và các văn bản hướng "
    "dẫn; đổi mới nội dung, hình thức tổ chức các phong trào thi đua gắn với nhiệm vụ chính trị "
    "của từng đơn vị.",
    "Tổ chức đăng ký và ký kết giao ước thi đua năm {nam_sau}; thực hiện đầy đủ, đúng hạn chế độ "
    "thông tin, báo cáo, sơ kết, tổng kết theo quy định.",
    "Phát hiện, bồi dưỡng, nhân rộng các điển hình tiên tiến; đề nghị khen thưởng kịp thời, "
    "đúng người, đúng thành tích.",
    "Tăng cường phối hợp, hỗ trợ giữa các đơn vị thành viên; duy trì sinh hoạt Khối định kỳ.",
)

DEFAULT_RECIPIENTS = ("Ban Thi đua – Khen thưởng, Sở Nội vụ", "Các đơn vị thành viên Khối",
                      "Lưu: VT")

#: Reason lines of the nominee list (domain.md §8 "Reason lines"); other award keys use
#: DEFAULT_REASON_LINE.
DEFAULT_REASON_LINES = {
    EMULATION_FLAG: "Đã có thành tích xuất sắc trong công tác, dẫn đầu phong trào thi đua "
                    "{khoi} năm {nam}",
}
DEFAULT_REASON_LINE = "Đã có thành tích xuất sắc trong công tác năm {nam}"

_PLACEHOLDERS = {"khoi", "nam", "nam_sau", "tinh", "ten_khoi"}

KEYS = ("parent_body", "issuer", "number_suffix", "place", "date", "signing_capacity",
        "signer_title", "signer_name", "commendation_board", "legal_bases", "directions",
        "recipients", "reason_lines")


@dataclass(frozen=True)
class DocumentSettings:
    """The ``[documents]`` settings with defaults applied; texts cleaned, placeholders filled."""

    parent_body: str
    issuer: str
    number_suffix: str
    place: str
    date: dt.date | None
    signing_capacity: str
    signer_title: str
    signer_name: str
    commendation_board: str
    legal_bases: tuple[str, ...]
    directions: tuple[str, ...]
    recipients: tuple[str, ...]
    reason_lines: Mapping[str, str]


def bloc_short_name(name: str) -> str:
    """How reason lines name the bloc: ``Khối Thi đua các tổ chức Hội đặc thù tỉnh`` →
    ``Khối các tổ chức Hội đặc thù tỉnh``; a name without ``Khối``/``Cụm`` gets ``Khối``."""
    m = re.match(r"(khối|cụm)(\s+thi\s+đua)?\s+(.+)", name, re.IGNORECASE)
    if m:
        return f"{m.group(1)[0].upper()}{m.group(1)[1:].lower()} {m.group(3)}"
    return f"Khối {name}"


def document_settings(bloc: Bloc, conference_date: dt.date | None = None) -> DocumentSettings:
    """Read ``bloc.documents`` with defaults.

    ``conference_date`` is the default ``date``.  The default ``legal_bases`` are those in
    force on ``date`` (:func:`default_legal_bases`; without a date, on 1 January of the year
    after the bloc year, when the review is held).  Raises :class:`BlocDefinitionError` naming
    ``[documents].<key>`` for a value of the wrong type, an unknown key or an unknown
    ``{placeholder}``.
    """
    raw: Mapping[str, Any] = bloc.documents or {}
    for key in raw:
        if key not in KEYS:
            raise _fail(key, f"khóa không được hỗ trợ (các khóa được dùng: {', '.join(KEYS)})")
    leader = bloc.unit(bloc.leader)
    fill = {"khoi": bloc_short_name(bloc.name), "nam": str(bloc.year),
            "nam_sau": str(bloc.year + 1), "tinh": bloc.province, "ten_khoi": bloc.name}

    def text(key: str, default: str) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            raise _fail(key, "phải là một chuỗi ký tự")
        return _fill(clean_text(value), fill, key)

    def texts(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = raw.get(key, default)
        if isinstance(value, str):
            value = value.split("\n")
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise _fail(key, "phải là một danh sách chuỗi ký tự")
        items = (_fill(clean_text(v), fill, key) for v in value)
        return tuple(item for item in items if item)

    reason_lines = dict(DEFAULT_REASON_LINES)
    custom = raw.get("reason_lines", {})
    if not isinstance(custom, Mapping) or not all(isinstance(v, str) for v in custom.values()):
        raise _fail("reason_lines", "phải là một bảng: mã hình thức khen thưởng = \"câu\"")
    for key, line in custom.items():
        if key not in {a.key for a in bloc.awards}:
            raise _fail(f"reason_lines.{key}", "không phải mã hình thức khen thưởng của Khối")
        reason_lines[key] = line
    reason_lines = {key: _fill(clean_text(line), fill, f"reason_lines.{key}")
                    for key, line in reason_lines.items()}
    reason_lines.update({a.key: _fill(DEFAULT_REASON_LINE, fill, "reason_lines")
                         for a in bloc.awards if a.key not in reason_lines})

    date = conference_date
    if "date" in raw:
        from ..datafiles import parse_date
        try:
            date = parse_date(raw["date"])
        except ValueError as exc:
            raise _fail("date", str(exc)) from None

    return DocumentSettings(
        parent_body=text("parent_body", bloc.name.upper()),
        issuer=text("issuer", leader.name.upper()),
        number_suffix=text("number_suffix", leader.code),
        place=text("place", bloc.province),
        date=date,
        signing_capacity=text("signing_capacity", DEFAULT_SIGNING_CAPACITY),
        signer_title=text("signer_title", DEFAULT_SIGNER_TITLE),
        signer_name=text("signer_name", ""),
        commendation_board=text("commendation_board", DEFAULT_COMMENDATION_BOARD),
        legal_bases=tuple(_strip_prefix(b) for b in texts("legal_bases", default_legal_bases(
            date or dt.date(bloc.year + 1, 1, 1)))),
        directions=texts("directions", DEFAULT_DIRECTIONS),
        recipients=texts("recipients", DEFAULT_RECIPIENTS),
        reason_lines=reason_lines,
    )


def _strip_prefix(basis: str) -> str:
    # Templates write "Căn cứ " themselves; a basis typed with it must not get it twice.
    return re.sub(r"^căn\s+cứ\s+", "", basis, flags=re.IGNORECASE).rstrip(" ;.")


def _fill(text: str, values: Mapping[str, str], key: str) -> str:
    def repl(m: re.Match) -> str:
        name = m.group(1)
        if name not in _PLACEHOLDERS:
            raise _fail(key, f"không có chỗ điền “{{{name}}}” (dùng được: "
                             f"{', '.join('{' + p + '}' for p in sorted(_PLACEHOLDERS))})")
        return values[name]
    return re.sub(r"\{([^{}]*)\}", repl, text)


def _fail(key: str, message: str) -> BlocDefinitionError:
    return BlocDefinitionError(message, f"[documents].{key}")
