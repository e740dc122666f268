"""Where a staff key may act: the one rule every staff and register route applies to a
store, a chain or a program that comes from the request (path, query or body).

A cashier or manager key acts in its own store. An admin key acts in the stores of its
chain, or in every store when it belongs to no chain (head office). The points, rewards
and earn rules of a chain's own program are changed by that chain's managers and admins;
those of the partner program by head office only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from rewards_api.errors import ApiError
from rewards_api.ledger.models import STORE_PROGRAM, Program
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Store


def chain_of(staff: StaffKey) -> int | None:
    """The chain the key acts in; None for head office."""
    return staff.store.chain_id if staff.store is not None else staff.chain_id


def is_head_office(staff: StaffKey) -> bool:
    return staff.store_id is None and staff.chain_id is None


def may_act_in(staff: StaffKey, store: Store) -> bool:
    if staff.store_id is not None:
        return staff.store_id == store.id
    return staff.chain_id is None or staff.chain_id == store.chain_id


def require_store(staff: StaffKey, store: Store | None) -> Store:
    """``store`` when ``staff`` may act in it: ``store_not_found`` without one,
    ``forbidden`` for another store's (or chain's)."""
    if store is None:
        raise ApiError("store_not_found")
    if not may_act_in(staff, store):
        raise ApiError("forbidden", "Your key belongs to another store.")
    return store


def stores_in_scope(staff: StaffKey) -> ColumnElement[bool]:
    """A condition on ``Store``: the stores ``staff`` may act in (for listings)."""
    if staff.store_id is not None:
        return Store.id == staff.store_id
    if staff.chain_id is not None:
        return Store.chain_id == staff.chain_id
    return true()


def require_program(staff: StaffKey, program: Program) -> Program:
    """``program`` when ``staff`` may change its points, rewards or earn rules."""
    if is_head_office(staff):
        return program
    if program.kind == STORE_PROGRAM and program.chain_id == chain_of(staff):
        return program
    raise ApiError("forbidden", "Only your chain's own program is yours to change; "
                                "the partner program and other chains' are not.")
