"""A signed-in shopper as the request knows them: who they are and their balances
(read by ``rewards_api.auth`` in one round trip, passed to services as a value)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Balance:
    program: str
    program_name: str
    kind: str
    balance: int
    held: int
    membership_number: str | None
    account_id: int
    program_id: int

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who the shopper token belongs to, with their balances in every program."""

    shopper_id: int
    token_id: int
    public_id: str
    display_name: str
    assist_opt_in: bool
    language: str | None  # chosen in the app; None: the browser's
    balances: tuple[Balance, ...]
