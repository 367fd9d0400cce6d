"""Tiny blocs built in code, for engine tests (rules.md, bloc-format.md).

The tiny bloc has ``n`` units ``U1``…``Un`` (leader ``U1``, deputy ``U2`` when there are two or
more) and this criteria table (points)::

    I   standard  60   I.1 30, I.2 30
    II  standard  40   II.1 20 (critical), II.2 20
    T   bonus     15   T.1 15
    TR  deduction 20   TR.1 20

with the shipped defaults otherwise: step 0.5, bonus cap 10, no deduction cap, grades
HTXSNV ≥ 90 / HTTNV ≥ 70 / HTNV ≥ 50 / KHTNV, emulation flag 1 (< 10 units) or 2, certificate
of merit floor(n/3), vote threshold 1/2, quorum 2/3, tie-break total → section:I →
fewer_deductions, leader rule deputy_succeeds.

Public helpers:

- :func:`tiny_dict` / :func:`tiny_bloc` ``(n_units, **overrides)``: the definition as keys /
  as a validated :class:`~thidua_xl.model.Bloc`; ``overrides`` are deep-merged per top-level
  key (tables merge, lists and values replace).
- :func:`entries`: score entries from ``{unit: {criterion: self | (self, assessed)}}``; a
  standard line left out gets its maximum as self score (so a unit left empty scores 100).
- :func:`facts`, :func:`run`: review facts and a full engine run on those inputs.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any, Mapping

from thidua_xl.definition import bloc_from_dict
from thidua_xl.model import (STANDARD, Bloc, Conference, DataError, Location, ReviewResult,
                             RoundInput, ScoreEntry, UnitFacts)
from thidua_xl.review import review

#: Criterion code → (section, max points, critical).
CRITERIA = {
    "I.1": ("I", 30, False),
    "I.2": ("I", 30, False),
    "II.1": ("II", 20, True),
    "II.2": ("II", 20, False),
    "T.1": ("T", 15, False),
    "TR.1": ("TR", 20, False),
}


def _merge(base: dict, extra: Mapping) -> dict:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def tiny_dict(n_units: int = 3, **overrides: Any) -> dict:
    """The tiny bloc's definition keys (bloc-format.md) for ``n_units`` units ``U1``…``Un``.

    ``overrides``: top-level keys (``bloc``, ``scoring``, ``review``, ``awards``, ``units``,
    ``sections``, ``criteria`` …) deep-merged into the default; a value ``None`` removes a key.
    """
    units = [{"code": f"U{i}", "name": f"Đơn vị {i}"} for i in range(1, n_units + 1)]
    head = {"name": "Khối thử nghiệm", "province": "An Bình", "year": 2021, "leader": "U1"}
    if n_units >= 2:
        head["deputy"] = "U2"
    data: dict[str, Any] = {
        "schema": 1,
        "bloc": head,
        "units": units,
        "scoring": {"base_points": 100, "step": "0.5", "bonus_cap": 10},
        "sections": [
            {"code": "I", "title": "Nhiệm vụ chuyên môn", "kind": "standard", "max_points": 60},
            {"code": "II", "title": "Công tác thi đua", "kind": "standard", "max_points": 40},
            {"code": "T", "title": "Điểm thưởng", "kind": "bonus", "max_points": 15},
            {"code": "TR", "title": "Điểm trừ", "kind": "deduction", "max_points": 20},
        ],
        "criteria": [{"code": code, "section": s, "text": f"Tiêu chí {code}", "max_points": m,
                      "critical": c} for code, (s, m, c) in CRITERIA.items()],
        "awards": {
            "emulation_flag": {"name": "Cờ thi đua của Ủy ban nhân dân tỉnh",
                               "min_grade": "HTXSNV",
                               "quota": [{"min_units": 1, "count": 1},
                                         {"min_units": 10, "count": 2}],
                               "vote_threshold": "1/2"},
            "certificate_of_merit": {"name": "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
                                     "min_grade": "HTXSNV", "quota_fraction": "1/3",
                                     "rounding": "floor", "vote_threshold": "1/2"},
        },
        "review": {"quorum": "2/3", "tie_break": ["total", "section:I", "fewer_deductions"],
                   "leader_rule": "deputy_succeeds"},
    }
    _merge(data, overrides)
    return _drop_none(data)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def tiny_bloc(n_units: int = 3, **overrides: Any) -> Bloc:
    """:func:`tiny_dict` validated by :func:`~thidua_xl.definition.bloc_from_dict`."""
    return bloc_from_dict(tiny_dict(n_units, **overrides), "tiny.toml")


def entries(bloc: Bloc, scores: Mapping[str, Mapping[str, Any]],
            fill: bool = True) -> list[ScoreEntry]:
    """Score entries, one per unit of ``scores`` and criterion of ``bloc``.

    ``scores``: unit code → criterion code → a self score or a ``(self, assessed)`` pair (raw
    values as typed: numbers or text).  With ``fill``, a standard line left out gets its
    ``max_points`` as self score and other lines are blank.  Each value is located at
    ``<unit>!<column><row>`` (self in column D, assessed in E, row 2 onward).
    """
    kinds = {s.code: s.kind for s in bloc.sections}
    result = []
    for unit, given in scores.items():
        for row, crit in enumerate(bloc.criteria, start=2):
            if crit.code in given:
                value = given[crit.code]
            elif fill and kinds[crit.section] == STANDARD:
                value = crit.max_points
            else:
                continue
            self_score, assessed = value if isinstance(value, tuple) else (value, None)
            result.append(ScoreEntry(unit=unit, criterion=crit.code, self_score=self_score,
                                     assessed_score=assessed,
                                     self_at=Location(unit, f"D{row}"),
                                     assessed_at=Location(unit, f"E{row}")))
    return result


def all_units(bloc: Bloc, **per_unit: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Scores for every unit of the bloc: ``per_unit`` for those named, full marks otherwise."""
    return {u.code: per_unit.get(u.code, {}) for u in bloc.units}


def facts(disciplined: tuple[str, ...] = (), **votes: Mapping[str, int | None]) -> dict:
    """Review facts: ``disciplined`` unit codes, and ``votes`` per unit as
    ``U1={"emulation_flag": 3}``."""
    codes = set(disciplined) | set(votes)
    return {code: UnitFacts(unit=code, disciplined=code in disciplined,
                            votes=dict(votes.get(code, {})), at=Location("Bình xét", "A2"))
            for code in codes}


def run(bloc: Bloc, scores: Mapping[str, Mapping[str, Any]] | list[ScoreEntry] | None = None,
        *, unit_facts: Mapping[str, UnitFacts] | None = None,
        conference: Conference | None = None,
        read_errors: tuple[DataError, ...] = ()) -> ReviewResult:
    """Review the bloc: ``scores`` as for :func:`entries` (default: every unit full marks) or
    ready entries."""
    if scores is None:
        scores = all_units(bloc)
    if not isinstance(scores, list):
        scores = entries(bloc, scores)
    return review(RoundInput(bloc=bloc, scores=tuple(scores), facts=dict(unit_facts or {}),
                             conference=conference, read_errors=tuple(read_errors)))


def points(value: str | int) -> Decimal:
    """Shorthand for an exact point value: ``points("101.5")``."""
    return Decimal(str(value))
