"""Loaders for the data formats of bloc-format.md: scores CSV, review-facts CSV, conference TOML.

A file that cannot be read at all raises :class:`~thidua_xl.errors.DataFileError`.  A bad
*row* does not: it becomes a :class:`~thidua_xl.model.DataError` located as the cell Excel
would show if the CSV were opened there (``scores.csv!C12``), so one unit's mistake never
blocks the others (rules.md §2).  Values are passed to the engine as typed; the engine parses
and validates scores.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from pathlib import Path
from typing import Any, Mapping

from .cellref import column_letter
from .definition import load_bloc
from .errors import DataFileError
from .model import (DISCIPLINE_ERROR, VOTES_ERROR, Bloc, Conference, DataError, Location,
                    RoundInput, ScoreEntry, UnitFacts)
from .text import normalize

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCORE_COLUMNS = ("unit", "criterion", "self_score", "assessed_score", "evidence")
REVIEW_COLUMNS = ("unit", "disciplined")
TRUE_MARKS = {"x", "có", "co", "1", "true", "yes"}
_EXTRA = "\0extra"  # key of the first surplus column of a row, "" when none
_EXTRA_MESSAGE = ("dòng có nhiều cột hơn dòng tiêu đề — thường do dấu phẩy thập phân không "
                  "đặt trong ngoặc kép (27,5); hãy viết 27.5 hoặc \"27,5\"")


def _col(index: int) -> str:
    """0-based CSV field index → the column letter Excel shows for it."""
    return column_letter(index + 1)


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Rows of a UTF-8 CSV (comma or semicolon) as (line number, {column: text})."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DataFileError("không tìm thấy tệp", str(path)) from None
    except UnicodeDecodeError:
        raise DataFileError("tệp không phải văn bản UTF-8 (hãy lưu lại với mã hóa UTF-8)",
                            str(path)) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [normalize(h).lower() for h in next(reader)]
    except StopIteration:
        raise DataFileError("tệp rỗng, thiếu dòng tiêu đề", str(path)) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise DataFileError("thiếu cột " + ", ".join(missing) + " ở dòng tiêu đề (cần: "
                            + ",".join(required) + ")", str(path))
    rows = []
    try:
        for line, values in enumerate(reader, start=2):
            if not any(normalize(v) for v in values):
                continue
            row = {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}
            # More fields than titles: usually an unquoted decimal comma (27,5) that split
            # one score into two columns; never drop them silently.
            row[_EXTRA] = _col(len(header)) if len(values) > len(header) else ""
            rows.append((line, row))
    except csv.Error as exc:
        raise DataFileError(f"không đọc được CSV ({exc})", str(path)) from None
    return header, rows


def load_scores(path: str | Path, bloc: Bloc) -> tuple[list[ScoreEntry], list[DataError]]:
    """Read ``unit,criterion,self_score,assessed_score,evidence`` rows.

    Returns the entries and the row errors (unknown unit or criterion, duplicate row).
    Raises :class:`DataFileError` when the file is unreadable or lacks a column.
    """
    path = Path(path)
    header, rows = _read_csv(path, SCORE_COLUMNS)
    col = {name: _col(header.index(name)) for name in SCORE_COLUMNS}
    units = {u.code for u in bloc.units}
    criteria = {c.code for c in bloc.criteria}
    entries: list[ScoreEntry] = []
    errors: list[DataError] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        unit, crit = normalize(row["unit"]), normalize(row["criterion"])
        if row[_EXTRA] and unit in units:
            errors.append(DataError(path.name, f"{row[_EXTRA]}{line}", _EXTRA_MESSAGE, unit))
            continue
        if unit not in units:
            errors.append(DataError(path.name, f"{col['unit']}{line}",
                                    f"mã đơn vị “{unit}” không có trong khối"))
            continue
        if crit not in criteria:
            errors.append(DataError(path.name, f"{col['criterion']}{line}",
                                    f"mã tiêu chí “{crit}” không có trong bảng tiêu chí", unit))
            continue
        if (unit, crit) in seen:
            errors.append(DataError(path.name, f"{col['criterion']}{line}",
                                    f"tiêu chí {crit} của {unit} đã có ở dòng {seen[unit, crit]}",
                                    unit))
            continue
        seen[unit, crit] = line
        entries.append(ScoreEntry(
            unit=unit, criterion=crit, self_score=row["self_score"],
            assessed_score=row["assessed_score"], evidence=normalize(row["evidence"]),
            self_at=Location(path.name, f"{col['self_score']}{line}"),
            assessed_at=Location(path.name, f"{col['assessed_score']}{line}")))
    return entries, errors


def parse_mark(value: Any) -> bool | None:
    """``x`` (or có/1/true) → True, blank → False, anything else → None (invalid)."""
    text = normalize(value).lower()
    if not text:
        return False
    return True if text in TRUE_MARKS else None


def parse_votes(value: Any, what: str = "số phiếu") -> int | None:
    """A count (votes, members, ballots) as a non-negative whole number; blank → None.

    ``what`` names the count in the message (``số phiếu``, ``số thành viên có mặt`` …).
    Raises ValueError (Vietnamese)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} “{value}” không hợp lệ")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = normalize(value)
        if not text:
            return None
        if not re.fullmatch(r"\d+([.,]0+)?", text):
            raise ValueError(f"{what} “{text}” phải là số nguyên không âm")
        number = int(re.split(r"[.,]", text)[0])
    if number < 0:
        raise ValueError(f"{what} {number} không được âm")
    return number


