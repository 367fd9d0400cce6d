"""Vietnamese formatting for the Word documents, beyond what :mod:`thidua_xl.numbers` does.

Dates follow Nghị định 30/2020/NĐ-CP, Appendix I (domain.md §6): ``ngày 14 tháng 01 năm 2022``,
a leading zero on days below 10 and on months 1 and 2.  Text typed by staff is cleaned so it
survives as Word XML (no control characters; every line break is ``\\n``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from ..numbers import format_points, two_digits
from ..text import ascii_fold

#: What a blank to fill by hand looks like in a generated document.
BLANK = "……"

# C0/C1 control characters other than tab and line feed are invalid in XML 1.0 (or, for \a and
# \f, turned into paragraph/page breaks by docxtpl); \r and \v (Excel/Word line breaks) → \n.
_CONTROL = re.compile(r"[\x00-\x08\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: object) -> str:
    """Typed text made safe for a Word document: NFC, zero-width characters removed,
    ``\\r\\n``/``\\r``/``\\v`` → ``\\n``, other control characters dropped, outer spaces trimmed.

    ``None`` gives ``""``.  Line breaks are kept (docxtpl writes them as Word line breaks).
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\v", "\n")
    text = _CONTROL.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def month_text(month: int) -> str:
    """``1`` → ``"01"``, ``2`` → ``"02"``, ``3`` → ``"3"`` … ``12`` → ``"12"`` (ND 30/2020)."""
    return f"{month:02d}" if month < 3 else str(month)


def date_text(date: dt.date | None, *, year: int | None = None) -> str:
    """``ngày 14 tháng 01 năm 2022``; ``ngày 05 tháng 3 năm 2020``.

    ``None`` gives blanks to fill by hand: ``ngày …… tháng …… năm 2022`` (``year`` when given,
    else a blank too).
    """
    if date is None:
        return f"ngày {BLANK} tháng {BLANK} năm {year if year is not None else BLANK}"
    # ND 30/2020: days below 10 and months below 3 take a leading zero.
    return f"ngày {date.day:02d} tháng {month_text(date.month)} năm {date.year}"


def place_date(place: str, date: dt.date | None, *, year: int | None = None) -> str:
    """The italic place-and-date line: ``An Bình, ngày 14 tháng 01 năm 2022``."""
    text = date_text(date, year=year)
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


def count_text(count: int | None) -> str:
    """A count as administrative documents write it: ``2`` → ``"02"``, ``15`` → ``"15"``,
    ``0`` → ``"0"`` (not ``"00"``), ``None`` → ``……``."""
    if count is None:
        return BLANK
    return "0" if count == 0 else two_digits(count)


def short_date(date: dt.date | None) -> str:
    """``14/01/2022``; ``None`` → ``……``."""
    return BLANK if date is None else f"{date.day:02d}/{date.month:02d}/{date.year}"


def percent(part: int | None, whole: int | None) -> str:
    """A share in percent, always two decimals, decimal comma: ``(14, 15)`` → ``"93,33"``,
    ``(15, 15)`` → ``"100,00"``, ``(12, 15)`` → ``"80,00"`` (one format, so a column of
    percentages lines up); ``""`` when either is missing or ``whole`` is 0."""
    if part is None or not whole:
        return ""
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value:.2f}".replace(".", ",")


def nobreak_tail(value: object) -> str:
    """``value`` with its last space made non-breaking (U+00A0), so a title or a name never
    ends on a line holding one short word (``… Hội đặc thù tỉnh`` keeps ``thù tỉnh``
    together).  The Jinja2 filter ``nobreak_tail`` of the templates."""
    text = "" if value is None else str(value)
    head, space, tail = text.rpartition(" ")
    return f"{head}\u00a0{tail}" if space and head else text


def signed_points(value: Decimal | None) -> str:
    """A difference in points with its sign: ``+0,5``, ``−1,0`` (minus sign U+2212), ``0,0``;
    ``None`` → ``""``."""
    if value is None:
        return ""
    if value > 0:
        return "+" + format_points(value)
    if value < 0:
        return "\u2212" + format_points(-value)
    return format_points(value)


# Characters Windows forbids in file names, plus the ASCII control characters.
_HOSTILE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def file_name(text: str, *, limit: int = 120) -> str:
    """A file name (without extension) that is safe on Windows, macOS, Linux and in zip files:
    diacritics folded to ASCII (``Báo cáo`` → ``Bao cao``), forbidden characters replaced by
    ``-``, spaces collapsed, no trailing dot or space, not a reserved device name, at most
    ``limit`` characters.  Never empty (``"_"``)."""
    name = _HOSTILE.sub("-", ascii_fold(text))
    name = " ".join(name.split())[:limit].rstrip(" .")
    if not name:
        return "_"
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name
