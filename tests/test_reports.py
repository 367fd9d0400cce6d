"""The Word dossier (issue 8): rendered from the reference bloc, read back with python-docx.

The reference outcome (rules.md §11): flags HNB, HCTD; certificates HNCT, HKH, LHH, LMHTX, HLG;
next leader HNB (Hội Nhà báo tỉnh), deputy HLHTN; HNB 106,0 points.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from conftest import REPO_ROOT, reference_folder
from reports.helpers import FONT, SLOTS, document_xml, effective_fonts, find_table, lines
from thidua_xl.datafiles import load_round
from thidua_xl.errors import BlocDefinitionError, TemplateError, ThiduaError
from thidua_xl.model import DISCIPLINE_ERROR, DataError, RoundInput
from thidua_xl.reports import (DossierExistsError, build_context, default_legal_bases,
                               document_settings, dossier_warnings, template_variables,
                               write_dossier)
from thidua_xl.reports import render as render_module
from thidua_xl.reports.format import (clean_text, count_text, date_text, file_name,
                                      nobreak_tail, percent, place_date, signed_points)
from thidua_xl.resources import reference_files, templates_dir
from thidua_xl.review import review

MAIN = ["01 Bao cao tong ket 2021.docx", "02 Bien ban hoi nghi 2021.docx",
        "03 To trinh de nghi khen thuong 2021.docx",
        "04 Bang tong hop ket qua cham diem 2021.docx"]
MEMBERS = ["HNCT", "HCTD", "LMHTX", "HKH", "HNM", "HLG", "HNB", "HDY", "HLHTN", "HNNCDDC",
           "HNKT", "HVHNT", "HCTNXP", "LHH", "LHTCHN"]
CARDS = [f"Phieu cham diem - {code}.docx" for code in MEMBERS]
FLAG_LINE = ("Đã có thành tích xuất sắc trong công tác, dẫn đầu phong trào thi đua Khối các tổ "
             "chức Hội đặc thù tỉnh năm 2021")
CERT_LINE = "Đã có thành tích xuất sắc trong công tác năm 2021"


def reference_round() -> RoundInput:
    files = reference_files(reference_folder())
    return load_round(files["bloc"], files["scores"], files["review"], files["conference"])


@pytest.fixture(scope="module")
def result():
    return review(reference_round())


@pytest.fixture(scope="module")
def dossier(result, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dossier")
    paths = write_dossier(result, out)
    return {p.name: p for p in paths}


def rerender(tmp_path: Path, data: RoundInput, **kwargs) -> dict[str, Path]:
    return {p.name: p for p in write_dossier(review(data), tmp_path / "out", **kwargs)}


def with_documents(data: RoundInput, **documents) -> RoundInput:
    return dataclasses.replace(data, bloc=dataclasses.replace(data.bloc, documents=documents))


def patched_template(folder: Path, name: str, old: str, new: str) -> Path:
    """A copy of a shipped template in ``folder`` with ``old`` replaced in its body XML."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with zipfile.ZipFile(templates_dir() / name) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text, old
                data = text.replace(old, new, 1).encode("utf-8")
            dst.writestr(info, data)
    return target


# ---------------------------------------------------------------------------------------------
# The dossier of the reference bloc


def test_every_document_is_written_in_order(dossier):
    assert list(dossier) == MAIN + CARDS


def test_proposal_lists_the_nominees_with_their_reason_lines(dossier):
    rows = find_table(dossier["03 To trinh de nghi khen thuong 2021.docx"], "STT")
    assert rows == [
        ["STT", "Tên tập thể", "Thành tích", "Ghi chú"],
        ["I. CỜ THI ĐUA CỦA ỦY BAN NHÂN DÂN TỈNH (02 tập thể)"],
        ["1", "Hội Nhà báo tỉnh", FLAG_LINE, "14/15 phiếu"],
        ["2", "Hội Chữ thập đỏ tỉnh", FLAG_LINE, "13/15 phiếu"],
        ["II. BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH (05 tập thể)"],
        ["1", "Hội Người cao tuổi tỉnh", CERT_LINE, "15/15 phiếu"],
        ["2", "Hội Khuyến học tỉnh", CERT_LINE, "12/15 phiếu"],
        ["3", "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh", CERT_LINE, "14/15 phiếu"],
        ["4", "Liên minh Hợp tác xã tỉnh", CERT_LINE, "11/15 phiếu"],
        ["5", "Hội Luật gia tỉnh", CERT_LINE, "10/15 phiếu"],
    ]


def test_proposal_text(dossier):
    text = lines(dossier["03 To trinh de nghi khen thuong 2021.docx"])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "KHỐI THI ĐUA CÁC TỔ CHỨC HỘI ĐẶC THÙ\u00a0TỈNH" in text
    assert "LIÊN HIỆP CÁC HỘI KHOA HỌC VÀ KỸ THUẬT\u00a0TỈNH" in text  # issuer: the leader unit
    assert "Số: ……/TTr-LHH" in text
    assert "An Bình, ngày 14 tháng 01 năm 2022" in text
    assert "TỜ TRÌNH" in text
    assert text[text.index("TỜ TRÌNH") + 1:text.index("TỜ TRÌNH") + 4] == [
        "Về việc đề nghị khen thưởng các tập thể có thành tích xuất sắc",
        "trong phong trào thi đua năm 2021",
        "của Khối Thi đua các tổ chức Hội đặc thù\u00a0tỉnh"]        # "tỉnh" never alone
    assert "Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh An Bình" in text
    assert "(qua Ban Thi đua – Khen thưởng, Sở Nội vụ)" in text
    assert "Căn cứ Luật Thi đua, Khen thưởng ngày 26 tháng 11 năm 2003;" in text  # dated 2022
    assert ("Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh (Trưởng khối) kính đề nghị Chủ tịch Ủy "
            "ban nhân dân tỉnh An Bình xem xét, khen thưởng 07 tập thể có thành tích xuất sắc "
            "trong phong trào thi đua năm 2021, gồm:") in text
    assert "- Cờ thi đua của Ủy ban nhân dân tỉnh: 02 tập thể;" in text
    assert "- Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 05 tập thể;" in text
    recipients = text[text.index("Nơi nhận:"):text.index("Nơi nhận:") + 5]
    assert recipients == ["Nơi nhận:", "- Như trên;", "- Ban Thi đua – Khen thưởng, Sở Nội vụ;",
                          "- Các đơn vị thành viên Khối;", "- Lưu: VT."]
    assert "TM. BAN THƯỜNG VỤ" in text and "CHỦ TỊCH" in text
    assert "(Có danh sách và báo cáo thành tích kèm theo)." in text
    assert "Kính trình Chủ tịch Ủy ban nhân dân tỉnh An Bình xem xét, quyết định./." in text
    assert text[text.index("DANH SÁCH"):text.index("DANH SÁCH") + 5] == [
        "DANH SÁCH", "Đề nghị khen thưởng các tập thể có thành tích xuất sắc",
        "trong phong trào thi đua năm 2021", "của Khối Thi đua các tổ chức Hội đặc thù\u00a0tỉnh",
        "(Kèm theo Tờ trình số ……/TTr-LHH ngày 14 tháng 01 năm 2022 của Liên hiệp các Hội "
        "Khoa học và Kỹ thuật\u00a0tỉnh)"]
    assert "Danh sách có 07 tập thể./." in text


def test_report_scores_nominees_leaders_and_chart(dossier):
    path = dossier["01 Bao cao tong ket 2021.docx"]
    text = lines(path)
    assert "Số: ……/BC-LHH" in text
    rows = find_table(path, "STT")
    assert rows[0] == ["STT", "Đơn vị", "Tự chấm", "Tổng điểm", "Xếp hạng", "Xếp loại",
                       "Kết quả bình xét"]
    assert rows[1] == ["1", "Hội Nhà báo tỉnh", "106,0", "106,0", "1", "HTXSNV", "Cờ thi đua"]
    assert rows[3] == ["3", "Hội Đông y tỉnh", "104,0", "104,0", "3", "HTXSNV",
                       "Không đủ điều kiện"]
    assert [r[1] for r in rows[1:]][-1] == "Hội Người mù tỉnh"
    assert "- Hoàn thành xuất sắc nhiệm vụ: 13 đơn vị;" in text
    assert "- Hoàn thành tốt nhiệm vụ: 02 đơn vị;" in text
    assert any(t.endswith("Khối đã chấm điểm, bình xét thi đua tại Hội nghị tổng kết ngày 14 "
                          "tháng 01 năm 2022.") for t in text)
    assert "1. Cờ thi đua của Ủy ban nhân dân tỉnh: 02 tập thể" in text
    assert "2. Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 05 tập thể" in text
    assert "- Hội Nhà báo tỉnh (106,0 điểm, xếp hạng 1);" in text
    assert "- Hội Luật gia tỉnh (101,0 điểm, xếp hạng 9);" in text
    assert ("Hội nghị thống nhất suy tôn Hội Nhà báo tỉnh làm Trưởng khối và Hội Liên hiệp "
            "thanh niên Việt Nam tỉnh làm Phó Trưởng khối năm 2022.") in text
    assert any(t.startswith("1. Tiếp tục quán triệt") for t in text)
    assert any(t.startswith("2. Tổ chức đăng ký và ký kết giao ước thi đua năm 2022") for t in text)
    document = docx.Document(str(path))
    [shape] = document.inline_shapes
    assert round(shape.width.mm) == 160
    with zipfile.ZipFile(path) as z:
        [png] = [n for n in z.namelist() if n.startswith("word/media/")]
        assert z.read(png)[:8] == b"\x89PNG\r\n\x1a\n"