def load_review(path: str | Path, bloc: Bloc) -> tuple[dict[str, UnitFacts], list[DataError]]:
    """Read ``unit,disciplined,votes_<award key>…`` rows into facts per unit code.

    A missing ``votes_<key>`` column means nobody was on that ballot.  ``UnitFacts.at`` is the
    row's unit cell (``review.csv!A3``), ``votes_at`` each vote cell (``review.csv!C3``).
    Returns the facts and the row errors, whose ``kind`` says what they block: a bad vote
    count, a surplus field or a duplicate row with the same mark is ``votes`` (the unit keeps
    its rank, its quota place is held); a bad mark, or a duplicate row with another mark, is
    ``discipline``.  Raises :class:`DataFileError` when unreadable or lacking a column.
    """
    path = Path(path)
    header, rows = _read_csv(path, REVIEW_COLUMNS)
    units = {u.code for u in bloc.units}
    unit_col, mark_col = _col(header.index("unit")), _col(header.index("disciplined"))
    vote_cols = {a.key: _col(header.index(f"votes_{a.key}")) for a in bloc.awards
                 if f"votes_{a.key}" in header}
    facts: dict[str, UnitFacts] = {}
    marks: dict[str, str] = {}
    errors: list[DataError] = []
    for line, row in rows:
        unit = normalize(row["unit"])
        if unit not in units:
            errors.append(DataError(path.name, f"{unit_col}{line}",
                                    f"mã đơn vị “{unit}” không có trong khối"))
            continue
        if row[_EXTRA]:
            # Fields after an unquoted comma are shifted: the vote counts are in doubt.
            errors.append(DataError(path.name, f"{row[_EXTRA]}{line}", _EXTRA_MESSAGE, unit,
                                    kind=VOTES_ERROR))
        mark = normalize(row["disciplined"])
        if unit in facts:
            # Which row is right is unknown: a differing mark puts the discipline in doubt.
            kind = DISCIPLINE_ERROR if parse_mark(mark) != parse_mark(marks[unit]) \
                else VOTES_ERROR
            errors.append(DataError(path.name, f"{unit_col}{line}",
                                    f"đơn vị {unit} xuất hiện hai lần", unit, kind=kind))
            continue
        marks[unit] = mark
        disciplined = parse_mark(mark)
        if disciplined is None:
            errors.append(DataError(path.name, f"{mark_col}{line}",
                                    f"cột disciplined chỉ nhận “x” hoặc để trống (đang là "
                                    f"“{mark}”)", unit, kind=DISCIPLINE_ERROR))
            disciplined = False
        votes: dict[str, int | None] = {}
        votes_at: dict[str, Location] = {}
        for award in bloc.awards:
            col = vote_cols.get(award.key)
            votes[award.key] = None
            if col is None:
                continue
            votes_at[award.key] = Location(path.name, f"{col}{line}")
            try:
                votes[award.key] = parse_votes(row[f"votes_{award.key}"])
            except ValueError as exc:
                errors.append(DataError(path.name, f"{col}{line}", str(exc), unit,
                                        kind=VOTES_ERROR))
        facts[unit] = UnitFacts(unit=unit, disciplined=disciplined, votes=votes,
                                at=Location(path.name, f"{unit_col}{line}"), votes_at=votes_at)
    return facts, errors


