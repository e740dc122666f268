"""The demo's simulated crowd: shoppers' phones in front of and inside each store.

Every ten simulated minutes, per store, a new group of people registers through the
API (every one of them has the app), downloads its presence tokens
(``GET /v1/me/presence-tokens``) and goes past the store: walk-ins enter, dwell and
leave; window shoppers stop at the glass; passers-by walk along the pavement. The
agent simulator (``beacon_agent.simulator``) turns their paths into advertisements
carrying the real tokens, which are written, on the simulated clock, into the store's
radio FIFO that its ``beacon-agent run --simulated-radio`` listens to.

A walk-in's phone waits until its walk-in points show (the agent saw it enter and
uploaded), scans the coffee by number and photographs the cola's barcode, and before
leaving checks out at register 1 through ``pos_plugin``: identified by the TOTP
checkout code, suggested rewards of both programs applied, agreed on the phone, committed.

The ground truth (who had which role, when they entered and left) is appended to
``VAR/crowd/truth.jsonl``, one line per person, for the demo test to compare with
what the API recorded.

    python -m demo.crowd --api URL --var DIR --speed N --clock-origin UNIX \
        --crowd N --minutes M
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import barcode
import httpx
from barcode.writer import ImageWriter

from beacon_agent import simulator
from beacon_agent.radio import SpeedClock
from pos_plugin import CheckoutSession, RewardsClient, RewardsError
from rewards_api.demo_seed import BREAD, COFFEE, COLA
from rewards_api.shoppers.services import checkout_totp
from rewards_protocol import trace
from rewards_protocol.presence import WINDOW_SECONDS

log = logging.getLogger("demo.crowd")

ROUND_MINUTES = 10.0  # one group of people per store every ten simulated minutes
DWELL_MINUTES = (5.0, 10.0)  # a quick shop, but longer than the 5 minutes an agent new to its store waits
# People per group and crowd level: walk-ins, window shoppers, passers-by.
GROUP = (3, 1, 3)
# Phones retry their API calls this long (real seconds) before giving up.
HTTP_TIMEOUT_S = 10.0
BASKET = {"currency": "EUR", "lines": [
    {"gtin": COFFEE, "quantity": 1, "unit_price_minor": 549, "description": "Morning Coffee"},
    {"gtin": COLA, "quantity": 2, "unit_price_minor": 129, "description": "Cola Classic"},
    {"gtin": BREAD, "quantity": 1, "unit_price_minor": 280, "description": "Farmhouse Bread"},
]}


def barcode_png(gtin14: str) -> bytes:
    """What a phone's camera sends for a product: a PNG of its EAN-13 barcode."""
    code = barcode.get("ean13", gtin14[1:13], writer=ImageWriter())
    out = io.BytesIO()
    code.render({"module_width": 0.254, "module_height": 15, "quiet_zone": 3,
                 "font_size": 8, "text_distance": 3, "dpi": 300}).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Store:
    code: str
    id: int
    register_key: str
    radio: Path