def test_minutes_attendance_ballots_and_conclusions(dossier):
    path = dossier["02 Bien ban hoi nghi 2021.docx"]
    text = lines(path)
    assert "BIÊN BẢN" in text
    assert "Số: ……/BB-LHH" in text
    assert "Thời gian: vào hồi …… giờ …… phút, ngày 14 tháng 01 năm 2022." in text
    assert "Địa điểm: Hội trường Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh." in text
    assert any("Có mặt 15/15 đơn vị thành viên (đạt 100,00%), tối thiểu cần 10 đơn vị (2/3 số "
               "thành viên). Hội nghị đủ điều kiện tiến hành." in t for t in text)
    assert any("số phiếu phát ra 15, số phiếu thu về hợp lệ 15, không hợp lệ 0." in t
               for t in text)
    rows = find_table(path, "STT")
    assert rows == [
        ["STT", "Đơn vị", "Hình thức khen thưởng", "Số phiếu đồng ý", "Tỉ lệ (%)", "Kết quả"],
        ["1", "Hội Nhà báo tỉnh", "Cờ thi đua", "14", "93,33", "Đạt"],
        ["2", "Hội Chữ thập đỏ tỉnh", "Cờ thi đua", "13", "86,67", "Đạt"],
        ["3", "Hội Người cao tuổi tỉnh", "Bằng khen", "15", "100,00", "Đạt"],   # 2 decimals
        ["4", "Hội Khuyến học tỉnh", "Bằng khen", "12", "80,00", "Đạt"],
        ["5", "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh", "Bằng khen", "14", "93,33", "Đạt"],
        ["6", "Liên minh Hợp tác xã tỉnh", "Bằng khen", "11", "73,33", "Đạt"],
        ["7", "Hội Luật gia tỉnh", "Bằng khen", "10", "66,67", "Đạt"],
    ]
    assert ("- Tặng Cờ thi đua của Ủy ban nhân dân tỉnh cho 02 tập thể: Hội Nhà báo tỉnh, Hội "
            "Chữ thập đỏ tỉnh;") in text
    assert ("- Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho 05 tập thể: Hội Người cao "
            "tuổi tỉnh, Hội Khuyến học tỉnh, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh, Liên "
            "minh Hợp tác xã tỉnh, Hội Luật gia tỉnh;") in text
    assert ("- Suy tôn Hội Nhà báo tỉnh làm Trưởng khối, Hội Liên hiệp thanh niên Việt Nam tỉnh "
            "làm Phó Trưởng khối năm 2022.") in text
    assert "THƯ KÝ" in text and "CHỦ TRÌ" in text


def test_score_card_lines_totals_and_signatures(dossier):
    path = dossier["Phieu cham diem - HCTD.docx"]
    text = lines(path)
    assert "PHIẾU CHẤM ĐIỂM THI ĐUA NĂM 2021" in text
    assert "Đơn vị: Hội Chữ thập đỏ\u00a0tỉnh" in text
    rows = find_table(path, "Mã")
    assert rows[0] == ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Khối chấm", "Chênh lệch",
                       "Minh chứng"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["I"][:5] == ["I", "Thực hiện nhiệm vụ chính trị, chuyên môn của Hội",
                                "50,0", "49,5", "48,5"]
    assert by_code["I.2"][2:6] == ["20,0", "19,5", "18,5", "\u22121,0"]
    assert by_code["II.1"][1].endswith("(*)")                     # critical criterion marked
    assert len([r for r in rows if re.fullmatch(r"[IVT]+R?\.\d", r[0])]) == 19
    assert ["TỔNG ĐIỂM", "100,0", "106,0", "105,0", "\u22121,0", ""] in rows
    assert "Xếp loại: Hoàn thành xuất sắc nhiệm vụ; xếp hạng 2/15." in text
    assert "ĐẠI DIỆN ĐƠN VỊ" in text and "TRƯỞNG KHỐI" in text
    # The leader's name under TRƯỞNG KHỐI keeps its last two words on one line.
    assert text[text.index("TRƯỞNG KHỐI") + 1] == "Liên hiệp các Hội Khoa học và Kỹ thuật\u00a0tỉnh"
    evidence = find_table(dossier["Phieu cham diem - HNB.docx"], "Mã")
    assert ["T.1", "Được tặng Cờ thi đua hoặc Bằng khen cấp tỉnh trở lên trong năm", "5,0",
            "5,0", "5,0", "", "Quyết định khen thưởng năm 2021"] in evidence


def test_score_card_rows_never_split_and_the_header_repeats(dossier):
    document = docx.Document(str(dossier["Phieu cham diem - HCTD.docx"]))
    [table] = [t for t in document.tables if t.rows[0].cells[0].text == "Mã"]
    rows = table._tbl.tr_lst
    assert len(rows) == 28                  # header, 6 sections, 19 criteria, total, note
    assert all(tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for tr in rows)
    repeated = [tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None for tr in rows]
    assert repeated == [True] + [False] * 27


def test_annex_is_a_landscape_table_of_all_units(dossier):
    path = dossier["04 Bang tong hop ket qua cham diem 2021.docx"]
    document = docx.Document(str(path))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    rows = find_table(path, "STT")
    assert rows[0] == ["STT", "Đơn vị", "Mục I (50,0)", "Mục II (20,0)", "Mục III (20,0)",
                       "Mục IV (10,0)", "Điểm thưởng", "Điểm trừ", "Tự chấm", "Tổng điểm",
                       "Xếp hạng", "Xếp loại", "Kết quả bình xét"]
    assert rows[1] == ["1", "Hội Nhà báo tỉnh", "47,0", "20,0", "19,0", "10,0", "10,0", "0,0",
                       "106,0", "106,0", "1", "HTXSNV", "Cờ thi đua"]
    assert len(rows) == 16
    # The repeated section columns got a grid that matches the cells and fits the page.
    tbl = document.tables[0]._tbl
    grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
    header = [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in tbl.tr_lst[0].tc_lst]
    assert grid == header and len(grid) == 13
    text_width = section.page_width - section.left_margin - section.right_margin
    assert sum(grid) <= text_width / 635                                 # EMU → twips


ALL = MAIN + CARDS[:1]


@pytest.mark.parametrize("name", ALL)
def test_page_setup_of_every_section(dossier, name):
    document = docx.Document(str(dossier[name]))
    for section in document.sections:
        size = sorted((round(section.page_width.mm), round(section.page_height.mm)))
        assert size == [210, 297]                                       # A4
        margins = [section.top_margin, section.bottom_margin, section.left_margin,
                   section.right_margin]
        assert [round(m.mm, 1) for m in margins] == [20.0, 20.0, 30.0, 15.0]
        # Page number at the top centre, hidden on page 1.
        assert section.different_first_page_header_footer
        assert "".join(p.text for p in section.first_page_header.paragraphs) == ""
        header = section.header._element
        instr = "".join(t.text for t in header.iter(qn("w:instrText")))
        assert instr.strip() == "PAGE"
        assert header.find(f".//{qn('w:jc')}").get(qn("w:val")) == "center"


@pytest.mark.parametrize("name", ALL)
def test_every_run_is_times_new_roman_on_all_font_slots(dossier, name):
    runs = effective_fonts(dossier[name])
    assert len(runs) > 20
    wrong = [(text, fonts) for text, fonts in runs if set(fonts.values()) != {FONT}]
    assert wrong == []


def test_styles_name_times_new_roman_without_theme_fonts():
    for template in sorted(templates_dir().glob("*.docx")):
        with zipfile.ZipFile(template) as z:
            styles = z.read("word/styles.xml").decode("utf-8")
        assert "Theme=" not in styles and "w:cstheme" not in styles, template.name
        for fonts in re.findall(r"<w:rFonts [^>]*/>", styles):
            for slot in SLOTS:
                assert f'w:{slot}="{FONT}"' in fonts, (template.name, fonts)


def test_decimal_comma_and_two_digit_counts_everywhere(dossier):
    text = "\n".join(lines(dossier["01 Bao cao tong ket 2021.docx"]))
    assert "106,0" in text and "106.0" not in text
    assert not re.search(r"\b\d+\.\d\b", text)


# ---------------------------------------------------------------------------------------------
# Typed values, settings, missing facts


def test_special_characters_and_line_breaks_come_out_as_typed(tmp_path):
    data = reference_round()
    evidence = 'Quyết định số 12 & 13 <QĐ-UBND> "khen" \'năm\'\r\nDòng thứ hai'
    scores = tuple(dataclasses.replace(e, evidence=evidence)
                   if (e.unit, e.criterion) == ("HNB", "I.1") else e for e in data.scores)
    data = dataclasses.replace(data, scores=scores)
    conference = dataclasses.replace(data.conference, place="Hội trường A & B <tầng 2>")
    data = dataclasses.replace(data, conference=conference)
    out = rerender(tmp_path, data)
    rows = find_table(out["Phieu cham diem - HNB.docx"], "Mã")
    [line] = [r for r in rows if r[0] == "I.1"]
    assert line[-1] == 'Quyết định số 12 & 13 <QĐ-UBND> "khen" \'năm\'\nDòng thứ hai'
    assert "Địa điểm: Hội trường A & B <tầng 2>." in lines(out["02 Bien ban hoi nghi 2021.docx"])
    assert "<w:br/>" in document_xml(out["Phieu cham diem - HNB.docx"])


