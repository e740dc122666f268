"""Named thresholds of the agent, with the reason for each value.

Presence defaults come from the anchors in ``simulator`` (phones at -59 dBm at 1 m,
±10 dB between phones, path-loss exponent 2.2, 6 dB of shop glass) and were checked
with ``bench/bench_agent.py`` (accuracy table over seeds, noise and loss).
"""

# --- presence engine ---------------------------------------------------------------
ENTER_DBM = -80.0
RISE_DB = 20.0
RISE_LOOKBACK_S = 30.0
ENTER_DWELL_S = 15.0
ENTER_SIGHTINGS = 5
LONG_DWELL_S = 240.0
EXIT_DBM = -90.0
EXIT_DWELL_S = 60.0
AWAY_TIMEOUT_S = 60.0
SMOOTHING_S = 5.0
ROTATION_MARGIN_S = 60.0
RECEIVER_FLOOR_DBM = -100.0
EVALUATE_EVERY_S = 0.5
TICK_EVERY_S = 1.0  # how often away timeouts are checked

# --- scanner watchdog (habluetooth's idea: a scanner can go quiet without an error) --
# A store entrance always has some Bluetooth in the air (phones, watches, tills); two
# minutes of nothing at all means the scanner, not the air, has stopped.
WATCHDOG_SILENCE_S = 120.0
WATCHDOG_CHECK_S = 10.0
WATCHDOG_RESTARTS = 2  # restarting discovery fixes a stuck bluetoothd discovery session
WATCHDOG_POWER_CYCLES = 1  # then power-cycle the adapter; after that systemd restarts us

# --- outbox and upload ---------------------------------------------------------------
# A busy store: ~2,000 walk-ins a day, an enter and an exit each, a token rotation every
# 10 minutes re-entering long visits: under 10,000 events a day. 200,000 rows (~60 MB
# of SQLite) is three weeks offline.
OUTBOX_MAX_EVENTS = 200_000
UPLOAD_INTERVAL_S = 5.0  # let events gather into a batch; a walk-in is credited seconds later
UPLOAD_BACKOFF_BASE_S = 1.0
UPLOAD_BACKOFF_MAX_S = 300.0  # retry at least every 5 minutes while the API is away
HTTP_TIMEOUT_S = 15.0
HEARTBEAT_EVERY_S = 60.0
CONFIG_EVERY_S = 900.0  # re-read the remote settings every 15 minutes
STATUS_EVERY_S = 10.0  # how often adverts/s and the scanner state are written for `status`
