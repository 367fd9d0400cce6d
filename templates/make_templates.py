"""Build the shipped Word templates (``templates/*.docx``) reproducibly with python-docx.

Run ``python templates/make_templates.py`` from the repository root after changing this file;
commit the .docx it writes (they are the product: staff open and edit them in Word).  The same
input always gives byte-identical files (fixed zip timestamps and document properties).

Format: Nghị định 30/2020/NĐ-CP, Appendix I (domain.md §6, §8 "Word formatting"): A4;
margins top 20, bottom 20, left 30, right 15 mm; Times New Roman in every style and every run,
on all four font slots (ascii, hAnsi, eastAsia, cs) so no Vietnamese letter falls back to
another font; the issuer / national-title header block; page numbers centred in the top margin
from page 2.  Template tags are docxtpl's (Jinja2): ``{{ … }}``, ``{%p … %}`` paragraph tags,
``{%tr … %}`` row tags (each in a row of its own), ``{%tc … %}`` column tags.  The variables are
documented in ``thidua_xl.reports.template_variables()``; titles pass names through the filter
``nobreak_tail`` (the last two words stay on one line).  Rows of ruled tables never split
across pages and their header row repeats on every page.  While the dossier is not final
(``dossier.draft``), the Báo cáo, the Tờ trình and its Danh sách open with a "DỰ THẢO" line; so
does the Biên bản while the review data it prints has errors (``dossier.data_errors``).
Wording that depends on whether the conference voted uses ``dossier.voted``.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

FONT = "Times New Roman"
HERE = Path(__file__).resolve().parent

#: Template file name → builder; thidua_xl.reports.render uses the same file names.
TEMPLATES: dict[str, object] = {}

# Styles kept from python-docx's default template (the rest are removed so staff see only ours).
_KEEP_STYLES = {"Normal", "Default Paragraph Font", "Normal Table", "Table Grid", "No List"}

CENTER, LEFT, RIGHT, JUSTIFY = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT,
                                WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY)


def template(name: str):
    def register(builder):
        TEMPLATES[name] = builder
        return builder
    return register


# ---------------------------------------------------------------------------------------------
# Fonts and styles


def set_fonts(rpr) -> None:
    """Times New Roman on the four font slots of an ``w:rPr``; theme fonts removed (a theme
    attribute would override the explicit name)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del fonts.attrib[attr]
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), FONT)


def _rpr_of(element):
    rpr = element.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        element.append(rpr)
    return rpr


def setup_styles(doc) -> None:
    styles = doc.styles
    root = styles.element
    for style in list(root.findall(qn("w:style"))):
        name = style.find(qn("w:name"))
        if name is None or name.get(qn("w:val")) not in _KEEP_STYLES:
            root.remove(style)
    # Document defaults: Times New Roman 14 pt, Vietnamese, single spacing, nothing after.
    rpr = root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr)
    rpr.find(qn("w:sz")).set(qn("w:val"), "28")
    rpr.find(qn("w:szCs")).set(qn("w:val"), "28")
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "en-US")
    ppr = root.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")

    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.paragraph_format.space_after = Pt(0)

    def paragraph_style(name, style_id, *, size=14, bold=False, italic=False, align=None,
                        indent=None, after=0, line=None, keep_next=False):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.style_id = style_id
        style.base_style = normal
        style.quick_style = True
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = italic
        pf = style.paragraph_format
        pf.space_after = Pt(after)
        if align is not None:
            pf.alignment = align
        if indent is not None:
            pf.first_line_indent = Cm(indent)
        if line is not None:
            pf.line_spacing = line
        pf.keep_with_next = keep_next
        return style

    # Body text: justified, first-line indent 1 cm, 6 pt after, 1.15 lines (domain.md §8).
    paragraph_style("Nội dung", "NoiDung", align=JUSTIFY, indent=1, after=6, line=1.15)
    paragraph_style("Đề mục", "DeMuc", bold=True, align=JUSTIFY, indent=1, after=6, line=1.15,
                    keep_next=True)
    paragraph_style("Bảng", "Bang", size=12, line=1.0)
    paragraph_style("Bảng tiêu đề", "BangTieuDe", size=12, bold=True, align=CENTER)
    paragraph_style("Tên loại", "TenLoai", bold=True, align=CENTER)
    paragraph_style("Trích yếu", "TrichYeu", bold=True, align=CENTER)
    paragraph_style("Nơi nhận", "NoiNhan", size=11)

    for style in root.findall(qn("w:style")):
        set_fonts(_rpr_of(style))


def force_run_fonts(part_element) -> None:
    """Explicit Times New Roman on every run of a part (body, header, footer)."""
    for run in part_element.iter(qn("w:r")):
        rpr = run.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            run.insert(0, rpr)
        set_fonts(rpr)


# ---------------------------------------------------------------------------------------------
# Page set-up


