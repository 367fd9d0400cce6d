"""The newer `thidua` commands end to end through click's CliRunner, on real files:
report, excel, split, collect, province, and every command's ``--help``.

Each test runs the command as a user would, then checks the exit status (0 ok, 1 data
errors, 2 usage or file errors), the Vietnamese lines on stdout/stderr, the files written (read
back with openpyxl, python-docx, zipfile, oletools, pdftotext) and that the inputs are
unchanged when nothing should be written.  Inputs are built in the tests (reference bloc,
tests/blocs.py tiny bloc) and filled with openpyxl as another tool would.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import posixpath
import re
import shutil
import zipfile
from pathlib import Path

import click
import docx
import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from oletools.olevba import VBA_Parser

from blocs import entries, facts, tiny_bloc
from conftest import reference_folder
from collect.collect_builders import fill_from_scores_csv
from office import pdf_pages, pdf_text
from reports.helpers import lines as doc_lines
from read.books import all_cells, assert_subset, build, edit, tiny_round
from thidua_xl import vba
from thidua_xl.cli import cli
from thidua_xl.collect import split_workbook, unit_file_bytes
from thidua_xl.datafiles import load_round
from thidua_xl.model import Conference, RoundInput
from thidua_xl.resources import reference_files, templates_dir
from thidua_xl.review import review
from thidua_xl.safefile import backup_files
from thidua_xl.workbook.build import build_workbook
from thidua_xl.workbook.read import read_round
from thidua_xl.workbook.sources import open_source

#: The reference bloc's units in member order (khoi-hoi-dac-thu-2021.toml).
MEMBERS = ("HNCT", "HCTD", "LMHTX", "HKH", "HNM", "HLG", "HNB", "HDY", "HLHTN", "HNNCDDC",
           "HNKT", "HVHNT", "HCTNXP", "LHH", "LHTCHN")
#: The 19 documents of the reference dossier, in the order `report` prints them.
DOSSIER = ("01 Bao cao tong ket 2021.docx", "02 Bien ban hoi nghi 2021.docx",
           "03 To trinh de nghi khen thuong 2021.docx",
           "04 Bang tong hop ket qua cham diem 2021.docx",
           *(f"Phieu cham diem - {code}.docx" for code in MEMBERS))
#: `thidua split` file names of the reference bloc, in member order.
UNIT_FILES = (
    "HNCT - Hội Người cao tuổi tỉnh - 2021.xlsx",
    "HCTD - Hội Chữ thập đỏ tỉnh - 2021.xlsx",
    "LMHTX - Liên minh Hợp tác xã tỉnh - 2021.xlsx",
    "HKH - Hội Khuyến học tỉnh - 2021.xlsx",
    "HNM - Hội Người mù tỉnh - 2021.xlsx",
    "HLG - Hội Luật gia tỉnh - 2021.xlsx",
    "HNB - Hội Nhà báo tỉnh - 2021.xlsx",
    "HDY - Hội Đông y tỉnh - 2021.xlsx",
    "HLHTN - Hội Liên hiệp thanh niên Việt Nam tỉnh - 2021.xlsx",
    "HNNCDDC - Hội Nạn nhân chất độc da cam dioxin tỉnh - 2021.xlsx",
    "HNKT - Hội Người khuyết tật tỉnh - 2021.xlsx",
    "HVHNT - Hội Văn học nghệ thuật tỉnh - 2021.xlsx",
    "HCTNXP - Hội Cựu Thanh niên xung phong tỉnh - 2021.xlsx",
    "LHH - Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh - 2021.xlsx",
    "LHTCHN - Liên hiệp các tổ chức hữu nghị tỉnh - 2021.xlsx",
)
REFUSED_LINE = ("Không ghi gì vào sổ vì có tệp bị từ chối. Hãy bỏ các tệp đó ra hoặc sửa lại "
                "rồi chạy lại.")


# ----------------------------------------------------------------------------- helpers


def thidua(*args: object):
    """Run `thidua` in-process (stdout and stderr kept apart, exceptions not swallowed)."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False,
                              prog_name="thidua")


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` (not recursive) → its SHA-256."""
    return {p.name: sha(p) for p in sorted(folder.iterdir()) if p.is_file()}


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_V = "{urn:schemas-microsoft-com:vml}"
_X = "{urn:schemas-microsoft-com:office:excel}"


def _rels(pkg: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type's last segment, target part name) of ``part``."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in pkg:
        return {}
    out = {}
    for rel in etree.fromstring(pkg[rels]).iter(_PKG_REL):
        target = rel.get("Target")
        target = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id")] = (rel.get("Type").rsplit("/", 1)[-1], target)
    return out


def buttons(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet name → [(caption, macro of the VML ``x:FmlaMacro``)] of its form buttons."""
    pkg = parts(path)
    workbook = next(t for kind, t in _rels(pkg, "").values() if kind == "officeDocument")
    targets = _rels(pkg, workbook)
    found = {}
    for sheet in etree.fromstring(pkg[workbook]).iter(f"{_MAIN}sheet"):
        part = targets[sheet.get(_R_ID)][1]
        found[sheet.get("name")] = []
        for kind, target in _rels(pkg, part).values():
            if kind != "vmlDrawing":
                continue
            for shape in etree.fromstring(pkg[target]).iter(f"{_V}shape"):
                data = shape.find(f"{_X}ClientData")
                if data is not None and data.get("ObjectType") == "Button":
                    caption = "".join(shape.find(f"{_V}textbox").itertext()).strip()
                    found[sheet.get("name")].append((caption, data.findtext(f"{_X}FmlaMacro")))
    return found


def vba_modules(path: Path) -> list[str]:
    parser = VBA_Parser(str(path))
    try:
        return [name for _, _, name, _ in parser.extract_macros()]
    finally:
        parser.close()


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


# ----------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def reference_book(tmp_path_factory) -> Path:
    """The reference workbook with its scores, review facts, conference and results."""
    ref = reference_files(reference_folder())
    data = load_round(ref["bloc"], ref["scores"], ref["review"], ref["conference"])
    folder = tmp_path_factory.mktemp("ref")
    return build_workbook(data, folder / "khoi-2021.xlsx", result=review(data))


@pytest.fixture
def book(reference_book, tmp_path) -> Path:
    """A fresh copy of the reference workbook, alone in its folder."""
    folder = tmp_path / "so"
    folder.mkdir()
    return Path(shutil.copy(reference_book, folder / reference_book.name))


@pytest.fixture(scope="module")
def dossier(reference_book, tmp_path_factory):
    """`thidua report` on the reference workbook: (result, out folder, workbook hash before)."""
    before = sha(reference_book)
    out = tmp_path_factory.mktemp("report") / "ho-so-2021"
    return thidua("report", reference_book, "--out", out), out, before


def test_report_writes_the_19_documents_and_prints_their_paths(dossier, reference_book):
    result, out, before = dossier
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / name) for name in DOSSIER]
    assert result.stderr == f"Đã ghi 19 tệp vào {out}.\n"
    assert sorted(p.name for p in out.iterdir()) == sorted(DOSSIER)
    # Real Word documents filled from the workbook's data.
    minutes = paragraphs(out / "02 Bien ban hoi nghi 2021.docx")
    assert minutes[1] == "BIÊN BẢN"
    assert minutes[2] == "Hội nghị tổng kết công tác thi đua, khen thưởng năm 2021"
    proposal = doc_lines(out / "03 To trinh de nghi khen thuong 2021.docx")
    assert "Hội Nhà báo tỉnh" in proposal and "Hội Chữ thập đỏ tỉnh" in proposal
    # report writes nothing into the workbook: same bytes, no backup beside it.
    assert sha(reference_book) == before
    assert backup_files(reference_book) == []
    assert [p.name for p in reference_book.parent.iterdir()] == [reference_book.name]


def test_report_uses_a_user_template_of_the_same_name(book, tmp_path, dossier):
    templates = tmp_path / "mau-cua-khoi"
    templates.mkdir()
    template = docx.Document(str(templates_dir() / "bien-ban-hoi-nghi.docx"))
    title = next(p for p in template.paragraphs if p.text == "BIÊN BẢN")
    title.runs[0].text = "BIÊN BẢN HỌP KHỐI"
    template.save(str(templates / "bien-ban-hoi-nghi.docx"))
    template_hash, book_hash = sha(templates / "bien-ban-hoi-nghi.docx"), sha(book)
    out = tmp_path / "ho-so"

    result = thidua("report", book, "--out", out, "--templates", templates)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / name) for name in DOSSIER]
    minutes = paragraphs(out / "02 Bien ban hoi nghi 2021.docx")
    assert minutes[1] == "BIÊN BẢN HỌP KHỐI"
    assert minutes[2] == "Hội nghị tổng kết công tác thi đua, khen thưởng năm 2021"
    # The other documents still come from the shipped templates: as in the default run.
    _, default, _ = dossier
    for name in DOSSIER[:4:2]:
        assert paragraphs(out / name) == paragraphs(default / name), name
    assert sha(templates / "bien-ban-hoi-nghi.docx") == template_hash
    assert sha(book) == book_hash and backup_files(book) == []


def test_report_template_with_an_undefined_variable_exits_2_naming_it(book, tmp_path):
    templates = tmp_path / "mau-loi"
    templates.mkdir()
    template = docx.Document(str(templates_dir() / "bien-ban-hoi-nghi.docx"))
    title = next(p for p in template.paragraphs if p.text == "BIÊN BẢN")
    title.runs[0].text = "BIÊN BẢN {{ so_bien_ban }}"
    broken = templates / "bien-ban-hoi-nghi.docx"
    template.save(str(broken))
    before = sha(book)
    out = tmp_path / "ho-so"

    result = thidua("report", book, "--out", out, "--templates", templates)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Lỗi: {broken}: thẻ “{{{{ so_bien_ban }}}}” dùng tên “so_bien_ban” không có trong dữ "
        "liệu ('so_bien_ban' is undefined); xem danh sách biến của mẫu "
        "(thidua_xl.reports.template_variables).\n")
    # Nothing of the dossier is written (every document is rendered before any is saved).
    assert not out.exists() or list(out.iterdir()) == []
    assert sha(book) == before and backup_files(book) == []


@pytest.mark.needs_office
def test_report_pdf_converts_every_document_with_libreoffice(book, tmp_path):
    before = sha(book)
    out = tmp_path / "ho-so"

    result = thidua("report", book, "--out", out, "--pdf")

    assert result.exit_code == 0, result.stderr
    pdfs = [name.replace(".docx", ".pdf") for name in DOSSIER]
    assert result.stdout.splitlines() == [str(out / n) for n in (*DOSSIER, *pdfs)]
    assert result.stderr == f"Đã ghi 38 tệp vào {out}.\n"
    assert sorted(p.name for p in out.iterdir()) == sorted((*DOSSIER, *pdfs))
    minutes = pdf_text(out / "02 Bien ban hoi nghi 2021.pdf")
    assert "BIÊN BẢN" in minutes
    assert "Hội nghị tổng kết công tác thi đua, khen thưởng năm 2021" in minutes
    assert pdf_pages(out / "Phieu cham diem - HNB.pdf") >= 1
    assert "Hội Nhà báo tỉnh" in pdf_text(out / "Phieu cham diem - HNB.pdf")
    assert sha(book) == before and backup_files(book) == []


def test_report_with_data_errors_writes_the_dossier_and_exits_1(tmp_path):
    # The dossier's own warnings (draft: no ballot; open slots: ties) come on stderr too.
    path = build(tmp_path, tiny_round(3, {"U2": {"I.1": "ba mươi"}}))
    before = sha(path)
    out = tmp_path / "ho-so"

    result = thidua("report", path, "--out", out)

    assert result.exit_code == 1
    names = ["01 Bao cao tong ket 2021.docx", "02 Bien ban hoi nghi 2021.docx",
             "03 To trinh de nghi khen thuong 2021.docx",
             "04 Bang tong hop ket qua cham diem 2021.docx", "Phieu cham diem - U1.docx",
             "Phieu cham diem - U2.docx", "Phieu cham diem - U3.docx"]
    assert result.stdout.splitlines() == [str(out / n) for n in names]
    tie = ("Đơn vị 1 và Đơn vị 3 bằng điểm trên mọi tiêu chí phân định; còn 01 chỉ tiêu chờ "
           "Khối quyết định. Tờ trình, Danh sách và Báo cáo được đánh dấu DỰ THẢO (không trình "
           "tỉnh khi chỉ tiêu chưa được quyết định); Biên bản và Báo cáo ghi rõ chỉ tiêu còn để "
           "ngỏ. Khối cần phân định (bổ sung tiêu chí phân định hoặc bỏ phiếu) rồi chạy lại.")
    assert result.stderr.splitlines() == [
        "khoi.xlsx: U2!D9: Tự chấm tiêu chí I.1: “ba mươi” không phải là số",
        "Chú ý: Chưa ghi kết quả bỏ phiếu của hội nghị (số thành viên có mặt và số phiếu): "
        "Tờ trình, Danh sách và Báo cáo được đánh dấu DỰ THẢO, danh sách đề nghị là dự kiến "
        "theo kết quả chấm điểm, chờ hội nghị bỏ phiếu.",
        f"Chú ý: Còn bằng điểm chưa phân định ở chỉ tiêu Cờ thi đua: {tie}",
        f"Chú ý: Còn bằng điểm chưa phân định ở chỉ tiêu Bằng khen: {tie}",
        f"Đã ghi 7 tệp vào {out}."]
    assert sha(path) == before and backup_files(path) == []


def test_report_on_a_workbook_with_a_missing_unit_sheet_writes_nothing(tmp_path):
    path = build(tmp_path, tiny_round(3))
    edit(path, lambda wb: wb.remove(wb["U3"]))
    before = sha(path)
    out = tmp_path / "ho-so"

    result = thidua("report", path, "--out", out)

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert ("khoi.xlsx: U3: Sổ không có sheet U3 của đơn vị Đơn vị 3. Hãy chép lại sheet của "
            "đơn vị từ sổ gốc (không xóa sheet).") in lines
    assert not out.exists()
    assert sha(path) == before
    assert lines[-1] == ("khoi.xlsx: không xuất hồ sơ vì sổ có 1 lỗi cấu trúc cần sửa trước "
                         "(xem ở trên).")


# ----------------------------------------------------------------------------- excel

SUMMARY_BUTTONS = [("Tính điểm", "[0]!TinhDiem"), ("Xét khen thưởng", "[0]!XetKhenThuong"),
                   ("Xuất báo cáo Word", "[0]!XuatBaoCao"), ("Gộp file các đơn vị", "[0]!GopFile")]
UNIT_BUTTON = [("Kiểm tra sheet này", "[0]!KiemTraSheet")]
MACRO_ENABLED = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def test_excel_turns_an_xlsx_into_an_xlsm_with_buttons_and_the_same_values(tmp_path):
    source = build(tmp_path, tiny_round(3, {"U2": {"I.1": 25.5, "T.1": 3}}))
    before = sha(source)
    out = tmp_path / "khoi.xlsm"

    result = thidua("excel", source, "--out", out)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"Đã ghi sổ có nút lệnh {out}.\n"
    pkg = parts(out)
    assert "xl/vbaProject.bin" in pkg
    assert MACRO_ENABLED in pkg["[Content_Types].xml"]
    assert vba_modules(out)[-3:] == ["xlwings.bas", "Dictionary.cls", "ThiDua.bas"]
    sheets = ["Hướng dẫn", "Tổng hợp", "Bình xét", "U1", "U2", "U3", "Tiêu chí", "Cấu hình",
              "Nhật ký gộp"]
    assert buttons(out) == {**{name: [] for name in sheets}, "Tổng hợp": SUMMARY_BUTTONS,
                            "U1": UNIT_BUTTON, "U2": UNIT_BUTTON, "U3": UNIT_BUTTON,
                            "xlwings.conf": []}
    # Every cell of the workbook is as it was (formulas and cached values); only the hidden
    # xlwings.conf sheet is added.
    for data_only in (False, True):
        old, new = all_cells(source, data_only=data_only), all_cells(out, data_only=data_only)
        assert list(new) == sheets + ["xlwings.conf"]
        assert {name: new[name] for name in sheets} == old
    assert openpyxl.load_workbook(out, keep_vba=True)["xlwings.conf"].sheet_state == "hidden"
    assert sha(source) == before
    # The new workbook reads as before.
    check = thidua("check", out)
    assert (check.exit_code, check.stdout) == (0, "khoi.xlsm: không có lỗi.\n")


def test_excel_refuses_an_out_that_is_not_xlsm(tmp_path):
    source = build(tmp_path, tiny_round(3))
    before = sha(source)
    out = tmp_path / "foo.xlsx"

    result = thidua("excel", source, "--out", out)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == \
        f"Lỗi: {out}: Sổ có nút lệnh phải có đuôi .xlsm, không phải foo.xlsx.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["khoi.xlsx"]
    assert sha(source) == before


def _replace_part(path: Path, name: str, data: bytes) -> None:
    """Rewrite the package at ``path`` with part ``name`` replaced (other entries as they were)."""
    with zipfile.ZipFile(path) as z:
        items = [(info, data if info.filename == name else z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, payload in items:
            z.writestr(info, payload)


def test_excel_refreshes_an_xlsm_in_place_and_keeps_a_backup(tmp_path):
    path = build(tmp_path, tiny_round(3), "khoi.xlsm")
    fresh = parts(path)["xl/vbaProject.bin"]
    modules = vba_modules(path)
    # A stale project, as an older thidua/xlwings left it: document modules of two sheets only.
    titles = ["Hướng dẫn", "Tổng hợp", "Bình xét", "U1", "U2", "U3", "Tiêu chí", "Cấu hình",
              "Nhật ký gộp", "xlwings.conf"]
    _replace_part(path, "xl/vbaProject.bin", vba.vba_project_bin(vba.code_names(titles)[:2]))
    assert len(vba_modules(path)) == len(modules) - 8
    original = path.read_bytes()
    before_parts = parts(path)

    result = thidua("excel", path, "--out", path)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    backups = backup_files(path)
    assert len(backups) == 1
    assert re.fullmatch(r"khoi\.backup-\d{8}-\d{6}(-\d+)?\.xlsm", backups[0].name)
    assert result.stderr == \
        f"Đã ghi sổ có nút lệnh {path} (bản sao lưu: {backups[0].name}).\n"
    assert backups[0].read_bytes() == original
    # A fresh project with a document module per sheet; every other part byte for byte.
    after_parts = parts(path)
    assert list(after_parts) == list(before_parts)
    assert {n for n in before_parts if after_parts[n] != before_parts[n]} == {
        "xl/vbaProject.bin"}
    assert after_parts["xl/vbaProject.bin"] == fresh
    assert vba_modules(path) == modules
    assert modules[-3:] == ["xlwings.bas", "Dictionary.cls", "ThiDua.bas"]
    assert buttons(path)["Tổng hợp"] == SUMMARY_BUTTONS


def test_excel_refuses_a_workbook_open_in_excel_unless_forced(tmp_path):
    path = build(tmp_path, tiny_round(3), "khoi.xlsm")
    (tmp_path / "~$khoi.xlsm").write_bytes(b"owner")
    before = sha(path)

    result = thidua("excel", path, "--out", path)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Lỗi: {path}: Tệp khoi.xlsm đang được mở trong Excel (có tệp khóa ~$khoi.xlsm). Hãy "
        "đóng Excel rồi chạy lại, hoặc dùng --force.\n")
    assert sha(path) == before and backup_files(path) == []

    forced = thidua("excel", path, "--out", path, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert len(backup_files(path)) == 1


# ----------------------------------------------------------------------------- split, collect


@pytest.fixture(scope="module")
def reference_master(tmp_path_factory) -> Path:
    """The reference master before collection: Bình xét facts and the conference typed in,
    no scores (those come back in the unit files)."""
    ref = reference_files(reference_folder())
    data = load_round(ref["bloc"], None, ref["review"], ref["conference"])
    return build_workbook(data, tmp_path_factory.mktemp("master") / "so-khoi-2021.xlsx")


@pytest.fixture(scope="module")
def returned(reference_master, tmp_path_factory) -> Path:
    """The folder of the 15 unit files as the units send them back: cut from the master,
    filled with openpyxl from the reference scores CSV (self, assessed, evidence)."""
    scores = reference_files(reference_folder())["scores"]
    folder = tmp_path_factory.mktemp("thu-ve")
    for path in split_workbook(reference_master, folder):
        fill_from_scores_csv(path, scores, assessed=True)
    return folder


@pytest.fixture
def master(reference_master, tmp_path) -> Path:
    folder = tmp_path / "so"
    folder.mkdir()
    return Path(shutil.copy(reference_master, folder / reference_master.name))


def _csv_cells(reference) -> dict[str, int]:
    """Unit → its non-blank Tự chấm, Khối chấm and Minh chứng values in the reference scores
    CSV: the cells collect changes in a master without scores."""
    counts: dict[str, int] = {}
    with reference["scores"].open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            counts[row["unit"]] = counts.get(row["unit"], 0) + sum(
                bool(row[k]) for k in ("self_score", "assessed_score", "evidence"))
    return counts


def test_split_writes_one_file_per_unit_named_by_code_name_and_year(master, tmp_path):
    before = sha(master)
    out = tmp_path / "gui-don-vi"

    result = thidua("split", master, "--out", out)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / name) for name in UNIT_FILES]
    assert result.stderr == f"Đã tạo 15 tệp trong {out}.\n"
    assert sorted(p.name for p in out.iterdir()) == sorted(UNIT_FILES)
    wb = openpyxl.load_workbook(out / "HNB - Hội Nhà báo tỉnh - 2021.xlsx")
    assert wb.sheetnames == ["Hướng dẫn", "HNB", "Tiêu chí"]
    assert sha(master) == before and backup_files(master) == []

    # A second split into the same folder refuses, naming the first clash, and writes nothing.
    files = snapshot(out)
    again = thidua("split", master, "--out", out)
    assert again.exit_code == 2
    assert again.stdout == ""
    first = out / UNIT_FILES[0]
    assert again.stderr == (
        f"Lỗi: {first}: Thư mục {out} đã có 15 tệp trùng tên (ví dụ {UNIT_FILES[0]}); thidua "
        "không ghi đè. Hãy chọn thư mục khác hoặc dùng tùy chọn ghi đè.\n")
    assert snapshot(out) == files


def test_split_refuses_an_unreadable_master(tmp_path):
    master = tmp_path / "so.xlsx"
    master.write_bytes(b"PK\x03\x04 hong")
    out = tmp_path / "gui"

    result = thidua("split", master, "--out", out)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Lỗi: {master}: Tệp so.xlsx bị hỏng hoặc không phải tệp "
                                    "Excel (.xlsx/.xlsm), không đọc được")
    # No unit file (the command itself creates the folder before reading the master).
    assert not out.exists() or list(out.iterdir()) == []
    assert master.read_bytes() == b"PK\x03\x04 hong"


def test_collect_dry_run_lists_the_changes_and_leaves_the_master_alone(master, returned,
                                                                       reference):
    before = sha(master)
    n = sum(_csv_cells(reference).values())

    result = thidua("collect", master, returned, "--assessed", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == ("Gộp 15 tệp vào sổ so-khoi-2021.xlsx (cột Tự chấm, Minh chứng, "
                        "Khối chấm).")
    assert lines[-1] == f"Chạy thử: {n} ô sẽ thay đổi; chưa ghi gì vào sổ."
    # One line per file: the unit (its full name, “/” and all), the file, the cells changed.
    counts = _csv_cells(reference)
    names = {u.code: u.name for u in read_round(open_source(master)).bloc.units}
    heads = {line for line in lines if line.startswith("  ") and not line.startswith("   ")}
    assert heads == {f"  {code} — {names[code]} (tệp {file}): {counts[code]} ô thay đổi"
                     for code, file in zip(MEMBERS, UNIT_FILES)}
    # One listed change, located through the master's own layout.
    place = read_round(open_source(master)).units["HCTD"]
    assert (f"      HCTD!{place.columns['Khối chấm']}{place.criterion_rows['I.2']} (I.2, Khối "
            "chấm): (trống) → 18,5") in lines
    assert sum(line.startswith("      ") for line in lines) == n
    assert sha(master) == before
    assert backup_files(master) == []


def test_collect_writes_and_run_then_gives_the_expected_result(master, returned, reference,
                                                               expected):
    n = sum(_csv_cells(reference).values())

    result = thidua("collect", master, returned, "--assessed")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    backups = backup_files(master)
    assert len(backups) == 1
    assert result.stdout.splitlines()[-1] == (
        f"Đã ghi {n} ô vào sổ so-khoi-2021.xlsx. Bản sao lưu: {backups[0].name}. Nhật ký ở "
        "sheet “Nhật ký gộp”.")
    log = openpyxl.load_workbook(master)["Nhật ký gộp"]
    logged = [r for r in log.iter_rows(values_only=True) if r and r[1] in UNIT_FILES]
    assert sorted(r[1] for r in logged) == sorted(UNIT_FILES)

    run = thidua("run", master, "--json")

    assert run.exit_code == 0, run.stderr
    got = json.loads(run.stdout)
    assert_subset(expected, got)
    assert got["errors"] == []


def test_collect_refuses_a_file_of_another_year_and_writes_nothing(master, returned,
                                                                   tmp_path):
    bloc = read_round(open_source(master)).bloc
    old = tmp_path / "HNB - Hội Nhà báo tỉnh - 2022.xlsx"
    old.write_bytes(unit_file_bytes(dataclasses.replace(bloc, year=2022), "HNB"))
    before = sha(master)

    result = thidua("collect", master, returned, old, "--assessed")

    assert result.exit_code == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == ("Gộp 16 tệp vào sổ so-khoi-2021.xlsx (cột Tự chấm, Minh chứng, "
                        "Khối chấm).")
    assert lines[1:3] == ["Từ chối 1 tệp:",
                          f"  ✗ {old.name}: Tệp {old.name} là tệp năm 2022, sổ này là năm 2021."]
    assert lines[-1] == REFUSED_LINE
    assert sha(master) == before
    assert backup_files(master) == []


def test_collect_on_an_unreadable_master_exits_2(tmp_path, returned):
    master = tmp_path / "so.xlsx"
    master.write_text("không phải sổ", encoding="utf-8")

    result = thidua("collect", master, returned)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Lỗi: {master}: Tệp so.xlsx bị hỏng hoặc không phải tệp "
                                    "Excel (.xlsx/.xlsm), không đọc được")
    assert master.read_text(encoding="utf-8") == "không phải sổ"


def test_collect_refuses_a_folder_without_workbooks(master, tmp_path):
    folder = tmp_path / "thu-ve"
    folder.mkdir()
    (folder / "ghi-chu.txt").write_text("chưa có tệp nào gửi về", encoding="utf-8")
    before = sha(master)

    result = thidua("collect", master, folder)

    assert sha(master) == before and backup_files(master) == []
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Lỗi: ")
    assert str(folder) in result.stderr and "(.xlsx/.xlsm)" in result.stderr


# ----------------------------------------------------------------------------- province


def _bloc_book(path: Path, name: str, scores: dict, votes: dict) -> Path:
    """A tiny bloc workbook (3 units) with its scores, votes and every member present."""
    bloc = tiny_bloc(3, bloc={"name": name})
    data = RoundInput(bloc=bloc, scores=tuple(entries(bloc, scores)), facts=facts(**votes),
                      conference=Conference(members=3, present=3))
    return build_workbook(data, path)


@pytest.fixture
def blocs_folder(tmp_path) -> Path:
    folder = tmp_path / "cac-khoi-2021"
    folder.mkdir()
    _bloc_book(folder / "a.xlsx", "Khối A",
               {"U1": {"T.1": 5}, "U2": {"I.1": 25}, "U3": {"I.1": 20}},
               {"U1": {"emulation_flag": 3}, "U2": {"certificate_of_merit": 3}})
    _bloc_book(folder / "b.xlsx", "Khối B",
               {"U1": {}, "U2": {"T.1": 4}, "U3": {"I.2": 28}},
               {"U2": {"emulation_flag": 2}, "U1": {"certificate_of_merit": 3}})
    return folder


AWARD_HEADER = ("STT", "Khối thi đua", "Mã đơn vị", "Tên đơn vị", "Tổng điểm", "Xếp hạng",
                "Xếp loại", "Số phiếu đồng ý", "Tệp")
TOTALS = ["Hình thức khen thưởng  Số khối  Tổng chỉ tiêu  Số đơn vị được đề nghị",
          "---------------------  -------  -------------  ----------------------",
          "Cờ thi đua             2        2              2",
          "Bằng khen              2        2              2"]


def _table_below(path: Path, sheet: str, header: tuple) -> list[tuple]:
    rows = [tuple(r[:len(header)]) for r in
            openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]
    start = rows.index(header)
    return [r for r in rows[start + 1:] if any(v is not None for v in r)]


def test_province_rolls_up_two_blocs_and_lists_the_broken_file(blocs_folder, tmp_path):
    broken = blocs_folder / "c-hong.xlsx"
    broken.write_bytes((blocs_folder / "a.xlsx").read_bytes()[:3000])
    inputs = snapshot(blocs_folder)
    out = tmp_path / "tong-hop-tinh-2021.xlsx"

    result = thidua("province", blocs_folder, "--out", out, "--jobs", 2)

    # RollupReport.exit_code: 1 when some file is left out of the totals.
    assert result.exit_code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"Đã tổng hợp 2/3 khối năm 2021 trong \d+(,\d)? giây\.", lines[0])
    assert lines[1:] == TOTALS + [
        "1 tệp chưa được tổng hợp (xem sheet «Khối chưa hoàn thành»):",
        "- c-hong.xlsx: Không đọc được tệp — Tệp c-hong.xlsx bị hỏng hoặc không phải tệp Excel "
        "(.xlsx/.xlsm), không đọc được (File is not a zip file).",
        f"Đã ghi {out}."]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "Các khối", "Cờ thi đua", "Bằng khen",
                             "Khối chưa hoàn thành"]
    assert _table_below(out, "Cờ thi đua", AWARD_HEADER) == [
        (1, "Khối A", "U1", "Đơn vị 1", 105, 1, "HTXSNV", 3, "a.xlsx"),
        (2, "Khối B", "U2", "Đơn vị 2", 104, 1, "HTXSNV", 2, "b.xlsx")]
    assert _table_below(out, "Bằng khen", AWARD_HEADER) == [
        (1, "Khối A", "U2", "Đơn vị 2", 95, 2, "HTXSNV", 3, "a.xlsx"),
        (2, "Khối B", "U1", "Đơn vị 1", 100, 2, "HTXSNV", 3, "b.xlsx")]
    problems = _table_below(out, "Khối chưa hoàn thành",
                            ("STT", "Tệp", "Khối thi đua", "Tình trạng", "Chi tiết"))
    assert [r[:4] for r in problems] == [(1, "c-hong.xlsx", None, "Không đọc được tệp")]
    # The blocs are read, never written.
    assert snapshot(blocs_folder) == inputs


def test_province_with_every_bloc_complete_exits_0(blocs_folder, tmp_path):
    out = tmp_path / "tong-hop.xlsx"

    result = thidua("province", blocs_folder, "--out", out)

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"Đã tổng hợp 2/2 khối năm 2021 trong \d+(,\d)? giây\.", lines[0])
    assert lines[1:] == TOTALS + [f"Đã ghi {out}."]


def test_province_refuses_an_existing_out_without_force(blocs_folder, tmp_path):
    out = tmp_path / "tong-hop.xlsx"
    out.write_bytes(b"ban cu")
    inputs = snapshot(blocs_folder)

    result = thidua("province", blocs_folder, "--out", out)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"Lỗi: {out}: Tệp tong-hop.xlsx đã tồn tại; thidua không ghi đè. Hãy chọn tên khác, "
        "hoặc xóa/đổi tên tệp cũ.")
    assert out.read_bytes() == b"ban cu"

    forced = thidua("province", blocs_folder, "--out", out, "--force", "--jobs", 1)

    assert forced.exit_code == 0, forced.stderr
    assert forced.stdout.splitlines()[-1] == f"Đã ghi {out}."
    assert openpyxl.load_workbook(out).sheetnames[0] == "Tổng hợp"
    assert backup_files(out) == []
    assert snapshot(blocs_folder) == inputs


# ----------------------------------------------------------------------------- help


@pytest.mark.parametrize("command", [None, *sorted(cli.commands)])
def test_help_ends_its_description_with_an_example(command):
    args = [command, "--help"] if command else ["--help"]
    result = thidua(*args)
    assert result.exit_code == 0
    text = result.stdout
    usage = (f"Cách dùng: thidua {command} " if command
             else "Cách dùng: thidua [TÙY_CHỌN] LỆNH")
    assert text.startswith(usage)
    description = text.split("\n\n", 1)[1].split("\nTùy chọn:", 1)[0]
    last = description.strip().split("\n\n")[-1]
    example = " ".join(line.strip() for line in last.splitlines())
    assert example.startswith("Ví dụ: thidua " + (f"{command} " if command else ""))
    # Each option's help also ends with its example (click's own -h/--help and -V excepted).
    group_or_command = cli.commands[command] if command else cli
    for param in group_or_command.params:
        if isinstance(param, click.Option) and param.name not in ("help", "version"):
            assert re.search(r"Ví dụ: \S.*$", param.help), (command, param.name)


def test_report_keeps_edited_documents_unless_forced(tmp_path):
    path = build(tmp_path, tiny_round(3))
    out = tmp_path / "ho-so"
    assert thidua("report", path, "--out", out).exit_code == 0
    edited = out / "01 Bao cao tong ket 2021.docx"
    edited.write_bytes(b"chinh sua tay")
    again = thidua("report", path, "--out", out)
    assert again.exit_code == 2
    assert "không ghi đè để giữ các chỉnh sửa tay" in again.stderr and "--force" in again.stderr
    assert edited.read_bytes() == b"chinh sua tay"
    forced = thidua("report", path, "--out", out, "--force")
    assert forced.exit_code == 0
    assert edited.read_bytes().startswith(b"PK")
