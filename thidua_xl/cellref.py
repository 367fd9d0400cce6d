"""Excel cell references: column letters ↔ numbers (no openpyxl import, so the macros start
fast and the core stays free of file libraries)."""

from __future__ import annotations


def column_letter(number: int) -> str:
    """1-based column number → letters: ``1`` → ``"A"``, ``28`` → ``"AB"``."""
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """Letters → 1-based column number: ``"AB"`` → ``28``."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number
