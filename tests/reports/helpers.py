"""Reading generated .docx files back for the report tests (python-docx + lxml)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
SLOTS = ("ascii", "hAnsi", "eastAsia", "cs")


def lines(path: Path) -> list[str]:
    """Every paragraph's text in document order, table cells included (row by row)."""
    return list(_walk(docx.Document(str(path))))


def _walk(container):
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                seen = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:        # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    yield from _walk(cell)


def table_rows(path: Path, index: int) -> list[list[str]]:
    """Cell texts of the document's ``index``-th top-level table (merged cells once)."""
    table = docx.Document(str(path)).tables[index]
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text)
        rows.append(cells)
    return rows


def find_table(path: Path, first_header: str) -> list[list[str]]:
    """Rows of the first table whose first row starts with ``first_header``."""
    document = docx.Document(str(path))
    for i, table in enumerate(document.tables):
        if table.rows and table.rows[0].cells[0].text == first_header:
            return table_rows(path, i)
    raise AssertionError(f"no table starting with {first_header!r} in {path.name}")


def effective_fonts(path: Path) -> list[tuple[str, dict[str, str | None]]]:
    """For every run with text (body, headers, footers): ``(text, {slot: font})``, the font of
    each slot resolved as Word does without theme fonts: the run's rFonts, else the
    paragraph style chain, else the document defaults.  Theme attributes (which would override
    the names) are reported as the font ``"THEME"``."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        styles = _xml(z.read("word/styles.xml"))
        parts = [_xml(z.read(n)) for n in names
                 if n == "word/document.xml" or n.startswith(("word/header", "word/footer"))]
    by_id = {s.get(qn("w:styleId")): s for s in styles.iter(qn("w:style"))}
    defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    default_para = next((s.get(qn("w:styleId")) for s in by_id.values()
                         if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) == "1"),
                        None)

    def fonts_of(rpr):
        found = {}
        rfonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
        if rfonts is not None:
            for slot in SLOTS:
                if rfonts.get(qn(f"w:{slot}Theme")) is not None or \
                        (slot == "cs" and rfonts.get(qn("w:cstheme")) is not None):
                    found[slot] = "THEME"
                elif rfonts.get(qn(f"w:{slot}")) is not None:
                    found[slot] = rfonts.get(qn(f"w:{slot}"))
        return found

    def style_chain(style_id):
        while style_id and style_id in by_id:
            style = by_id[style_id]
            yield style
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None

    result = []
    for part in parts:
        for p in part.iter(qn("w:p")):
            pstyle = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            style_id = pstyle.get(qn("w:val")) if pstyle is not None else default_para
            for r in p.iter(qn("w:r")):
                text = "".join(t.text or "" for t in r.iter(qn("w:t")))
                if not text.strip():
                    continue
                fonts = fonts_of(r.find(qn("w:rPr")))
                for style in style_chain(style_id):
                    for slot, font in fonts_of(style.find(qn("w:rPr"))).items():
                        fonts.setdefault(slot, font)
                for slot, font in fonts_of(defaults).items():
                    fonts.setdefault(slot, font)
                result.append((text, {slot: fonts.get(slot) for slot in SLOTS}))
    return result


def _xml(data: bytes):
    from lxml import etree
    return etree.parse(io.BytesIO(data)).getroot()


def document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")