def test_documents_settings_are_used(tmp_path):
    data = with_documents(
        reference_round(), parent_body="", issuer="HỘI NHÀ BÁO & CÔNG LUẬN", number_suffix="HNB",
        place="Thành phố Bình An", date="20/01/2022", signing_capacity="KT. CHỦ TỊCH",
        signer_title="PHÓ CHỦ TỊCH", signer_name="Nguyễn Văn A",
        legal_bases=["Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;",
                     "Quyết định số 01/2020/QĐ-UBND của Ủy ban nhân dân tỉnh {tinh}"],
        directions="Đoạn thứ nhất.\nĐoạn thứ hai năm {nam_sau}.",
        recipients=["Như trên", "Lưu: VT, HNB"],
        reason_lines={"certificate_of_merit": "Có thành tích xuất sắc năm {nam}"})
    out = rerender(tmp_path, data)
    proposal = lines(out["03 To trinh de nghi khen thuong 2021.docx"])
    assert "HỘI NHÀ BÁO & CÔNG\u00a0LUẬN" in proposal
    assert "KHỐI THI ĐUA CÁC TỔ CHỨC HỘI ĐẶC THÙ TỈNH" not in proposal     # parent_body = ""
    assert "Số: ……/TTr-HNB" in proposal
    assert "Thành phố Bình An, ngày 20 tháng 01 năm 2022" in proposal
    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;" in proposal
    assert "Căn cứ Quyết định số 01/2020/QĐ-UBND của Ủy ban nhân dân tỉnh An Bình;" in proposal
    assert ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] == proposal[proposal.index("KT. CHỦ TỊCH"):][:2]
    assert "Nguyễn Văn A" in proposal
    assert "- Như trên;" in proposal and "- Lưu: VT, HNB." in proposal
    rows = find_table(out["03 To trinh de nghi khen thuong 2021.docx"], "STT")
    assert rows[5][2] == "Có thành tích xuất sắc năm 2021"
    report = lines(out["01 Bao cao tong ket 2021.docx"])
    assert "1. Đoạn thứ nhất." in report and "2. Đoạn thứ hai năm 2022." in report
    # The minutes keep the conference's own date.
    assert "Thành phố Bình An, ngày 14 tháng 01 năm 2022" in lines(
        out["02 Bien ban hoi nghi 2021.docx"])


@pytest.mark.parametrize(("documents", "where"), [
    ({"legal_bases": "một căn cứ", "signer_name": 5}, "[documents].signer_name"),
    ({"legal_bases": [1, 2]}, "[documents].legal_bases"),
    ({"signer": "x"}, "[documents].signer"),
    ({"directions": ["năm {nam_truoc}"]}, "[documents].directions"),
    ({"reason_lines": {"khac": "x"}}, "[documents].reason_lines.khac"),
    ({"date": "31/02/2022"}, "[documents].date"),
])
def test_bad_documents_settings_name_the_key(documents, where):
    data = with_documents(reference_round(), **documents)
    with pytest.raises(BlocDefinitionError) as err:
        build_context(review(data))
    assert err.value.where == where


def test_without_conference_or_ballots_blanks_are_left_to_fill(tmp_path):
    data = dataclasses.replace(reference_round(), conference=None, facts={})
    out = rerender(tmp_path, data)
    minutes = lines(out["02 Bien ban hoi nghi 2021.docx"])
    assert "Thời gian: vào hồi …… giờ …… phút, ngày …… tháng …… năm 2022." in minutes
    assert "Địa điểm: ……." in minutes
    assert ("Hội nghị chưa ghi nhận kết quả bỏ phiếu; danh sách dưới đây là dự kiến theo kết "
            "quả chấm điểm.") in minutes
    assert "Hội nghị thống nhất dự kiến đề nghị Chủ tịch Ủy ban nhân dân tỉnh An Bình:" in minutes
    assert not [r for r in docx.Document(str(out["02 Bien ban hoi nghi 2021.docx"])).tables
                if r.rows[0].cells[0].text == "STT"]
    report = lines(out["01 Bao cao tong ket 2021.docx"])
    assert "An Bình, ngày …… tháng …… năm 2022" in report


def test_a_unit_with_data_errors_gets_a_card_listing_them(tmp_path):
    data = reference_round()
    scores = tuple(dataclasses.replace(e, self_score="mười")
                   if (e.unit, e.criterion) == ("HNM", "I.1") else e for e in data.scores)
    out = rerender(tmp_path, dataclasses.replace(data, scores=scores))
    card = lines(out["Phieu cham diem - HNM.docx"])
    assert "Dữ liệu của đơn vị còn lỗi, chưa tính tổng điểm:" in card
    assert any(t.startswith("- ") and "mười" in t for t in card)
    assert "Xếp loại: ……." in card


# ---------------------------------------------------------------------------------------------
# Drafts: no quorum, no ballot recorded, unresolved ties, nobody nominated

PROPOSAL, MINUTES, REPORT = MAIN[2], MAIN[1], MAIN[0]
NO_BALLOT_NOTE = "(dự kiến, chờ hội nghị bỏ phiếu)"
NO_QUORUM_NOTE = "(hội nghị không đủ số thành viên, chưa có đề nghị khen thưởng hợp lệ)"
QUORUM_8 = ("có mặt 08/15 đơn vị thành viên, tối thiểu cần 10 đơn vị theo tỉ lệ 2/3 số thành "
            "viên")
TIE = ("Chỉ tiêu Bằng khen: Hội Luật gia tỉnh và Hội Văn học nghệ thuật tỉnh bằng điểm trên mọi "
       "tiêu chí phân định; còn 01 chỉ tiêu chờ Khối quyết định.")


def with_present(data: RoundInput, present: int | None) -> RoundInput:
    return dataclasses.replace(data, conference=dataclasses.replace(data.conference,
                                                                    present=present))


def no_ballot_round() -> RoundInput:
    """The conference not held yet: no attendance, no ballots, no vote counts."""
    data = reference_round()
    conference = dataclasses.replace(data.conference, present=None, ballots_issued=None,
                                     ballots_valid=None)
    facts = {code: dataclasses.replace(f, votes={k: None for k in f.votes})
             for code, f in data.facts.items()}
    return dataclasses.replace(data, conference=conference, facts=facts)


def no_quorum_round() -> RoundInput:
    """8 of 15 members present (10 needed), 8 ballots, each unit 7 votes fewer than in 2021."""
    data = reference_round()
    conference = dataclasses.replace(data.conference, present=8, ballots_issued=8,
                                     ballots_valid=8)
    facts = {code: dataclasses.replace(f, votes={k: None if v is None else v - 7
                                                 for k, v in f.votes.items()})
             for code, f in data.facts.items()}
    return dataclasses.replace(data, conference=conference, facts=facts)


def tied_round() -> RoundInput:
    """HVHNT (rank 10) gets HLG's scores and votes: the two tie for the 5th certificate."""
    data = reference_round()
    scores = [e for e in data.scores if e.unit != "HVHNT"]
    scores += [dataclasses.replace(e, unit="HVHNT") for e in data.scores if e.unit == "HLG"]
    facts = dict(data.facts)
    facts["HVHNT"] = dataclasses.replace(facts["HVHNT"], votes=dict(facts["HLG"].votes))
    return dataclasses.replace(data, scores=tuple(scores), facts=facts)


@pytest.fixture(scope="module")
def no_quorum(tmp_path_factory) -> dict[str, Path]:
    result = review(no_quorum_round())
    assert result.quorum_ok is False and not result.errors
    return {p.name: p for p in write_dossier(result, tmp_path_factory.mktemp("no-quorum"))}


@pytest.fixture(scope="module")
def no_ballot(tmp_path_factory) -> dict[str, Path]:
    result = review(no_ballot_round())
    assert result.ballots is False and not result.errors
    return {p.name: p for p in write_dossier(result, tmp_path_factory.mktemp("no-ballot"))}


@pytest.fixture(scope="module")
def tied(tmp_path_factory) -> dict[str, Path]:
    result = review(tied_round())
    assert [(t.award, t.units, t.open_slots) for t in result.ties] == [
        ("certificate_of_merit", ("HLG", "HVHNT"), 1)]
    return {p.name: p for p in write_dossier(result, tmp_path_factory.mktemp("tied"))}


def test_final_documents_carry_no_draft_mark(dossier):
    for name in MAIN + CARDS[:1]:
        text = lines(dossier[name])
        assert not [t for t in text if "DỰ THẢO" in t or "dự kiến" in t.replace("\u00a0", " ")], \
            name


