"""Test helpers for :mod:`thidua_xl.macros`: xlwings' remote engine as a stand-in for Excel
(engineering-notes §1) — an openpyxl workbook turned into the JSON payload ``xw.Book(json=…)``
accepts, and the actions the macros leave in ``book.json()`` replayed onto openpyxl."""
