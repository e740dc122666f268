"""The local bridge, driven by curl from a shell script (a POS in any language), with
the real ``pos-plugin bridge`` command in front of the real API; and what its returns
refuse."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pos_plugin import EarnQueue, RewardsClient
from pos_plugin.register import Register
from pos_plugin.server import create_app
from rewards_api.ledger.models import PURCHASE, REDEMPTION, RETURN
from tests.support.live import serve
from tests.support.shop import COFFEE

SCRIPT = Path(__file__).with_name("bridge_checkout.sh")


def test_curl_completes_a_checkout_through_the_bridge(shop, tmp_path):
    key_file = tmp_path / "register.key"
    key_file.write_text(shop.registers[0] + "\n")
    log = tmp_path / "bridge.log"
    with serve(shop.app) as api, log.open("w") as errors, subprocess.Popen(
            [sys.executable, "-m", "pos_plugin", "bridge", "--api", api, "--key-file",
             str(key_file), "--port", "0", "--queue", str(tmp_path / "queue.db"),
             "--cashier", "Anna"], stdout=subprocess.PIPE, stderr=errors, text=True) as bridge:
        try:
            assert bridge.stdout is not None
            started = bridge.stdout.readline()  # returns once the server is listening
            found = re.search(r"http://127\.0\.0\.1:\d+", started)
            assert found, started + log.read_text()
            run = subprocess.run(["bash", str(SCRIPT), found.group(0), shop.code()],
                                 capture_output=True, text=True, timeout=60)
        finally:
            bridge.terminate()
            bridge.wait(timeout=10)
    assert run.returncode == 0, run.stdout + run.stderr
    print(run.stdout)
    assert "Corner Points: points earned" in run.stdout
    assert "Partner Plus: points earned" in run.stdout
    assert len(shop.entries(PURCHASE)) == 2 and len(shop.entries(REDEMPTION)) == 2
    # The return took back what the API clawed back, and the script printed it.
    returns = shop.entries(RETURN)
    assert {e.program.code for e in returns} == {"corner-points", "partner-plus"}
    for entry in returns:
        assert f"{entry.program.code}: {-entry.amount} points taken back" in run.stdout
    assert re.search(r"refund: [1-9]\d*", run.stdout)


def test_returns_through_the_bridge_refuse_what_is_not_a_completed_sale(shop, tmp_path):
    with serve(shop.app) as api:
        register = Register(RewardsClient(api, shop.registers[0], backoff=0),
                            EarnQueue(tmp_path / "queue.db"), "Anna")
        bridge = create_app(register, panel=False).test_client()
        one_coffee = [{"gtin": COFFEE, "quantity": 1}]
        for body in ({"sale": "twelve", "lines": one_coffee}, {"sale": 1, "lines": []},
                     {"sale": 1, "lines": [{"gtin": COFFEE, "quantity": 0}]}):
            refused = bridge.post("/api/return", json=body)
            assert refused.status_code == 400, body
            assert refused.get_json()["error"]["code"] == "invalid_request"
        unknown = bridge.post("/api/return/find", json={"sale": 999})
        assert unknown.status_code == 404
        assert unknown.get_json()["error"]["code"] == "checkout_not_found"
        # An open sale takes no returns; nothing is taken back.
        opened = shop.open().get_json()
        still_open = bridge.post("/api/return", json={"sale": opened["id"], "lines": one_coffee})
        assert still_open.status_code == 409
        assert still_open.get_json()["error"]["code"] == "checkout_closed"
        assert still_open.get_json()["state"]["return"] is None
        assert shop.entries(RETURN) == []
        # Without a sale number the register asks for it first.
        no_sale = bridge.post("/api/return", json={"lines": one_coffee})
        assert no_sale.get_json()["error"]["code"] == "wrong_step"
