"""Packaging stays consistent: packages listed, README test command = CI's, install metadata."""

from __future__ import annotations

import configparser
import re
from importlib import metadata

import pytest

import thidua_xl
from conftest import REPO_ROOT
from office import in_ci


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    return cfg


def test_every_package_is_listed_in_setup_cfg():
    listed = _setup_cfg()["options"]["packages"].split()
    found = {".".join(init.parent.relative_to(REPO_ROOT).parts)
             for init in (REPO_ROOT / "thidua_xl").rglob("__init__.py")}
    assert sorted(listed) == sorted({*found, "thidua_xl.templates"})


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)\n```", readme, re.MULTILINE | re.DOTALL)
    demo, test = blocks[0].strip(), blocks[1].strip()
    assert demo.endswith("thidua demo")
    assert test.endswith("python -m pytest -q")
    assert f'readme_test_command="{test}"' in (REPO_ROOT / ".ci" / "run").read_text()


def test_installed_metadata():
    try:
        dist = metadata.distribution("thidua_xl")
    except metadata.PackageNotFoundError:
        if in_ci():
            pytest.fail("CI installs thidua_xl (pip install -e), but it is not installed")
        pytest.skip("thidua_xl is not installed (run from the source tree)")
    assert dist.version == thidua_xl.__version__
    [script] = [ep for ep in dist.entry_points if ep.group == "console_scripts"]
    assert (script.name, script.value) == ("thidua", "thidua_xl.cli:main")