def load_conference(path: str | Path) -> Conference:
    """Read the ``[conference]`` table of a conference TOML file.

    Raises :class:`DataFileError` naming the key when a value has the wrong type.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise DataFileError("không tìm thấy tệp", str(path)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(f"không phải tệp TOML hợp lệ ({exc})", str(path)) from None
    table = data.get("conference")
    if not isinstance(table, Mapping):
        raise DataFileError("thiếu bảng [conference]", str(path))
    return conference_from_dict(table, str(path))


def parse_date(value: Any) -> dt.date | None:
    """A date from TOML or a cell: ``date``/``datetime``, ``2022-01-14`` or ``14/01/2022``;
    blank → None.  Raises ValueError (Vietnamese) otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalize(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"ngày “{text}” không hợp lệ (viết dạng 14/01/2022)")


def conference_from_dict(table: Mapping[str, Any], source: str) -> Conference:
    """Build a :class:`Conference` from its keys (TOML or the `Bình xét` sheet).

    Raises :class:`DataFileError` naming ``source`` and the key."""
    def count(key: str) -> int | None:
        what = "số thành viên" if key in ("members", "present") else "số phiếu"
        try:
            return parse_votes(table.get(key), what)
        except ValueError as exc:
            raise DataFileError(str(exc), f"{source}: conference.{key}") from None

    try:
        date = parse_date(table.get("date"))
    except ValueError as exc:
        raise DataFileError(str(exc), f"{source}: conference.date") from None
    conf = Conference(date=date, place=normalize(table.get("place")),
                      members=count("members"), present=count("present"),
                      ballots_issued=count("ballots_issued"), ballots_valid=count("ballots_valid"),
                      chair=normalize(table.get("chair")), secretary=normalize(table.get("secretary")),
                      next_leader=normalize(table.get("next_leader")) or None,
                      next_deputy=normalize(table.get("next_deputy")) or None)
    if conf.members is not None and conf.present is not None and conf.present > conf.members:
        raise DataFileError(f"số thành viên có mặt ({conf.present}) lớn hơn số thành viên "
                            f"({conf.members})", f"{source}: conference.present")
    if conf.ballots_valid is not None and conf.ballots_issued is not None \
            and conf.ballots_valid > conf.ballots_issued:
        raise DataFileError(f"số phiếu hợp lệ ({conf.ballots_valid}) lớn hơn số phiếu phát ra "
                            f"({conf.ballots_issued})", f"{source}: conference.ballots_valid")
    return conf


def conference_to_dict(conf: Conference) -> dict[str, Any]:
    """The ``[conference]`` keys of a Conference, blanks left out (for export)."""
    data = {"date": conf.date, "place": conf.place, "members": conf.members,
            "present": conf.present, "ballots_issued": conf.ballots_issued,
            "ballots_valid": conf.ballots_valid, "chair": conf.chair,
            "secretary": conf.secretary, "next_leader": conf.next_leader,
            "next_deputy": conf.next_deputy}
    return {k: v for k, v in data.items() if v not in (None, "")}


def load_round(bloc: str | Path | Bloc, scores: str | Path | None = None,
               review: str | Path | None = None,
               conference: str | Path | None = None) -> RoundInput:
    """Load a whole bloc-year from files: definition (path or Bloc), optional scores CSV,
    review CSV and conference TOML.  Raises :class:`BlocDefinitionError` or
    :class:`DataFileError` for unreadable files; row problems go into ``read_errors``."""
    if not isinstance(bloc, Bloc):
        bloc = load_bloc(bloc)
    entries: list[ScoreEntry] = []
    errors: list[DataError] = []
    facts: dict[str, UnitFacts] = {}
    if scores is not None:
        entries, errs = load_scores(scores, bloc)
        errors += errs
    if review is not None:
        facts, errs = load_review(review, bloc)
        errors += errs
    conf = load_conference(conference) if conference is not None else None
    return RoundInput(bloc=bloc, scores=tuple(entries), facts=facts, conference=conf,
                      read_errors=tuple(errors))
