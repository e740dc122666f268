"""The agent's settings: a TOML file (``/etc/beacon-agent/agent.toml``), then
environment overrides, then (at run time) the remote settings from
``GET /v1/agents/config``.

File layout (every key optional except ``api_url``, ``agent_id`` and ``secret_file``)::

    api_url = "https://rewards.example.com"
    agent_id = "12"
    secret_file = "/etc/beacon-agent/secret"   # 64 hex characters, mode 0600
    adapter = "hci0"
    company_id = 65535
    state_dir = "/var/lib/beacon-agent"         # the outbox lives here

    # written by `beacon-agent calibrate` (the walk test's levels go to the engine)
    outside_dbm = -74.5
    inside_dbm = -61.0
    far_end_dbm = -88.5                         # absent after a four-step walk test
    calibrated_at = "2026-12-02T10:00:00Z"
    calibration_method = "walk_test"

    [presence]                                  # EngineSettings field names
    enter_dbm = -76.0
    calibration_db = 0.0

Environment: ``BEACON_AGENT_<KEY>`` for a top-level key (``BEACON_AGENT_API_URL``) and
``BEACON_AGENT_PRESENCE_<FIELD>`` for a presence field; ``BEACON_AGENT_CONFIG`` names
the file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

from beacon_agent.engine import EngineSettings
from rewards_protocol.presence import DEFAULT_COMPANY_ID

DEFAULT_PATH = Path("/etc/beacon-agent/agent.toml")
ENV_PREFIX = "BEACON_AGENT_"
SECRET_BYTES = 32

WALK_TEST = "walk_test"
# The walk test's levels: top-level keys of the file, settings of the engine.
CALIBRATION_LEVELS = ("outside_dbm", "inside_dbm")

# How the API's names (GET /v1/agents/config) map onto the engine's settings.
REMOTE_PRESENCE_KEYS = {
    "rssi_offset": "calibration_db",
    "enter_rssi": "enter_dbm",
    "dwell_seconds": "enter_dwell_s",
    "exit_after_seconds": "away_timeout_s",
}


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class AgentConfig:
    api_url: str
    agent_id: str
    secret_file: Path
    adapter: str = "hci0"
    company_id: int = DEFAULT_COMPANY_ID
    state_dir: Path = Path("/var/lib/beacon-agent")
    presence: EngineSettings = field(default_factory=EngineSettings)
    calibrated_at: str | None = None  # ISO-8601 UTC, by `beacon-agent calibrate`
    calibration_method: str | None = None
    # The walk test's level at the far end of the floor (``calibration.WalkTest``): only
    # advised on, the engine does not use it.
    far_end_dbm: float | None = None

    @property
    def outbox_path(self) -> Path:
        return self.state_dir / "outbox.sqlite3"

    def secret(self) -> bytes:
        """The agent's 32-byte secret; refuses a file that others can read."""
        return read_secret(self.secret_file)

    def with_remote(self, remote: Mapping[str, Any]) -> AgentConfig:
        """These settings with the API's remote settings applied (``null`` values and
        unknown keys leave the local value)."""
        presence = {REMOTE_PRESENCE_KEYS[k]: v for k, v in remote.items()
                    if k in REMOTE_PRESENCE_KEYS and v is not None}
        company_id = remote.get("company_id")
        return replace(self, presence=self.presence.updated(presence),
                       company_id=self.company_id if company_id is None else int(company_id))