def new_document(*, landscape: bool = False, title: str = ""):
    doc = Document()
    setup_styles(doc)
    section = doc.sections[0]
    page_setup(section, landscape=landscape)
    page_number_header(section)
    props = doc.core_properties
    props.title = title
    props.author = "thidua_xl"
    props.comments = ""
    props.last_modified_by = "thidua_xl"
    # The default template's first paragraph is empty: reuse it rather than leave a blank line.
    body = doc.element.body
    for p in body.findall(qn("w:p")):
        body.remove(p)
    return doc


def page_setup(section, *, landscape: bool = False) -> None:
    """A4, portrait or landscape; margins 20/20/30/15 mm (top, bottom, left, right)."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    short, long = Mm(210), Mm(297)
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin = Mm(20)
    section.bottom_margin = Mm(20)
    section.left_margin = Mm(30)
    section.right_margin = Mm(15)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def page_number_header(section) -> None:
    """Page number (PAGE field, 14 pt, centred) in the top margin, hidden on the first page."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    header = section.header
    header.is_linked_to_previous = False
    p = header.paragraphs[0]
    p.alignment = CENTER
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None),
                       ("text", "2"), ("end", None)):
        run = p.add_run()
        run.font.size = Pt(14)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)


# ---------------------------------------------------------------------------------------------
# Paragraphs and runs


def para(container, text: str = "", style: str | None = None, *, align=None, bold=None,
         italic=None, size=None, underline=None, before=None, after=None, keep_next=None):
    """Add a paragraph with one run of ``text`` (may hold template tags)."""
    p = container.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    if before is not None:
        p.paragraph_format.space_before = Pt(before)
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    if keep_next is not None:
        p.paragraph_format.keep_with_next = keep_next
    if text:
        add_run(p, text, bold=bold, italic=italic, size=size, underline=underline)
    return p


def add_run(p, text, *, bold=None, italic=None, size=None, underline=None):
    run = p.add_run(text)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic
    if size is not None:
        run.font.size = Pt(size)
    if underline is not None:
        run.underline = underline
    return run


def tag(container, text: str):
    """A paragraph holding only a docxtpl paragraph tag (``{%p … %}``); removed on render."""
    return para(container, text, "Bảng" if hasattr(container, "_tc") else None)


def rule(container, width_cm: float, column_cm: float, *, after: float = 6):
    """A short solid line, centred: an empty paragraph with a bottom border whose length is
    set by equal left/right indents (the line under the issuer, the motto and the summary)."""
    p = container.add_paragraph()
    pf = p.paragraph_format
    side = max((column_cm - width_cm) / 2, 0)
    pf.left_indent = Cm(side)
    pf.right_indent = Cm(side)
    pf.space_after = Pt(after)
    pf.line_spacing = Pt(5)      # exact: the border sits 5 pt under the text above
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    # pBdr must come before spacing/ind in pPr's schema order.
    ppr.insert(0, borders) if ppr.find(qn("w:pStyle")) is None else \
        ppr.find(qn("w:pStyle")).addnext(borders)
    return p


# ---------------------------------------------------------------------------------------------
# Tables


def table(container, rows: int, widths_cm: list[float], *, grid: bool = True,
          align=WD_TABLE_ALIGNMENT.CENTER):
    """A table with fixed column widths; ``grid`` = thin borders (style "Table Grid")."""
    t = container.add_table(rows=rows, cols=len(widths_cm))
    if grid:
        t.style = "Table Grid"
    t.alignment = align
    t.autofit = False
    grid_cols = t._tbl.tblGrid.findall(qn("w:gridCol"))
    for col, w in zip(grid_cols, widths_cm):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in t.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)
    tblpr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    if grid:                    # a ruled row cut by a page break is hard to read
        for row in t.rows:
            keep_together(row)
    return t


def cell_text(cell, text: str, style: str = "Bảng", *, align=None, bold=None, italic=None,
              size=None):
    """Put ``text`` in the cell's first paragraph."""
    p = cell.paragraphs[0]
    p.style = cell.part.document.styles[style]
    if align is not None:
        p.alignment = align
    if text:
        add_run(p, text, bold=bold, italic=italic, size=size)
    return p


def merged_row(t, index: int, text: str, style: str = "Bảng", **kw):
    """Merge a row's cells into one and write ``text`` (tag rows, group rows)."""
    row = t.rows[index]
    cell = row.cells[0].merge(row.cells[-1])
    cell_text(cell, text, style, **kw)
    return cell


