"""Reading and validating a bloc definition (bloc-format.md, "Bloc definition").

The definition is TOML written by hand by IT staff, or the same keys read back from a
workbook's `Cấu hình` and `Tiêu chí` sheets.  Both paths go through :func:`bloc_from_dict`, so
they are validated alike.  Every problem raises :class:`~thidua_xl.errors.BlocDefinitionError`
whose ``where`` names the source and the key, with a Vietnamese message.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

from .errors import BlocDefinitionError
from .model import (AWARD_ORDER, CERTIFICATE_OF_MERIT, DEDUCTION, EMULATION_FLAG, LEADER_RULES,
                    SECTION_KINDS, STANDARD, Award, Bloc, Criterion, Grade, QuotaStep,
                    ReviewSettings, ScoringSettings, Section, Unit, WorkbookSettings)
from .numbers import NotANumber, format_number, fraction_text, parse_fraction, parse_score
from .text import normalize

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCHEMA = 1
UNIT_CODE = re.compile(r"^[A-Za-z0-9_]{1,31}$")
# Excel refuses these as sheet names (case-insensitive); a unit code names its sheet.
RESERVED_SHEET_NAMES = {"history"}
DEFAULT_SHORT_NAMES = {EMULATION_FLAG: "Cờ thi đua", CERTIFICATE_OF_MERIT: "Bằng khen"}
TIE_BREAK_KEYS = ("total", "fewer_deductions")
#: Keys thidua reads, per table; anything else is kept silently by TOML but is probably a typo.
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": ("schema", "bloc", "units", "scoring", "sections", "criteria", "awards", "review",
         "workbook", "documents"),
    "bloc": ("name", "province", "year", "leader", "deputy"),
    "units": ("code", "name"),
    "scoring": ("base_points", "step", "bonus_cap", "deduction_cap", "grades"),
    "scoring.grades": ("code", "name", "min_total"),
    "sections": ("code", "title", "kind", "max_points"),
    "criteria": ("code", "section", "text", "max_points", "critical"),
    "award": ("name", "short_name", "min_grade", "quota", "quota_fraction", "rounding",
              "vote_threshold"),
    "review": ("quorum", "tie_break", "leader_rule"),
    "workbook": ("password", "backups"),
}
ROUNDINGS = ("floor", "half_up")


def load_bloc(path: str | Path) -> Bloc:
    """Read and validate a bloc definition TOML file.

    Raises :class:`BlocDefinitionError` when the file is missing, is not UTF-8 TOML, or fails a
    check of bloc-format.md (section maxima adding up to ``base_points``, criteria adding up to
    their section, unique codes, leader and deputy among the members, positive steps and maxima,
    known tie-break keys …).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BlocDefinitionError("không tìm thấy tệp định nghĩa khối", str(path)) from None
    except UnicodeDecodeError:
        raise BlocDefinitionError("tệp không phải văn bản UTF-8", str(path)) from None
    except OSError as exc:
        raise BlocDefinitionError(f"không đọc được tệp ({exc.strerror})", str(path)) from None
    return loads_bloc(text, source=path.name)


