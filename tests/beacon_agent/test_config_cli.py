"""Config file, environment overrides, the secret file check, and the CLI commands."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from beacon_agent import cli, simulator
from beacon_agent import config as agent_config
from beacon_agent.engine import DEEP_AGENT
from beacon_agent.outbox import Outbox
from rewards_protocol import trace
from rewards_protocol.events import parse_event
from rewards_protocol.presence import frame_from_manufacturer_data
from tests.beacon_agent.conftest import StandInApi

SECRET = "ab" * 32


def provisioned(tmp_path: Path) -> Path:
    path = tmp_path / "agent.toml"
    agent_config.write(path, "https://rewards.example/", "12", SECRET, tmp_path / "state")
    return path


def test_provisioned_file_loads_with_defaults(tmp_path: Path) -> None:
    cfg = agent_config.load(provisioned(tmp_path), environ={})
    assert (cfg.api_url, cfg.agent_id, cfg.adapter, cfg.company_id) == (
        "https://rewards.example", "12", "hci0", 0xFFFF)
    assert cfg.secret() == bytes.fromhex(SECRET)
    assert os.stat(cfg.secret_file).st_mode & 0o777 == 0o600
    assert cfg.outbox_path == tmp_path / "state" / "outbox.sqlite3"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = provisioned(tmp_path)
    with path.open("a") as out:
        out.write('adapter = "hci1"\n[presence]\nenter_dbm = -80.0\nrise_db = 25\n')
    cfg = agent_config.load(path, environ={"BEACON_AGENT_ADAPTER": "hci2",
                                           "BEACON_AGENT_PRESENCE_ENTER_DBM": "-70"})
    assert cfg.adapter == "hci2"
    assert cfg.presence.enter_dbm == -70.0 and cfg.presence.rise_db == 25.0


def test_the_readmes_deep_profile_is_the_deep_agent(tmp_path: Path) -> None:
    # What an installer copies from the README into agent.toml for the second agent.
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    profile = re.search(r"set to the deep profile \((.*?);\s*`engine.DEEP_AGENT`", readme, re.S)
    assert profile is not None
    path = provisioned(tmp_path)
    with path.open("a") as out:
        out.write("[presence]\n" + "\n".join(re.findall(r"`([a-z_]+ = [^`]+)`", profile[1])) + "\n")
    assert agent_config.load(path, environ={}).presence == DEEP_AGENT


def test_remote_settings_override_local_ones(tmp_path: Path) -> None:
    cfg = agent_config.load(provisioned(tmp_path), environ={})
    remote = cfg.with_remote({"rssi_offset": 4, "enter_rssi": -75, "dwell_seconds": None,
                              "company_id": 0x0A0B, "something_new": 1})
    assert remote.presence.calibration_db == 4.0 and remote.presence.enter_dbm == -75.0
    assert remote.presence.enter_dwell_s == cfg.presence.enter_dwell_s
    assert remote.company_id == 0x0A0B


def test_secret_readable_by_others_is_refused(tmp_path: Path) -> None:
    cfg = agent_config.load(provisioned(tmp_path), environ={})
    os.chmod(cfg.secret_file, 0o644)
    with pytest.raises(agent_config.ConfigError, match="chmod 600"):
        cfg.secret()


@pytest.mark.parametrize(("text", "message"), [
    ('api_url = "x"\n', "missing agent_id, secret_file"),
    ('api_url = "x"\nagent_id = "1"\nsecret_file = "s"\nadaptor = "hci0"\n', "unknown settings"),
    ('api_url = "x"\nagent_id = "1"\nsecret_file = "s"\n[presence]\nenter = 1\n',
     "unknown presence settings"),
    ("api_url = \n", "not valid TOML"),
])
def test_bad_config_says_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    with pytest.raises(agent_config.ConfigError, match=message):
        agent_config.load(path, environ={})


def test_simulate_then_replay(tmp_path: Path) -> None:
    out, truth, events = tmp_path / "t.jsonl", tmp_path / "truth.json", tmp_path / "e.jsonl"
    assert cli.main(["simulate", "--out", str(out), "--truth", str(truth), "--minutes", "5",
                     "--walk-ins", "3", "--window-shoppers", "2", "--passers-by", "3",
                     "--dwell-minutes", "6", "7", "--seed", "4"]) == 0
    with out.open() as lines:
        header, adverts = trace.read(lines)
        assert header is not None and header.start == simulator.Scenario.start
        times = [a.t for a in adverts]
    assert times == sorted(times) and len(times) > 1000
    ground = json.loads(truth.read_text())
    assert sorted(s["role"] for s in ground["shoppers"]) == (
        ["passer_by"] * 3 + ["walk_in"] * 3 + ["window_shopper"] * 2)
    assert cli.main(["replay", str(out), "--events-out", str(events)]) == 0
    decided = [json.loads(line) for line in events.read_text().splitlines()]
    owner = {t: s["label"] for s in ground["shoppers"] for t in s["tokens"]}
    assert decided, "the walk-ins were decided"
    for raw in decided:
        t = raw.pop("t")
        event = parse_event(raw)
        assert owner[event.token].startswith("walk_in")
        assert event.first_seen - header.start <= t


def test_replay_passes_over_lines_that_are_not_adverts_and_says_which(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A recording with a few spoiled lines and one cut off by a power cut loses those
    # lines, not the hour: the same events as the clean one, and what was passed over.
    clean, truth = tmp_path / "clean.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(clean), "--truth", str(truth), "--minutes", "5",
                     "--walk-ins", "3", "--window-shoppers", "1", "--passers-by", "2",
                     "--dwell-minutes", "6", "7", "--seed", "4"]) == 0
    lines = clean.read_bytes().splitlines(keepends=True)
    good = json.loads(lines[1])
    spoiled = [b"{not json\n", b"[1, 2]\n", json.dumps(dict(good, rssi=None)).encode() + b"\n",
               json.dumps(dict(good, t=float("nan"))).encode() + b"\n",
               json.dumps(dict(good, manufacturer_data={"65535": "zz"})).encode() + b"\n",
               b"\xff\xfe\x00 a bad sector\n"]
    dirty = tmp_path / "dirty.jsonl"
    dirty.write_bytes(b"".join(lines[:2] + spoiled + lines[2:]) + lines[-1][:25])
    decided = []
    for path in (clean, dirty):
        assert cli.main(["replay", str(path), "--events-out", str(tmp_path / "e.jsonl")]) == 0
        decided.append([{k: v for k, v in json.loads(line).items() if k != "event_id"}
                        for line in (tmp_path / "e.jsonl").read_text().splitlines()])
    assert decided[0] and decided[1] == decided[0]
    err = capsys.readouterr().err
    assert f"passed over 7 lines of {dirty} that are not advertisements (line 3: not JSON; " \
           "line 4: not an advertisement: not a JSON object; line 5: not an advertisement: " \
           "rssi is not a whole number of dBm; ...)" in err
    with pytest.raises(trace.TraceError, match="^line 3: not JSON$"):
        list(trace.read(dirty.read_text(errors="replace").splitlines())[1])  # read strictly


def test_replay_says_when_a_trace_is_not_sorted_by_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A trace from another tool, its adverts out of order (PROTOCOLS.md section 5 says
    # sorted by t): the replay decides them as they come and says how many, and how far.
    clean, truth = tmp_path / "clean.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(clean), "--truth", str(truth), "--minutes", "5",
                     "--walk-ins", "2", "--passers-by", "2", "--seed", "4"]) == 0
    lines = clean.read_text().splitlines(keepends=True)
    assert cli.main(["replay", str(clean), "--events-out", str(tmp_path / "e.jsonl")]) == 0
    assert "earlier than" not in capsys.readouterr().err
    first, later = json.loads(lines[10]), json.loads(lines[40])
    moved = [*lines[:10], *lines[11:41], lines[10], *lines[41:]]  # line 10 after line 40
    unsorted = tmp_path / "unsorted.jsonl"
    unsorted.write_text("".join(moved))
    assert cli.main(["replay", str(unsorted), "--events-out", str(tmp_path / "e.jsonl")]) == 0
    back = later["t"] - first["t"]
    assert back > 0
    assert (f"1 adverts of {unsorted} are earlier than one before them (by up to {back:.3f} s)"
            in capsys.readouterr().err)


@pytest.mark.parametrize("ahead", [150.0, -230.0])
def test_replay_says_when_the_traces_clock_is_not_the_phones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], ahead: float) -> None:
    # A recording whose header (or a Pi's clock) is minutes off the phones' time: the
    # replay learns where they change token, and says so.
    recorded, truth = tmp_path / "recorded.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(recorded), "--truth", str(truth), "--minutes", "25",
                     "--seed", "4"]) == 0
    header, *adverts = recorded.read_text().splitlines(keepends=True)
    off = tmp_path / "off.jsonl"
    off.write_text(json.dumps(dict(json.loads(header), start=json.loads(header)["start"] + ahead))
                   + "\n" + "".join(adverts))
    assert cli.main(["replay", str(recorded), "--events-out", str(tmp_path / "e")]) == 0
    assert "clock" not in capsys.readouterr().out
    assert cli.main(["replay", str(off), "--events-out", str(tmp_path / "e")]) == 0
    said = re.search(r"the trace's clock is (\d+) s (ahead of|behind) the phones'", capsys.readouterr().out)
    assert said and abs(int(said[1]) - abs(ahead)) <= 3 and (said[2] == "ahead of") == (ahead > 0)


def test_replay_says_what_is_not_a_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = Path(__file__).parents[2] / "README.md"
    header = tmp_path / "header.jsonl"
    header.write_text('{"trace": 1, "start": "today"}\n')
    for path, said in ((readme, "no advertisement in"), (tmp_path / "none.jsonl", "No such file"),
                       (header, "line 1: a trace header whose start is not a number of seconds")):
        assert cli.main(["replay", str(path), "--events-out", str(tmp_path / "e")]) == cli.EXIT_TRACE
        assert said in capsys.readouterr().err


def test_simulate_uses_the_api_tokens_it_is_given(tmp_path: Path) -> None:
    start = 1_763_800_200.0
    windows = range(int(start // 600), int(start // 600) + 3)
    tokens = {"sam": [{"window": w, "key_id": 2, "token": f"{w:032x}"} for w in windows]}
    (tmp_path / "tokens.json").write_text(json.dumps(tokens))
    out, truth = tmp_path / "t.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(out), "--truth", str(truth), "--minutes", "3",
                     "--walk-ins", "1", "--window-shoppers", "0", "--passers-by", "0",
                     "--dwell-minutes", "3", "5", "--tokens", str(tmp_path / "tokens.json"),
                     "--start", str(start)]) == 0
    with out.open() as lines:
        _, adverts = trace.read(lines)
        frames = {frame_from_manufacturer_data(a.manufacturer_data) for a in adverts}
    assert {(f.key_id, f.token_hex) for f in frames if f} <= {
        (2, t["token"]) for t in tokens["sam"]}
    assert json.loads(truth.read_text())["shoppers"][0]["label"] == "sam"


def test_simulate_says_when_the_tokens_run_out(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text(json.dumps({"sam": []}))
    with pytest.raises(SystemExit, match="do not cover window"):
        cli.main(["simulate", "--out", str(tmp_path / "t"), "--truth", str(tmp_path / "g"),
                  "--walk-ins", "1", "--window-shoppers", "0", "--passers-by", "0",
                  "--tokens", str(tmp_path / "tokens.json")])


def test_provision_checks_the_agent_with_the_api(
        tmp_path: Path, stand_in_api: StandInApi, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "etc" / "agent.toml"
    assert cli.main(["provision", "--config", str(path), "--api-url", stand_in_api.url,
                     "--agent-id", stand_in_api.agent_id, "--secret",
                     stand_in_api.secret.hex()]) == 0
    assert "store berlin-1" in capsys.readouterr().out
    assert os.stat(path.with_name("secret")).st_mode & 0o777 == 0o600
    assert cli.main(["provision", "--config", str(path), "--api-url", stand_in_api.url,
                     "--agent-id", stand_in_api.agent_id, "--secret", "cd" * 32]) == 4
    assert "401" in capsys.readouterr().err


def test_status_reports_the_outbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = provisioned(tmp_path)
    outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")
    outbox.set_status({"adverts_per_second": 12.5, "scanner_state": "scanning"})
    outbox.acknowledge([], {"accepted": 3})
    assert cli.main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "queue_depth": 0, "adverts_per_second": 12.5, "scanner_state": "scanning", "accepted": 3,
        "calibration": {"method": None, "calibrated_at": None, "outside_dbm": None,
                        "inside_dbm": None, "far_end_dbm": None}, "learned": None,
        "advice": ["needs_more_traffic"]}  # nothing learned yet, as its heartbeat says


def test_provisioning_again_keeps_the_files_other_settings_and_starts_a_broken_one_again(
        tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    agent_config.write(path, "https://old.example", "12", "ab" * 32)
    path.write_text("# the installer's note\n" + path.read_text() + 'adapter = "hci1"\n'
                    "\n[presence]\nexit_dbm = -95.0\n")
    agent_config.store_calibration(path, -71.5, -60.0, "2026-12-02T10:00:00Z")
    os.chmod(path, 0o640)
    agent_config.write(path, "https://new.example/", "13", "cd" * 32)
    cfg = agent_config.load(path, environ={})
    assert (cfg.api_url, cfg.agent_id, cfg.secret()) == ("https://new.example", "13",
                                                         bytes.fromhex("cd" * 32))
    assert (cfg.adapter, cfg.presence.exit_dbm, cfg.presence.outside_dbm, cfg.calibrated_at,
            cfg.calibration_method) == ("hci1", -95.0, -71.5, "2026-12-02T10:00:00Z", "walk_test")
    assert path.read_text().startswith("# the installer's note")
    assert os.stat(path).st_mode & 0o777 == 0o640 and not path.with_name("agent.toml.new").exists()

    path.write_text("api_url = \n")  # not TOML: `load` refuses it, provisioning starts it again
    with pytest.raises(agent_config.ConfigError, match="not valid TOML"):
        agent_config.store_calibration(path, -71.5, -60.0, "2026-12-02T10:00:00Z")
    agent_config.write(path, "https://new.example", "13", "cd" * 32)
    assert agent_config.load(path, environ={}).calibrated_at is None
