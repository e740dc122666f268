"""``python -m demo.code [--var DIR]``: the demo shopper's checkout code right now
(``RWD1:<public id>:<TOTP>``, valid for about 30 s), to type or paste into the cashier
panel as a register's scanner would."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rewards_api.shoppers.services import checkout_totp
from rewards_protocol import checkout_code


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.code", description=__doc__)
    parser.add_argument("--var", type=Path, default=Path("var"))
    shopper = json.loads((parser.parse_args().var / "demo.json").read_text())["shopper"]
    totp = checkout_totp(shopper["checkout_secret"])
    print(f"{checkout_code.PREFIX}:{shopper['public_id']}:{totp.now()}")


if __name__ == "__main__":
    main()
