"""pos_plugin: rewards at the register.

The front of the package (what a POS integration uses):

- ``RewardsClient``: the POS endpoints over HTTP (timeouts, retries with one
  Idempotency-Key per request, typed results, ``RewardsError`` with the API's code).
- ``CheckoutSession``: one sale's state machine, ``open → identified →
  rewards_applied → committed | voided``; ``scan_and_apply`` is the one-step path.
- ``EarnQueue``: earnings of purchases made offline, sent later exactly once.
- ``pos-plugin panel`` / ``pos-plugin bridge``: the cashier panel page and the local
  JSON bridge (see README).
"""

from pos_plugin.checkout import CheckoutSession
from pos_plugin.client import RewardsClient
from pos_plugin.errors import RewardsError, Unreachable
from pos_plugin.labels import LABELS
from pos_plugin.offline import EarnQueue

__all__ = ["LABELS", "CheckoutSession", "EarnQueue", "RewardsClient", "RewardsError",
           "Unreachable"]
