"""The store's Bluetooth beacon agent (Raspberry Pi): scan for presence frames, decide
walk-ins locally, keep every decision in a durable outbox and upload it signed.

Depends on the standard library, ``bleak`` and ``httpx`` only (never Flask or SQLAlchemy).
"""

__version__ = "0.1.0"
