"""The `thidua` command line: new, check, run, export (thidua_xl.cli over thidua_xl.actions).

The done-when test: the reference workbook built without scores, filled with openpyxl through
the documented layout as another tool would, then `thidua run --json` reproduces
expected-2021.json (.xlsx and .xlsm) and leaves every other package part byte-identical and
every typed cell as it was.  Then one small file per refusal, each checking the message, the
exit status and that the file is unchanged.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner

from read.books import (all_cells, assert_subset, build, edit, fill_reference, parts,
                        reference_round, sheet_part, tiny_round)
from thidua_xl import __version__
from thidua_xl.actions import check_workbook, run_workbook
from thidua_xl.cli import cli, main
from thidua_xl.datafiles import load_round
from thidua_xl.review import review
from thidua_xl.safefile import backup_files
from thidua_xl.workbook.read import read_round
from thidua_xl.workbook.sources import CalamineSource

REPO = Path(__file__).resolve().parent.parent


def thidua(*args: object):
    """Run the CLI in-process; stdout and stderr kept apart."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# ----------------------------------------------------------------------------- done when


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_run_json_on_a_workbook_filled_by_another_tool(reference, expected, tmp_path, suffix):
    path = build(tmp_path, reference_round(reference, with_scores=False), f"khoi-2021{suffix}")
    fill_reference(path, reference)
    before_parts = parts(path)
    before_cells = all_cells(path)

    result = thidua("run", path, "--json")

    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)
    assert_subset(expected, got)
    assert got["errors"] == []
    assert result.stderr.startswith(f"Đã ghi kết quả vào khoi-2021{suffix} (bản sao lưu: "
                                    "khoi-2021.backup-")
    # Only the worksheets that receive results changed; every other part byte for byte.
    wround = read_round(CalamineSource(path))
    patched = {sheet_part(path, s) for s in ["Tổng hợp", *(p.sheet for p in wround.units.values())]}
    after_parts = parts(path)
    assert list(after_parts) == list(before_parts)
    assert {n for n in before_parts if before_parts[n] != after_parts[n]} == patched
    if suffix == ".xlsm":
        assert after_parts["xl/vbaProject.bin"] == before_parts["xl/vbaProject.bin"]
    # Every typed input cell is unchanged; only result cells differ at all.
    after_cells = all_cells(path)
    for sheet, cells in wround.input_cells.items():
        for ref in cells:
            assert after_cells[sheet].get(ref) == before_cells[sheet].get(ref), (sheet, ref)
    assert after_cells["Bình xét"] == before_cells["Bình xét"]
    for code, place in wround.units.items():
        diff = {k for k in set(before_cells[code]) | set(after_cells[code])
                if before_cells[code].get(k) != after_cells[code].get(k)}
        assert diff <= set(place.result_cells.values()) - place.formula_cells, code
    # Running again on the written workbook gives the same outcome.
    again = thidua("run", path, "--json")
    assert again.exit_code == 0
    assert_subset(expected, json.loads(again.stdout))


def test_run_prints_a_readable_table(reference, tmp_path):
    path = build(tmp_path, reference_round(reference))
    result = thidua("run", path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Đơn", "vị", "Hạng", "Tổng", "điểm", "Xếp", "loại", "Đề", "nghị",
                                "Lý", "do"]
    assert lines[1].startswith("HNB         1      106,0  HTXSNV    Cờ thi đua  Xếp hạng 1/15, "
                               "106,0 điểm")
    assert lines[6].startswith("HNKT        6      102,5  HTXSNV    —           ")
    assert "Cờ thi đua (2 chỉ tiêu): HNB, HCTD" in lines
    assert "Bằng khen (5 chỉ tiêu): HNCT, HKH, LHH, LMHTX, HLG" in lines
    assert "Trưởng khối năm sau: HNB; Phó Trưởng khối năm sau: HLHTN" in lines