def keep_together(row) -> None:
    """The row never breaks across pages (signing blocks)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def header_row(t, index: int, titles: list[str], *, size=None) -> None:
    """Column titles, repeated at the top of every page the table runs onto."""
    row = t.rows[index]
    trpr = row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    trpr.append(repeat)
    for cell, title in zip(row.cells, titles):
        cell_text(cell, title, "Bảng tiêu đề", size=size)


def fill_row(t, index: int, values: list[str], aligns: list | None = None, bold=None,
             size=None):
    for i, (cell, value) in enumerate(zip(t.rows[index].cells, values)):
        cell_text(cell, value, align=aligns[i] if aligns else None, bold=bold, size=size)


# ---------------------------------------------------------------------------------------------
# Blocks shared by the documents


LEFT_COL, RIGHT_COL = 6.5, 10.0   # cm; the text width is 16.5 cm (A4 minus 30 + 15 mm)


def national_title(cell) -> None:
    cell_text(cell, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Normal", align=CENTER, bold=True)
    cell.paragraphs[0].runs[0].font.size = Pt(12)
    para(cell, "Độc lập - Tự do - Hạnh phúc", align=CENTER, bold=True, size=13)
    rule(cell, 5.7, RIGHT_COL - 0.4, after=0)


def issuer_header(doc, number: str | None, date_line: str = "{{ place_date }}") -> None:
    """The two-column borderless header block (ND 30/2020): parent body and issuer, ``Số:``
    on the left; national title and motto, the italic place-and-date line on the right."""
    t = table(doc, 2, [LEFT_COL, RIGHT_COL], grid=False)
    left, right = t.rows[0].cells
    tag(left, "{%p if issuer.parent_body %}")
    para(left, "{{ issuer.parent_body|nobreak_tail }}", align=CENTER, size=13)
    tag(left, "{%p endif %}")
    para(left, "{{ issuer.name|nobreak_tail }}", align=CENTER, bold=True, size=13)
    left._tc.remove(left.paragraphs[0]._p)          # the cell's initial empty paragraph
    rule(left, 2.5, LEFT_COL - 0.4, after=0)
    national_title(right)
    num_cell, date_cell = t.rows[1].cells
    if number:
        cell_text(num_cell, f"Số: {number}", "Normal", align=CENTER)
        num_cell.paragraphs[0].runs[0].font.size = Pt(13)
    cell_text(date_cell, date_line, "Normal", align=CENTER, italic=True)
    para(doc, "", after=6)


def document_title(doc, kind: str, summary_lines: list[str]) -> None:
    para(doc, kind, "Tên loại", before=6)
    for line in summary_lines:
        para(doc, line, "Trích yếu")
    rule(doc, 3.5, 16.5, after=12)


def draft_banner(doc, *, page_break: bool = False, when: str = "dossier.draft",
                 note: str = "dossier.draft_note") -> None:
    """"DỰ THẢO" and why (``note``), right-aligned, while ``when`` holds (by default: while
    the dossier is not final); nothing otherwise.  ``page_break``: the banner opens a new page
    (Danh sách)."""
    tag(doc, f"{{%p if {when} %}}")
    p = para(doc, "DỰ THẢO", align=RIGHT, bold=True, size=14)
    p.paragraph_format.page_break_before = page_break
    para(doc, f"({{{{ {note} }}}})", align=RIGHT, italic=True, size=12, after=6)
    tag(doc, "{%p endif %}")


def recipients_and_signer(doc, *, prefix_lines: tuple[str, ...] = ()) -> None:
    """``Nơi nhận:`` block on the left, signing block on the right (ND 30/2020)."""
    para(doc, "", size=6, after=6, keep_next=True)
    t = table(doc, 1, [7.5, 9.0], grid=False)
    keep_together(t.rows[0])
    left, right = t.rows[0].cells
    cell_text(left, "Nơi nhận:", "Nơi nhận", bold=True, italic=True)
    left.paragraphs[0].runs[0].font.size = Pt(12)
    for line in prefix_lines:
        para(left, f"- {line}", "Nơi nhận")
    tag(left, "{%p for r in recipients %}")
    para(left, "- {{ r }}", "Nơi nhận")
    tag(left, "{%p endfor %}")
    signer_block(right, "{{ signer.title }}", "{{ signer.name }}",
                 capacity="{%p if signer.capacity %}")


def signer_block(cell, title: str, name: str, *, capacity: str | None = None,
                 note: str | None = None, blank_lines: int = 4) -> None:
    """Signing block in a cell: [capacity line (TM./KT.)], title, [note], space, name.
    ``capacity`` is the ``{%p if … %}`` tag guarding the capacity line."""
    if capacity:
        cell_text(cell, capacity, "Normal")
        para(cell, "{{ signer.capacity }}", align=CENTER, bold=True)
        tag(cell, "{%p endif %}")
        para(cell, title, align=CENTER, bold=True)
    else:
        cell_text(cell, title, "Normal", align=CENTER, bold=True)
    if note:
        para(cell, note, align=CENTER, italic=True, size=13)
    for _ in range(blank_lines):
        para(cell, "")
    para(cell, name, align=CENTER, bold=True)


# ---------------------------------------------------------------------------------------------
# 1. Báo cáo tổng kết


@template("bao-cao-tong-ket.docx")
def build_report():
    doc = new_document(title="Báo cáo tổng kết công tác thi đua, khen thưởng")
    draft_banner(doc)
    issuer_header(doc, "{{ numbers.report }}")
    document_title(doc, "BÁO CÁO", [
        "Tổng kết công tác thi đua, khen thưởng năm {{ bloc.year }}",
        "của {{ bloc.name|nobreak_tail }}"])
    body = "Nội dung"
    para(doc, "I. ĐẶC ĐIỂM TÌNH HÌNH", "Đề mục")
    para(doc, "{{ bloc.name }} gồm {{ bloc.unit_count_text }} đơn vị thành viên. Năm "
              "{{ bloc.year }}, {{ leader.name }} là Trưởng khối{% if deputy.known %}, "
              "{{ deputy.name }} là Phó Trưởng khối{% endif %}. Các đơn vị thành viên đã đăng "
              "ký, ký kết giao ước thi đua, tự chấm điểm theo Bảng tiêu chí chấm điểm của "
              "Khối; Khối đã chấm điểm{% if dossier.voted %}, bình xét thi đua tại Hội nghị tổng kết "
              "{{ conference.date_text }}{% elif dossier.no_quorum %} và tổ chức Hội nghị tổng "
              "kết {{ conference.date_text }}{% else %} thi đua, chờ hội nghị bình xét{% endif %}"
              ".", body)
    para(doc, "II. KẾT QUẢ CHẤM ĐIỂM THI ĐUA", "Đề mục")
    para(doc, "Kết quả xếp loại các đơn vị thành viên:", body)
    tag(doc, "{%p for g in grades if g.count %}")
    para(doc, "- {{ g.name }}: {{ g.count_text }} đơn vị;", body)
    tag(doc, "{%p endfor %}")
    para(doc, "Kết quả chấm điểm, xếp hạng (chi tiết tại Bảng tổng hợp kèm theo):", body,
         keep_next=True)
    widths = [1.3, 5.2, 1.7, 1.7, 1.5, 2.2, 2.9]
    t = table(doc, 4, widths)
    header_row(t, 0, ["STT", "Đơn vị", "Tự chấm", "Tổng điểm", "Xếp hạng", "Xếp loại",
                      "Kết quả bình xét"])
    merged_row(t, 1, "{%tr for u in units %}")
    fill_row(t, 2, ["{{ u.stt }}", "{{ u.name }}", "{{ u.self_total }}", "{{ u.total }}",
                    "{{ u.rank_text }}", "{{ u.grade }}", "{{ u.outcome }}"],
             [CENTER, LEFT, CENTER, CENTER, CENTER, CENTER, CENTER])
    merged_row(t, 3, "{%tr endfor %}")
    para(doc, "", after=6)
    para(doc, "{{ chart }}", align=CENTER, keep_next=True)
    para(doc, "Biểu đồ tổng điểm thi đua năm {{ bloc.year }} của các đơn vị (màu đỏ: đề nghị "
              "Cờ thi đua; màu vàng: đề nghị Bằng khen)", align=CENTER, italic=True, size=12,
         after=6)
    para(doc, "III. KẾT QUẢ BÌNH XÉT, ĐỀ NGHỊ KHEN THƯỞNG", "Đề mục")
    tag(doc, "{%p if dossier.no_quorum %}")
    para(doc, "Hội nghị tổng kết {{ dossier.quorum_text }}, không đủ số thành viên theo quy "
              "định, nên không có đề nghị khen thưởng nào hợp lệ; Khối sẽ tổ chức lại việc "
              "bình xét.", body)
    tag(doc, "{%p else %}")
    tag(doc, "{%p if dossier.voted %}")
    para(doc, "Tại Hội nghị tổng kết, các đơn vị thành viên đã bình xét, bỏ phiếu kín và "
              "{% if nominee_count %}thống nhất đề nghị {{ addressee }} khen thưởng "
              "{{ nominee_count_text }} tập thể:{% else %}không có tập thể nào được đề nghị "
              "khen thưởng.{% endif %}", body)
    tag(doc, "{%p else %}")
    para(doc, "Hội nghị tổng kết chưa bỏ phiếu bình xét. Theo kết quả chấm điểm, Khối "
              "{% if nominee_count %}dự kiến đề nghị {{ addressee }} khen thưởng "
              "{{ nominee_count_text }} tập thể (dự kiến, chờ hội nghị bỏ phiếu):{% else %}"
              "không có tập thể nào đủ điều kiện dự kiến đề nghị khen thưởng.{% endif %}", body)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for a in awards if a.count %}")
    para(doc, "{{ loop.index }}. {{ a.name }}: {{ a.count_text }} tập thể", body, bold=True)
    tag(doc, "{%p for n in a.nominees %}")
    para(doc, "- {{ n.name }} ({{ n.total }} điểm, xếp hạng {{ n.rank_text }});", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for h in dossier.held %}")
    para(doc, "Còn chỉ tiêu được giữ lại. {{ h }}", body, italic=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for t in ties %}")
    para(doc, "Còn bằng điểm chưa phân định. {{ t }}", body, italic=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "IV. TRƯỞNG KHỐI, PHÓ TRƯỞNG KHỐI NĂM {{ bloc.next_year }}", "Đề mục")
    para(doc, "{{ succession.report }}", body)
    para(doc, "V. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {{ bloc.next_year }}", "Đề mục")
    tag(doc, "{%p for d in directions %}")
    para(doc, "{{ loop.index }}. {{ d }}", body)
    tag(doc, "{%p endfor %}")
    para(doc, "Trên đây là báo cáo tổng kết công tác thi đua, khen thưởng năm {{ bloc.year }} "
              "của {{ bloc.name }}./.", body, keep_next=True)
    recipients_and_signer(doc)
    return doc


# ---------------------------------------------------------------------------------------------
# 2. Biên bản hội nghị


@template("bien-ban-hoi-nghi.docx")
def build_minutes():
    doc = new_document(title="Biên bản hội nghị tổng kết, bình xét thi đua")
    # The minutes record the conference: a draft only while the figures they print are wrong.
    draft_banner(doc, when="dossier.data_errors", note="dossier.data_note")
    issuer_header(doc, "{{ numbers.minutes }}", "{{ conference.place_date }}")
    document_title(doc, "BIÊN BẢN", [
        "Hội nghị tổng kết công tác thi đua, khen thưởng năm {{ bloc.year }}",
        "và bình xét thi đua của {{ bloc.name|nobreak_tail }}"])
    body = "Nội dung"
    para(doc, "Thời gian: vào hồi …… giờ …… phút, {{ conference.date_text }}.", body)
    para(doc, "Địa điểm: {{ conference.place }}.", body)
    para(doc, "Chủ trì: {{ conference.chair or '……' }}", body)
    para(doc, "Thư ký: {{ conference.secretary or '……' }}", body)
    para(doc, "Thành phần: đại diện lãnh đạo các đơn vị thành viên {{ bloc.name }}. "
              "{{ conference.quorum_sentence }}", body)
    para(doc, "NỘI DUNG HỘI NGHỊ", "Tên loại", before=6, after=6)
    para(doc, "1. Tổng kết công tác thi đua, khen thưởng năm {{ bloc.year }}", "Đề mục")
    para(doc, "Hội nghị nghe {{ leader.name }} (Trưởng khối) báo cáo tổng kết công tác thi "
              "đua, khen thưởng năm {{ bloc.year }} và thông qua kết quả chấm điểm thi đua của "
              "các đơn vị thành viên (Bảng tổng hợp kèm theo).", body)
    para(doc, "2. Bình xét thi đua", "Đề mục")
    tag(doc, "{%p if conference.ballots %}")
    para(doc, "Hội nghị bỏ phiếu kín: số phiếu phát ra {{ conference.ballots_issued_text }}, "
              "số phiếu thu về hợp lệ {{ conference.ballots_valid_text }}, không hợp lệ "
              "{{ conference.ballots_invalid_text }}. Kết quả (tỉ lệ tính trên tổng số "
              "{{ conference.members_text }} đơn vị thành viên):", body, keep_next=True)
    tag(doc, "{%p if dossier.no_quorum %}")
    para(doc, "Hội nghị không đủ số thành viên theo quy định ({{ dossier.quorum_text }}) nên "
              "kết quả bỏ phiếu dưới đây không có giá trị.", body, bold=True, keep_next=True)
    tag(doc, "{%p endif %}")
    widths = [1.2, 5.0, 3.0, 2.1, 1.9, 3.3]
    t = table(doc, 4, widths)
    header_row(t, 0, ["STT", "Đơn vị", "Hình thức khen thưởng", "Số phiếu đồng ý",
                      "Tỉ lệ (%)", "Kết quả"])
    merged_row(t, 1, "{%tr for b in ballots %}")
    fill_row(t, 2, ["{{ b.stt }}", "{{ b.name }}", "{{ b.award_short_name }}",
                    "{{ b.votes_text }}", "{{ b.percent }}", "{{ b.result }}"],
             [CENTER, LEFT, LEFT, CENTER, CENTER, CENTER])
    merged_row(t, 3, "{%tr endfor %}")
    para(doc, "", after=6)
    tag(doc, "{%p else %}")
    para(doc, "Hội nghị chưa ghi nhận kết quả bỏ phiếu; danh sách dưới đây là dự kiến theo kết "
              "quả chấm điểm.", body)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if dossier.data_errors %}")
    para(doc, "Số liệu bình xét có lỗi, cần kiểm tra và sửa trước khi thông qua Biên bản:", body,
         bold=True, keep_next=True)
    tag(doc, "{%p for e in dossier.errors %}")
    para(doc, "- {{ e }}", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "3. Kết luận", "Đề mục")
    tag(doc, "{%p if dossier.no_quorum %}")
    para(doc, "Hội nghị không đủ số thành viên theo quy định ({{ dossier.quorum_text }}) nên "
              "không có đề nghị khen thưởng nào hợp lệ; Khối sẽ tổ chức lại việc bình xét.",
         body)
    tag(doc, "{%p elif nominee_count %}")
    para(doc, "Hội nghị thống nhất {% if not dossier.voted %}dự kiến {% endif %}đề nghị "
              "{{ addressee }}:", body)
    tag(doc, "{%p for a in awards if a.count %}")
    para(doc, "- Tặng {{ a.name }} cho {{ a.count_text }} tập thể: {% for n in a.nominees %}"
              "{{ n.name }}{% if not loop.last %}, {% endif %}{% endfor %};", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Không có tập thể nào được {% if not dossier.voted %}dự kiến {% endif %}đề nghị "
              "khen thưởng.", body)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for h in dossier.held %}")
    para(doc, "- {{ h }}", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for t in ties %}")
    para(doc, "- {{ t }}", body)
    tag(doc, "{%p endfor %}")
    para(doc, "- {{ succession.minutes }}", body)
    para(doc, "Hội nghị kết thúc vào hồi …… giờ …… phút cùng ngày. Biên bản đã được đọc lại và "
              "thông qua tại Hội nghị./.", body, keep_next=True)
    para(doc, "", size=6, after=6, keep_next=True)
    t = table(doc, 1, [8.25, 8.25], grid=False)
    keep_together(t.rows[0])
    for cell, title, name in ((t.rows[0].cells[0], "THƯ KÝ", "{{ conference.secretary }}"),
                              (t.rows[0].cells[1], "CHỦ TRÌ", "{{ conference.chair }}")):
        signer_block(cell, title, name, note="(Ký, ghi rõ họ tên)")
    return doc


# ---------------------------------------------------------------------------------------------
# 3. Tờ trình + Danh sách


@template("to-trinh-khen-thuong.docx")
def build_proposal():
    doc = new_document(title="Tờ trình đề nghị khen thưởng")
    draft_banner(doc)
    issuer_header(doc, "{{ numbers.proposal }}")
    document_title(doc, "TỜ TRÌNH", [
        "Về việc đề nghị khen thưởng các tập thể có thành tích xuất sắc",
        "trong phong trào thi đua năm {{ bloc.year }}",
        "của {{ bloc.name|nobreak_tail }}"])
    para(doc, "Kính gửi: {{ addressee }}", align=CENTER)
    para(doc, "(qua {{ commendation_board }})", align=CENTER, italic=True, after=12)
    body = "Nội dung"
    tag(doc, "{%p for b in legal_bases %}")
    para(doc, "Căn cứ {{ b }}", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if dossier.no_quorum %}")
    para(doc, "Căn cứ kết quả Hội nghị tổng kết {{ bloc.name }} {{ conference.date_text }} "
              "(Biên bản kèm theo),", body)
    para(doc, "{{ leader.name }} (Trưởng khối) kính báo cáo {{ addressee }}: Hội nghị tổng kết "
              "{{ dossier.quorum_text }}, không đủ số thành viên theo quy định, nên chưa có đề "
              "nghị khen thưởng hợp lệ. Khối sẽ tổ chức lại việc bình xét và trình danh sách đề "
              "nghị khen thưởng sau.", body)
    tag(doc, "{%p else %}")
    tag(doc, "{%p if dossier.voted %}")
    para(doc, "Căn cứ kết quả chấm điểm, bình xét thi đua năm {{ bloc.year }} tại Hội nghị tổng "
              "kết {{ bloc.name }} {{ conference.date_text }} (Biên bản kèm theo),", body)
    tag(doc, "{%p else %}")
    para(doc, "Căn cứ kết quả chấm điểm thi đua năm {{ bloc.year }} của {{ bloc.name }} (dự "
              "kiến, chờ hội nghị bỏ phiếu),", body)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if nominee_count %}")
    para(doc, "{{ leader.name }} (Trưởng khối) kính đề nghị "
              "{{ addressee }} xem xét, khen thưởng {{ nominee_count_text }} tập thể có thành "
              "tích xuất sắc trong phong trào thi đua năm {{ bloc.year }}{% if not dossier.voted %} "
              "(dự kiến, chờ hội nghị bỏ phiếu){% endif %}, gồm:", body)
    tag(doc, "{%p for a in awards if a.count %}")
    para(doc, "- {{ a.name }}: {{ a.count_text }} tập thể;", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "{{ leader.name }} (Trưởng khối) kính báo cáo {{ addressee }}: năm "
              "{{ bloc.year }}, Khối không có tập thể nào được {% if not dossier.voted %}dự kiến "
              "{% endif %}đề nghị khen thưởng.", body)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for h in dossier.held %}")
    para(doc, "- {{ h }}", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for t in ties %}")
    para(doc, "- {{ t }}", body)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if nominee_count %}")
    para(doc, "(Có danh sách {% if not dossier.voted %}dự kiến {% endif %}và báo cáo thành tích kèm "
              "theo).", body, italic=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    # The closing line goes with the signing block: a signature never stands alone on a page.
    para(doc, "{% if nominee_count %}Kính trình {{ addressee }} xem xét, quyết định./.{% else %}"
              "Kính báo cáo {{ addressee }}./.{% endif %}", body, keep_next=True)
    recipients_and_signer(doc, prefix_lines=("Như trên;",))

    # Danh sách, only when someone is on it: on a new page ("page break before" rather than a
    # section break, whose empty paragraph could spill onto a page of its own when the Tờ
    # trình fills page 1); the draft banner, when there is one, opens the page.
    tag(doc, "{%p if nominee_count %}")
    draft_banner(doc, page_break=True)
    tag(doc, "{%p if dossier.draft %}")
    para(doc, "DANH SÁCH", "Tên loại")
    tag(doc, "{%p else %}")
    para(doc, "DANH SÁCH", "Tên loại").paragraph_format.page_break_before = True
    tag(doc, "{%p endif %}")
    para(doc, "Đề nghị khen thưởng các tập thể có thành tích xuất sắc", "Trích yếu")
    para(doc, "trong phong trào thi đua năm {{ bloc.year }}", "Trích yếu")
    para(doc, "của {{ bloc.name|nobreak_tail }}", "Trích yếu")
    para(doc, "(Kèm theo Tờ trình số {{ numbers.proposal }} {{ date_text }} của "
              "{{ leader.name|nobreak_tail }})", align=CENTER, italic=True)
    rule(doc, 3.5, 16.5, after=12)
    widths = [1.3, 5.2, 7.5, 2.5]
    t = table(doc, 7, widths)
    header_row(t, 0, ["STT", "Tên tập thể", "Thành tích", "Ghi chú"])
    merged_row(t, 1, "{%tr for a in awards if a.count %}")
    merged_row(t, 2, "{{ a.roman }}. {{ a.name_upper }} ({{ a.count_text }} tập thể)",
               bold=True)
    merged_row(t, 3, "{%tr for n in a.nominees %}")
    fill_row(t, 4, ["{{ loop.index }}", "{{ n.name }}", "{{ n.reason_line }}",
                    "{% if dossier.voted %}{{ n.votes_text }}/{{ conference.members }} phiếu"
                    "{% else %}Dự kiến{% endif %}"],
             [CENTER, LEFT, JUSTIFY, CENTER])
    merged_row(t, 5, "{%tr endfor %}")
    merged_row(t, 6, "{%tr endfor %}")
    para(doc, "", after=6)
    para(doc, "Danh sách {% if not dossier.voted %}dự kiến {% endif %}có {{ nominee_count_text }} tập "
              "thể./.", "Nội dung", italic=True)
    tag(doc, "{%p endif %}")
    return doc


# ---------------------------------------------------------------------------------------------
# 4. Phiếu chấm điểm (one per unit)


@template("phieu-cham-diem.docx")
def build_score_card():
    doc = new_document(title="Phiếu chấm điểm thi đua")
    t = table(doc, 1, [LEFT_COL, RIGHT_COL], grid=False)
    left, right = t.rows[0].cells
    cell_text(left, "{{ bloc.name_upper|nobreak_tail }}", "Normal", align=CENTER, bold=True)
    left.paragraphs[0].runs[0].font.size = Pt(12)
    rule(left, 2.5, LEFT_COL - 0.4, after=0)
    national_title(right)
    para(doc, "", after=6)
    para(doc, "PHIẾU CHẤM ĐIỂM THI ĐUA NĂM {{ bloc.year }}", "Tên loại", before=6)
    para(doc, "Đơn vị: {{ unit.name|nobreak_tail }}", "Trích yếu", after=12)
    widths = [1.4, 5.6, 1.5, 1.5, 1.5, 1.6, 3.4]
    t = table(doc, 9, widths)
    header_row(t, 0, ["Mã", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Khối chấm", "Chênh lệch",
                      "Minh chứng"])
    merged_row(t, 1, "{%tr for s in unit.sections %}")
    fill_row(t, 2, ["{{ s.code }}", "{{ s.title }}",
                    "{{ s.max_points }}", "{{ s.self_total }}", "{{ s.total }}", "", ""],
             [CENTER, LEFT, CENTER, CENTER, CENTER, CENTER, LEFT], bold=True)
    merged_row(t, 3, "{%tr for l in s.lines %}")
    fill_row(t, 4, ["{{ l.code }}", "{{ l.text }}{% if l.critical %} (*){% endif %}",
                    "{{ l.max_points }}", "{{ l.self_score }}", "{{ l.official }}",
                    "{{ l.difference }}", "{{ l.evidence }}"],
             [CENTER, LEFT, CENTER, CENTER, CENTER, CENTER, LEFT])
    merged_row(t, 5, "{%tr endfor %}")
    merged_row(t, 6, "{%tr endfor %}")
    total = t.rows[7]
    first = total.cells[0].merge(total.cells[1])
    cell_text(first, "TỔNG ĐIỂM", align=CENTER, bold=True)
    for cell, value in zip(total.cells[2:], ["{{ bloc.base_points }}", "{{ unit.self_total }}",
                                              "{{ unit.total }}", "{{ unit.total_difference }}",
                                              ""]):
        cell_text(cell, value, align=CENTER, bold=True)
    merged_row(t, 8, "Trong đó: điểm chuẩn {{ unit.base }}; điểm thưởng {{ unit.bonus }} (tối "
                     "đa {{ bloc.bonus_cap }}); điểm trừ {{ unit.deductions }}. (*) Tiêu chí "
                     "bắt buộc: được 0 điểm thì không được xét khen thưởng.", italic=True)
    para(doc, "", after=6)
    para(doc, "Xếp loại: {{ unit.grade_name or '……' }}{% if unit.rank_text %}; xếp hạng "
              "{{ unit.rank_text }}/{{ bloc.unit_count }}{% endif %}.", "Nội dung", bold=True)
    tag(doc, "{%p if unit.errors %}")
    para(doc, "Dữ liệu của đơn vị còn lỗi, chưa tính tổng điểm:", "Nội dung")
    tag(doc, "{%p for e in unit.errors %}")
    para(doc, "- {{ e }}", "Nội dung")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "{{ conference.place_date }}", align=RIGHT, italic=True, before=6, after=6)
    t = table(doc, 1, [8.25, 8.25], grid=False)
    keep_together(t.rows[0])
    left, right = t.rows[0].cells
    signer_block(left, "ĐẠI DIỆN ĐƠN VỊ", "", note="(Ký, ghi rõ họ tên, đóng dấu)")
    signer_block(right, "TRƯỞNG KHỐI", "", note="{{ leader.name|nobreak_tail }}")
    return doc


# ---------------------------------------------------------------------------------------------
# 5. Bảng tổng hợp (landscape annex)


@template("bang-tong-hop.docx")
def build_annex():
    doc = new_document(landscape=True, title="Bảng tổng hợp kết quả chấm điểm")
    para(doc, "Phụ lục", align=CENTER, bold=True)
    para(doc, "BẢNG TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM THI ĐUA NĂM {{ bloc.year }}", "Tên loại")
    para(doc, "{{ bloc.name_upper|nobreak_tail }}", "Trích yếu")
    para(doc, "(Kèm theo Báo cáo số {{ numbers.report }} {{ date_text }} của "
              "{{ leader.name|nobreak_tail }})",
         align=CENTER, italic=True)
    rule(doc, 3.5, 25.2, after=12)
    # Section columns repeat with {%tc for %}; render.py fits the widths to the page.
    widths = [1.2, 5.0, 0.4, 1.5, 0.4, 1.6, 1.4, 1.6, 1.6, 1.4, 2.0, 3.3]
    t = table(doc, 4, widths)
    titles = ["STT", "Đơn vị", "{%tc for s in standard_sections %}",
              "Mục {{ s.code }} ({{ s.max_points }})", "{%tc endfor %}", "Điểm thưởng",
              "Điểm trừ", "Tự chấm", "Tổng điểm", "Xếp hạng", "Xếp loại", "Kết quả bình xét"]
    header_row(t, 0, titles, size=11)
    merged_row(t, 1, "{%tr for u in units %}")
    fill_row(t, 2, ["{{ u.stt }}", "{{ u.name }}", "{%tc for v in u.section_totals %}",
                    "{{ v }}", "{%tc endfor %}", "{{ u.bonus }}", "{{ u.deductions }}",
                    "{{ u.self_total }}", "{{ u.total }}", "{{ u.rank_text }}", "{{ u.grade }}",
                    "{{ u.outcome }}"],
             [CENTER, LEFT] + [CENTER] * 10, size=11)
    merged_row(t, 3, "{%tr endfor %}")
    para(doc, "", after=6)
    para(doc, "Xếp loại: {% for g in grades %}{{ g.code }} – {{ g.name }} (từ {{ g.min_total }} "
              "điểm){% if not loop.last %}; {% endif %}{% endfor %}.", "Nội dung", size=12)
    return doc


# ---------------------------------------------------------------------------------------------


def finish(doc) -> bytes:
    """Fonts on every run, then a byte-stable .docx (fixed zip entry times)."""
    force_run_fonts(doc.element.body)
    for section in doc.sections:
        for part in (section.header, section.first_page_header):
            if not part.is_linked_to_previous:
                force_run_fonts(part._element)
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


def build_all(folder: Path = HERE) -> list[Path]:
    """Write every template into ``folder``; return their paths."""
    paths = []
    for name, builder in TEMPLATES.items():
        path = folder / name
        path.write_bytes(finish(builder()))
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written in build_all(target):
        print(written)