def loads_bloc(text: str, source: str = "bloc.toml") -> Bloc:
    """Parse and validate a bloc definition given as TOML text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise BlocDefinitionError(f"không phải tệp TOML hợp lệ ({exc})", source) from None
    return bloc_from_dict(data, source)


class _Reader:
    """Typed access to one table of the definition, with errors naming the key path."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if not isinstance(data, Mapping):
            raise BlocDefinitionError("phải là một bảng (table)", f"{source}: {path}")
        self.data, self.path, self.source = data, path, source

    def fail(self, key: str | None, message: str) -> BlocDefinitionError:
        where = f"{self.path}.{key}" if key and self.path else (key or self.path)
        return BlocDefinitionError(message, f"{self.source}: {where}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def str(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "thiếu khóa bắt buộc")
        if not isinstance(value, str) or not normalize(value):
            raise self.fail(key, "phải là một chuỗi không rỗng")
        return normalize(value)

    def int(self, key: str, default: int | None = None, minimum: int | None = None) -> int:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "thiếu khóa bắt buộc")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"phải là số nguyên (đang là “{value}”)")
        if minimum is not None and value < minimum:
            raise self.fail(key, f"phải lớn hơn hoặc bằng {minimum} (đang là {value})")
        return value

    def points(self, key: str, default: Decimal | int | None = None, *,
               positive: bool = False) -> Decimal:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "thiếu khóa bắt buộc")
        try:
            number = parse_score(value)
        except NotANumber:
            number = None
        if number is None:
            raise self.fail(key, f"phải là một số (đang là “{value}”)")
        if positive and number <= 0:
            raise self.fail(key, f"phải là số dương (đang là {number})")
        if number < 0:
            raise self.fail(key, f"không được âm (đang là {number})")
        return number

    def fraction(self, key: str, default: str) -> Fraction:
        value = self.data.get(key, default)
        try:
            return parse_fraction(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "x", ""):
            value = value.strip().lower() in ("true", "x")
        if not isinstance(value, bool):
            raise self.fail(key, f"phải là true hoặc false (đang là “{value}”)")
        return value

    def table(self, key: str, required: bool = True) -> "_Reader":
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "thiếu bảng bắt buộc")
            value = {}
        return _Reader(value, f"{self.path}.{key}" if self.path else key, self.source)

    def array(self, key: str, required: bool = True) -> list["_Reader"]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "thiếu danh sách bắt buộc")
            return []
        if not isinstance(value, list):
            raise self.fail(key, "phải là một danh sách các bảng ([[…]])")
        name = f"{self.path}.{key}" if self.path else key
        return [_Reader(item, f"[[{name}]] #{i}", self.source) for i, item in enumerate(value, 1)]


def bloc_from_dict(data: Mapping[str, Any], source: str = "bloc.toml") -> Bloc:
    """Build and validate a :class:`Bloc` from the parsed keys of bloc-format.md.

    Numbers may be ``int``, ``Decimal``, ``float`` or text (workbook cells); shares are
    ``"a/b"`` strings.  Raises :class:`BlocDefinitionError` naming ``source`` and the key.
    """
    root = _Reader(data, "", source)
    schema = root.int("schema", SCHEMA)
    if schema != SCHEMA:
        raise root.fail("schema", f"phiên bản định dạng {schema} chưa được hỗ trợ (chỉ hỗ trợ {SCHEMA})")

    units = _units(root)
    head = root.table("bloc")
    codes = {u.code for u in units}
    leader = head.str("leader")
    if leader not in codes:
        raise head.fail("leader", f"Trưởng khối “{leader}” không phải là đơn vị thành viên")
    deputy = head.data.get("deputy")
    if deputy is not None:
        deputy = head.str("deputy")
        if deputy not in codes:
            raise head.fail("deputy", f"Phó Trưởng khối “{deputy}” không phải là đơn vị thành viên")
        if deputy == leader:
            raise head.fail("deputy", "Phó Trưởng khối phải khác Trưởng khối")
    year = head.int("year")
    if not 1900 <= year <= 2200:
        raise head.fail("year", f"năm {year} không hợp lệ")

    scoring = _scoring(root)
    sections = _sections(root, scoring)
    criteria = _criteria(root, sections, scoring.step)
    awards = _awards(root, scoring, len(units))
    review = _review(root, sections)
    wb = root.table("workbook", required=False)
    password = wb.data.get("password")
    workbook = WorkbookSettings(
        password=normalize(password) or None if password is not None else None,
        backups=wb.int("backups", 5, minimum=0))
    documents = root.data.get("documents") or {}
    if not isinstance(documents, Mapping):
        raise root.fail("documents", "phải là một bảng (table)")

    return Bloc(name=head.str("name"), province=head.str("province"), year=year,
                leader=leader, deputy=deputy, units=units, sections=sections,
                criteria=criteria, scoring=scoring, awards=awards, review=review,
                workbook=workbook, documents=dict(documents), schema=schema,
                warnings=tuple(unknown_keys(data, source)))


