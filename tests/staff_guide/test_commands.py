"""Every command the guide tells someone to run exists, with the options the guide uses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.staff_guide import guide

COMMANDS = guide.commands()


def run_help(command: guide.Command, workdir: Path) -> subprocess.CompletedProcess[str]:
    program, *words = command.path
    executable = shutil.which(program, path=str(Path(sys.executable).parent))
    assert executable, f"{program} is not installed in this environment"
    # The API's CLI loads the app to list its commands: give it a throwaway database
    # and working directory so nothing of the developer's is touched.
    env = dict(os.environ, REWARDS_DATABASE_URL=f"sqlite:///{workdir / 'help.db'}")
    return subprocess.run([executable, *words, "--help"], capture_output=True, text=True,
                          cwd=workdir, env=env, timeout=60, check=False)


def offers(help_text: str, option: str) -> bool:
    """``--store`` is offered by a help that lists ``--store``, not only ``--store-id``."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text) is not None


class Helps:
    """``<command> --help`` of the guide's commands, each run once, when first asked for
    (so every run counts against the timeout of the test that needs it)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.results: dict[str, subprocess.CompletedProcess[str]] = {}

    def __getitem__(self, command: guide.Command) -> subprocess.CompletedProcess[str]:
        if command.line not in self.results:
            self.results[command.line] = run_help(command, self.workdir)
        return self.results[command.line]


@pytest.fixture(scope="module")
def helps(tmp_path_factory: pytest.TempPathFactory) -> Helps:
    return Helps(tmp_path_factory.mktemp("cli"))


def test_the_guide_has_commands_for_managers() -> None:
    assert {"managers.md"} <= {c.page for c in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS, ids=[c.line for c in COMMANDS])
def test_command_exists(command: guide.Command, helps: Helps) -> None:
    assert command.path[0] in guide.console_scripts(), (
        f"{command.page}: {command.line!r} is not one of the project's commands; "
        "put other shell lines in a ```text block")
    result = helps[command]
    assert result.returncode == 0, f"{command.line!r}:\n{result.stdout}\n{result.stderr}"
    missing = [o for o in command.options if not offers(result.stdout, o)]
    assert not missing, f"{command.line!r}: --help does not offer {missing}"


def test_options_named_in_the_text_belong_to_a_command_on_that_page(helps: Helps) -> None:
    """`--daily-budget` in a sentence must be an option of a command the page shows."""
    for span, pages in guide.inline_codes().items():
        if not span.startswith("--"):
            continue
        option = span.split()[0]
        for page in pages:
            page_helps = [helps[c].stdout for c in COMMANDS
                          if c.page == page and c.path[0] in guide.console_scripts()]
            assert any(offers(text, option) for text in page_helps), (
                f"{page}: {option} is not an option of any command on the page")
