"""Render the Word dossier with docxtpl, and optionally convert it to PDF with LibreOffice.

Templates are looked up by file name, first in the user's folder (``templates=``), then in the
shipped folder (:func:`thidua_xl.resources.templates_dir`).  Rendering uses Jinja2 with
``StrictUndefined`` and autoescaping, so a misspelt variable or a broken tag raises
:class:`~thidua_xl.errors.TemplateError` naming the template and the tag, and typed values
with ``&``, ``<``, ``>`` or quotes come out as typed; line breaks in values become Word line
breaks.  One filter is added to Jinja2's: ``{{ bloc.name|nobreak_tail }}`` joins the last two
words with a non-breaking space (titles never end on a lone short word).

Existing documents are never replaced unless asked (``overwrite=True``): staff edit them by
hand after they are generated.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree

from ..errors import TemplateError, ThiduaError
from ..model import ReviewResult
from ..resources import templates_dir
from .context import build_context, chart_bars
from .format import file_name, nobreak_tail


@dataclass(frozen=True)
class DocumentSpec:
    """One document of the dossier: ``key``, the template's file name, the output file name
    (without ``.docx``; ``{year}`` and, per unit, ``{code}`` filled in) and whether one
    document is made per unit."""

    key: str
    template: str
    output: str
    per_unit: bool = False


#: The dossier, in output order (issue 8; glossary: summary_report, minutes, proposal +
#: nominee_list, score summary annex, score_card).
DOCUMENTS: tuple[DocumentSpec, ...] = (
    DocumentSpec("summary_report", "bao-cao-tong-ket.docx", "01 Bao cao tong ket {year}"),
    DocumentSpec("minutes", "bien-ban-hoi-nghi.docx", "02 Bien ban hoi nghi {year}"),
    DocumentSpec("proposal", "to-trinh-khen-thuong.docx",
                 "03 To trinh de nghi khen thuong {year}"),
    DocumentSpec("annex", "bang-tong-hop.docx", "04 Bang tong hop ket qua cham diem {year}"),
    DocumentSpec("score_card", "phieu-cham-diem.docx", "Phieu cham diem - {code}",
                 per_unit=True),
)

#: Seconds one LibreOffice conversion of the whole dossier may take.
SOFFICE_TIMEOUT = 300

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

#: How many existing file names a :class:`DossierExistsError` message lists in full.
LISTED_FILES = 5


class DossierExistsError(ThiduaError):
    """Files of the dossier already exist in the output folder and ``overwrite`` was not
    given; ``where`` is the folder, ``existing`` the paths found (nothing was written)."""

    def __init__(self, message: str, where: str, existing: tuple[Path, ...]) -> None:
        super().__init__(message, where)
        self.existing = existing


def write_dossier(result: ReviewResult, out_dir: Path, *, templates: Path | None = None,
                  pdf: bool = False, overwrite: bool = False) -> list[Path]:
    """Render every document of the dossier into ``out_dir`` (created if missing).

    ``templates``: a folder whose ``.docx`` files replace the shipped templates of the same
    file name (see :data:`DOCUMENTS`).  ``pdf``: also convert each document to PDF with
    LibreOffice.  ``overwrite``: replace documents (and, with ``pdf``, PDFs) of the same names
    already in ``out_dir``; without it any such file stops the run before anything is written
    (they may hold hand edits).  Returns the written paths: the ``.docx`` files in
    :data:`DOCUMENTS` order (score cards in member order), then the PDFs in the same order.

    Raises :class:`DossierExistsError` (files exist, ``overwrite`` not given),
    :class:`TemplateError` (template missing, not a .docx, undefined variable, broken tag),
    :class:`~thidua_xl.errors.BlocDefinitionError` (bad ``[documents]`` table) or
    :class:`ThiduaError` (folder not writable, file open in Word, LibreOffice missing or
    failing).
    """
    out_dir = Path(out_dir)
    names = _output_names(result)
    if not overwrite:                       # refuse before rendering or writing anything
        _check_absent(out_dir, names, pdf)
    context = build_context(result)
    year = result.bloc.year
    member_order = {u.code: i for i, u in enumerate(result.bloc.units)}
    env = make_environment()
    # Everything is rendered in memory first, so a template error leaves no half dossier.
    rendered: list[tuple[str, bytes]] = []
    for spec in DOCUMENTS:
        source = resolve_template(spec.template, templates)
        blob = _read_template(source)
        if spec.per_unit:
            for unit in sorted(context["units"], key=lambda u: member_order[u["code"]]):
                name = spec.output.format(year=year, code=unit["code"])
                rendered.append((name, render_docx(blob, {**context, "unit": unit}, source, env)))
        else:
            extra = {"chart": _ChartSlot(chart_bars(result))} \
                if spec.key == "summary_report" else {}
            rendered.append((spec.output.format(year=year),
                             render_docx(blob, {**context, **extra}, source, env)))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ThiduaError(f"Không tạo được thư mục kết quả ({exc.strerror}).",
                          str(out_dir)) from None
    targets = [(out_dir / f"{file_name(name)}.docx", data) for name, data in rendered]
    if not overwrite:                       # a file may have appeared while rendering
        _check_absent(out_dir, names, pdf)
    for path, _ in targets:                 # refuse before writing anything
        _check_not_open(path)
    written = [_save(path, data) for path, data in targets]
    if pdf:
        written += convert_to_pdf(written, out_dir)
    return written


def _output_names(result: ReviewResult) -> list[str]:
    """File names (without extension) of the dossier's documents, in :data:`DOCUMENTS` order."""
    year = result.bloc.year
    names = []
    for spec in DOCUMENTS:
        codes = [u.code for u in result.bloc.units] if spec.per_unit else [None]
        names += [file_name(spec.output.format(year=year, code=code)) for code in codes]
    return names


