"""Whether the dossier's nominee list is final, and the Vietnamese sentences that say why not.

The list is *final* only when the conference's ballot was recorded and the quorum was met
(rules.md §8).  Otherwise the Tờ trình, its Danh sách and the Báo cáo are drafts: without a
ballot the list is projected from the scores (``dự kiến, chờ hội nghị bỏ phiếu``); without a
quorum no nomination is valid and the list is empty.  Unresolved ties leave quota slots open
for the bloc to decide.  :func:`dossier_warnings` gives the same facts as messages for the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..model import ReviewResult, Tie
from ..numbers import fraction_text
from .format import clean_text, count_text

#: Why the list is a draft, as the documents word it after "DỰ THẢO".
NO_BALLOT_NOTE = "dự kiến, chờ hội nghị bỏ phiếu"
NO_QUORUM_NOTE = "hội nghị không đủ số thành viên, chưa có đề nghị khen thưởng hợp lệ"


@dataclass(frozen=True)
class DossierState:
    """``final``: ballot recorded and quorum met.  ``no_ballot``: no ballot recorded (the list
    is a projection).  ``no_quorum``: ballot held without quorum (no valid nomination).
    ``draft_note``: ``""`` when final, else why the documents are drafts.
    ``quorum_text``: ``"có mặt 08/15 đơn vị thành viên, tối thiểu cần 10 đơn vị theo tỉ lệ 2/3
    số thành viên"`` (``""`` without a recorded attendance).  ``ties``: one sentence per
    unresolved tie."""

    final: bool
    no_ballot: bool
    no_quorum: bool
    draft_note: str
    quorum_text: str
    ties: tuple[str, ...]


def dossier_state(result: ReviewResult) -> DossierState:
    """The state of the dossier of ``result`` (pure)."""
    no_quorum = result.quorum_ok is False
    no_ballot = not result.ballots
    note = NO_QUORUM_NOTE if no_quorum else NO_BALLOT_NOTE if no_ballot else ""
    return DossierState(final=not (no_quorum or no_ballot), no_ballot=no_ballot,
                        no_quorum=no_quorum, draft_note=note, quorum_text=_quorum_text(result),
                        ties=tuple(tie_sentence(result, t) for t in result.ties))


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


def tie_sentence(result: ReviewResult, tie: Tie) -> str:
    """``Chỉ tiêu Bằng khen: Hội A và Hội B bằng điểm trên mọi tiêu chí phân định; còn 01 chỉ
    tiêu chờ Khối quyết định.``"""
    bloc = result.bloc
    names = {u.code: clean_text(u.name) for u in bloc.units}
    tied = [names.get(c, c) for c in tie.units]
    units = ", ".join(tied[:-1]) + " và " + tied[-1] if len(tied) > 1 else "".join(tied)
    award = clean_text(bloc.award(tie.award).short_name)
    return (f"Chỉ tiêu {award}: {units} bằng điểm trên mọi tiêu chí phân định; còn "
            f"{count_text(tie.open_slots)} chỉ tiêu chờ Khối quyết định.")


def dossier_warnings(result: ReviewResult) -> list[str]:
    """What the user must know before sending the dossier, as Vietnamese sentences (the CLI
    prints them on stderr): no quorum, no ballot recorded, unresolved ties, no nominee at
    all.  ``[]`` when the nominee list is final and complete."""
    state = dossier_state(result)
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
    for tie in result.ties:
        award = clean_text(result.bloc.award(tie.award).short_name)
        sentence = tie_sentence(result, tie).split(": ", 1)[1]
        warnings.append(f"Còn bằng điểm chưa phân định ở chỉ tiêu {award}: {sentence} Tờ "
                        "trình, Biên bản và Báo cáo ghi rõ chỉ tiêu còn để ngỏ.")
    if not state.no_quorum and not any(result.nominees.values()) and not result.ties:
        warnings.append("Không có tập thể nào được đề nghị khen thưởng: Tờ trình không kèm "
                        "Danh sách.")
    return warnings
