"""`thidua run THƯ_MỤC` as a library: thidua_xl.batch.run_many on a folder of tiny blocs.

The folder holds real workbooks built by thidua new's builder (definition.bloc_from_dict +
build_workbook with scores, votes and a conference): a clean bloc, a bloc with one bad score,
a truncated file, plus files that must be skipped (an Excel owner file of no workbook, a
backup, a text file).  Outcomes are asserted per file, and the written results are read back
from the workbooks with openpyxl.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from blocs import entries, facts, tiny_dict
from thidua_xl.batch import (BatchItem, BatchReport, TABLE_HEADER, map_workbooks, run_many,
                             workbook_paths)
from thidua_xl.definition import bloc_from_dict
from thidua_xl.errors import WorkbookError
from thidua_xl.model import Conference, RoundInput
from thidua_xl.workbook import layout as L
from thidua_xl.workbook.build import build_workbook


def bloc_workbook(path: Path, scores: dict, *, name: str = "Khối thử nghiệm") -> Path:
    """A 3-unit tiny bloc workbook at ``path``: ``scores`` as for blocs.entries; U1 gets 3
    votes for the flag, U2 3 for the certificate; all 3 members present."""
    bloc = bloc_from_dict(tiny_dict(3, bloc={"name": name}), "tiny.toml")
    data = RoundInput(bloc=bloc, scores=tuple(entries(bloc, scores)),
                      facts=facts(U1={"emulation_flag": 3}, U2={"certificate_of_merit": 3}),
                      conference=Conference(members=3, present=3))
    return build_workbook(data, path)


@pytest.fixture(scope="module")
def source_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("blocs")
    bloc_workbook(folder / "a-khoi-tot.xlsx", {"U1": {"T.1": 5}, "U2": {"I.1": 25}, "U3": {}},
                  name="Khối A")
    bloc_workbook(folder / "b-khoi-loi.xlsx",
                  {"U1": {"T.1": 5}, "U2": {"I.1": 25}, "U3": {"I.1": "chín"}}, name="Khối B")
    whole = (folder / "a-khoi-tot.xlsx").read_bytes()
    (folder / "c-hong.xlsx").write_bytes(whole[: len(whole) // 3])      # truncated
    (folder / "~$khac.xlsx").write_bytes(b"owner file of a workbook not in the folder")
    shutil.copyfile(folder / "a-khoi-tot.xlsx",
                    folder / "a-khoi-tot.backup-20220101-120000.xlsx")
    (folder / "ghi-chu.txt").write_text("không phải sổ", encoding="utf-8")
    return folder


@pytest.fixture
def folder(source_folder: Path, tmp_path: Path) -> Path:
    """A fresh copy per test (run_many writes into the workbooks)."""
    target = tmp_path / "khoi"
    shutil.copytree(source_folder, target)
    return target


def summary_rows(path: Path) -> dict[str, dict[str, object]]:
    """`Tổng hợp` of a workbook read back: unit code → {column title: value}."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[L.SUMMARY]
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if L.SUM_COL_CODE in r and L.SUM_COL_TOTAL in r)
    titles = rows[header]
    out = {}
    for r in rows[header + 1:]:
        if r[titles.index(L.SUM_COL_CODE)]:
            out[r[titles.index(L.SUM_COL_CODE)]] = {t: v for t, v in zip(titles, r) if t}
    return out


BROKEN_STATUS = ("Không xử lý được: Tệp c-hong.xlsx bị hỏng hoặc không phải tệp Excel "
                 "(.xlsx/.xlsm), không đọc được (File is not a zip file).")
EXPECTED_TABLE = [
    "Tệp              Đơn vị  Lỗi  Đề nghị                    Trạng thái",
    "---------------  ------  ---  -------------------------  " + "-" * len(BROKEN_STATUS),
    "a-khoi-tot.xlsx  3       0    Cờ thi đua 1, Bằng khen 1  Đã ghi kết quả",
    "b-khoi-loi.xlsx  3       1    Cờ thi đua 1, Bằng khen 1  Đã ghi kết quả, có 1 lỗi dữ liệu",
    "c-hong.xlsx      —       —    —                          " + BROKEN_STATUS,
]


