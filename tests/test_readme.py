"""README.md keeps up with the code: commands and template variables are documented."""

from pathlib import Path

from thidua_xl.cli import cli
from thidua_xl.reports import template_variables

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_cli_reference():
    missing = [name for name in cli.commands if f"`thidua {name}" not in README]
    assert missing == []


def test_every_template_variable_is_documented():
    missing = [name for name in template_variables() if f"| `{name}` |" not in README]
    assert missing == []
