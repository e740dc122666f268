"""``pos-plugin``: the register side of rewards.

    pos-plugin panel  --api URL --key-file F   # the cashier panel page (+ the bridge routes)
    pos-plugin bridge --api URL --key-file F   # the JSON bridge only, for a POS in any language
    pos-plugin sync   --api URL --key-file F   # send purchases queued while offline, now

Both servers listen on 127.0.0.1 only and send queued offline purchases every
``--sync-every`` seconds.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from werkzeug.serving import make_server

from pos_plugin.client import RewardsClient
from pos_plugin.offline import EarnQueue
from pos_plugin.register import Register
from pos_plugin.server import create_app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pos-plugin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("panel", "bridge", "sync"):
        command = commands.add_parser(name)
        command.add_argument("--api", required=True, help="Base URL of the rewards API")
        command.add_argument("--key-file", required=True, type=Path,
                             help="File holding this register's cashier key (sk_...)")
        command.add_argument("--queue", type=Path, default=Path("var/pos-queue.db"),
                             help="SQLite file of purchases waiting to be sent")
        command.add_argument("--timeout", type=float, default=5.0)
        if name != "sync":
            command.add_argument("--port", type=int, default=8765 if name == "panel" else 8766)
            command.add_argument("--cashier", default="register",
                                 help="The cashier's name or number, as the POS knows them")
            command.add_argument("--training", action="store_true", help="Start in training mode")
            command.add_argument("--sync-every", type=float, default=30.0)
    return parser


def _key(path: Path) -> str:
    key = path.read_text().strip()
    if not key.startswith("sk_"):
        raise SystemExit(f"{path} does not hold a register key (sk_...)")
    return key


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    client = RewardsClient(args.api, _key(args.key_file), timeout=args.timeout)
    queue = EarnQueue(args.queue)
    if args.command == "sync":
        result = queue.sync(client)
        print(f"sent {result.sent}, refused {result.refused}, still waiting {result.pending}")
        return
    register = Register(client, queue, args.cashier, training=args.training)
    register.learn_language()
    server = make_server("127.0.0.1", args.port, create_app(register, panel=args.command == "panel"),
                         threaded=True)
    stop = threading.Event()

    def sync_forever() -> None:
        while not stop.wait(args.sync_every):
            register.sync()

    threading.Thread(target=sync_forever, name="offline-sync", daemon=True).start()
    print(f"pos-plugin {args.command} on http://127.0.0.1:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