def test_run_with_data_errors_writes_the_others_and_exits_1(tmp_path):
    path = build(tmp_path, tiny_round(3, {"U2": {"I.1": "ba mươi"}}))
    result = thidua("run", path, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["errors"] == [{"sheet": "U2", "cell": "D9", "unit": "U2", "kind": "scores",
                               "message": "Tự chấm tiêu chí I.1: “ba mươi” không phải là số"}]
    assert [u["total"] for u in data["units"]] == [100.0, None, 100.0]
    assert result.stderr.splitlines()[0] == \
        "khoi.xlsx: U2!D9: Tự chấm tiêu chí I.1: “ba mươi” không phải là số"
    assert "Đã ghi kết quả vào khoi.xlsx" in result.stderr


def test_run_out_writes_the_word_dossier(book, tmp_path):
    out = tmp_path / "ho-so"
    result = thidua("run", book, "--out", out)
    assert result.exit_code == 0
    written = sorted(p.name for p in out.iterdir())
    assert "03 To trinh de nghi khen thuong 2021.docx" in written
    assert len([n for n in written if n.startswith("Phieu cham diem - ")]) == 3
    assert f"Đã ghi {out / '03 To trinh de nghi khen thuong 2021.docx'}." in result.stderr.splitlines()


# ----------------------------------------------------------------------------- refusals


def _refused(path: Path, command: str, status: int, message: str) -> None:
    original = path.read_bytes()
    result = thidua(command, path)
    assert result.exit_code == status
    assert message in result.stderr + result.stdout
    assert path.read_bytes() == original
    assert backup_files(path) == []


def test_refuses_an_encrypted_workbook(book):
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with book.open("rb") as fh:
        OOXMLFile(fh).encrypt("mat-khau", out)
    book.write_bytes(out.getvalue())
    for command in ("check", "run"):
        _refused(book, command, 2, "Lỗi: " + str(book) + ": Tệp khoi.xlsx được bảo vệ bằng mật "
                                   "khẩu (đã mã hóa), nên không đọc được.")


def test_refuses_a_corrupted_workbook(book):
    book.write_bytes(book.read_bytes()[:5000])
    _refused(book, "run", 2, "Tệp khoi.xlsx bị hỏng hoặc không phải tệp Excel (.xlsx/.xlsm), "
                             "không đọc được")


def test_refuses_a_file_that_is_not_excel(tmp_path):
    path = tmp_path / "ghi-chu.xlsx"
    path.write_text("Đây không phải sổ Excel", encoding="utf-8")
    _refused(path, "check", 2, "Tệp ghi-chu.xlsx bị hỏng hoặc không phải tệp Excel")


def test_refuses_a_zip_bomb(tmp_path):
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    _refused(path, "run", 2, "Tệp bom.xlsx bất thường: phần xl/worksheets/sheet1.xml nén tới")
    _refused(path, "run", 2, "có thể là tệp độc hại (zip bomb). Không mở tệp này.")


def test_refuses_a_file_over_the_size_limit(tmp_path):
    path = tmp_path / "lon.xlsx"
    with path.open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)     # sparse: the size is checked before any read
    result = thidua("check", path)
    assert result.exit_code == 2
    assert "Tệp lon.xlsx quá lớn (51,0 MB, giới hạn 50,0 MB)." in result.stderr


def test_refuses_a_missing_unit_sheet(book):
    edit(book, lambda wb: wb.remove(wb["U2"]))
    _refused(book, "run", 1, "khoi.xlsx: U2: Sổ không có sheet U2 của đơn vị Đơn vị 2.")
    _refused(book, "run", 1, "khoi.xlsx: không ghi kết quả vì sổ có 1 lỗi cấu trúc cần sửa "
                             "trước (xem ở trên).")


def test_refuses_a_renamed_unit_sheet(book):
    edit(book, lambda wb: setattr(wb["U2"], "title", "Đơn vị 2"))
    _refused(book, "run", 1, "Sheet «Đơn vị 2» ghi Mã đơn vị U2: có lẽ sheet đã bị đổi tên — "
                             "hãy đổi tên sheet «Đơn vị 2» thành U2.")
    # The cause alone: not also "U2: tiêu chí … chưa chấm" for each line of the unit.
    report = check_workbook(book)
    assert report.lines() == ["U2: Sổ không có sheet U2 của đơn vị Đơn vị 2. Sheet «Đơn vị 2» "
                              "ghi Mã đơn vị U2: có lẽ sheet đã bị đổi tên — hãy đổi tên sheet "
                              "«Đơn vị 2» thành U2."]


def test_refuses_a_duplicated_unit_code(book):
    edit(book, lambda wb: setattr(wb.copy_worksheet(wb["U1"]), "title", "U1 (2)"))
    _refused(book, "run", 1, "U1 (2)!B5: Sheet «U1 (2)» cũng ghi Mã đơn vị U1, trùng với sheet "
                             "U1: mã đơn vị bị trùng.")


