"""The LibreOffice/poppler test helpers (tests/office.py) do what tests rely on."""

from __future__ import annotations

import pytest
import xlsxwriter
from docx import Document
from openpyxl import load_workbook

import office
from office import convert, pdf_pages, pdf_text, recalc_xlsx, require_soffice


def _stale_workbook(path):
    """A1=2, A2=3, A3=A1+A2 cached as 999, A4=IF(A3>4,"Tốt","Đạt") cached as "sai"."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Điểm thi đua")
    ws.write_number("A1", 2)
    ws.write_number("A2", 3)
    ws.write_formula("A3", "=A1+A2", None, 999)          # deliberately wrong cached value
    ws.write_formula("A4", '=IF(A3>4,"Tốt","Đạt")', None, "sai")
    wb.close()
    return path


def _cached(path, *refs):
    ws = load_workbook(path, data_only=True)["Điểm thi đua"]
    return [ws[ref].value for ref in refs]


@pytest.mark.needs_office
def test_recalc_xlsx_recomputes_stale_cached_values(tmp_path):
    src = _stale_workbook(tmp_path / "stale.xlsx")
    before = src.read_bytes()
    assert _cached(src, "A3", "A4") == [999, "sai"]       # the input really is stale

    out = recalc_xlsx(src, tmp_path / "out")

    assert out == tmp_path / "out" / "stale.xlsx"
    assert _cached(out, "A1", "A2", "A3", "A4") == [2, 3, 5, "Tốt"]
    assert src.read_bytes() == before                     # input untouched


@pytest.mark.needs_office
def test_convert_docx_to_pdf(tmp_path):
    doc = Document()
    doc.add_paragraph("Báo cáo tổng kết công tác thi đua năm 2021")
    doc.add_page_break()
    doc.add_paragraph("Khối thi đua các tổ chức Hội đặc thù")
    src = tmp_path / "bao-cao.docx"
    doc.save(src)

    pdf = convert(src, "pdf", tmp_path / "pdf")

    assert pdf == tmp_path / "pdf" / "bao-cao.pdf"
    assert pdf_pages(pdf) == 2
    pages = pdf_text(pdf).split("\f")
    assert "Báo cáo tổng kết công tác thi đua năm 2021" in pages[0]
    assert "Khối thi đua các tổ chức Hội đặc thù" in pages[1]
    assert "Khối thi đua" not in pages[0]


def test_convert_missing_source_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        convert(tmp_path / "khong-co.docx", "pdf", tmp_path)


def test_convert_refuses_to_overwrite_source(tmp_path):
    src = _stale_workbook(tmp_path / "stale.xlsx")
    with pytest.raises(ValueError, match="overwrite"):
        recalc_xlsx(src, tmp_path)


def test_require_soffice_skips_when_missing_outside_ci(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="soffice"):
        require_soffice()


def test_require_soffice_fails_when_missing_in_ci(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="soffice"):
        require_soffice()


def test_require_soffice_returns_path_when_present(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: f"/opt/bin/{name}")
    assert require_soffice() == "/opt/bin/soffice"
