"""``python -m demo`` (what ``make demo`` runs): the whole store on this machine.

Starts, each in its own process group with its log under ``VAR/logs/``:

- the rewards API under gunicorn (SQLite ``VAR/rewards.db``, migrated and seeded);
- per store, ``beacon-agent run`` on a simulated radio (a FIFO in ``VAR/agents/STORE/``);
- the simulated crowd (``demo/crowd.py``) feeding those radios, scanning, checking out;
- the cashier panel (``pos-plugin panel``) of register 2 in Berlin, for a person;
- the staff guide, built with MkDocs and served by ``python -m http.server``;
- a mail sink (``demo/mailbox.py``, in this process): sign-in codes the API mails are
  printed here and kept in ``VAR/mail/``.

Prints the URLs, then a status line per store every ``--status-every`` seconds.
Ctrl-C (or SIGTERM) stops the crowd first, then closes the radios so that the agents
upload what they decided and exit, then the panel, the guide and the API; waits for
every process group, and checkpoints the SQLite WAL into the database file.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

import rewards_api
from demo import mailbox
from rewards_api.settings import dev_secrets

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PANEL_STORE, PANEL_REGISTER = "berlin-1", "Register 2"
PANEL_BASKET = {"currency": "EUR", "lines": [
    {"gtin": "04006381333931", "quantity": 1, "unit_price_minor": 549,
     "description": "Morning Coffee"},
    {"gtin": "00036000291452", "quantity": 2, "unit_price_minor": 129,
     "description": "Cola Classic"},
]}
STOP_GRACE_S = 20.0  # how long a process group may take to stop before it is killed


class Stack:
    """The child processes, in start order; stopped in reverse."""

    def __init__(self, var: Path, env: dict[str, str]) -> None:
        self.var, self.env = var, env
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        (var / "logs").mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[Any], stdin: bytes | None = None) -> None:
        log = (self.var / "logs" / f"{name}.log").open("ab")
        # A session (and process group) of its own: Ctrl-C in the terminal reaches only
        # this orchestrator, which then stops each child in order.
        self.children[name] = subprocess.Popen([str(a) for a in argv], cwd=ROOT, env=self.env,
                                               stdin=subprocess.DEVNULL, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._write_pids()

    def _write_pids(self) -> None:
        pids = {"orchestrator": os.getpid(), **{n: p.pid for n, p in self.children.items()}}
        (self.var / "demo-processes.json").write_text(json.dumps(pids))

    def run(self, name: str, argv: list[Any], stdin: str | None = None) -> str:
        """Run a set-up command to its end; its output, or SystemExit with its log."""
        done = subprocess.run([str(a) for a in argv], cwd=ROOT, env=self.env, input=stdin,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"demo: {name} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def exited(self) -> list[str]:
        return [n for n, p in self.children.items() if p.poll() is not None]

    def stop(self, name: str, sig: int = signal.SIGINT) -> None:
        child = self.children.pop(name, None)
        if child is None:
            return
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            pass
        try:
            child.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            print(f"demo: {name} did not stop in {STOP_GRACE_S:.0f} s; killing it", flush=True)
        try:  # whatever is left of its group (a worker, a grandchild) goes too
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--var", type=Path, default=Path("var"), help="state directory (reused)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="the simulated day runs this many times faster than real time")
    p.add_argument("--crowd", type=int, default=1,
                   help="simulated crowd size (0: no crowd, the store waits for you)")
    p.add_argument("--minutes", type=float, default=600.0,
                   help="length of the simulated day, in simulated minutes")
    p.add_argument("--ports-from", type=int, default=8000,
                   help="API on this port, the cashier panel on the next, the guide after")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--status-every", type=float, default=10.0, help="seconds between status lines")
    return p.parse_args(argv)


def wait_healthy(url: str, api: subprocess.Popen[bytes], deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise SystemExit("demo: the API exited at start; see its log in var/logs/api.log")
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling the API's health until it answers (bounded above)
    raise SystemExit(f"demo: the API did not answer at {url} within {deadline_s:.0f} s")


def store_figures(db_path: Path) -> dict[str, dict[str, int]]:
    """Per store: visits, walk-in points, scans, committed checkouts (read-only)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute("""
            SELECT s.code,
              (SELECT count(*) FROM visits v WHERE v.store_id = s.id AND v.flag IS NULL),
              (SELECT coalesce(sum(amount), 0) FROM ledger_entries e
                 WHERE e.store_id = s.id AND e.kind = 'walk_in'),
              (SELECT count(DISTINCT e.actor || e.created_at) FROM ledger_entries e
                 WHERE e.store_id = s.id AND e.kind = 'scan'),
              (SELECT count(*) FROM checkouts c
                 WHERE c.store_id = s.id AND c.status = 'committed')
            FROM stores s ORDER BY s.code""").fetchall()
    return {code: {"visits": v, "walk_in_points": w, "scans": sc, "checkouts": c}
            for code, v, w, sc, c in rows}


