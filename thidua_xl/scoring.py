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
    differences: tuple[LineResult, ...] = ()


@dataclass(frozen=True)
class _Plan:
    """What the hot loop needs from a bloc, computed once per bloc: per criterion (in table
    order) the criterion, its section code and whether the section is standard."""

    lines: tuple[tuple[Criterion, str, bool], ...]
    sections: tuple[str, ...]
    bonus: frozenset[str]
    deduction: frozenset[str]


_PLANS: dict[int, tuple[Bloc, _Plan]] = {}


def _plan(bloc: Bloc) -> _Plan:
    cached = _PLANS.get(id(bloc))
    if cached is not None and cached[0] is bloc:
        return cached[1]
    kinds = {s.code: s.kind for s in bloc.sections}
    plan = _Plan(lines=tuple((c, c.section, kinds[c.section] == STANDARD) for c in bloc.criteria),
                 sections=tuple(kinds),
                 bonus=frozenset(k for k, v in kinds.items() if v == BONUS),
                 deduction=frozenset(k for k, v in kinds.items() if v == DEDUCTION))
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(bloc)] = (bloc, plan)
    return plan


def compute_totals(bloc: Bloc, scores: Mapping[str, Decimal]) -> Totals:
    """Totals of one unit from ``scores`` (criterion code → points; a missing line counts 0).

    Bonus capped at ``scoring.bonus_cap``; deductions capped at ``scoring.deduction_cap`` when
    set; the total floored at 0 and free to exceed ``base_points`` through bonus (rules.md §3).
    """
    plan = _plan(bloc)
    per_section = dict.fromkeys(plan.sections, ZERO)
    for crit, section, _ in plan.lines:
        value = scores.get(crit.code)
        if value:
            per_section[section] += value
    return _totals(bloc, plan, per_section)


def _totals(bloc: Bloc, plan: _Plan, per_section: dict[str, Decimal]) -> Totals:
    base = bonus_raw = deductions_raw = ZERO
    for section, value in per_section.items():
        if section in plan.bonus:
            bonus_raw += value
        elif section in plan.deduction:
            deductions_raw += value
        else:
            base += value
    cap = bloc.scoring
    bonus = min(bonus_raw, cap.bonus_cap)
    deductions = deductions_raw
    if cap.deduction_cap is not None:
        deductions = min(deductions, cap.deduction_cap)
    total = max(ZERO, base + bonus - deductions)
    return Totals(base=base, section_totals=per_section, bonus_raw=bonus_raw, bonus=bonus,
                  deductions_raw=deductions_raw, deductions=deductions, total=total)


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


def score_unit(bloc: Bloc, code: str, entries: Mapping[str, ScoreEntry],
               memo: dict | None = None) -> ScoredUnit:
    """Validate one unit's entries (criterion code → entry) and compute its totals.

    Checks of rules.md §2: a number (decimal point or comma), 0 ≤ score ≤ ``max_points``, a
    whole multiple of ``scoring.step``; a standard line with neither score is "chưa chấm";
    bonus and deduction lines may be blank (= 0).  Errors are returned, never raised.
    ``memo``: a dict shared across the units of one review, remembering values already found
    valid for a criterion (units repeat the same few scores).
    """
    plan = _plan(bloc)
    memo = {} if memo is None else memo
    errors: list[DataError] = []
    lines: list[LineResult] = []
    official = dict.fromkeys(plan.sections, ZERO)
    own = dict.fromkeys(plan.sections, ZERO)
    critical: list[str] = []
    differences: list[LineResult] = []
    fallback = Location(code)
    for crit, section, standard in plan.lines:
        entry = entries.get(crit.code)
        if entry is None:
            entry = ScoreEntry(unit=code, criterion=crit.code)
        self_at = entry.self_at or fallback
        before = len(errors)
        raw = entry.self_score
        self_score = None
        if raw is not None:
            key = (crit.code, type(raw), raw)
            self_score = memo.get(key)
            if self_score is None:
                self_score = _check(bloc, crit, raw, self_at, "Tự chấm", errors, code)
                if self_score is not None:
                    memo[key] = self_score
        raw = entry.assessed_score
        assessed = None
        if raw is not None:
            key = (crit.code, type(raw), raw)
            assessed = memo.get(key)
            if assessed is None:
                assessed = _check(bloc, crit, raw, entry.assessed_at or self_at, "Khối chấm",
                                  errors, code)
                if assessed is not None:
                    memo[key] = assessed
        value = assessed if assessed is not None else self_score
        if value is None:
            if standard:
                if len(errors) == before:
                    errors.append(DataError(self_at.sheet, self_at.cell,
                                            f"tiêu chí {crit.code} chưa chấm", code))
            else:
                value = ZERO
        line = LineResult(crit.code, self_score, assessed, value, entry.evidence)
        lines.append(line)
        if assessed is not None and assessed != (self_score or ZERO):
            differences.append(line)
        if value:
            official[section] += value
        elif value is not None and crit.critical:
            critical.append(crit.code)
        if self_score:
            own[section] += self_score
    if errors:
        return ScoredUnit(code, tuple(lines), tuple(errors), None, None, tuple(critical),
                          tuple(differences))
    return ScoredUnit(code, tuple(lines), (), _totals(bloc, plan, official),
                      _totals(bloc, plan, own), tuple(critical), tuple(differences))