def _check_absent(out_dir: Path, names: list[str], pdf: bool) -> None:
    """Raise :class:`DossierExistsError` when a document (or, with ``pdf``, a PDF) of the
    dossier already exists in ``out_dir``."""
    suffixes = (".docx", ".pdf") if pdf else (".docx",)
    existing = tuple(path for name in names for suffix in suffixes
                     if (path := out_dir / f"{name}{suffix}").exists())
    if not existing:
        return
    shown = [p.name for p in existing[:LISTED_FILES]]
    if len(existing) > LISTED_FILES:
        shown.append(f"và {len(existing) - LISTED_FILES} tệp khác")
    raise DossierExistsError(
        f"Thư mục đã có {len(existing)} tệp của hồ sơ ({', '.join(shown)}); không ghi đè để "
        "giữ các chỉnh sửa tay. Dùng --force để ghi đè, hoặc chọn thư mục khác.",
        str(out_dir), existing)


def resolve_template(name: str, templates: Path | None = None) -> Path:
    """The template file to use: ``templates/name`` when that file exists, else the shipped
    one.  Raises :class:`TemplateError` when ``templates`` is not a folder or neither exists."""
    if templates is not None:
        folder = Path(templates)
        if not folder.is_dir():
            raise TemplateError("Thư mục mẫu văn bản không tồn tại.", str(folder))
        candidate = folder / name
        if candidate.is_file():
            return candidate
    shipped = templates_dir() / name
    if not shipped.is_file():
        raise TemplateError(f"Thiếu mẫu văn bản “{name}” trong bản cài đặt.", str(shipped))
    return shipped


class _Environment(jinja2.Environment):
    """Jinja2 environment that compiles each distinct source once.

    docxtpl compiles every XML part (and every document property) with ``from_string`` on
    each render; the score cards render one template once per unit, so the compiled
    templates are kept (keyed by source text and thus exact).
    """

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=True)
        self.filters["nobreak_tail"] = _nobreak_tail
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = self._compiled[source] = super().from_string(source)
        return compiled


def _nobreak_tail(value):
    # Keeps Markup as Markup, so an already escaped value is not escaped twice.
    from markupsafe import Markup
    return Markup(nobreak_tail(value)) if isinstance(value, Markup) else nobreak_tail(value)


def make_environment() -> jinja2.Environment:
    """The Jinja2 environment of a dossier: undefined names fail (``StrictUndefined``),
    values are XML-escaped (``autoescape``), each distinct template part compiled once, the
    filter ``nobreak_tail`` (:func:`~thidua_xl.reports.format.nobreak_tail`) available."""
    return _Environment()


