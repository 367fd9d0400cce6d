"""Cleaning of typed text: what staff paste into cells and CSV files.

Text is NFC-normalised and stripped of zero-width and other invisible format characters
(rules.md §2; domain.md §7: Unikey conversions leave hidden characters that break matching).
"""

from __future__ import annotations

import unicodedata

# Zero-width and BOM characters Unikey/Word leave behind; NBSP becomes a plain space.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_INVISIBLE[0x00A0] = " "
_INVISIBLE[0x202F] = " "


def normalize(value: object) -> str:
    """Return ``value`` as clean text: NFC, no zero-width characters, NBSP → space, stripped.

    ``None`` gives ``""``.  Never raises.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    # Other format characters (category Cf: bidi marks…) are invisible noise as well.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip()


def fold(value: object) -> str:
    """Matching key for labels: normalised, case-folded, inner whitespace collapsed."""
    return " ".join(normalize(value).casefold().split())


def ascii_fold(value: object) -> str:
    """Vietnamese text without diacritics (``Tổng hợp`` → ``Tong hop``), for file names and
    identifiers."""
    text = normalize(value).replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
