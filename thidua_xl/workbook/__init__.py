"""The shared workbook (sổ Excel dùng chung): its layout (``layout``), the builder of a new one
(``build``), and the reader/writer of a filled one.  Submodules are imported on demand, so
importing this package stays cheap (no openpyxl/XlsxWriter).
"""