def status_line(db_path: Path) -> str:
    try:
        figures = store_figures(db_path)
    except sqlite3.Error as exc:
        return f"status unavailable: {exc}"
    return time.strftime("%H:%M:%S ") + " | ".join(
        f"{code}: {f['visits']} visits, {f['walk_in_points']} walk-in pts, {f['scans']} scans, "
        f"{f['checkouts']} checkouts" for code, f in figures.items())


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    var = args.var.resolve()
    var.mkdir(parents=True, exist_ok=True)
    api_port, panel_port, guide_port = args.ports_from, args.ports_from + 1, args.ports_from + 2
    mail_port = args.ports_from + 3
    api_url = f"http://127.0.0.1:{api_port}"
    origin = time.time()  # the simulated clock reads real time now, then runs at --speed
    secrets = dev_secrets(var / "dev-secrets.json")
    db_path = var / "rewards.db"
    env = {**os.environ, "REWARDS_DATABASE_URL": f"sqlite:///{db_path}",
           "REWARDS_SECRET_KEY": secrets["SECRET_KEY"],
           "REWARDS_PRESENCE_KEYS": secrets["PRESENCE_KEYS"],
           "REWARDS_BIND": f"127.0.0.1:{api_port}", "REWARDS_WORKERS": str(args.workers),
           "REWARDS_SMTP_HOST": "127.0.0.1", "REWARDS_SMTP_PORT": str(mail_port),
           "REWARDS_MAIL_FROM": "Corner Market rewards <rewards@corner.example>",
           # Passkeys need a host name (not an IP address) in a secure context.
           "REWARDS_WEBAUTHN_RP_ID": "localhost",
           "REWARDS_WEBAUTHN_ORIGIN": f"http://localhost:{api_port}",
           "DEMO_SPEED": str(args.speed), "DEMO_CLOCK_ORIGIN": str(origin),
           "PYTHONUNBUFFERED": "1"}
    stack = Stack(var, env)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    stack.run("db upgrade", [BIN / "rewards-api", "db", "upgrade"])
    print(stack.run("seeding", [BIN / "rewards-api", "seed-demo", "--out", var / "demo.json"])
          .strip(), flush=True)
    demo = json.loads((var / "demo.json").read_text())
    radios: list[int] = []
    mail = mailbox.start(var / "mail", mail_port)
    try:
        stack.start("api", [BIN / "gunicorn", "-c",
                            Path(rewards_api.__file__).parent / "gunicorn_conf.py",
                            "demo.api:create_app()"])
        wait_healthy(api_url, stack.children["api"])
        for code, store in demo["stores"].items():
            home = var / "agents" / code
            home.mkdir(parents=True, exist_ok=True)
            stack.run(f"provisioning the {code} agent", [
                BIN / "beacon-agent", "provision", "--config", home / "agent.toml",
                "--api-url", api_url, "--agent-id", store["agent"]["agent_id"],
                "--state-dir", home / "state"], stdin=store["agent"]["secret"] + "\n")
            fifo = home / "radio.fifo"
            if not fifo.exists():
                os.mkfifo(fifo, 0o600)
            # The demo holds the radio open itself: the agent starts listening at once,
            # stays up without a crowd, and reads the end of it only when this closes.
            radios.append(os.open(fifo, os.O_RDWR))
            stack.start(f"agent-{code}", [
                BIN / "beacon-agent", "run", "--config", home / "agent.toml",
                "--simulated-radio", fifo, "--speed", args.speed, "--clock-origin", origin])
        key_file = var / "keys" / "panel-register.key"
        key_file.parent.mkdir(exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(demo["stores"][PANEL_STORE]["registers"][PANEL_REGISTER] + "\n")
        stack.start("panel", [BIN / "pos-plugin", "panel", "--api", api_url, "--key-file",
                              key_file, "--port", panel_port, "--queue", var / "pos-queue.db",
                              "--cashier", "You"])
        guide = ROOT / "staff_guide" / "mkdocs.yml"
        guide_url = None
        if guide.exists():
            stack.run("building the staff guide", [BIN / "mkdocs", "build", "-q", "-f", guide,
                                                   "-d", var / "staff_guide_site"])
            stack.start("guide", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                  "--directory", var / "staff_guide_site", guide_port])
            guide_url = f"http://127.0.0.1:{guide_port}/"
        if args.crowd > 0:
            stack.start("crowd", [sys.executable, "-m", "demo.crowd", "--api", api_url,
                                  "--var", var, "--speed", args.speed, "--clock-origin", origin,
                                  "--crowd", args.crowd, "--minutes", args.minutes])
        till_basket(panel_port)
        print_urls(demo, api_url, panel_port, guide_url, var, args, mail_port)

        next_status = time.monotonic() + args.status_every
        while not stopping.wait(max(0.0, next_status - time.monotonic())):
            next_status += args.status_every
            print(status_line(db_path), flush=True)
            if stack.exited():
                print(f"demo: {', '.join(stack.exited())} stopped unexpectedly; see "
                      f"{var / 'logs'}; shutting down", flush=True)
                return 1
        return 0
    finally:
        shut_down(stack, radios, db_path)
        mail.stop()


