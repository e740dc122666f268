"""The server's presence keys: making a shopper's tokens and reading tokens back.

``REWARDS_PRESENCE_KEYS`` lists ``key_id:32 hex`` pairs separated by commas. The last
pair is the newest key: new tokens are sealed with it. Rotation: append a new key
(with a key_id not in use), and remove an old key only once the tokens it sealed have
expired (phones download at most 7 days ahead, so 7 days plus a window after the new
key was appended).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from rewards_api.settings import SettingsError
from rewards_protocol.presence import MAX_KEY_ID, open_tokens, seal_token


@dataclass(frozen=True)
class PresenceKeys:
    keys: dict[int, bytes]
    newest: int

    @classmethod
    def parse(cls, text: str) -> PresenceKeys:
        keys: dict[int, bytes] = {}
        newest = -1
        for item in filter(None, (part.strip() for part in text.split(","))):
            key_id, _, hex_key = item.partition(":")
            try:
                number, key = int(key_id), bytes.fromhex(hex_key)
            except ValueError as exc:
                raise SettingsError("REWARDS_PRESENCE_KEYS entries look like 3:<32 hex digits>") from exc
            if not 0 <= number <= MAX_KEY_ID or len(key) != 16:
                raise SettingsError("REWARDS_PRESENCE_KEYS: key ids are 0..15, keys 16 bytes (32 hex)")
            if number in keys:
                raise SettingsError(f"REWARDS_PRESENCE_KEYS lists key id {number} twice")
            keys[number] = key
            newest = number
        if not keys:
            raise SettingsError("REWARDS_PRESENCE_KEYS holds no key")
        return cls(keys, newest)

    def seal(self, shopper_ref: int, window: int) -> tuple[int, bytes]:
        """``(key_id, token)`` for the shopper in that window, with the newest key."""
        return self.newest, seal_token(self.keys[self.newest], shopper_ref, window)

    def open(self, tokens: list[tuple[int, bytes]]) -> list[tuple[int, int] | None]:
        """``(shopper_ref, window)`` of each ``(key_id, token)``, or None where no key of
        ours made the token. One AES block decryption per token: the cost does not
        depend on the number of shoppers."""
        opened: list[tuple[int, int] | None] = [None] * len(tokens)
        by_key: dict[int, list[int]] = {}
        for index, (key_id, _) in enumerate(tokens):
            by_key.setdefault(key_id, []).append(index)
        for key_id, indexes in by_key.items():
            if key_id in self.keys:
                found = open_tokens(self.keys[key_id], [tokens[i][1] for i in indexes])
                for index, result in zip(indexes, found, strict=True):
                    opened[index] = result
        return opened


def init_app(app: Flask) -> None:
    app.extensions["presence_keys"] = PresenceKeys.parse(app.config["PRESENCE_KEYS"])


def keys() -> PresenceKeys:
    found: PresenceKeys = current_app.extensions["presence_keys"]
    return found