def unknown_keys(data: Mapping[str, Any], source: str = "bloc.toml") -> list[str]:
    """Vietnamese warnings for keys of the definition that thidua does not read (with the
    closest known key as a suggestion): bloc-format.md welcomes extra keys, but ``[scorng]``
    or ``base_point`` are typos whose settings would silently fall back to the defaults."""
    import difflib

    found: list[str] = []

    def check(table: Any, kind: str, where: str) -> None:
        if not isinstance(table, Mapping):
            return
        known = KNOWN_KEYS[kind]
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" — có phải “{close[0]}”?" if close else ""
                found.append(f"{source}: khóa “{where}{key}” không được dùng nên bị bỏ qua{hint}")

    check(data, "", "")
    for kind in ("bloc", "scoring", "review", "workbook"):
        check(data.get(kind), kind, f"{kind}.")
    for kind in ("units", "sections", "criteria"):
        for i, item in enumerate(data.get(kind) or [], 1):
            check(item, kind, f"[[{kind}]] #{i}.")
    scoring = data.get("scoring")
    if isinstance(scoring, Mapping):
        for i, item in enumerate(scoring.get("grades") or [], 1):
            check(item, "scoring.grades", f"[[scoring.grades]] #{i}.")
    awards = data.get("awards")
    if isinstance(awards, Mapping):
        for key, table in awards.items():
            check(table, "award", f"awards.{key}.")
    return found


def _units(root: _Reader) -> tuple[Unit, ...]:
    units: list[Unit] = []
    seen: dict[str, str] = {}
    items = root.array("units")
    if not items:
        raise root.fail("units", "khối phải có ít nhất một đơn vị thành viên")
    for item in items:
        code = item.str("code")
        if not UNIT_CODE.match(code):
            raise item.fail("code", f"mã đơn vị “{code}” chỉ được gồm chữ cái không dấu, chữ số, "
                                    "dấu gạch dưới và dài tối đa 31 ký tự (mã là tên sheet Excel)")
        if code.lower() in RESERVED_SHEET_NAMES:
            raise item.fail("code", f"“{code}” là tên sheet Excel dành riêng, hãy chọn mã khác")
        if code.lower() in seen:
            if seen[code.lower()] == code:
                raise item.fail("code", f"mã đơn vị “{code}” bị trùng")
            raise item.fail("code", f"mã đơn vị “{code}” trùng với “{seen[code.lower()]}” "
                                    "(Excel không phân biệt chữ hoa, chữ thường trong tên sheet)")
        seen[code.lower()] = code
        units.append(Unit(code=code, name=item.str("name")))
    return tuple(units)


def _scoring(root: _Reader) -> ScoringSettings:
    sc = root.table("scoring", required=False)
    grades: list[Grade] = []
    for item in sc.array("grades", required=False):
        code = item.str("code")
        if any(g.code == code for g in grades):
            raise item.fail("code", f"mã xếp loại “{code}” bị trùng")
        grades.append(Grade(code=code, name=item.str("name"), min_total=item.points("min_total")))
    if not grades:
        grades = [Grade("HTXSNV", "Hoàn thành xuất sắc nhiệm vụ", Decimal(90)),
                  Grade("HTTNV", "Hoàn thành tốt nhiệm vụ", Decimal(70)),
                  Grade("HTNV", "Hoàn thành nhiệm vụ", Decimal(50)),
                  Grade("KHTNV", "Không hoàn thành nhiệm vụ", Decimal(0))]
    grades.sort(key=lambda g: g.min_total, reverse=True)
    for higher, lower in zip(grades, grades[1:]):
        if higher.min_total == lower.min_total:
            raise sc.fail("grades", f"hai mức xếp loại “{higher.code}” và “{lower.code}” có cùng "
                                    f"min_total = {higher.min_total}")
    deduction_cap = sc.points("deduction_cap") if sc.has("deduction_cap") else None
    return ScoringSettings(base_points=sc.points("base_points", 100, positive=True),
                           step=sc.points("step", Decimal("0.5"), positive=True),
                           bonus_cap=sc.points("bonus_cap", 10),
                           deduction_cap=deduction_cap, grades=tuple(grades))


