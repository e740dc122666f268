"""Every command the guide tells someone to run exists, with the options the guide uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.staff_guide import guide

COMMANDS = guide.commands()


def test_the_guide_has_commands_for_managers() -> None:
    assert {"managers.md"} <= {c.page for c in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS, ids=[c.line for c in COMMANDS])
def test_command_exists(command: guide.Command, tmp_path: Path) -> None:
    program, *words = command.path
    assert program in guide.console_scripts(), (
        f"{command.page}: {command.line!r} is not one of the project's commands; "
        "put other shell lines in a ```text block")
    executable = shutil.which(program, path=str(Path(sys.executable).parent))
    assert executable, f"{program} is not installed in this environment"
    # The API's CLI loads the app to list its commands: give it a throwaway database
    # and working directory so nothing of the developer's is touched.
    env = dict(os.environ, REWARDS_DATABASE_URL=f"sqlite:///{tmp_path / 'help.db'}")
    result = subprocess.run([executable, *words, "--help"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60, check=False)
    assert result.returncode == 0, f"{command.line!r}:\n{result.stdout}\n{result.stderr}"
    missing = [o for o in command.options if o not in result.stdout]
    assert not missing, f"{command.line!r}: --help does not offer {missing}"
