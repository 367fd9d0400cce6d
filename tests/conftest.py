"""Shared test infrastructure: reference-bloc fixtures, the ``needs_office`` marker, Hypothesis
profiles.

- ``reference``: the reference bloc's files by role (``bloc``, ``scores``, ``review``,
  ``conference``, ``expected``), taken from ``../shared/reference`` beside the repository when
  it is there (CI lays it there), else from the copy bundled in the package.
- ``expected``: ``expected-2021.json`` parsed (the outcome under rules.md).
- ``@pytest.mark.needs_office``: the test needs LibreOffice (``soffice``) and poppler
  (``pdftotext``, ``pdfinfo``); it is skipped when they are missing, or fails when CI=true.
  Inside a test, ``office.require_soffice()`` does the same for soffice alone.
- Hypothesis: profile ``ci`` (CI=true) runs 50 examples per test, ``dev`` 100; neither has a
  deadline (no timing asserts on a shared 2-CPU machine).  HYPOTHESIS_PROFILE overrides.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from office import OFFICE_TOOLS, in_ci, require_soffice, require_tools  # noqa: F401  (re-export)
from thidua_xl.resources import reference_dir, reference_files

# Shared fixtures: `tiny_book` and `book` (a fresh copy of the tiny bloc's workbook).
pytest_plugins = ["read.books"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"

settings.register_profile(
    "ci", max_examples=50, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "dev"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_office: needs LibreOffice (soffice) and poppler-utils; skipped when absent, "
        "failed when CI=true")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_office") is not None:
        require_tools(*OFFICE_TOOLS)


def reference_folder() -> Path:
    """``../shared/reference`` when present (the source of truth), else the bundled copy."""
    return SHARED_REFERENCE if SHARED_REFERENCE.is_dir() else reference_dir()


@pytest.fixture
def reference() -> dict[str, Path]:
    """Reference bloc files by role: bloc, scores, review, conference, expected (Paths)."""
    return reference_files(reference_folder())


@pytest.fixture
def expected(reference: dict[str, Path]) -> dict:
    """``expected-2021.json`` as parsed JSON (keys ``units``, ``nominees``, ``next_leader`` …).

    Parsed afresh for each test, so a test may modify it freely.
    """
    return json.loads(reference["expected"].read_text(encoding="utf-8"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI no test may be skipped (issue 5): a skip there means a missing install step."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", ())) if reporter else 0
    if in_ci() and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} kiểm thử bị bỏ qua — trong CI mọi kiểm thử phải chạy.",
                            red=True)
        session.exitstatus = 1