def _sections(root: _Reader, scoring: ScoringSettings) -> tuple[Section, ...]:
    sections: list[Section] = []
    items = root.array("sections")
    for item in items:
        code = item.str("code")
        if any(s.code == code for s in sections):
            raise item.fail("code", f"mã nhóm tiêu chí “{code}” bị trùng")
        kind = item.str("kind", STANDARD)
        if kind not in SECTION_KINDS:
            raise item.fail("kind", f"loại nhóm “{kind}” không hợp lệ (chỉ nhận: "
                                    + ", ".join(SECTION_KINDS) + ")")
        sections.append(Section(code=code, title=item.str("title"), kind=kind,
                                max_points=item.points("max_points", positive=True)))
    standard = [s for s in sections if s.kind == STANDARD]
    if not standard:
        raise root.fail("sections", "phải có ít nhất một nhóm tiêu chí loại standard")
    total = sum((s.max_points for s in standard), Decimal(0))
    if total != scoring.base_points:
        detail = " + ".join(f"{s.code}: {s.max_points}" for s in standard)
        raise root.fail("sections", f"tổng điểm tối đa các nhóm tiêu chí ({detail} = {total}) "
                                    f"khác scoring.base_points = {scoring.base_points}")
    return tuple(sections)


def _criteria(root: _Reader, sections: tuple[Section, ...],
              step: Decimal) -> tuple[Criterion, ...]:
    by_code = {s.code: s for s in sections}
    criteria: list[Criterion] = []
    for item in root.array("criteria"):
        code = item.str("code")
        if any(c.code == code for c in criteria):
            raise item.fail("code", f"mã tiêu chí “{code}” bị trùng")
        section = item.str("section")
        if section not in by_code:
            raise item.fail("section", f"tiêu chí {code} thuộc nhóm “{section}” nhưng nhóm này "
                                       "không có trong [[sections]]")
        max_points = item.points("max_points", positive=True)
        if max_points % step:
            # Full marks could never be typed: every score must be a multiple of the step.
            raise item.fail("max_points", f"điểm tối đa {format_number(max_points)} của tiêu chí "
                                          f"{code} không phải bội số của bước chấm "
                                          f"scoring.step = {format_number(step)}")
        criteria.append(Criterion(code=code, section=section, text=item.str("text"),
                                  max_points=max_points, critical=item.bool("critical")))
    for s in sections:
        if s.kind != STANDARD:
            continue
        lines = [c for c in criteria if c.section == s.code]
        total = sum((c.max_points for c in lines), Decimal(0))
        if not lines:
            raise root.fail("criteria", f"nhóm tiêu chí {s.code} chưa có tiêu chí nào")
        if total != s.max_points:
            raise root.fail("criteria", f"các tiêu chí của nhóm {s.code} cộng lại được {total} "
                                        f"điểm, khác điểm tối đa của nhóm ({s.max_points})")
    return tuple(criteria)


