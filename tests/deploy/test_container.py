"""deploy/Containerfile: hadolint finds nothing, and the image runs the API the way the
systemd unit does, as a non-root user, health-checked on /healthz, secrets left out."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from rewards_api import settings

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in CONTAINERFILE.read_text().splitlines()
                                          if not line.lstrip().startswith("#")))
    found = []
    for line in text.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), "--no-color", str(CONTAINERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_runs_as_a_non_root_user_to_the_end() -> None:
    steps = _instructions()
    users = [i for i, (word, _) in enumerate(steps) if word == "USER"]
    assert users, "no USER"
    user = steps[users[-1]][1]
    assert user not in ("root", "0") and not user.startswith("0:")
    last_run = max(i for i, (word, _) in enumerate(steps) if word == "RUN")
    cmd = max(i for i, (word, _) in enumerate(steps) if word == "CMD")
    assert last_run < users[-1] < cmd
    assert f"--uid {user}" in " ".join(args for word, args in steps if word == "RUN")


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in _instructions():
        if word == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    return env


def test_health_check_asks_healthz_on_the_bound_port() -> None:
    checks = [args for word, args in _instructions() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    port = _env()["REWARDS_BIND"].rsplit(":", 1)[1]
    assert f"http://127.0.0.1:{port}/healthz" in checks[0]
    command = json.loads(checks[0][checks[0].index("CMD") + 3:])
    assert command[0] == "python3"


def test_settings_are_the_apis_and_hold_no_secret() -> None:
    env = _env()
    names = {n[len("REWARDS_"):] for n in env if n.startswith("REWARDS_")} - {"BIND"}
    assert names <= set(settings.DEFAULTS), names - set(settings.DEFAULTS)
    assert not set(settings.SECRETS) & names
    assert env["REWARDS_ENV"] == "production"  # refuses to start without its secrets
    loaded = settings.load({k: v for k, v in env.items() if k.startswith("REWARDS_")},
                           {n: "set-at-run-time" for n in settings.SECRETS})
    assert loaded["PROXY_HOPS"] == 1


def test_starts_gunicorn_like_the_systemd_unit() -> None:
    cmd = json.loads(next(args for word, args in _instructions() if word == "CMD"))
    unit = (ROOT / "deploy" / "systemd" / "rewards-api.service").read_text()
    exec_start = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))  # type: ignore[union-attr]
    assert cmd[1:] == exec_start[1:] and Path(exec_start[0]).name == cmd[0] == "gunicorn"
