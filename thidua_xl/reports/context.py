"""ReviewResult → the context the Word templates are rendered with (pure, no I/O).

Every value a template prints is a ready-made Vietnamese string (``"106,0"``, ``"02"``,
``"ngày 14 tháng 01 năm 2022"``); a few booleans and ints drive ``{% if %}``/``{% for %}``.
Missing facts (no conference date, no chair) become the blank ``……`` to fill by hand, never
``None``, so a template never fails on them.  :func:`template_variables` documents every
top-level key; keep it in sync (tests check it).
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..model import (BONUS, DATA_ERRORS, DEDUCTION, NOT_ELIGIBLE, PROPOSED, STANDARD,
                     STATUS_LABELS, UNRESOLVED_TIE, Award, LineResult, ReviewResult, UnitResult)
from ..numbers import format_number, format_points, fraction_text
from .format import (BLANK, clean_text, count_text, date_text, percent, place_date,
                     short_date, signed_points)
from .settings import DocumentSettings, bloc_short_name, document_settings
from .status import DossierState, dossier_state, flagged_vote_units, quorum_needed

KIND_LABELS = {STANDARD: "Điểm chuẩn", BONUS: "Điểm thưởng", DEDUCTION: "Điểm trừ"}

#: Type codes of the document numbers (Nghị định 30/2020, Appendix III).
NUMBER_CODES = {"report": "BC", "minutes": "BB", "proposal": "TTr"}


def template_variables() -> dict[str, str]:
    """Every top-level template variable → its Vietnamese description (for README and staff
    who edit the templates).  Sub-keys are listed in the descriptions."""
    return dict(_VARIABLES)


_VARIABLES: dict[str, str] = {
    "bloc": "Khối thi đua: name (tên), name_upper (tên viết hoa), short_name (“Khối …” dùng "
            "trong câu thành tích), province (tỉnh), year (năm tổng kết), next_year (năm sau), "
            "unit_count và unit_count_text (số đơn vị thành viên, “15”), base_points (tổng điểm "
            "chuẩn, “100,0”), bonus_cap (điểm thưởng tối đa).",
    "issuer": "Cơ quan ban hành (góc trái đầu văn bản): parent_body (cơ quan chủ quản, có thể "
              "rỗng), name (đơn vị Trưởng khối, viết hoa), code (mã đơn vị), place (địa danh).",
    "signer": "Người ký: capacity (thẩm quyền ký, “TM. BAN THƯỜNG VỤ”, có thể rỗng), title "
              "(chức vụ, “CHỦ TỊCH”), name (họ tên; rỗng thì để trống để ký tay).",
    "numbers": "Số văn bản: report (Báo cáo, “……/BC-LHH”), minutes (Biên bản, “……/BB-LHH”), "
               "proposal (Tờ trình, “……/TTr-LHH”).",
    "date_text": "Ngày ban hành: “ngày 14 tháng 01 năm 2022” (ngày hội nghị, hoặc "
                 "[documents].date).",
    "place_date": "Dòng địa danh, ngày tháng (in nghiêng): “An Bình, ngày 14 tháng 01 năm 2022”.",
    "legal_bases": "Danh sách căn cứ pháp lý của Tờ trình (mỗi dòng viết sau “Căn cứ ”, đã có "
                   "dấu “;” cuối dòng).",
    "directions": "Danh sách đoạn văn phương hướng, nhiệm vụ năm sau (Báo cáo tổng kết).",
    "recipients": "Danh sách dòng “Nơi nhận” (đã có “;” hoặc “.” cuối dòng).",
    "commendation_board": "Cơ quan thường trực nhận hồ sơ: “Ban Thi đua – Khen thưởng, Sở Nội "
                          "vụ”.",
    "addressee": "Người nhận Tờ trình: “Chủ tịch Ủy ban nhân dân tỉnh An Bình”.",
    "leader": "Trưởng khối năm tổng kết: code, name.",
    "deputy": "Phó Trưởng khối năm tổng kết: code, name (“……” nếu không có).",
    "next_leader": "Trưởng khối năm sau: code, name (“……” nếu chưa xác định), known (có/không).",
    "next_deputy": "Phó Trưởng khối năm sau: code, name, known.",
    "leader_note": "Ghi chú về việc chọn Trưởng khối, Phó Trưởng khối, đơn vị ghi bằng tên "
                   "(“Phó Trưởng khối Hội Nhà báo tỉnh không đủ điều kiện kế nhiệm”; có thể "
                   "rỗng).",
    "succession": "Câu về Trưởng khối, Phó Trưởng khối năm sau, đã kèm ghi chú (leader_note): "
                  "minutes (Biên bản: “Suy tôn Hội A làm Trưởng khối, Hội B làm Phó Trưởng khối "
                  "năm 2022.”), report (Báo cáo: “Hội nghị thống nhất suy tôn Hội A làm Trưởng "
                  "khối và Hội B làm Phó Trưởng khối năm 2022.”); khi chưa xác định được Trưởng "
                  "khối: “Chưa xác định được Trưởng khối năm 2022: …. Hội nghị cần lựa chọn …”; "
                  "known (đã xác định được Trưởng khối).",
    "conference": "Hội nghị bình xét: recorded (có dữ liệu hội nghị), date_text, place_date (dòng "
                  "địa danh, ngày hội nghị), short_date, "
                  "place, chair (chủ trì), secretary (thư ký), members / members_text (số thành "
                  "viên), present_text (có mặt), absent_text (vắng), present_percent, quorum "
                  "(“2/3”), quorum_needed_text (số tối thiểu), quorum_ok (True/False/None), "
                  "quorum_sentence (câu kết luận về số thành viên), ballots (có bỏ phiếu), "
                  "ballots_issued_text, ballots_valid_text, ballots_invalid_text.",
    "units": "Các đơn vị theo thứ tự xếp hạng; mỗi đơn vị: stt, code, name, rank_text, total, "
             "self_total, total_difference (chênh lệch Khối chấm − tự chấm), base, bonus, "
             "deductions (điểm, dấu phẩy thập phân), section_totals "
             "(điểm từng mục chuẩn, theo standard_sections), grade, grade_name, award_key, "
             "award_name, award_short_name, outcome (hình thức đề nghị, “Cờ thi đua (dự kiến)” khi "
             "chưa bỏ phiếu; hoặc tình trạng), status, "
             "status_label, reason, eligible, nominee, "
             "highlight (“flag”/“certificate”/“”), votes_text, errors (các lỗi dữ liệu), sections "
             "(từng mục: code, title, kind_label, max_points, self_total, total, lines: code, "
             "text, max_points, self_score, assessed_score, official, difference, evidence, "
             "critical).",
    "sections": "Các mục của bảng tiêu chí: code, title, kind, kind_label, max_points.",
    "standard_sections": "Các mục điểm chuẩn (cột điểm từng mục trong bảng tổng hợp).",
    "grades": "Các mức xếp loại: code, name, min_total, count, count_text (số đơn vị đạt).",
    "awards": "Các hình thức khen thưởng: key, roman (số La Mã của danh sách: I, II … theo thứ "
              "tự, chỉ đánh cho hình thức có tập thể được đề nghị; rỗng nếu không có), name, "
              "name_upper, "
              "short_name, quota_text (chỉ tiêu), count, "
              "count_text (“02”), reason_line (câu thành tích), nominees (stt, code, name, total, "
              "rank_text, votes_text, votes_percent, reason_line).",
    "nominees": "Danh sách đề nghị khen thưởng (mọi hình thức): stt, code, name, award_key, "
                "award_name, award_short_name, total, rank_text, votes_text, votes_percent, "
                "reason_line.",
    "nominee_count_text": "Tổng số tập thể được đề nghị (“07”; “0” khi không có).",
    "nominee_count": "Tổng số tập thể được đề nghị (số nguyên, dùng trong {% if %}: không ghi "
                     "“kèm theo” cho danh sách rỗng).",
    "ballots": "Kết quả bỏ phiếu từng đơn vị có tên trên phiếu: stt, code, name, award_name, "
               "award_short_name, votes_text, percent (tỉ lệ trên tổng số thành viên), "
               "needed_text (số phiếu phải vượt), passed, valid (hội nghị đủ số thành viên), "
               "flagged (số phiếu có lỗi), nominated (được đề nghị), result (“Đạt”, “Đạt "
               "(ngoài chỉ tiêu)”, “Đạt (bằng điểm, chưa phân định)”, “Đạt (đã đề nghị Cờ thi "
               "đua)”, “Đạt (không đủ điều kiện)”, “Đạt (dữ liệu có lỗi)”, “Không đạt”; “Có "
               "lỗi” khi số phiếu có lỗi, khi đó percent để trống; “Không có giá trị” khi hội "
               "nghị không đủ số thành viên).",
    "final": "True khi hồ sơ là chính thức: đã bỏ phiếu, hội nghị đủ số thành viên, dữ liệu "
             "bình xét không có lỗi và không còn chỉ tiêu bằng điểm chưa phân định; False khi "
             "là DỰ THẢO.",
    "dossier": "Tình trạng hồ sơ: final (như final), draft (DỰ THẢO), voted (đã bỏ phiếu và "
               "hội nghị đủ số thành viên: danh sách là kết quả bình xét, không phải dự kiến), "
               "draft_note (lý do DỰ THẢO, các lý do cách nhau bằng “; ”: “dự kiến, chờ hội "
               "nghị bỏ phiếu”, “hội nghị không đủ số thành viên, chưa có đề nghị khen thưởng "
               "hợp lệ”, “số phiếu của Hội A có lỗi, chỗ trong chỉ tiêu Cờ thi đua được giữ lại "
               "đến khi sửa”, “chỉ tiêu Bằng khen còn bằng điểm chưa phân định, chờ Khối quyết "
               "định” …; rỗng khi chính thức), no_ballot (chưa ghi kết quả bỏ phiếu), "
               "no_quorum (hội nghị không đủ số thành viên), quorum_text (“có mặt 08/15 đơn vị "
               "thành viên, tối thiểu cần 10 đơn vị theo tỉ lệ 2/3 số thành viên”), "
               "data_errors (dữ liệu bình xét có lỗi: số phiếu, dấu kỷ luật, số liệu hội nghị; "
               "Biên bản cũng là DỰ THẢO), data_note (phần lý do về lỗi dữ liệu), errors (các "
               "lỗi đó, mỗi lỗi một dòng có vị trí ô), held (mỗi hình thức có chỗ được giữ lại "
               "một câu: “Chỉ tiêu Cờ thi đua: số phiếu của Hội A có lỗi; 01 chỉ tiêu được giữ "
               "lại đến khi sửa.”).",
    "ties": "Các trường hợp bằng điểm chưa phân định, mỗi trường hợp một câu: “Chỉ tiêu Bằng "
            "khen: Hội A và Hội B bằng điểm trên mọi tiêu chí phân định; còn 01 chỉ tiêu chờ Khối "
            "quyết định.”",
    "chart": "(Chỉ trong Báo cáo tổng kết) biểu đồ cột tổng điểm các đơn vị, đơn vị được đề "
             "nghị khen thưởng tô màu; chèn bằng {{ chart }} trong một đoạn riêng.",
    "unit": "(Chỉ trong Phiếu chấm điểm) đơn vị của phiếu: như một phần tử của units.",
}


def build_context(result: ReviewResult, settings: DocumentSettings | None = None) -> dict[str, Any]:
    """The template context of the whole dossier (without ``chart`` and ``unit``, which
    render.py adds per document).

    ``settings`` defaults to :func:`document_settings` of the result's bloc.  Raises
    :class:`~thidua_xl.errors.BlocDefinitionError` for a bad ``[documents]`` table.
    """
    bloc = result.bloc
    conf = result.conference
    if settings is None:
        settings = document_settings(bloc, conf.date if conf else None)
    names = {u.code: clean_text(u.name) for u in bloc.units}
    standard = [s for s in bloc.sections if s.kind == STANDARD]
    state = dossier_state(result)
    ranked = result.ranked()
    units = [_unit(result, u, i, standard) for i, u in enumerate(ranked, 1)]
    by_code = {u["code"]: u for u in units}

    award_list = []
    nominees = []
    for award in bloc.awards:
        codes = result.nominees.get(award.key, ())
        listed = []
        for code in codes:
            u = by_code[code]
            votes = result.unit(code).votes.get(award.key)
            row = {"stt": len(nominees) + 1, "code": code, "name": u["name"],
                   "award_key": award.key, "award_name": clean_text(award.name),
                   "award_short_name": clean_text(award.short_name), "total": u["total"],
                   "rank_text": u["rank_text"], "votes_text": _count(votes),
                   "votes_percent": percent(votes, result.members),
                   "reason_line": settings.reason_lines[award.key]}
            listed.append(row)
            nominees.append(row)
        award_list.append({
            "key": award.key, "name": clean_text(award.name),
            "name_upper": clean_text(award.name).upper(),
            "short_name": clean_text(award.short_name),
            # Danh sách numbers only the lists that have someone on them: I, II … in order.
            "roman": _roman(sum(1 for a in award_list if a["count"]) + 1) if codes else "",
            "quota": result.quotas.get(award.key, 0),
            "quota_text": count_text(result.quotas.get(award.key, 0)),
            "count": len(codes), "count_text": count_text(len(codes)),
            "reason_line": settings.reason_lines[award.key], "nominees": listed})

    grades = [{"code": g.code, "name": clean_text(g.name), "min_total": format_points(g.min_total),
               "count": n, "count_text": count_text(n)}
              for g in bloc.scoring.grades
              for n in [sum(1 for u in result.units if u.grade == g.code)]]

    suffix = settings.number_suffix
    return {
        "bloc": {"name": clean_text(bloc.name), "name_upper": clean_text(bloc.name).upper(),
                 "short_name": bloc_short_name(clean_text(bloc.name)),
                 "province": clean_text(bloc.province), "year": bloc.year,
                 "next_year": bloc.year + 1, "unit_count": len(bloc.units),
                 "unit_count_text": count_text(len(bloc.units)),
                 "base_points": format_points(bloc.scoring.base_points),
                 "bonus_cap": format_points(bloc.scoring.bonus_cap)},
        "issuer": {"parent_body": settings.parent_body, "name": settings.issuer,
                   "code": bloc.leader, "place": settings.place},
        "signer": {"capacity": settings.signing_capacity, "title": settings.signer_title,
                   "name": settings.signer_name},
        "numbers": {key: f"{BLANK}/{code}-{suffix}" if suffix else f"{BLANK}/{code}"
                    for key, code in NUMBER_CODES.items()},
        "date_text": date_text(settings.date, year=bloc.year + 1),
        "place_date": place_date(settings.place, settings.date, year=bloc.year + 1),
        "legal_bases": [basis + ";" for basis in settings.legal_bases],
        "directions": list(settings.directions),
        "recipients": _recipient_lines(settings.recipients),
        "commendation_board": settings.commendation_board,
        "addressee": f"Chủ tịch Ủy ban nhân dân tỉnh {clean_text(bloc.province)}",
        "leader": _named(bloc.leader, names),
        "deputy": _named(bloc.deputy, names),
        "next_leader": _named(result.next_leader, names),
        "next_deputy": _named(result.next_deputy, names),
        "leader_note": leader_note_text(result),
        "succession": succession_sentences(result, state),
        "conference": _conference(result, settings.place),
        "units": units,
        "sections": [{"code": s.code, "title": clean_text(s.title), "kind": s.kind,
                      "kind_label": KIND_LABELS.get(s.kind, ""),
                      "max_points": format_points(s.max_points)} for s in bloc.sections],
        "standard_sections": [{"code": s.code, "title": clean_text(s.title),
                               "max_points": format_points(s.max_points)} for s in standard],
        "grades": grades,
        "awards": award_list,
        "nominees": nominees,
        "nominee_count_text": count_text(len(nominees)),
        "nominee_count": len(nominees),
        "ballots": _ballots(result, names),
        "final": state.final,
        "dossier": {"final": state.final, "draft": not state.final, "voted": state.voted,
                    "draft_note": state.draft_note, "no_ballot": state.no_ballot,
                    "no_quorum": state.no_quorum, "quorum_text": state.quorum_text,
                    "data_errors": bool(state.data_errors), "data_note": state.data_note,
                    "errors": [clean_text(str(e)) for e in state.data_errors],
                    "held": list(state.held_lines)},
        "ties": list(state.ties),
    }


def chart_bars(result: ReviewResult) -> list[tuple[str, Decimal, str]]:
    """Bars of the report's chart, best first: ``(unit name, total points, highlight)`` with
    highlight ``"flag"``, ``"certificate"`` or ``""``; units without a total are left out."""
    return [(clean_text(u.name), u.total, _highlight(u.award))
            for u in result.ranked() if u.total is not None]


# ---------------------------------------------------------------------------------------------


def _highlight(award: str | None) -> str:
    if award is None:
        return ""
    return "flag" if award == "emulation_flag" else "certificate"


def _count(value: int | None) -> str:
    return BLANK if value is None else str(value)


def _named(code: str | None, names: dict[str, str]) -> dict[str, Any]:
    if not code:
        return {"code": "", "name": BLANK, "known": False}
    return {"code": code, "name": names.get(code, code), "known": True}


def _recipient_lines(items: tuple[str, ...]) -> list[str]:
    # ND 30: every recipient line ends with ";", the last ("Lưu: VT, …") with ".".
    lines = [item.rstrip(" ;.,") for item in items]
    return [f"{line}{'.' if i == len(lines) - 1 else ';'}" for i, line in enumerate(lines)]


def _line(bloc, line: LineResult) -> dict[str, Any]:
    crit = bloc.criterion(line.criterion)
    diff = None
    if line.differs:
        diff = line.assessed_score - (line.self_score or 0)
    return {"code": crit.code, "text": clean_text(crit.text),
            "max_points": format_points(crit.max_points),
            "self_score": format_points(line.self_score),
            "assessed_score": format_points(line.assessed_score),
            "official": format_points(line.official),
            "difference": signed_points(diff), "evidence": clean_text(line.evidence),
            "critical": crit.critical}


def _unit(result: ReviewResult, u: UnitResult, stt: int, standard) -> dict[str, Any]:
    bloc = result.bloc
    award = bloc.award(u.award) if u.award else None
    lines = {line.criterion: line for line in u.lines}
    sections = []
    for s in bloc.sections:
        rows = [_line(bloc, lines[c.code]) for c in bloc.criteria_of(s.code) if c.code in lines]
        self_sum = sum((lines[c.code].self_score or 0 for c in bloc.criteria_of(s.code)
                        if c.code in lines), Decimal(0))
        total = u.section_totals.get(s.code)
        sections.append({"code": s.code, "title": clean_text(s.title), "kind": s.kind,
                         "kind_label": KIND_LABELS.get(s.kind, ""),
                         "max_points": format_points(s.max_points),
                         "self_total": format_points(self_sum) if rows else "",
                         "total": format_points(total), "lines": rows})
    grade = bloc.grade(u.grade) if u.grade else None
    votes = [f"{a.short_name}: {v}" for a in bloc.awards
             for v in [u.votes.get(a.key)] if v is not None]
    return {
        "stt": stt, "code": u.code, "name": clean_text(u.name),
        "rank": u.rank, "rank_text": "" if u.rank is None else str(u.rank),
        "total": format_points(u.total), "self_total": format_points(u.self_total),
        "base": format_points(u.base), "bonus": format_points(u.bonus),
        "deductions": format_points(u.deductions),
        "section_totals": [format_points(u.section_totals.get(s.code)) for s in standard],
        "grade": u.grade or "", "grade_name": clean_text(grade.name) if grade else "",
        "award_key": u.award or "", "award_name": clean_text(award.name) if award else "",
        "award_short_name": clean_text(award.short_name) if award else "",
        "total_difference": (signed_points(u.total - u.self_total)
                             if u.total is not None and u.self_total is not None else ""),
        "status": u.status, "status_label": STATUS_LABELS.get(u.status, u.status),
        "outcome": _outcome(u, award),
        "reason": clean_text(u.reason), "eligible": u.eligible,
        "nominee": award is not None, "highlight": _highlight(u.award),
        "votes_text": "; ".join(votes),
        "errors": [clean_text(str(e)) for e in u.errors],
        "sections": sections,
    }


def _outcome(u: UnitResult, award: Award | None) -> str:
    # A nomination projected from the scores (no ballot yet) must not read as final.
    if award is None:
        return STATUS_LABELS.get(u.status, u.status)
    short = clean_text(award.short_name)
    # "(dự kiến)" never splits in a narrow column.
    return f"{short} (dự\u00a0kiến)" if u.status == PROPOSED else short


def _conference(result: ReviewResult, place: str) -> dict[str, Any]:
    conf = result.conference
    members = result.members
    present = result.present
    quorum = result.bloc.review.quorum
    needed = quorum_needed(result)
    issued = conf.ballots_issued if conf else None
    valid = conf.ballots_valid if conf else None
    if result.quorum_ok is None:
        sentence = (f"Số thành viên có mặt: {BLANK}/{members}; hội nghị cần tối thiểu "
                    f"{count_text(needed)} thành viên ({fraction_text(quorum)}).")
    else:
        verdict = ("Hội nghị đủ điều kiện tiến hành" if result.quorum_ok
                   else "Hội nghị không đủ số thành viên theo quy định")
        sentence = (f"Có mặt {count_text(present)}/{count_text(members)} đơn vị thành viên "
                    f"(đạt {percent(present, members)}%), tối thiểu cần "
                    f"{count_text(needed)} đơn vị ({fraction_text(quorum)} số thành viên). "
                    f"{verdict}.")
    return {
        "recorded": conf is not None,
        "date_text": date_text(conf.date if conf else None, year=result.bloc.year + 1),
        "place_date": place_date(place, conf.date if conf else None, year=result.bloc.year + 1),
        "short_date": short_date(conf.date if conf else None),
        "place": clean_text(conf.place) if conf and conf.place else BLANK,
        "chair": clean_text(conf.chair) if conf and conf.chair else "",
        "secretary": clean_text(conf.secretary) if conf and conf.secretary else "",
        "members": members, "members_text": count_text(members),
        "present_text": count_text(present),
        "absent_text": BLANK if present is None else count_text(members - present),
        "present_percent": percent(present, members),
        "quorum": fraction_text(quorum), "quorum_needed_text": count_text(needed),
        "quorum_ok": result.quorum_ok, "quorum_sentence": sentence,
        "ballots": bool(result.ballots),
        "ballots_issued_text": count_text(issued),
        "ballots_valid_text": count_text(valid),
        "ballots_invalid_text": (BLANK if issued is None or valid is None
                                 else count_text(issued - valid)),
    }


def _ballots(result: ReviewResult, names: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    members = result.members
    valid = result.quorum_ok is not False      # without quorum no ballot counts (rules.md §8)
    flagged = flagged_vote_units(result)
    for award in result.bloc.awards:
        limit = Fraction(members) * award.vote_threshold
        for u in result.ranked():
            votes = u.votes.get(award.key)
            if votes is None:
                continue
            doubt = u.code in flagged
            passed = votes > limit and not doubt
            rows.append({"stt": len(rows) + 1, "code": u.code, "name": names[u.code],
                         "award_name": clean_text(award.name),
                         "award_short_name": clean_text(award.short_name),
                         "votes_text": count_text(votes),
                         # A share of the members above 100 % is impossible: never printed.
                         "percent": "" if doubt or votes > members else percent(votes, members),
                         "needed_text": _fraction_points(limit), "passed": passed,
                         "valid": valid, "flagged": doubt, "nominated": u.award == award.key,
                         "result": ("Không có giá trị" if not valid else "Có lỗi" if doubt
                                    else _ballot_outcome(result, u, award, votes > limit))})
    return rows


def _ballot_outcome(result: ReviewResult, u: UnitResult, award: Award, passed: bool) -> str:
    """"Đạt" for a unit nominated for ``award``; for one that passed the vote but is not on
    the list, why not (outside the quota, an unresolved tie, another award …)."""
    if not passed:
        return "Không đạt"
    if u.award == award.key:
        return "Đạt"
    if u.award is not None:
        return f"Đạt (đã đề nghị {clean_text(result.bloc.award(u.award).short_name)})"
    if u.status == DATA_ERRORS:
        return "Đạt (dữ liệu có lỗi)"
    if u.status == NOT_ELIGIBLE:
        return "Đạt (không đủ điều kiện)"
    if u.status == UNRESOLVED_TIE and any(t.award == award.key and u.code in t.units
                                          for t in result.ties):
        return "Đạt (bằng điểm, chưa phân định)"
    return "Đạt (ngoài chỉ tiêu)"


def leader_note_text(result: ReviewResult) -> str:
    """The engine's note on next year's leader and deputy with unit codes replaced by the
    units' names (``Phó Trưởng khối HNB …`` → ``Phó Trưởng khối Hội Nhà báo tỉnh …``)."""
    note = clean_text(result.leader_note)
    names = {u.code: clean_text(u.name) for u in result.bloc.units}
    if not note or not names:
        return note
    codes = sorted(names, key=len, reverse=True)            # longest first: HNB before HN
    pattern = re.compile(r"(?<![\w“])(" + "|".join(map(re.escape, codes)) + r")(?![\w”])")
    return pattern.sub(lambda m: names[m.group(1)], note)


