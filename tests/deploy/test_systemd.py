"""The systemd units of deploy/systemd load cleanly (``systemd-analyze verify``), keep
their hardening (``systemd-analyze security``), and their timers start real commands."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from rewards_api import create_app

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
VENV_BIN = Path(sys.executable).parent
# Highest exposure systemd-analyze security may score a unit (0 = locked down, 10 = none).
MAX_EXPOSURE = 2.0


def _local_copies(tmp_path: Path) -> Path:
    """The units with /opt/<app>/venv/bin pointing at this checkout's venv (verify checks
    that every ExecStart exists), plus a stand-in bluetooth.service for hosts without BlueZ."""
    for unit in UNITS.iterdir():
        text = re.sub(r"/opt/[a-z-]+/venv/bin/", f"{VENV_BIN}/", unit.read_text())
        (tmp_path / unit.name).write_text(text)
    (tmp_path / "bluetooth.service").write_text(
        "[Unit]\nDescription=stand-in for BlueZ\n[Service]\nExecStart=/bin/true\n")
    return tmp_path


def _verify(directory: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SYSTEMD_UNIT_PATH": f"{directory}:", "SYSTEMD_LOG_COLOR": "0"}
    return subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=directory,
                          env=env, capture_output=True, text=True, timeout=60)


def _units() -> list[str]:
    return sorted(p.name for p in UNITS.iterdir())


def _parse(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_every_unit_loads_without_a_warning(tmp_path: Path) -> None:
    directory = _local_copies(tmp_path)
    result = _verify(directory, _units())
    # verify exits 0 on unknown keys and bad values; they only show on stderr.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_verify_would_catch_a_typo(tmp_path: Path) -> None:
    (tmp_path / "typo.service").write_text("[Service]\nExecStart=/bin/true\nProtectSytem=strict\n")
    result = _verify(tmp_path, ["typo.service"])
    assert "Unknown key" in result.stderr


@pytest.mark.parametrize("unit", [u for u in _units() if u.endswith(".service")])
def test_services_are_hardened(unit: str, tmp_path: Path) -> None:
    path = _local_copies(tmp_path) / unit
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                             f"--threshold={int(MAX_EXPOSURE * 10)}", str(path)],
                            capture_output=True, text=True, timeout=60)
    level = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    assert level, result.stdout + result.stderr
    assert float(level.group(1)) <= MAX_EXPOSURE and result.returncode == 0, result.stdout
    service = _parse(UNITS / unit)["Service"]
    assert service.get("NoNewPrivileges") == "yes"
    assert service.get("ProtectSystem") == "strict"
    assert service.get("CapabilityBoundingSet") == ""
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")


@pytest.mark.parametrize("timer", [u for u in _units() if u.endswith(".timer")])
def test_timers_start_a_real_command_on_a_valid_calendar(timer: str) -> None:
    calendar = _parse(UNITS / timer)["Timer"]["OnCalendar"]
    parsed = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True,
                            text=True, timeout=30)
    assert parsed.returncode == 0 and "Next elapse" in parsed.stdout, parsed.stderr
    service = _parse(UNITS / timer.replace(".timer", ".service"))["Service"]
    assert service["Type"] == "oneshot"
    command = shlex.split(service["ExecStart"])
    assert command[0] == "/opt/rewards-api/venv/bin/rewards-api"
    # The words after the program name are a real command of `rewards-api`.
    app = create_app({"DATABASE_URL": "sqlite://", "ENV": "test", "SECRET_KEY": "x",
                      "LOG_JSON": False})
    found = app.cli
    for word in command[1:]:
        assert isinstance(found, click.Group) and word in found.commands, command
        found = found.commands[word]
    assert not isinstance(found, click.Group), command


def test_api_unit_runs_the_packaged_gunicorn_config() -> None:
    service = _parse(UNITS / "rewards-api.service")["Service"]
    command = shlex.split(service["ExecStart"])
    config = command[command.index("-c") + 1]
    assert config == "python:rewards_api.gunicorn_conf"
    assert importlib.util.find_spec("rewards_api.gunicorn_conf") is not None
    assert command[-1] == "rewards_api:create_app()"
    assert service["EnvironmentFile"] == "/etc/rewards-api/env"
