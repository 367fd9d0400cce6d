"""`thidua demo`: the whole round on the bundled reference bloc, from the command line."""

from __future__ import annotations

import zipfile

import docx
import openpyxl
from click.testing import CliRunner

from thidua_xl.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_demo_runs_the_whole_round(tmp_path, expected):
    out = tmp_path / "demo"
    result = invoke("demo", "--out", out)
    assert result.exit_code == 0, result.output

    # The workbook: macro-enabled, results written into Tổng hợp.
    book = out / "khoi-thi-dua-2021.xlsm"
    with zipfile.ZipFile(book) as z:
        assert "xl/vbaProject.bin" in z.namelist()
    ws = openpyxl.load_workbook(book, data_only=True)["Tổng hợp"]  # totals may be live formulas
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r and "Mã đơn vị" in r and "Đề nghị" in r)
    col = {t: rows[h].index(t) for t in ("Mã đơn vị", "Tổng điểm", "Xếp hạng", "Đề nghị")}
    got = {r[col["Mã đơn vị"]]: (r[col["Tổng điểm"]], r[col["Xếp hạng"]], r[col["Đề nghị"]] or None)
           for r in rows[h + 1:] if r[col["Mã đơn vị"]]}
    short = {"emulation_flag": "Cờ thi đua", "certificate_of_merit": "Bằng khen", None: None}
    assert got == {u["code"]: (u["total"], u["rank"], short[u["award"]]) for u in expected["units"]}

    # The dossier: the four bloc documents and one score card per unit.
    dossier = sorted(p.name for p in (out / "ho-so-word").iterdir())
    assert len(dossier) == 4 + 15
    assert "Phieu cham diem - HNB.docx" in dossier
    proposal = docx.Document(out / "ho-so-word" / "03 To trinh de nghi khen thuong 2021.docx")
    text = "\n".join(p.text for p in proposal.paragraphs)
    assert "02 tập thể" in text and "05 tập thể" in text

    # The summary printed: the table, the nominee lists, next year's leader and deputy, files.
    printed = result.stdout
    assert "   1  HNB      Hội Nhà báo tỉnh" in printed
    assert ("Cờ thi đua của Ủy ban nhân dân tỉnh: 02 đơn vị (chỉ tiêu 02) — "
            "HNB (Hội Nhà báo tỉnh), HCTD (Hội Chữ thập đỏ tỉnh)") in printed
    assert "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 05 đơn vị (chỉ tiêu 05) — HNCT" in printed
    assert "Trưởng khối năm 2022: HNB (Hội Nhà báo tỉnh)" in printed
    assert "Phó Trưởng khối năm 2022: HLHTN (Hội Liên hiệp thanh niên Việt Nam tỉnh)" in printed
    assert str(book) in printed


def test_demo_refuses_an_existing_folder_without_force(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "ghi-chu.txt").write_text("của người dùng", encoding="utf-8")
    result = invoke("demo", "--out", out)
    assert result.exit_code == 2
    assert "không trống" in result.stderr and "--force" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["ghi-chu.txt"]

    again = invoke("demo", "--out", out, "--force")
    assert again.exit_code == 0, again.output
    assert (out / "ghi-chu.txt").read_text(encoding="utf-8") == "của người dùng"
    assert (out / "khoi-thi-dua-2021.xlsm").exists()