def test_no_quorum_proposal_is_a_draft_without_list(no_quorum):
    text = [t for t in lines(no_quorum[PROPOSAL]) if t]
    assert text[:2] == ["DỰ THẢO", NO_QUORUM_NOTE]                     # first lines
    assert text[text.index("Căn cứ Quy định về công tác thi đua, khen thưởng trên địa bàn tỉnh "
                           "An Bình (số …… ngày …… của Ủy ban nhân dân tỉnh);") + 1:][:3] == [
        "Căn cứ kết quả Hội nghị tổng kết Khối Thi đua các tổ chức Hội đặc thù tỉnh ngày 14 "
        "tháng 01 năm 2022 (Biên bản kèm theo),",
        "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh (Trưởng khối) kính báo cáo Chủ tịch Ủy ban "
        "nhân dân tỉnh An Bình: Hội nghị tổng kết " + QUORUM_8 + ", không đủ số thành viên theo "
        "quy định, nên chưa có đề nghị khen thưởng hợp lệ. Khối sẽ tổ chức lại việc bình xét và "
        "trình danh sách đề nghị khen thưởng sau.",
        "Kính báo cáo Chủ tịch Ủy ban nhân dân tỉnh An Bình./."]
    assert not [t for t in text if "Có danh sách" in t or "0 tập thể" in t]
    assert "DANH SÁCH" not in text                                       # no empty list
    tables = docx.Document(str(no_quorum[PROPOSAL])).tables
    assert len(tables) == 2                                  # header block, signing block only


def test_no_quorum_minutes_void_the_ballot(no_quorum):
    path = no_quorum[MINUTES]
    text = [t for t in lines(path) if t]
    assert "DỰ THẢO" not in text                    # the minutes record what happened
    void = ("Hội nghị không đủ số thành viên theo quy định (" + QUORUM_8 + ") nên kết quả bỏ "
            "phiếu dưới đây không có giá trị.")
    assert void in text
    rows = find_table(path, "STT")
    assert [r[-1] for r in rows] == ["Kết quả"] + ["Không có giá trị"] * 7
    assert rows[1] == ["1", "Hội Nhà báo tỉnh", "Cờ thi đua", "07", "46,67", "Không có giá trị"]
    conclusion = text[text.index("3. Kết luận") + 1:]
    assert conclusion[:2] == [
        "Hội nghị không đủ số thành viên theo quy định (" + QUORUM_8 + ") nên không có đề nghị "
        "khen thưởng nào hợp lệ; Khối sẽ tổ chức lại việc bình xét.",
        "- Theo quy chế của Khối, dự kiến Hội Nhà báo tỉnh làm Trưởng khối, Hội Liên hiệp thanh "
        "niên Việt Nam tỉnh làm Phó Trưởng khối năm 2022."]
    assert not [t for t in text if t.startswith("- Tặng") or t.startswith("Hội nghị thống nhất")]


def test_no_quorum_report_is_a_draft(no_quorum):
    text = [t for t in lines(no_quorum[REPORT]) if t]
    assert text[:2] == ["DỰ THẢO", NO_QUORUM_NOTE]
    section = text[text.index("III. KẾT QUẢ BÌNH XÉT, ĐỀ NGHỊ KHEN THƯỞNG") + 1:]
    assert section[:3] == [
        "Hội nghị tổng kết " + QUORUM_8 + ", không đủ số thành viên theo quy định, nên không có "
        "đề nghị khen thưởng nào hợp lệ; Khối sẽ tổ chức lại việc bình xét.",
        "IV. TRƯỞNG KHỐI, PHÓ TRƯỞNG KHỐI NĂM 2022",
        "Theo quy chế của Khối, dự kiến Hội Nhà báo tỉnh làm Trưởng khối và Hội Liên hiệp thanh "
        "niên Việt Nam tỉnh làm Phó Trưởng khối năm 2022."]
    rows = find_table(no_quorum[REPORT], "STT")
    assert rows[1][-1] == "Hội nghị không đủ số thành viên"


def test_no_ballot_proposal_and_list_are_drafts(no_ballot):
    path = no_ballot[PROPOSAL]
    text = [t for t in lines(path) if t]
    assert text[:2] == ["DỰ THẢO", NO_BALLOT_NOTE]
    assert ("Căn cứ kết quả chấm điểm thi đua năm 2021 của Khối Thi đua các tổ chức Hội đặc thù "
            "tỉnh (dự kiến, chờ hội nghị bỏ phiếu),") in text
    assert ("Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh (Trưởng khối) kính đề nghị Chủ tịch Ủy "
            "ban nhân dân tỉnh An Bình xem xét, khen thưởng 07 tập thể có thành tích xuất sắc "
            "trong phong trào thi đua năm 2021 (dự kiến, chờ hội nghị bỏ phiếu), gồm:") in text
    assert "(Có danh sách dự kiến và báo cáo thành tích kèm theo)." in text
    listing = text.index("DANH SÁCH")
    assert text[listing - 2:listing] == ["DỰ THẢO", NO_BALLOT_NOTE]      # the list's own page
    assert "Danh sách dự kiến có 07 tập thể./." in text
    rows = find_table(path, "STT")
    assert rows[2] == ["1", "Hội Nhà báo tỉnh", FLAG_LINE, "Dự kiến"]
    # The banner opens the Danh sách page (page break before it, none before DANH SÁCH).
    paragraphs = docx.Document(str(path)).paragraphs
    banners = [p for p in paragraphs if p.text == "DỰ THẢO"]
    assert [p.paragraph_format.page_break_before for p in banners] == [False, True]
    [title] = [p for p in paragraphs if p.text == "DANH SÁCH"]
    assert not title.paragraph_format.page_break_before


def test_no_ballot_report_is_a_draft(no_ballot):
    path = no_ballot[REPORT]
    text = [t for t in lines(path) if t]
    assert text[:2] == ["DỰ THẢO", NO_BALLOT_NOTE]
    assert any(t.endswith("Khối đã chấm điểm thi đua, chờ hội nghị bình xét.") for t in text)
    assert ("Hội nghị tổng kết chưa bỏ phiếu bình xét. Theo kết quả chấm điểm, Khối dự kiến đề "
            "nghị Chủ tịch Ủy ban nhân dân tỉnh An Bình khen thưởng 07 tập thể (dự kiến, chờ hội "
            "nghị bỏ phiếu):") in text
    assert "1. Cờ thi đua của Ủy ban nhân dân tỉnh: 02 tập thể" in text
    rows = find_table(path, "STT")
    assert rows[1][-1] == "Cờ thi đua (dự\u00a0kiến)"
    assert rows[4][-1] == "Bằng khen (dự\u00a0kiến)"
    annex = find_table(no_ballot[MAIN[3]], "STT")
    assert annex[1][-1] == "Cờ thi đua (dự\u00a0kiến)"


TIE_NOTE = "(chỉ tiêu Bằng khen còn bằng điểm chưa phân định, chờ Khối quyết định)"


def test_unresolved_tie_is_stated_in_proposal_minutes_and_report(tied):
    proposal = lines(tied[PROPOSAL])
    # A proposal to the province must not carry an undecided quota: a draft, although the
    # ballot was held with quorum (so the list keeps its vote counts, not "Dự kiến").
    assert [t for t in proposal if t][:2] == ["DỰ THẢO", TIE_NOTE]
    listing = proposal.index("DANH SÁCH")
    assert [t for t in proposal[:listing] if t][-2:] == ["DỰ THẢO", TIE_NOTE]
    rows = find_table(tied[PROPOSAL], "STT")
    assert rows[5] == ["1", "Hội Người cao tuổi tỉnh", CERT_LINE, "15/15 phiếu"]
    assert "Danh sách có 06 tập thể./." in proposal
    assert "(Có danh sách và báo cáo thành tích kèm theo)." in proposal
    start = proposal.index("- Cờ thi đua của Ủy ban nhân dân tỉnh: 02 tập thể;")
    assert proposal[start:start + 4] == [
        "- Cờ thi đua của Ủy ban nhân dân tỉnh: 02 tập thể;",
        "- Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 04 tập thể;",
        "- " + TIE,
        "(Có danh sách và báo cáo thành tích kèm theo)."]
    minutes = lines(tied[MINUTES])
    conclusion = minutes[minutes.index("3. Kết luận") + 1:]
    assert conclusion[2:5] == [
        "- Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho 04 tập thể: Hội Người cao tuổi "
        "tỉnh, Hội Khuyến học tỉnh, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh, Liên minh Hợp "
        "tác xã tỉnh;",
        "- " + TIE,
        "- Suy tôn Hội Nhà báo tỉnh làm Trưởng khối, Hội Liên hiệp thanh niên Việt Nam tỉnh làm "
        "Phó Trưởng khối năm 2022."]
    assert "DỰ THẢO" not in minutes                 # the minutes record the tie as it is
    ballots = find_table(tied[MINUTES], "STT")
    assert [r[1:] for r in ballots if r[1] in ("Hội Luật gia tỉnh",
                                               "Hội Văn học nghệ thuật tỉnh")] == [
        ["Hội Luật gia tỉnh", "Bằng khen", "10", "66,67", "Đạt (bằng điểm, chưa phân định)"],
        ["Hội Văn học nghệ thuật tỉnh", "Bằng khen", "10", "66,67",
         "Đạt (bằng điểm, chưa phân định)"]]
    report = lines(tied[REPORT])
    assert [t for t in report if t][:2] == ["DỰ THẢO", TIE_NOTE]
    assert report[report.index("- Liên minh Hợp tác xã tỉnh (101,5 điểm, xếp hạng 8);") + 1] == \
        "Còn bằng điểm chưa phân định. " + TIE