def render_docx(template: bytes, context: dict[str, Any], source: Path | str,
                env: jinja2.Environment | None = None) -> bytes:
    """Render one template (``.docx`` bytes) with ``context``; return the ``.docx`` bytes.

    ``context["chart"]`` may be a :class:`_ChartSlot`, drawn here only if the template uses
    ``chart``.  ``env`` defaults to :func:`make_environment` (pass one to share compiled
    parts between renders of the same template).  Raises :class:`TemplateError` naming
    ``source`` and the failing tag.
    """
    from docxtpl import DocxTemplate, InlineImage

    where = str(source)
    try:
        tpl = DocxTemplate(io.BytesIO(template))
        tpl.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(f"Không đọc được mẫu văn bản: không phải tệp Word .docx hợp lệ "
                            f"({exc}).", where) from None
    body = tpl.get_xml()
    if isinstance(context.get("chart"), _ChartSlot) and "chart" in body:
        from docx.shared import Mm
        context = {**context, "chart": InlineImage(tpl, io.BytesIO(context["chart"].png()),
                                                   width=Mm(160))}
    try:
        tpl.render(context, env or make_environment(), autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(_syntax_message(tpl, exc), where) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(_undefined_message(tpl, exc), where) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError,
            IndexError, etree.XMLSyntaxError) as exc:
        raise TemplateError(f"Không điền được mẫu văn bản: {exc}.", where) from None
    if "%tc " in body:                      # only column loops upset the table grid
        _fit_tables(tpl.docx)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


class _ChartSlot:
    """The report's chart, drawn only when the report is rendered (matplotlib is slow to
    import, so the other documents never pay for it)."""

    def __init__(self, bars):
        self.bars = bars

    def png(self) -> bytes:
        from .chart import bar_chart_png
        return bar_chart_png(self.bars)


# ---------------------------------------------------------------------------------------------
# Error messages naming the tag


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _template_text(tpl) -> list[str]:
    """The template's paragraphs as plain text (body, headers and footers), tags included."""
    from docx.oxml.ns import qn

    paragraphs = []
    parts = [tpl.docx.element.body]
    for rel in tpl.docx.part.rels.values():
        if rel.reltype.endswith(("/header", "/footer")):
            parts.append(etree.fromstring(rel.target_part.blob))
    for part in parts:
        for p in part.iter(qn("w:p")):
            paragraphs.append("".join(t.text or "" for t in p.iter(qn("w:t"))))
    return paragraphs


def _tags(tpl) -> list[str]:
    return [m.group(0) for text in _template_text(tpl) for m in _TAG.finditer(text)]


_BLOCKS = {"for", "if", "macro", "call", "filter", "with", "block", "raw"}


def _block_word(tag: str) -> str | None:
    # docxtpl's prefixes touch the brace: {%p …, {%tr …, {%tc …, {{r … (a space before
    # them makes an ordinary tag, e.g. {{ r }} is the variable r).
    m = re.match(r"\{%-?(?:(?:p|tr|tc|r)\s+)?\s*(\w+)", tag)
    return m.group(1) if m else None


def _unbalanced(tags: list[str]) -> str | None:
    """An end tag without its opening tag, else the innermost block left open
    (``{%p for u in units %}`` without its ``{%p endfor %}``)."""
    stack: list[tuple[str, str]] = []
    for tag in tags:
        word = _block_word(tag)
        if word in _BLOCKS:
            stack.append((word, tag))
        elif word and word.startswith("end") and word[3:] in _BLOCKS:
            if not stack or stack[-1][0] != word[3:]:
                return tag
            stack.pop()
    return stack[-1][1] if stack else None


def _bad_tag(paragraphs: list[str]) -> str | None:
    """The first tag that is wrong on its own, in document order: a tag that does not
    compile (bad expression, unknown filter) or an opening ``{{``/``{%`` never closed in its
    paragraph."""
    checker = jinja2.Environment()
    checker.filters["nobreak_tail"] = _nobreak_tail       # our filter compiles; unknown ones fail
    for text in paragraphs:
        for m in _TAG.finditer(text):
            try:
                checker.from_string(_as_standalone(m.group(0)))
            except jinja2.TemplateSyntaxError:
                return m.group(0)
        rest = _TAG.sub(" ", text)
        opener = re.search(r"\{[{%#]", rest)
        if opener:
            return rest[opener.start():opener.start() + 60].strip()
    return None


