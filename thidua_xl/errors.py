"""The library's exceptions.

Every error the library raises on purpose is a :class:`ThiduaError`; the CLI turns it into a
one-line Vietnamese message in one place.  Problems in a unit's *data* (a bad score, a missing
line) are not exceptions: they are :class:`thidua_xl.model.DataError` records carried in the
result, because one unit's bad data never blocks the others (rules.md §2).
"""

from __future__ import annotations


class ThiduaError(Exception):
    """Base of every error raised on purpose by thidua_xl.

    ``str(error)`` is a complete Vietnamese sentence meant for the user.  ``where`` names the
    file, key, sheet or cell concerned (may be empty).
    """

    exit_code = 2

    def __init__(self, message: str, where: str = "") -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class BlocDefinitionError(ThiduaError):
    """The bloc definition (TOML file or the workbook's `Cấu hình`/`Tiêu chí` sheets) is invalid.

    ``where`` names the file and the key, e.g. ``khoi.toml: [[criteria]] #3 (I.3).max_points``.
    """


class DataFileError(ThiduaError):
    """A scores/review CSV or conference TOML cannot be read at all (not CSV, missing columns…)."""


class WorkbookError(ThiduaError):
    """A workbook cannot be read or written: missing sheet, encrypted, corrupted, open in Excel…

    ``where`` names the file and, when known, ``Sheet!Cell``.
    """


class TemplateError(ThiduaError):
    """A Word template cannot be rendered; ``where`` names the template, the message the tag."""
