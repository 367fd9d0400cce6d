"""The review engine: one bloc-year's inputs → :class:`~thidua_xl.model.ReviewResult`.

This is the single entry point every CLI command and every Excel button calls after reading
its input.  It applies rules.md §2–§10 in order: validation and totals (``scoring``), ranking
(``ranking``), eligibility, quotas and nominations (``nomination``), leader and deputy
(``succession``) and reasons (``reasons``).  No I/O.
"""

from __future__ import annotations

from collections import defaultdict

from .model import (DATA_ERRORS, DISCIPLINE_ERROR, FAILED_VOTE, NO_QUORUM, NOMINATED,
                    NOT_ELIGIBLE, PROPOSED, QUOTA_REACHED, SCORES_ERROR, UNRESOLVED_TIE,
                    VOTES_ERROR, Conference, DataError, ReviewResult, RoundInput, ScoreEntry,
                    UnitFacts, UnitResult)
from .nomination import grade_reaches, nominate, quorum_met
from .ranking import deciding_key, rank, strength
from .reasons import quota_summary, reason, standing
from .scoring import grade_for, score_unit
from .succession import succession


def review(data: RoundInput) -> ReviewResult:
    """Score, rank and nominate the units of one bloc-year.

    Input: the definition, score entries (any order), review facts per unit, the conference
    (``None`` or without ``present`` = no ballot recorded: nominations are *proposed*) and the
    errors met while reading.  Read errors naming a unit block that unit; others are reported
    for the bloc.  Never raises for bad data: every problem is a ``DataError`` in the result.
    """
    bloc = data.bloc
    unit_codes = [u.code for u in bloc.units]
    known_units = set(unit_codes)
    position = {code: i for i, code in enumerate(unit_codes)}
    criterion_codes = {c.code for c in bloc.criteria}
    bloc_errors: list[DataError] = [e for e in data.read_errors if e.unit is None]
    extra_errors: dict[str, list[DataError]] = defaultdict(list)
    for e in data.read_errors:
        if e.unit is not None:
            extra_errors[e.unit].append(e)

    entries: dict[str, dict[str, ScoreEntry]] = defaultdict(dict)
    for entry in data.scores:
        unit_entries = entries[entry.unit] if entry.unit in known_units else None
        if unit_entries is not None and entry.criterion in criterion_codes \
                and entry.criterion not in unit_entries:
            unit_entries[entry.criterion] = entry
            continue
        at = entry.self_at
        sheet, cell = (at.sheet, at.cell) if at else (entry.unit, "")
        if unit_entries is None:
            bloc_errors.append(DataError(sheet, cell, f"mã đơn vị “{entry.unit}” không có trong khối"))
        elif entry.criterion not in criterion_codes:
            extra_errors[entry.unit].append(DataError(
                sheet, cell, f"mã tiêu chí “{entry.criterion}” không có trong bảng tiêu chí",
                entry.unit))
        else:
            extra_errors[entry.unit].append(DataError(
                sheet, cell, f"tiêu chí {entry.criterion} của {entry.unit} được nhập hai lần",
                entry.unit))

    conference = data.conference
    # Thresholds count all member units of the definition (rules.md §8); a different number
    # typed in the conference record is reported, never used.
    members = len(unit_codes)
    if conference is not None and conference.members is not None and conference.members != members:
        bloc_errors.append(DataError("Hội nghị", "", f"số thành viên ghi ở hội nghị "
                                                    f"({conference.members}) khác số đơn vị thành "
                                                    f"viên của Khối ({members}); thidua tính theo "
                                                    f"{members}", kind=VOTES_ERROR))
    ballots = conference is not None and conference.present is not None
    present = conference.present if ballots else None
    quorum_ok = quorum_met(present, members, bloc.review.quorum) if ballots else None
    if ballots and present > members:
        bloc_errors.append(DataError("Hội nghị", "", f"số thành viên có mặt ({present}) lớn hơn "
                                                    f"số thành viên của Khối ({members})",
                                     kind=VOTES_ERROR))

    if ballots and conference.ballots_issued is not None and conference.ballots_issued > present:
        bloc_errors.append(DataError("Hội nghị", "", f"số phiếu phát ra ({conference.ballots_issued}) "
                                                    f"lớn hơn số thành viên có mặt ({present})",
                                     kind=VOTES_ERROR))

    recorded = any(v is not None for f in data.facts.values() for v in f.votes.values())
    if recorded and not ballots:
        bloc_errors.append(DataError("Hội nghị", "", "đã có số phiếu đồng ý nhưng chưa ghi Số "
                                                    "thành viên có mặt, nên chưa tính là đã bỏ "
                                                    "phiếu", kind=VOTES_ERROR))
    elif ballots and not recorded:
        bloc_errors.append(DataError("Hội nghị", "", "đã ghi Số thành viên có mặt nhưng chưa có "
                                                    "số phiếu đồng ý nào", kind=VOTES_ERROR))

    memo: dict = {}
    scored = {code: score_unit(bloc, code, entries.get(code, {}), memo) for code in unit_codes}
    # Causes first: a unit's read errors come before the engine's, and a place the reader
    # already reported (a missing sheet, row or unreadable cell) is not reported again as
    # "chưa chấm".
    errors = {}
    for code, s in scored.items():
        read = extra_errors.get(code, [])
        said = {(e.sheet.casefold(), e.cell) for e in read}
        errors[code] = read + [e for e in s.errors if (e.sheet.casefold(), e.cell) not in said]
    votes = {code: dict(data.facts[code].votes) if code in data.facts else {}
             for code in unit_codes}
    for code in unit_codes:
        errors[code] += _vote_errors(code, data.facts.get(code), members, present, conference)

    def has(code: str, kind: str) -> bool:
        return any(e.kind == kind for e in errors[code])

    ok = [code for code in unit_codes if not has(code, SCORES_ERROR)]
    strengths = {code: strength(scored[code].official, bloc.review.tie_break) for code in ok}
    ranks = rank(strengths)
    order = sorted(ok, key=lambda c: (ranks[c], position[c]))

    disciplined = {code: bool(data.facts.get(code) and data.facts[code].disciplined)
                   for code in unit_codes}
    # May lead next year / be proposed: scored, not disciplined, no critical criterion at 0,
    # and no doubt about the discipline mark.
    office_ok = {code: code in ranks and not disciplined[code] and not scored[code].critical_failed
                 and not has(code, DISCIPLINE_ERROR) for code in unit_codes}
    held = {code for code in ok if has(code, VOTES_ERROR)}
    eligible = {code: office_ok[code] and not errors[code] for code in unit_codes}
    grades = {code: (g.code if (g := grade_for(bloc, scored[code].official.total)) else None)
              for code in ok}
    candidates = {a.key: [c for c in order if office_ok[c]
                          and grade_reaches(bloc, grades[c], a.min_grade)]
                  for a in bloc.awards}

    outcomes = nominate(bloc, order, strengths, candidates, votes, ballots, members, held)
    if quorum_ok is False:
        for o in outcomes:
            o.nominees, o.failed_vote, o.tie, o.held = [], [], None, []
    award_of = {code: o.award for o in outcomes for code in o.nominees}
    quotas = {o.award: o.quota for o in outcomes}

    leader, deputy, leader_note = succession(bloc, office_ok, conference)

    results = []
    for unit in bloc.units:
        code = unit.code
        s = scored[code]
        errs = tuple(errors[code])
        award_key = award_of.get(code)
        in_tie = next((o for o in outcomes if o.tie and code in o.tie.units), None)
        failed = next((o for o in outcomes if code in o.failed_vote), None)
        facts = dict(bloc=bloc, errors=errs, members=members, present=present)
        if errs:
            status = DATA_ERRORS
        elif award_key:
            status = NOMINATED if ballots else PROPOSED
        elif not eligible[code] or not any(code in candidates[a.key] for a in bloc.awards):
            status = NOT_ELIGIBLE
        elif quorum_ok is False:
            status = NO_QUORUM
        elif in_tie:
            status = UNRESOLVED_TIE
        elif failed:
            status = FAILED_VOTE
        else:
            status = QUOTA_REACHED
        official = s.official if code in ranks else None
        head = "" if official is None else standing(bloc, ranks[code], len(ranks),
                                                    official.total, grades[code])
        extra: dict = {}
        if status == DATA_ERRORS:
            extra = dict(held=tuple(bloc.award(o.award) for o in outcomes if code in o.held))
        elif award_key:
            extra = dict(award=bloc.award(award_key), votes=votes[code].get(award_key))
        elif status == NOT_ELIGIBLE:
            extra = dict(disciplined=disciplined[code], critical=s.critical_failed)
        elif status == UNRESOLVED_TIE:
            extra = dict(tie_award=bloc.award(in_tie.award),
                         tied_with=tuple(u for u in in_tie.tie.units if u != code))
        elif status == FAILED_VOTE:
            failed_award = bloc.award(failed.award)
            extra = dict(failed=failed_award, votes=votes[code].get(failed.award))
        elif status == QUOTA_REACHED:
            extra = dict(quota_text=quota_summary(
                             bloc, quotas, {o.award: len(o.nominees) for o in outcomes},
                             {o.award: o.tie.open_slots for o in outcomes if o.tie}),
                         beaten_by=_beaten_by(code, outcomes, scored, bloc))
        text = reason(bloc, status=status, head=head, **extra, **{k: v for k, v in facts.items()
                                                                  if k != "bloc"})
        results.append(UnitResult(
            code=code, name=unit.name,
            self_total=s.self.total if official else None,
            total=official.total if official else None,
            section_totals=dict(official.section_totals) if official else {},
            base=official.base if official else None,
            bonus_raw=official.bonus_raw if official else None,
            bonus=official.bonus if official else None,
            deductions_raw=official.deductions_raw if official else None,
            deductions=official.deductions if official else None,
            rank=ranks.get(code), grade=grades.get(code), eligible=eligible[code],
            ineligibility=_ineligibility(errs, disciplined[code], s.critical_failed),
            award=award_key, status=status, votes=votes[code], lines=s.lines,
            differences=s.differences, errors=errs,
            disciplined=disciplined[code], critical_failed=s.critical_failed, reason=text))

    all_errors = tuple(bloc_errors) + tuple(e for r in results for e in r.errors)
    return ReviewResult(
        bloc=bloc, units=tuple(results), quotas=quotas,
        nominees={o.award: tuple(o.nominees) for o in outcomes},
        ties=tuple(o.tie for o in outcomes if o.tie), quorum_ok=quorum_ok, ballots=ballots,
        members=members, present=present, next_leader=leader, next_deputy=deputy,
        leader_note=leader_note, errors=all_errors, conference=conference,
        held={o.award: tuple(o.held) for o in outcomes if o.held})


