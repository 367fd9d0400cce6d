"""Ranking by the bloc's tie-break chain (rules.md §5).

A unit's *strength* is a tuple compared lexicographically, larger is better: each key of
``review.tie_break`` in order — ``total`` (higher), ``section:<code>`` (higher official
subtotal of that section), ``fewer_deductions`` (fewer deduction points, before the cap).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping, Sequence

from .scoring import Totals

Strength = tuple[Decimal, ...]


def key_value(totals: Totals, key: str) -> Decimal:
    """The value of one tie-break key for a unit, in points (as written, not negated)."""
    if key == "total":
        return totals.total
    if key == "fewer_deductions":
        return totals.deductions_raw
    if key.startswith("section:"):
        return totals.section_totals[key[len("section:"):]]
    raise ValueError(key)  # definition.py rejects unknown keys on load


def strength(totals: Totals, chain: Sequence[str]) -> Strength:
    """The comparable strength of a unit under the chain (larger is better)."""
    return tuple(-key_value(totals, k) if k == "fewer_deductions" else key_value(totals, k)
                 for k in chain)


def rank(strengths: Mapping[str, Strength]) -> dict[str, int]:
    """Rank units: 1 + the number of units strictly better on the whole chain; units equal on
    every key share a rank (rules.md §5).  ``strengths``: unit code → strength."""
    ordered = sorted(strengths.values(), reverse=True)
    first: dict[Strength, int] = {}
    for i, s in enumerate(ordered):
        first.setdefault(s, i + 1)
    return {code: first[s] for code, s in strengths.items()}


def deciding_key(a: Totals, b: Totals, chain: Sequence[str]) -> str | None:
    """The first key of the chain on which two units differ, or ``None`` on a full tie."""
    for key in chain:
        if key_value(a, key) != key_value(b, key):
            return key
    return None
