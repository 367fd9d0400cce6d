"""Scores of one unit: validation of each line, totals and grade (rules.md §2–§4).

Pure functions over the model; all points are exact Decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from .model import (BONUS, DEDUCTION, STANDARD, Bloc, Criterion, DataError, Grade, LineResult,
                    Location, ScoreEntry)
from .numbers import NotANumber, format_number, is_multiple, parse_score

ZERO = Decimal(0)


@dataclass(frozen=True)
class Totals:
    """Totals from one set of line scores (points).

    ``section_totals``: sum per section code.  ``bonus``/``deductions`` are after the caps of
    ``[scoring]``; ``total`` = max(0, base + bonus − deductions) (rules.md §3).
    """

    base: Decimal
    section_totals: Mapping[str, Decimal]
    bonus_raw: Decimal
    bonus: Decimal
    deductions_raw: Decimal
    deductions: Decimal
    total: Decimal


@dataclass(frozen=True)
class ScoredUnit:
    """One unit after validation.  ``official``/``self`` are ``None`` when ``errors``."""

    code: str
    lines: tuple[LineResult, ...]
    errors: tuple[DataError, ...]
    official: Totals | None
    self: Totals | None
    critical_failed: tuple[str, ...]


def compute_totals(bloc: Bloc, scores: Mapping[str, Decimal]) -> Totals:
    """Totals of one unit from ``scores`` (criterion code → points; a missing line counts 0).

    Bonus capped at ``scoring.bonus_cap``; deductions capped at ``scoring.deduction_cap`` when
    set; the total floored at 0 and free to exceed ``base_points`` through bonus (rules.md §3).
    """
    kinds = {s.code: s.kind for s in bloc.sections}
    per_section = {s.code: ZERO for s in bloc.sections}
    by_kind = {STANDARD: ZERO, BONUS: ZERO, DEDUCTION: ZERO}
    for c in bloc.criteria:
        value = scores.get(c.code) or ZERO
        per_section[c.section] += value
        by_kind[kinds[c.section]] += value
    cap = bloc.scoring
    bonus = min(by_kind[BONUS], cap.bonus_cap)
    deductions = by_kind[DEDUCTION]
    if cap.deduction_cap is not None:
        deductions = min(deductions, cap.deduction_cap)
    total = max(ZERO, by_kind[STANDARD] + bonus - deductions)
    return Totals(base=by_kind[STANDARD], section_totals=per_section, bonus_raw=by_kind[BONUS],
                  bonus=bonus, deductions_raw=by_kind[DEDUCTION], deductions=deductions,
                  total=total)


def grade_for(bloc: Bloc, total: Decimal) -> Grade | None:
    """The first band (highest ``min_total`` first) whose ``min_total`` the total reaches
    (rules.md §4); ``None`` when the total is below every band."""
    for grade in bloc.scoring.grades:
        if total >= grade.min_total:
            return grade
    return None


def _check(bloc: Bloc, crit: Criterion, raw: object, at: Location, label: str,
           errors: list[DataError], unit: str) -> Decimal | None:
    try:
        value = parse_score(raw)
    except NotANumber as exc:
        errors.append(DataError(at.sheet, at.cell, f"{label} tiêu chí {crit.code}: {exc}", unit))
        return None
    if value is None:
        return None
    step = bloc.scoring.step
    if value < 0:
        errors.append(DataError(at.sheet, at.cell, f"{label} tiêu chí {crit.code} là "
                                f"{format_number(value)}, không được âm", unit))
        return None
    if value > crit.max_points:
        errors.append(DataError(at.sheet, at.cell, f"{label} tiêu chí {crit.code} là "
                                f"{format_number(value)}, vượt điểm tối đa "
                                f"{format_number(crit.max_points)}", unit))
        return None
    if not is_multiple(value, step):
        errors.append(DataError(at.sheet, at.cell, f"{label} tiêu chí {crit.code} là "
                                f"{format_number(value)}, không phải bội số của bước chấm "
                                f"{format_number(step)} điểm", unit))
        return None
    return value


def score_unit(bloc: Bloc, code: str, entries: Mapping[str, ScoreEntry]) -> ScoredUnit:
    """Validate one unit's entries (criterion code → entry) and compute its totals.

    Checks of rules.md §2: a number (decimal point or comma), 0 ≤ score ≤ ``max_points``, a
    whole multiple of ``scoring.step``; a standard line with neither score is "chưa chấm";
    bonus and deduction lines may be blank (= 0).  Errors are returned, never raised.
    """
    kinds = {s.code: s.kind for s in bloc.sections}
    errors: list[DataError] = []
    lines: list[LineResult] = []
    official: dict[str, Decimal] = {}
    own: dict[str, Decimal] = {}
    fallback = Location(code)
    for crit in bloc.criteria:
        entry = entries.get(crit.code)
        if entry is None:
            entry = ScoreEntry(unit=code, criterion=crit.code)
        self_at = entry.self_at or fallback
        before = len(errors)
        raw = entry.self_score
        self_score = None if raw is None else _check(bloc, crit, raw, self_at, "Tự chấm",
                                                     errors, code)
        raw = entry.assessed_score
        assessed = None if raw is None else _check(bloc, crit, raw,
                                                   entry.assessed_at or self_at, "Khối chấm",
                                                   errors, code)
        if len(errors) == before and self_score is None and assessed is None \
                and kinds[crit.section] == STANDARD:
            errors.append(DataError(self_at.sheet, self_at.cell,
                                    f"tiêu chí {crit.code} chưa chấm", code))
        value = assessed if assessed is not None else self_score
        if value is None and kinds[crit.section] != STANDARD:
            value = ZERO
        lines.append(LineResult(crit.code, self_score, assessed, value, entry.evidence))
        if value is not None:
            official[crit.code] = value
        own[crit.code] = self_score or ZERO
    critical = tuple(c.code for c in bloc.criteria
                     if c.critical and official.get(c.code) == ZERO)
    if errors:
        return ScoredUnit(code, tuple(lines), tuple(errors), None, None, critical)
    return ScoredUnit(code, tuple(lines), (), compute_totals(bloc, official),
                      compute_totals(bloc, own), critical)
