"""Reading the data files of bloc-format.md: scores CSV, review-facts CSV, conference TOML.

One small file per behaviour under tests/engine/data/, for the bloc of
tests/engine/definitions/minimal.toml (units HA, HB, HC; criteria I.1, I.2, II.1, T.1, TR.1).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from thidua_xl.datafiles import (conference_from_dict, conference_to_dict, load_conference,
                                 load_review, load_round, load_scores, parse_date, parse_mark,
                                 parse_votes)
from thidua_xl.definition import load_bloc
from thidua_xl.errors import DataFileError
from thidua_xl.model import (DATA_ERRORS, FAILED_VOTE, NOMINATED, NOT_ELIGIBLE, Conference,
                             Location)
from thidua_xl.review import review

ENGINE = Path(__file__).parent / "engine"
DATA = ENGINE / "data"
BLOC = ENGINE / "definitions" / "minimal.toml"


@pytest.fixture(scope="module")
def bloc():
    return load_bloc(BLOC)


def scores_of(path: Path, bloc) -> tuple[dict, list]:
    entries, errors = load_scores(path, bloc)
    return {(e.unit, e.criterion): e for e in entries}, errors


def official(path: Path, bloc, unit: str = "HA"):
    """The engine's view of one unit after reading ``path``."""
    return review(load_round(bloc, scores=path)).unit(unit)


# ---------------------------------------------------------------------------------------------
# Scores CSV


def test_scores_csv(bloc):
    entries, errors = scores_of(DATA / "scores.csv", bloc)
    assert errors == []
    assert len(entries) == 15
    line = entries["HA", "I.1"]
    assert (line.self_score, line.assessed_score, line.evidence) == (
        "27.5", "", "Kế hoạch số 12/KH-HA")
    assert (str(line.self_at), str(line.assessed_at)) == ("scores.csv!C2", "scores.csv!D2")
    unit = official(DATA / "scores.csv", bloc)
    assert unit.total == Decimal("98.5")       # 27.5 + 29 (assessed) + 40 + 2


def test_scores_csv_with_decimal_comma(bloc):
    entries, errors = scores_of(DATA / "scores-decimal-comma.csv", bloc)
    assert errors == []
    assert entries["HA", "I.1"].self_score == "27,5"
    unit = official(DATA / "scores-decimal-comma.csv", bloc)
    assert [line.official for line in unit.lines[:2]] == [Decimal("27.5"), Decimal("29.5")]
    assert unit.total == Decimal(97)


def test_scores_csv_with_semicolon_delimiter(bloc):
    entries, errors = scores_of(DATA / "scores-semicolon.csv", bloc)
    assert errors == []
    assert entries["HA", "I.1"].evidence == "Kế hoạch; đã ký"     # quoted field keeps its ';'
    assert official(DATA / "scores-semicolon.csv", bloc).total == Decimal(97)


def test_scores_csv_with_bom_and_crlf(bloc):
    entries, errors = scores_of(DATA / "scores-bom.csv", bloc)
    assert errors == []
    assert sorted(entries) == [("HA", c) for c in ("I.1", "I.2", "II.1", "T.1", "TR.1")]
    assert official(DATA / "scores-bom.csv", bloc).total == Decimal("97.5")


def test_scores_csv_columns_in_any_order_with_extra_columns(bloc):
    entries, errors = scores_of(DATA / "scores-columns-reordered.csv", bloc)
    assert errors == []
    line = entries["HA", "I.1"]
    assert (line.self_score, line.assessed_score) == ("28", "27")
    # Cells are named by the columns where the values really are.
    assert (line.self_at.cell, line.assessed_at.cell) == ("D2", "F2")


def test_scores_csv_unknown_unit_row(bloc):
    entries, errors = scores_of(DATA / "scores-unknown-unit.csv", bloc)
    assert [(e.sheet, e.cell, e.unit) for e in errors] == [("scores-unknown-unit.csv", "A7", None)]
    assert "“HX”" in errors[0].message
    assert len(entries) == 10
    res = review(load_round(bloc, scores=DATA / "scores-unknown-unit.csv"))
    # A bloc-wide error: it blocks nobody (HC has no rows at all and is blocked for that).
    assert res.unit("HA").status != DATA_ERRORS and res.unit("HB").status != DATA_ERRORS
    assert res.errors[0].cell == "A7"


