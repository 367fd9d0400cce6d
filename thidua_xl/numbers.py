"""Numbers as staff type them and as Vietnamese documents print them.

Points are exact :class:`~decimal.Decimal` values end to end (rules.md §3: no binary floats).
Input accepts a decimal point or a decimal comma (domain.md §7: ``9,5``); output uses the
decimal comma (``106,0 điểm``) and two-digit small counts (``02 đơn vị``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .text import normalize

_FLOATS: dict[float, Decimal] = {}
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$")


class NotANumber(ValueError):
    """The value cannot be read as a number (message in Vietnamese)."""


def parse_score(value: object) -> Decimal | None:
    """Parse a typed score to points.

    Accepts ``Decimal``, ``int``, ``float`` (from a numeric cell: its shortest repr, so 9.5 typed
    in Excel stays exactly 9.5) and text such as ``"9,5"``, ``" 9.5 "``, ``"10"``.  Blank
    (``None`` or only spaces) gives ``None``.

    Raises :class:`NotANumber` for anything else (``"chín"``, ``"9,5,1"``, ``True``, NaN).
    """
    if value is None:
        return None
    if type(value) is float:
        # Numeric cells repeat a handful of values (steps of 0.5): convert each once.
        cached = _FLOATS.get(value)
        if cached is None:
            if not math.isfinite(value):
                raise NotANumber(f"“{value}” không phải là số")
            if len(_FLOATS) > 4096:
                _FLOATS.clear()
            cached = _FLOATS[value] = Decimal(repr(value)) + 0
        return cached
    if isinstance(value, bool):
        raise NotANumber(f"“{value}” không phải là số")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        text = normalize(value)  # a space inside ("1 0") is a typo, not 10
        if not text:
            return None
        if not _NUMBER.match(text):
            raise NotANumber(f"“{normalize(value)}” không phải là số")
        if _THOUSANDS.match(text):
            # Vietnamese writes thousands with a dot: "1.000" may mean 1000, not 1.
            raise NotANumber(f"“{text}” không rõ là {format_number(Decimal(text))} hay "
                             f"{text.replace('.', '')}: hãy viết số không có dấu chấm "
                             "phân cách hàng nghìn")
        result = Decimal(text.replace(",", "."))
    if not result.is_finite():
        raise NotANumber(f"“{value}” không phải là số")
    return result + 0  # normalise -0 to 0


def parse_fraction(value: object) -> Fraction:
    """Parse a share written ``"a/b"`` (or a decimal such as ``"0.5"``) to a Fraction.

    Raises ``ValueError`` (Vietnamese message) when it is not of that form or not in [0, 1].
    """
    text = str(value).strip()
    try:
        if "/" in text:
            num, den = text.split("/")
            result = Fraction(int(num), int(den))
        else:
            result = Fraction(Decimal(text.replace(",", ".")))
    except (ValueError, ZeroDivisionError, InvalidOperation):
        raise ValueError(f"“{value}” không phải là tỉ lệ dạng \"a/b\"") from None
    if not 0 <= result <= 1:
        raise ValueError(f"“{value}” phải là tỉ lệ từ 0 đến 1")
    return result


def fraction_text(value: Fraction) -> str:
    """``Fraction(2, 3)`` → ``"2/3"``."""
    return f"{value.numerator}/{value.denominator}"


def format_points(value: Decimal | None, *, empty: str = "") -> str:
    """Points with a decimal comma and at least one decimal: ``106`` → ``"106,0"``,
    ``101.25`` → ``"101,25"``, ``None`` → ``empty``."""
    if value is None:
        return empty
    value = Decimal(value)
    text = f"{value.normalize():f}"
    if "." not in text:
        text += ".0"
    whole, frac = text.split(".")
    return f"{whole},{frac}"


def format_number(value: Decimal | float | int | None, *, empty: str = "") -> str:
    """A plain number with a decimal comma and no forced decimal: ``7.5`` → ``"7,5"``."""
    if value is None:
        return empty
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",")


def two_digits(count: int) -> str:
    """Counts written as administrative documents do: ``2`` → ``"02"``, ``15`` → ``"15"``."""
    return f"{count:02d}"


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """True when ``value`` is a whole multiple of ``step`` (exact decimal arithmetic)."""
    return value % step == 0
