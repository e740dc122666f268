"""What is new for whom: the polls behind the live streams.

A shopper's stream tells only their own news: points credited or taken (``points``,
as their history shows them), the checkout waiting for their answer (``checkout``, as
``GET /v1/me/checkout`` shows it) and the store they are in (``visit``, as ``GET
/v1/me/visit`` shows it: the app sends a scan made before the store saw them walk in
again then). A store's stream tells its staff
when a shopper asks for help (``help``) and when the day's figures moved (``store``:
a new visit, points moved at the store, the help list changed). Each poll opens its
own short read session: an open stream holds no database connection between polls.

Known limit: the cursor is an id, and on PostgreSQL ids are handed out before commit,
so an entry whose transaction commits after a later id was already sent is not sent
(its toast is missed; balances and history are still right, the app reloads them on
the next event or visit). Help requests have the same limit; the ``store`` pulse
covers them (its ``waiting`` count changes and the list is redrawn).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rewards_api import clock, i18n
from rewards_api.assist.models import HelpRequest
from rewards_api.history import entry_views
from rewards_api.ledger.models import Account, LedgerEntry
from rewards_api.live.stream import Event, Poll
from rewards_api.pos import checkout as checkouts
from rewards_api.pos import screen
from rewards_api.shoppers.models import Shopper
from rewards_api.visits import services as visits
from rewards_api.visits.models import Visit

# At most this many events of one kind per poll; the rest come with the next poll.
BATCH = 50
_UNSENT = object()


def _read_session() -> Session:
    session: Session = current_app.extensions["rewards_db_read"]()
    return session


def shopper_cursor(s: Session, shopper_id: int) -> int:
    """Where a new shopper stream starts: after their newest ledger entry."""
    newest = s.scalar(select(func.max(LedgerEntry.id))
                      .join(Account, LedgerEntry.account_id == Account.id)
                      .where(Account.shopper_id == shopper_id))
    return int(newest or 0)


def shopper_feed(shopper_id: int, language: str) -> Poll:
    """The polls of one shopper's stream (cursor: their newest ledger entry sent), in
    ``language`` (the opening request's: polls run outside any request)."""
    # The checkout and the visit last sent, to send only changes.
    shown: dict[str, Any] = {"checkout": _UNSENT, "visit": _UNSENT}
    within = visits.checked_in_within()

    def changed(name: str, current: Any, cursor: int) -> list[Event]:
        if current == shown[name]:
            return []
        shown[name] = current
        return [Event(name, {name: current}, cursor)]

    def poll(cursor: int) -> tuple[list[Event], int]:
        with _read_session() as s, i18n.speaking(language):
            entries = list(s.scalars(
                select(LedgerEntry).join(Account, LedgerEntry.account_id == Account.id)
                .where(Account.shopper_id == shopper_id, LedgerEntry.id > cursor)
                .order_by(LedgerEntry.id).limit(BATCH)))
            events = [Event("points", view, view["id"])
                      for view in entry_views(s, entries)]
            cursor = entries[-1].id if entries else cursor
            at = clock.now()
            shopper = s.get(Shopper, shopper_id)
            checkout = checkouts.asking_checkout(s, shopper, at) if shopper else None
            events += changed("checkout", screen.consent_screen(s, checkout).to_json() if checkout else None,
                              cursor)
            events += changed("visit", visits.visit_now(s, shopper_id, at, within) if shopper else None, cursor)
        return events, cursor

    return poll


def store_cursor(s: Session, store_id: int) -> int:
    """Where a new store stream starts: after the store's newest help request."""
    return int(s.scalar(select(func.max(HelpRequest.id))
                        .where(HelpRequest.store_id == store_id)) or 0)


def _pulse(s: Session, store_id: int) -> dict[str, Any]:
    """A fingerprint of the store's day: it changes when the dashboard's figures may."""
    newest_visit = s.scalar(select(Visit.id).where(Visit.store_id == store_id)
                            .order_by(Visit.started_at.desc(), Visit.id.desc()).limit(1))
    newest_entry = s.scalar(select(LedgerEntry.id).where(LedgerEntry.store_id == store_id)
                            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
                            .limit(1))
    waiting = s.scalar(select(func.count()).select_from(HelpRequest).where(
        HelpRequest.store_id == store_id, HelpRequest.helped_at.is_(None)))
    return {"visit": newest_visit, "entry": newest_entry, "waiting": waiting}


def store_feed(store_id: int) -> Poll:
    """The polls of one store's stream (cursor: its newest help request sent)."""
    shown: list[Any] = [_UNSENT]

    def poll(cursor: int) -> tuple[list[Event], int]:
        with _read_session() as s:
            asked = list(s.scalars(select(HelpRequest).where(
                HelpRequest.store_id == store_id, HelpRequest.id > cursor)
                .order_by(HelpRequest.id).limit(BATCH)))
            events = [Event("help", {"help_request_id": r.id, "asked_at": r.created_at.isoformat()},
                            r.id) for r in asked]
            cursor = asked[-1].id if asked else cursor
            pulse = _pulse(s, store_id)
            if pulse != shown[0]:
                shown[0] = pulse
                events.append(Event("store", pulse, cursor))
        return events, cursor

    return poll
