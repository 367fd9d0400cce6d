"""thidua_xl.resources finds the bundled reference bloc and the shipped Word templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED_REFERENCE
from office import in_ci
from thidua_xl.resources import REFERENCE_NAMES, reference_dir, reference_files, templates_dir


def test_reference_files_are_the_five_bundled_files():
    files = reference_files()
    assert {role: path.name for role, path in files.items()} == {
        "bloc": "khoi-hoi-dac-thu-2021.toml",
        "scores": "scores-2021.csv",
        "review": "review-2021.csv",
        "conference": "conference-2021.toml",
        "expected": "expected-2021.json",
    }
    assert all(path.parent == reference_dir() and path.is_file() for path in files.values())


def test_reference_files_of_another_folder(tmp_path):
    assert reference_files(tmp_path)["scores"] == tmp_path / "scores-2021.csv"


def test_bundled_reference_is_identical_to_shared():
    if not SHARED_REFERENCE.is_dir():
        if in_ci():
            pytest.fail(f"CI must have the shared reference at {SHARED_REFERENCE}")
        pytest.skip("no ../shared/reference beside the repository")
    shared = sorted(p.name for p in SHARED_REFERENCE.iterdir())
    assert shared == sorted(REFERENCE_NAMES.values())
    for name in shared:
        assert (reference_dir() / name).read_bytes() == (SHARED_REFERENCE / name).read_bytes(), name


def test_reference_fixtures(reference, expected):
    assert set(reference) == set(REFERENCE_NAMES)
    assert len(expected["units"]) == 15          # the 15 associations of the reference bloc
    assert {"code", "total", "rank", "grade", "award", "eligible"} <= set(expected["units"][0])


def test_templates_dir_holds_the_repo_templates():
    folder = templates_dir()
    assert isinstance(folder, Path)
    assert (folder / "README.txt").is_file()