def test_scores_csv_unknown_criterion_blocks_that_unit(bloc):
    _, errors = scores_of(DATA / "scores-unknown-criterion.csv", bloc)
    assert [(e.cell, e.unit) for e in errors] == [("B7", "HB")]
    assert "“I.9”" in errors[0].message
    res = review(load_round(bloc, scores=DATA / "scores-unknown-criterion.csv"))
    assert (res.unit("HA").total, res.unit("HB").status) == (Decimal(100), DATA_ERRORS)


def test_scores_csv_duplicate_row(bloc):
    entries, errors = scores_of(DATA / "scores-duplicate-row.csv", bloc)
    assert [(e.sheet, e.cell, e.unit) for e in errors] == [
        ("scores-duplicate-row.csv", "B7", "HA")]
    assert "dòng 2" in errors[0].message
    assert entries["HA", "I.1"].self_score == "30"     # the first row is kept
    res = review(load_round(bloc, scores=DATA / "scores-duplicate-row.csv"))
    assert res.unit("HA").status == DATA_ERRORS
    assert res.unit("HB").total == Decimal(100)


def test_scores_csv_missing_column(bloc):
    with pytest.raises(DataFileError) as info:
        load_scores(DATA / "scores-missing-column.csv", bloc)
    assert info.value.where.endswith("scores-missing-column.csv")
    assert "thiếu cột assessed_score" in info.value.message


def test_scores_csv_empty(bloc):
    with pytest.raises(DataFileError) as info:
        load_scores(DATA / "scores-empty.csv", bloc)
    assert "rỗng" in info.value.message


def test_scores_csv_not_utf8(bloc):
    with pytest.raises(DataFileError) as info:
        load_scores(DATA / "scores-not-utf8.csv", bloc)
    assert "UTF-8" in info.value.message


def test_scores_csv_missing_file(bloc, tmp_path):
    with pytest.raises(DataFileError) as info:
        load_scores(tmp_path / "khong-co.csv", bloc)
    assert "không tìm thấy" in info.value.message


def test_scores_csv_row_with_more_fields_than_the_header_is_an_error(bloc):
    # `HA,I.1,27,5,,` — a decimal comma left unquoted in a comma-separated file splits 27,5
    # into self 27 and assessed 5; dropping the surplus field silently would make 5 points
    # HA's official score for I.1.
    entries, errors = scores_of(DATA / "scores-unquoted-decimal-comma.csv", bloc)
    assert [(e.sheet, e.unit) for e in errors] == [("scores-unquoted-decimal-comma.csv", "HA")]
    assert errors[0].cell == "F2"          # the first surplus field
    assert "27,5" in errors[0].message
    res = review(load_round(bloc, scores=DATA / "scores-unquoted-decimal-comma.csv"))
    assert res.unit("HA").status == DATA_ERRORS
    assert res.unit("HB").total == Decimal(100)


# ---------------------------------------------------------------------------------------------
# Review facts CSV


def test_review_csv(bloc):
    facts, errors = load_review(DATA / "review.csv", bloc)
    assert errors == []
    assert {code: (f.disciplined, dict(f.votes)) for code, f in facts.items()} == {
        "HA": (False, {"emulation_flag": 3, "certificate_of_merit": None}),
        "HB": (True, {"emulation_flag": None, "certificate_of_merit": None}),
        "HC": (False, {"emulation_flag": None, "certificate_of_merit": 2})}
    assert str(facts["HB"].at) == "review.csv!A3"
    # Each vote cell, blank or not, as Excel would show the CSV.
    assert dict(facts["HC"].votes_at) == {"emulation_flag": Location("review.csv", "C4"),
                                          "certificate_of_merit": Location("review.csv", "D4")}


def test_review_csv_vote_cells_follow_the_columns(bloc, tmp_path):
    path = tmp_path / "bx.csv"
    path.write_text("votes_certificate_of_merit;unit;disciplined\n7;HA;\n", encoding="utf-8")
    facts, errors = load_review(path, bloc)
    assert errors == []
    assert facts["HA"].at == Location("bx.csv", "B2")
    assert dict(facts["HA"].votes_at) == {"certificate_of_merit": Location("bx.csv", "A2")}
    assert dict(facts["HA"].votes) == {"emulation_flag": None, "certificate_of_merit": 7}


