"""The review engine on the reference bloc (rules.md §11, reference/expected-2021.json).

The reference files come from ``../shared/reference`` beside the repository (conftest's
``reference`` fixture), the source of truth; variants are derived by small edits of copies.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest

from thidua_xl.datafiles import load_round
from thidua_xl.definition import bloc_from_dict, bloc_to_dict, load_bloc
from thidua_xl.model import (DATA_ERRORS, FAILED_VOTE, NOMINATED, NOT_ELIGIBLE, PROPOSED,
                             QUOTA_REACHED, UNRESOLVED_TIE, ReviewResult, Tie)
from thidua_xl.review import review


def run_reference(reference: dict[str, Path], **replace: Path | None) -> ReviewResult:
    files = {role: reference[role] for role in ("bloc", "scores", "review", "conference")}
    files.update(replace)
    return review(load_round(files["bloc"], files["scores"], files["review"],
                             files["conference"]))


@pytest.fixture
def result(reference) -> ReviewResult:
    return run_reference(reference)


def test_reference_gives_expected_json_exactly(result, expected):
    # Through JSON text, as `thidua run --json` prints it.
    got = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    assert [u["code"] for u in got["units"]] == [u["code"] for u in expected["units"]]
    for mine, theirs in zip(got["units"], expected["units"]):
        assert {key: mine[key] for key in theirs} == theirs, mine["code"]
    for key in ("nominees", "next_leader", "next_deputy", "quorum_ok", "unresolved_ties"):
        assert got[key] == expected[key], key
    assert set(expected) <= set(got)
    assert got["errors"] == []


def test_reference_json_number_types(result):
    hnb = result.to_json()["units"][6]
    assert hnb["code"] == "HNB"
    assert type(hnb["total"]) is float and hnb["total"] == 106.0
    assert type(hnb["rank"]) is int


def test_reference_quotas_and_members(result):
    assert dict(result.quotas) == {"emulation_flag": 2, "certificate_of_merit": 5}
    assert result.members == 15
    assert result.present == 15
    assert result.ballots is True
    assert result.ties == ()


def test_reference_statuses(result):
    statuses = {u.code: u.status for u in result.units}
    assert statuses == {
        "HNCT": NOMINATED, "HCTD": NOMINATED, "LMHTX": NOMINATED, "HKH": NOMINATED,
        "HNM": NOT_ELIGIBLE, "HLG": NOMINATED, "HNB": NOMINATED, "HDY": NOT_ELIGIBLE,
        "HLHTN": QUOTA_REACHED, "HNNCDDC": QUOTA_REACHED, "HNKT": NOT_ELIGIBLE,
        "HVHNT": QUOTA_REACHED, "HCTNXP": QUOTA_REACHED, "LHH": NOMINATED,
        "LHTCHN": NOT_ELIGIBLE}


def test_reference_bonus_capped_for_hnb(result):
    hnb = result.unit("HNB")
    assert (hnb.base, hnb.bonus_raw, hnb.bonus, hnb.deductions) == (
        Decimal(96), Decimal(15), Decimal(10), Decimal(0))
    assert hnb.total == Decimal(106)


def test_reference_section_totals_of_the_tied_pair(result):
    assert result.unit("HLG").section_totals["I"] == Decimal(48)
    assert result.unit("HVHNT").section_totals["I"] == Decimal(47)
    assert result.unit("HLG").total == result.unit("HVHNT").total == Decimal(101)


def test_reference_differences_listed(result):
    hkh = result.unit("HKH")
    assert [(d.criterion, d.self_score, d.assessed_score) for d in hkh.differences] == [
        ("I.2", Decimal("18.5"), Decimal(17)), ("II.2", Decimal("9.5"), Decimal(9))]
    assert (hkh.self_total, hkh.total) == (Decimal(105), Decimal(103))
    hnkt = result.unit("HNKT")
    assert [(d.criterion, d.self_score, d.assessed_score) for d in hnkt.differences] == [
        ("III.3", Decimal(5), Decimal(0))]
    assert result.unit("HNB").differences == ()


def test_reference_reason_hvhnt_names_the_tie_break(result):
    text = result.unit("HVHNT").reason
    assert text.startswith("Xếp hạng 10/15, 101,0 điểm")
    assert "HLG" in text
    assert "Mục I" in text
    assert "47,0 so với 48,0" in text
    assert "không còn chỉ tiêu cho đơn vị (Cờ thi đua 02/02, Bằng khen 05/05)" in text


def test_reference_reasons_of_excluded_units(result):
    assert "kỷ luật" in result.unit("HDY").reason
    hnkt = result.unit("HNKT").reason
    assert "III.3" in hnkt and "0 điểm" in hnkt and "bắt buộc" in hnkt
    assert result.unit("HNKT").critical_failed == ("III.3",)
    assert result.unit("HNKT").ineligibility == ("critical:III.3",)
    assert result.unit("HDY").ineligibility == ("disciplined",)
    assert "Hoàn thành xuất sắc nhiệm vụ" in result.unit("HNM").reason
    assert result.unit("HNM").eligible is True      # eligible, only below the award grade


def test_reference_reasons_of_nominees(result):
    assert result.unit("HNB").reason == (
        "Xếp hạng 1/15, 106,0 điểm, hoàn thành xuất sắc nhiệm vụ; đề nghị tặng Cờ thi đua "
        "của Ủy ban nhân dân tỉnh với 14/15 phiếu đồng ý.")
    assert "10/15 phiếu" in result.unit("HLG").reason
    assert "Bằng khen" in result.unit("HLG").reason


def test_reference_next_leader_skips_disciplined_unit(result):
    # Deputy HNB succeeds; the next in member order after HNB is HDY (disciplined): skipped.
    assert (result.next_leader, result.next_deputy) == ("HNB", "HLHTN")
    assert result.leader_note == ""


def test_reference_without_conference_is_proposed(reference, expected):
    res = run_reference(reference, conference=None)
    assert res.quorum_ok is None
    assert res.ballots is False
    assert {k: list(v) for k, v in res.nominees.items()} == expected["nominees"]
    assert {u.code for u in res.units if u.status == PROPOSED} == {
        "HNB", "HCTD", "HNCT", "HKH", "LHH", "LMHTX", "HLG"}
    assert "chờ hội nghị bỏ phiếu" in res.unit("HNB").reason


def test_reference_bad_score_blocks_only_that_unit(reference, tmp_path, expected):
    scores = tmp_path / "scores-2021.csv"
    text = reference["scores"].read_text(encoding="utf-8")
    assert "HNCT,I.2,17.5,," in text
    scores.write_text(text.replace("HNCT,I.2,17.5,,", "HNCT,I.2,mười bảy,,"), encoding="utf-8")
    res = run_reference(reference, scores=scores)
    hnct = res.unit("HNCT")
    assert (hnct.total, hnct.rank, hnct.award, hnct.status) == (None, None, None, DATA_ERRORS)
    assert [(e.sheet, e.cell) for e in hnct.errors] == [("scores-2021.csv", "C3")]
    assert "mười bảy" in hnct.errors[0].message
    assert "1 lỗi" in hnct.reason
    # Every other unit keeps its total.
    totals = {u["code"]: u["total"] for u in expected["units"]}
    for unit in res.units:
        if unit.code != "HNCT":
            assert float(unit.total) == totals[unit.code], unit.code
    # HNCT's certificate goes down the rank order; HVHNT had no votes on that ballot.
    assert res.nominees["certificate_of_merit"] == ("HKH", "LHH", "LMHTX", "HLG")
    assert res.unit("HVHNT").status == FAILED_VOTE
    assert "0/15 phiếu" in res.unit("HVHNT").reason
    assert res.unit("HKH").rank == 4


def test_reference_without_section_key_leaves_tie_unresolved(reference):
    # Without `section:I` HLG and HVHNT are equal on every key at the certificate boundary.
    data = bloc_to_dict(load_bloc(reference["bloc"]))
    data["review"]["tie_break"] = ["total", "fewer_deductions"]
    bloc = bloc_from_dict(data, "khoi.toml")
    files = load_round(bloc, reference["scores"], reference["review"], reference["conference"])
    # Both got votes in a run-off that did not settle the tie.
    facts = dict(files.facts)
    facts["HVHNT"] = dataclasses.replace(facts["HVHNT"],
                                         votes={"emulation_flag": None,
                                                "certificate_of_merit": 10})
    res = review(dataclasses.replace(files, facts=facts))
    assert res.nominees["certificate_of_merit"] == ("HNCT", "HKH", "LHH", "LMHTX")
    assert res.ties == (Tie("certificate_of_merit", ("HLG", "HVHNT"), 1),)
    assert res.unresolved_ties == ["certificate_of_merit"]
    assert res.unit("HLG").rank == res.unit("HVHNT").rank == 9
    assert res.unit("HLG").status == res.unit("HVHNT").status == UNRESOLVED_TIE
    assert "HVHNT" in res.unit("HLG").reason
    assert res.to_json()["unresolved_ties"] == ["certificate_of_merit"]
