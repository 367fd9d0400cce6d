"""LibreOffice and poppler helpers for tests that need a real office suite.

Recipes from shared/engineering-notes.md §4:
- every soffice call gets its own fresh user profile (``-env:UserInstallation=file://…``):
  concurrent calls sharing a profile fail at random;
- ``--convert-to`` keeps cached formula values that are already in a file, so a recalculation
  seeds the profile's ``registrymodifications.xcu`` with ``OOXMLRecalcMode=0`` (and the ODF
  equivalent), which makes LibreOffice recompute every formula on load;
- files LibreOffice writes are re-serialised: use them only to read expected values, never as
  something the product delivers.

Tests skip (or, when CI=true, fail) through :func:`require_soffice` / the ``needs_office``
marker when the tools are absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest

#: Seconds one soffice conversion may take before it is considered hung.
SOFFICE_TIMEOUT = 180

#: Tools the ``needs_office`` marker requires (all installed together by .ci/run).
OFFICE_TOOLS = ("soffice", "pdftotext", "pdfinfo")

# "Recalculate on load: always" for OOXML (xlsx/xlsm) and ODF spreadsheets; 1 = never (LO's
# default for OOXML), 2 = prompt.
_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def in_ci() -> bool:
    """True when the environment variable CI is ``true`` (any case), as in .ci/run."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require_tools(*names: str) -> dict[str, str]:
    """Return ``{name: absolute path}`` for each command, or skip the calling test.

    A missing command skips the test with a reason naming it — except when CI=true, where
    it fails the test instead (CI installs every tool, so a missing one is a CI defect).
    """
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        reason = f"needs {', '.join(missing)} (LibreOffice / poppler-utils) on PATH"
        if in_ci():
            pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip", pytrace=False)
        pytest.skip(reason)
    return found  # type: ignore[return-value]


def require_soffice() -> str:
    """Path of the ``soffice`` command; skips the test when absent (fails when CI=true)."""
    return require_tools("soffice")["soffice"]


def _soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        raise FileNotFoundError("soffice (LibreOffice) is not on PATH")
    return path


def convert(src: Path, fmt: str, outdir: Path, *, recalc: bool = False) -> Path:
    """Convert ``src`` with headless LibreOffice and return the output file's path.

    ``fmt`` is what ``--convert-to`` takes: an extension (``"pdf"``, ``"ods"``, ``"xlsx"``)
    optionally followed by ``:FilterName``; the output is ``outdir / (src.stem + "." + ext)``.
    With ``recalc=True`` every formula is recomputed on load, even when ``src`` holds cached
    values.  ``outdir`` is created if needed and must not be ``src``'s own folder when the
    output would overwrite ``src``.

    Raises FileNotFoundError (src or soffice missing), ValueError (output would overwrite
    src), RuntimeError (soffice failed or wrote no output), subprocess.TimeoutExpired.
    """
    src = Path(src).resolve()
    if not src.is_file():
        raise FileNotFoundError(src)
    outdir = Path(outdir).resolve()
    out = outdir / f"{src.stem}.{fmt.split(':', 1)[0]}"
    if out == src:
        raise ValueError(f"converting {src.name} to {fmt} in its own folder would overwrite it")
    outdir.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # so a stale file can't pass for this run's output

    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        if recalc:
            user = Path(profile, "user")
            user.mkdir()
            (user / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
        cmd = [_soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", fmt, "--outdir", str(outdir),
               str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    # soffice exits 0 even when it cannot load the input, so the output file is the proof.
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(
            f"soffice --convert-to {fmt} {src.name} failed (exit {proc.returncode}, "
            f"output {'present' if out.is_file() else 'missing'}):\n{proc.stdout}{proc.stderr}")
    return out


def recalc_xlsx(src: Path, outdir: Path) -> Path:
    """Return ``outdir/<src.stem>.xlsx``: a copy of the workbook with every formula recomputed.

    Cached values already in ``src`` (from Excel, XlsxWriter or an earlier run) are replaced
    by LibreOffice's results, so tests can read true values with openpyxl ``data_only=True``
    or calamine.  ``src`` may be .xlsx, .xlsm or .ods; it is not modified.  The copy is
    written by LibreOffice: read it, never ship it.  Errors as :func:`convert`.
    """
    return convert(src, "xlsx", outdir, recalc=True)


def _run_poppler(args: list[str]) -> str:
    tool = shutil.which(args[0])
    if tool is None:
        raise FileNotFoundError(f"{args[0]} (poppler-utils) is not on PATH")
    proc = subprocess.run([tool, *args[1:]], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8")


def pdf_text(pdf: Path, *, layout: bool = False) -> str:
    """Text of the whole PDF as ``pdftotext`` extracts it (UTF-8, pages separated by ``\\f``).

    The result is NFC-normalised so it compares equal to Vietnamese strings in Python source
    however the PDF encodes diacritics.  ``layout=True`` keeps the physical layout (columns
    of tables on one line).  Raises FileNotFoundError, RuntimeError.
    """
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"]
    return unicodedata.normalize("NFC", _run_poppler(args))


def pdf_pages(pdf: Path) -> int:
    """Number of pages of the PDF, from ``pdfinfo``.  Raises FileNotFoundError, RuntimeError."""
    info = _run_poppler(["pdfinfo", str(pdf)])
    match = re.search(r"^Pages:\s+(\d+)\s*$", info, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"pdfinfo printed no page count for {pdf}")
    return int(match.group(1))