def test_nobody_nominated_gives_no_list(tmp_path):
    data = reference_round()                    # everyone on the ballot got 3 votes of 15
    facts = {code: dataclasses.replace(f, votes={k: None if v is None else 3
                                                 for k, v in f.votes.items()})
             for code, f in data.facts.items()}
    result = review(dataclasses.replace(data, facts=facts))
    assert result.quorum_ok is True and not any(result.nominees.values())
    assert not result.errors
    out = {p.name: p for p in write_dossier(result, tmp_path / "out")}
    text = [t for t in lines(out[PROPOSAL]) if t]
    assert ("Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh (Trưởng khối) kính báo cáo Chủ tịch Ủy "
            "ban nhân dân tỉnh An Bình: năm 2021, Khối không có tập thể nào được đề nghị khen "
            "thưởng.") in text
    assert "Kính báo cáo Chủ tịch Ủy ban nhân dân tỉnh An Bình./." in text
    assert not [t for t in text if "kèm theo)." in t and "Biên bản" not in t]
    assert "DANH SÁCH" not in text and "DỰ THẢO" not in text
    minutes = lines(out[MINUTES])
    assert minutes[minutes.index("3. Kết luận") + 1] == \
        "Không có tập thể nào được đề nghị khen thưởng."
    report = lines(out[REPORT])
    assert ("Tại Hội nghị tổng kết, các đơn vị thành viên đã bình xét, bỏ phiếu kín và không có "
            "tập thể nào được đề nghị khen thưởng.") in report
    assert dossier_warnings(result) == [
        "Không có tập thể nào được đề nghị khen thưởng: Tờ trình không kèm Danh sách."]


def test_dossier_warnings():
    assert dossier_warnings(review(reference_round())) == []
    assert dossier_warnings(review(no_quorum_round())) == [
        "Hội nghị không đủ số thành viên (" + QUORUM_8 + "): Tờ trình được đánh dấu DỰ THẢO, "
        "không có đề nghị khen thưởng nào hợp lệ và không kèm Danh sách; Biên bản ghi kết quả "
        "bỏ phiếu không có giá trị. Cần tổ chức lại hội nghị bình xét."]
    assert dossier_warnings(review(no_ballot_round())) == [
        "Chưa ghi kết quả bỏ phiếu của hội nghị (số thành viên có mặt và số phiếu): Tờ trình, "
        "Danh sách và Báo cáo được đánh dấu DỰ THẢO, danh sách đề nghị là dự kiến theo kết quả "
        "chấm điểm, chờ hội nghị bỏ phiếu."]
    assert dossier_warnings(review(tied_round())) == [
        "Còn bằng điểm chưa phân định ở chỉ tiêu Bằng khen: Hội Luật gia tỉnh và Hội Văn học "
        "nghệ thuật tỉnh bằng điểm trên mọi tiêu chí phân định; còn 01 chỉ tiêu chờ Khối quyết "
        "định. Tờ trình, Danh sách và Báo cáo được đánh dấu DỰ THẢO (không trình tỉnh khi chỉ "
        "tiêu chưa được quyết định); Biên bản và Báo cáo ghi rõ chỉ tiêu còn để ngỏ. Khối cần "
        "phân định (bổ sung tiêu chí phân định hoặc bỏ phiếu) rồi chạy lại."]


def test_dossier_context_flags():
    final = build_context(review(reference_round()))
    assert (final["final"], final["dossier"]["draft"], final["dossier"]["draft_note"]) == (
        True, False, "")
    assert final["nominee_count"] == 7 and final["ties"] == []
    void = build_context(review(no_quorum_round()))
    assert void["final"] is False
    assert void["dossier"] == {"final": False, "draft": True, "voted": False,
                               "draft_note": NO_QUORUM_NOTE.strip("()"), "no_ballot": False,
                               "no_quorum": True, "quorum_text": QUORUM_8,
                               "data_errors": False, "data_note": "", "errors": [],
                               "held": []}
    assert void["nominee_count"] == 0
    assert [(b["votes_text"], b["passed"], b["valid"], b["result"]) for b in void["ballots"]][:3] \
        == [("07", False, False, "Không có giá trị"), ("06", False, False, "Không có giá trị"),
            ("08", True, False, "Không có giá trị")]
    tied = build_context(review(tied_round()))
    assert tied["ties"] == [TIE]
    assert (tied["final"], tied["dossier"]["voted"], tied["dossier"]["draft_note"]) == (
        False, True, TIE_NOTE.strip("()"))


# ---------------------------------------------------------------------------------------------
# Review data errors make a draft: a vote count in doubt, a discipline mark in doubt, the
# conference's ballot figures

VOTE_NOTE = ("(số phiếu của Hội Nhà báo tỉnh có lỗi, chỗ trong chỉ tiêu Cờ thi đua được giữ lại "
             "đến khi sửa)")
HELD = ("Chỉ tiêu Cờ thi đua: số phiếu của Hội Nhà báo tỉnh có lỗi; 01 chỉ tiêu được giữ lại "
        "đến khi sửa.")
VOTE_ERROR = ("review-2021.csv!C8: số phiếu đồng ý 17 của HNB lớn hơn số thành viên của Khối "
              "(15)")


def with_votes(data: RoundInput, **votes: dict) -> RoundInput:
    """``data`` with some units' vote counts replaced: ``HNB={"emulation_flag": 17}``."""
    facts = dict(data.facts)
    for code, counts in votes.items():
        facts[code] = dataclasses.replace(facts[code], votes={**facts[code].votes, **counts})
    return dataclasses.replace(data, facts=facts)


def vote_error_round() -> RoundInput:
    """HNB's flag count typed 17 for 15 members: impossible, so its flag place is held."""
    return with_votes(reference_round(), HNB={"emulation_flag": 17})


@pytest.fixture(scope="module")
def vote_error(tmp_path_factory) -> dict[str, Path]:
    result = review(vote_error_round())
    assert [str(e) for e in result.errors] == [VOTE_ERROR]
    assert result.nominees["emulation_flag"] == ("HCTD",) and result.ballots
    return {p.name: p for p in write_dossier(result, tmp_path_factory.mktemp("vote-error"))}


def test_vote_error_makes_the_proposal_a_draft_naming_the_held_place(vote_error):
    text = [t for t in lines(vote_error[PROPOSAL]) if t]
    assert text[:2] == ["DỰ THẢO", VOTE_NOTE]
    start = text.index("- Cờ thi đua của Ủy ban nhân dân tỉnh: 01 tập thể;")
    assert text[start:start + 4] == [
        "- Cờ thi đua của Ủy ban nhân dân tỉnh: 01 tập thể;",
        "- Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 05 tập thể;",
        "- " + HELD,
        "(Có danh sách và báo cáo thành tích kèm theo)."]
    listing = text.index("DANH SÁCH")
    assert text[listing - 2:listing] == ["DỰ THẢO", VOTE_NOTE]
    rows = find_table(vote_error[PROPOSAL], "STT")
    assert rows[1:4] == [["I. CỜ THI ĐUA CỦA ỦY BAN NHÂN DÂN TỈNH (01 tập thể)"],
                         ["1", "Hội Chữ thập đỏ tỉnh", FLAG_LINE, "13/15 phiếu"],
                         ["II. BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH (05 tập thể)"]]


def test_vote_error_minutes_show_the_count_as_an_error(vote_error):
    path = vote_error[MINUTES]
    text = [t for t in lines(path) if t]
    assert text[:2] == ["DỰ THẢO", VOTE_NOTE]
    rows = find_table(path, "STT")
    assert rows[1] == ["1", "Hội Nhà báo tỉnh", "Cờ thi đua", "17", "", "Có lỗi"]
    assert rows[2] == ["2", "Hội Chữ thập đỏ tỉnh", "Cờ thi đua", "13", "86,67", "Đạt"]
    percents = [r[4] for r in rows[1:]]
    assert all(p == "" or float(p.replace(",", ".")) <= 100 for p in percents)
    notes = text.index("Số liệu bình xét có lỗi, cần kiểm tra và sửa trước khi thông qua Biên "
                       "bản:")
    assert text[notes + 1:notes + 3] == ["- " + VOTE_ERROR, "3. Kết luận"]
    [heading] = [p for p in docx.Document(str(path)).paragraphs if p.text == text[notes]]
    assert heading.paragraph_format.keep_with_next          # never alone at a page foot
    conclusion = text[notes + 3:]
    assert conclusion[1] == ("- Tặng Cờ thi đua của Ủy ban nhân dân tỉnh cho 01 tập thể: Hội Chữ "
                             "thập đỏ tỉnh;")
    assert conclusion[3] == "- " + HELD


def test_vote_error_report_is_a_draft_naming_the_held_place(vote_error):
    text = [t for t in lines(vote_error[REPORT]) if t]
    assert text[:2] == ["DỰ THẢO", VOTE_NOTE]
    assert text[text.index("- Hội Luật gia tỉnh (101,0 điểm, xếp hạng 9);") + 1] == \
        "Còn chỉ tiêu được giữ lại. " + HELD
    rows = find_table(vote_error[REPORT], "STT")
    assert rows[1] == ["1", "Hội Nhà báo tỉnh", "106,0", "106,0", "1", "HTXSNV",
                       "Dữ liệu có lỗi"]


