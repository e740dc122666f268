"""Concurrent scans against a campaign budget: a real threaded HTTP server, one real
connection per client thread, all released at once."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx
from sqlalchemy import func, select

from rewards_api import db
from rewards_api.ledger.models import SCAN, LedgerEntry
from rewards_api.scans.models import ScanCampaign
from tests.support.live import serve
from tests.support.scan_shop import SODA_UPCA, shopper_id, walk_in

SHOPPERS = 12
AWARDS_IN_BUDGET = 5


def test_concurrent_scans_never_overspend_the_budget(app, api, shop, clock):
    with app.app_context():
        db.session().get(ScanCampaign, shop.campaigns["cola-brand"]).budget = 30 * AWARDS_IN_BUDGET
        db.session().commit()
    tokens = []
    for n in range(SHOPPERS):
        shopper = api.register(f"Racer {n}")
        with app.app_context():
            walk_in(shopper_id(shopper["public_id"]), shop.munich, clock.now)
            db.session().commit()
        tokens.append(shopper["token"])

    start = threading.Barrier(SHOPPERS)
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def scan(token: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            response = client.post("/v1/me/scans", json={"store_id": shop.munich, "code": SODA_UPCA,
                                                          "symbology": "upca"},
                                   headers={"Authorization": f"Bearer {token}",
                                            "Idempotency-Key": str(uuid.uuid4())})
            error = response.json().get("error", {}).get("code")
            with lock:
                answers.append((response.status_code, error))

    threads = [threading.Thread(target=scan, args=(t,)) for t in tokens]
    with serve(app) as base:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
    assert Counter(answers) == Counter({(201, None): AWARDS_IN_BUDGET,
                                        (409, "campaign_budget_exhausted"): SHOPPERS - AWARDS_IN_BUDGET})
    with app.app_context():
        s = db.session()
        assert s.get(ScanCampaign, shop.campaigns["cola-brand"]).points_awarded == 30 * AWARDS_IN_BUDGET
        assert s.scalar(select(func.count()).select_from(LedgerEntry)
                        .where(LedgerEntry.kind == SCAN)) == AWARDS_IN_BUDGET
