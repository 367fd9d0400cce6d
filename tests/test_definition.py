"""Loading and validating bloc definitions (bloc-format.md, "Bloc definition").

Each bad definition is one small TOML file under tests/engine/definitions/ (a copy of
``minimal.toml`` with one defect, described in its first line) or a small text edit of
``minimal.toml`` made in the test; each must raise BlocDefinitionError naming the key.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from blocs import tiny_dict
from thidua_xl.definition import bloc_from_dict, bloc_to_dict, dump_toml, load_bloc, loads_bloc
from thidua_xl.errors import BlocDefinitionError, ThiduaError
from thidua_xl.model import QuotaStep

DEFINITIONS = Path(__file__).parent / "engine" / "definitions"
MINIMAL = DEFINITIONS / "minimal.toml"
REFERENCE_TOML = Path(__file__).resolve().parents[1] / "thidua_xl" / "data" / "reference" / "khoi-hoi-dac-thu-2021.toml"


def minimal_text() -> str:
    return MINIMAL.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    text = minimal_text()
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_minimal_definition_loads_with_defaults():
    bloc = load_bloc(MINIMAL)
    assert (bloc.name, bloc.province, bloc.year, bloc.leader, bloc.deputy) == (
        "Khối thử nghiệm", "An Bình", 2021, "HA", "HB")
    assert [u.code for u in bloc.units] == ["HA", "HB", "HC"]
    assert [(c.code, c.section, c.max_points, c.critical) for c in bloc.criteria] == [
        ("I.1", "I", Decimal(30), False), ("I.2", "I", Decimal(30), False),
        ("II.1", "II", Decimal(40), True), ("T.1", "T", Decimal(10), False),
        ("TR.1", "TR", Decimal(10), False)]
    assert bloc.scoring.step == Decimal("0.5")
    assert bloc.scoring.deduction_cap is None
    assert [(g.code, g.min_total) for g in bloc.scoring.grades] == [
        ("HTXSNV", 90), ("HTTNV", 70), ("HTNV", 50), ("KHTNV", 0)]
    flag, merit = bloc.awards
    assert (flag.key, flag.short_name, flag.min_grade, flag.vote_threshold) == (
        "emulation_flag", "Cờ thi đua", "HTXSNV", Fraction(1, 2))
    assert flag.quota_steps == (QuotaStep(1, 1), QuotaStep(10, 2))
    assert (merit.key, merit.short_name, merit.quota_fraction, merit.rounding) == (
        "certificate_of_merit", "Bằng khen", Fraction(1, 3), "floor")
    assert bloc.review.quorum == Fraction(2, 3)
    assert bloc.review.tie_break == ("total", "section:I", "fewer_deductions")
    assert bloc.review.leader_rule == "deputy_succeeds"


def test_reference_definition_loads(reference):
    bloc = load_bloc(reference["bloc"])
    assert len(bloc.units) == 15
    assert [c.code for c in bloc.criteria if c.critical] == ["II.1", "III.3"]
    assert (bloc.leader, bloc.deputy) == ("LHH", "HNB")


@pytest.mark.parametrize("name, where, words", [
    ("missing-section.toml", "[[criteria]] #3.section", "“II”"),
    ("no-sections.toml", "sections", "thiếu"),
    ("sections-not-base-points.toml", "sections", "90"),
    ("criteria-not-adding-up.toml", "criteria", "nhóm I cộng lại được 55"),
    ("duplicate-criterion-code.toml", "[[criteria]] #2.code", "“I.1” bị trùng"),
    ("duplicate-section-code.toml", "[[sections]] #2.code", "“I” bị trùng"),
    ("duplicate-unit-code.toml", "[[units]] #3.code", "“HB”"),
    ("duplicate-unit-code-case.toml", "[[units]] #3.code", "“hb” trùng với “HB”"),
    ("unit-code-too-long.toml", "[[units]] #3.code", "31 ký tự"),
    ("leader-not-member.toml", "bloc.leader", "“HX” không phải là đơn vị thành viên"),
    ("deputy-not-member.toml", "bloc.deputy", "“HX” không phải là đơn vị thành viên"),
    ("unknown-tie-break-key.toml", "review.tie_break", "“most_votes”"),
    ("tie-break-unknown-section.toml", "review.tie_break", "“section:V”"),
    ("negative-criterion-maximum.toml", "[[criteria]] #1.max_points", "-30"),
    ("negative-section-maximum.toml", "[[sections]] #3.max_points", "-10"),
    ("zero-step.toml", "scoring.step", "số dương"),
    ("unknown-min-grade.toml", "awards.certificate_of_merit.min_grade", "“XUATSAC”"),
    ("two-quota-kinds.toml", "awards.emulation_flag.quota", "đúng một cách tính chỉ tiêu"),
    ("bad-rounding.toml", "awards.certificate_of_merit.rounding", "“ceiling”"),
    ("unknown-leader-rule.toml", "review.leader_rule", "“seniority”"),
    ("bad-quorum.toml", "review.quorum", "“3/2”"),
    ("unknown-section-kind.toml", "[[sections]] #3.kind", "“extra”"),
])
def test_bad_definition_file_names_the_key(name, where, words):
    with pytest.raises(BlocDefinitionError) as info:
        load_bloc(DEFINITIONS / name)
    assert info.value.where == f"{name}: {where}"
    assert words in info.value.message
    assert str(info.value).startswith(f"{name}: {where}: ")


def test_grade_band_error_names_the_scoring_grades_key():
    # An array nested in a table keeps its parent in `where` (not "[[grades]] #2.code").
    with pytest.raises(BlocDefinitionError) as info:
        load_bloc(DEFINITIONS / "duplicate-grade-code.toml")
    assert "“A” bị trùng" in info.value.message
    assert info.value.where == "duplicate-grade-code.toml: [[scoring.grades]] #2.code"


def test_file_that_is_not_toml():
    with pytest.raises(BlocDefinitionError) as info:
        load_bloc(DEFINITIONS / "not-toml.toml")
    assert info.value.where == "not-toml.toml"
    assert "không phải tệp TOML hợp lệ" in info.value.message
    assert "line 5" in info.value.message


def test_file_that_is_not_text(tmp_path):
    path = tmp_path / "khoi.xlsx.toml"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xff\xfe\x00")
    with pytest.raises(BlocDefinitionError) as info:
        load_bloc(path)
    assert info.value.where == str(path)
    assert "UTF-8" in info.value.message


def test_missing_file(tmp_path):
    with pytest.raises(BlocDefinitionError) as info:
        load_bloc(tmp_path / "khong-co.toml")
    assert "không tìm thấy" in info.value.message
    assert isinstance(info.value, ThiduaError)


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.read_bytes())
    assert load_bloc(path) == load_bloc(MINIMAL)


@pytest.mark.parametrize("code", ["H[C", "H]C", "H:C", "H*C", "H?C", "H/C", "H\\C"])
def test_sheet_name_hostile_characters_in_unit_code(code):
    # A TOML literal string ('…') keeps the backslash as typed.
    with pytest.raises(BlocDefinitionError) as info:
        loads_bloc(edited('code = "HC"', f"code = '{code}'"), "khoi.toml")
    assert info.value.where == "khoi.toml: [[units]] #3.code"
    assert code in info.value.message


@pytest.mark.parametrize("code", ["HỘI", "H C", "H-C", "History", "HISTORY"])
def test_other_unit_codes_that_cannot_name_a_sheet(code):
    with pytest.raises(BlocDefinitionError) as info:
        loads_bloc(edited('code = "HC"', f'code = "{code}"'), "khoi.toml")
    assert info.value.where == "khoi.toml: [[units]] #3.code"


def test_unit_code_of_31_characters_is_accepted():
    bloc = loads_bloc(edited('code = "HC"', 'code = "' + "H" * 31 + '"'), "khoi.toml")
    assert bloc.units[2].code == "H" * 31


@pytest.mark.parametrize("old, new, where", [
    ('deputy = "HB"', 'deputy = "HA"', "bloc.deputy"),            # deputy = leader
    ("year = 2021", "year = 21", "bloc.year"),
    ("schema = 1", "schema = 2", "schema"),
    ('leader = "HA"\n', "", "bloc.leader"),
    ('name = "Hội A"', 'name = ""', "[[units]] #1.name"),
    ("critical = true", 'critical = "có lẽ"', "[[criteria]] #3.critical"),
    ('quota_fraction = "1/3"', 'quota_fraction = "một phần ba"',
     "awards.certificate_of_merit.quota_fraction"),
    ("count = 2}]", "count = -2}]", "awards.emulation_flag.quota[2].count"),
    ("bonus_cap = 10", "bonus_cap = -1", "scoring.bonus_cap"),
    ("bonus_cap = 10", 'bonus_cap = 10\ndeduction_cap = "nhiều"', "scoring.deduction_cap"),
    ('[awards.certificate_of_merit]', '[awards.Giay-Khen]\nname = "Giấy khen"\n'
     'quota_fraction = "1/3"\n\n[awards.certificate_of_merit]', "awards.Giay-Khen"),
])
def test_other_bad_keys_are_named(old, new, where):
    with pytest.raises(BlocDefinitionError) as info:
        loads_bloc(edited(old, new), "khoi.toml")
    assert info.value.where == f"khoi.toml: {where}"


def test_missing_tables_are_named():
    data = tiny_dict(3)
    for key in ("bloc", "units", "awards", "criteria"):
        broken = {k: v for k, v in data.items() if k != key}
        with pytest.raises(BlocDefinitionError) as info:
            bloc_from_dict(broken, "khoi.toml")
        assert info.value.where == f"khoi.toml: {key}", key


def test_section_without_criteria():
    data = tiny_dict(3)
    data["criteria"] = [c for c in data["criteria"] if c["section"] != "II"]
    with pytest.raises(BlocDefinitionError) as info:
        bloc_from_dict(data, "khoi.toml")
    assert info.value.where == "khoi.toml: criteria"
    assert "nhóm tiêu chí II chưa có tiêu chí nào" in info.value.message


def test_values_typed_as_workbook_text_are_accepted():
    # The `Cấu hình` / `Tiêu chí` sheets give text: decimal commas, "x" for true.
    data = tiny_dict(3, scoring={"step": "0,5", "bonus_cap": "7,5", "base_points": "100"})
    data["criteria"][0]["max_points"] = "30"
    data["criteria"][1]["critical"] = "x"
    data["review"]["tie_break"] = "total, section:II"
    bloc = bloc_from_dict(data, "Cấu hình")
    assert (bloc.scoring.step, bloc.scoring.bonus_cap) == (Decimal("0.5"), Decimal("7.5"))
    assert bloc.criteria[1].critical is True
    assert bloc.review.tie_break == ("total", "section:II")


def test_awards_are_assigned_flag_first_whatever_the_file_order():
    text = minimal_text()
    flag_start = text.index("[awards.emulation_flag]")
    merit_start = text.index("[awards.certificate_of_merit]")
    swapped = text[:flag_start] + text[merit_start:] + "\n" + text[flag_start:merit_start]
    assert swapped.index("certificate_of_merit") < swapped.index("emulation_flag")
    bloc = loads_bloc(swapped, "khoi.toml")
    assert [a.key for a in bloc.awards] == ["emulation_flag", "certificate_of_merit"]


def test_dict_round_trip(reference):
    for bloc in (load_bloc(reference["bloc"]), load_bloc(MINIMAL)):
        assert bloc_from_dict(bloc_to_dict(bloc), "x.toml") == bloc


def test_toml_round_trip(reference):
    # dump_toml needs tomli-w, an install requirement (see the next test).
    for bloc in (load_bloc(reference["bloc"]), load_bloc(MINIMAL)):
        text = dump_toml(bloc_to_dict(bloc))
        assert loads_bloc(text, "x.toml") == bloc


def test_tomli_w_is_an_install_requirement():
    setup_cfg = (Path(__file__).resolve().parent.parent / "setup.cfg").read_text(encoding="utf-8")
    requires = setup_cfg.split("install_requires =", 1)[1].split("\n[", 1)[0]
    assert "tomli-w" in requires.replace("tomli_w", "tomli-w")


def test_unknown_keys_are_reported_as_probable_typos():
    text = REFERENCE_TOML.read_text(encoding="utf-8").replace(
        "[scoring]\nbase_points", "[scoring]\nbase_point = 100\nbase_points").replace(
        "[review]", "[reveiw]\nquorum = \"1/2\"\n\n[review]")
    bloc = loads_bloc(text, "khoi.toml")
    assert bloc.warnings == (
        "khoi.toml: khóa “reveiw” không được dùng nên bị bỏ qua — có phải “review”?",
        "khoi.toml: khóa “scoring.base_point” không được dùng nên bị bỏ qua — có phải “base_points”?")
    assert loads_bloc(REFERENCE_TOML.read_text(encoding="utf-8")).warnings == ()


def test_default_tie_break_names_the_first_standard_section():
    bloc = bloc_from_dict(tiny_dict(3, sections=[
        {"code": "A", "title": "Nhiệm vụ", "kind": "standard", "max_points": 60},
        {"code": "B", "title": "Thi đua", "kind": "standard", "max_points": 40},
        {"code": "T", "title": "Điểm thưởng", "kind": "bonus", "max_points": 15},
        {"code": "TR", "title": "Điểm trừ", "kind": "deduction", "max_points": 20}],
        criteria=[{"code": "A.1", "section": "A", "text": "a", "max_points": 60},
                  {"code": "B.1", "section": "B", "text": "b", "max_points": 40},
                  {"code": "T.1", "section": "T", "text": "t", "max_points": 15},
                  {"code": "TR.1", "section": "TR", "text": "tr", "max_points": 20}],
        review={"tie_break": None}))
    assert bloc.review.tie_break == ("total", "section:A", "fewer_deductions")


def test_a_maximum_that_is_not_a_multiple_of_the_step_is_refused():
    # With step 0.3, full marks of 30 could be typed (30 = 100 × 0.3), but 20 could not.
    with pytest.raises(BlocDefinitionError) as info:
        bloc_from_dict(tiny_dict(3, scoring={"step": "0.3"}), "khoi.toml")
    assert info.value.where == "khoi.toml: [[criteria]] #3.max_points"
    assert info.value.message == ("điểm tối đa 20 của tiêu chí II.1 không phải bội số của bước "
                                  "chấm scoring.step = 0,3")


def test_a_vote_threshold_of_all_members_is_refused():
    with pytest.raises(BlocDefinitionError) as info:
        bloc_from_dict(tiny_dict(3, awards={"emulation_flag": {"vote_threshold": "1/1"}}),
                       "khoi.toml")
    assert info.value.where == "khoi.toml: awards.emulation_flag.vote_threshold"