def succession_sentences(result: ReviewResult, state: DossierState) -> dict[str, Any]:
    """Next year's leader and deputy as the Biên bản (``minutes``) and the Báo cáo
    (``report``) word them, with :func:`leader_note_text` in brackets; when no leader could
    be determined, a sentence saying so and that the conference must choose one."""
    names = {u.code: clean_text(u.name) for u in result.bloc.units}
    year = result.bloc.year + 1
    note = leader_note_text(result)
    leader = names.get(result.next_leader, result.next_leader) if result.next_leader else None
    deputy = names.get(result.next_deputy, result.next_deputy) if result.next_deputy else None
    out: dict[str, Any] = {"known": leader is not None}
    for key, verb, joiner in (("minutes", "Suy tôn", ", "),
                              ("report", "Hội nghị thống nhất suy tôn", " và ")):
        if not state.voted:
            verb = "Theo quy chế của Khối, dự kiến"
        if leader:
            text = f"{verb} {leader} làm Trưởng khối"
            if deputy:
                text += f"{joiner}{deputy} làm Phó Trưởng khối"
            text += f" năm {year}" + (f" ({note})" if note else "") + "."
            if not deputy:
                text += (f" Chưa xác định được Phó Trưởng khối năm {year}; Hội nghị cần lựa "
                         "chọn Phó Trưởng khối theo quy chế của Khối.")
        else:
            why = note or "không có đơn vị thành viên nào đủ điều kiện"
            roles = "Trưởng khối" if deputy else "Trưởng khối, Phó Trưởng khối"
            text = (f"Chưa xác định được Trưởng khối năm {year}: {why}. Hội nghị cần lựa chọn "
                    f"{roles} năm {year} theo quy chế của Khối.")
            if deputy:
                text += f" {verb} {deputy} làm Phó Trưởng khối năm {year}."
        out[key] = text
    return out


def _fraction_points(value: Fraction) -> str:
    # 15 × 1/2 → "7,5"; 14 × 2/3 → "9,33" (two decimals are enough for a vote count).
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format_number(exact.quantize(Decimal("0.01")))


def _roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in numerals:
        while n >= value:
            out += letters
            n -= value
    return out