def _awards(root: _Reader, scoring: ScoringSettings, n_units: int) -> tuple[Award, ...]:
    table = root.table("awards")
    grade_codes = [g.code for g in scoring.grades]
    keys = [k for k in AWARD_ORDER if k in table.data]
    keys += [k for k in table.data if k not in AWARD_ORDER]
    if not keys:
        raise root.fail("awards", "phải khai báo ít nhất một hình thức khen thưởng")
    awards = []
    for key in keys:
        if not re.match(r"^[a-z][a-z0-9_]*$", key):
            raise table.fail(key, "khóa hình thức khen thưởng chỉ gồm chữ thường không dấu, chữ số và “_”")
        item = table.table(key)
        name = item.str("name")
        min_grade = item.str("min_grade", "HTXSNV" if "HTXSNV" in grade_codes else grade_codes[0])
        if min_grade not in grade_codes:
            raise item.fail("min_grade", f"mức xếp loại “{min_grade}” không có trong "
                                         "[[scoring.grades]]")
        has_steps, has_fraction = item.has("quota"), item.has("quota_fraction")
        if has_steps == has_fraction:
            raise item.fail("quota", "khai báo đúng một cách tính chỉ tiêu: quota = [{min_units, "
                                     "count}, …] hoặc quota_fraction = \"a/b\"")
        steps: list[QuotaStep] = []
        fraction = None
        rounding = "floor"
        if has_steps:
            raw = item.data["quota"]
            if not isinstance(raw, list) or not raw:
                raise item.fail("quota", "phải là danh sách [{min_units = …, count = …}, …]")
            for i, step in enumerate(raw, 1):
                sr = _Reader(step, f"{item.path}.quota[{i}]", root.source)
                steps.append(QuotaStep(sr.int("min_units", minimum=1), sr.int("count", minimum=0)))
            steps.sort(key=lambda s: s.min_units)
            if len({s.min_units for s in steps}) != len(steps):
                raise item.fail("quota", "hai bậc chỉ tiêu có cùng min_units")
        else:
            fraction = item.fraction("quota_fraction", "1/3")
            rounding = item.str("rounding", "floor")
            if rounding not in ROUNDINGS:
                raise item.fail("rounding", f"cách làm tròn “{rounding}” không hợp lệ (chỉ nhận: "
                                            + ", ".join(ROUNDINGS) + ")")
        awards.append(Award(key=key, name=name,
                            short_name=normalize(item.data.get("short_name"))
                            or DEFAULT_SHORT_NAMES.get(key, name),
                            min_grade=min_grade, quota_steps=tuple(steps),
                            quota_fraction=fraction, rounding=rounding,
                            vote_threshold=_threshold(item)))
    return tuple(awards)


def _threshold(item: _Reader) -> Fraction:
    share = item.fraction("vote_threshold", "1/2")
    if share >= 1:
        # "More than all members" can never happen: no unit could ever pass the vote.
        raise item.fail("vote_threshold", f"tỉ lệ {fraction_text(share)} không thể vượt được "
                                          "(cần nhiều hơn tỉ lệ này số thành viên); hãy dùng "
                                          "tỉ lệ nhỏ hơn 1, ví dụ \"1/2\"")
    return share


def _review(root: _Reader, sections: tuple[Section, ...]) -> ReviewSettings:
    rv = root.table("review", required=False)
    default = ReviewSettings()
    # The default chain names the first standard section (rules.md §5: "section I"), so a
    # bloc whose sections are coded A, B… gets a chain it can use.
    first = next(s.code for s in sections if s.kind == STANDARD)
    raw = rv.data.get("tie_break", ["total", f"section:{first}", "fewer_deductions"])
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not raw:
        raise rv.fail("tie_break", "phải là danh sách khóa, ví dụ [\"total\", \"section:I\", "
                                   "\"fewer_deductions\"]")
    codes = {s.code for s in sections}
    kinds = {s.code: s.kind for s in sections}
    chain = []
    for key in raw:
        key = normalize(key)
        if key.startswith("section:"):
            code = key[len("section:"):]
            if code not in codes:
                raise rv.fail("tie_break", f"khóa “{key}” nêu nhóm tiêu chí không có trong "
                                           "[[sections]]")
            if kinds[code] == DEDUCTION:
                raise rv.fail("tie_break", f"“{key}” là nhóm điểm trừ (càng cao càng kém); hãy "
                                           "dùng khóa fewer_deductions")
        elif key not in TIE_BREAK_KEYS:
            raise rv.fail("tie_break", f"khóa phân định thứ hạng “{key}” không hợp lệ (chỉ nhận: "
                                       "total, section:<mã nhóm>, fewer_deductions)")
        chain.append(key)
    rule = rv.str("leader_rule", default.leader_rule)
    if rule not in LEADER_RULES:
        raise rv.fail("leader_rule", f"quy tắc chọn Trưởng khối “{rule}” không hợp lệ (chỉ nhận: "
                                     + ", ".join(LEADER_RULES) + ")")
    return ReviewSettings(quorum=rv.fraction("quorum", fraction_text(default.quorum)),
                          tie_break=tuple(chain), leader_rule=rule)


