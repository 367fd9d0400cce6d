"""thidua_xl.safefile: lock-file check, workbook inspection, atomic write with backups."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import docx
import pytest
import xlsxwriter

from thidua_xl import safefile
from thidua_xl.errors import WorkbookError
from thidua_xl.safefile import (atomic_write, backup_files, check_not_open,
                                inspect_workbook_file, owner_file)

from xlsxpatch import xlsxpatch_builders as builders   # tests/ is on sys.path (setup.cfg)

NAME = "Điểm thi đua 2025.xlsm"


def _xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Điểm").write("A1", "Sở Y tế")
    wb.close()
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    target = tmp_path / NAME
    target.write_bytes(b"original workbook bytes")
    return target


# --------------------------------------------------------------------------- owner / lock files

@pytest.mark.parametrize("lock_name", [
    "~$" + NAME,                      # Excel, full name
    "~$" + NAME[2:],                  # Office's shortened form for long names
    ".~lock." + NAME + "#",           # LibreOffice
])
def test_owner_file_found(book, lock_name):
    (book.parent / lock_name).write_bytes(b"user")
    assert owner_file(book) == book.parent / lock_name


def test_owner_file_found_case_insensitively(book):
    lock = book.parent / ("~$" + NAME.upper())
    lock.write_bytes(b"user")
    assert owner_file(book) == lock


def test_no_owner_file(book):
    (book.parent / "~$Khác.xlsm").write_bytes(b"user")
    assert owner_file(book) is None


def test_check_not_open_message(book):
    (book.parent / ("~$" + NAME)).write_bytes(b"user")
    with pytest.raises(WorkbookError) as info:
        check_not_open(book)
    assert info.value.message == (f"Tệp {NAME} đang được mở trong Excel (có tệp khóa ~${NAME}). "
                                  "Hãy đóng Excel rồi chạy lại, hoặc dùng --force.")
    assert info.value.where == str(book)


def test_check_not_open_names_libreoffice(book):
    (book.parent / f".~lock.{NAME}#").write_bytes(b"user")
    with pytest.raises(WorkbookError, match="đang được mở trong LibreOffice"):
        check_not_open(book)


def test_check_not_open_force(book):
    (book.parent / ("~$" + NAME)).write_bytes(b"user")
    assert check_not_open(book, force=True) is None


def test_check_not_open_without_lock(book):
    assert check_not_open(book) is None


# --------------------------------------------------------------------------- inspect_workbook_file

def test_inspect_macro_workbook(tmp_path):
    path = builders.build_xlsxwriter_book(tmp_path / "thidua.xlsm")
    assert inspect_workbook_file(path) == "xlsm"


def test_inspect_plain_workbook(tmp_path):
    assert inspect_workbook_file(_xlsx(tmp_path / "a.xlsx")) == "xlsx"


def test_inspect_missing_file(tmp_path):
    with pytest.raises(WorkbookError, match="Không tìm thấy tệp khong-co.xlsx"):
        inspect_workbook_file(tmp_path / "khong-co.xlsx")


def test_inspect_directory(tmp_path):
    (tmp_path / "thu-muc.xlsx").mkdir()
    with pytest.raises(WorkbookError, match="thu-muc.xlsx là một thư mục"):
        inspect_workbook_file(tmp_path / "thu-muc.xlsx")


def test_inspect_size_limit(tmp_path):
    path = _xlsx(tmp_path / "lon.xlsx")
    with pytest.raises(WorkbookError, match=r"Tệp lon.xlsx quá lớn \(\d+ kB, giới hạn 1000 byte\)"):
        inspect_workbook_file(path, max_bytes=1000)


def test_inspect_encrypted_workbook(tmp_path):
    encrypted = tmp_path / "mat-khau.xlsx"
    encrypted.write_bytes(builders.encrypted_workbook_cfb())
    with pytest.raises(WorkbookError) as info:
        inspect_workbook_file(encrypted)
    assert "Tệp mat-khau.xlsx được bảo vệ bằng mật khẩu" in info.value.message
    assert info.value.where == str(encrypted)


def test_inspect_workbook_encrypted_by_msoffcrypto(tmp_path):
    """A really encrypted workbook (agile encryption, as Excel 2010+ writes it)."""
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool not installed")
    encrypted = tmp_path / "mat-khau.xlsm"
    with _xlsx(tmp_path / "plain.xlsx").open("rb") as src, encrypted.open("wb") as dst:
        ooxml.OOXMLFile(src).encrypt("matkhau", dst)
    with pytest.raises(WorkbookError, match="Tệp mat-khau.xlsm được bảo vệ bằng mật khẩu"):
        inspect_workbook_file(encrypted)


def test_inspect_legacy_xls(tmp_path):
    legacy = tmp_path / "cu.xlsx"
    legacy.write_bytes(builders.legacy_xls_cfb())
    with pytest.raises(WorkbookError, match=r"Tệp cu.xlsx là tệp Excel cũ \(.xls\)"):
        inspect_workbook_file(legacy)


def test_inspect_damaged_compound_file(tmp_path):
    broken = tmp_path / "hong.xls"
    broken.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100)
    with pytest.raises(WorkbookError, match="Tệp hong.xls bị hỏng"):
        inspect_workbook_file(broken)


def test_inspect_not_a_zip(tmp_path):
    path = tmp_path / "van-ban.xlsx"
    path.write_text("Đây không phải tệp Excel", encoding="utf-8")
    with pytest.raises(WorkbookError, match="Tệp van-ban.xlsx bị hỏng hoặc không phải tệp Excel"):
        inspect_workbook_file(path)


def test_inspect_truncated_zip(tmp_path):
    path = _xlsx(tmp_path / "cut.xlsx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(WorkbookError, match="Tệp cut.xlsx bị hỏng"):
        inspect_workbook_file(path)


def test_inspect_crc_error_in_xml_part(tmp_path):
    path = _xlsx(tmp_path / "crc.xlsx")
    # Rewrite the entry stored (uncompressed) so one flipped byte is a clean CRC mismatch.
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
    data = bytearray(out.getvalue())
    at = data.find(b"<sheetData>")
    data[at + 1] = ord("S")
    path.write_bytes(bytes(data))
    with pytest.raises(WorkbookError, match="Tệp crc.xlsx bị hỏng .*Bad CRC-32"):
        inspect_workbook_file(path)


def test_inspect_renamed_docx(tmp_path):
    path = tmp_path / "bao-cao.xlsx"
    docx.Document().save(str(path))
    with pytest.raises(WorkbookError, match=r"Tệp bao-cao.xlsx là tài liệu Word \(.docx\) bị đổi đuôi"):
        inspect_workbook_file(path)


def test_inspect_zip_without_workbook(tmp_path):
    path = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(WorkbookError, match="không có xl/workbook.xml"):
        inspect_workbook_file(path)


def test_inspect_strict_open_xml(tmp_path):
    path = _xlsx(tmp_path / "strict.xlsx")
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                    b"http://purl.oclc.org/ooxml/spreadsheetml/main")
            dst.writestr(info, data)
    with pytest.raises(WorkbookError, match="Tệp strict.xlsx được lưu ở định dạng Strict Open XML"):
        inspect_workbook_file(path)


def _bomb(path: Path, zeros: int) -> Path:
    with zipfile.ZipFile(_xlsx(path), "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/image1.bin", b"\0" * zeros)
    return path


def test_inspect_zip_bomb_ratio(tmp_path):
    path = _bomb(tmp_path / "bom.xlsx", 4 * safefile.MiB)     # ~1000:1
    with pytest.raises(WorkbookError, match=r"phần xl/media/image1.bin nén tới \d+:1 \(giới hạn 100:1\)"):
        inspect_workbook_file(path)


def test_inspect_zip_bomb_total_size(tmp_path):
    path = _bomb(tmp_path / "bom.xlsx", 4 * safefile.MiB)
    with pytest.raises(WorkbookError, match=r"khi giải nén lên tới 4,0 MB \(giới hạn 2,0 MB\)"):
        inspect_workbook_file(path, max_uncompressed=2 * safefile.MiB, max_ratio=10_000)


def test_inspect_small_compressible_entry_not_a_bomb(tmp_path):
    path = _bomb(tmp_path / "nho.xlsx", 200_000)              # 200 kB of zeros: >100:1 but small
    assert inspect_workbook_file(path) == "xlsx"


# --------------------------------------------------------------------------- atomic_write

def test_atomic_write_replaces_and_backs_up(book):
    backup = atomic_write(book, b"new bytes")
    assert book.read_bytes() == b"new bytes"
    assert backup is not None and backup.parent == book.parent
    assert backup.read_bytes() == b"original workbook bytes"
    assert backup.name.startswith("Điểm thi đua 2025.backup-") and backup.suffix == ".xlsm"
    assert backup_files(book) == [backup]


def test_atomic_write_two_backups_in_one_second_are_distinct(book):
    first = atomic_write(book, b"v2")
    second = atomic_write(book, b"v3")
    assert first != second
    assert first.read_bytes() == b"original workbook bytes" and second.read_bytes() == b"v2"


def test_atomic_write_prunes_old_backups(book):
    for day in range(1, 8):
        (book.parent / f"Điểm thi đua 2025.backup-202501{day:02d}-080000.xlsm").write_bytes(b"old")
    other = book.parent / "Khác.backup-20250101-080000.xlsm"
    other.write_bytes(b"other")
    new = atomic_write(book, b"new", backups=3)
    names = [p.name for p in backup_files(book)]
    assert names == ["Điểm thi đua 2025.backup-20250106-080000.xlsm",
                     "Điểm thi đua 2025.backup-20250107-080000.xlsm", new.name]
    assert other.exists()


def test_atomic_write_without_backups(book):
    assert atomic_write(book, b"new", backups=0) is None
    assert backup_files(book) == [] and book.read_bytes() == b"new"


def test_atomic_write_new_file(tmp_path):
    target = tmp_path / "moi.xlsx"
    assert atomic_write(target, b"data") is None
    assert target.read_bytes() == b"data"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_refuses_open_workbook(book):
    (book.parent / ("~$" + NAME)).write_bytes(b"user")
    with pytest.raises(WorkbookError, match="đang được mở trong Excel"):
        atomic_write(book, b"new")
    assert book.read_bytes() == b"original workbook bytes"
    assert sorted(p.name for p in book.parent.iterdir()) == sorted([NAME, "~$" + NAME])


def test_atomic_write_force_ignores_lock(book):
    (book.parent / ("~$" + NAME)).write_bytes(b"user")
    assert atomic_write(book, b"new", force=True) is not None
    assert book.read_bytes() == b"new"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_atomic_write_keeps_permissions(book):
    book.chmod(0o640)
    atomic_write(book, b"new")
    assert stat.S_IMODE(book.stat().st_mode) == 0o640


def test_atomic_write_failure_leaves_original_and_no_temp(book, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(safefile.os, "replace", refuse)
    with pytest.raises(WorkbookError, match="Tệp gốc không thay đổi"):
        atomic_write(book, b"new")
    assert book.read_bytes() == b"original workbook bytes"
    assert [p for p in book.parent.iterdir() if p.suffix == ".tmp"] == []


def test_atomic_write_follows_symlink(book):
    link = book.parent / "lien-ket.xlsm"
    link.symlink_to(book)
    atomic_write(link, b"via link")
    assert link.is_symlink() and book.read_bytes() == b"via link"


def test_atomic_write_missing_folder(tmp_path):
    with pytest.raises(WorkbookError, match="Không có thư mục"):
        atomic_write(tmp_path / "khong-co" / "a.xlsx", b"x")
