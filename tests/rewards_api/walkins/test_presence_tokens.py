"""A shopper's presence tokens, and presence-key rotation."""

from __future__ import annotations

import datetime as dt

import pytest

from rewards_api import create_app
from rewards_api.settings import SettingsError
from rewards_api.walkins.presence import PresenceKeys
from rewards_protocol import presence
from tests.rewards_api.walkins.conftest import T0, download_tokens, seen

OLD_KEY, NEW_KEY = "00" * 16, "ff" * 16


def test_tokens_are_one_per_window_and_only_the_owner_can_have_them(api, walkins):
    rosa, otto = api.register("Rosa"), api.register("Otto")
    tokens = download_tokens(api, rosa, T0, count=1008)
    first = presence.window_of(T0.timestamp())
    assert sorted(tokens) == list(range(first, first + 1008))
    assert len({t["token"] for t in tokens.values()}) == 1008
    assert set(download_tokens(api, otto, T0, count=3)[first].values()) != set(tokens[first].values())
    assert api.get("/v1/me/presence-tokens").status_code == 401


@pytest.mark.parametrize("query", ["count=1009", "count=0", f"from={int(T0.timestamp()) - 3600}",
                                   f"from={int(T0.timestamp()) + 86400 * 7}&count=10",
                                   "count=abc"])
def test_token_requests_out_of_range_are_refused(api, walkins, query):
    shopper = api.register("Rosa")
    response = api.get(f"/v1/me/presence-tokens?{query}", auth=shopper["token"])
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_rotated_keys_old_tokens_keep_resolving_new_ones_use_the_newest(app, api, walkins):
    app.extensions["presence_keys"] = PresenceKeys.parse(f"0:{OLD_KEY}")
    shopper = api.register("Rosa")
    old_tokens = download_tokens(api, shopper, T0)
    app.extensions["presence_keys"] = PresenceKeys.parse(f"0:{OLD_KEY}, 1:{NEW_KEY}")
    new_tokens = download_tokens(api, shopper, T0)
    window = presence.window_of(T0.timestamp())
    assert (old_tokens[window]["key_id"], new_tokens[window]["key_id"]) == (0, 1)
    assert old_tokens[window]["token"] != new_tokens[window]["token"]

    door = walkins.agents["berlin-door"]
    response = door.sightings([seen(old_tokens, T0), seen(new_tokens, T0 + dt.timedelta(minutes=1))])
    assert [r["status"] for r in response.get_json()["results"]] == ["accepted", "accepted"]

    app.extensions["presence_keys"] = PresenceKeys.parse(f"1:{NEW_KEY}")  # old key retired
    late = door.sightings([seen(old_tokens, T0 + dt.timedelta(minutes=2))])
    assert late.get_json()["results"][0]["reason"] == "unknown_token"


@pytest.mark.parametrize("keys", [",", "0:abcd", "16:" + OLD_KEY, f"0:{OLD_KEY},0:{NEW_KEY}",
                                  "x:" + OLD_KEY])
def test_bad_presence_keys_stop_the_app(keys):
    with pytest.raises(SettingsError):
        create_app({"PRESENCE_KEYS": keys, "DATABASE_URL": "sqlite://", "LOG_JSON": False})


def test_production_refuses_to_start_without_presence_keys():
    with pytest.raises(SettingsError, match="REWARDS_PRESENCE_KEYS"):
        create_app({"ENV": "production", "SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})