def test_review_csv_bad_disciplined_mark(bloc):
    facts, errors = load_review(DATA / "review-bad-mark.csv", bloc)
    assert [(e.sheet, e.cell, e.unit, e.kind) for e in errors] == [
        ("review-bad-mark.csv", "B3", "HB", "discipline")]
    assert errors[0].message == "cột disciplined chỉ nhận “x” hoặc để trống (đang là “có lẽ”)"
    # The unit is not guessed to be free of discipline: no award until the mark is fixed.
    res = review(load_round(BLOC, DATA / "scores.csv", DATA / "review-bad-mark.csv"))
    assert res.unit("HB").status == DATA_ERRORS
    assert (res.unit("HB").award, res.unit("HB").eligible) == (None, False)
    assert res.unit("HA").status != DATA_ERRORS


def test_review_csv_bad_votes(bloc):
    facts, errors = load_review(DATA / "review-bad-votes.csv", bloc)
    assert [(str(e), e.unit, e.kind) for e in errors] == [
        ("review-bad-votes.csv!C2: số phiếu “ba” phải là số nguyên không âm", "HA", "votes"),
        ("review-bad-votes.csv!D4: số phiếu “-1” phải là số nguyên không âm", "HC", "votes")]
    assert facts["HA"].votes["emulation_flag"] is None
    assert facts["HA"].votes_at["emulation_flag"] == Location("review-bad-votes.csv", "C2")


def test_review_csv_unknown_and_duplicate_unit(bloc):
    facts, errors = load_review(DATA / "review-unknown-unit.csv", bloc)
    assert list(facts) == ["HA"]
    assert [(e.cell, e.unit) for e in errors] == [("A3", None)]
    facts, errors = load_review(DATA / "review-duplicate-unit.csv", bloc)
    assert facts["HA"].disciplined is False              # the first row is kept
    # The second row says "x": which mark is right is unknown.
    assert [(e.cell, e.unit, e.kind) for e in errors] == [("A3", "HA", "discipline")]


def test_review_csv_duplicate_row_with_the_same_mark_is_a_votes_error(bloc, tmp_path):
    path = tmp_path / "review.csv"
    path.write_text("unit,disciplined,votes_emulation_flag\nHA,X,3\nHA,x,4\n", encoding="utf-8")
    facts, errors = load_review(path, bloc)
    assert facts["HA"].votes["emulation_flag"] == 3
    assert [(str(e), e.unit, e.kind) for e in errors] == [
        ("review.csv!A3: đơn vị HA xuất hiện hai lần", "HA", "votes")]


def test_review_csv_missing_column(bloc):
    with pytest.raises(DataFileError) as info:
        load_review(DATA / "review-missing-column.csv", bloc)
    assert "thiếu cột disciplined" in info.value.message


def test_review_csv_without_vote_columns(bloc):
    facts, errors = load_review(DATA / "review-no-votes-columns.csv", bloc)
    assert errors == []
    assert facts["HA"].disciplined is True                 # "X" in capitals
    assert dict(facts["HB"].votes) == {"emulation_flag": None, "certificate_of_merit": None}


@pytest.mark.parametrize("typed, mark", [("x", True), ("X", True), (" x ", True), ("có", True),
                                         ("", False), (None, False), ("không", None),
                                         ("xx", None)])
def test_parse_mark(typed, mark):
    assert parse_mark(typed) is mark


@pytest.mark.parametrize("typed, votes", [("12", 12), (12, 12), (12.0, 12), ("12,0", 12),
                                          ("", None), (None, None), ("0", 0)])
def test_parse_votes(typed, votes):
    assert parse_votes(typed) == votes


@pytest.mark.parametrize("bad, message", [
    ("mười", "số phiếu “mười” phải là số nguyên không âm"),
    ("-1", "số phiếu “-1” phải là số nguyên không âm"),
    ("2.5", "số phiếu “2.5” phải là số nguyên không âm"),
    (True, "số phiếu “True” không hợp lệ"),
    (-3, "số phiếu -3 không được âm")])
def test_parse_votes_rejects(bad, message):
    with pytest.raises(ValueError) as info:
        parse_votes(bad)
    assert str(info.value) == message


