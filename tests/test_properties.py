"""Property-based tests of the review engine over random tiny blocs (hypothesis).

Each example draws a bloc (size, step, caps, grades kept, quotas, vote thresholds, tie-break
chain), every unit's scores (typed as Decimal, text with point or comma, or float), some bad
lines, discipline, and optionally a conference with votes.  The expectations are computed here,
independently of the engine, from the drawn values.  Example counts come from the conftest
profile (dev 100, ci 50).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from blocs import tiny_bloc
from thidua_xl.model import Conference, Location, RoundInput, ScoreEntry, UnitFacts
from thidua_xl.review import review

FLAG, MERIT = "emulation_flag", "certificate_of_merit"
GRADE_MIN = {"HTXSNV": Decimal(90), "HTTNV": Decimal(70), "HTNV": Decimal(50),
             "KHTNV": Decimal(0)}
# criterion → (section, kind, max points, critical); the tiny bloc of tests/blocs.py.
LINES = {"I.1": ("I", "standard", 30, False), "I.2": ("I", "standard", 30, False),
         "II.1": ("II", "standard", 20, True), "II.2": ("II", "standard", 20, False),
         "T.1": ("T", "bonus", 15, False), "TR.1": ("TR", "deduction", 20, False)}
TIE_KEYS = ["total", "section:I", "section:II", "section:T", "fewer_deductions"]


@dataclass
class Case:
    """One drawn bloc-year: settings, per-unit official/self points and the input rows."""

    n: int
    step: Decimal
    bonus_cap: Decimal
    deduction_cap: Decimal | None
    chain: list[str]
    flag_steps: list[tuple[int, int]]
    merit_fraction: Fraction
    rounding: str
    min_grade: dict[str, str]
    threshold: dict[str, Fraction]
    own: dict[str, dict[str, Decimal | None]]          # unit → line → self points
    assessed: dict[str, dict[str, Decimal | None]]     # unit → line → assessed points
    bad: set[str]                                      # units given an invalid value
    disciplined: set[str]
    conference: Conference | None
    votes: dict[str, dict[str, int | None]]
    rows: list[ScoreEntry] = field(default_factory=list)

    def bloc(self):
        awards = {
            FLAG: {"quota": [{"min_units": m, "count": c} for m, c in self.flag_steps],
                   "min_grade": self.min_grade[FLAG],
                   "vote_threshold": _text(self.threshold[FLAG])},
            MERIT: {"quota_fraction": _text(self.merit_fraction), "rounding": self.rounding,
                    "min_grade": self.min_grade[MERIT],
                    "vote_threshold": _text(self.threshold[MERIT])},
        }
        scoring = {"step": str(self.step), "bonus_cap": str(self.bonus_cap)}
        if self.deduction_cap is not None:
            scoring["deduction_cap"] = str(self.deduction_cap)
        return tiny_bloc(self.n, scoring=scoring, awards=awards,
                         review={"tie_break": self.chain})

    def round(self, rows=None) -> RoundInput:
        facts = {u: UnitFacts(u, u in self.disciplined, dict(self.votes.get(u, {})),
                              Location("Bình xét", f"A{i}"))
                 for i, u in enumerate(self.units(), start=2)}
        return RoundInput(bloc=self.bloc(), scores=tuple(self.rows if rows is None else rows),
                          facts=facts, conference=self.conference)

    def units(self) -> list[str]:
        return [f"U{i}" for i in range(1, self.n + 1)]

    # -- independent computations (rules.md §3–§8) ------------------------------------------

    def line_official(self, unit: str, line: str) -> Decimal:
        assessed = self.assessed[unit][line]
        value = assessed if assessed is not None else self.own[unit][line]
        return value if value is not None else Decimal(0)

    def sums(self, unit: str, official: bool = True) -> dict:
        per_kind = {"standard": Decimal(0), "bonus": Decimal(0), "deduction": Decimal(0)}
        per_section = {"I": Decimal(0), "II": Decimal(0), "T": Decimal(0), "TR": Decimal(0)}
        for line, (section, kind, _, _) in LINES.items():
            value = self.line_official(unit, line) if official else (
                self.own[unit][line] or Decimal(0))
            per_kind[kind] += value
            per_section[section] += value
        bonus = min(per_kind["bonus"], self.bonus_cap)
        deductions = per_kind["deduction"]
        if self.deduction_cap is not None:
            deductions = min(deductions, self.deduction_cap)
        total = per_kind["standard"] + bonus - deductions
        return {"total": total if total > 0 else Decimal(0), "sections": per_section,
                "deductions_raw": per_kind["deduction"]}

    def key(self, unit: str) -> tuple:
        s = self.sums(unit)
        parts = []
        for k in self.chain:
            if k == "total":
                parts.append(s["total"])
            elif k == "fewer_deductions":
                parts.append(-s["deductions_raw"])
            else:
                parts.append(s["sections"][k.split(":", 1)[1]])
        return tuple(parts)

    def quota(self, award: str) -> int:
        if award == FLAG:
            count = 0
            for min_units, c in sorted(self.flag_steps):
                if self.n >= min_units:
                    count = c
            return count
        exact = self.n * self.merit_fraction
        if self.rounding == "floor":
            return exact.numerator // exact.denominator
        twice = 2 * exact
        return math.floor(exact) + (1 if twice - 2 * math.floor(exact) >= 1 else 0)

    def members(self) -> int:
        return self.n

    def ballots(self) -> bool:
        return self.conference is not None and self.conference.present is not None

    def quorum_ok(self) -> bool:
        return 3 * self.conference.present >= 2 * self.members()

    def passes(self, unit: str, award: str) -> bool:
        if not self.ballots():
            return True
        return (self.votes.get(unit, {}).get(award) or 0) > self.threshold[award] * self.members()

    def clean(self, unit: str) -> bool:
        return unit not in self.bad

    def eligible(self, unit: str) -> bool:
        return (self.clean(unit) and unit not in self.disciplined
                and all(self.line_official(unit, line) != 0
                        for line, spec in LINES.items() if spec[3]))

    def candidate(self, unit: str, award: str) -> bool:
        return (self.eligible(unit)
                and self.sums(unit)["total"] >= GRADE_MIN[self.min_grade[award]])


def _text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def _typed(value: Decimal, how: int):
    """The same points as a user might type them."""
    if how == 0:
        return value
    if how == 1:
        return str(value)
    if how == 2:
        return str(value).replace(".", ",")
    return float(value)


@st.composite
def cases(draw) -> Case:
    n = draw(st.integers(1, 12))
    step = Decimal(draw(st.sampled_from(["0.5", "1", "0.25", "0.1"])))
    units = [f"U{i}" for i in range(1, n + 1)]

    def points(maximum: int, low: int = 0) -> Decimal:
        # Mostly near the top, where grade boundaries and ties are.
        steps = int(maximum / step)
        k = draw(st.one_of(st.integers(max(0, steps - 4), steps),
                           st.integers(int(low / step), steps)))
        return k * step

    own: dict[str, dict] = {}
    assessed: dict[str, dict] = {}
    for u in units:
        own[u], assessed[u] = {}, {}
        for line, (_, kind, maximum, critical) in LINES.items():
            if kind == "standard":
                own[u][line] = points(maximum)
            else:
                blank = draw(st.sampled_from(["none", "zero", "points"]))
                own[u][line] = (None if blank == "none" else Decimal(0) if blank == "zero"
                                else points(maximum // 3 + 1))
            assessed[u][line] = points(maximum) if draw(st.integers(0, 3)) == 0 else None
    bad = set(draw(st.lists(st.sampled_from(units), max_size=2, unique=True)))
    disciplined = set(draw(st.lists(st.sampled_from(units), max_size=2, unique=True)))
    chain = draw(st.lists(st.sampled_from(TIE_KEYS), min_size=1, max_size=4, unique=True))
    first = draw(st.integers(0, 2))
    flag_steps = [(1, first)] + draw(st.lists(
        st.tuples(st.integers(2, 12), st.integers(0, 4)), max_size=2, unique_by=lambda s: s[0]))
    conference = None
    votes: dict[str, dict] = {}
    if draw(st.booleans()):
        present = draw(st.one_of(st.none(), st.integers(0, n), st.just(n)))
        conference = Conference(members=n, present=present)
        for u in units:
            # Votes come from those present: never more (the engine rejects that).
            most = n if present is None else present
            votes[u] = {a: draw(st.one_of(st.none(), st.integers(0, most)))
                        for a in (FLAG, MERIT)}
    case = Case(
        n=n, step=step, bonus_cap=Decimal(draw(st.sampled_from([0, 5, 10]))),
        deduction_cap=draw(st.sampled_from([None, Decimal(3), Decimal(10)])), chain=chain,
        flag_steps=flag_steps,
        merit_fraction=draw(st.sampled_from([Fraction(1, 3), Fraction(1, 2), Fraction(2, 5)])),
        rounding=draw(st.sampled_from(["floor", "half_up"])),
        min_grade={a: draw(st.sampled_from(["HTXSNV", "HTTNV", "HTNV"])) for a in (FLAG, MERIT)},
        threshold={a: draw(st.sampled_from([Fraction(1, 2), Fraction(2, 3)]))
                   for a in (FLAG, MERIT)},
        own=own, assessed=assessed, bad=bad, disciplined=disciplined, conference=conference,
        votes=votes)
    # Rows as typed, one bad value per unit of `bad`.
    for u in units:
        broken = draw(st.sampled_from(list(LINES))) if u in bad else None
        for row, line in enumerate(LINES, start=2):
            how = draw(st.integers(0, 3))
            self_raw = own[u][line]
            self_raw = None if self_raw is None else _typed(self_raw, how)
            assessed_raw = assessed[u][line]
            assessed_raw = None if assessed_raw is None else _typed(assessed_raw, how)
            if line == broken:
                self_raw = draw(st.sampled_from(["abc", "-1", str(LINES[line][2] + 1), "1,2,3"]))
            case.rows.append(ScoreEntry(u, line, self_raw, assessed_raw, "",
                                        Location(u, f"D{row}"), Location(u, f"E{row}")))
    return case


@given(cases())
def test_totals_equal_an_independent_sum(case):
    result = review(case.round())
    for unit in result.units:
        if case.clean(unit.code):
            expected = case.sums(unit.code)
            assert unit.errors == ()
            assert unit.total == expected["total"]
            assert unit.self_total == case.sums(unit.code, official=False)["total"]
            assert dict(unit.section_totals) == expected["sections"]
        else:
            assert unit.errors != ()
            assert (unit.total, unit.rank, unit.award) == (None, None, None)


@given(cases())
def test_ranks_agree_with_the_tie_break_order(case):
    result = review(case.round())
    ranked = [u for u in result.units if case.clean(u.code)]
    for a in ranked:
        better = sum(1 for b in ranked if case.key(b.code) > case.key(a.code))
        assert a.rank == 1 + better
        for b in ranked:
            if case.key(a.code) > case.key(b.code):
                assert a.rank < b.rank
            elif case.key(a.code) == case.key(b.code):
                assert a.rank == b.rank


@given(cases())
def test_no_unit_gets_two_awards(case):
    result = review(case.round())
    listed = [code for codes in result.nominees.values() for code in codes]
    assert len(listed) == len(set(listed))
    for unit in result.units:
        holding = [k for k, codes in result.nominees.items() if unit.code in codes]
        assert holding == ([unit.award] if unit.award else [])


@given(cases())
def test_no_quota_is_exceeded(case):
    result = review(case.round())
    for award in (FLAG, MERIT):
        assert result.quotas[award] == case.quota(award)
        assert len(result.nominees[award]) <= case.quota(award)


@given(cases())
def test_no_ineligible_unit_is_nominated(case):
    result = review(case.round())
    if case.ballots() and not case.quorum_ok():
        assert result.quorum_ok is False
        assert all(not codes for codes in result.nominees.values())
    for award, codes in result.nominees.items():
        for code in codes:
            assert case.candidate(code, award), (award, code)
            assert case.passes(code, award), (award, code)
    for unit in result.units:
        assert unit.eligible is case.eligible(unit.code)


@given(cases())
def test_awards_go_down_the_rank_order(case):
    # For each award in turn: the free units that qualify (eligible, grade, vote) are taken
    # best first up to the quota; only an unresolved tie at the boundary leaves a list short.
    result = review(case.round())
    if case.ballots() and not case.quorum_ok():
        return
    taken: set[str] = set()
    for award in (FLAG, MERIT):
        pool = [u for u in case.units()
                if u not in taken and case.candidate(u, award) and case.passes(u, award)]
        chosen = list(result.nominees[award])
        ranks = [result.unit(u).rank for u in chosen]
        assert ranks == sorted(ranks)
        for x in chosen:
            for y in pool:
                if case.key(y) > case.key(x):
                    assert y in chosen, (award, y, x)
        tie = [t for t in result.ties if t.award == award]
        if tie:
            assert len(chosen) + tie[0].open_slots == case.quota(award)
            keys = {case.key(u) for u in tie[0].units}
            assert len(keys) == 1 and len(tie[0].units) >= 2
        else:
            assert len(chosen) == min(case.quota(award), len(pool))
        taken.update(chosen)


@given(cases(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_score_rows(case, rnd: random.Random):
    rows = list(case.rows)
    rnd.shuffle(rows)
    assert review(case.round(rows)).to_json() == review(case.round()).to_json()
