"""The province roll-up (thidua_xl.province) on a folder of tiny bloc workbooks.

Two complete blocs, and one file for each way a bloc can be left out: data errors, no scores
at all, ballot not recorded, another year, the same bloc twice, a truncated file.  Every
outcome is asserted, and the roll-up workbook is read back with openpyxl cell by cell.
Files of one bloc and year met together: which one is used, and what the others say.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from blocs import entries, facts, tiny_dict
from thidua_xl.definition import bloc_from_dict
from thidua_xl.errors import WorkbookError
from thidua_xl.model import Conference, RoundInput
from thidua_xl.province import (AWARD_COLUMNS, PROBLEM_COLUMNS, SHEET_BLOCS, SHEET_PROBLEMS,
                                SHEET_SUMMARY, TOTAL_COLUMNS, province_rollup)
from thidua_xl.review import review
from thidua_xl.workbook.build import build_workbook

NOW = dt.datetime(2022, 2, 10, 9, 30)
STAMP = ("Tỉnh An Bình. Lập lúc 09:30 ngày 10/02/2022 bằng thidua_xl {version} từ 8 tệp sổ của "
         "các khối.")


def bloc_workbook(path: Path, *, name: str, n_units: int = 3, year: int = 2021,
                  scores: dict | None = None, votes: dict | None = None,
                  ballot: bool = True, computed: dt.datetime | None = None,
                  modified: dt.datetime | None = None) -> Path:
    """A tiny bloc workbook (units U1…Un): ``scores`` as for blocs.entries (None: no score at
    all), ``votes`` per unit as for blocs.facts, all members present when ``ballot``.
    ``computed``: built with the results, stamped `Tính lúc` then; ``modified``: the file's
    modification time (local time)."""
    bloc = bloc_from_dict(tiny_dict(n_units, bloc={"name": name, "year": year}), "tiny.toml")
    data = RoundInput(
        bloc=bloc, scores=tuple(entries(bloc, scores)) if scores is not None else (),
        facts=facts(**(votes or {})),
        conference=Conference(members=n_units, present=n_units) if ballot else None)
    out = build_workbook(data, path, result=review(data) if computed else None, now=computed)
    if modified is not None:
        os.utime(out, (modified.timestamp(), modified.timestamp()))
    return out


VOTES_3 = {"U1": {"emulation_flag": 3}, "U2": {"certificate_of_merit": 3}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("tinh")
    three = {"U1": {"T.1": 5}, "U2": {"I.1": 25}, "U3": {"I.1": 20}}
    bloc_workbook(f / "01-khoi-a.xlsx", name="Khối A", scores=three, votes=VOTES_3)
    # Six units: flag quota 1, certificate quota 2; U4 fails the vote.
    bloc_workbook(f / "02-khoi-b.xlsx", name="Khối B", n_units=6,
                  scores={"U1": {"I.2": 29.5}, "U2": {"T.1": 2}, "U3": {"I.1": 28},
                          "U4": {"I.1": 27}, "U5": {"I.1": 26}, "U6": {"I.1": 10}},
                  votes={"U2": {"emulation_flag": 6}, "U1": {"certificate_of_merit": 5},
                         "U3": {"certificate_of_merit": 4}, "U4": {"certificate_of_merit": 1}})
    bloc_workbook(f / "03-khoi-loi.xlsx", name="Khối C",
                  scores={"U1": {}, "U2": {"I.1": 31}, "U3": {}}, votes=VOTES_3)
    bloc_workbook(f / "04-chua-cham.xlsx", name="Khối D", scores=None)
    bloc_workbook(f / "05-chua-bo-phieu.xlsx", name="Khối E", scores=three, ballot=False)
    bloc_workbook(f / "06-nam-truoc.xlsx", name="Khối F", year=2020, scores=three,
                  votes=VOTES_3)
    # An exact copy (same content, same time): the first by name is used.
    shutil.copy2(f / "01-khoi-a.xlsx", f / "07-khoi-a-ban-sao.xlsx")
    whole = (f / "01-khoi-a.xlsx").read_bytes()
    (f / "08-hong.xlsx").write_bytes(whole[:4000])
    (f / "~$01-khoi-a.xlsx").write_bytes(b"owner")      # open in Excel: reading is fine
    return f


@pytest.fixture(scope="module")
def rollup(folder: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("ra") / "tong-hop-2021.xlsx"
    seen: list[str] = []
    report = province_rollup(folder, out, jobs=2, now=NOW,
                             progress=lambda entry: seen.append(entry.path.name))
    return report, out, seen


def sheet_rows(path: Path, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    return [tuple(r) for r in wb[name].iter_rows(values_only=True)]


def trimmed(rows: list[tuple]) -> list[tuple]:
    """Rows without trailing blank cells, blank rows dropped."""
    out = []
    for r in rows:
        r = list(r)
        while r and r[-1] is None:
            r.pop()
        if r:
            out.append(tuple(r))
    return out


def test_each_bloc_gets_its_state(rollup) -> None:
    report, out, seen = rollup
    assert sorted(seen) == [f"0{i}" + n for i, n in enumerate(
        ("-khoi-a.xlsx", "-khoi-b.xlsx", "-khoi-loi.xlsx", "-chua-cham.xlsx",
         "-chua-bo-phieu.xlsx", "-nam-truoc.xlsx", "-khoi-a-ban-sao.xlsx", "-hong.xlsx"),
        start=1)]
    assert report.out == out and report.year == 2021
    assert [(b.path.name, b.state) for b in report.blocs] == [
        ("01-khoi-a.xlsx", "complete"),
        ("02-khoi-b.xlsx", "complete"),
        ("03-khoi-loi.xlsx", "data_errors"),
        ("04-chua-cham.xlsx", "no_scores"),
        ("05-chua-bo-phieu.xlsx", "no_ballot"),
        ("06-nam-truoc.xlsx", "other_year"),
        ("07-khoi-a-ban-sao.xlsx", "duplicate"),
        ("08-hong.xlsx", "unreadable"),
    ]
    a, b = report.included
    assert {k: [n.code for n in v] for k, v in a.nominees.items()} == {
        "emulation_flag": ["U1"], "certificate_of_merit": ["U2"]}
    assert {k: [n.code for n in v] for k, v in b.nominees.items()} == {
        "emulation_flag": ["U2"], "certificate_of_merit": ["U1", "U3"]}
    assert (b.units, b.quotas) == (6, {"emulation_flag": 1, "certificate_of_merit": 2})
    assert [(t.short_name, t.blocs, t.quota, t.nominees) for t in report.awards] == [
        ("Cờ thi đua", 2, 2, 2), ("Bằng khen", 2, 3, 3)]
    assert report.exit_code == 1
    lines = report.summary_lines()
    assert lines[0].startswith("Đã tổng hợp 2/8 khối năm 2021 trong ")
    assert lines[1:5] == [
        "Hình thức khen thưởng  Số khối  Tổng chỉ tiêu  Số đơn vị được đề nghị",
        "---------------------  -------  -------------  ----------------------",
        "Cờ thi đua             2        2              2",
        "Bằng khen              2        3              3",
    ]
    assert lines[5] == "6 tệp chưa được tổng hợp (xem sheet «Khối chưa hoàn thành»):"
    assert lines[6] == "- 03-khoi-loi.xlsx: Dữ liệu có lỗi: 1 lỗi, phải sửa rồi gửi lại"
    assert lines[-2].startswith("- 08-hong.xlsx: Không đọc được tệp — Tệp 08-hong.xlsx bị hỏng")
    assert lines[-1] == f"Đã ghi {out}."


def test_summary_sheet(rollup) -> None:
    from thidua_xl import __version__

    _, out, _ = rollup
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SHEET_SUMMARY, SHEET_BLOCS, "Cờ thi đua", "Bằng khen",
                             SHEET_PROBLEMS]
    assert trimmed(sheet_rows(out, SHEET_SUMMARY)) == [
        ("TỔNG HỢP ĐỀ NGHỊ KHEN THƯỞNG CỦA CÁC KHỐI THI ĐUA NĂM 2021",),
        (STAMP.format(version=__version__),),
        ("Số tệp sổ đã đọc", 8),
        ("Số khối đã tổng hợp", 2),
        ("Số tệp chưa tổng hợp", 6),
        ("Tổng số đơn vị của các khối đã tổng hợp", 9),
        TOTAL_COLUMNS,
        ("Cờ thi đua", 2, 2, 2),
        ("Bằng khen", 2, 3, 3),
        ("6 tệp chưa được tổng hợp: xem sheet «Khối chưa hoàn thành».",),
    ]


def test_blocs_sheet(rollup) -> None:
    _, out, _ = rollup
    rows = trimmed(sheet_rows(out, SHEET_BLOCS))
    assert rows[0] == ("CÁC KHỐI THI ĐUA: QUY MÔ, CHỈ TIÊU VÀ ĐỀ NGHỊ KHEN THƯỞNG",)
    assert rows[2] == ("STT", "Khối thi đua", "Tệp", "Năm", "Số đơn vị",
                       "Chỉ tiêu Cờ thi đua", "Số đề nghị Cờ thi đua",
                       "Đơn vị đề nghị Cờ thi đua", "Chỉ tiêu Bằng khen",
                       "Số đề nghị Bằng khen", "Đơn vị đề nghị Bằng khen",
                       "Trưởng khối năm sau", "Phó Trưởng khối năm sau", "Trạng thái")
    assert rows[3:] == [
        (1, "Khối A", "01-khoi-a.xlsx", 2021, 3, 1, 1, "U1 – Đơn vị 1", 1, 1, "U2 – Đơn vị 2",
         "U2 – Đơn vị 2", "U3 – Đơn vị 3", "Đã tổng hợp"),
        (2, "Khối B", "02-khoi-b.xlsx", 2021, 6, 1, 1, "U2 – Đơn vị 2", 2, 2,
         "U1 – Đơn vị 1\nU3 – Đơn vị 3", "U2 – Đơn vị 2", "U3 – Đơn vị 3", "Đã tổng hợp"),
        (3, "Khối C", "03-khoi-loi.xlsx", 2021, 3, 1, None, None, 1, None, None, None, None,
         "Dữ liệu có lỗi: 1 lỗi, phải sửa rồi gửi lại"),
        (4, "Khối D", "04-chua-cham.xlsx", 2021, 3, 1, None, None, 1, None, None, None, None,
         "Chưa có điểm: sổ chưa có điểm tự chấm hay điểm Khối chấm"),
        (5, "Khối E", "05-chua-bo-phieu.xlsx", 2021, 3, 1, None, None, 1, None, None, None,
         None, "Chưa ghi kết quả bỏ phiếu: chưa nhập số thành viên có mặt và số phiếu ở sheet "
               "Bình xét; danh sách mới là dự kiến"),
        (6, "Khối F", "06-nam-truoc.xlsx", 2020, 3, 1, None, None, 1, None, None, None, None,
         "Khác năm tổng hợp: sổ năm 2020, bản tổng hợp là năm 2021"),
        (7, "Khối A", "07-khoi-a-ban-sao.xlsx", 2021, 3, 1, None, None, 1, None, None, None,
         None, "Trùng khối: cùng khối, cùng năm với tệp 01-khoi-a.xlsx; cả hai đều đầy đủ, đã "
               "tổng hợp tệp đó (xếp trước theo tên)"),
    ]


def test_award_sheets(rollup) -> None:
    _, out, _ = rollup
    flag = trimmed(sheet_rows(out, "Cờ thi đua"))
    assert flag[0] == ("DANH SÁCH ĐỀ NGHỊ CỜ THI ĐUA CỦA ỦY BAN NHÂN DÂN TỈNH",)
    assert flag[2:] == [
        AWARD_COLUMNS,
        (1, "Khối A", "U1", "Đơn vị 1", 105, 1, "HTXSNV", 3, "01-khoi-a.xlsx"),
        (2, "Khối B", "U2", "Đơn vị 2", 102, 1, "HTXSNV", 6, "02-khoi-b.xlsx"),
    ]
    merit = trimmed(sheet_rows(out, "Bằng khen"))
    assert merit[0] == ("DANH SÁCH ĐỀ NGHỊ BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",)
    assert merit[2:] == [
        AWARD_COLUMNS,
        (1, "Khối A", "U2", "Đơn vị 2", 95, 2, "HTXSNV", 3, "01-khoi-a.xlsx"),
        (2, "Khối B", "U1", "Đơn vị 1", 99.5, 2, "HTXSNV", 5, "02-khoi-b.xlsx"),
        (3, "Khối B", "U3", "Đơn vị 3", 98, 3, "HTXSNV", 4, "02-khoi-b.xlsx"),
    ]


def test_problems_sheet(rollup) -> None:
    _, out, _ = rollup
    rows = trimmed(sheet_rows(out, SHEET_PROBLEMS))
    assert rows[0] == ("CÁC TỆP CHƯA ĐƯỢC TỔNG HỢP",)
    assert rows[2] == PROBLEM_COLUMNS
    assert [r[:4] for r in rows[3:]] == [
        (1, "03-khoi-loi.xlsx", "Khối C", "Dữ liệu có lỗi: 1 lỗi, phải sửa rồi gửi lại"),
        (2, "04-chua-cham.xlsx", "Khối D",
         "Chưa có điểm: sổ chưa có điểm tự chấm hay điểm Khối chấm"),
        (3, "05-chua-bo-phieu.xlsx", "Khối E",
         "Chưa ghi kết quả bỏ phiếu: chưa nhập số thành viên có mặt và số phiếu ở sheet Bình "
         "xét; danh sách mới là dự kiến"),
        (4, "06-nam-truoc.xlsx", "Khối F",
         "Khác năm tổng hợp: sổ năm 2020, bản tổng hợp là năm 2021"),
        (5, "07-khoi-a-ban-sao.xlsx", "Khối A",
         "Trùng khối: cùng khối, cùng năm với tệp 01-khoi-a.xlsx; cả hai đều đầy đủ, đã tổng "
         "hợp tệp đó (xếp trước theo tên)"),
        (6, "08-hong.xlsx", None, "Không đọc được tệp"),
    ]
    details = {r[1]: (r[4] if len(r) > 4 else None) for r in rows[3:]}
    assert details["03-khoi-loi.xlsx"] == ("U2!D9: Tự chấm tiêu chí I.1 là 31, vượt điểm tối đa "
                                           "30")
    assert details["08-hong.xlsx"].startswith("Tệp 08-hong.xlsx bị hỏng hoặc không phải tệp Excel")
    assert details["04-chua-cham.xlsx"] is None


def test_rollup_reads_without_writing(folder: Path, rollup) -> None:
    assert not list(folder.glob("*.backup-*"))
    assert {p.name for p in folder.iterdir()} == {
        "01-khoi-a.xlsx", "02-khoi-b.xlsx", "03-khoi-loi.xlsx", "04-chua-cham.xlsx",
        "05-chua-bo-phieu.xlsx", "06-nam-truoc.xlsx", "07-khoi-a-ban-sao.xlsx", "08-hong.xlsx",
        "~$01-khoi-a.xlsx"}


def test_output_rules(tmp_path: Path) -> None:
    folder = tmp_path / "khoi"
    folder.mkdir()
    bloc_workbook(folder / "a.xlsx", name="Khối A", scores={"U1": {}, "U2": {}, "U3": {}},
                  votes=VOTES_3)
    with pytest.raises(WorkbookError, match=r"phải có đuôi \.xlsx"):
        province_rollup(folder, tmp_path / "tong-hop.xlsm")
    with pytest.raises(WorkbookError, match="Không có thư mục"):
        province_rollup(folder, tmp_path / "khong-co" / "tong-hop.xlsx")
    # The roll-up may sit in the folder it reads: a second run does not read it as a bloc.
    out = folder / "tong-hop.xlsx"
    first = province_rollup(folder, out, jobs=1)
    assert [b.path.name for b in first.blocs] == ["a.xlsx"] and first.exit_code == 0
    with pytest.raises(WorkbookError, match="đã tồn tại"):
        province_rollup(folder, out)
    again = province_rollup(folder, out, overwrite=True, jobs=1)
    assert [(b.path.name, b.state) for b in again.blocs] == [("a.xlsx", "complete")]
    assert trimmed(sheet_rows(out, SHEET_PROBLEMS))[3:] == [
        ("Không có: mọi khối đều đã được tổng hợp.",)]


# ----------------------------------------------------------------------------- one bloc, many files

GOOD = {"U1": {"T.1": 5}, "U2": {"I.1": 25}, "U3": {"I.1": 20}}
BAD = {"U1": {}, "U2": {"I.1": 31}, "U3": {}}        # I.1 above its maximum: a data error


def states(report) -> list[tuple[str, str]]:
    return [(b.path.name, b.state_text()) for b in report.blocs]


def test_the_complete_file_of_a_bloc_is_used_whatever_its_name(tmp_path: Path) -> None:
    # The QA case: an old copy with data errors sorts first, and was even saved last.
    folder = tmp_path / "khoi"
    folder.mkdir()
    bloc_workbook(folder / "Khoi Hoi.xlsm", name="Khối Hội", scores=GOOD, votes=VOTES_3,
                  modified=dt.datetime(2022, 1, 14, 10, 0))
    bloc_workbook(folder / "Khoi Hoi - ban cu.xlsx", name="Khối Hội", scores=BAD,
                  votes=VOTES_3, modified=dt.datetime(2022, 1, 20, 8, 0))
    report = province_rollup(folder, tmp_path / "tong-hop.xlsx", jobs=1, now=NOW)
    assert states(report) == [
        ("Khoi Hoi - ban cu.xlsx", "Trùng khối: cùng khối, cùng năm với tệp Khoi Hoi.xlsm; đã "
                                   "tổng hợp tệp đó (đầy đủ); tệp này: dữ liệu có lỗi (1 lỗi, "
                                   "phải sửa rồi gửi lại)"),
        ("Khoi Hoi.xlsm", "Đã tổng hợp"),
    ]
    assert [b.path.name for b in report.included] == ["Khoi Hoi.xlsm"]
    assert [(t.short_name, t.blocs, t.quota, t.nominees) for t in report.awards] == [
        ("Cờ thi đua", 1, 1, 1), ("Bằng khen", 1, 1, 1)]
    assert trimmed(sheet_rows(report.out, SHEET_PROBLEMS))[3][:4] == (
        1, "Khoi Hoi - ban cu.xlsx", "Khối Hội", states(report)[0][1])


def test_among_complete_files_the_last_computed_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "khoi"
    folder.mkdir()
    # `Tính lúc` decides, not the file time (a file copied later keeps its old stamp).
    bloc_workbook(folder / "a.xlsx", name="Khối Hội", scores=GOOD, votes=VOTES_3,
                  computed=dt.datetime(2022, 1, 14, 10, 0),
                  modified=dt.datetime(2022, 1, 30, 9, 0))
    bloc_workbook(folder / "b.xlsx", name="Khối Hội", scores=GOOD, votes=VOTES_3,
                  computed=dt.datetime(2022, 1, 15, 16, 45),
                  modified=dt.datetime(2022, 1, 16, 9, 0))
    # Never computed, saved last: a stamped file is preferred.
    bloc_workbook(folder / "c.xlsx", name="Khối Hội", scores=GOOD, votes=VOTES_3,
                  modified=dt.datetime(2022, 2, 1, 9, 0))
    report = province_rollup(folder, tmp_path / "tong-hop.xlsx", jobs=2, now=NOW)
    assert [b.computed_at for b in report.blocs] == [
        dt.datetime(2022, 1, 14, 10, 0), dt.datetime(2022, 1, 15, 16, 45), None]
    note = ("Trùng khối: cùng khối, cùng năm với tệp b.xlsx; cả hai đều đầy đủ, đã tổng hợp "
            "tệp đó vì mới hơn (tính lúc 16:45 ngày 15/01/2022)")
    assert states(report) == [("a.xlsx", note), ("b.xlsx", "Đã tổng hợp"), ("c.xlsx", note)]


def test_without_stamps_the_last_saved_file_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "khoi"
    folder.mkdir()
    bloc_workbook(folder / "a.xlsx", name="Khối Hội", scores=GOOD, votes=VOTES_3,
                  modified=dt.datetime(2022, 1, 10, 8, 0))
    bloc_workbook(folder / "b.xlsx", name="Khối Hội", scores=GOOD, votes=VOTES_3,
                  modified=dt.datetime(2022, 1, 12, 14, 5))
    report = province_rollup(folder, tmp_path / "tong-hop.xlsx", jobs=1, now=NOW)
    assert states(report) == [
        ("a.xlsx", "Trùng khối: cùng khối, cùng năm với tệp b.xlsx; cả hai đều đầy đủ, đã tổng "
                   "hợp tệp đó vì mới hơn (lưu lúc 14:05 ngày 12/01/2022)"),
        ("b.xlsx", "Đã tổng hợp"),
    ]


def test_a_bloc_with_no_complete_file_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "khoi"
    folder.mkdir()
    bloc_workbook(folder / "hoi-1.xlsx", name="Khối Hội", scores=GOOD, ballot=False,
                  modified=dt.datetime(2022, 1, 10, 8, 0))
    bloc_workbook(folder / "hoi-2.xlsx", name="Khối Hội", scores=BAD, votes=VOTES_3,
                  modified=dt.datetime(2022, 1, 11, 8, 0))
    bloc_workbook(folder / "khac.xlsx", name="Khối Khác", scores=GOOD, votes=VOTES_3)
    report = province_rollup(folder, tmp_path / "tong-hop.xlsx", jobs=1, now=NOW)
    assert states(report) == [
        ("hoi-1.xlsx", "Trùng khối: cùng khối, cùng năm với tệp hoi-2.xlsx; chưa tệp nào của "
                       "khối đầy đủ, tệp đó (lưu lúc 08:00 ngày 11/01/2022) được dùng để báo "
                       "tình trạng của khối"),
        ("hoi-2.xlsx", "Dữ liệu có lỗi: 1 lỗi, phải sửa rồi gửi lại; khối có 2 tệp, không "
                       "tệp nào đầy đủ"),
        ("khac.xlsx", "Đã tổng hợp"),
    ]
    assert [b.path.name for b in report.included] == ["khac.xlsx"]
    assert report.exit_code == 1