def _syntax_message(tpl, exc: jinja2.TemplateSyntaxError) -> str:
    detail = exc.message or str(exc)
    culprit = _bad_tag(_template_text(tpl))
    if culprit is None:
        culprit = _unbalanced(_tags(tpl))
        word = _block_word(culprit) if culprit else None
        if word in _BLOCKS:
            return f"thẻ “{culprit}” thiếu thẻ đóng “{{% end{word} %}}” ({detail})."
        if word:
            return f"thẻ “{culprit}” không có thẻ mở tương ứng ({detail})."
    if culprit is None:
        near = " ".join(getattr(exc, "docx_context", None) or []).strip()
        culprit = near[:120] or "?"
    return f"lỗi cú pháp ở thẻ “{culprit}” ({detail})."


def _as_standalone(tag: str) -> str:
    """A tag as a complete template, so it can be checked on its own: blocks get a matching
    end tag (``{% for x in y %}`` → ``{% for x in y %}{% endfor %}``), docxtpl prefixes go."""
    text = re.sub(r"^\{%(-?)(p|tr|tc|r)\s", r"{%\1 ", tag)
    text = re.sub(r"^\{\{(p|tr|tc|r)\s", "{{ ", text)
    word = _block_word(text)
    if word in _BLOCKS:
        return text + "{% end" + word + " %}"
    if word in ("else", "elif"):
        return "{% if x %}" + text + "{% endif %}"
    if word and word.startswith("end") and word[3:] in _BLOCKS:
        return "{% " + word[3:] + " x %}" + text if word[3:] == "if" else \
            ("{% for x in y %}" + text if word[3:] == "for" else text)
    return text


def _undefined_message(tpl, exc: jinja2.UndefinedError) -> str:
    detail = str(exc.message or exc)
    m = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", detail)
    name = (m.group(1) or m.group(2)) if m else None
    culprit = None
    if name:
        word = re.compile(rf"(?<![\w.]){re.escape(name)}\b|\.{re.escape(name)}\b")
        culprit = next((t for t in _tags(tpl) if word.search(t)), None)
    shown = f"thẻ “{culprit}”" if culprit else f"biến “{name or '?'}”"
    return (f"{shown} dùng tên “{name or '?'}” không có trong dữ liệu ({detail}); xem danh sách "
            f"biến của mẫu (thidua_xl.reports.template_variables).")


# ---------------------------------------------------------------------------------------------
# Tables whose columns were repeated with {%tc for %}


def _fit_tables(document) -> None:
    """Make each table's grid match its widest row and fit the text width.

    docxtpl's column loops add cells but share the old grid width out evenly; Word and
    LibreOffice then draw columns of the wrong widths.  The cells keep the widths the
    template gave them, so the grid is rebuilt from them (scaled down if the row is wider
    than the page's text width).
    """
    section = document.sections[-1]
    limit = section.page_width - section.left_margin - section.right_margin   # EMU
    limit_twips = int(limit / 635)
    for tbl in document.element.body.iter(f"{_W}tbl"):
        grid = tbl.find(f"{_W}tblGrid")
        rows = tbl.findall(f"{_W}tr")
        if grid is None or not rows:
            continue
        widths = None
        for row in rows:
            cells = row.findall(f"{_W}tc")
            row_widths = [_cell_width(c) for c in cells]
            if any(w is None or span != 1 for w, span in row_widths):
                continue
            if widths is None or len(row_widths) > len(widths):
                widths = [w for w, _ in row_widths]
        cols = grid.findall(f"{_W}gridCol")
        if widths is None or [int(c.get(f"{_W}w", "0")) for c in cols] == widths:
            continue
        scale = min(1.0, limit_twips / sum(widths)) if sum(widths) else 1.0
        widths = [int(w * scale) for w in widths]
        for col in cols:
            grid.remove(col)
        for w in widths:
            etree.SubElement(grid, f"{_W}gridCol", {f"{_W}w": str(w)})
        for row in rows:
            index = 0
            for cell in row.findall(f"{_W}tc"):
                _, span = _cell_width(cell)
                tcw = cell.find(f"{_W}tcPr/{_W}tcW")
                if tcw is not None and index + span <= len(widths):
                    tcw.set(f"{_W}w", str(sum(widths[index:index + span])))
                    tcw.set(f"{_W}type", "dxa")
                index += span


