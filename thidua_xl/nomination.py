"""Eligibility, quotas, ballots and nominations (rules.md §6–§8).

Pure functions.  Sources: one achievement, one form of award (Luật Thi đua, khen thưởng 2022,
domain.md §4.1 [S34]); quorum of 2/3 (Hà Nội HD 01/HD-HĐTĐKT, domain.md [S4]); quotas, vote
threshold and tie handling are the bloc's settings (domain.md §8, [I]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import AbstractSet as Set, Mapping, Sequence

from .model import Award, Bloc, Tie
from .ranking import Strength


def quota_for(award: Award, units: int) -> int:
    """How many units of a bloc of ``units`` members may be proposed for ``award`` (a count).

    Step table: the ``count`` of the last step whose ``min_units`` ≤ units (0 below the first
    step).  Fraction: ``units × quota_fraction`` rounded down (``floor``) or half up
    (``half_up``).  Source: the bloc's ``[awards.<key>]`` settings, rules.md §7.
    """
    if award.quota_steps:
        count = 0
        for step in award.quota_steps:
            if units >= step.min_units:
                count = step.count
        return count
    exact = Fraction(units) * (award.quota_fraction or 0)
    if award.rounding == "half_up":
        return math.floor(exact + Fraction(1, 2))
    return math.floor(exact)


def grade_reaches(bloc: Bloc, grade: str | None, minimum: str) -> bool:
    """True when ``grade`` is at least ``minimum`` (compared by the bands' ``min_total``)."""
    if grade is None:
        return False
    return bloc.grade(grade).min_total >= bloc.grade(minimum).min_total


def quorum_met(present: int, members: int, quorum: Fraction) -> bool:
    """``present ≥ quorum × members`` (rules.md §8)."""
    return present >= quorum * members


def vote_passes(votes: int | None, members: int, threshold: Fraction) -> bool:
    """``votes > threshold × members``: more than the threshold share of *all* member units
    (rules.md §8); no recorded vote counts as 0."""
    return (votes or 0) > threshold * members


@dataclass
class AwardOutcome:
    """What happened for one award: the quota (count), nominees in rank order, units that
    failed the vote while a slot was open, and the unresolved tie if any."""

    award: str
    quota: int
    nominees: list[str] = field(default_factory=list)
    failed_vote: list[str] = field(default_factory=list)
    tie: Tie | None = None
    held: list[str] = field(default_factory=list)


def nominate(bloc: Bloc, order: Sequence[str], strengths: Mapping[str, Strength],
             candidates: Mapping[str, Sequence[str]], votes: Mapping[str, Mapping[str, int | None]],
             ballots: bool, members: int, held: Set[str] = frozenset()) -> list[AwardOutcome]:
    """Assign the awards in order (rules.md §8).

    ``order``: ranked unit codes, best first.  ``candidates``: award key → codes eligible for
    it (eligibility and ``min_grade`` already applied).  ``votes``: unit → award key → votes.
    With ``ballots`` a unit takes a slot only if it passes the vote; otherwise it gives the slot
    to the next eligible unit in rank order.  A unit gets at most one award.  When the last unit
    inside the quota and the first outside are equal on every tie-break key, none of the tied
    units gets the remaining slot(s) (the tie is reported); they stay candidates for the awards
    that follow.  A unit in ``held`` (its vote count is in doubt) keeps its place without
    getting the award, so a typo never hands the award to the next unit.
    """
    taken: set[str] = set()
    outcomes: list[AwardOutcome] = []
    for award in bloc.awards:
        outcome = AwardOutcome(award.key, quota_for(award, len(bloc.units)))
        allowed = set(candidates.get(award.key, ()))
        pool = [u for u in order if u in allowed and u not in taken]
        passing = []
        for code in pool:
            if ballots and code not in held and not vote_passes(votes.get(code, {}).get(award.key), members,
                                           award.vote_threshold):
                if len(passing) < outcome.quota:
                    outcome.failed_vote.append(code)
                continue
            passing.append(code)
        chosen = passing[:outcome.quota]
        if chosen and len(passing) > len(chosen):
            boundary = strengths[chosen[-1]]
            if strengths[passing[len(chosen)]] == boundary:
                tied = [u for u in passing if strengths[u] == boundary]
                chosen = [u for u in chosen if strengths[u] != boundary]
                outcome.tie = Tie(award.key, tuple(tied), outcome.quota - len(chosen))
        outcome.held = [u for u in chosen if u in held]
        outcome.nominees = [u for u in chosen if u not in held]
        taken.update(chosen)
        outcomes.append(outcome)
    return outcomes
