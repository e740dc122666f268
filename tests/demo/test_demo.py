"""``python -m demo`` end to end, as ``make demo`` runs it but with a short, fast day:
the real API under gunicorn, two real beacon agents on FIFO radios, the simulated
crowd, the cashier panel. The figures the API recorded are compared with the crowd
simulator's ground truth; then Ctrl-C (SIGINT) must leave no process and a consistent
database behind."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from beacon_agent.constants import ROTATION_SLACK_S
from beacon_agent.outbox import Outbox
from rewards_api.db import make_engine
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import PURCHASE, REDEMPTION, SCAN, WALK_IN, Account, LedgerEntry
from rewards_api.pos.models import COMMITTED, Checkout
from rewards_api.shoppers.models import Shopper
from rewards_api.visits.models import Visit
from rewards_protocol.presence import WINDOW_SECONDS

ROOT = Path(__file__).resolve().parents[2]
SPEED = 30.0  # one simulated minute every two seconds
PEOPLE_PER_STORE = 7  # crowd 1: 3 walk-ins, 1 window shopper, 3 passers-by
DEADLINE_S = 75.0


def free_ports(count: int = 4) -> int:
    """The first of ``count`` consecutive ports that are free on 127.0.0.1 now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError("no free ports")


def pgids() -> dict[int, int]:
    """Every process's group id, by pid (from /proc)."""
    groups = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
            groups[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[2])
    return groups