def _cell_width(cell) -> tuple[int | None, int]:
    tcpr = cell.find(f"{_W}tcPr")
    if tcpr is None:
        return None, 1
    span_el = tcpr.find(f"{_W}gridSpan")
    span = int(span_el.get(f"{_W}val")) if span_el is not None else 1
    tcw = tcpr.find(f"{_W}tcW")
    if tcw is None or tcw.get(f"{_W}type") not in (None, "dxa"):
        return None, span
    return int(tcw.get(f"{_W}w")), span


# ---------------------------------------------------------------------------------------------
# Files


def _read_template(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"Không đọc được mẫu văn bản ({exc.strerror}).", str(path)) from None


def _check_not_open(path: Path) -> None:
    """Raise :class:`ThiduaError` when ``path`` is open in Word or LibreOffice (its lock file
    ``~$…`` / ``.~lock.…#`` is beside it): replacing it would fail or lose the user's edits."""
    from ..safefile import owner_file

    if owner_file(path) is not None:
        raise ThiduaError("Tệp đang mở trong Word hoặc LibreOffice; hãy đóng tệp rồi chạy lại.",
                          str(path))


def _save(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file, so a failure never leaves a
    half-written document."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ThiduaError(f"Không ghi được tệp ({exc.strerror}); tệp có thể đang mở trong "
                          "Word.", str(path)) from None
    return path


# ---------------------------------------------------------------------------------------------
# PDF


_SOFFICE_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


def find_soffice() -> str | None:
    """The LibreOffice command: ``soffice`` or ``libreoffice`` on PATH, else the usual
    install places on Windows and macOS; ``None`` when not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _SOFFICE_PLACES if Path(p).is_file()), None)


def convert_to_pdf(docs: list[Path], out_dir: Path) -> list[Path]:
    """Convert ``.docx`` files to PDF in ``out_dir`` with one LibreOffice run (its own
    temporary profile, so it never collides with an open LibreOffice or another run).

    Returns the PDF paths in the order of ``docs``.  Raises :class:`ThiduaError` when
    LibreOffice is not installed, fails, or times out.
    """
    soffice = find_soffice()
    if soffice is None:
        raise ThiduaError("Không tìm thấy LibreOffice (lệnh soffice) nên không chuyển được sang "
                          "PDF. Hãy cài LibreOffice (https://www.libreoffice.org) hoặc bỏ tùy "
                          "chọn PDF; các tệp Word đã được tạo.")
    pdfs = [out_dir / f"{doc.stem}.pdf" for doc in docs]
    for stale in pdfs:              # so an old PDF is never taken for a new one
        stale.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="thidua-lo-") as profile:
        command = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                   "--norestore", "--nologo", "--convert-to", "pdf", "--outdir", str(out_dir),
                   *map(str, docs)]
        try:
            run = subprocess.run(command, capture_output=True, text=True,
                                 timeout=SOFFICE_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise ThiduaError(f"LibreOffice không chuyển xong sang PDF sau {SOFFICE_TIMEOUT} "
                              "giây.", str(out_dir)) from None
        except OSError as exc:
            raise ThiduaError(f"Không chạy được LibreOffice ({exc.strerror}).", soffice) from None
    missing = [p.name for p in pdfs if not p.is_file()]
    if run.returncode != 0 or missing:
        detail = (run.stderr or run.stdout).strip().splitlines()[-1:] or [""]
        raise ThiduaError(f"LibreOffice không tạo được PDF cho {', '.join(missing) or 'tệp'} "
                          f"(mã lỗi {run.returncode}) {detail[0]}".rstrip() + ".", str(out_dir))
    return pdfs