def test_vote_error_warning_and_context():
    result = review(vote_error_round())
    assert dossier_warnings(result) == [
        "Số phiếu của Hội Nhà báo tỉnh có lỗi (" + VOTE_ERROR + "); chỗ trong chỉ tiêu Cờ thi "
        "đua được giữ lại, không chuyển cho đơn vị khác: Tờ trình, Danh sách, Báo cáo và Biên "
        "bản được đánh dấu DỰ THẢO; Biên bản ghi “Có lỗi” thay cho kết quả bỏ phiếu của đơn vị. "
        "Sửa số phiếu rồi chạy lại."]
    context = build_context(result)
    assert context["dossier"] == {
        "final": False, "draft": True, "voted": True, "draft_note": VOTE_NOTE.strip("()"),
        "no_ballot": False, "no_quorum": False,
        "quorum_text": "có mặt 15/15 đơn vị thành viên, tối thiểu cần 10 đơn vị theo tỉ lệ 2/3 "
                       "số thành viên",
        "data_errors": True, "data_note": VOTE_NOTE.strip("()"), "errors": [VOTE_ERROR],
        "held": [HELD]}
    [hnb] = [b for b in context["ballots"] if b["code"] == "HNB"]
    assert (hnb["percent"], hnb["passed"], hnb["flagged"], hnb["result"]) == (
        "", False, True, "Có lỗi")


def test_a_vote_count_in_doubt_outside_the_quota_holds_no_place():
    # HVHNT (rank 10, certificate quota full) with 16 certificate votes: in doubt, but the
    # list does not change, so no place is held; still a draft until corrected.
    result = review(with_votes(reference_round(), HVHNT={"certificate_of_merit": 16}))
    assert result.nominees["certificate_of_merit"] == ("HNCT", "HKH", "LHH", "LMHTX", "HLG")
    context = build_context(result)
    assert context["dossier"]["draft_note"] == "số phiếu của Hội Văn học nghệ thuật tỉnh có lỗi"
    assert context["dossier"]["held"] == []
    [row] = [b for b in context["ballots"] if b["code"] == "HVHNT"]
    assert (row["votes_text"], row["percent"], row["result"]) == ("16", "", "Có lỗi")


def test_discipline_error_makes_a_draft():
    error = DataError("review.csv", "B5", "cột disciplined chỉ nhận “x” hoặc để trống (đang là "
                      "“có”)", "HKH", kind=DISCIPLINE_ERROR)
    result = review(dataclasses.replace(reference_round(), read_errors=(error,)))
    assert "HKH" not in result.nominees["certificate_of_merit"]
    context = build_context(result)
    note = "dấu kỷ luật của Hội Khuyến học tỉnh có lỗi, chưa xét khen thưởng đến khi sửa"
    assert (context["final"], context["dossier"]["draft_note"],
            context["dossier"]["errors"]) == (False, note, [str(error)])
    [row] = [b for b in context["ballots"] if b["code"] == "HKH"]
    assert row["result"] == "Đạt (dữ liệu có lỗi)"        # the count is fine, the mark is not
    assert dossier_warnings(result) == [
        "Dấu kỷ luật của Hội Khuyến học tỉnh có lỗi (" + str(error) + "): đơn vị chưa được xét "
        "khen thưởng và chưa được xét làm Trưởng khối; Tờ trình, Danh sách, Báo cáo và Biên bản "
        "được đánh dấu DỰ THẢO. Sửa dữ liệu rồi chạy lại."]


def test_ballot_figures_error_makes_a_draft(tmp_path):
    data = reference_round()
    data = dataclasses.replace(data, conference=dataclasses.replace(data.conference,
                                                                    ballots_issued=16))
    result = review(data)
    note = ("số liệu bỏ phiếu của hội nghị có lỗi: số phiếu phát ra (16) lớn hơn số thành viên "
            "có mặt (15)")
    assert build_context(result)["dossier"]["draft_note"] == note
    assert dossier_warnings(result) == [
        "Số liệu bỏ phiếu của hội nghị có lỗi (Hội nghị: số phiếu phát ra (16) lớn hơn số thành "
        "viên có mặt (15)): Tờ trình, Danh sách, Báo cáo và Biên bản được đánh dấu DỰ THẢO. Sửa "
        "số liệu hội nghị rồi chạy lại."]
    out = {p.name: p for p in write_dossier(result, tmp_path / "out")}
    for name in (PROPOSAL, MINUTES, REPORT):
        assert [t for t in lines(out[name]) if t][:2] == ["DỰ THẢO", f"({note})"], name


# ---------------------------------------------------------------------------------------------
# Biên bản: why a unit that passed the vote is not on the list; Danh sách numbering


def test_passed_but_outside_the_quota_and_empty_flag_list(tmp_path):
    # Both flag candidates fail their vote (3 and 4 of 15); HVHNT (rank 10) gets 12
    # certificate votes but the five certificates went to better-ranked units.
    data = with_votes(reference_round(), HNB={"emulation_flag": 3}, HCTD={"emulation_flag": 4},
                      HVHNT={"certificate_of_merit": 12})
    result = review(data)
    assert result.nominees["emulation_flag"] == () and not result.errors
    out = {p.name: p for p in write_dossier(result, tmp_path / "out")}
    ballots = find_table(out[MINUTES], "STT")
    assert [r[1:] for r in ballots[1:3]] == [
        ["Hội Nhà báo tỉnh", "Cờ thi đua", "03", "20,00", "Không đạt"],
        ["Hội Chữ thập đỏ tỉnh", "Cờ thi đua", "04", "26,67", "Không đạt"]]
    assert ballots[-1][1:] == ["Hội Văn học nghệ thuật tỉnh", "Bằng khen", "12", "80,00",
                               "Đạt (ngoài chỉ tiêu)"]
    assert [r[-1] for r in ballots[3:-1]] == ["Đạt"] * 5
    rows = find_table(out[PROPOSAL], "STT")
    assert rows[1] == ["I. BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH (05 tập thể)"]
    assert len(rows) == 7


def test_passed_but_nominated_for_another_award():
    result = review(with_votes(reference_round(), HNB={"certificate_of_merit": 14}))
    rows = [b for b in build_context(result)["ballots"] if b["code"] == "HNB"]
    assert [(b["award_short_name"], b["result"]) for b in rows] == [
        ("Cờ thi đua", "Đạt"), ("Bằng khen", "Đạt (đã đề nghị Cờ thi đua)")]


# ---------------------------------------------------------------------------------------------
# Next year's leader and deputy: the engine's note is shown; no leader is said plainly

LHTN, DIOXIN = "Hội Liên hiệp thanh niên Việt Nam tỉnh", "Hội Nạn nhân chất độc da cam/dioxin tỉnh"


def test_a_disciplined_deputy_is_skipped_with_the_reason(tmp_path):
    data = reference_round()
    facts = dict(data.facts)
    facts["HNB"] = dataclasses.replace(facts["HNB"], disciplined=True)
    result = review(dataclasses.replace(data, facts=facts))
    assert (result.next_leader, result.next_deputy) == ("HLHTN", "HNNCDDC")
    assert result.leader_note == "Phó Trưởng khối HNB không đủ điều kiện kế nhiệm"
    out = {p.name: p for p in write_dossier(result, tmp_path / "out")}
    note = "(Phó Trưởng khối Hội Nhà báo tỉnh không đủ điều kiện kế nhiệm)"
    assert (f"- Suy tôn {LHTN} làm Trưởng khối, {DIOXIN} làm Phó Trưởng khối năm 2022 {note}."
            in lines(out[MINUTES]))
    report = lines(out[REPORT])
    assert report[report.index("IV. TRƯỞNG KHỐI, PHÓ TRƯỞNG KHỐI NĂM 2022") + 1] == (
        f"Hội nghị thống nhất suy tôn {LHTN} làm Trưởng khối và {DIOXIN} làm Phó Trưởng khối "
        f"năm 2022 {note}.")


def test_no_leader_says_the_conference_must_choose(tmp_path):
    # Voted leader HDY is disciplined in 2021: no leader; the voted deputy HNB stands.
    data = reference_round()
    bloc = dataclasses.replace(data.bloc, review=dataclasses.replace(data.bloc.review,
                                                                     leader_rule="vote"))
    conference = dataclasses.replace(data.conference, next_leader="HDY", next_deputy="HNB")
    result = review(dataclasses.replace(data, bloc=bloc, conference=conference))
    assert (result.next_leader, result.next_deputy) == (None, "HNB")
    out = {p.name: p for p in write_dossier(result, tmp_path / "out")}
    why = ("Chưa xác định được Trưởng khối năm 2022: Trưởng khối được bầu Hội Đông y tỉnh không "
           "đủ điều kiện trong năm. Hội nghị cần lựa chọn Trưởng khối năm 2022 theo quy chế của "
           "Khối.")
    minutes = lines(out[MINUTES])
    assert f"- {why} Suy tôn Hội Nhà báo tỉnh làm Phó Trưởng khối năm 2022." in minutes
    report = lines(out[REPORT])
    assert report[report.index("IV. TRƯỞNG KHỐI, PHÓ TRƯỞNG KHỐI NĂM 2022") + 1] == (
        f"{why} Hội nghị thống nhất suy tôn Hội Nhà báo tỉnh làm Phó Trưởng khối năm 2022.")
    assert not [t for t in minutes + report if "…… làm Trưởng khối" in t]


