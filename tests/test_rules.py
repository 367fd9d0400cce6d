"""One small test per rule of rules.md, on tiny blocs built in code (tests/blocs.py).

The tiny bloc: units U1…Un, leader U1, deputy U2; I.1 30, I.2 30 (section I, 60), II.1 20
(critical), II.2 20 (section II, 40), bonus T.1 15, deduction TR.1 20.  A unit whose scores are
not given scores full marks: 100 points.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from blocs import all_units, entries, facts, run, tiny_bloc, tiny_dict
from thidua_xl.definition import bloc_from_dict
from thidua_xl.model import (DATA_ERRORS, FAILED_VOTE, NO_QUORUM, NOMINATED, NOT_ELIGIBLE,
                             PROPOSED, QUOTA_REACHED, UNRESOLVED_TIE, Conference, DataError,
                             ScoreEntry, Tie)

FLAG, MERIT = "emulation_flag", "certificate_of_merit"


def nominees(result) -> dict[str, list[str]]:
    return {k: list(v) for k, v in result.nominees.items()}


def ballot(n: int, present: int | None = None) -> Conference:
    return Conference(members=n, present=n if present is None else present)


# ---------------------------------------------------------------------------------------------
# §2 Validation


@pytest.mark.parametrize("typed", ["27.5", "27,5", " 27,5 ", "27,5\u200b", 27.5,
                                   Decimal("27.5")])
def test_score_accepted_as_number_or_text_with_point_or_comma(typed):
    bloc = tiny_bloc(1)
    unit = run(bloc, {"U1": {"I.1": typed}}).unit("U1")
    assert unit.errors == ()
    assert unit.lines[0].self_score == Decimal("27.5")
    assert unit.total == Decimal("97.5")


def test_score_that_is_not_a_number_names_sheet_and_cell():
    bloc = tiny_bloc(1)
    unit = run(bloc, {"U1": {"I.2": "hai mươi"}}).unit("U1")
    assert [(e.sheet, e.cell, e.unit) for e in unit.errors] == [("U1", "D3", "U1")]
    assert "I.2" in unit.errors[0].message and "hai mươi" in unit.errors[0].message


@pytest.mark.parametrize("typed, words", [
    ("30.5", "vượt điểm tối đa 30"),
    ("-1", "không được âm"),
    ("27.2", "bội số của bước chấm 0,5"),
])
def test_score_out_of_range_or_off_step_is_an_error(typed, words):
    unit = run(tiny_bloc(1), {"U1": {"I.1": typed}}).unit("U1")
    assert len(unit.errors) == 1
    assert (unit.errors[0].sheet, unit.errors[0].cell) == ("U1", "D2")
    assert words in unit.errors[0].message


def test_assessed_score_error_names_its_own_cell():
    unit = run(tiny_bloc(1), {"U1": {"I.1": ("30", "31")}}).unit("U1")
    assert [(e.sheet, e.cell) for e in unit.errors] == [("U1", "E2")]
    assert "Khối chấm" in unit.errors[0].message


def test_standard_line_with_neither_score_is_not_scored():
    bloc = tiny_bloc(1)
    unit = run(bloc, {"U1": {"II.2": ("", None)}}).unit("U1")
    assert [(e.cell, e.message) for e in unit.errors] == [("D5", "tiêu chí II.2 chưa chấm")]


def test_standard_line_without_any_entry_is_not_scored():
    bloc = tiny_bloc(1)
    rows = [e for e in entries(bloc, {"U1": {}}) if e.criterion != "I.2"]
    unit = run(bloc, rows).unit("U1")
    # No entry at all: the error names the unit (its sheet), without a cell.
    assert [(e.sheet, e.cell, e.message) for e in unit.errors] == [
        ("U1", "", "tiêu chí I.2 chưa chấm")]


def test_bonus_and_deduction_lines_may_be_blank():
    bloc = tiny_bloc(1)
    unit = run(bloc, {"U1": {"T.1": "", "TR.1": None}}).unit("U1")
    assert unit.errors == ()
    assert (unit.bonus, unit.deductions, unit.total) == (0, 0, Decimal(100))


def test_deduction_entered_negative_is_an_error():
    unit = run(tiny_bloc(1), {"U1": {"TR.1": "-2"}}).unit("U1")
    assert [(e.cell, "không được âm" in e.message) for e in unit.errors] == [("D7", True)]


def test_a_units_bad_data_does_not_block_the_others():
    bloc = tiny_bloc(4)
    res = run(bloc, all_units(bloc, U1={"I.1": "abc"}, U2={"I.2": None},
                              U3={"I.1": 31}, U4={"I.1": 29}))
    for code in ("U1", "U2", "U3"):
        unit = res.unit(code)
        assert (unit.total, unit.self_total, unit.rank, unit.grade, unit.award) == (
            None, None, None, None, None), code
        assert unit.status == DATA_ERRORS and unit.eligible is False
        assert unit.reason.startswith("Chưa xếp hạng vì dữ liệu có 1 lỗi")
    assert [(e.sheet, e.cell, e.unit) for e in res.errors] == [
        ("U1", "D2", "U1"), ("U2", "D3", "U2"), ("U3", "D2", "U3")]
    assert "chưa chấm" in res.unit("U2").errors[0].message
    u4 = res.unit("U4")
    assert (u4.total, u4.rank, u4.award, u4.status) == (Decimal(99), 1, FLAG, PROPOSED)
    assert "Xếp hạng 1/1" in u4.reason
    assert res.to_json()["units"][0]["total"] is None


def test_read_error_of_a_unit_blocks_it_and_bloc_errors_block_nobody():
    bloc = tiny_bloc(2)
    res = run(bloc, read_errors=(DataError("scores.csv", "A9", "mã đơn vị “XX” không có trong khối"),
                                 DataError("scores.csv", "B4", "tiêu chí trùng", "U2")))
    assert res.unit("U1").status == PROPOSED
    assert res.unit("U2").status == DATA_ERRORS
    assert [(e.sheet, e.cell) for e in res.errors] == [("scores.csv", "A9"), ("scores.csv", "B4")]


def test_entry_for_unknown_unit_or_criterion_and_duplicate_entry():
    bloc = tiny_bloc(2)
    rows = entries(bloc, all_units(bloc)) + [
        ScoreEntry("XX", "I.1", 1), ScoreEntry("U1", "Z.9", 1), ScoreEntry("U2", "I.1", 29)]
    res = run(bloc, rows)
    assert [e.unit for e in res.errors] == [None, "U1", "U2"]
    assert res.unit("U1").status == res.unit("U2").status == DATA_ERRORS
    assert "XX" in res.errors[0].message


def test_votes_above_members_are_an_error_of_that_unit():
    bloc = tiny_bloc(3)
    res = run(bloc, unit_facts=facts(U1={FLAG: 4}), conference=ballot(3))
    assert res.unit("U1").status == DATA_ERRORS
    assert "lớn hơn số thành viên của Khối (3)" in res.unit("U1").errors[0].message


def test_a_vote_typo_keeps_score_and_rank_and_holds_the_place():
    # U1 would take the only flag; its vote (40 of 3 members) is a typo.  U1 keeps its total
    # and rank, gets no award, and the flag is NOT handed to U2 until the vote is corrected.
    bloc = tiny_bloc(3)
    scores = {"U1": {}, "U2": {"I.1": 29}, "U3": {"I.1": 28}}
    res = run(bloc, scores, unit_facts=facts(U1={FLAG: 40}, U2={FLAG: 3}), conference=ballot(3))
    u1 = res.unit("U1")
    assert (u1.total, u1.rank, u1.status, u1.award) == (Decimal(100), 1, DATA_ERRORS, None)
    assert nominees(res)[FLAG] == []
    assert "chỗ của đơn vị trong chỉ tiêu Cờ thi đua được giữ lại đến khi sửa" in u1.reason
    assert res.next_leader == "U2"      # succession does not depend on votes


def test_votes_above_present_or_valid_ballots_are_errors():
    bloc = tiny_bloc(3)
    res = run(bloc, unit_facts=facts(U1={FLAG: 3}, U2={MERIT: 2}),
              conference=Conference(members=3, present=2, ballots_issued=3, ballots_valid=1))
    messages = [str(e) for e in res.errors]
    assert messages == [
        "Hội nghị: số phiếu phát ra (3) lớn hơn số thành viên có mặt (2)",
        "Bình xét!A2: số phiếu đồng ý 3 của U1 lớn hơn số thành viên có mặt (2)",
        "Bình xét!A2: số phiếu đồng ý 2 của U2 lớn hơn số phiếu hợp lệ (1)"]


def test_a_doubtful_discipline_mark_bars_awards_and_office_but_keeps_the_rank():
    bloc = tiny_bloc(3)
    bad_mark = DataError("Bình xét", "C2", "cột Kỷ luật chỉ nhận “x”", "U2", kind="discipline")
    res = run(bloc, {"U1": {"I.1": 29}, "U2": {}, "U3": {"I.1": 28}}, read_errors=(bad_mark,))
    u2 = res.unit("U2")
    assert (u2.rank, u2.award, u2.status, u2.eligible) == (1, None, DATA_ERRORS, False)
    assert res.next_leader == "U3"      # the deputy U2 cannot succeed while the mark is in doubt


def test_thresholds_count_the_member_units_not_a_typed_number():
    # 3 of 6 members is not "more than half", whatever number the conference record says.
    bloc = tiny_bloc(6)
    res = run(bloc, unit_facts=facts(U1={FLAG: 3}),
              conference=Conference(members=4, present=6))
    assert nominees(res)[FLAG] == []
    assert res.members == 6
    assert str(res.errors[0]) == ("Hội nghị: số thành viên ghi ở hội nghị (4) khác số đơn vị "
                                  "thành viên của Khối (6); thidua tính theo 6")


def test_a_half_entered_ballot_is_reported():
    bloc = tiny_bloc(3)
    votes_only = run(bloc, unit_facts=facts(U1={FLAG: 3}), conference=None)
    assert [str(e) for e in votes_only.errors] == [
        "Hội nghị: đã có số phiếu đồng ý nhưng chưa ghi Số thành viên có mặt, nên chưa tính "
        "là đã bỏ phiếu"]
    attendance_only = run(bloc, conference=ballot(3))
    assert [str(e) for e in attendance_only.errors] == [
        "Hội nghị: đã ghi Số thành viên có mặt nhưng chưa có số phiếu đồng ý nào"]


def test_quota_reason_shows_places_taken_and_slots_withheld_by_a_tie():
    # U1 and U2 tie for the single flag; U3 is left out by the quota, whose one place waits.
    bloc = tiny_bloc(3, awards={"certificate_of_merit": None})
    res = run(bloc, {"U1": {}, "U2": {}, "U3": {"I.1": 29}})
    assert res.unit("U3").reason.endswith(
        "không còn chỉ tiêu cho đơn vị (Cờ thi đua 00/01 (01 chờ phân định bằng điểm)).")
    no_quota = tiny_bloc(3, awards={"certificate_of_merit": None, "emulation_flag": {
        "quota": [{"min_units": 10, "count": 1}]}})
    assert run(no_quota).unit("U1").reason.endswith(
        "không còn chỉ tiêu cho đơn vị (Cờ thi đua: không có chỉ tiêu).")


# ---------------------------------------------------------------------------------------------
# §3 Totals


def test_official_score_is_assessed_else_self_and_differences_are_listed():
    bloc = tiny_bloc(1)
    unit = run(bloc, {"U1": {"I.1": ("30", "28"), "I.2": ("29", "29"), "II.2": (None, "19"),
                             "T.1": ("3", "")}}).unit("U1")
    assert [line.official for line in unit.lines] == [
        Decimal(28), Decimal(29), Decimal(20), Decimal(19), Decimal(3), Decimal(0)]
    assert [(d.criterion, d.self_score, d.assessed_score) for d in unit.differences] == [
        ("I.1", Decimal(30), Decimal(28)), ("II.2", None, Decimal(19))]
    assert unit.total == Decimal(99)          # 28 + 29 + 20 + 19 + 3
    assert unit.self_total == Decimal(82)     # self only: II.2 has no self score
    assert unit.to_json()["differences"] == [
        {"criterion": "I.1", "self_score": 30.0, "assessed_score": 28.0},
        {"criterion": "II.2", "self_score": None, "assessed_score": 19.0}]


def test_bonus_cap():
    bloc = tiny_bloc(2)
    res = run(bloc, {"U1": {"T.1": 15}, "U2": {"T.1": "7.5"}})
    u1, u2 = res.unit("U1"), res.unit("U2")
    assert (u1.bonus_raw, u1.bonus, u1.total) == (Decimal(15), Decimal(10), Decimal(110))
    assert (u2.bonus_raw, u2.bonus, u2.total) == (Decimal("7.5"), Decimal("7.5"),
                                                  Decimal("107.5"))


def test_bonus_cap_is_a_setting():
    bloc = tiny_bloc(1, scoring={"bonus_cap": 4})
    assert run(bloc, {"U1": {"T.1": 6}}).unit("U1").total == Decimal(104)


def test_deduction_cap():
    capped = tiny_bloc(1, scoring={"deduction_cap": 5})
    unit = run(capped, {"U1": {"TR.1": 12}}).unit("U1")
    assert (unit.deductions_raw, unit.deductions, unit.total) == (
        Decimal(12), Decimal(5), Decimal(95))
    uncapped = run(tiny_bloc(1), {"U1": {"TR.1": 12}}).unit("U1")
    assert (uncapped.deductions, uncapped.total) == (Decimal(12), Decimal(88))


def test_total_floored_at_zero():
    unit = run(tiny_bloc(1), {"U1": {"I.1": 0, "I.2": 0, "II.1": 0, "II.2": 5,
                                     "TR.1": 20}}).unit("U1")
    assert unit.base == Decimal(5)
    assert unit.total == Decimal(0)
    assert unit.self_total == Decimal(0)
    assert unit.grade == "KHTNV"


def test_self_total_uses_self_scores_with_the_same_caps():
    unit = run(tiny_bloc(1), {"U1": {"T.1": ("14", "2"), "TR.1": ("1", "3")}}).unit("U1")
    assert unit.self_total == Decimal(109)    # 100 + min(14, 10) - 1
    assert unit.total == Decimal(99)          # 100 + 2 - 3


def sums_bloc(step: str):
    # Three bonus lines so that 0.7 + 0.2 + 0.1 is summed in that order.
    data = tiny_dict(2, scoring={"step": step})
    data["criteria"] = [c for c in data["criteria"] if c["section"] != "T"] + [
        {"code": f"T.{i}", "section": "T", "text": f"Thưởng {i}", "max_points": 5}
        for i in (1, 2, 3)]
    return bloc_from_dict(data, "tiny.toml")


@pytest.mark.parametrize("typed", [(0.7, 0.2, 0.1), ("0,7", "0,2", "0,1"), ("0.7", "0.2", "0.1")])
def test_decimal_sums_are_exact_with_step_0_1(typed):
    bloc = sums_bloc("0.1")
    a, b, c = typed
    # Base 89 + (0.7 + 0.2 + 0.1) is exactly 90: the HTXSNV boundary (floats give 89.99…).
    res = run(bloc, {"U1": {"I.1": 19, "T.1": a, "T.2": b, "T.3": c},
                     "U2": {"I.1": 19, "T.1": 1}})
    u1, u2 = res.unit("U1"), res.unit("U2")
    assert u1.errors == ()
    assert u1.total == u2.total == Decimal(90)
    assert u1.grade == "HTXSNV"
    assert u1.rank == u2.rank == 1             # equal on every key: they share the rank


def test_step_0_1_rejects_finer_scores():
    unit = run(sums_bloc("0.1"), {"U1": {"I.1": "29.25"}}).unit("U1")
    assert "bội số của bước chấm 0,1 điểm" in unit.errors[0].message


def test_step_0_25():
    bloc = tiny_bloc(2, scoring={"step": "0.25"})
    res = run(bloc, {"U1": {"I.1": "29,75", "I.2": "0.25"}, "U2": {"I.1": "29.3"}})
    assert res.unit("U1").total == Decimal(70)
    assert res.unit("U1").grade == "HTTNV"
    assert [(e.cell, "bội số của bước chấm 0,25 điểm" in e.message)
            for e in res.unit("U2").errors] == [("D2", True)]


def test_step_1():
    bloc = tiny_bloc(2, scoring={"step": 1})
    res = run(bloc, {"U1": {"I.1": 29}, "U2": {"I.1": "29,5"}})
    assert res.unit("U1").total == Decimal(99)
    assert "bội số của bước chấm 1 điểm" in res.unit("U2").errors[0].message


# ---------------------------------------------------------------------------------------------
# §4 Grade


@pytest.mark.parametrize("lines, total, grade", [
    ({"I.1": 20}, "90", "HTXSNV"),
    ({"I.1": "19.5"}, "89.5", "HTTNV"),
    ({"I.1": 0}, "70", "HTTNV"),
    ({"I.1": 0, "I.2": "29.5"}, "69.5", "HTNV"),
    ({"I.1": 0, "I.2": 10}, "50", "HTNV"),
    ({"I.1": 0, "I.2": "9.5"}, "49.5", "KHTNV"),
    ({"I.1": 18, "T.1": 2}, "90", "HTXSNV"),     # the boundary reached through bonus
    ({"I.1": 22, "TR.1": 2}, "90", "HTXSNV"),
])
def test_total_exactly_on_a_grade_boundary(lines, total, grade):
    unit = run(tiny_bloc(1), {"U1": lines}).unit("U1")
    assert unit.total == Decimal(total)
    assert unit.grade == grade


def test_grade_bands_are_settings_in_any_order():
    bloc = tiny_bloc(1, scoring={"grades": [
        {"code": "B", "name": "Khá", "min_total": 60},
        {"code": "A", "name": "Tốt", "min_total": "85.5"},
        {"code": "C", "name": "Đạt", "min_total": 0}]},
        awards={FLAG: {"min_grade": "A"}, MERIT: {"min_grade": "A"}})
    assert run(bloc, {"U1": {"I.1": "15.5"}}).unit("U1").grade == "A"     # 85.5
    assert run(bloc, {"U1": {"I.1": 15}}).unit("U1").grade == "B"         # 85


# ---------------------------------------------------------------------------------------------
# §5 Ranking


def test_units_equal_on_every_key_share_a_rank():
    bloc = tiny_bloc(4)
    res = run(bloc, all_units(bloc, U1={"I.1": 29}, U3={"I.1": 29}, U4={"I.1": 28}))
    assert [u.rank for u in res.units] == [2, 1, 2, 4]


def test_tie_broken_by_the_second_key():
    bloc = tiny_bloc(3)
    res = run(bloc, {"U1": {}, "U2": {"I.1": 29, "T.1": 1}, "U3": {"I.1": 28, "T.1": 2}})
    assert [u.total for u in res.units] == [Decimal(100)] * 3
    assert [u.rank for u in res.units] == [1, 2, 3]
    assert nominees(res) == {FLAG: ["U1"], MERIT: ["U2"]}
    u3 = res.unit("U3")
    assert u3.status == QUOTA_REACHED
    assert "bằng tổng điểm với U2 nhưng xếp sau theo điểm Mục I (58,0 so với 59,0)" in u3.reason


def test_tie_broken_by_the_third_key():
    bloc = tiny_bloc(3)
    res = run(bloc, {"U1": {}, "U2": {"T.1": 2, "TR.1": 2}, "U3": {"T.1": 3, "TR.1": 3}})
    assert [u.total for u in res.units] == [Decimal(100)] * 3
    assert [u.section_totals["I"] for u in res.units] == [Decimal(60)] * 3
    assert [u.rank for u in res.units] == [1, 2, 3]
    reason = res.unit("U3").reason
    assert "xếp sau theo điểm trừ" in reason and "(3,0 so với 2,0)" in reason


def test_tie_break_chain_may_name_any_section():
    # U2 is lower on total but higher in the bonus section T and in section II.
    bloc_t = tiny_bloc(2, review={"tie_break": ["section:T", "total"]})
    res = run(bloc_t, {"U1": {}, "U2": {"I.1": 20, "T.1": 5}})
    assert [u.rank for u in res.units] == [2, 1]
    assert nominees(res)[FLAG] == ["U2"]

    bloc_ii = tiny_bloc(2, review={"tie_break": ["total", "section:II"]})
    res = run(bloc_ii, {"U1": {"II.2": 19, "I.1": 29, "T.1": 2},
                        "U2": {"I.1": 28, "I.2": 29, "T.1": 3}})
    assert [u.total for u in res.units] == [Decimal(100), Decimal(100)]
    assert [u.rank for u in res.units] == [2, 1]
    assert "điểm Mục II (39,0 so với 40,0)" in res.unit("U1").reason


def test_fewer_deductions_counts_deductions_before_their_cap():
    bloc = tiny_bloc(2, scoring={"deduction_cap": 2},
                     review={"tie_break": ["total", "fewer_deductions"]})
    res = run(bloc, {"U1": {"TR.1": 5}, "U2": {"TR.1": 3}})
    assert [u.total for u in res.units] == [Decimal(98), Decimal(98)]
    assert [u.rank for u in res.units] == [2, 1]


# ---------------------------------------------------------------------------------------------
# §6 Eligibility


def test_disciplined_unit():
    bloc = tiny_bloc(3)
    res = run(bloc, all_units(bloc, U2={"I.1": 29}, U3={"I.1": 28}),
              unit_facts=facts(disciplined=("U1",)))
    u1 = res.unit("U1")
    assert (u1.rank, u1.eligible, u1.disciplined, u1.award, u1.status) == (
        1, False, True, None, NOT_ELIGIBLE)
    assert "kỷ luật" in u1.reason
    assert nominees(res) == {FLAG: ["U2"], MERIT: ["U3"]}
    assert res.to_json()["units"][0]["eligible"] is False


def test_critical_criterion_at_zero():
    bloc = tiny_bloc(3)
    res = run(bloc, {"U1": {"II.1": 0}, "U2": {"I.1": 21}, "U3": {"I.1": 20}})
    u1 = res.unit("U1")
    assert (u1.total, u1.rank, u1.eligible, u1.critical_failed) == (
        Decimal(80), 3, False, ("II.1",))
    assert u1.status == NOT_ELIGIBLE
    assert "tiêu chí bắt buộc II.1 (Tiêu chí II.1) được 0 điểm" in u1.reason
    assert nominees(res) == {FLAG: ["U2"], MERIT: ["U3"]}


def test_critical_criterion_uses_the_official_score():
    bloc = tiny_bloc(2)
    res = run(bloc, {"U1": {"II.1": ("20", "0")}, "U2": {"II.1": ("0", "20")}})
    assert res.unit("U1").critical_failed == ("II.1",)
    assert res.unit("U1").eligible is False
    assert res.unit("U2").critical_failed == ()
    assert res.unit("U2").eligible is True


def test_below_min_grade_is_not_eligible_for_that_award():
    bloc = tiny_bloc(3)
    res = run(bloc, {"U1": {}, "U2": {"I.1": 10}, "U3": {"I.1": 5}})
    assert nominees(res) == {FLAG: ["U1"], MERIT: []}
    u2 = res.unit("U2")
    assert (u2.grade, u2.eligible, u2.status) == ("HTTNV", True, NOT_ELIGIBLE)
    assert "xếp loại chưa đạt mức tối thiểu “Hoàn thành xuất sắc nhiệm vụ”" in u2.reason


def test_min_grade_per_award():
    bloc = tiny_bloc(3, awards={MERIT: {"min_grade": "HTTNV"}})
    res = run(bloc, {"U1": {"I.1": 10}, "U2": {"I.1": 5}, "U3": {"I.1": 0, "I.2": 10}})
    # 80 and 75 are HTTNV: no flag (HTXSNV), but the certificate accepts HTTNV.
    assert nominees(res) == {FLAG: [], MERIT: ["U1"]}
    assert res.unit("U2").status == QUOTA_REACHED
    assert res.unit("U3").grade == "HTNV"
    assert res.unit("U3").status == NOT_ELIGIBLE
    assert "“Hoàn thành tốt nhiệm vụ”" in res.unit("U3").reason


# ---------------------------------------------------------------------------------------------
# §7 Quotas


@pytest.mark.parametrize("n, flags, merits", [(1, 1, 0), (3, 1, 1), (9, 1, 3), (10, 2, 3),
                                              (15, 2, 5)])
def test_default_quotas(n, flags, merits):
    assert dict(run(tiny_bloc(n)).quotas) == {FLAG: flags, MERIT: merits}


@pytest.mark.parametrize("n, count", [(4, 0), (5, 1), (11, 1), (12, 3), (20, 3)])
def test_quota_step_table(n, count):
    steps = [{"min_units": 12, "count": 3}, {"min_units": 5, "count": 1}]  # any order
    bloc = tiny_bloc(n, awards={FLAG: {"quota": steps}})
    assert run(bloc).quotas[FLAG] == count


@pytest.mark.parametrize("n, fraction, rounding, count", [
    (5, "1/3", "floor", 1), (5, "1/3", "half_up", 2),
    (4, "1/3", "floor", 1), (4, "1/3", "half_up", 1),
    (3, "1/2", "floor", 1), (3, "1/2", "half_up", 2),     # exactly half rounds up
    (15, "1/3", "floor", 5), (15, "1/3", "half_up", 5),
    (2, "1/3", "half_up", 1), (1, "1/3", "half_up", 0),
])
def test_quota_fraction_with_floor_and_half_up(n, fraction, rounding, count):
    bloc = tiny_bloc(n, awards={MERIT: {"quota_fraction": fraction, "rounding": rounding}})
    assert run(bloc).quotas[MERIT] == count


def test_fewer_eligible_units_than_the_quota():
    bloc = tiny_bloc(12)
    scores = all_units(bloc, **{f"U{i}": {"I.1": 10} for i in range(1, 13) if i not in (5, 9)})
    res = run(bloc, scores, unit_facts=facts(disciplined=("U9",)))
    assert dict(res.quotas) == {FLAG: 2, MERIT: 4}
    assert nominees(res) == {FLAG: ["U5"], MERIT: []}
    assert res.ties == ()


def test_quota_is_never_filled_with_ineligible_units():
    bloc = tiny_bloc(12)
    scores = all_units(bloc, U1={"II.1": 0})
    res = run(bloc, scores, unit_facts=facts(disciplined=("U2", "U3")))
    # U1 (critical), U2, U3 (disciplined) rank 1 and are skipped; nine 100-point units tie.
    assert nominees(res)[FLAG] == []
    assert res.ties[0].award == FLAG
    assert set(res.ties[0].units) == {f"U{i}" for i in range(4, 13)}


# ---------------------------------------------------------------------------------------------
# §8 Nomination


def test_one_award_per_unit_and_awards_in_order():
    bloc = tiny_bloc(6)
    res = run(bloc, {f"U{i}": {"I.1": 30 - i} for i in range(1, 7)})
    assert nominees(res) == {FLAG: ["U1"], MERIT: ["U2", "U3"]}
    assert [u.award for u in res.units] == [FLAG, MERIT, MERIT, None, None, None]


def test_proposed_status_without_ballots():
    bloc = tiny_bloc(3)
    scores = {"U1": {}, "U2": {"I.1": 29}, "U3": {"I.1": 28}}
    for conference in (None, Conference(members=3, present=None)):
        res = run(bloc, scores, conference=conference)
        assert res.quorum_ok is None and res.ballots is False
        assert nominees(res) == {FLAG: ["U1"], MERIT: ["U2"]}
        assert [u.status for u in res.units] == [PROPOSED, PROPOSED, QUOTA_REACHED]
        assert res.unit("U1").reason.endswith(
            "dự kiến đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh, chờ hội nghị bỏ phiếu.")
        assert res.to_json()["quorum_ok"] is None


def test_nominated_with_ballots():
    bloc = tiny_bloc(3)
    res = run(bloc, {"U1": {}, "U2": {"I.1": 29}, "U3": {}},
              unit_facts=facts(U1={FLAG: 2}, U2={MERIT: 3}), conference=ballot(3))
    assert res.quorum_ok is True
    assert nominees(res) == {FLAG: ["U1"], MERIT: ["U2"]}
    assert res.unit("U1").status == NOMINATED
    assert res.unit("U1").reason.endswith("với 2/3 phiếu đồng ý.")


def test_failed_vote_passes_the_place_to_the_next_unit():
    bloc = tiny_bloc(4)
    scores = {"U1": {}, "U2": {"I.1": 29}, "U3": {"I.1": 28}, "U4": {"I.1": 27}}
    # 4 members, threshold 1/2: a unit needs more than 2 votes.
    votes = facts(U1={FLAG: 2, MERIT: 2}, U2={FLAG: 3}, U3={MERIT: 1}, U4={MERIT: 4})
    res = run(bloc, scores, unit_facts=votes, conference=ballot(4))
    assert nominees(res) == {FLAG: ["U2"], MERIT: ["U4"]}
    u1 = res.unit("U1")
    assert (u1.award, u1.status) == (None, FAILED_VOTE)
    assert "không đạt số phiếu Cờ thi đua: 2/4 phiếu đồng ý, cần hơn 2 phiếu" in u1.reason
    assert res.unit("U3").status == FAILED_VOTE
    assert res.unit("U4").status == NOMINATED


@pytest.mark.parametrize("threshold, votes, passes", [
    ("1/2", 3, True), ("1/2", 2, False),       # more than 2 of 4, not "at least"
    ("2/3", 3, True), ("2/3", 2, False), ("3/4", 3, False), ("3/4", 4, True)])
def test_vote_threshold(threshold, votes, passes):
    bloc = tiny_bloc(4, awards={FLAG: {"vote_threshold": threshold}})
    res = run(bloc, unit_facts=facts(U1={FLAG: votes}), conference=ballot(4))
    # U1..U4 tie on 100 points; make U1 the only one on the ballot.
    assert (res.unit("U1").award == FLAG) is passes


def test_vote_threshold_counts_all_members_not_those_present():
    bloc = tiny_bloc(6)
    scores = {f"U{i}": {"I.1": 30 - i} for i in range(1, 7)}
    # 4 of 6 present (quorum 2/3 met); 3 votes is all present minus one but not > 6/2.
    res = run(bloc, scores, unit_facts=facts(U1={FLAG: 3}, U2={FLAG: 4}),
              conference=ballot(6, present=4))
    assert res.quorum_ok is True
    assert nominees(res)[FLAG] == ["U2"]


def test_no_quorum():
    bloc = tiny_bloc(3)
    scores = {"U1": {}, "U2": {"I.1": 29}, "U3": {"I.1": 28}}
    res = run(bloc, scores, unit_facts=facts(U1={FLAG: 1}, U2={MERIT: 1}),
              conference=ballot(3, present=1))
    assert res.quorum_ok is False
    assert nominees(res) == {FLAG: [], MERIT: []}
    assert [u.status for u in res.units] == [NO_QUORUM] * 3
    assert "chỉ có 1/3 thành viên có mặt, không đủ 2/3" in res.unit("U1").reason
    assert res.to_json()["quorum_ok"] is False


@pytest.mark.parametrize("quorum, present, ok", [("2/3", 2, True), ("2/3", 1, False),
                                                 ("1/2", 2, True), ("3/4", 2, False),
                                                 ("1/1", 3, True)])
def test_quorum_setting(quorum, present, ok):
    # present ≥ quorum × members, members = 3.
    bloc = tiny_bloc(3, review={"quorum": quorum})
    res = run(bloc, unit_facts=facts(U1={FLAG: 3}), conference=ballot(3, present=present))
    assert res.quorum_ok is ok


def test_members_default_to_the_bloc_size():
    bloc = tiny_bloc(4)
    res = run(bloc, unit_facts=facts(U1={FLAG: 2}), conference=Conference(present=3))
    assert (res.members, res.quorum_ok) == (4, True)
    assert res.unit("U1").award is None        # 2 votes is not more than 4/2


def test_tie_at_the_quota_boundary_is_left_unresolved():
    bloc = tiny_bloc(6)
    res = run(bloc, {"U1": {}, "U2": {"I.1": 29}, "U3": {"I.1": 28}, "U4": {"I.1": 28},
                     "U5": {"I.1": 27}, "U6": {"I.1": 26}})
    assert dict(res.quotas) == {FLAG: 1, MERIT: 2}
    assert nominees(res) == {FLAG: ["U1"], MERIT: ["U2"]}
    assert res.ties == (Tie(MERIT, ("U3", "U4"), 1),)
    assert res.unresolved_ties == [MERIT]
    assert res.unit("U3").status == res.unit("U4").status == UNRESOLVED_TIE
    assert res.unit("U3").rank == res.unit("U4").rank == 3
    assert "bằng U4 trên mọi tiêu chí phân định ở ranh giới chỉ tiêu Bằng khen" in \
        res.unit("U3").reason
    assert res.unit("U5").status == QUOTA_REACHED
    assert res.to_json()["ties"] == [{"award": MERIT, "units": ["U3", "U4"], "open_slots": 1}]


def test_tie_inside_the_quota_is_no_tie():
    bloc = tiny_bloc(9)       # certificate quota 3
    res = run(bloc, all_units(bloc, U1={"T.1": 1}, **{f"U{i}": {"I.1": 20} for i in range(5, 10)}))
    # U1 takes the flag; U2, U3, U4 (100 points, equal) fill the three certificates exactly.
    assert nominees(res) == {FLAG: ["U1"], MERIT: ["U2", "U3", "U4"]}
    assert res.ties == ()


def test_tied_units_stay_candidates_for_the_next_award():
    bloc = tiny_bloc(6)
    res = run(bloc, {"U1": {}, "U2": {}, "U3": {"I.1": 29}, "U4": {"I.1": 28},
                     "U5": {"I.1": 27}, "U6": {"I.1": 26}})
    assert nominees(res) == {FLAG: [], MERIT: ["U1", "U2"]}
    assert res.ties == (Tie(FLAG, ("U1", "U2"), 1),)
    assert res.unresolved_ties == [FLAG]


def test_tie_with_ballots_between_units_that_both_pass():
    bloc = tiny_bloc(3)
    res = run(bloc, unit_facts=facts(U1={FLAG: 3}, U2={FLAG: 2}, U3={FLAG: 1}),
              conference=ballot(3))
    # U1 and U2 pass (more than 1.5) and are equal on every key; U3 fails.
    assert nominees(res)[FLAG] == []
    assert res.ties == (Tie(FLAG, ("U1", "U2"), 1),)


def test_a_bloc_of_one_unit():
    bloc = tiny_bloc(1)
    assert bloc.deputy is None
    res = run(bloc)
    u1 = res.unit("U1")
    assert (u1.total, u1.rank, u1.award, u1.status) == (Decimal(100), 1, FLAG, PROPOSED)
    assert dict(res.quotas) == {FLAG: 1, MERIT: 0}
    assert nominees(res) == {FLAG: ["U1"], MERIT: []}
    assert (res.next_leader, res.next_deputy) == ("U1", None)
    assert "U1 tiếp tục làm Trưởng khối" in res.leader_note
    assert u1.reason.startswith("Xếp hạng 1/1, 100,0 điểm")


# ---------------------------------------------------------------------------------------------
# §9 Leader and deputy


def succession_of(n, *, leader="U1", deputy="U2", rule="deputy_succeeds", disciplined=(),
                  scores=None, conference=None):
    bloc = tiny_bloc(n, bloc={"leader": leader, "deputy": deputy},
                     review={"leader_rule": rule})
    res = run(bloc, scores, unit_facts=facts(disciplined=disciplined), conference=conference)
    return res.next_leader, res.next_deputy, res.leader_note


def test_deputy_succeeds():
    assert succession_of(5)[:2] == ("U2", "U3")


def test_deputy_succeeds_wraps_around_and_skips_the_outgoing_leader():
    assert succession_of(4, leader="U3", deputy="U4")[:2] == ("U4", "U1")
    assert succession_of(4, leader="U1", deputy="U4")[:2] == ("U4", "U2")


def test_ineligible_deputy_gives_way_to_the_next_unit_after_it():
    leader, deputy, note = succession_of(5, disciplined=("U2",))
    assert (leader, deputy) == ("U3", "U4")
    assert "Phó Trưởng khối U2 không đủ điều kiện" in note
    # Critical criterion at 0 and data errors exclude as well; the outgoing leader is skipped.
    assert succession_of(4, leader="U3", deputy="U4",
                         scores={"U1": {}, "U2": {}, "U3": {}, "U4": {"II.1": 0}})[:2] == (
        "U1", "U2")
    assert succession_of(3, leader="U2", deputy="U3",
                         scores={"U1": {"I.1": "?"}, "U2": {}, "U3": {}})[:2] == ("U3", None)


def test_grade_does_not_matter_for_succession():
    # "Eligible" for succession: no data errors, not disciplined, no critical criterion at 0.
    assert succession_of(3, scores={"U1": {}, "U2": {"I.1": 0, "I.2": 0}, "U3": {}})[:2] == (
        "U2", "U3")


def test_rotation():
    assert succession_of(4, leader="U3", deputy="U1", rule="rotation")[:2] == ("U4", "U1")
    assert succession_of(4, leader="U1", deputy="U3", rule="rotation",
                         disciplined=("U2",))[:2] == ("U3", "U4")


def test_vote():
    conf = Conference(members=4, present=4, next_leader="U3", next_deputy="U1")
    assert succession_of(4, rule="vote", conference=conf) == ("U3", "U1", "")
    leader, deputy, note = succession_of(4, rule="vote", conference=conf, disciplined=("U3",))
    assert (leader, deputy) == (None, "U1")
    assert "Trưởng khối được bầu U3 không đủ điều kiện" in note
    leader, deputy, note = succession_of(4, rule="vote")
    assert (leader, deputy) == (None, None)
    assert "chưa ghi kết quả bầu Trưởng khối" in note


# ---------------------------------------------------------------------------------------------
# §10 Reasons


def test_every_unit_gets_a_vietnamese_reason():
    bloc = tiny_bloc(6)
    res = run(bloc, {"U1": {}, "U2": {"I.1": 29}, "U3": {"I.1": 28}, "U4": {"I.1": "x"},
                     "U5": {"II.1": 0}, "U6": {"I.1": 0, "I.2": 0}},
              unit_facts=facts(disciplined=("U3",)))
    reasons = {u.code: u.reason for u in res.units}
    assert reasons["U1"].startswith("Xếp hạng 1/5, 100,0 điểm, hoàn thành xuất sắc nhiệm vụ;")
    assert "kỷ luật" in reasons["U3"]
    assert "lỗi đầu tiên: U4!D2" in reasons["U4"]
    assert "tiêu chí bắt buộc II.1" in reasons["U5"]
    assert "Xếp hạng 5/5, 40,0 điểm, không hoàn thành nhiệm vụ" in reasons["U6"]
    assert all(text.endswith(".") for text in reasons.values())