class Crowd:
    def __init__(self, args: argparse.Namespace, demo: dict[str, Any]) -> None:
        self.args = args
        self.clock = SpeedClock(args.speed, origin=args.clock_origin)
        self.stop = threading.Event()
        self.http = httpx.Client(base_url=args.api, timeout=HTTP_TIMEOUT_S)
        self.truth_path = args.var / "crowd" / "truth.jsonl"
        self.truth_path.parent.mkdir(parents=True, exist_ok=True)
        self._truth_lock = threading.Lock()
        self.stores = [Store(code, info["id"], info["registers"]["Register 1"],
                             args.var / "agents" / code / "radio.fifo")
                       for code, info in demo["stores"].items()]
        self.trips: list[threading.Thread] = []
        self.photo = barcode_png(COLA)

    # -- the simulated clock ------------------------------------------------------------

    def wait_until(self, sim_time: float) -> bool:
        """Sleep (in real time) until the simulated clock reads ``sim_time``; False if
        the crowd is stopping."""
        while not self.stop.is_set():
            left = (sim_time - self.clock()) / self.args.speed
            if left <= 0:
                return True
            self.stop.wait(min(left, 1.0))
        return False

    # -- a shopper's phone --------------------------------------------------------------

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if method != "GET":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return self.http.request(method, path, headers=headers, **kwargs)

    def register(self, label: str, start: float, windows: int) -> dict[str, Any]:
        answer = self.http.post("/v1/shoppers", json={"display_name": label},
                                headers={"Idempotency-Key": str(uuid.uuid4())})
        answer.raise_for_status()
        phone = answer.json()
        tokens = self.call("GET", "/v1/me/presence-tokens", phone["token"],
                           params={"from": int(start), "count": windows})
        tokens.raise_for_status()
        phone["tokens"] = tokens.json()
        return phone

    def checked_in(self, phone: dict[str, Any]) -> bool:
        me = self.call("GET", "/v1/me", phone["token"]).json()
        return any(a["balance"] > 0 for a in me.get("accounts", []))

    def trip(self, store: Store, phone: dict[str, Any], entered: float, left: float) -> None:
        """A walk-in's visit as the phone sees it: check-in, two scans, checkout."""
        try:
            if not self.wait_until(entered):
                return
            while not self.checked_in(phone):  # the app's "you're checked in" banner
                if self.clock() > left or self.stop.wait(1.0):
                    log.warning("%s: never checked in at %s", phone["label"], store.code)
                    return
            if not self.wait_until(entered + (left - entered) / 3):
                return
            self.scan(phone, store, json={"store_id": store.id, "code": COFFEE[1:],
                                          "symbology": "ean13"})
            if not self.wait_until(entered + (left - entered) * 2 / 3):
                return
            self.scan(phone, store, data={"store_id": str(store.id)},
                      files={"photo": ("cola.png", self.photo, "image/png")})
            if not self.wait_until(left - 60.0):
                return
            self.checkout(store, phone)
        except (httpx.HTTPError, RewardsError) as exc:
            log.warning("%s at %s: %s", phone["label"], store.code, exc)

    def scan(self, phone: dict[str, Any], store: Store, **body: Any) -> None:
        answer = self.call("POST", "/v1/me/scans", phone["token"], **body)
        if answer.status_code != 201:
            log.warning("%s: scan refused: %s", phone["label"], answer.text[:200])

    def checkout(self, store: Store, phone: dict[str, Any]) -> None:
        client = RewardsClient(self.args.api, store.register_key, timeout=HTTP_TIMEOUT_S)
        try:
            sale = CheckoutSession(client, BASKET, cashier=f"{store.code} cashier")
            code = checkout_totp(phone["checkout_secret"]).now()
            view = sale.scan_and_apply(f"RWD1:{phone['public_id']}:{code}")
            if self.stop.is_set():
                sale.void()  # no hold is left behind by a demo stopped mid-sale
                return
            asked = self.call("GET", "/v1/me/checkout", phone["token"]).json()["checkout"]
            if view is not None and asked is not None:  # the shopper agrees on the phone
                self.call("POST", f"/v1/me/checkouts/{asked['id']}/consent", phone["token"],
                          json={"rewards": [r["reward"] for r in asked["rewards"]],
                                "agree": True}).raise_for_status()
            sale.commit()
        finally:
            client.close()

    # -- a store's entrance -------------------------------------------------------------

    def group(self, store: Store, number: int, start: float) -> simulator.Simulation:
        """Register the next group of people and simulate their time at the entrance."""
        walk_ins, window_shoppers, passers_by = (n * self.args.crowd for n in GROUP)
        minutes = min(ROUND_MINUTES, self.args.minutes)
        scenario = simulator.Scenario(
            seed=number * 97 + sum(map(ord, store.code)), minutes=minutes, walk_ins=walk_ins,
            window_shoppers=window_shoppers, passers_by=passers_by,
            site=simulator.Site(dwell_minutes=DWELL_MINUTES), start=start)
        # Tokens for every window in which one of them may still be around.
        windows = int((minutes + DWELL_MINUTES[1] + 5) * 60 // WINDOW_SECONDS) + 2
        phones = {}
        for i in range(walk_ins + window_shoppers + passers_by):
            label = f"{store.code}-g{number}-{i}"
            phones[label] = {"label": label, **self.register(label, start, windows)}
        simulation = simulator.simulate(scenario, {k: p["tokens"] for k, p in phones.items()})
        lines = []
        for person in simulation.people:
            phone = phones[person.label]
            visits = [{"entered": start + v["entered"], "left": start + v["left"]}
                      for v in person.visits]
            lines.append(json.dumps({"store": store.code, "label": person.label,
                                     "role": person.role, "public_id": phone["public_id"],
                                     "visits": visits}) + "\n")
            for visit in visits:
                trip = threading.Thread(target=self.trip, name=person.label,
                                        args=(store, phone, visit["entered"], visit["left"]))
                trip.start()
                self.trips.append(trip)
        with self._truth_lock, self.truth_path.open("a") as truth:
            truth.writelines(lines)
        return simulation

    def entrance(self, store: Store) -> None:
        """Feed the store's radio: groups of people, one after another, until the day
        (``--minutes``) is over; then keep it open (the agent idles) until the crowd
        stops, and close it: the agent reads the end of its radio."""
        fd = os.open(store.radio, os.O_WRONLY)  # blocks until the agent opens its end
        players: list[threading.Thread] = []
        try:
            day_end = self.clock() + self.args.minutes * 60.0
            start, number = self.clock(), 0
            while start < day_end and not self.stop.is_set():
                adverts = self.group(store, number, start).adverts
                next_start = start + ROUND_MINUTES * 60.0
                if next_start < day_end:
                    # The next group arrives while these people are still around.
                    players.append(threading.Thread(target=self.play,
                                                    args=(fd, start, adverts)))
                    players[-1].start()
                    if not self.wait_until(next_start):
                        break
                else:
                    self.play(fd, start, adverts)
                start, number = next_start, number + 1
            self.stop.wait()
        except OSError as exc:  # the agent went away
            log.error("the radio of %s closed: %s", store.code, exc)
            self.stop.set()
        finally:
            for player in players:
                player.join()
            os.close(fd)

    def play(self, fd: int, start: float, adverts: Any) -> None:
        for advert in adverts:
            if not self.wait_until(start + advert.t):
                return
            try:
                self.write(fd, start, advert)
            except OSError as exc:  # the agent went away
                log.error("a radio closed: %s", exc)
                self.stop.set()
                return

    def write(self, fd: int, start: float, advert: trace.Advertisement) -> None:
        record = advert.to_json()
        record["t"] = round(start + advert.t, 3)  # trace time = the simulated unix time
        # One write per line, under PIPE_BUF: lines of two groups never interleave.
        os.write(fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())

    def run(self) -> None:
        doors = [threading.Thread(target=self.entrance, args=(store,), name=store.code)
                 for store in self.stores]
        for door in doors:
            door.start()
        self.stop.wait()
        for thread in doors:
            thread.join()
        for thread in self.trips:
            thread.join()
        self.http.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.crowd", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", required=True)
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--clock-origin", type=float, required=True)
    parser.add_argument("--crowd", type=int, default=1, help="people per group, multiplied")
    parser.add_argument("--minutes", type=float, default=480.0,
                        help="length of the simulated day (arrivals)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    crowd = Crowd(args, json.loads((args.var / "demo.json").read_text()))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: crowd.stop.set())
    crowd.run()


if __name__ == "__main__":
    main()