def test_no_leader_and_no_deputy_recorded():
    data = no_ballot_round()
    bloc = dataclasses.replace(data.bloc, review=dataclasses.replace(data.bloc.review,
                                                                     leader_rule="vote"))
    context = build_context(review(dataclasses.replace(data, bloc=bloc)))
    text = ("Chưa xác định được Trưởng khối năm 2022: chưa ghi kết quả bầu Trưởng khối; chưa ghi "
            "kết quả bầu Phó Trưởng khối. Hội nghị cần lựa chọn Trưởng khối, Phó Trưởng khối năm "
            "2022 theo quy chế của Khối.")
    assert context["succession"] == {"known": False, "minutes": text, "report": text}
    assert context["leader_note"] == ("chưa ghi kết quả bầu Trưởng khối; chưa ghi kết quả bầu "
                                      "Phó Trưởng khối")


# ---------------------------------------------------------------------------------------------
# Legal bases follow the documents' date

BASES_2003 = [
    "Căn cứ Luật Thi đua, Khen thưởng ngày 26 tháng 11 năm 2003;",
    "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Thi đua, Khen thưởng ngày 16 tháng 11 năm "
    "2013;",
    "Căn cứ Nghị định số 91/2017/NĐ-CP ngày 31 tháng 7 năm 2017 của Chính phủ quy định chi tiết "
    "thi hành một số điều của Luật Thi đua, khen thưởng;",
    "Căn cứ Thông tư số 12/2019/TT-BNV ngày 04 tháng 11 năm 2019 của Bộ Nội vụ quy định chi tiết "
    "thi hành một số điều của Nghị định số 91/2017/NĐ-CP;",
    "Căn cứ Quy định về công tác thi đua, khen thưởng trên địa bàn tỉnh An Bình (số …… ngày …… "
    "của Ủy ban nhân dân tỉnh);"]
# 01/01/2024 – 23/02/2024: the 2022 Law and Nghị định 98/2023; Thông tư 01/2024 not issued yet.
BASES_2022_EARLY = [
    "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
    "Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết "
    "thi hành một số điều của Luật Thi đua, khen thưởng;",
    BASES_2003[-1]]
BASES_2022 = BASES_2022_EARLY[:2] + [
    "Căn cứ Thông tư số 01/2024/TT-BNV ngày 24 tháng 02 năm 2024 của Bộ Nội vụ quy định biện "
    "pháp thi hành Luật Thi đua, khen thưởng;",
    BASES_2003[-1]]


def _bases(text: list[str]) -> list[str]:
    return [t for t in text if t.startswith("Căn cứ") and t.endswith(";")]


def test_legal_bases_of_documents_dated_before_2024(dossier):
    assert _bases(lines(dossier[PROPOSAL])) == BASES_2003           # dated 14/01/2022


@pytest.mark.parametrize(("date", "shown", "bases"), [
    ("20/01/2024", "An Bình, ngày 20 tháng 01 năm 2024", BASES_2022_EARLY),
    ("24/02/2024", "An Bình, ngày 24 tháng 02 năm 2024", BASES_2022),
])
def test_legal_bases_of_documents_dated_in_2024(tmp_path, date, shown, bases):
    out = rerender(tmp_path, with_documents(reference_round(), date=date))
    text = lines(out[PROPOSAL])
    assert shown in text
    assert _bases(text) == bases


@pytest.mark.parametrize(("date", "bases"), [
    (dt.date(2023, 12, 31), BASES_2003),
    (dt.date(2024, 1, 1), BASES_2022_EARLY),
    (dt.date(2024, 2, 23), BASES_2022_EARLY),        # Thông tư 01/2024 issued 24/02/2024
    (dt.date(2024, 2, 24), BASES_2022),
    (dt.date(2025, 1, 15), BASES_2022),
])
def test_default_legal_bases_by_era(date, bases):
    province = "Quy định về công tác thi đua, khen thưởng trên địa bàn tỉnh {tinh} (số …… ngày "
    filled = [f"Căn cứ {b.replace('{tinh}', 'An Bình')};" for b in default_legal_bases(date)]
    assert filled == bases
    assert default_legal_bases(date)[-1].startswith(province)


def test_legal_bases_without_a_date_follow_the_review_year():
    bloc = reference_round().bloc
    assert document_settings(bloc, None).legal_bases[0] == \
        "Luật Thi đua, Khen thưởng ngày 26 tháng 11 năm 2003"          # review of 2021 → 2022
    later = dataclasses.replace(bloc, year=2023)
    assert document_settings(later, None).legal_bases[0] == \
        "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"           # review of 2023 → 2024


# ---------------------------------------------------------------------------------------------
# Existing documents are not replaced unless asked


def test_existing_documents_are_not_overwritten(result, tmp_path):
    out = tmp_path / "out"
    write_dossier(result, out)
    edited = out / MINUTES
    edited.write_bytes(b"edited by hand")
    (out / CARDS[0]).unlink()
    with pytest.raises(DossierExistsError) as err:
        write_dossier(result, out)
    assert isinstance(err.value, ThiduaError)
    assert err.value.where == str(out)
    assert err.value.message == (
        "Thư mục đã có 18 tệp của hồ sơ (01 Bao cao tong ket 2021.docx, 02 Bien ban hoi nghi "
        "2021.docx, 03 To trinh de nghi khen thuong 2021.docx, 04 Bang tong hop ket qua cham "
        "diem 2021.docx, Phieu cham diem - HCTD.docx, và 13 tệp khác); không ghi đè để giữ các "
        "chỉnh sửa tay. Dùng --force để ghi đè, hoặc chọn thư mục khác.")
    assert len(err.value.existing) == 18
    assert edited.read_bytes() == b"edited by hand"
    assert not (out / CARDS[0]).exists()                 # refused before writing anything
    written = write_dossier(result, out, overwrite=True)
    assert len(written) == 19 and edited.read_bytes()[:2] == b"PK"
    assert (out / CARDS[0]).is_file()


def test_one_existing_document_is_named(result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / CARDS[3]).write_bytes(b"old")
    (out / "khac.docx").write_bytes(b"other")                # not a dossier file: ignored
    with pytest.raises(DossierExistsError) as err:
        write_dossier(result, out)
    assert err.value.message.startswith(
        "Thư mục đã có 1 tệp của hồ sơ (Phieu cham diem - HKH.docx); không ghi đè")
    assert sorted(p.name for p in out.iterdir()) == [CARDS[3], "khac.docx"]


