"""One-sentence Vietnamese explanations of each unit's outcome (rules.md §10)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from .model import (DATA_ERRORS, FAILED_VOTE, NO_QUORUM, NOMINATED, NOT_ELIGIBLE, PROPOSED,
                    QUOTA_REACHED, UNRESOLVED_TIE, Award, Bloc)
from .numbers import format_number, format_points, fraction_text, two_digits
from .ranking import key_value
from .scoring import Totals


def key_label(bloc: Bloc, key: str) -> str:
    """Vietnamese name of a tie-break key: ``section:I`` → ``điểm Mục I``."""
    if key == "total":
        return "tổng điểm"
    if key == "fewer_deductions":
        return "điểm trừ (ít hơn xếp trên)"
    return f"điểm Mục {key[len('section:'):]}"


def standing(bloc: Bloc, rank: int, ranked: int, total: Decimal, grade: str | None) -> str:
    """``Xếp hạng 1/15, 106,0 điểm, Hoàn thành xuất sắc nhiệm vụ``."""
    text = f"Xếp hạng {rank}/{ranked}, {format_points(total)} điểm"
    if grade:
        text += f", {bloc.grade(grade).name.lower()}"
    return text


def votes_needed(award: Award, members: int) -> str:
    """``hơn 7,5 phiếu (1/2 số thành viên)``."""
    need = Fraction(members) * award.vote_threshold
    shown = format_number(Decimal(need.numerator) / Decimal(need.denominator))
    return f"hơn {shown} phiếu ({fraction_text(award.vote_threshold)} của {members} thành viên)"


def reason(bloc: Bloc, *, status: str, head: str, award: Award | None = None,
           votes: int | None = None, members: int = 0, errors: tuple = (),
           disciplined: bool = False, critical: tuple[str, ...] = (), grade: str | None = None,
           failed: Award | None = None, tie_award: Award | None = None,
           tied_with: tuple[str, ...] = (), present: int | None = None,
           quota_text: str = "", beaten_by: tuple[str, Totals, Totals, str] | None = None,
           held: tuple[Award, ...] = ()) -> str:
    """Compose the sentence for one unit.  ``head`` is :func:`standing` (empty for units with
    data errors); the other arguments are the facts relevant to ``status``."""
    if status == DATA_ERRORS:
        if not head:
            return f"Chưa xếp hạng vì dữ liệu có {len(errors)} lỗi; lỗi đầu tiên: {errors[0]}."
        text = f"{head}; chưa xét khen thưởng vì dữ liệu bình xét có lỗi: {errors[0]}"
        if held:
            text += (" (chỗ của đơn vị trong chỉ tiêu " + ", ".join(a.short_name for a in held)
                     + " được giữ lại đến khi sửa)")
        return text + "."
    if status in (NOMINATED, PROPOSED):
        if status == NOMINATED:
            return f"{head}; đề nghị tặng {award.name} với {votes}/{members} phiếu đồng ý."
        return f"{head}; dự kiến đề nghị tặng {award.name}, chờ hội nghị bỏ phiếu."
    if status == NOT_ELIGIBLE:
        if disciplined:
            why = "tập thể hoặc người đứng đầu bị kỷ luật trong năm"
        elif critical:
            names = ", ".join(f"{c} ({bloc.criterion(c).text})" for c in critical)
            why = f"tiêu chí bắt buộc {names} được 0 điểm"
        else:
            lowest = min((bloc.grade(a.min_grade) for a in bloc.awards), key=lambda g: g.min_total)
            why = f"xếp loại chưa đạt mức tối thiểu “{lowest.name}”"
        return f"{head}; không đủ điều kiện khen thưởng vì {why}."
    if status == NO_QUORUM:
        return (f"{head}; hội nghị chỉ có {present}/{members} thành viên có mặt, không đủ "
                f"{fraction_text(bloc.review.quorum)} số thành viên nên chưa đề nghị khen thưởng.")
    if status == UNRESOLVED_TIE:
        others = ", ".join(tied_with)
        return (f"{head}; bằng {others} trên mọi tiêu chí phân định ở ranh giới chỉ tiêu "
                f"{tie_award.short_name}, Khối cần phân định thêm (bổ sung tiêu chí hoặc bỏ phiếu).")
    if status == FAILED_VOTE:
        return (f"{head}; không đạt số phiếu {failed.short_name}: {votes or 0}/{members} phiếu "
                f"đồng ý, cần {votes_needed(failed, members)}.")
    assert status == QUOTA_REACHED
    text = f"{head}; không còn chỉ tiêu cho đơn vị ({quota_text})"
    if beaten_by:
        other, mine, theirs, key = beaten_by
        text += (f", bằng tổng điểm với {other} nhưng xếp sau theo {key_label(bloc, key)} "
                 f"({format_points(key_value(mine, key))} so với "
                 f"{format_points(key_value(theirs, key))})")
    return text + "."


def quota_summary(bloc: Bloc, quotas: dict[str, int], nominated: dict[str, int],
                  open_slots: dict[str, int]) -> str:
    """Per award, places taken out of the quota: ``Cờ thi đua 02/02, Bằng khen 04/05 (01 chờ
    phân định bằng điểm)``; ``Cờ thi đua: không có chỉ tiêu`` for a quota of 0."""
    parts = []
    for a in bloc.awards:
        quota = quotas[a.key]
        if quota == 0:
            parts.append(f"{a.short_name}: không có chỉ tiêu")
            continue
        text = f"{a.short_name} {two_digits(nominated.get(a.key, 0))}/{two_digits(quota)}"
        if open_slots.get(a.key):
            text += f" ({two_digits(open_slots[a.key])} chờ phân định bằng điểm)"
        parts.append(text)
    return ", ".join(parts)