class Demo:
    def __init__(self, var: Path, api: str, process: subprocess.Popen[bytes]) -> None:
        self.var, self.api, self.process = var, api, process
        self.engine = make_engine(f"sqlite:///{var / 'rewards.db'}")

    def info(self) -> dict[str, Any]:
        return json.loads((self.var / "demo.json").read_text())

    def truth(self) -> list[dict[str, Any]]:
        path = self.var / "crowd" / "truth.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def dashboard(self, store: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.get(f"{self.api}/v1/admin/stores/{store['id']}/dashboard",
                           headers={"Authorization": f"Bearer {store['manager_key']}"},
                           timeout=10.0)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def log(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted((self.var / "logs").glob("*.log")))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_ports()
    var = tmp_path / "var"
    out = (tmp_path / "demo.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "demo", "--var", str(var), "--speed", str(SPEED), "--crowd", "1",
         "--minutes", "2", "--ports-from", str(port), "--workers", "2", "--status-every", "2"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Demo(var, f"http://127.0.0.1:{port}", process)
    try:
        yield running
    finally:
        if process.poll() is None:  # the test failed before its own SIGINT: stop it all
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            leaders = var / "demo-processes.json"
            for pid in json.loads(leaders.read_text()).values() if leaders.exists() else []:
                try:  # each child leads its own process group
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        running.engine.dispose()
        out.close()


def wait_for(condition: Any, what: str, demo: Demo, deadline: float) -> Any:
    """Poll ``condition`` until it returns something true or the deadline passes."""
    while time.monotonic() < deadline:
        if demo.process.poll() is not None:
            pytest.fail(f"the demo exited early ({demo.process.returncode}):\n{demo.log()}")
        try:
            result = condition()
        except (OSError, httpx.HTTPError, json.JSONDecodeError):
            result = None
        if result:
            return result
        try:  # between polls, wait on the demo itself: its death ends the wait at once
            demo.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
    pytest.fail(f"timed out waiting for {what}:\n{demo.log()}")


def _check_visits(s: Session, truth: list[dict[str, Any]], walk_ins: list[dict[str, Any]],
                  stores: dict[str, Any]) -> None:
    """Each walk-in's visits span their time in the store; nobody walking past has one."""
    shopper_ids = {public_id: id_ for public_id, id_ in s.execute(
        select(Shopper.public_id, Shopper.id))}
    visits: dict[int, list[Visit]] = {}
    for visit in s.scalars(select(Visit)):
        visits.setdefault(visit.shopper_id, []).append(visit)
    seen = {p["label"]: visits.get(shopper_ids[p["public_id"]], []) for p in truth}
    # Visits for shoppers who entered, spanning the moment they came through the door
    # (a visit starts when the phone was first heard, out on the pavement) ...
    for store in stores:
        # Each store's 3 walk-ins: a phone whose token rotation in the door is not
        # linked (its advert gaps stretched by a busy machine) must be heard 5 more
        # minutes and may leave first (issue 13: recall), so one of them may be missed.
        entered = [p for p in walk_ins if p["store"] == store and seen[p["label"]]]
        assert len(entered) >= 1, (store, seen)
    for person in walk_ins:
        for visit in seen[person["label"]]:
            truly = person["visits"][0]
            started = visit.started_at.timestamp()
            # Where the engine could not link the phone's token rotation in the door
            # (its gap between adverts stretched by a busy machine), the visit starts
            # with the new token, first heard around a window boundary: late, not lost.
            # On the demo's clock a busy machine's delays are SPEED times longer: a second
            # of real time before the new token's first advert is read (a run beside a CPU
            # hog: first heard 10.25 s after the boundary).
            offset = started % WINDOW_SECONDS
            rotated = min(offset, WINDOW_SECONDS - offset) < ROTATION_SLACK_S + SPEED * 1.0
            assert started <= truly["entered"] or rotated
            assert truly["entered"] < visit.last_seen_at.timestamp() <= truly["left"] + 120
            assert visit.store_id == stores[person["store"]]["id"]
    # ... and none for the people who only walked past.
    passers_by = [p["label"] for p in truth if p["role"] == "passer_by"]
    assert len(passers_by) == 3 * len(stores)
    assert [label for label in passers_by if seen[label]] == []


def _check_ledger_and_sales(s: Session, log: str) -> None:
    """Every kind of entry in both programs, and sales that carried rewards (``log``:
    the demo's logs, where the crowd says which shopper never checked in and why)."""
    entries = list(s.scalars(select(LedgerEntry)))
    kinds = {(e.program.code, e.kind) for e in entries}
    for program in ("corner-points", "partner-plus"):
        for kind in (WALK_IN, SCAN, PURCHASE, REDEMPTION):
            assert (program, kind) in kinds, (program, kind, sorted(kinds))
    committed = s.scalars(select(Checkout).where(Checkout.status == COMMITTED)).all()
    assert len(committed) >= 2, log
    # The cashier applies whatever is suggested in one step; a shopper whose walk-in
    # the engine missed under load (issue 13's recall) has no points to spend, so
    # nothing is suggested to them: at least the others' sales carry rewards.
    assert sum(c.rewards_applied for c in committed) >= 2


def _check_dashboards(demo: Demo, stores: dict[str, Any]) -> None:
    """Each store's dashboard counts the day's walk-ins, scans, sales and points."""
    for code, store in stores.items():
        figures = demo.dashboard(store)["last_days"]
        assert figures["walk_ins"] >= 2, (code, figures)
        assert figures["scans"] >= 1, (code, figures)
        assert figures["adoption"]["identified"] >= 1, (code, figures)
        assert all(p["points_issued"] > 0 for p in figures["programs"]), (code, figures)
        assert {p["program"] for p in figures["programs"]} == {"corner-points", "partner-plus"}


def test_demo_day_end_to_end_and_clean_stop(demo: Demo) -> None:
    deadline = time.monotonic() + DEADLINE_S
    info = wait_for(lambda: (demo.var / "demo.json").exists() and demo.info(), "the seed",
                    demo, deadline)
    stores = info["stores"]
    truth = wait_for(lambda: len(t := demo.truth()) == PEOPLE_PER_STORE * len(stores) and t,
                     "the crowd", demo, deadline)
    walk_ins = [p for p in truth if p["role"] == "walk_in"]
    last_left = max(v["left"] for p in walk_ins for v in p["visits"])

    def day_over() -> bool:
        # The API runs on the demo's clock: past the last walk-in's exit (they check
        # out a minute before leaving) plus two simulated minutes for the last upload.
        now = demo.dashboard(stores["berlin-1"])["as_of"]
        return dt.datetime.fromisoformat(now).timestamp() > last_left + 120

    wait_for(day_over, "the simulated day to end", demo, deadline)

    with Session(demo.engine) as s:
        _check_visits(s, truth, walk_ins, stores)
        _check_ledger_and_sales(s, demo.log())
    _check_dashboards(demo, stores)

    # Each store speaks its language: Berlin's register panel in German, and each
    # store's key learns its language (Lisbon: Portuguese) from the API.
    for code, language in (("berlin-1", "de"), ("lisbon-1", "pt")):
        mine = httpx.get(f"{demo.api}/v1/stores/mine", timeout=10.0,
                         headers={"Authorization": f"Bearer {stores[code]['manager_key']}"})
        assert mine.json()["language"] == language, mine.text
    host, api_port = demo.api.rsplit(":", 1)
    panel = httpx.get(f"{host}:{int(api_port) + 1}/", timeout=10.0).text
    assert '<html lang="de">' in panel and "Vorgeschlagene Prämien anwenden" in panel

    # Ctrl-C: every process group goes, and the database is left whole.
    processes = json.loads((demo.var / "demo-processes.json").read_text())
    assert {"api", "agent-berlin-1", "agent-lisbon-1", "panel", "crowd"} <= set(processes)
    os.killpg(demo.process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    assert demo.process.wait(60) == 0, demo.log()
    groups = set(processes.values())
    left = {pid: group for pid, group in pgids().items() if pid in groups or group in groups}
    assert left == {}
    assert "demo: stopped" in (demo.var.parent / "demo.out").read_text()

    wal = demo.var / "rewards.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed into the database
    with Session(demo.engine) as s:
        accounts = s.scalars(select(Account)).all()
        assert accounts
        for account in accounts:
            assert account.balance == ledger.ledger_sum(s, account.id)
            assert account.held == ledger.held_sum(s, account.id) == 0
    for home in (demo.var / "agents").iterdir():  # every decided event was uploaded
        outbox = Outbox(home / "state" / "outbox.sqlite3")
        assert outbox.depth() == 0
        assert outbox.counters().get("accepted", 0) > 0
        outbox.close()