def test_folder_listing_skips_owner_files_backups_and_other_files(folder: Path) -> None:
    assert [p.name for p in workbook_paths(folder)] == [
        "a-khoi-tot.xlsx", "b-khoi-loi.xlsx", "c-hong.xlsx"]
    # Named explicitly: side files are still skipped, duplicates kept once, order kept.
    assert [p.name for p in workbook_paths([folder / "c-hong.xlsx", folder / "~$khac.xlsx",
                                            folder / "a-khoi-tot.backup-20220101-120000.xlsx",
                                            folder])] == [
        "c-hong.xlsx", "a-khoi-tot.xlsx", "b-khoi-loi.xlsx"]
    with pytest.raises(WorkbookError, match="Không tìm thấy tệp hay thư mục"):
        workbook_paths(folder / "khong-co.xlsx")


def test_run_many_reports_each_workbook_and_a_bad_one_stops_nothing(folder: Path) -> None:
    seen: list[str] = []
    truncated = (folder / "c-hong.xlsx").read_bytes()
    report = run_many(folder, jobs=2, progress=lambda item: seen.append(item.path.name))

    assert sorted(seen) == ["a-khoi-tot.xlsx", "b-khoi-loi.xlsx", "c-hong.xlsx"]
    assert report.jobs == 2
    good, bad_score, broken = report.items
    assert [i.path.name for i in report.items] == ["a-khoi-tot.xlsx", "b-khoi-loi.xlsx",
                                                   "c-hong.xlsx"]
    assert [i.state for i in report.items] == ["ok", "problems", "failed"]
    assert [i.exit_code for i in report.items] == [0, 1, 2]
    assert report.exit_code == 2

    assert (good.bloc, good.year, good.units, good.errors, good.blocking) == (
        "Khối A", 2021, 3, (), 0)
    assert good.nominees == {"emulation_flag": ("U1",), "certificate_of_merit": ("U2",)}
    assert good.award_names == {"emulation_flag": "Cờ thi đua",
                                "certificate_of_merit": "Bằng khen"}
    assert good.ballots and good.written and good.failure is None
    assert good.backup is not None and good.backup.exists()
    assert good.result["nominees"] == {"emulation_flag": ["U1"], "certificate_of_merit": ["U2"]}

    assert bad_score.errors == ("U3!D9: Tự chấm tiêu chí I.1: “chín” không phải là số",)
    assert bad_score.written and bad_score.blocking == 0
    assert bad_score.nominees == {"emulation_flag": ("U1",), "certificate_of_merit": ("U2",)}

    assert broken.failure == ("Tệp c-hong.xlsx bị hỏng hoặc không phải tệp Excel (.xlsx/.xlsm), "
                              "không đọc được (File is not a zip file).")
    assert (broken.bloc, broken.units, broken.written, broken.result) == (None, None, False, None)

    assert report.table_lines() == EXPECTED_TABLE
    assert report.summary_line().startswith("Đã xử lý 3 tệp trong ")
    assert report.summary_line().endswith(
        " (2 tiến trình): 2 tệp đã ghi kết quả; 1 tệp có lỗi dữ liệu; 1 tệp không xử lý được.")

    # The results really are in the workbooks.
    rows = summary_rows(folder / "a-khoi-tot.xlsx")
    assert {c: (r[L.SUM_COL_TOTAL], r[L.SUM_COL_RANK], r[L.SUM_COL_GRADE])
            for c, r in rows.items()} == {"U1": (105, 1, "HTXSNV"), "U2": (95, 3, "HTXSNV"),
                                          "U3": (100, 2, "HTXSNV")}
    rows = summary_rows(folder / "b-khoi-loi.xlsx")
    assert {c: (r[L.SUM_COL_TOTAL], r[L.SUM_COL_RANK]) for c, r in rows.items()} == {
        # U3's text score "chín" is a data error: no total, as no rank.
        "U1": (105, 1), "U2": (95, 2), "U3": (None, None)}
    # The broken file is left as it was, without a backup beside it.
    assert (folder / "c-hong.xlsx").read_bytes() == truncated
    assert not list(folder.glob("c-hong.backup-*"))


def test_one_process_gives_the_same_outcomes(folder: Path) -> None:
    report = run_many(folder, jobs=1)
    assert report.jobs == 1
    assert [(i.path.name, i.state, len(i.errors)) for i in report.items] == [
        ("a-khoi-tot.xlsx", "ok", 0), ("b-khoi-loi.xlsx", "problems", 1),
        ("c-hong.xlsx", "failed", 0)]


