"""docs/operations.md names only files that exist and commands (with their options)
that the project really has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from rewards_api import create_app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operations.md"


def test_every_deploy_file_named_exists() -> None:
    text = GUIDE.read_text()
    named = set(re.findall(r"(?<![\w/])deploy/[\w./{},*-]+[\w}*]", text))
    assert len(named) >= 10
    covered: set[Path] = set()
    for name in named:
        braces = re.search(r"\{([\w,]+)\}", name)
        choices = braces.group(1).split(",") if braces else [""]
        for choice in choices:
            path = name.replace(braces.group(0), choice) if braces else name
            found = list(ROOT.glob(path))
            assert found, path
            covered.update(found)
    shipped = {p for p in (ROOT / "deploy").rglob("*") if p.is_file()}
    assert shipped <= covered, f"not in the guide: {sorted(map(str, shipped - covered))}"


def _command(group: click.Group, words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = group
    rest = list(words)
    while rest and isinstance(command, click.Group) and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


def test_every_rewards_api_command_and_option_exists(tmp_path: Path) -> None:
    app: Any = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "ENV": "test",
                           "SECRET_KEY": "x", "LOG_JSON": False})
    lines = re.findall(r"rewards-api ((?:[a-z][\w-]*\s?)+(?:--[\w-]+[^`\n]*)?)", GUIDE.read_text())
    assert len(lines) >= 8
    for line in lines:
        words = line.split()
        command, rest = _command(app.cli, words)
        assert command is not app.cli, line
        options = {o for param in command.params for o in getattr(param, "opts", [])}
        for word in rest:
            if word.startswith("--"):
                assert word in options, f"{line}: {word} is not an option of {command.name}"