def test_a_formula_score_without_a_value_stops_only_its_unit(book):
    edit(book, lambda wb: wb["U3"].__setitem__("D10", "=10+20"))    # openpyxl saves no value
    result = thidua("run", book, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["errors"] == [{
        "sheet": "U3", "cell": "D10", "unit": "U3", "kind": "scores",
        "message": "ô Tự chấm của tiêu chí I.2 chứa công thức nhưng chưa có giá trị tính sẵn "
                   "(tệp được lưu bởi chương trình không tính công thức). Hãy mở tệp trong "
                   "Excel, lưu lại rồi chạy lại, hoặc nhập số thay cho công thức."}]
    assert [u["total"] for u in data["units"]] == [100.0, 100.0, None]
    assert "Đã ghi kết quả vào khoi.xlsx" in result.stderr
    assert backup_files(book) != []


def test_refuses_a_sheet_of_another_year(book):
    edit(book, lambda wb: wb["U1"].__setitem__("B3", 2020))
    _refused(book, "run", 1, "U1!B3: sheet U1 thuộc “Khối thử nghiệm” năm 2020, không phải "
                             "“Khối thử nghiệm” năm 2021 của sổ này")


def test_refuses_a_sheet_of_another_bloc(book):
    edit(book, lambda wb: wb["U1"].__setitem__("B2", "Khối các huyện"))
    _refused(book, "run", 1, "U1!B2: sheet U1 thuộc “Khối các huyện” năm 2021, không phải "
                             "“Khối thử nghiệm” năm 2021 của sổ này")


def test_xlsm_whose_macros_were_dropped_gets_a_warning(tmp_path):
    """openpyxl saving an .xlsm without keep_vba drops the VBA project and gives the package
    the xlsx content type: the buttons are gone, Excel may refuse the file.  Nothing stops
    (exit code 0) but the reports say so, until `thidua excel` restores the macros."""
    path = build(tmp_path, tiny_round(3), "khoi.xlsm")
    assert check_workbook(path).warnings == ()
    wb = openpyxl.load_workbook(path)                   # keep_vba=False: VBA dropped
    wb.save(path)
    assert "xl/vbaProject.bin" not in parts(path)
    warning = ("Sổ khoi.xlsm có đuôi .xlsm nhưng không còn phần macro (VBA) — có lẽ tệp đã được "
               "lưu bằng một chương trình khác Excel — nên các nút lệnh không chạy; Excel có "
               "thể từ chối mở tệp vì nội dung là sổ .xlsx mang đuôi .xlsm. Để khôi phục macro "
               "và nút lệnh, chạy lệnh: thidua excel khoi.xlsm --out khoi.xlsm")
    report = check_workbook(path)
    assert (report.warnings, report.exit_code) == ((warning,), 0)
    run = run_workbook(path)
    assert (run.warnings, run.written, run.exit_code) == ((warning,), True, 0)

    restored = thidua("excel", path, "--out", path)
    assert restored.exit_code == 0, restored.stderr
    assert "xl/vbaProject.bin" in parts(path)
    assert check_workbook(path).warnings == ()


def test_xlsx_and_renamed_paths_get_no_macro_warning(book, tmp_path):
    assert check_workbook(book).warnings == ()
    spaced = tmp_path / "khoi 2021.xlsm"
    shutil.copy(book, spaced)                              # xlsx content under a .xlsm name
    assert check_workbook(spaced).warnings[0].endswith(
        'chạy lệnh: thidua excel "khoi 2021.xlsm" --out "khoi 2021.xlsm"')


def test_run_refuses_a_workbook_open_in_excel_but_check_reads_it(book):
    (book.parent / "~$khoi.xlsx").write_bytes(b"\0")
    _refused(book, "run", 2, f"Lỗi: {book}: Tệp khoi.xlsx đang được mở trong Excel (có tệp khóa "
                             "~$khoi.xlsx). Hãy đóng Excel rồi chạy lại, hoặc dùng --force.")
    assert thidua("check", book).exit_code == 0
    original = book.read_bytes()
    forced = thidua("run", book, "--force")
    assert forced.exit_code == 0
    assert book.read_bytes() != original


def test_invalid_definition_is_a_clean_one_line_error(book):
    def change(wb):
        ws = wb["Cấu hình"]
        for row in ws.iter_rows():
            if row[0].value == "bloc.leader":
                row[1].value = "U7"
    edit(book, change)
    result = thidua("check", book)
    assert result.exit_code == 2
    assert result.stderr == ("Lỗi: khoi.xlsx: Cấu hình!B8: Trưởng khối “U7” không phải là đơn vị "
                             "thành viên (khóa bloc.leader)\n")


# ----------------------------------------------------------------------------- folders


def test_check_a_folder_skips_owner_files_and_backups(book, tmp_path):
    bad = tmp_path / "khoi-loi.xlsx"
    shutil.copy(book, bad)
    edit(bad, lambda wb: wb["U1"].__setitem__("D9", "31"))
    (tmp_path / "~$khoi.xlsx").write_bytes(b"\0")
    shutil.copy(book, tmp_path / "khoi.backup-20220114-103000.xlsx")
    (tmp_path / "ghi-chu.txt").write_text("x")
    result = thidua("check", tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "khoi-loi.xlsx: 1 lỗi",
        "  U1!D9: Tự chấm tiêu chí I.1 là 31, vượt điểm tối đa 30",
        "khoi.xlsx: không có lỗi.",
    ]
    assert result.stderr.startswith("Đang kiểm tra")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_a_folder_prints_a_summary_and_json_list(tmp_path, jobs):
    book = build(tmp_path, tiny_round(3, {"U2": {"I.1": 29}, "U3": {"I.1": 28}}))
    shutil.copy(book, tmp_path / "khoi-b.xlsx")
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"PK\x03\x04 hong")
    result = thidua("run", tmp_path, "--jobs", jobs)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Tệp", "Đơn", "vị", "Lỗi", "Đề", "nghị", "Trạng", "thái"]
    assert lines[2].startswith("hong.xlsx    —       —    —   ")
    assert lines[3] == ("khoi-b.xlsx  3       0    Cờ thi đua 1, Bằng khen 1 (dự kiến)  "
                        "Đã ghi kết quả")
    assert lines[4].startswith("khoi.xlsx    3       0 ")
    assert "Lỗi: hong.xlsx: Tệp hong.xlsx bị hỏng" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Đã xử lý 3 tệp trong ")
    listed = thidua("run", tmp_path, "--json", "--jobs", jobs)
    data = json.loads(listed.stdout)
    assert [(d["file"], d["state"]) for d in data] == [("hong.xlsx", "failed"),
                                                       ("khoi-b.xlsx", "ok"), ("khoi.xlsx", "ok")]
    assert data[1]["nominees"] == {"emulation_flag": ["U1"], "certificate_of_merit": ["U2"]}


