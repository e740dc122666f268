"""Presence tokens and the BLE advertisement frame (PROTOCOLS.md sections 1 and 2).

Making and reading tokens needs the server's AES keys and lives in the API; this module
knows only their layout, which both sides share.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

WINDOW_SECONDS = 600
TOKEN_MAGIC = b"RWD1"
TOKEN_BYTES = 16
DEFAULT_COMPANY_ID = 0xFFFF  # reserved by the Bluetooth SIG for tests; deployments set their own
FRAME_TYPE = 0x52  # "R"
FRAME_VERSION = 1
MAX_KEY_ID = 15


def window_of(unix_time: float) -> int:
    """The 10-minute window a moment falls in."""
    return int(unix_time // WINDOW_SECONDS)


def token_plaintext(shopper_ref: int, window: int) -> bytes:
    """The 16-byte block that AES-128 encrypts into a token."""
    return struct.pack(">QI", shopper_ref, window) + TOKEN_MAGIC


def read_plaintext(block: bytes) -> tuple[int, int] | None:
    """``(shopper_ref, window)`` from a decrypted block, or None if the magic is wrong."""
    if len(block) != TOKEN_BYTES or block[12:] != TOKEN_MAGIC:
        return None
    shopper_ref, window = struct.unpack(">QI", block[:12])
    return shopper_ref, window


@dataclass(frozen=True, slots=True)
class Frame:
    version: int
    key_id: int
    token: bytes

    @property
    def token_hex(self) -> str:
        return self.token.hex()


def encode_frame(key_id: int, token: bytes) -> bytes:
    """The manufacturer-data payload (after the company id) a phone advertises."""
    if not 0 <= key_id <= MAX_KEY_ID:
        raise ValueError("key_id is 0..15")
    if len(token) != TOKEN_BYTES:
        raise ValueError("a token is 16 bytes")
    return bytes([FRAME_TYPE, (FRAME_VERSION << 4) | key_id]) + token


def decode_frame(payload: bytes) -> Frame | None:
    """Our frame from a manufacturer-data payload; None for anything else in the air."""
    if len(payload) != 2 + TOKEN_BYTES or payload[0] != FRAME_TYPE:
        return None
    version, key_id = payload[1] >> 4, payload[1] & 0x0F
    if version != FRAME_VERSION:
        return None
    return Frame(version=version, key_id=key_id, token=bytes(payload[2:]))


def frame_from_manufacturer_data(manufacturer_data: dict[int, bytes],
                                 company_id: int = DEFAULT_COMPANY_ID) -> Frame | None:
    """Our frame from bleak's ``AdvertisementData.manufacturer_data``."""
    payload = manufacturer_data.get(company_id)
    return None if payload is None else decode_frame(payload)


def _cipher(key: bytes):  # type: ignore[no-untyped-def]
    # Imported here so that this module stays importable with the standard library only
    # (the agent never makes or reads tokens; the API and the simulator do).
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(key) != 16:
        raise ValueError("presence keys are AES-128 (16 bytes)")
    return Cipher(algorithms.AES(key), modes.ECB())


def seal_token(key: bytes, shopper_ref: int, window: int) -> bytes:
    """``AES-128-ECB(K, shopper_ref || window || "RWD1")``: a single block, so ECB is the
    block cipher itself. Needs the ``cryptography`` package."""
    encryptor = _cipher(key).encryptor()
    return encryptor.update(token_plaintext(shopper_ref, window)) + encryptor.finalize()


def open_token(key: bytes, token: bytes) -> tuple[int, int] | None:
    """``(shopper_ref, window)`` of a token made with ``key``, or None if it was not."""
    return open_tokens(key, [token])[0]


def open_tokens(key: bytes, tokens: list[bytes]) -> list[tuple[int, int] | None]:
    """``open_token`` for many tokens in one call: each token is one ECB block, so the
    blocks decrypt independently and a whole batch goes through one decryptor."""
    if any(len(token) != TOKEN_BYTES for token in tokens):
        raise ValueError("a token is 16 bytes")
    decryptor = _cipher(key).decryptor()
    blocks = decryptor.update(b"".join(tokens)) + decryptor.finalize()
    return [read_plaintext(blocks[i:i + TOKEN_BYTES]) for i in range(0, len(blocks), TOKEN_BYTES)]
