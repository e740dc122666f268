"""Test vectors for the wire formats (PROTOCOLS.md sections 1-3), checked from both
sides: the side that makes a value and the side that reads it.

The expected hex values were computed independently of this code with OpenSSL:
  token:     printf 0123456789abcdef002cdb1252574431 | xxd -r -p |
             openssl enc -aes-128-ecb -nopad -K 000102030405060708090a0b0c0d0e0f
  signature: openssl dgst -sha256 -mac HMAC -macopt hexkey:1111...11 over the string to sign
"""

from __future__ import annotations

import json

from rewards_protocol import events, presence, signing

KEY = bytes(range(16))
SHOPPER_REF = 0x0123456789ABCDEF
WINDOW = 2939666  # floor(1763800000 / 600), starts at 1763799600
PLAINTEXT_HEX = "0123456789abcdef002cdb1252574431"
TOKEN_HEX = "32f8f5c980212bdb0567e173d17b2ff6"
KEY_ID = 3
FRAME_HEX = "5213" + TOKEN_HEX

SECRET = bytes.fromhex("11" * 32)
TIMESTAMP = "1763800000"
NONCE = "00112233445566778899aabbccddeeff"
BODY = b'{"events":[]}'
BODY_SHA256 = "24de1c4a19c43ad41b013f13dcd858c17b0daa7f33a53f19913e5b11366d1c2e"
SIGNATURE_HEX = "eba074216934a5b5b83d7e89014694012f34a6fc01d474f778d1273c2b38b71b"


def test_window_is_ten_minutes():
    assert presence.window_of(1763799600.0) == WINDOW
    assert presence.window_of(1763799599.9) == WINDOW - 1
    assert presence.window_of(1763800199.9) == WINDOW


def test_token_vector_made_by_the_server_side():
    assert presence.token_plaintext(SHOPPER_REF, WINDOW).hex() == PLAINTEXT_HEX
    assert presence.seal_token(KEY, SHOPPER_REF, WINDOW).hex() == TOKEN_HEX


def test_token_vector_read_back():
    assert presence.open_token(KEY, bytes.fromhex(TOKEN_HEX)) == (SHOPPER_REF, WINDOW)
    assert presence.read_plaintext(bytes.fromhex(PLAINTEXT_HEX)) == (SHOPPER_REF, WINDOW)
    # Another key reads noise: the magic does not match.
    assert presence.open_token(bytes(16), bytes.fromhex(TOKEN_HEX)) is None


def test_frame_vector_from_the_phone_side():
    assert presence.encode_frame(KEY_ID, bytes.fromhex(TOKEN_HEX)).hex() == FRAME_HEX


def test_frame_vector_from_the_agent_side():
    frame = presence.frame_from_manufacturer_data({0xFFFF: bytes.fromhex(FRAME_HEX)})
    assert frame is not None
    assert (frame.version, frame.key_id, frame.token_hex) == (1, KEY_ID, TOKEN_HEX)
    # Other companies' data and other frame versions are ignored.
    assert presence.frame_from_manufacturer_data({0x004C: bytes.fromhex(FRAME_HEX)}) is None
    assert presence.decode_frame(bytes.fromhex("5223" + TOKEN_HEX)) is None


def test_signature_vector_made_by_the_agent_side():
    assert signing.string_to_sign("POST", events.SIGHTINGS_PATH, TIMESTAMP, NONCE, BODY) == (
        f"POST\n/v1/agents/sightings\n{TIMESTAMP}\n{NONCE}\n{BODY_SHA256}".encode())
    headers = signing.sign_headers("7", SECRET, "POST", events.SIGHTINGS_PATH, BODY,
                                   now=float(TIMESTAMP), nonce=NONCE)
    assert headers == {"X-Agent-Id": "7", "X-Timestamp": TIMESTAMP, "X-Nonce": NONCE,
                       "X-Signature": SIGNATURE_HEX}


def test_signature_vector_checked_by_the_api_side():
    assert signing.signature_matches(SECRET, "POST", events.SIGHTINGS_PATH, TIMESTAMP, NONCE,
                                     BODY, SIGNATURE_HEX.upper())
    assert not signing.signature_matches(SECRET, "POST", events.SIGHTINGS_PATH, TIMESTAMP,
                                         NONCE, BODY + b" ", SIGNATURE_HEX)
    assert signing.timestamp_fresh(TIMESTAMP, float(TIMESTAMP) + 300)
    assert not signing.timestamp_fresh(TIMESTAMP, float(TIMESTAMP) + 301)
    assert signing.nonce_well_formed(NONCE)
    assert not signing.nonce_well_formed(NONCE[:30])


def test_event_vector_round_trips_through_the_schema():
    raw = {"event_id": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b", "kind": "enter",
           "frame_version": 1, "key_id": KEY_ID, "token": TOKEN_HEX,
           "first_seen": 1763800000.1, "last_seen": 1763800012.9, "rssi_max": -58,
           "rssi_median": -66, "count": 41}
    event = events.parse_event(json.loads(json.dumps(raw)))
    assert event.to_json() == raw