def bloc_to_dict(bloc: Bloc) -> dict[str, Any]:
    """The definition as the plain keys of bloc-format.md (for export and the `Cấu hình`
    sheet); ``bloc_from_dict(bloc_to_dict(b)) == b``.  Points are Decimal, shares "a/b"."""
    awards: dict[str, Any] = {}
    for a in bloc.awards:
        entry: dict[str, Any] = {"name": a.name, "short_name": a.short_name,
                                 "min_grade": a.min_grade}
        if a.quota_steps:
            entry["quota"] = [{"min_units": s.min_units, "count": s.count} for s in a.quota_steps]
        else:
            entry["quota_fraction"] = fraction_text(a.quota_fraction)
            entry["rounding"] = a.rounding
        entry["vote_threshold"] = fraction_text(a.vote_threshold)
        awards[a.key] = entry
    scoring: dict[str, Any] = {"base_points": bloc.scoring.base_points,
                               "step": bloc.scoring.step, "bonus_cap": bloc.scoring.bonus_cap}
    if bloc.scoring.deduction_cap is not None:
        scoring["deduction_cap"] = bloc.scoring.deduction_cap
    scoring["grades"] = [{"code": g.code, "name": g.name, "min_total": g.min_total}
                         for g in bloc.scoring.grades]
    head: dict[str, Any] = {"name": bloc.name, "province": bloc.province, "year": bloc.year,
                            "leader": bloc.leader}
    if bloc.deputy:
        head["deputy"] = bloc.deputy
    data: dict[str, Any] = {
        "schema": bloc.schema,
        "bloc": head,
        "units": [{"code": u.code, "name": u.name} for u in bloc.units],
        "scoring": scoring,
        "sections": [{"code": s.code, "title": s.title, "kind": s.kind,
                      "max_points": s.max_points} for s in bloc.sections],
        "criteria": [{"code": c.code, "section": c.section, "text": c.text,
                      "max_points": c.max_points, "critical": c.critical}
                     for c in bloc.criteria],
        "awards": awards,
        "review": {"quorum": fraction_text(bloc.review.quorum),
                   "tie_break": list(bloc.review.tie_break),
                   "leader_rule": bloc.review.leader_rule},
        "workbook": {"backups": bloc.workbook.backups},
    }
    if bloc.workbook.password:
        data["workbook"]["password"] = bloc.workbook.password
    if bloc.documents:
        data["documents"] = dict(bloc.documents)
    return data


def dump_toml(data: Mapping[str, Any]) -> str:
    """Serialise :func:`bloc_to_dict` output (or a conference table) as TOML text (tomli-w).

    Decimals are written as TOML numbers; they read back exactly because loading parses floats
    as Decimal.
    """
    import tomli_w

    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return int(v) if v == v.to_integral_value() else float(v)
        if isinstance(v, Mapping):
            return {k: plain(x) for k, x in v.items() if x is not None}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    return tomli_w.dumps(plain(data))