def read_secret(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the agent secret {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"the agent secret {path} is readable by others; "
                          f"run: chmod 600 {path}")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise ConfigError(f"the agent secret {path} is not {2 * SECRET_BYTES} hex characters")
    return secret


def path_of(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file: ``path``, else ``$BEACON_AGENT_CONFIG``, else the default."""
    env = os.environ if environ is None else environ
    return path or Path(env.get(ENV_PREFIX + "CONFIG", DEFAULT_PATH))


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AgentConfig:
    """Read the file (if it exists) and apply the environment overrides."""
    env = os.environ if environ is None else environ
    path = path_of(path, env)
    raw = _read(path)
    # An explicit [presence] setting wins over the walk test's level.
    presence = {**{k: raw.pop(k) for k in CALIBRATION_LEVELS if k in raw},
                **raw.pop("presence", {})}
    _override(raw, presence, env)
    _check(path, raw, presence)
    try:
        return AgentConfig(
            api_url=str(raw["api_url"]).rstrip("/"), agent_id=str(raw["agent_id"]),
            secret_file=Path(raw["secret_file"]), adapter=str(raw.get("adapter", "hci0")),
            company_id=int(raw.get("company_id", DEFAULT_COMPANY_ID)),
            state_dir=Path(raw.get("state_dir", "/var/lib/beacon-agent")),
            presence=EngineSettings().updated(presence),
            calibrated_at=raw.get("calibrated_at"),
            calibration_method=raw.get("calibration_method"),
            far_end_dbm=None if raw.get("far_end_dbm") is None else float(raw["far_end_dbm"]))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _read(path: Path) -> dict[str, Any]:
    """The file's settings; none when there is no file."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


_TOP_LEVEL = tuple(f.name for f in fields(AgentConfig) if f.name != "presence")


def _override(raw: dict[str, Any], presence: dict[str, Any], env: Mapping[str, str]) -> None:
    """Apply the ``BEACON_AGENT_*`` variables to the file's settings (in place)."""
    for name in _TOP_LEVEL:
        if ENV_PREFIX + name.upper() in env:
            raw[name] = env[ENV_PREFIX + name.upper()]
    for name in EngineSettings.__dataclass_fields__:
        if ENV_PREFIX + "PRESENCE_" + name.upper() in env:
            presence[name] = env[ENV_PREFIX + "PRESENCE_" + name.upper()]


def _check(path: Path, raw: dict[str, Any], presence: dict[str, Any]) -> None:
    """Refuse unknown or missing settings, saying which."""
    unknown = set(raw) - set(_TOP_LEVEL)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
    missing = [n for n in ("api_url", "agent_id", "secret_file") if not raw.get(n)]
    if missing:
        raise ConfigError(f"{path}: missing {', '.join(missing)} "
                          "(run `beacon-agent provision` or set BEACON_AGENT_* variables)")
    bad = set(presence) - set(EngineSettings.__dataclass_fields__)
    if bad:
        raise ConfigError(f"{path}: unknown presence settings {sorted(bad)}")
    if raw.get("calibration_method") not in (None, WALK_TEST):
        raise ConfigError(f"{path}: calibration_method is {WALK_TEST!r} (or absent)")


def write(path: Path, api_url: str, agent_id: str, secret_hex: str,
          state_dir: Path | None = None) -> Path:
    """What ``beacon-agent provision`` and ``enrol`` do: the config file and, beside it,
    the secret file (mode 0600, created with that mode so it is never readable by
    others). An existing config file keeps its other settings: provisioning again (the
    demo does at each start, an installer may enrol again) must not lose the walk test
    or the installer's own settings."""
    secret = bytes.fromhex(secret_hex.strip())
    if len(secret) != SECRET_BYTES:
        raise ConfigError(f"the secret is {2 * SECRET_BYTES} hex characters")
    path.parent.mkdir(parents=True, exist_ok=True)
    secret_path = path.with_name("secret")
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret.hex() + "\n")
    os.chmod(secret_path, 0o600)
    values = {"api_url": api_url.rstrip("/"), "agent_id": agent_id,
              "secret_file": str(secret_path)}
    if state_dir is not None:
        values["state_dir"] = str(state_dir)
    _update(path, values, create=True)
    return path


def store_calibration(path: Path, outside_dbm: float | None, inside_dbm: float,
                      calibrated_at: str, far_end_dbm: float | None = None) -> None:
    """What ``beacon-agent calibrate`` does: set the walk test's keys in the config file,
    keeping everything else in it. ``outside_dbm`` None (not heard outside at all)
    leaves that key out, ``far_end_dbm`` None (a four-step walk test) too."""
    _update(path, {"outside_dbm": outside_dbm, "inside_dbm": inside_dbm,
                   "far_end_dbm": far_end_dbm, "calibrated_at": calibrated_at,
                   "calibration_method": WALK_TEST})


def _update(path: Path, values: Mapping[str, Any], create: bool = False) -> None:
    """Set top-level keys of the config file (None removes one), keeping everything
    else in it, comments too (``create``: a missing file, or one ``load`` refuses as
    not TOML, is started again, as provisioning always did). The file is replaced in
    one step and flushed to the disk before and after, so a power cut leaves the old
    file or the new one, and the new one once this returns."""
    try:
        text, mode = path.read_text(), stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        if not create:
            raise ConfigError(f"cannot read {path}: no such file") from None
        text, mode = "", 0o644
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        if not create:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        document = tomlkit.document()
    for key, value in values.items():
        if value is None:
            document.pop(key, None)
        else:  # tomlkit keeps a top-level key before the file's first table
            document[key] = value
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as out:
        out.write(tomlkit.dumps(document))
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, mode)  # whatever the umask
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself
    finally:
        os.close(directory)