def test_empty_folder_is_a_usage_error(tmp_path):
    result = thidua("check", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"Lỗi: {tmp_path}: Thư mục {tmp_path} không có sổ Excel (.xlsx, .xlsm) nào.\n"


# ----------------------------------------------------------------------------- new / export


def test_new_then_export_gives_the_same_data_back(reference, tmp_path):
    path = tmp_path / "khoi-2021.xlsm"
    made = thidua("new", reference["bloc"], "--out", path, "--scores", reference["scores"],
                  "--review", reference["review"], "--conference", reference["conference"])
    assert made.exit_code == 0, made.stderr
    assert made.stderr == f"Đã tạo sổ {path}.\n"
    out = tmp_path / "du-lieu"
    exported = thidua("export", path, "--out", out)
    assert exported.exit_code == 0, exported.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["conference-2021.toml", "khoi-2021.toml", "review-2021.csv",
                     "scores-2021.csv"]
    original = load_round(reference["bloc"], reference["scores"], reference["review"],
                          reference["conference"])
    back = load_round(out / "khoi-2021.toml", out / "scores-2021.csv", out / "review-2021.csv",
                      out / "conference-2021.toml")
    assert back.bloc == original.bloc
    assert back.conference == original.conference
    assert back.facts.keys() == original.facts.keys()
    for code, facts in original.facts.items():
        assert (back.facts[code].disciplined, dict(back.facts[code].votes)) == \
            (facts.disciplined, dict(facts.votes))
    key = lambda e: (e.unit, e.criterion)  # noqa: E731
    from thidua_xl.numbers import parse_score
    assert [(key(e), parse_score(e.self_score), parse_score(e.assessed_score), e.evidence)
            for e in sorted(back.scores, key=key)] == \
        [(key(e), parse_score(e.self_score), parse_score(e.assessed_score), e.evidence)
         for e in sorted(original.scores, key=key)]
    assert review(back).to_json() == review(original).to_json()
    # Exporting again refuses to overwrite, unless --force.
    again = thidua("export", path, "--out", out)
    assert again.exit_code == 2
    assert "Thư mục đã có tệp khoi-2021.toml, scores-2021.csv, review-2021.csv, " \
           "conference-2021.toml; thidua không ghi đè." in again.stderr
    assert thidua("export", path, "--out", out, "--force").exit_code == 0


def test_export_keeps_typed_text_and_decimal_commas(book, tmp_path):
    edit(book, lambda wb: (wb["U1"].__setitem__("D9", "29,5"), wb["U1"].__setitem__("G9", "BC 1")))
    out = tmp_path / "ra"
    assert thidua("export", book, "--out", out).exit_code == 0
    lines = (out / "scores-2021.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "unit,criterion,self_score,assessed_score,evidence"
    assert lines[1] == 'U1,I.1,"29,5",,BC 1'
    assert lines[2] == "U1,I.2,30,,"
    assert (out / "review-2021.csv").read_text(encoding="utf-8").splitlines() == [
        "unit,disciplined,votes_emulation_flag,votes_certificate_of_merit",
        "U1,,,", "U2,,,", "U3,,,"]


def test_new_refuses_to_overwrite_and_rows_it_cannot_hold(reference, tmp_path, book):
    result = thidua("new", reference["bloc"], "--out", book)
    assert result.exit_code == 2
    assert "Tệp khoi.xlsx đã tồn tại; thidua không ghi đè." in result.stderr
    scores = tmp_path / "diem.csv"
    scores.write_text("unit,criterion,self_score,assessed_score,evidence\nXYZ,I.1,9,,\n",
                      encoding="utf-8")
    bad = thidua("new", reference["bloc"], "--out", tmp_path / "moi.xlsx", "--scores", scores)
    assert bad.exit_code == 2
    assert bad.stderr == ("Lỗi: có dòng dữ liệu không đưa được vào sổ: diem.csv!A2: mã đơn vị "
                          "“XYZ” không có trong khối\n")
    assert not (tmp_path / "moi.xlsx").exists()


# ----------------------------------------------------------------------------- the CLI itself


def test_every_command_and_option_has_vietnamese_help_with_an_example():
    commands = {"new", "check", "run", "export"}
    assert commands <= set(cli.commands)
    for command in [cli, *(cli.commands[name] for name in sorted(commands))]:
        last = command.help.strip().splitlines()[-1].strip()
        assert last.startswith("Ví dụ: thidua "), command.name
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "version"):
                assert "Ví dụ:" in param.help, (command.name, param.name)
    result = thidua("run", "--help")
    assert result.exit_code == 0
    assert "-h, --help" in result.stdout and "Hiện hướng dẫn này rồi thoát." in result.stdout
    assert "Ví dụ: thidua run khoi-2021.xlsx --out ho-so-2021" in result.stdout


def test_version_and_usage_errors():
    assert thidua("--version").stdout == f"thidua {__version__}\n"
    result = thidua("check")
    assert result.exit_code == 2
    assert main(["check", "khong-co.xlsx"]) == 2
    assert main(["--version"]) == 0


def test_output_is_utf8_when_redirected_on_a_legacy_code_page(book):
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONPATH": str(REPO)}
    edit(book, lambda wb: wb["U1"].__setitem__("D9", "chín"))
    proc = subprocess.run([sys.executable, "-m", "thidua_xl.cli", "check", str(book)],
                          capture_output=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout.decode("utf-8").splitlines() == [
        "khoi.xlsx: 1 lỗi", "  U1!D9: Tự chấm tiêu chí I.1: “chín” không phải là số"]
    assert proc.stderr == b""


def test_run_on_a_workbook_saved_by_libreoffice(reference, expected, tmp_path):
    """A workbook re-serialised by another office suite (shared strings, its own styles and
    cached values) is read and written; after LibreOffice recalculates the written file, the
    live total formulas on the unit sheets agree with the engine's totals."""
    import office

    office.require_soffice()
    filled = fill_reference(build(tmp_path, reference_round(reference, with_scores=False)),
                            reference)
    saved = office.recalc_xlsx(filled, tmp_path / "lo")
    result = thidua("run", saved, "--json")
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)
    assert_subset(expected, got)

    recalculated = office.recalc_xlsx(saved, tmp_path / "lo2")
    source = CalamineSource(recalculated)
    wround = read_round(source)
    for unit in got["units"]:
        place = wround.units[unit["code"]]
        ref = place.result_cells["Tổng điểm"]
        row, col = int(ref[1:]) - 1, ord(ref[0]) - 65
        assert source.values(place.sheet)[row][col] == unit["total"], unit["code"]
        rank_ref = place.result_cells["Xếp hạng"]
        assert source.values(place.sheet)[int(rank_ref[1:]) - 1][ord(rank_ref[0]) - 65] == \
            unit["rank"]
