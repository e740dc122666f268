"""Where a staff key may act: the one rule every staff and register route applies to a
store, a chain or a program that comes from the request (path, query or body).

- A cashier (register) or manager key acts in its own store.
- An admin key acts in the stores of its chain (a chain admin), or in every store when
  it belongs to no chain (head office).
- A partner operator key acts in no store: only on the partner program's rewards and on
  the partner settlement.

Programs: a chain's own program pays points (walk-ins, scans, adjustments) where that
chain's staff decide; its catalog (rewards, earn rules) is the chain's admins' to change.
The partner program's points are head office's; its rewards are head office's and the
partner operator's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from rewards_api.audit.models import AuditEntry
from rewards_api.errors import ApiError
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.staff.models import ADMIN, CASHIER, MANAGER, PARTNER, StaffKey
from rewards_api.stores.models import Store


def chain_of(staff: StaffKey) -> int | None:
    """The chain the key acts in; None for head office and the partner operator."""
    return staff.store.chain_id if staff.store is not None else staff.chain_id


def is_head_office(staff: StaffKey) -> bool:
    return staff.role == ADMIN and staff.store_id is None and staff.chain_id is None


def is_chain_admin(staff: StaffKey) -> bool:
    return staff.role == ADMIN and staff.chain_id is not None


def may_act_in(staff: StaffKey, store: Store) -> bool:
    if staff.role == PARTNER:
        return False
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


def require_chain_wide(staff: StaffKey, chain_id: int) -> None:
    """Acting on every store of a chain at once (a chain-wide campaign): its admins."""
    if not (is_head_office(staff) or (is_chain_admin(staff) and staff.chain_id == chain_id)):
        raise ApiError("forbidden", "Only the chain's admins act on all of its stores at once.")


def stores_in_scope(staff: StaffKey) -> ColumnElement[bool]:
    """A condition on ``Store``: the stores ``staff`` may act in (for listings)."""
    if staff.role == PARTNER:
        return false()
    if staff.store_id is not None:
        return Store.id == staff.store_id
    if staff.chain_id is not None:
        return Store.chain_id == staff.chain_id
    return true()


def settlement_stores(staff: StaffKey) -> ColumnElement[bool]:
    """A condition on ``Store``: whose partner settlement ``staff`` may read (the partner
    operator: every store's; everyone else: the stores they act in)."""
    return true() if staff.role == PARTNER else stores_in_scope(staff)


def require_settlement_store(staff: StaffKey, store: Store | None) -> Store:
    if store is not None and staff.role == PARTNER:
        return store
    return require_store(staff, store)


def pays_from(staff: StaffKey, program: Program) -> bool:
    """``staff`` may pay out or correct ``program``'s points (adjustments, walk-in rules,
    scan campaigns)."""
    return is_head_office(staff) or (
        staff.role != PARTNER and program.kind == STORE_PROGRAM
        and program.chain_id == chain_of(staff))


def require_program(staff: StaffKey, program: Program) -> Program:
    """``program`` when ``pays_from``, else ``forbidden``."""
    if pays_from(staff, program):
        return program
    raise ApiError("forbidden", "Only your chain's own program is yours to change; "
                                "the partner program and other chains' are not.")


def changes_catalog(staff: StaffKey, program: Program) -> bool:
    """``staff`` may change ``program``'s rewards and earn rules: the chain's admins for
    a chain's program; head office and the partner operator for the partner program's
    rewards (its earn rules: head office)."""
    return (is_head_office(staff)
            or (is_chain_admin(staff) and program.kind == STORE_PROGRAM
                and program.chain_id == staff.chain_id)
            or (staff.role == PARTNER and program.kind == PARTNER_PROGRAM))


def require_catalog(staff: StaffKey, program: Program) -> Program:
    """``program`` when ``changes_catalog``, else ``forbidden``."""
    if changes_catalog(staff, program):
        return program
    raise ApiError("forbidden", "Only the program's own admins change its rewards and rules.")


def programs_in_scope(staff: StaffKey) -> ColumnElement[bool]:
    """A condition on ``Program``: the programs whose catalog ``staff`` may read."""
    if is_head_office(staff):
        return true()
    if staff.role == PARTNER:
        return Program.kind == PARTNER_PROGRAM
    # Managers read their chain's catalog (the register offers it) but change nothing.
    return ((Program.kind == PARTNER_PROGRAM)
            | ((Program.kind == STORE_PROGRAM) & (Program.chain_id == chain_of(staff))))


def audit_in_scope(staff: StaffKey) -> ColumnElement[bool]:
    """A condition on ``AuditEntry``: the changes ``staff`` may read."""
    if is_head_office(staff):
        return true()
    if staff.role == PARTNER:
        return AuditEntry.program_id.in_(select(Program.id).where(Program.kind == PARTNER_PROGRAM))
    if staff.store_id is not None:
        return AuditEntry.store_id == staff.store_id
    return AuditEntry.chain_id == staff.chain_id


def require_key_scope(staff: StaffKey, role: str, store: Store | None, chain_id: int | None
                      ) -> None:
    """``staff`` may issue or revoke a key of ``role`` for ``store`` (or an admin key
    of ``chain_id``): a manager their store's register keys; a chain admin the
    register and manager keys of its stores and its chain's admin keys; head office
    every key."""
    if is_head_office(staff):
        return
    if store is not None and may_act_in(staff, store) and (
            role == CASHIER or (role == MANAGER and is_chain_admin(staff))):
        return
    if role == ADMIN and is_chain_admin(staff) and chain_id == staff.chain_id:
        return
    raise ApiError("forbidden", "Your role may not issue or revoke this kind of key here.")


def keys_in_scope(staff: StaffKey) -> ColumnElement[bool]:
    """A condition on ``StaffKey``: the keys ``staff`` may see (never the keys
    themselves, only their records)."""
    if is_head_office(staff):
        return true()
    of_stores = StaffKey.store_id.in_(select(Store.id).where(stores_in_scope(staff)))
    if is_chain_admin(staff):
        return of_stores | (StaffKey.chain_id == staff.chain_id)
    return of_stores


def require_head_office(staff: StaffKey) -> None:
    """New chains and programs are head office's to make."""
    if not is_head_office(staff):
        raise ApiError("forbidden", "Only head office makes chains and programs.")
