"""Vietnamese for click's own words ("Usage:", "Options", "Missing argument", …).

click marks its messages for gettext but ships no catalogues, and a Windows machine has no
Vietnamese locale to pick one anyway; so the few messages a user of `thidua` can meet are
translated here and click's gettext hooks are pointed at this table.  Unknown messages pass
through unchanged.
"""

from __future__ import annotations

import importlib

MESSAGES = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: '{command} {option}'.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing command.": "Thiếu lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    # click title-cases {name}, which mangles Vietnamese: leave it out.
    "{name} {filename!r} does not exist.": "không có tệp hay thư mục {filename!r}.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, cần một tệp.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, cần một thư mục.",
    "{name} {filename!r} is not readable.": "không đọc được {filename!r}.",
    "{name} {filename!r} is not writable.": "không ghi được {filename!r}.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là {number_type} hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "Aborted!": "Đã dừng!",
    "Show the version and exit.": "In phiên bản rồi thoát.",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    ("Got unexpected extra argument ({args})",
     "Got unexpected extra arguments ({args})"): "Thừa tham số ({args})",
    ("Option {name!r} requires an argument.",
     "Option {name!r} requires {nargs} arguments."): "Tùy chọn {name!r} cần giá trị.",
    ("Did you mean {possibility}?",
     "(Did you mean one of: {possibilities}?)"): "Có phải ý bạn là: {possibility}{possibilities}?",
}


def gettext(message: str) -> str:
    """click's ``_``: the Vietnamese text of ``message``, or ``message`` itself."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext``: Vietnamese has one form for both."""
    found = MESSAGES.get((singular, plural))
    if found is None:
        return singular if n == 1 else plural
    if "{possibility}{possibilities}" in found:  # the two English forms name different fields
        found = found.replace("{possibility}{possibilities}",
                              "{possibility}" if n == 1 else "{possibilities}")
    return found


def install() -> None:
    """Point click's gettext hooks at :data:`MESSAGES` (idempotent)."""
    for name in ("core", "exceptions", "formatting", "decorators", "types", "parser"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
