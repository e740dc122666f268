"""Data in the reader's language: the one lookup for names typed once (a reward's, a
campaign's, a product's) and translated per language by the back office.

A name is stored once, in whatever language it was typed (``Reward.name``); its
translations live in ``translations`` keyed by kind, row, field and language.
``names`` answers the names of many rows in the request's language (rewards_api.i18n)
in one query, falling back to the stored name. Store names are proper names: not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rewards_api import i18n
from rewards_api.audit import services as audit
from rewards_api.localized.models import Translation

REWARD = "reward"
CAMPAIGN = "campaign"
PRODUCT = "product"
NAME = "name"


def set_names(s: Session, kind: str, row_id: int, names: Mapping[str, str] | None) -> None:
    """Replace the row's translated names by ``names`` (language → name; a language
    left out has no translation any more). None leaves them as they are."""
    if names is None:
        return
    s.execute(delete(Translation).where(Translation.kind == kind, Translation.row_id == row_id,
                                        Translation.field == NAME))
    s.add_all(Translation(kind=kind, row_id=row_id, field=NAME, language=language, text=text)
              for language, text in sorted(names.items()))
    s.flush()


def all_names(s: Session, kind: str, row_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Every translated name of the rows, by row id then language (for the back office)."""
    found: dict[int, dict[str, str]] = {}
    for row_id, language, text in s.execute(
            select(Translation.row_id, Translation.language, Translation.text)
            .where(Translation.kind == kind, Translation.field == NAME,
                   Translation.row_id.in_(set(row_ids)))):
        found.setdefault(row_id, {})[language] = text
    return found


def snapshot(s: Session, kind: str, thing: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The audit trail's state of a row (``audit.snapshot``) with its translated names
    under ``names`` (language → name), so that the entry of a change shows them
    before and after like every other field."""
    state = audit.snapshot(thing, fields)
    state["names"] = all_names(s, kind, [thing.id]).get(thing.id, {})
    return state


def names(s: Session, kind: str, stored: Mapping[int, str],
          language: str | None = None) -> dict[int, str]:
    """The rows' names (``stored``: row id → the name as typed) in ``language`` (the
    request's by default), each falling back to its stored name."""
    wanted = language or i18n.current()
    if not stored:
        return {}
    translated = {row_id: text for row_id, text in s.execute(
        select(Translation.row_id, Translation.text)
        .where(Translation.kind == kind, Translation.field == NAME,
               Translation.language == wanted, Translation.row_id.in_(set(stored))))}
    return {row_id: translated.get(row_id, name) for row_id, name in stored.items()}


def name(s: Session, kind: str, row_id: int, stored: str, language: str | None = None) -> str:
    """One row's name in ``language`` (the request's by default), else ``stored``."""
    return names(s, kind, {row_id: stored}, language)[row_id]
