"""Synthetic blocs for the benchmark: ``units`` × ``criteria``, filled with plausible scores.

:func:`bloc_dict` gives the definition keys of bloc-format.md for any size; :func:`write_inputs`
writes them as the files `thidua new` reads (bloc TOML, scores CSV, review CSV, conference
TOML); :func:`make_workbook` builds the filled shared workbook through
:func:`thidua_xl.actions.new_workbook`, the library function behind `thidua new`.

Shape of a synthetic bloc with ``criteria = n`` lines: two standard sections (I: 60 points,
II: 40 points) sharing ``n - 2`` lines, one bonus line (T.1, 15 points, cap 10) and one
deduction line (TR.1, 10 points).  Scores are deterministic (``seed``): self scores on the 0.5
step between half and full marks, one line in five assessed lower by the bloc, every unit on
both ballots, full attendance; so every rule runs and no unit has a data error.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

__all__ = ["bloc_dict", "write_inputs", "make_workbook", "SECTION_POINTS"]

#: Standard sections: code → (title, points).  They add up to base_points = 100.
SECTION_POINTS = {"I": ("Thực hiện nhiệm vụ chuyên môn", 60),
                  "II": ("Công tác thi đua, khen thưởng", 40)}
BONUS_POINTS = 15
DEDUCTION_POINTS = 10


def _split(total: int, parts: int) -> list[int]:
    """``total`` points over ``parts`` lines as whole points adding up exactly."""
    base, extra = divmod(total, parts)
    if base == 0:
        raise ValueError(f"{parts} lines cannot share {total} points in whole points")
    return [base + (1 if i < extra else 0) for i in range(parts)]


def bloc_dict(units: int, criteria: int, *, name: str | None = None, year: int = 2021,
              province: str = "An Bình") -> dict[str, Any]:
    """The definition keys (bloc-format.md) of a synthetic bloc: ``units`` units ``D001``…,
    ``criteria`` ≥ 4 lines (see the module docstring)."""
    if units < 2 or criteria < 4:
        raise ValueError("a synthetic bloc needs at least 2 units and 4 criteria")
    width = max(3, len(str(units)))
    codes = [f"D{i:0{width}d}" for i in range(1, units + 1)]
    standard = criteria - 2
    first = standard // 2 + standard % 2
    sections: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for (code, (title, points)), count in zip(SECTION_POINTS.items(), (first, standard - first)):
        sections.append({"code": code, "title": title, "kind": "standard", "max_points": points})
        for i, top in enumerate(_split(points, count), start=1):
            lines.append({"code": f"{code}.{i}", "section": code,
                          "text": f"Tiêu chí {code}.{i}: kết quả thực hiện nhiệm vụ số {i}",
                          "max_points": top, "critical": code == "I" and i == 1})
    sections += [
        {"code": "T", "title": "Điểm thưởng", "kind": "bonus", "max_points": BONUS_POINTS},
        {"code": "TR", "title": "Điểm trừ", "kind": "deduction",
         "max_points": DEDUCTION_POINTS},
    ]
    lines += [
        {"code": "T.1", "section": "T", "text": "Sáng kiến, mô hình mới được công nhận",
         "max_points": BONUS_POINTS, "critical": False},
        {"code": "TR.1", "section": "TR", "text": "Chậm nộp báo cáo theo quy định",
         "max_points": DEDUCTION_POINTS, "critical": False},
    ]
    return {
        "schema": 1,
        "bloc": {"name": name or f"Khối thi đua thử nghiệm {units} đơn vị", "province": province,
                 "year": year, "leader": codes[0], "deputy": codes[1]},
        "units": [{"code": c, "name": f"Đơn vị thử nghiệm số {i}"}
                  for i, c in enumerate(codes, start=1)],
        "scoring": {"base_points": 100, "step": 0.5, "bonus_cap": 10,
                    "grades": [
                        {"code": "HTXSNV", "name": "Hoàn thành xuất sắc nhiệm vụ",
                         "min_total": 90},
                        {"code": "HTTNV", "name": "Hoàn thành tốt nhiệm vụ", "min_total": 70},
                        {"code": "HTNV", "name": "Hoàn thành nhiệm vụ", "min_total": 50},
                        {"code": "KHTNV", "name": "Không hoàn thành nhiệm vụ",
                         "min_total": 0}]},
        "sections": sections,
        "criteria": lines,
        "awards": {
            "emulation_flag": {"name": "Cờ thi đua của Ủy ban nhân dân tỉnh",
                               "min_grade": "HTXSNV",
                               "quota": [{"min_units": 1, "count": 1},
                                         {"min_units": 10, "count": 2}],
                               "vote_threshold": "1/2"},
            "certificate_of_merit": {"name": "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
                                     "min_grade": "HTXSNV", "quota_fraction": "1/3",
                                     "rounding": "floor", "vote_threshold": "1/2"},
        },
        "review": {"quorum": "2/3", "tie_break": ["total", "section:I", "fewer_deductions"],
                   "leader_rule": "deputy_succeeds"},
    }


def _score(rng: random.Random, top: float, low_share: float = 0.5) -> float:
    """A score on the 0.5 step between ``low_share`` × ``top`` and ``top``."""
    steps = int(top * 2)
    return rng.randint(int(steps * low_share), steps) / 2


def write_inputs(folder: Path, units: int, criteria: int, *, seed: int = 2021,
                 **bloc_options: Any) -> dict[str, Path]:
    """Write the synthetic bloc's input files into ``folder``; return role → path (``bloc``,
    ``scores``, ``review``, ``conference``) for :func:`thidua_xl.actions.new_workbook`."""
    from thidua_xl.definition import dump_toml

    folder.mkdir(parents=True, exist_ok=True)
    data = bloc_dict(units, criteria, **bloc_options)
    rng = random.Random(seed)
    paths = {role: folder / name for role, name in (
        ("bloc", "khoi.toml"), ("scores", "scores.csv"), ("review", "review.csv"),
        ("conference", "conference.toml"))}
    paths["bloc"].write_text(dump_toml(data), encoding="utf-8")
    codes = [u["code"] for u in data["units"]]
    with paths["scores"].open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unit", "criterion", "self_score", "assessed_score", "evidence"])
        for code in codes:
            strong = rng.random() < 0.5            # half the units aim at the top grade
            for line in data["criteria"]:
                top = float(line["max_points"])
                if line["section"] == "T":
                    own = _score(rng, top, 0.0)
                elif line["section"] == "TR":
                    own = 0.0 if rng.random() < 0.8 else _score(rng, 4.0, 0.0)
                else:
                    own = _score(rng, top, 0.85 if strong else 0.5)
                assessed = ""
                if line["section"] != "TR" and own >= 1 and rng.random() < 0.2:
                    assessed = own - 0.5
                evidence = f"Báo cáo số {rng.randint(1, 200)}/BC-{code}" if own else ""
                w.writerow([code, line["code"], _plain(own), _plain(assessed), evidence])
    with paths["review"].open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unit", "disciplined", "votes_emulation_flag", "votes_certificate_of_merit"])
        for i, code in enumerate(codes):
            w.writerow([code, "x" if i == units - 1 else "", rng.randint(units // 3, units),
                        rng.randint(units // 3, units)])
    conference = {"conference": {"date": "2022-01-14", "place": "Hội trường Sở Nội vụ",
                                 "members": units, "present": units, "ballots_issued": units,
                                 "ballots_valid": units}}
    paths["conference"].write_text(dump_toml(conference), encoding="utf-8")
    return paths


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return value


def make_workbook(folder: Path, units: int, criteria: int, *, macros: bool = False,
                  seed: int = 2021) -> Path:
    """Write the inputs and build the filled workbook ``bloc-<units>x<criteria>.xlsx`` (or
    ``.xlsm`` with ``macros``) in ``folder`` with `thidua new`'s library function."""
    from thidua_xl.actions import new_workbook

    paths = write_inputs(folder / f"inputs-{units}x{criteria}", units, criteria, seed=seed)
    out = folder / f"bloc-{units}x{criteria}.{'xlsm' if macros else 'xlsx'}"
    return new_workbook(paths["bloc"], out, scores=paths["scores"], review=paths["review"],
                        conference=paths["conference"], macros=macros, overwrite=True)
