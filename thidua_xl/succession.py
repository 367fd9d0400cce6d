"""Next year's leader and deputy (Trưởng khối, Phó Trưởng khối), rules.md §9.

Sources: leaders and deputies are chosen by rotation for a one-year term (Hà Nội HD
01/HD-HĐTĐKT [S4]; HD 1122/BTĐKT-VI [S5]); a unit not eligible in the year reviewed cannot be
put forward (procuracy sector rules [S6]).  The rule in force is ``review.leader_rule``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .model import Bloc, Conference


def next_in_order(order: Sequence[str], start: str, eligible: Mapping[str, bool],
                  skip: set[str]) -> str | None:
    """The first eligible unit after ``start`` in member order, wrapping around, skipping
    ``skip`` and ``start`` itself; ``None`` when there is none."""
    i = order.index(start)
    for step in range(1, len(order)):
        code = order[(i + step) % len(order)]
        if eligible.get(code) and code not in skip:
            return code
    return None


def succession(bloc: Bloc, eligible: Mapping[str, bool],
               conference: Conference | None) -> tuple[str | None, str | None, str]:
    """Return ``(next_leader, next_deputy, note)``.

    ``eligible``: unit code → no data errors, not disciplined, no critical criterion at 0.

    * ``deputy_succeeds``: the deputy if eligible, else the next eligible unit after the deputy;
      the deputy is the next eligible unit after the new leader; the outgoing leader is skipped.
    * ``rotation``: the next eligible unit after the current leader, then the next after it.
    * ``vote``: the units recorded in the conference (``next_leader``/``next_deputy``).

    When no other unit can lead (a bloc of one unit), an eligible outgoing leader stays on.
    ``note`` explains the outcome in Vietnamese (empty when ordinary).
    """
    order = [u.code for u in bloc.units]
    outgoing = bloc.leader
    rule = bloc.review.leader_rule
    notes: list[str] = []
    if rule == "vote":
        leader = conference.next_leader if conference else None
        deputy = conference.next_deputy if conference else None
        for role, code in (("Trưởng khối", leader), ("Phó Trưởng khối", deputy)):
            if code is None:
                notes.append(f"chưa ghi kết quả bầu {role}")
            elif code not in order:
                notes.append(f"{role} được bầu “{code}” không phải là đơn vị thành viên")
            elif not eligible.get(code):
                notes.append(f"{role} được bầu {code} không đủ điều kiện trong năm")
        leader = leader if leader in order and eligible.get(leader) else None
        deputy = deputy if deputy in order and eligible.get(deputy) and deputy != leader else None
        return leader, deputy, "; ".join(notes)
    if rule == "deputy_succeeds" and bloc.deputy and bloc.deputy != outgoing:
        if eligible.get(bloc.deputy):
            leader = bloc.deputy
        else:
            leader = next_in_order(order, bloc.deputy, eligible, {outgoing})
            notes.append(f"Phó Trưởng khối {bloc.deputy} không đủ điều kiện kế nhiệm")
    else:
        leader = next_in_order(order, outgoing, eligible, {outgoing})
    if leader is None and eligible.get(outgoing):
        leader = outgoing
        notes.append(f"không có đơn vị khác đủ điều kiện, {outgoing} tiếp tục làm Trưởng khối")
    deputy = next_in_order(order, leader, eligible, {outgoing, leader}) if leader else None
    return leader, deputy, "; ".join(notes)
