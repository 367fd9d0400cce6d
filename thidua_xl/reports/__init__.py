"""The Word dossier of a bloc-year (issue 8): Báo cáo tổng kết, Biên bản hội nghị, Tờ trình
đề nghị khen thưởng with its Danh sách, Bảng tổng hợp kết quả chấm điểm (landscape annex) and
one Phiếu chấm điểm per unit, rendered from docxtpl templates in the format of Nghị định
30/2020/NĐ-CP (domain.md §5, §6, §8).

- :func:`write_dossier` renders them (and converts them to PDF with LibreOffice on request);
- :func:`template_variables` documents the variables the templates may use;
- :func:`build_context` is the pure ReviewResult → context step.
"""

from .context import build_context, template_variables
from .render import DOCUMENTS, DocumentSpec, convert_to_pdf, find_soffice, write_dossier
from .settings import DocumentSettings, document_settings

__all__ = ["write_dossier", "template_variables", "build_context", "DOCUMENTS", "DocumentSpec",
           "convert_to_pdf", "find_soffice", "DocumentSettings", "document_settings"]
