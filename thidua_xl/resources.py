"""Files shipped inside the installed package: the reference bloc and the Word templates.

Both are located with :mod:`importlib.resources`.  thidua_xl supports only installs onto the
file system (``pip install .``, ``pip install -e .``, a wheel, a frozen folder) — not zip
imports — so every resource is a real file and these functions return plain
:class:`pathlib.Path` objects that stay valid for the life of the process (no ``as_file``
temporary copies needed).  A zip install is detected and reported as an error.

The reference bloc is the 15 associations of *Khối thi đua các tổ chức Hội đặc thù*, year
2021 (shared/README.md), shipped as the product's sample data.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .errors import ThiduaError

#: Role → file name of the reference bloc (names kept as in shared/reference/).
REFERENCE_NAMES: dict[str, str] = {
    "bloc": "khoi-hoi-dac-thu-2021.toml",
    "scores": "scores-2021.csv",
    "review": "review-2021.csv",
    "conference": "conference-2021.toml",
    "expected": "expected-2021.json",
}


def _real_dir(resource, what: str) -> Path:
    """Return ``resource`` (an importlib Traversable) as an existing directory Path.

    Raises ThiduaError when the package is not installed as plain files (e.g. a zip import)
    or the folder is missing from the install.
    """
    if not isinstance(resource, Path):
        raise ThiduaError(
            f"Không tìm thấy {what}: thidua_xl phải được cài dưới dạng thư mục thường "
            "(không hỗ trợ cài trong tệp zip).",
            str(resource),
        )
    if not resource.is_dir():
        raise ThiduaError(f"Bản cài đặt thidua_xl thiếu thư mục {what}.", str(resource))
    return resource


def reference_dir() -> Path:
    """Folder of the bundled reference bloc (``thidua_xl/data/reference``).

    Raises ThiduaError if the install has no such folder or is a zip import.
    """
    return _real_dir(files("thidua_xl") / "data" / "reference", "dữ liệu mẫu")


def reference_files(directory: Path | None = None) -> dict[str, Path]:
    """Paths of the reference bloc's five files, by role.

    Keys: ``bloc`` (definition TOML), ``scores`` (CSV), ``review`` (CSV), ``conference``
    (TOML), ``expected`` (the outcome JSON).  ``directory`` defaults to
    :func:`reference_dir`; pass another folder laid out the same way (e.g. ``shared/reference``)
    to get its files.  Paths are returned whether or not they exist in ``directory``;
    the bundled ones always do.
    """
    folder = reference_dir() if directory is None else Path(directory)
    return {role: folder / name for role, name in REFERENCE_NAMES.items()}


def templates_dir() -> Path:
    """Folder of the shipped Word templates (package ``thidua_xl.templates``).

    In an editable install, or a source tree used through PYTHONPATH, this is the repository's
    ``templates/`` folder; in a normal install it is ``site-packages/thidua_xl/templates``.
    Raises ThiduaError if the folder is missing or the install is a zip import.
    """
    try:
        resource = files("thidua_xl.templates")
    except ModuleNotFoundError:
        # Running from a source tree that is not installed (PYTHONPATH=repo): the mapping in
        # setup.cfg is not in effect, so use the repo-root folder it maps.
        resource = Path(__file__).resolve().parent.parent / "templates"
    return _real_dir(resource, "mẫu văn bản Word")