def test_parse_votes_names_the_count():
    with pytest.raises(ValueError) as info:
        parse_votes("mười lăm", what="số thành viên")
    assert str(info.value) == "số thành viên “mười lăm” phải là số nguyên không âm"
    with pytest.raises(ValueError) as info:
        parse_votes(-2, what="số phiếu hợp lệ")
    assert str(info.value) == "số phiếu hợp lệ -2 không được âm"


# ---------------------------------------------------------------------------------------------
# Conference TOML


def test_conference_toml():
    conf = load_conference(DATA / "conference.toml")
    assert conf == Conference(date=dt.date(2022, 1, 14), place="Hội trường A", members=3,
                              present=3, ballots_issued=3, ballots_valid=3)


def test_conference_present_greater_than_members():
    with pytest.raises(DataFileError) as info:
        load_conference(DATA / "conference-present-gt-members.toml")
    assert info.value.where.endswith("conference-present-gt-members.toml: conference.present")
    assert "(4) lớn hơn số thành viên (3)" in info.value.message


@pytest.mark.parametrize("name, key", [
    ("conference-valid-gt-issued.toml", ": conference.ballots_valid"),
    ("conference-bad-date.toml", ": conference.date"),
    ("conference-bad-count.toml", ": conference.present"),
    ("conference-no-table.toml", "conference-no-table.toml"),
    ("conference-not-toml.toml", "conference-not-toml.toml"),
])
def test_bad_conference_files(name, key):
    with pytest.raises(DataFileError) as info:
        load_conference(DATA / name)
    assert info.value.where.endswith(key)


def test_conference_date_as_text():
    assert load_conference(DATA / "conference-date-text.toml").date == dt.date(2022, 1, 14)


@pytest.mark.parametrize("typed, date", [
    ("2022-01-14", dt.date(2022, 1, 14)), ("14/01/2022", dt.date(2022, 1, 14)),
    ("14-01-2022", dt.date(2022, 1, 14)), ("14.01.2022", dt.date(2022, 1, 14)),
    (dt.datetime(2022, 1, 14, 8, 30), dt.date(2022, 1, 14)), (None, None), ("", None)])
def test_parse_date(typed, date):
    assert parse_date(typed) == date


def test_conference_dict_round_trip(reference):
    conf = load_conference(reference["conference"])
    assert conference_from_dict(conference_to_dict(conf), "x") == conf
    assert conference_to_dict(conf)["present"] == 15


# ---------------------------------------------------------------------------------------------
# A whole round from files


def test_load_round_from_small_files():
    res = review(load_round(BLOC, DATA / "scores.csv", DATA / "review.csv",
                            DATA / "conference.toml"))
    assert [(u.code, u.total, u.rank) for u in res.units] == [
        ("HA", Decimal("98.5"), 3), ("HB", Decimal(100), 1), ("HC", Decimal(99), 2)]
    # HB is disciplined; HC is not on the flag ballot and gives way to HA (3 votes > 1.5).
    assert {k: list(v) for k, v in res.nominees.items()} == {
        "emulation_flag": ["HA"], "certificate_of_merit": ["HC"]}
    assert [u.status for u in res.units] == [NOMINATED, NOT_ELIGIBLE, NOMINATED]
    assert res.quorum_ok is True
    assert res.errors == ()


def test_load_round_only_definition():
    res = review(load_round(BLOC))
    assert all(u.status == DATA_ERRORS for u in res.units)
    assert len(res.unit("HA").errors) == 3      # I.1, I.2, II.1 chưa chấm
    assert res.next_leader is None


def test_failed_vote_from_files(tmp_path):
    votes = tmp_path / "review.csv"
    votes.write_text("unit,disciplined,votes_emulation_flag,votes_certificate_of_merit\n"
                     "HA,,1,1\nHB,,,\nHC,,,\n", encoding="utf-8")
    res = review(load_round(BLOC, DATA / "scores.csv", votes, DATA / "conference.toml"))
    assert {k: list(v) for k, v in res.nominees.items()} == {
        "emulation_flag": [], "certificate_of_merit": []}
    assert res.unit("HB").status == FAILED_VOTE


def test_review_csv_row_with_more_fields_than_the_header_is_an_error(bloc):
    _, errors = load_review(DATA / "review-surplus-field.csv", bloc)
    # The fields after the stray comma are shifted: the vote counts are in doubt.
    assert [(e.cell, e.unit, e.kind) for e in errors] == [("E2", "HA", "votes")]
