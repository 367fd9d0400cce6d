"""The model: a bloc's definition, one year's inputs and the review result.

Plain frozen dataclasses, no I/O.  Identifiers follow ``glossary.md`` (``Bloc`` = Khối thi đua,
``Unit`` = Đơn vị, ``Criterion`` = Tiêu chí …).  Units of measure:

* points (điểm) are :class:`decimal.Decimal`, never ``float``;
* shares such as quorum, vote threshold or quota fraction are :class:`fractions.Fraction`;
* counts are ``int``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping, NamedTuple

# Section kinds (rules.md §3).
STANDARD = "standard"
BONUS = "bonus"
DEDUCTION = "deduction"
SECTION_KINDS = (STANDARD, BONUS, DEDUCTION)

# Award keys in the order awards are assigned (rules.md §8); other keys follow in file order.
EMULATION_FLAG = "emulation_flag"
CERTIFICATE_OF_MERIT = "certificate_of_merit"
AWARD_ORDER = (EMULATION_FLAG, CERTIFICATE_OF_MERIT)

# Kinds of data error (what they block; see DataError).
SCORES_ERROR = "scores"
VOTES_ERROR = "votes"
DISCIPLINE_ERROR = "discipline"

# Leader rules (rules.md §9).
LEADER_RULES = ("deputy_succeeds", "rotation", "vote")

# Unit statuses in the result (one per unit).
NOMINATED = "nominated"            # đề nghị khen thưởng, ballot passed
PROPOSED = "proposed"              # dự kiến đề nghị, awaiting the vote (no ballot recorded)
NOT_ELIGIBLE = "not_eligible"      # discipline, critical criterion at 0, or below every min_grade
QUOTA_REACHED = "quota_reached"    # eligible but every quota was filled by better-ranked units
FAILED_VOTE = "failed_vote"        # did not get more than vote_threshold × members votes
UNRESOLVED_TIE = "unresolved_tie"  # tied at a quota boundary on every tie-break key
NO_QUORUM = "no_quorum"            # the conference lacked its quorum: no nomination is valid
DATA_ERRORS = "data_errors"        # the unit's data has errors: no total, no rank, no award
STATUSES = (NOMINATED, PROPOSED, NOT_ELIGIBLE, QUOTA_REACHED, FAILED_VOTE, UNRESOLVED_TIE,
            NO_QUORUM, DATA_ERRORS)

STATUS_LABELS = {
    NOMINATED: "Đề nghị khen thưởng",
    PROPOSED: "Dự kiến đề nghị, chờ bỏ phiếu",
    NOT_ELIGIBLE: "Không đủ điều kiện",
    QUOTA_REACHED: "Đã đủ chỉ tiêu",
    FAILED_VOTE: "Không đủ số phiếu",
    UNRESOLVED_TIE: "Bằng điểm chưa phân định",
    NO_QUORUM: "Hội nghị không đủ số thành viên",
    DATA_ERRORS: "Dữ liệu có lỗi",
}


@dataclass(frozen=True)
class Unit:
    """A member unit (Đơn vị thành viên khối).

    ``code``: ASCII letters, digits or ``_``, at most 31 characters; it names the unit's sheet.
    """

    code: str
    name: str


@dataclass(frozen=True)
class Section:
    """A section of the criteria table (Nhóm / Mục tiêu chí), e.g. ``I`` or ``T`` (bonus).

    ``kind`` is ``standard``, ``bonus`` or ``deduction``; ``max_points`` in points.
    """

    code: str
    title: str
    kind: str
    max_points: Decimal


@dataclass(frozen=True)
class Criterion:
    """One scored line (Tiêu chí), e.g. ``I.3``; ``critical`` marks a điểm liệt line."""

    code: str
    section: str
    text: str
    max_points: Decimal
    critical: bool = False


@dataclass(frozen=True)
class Grade:
    """A grade band (Xếp loại): reached when the total is at least ``min_total`` points."""

    code: str
    name: str
    min_total: Decimal


@dataclass(frozen=True)
class ScoringSettings:
    """Scoring settings of the bloc (rules.md §2–§4; defaults from domain.md §8).

    ``base_points``: sum of the standard sections' maxima (points).  ``step``: allowed score
    increment (points).  ``bonus_cap``: cap on the bonus sum (points).  ``deduction_cap``: cap on
    the deduction sum (points) or ``None`` for no cap.  ``grades``: bands, highest
    ``min_total`` first.
    """

    base_points: Decimal = Decimal(100)
    step: Decimal = Decimal("0.5")
    bonus_cap: Decimal = Decimal(10)
    deduction_cap: Decimal | None = None
    grades: tuple[Grade, ...] = ()


@dataclass(frozen=True)
class QuotaStep:
    """``count`` awards when the bloc has at least ``min_units`` member units."""

    min_units: int
    count: int


@dataclass(frozen=True)
class Award:
    """An award the bloc proposes (Hình thức khen thưởng / Danh hiệu thi đua), rules.md §6–§8.

    ``key``: ``emulation_flag``, ``certificate_of_merit`` or another identifier.
    ``short_name``: the label used in workbook columns (``Cờ thi đua``, ``Bằng khen``).
    The quota is either ``quota_steps`` (ascending ``min_units``) or ``quota_fraction`` with
    ``rounding`` ``floor``/``half_up``.  ``vote_threshold``: a unit needs more than this share of
    all member units' votes.
    """

    key: str
    name: str
    short_name: str
    min_grade: str
    quota_steps: tuple[QuotaStep, ...] = ()
    quota_fraction: Fraction | None = None
    rounding: str = "floor"
    vote_threshold: Fraction = Fraction(1, 2)


@dataclass(frozen=True)
class ReviewSettings:
    """Review settings (rules.md §5, §8, §9).

    ``quorum``: share of members that must be present.  ``tie_break``: keys ``total``,
    ``section:<code>``, ``fewer_deductions``.  ``leader_rule``: one of :data:`LEADER_RULES`.
    """

    quorum: Fraction = Fraction(2, 3)
    tie_break: tuple[str, ...] = ("total", "section:I", "fewer_deductions")
    leader_rule: str = "deputy_succeeds"


@dataclass(frozen=True)
class WorkbookSettings:
    """Settings of the shared workbook: sheet protection password (None = no password) and how
    many timestamped backups to keep beside it when results are written."""

    password: str | None = None
    backups: int = 5


@dataclass(frozen=True)
class Bloc:
    """A bloc's definition for one year (Khối thi đua + Bảng tiêu chí chấm điểm + settings).

    ``units`` are in member (rotation) order.  ``awards`` are in assignment order.
    ``documents`` holds the optional ``[documents]`` table (signers, legal bases, …) as read,
    for the Word templates.  ``warnings`` lists unknown keys (likely typos).
    """

    name: str
    province: str
    year: int
    leader: str
    deputy: str | None
    units: tuple[Unit, ...]
    sections: tuple[Section, ...]
    criteria: tuple[Criterion, ...]
    scoring: ScoringSettings
    awards: tuple[Award, ...]
    review: ReviewSettings = field(default_factory=ReviewSettings)
    workbook: WorkbookSettings = field(default_factory=WorkbookSettings)
    documents: Mapping[str, Any] = field(default_factory=dict)
    schema: int = 1
    #: Vietnamese notes about keys the definition has but thidua does not know (probable
    #: typos such as ``[scorng]``); not part of the definition's identity.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def unit(self, code: str) -> Unit:
        """The unit with this code; ``KeyError`` if none."""
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)

    def section(self, code: str) -> Section:
        """The section with this code; ``KeyError`` if none."""
        for s in self.sections:
            if s.code == code:
                return s
        raise KeyError(code)

    def criterion(self, code: str) -> Criterion:
        """The criterion with this code; ``KeyError`` if none."""
        for c in self.criteria:
            if c.code == code:
                return c
        raise KeyError(code)

    def award(self, key: str) -> Award:
        """The award with this key; ``KeyError`` if none."""
        for a in self.awards:
            if a.key == key:
                return a
        raise KeyError(key)

    def grade(self, code: str) -> Grade:
        """The grade band with this code; ``KeyError`` if none."""
        for g in self.scoring.grades:
            if g.code == code:
                return g
        raise KeyError(code)

    def criteria_of(self, section_code: str) -> tuple[Criterion, ...]:
        """The criteria of one section, in table order."""
        return tuple(c for c in self.criteria if c.section == section_code)


@dataclass(frozen=True)
class Location:
    """Where a value came from: ``sheet`` (a sheet name or a file name) and ``cell``
    (``D7``, or ``dòng 12`` for a CSV line)."""

    sheet: str
    cell: str = ""

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet


@dataclass(frozen=True)
class DataError:
    """A problem in a unit's data or in the review facts: ``sheet``, ``cell``, Vietnamese
    ``message``, the ``unit`` code it concerns (``None`` when it concerns the bloc) and its
    ``kind``, which decides what it blocks:

    * ``scores`` (a score, a criterion row): the unit gets no total, rank or award;
    * ``votes`` (a vote count): the unit keeps its total and rank but gets no award, and the
      quota place it would take stays open, so a typo never hands the award to another unit;
    * ``discipline`` (the `Kỷ luật` mark): the unit keeps its total and rank but can neither
      be nominated nor lead the bloc next year until the mark is corrected.
    """

    sheet: str
    cell: str
    message: str
    unit: str | None = None
    kind: str = "scores"

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.message}"

    def to_json(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "message": self.message,
                "unit": self.unit, "kind": self.kind}


@dataclass(frozen=True)
class ScoreEntry:
    """One unit's entry for one criterion, as typed (rules.md §1).

    Scores are raw cell values (``Decimal``, ``int``, ``float``, ``str`` or ``None``); the
    engine parses and validates them, so a bad value becomes a :class:`DataError` naming
    ``self_at`` / ``assessed_at``.
    """

    unit: str
    criterion: str
    self_score: Any = None
    assessed_score: Any = None
    evidence: str = ""
    self_at: Location | None = None
    assessed_at: Location | None = None


@dataclass(frozen=True)
class UnitFacts:
    """Review facts of one unit: ``disciplined`` (kỷ luật) and ``votes`` per award key
    (``None`` = not on that ballot); ``at`` locates the row, ``votes_at`` each vote cell."""

    unit: str
    disciplined: bool = False
    votes: Mapping[str, int | None] = field(default_factory=dict)
    at: Location | None = None
    votes_at: Mapping[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class Conference:
    """The review conference (Hội nghị tổng kết, bình xét).

    ``members``: member units called (defaults to the bloc's size); ``present``: members
    present, ``None`` when no ballot was recorded; ballots as counts.  ``next_leader`` /
    ``next_deputy``: elected units when ``leader_rule = "vote"``.
    """

    date: dt.date | None = None
    place: str = ""
    members: int | None = None
    present: int | None = None
    ballots_issued: int | None = None
    ballots_valid: int | None = None
    chair: str = ""
    secretary: str = ""
    next_leader: str | None = None
    next_deputy: str | None = None


@dataclass(frozen=True)
class RoundInput:
    """Everything the engine needs for one bloc-year: the definition, the score entries, the
    review facts per unit code, the conference (or ``None``) and errors found while reading
    (e.g. a row naming an unknown unit)."""

    bloc: Bloc
    scores: tuple[ScoreEntry, ...]
    facts: Mapping[str, UnitFacts] = field(default_factory=dict)
    conference: Conference | None = None
    read_errors: tuple[DataError, ...] = ()


# ---------------------------------------------------------------------------------------------
# Result


class LineResult(NamedTuple):
    """One criterion of one unit after validation: parsed scores (points or ``None``), the
    official score (assessed if given, else self; blank bonus/deduction lines count 0).

    A named tuple rather than a dataclass: a large bloc builds tens of thousands of them."""

    criterion: str
    self_score: Decimal | None
    assessed_score: Decimal | None
    official: Decimal | None
    evidence: str = ""

    @property
    def differs(self) -> bool:
        """True when an assessed score was given and differs from the self score."""
        return self.assessed_score is not None and self.assessed_score != (self.self_score or 0)


@dataclass(frozen=True)
class UnitResult:
    """The outcome for one unit (points as Decimal; ``None`` when the data has errors).

    ``section_totals``: official subtotal per section code.  ``bonus_raw``/``bonus``: bonus sum
    before/after ``bonus_cap``; likewise ``deductions_raw``/``deductions``.  ``rank``: 1 = best,
    shared on a full tie.  ``eligible``: False when data errors, discipline or a critical
    criterion at 0 exclude the unit from every award (the JSON ``eligible``).  ``award``: award
    key or ``None``; ``status``: one of :data:`STATUSES`; ``votes``: votes per award key.
    ``differences``: lines whose assessed score differs from the self score.  ``reason``: one
    Vietnamese sentence.
    """

    code: str
    name: str
    self_total: Decimal | None
    total: Decimal | None
    section_totals: Mapping[str, Decimal]
    base: Decimal | None
    bonus_raw: Decimal | None
    bonus: Decimal | None
    deductions_raw: Decimal | None
    deductions: Decimal | None
    rank: int | None
    grade: str | None
    eligible: bool
    ineligibility: tuple[str, ...]
    award: str | None
    status: str
    votes: Mapping[str, int | None]
    lines: tuple[LineResult, ...]
    differences: tuple[LineResult, ...]
    errors: tuple[DataError, ...]
    disciplined: bool
    critical_failed: tuple[str, ...]
    reason: str

    def to_json(self) -> dict:
        """The unit object of the ``--json`` contract (bloc-format.md), plus detail fields."""
        num = _json_number
        return {
            "code": self.code,
            "name": self.name,
            "total": num(self.total),
            "self_total": num(self.self_total),
            "rank": self.rank,
            "grade": self.grade,
            "award": self.award,
            "eligible": self.eligible,
            "status": self.status,
            "section_totals": {k: num(v) for k, v in self.section_totals.items()},
            "bonus_raw": num(self.bonus_raw),
            "bonus": num(self.bonus),
            "deductions_raw": num(self.deductions_raw),
            "deductions": num(self.deductions),
            "votes": dict(self.votes),
            "differences": [
                {"criterion": d.criterion, "self_score": num(d.self_score),
                 "assessed_score": num(d.assessed_score)} for d in self.differences],
            "errors": [e.to_json() for e in self.errors],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Tie:
    """An unresolved tie at an award's quota boundary: the tied unit codes and the slots left
    empty because of it."""

    award: str
    units: tuple[str, ...]
    open_slots: int


@dataclass(frozen=True)
class ReviewResult:
    """The outcome for the bloc (rules.md §3–§10).

    ``units`` in member order.  ``quotas``: award key → count.  ``nominees``: award key →
    unit codes in rank order.  ``ties``: unresolved ties.  ``quorum_ok``: ``None`` when no
    ballot was recorded.  ``ballots``: True when votes were recorded (nominations are final,
    not proposals).  ``errors``: every data error, bloc-wide ones included.  ``held``: award
    key → units (rank order) whose doubtful vote count holds a quota place open.
    """

    bloc: Bloc
    units: tuple[UnitResult, ...]
    quotas: Mapping[str, int]
    nominees: Mapping[str, tuple[str, ...]]
    ties: tuple[Tie, ...]
    quorum_ok: bool | None
    ballots: bool
    members: int
    present: int | None
    next_leader: str | None
    next_deputy: str | None
    leader_note: str
    errors: tuple[DataError, ...]
    conference: Conference | None = None
    held: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def unresolved_ties(self) -> list[str]:
        """Award keys with an unresolved tie (the JSON ``unresolved_ties``)."""
        return sorted({t.award for t in self.ties}, key=[a.key for a in self.bloc.awards].index)

    def unit(self, code: str) -> UnitResult:
        """The result of one unit; ``KeyError`` if none."""
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)

    def ranked(self) -> list[UnitResult]:
        """Units in rank order (ties in member order), units with errors last."""
        order = {u.code: i for i, u in enumerate(self.units)}
        return sorted(self.units, key=lambda u: (u.rank is None, u.rank or 0, order[u.code]))

    def to_json(self) -> dict:
        """The machine-readable result of ``thidua run --json`` (bloc-format.md)."""
        return {
            "bloc": {"name": self.bloc.name, "province": self.bloc.province,
                     "year": self.bloc.year},
            "units": [u.to_json() for u in self.units],
            "quotas": dict(self.quotas),
            "nominees": {k: list(v) for k, v in self.nominees.items()},
            "next_leader": self.next_leader,
            "next_deputy": self.next_deputy,
            "leader_note": self.leader_note,
            "quorum_ok": self.quorum_ok,
            "unresolved_ties": self.unresolved_ties,
            "held": {k: list(v) for k, v in self.held.items()},
            "ties": [{"award": t.award, "units": list(t.units), "open_slots": t.open_slots}
                     for t in self.ties],
            "errors": [e.to_json() for e in self.errors],
        }


def _json_number(value: Decimal | None) -> float | int | None:
    # JSON has no decimals; points have at most two decimals, so float is exact enough to print.
    return None if value is None else float(value)