def test_an_existing_pdf_is_not_overwritten_either(result, tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "find_soffice", lambda: pytest.fail("soffice called"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "02 Bien ban hoi nghi 2021.pdf").write_bytes(b"%PDF signed copy")
    write_dossier(result, out / "docx-only")             # a PDF elsewhere does not matter
    with pytest.raises(DossierExistsError) as err:
        write_dossier(result, out, pdf=True)
    assert "(02 Bien ban hoi nghi 2021.pdf)" in err.value.message
    assert [p.name for p in out.iterdir() if p.is_file()] == ["02 Bien ban hoi nghi 2021.pdf"]


# ---------------------------------------------------------------------------------------------
# Templates: errors, user overrides, variables


def test_undefined_variable_names_the_template_and_the_tag(result, tmp_path):
    folder = tmp_path / "mau"
    patched_template(folder, "bao-cao-tong-ket.docx", "{{ bloc.name }} gồm",
                     "{{ bloc.nmae }} gồm")
    with pytest.raises(TemplateError) as err:
        write_dossier(result, tmp_path / "out", templates=folder)
    assert err.value.where == str(folder / "bao-cao-tong-ket.docx")
    assert "“{{ bloc.nmae }}”" in err.value.message
    assert not (tmp_path / "out").exists()               # nothing written on an error


def test_broken_for_tag_names_the_template_and_the_tag(result, tmp_path):
    folder = tmp_path / "mau"
    patched_template(folder, "bien-ban-hoi-nghi.docx", "{%p for a in awards if a.count %}",
                     "{%p for a in %}")
    with pytest.raises(TemplateError) as err:
        write_dossier(result, tmp_path / "out", templates=folder)
    assert err.value.where == str(folder / "bien-ban-hoi-nghi.docx")
    assert "“{%p for a in %}”" in err.value.message


def test_missing_endfor_names_the_open_tag(result, tmp_path):
    folder = tmp_path / "mau"
    patched_template(folder, "to-trinh-khen-thuong.docx", "{%p endfor %}", "")
    with pytest.raises(TemplateError) as err:
        write_dossier(result, tmp_path / "out", templates=folder)
    assert err.value.message.startswith(
        "thẻ “{%p for b in legal_bases %}” thiếu thẻ đóng “{% endfor %}”")


def test_unknown_filter_names_the_tag(result, tmp_path):
    folder = tmp_path / "mau"
    patched_template(folder, "bao-cao-tong-ket.docx", "{{ bloc.name }} gồm",
                     "{{ bloc.name|khong_co }} gồm")
    with pytest.raises(TemplateError) as err:
        write_dossier(result, tmp_path / "out", templates=folder)
    assert err.value.message.startswith("lỗi cú pháp ở thẻ “{{ bloc.name|khong_co }}”")


def test_not_a_docx_template(result, tmp_path):
    folder = tmp_path / "mau"
    folder.mkdir()
    (folder / "phieu-cham-diem.docx").write_text("không phải Word", encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        write_dossier(result, tmp_path / "out", templates=folder)
    assert err.value.where.endswith("phieu-cham-diem.docx")
    assert "không phải tệp Word .docx" in err.value.message


def test_missing_template_folder(result, tmp_path):
    with pytest.raises(TemplateError) as err:
        write_dossier(result, tmp_path / "out", templates=tmp_path / "khong-co")
    assert err.value.where == str(tmp_path / "khong-co")


def test_user_template_overrides_the_shipped_one(result, tmp_path):
    folder = tmp_path / "mau"
    folder.mkdir()
    document = docx.Document()
    document.add_paragraph("Biên bản riêng của {{ bloc.name }}: {{ conference.present_text }}"
                           "/{{ conference.members_text }}")
    document.save(str(folder / "bien-ban-hoi-nghi.docx"))
    out = {p.name: p for p in write_dossier(result, tmp_path / "out", templates=folder)}
    assert lines(out["02 Bien ban hoi nghi 2021.docx"]) == [
        "Biên bản riêng của Khối Thi đua các tổ chức Hội đặc thù tỉnh: 15/15"]
    assert "BÁO CÁO" in lines(out["01 Bao cao tong ket 2021.docx"])      # others: shipped


def test_every_context_key_is_documented(result):
    documented = template_variables()
    keys = set(build_context(result)) | {"chart", "unit"}
    assert keys == set(documented)
    assert all(description.strip() for description in documented.values())


def test_shipped_templates_use_only_documented_variables():
    documented = set(template_variables())
    loop_names = {"u", "g", "a", "n", "d", "r", "b", "s", "l", "e", "v", "t", "h", "loop"}
    for template in sorted(templates_dir().glob("*.docx")):
        text = re.sub(r"<[^>]+>", "", document_xml(template))
        for expression in re.findall(r"\{\{(.*?)\}\}|\{%(.*?)%\}", text):
            for name in re.findall(r"(?<![\w.'])([a-z_]\w*)", " ".join(expression)):
                assert (name in documented or name in loop_names or name in {
                    "for", "in", "if", "endfor", "endif", "else", "not", "or", "and", "p",
                    "tr", "tc", "lower", "last", "index", "elif", "nobreak_tail"}), (template.name, name)


def test_shipped_templates_are_what_the_generator_builds(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_templates",
                                                  REPO_ROOT / "templates" / "make_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build_all(tmp_path)
    assert sorted(p.name for p in built) == sorted(p.name for p in templates_dir().glob("*.docx"))
    for path in built:
        assert path.read_bytes() == (templates_dir() / path.name).read_bytes(), path.name


def test_output_names_are_safe_and_files_are_replaced(result, tmp_path):
    out = tmp_path / "out"
    first = write_dossier(result, out)
    second = write_dossier(result, out, overwrite=True)
    assert first == second
    assert sorted(p.name for p in out.iterdir()) == sorted(MAIN + CARDS)
    assert all(p.name.isascii() for p in first)


def test_a_document_open_in_word_is_refused(result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "~$ Bien ban hoi nghi 2021.docx").write_bytes(b"owner")
    (out / "02 Bien ban hoi nghi 2021.docx").write_bytes(b"old")
    with pytest.raises(ThiduaError) as err:
        write_dossier(result, out, overwrite=True)
    assert err.value.where == str(out / "02 Bien ban hoi nghi 2021.docx")
    assert "đang mở" in err.value.message
    assert (out / "02 Bien ban hoi nghi 2021.docx").read_bytes() == b"old"
    assert not (out / MAIN[0]).exists()                  # refused before writing anything


def test_importing_reports_does_not_import_matplotlib():
    code = "import sys, thidua_xl.reports; print('matplotlib' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO_ROOT, check=True)
    assert run.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Formatting helpers


@pytest.mark.parametrize(("date", "text"), [
    (dt.date(2022, 1, 14), "ngày 14 tháng 01 năm 2022"),
    (dt.date(2020, 3, 5), "ngày 05 tháng 3 năm 2020"),
    (dt.date(2023, 2, 28), "ngày 28 tháng 02 năm 2023"),
    (dt.date(2021, 12, 31), "ngày 31 tháng 12 năm 2021"),
])
def test_date_text(date, text):
    assert date_text(date) == text


def test_format_helpers():
    assert date_text(None, year=2022) == "ngày …… tháng …… năm 2022"
    assert place_date("An Bình", dt.date(2022, 1, 14)) == "An Bình, ngày 14 tháng 01 năm 2022"
    assert place_date("", None, year=2022) == "Ngày …… tháng …… năm 2022"
    assert [percent(14, 15), percent(15, 15), percent(1, 3), percent(None, 15),
            percent(3, 0), percent(12, 15), percent(0, 15)] == [
        "93,33", "100,00", "33,33", "", "", "80,00", "0,00"]
    assert [signed_points(Decimal("0.5")), signed_points(Decimal("-1")),
            signed_points(Decimal(0)), signed_points(None)] == ["+0,5", "\u22121,0", "0,0", ""]
    assert [count_text(0), count_text(2), count_text(15), count_text(None)] == [
        "0", "02", "15", "……"]
    assert clean_text(" a\r\nb\x0bc\x07d\u200b ") == "a\nb\ncd"
    assert file_name('Báo cáo: "Khối" A/B <2021>?') == "Bao cao- -Khoi- A-B -2021--"
    assert [nobreak_tail("Hội đặc thù tỉnh"), nobreak_tail("tỉnh"), nobreak_tail(""),
            nobreak_tail(None)] == ["Hội đặc thù\u00a0tỉnh", "tỉnh", "", ""]
    assert file_name("CON") == "_CON"
    assert file_name("...") == "_"


# ---------------------------------------------------------------------------------------------
# PDF through LibreOffice


def test_pdf_without_libreoffice_is_a_clear_error(result, tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "find_soffice", lambda: None)
    with pytest.raises(ThiduaError) as err:
        write_dossier(result, tmp_path / "out", pdf=True)
    assert "Không tìm thấy LibreOffice" in err.value.message
    assert (tmp_path / "out" / MAIN[0]).is_file()          # the Word files are still there


def _pdf_pages(path: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1000", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.needs_office
def test_pdf_of_every_document(result, tmp_path):
    written = write_dossier(result, tmp_path / "out", pdf=True)
    pdfs = [p for p in written if p.suffix == ".pdf"]
    assert [p.stem for p in pdfs] == [Path(n).stem for n in MAIN + CARDS]
    texts = {p.name: _pdf_text(p) for p in pdfs}
    pages = {p.name: _pdf_pages(p) for p in pdfs}
    for name, sizes in pages.items():
        assert sizes, name
        for width, height in sizes:
            expected = (842, 595) if name.startswith("04 ") else (595, 842)
            assert (round(width), round(height)) == expected, name
    for name in MAIN[:3]:
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts[name.replace(".docx", ".pdf")]
    report = texts["01 Bao cao tong ket 2021.pdf"]
    assert "Hội Nhà báo tỉnh (106,0 điểm, xếp hạng 1)" in report
    proposal = " ".join(texts["03 To trinh de nghi khen thuong 2021.pdf"].split())
    for nominee in ("Hội Nhà báo tỉnh", "Hội Chữ thập đỏ tỉnh", "Hội Người cao tuổi tỉnh",
                    "Hội Khuyến học tỉnh", "Liên minh Hợp tác xã tỉnh", "Hội Luật gia tỉnh"):
        assert nominee in proposal
    assert "Cờ thi đua của Ủy ban nhân dân tỉnh: 02 tập thể" in proposal
    # Layout: the bloc's name is one title line; no line holds "tỉnh" alone (non-breaking
    # space before the last word of titles and of the leader's name on the score cards).
    layout = texts["03 To trinh de nghi khen thuong 2021.pdf"].splitlines()
    assert [t.strip() for t in layout].count("của Khối Thi đua các tổ chức Hội đặc thù tỉnh") == 2
    for name in ("03 To trinh de nghi khen thuong 2021.pdf", "Phieu cham diem - HNB.pdf",
                 "01 Bao cao tong ket 2021.pdf", "02 Bien ban hoi nghi 2021.pdf"):
        assert not re.search(r"^\s*tỉnh\s*$", texts[name], re.MULTILINE), name
    assert "100,00" in texts["02 Bien ban hoi nghi 2021.pdf"]
    assert "106,0" in texts["04 Bang tong hop ket qua cham diem 2021.pdf"]
    assert "PHIẾU CHẤM ĐIỂM THI ĐUA NĂM 2021" in texts["Phieu cham diem - HNB.pdf"]
    # Page numbers: none on page 1, "2" centred at the top of page 2.
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdfs[0]), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert page2.split()[0] == "2"
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdfs[0]), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert page1.split()[0] != "1"


def test_chart_is_a_png_with_every_vietnamese_glyph():
    import warnings

    from thidua_xl.reports.chart import DPI, bar_chart_png
    bars = [("Hội Người cao tuổi tỉnh", Decimal("103.5"), "certificate"),
            ("Hội Nạn nhân chất độc da cam/dioxin tỉnh", Decimal(93), ""),
            ("Hội Nhà báo tỉnh", Decimal(106), "flag")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # a missing glyph is a UserWarning
        png = bar_chart_png(bars, width_cm=16.0)
    from PIL import Image
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == int(16.0 / 2.54 * DPI)                 # 944 px at 150 dpi
    colours = {image.getpixel((x, y))[:3] for x in range(0, image.width, 4)
               for y in range(0, image.height, 4)}
    assert {(0xC0, 0x00, 0x00), (0xE3, 0xA2, 0x1A), (0xA6, 0xA6, 0xA6)} <= colours