def _vote_errors(code: str, fact: UnitFacts | None, members: int, present: int | None,
                 conference: Conference | None) -> list[DataError]:
    """Vote counts that cannot be right: more than the members, than those present, or than
    the valid ballots (domain.md §2.3: ballots issued, valid, votes per unit)."""
    if fact is None:
        return []
    limits = [(members, "số thành viên của Khối")]
    if present is not None:
        limits.append((present, "số thành viên có mặt"))
    if conference is not None and conference.ballots_valid is not None:
        limits.append((conference.ballots_valid, "số phiếu hợp lệ"))
    found = []
    for key, count in fact.votes.items():
        if count is None:
            continue
        for limit, what in limits:
            if count > limit:
                at = fact.votes_at.get(key) or fact.at
                found.append(DataError(at.sheet if at else code, at.cell if at else "",
                                       f"số phiếu đồng ý {count} của {code} lớn hơn {what} "
                                       f"({limit})", code, kind=VOTES_ERROR))
                break
    return found


def _ineligibility(errors: tuple, disciplined: bool, critical: tuple[str, ...]) -> tuple[str, ...]:
    reasons = []
    if errors:
        reasons.append("data_errors")
    if disciplined:
        reasons.append("disciplined")
    reasons += [f"critical:{c}" for c in critical]
    return tuple(reasons)


def _beaten_by(code, outcomes, scored, bloc):
    """For a unit left out by the quota: the last nominee with the same total, if any, and the
    tie-break key that put it ahead (rules.md §10: "the values compared")."""
    mine = scored[code].official
    for o in reversed(outcomes):
        for other in reversed(o.nominees):
            theirs = scored[other].official
            if theirs.total == mine.total:
                key = deciding_key(mine, theirs, bloc.review.tie_break)
                if key:
                    return other, mine, theirs, key
    return None
