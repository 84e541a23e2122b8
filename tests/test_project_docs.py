"""The promises a reader relies on: documented commands and settings (the layering: test_layering.py)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import pytest

from core import settings as settings_module
from kontakt.cli import main

ROOT = Path(__file__).resolve().parent.parent


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((prefix + name, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, prefix + name + " "))
    return found


@pytest.mark.parametrize("name, command", all_commands(main))
def test_every_command_has_help_with_an_example(name, command):
    assert command.help, f"kontakt {name} has no help text"
    if not isinstance(command, click.Group):
        assert "Example:" in command.help, f"kontakt {name}: its help shows no example"


@pytest.mark.parametrize("name", [n for n, c in all_commands(main) if not isinstance(c, click.Group)])
def test_every_command_is_in_the_readme(name):
    assert f"kontakt {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_shipped_config_loads_and_documents_every_setting():
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    loaded = settings_module.load_settings(ROOT / "config.toml")
    assert loaded.mailbox.scheme == "folder"
    assert loaded.database.url.startswith("sqlite:///")
    for section in dataclasses.fields(settings_module.Settings):
        if section.name in ("base_dir",):
            continue
        if section.name == "timezone":
            assert re.search(r"^timezone\s*=", text, re.M)
            continue
        parts = re.split(rf"^\[{section.name}\]$", text, maxsplit=1, flags=re.M)
        assert len(parts) == 2, f"config.toml has no [{section.name}] section"
        block = parts[1].split("\n[", 1)[0]
        for key in dataclasses.fields(section.default_factory()):  # type: ignore[misc]
            assert re.search(rf"^{key.name}\s*=", block, re.M), f"config.toml: [{section.name}] {key.name} undocumented"


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.*?)```", readme, re.S)
    assert len(commands) >= 2, "the README starts with two commands"
    test_command = commands[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