def till_basket(panel_port: int) -> None:
    """What a till does when the cashier rings items up: send the basket to the panel,
    so that a person can scan a checkout code straight away."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{panel_port}/api/basket", json=PANEL_BASKET,
                       timeout=2.0).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)  # the panel is still starting (bounded by the deadline)
    print("demo: the cashier panel did not take the practice basket", flush=True)


def print_urls(demo: dict[str, Any], api_url: str, panel_port: int, guide_url: str | None,
               var: Path, args: argparse.Namespace, mail_port: int) -> None:
    berlin = demo["stores"][PANEL_STORE]
    shopper = demo["shopper"]
    crowd = (f"a simulated crowd of size {args.crowd} at {args.speed:g}x speed"
             if args.crowd else "no simulated crowd (CROWD=0): the stores wait for you")
    print(f"""
The demo store is open: two stores (berlin-1, lisbon-1), {crowd}.

  Store dashboard    {api_url}/dashboard  (open this first; manager key of berlin-1: {berlin['manager_key']})
  Shopper app        http://localhost:{api_url.rsplit(':', 1)[1]}/app  (use a phone-sized window; localhost, so that passkeys work)
  Mail               sign-in codes are printed here and kept in {var / 'mail'} (SMTP sink on 127.0.0.1:{mail_port})
  Cashier panel      http://127.0.0.1:{panel_port}/   (Berlin, register 2; a basket is rung up)
  Assist view        {api_url}/assist     (same manager key)
  Back office        {api_url}/manage     (results: same manager key; stores side by side: the admin key in demo.json)
  Staff guide        {guide_url or 'not built: staff_guide/mkdocs.yml is missing'}
  API docs           {api_url}/docs
  Keys and secrets   {var / 'demo.json'}

Check out by hand at the panel: sign up in the shopper app and show its checkout QR
(or type the RWD1:... line under it) to the panel; or use the demo shopper
{shopper['display_name']}, who has points in both programs: `.venv/bin/python -m demo.code
--var {var}` prints their current code; or switch the panel to training mode and
scan the practice code it shows.
Logs: {var / 'logs'}. Ctrl-C stops everything.
""", flush=True)


def shut_down(stack: Stack, radios: list[int], db_path: Path) -> None:
    print("demo: stopping ...", flush=True)
    stack.stop("crowd")
    for fd in radios:  # end of the radios: the agents upload what they decided and exit
        os.close(fd)
    for name in [n for n in stack.children if n.startswith("agent-")]:
        stack.stop(name)
    stack.stop("guide")
    stack.stop("panel")
    stack.stop("api", signal.SIGTERM)  # gunicorn: graceful stop of the workers
    if db_path.exists():
        with sqlite3.connect(db_path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print("demo: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
