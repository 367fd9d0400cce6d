"""Whether the dossier's nominee list is final, and the Vietnamese sentences that say why not.

The list is *final* only when the conference's ballot was recorded with its quorum
(rules.md §8), every quota place is decided and the review data behind it is sound.
Otherwise the Tờ trình, its Danh sách and the Báo cáo are drafts (``DỰ THẢO``):

* no ballot recorded: the list is projected from the scores (``dự kiến, chờ hội nghị bỏ
  phiếu``);
* no quorum: no nomination is valid and the list is empty;
* review data errors: a vote count in doubt (kind ``votes``: the unit's quota place is held
  until it is corrected), a discipline mark in doubt (kind ``discipline``) or an error in the
  conference's ballot figures (a bloc-level ``votes``/``discipline`` error) — a proposal to
  the province must not rest on them; the Biên bản, which prints those figures, is a draft
  too;
* unresolved ties: quota places wait for the bloc's decision, and a proposal must not carry
  an undecided quota.

:func:`dossier_warnings` gives the same facts as messages for the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from ..model import DISCIPLINE_ERROR, VOTES_ERROR, DataError, ReviewResult, Tie
from ..numbers import fraction_text
from .format import clean_text, count_text

#: Why the list is a draft, as the documents word it after "DỰ THẢO".
NO_BALLOT_NOTE = "dự kiến, chờ hội nghị bỏ phiếu"
NO_QUORUM_NOTE = "hội nghị không đủ số thành viên, chưa có đề nghị khen thưởng hợp lệ"

#: The sheet name the engine gives errors in the conference's own figures (members present,
#: ballots issued).  Such an error puts the ballot in doubt whatever its kind.
CONFERENCE_SHEET = "Hội nghị"

#: Error kinds that make the dossier a draft (a scores error only takes its unit out).
REVIEW_KINDS = (VOTES_ERROR, DISCIPLINE_ERROR)


@dataclass(frozen=True)
class DossierState:
    """The state of a dossier.

    ``final``: nothing makes it a draft.  ``voted``: the ballot was recorded and the quorum
    met (the list is the conference's, not a projection).  ``no_ballot``: no ballot recorded.
    ``no_quorum``: ballot held without quorum (no valid nomination).  ``vote_errors`` /
    ``discipline_errors`` / ``ballot_errors``: the review data errors that make it a draft
    (unit vote counts, unit discipline marks, the conference's ballot figures).
    ``held``: award key → codes of the units whose quota place is held because their vote
    count is in doubt.  ``reasons``: why it is a draft, one phrase each; ``draft_note`` joins
    them with ``"; "`` (``""`` when final); ``data_note`` joins those about data errors
    only.  ``quorum_text``: ``"có mặt 08/15 đơn vị thành viên, tối thiểu cần 10 đơn vị theo
    tỉ lệ 2/3 số thành viên"`` (``""`` without a recorded attendance).  ``ties``: one
    sentence per unresolved tie; ``held_lines``: one sentence per award with held places."""

    final: bool
    voted: bool
    no_ballot: bool
    no_quorum: bool
    vote_errors: tuple[DataError, ...]
    discipline_errors: tuple[DataError, ...]
    ballot_errors: tuple[DataError, ...]
    held: Mapping[str, tuple[str, ...]]
    reasons: tuple[str, ...]
    draft_note: str
    data_note: str
    quorum_text: str
    ties: tuple[str, ...]
    held_lines: tuple[str, ...]

    @property
    def data_errors(self) -> tuple[DataError, ...]:
        """Every review data error that makes the dossier a draft, ballot figures first."""
        return self.ballot_errors + self.vote_errors + self.discipline_errors


def dossier_state(result: ReviewResult) -> DossierState:
    """The state of the dossier of ``result`` (pure)."""
    no_quorum = result.quorum_ok is False
    no_ballot = not result.ballots
    vote_errors = tuple(e for e in result.errors if e.unit is not None and e.kind == VOTES_ERROR)
    discipline_errors = tuple(e for e in result.errors
                              if e.unit is not None and e.kind == DISCIPLINE_ERROR)
    ballot_errors = tuple(e for e in result.errors if is_ballot_error(e))
    held = held_places(result)
    names = _names(result)

    data_reasons = []
    if ballot_errors:
        data_reasons.append("số liệu bỏ phiếu của hội nghị có lỗi: "
                            + "; ".join(clean_text(e.message) for e in ballot_errors))
    if vote_errors:
        phrase = f"số phiếu của {_join(_unit_names(vote_errors, names))} có lỗi"
        awards = [clean_text(result.bloc.award(k).short_name) for k in held]
        if awards:
            phrase += f", chỗ trong chỉ tiêu {_join(awards)} được giữ lại đến khi sửa"
        data_reasons.append(phrase)
    if discipline_errors:
        data_reasons.append(f"dấu kỷ luật của {_join(_unit_names(discipline_errors, names))} "
                            "có lỗi, chưa xét khen thưởng đến khi sửa")
    reasons = [NO_QUORUM_NOTE if no_quorum else NO_BALLOT_NOTE] if no_quorum or no_ballot else []
    reasons += data_reasons
    if result.ties:
        tied = [clean_text(result.bloc.award(k).short_name) for k in result.unresolved_ties]
        reasons.append(f"chỉ tiêu {_join(tied)} còn bằng điểm chưa phân định, chờ Khối quyết "
                       "định")
    return DossierState(
        final=not reasons, voted=not (no_quorum or no_ballot), no_ballot=no_ballot,
        no_quorum=no_quorum, vote_errors=vote_errors, discipline_errors=discipline_errors,
        ballot_errors=ballot_errors, held=held, reasons=tuple(reasons),
        draft_note="; ".join(reasons), data_note="; ".join(data_reasons),
        quorum_text=_quorum_text(result),
        ties=tuple(tie_sentence(result, t) for t in result.ties),
        held_lines=tuple(held_sentence(result, award, codes) for award, codes in held.items()))


def is_ballot_error(error: DataError) -> bool:
    """True for an error in the conference's ballot figures: a bloc-level (no unit) error of
    kind ``votes`` or ``discipline``, or one in the conference's own figures."""
    return error.unit is None and (error.kind in REVIEW_KINDS or error.sheet == CONFERENCE_SHEET)


def flagged_vote_units(result: ReviewResult) -> set[str]:
    """Codes of the units whose vote counts are in doubt (a ``votes`` error names them): the
    documents print "Có lỗi" instead of their ballot result."""
    return {e.unit for e in result.errors if e.unit is not None and e.kind == VOTES_ERROR}


# The engine's reason for a unit whose vote count is in doubt ends with "(chỗ của đơn vị
# trong chỉ tiêu Cờ thi đua, Bằng khen được giữ lại đến khi sửa)".


def held_places(result: ReviewResult) -> dict[str, tuple[str, ...]]:
    """Award key → codes of the units holding a quota place of that award because their vote
    count is in doubt (``ReviewResult.held``); awards without held places are left out."""
    return {k: tuple(v) for k, v in result.held.items() if v}


def quorum_needed(result: ReviewResult) -> int:
    """The fewest members present for a valid conference: ``ceil(members × quorum)``."""
    return math.ceil(Fraction(result.members) * result.bloc.review.quorum)


def _quorum_text(result: ReviewResult) -> str:
    if result.present is None:
        return ""
    quorum = result.bloc.review.quorum
    return (f"có mặt {count_text(result.present)}/{count_text(result.members)} đơn vị thành "
            f"viên, tối thiểu cần {count_text(quorum_needed(result))} đơn vị theo tỉ lệ "
            f"{fraction_text(quorum)} số thành viên")


def _names(result: ReviewResult) -> dict[str, str]:
    return {u.code: clean_text(u.name) for u in result.bloc.units}


def _unit_names(errors, names: dict[str, str]) -> list[str]:
    codes = list(dict.fromkeys(e.unit for e in errors))
    return [names.get(c, c) for c in codes]


def _join(items: list[str]) -> str:
    """``A``; ``A và B``; ``A, B và C``."""
    return ", ".join(items[:-1]) + " và " + items[-1] if len(items) > 1 else "".join(items)


def tie_sentence(result: ReviewResult, tie: Tie) -> str:
    """``Chỉ tiêu Bằng khen: Hội A và Hội B bằng điểm trên mọi tiêu chí phân định; còn 01 chỉ
    tiêu chờ Khối quyết định.``"""
    names = _names(result)
    units = _join([names.get(c, c) for c in tie.units])
    award = clean_text(result.bloc.award(tie.award).short_name)
    return (f"Chỉ tiêu {award}: {units} bằng điểm trên mọi tiêu chí phân định; còn "
            f"{count_text(tie.open_slots)} chỉ tiêu chờ Khối quyết định.")


def held_sentence(result: ReviewResult, award: str, codes: tuple[str, ...]) -> str:
    """``Chỉ tiêu Cờ thi đua: số phiếu của Hội A có lỗi; 01 chỉ tiêu được giữ lại đến khi
    sửa.``"""
    names = _names(result)
    short = clean_text(result.bloc.award(award).short_name)
    return (f"Chỉ tiêu {short}: số phiếu của {_join([names.get(c, c) for c in codes])} có lỗi; "
            f"{count_text(len(codes))} chỉ tiêu được giữ lại đến khi sửa.")


_DRAFTED = "Tờ trình, Danh sách, Báo cáo và Biên bản được đánh dấu DỰ THẢO"


def dossier_warnings(result: ReviewResult) -> list[str]:
    """What the user must know before sending the dossier, as Vietnamese sentences (the CLI
    prints them on stderr): no quorum, no ballot recorded, review data errors (vote counts,
    discipline marks, ballot figures), unresolved ties, no nominee at all.  ``[]`` when the
    dossier is final and its nominee list complete."""
    state = dossier_state(result)
    names = _names(result)
    warnings = []
    if state.no_quorum:
        warnings.append(
            f"Hội nghị không đủ số thành viên ({state.quorum_text}): Tờ trình được đánh dấu "
            "DỰ THẢO, không có đề nghị khen thưởng nào hợp lệ và không kèm Danh sách; Biên bản "
            "ghi kết quả bỏ phiếu không có giá trị. Cần tổ chức lại hội nghị bình xét.")
    elif state.no_ballot:
        warnings.append(
            "Chưa ghi kết quả bỏ phiếu của hội nghị (số thành viên có mặt và số phiếu): Tờ "
            "trình, Danh sách và Báo cáo được đánh dấu DỰ THẢO, danh sách đề nghị là dự kiến "
            "theo kết quả chấm điểm, chờ hội nghị bỏ phiếu.")
    if state.ballot_errors:
        warnings.append(
            "Số liệu bỏ phiếu của hội nghị có lỗi (" + _listed(state.ballot_errors) + "): "
            + _DRAFTED + ". Sửa số liệu hội nghị rồi chạy lại.")
    if state.vote_errors:
        held = [clean_text(result.bloc.award(k).short_name) for k in state.held]
        kept = (f"; chỗ trong chỉ tiêu {_join(held)} được giữ lại, không chuyển cho đơn vị "
                "khác" if held else "")
        warnings.append(
            f"Số phiếu của {_join(_unit_names(state.vote_errors, names))} có lỗi ("
            + _listed(state.vote_errors) + f"){kept}: {_DRAFTED}; Biên bản ghi “Có lỗi” thay "
            "cho kết quả bỏ phiếu của đơn vị. Sửa số phiếu rồi chạy lại.")
    if state.discipline_errors:
        warnings.append(
            f"Dấu kỷ luật của {_join(_unit_names(state.discipline_errors, names))} có lỗi ("
            + _listed(state.discipline_errors) + "): đơn vị chưa được xét khen thưởng và chưa "
            f"được xét làm Trưởng khối; {_DRAFTED}. Sửa dữ liệu rồi chạy lại.")
    for tie in result.ties:
        award = clean_text(result.bloc.award(tie.award).short_name)
        sentence = tie_sentence(result, tie).split(": ", 1)[1]
        warnings.append(f"Còn bằng điểm chưa phân định ở chỉ tiêu {award}: {sentence} Tờ "
                        "trình, Danh sách và Báo cáo được đánh dấu DỰ THẢO (không trình tỉnh "
                        "khi chỉ tiêu chưa được quyết định); Biên bản và Báo cáo ghi rõ chỉ "
                        "tiêu còn để ngỏ. Khối cần phân định (bổ sung tiêu chí phân định hoặc "
                        "bỏ phiếu) rồi chạy lại.")
    if not state.no_quorum and not any(result.nominees.values()) and not result.ties \
            and not state.held:
        warnings.append("Không có tập thể nào được đề nghị khen thưởng: Tờ trình không kèm "
                        "Danh sách.")
    return warnings


def _listed(errors: tuple[DataError, ...]) -> str:
    return "; ".join(clean_text(str(e)) for e in errors)
