"""Guards around users' workbook files: open-in-Excel check, input inspection, atomic write.

* :func:`owner_file` / :func:`check_not_open` — Excel's ``~$name`` owner file and
  LibreOffice's ``.~lock.name#`` lock file mean the workbook is open; writing it then would
  lose the user's unsaved edits or fail on Windows.
* :func:`inspect_workbook_file` — refuse, before any parser sees it, a file that is not a
  readable .xlsx/.xlsm: missing, a folder, too big, encrypted (password), legacy .xls,
  corrupted zip, another Office document renamed, or a zip bomb.
* :func:`atomic_write` — keep a timestamped backup **beside the workbook**, named
  ``<stem>.backup-YYYYMMDD-HHMMSS<suffix>`` (``-2``, ``-3``… appended within the same second),
  keep only the newest ``backups`` of them, then write a temp file in the same folder, fsync it
  and ``os.replace`` it over the workbook, so a crash never leaves a half-written workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path


from thidua_xl.errors import WorkbookError

__all__ = ["owner_file", "check_not_open", "inspect_workbook_file", "read_bytes",
           "check_new_file", "atomic_write", "backup_files"]

MiB = 1024 * 1024
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# The compression ratio is only meaningful for entries big enough to matter: a 2 kB run of
# identical empty cells legitimately compresses 100:1.
_RATIO_MIN_BYTES = 1 * MiB
_MACRO_TYPES = ("application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                "application/vnd.ms-excel.template.macroEnabled.main+xml")


def _mb(n: int) -> str:
    """Size for a message, decimal comma: ``"4,0 MB"``, ``"12 kB"``, ``"900 byte"``."""
    if n >= MiB:
        return f"{n / MiB:.1f}".replace(".", ",") + " MB"
    if n >= 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n} byte"


# --------------------------------------------------------------------------- open in Excel?

def owner_file(path: str | os.PathLike[str]) -> Path | None:
    """The lock file showing that ``path`` is open in Excel or LibreOffice, or None.

    Looked for beside the workbook, case-insensitively (Windows shares): ``~$<name>``,
    ``~$<name without its first 2 characters>`` (Office shortens long names that way) and
    LibreOffice's ``.~lock.<name>#``.
    """
    path = Path(path)
    name = path.name
    wanted = {"~$" + name, ".~lock." + name + "#"}
    if len(name) > 2:
        wanted.add("~$" + name[2:])
    wanted_folded = {w.casefold() for w in wanted}
    for candidate in sorted(wanted):          # fast path: exact names
        if (path.parent / candidate).is_file():
            return path.parent / candidate
    try:
        entries = os.listdir(path.parent)
    except OSError:
        return None
    for entry in sorted(entries):
        if entry.casefold() in wanted_folded and (path.parent / entry).is_file():
            return path.parent / entry
    return None


def check_not_open(path: str | os.PathLike[str], force: bool = False) -> None:
    """Raise :class:`WorkbookError` when :func:`owner_file` finds a lock file, unless ``force``.

    ``force`` is for a lock file left behind after Excel crashed.
    """
    path = Path(path)
    lock = owner_file(path)
    if lock is None or force:
        return
    app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
    raise WorkbookError(f"Tệp {path.name} đang được mở trong {app} (có tệp khóa {lock.name}). "
                        f"Hãy đóng {app} rồi chạy lại, hoặc dùng --force.", str(path))


# --------------------------------------------------------------------------- input inspection

def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the file at ``path``.  Raises :class:`WorkbookError` ("Không đọc được tệp
    <name>: <reason>.", ``where`` = the path) when it cannot be read."""
    path = Path(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WorkbookError(f"Không đọc được tệp {path.name}: {exc.strerror or exc}.",
                            str(path)) from exc


def _refuse(path: Path, message: str) -> WorkbookError:
    return WorkbookError(message, str(path))


def _inspect_cfb(path: Path) -> WorkbookError:
    """The error to raise for an OLE compound file (encrypted OOXML or legacy .xls)."""
    from pyopenvba.cfb import CFB  # only for this rare case: keeps every command's start-up light

    try:
        streams = set(CFB.from_bytes(path.read_bytes()).list_streams_at(()))
    except Exception as exc:   # noqa: BLE001 — any failure to parse this input means damaged
        return _refuse(path, f"Tệp {path.name} bị hỏng, không đọc được ({exc}).")
    if "EncryptionInfo" in streams:
        return _refuse(path, f"Tệp {path.name} được bảo vệ bằng mật khẩu (đã mã hóa), nên không "
                             "đọc được. Hãy mở tệp trong Excel, gỡ mật khẩu (Tệp › Thông tin › "
                             "Bảo vệ sổ làm việc › Mã hóa bằng mật khẩu, xóa mật khẩu) rồi lưu "
                             "lại và chạy lại.")
    if "Workbook" in streams or "Book" in streams:
        return _refuse(path, f"Tệp {path.name} là tệp Excel cũ (.xls). Hãy mở trong Excel và "
                             "lưu thành Sổ làm việc Excel (.xlsx) hoặc Sổ làm việc Excel có "
                             "macro (.xlsm) rồi chạy lại.")
    return _refuse(path, f"Tệp {path.name} không phải là sổ làm việc Excel (.xlsx/.xlsm).")


def _zip_error(path: Path, detail: object) -> WorkbookError:
    return _refuse(path, f"Tệp {path.name} bị hỏng hoặc không phải tệp Excel (.xlsx/.xlsm), "
                         f"không đọc được ({detail}).")


def _not_a_workbook(path: Path, names: set[str]) -> WorkbookError:
    if "word/document.xml" in names:
        what = "là tài liệu Word (.docx) bị đổi đuôi"
    elif "ppt/presentation.xml" in names:
        what = "là bản trình chiếu PowerPoint (.pptx) bị đổi đuôi"
    elif "xl/workbook.bin" in names:
        what = "là sổ làm việc nhị phân (.xlsb); hãy lưu lại thành .xlsx hoặc .xlsm"
    else:
        what = "không phải sổ làm việc Excel (không có xl/workbook.xml)"
    return _refuse(path, f"Tệp {path.name} {what}.")


def inspect_workbook_file(path: str | os.PathLike[str], max_bytes: int = 50 * MiB,
                          max_uncompressed: int = 500 * MiB, max_ratio: int = 100) -> str:
    """Check that ``path`` is a readable Excel workbook; return ``"xlsx"`` or ``"xlsm"``.

    Limits: ``max_bytes`` on the file size, ``max_uncompressed`` on the sum of the declared
    sizes of its zip entries, ``max_ratio`` on any entry's size / compressed size (entries of
    1 MiB and more).  Sizes come from the zip central directory, so a zip bomb is refused
    without being decompressed; then the XML parts are decompressed and CRC-checked.
    "xlsm" means the workbook's content type is macro-enabled.

    Raises :class:`WorkbookError` (Vietnamese, naming the file) when the file is missing, a
    folder, too big, password-protected, a legacy .xls, not a zip or a damaged one, a zip
    without ``xl/workbook.xml`` (e.g. a renamed .docx), a zip bomb, or a workbook saved as
    Strict Open XML (which neither openpyxl nor the cell patch understands).
    """
    path = Path(path)
    if not path.exists():
        raise _refuse(path, f"Không tìm thấy tệp {path.name} (đường dẫn: {path}).")
    if path.is_dir():
        raise _refuse(path, f"{path.name} là một thư mục, không phải tệp Excel.")
    size = path.stat().st_size
    if size > max_bytes:
        raise _refuse(path, f"Tệp {path.name} quá lớn ({_mb(size)}, giới hạn {_mb(max_bytes)}).")
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == _CFB_MAGIC:
        raise _inspect_cfb(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names:
                raise _not_a_workbook(path, names)
            _check_bomb(path, infos, max_uncompressed, max_ratio)
            for info in infos:
                if info.filename.lower().endswith(_XML_SUFFIXES):
                    _read_checked(zf, info)
            content_types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names \
                else b""
            strict = _STRICT_NS in zf.read("xl/workbook.xml")[:4096]
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            NotImplementedError, ValueError) as exc:
        raise _zip_error(path, exc) from exc
    if strict:
        raise _refuse(path, f"Tệp {path.name} được lưu ở định dạng Strict Open XML, chương trình "
                            "không đọc được. Hãy mở trong Excel và lưu lại thành Sổ làm việc "
                            "Excel (.xlsx) hoặc Sổ làm việc Excel có macro (.xlsm).")
    if any(t.encode() in content_types for t in _MACRO_TYPES):
        return "xlsm"
    if not content_types and "xl/vbaProject.bin" in names:
        return "xlsm"
    return "xlsx"


def _check_bomb(path: Path, infos: list[zipfile.ZipInfo], max_uncompressed: int,
                max_ratio: int) -> None:
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise _refuse(path, f"Tệp {path.name} bất thường: khi giải nén lên tới {_mb(total)} "
                            f"(giới hạn {_mb(max_uncompressed)}), có thể là tệp độc hại "
                            "(zip bomb). Không mở tệp này.")
    for info in infos:
        if info.file_size >= _RATIO_MIN_BYTES and \
                info.file_size > max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise _refuse(path, f"Tệp {path.name} bất thường: phần {info.filename} nén tới "
                                f"{ratio}:1 (giới hạn {max_ratio}:1), có thể là tệp độc hại "
                                "(zip bomb). Không mở tệp này.")


def _read_checked(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Decompress one entry in chunks; zipfile raises BadZipFile on a CRC mismatch at EOF."""
    with zf.open(info) as fh:
        while fh.read(1 << 20):
            pass


# --------------------------------------------------------------------------- atomic write

def _backup_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(path.stem) + r"\.backup-(\d{8}-\d{6})(?:-(\d+))?"
                      + re.escape(path.suffix) + "$")


def backup_files(path: str | os.PathLike[str]) -> list[Path]:
    """The backups :func:`atomic_write` made of ``path``, oldest first."""
    path = Path(path)
    pattern = _backup_pattern(path)
    found = []
    try:
        entries = os.listdir(path.parent)
    except OSError:
        return []
    for entry in entries:
        m = pattern.match(entry)
        if m:
            found.append(((m.group(1), int(m.group(2) or 1)), path.parent / entry))
    return [p for _, p in sorted(found)]


def _make_backup(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.backup-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.backup-{stamp}-{n}{path.suffix}")
    shutil.copy2(path, target)       # keeps mtime and permissions of the original
    return target


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass                          # some file systems refuse fsync on directories
    finally:
        os.close(fd)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_new_file(path: str | os.PathLike[str], overwrite: bool) -> None:
    """Refuse, before anything is built, to create a file at ``path``: :class:`WorkbookError`
    when a file is there already (unless ``overwrite``) or its folder is missing."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise WorkbookError(f"Tệp {path.name} đã tồn tại; thidua không ghi đè. Hãy chọn tên "
                            "khác, hoặc xóa/đổi tên tệp cũ.", str(path))
    if not path.parent.is_dir():
        raise WorkbookError(f"Không có thư mục {path.parent} để ghi tệp {path.name}.",
                            str(path))


def atomic_write(path: str | os.PathLike[str], data: bytes, backups: int = 5,
                 force: bool = False) -> Path | None:
    """Replace the file at ``path`` with ``data`` atomically; return the backup made, or None.

    Steps: refuse if the workbook is open (:func:`check_not_open`, skipped with ``force``);
    when the file exists and ``backups`` > 0, copy it to
    ``<stem>.backup-YYYYMMDD-HHMMSS<suffix>`` in the same folder and delete the oldest backups
    beyond ``backups``; write ``data`` to a temp file in the same folder, fsync, give it the
    original's permission bits, ``os.replace`` it over ``path``.  A symlink is followed (its
    target is replaced).  On any error the temp file is removed and ``path`` is unchanged.

    Raises :class:`WorkbookError` (open workbook, folder missing, write refused by the OS)
    and ValueError for a negative ``backups``.
    """
    if backups < 0:
        raise ValueError("backups must be >= 0")
    path = Path(path)
    check_not_open(path, force)
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.is_dir():
        raise WorkbookError(f"Không có thư mục {folder} để ghi tệp {path.name}.", str(path))
    exists = target.exists()
    if exists and not target.is_file():
        raise WorkbookError(f"{path.name} không phải là tệp thường, không ghi đè được.",
                            str(path))
    mode = stat.S_IMODE(target.stat().st_mode) if exists else _new_file_mode()

    backup = None
    try:
        if exists and backups > 0:
            backup = _make_backup(target)
            for old in backup_files(target)[:-backups]:
                old.unlink()
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.stem}.", suffix=".tmp")
    except OSError as exc:
        raise WorkbookError(f"Không ghi được tệp {path.name}: {exc.strerror or exc}.",
                            str(path)) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WorkbookError(f"Không ghi được tệp {path.name} (tệp đang được mở hoặc không có "
                                f"quyền ghi): {exc.strerror or exc}. Tệp gốc không thay đổi.",
                                str(path)) from exc
        raise
    _fsync_dir(folder)
    return backup