def test_open_workbook_is_reported_and_force_overrides(folder: Path) -> None:
    (folder / "~$a-khoi-tot.xlsx").write_bytes(b"owner")
    report = run_many([folder / "a-khoi-tot.xlsx", folder / "b-khoi-loi.xlsx"], jobs=2)
    first, second = report.items
    assert first.failure == ("Tệp a-khoi-tot.xlsx đang được mở trong Excel (có tệp khóa "
                             "~$a-khoi-tot.xlsx). Hãy đóng Excel rồi chạy lại, hoặc dùng --force.")
    assert second.written
    forced = run_many(folder / "a-khoi-tot.xlsx", force=True)
    assert forced.items[0].written and forced.jobs == 1


def test_dossier_per_workbook(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "ho-so"
    report = run_many([folder / "a-khoi-tot.xlsx", folder / "c-hong.xlsx"], jobs=2,
                      out_dir=out)
    good, broken = report.items
    assert good.dossier and all(p.parent == out / "a-khoi-tot" for p in good.dossier)
    assert all(p.suffix == ".docx" and p.exists() for p in good.dossier)
    assert good.status_text() == f"Đã ghi kết quả, {len(good.dossier)} tệp Word"
    assert broken.dossier == () and not (out / "c-hong").exists()


# ----------------------------------------------------------------------------- the pool

def _work(path: Path) -> str:
    if path.name == "chet.xlsx":
        os._exit(3)                      # a worker dying (as a crash in a C library would)
    return f"ok {path.name}"


def _failed(path: Path, message: str) -> str:
    return f"failed {path.name}: {message}"


def test_a_dying_worker_fails_only_its_own_file(tmp_path: Path) -> None:
    paths = [tmp_path / n for n in ("a.xlsx", "chet.xlsx", "b.xlsx", "c.xlsx")]
    done: list[str] = []
    results = map_workbooks(_work, paths, failed=_failed, jobs=2, progress=done.append)
    assert results[0] == "ok a.xlsx" and results[2:] == ["ok b.xlsx", "ok c.xlsx"]
    assert results[1].startswith("failed chet.xlsx: tiến trình xử lý tệp này bị dừng đột ngột")
    assert sorted(done) == sorted(results)


# ----------------------------------------------------------------------------- texts

def test_summary_texts() -> None:
    items = (
        BatchItem(path=Path("x/a.xlsx"), bloc="Khối A", year=2021, units=15,
                  nominees={"emulation_flag": ("A",), "certificate_of_merit": ("B", "C")},
                  award_names={"emulation_flag": "Cờ thi đua",
                               "certificate_of_merit": "Bằng khen"}, ballots=True,
                  written=True),
        BatchItem(path=Path("x/b.xlsx"), bloc="Khối B", year=2021, units=9,
                  nominees={"emulation_flag": ("D",)}, award_names={"emulation_flag": "Cờ thi đua"},
                  written=True, ballots=False),
        BatchItem(path=Path("x/c.xlsx"), bloc="Khối C", year=2021, units=4,
                  errors=("Bình xét: không tìm thấy ô có nhãn “Số thành viên có mặt”",),
                  blocking=1),
    )
    report = BatchReport(items=items, jobs=2, seconds=3.25)
    assert report.table_lines() == [
        "Tệp     Đơn vị  Lỗi  Đề nghị                    Trạng thái",
        "------  ------  ---  -------------------------  " + "-" * 53,
        "a.xlsx  15      0    Cờ thi đua 1, Bằng khen 2  Đã ghi kết quả",
        "b.xlsx  9       0    Cờ thi đua 1 (dự kiến)     Đã ghi kết quả",
        "c.xlsx  4       1    —                          Chưa ghi kết quả: sổ có 1 lỗi cấu trúc "
        "phải sửa trước",
    ]
    assert report.table_lines()[0].split() == [w for h in TABLE_HEADER for w in h.split()]
    assert report.summary_line() == ("Đã xử lý 3 tệp trong 3,2 giây (2 tiến trình): 2 tệp đã ghi "
                                     "kết quả; 1 tệp có lỗi cấu trúc, chưa ghi.")
    assert report.exit_code == 1
    assert report.to_json()[2] == {"file": "c.xlsx", "state": "blocked", "error": None}
