"""The Word dossier of a bloc-year (issue 8): Báo cáo tổng kết, Biên bản hội nghị, Tờ trình
đề nghị khen thưởng with its Danh sách, Bảng tổng hợp kết quả chấm điểm (landscape annex) and
one Phiếu chấm điểm per unit, rendered from docxtpl templates in the format of Nghị định
30/2020/NĐ-CP (domain.md §5, §6, §8).

- :func:`write_dossier` renders them (and converts them to PDF with LibreOffice on request);
  it refuses to replace existing documents unless ``overwrite=True``
  (:class:`DossierExistsError`);
- :func:`dossier_warnings` says, in Vietnamese sentences, why the dossier is a draft (no
  quorum, no ballot, vote counts / discipline marks / ballot figures in doubt, unresolved
  ties) and what to do;
- :func:`template_variables` documents the variables the templates may use;
- :func:`build_context` is the pure ReviewResult → context step.
"""

from .context import build_context, template_variables
from .render import (DOCUMENTS, DocumentSpec, DossierExistsError, convert_to_pdf, find_soffice,
                     write_dossier)
from .settings import DocumentSettings, default_legal_bases, document_settings
from .status import DossierState, dossier_state, dossier_warnings

__all__ = ["write_dossier", "dossier_warnings", "DossierExistsError", "template_variables",
           "build_context", "DOCUMENTS", "DocumentSpec", "convert_to_pdf", "find_soffice",
           "DocumentSettings", "document_settings", "default_legal_bases", "DossierState",
           "dossier_state"]
