"""Named thresholds of the agent, with the reason for each value.

Presence defaults come from the anchors in ``simulator`` (phones at -59 dBm at 1 m,
±10 dB between phones, path-loss exponent 2.2, 6 dB of shop glass) and were checked
with ``bench/bench_agent.py`` (accuracy table over seeds, noise and loss).
"""

from rewards_protocol.signing import MAX_CLOCK_SKEW_SECONDS

# --- presence engine ---------------------------------------------------------------
# What separates a walk-in from the people outside, whatever their phone's power and
# whatever the store: a walk-in comes through the door and stays inside, so the level
# it gains in the crossing (from the pavement, behind the front, to inside with nothing
# between) it *holds* for the next quarter of a minute, whether it stops under the agent
# or walks on in. A passer-by rises as she nears the door and falls back as she walks on;
# a window shopper rises only as far as the glass and holds that. How far each rises
# depends on the site (where the agent hangs, the front's loss, the pavement), so the
# rise asked is learned from the store's own outsiders (engine.SiteLearning). An
# absolute threshold alone (the naive engine) lets strong phones behind the glass in.
#
# Tuning: random sites 1-12 of ``simulator.random_site`` (seed 1, an hour each: 301
# walk-ins, 290 window shoppers, 1,700 passers-by) and the first store (basket-stand,
# seeds 1-2), with a scratch harness on ``bench/bench_agent.py``'s scoring. The library's
# sites and the bench's seeds (201-203) were held out.

# A loose gate, only to ignore the far pavement: a weak phone (-10 dB) 3 m from the agent
# reads about -80 dBm; -88 leaves room for noise. The rise, not the gate, decides.
ENTER_DBM = -88.0
# The rise is measured over a 20 s look-back (25 m of pavement at walking pace) before
# the held quarter-minute. With few, noisy samples a median wanders and fakes a rise, so
# the rise is counted net of RISE_NOISE_K times the wander of the token's own median (its
# noise over the square root of its sample count, see engine._noise_margin). Before the
# store has taught it anything, the agent asks for 18 dB held (the first store's value).
RISE_DB = 18.0
RISE_NOISE_K = 2.0
RISE_LOOKBACK_S = 20.0
# A phone's noise: a running mean of |rssi - previous rssi| (1.13 σ for a phone standing
# still; walking adds little per sample), weighted over the last ~20 samples, starting
# from a middling 4 dB until the phone has told us its own.
JITTER_PRIOR_DB = 4.0
JITTER_WEIGHT = 0.05
# The baseline the rise is measured from is the lowest median of the look-back with at
# least 5 samples in it. A median of a new token's first one to four sightings is one or
# two noisy readings, and the lowest of many such values sits far below the phone's real
# level: that fake rise let passers-by in. A new token gets no other credit: a strong
# phone is first heard far above the receiver's floor.
BASELINE_SAMPLES = 5
# The level held is the lowest smoothed RSSI of the last 16 s, with 4 sightings at least:
# 16 s on, a passer-by who caught the door's line of sight is 15-25 m down the pavement
# behind the front again, back near where she was. (The first store's engine asked for a
# hold within 8 dB of the level risen to, which a walk-in who walks straight on in loses
# within seconds: 48-73 % recall on entrances where few pause.)
ENTER_DWELL_S = 16.0
ENTER_SIGHTINGS = 4
# Heard for 5 minutes (across linked rotations) and still heard: longer than anyone stays
# outside (a passer-by is heard 1-2 minutes, a window shopper up to 3 plus her walk), so
# inside: a phone switched on in the store, a walk-in whose crossing was not heard.
LONG_DWELL_S = 300.0
# Where people walk by slowly (a stroll in a mall or a market square: AGENT_TROUBLE=strolls)
# or the agent hears far down the pavement (loud), a window shopper's walk to the glass
# and away is heard for longer as well, and five minutes no longer cover her. So the long
# dwell is learned from the store's own outsiders (engine.SiteLearning.long_dwell): the
# longest a window shopper stands (3 minutes, as above) plus LONG_DWELL_WALKS times how
# long most phones heard too briefly to be inside were heard here (their
# LONG_DWELL_QUANTILE: mostly passers-by heard all along the pavement), never under
# LONG_DWELL_S. Issue 13, twenty-first round, random sites 1-40 with their own seeds at
# the simulator's pace and at 0.7-1.5 m/s: the window shoppers heard longest were heard
# for 3 minutes plus 0.3-1.5 times the outsiders' 0.75 quantile (0.4-1.2 times the 0.9
# quantile, which takes in window shoppers). Random sites 1-60: window shoppers in at
# 0.7-1.5 m/s 20 -> 6 with 1.4 (1.2: 14; 1.6: 2, but 3 visits lost at the simulator's
# pace, 1.4: 1, and sites under 0.95 recall 18 -> 20 there).
# Tried and not taken (issue 13, twenty-sixth round: the outsiders let in where people
# stroll are let in by the long dwell the moment they pass it, half of them in the
# agent's first 8 minutes, before it has heard the 20 outsiders it learns from). Random
# sites 1-40, own seeds, where people stroll: window shoppers in 12 -> 7 with 1.6 times
# (1.8: 7), 12 -> 6 with a long dwell of 330 s until learned (360 s: 5); 330 s cost 2
# visits of 942 without trouble, 14 with short visits, 6 of 4,702 on random sites 1-190.
# Held out (random sites 10611-10670, own seeds, 1,610 visits): where people stroll 9 ->
# 4 window shoppers (precision 0.994 -> 0.997) but 6 visits lost without trouble (recall
# 0.934 -> 0.930) and 31 with short visits (0.314 -> 0.295): precision is met there on
# the whole already, recall is not.
LONG_DWELL_STAND_S = 180.0
LONG_DWELL_WALKS = 1.4
LONG_DWELL_QUANTILE = 0.75
# Tried and not taken (issue 13, thirtieth round): learning the long dwell from 8 outsiders
# rather than OUTSIDE_SAMPLES_NEEDED's 20 (it only ever lengthens it). Random sites 1-60,
# own seeds: where people stroll window shoppers in 13 -> 10, visits found -1 without
# trouble and -4 with short visits; held out, random sites 10861-10920, own seeds (1,516
# visits): strolls 9 -> 5, -1 without trouble, -9 with short visits. Half of those let
# in on tuning came in the agent's first 8 minutes, when 1-18 outsiders had been learned
# from (an outsider is learned from once its token's window is over, up to 10 minutes
# on: it may come back). As for 330 s above, precision is met there on the whole
# already and recall is not.
# Tried and not taken (issue 13, thirty-fourth round: strolls with returns, the one trouble
# where precision falls under 0.99: 0.988 held out on seeds 1001-1005, the library and
# random sites 10001-10010, 8 passers-by and 24 window shoppers in). Tuning (random sites
# 61-190, own seeds, 3,192 visits), strolls,returns precision / recall 0.980 / 0.957 and
# visits found without trouble 3,070: the 0.9 quantile 0.989 / 0.937, 3,029; the
# longest outsider heard 0.990 / 0.899; a phone under the gate (``enter_dbm``) heard 60 s
# longer than the long dwell 0.992 / 0.948, 3,053 (p50 after the door 268 -> 296 s, sites
# under 0.95 recall 30 -> 37), 120 s 0.994 / 0.944, 3,045. Precision there is bought with
# recall and latency at every store: left to the owner.
# Where the outsiders are heard only briefly (a kiosk on a busy street: most of them
# for under a minute), the stand and the walk come to less than 5 minutes, and the
# learned long dwell goes under LONG_DWELL_S, down to LONG_DWELL_LOUD_S, but only for a
# phone at the gate (``enter_dbm``) or louder (``PresenceEngine.minutes_needed``): the
# window shoppers let in under 5 minutes without that were mostly walking off, at -93
# to -96 dBm. Issue 13, thirty-third round: the misses left at small stores were visits
# of 3-4.5 minutes where the crossing decides nothing. Tuning (random sites 61-190, own
# seeds, 3,192 visits; visits found / window shoppers in): without trouble 3,048 / 3 ->
# 3,070 / 3 (sites under 0.95 recall 38 -> 30); short visits 1,127 / 3 -> 1,306 / 3;
# busy 3,025 / 1 -> 3,053 / 2; Android's intervals 3,028 / 4 -> 3,050 / 4; strolls
# 3,050 / 29 -> 3,057 / 31. Without the gate: 3,077 / 4, 1,366 / 5, 3,064 / 6,
# 3,055 / 7, 3,058 / 33. 240 s found as many (few sites learn under 250 s), 270 s 6
# fewer; a lower floor with 1.7 or 2 times the walk lost visits. Held out (random sites
# 11051-11110, own seeds, 1,523 visits): without trouble 1,442 / 2 -> 1,452 / 2; short
# visits 564 / 2 -> 618 / 2; busy 1,428 / 1 -> 1,443 / 1; Android's intervals
# 1,437 / 1 -> 1,444 / 2; strolls 1,437 / 13 -> 1,439 / 13; 80 window shoppers an hour
# 1,421 / 6 -> 1,422 / 6.
LONG_DWELL_LOUD_S = 250.0
# Heard for 7.5 minutes, only under the exit level (issue 13, twelfth round: a weak
# phone at the far end of a big store, -97 to -99 dBm for 10-15 minutes, is never let
# in by the long dwell, which asks for the exit level so that a window shopper heard
# 5 minutes, walking off down a long pavement at -93 to -96 dBm, is not): longer than
# anyone outside is heard at all. The longest on the tuning runs (random sites 111-190
# each with its own number as seed, and the library's sites with seeds 103-106 on a busy
# pavement; 2,600 window shoppers, 66,000 passers-by, every token of a person together)
# was a window shopper heard 326 s, a passer-by 129 s. The long dwell of it must be the
# token's own: a new token at a boundary linked at the floor (where every phone reads
# alike) to a phone heard for minutes may be a passer-by carrying another's minutes (one
# on the busy runs, let in 90 s after its rotation without that). Once in, its level says
# nothing of where it is (``PresenceEngine._left``): it leaves when it is no longer heard
# for the away timeout, or by its level once heard above the exit level again (walking
# out through the door); let out by its level, it is not let in on its faint minutes
# again (on its way down the pavement). Its visit is not carried on to a next token
# (``_carry_visit``: at the floor a passer-by's new token took one over under Android's
# intervals). Tuning (every site with its own seed; side by side with the engine
# before): random-111..190 recall 0.956 -> 0.964 (sites under 0.95: 24 -> 19), the same
# passer-by and 4 window shoppers; with Android's intervals 0.956 -> 0.963, the same 1
# and 9; busy 0.952 -> 0.960, the same 3 and 4; random-1..60 0.965 -> 0.970; the
# library's sites, seeds 103-106: unchanged without trouble (0.980), intervals 0.975 ->
# 0.977, busy passers-by 3 -> 1 (a faint walk-in left out was a rotation link candidate
# for a passer-by; now she is in). 360 s found a few more (0.967) and 330 s more still
# (0.969), with the same outsiders, but leave less than 40 s over the longest window
# shopper; 600 s found half as many (0.959) (those four on the default traffic, with an
# earlier cut of the rule that found the same 0.964 at 450 s).
# Tried and not taken with it: the long dwell asking -93 dBm (or -90) rather than the
# exit level, the faint dwell taking the phones in between, to keep out the window
# shoppers let in at the far end of a long pavement (above). Tuning: the library's sites,
# seeds 103-106, window shoppers 2 -> 0, but recall 0.980 -> 0.976 (-90: 0.970); random
# sites 111-190, 4 -> 2, recall 0.964 -> 0.961; Android's intervals 5 -> 4, 0.977 ->
# 0.976. Precision is met there already and recall is not at every site: no trade.
FAINT_DWELL_S = 450.0
# Tried and not taken (issue 13, tenth round: people who stay near the store and never
# come in, ``simulator.Site.waiting_per_hour`` and ``neighbours``; the bench's
# AGENT_TROUBLE=waiting and neighbours). Tuning (the library's sites with seeds 101-102,
# random sites 101-110 with seeds 101-102; 1,002 visits; the entrance agent at its
# default): of 252 people waiting 5-20 minutes 1-6 m out (6 an hour: a bus stop, a café
# table) 245 were let in, every one by the long dwell (142 on their own token's minutes,
# 103 on minutes carried across their rotation); of 84 neighbours (2 per site, 2-6 m
# from the agent behind 10-20 dB of wall or ceiling, the whole hour) all 84, by the long
# dwell; each again at every new token (359 and 526 check-ins: precision 0.995 ->
# 0.731 and 0.650), recall 0.983 unchanged. Walk-ins come in on the same evidence: 961
# of the 985 visits found were first let in by their minutes heard, 24 by the crossing.
# Asked of the long dwell (offline, on runs with both kinds, on what each token showed
# when the long dwell let it in; people kept of the 979 walk-ins, 245 waiting and 84
# neighbours it let in): a level held louder than the loudest the store's outsiders held
# (``SiteLearning.street_dbm``) 420 / 41 / 74 (6 dB less: 614 / 99 / 77); not standing
# still (the last 4 minutes' medians spread over more than 3 dB) 751 / 132 / 79; heard 6
# dB louder before than now (from the door on in) 691 / 74 / 63; a held rise of 6 dB 756
# / 131 / 10; not a token first heard at a rotation and linked to none (its way in
# unheard) 877 / 229 / 31; any of the first three 901 / 167 / 83. Each loses 8-57 % of
# the walk-ins and keeps out at most 83 % of those waiting: a walk-in who browses one
# shelf for her minutes (a quarter of them) is heard as still, as weak and as long as
# someone at the stop or upstairs, and the crossing that tells them apart decides at few
# entrances (``SiteLearning``). None was built. A phone heard longer than any visit (a
# neighbour home all day, whose next token earns a walk-in again after midnight) the
# engine cannot see either: an entered token's next one is not linked, so its minutes
# start afresh at every rotation. The API, which knows the shopper behind every token,
# can: a shopper "in" at the same store for hours, day after day.
# Held out (the bench's default, seeds 501-505, 2,390 visits; looked at only to report):
# 875 check-ins of people waiting (precision 0.998 -> 0.724) and 1,277 of neighbours
# (0.642), recall 0.963 unchanged; with neighbours about, one passer-by in
# (random-5006).
# Learning from the store's traffic (issue 13, second round: tuned on the library's sites
# with seeds 101-102 and random sites 101-110 with seed 101; seeds 201-203 and random
# sites 1001-1020 held out). A token heard for less than the long dwell was outside
# (walk-ins stay 3 minutes and more; one that left sooner only raises the rise asked,
# which costs latency, never precision), also when the engine let it in: that is how the
# engine learns from its mistakes. It is counted once its window is over (it may come
# back). The largest held rise of the last 300 of them, plus 6 dB, is the rise asked,
# once 20 have passed, and never less than the default. A phone heard for the long dwell
# whose way in was heard (not a token first heard at a rotation) was inside: the rise it
# had shown is what a crossing looks like at this entrance; once 5 of them have been
# heard, the crossing decides only where half of them or more rose as far as asked.
# Where fewer did (an agent close behind the glass hears the window shopper at the glass
# as loudly as a shopper on the floor: on the library's near-glass sites insiders rose
# 3-24 dB, outsiders up to 23-28 dB within the hour) a crossing only ever let in window
# shoppers as often as walk-ins, and the engine waits for the long dwell. Until it has
# learned both it asks for 30 dB (no window shopper rose that far within an hour at any
# tuning site; the default 18 dB let 10 in on the tuning runs before anything was
# learned). Tuning: +4 dB over the outsiders with no insiders' check let 16 window
# shoppers in on the library's tuning seeds (precision 0.966); asking 30 dB until 50
# outsiders had passed, with +6 dB, still 2; the insiders' check none.
OUTSIDE_SAMPLES = 300
OUTSIDE_SAMPLES_NEEDED = 20
OUTSIDE_QUANTILE = 1.0
RISE_MARGIN_DB = 6.0
RISE_MAX_DB = 30.0
INSIDE_SAMPLES = 100
INSIDE_SAMPLES_NEEDED = 5
INSIDE_SHARE = 0.5
# The level held (issue 13, third round): a walk-in passes closer to the agent than
# anyone outside can stand (the front's loss, the agent's depth), so a phone that holds,
# for the enter dwell (16 s: a passer-by in the door's line of sight at full level for
# 10 s has walked on; 8 s let her in), a level louder than anyone outside reaches is
# inside, now. Only a walk test says how loud "outside" is: the installer's
# phone at the loudest spot outside (``EngineSettings.outside_dbm``), plus the spread of
# phones (±10 dB) and the median's wander (3 dB). Learned from the store's own traffic
# (the loudest level held by tokens heard from start to end for under OUTSIDER_HEARD_S,
# plus 3-5 dB, once 20-40 had passed) it let window shoppers in on the tuning runs
# (22 in 962 visits, precision 0.998 -> 0.977, p50 unchanged): in an hour the passers-by
# are many and quiet, the window shoppers few and loud, so the loudest outsider so far
# is a passer-by and the next window shopper is louder. The learned levels are reported
# (``SiteState``, the heartbeat's calibration), not decided on.
# Tried and not taken (issue 13, seventh round: deciding sooner with one agent): the
# learned level with the walk test's margin (the loudest level the outsiders held, plus
# LEVEL_MARGIN_DB), once the store is learned as the crossing needs it (with only the 10
# outsiders' levels the second agent waits for, 5 more window shoppers got in: early in
# the hour the outsiders heard are quiet passers-by). Tuning (the library's sites with
# seeds 101-102, random sites 101-110 with seeds 101-102; 1,002 visits; with the
# engine): checked in within 60 s of the door 2.4 % -> 4.8 % of the visits, the same 5
# window shoppers, no passer-by, p50 266 s and p95 406 s unchanged (offline on the
# engine's levels, +11 dB let 1 more window shopper in, +10 dB 3, +6 dB 19; switched on
# only where most insiders had held that level, as the crossing's INSIDE_SHARE, it kept
# almost none of the gain). Held out (the bench's default, seeds 501-505, 2,390 visits;
# with the engine): within 60 s 5.6 % -> 9.7 %, recall 0.962 -> 0.963, p50 267 -> 266 s,
# p95 502 -> 500 s, but window shoppers in 4 -> 10 (station-kiosk 3, bakery and
# over-the-door 2; precision 0.998 -> 0.996, under 0.99 at station-kiosk and
# over-the-door): latency bought with precision. Also tried offline on the tuning runs: "held for 60-180 s at a
# level no outsider of the store held that long, plus 0-6 dB" (29-186 window shoppers in
# at 60-120 s, nothing gained at 180 s: the window shopper who stands longest comes
# later), and a long dwell of the longest time an outsider was heard plus 10-60 s (p50
# 266 -> 209-252 s, but 30-133 window shoppers in). What one agent could find at all:
# the walk-ins who held, within 60 s of the door, a level louder than every outsider of
# the hour held are 0-75 % per site on the tuning runs (under 45 % but at basket-stand),
# 29 % of the held-out visits (0-75 % per site); a level or a rise beyond every
# outsider's, 35 % of the tuning visits and 42 % of the held-out ones (0-81 % per site
# but basket-stand, 98 %). ``bench/bench_agent.py`` prints the level's share per site:
# everywhere but basket-stand a p95 of 60 s after the door needs a second agent.
# Tried and not taken (issue 13, thirty-fourth round): letting a phone in on its level at
# the entrance once it holds the loudest level the store's own outsiders held plus M dB
# (as the second agent does, ``DEEP_STREET_MARGIN_DB``), after N of them. Tuning (random
# sites 61-190, own seeds, 3,192 visits; within 60 s of the door 0.024, 3 window shoppers
# in): M 6 / 10 / 14 / 18 dB (N 10) 0.238 / 0.146 / 0.083 / 0.044 within 60 s, 121 (and 4
# passers-by) / 37 / 9 / 4 window shoppers in; 12 dB after 40, 0.075 and 11. Every fast
# check-in costs window shoppers: the next strong phone at the glass is louder than the
# street heard so far.
LEVEL_MARGIN_DB = 13.0
OUTSIDER_HEARD_S = 200.0
# A phone first heard in the engine's first minute was about before it started listening
# (a start mid-day, kept learning recalled: shoppers inside, someone at the window): its
# way in or past was not heard, so it is not learned from, like a token first heard at
# a rotation. A phone in earshot is heard within seconds (an advert every 0.1-1 s, at
# most half of them lost); a minute covers one fading in and out at the far end of a
# big store. Restarting an hour in (library sites basket-stand, supermarket and corner
# shop, seed 101, 65 minutes in) added 3-7 such phones to the insiders, with no rise
# shown, at each start: enough restarts would have made the crossing say nothing.
START_UNHEARD_S = 60.0
# Rotation: phones change token at each 10-minute window by their own clocks (seconds
# off). A token first heard within 10 s of a boundary is, 5 s on (time for another
# phone's new token to show up), linked to the token that fell silent in the 10 s before
# it was first heard with a last reading within 10 dB of its first (two readings a
# second apart differ by σ·√2, up to 8.5 dB at σ 6 dB), or its median within 10 dB
# of the new token's (a phone standing still with a body in the way now and then), at
# the same advertising interval (below), when that token is the only
# such one and no other new token could be its successor. "Just before" is within two
# of the old token's own intervals between sightings plus 0.5 s (a phone changes token
# between two adverts; at most 10 s): every phone rotates within seconds of the
# boundary, and a 10 s gap for all made most links at a busy boundary ambiguous (3 and
# 5 intervals found fewer on the tuning runs). Where no token fell silent that close, a
# phone's losses may have hidden more of its adverts: near the receiver's floor most are
# lost, several in a row. Then the gap is as many of its advertising intervals as it
# takes for that many adverts in a row to be lost less often than 1 in 100, at the share
# of adverts its recent sightings missed (plus 0.5 s, at most 10 s), and a link is made
# only where that finds exactly one token and no other new token could be its successor
# (no "shortest minutes heard": widened, most boundaries are ambiguous). (Issue 13,
# tenth round: the close gap was the only test the true old token failed for 9 of the 17
# walk-ins missed on the tuning runs, the library's sites and random-101..110 with seeds
# 101-102: gaps of 2-8 s at -82 to -94 dBm, phones advertising every second. With the
# wider look where the close one finds nothing: recall 0.983 -> 0.991, window shoppers 5
# -> 5, no passer-by, p95 407 -> 342 s; random-4001..4010 with seeds 401-405 0.926 ->
# 0.931, no outsider; with Android's intervals 0.986 -> 0.987, passers-by 2 -> 2; a busy
# pavement 0.978 -> 0.979, passers-by 1 -> 1. Held out (seeds 501-505, the library and
# random-5001..5010, 2,390 visits; with PASSING_DROP_DB's rule too): recall 0.963 ->
# 0.967, window shoppers 4 -> 4, no passer-by, p95 503 -> 491 s; with Android's
# intervals 0.961 -> 0.962, passers-by 4 -> 2, window shoppers 10 -> 9. The losses'
# gap for every link instead: 0.989 on the first set, but on
# the second 5 walk-ins lost and a window shopper let in, by links made ambiguous and
# the shortest minutes heard carried to the wrong phone; 1 in 20 and 1 in 1,000 instead
# of 1 in 100 gave 0.988 and 0.989.) Where some token did fall silent that close, those
# the wider look finds count as well (issue 13, seventeenth round): they make the link
# ambiguous. With one advertising interval for every phone (the app asks Android for
# one; AGENT_TROUBLE=one_interval), the interval tells no phone from another, and a
# window shopper's own old token, silent 1-2 s before her new one was first heard (her
# losses), left a shopper's deep in the store the only one close: her new token carried
# his minutes and she was let in at the glass, or a passer-by on his way to the door.
# Tuning (random sites 1-190 with their own seeds, every phone at 250 ms and at 1000
# ms; 9,404 visits): outsiders in 49 -> 29 (passers-by 6 -> 5), visits found 8,951 ->
# 8,908; without trouble 4,552 -> 4,551, the same 8 outsiders; Android's intervals,
# alone and on a busy pavement (random sites 111-190): outsiders 16 -> 10, visits
# 3,887 -> 3,875. Not tuned on (seeds 501-505 without trouble and under one_interval,
# Android's intervals and busy; the library with seeds 985-986 and random sites
# 10071-10130 with their own seeds, the same four; 17,356 visits): outsiders 39 -> 31,
# passers-by 6 -> 3, visits found 16,687 -> 16,655; the default bench the same visits
# and outsiders. (Counting the minutes a link carried after FLOOR_LINKED_HEARD_S for a
# token first heard below the gate rather than the exit level, tried again with it:
# on the tuning runs every interval passer-by kept out, held out none, and 2-5 visits
# a trouble lost.) A token first heard in the 20 s before
# the boundary is a candidate too (it may be the new token's own phone, first heard
# just before it rotated), unless it is new at this boundary itself (``engine._new_here_too``:
# and even then, since issue 13's fourteenth round, when it was heard often enough to
# know its interval and fell silent within a few of its gaps as the new token came:
# under an agent that reads phones 8 dB louder, AGENT_TROUBLE=loud, two passers-by
# come into earshot 6-9 s before their rotation were linked to a shopper whose own next
# token was not heard, and let in on her minutes; tuning, random sites 111-190 with
# their own seeds under no trouble, loud, fading, busy, Android's intervals, and busy
# with the intervals, the library with seeds 101-103 without trouble, loud, and busy
# with the intervals; 14,556 visits: passers-by 7 -> 4, visits found -3, the same window
# shoppers; any such token a candidate, on all but busy with the intervals and the
# library loud: passers-by 5 -> 1, but 51 visits lost, 23 of them busy). Linking by
# level alone to the
# closest candidate gave passers-by a walk-in's minutes heard (165 passers-by in on
# random sites 1-30). A token that entered is not linked: it has been credited. A linked
# token must itself be heard for a minute before the minutes heard of the token it
# continues let it in: a passer-by first heard at the boundary and taken for a walk-in
# deep in a big store (whose own new token was not heard) has walked on by then.
# (Issue 13, fifth round: 11 of the 16 walk-ins missed on the library's tuning runs,
# seeds 101-102, and 5 of the 6 on random sites 101-110, seeds 101-102, were phones deep
# in the store whose rotation was not linked, each token heard for less than the long
# dwell; most were ambiguous at 5 s because a new token's few sightings could be a
# multiple of another phone's interval; 3 were weak phones below the exit level, 2 short
# visits.) So an ambiguous new token is looked at again 15 s and 30 s after it was first
# heard, when its interval is known (below); still ambiguous at the last look, it
# carries the minutes heard of the candidate heard for the shortest time (whichever
# phone it is, it has been heard at least that long), nothing else of theirs. Tuning
# runs (1,002 visits): recall 0.978 -> 0.980 with the looks and the known interval,
# 0.983 with the shortest minutes heard; p95 latency 471 -> 406 s; the same 5 window
# shoppers in, no passer-by. Held out (the library's sites with seeds 501-505 and random
# sites 5001-5010, 2,390 visits): recall 0.954 -> 0.963, p95 535 -> 502 s, window
# shoppers in 2 -> 4 (precision 0.998, 0.990 at the supermarket), no passer-by; recall
# is still under 0.95 on 6 of 21 sites. (Minutes at levels no outsider reaches did not help: with
# the 0.5-1.0 quantile of the hour's outsiders' held levels, plus 0-6 dB, and 30-120 s
# above it, scored offline on the same runs, no setting that let fewer than 30 window
# shoppers in found more than 1 of those 22 walk-ins: they are missed for being weak,
# not for being brief.)
ROTATION_SLACK_S = 10.0
# Where the phones change token on the agent's clock (``boundaries``; issue 13,
# twenty-seventh round): the times the last PHASE_SAMPLES new tokens were first heard,
# looked at every PHASE_EVERY_S; the boundaries are where PHASE_SPREAD_S of the window
# (phones' clocks +-3 s, a first advert heard a second on) holds PHASE_TOKENS new tokens
# or more, from two windows or more, and PHASE_TIMES times what as long holds elsewhere
# (people coming into earshot at any moment). On random sites 1-30 a boundary brought
# 2-20 new tokens within 3 s of it (median 8), the rest of the window 0.15-0.6 per 6 s.
# Tuning (random sites 1-60 with their own seeds): 6 tokens at 5 times learned a wrong
# boundary at 3 sites with the clock right (a few people come by together in two
# windows at the same second: 3 and 3), 8 at 10 times at none, also under busy, groups,
# iphones, stalls, intervals and strolls with returns (under deaf, 6.8 s at one site:
# the new tokens of a boundary heard when the receiver hears again); with the clock
# 150 s ahead it learned the right one at every site, at a median 1,203 s into the
# hour (the second boundary). Recall there, clock right 0.954 (the same visits as
# before, and on random sites 1-190: 4,490 of 4,702); 150 s ahead 0.920 -> 0.946, 250 s
# behind 0.913 -> 0.943 (what is left: the rotations before it learned). Looked at
# every 30 s rather than 5, 0.944; kept to its own clock until learned again after a
# quiet spell (rather than taken back to it), the offset flapped between boundaries.
PHASE_SAMPLES = 500
PHASE_SPREAD_S = 6.0
PHASE_TOKENS = 8
PHASE_TIMES = 10.0
PHASE_EVERY_S = 5.0
LINK_TRIES_S = (5.0, 15.0, 30.0)
LINK_GAP_S = 10.0
LINK_INTERVALS = 2.0
LINK_LOST_CHANCE = 0.01
LINK_GAP_MIN_S = 0.5
LINK_DB = 10.0
# The new token's median is the one it had at its first look (5 s on, where it rotated:
# ``engine._same_level``), not the one it has at the next looks (issue 13, thirty-first
# round). A passer-by whose new token came up the pavement towards the door had, by the
# second or third look, walked 10 dB and more from where her own old token fell silent,
# and up to the level of a shopper's whose token fell silent at the same moment: her own
# old token was no longer a candidate, the shopper's was the only one, and she was let
# in on the shopper's minutes. Tuning (random sites 1-190 without trouble, 61-190 under
# insensitive, busy, Android's intervals, one interval, loud, and strolls with returns,
# each with its own seed; 23,854 visits): passers-by in 2 -> 0 (one under insensitive,
# one busy), visits found -4, the same window shoppers. Not tuned on (random sites
# 10930-10990 with their own seeds, without trouble, insensitive, sensitive, busy and
# with Android's intervals; 6,980 visits): the same visits and outsiders (a passer-by
# let in under insensitive came by another way: a link made at -93 dBm, one decibel over
# that radio's floor, which the gate of -88 dBm takes for heard above the far pavement).
LINKED_HEARD_S = 60.0
# Tried and not taken (issue 13, twenty-ninth round: of 21 walk-ins missed on random sites
# 251-310 whose new token was heard within 30 s of the old one's end, several were
# linked but walked out before their new token had been heard this minute: stays of 4-6
# minutes with a rotation near their end). 30 s, random sites 111-190 with their own
# seeds: visits found +1 without trouble, +1 busy, +2 with Android's intervals, +0 with
# one interval (of 2,033), but a passer-by let in with Android's intervals.
# A link made at the receiver's floor (issue 13, thirteenth round). Below the exit
# level every phone reads alike, and on a busy pavement or with Android's shared
# intervals a passer-by just come into earshot at the boundary is often the only new
# token that fits a shopper deep in the store whose own next token came a second too
# late. The 10 passers-by let in on random sites 111-190 under those troubles were all
# such links (first heard at -84 to -99 dBm, 9 of them under -90), let in 60-90 s on,
# at the door. So a token first heard below the exit level counts the minutes a link
# carried only once it has been heard itself for 100 s: by then a passer-by has walked
# on or is falling back (``_walking_past``); a shopper deep in the store who walks out
# within 100 s of her rotation is lost. Tuning (random sites 111-190 with their own
# seeds: without trouble, busy, with Android's intervals, both; the library's sites
# with seeds 101-103: without trouble, and busy with the intervals; 9,704 visits):
# passers-by in 11 -> 4, window shoppers 31 -> 29, visits found 9,333 -> 9,329. 130 s
# (longer than any passer-by was heard) let in the same 4 and 3 fewer window shoppers,
# but lost 11 visits. First heard below the gate (ENTER_DBM, as for walking past)
# rather than the exit level: passers-by 4 -> 1, but visits 9,329 -> 9,322 (3 of them
# without trouble, where none got in either way). Not tuned on (seeds 501-505, and
# 501-502 busy and with the intervals; random sites 9801-9890 with their own seeds,
# without trouble and busy with the intervals; 8,978 visits), with the sparse token's
# rule (at INTERVAL_KNOWN_SIGHTINGS):
# passers-by 10 -> 4 (a fresh one without trouble: first heard at -98.5 dBm, let in 60
# s on), visits found 8,658 -> 8,655, the same window shoppers.
# Since the nineteenth round the 100 s hold for a token first heard below the gate
# (ENTER_DBM), where the far pavement is heard, not only below the exit level: with one
# advertising interval for every phone (``AGENT_TROUBLE=one_interval``, what the app
# asks for) the passers-by let in on the tuning runs were all such links, first heard
# at -92.5 to -96 dBm and let in 60 s on. Tuning (random sites 1-190 with their own
# seeds, the library's sites with seeds 101-103): under one_interval passers-by 4 -> 0
# with the same visits found; without trouble visits found 5,322 -> 5,316 of 5,488
# (shoppers who stayed about five minutes and left within 100 s of a rotation).
# A visit is carried on to a new token (``engine._carry_visit``: let in at once) only from
# a phone inside heard above the exit level as it fell silent, as the new token must be
# (issue 13, thirty-second round). A shopper gone quiet at the back of a big store (-99
# dBm, two adverts in 17 s), whose own next token was first heard 11 s after her last
# advert (too late to count as a rival), left a passer-by's new token, come into earshot
# at the boundary (-99 to -85 dBm in its first 10 s), the only one that fitted: he was
# let in on her visit 15 s on (random-155, own seed, 80 window shoppers an hour). Her
# visit had been found already; not carried on, it stays open at the API while her old
# token's exit is held (ROTATION_EXIT_HOLD_S), and her next token is let in on its own.
# Tuning (random sites 61-190 with their own seeds; 3,192 visits a run): with 80 window
# shoppers an hour passers-by in 1 -> 0; busy, Android's intervals, one interval,
# insensitive, strolls with returns, deaf, crowded: the same check-ins; the share of a
# found walk-in's stay her visit was open unchanged (0.95-0.96), the time it stayed
# open after she left +0-1 s.
# Not tuned on (the bench's seeds 801-805, 2,475 visits): the same check-ins, open after
# 177 -> 178 s.
FLOOR_LINKED_HEARD_S = 100.0
# The receiver deaf to every phone at once (issue 13, fifteenth round): a Pi's radio chip
# shares its antenna with its Wi-Fi (busy while the agent uploads), and BlueZ restarts
# a scan now and then. A phone whose token changed in such a stretch was silent longer
# than a few of its gaps, and its new token was taken for another phone's: a walk-in's
# minutes lost. So where no phone at all was heard for over DEAF_MIN_S while at least
# DEAF_PHONES phones heard just before were silent far beyond their own gaps
# (``_link_gap``), the stretch does not count as anyone's silence when a new token is
# linked to a phone outside (nor when looking for other phones it could be). Tuning
# (``AGENT_TROUBLE=deaf``: 15 % of the time deaf, in stretches of 0.2-20 s; random
# sites 1-190 with their own seeds, the library's sites with seeds 101-106; 6,274
# visits): visits found 6,023 -> 6,058, the same passers-by (1) and window shoppers;
# with perfect links 6,084. Without the trouble (4,702 visits) nothing changes. 1 or 3
# phones, or 2 s, found the same. Counting the deaf stretch for a phone inside too
# (its new token takes the visit on at once) let 2 passers-by in.
DEAF_MIN_S = 1.0
DEAF_PHONES = 2
DEAF_KEPT_S = 60.0  # the longest a link looks back (LINK_GAP_S) and more
# Walking past (issue 13, tenth round: real phones' intervals). A token first heard at a
# boundary below the gate (ENTER_DBM: the far end of the pavement, where anyone just come
# into earshot is heard; with Android's three intervals a third of the phones share
# one) that has risen and now reads more than PASSING_DROP_DB below the loudest of its
# recent levels (its history: 36 s) is someone walking past the door and on: the minutes
# a link carried do not let it in while it does. Every passer-by let in under either
# trouble was such a token (first heard at -90 to -99 dBm, up to -76 to -87 at the door,
# let in 60-79 s on at -91 to -96 on her way down: 9.5-20 dB below); a walk-in whose
# token rotated deep in the store is let in on her way to the door, before her level
# falls. Tokens first heard above the gate are left alone: in a small store a walk-in
# whose crossing said nothing is let in by the long dwell as she walks out, falling
# fast ("within 8 dB of the loudest" for every linked token lost 3 such walk-ins on
# tuning without trouble). Tuning (the library's sites with seeds 101-102, random sites
# 101-110 with seeds 101-102; 1,002 visits; side by side with the engine before): without
# trouble the same 985 visits, 5 window shoppers, no passer-by; with Android's
# intervals passers-by in 2 -> 0, window shoppers 4 -> 3, the same 988 visits; busy
# passers-by 1 -> 0, window shoppers 3 -> 3, visits 980 -> 979 (over-the-door 102); 6 dB
# the same without trouble and with the intervals. Held out (seeds 501-505, the library and random-5001..5010; 2,390 visits),
# checked once: without trouble the same 2,301 visits, 4 window shoppers, no passer-by;
# with Android's intervals passers-by 4 -> 2, window shoppers 10 -> 9, visits 2,296 ->
# 2,292 (recall 0.961 -> 0.959); busy (seeds 501-502) unchanged, 3 passers-by. The
# passers-by still let in are other kinds: a link made above the floor (random-5005
# 503: first heard at -88 dBm, linked to a walk-in at -83) and one let in still on her
# way to the door (random-5010 502: -78 dBm a minute on, a long pavement).
PASSING_DROP_DB = 8.0
# Tried and not taken (issue 13, ninth round: why outsiders still get in, by kind). Every
# outsider the entrance agent let in on tuning runs (the library's sites with seeds
# 101-102, random-101..110 with seeds 101-102, random-4001..4010 with seeds 401-405,
# random-1..30 with seeds 1-2; 152 hours, 3,829 visits, recall 0.952): 12, 9 window
# shoppers and 3 passers-by, 11 of them by the long dwell, 1 by the crossing:
# - 5 a strong phone's own minutes (+5 to +10 dB): heard along the whole pavement, 60 m
#   off at -89 to -97 dBm, and at the glass for 2.5-3 minutes, 300-320 s in all, let in
#   at the far end as she walked off, her median at -93 to -96 dBm (at the receiver's
#   floor the few adverts that still arrive are the loud ones): supermarket seed 102
#   twice and random-16 seed 2 across their own rotation, rightly linked, random-101
#   seed 101 and random-16 seed 1 on one token;
# - 6 a rotation linked to another phone, whose minutes heard let the new token in once
#   it had been heard itself for LINKED_HEARD_S: a passer-by still at -77 to -80 dBm a
#   minute on (a long pavement) taken for a walk-in's next token (random-4, 13 and 25,
#   seed 2: one simulated pair thrice), and window shoppers at the floor (-95 to -100
#   dBm, where every phone reads alike; one at three times the other's interval) taken
#   for a walk-in deep in the store or another window shopper (station-kiosk seed 101,
#   random-14 and random-21 seed 2);
# - 1 a strong phone (+9 dB) at the glass half a metre beside the door, heard through
#   the doorway (no front loss), rising 20.2 dB where the store had learned to ask 19.7
#   (random-108, seed 102).
# The 4 on the held-out default (seeds 501-505, looked at only to report) are the same
# kinds: own minutes along the pavement twice (supermarket, seeds 501 and 502), a window
# shopper at the floor linked to a walk-in (random-5007, seed 503), a crossing at the
# glass beside the door of 18.2 dB where 18 was asked (over-the-door, seed 504).
# Tried, on the same runs (a scratch harness patching the engine): (a) the long dwell
# decided on the level held for the enter dwell (the lowest median of ENTER_DWELL_S at
# or above EXIT_DBM) rather than on one median: 68 of the runs, 1,592 visits: window
# shoppers in 6 -> 4, passers-by 2 -> 2, recall 0.971 -> 0.955 (walk-ins deep in the
# store are let in at the floor too); (b) the same for minutes carried by a link only:
# 52 runs, 1,206 visits: window shoppers 4 -> 2, recall 0.973 -> 0.969; (c) a linked
# token heard itself for 120 s (longer than a passer-by is heard) before the minutes it
# carries count: all 152 runs: passers-by 3 -> 0, window shoppers 9 -> 6, recall 0.952
# -> 0.948 (15 walk-ins who leave within two minutes of a rotation; 2 at random-4004
# and random-4007 each); (d) the long dwell only on a median of BASELINE_SAMPLES
# sightings or more (at the far end of the pavement one or two adverts in 15 s still
# arrive): 60 runs, 1,430 visits: window shoppers 4 -> 2, recall 0.972 -> 0.969 (2 at
# electronics). Each costs recall on tuning, beyond the 0.002 allowed, so none was
# checked on the held-out seeds. A walk-in who stays three minutes is heard as long
# as a window shopper who stands three, on the same pavement: one token's minutes do
# not tell them apart.
# A phone keeps its advertising interval when it changes token: the shortest gap
# between two sightings of a token is its interval plus the 0-10 ms the radio adds (a
# few times it where lost adverts hid every shorter gap). A token whose interval is not
# the old token's is not that phone's, however close its level. Once a token has been
# heard 12 times its shortest gap is its interval (that every one of 11 gaps hid an
# advert is 0.5^11 at half the adverts lost): only the same interval is that phone's.
# A token heard fewer times says little: at the receiver's floor, with most adverts
# lost, two sightings 9 s apart were a passer-by advertising every 0.4 s. Before a new
# token carries the visit of a phone inside on (``PresenceEngine._carry_visit``, which
# lets it in at once), such a token outside that fell silent just before it at its level
# is a phone it may follow as well (issue 13, thirteenth round: the one passer-by let in
# without trouble on random sites 111-190 with their own seeds; nothing else changed on
# the tuning runs). Nor does a new token carry such a visit on when the phone inside
# fell silent only as long before it as her losses may hide (``_lost_gap``), not within
# a few of her gaps (``_link_gap``), or when it was first heard below EXIT_DBM, where
# every phone reads alike: a passer-by come into earshot then fits as well (issue 13,
# nineteenth round: the passer-by let in without trouble on random sites 1-190 with
# their own seeds, first heard 8 s after a shopper inside fell silent, at her interval;
# on a fresh set one first heard at -98 dBm 4 s after; neither rule changed
# anything else on the tuning runs, as the shopper's next token, not carried on at once,
# is let in on its own, and her old token's exit waits ROTATION_EXIT_HOLD_S).
# Its interval is the shortest gap between sightings that the gap before or after it
# repeats once or up to INTERVAL_TIMES times (within INTERVAL_MATCH_S: adverts lost
# between), or, while none does, its shortest gap: the agent's computer, busy elsewhere
# now and then, hands the engine the adverts heard meanwhile together
# (``AGENT_TROUBLE=stalls``), so one sighting's gap is short by as long as it waited,
# which the next does not repeat. Gaps under SHORTEST_GAP_S (Bluetooth's shortest
# advertising interval) are adverts stamped together, no interval. (Issue 13, eighteenth
# round: random sites 1-30 under stalls, 687 -> 691 of 711 visits found, outsiders in
# 5 -> 1, as without the trouble: 693 and 1; held out, passers-by 4 -> 0: README.)
INTERVAL_TIMES = 3
INTERVAL_KNOWN_SIGHTINGS = 12
INTERVAL_MATCH_S = 0.015
SHORTEST_GAP_S = 0.02
# Tried and not taken (issue 13, ninth round: kinds of trouble the library does not
# draw, ``bench/bench_agent.py``'s AGENT_TROUBLE): the interval as a fingerprint only
# where few phones share it. The library draws every phone's interval from a range, so
# a match is about 1 in 30; real phones advertise at a few fixed intervals (Android's
# 100, 250 and 1000 ms: a third of the phones share one), and on a busy pavement many
# phones share any interval, so a new token first heard at a boundary may be a phone
# just come into earshot as well as a candidate's next token. Tuning (the library's
# sites with seeds 101-102, random sites 101-110 with seeds 101-102; 1,002 visits; the
# entrance agent at its default, the bench's scoring): with Android's intervals the
# engine let 2 passers-by in (electronics 102, random-101 101: a passer-by's token
# first heard at the boundary near the receiver's floor, -96 and -99 dBm, taken for a
# walk-in deep in the store heard faintly for 5-10 minutes at that level and 100 ms,
# whose own next token went unheard: it carried her minutes heard and was in 60 s
# later, LINKED_HEARD_S), with a busy pavement (1,200 passers-by an hour) 1 (random-110
# 101, phones at 100-300 ms there: 7 ms and 7 dB apart, a sure link); recall 0.986 and
# 0.978 (0.983 without trouble); window shoppers in 4 and 3 (5); phones rotating at the
# same instant changed nothing (0.995 / 0.986, no passer-by). Where 3 other phones
# heard since the new token appeared advertise at its interval: refusing the link let
# no passer-by in but lost 24 walk-ins with Android's intervals (recall 0.962; walk-ins
# deep in the store who left within five minutes of the rotation); carrying only the
# shortest of the candidates' minutes heard, counted once the new token was itself
# heard for OUTSIDER_HEARD_S, let none in either, recall 0.981, without trouble the
# same 985 visits. Held out (seeds 501-505, the library and random-5001..5010, 2,390
# visits), without trouble, it lost one visit (random-5006 502; recall 0.9628 ->
# 0.9623, precision 0.998 unchanged): not taken, by the rule that a fix for a trouble
# may not cost the untroubled default. Nor did it hold with Android's intervals there:
# passers-by in 4 -> 1, window shoppers 10 -> 8, but recall 0.961 -> 0.950 (busy
# pavement, tuning: passers-by 1 -> 0, recall 0.978 -> 0.977). Every passer-by let in
# under either trouble, tuning or held out, came in the same way: a rotation link (sure
# or the shortest minutes heard) carried an insider's minutes heard to a token first
# heard at the boundary, in 60-65 s. Counted once the new token was heard 120 s (longer
# than a passer-by is heard; 90 s the same) instead: on tuning no passer-by in under
# either trouble and no visit lost (Android's intervals 0.986, busy 0.977, without
# trouble the same 985 visits); held out without trouble one visit lost and one window
# shopper more (precision 0.9983 -> 0.9978), with Android's intervals passers-by 4 -> 1
# but window shoppers 10 -> 12 (recall 0.961 -> 0.958), busy (seeds 501-502) passers-by
# 3 -> 2, window shoppers 2 -> 3: not taken either. A way that costs no walk-in and
# keeps every passer-by out under these troubles: the walking-past rule
# (PASSING_DROP_DB, tenth round).
# Tried and not taken (issue 13, twenty-eighth round): telling intervals apart to the
# millisecond. Of the 53 walk-ins missed on random sites 251-310 (their own seeds), 21
# were a rotation not linked with the new token heard within 30 s; at some the
# candidates were three phones at 122-126 ms, within INTERVAL_MATCH_S. A token's mean
# gap of one interval (with the 0-10 ms advDelay, sd about 3 ms) and its standard error,
# two tokens "surely apart" at 4 errors and 1 ms: visits found 1,381 -> 1,384 there
# (random 1-40: the same 901), Android's intervals and busy with them unchanged, but
# open_app 897 -> 893 and stalls one window shopper in (random-18: come into earshot a
# second before the boundary, her old token never heard; of the two phones that fell
# silent there the mean ruled one out, and she carried the other's 246 s). Sharper
# matching turns an ambiguous set into a sure link also where the token's own phone is
# not among the candidates. The stamps' precision matters here: an agent's computer
# stamps each advert as it reaches it (D-Bus, the event loop), later by a few ms or
# more. Stamps late by 5 ms on average (exponential, in order; random sites 1-40, the
# stamps of the exact trace delayed by a script): 900 of 942 visits (901 exact); 20 ms:
# 897 and 5 window shoppers in, each carrying another phone's minutes on a link the
# intervals no longer told apart; symmetric +-50 ms: 895 and 4. The simulator's own
# draws (``AGENT_TROUBLE=late_stamps``, 20 ms): 894 and 1. INTERVAL_MATCH_S at 30 ms:
# 896 and 2 at 20 ms late, 899 and 2 at +-50 ms, the same 901 on exact stamps, but on
# random sites 251-310 1,381 -> 1,376 and 3 window shoppers in (50 ms: one in on random
# 1-40). A match widened by each token's own spread (1 or 2 times the running mean of
# how far a gap of one interval is from the one before, within a quarter of the
# interval): exact stamps the same 901, late_stamps 894 -> 895-896 visits and 1 -> 2-3
# window shoppers in. Not taken: no rule tried holds more walk-ins or fewer outsiders
# under late stamps without costing exact ones. What is taken: where a token's gaps of
# one interval spread by more than INTERVAL_MATCH_S (the running mean of how far one is
# from the one before, SPREAD_WEIGHT), a new token does not take over a shopper's visit
# at once (``engine._carry_visit``): that link lets a token in at the second look, and
# under late stamps one passer-by's new token, first heard at the boundary, took over
# a shopper's whose own next token the intervals no longer matched. Tuning (random
# sites 111-190 with their own seeds, late_stamps): passers-by in 2 -> 1, window
# shoppers 4 -> 3, the same 1,895 of 2,033 visits; exact stamps the same 1,925 and one
# window shopper; random 1-40 under late_stamps, intervals, open_app, stalls, busy
# with the intervals, deaf and groups: every figure the same.
SPREAD_WEIGHT = 0.05
# Hysteresis: leave only when clearly weaker than the gate for a minute (walk-ins deep in
# the store with weak phones sit around -94 dBm), or when unheard for a minute.
EXIT_DBM = -96.0
# The walk test's far end (issue 13): the installer's phone in the corner of the floor
# farthest from the agent, smoothed as the engine smooths it. A phone that changes its
# token while nobody hears it comes back as a stranger and its walk-in is missed. A
# reading at or within 1 dB of the receiver's floor (-100 dBm: a median of the few
# adverts noise lifts above it) is a far end the agent does not hear. Tuning (the
# library's sites and random sites 101-130; one-agent hours and walk tests with seeds
# 101-102): 13 of the 82 walk tests read -99 or -100, at 7 of the 41 sites (recall
# 0.906 there, 0.989 at the others); 34 of the 53 misses were there, every one a
# walk-in whose phone changed its token at the back, below the exit level. The rule
# "a phone 10 dB weaker would fall below the exit level" (a reading below -86 dBm) said
# so at 40 of the 41 sites; "-98 or less" at 14, 3 of the 7 more with no miss at all.
# Not said where 8 walk-ins were lost at the back: hardware-store (-97.5 and -98,
# recall 0.925, 3 of them) and one each at 5 sites (recall 0.925-0.984).
# Tried and not taken (issue 13, thirty-first round: radios whose floor is not a Pi's,
# ``simulator.Site.sensitivity_dbm``): the far end judged against the floor the walk test
# reads (the lowest reading of any phone heard three times or more in it: -94 and -100
# dBm read right in every test, -106 in all but a few, as -105) plus 1 dB, rather than
# -99 dBm. Walk tests at random sites 1-60 (seeds n and n + 1000) against each site's
# recall in its hour (own seed), tests flagged at sites under / at or over 0.95 recall:
# with a Pi's radio the same (32 / 10 of 38 / 82); with one that hears nothing under -94
# dBm 62 / 12 -> 66 / 16 of 78 / 42; with one that hears down to -106 dBm 20 / 46 -> 15
# / 4 of 26 / 94. Held out
# (random sites 10930-10990): -94 dBm 54 / 18 -> 55 / 24 of 68 / 54; -106 dBm 19 / 47 ->
# 3 / 3 of 24 / 98. A far end heard at -101 to -105 dBm by the sensitive radio is heard,
# but under the engine's exit level, where its rules (FAINT_DWELL_S, the floor's links)
# find fewer walk-ins: -99 dBm tells the engine's reach better than the radio's floor.
FAR_END_DBM = -99.0
EXIT_DWELL_S = 60.0
AWAY_TIMEOUT_S = 60.0
# A phone's minutes heard leave out the time it was away in each silence, until the phone
# is let in (engine._Token.heard_for): a passer-by who comes back the same way minutes on
# (AGENT_TROUBLE=returns) was heard twice for a minute, not five. Issue 13, twentieth
# round (how far each silence outlasted AWAY_TIMEOUT_S left out), random sites 1-190
# with their own seeds: passers-by in under `returns` 3,158 -> 5,
# visits found without trouble 4,546 -> 4,508 of 4,702 (shoppers silent for minutes at the
# back of big stores); giving the silence back once the phone had been heard 100-200 s
# since, not walking past, found 3 of them and let the same passers-by in.
# Of a silence longer than the away timeout, the first AWAY_TIMEOUT_S counts as heard
# (adverts lost near the receiver's floor, a shopper at the far end of the store), less
# the longer it lasted, and none of one GONE_AWAY_TIMES as long (someone unheard for
# three minutes was somewhere else). Where people stroll and come back (a mall's
# corridor: AGENT_TROUBLE=strolls,returns) each pass is heard for two minutes or more,
# and two passes with a minute of silence counted passed the long dwell. Issue 13,
# twenty-second round, random sites 1-40 with their own seeds under strolls,returns:
# passers-by in 32 -> 3 (none of a long silence counted: 3; none of one 2 times as
# long: 3, 4 times: 4, 6 times: 6); visits found without trouble on random sites 1-190:
# 4,502 -> 4,490 of 4,702 (none counted: 4,474; 2 times: 4,487; 4: 4,491; 6: 4,494); quiet radio
# (sites 1-60): 1,268 -> 1,251 of 1,510, the same outsiders. Counting no silence off
# after the phone had been heard 90-120 s without one (a shopper gone to the back after
# browsing near the front; issue 13, twenty-sixth round): visits found on random sites
# 1-190 4,490 -> 4,505 (90 s) and 4,500 (120 s), but under returns 133 and 57 passers-by
# in on sites 1-40 (a passer-by is heard for as long on her way to the cash machine).
# Tried and not taken (issue 13, thirtieth round: the 5 passers-by let in on random sites
# 1-60, own seeds, under strolls,returns, each on two slow passes): a phone back after a
# silence GONE_AWAY_TIMES as long starting its minutes afresh. Passers-by in 5 -> 0, but
# visits found 1,448 -> 1,437 there, 1,441 -> 1,434 without trouble and 1,442 -> 1,433
# under returns alone (of 1,510), where no passer-by got in either way.
# Tried and not taken (issue 13, thirty-fourth round): of a phone's minutes heard before
# a silence longer than the away timeout, counting at most 60 / 120 / 180 s. Tuning
# (random sites 61-190, own seeds, 3,192 visits): passers-by in under strolls,returns
# 31 -> 4 / 6 / 27, visits found without trouble 3,070 -> 3,053 / 3,054 / 3,060 (sites
# under 0.95 recall 30 -> 37 / 37 / 36): the trade the rounds above found.
GONE_AWAY_TIMES = 3.0
# A phone inside unheard for AWAY_TIMEOUT_S has left, except where it fell silent as phones
# change token (within ROTATION_SLACK_S of a boundary). There its next token, heard too
# little to carry the visit on (engine._carry_visit), and first heard within the away
# timeout (later, it would not be taken for the same phone either), is let in on its own
# by the long dwell after that. So the exit waits that long after the last advert
# (engine._exit_unheard), and the API, which knows the shopper behind both tokens, keeps
# the visit open meanwhile and takes the late exit for the old token's end. The entrance
# engine's times, also at a deep agent (whose longer long dwell would keep a visit
# open at the API long after most shoppers who left at a boundary). Measured (issue 13, twelfth
# round) on the tuning runs (the library's sites and random-101..105, seed 101, 374
# visits): the share of a found walk-in's stay in which her visit was open at the API
# 0.83 -> 0.98 (0.86 -> 1.00 with a second agent); the price, the mean time it stayed
# open after she walked out, 116 -> 173 s (143 -> 207 s); check-ins unchanged (only exits
# wait). Held 300 s: 0.98 and 160 s; in a scratch replay of the API's rules, 240 s: 0.96.
ROTATION_EXIT_HOLD_S = LONG_DWELL_S + AWAY_TIMEOUT_S
# Median over 8 s: 8-80 samples at 100-1000 ms intervals and up to 50 % loss; a median
# ignores the odd reflection, and 8 s covers a walk-in's pause in the entrance zone while
# a passer-by's glass-free moment in the door's line of sight (2 s) cannot carry it (5 s
# let 7 passers-by and twice the window shoppers in). A sparse phone (one advert a
# second, half of them lost) has 4 samples in 8 s: its window stretches to hold 9
# samples, up to 15 s (9 samples lifted recall at σ6 from 0.89 to 0.935).
SMOOTHING_S = 8.0
SMOOTHING_SAMPLES = 9
SMOOTHING_MAX_S = 15.0
# A second agent on the ceiling mid-floor (9 m in, ``simulator.Site().deep_agent``)
# needs no rise and learns nothing from traffic: everyone outside is 9 m or more away behind glass, so the strongest
# phone at the window reads about -76 dBm there (noise lifts a 5 s median a few dB more
# now and then); a phone held at -76 dBm or more for 20 s with 10 sightings is inside
# (unchanged since it was tuned on seeds 1-20: -74 dBm let no window shopper in but found browsing walk-ins
# too late to help, -76 let 1 in of 2,400, -77 let 9 in). It adds the walk-ins the
# entrance missed (rotations, weak phones) once they browse near it.
# Its long dwell (issue 13, twenty-third round) is 6 minutes, learned longer from its own
# outsiders as the entrance's is (``SiteLearning.long_dwell``: where people stroll, a
# window shopper is heard there for longer). It was 15 minutes, off in practice (a strong
# window shopper can sit above -88 dBm there for her three minutes and more), and a
# second agent then added little where it is needed most: in big stores whose back the
# entrance does not hear, most walk-ins browse out of its -76 dBm reach, and at random
# sites 191-250 with a second agent hung mid-floor (as the walk test advises) recall
# went only from 0.946 to 0.953. Tuning (random sites 1-190 with a second agent, 63,
# each with its own seed; "ours + 2nd agent"): recall 0.961 -> 0.976 (7 minutes:
# 0.970), sites under 0.95 19 -> 11, p95 after the door 506 -> 417 s, no outsider
# more without trouble, busy, with Android's intervals (window shoppers 4 -> 6, as
# the entrance alone lets in 4), with returns or a loud radio. Where people stroll
# (sites 1-120): window shoppers in 8 -> 8 (5 minutes: 18); strolls and returns:
# passers-by 4 -> 7. Not learned, 5 minutes let 39 window shoppers in where people
# stroll. People waiting outside (a bus stop, AGENT_TROUBLE=waiting) and neighbours,
# let in by the entrance already, are let in at the second agent more often (its
# check-ins of them 124 -> 487 over the entrance's 587; at the API both agents' are
# one visit); asking its street's learned level too kept few out (487 -> 417) and cost
# visits.
DEEP_ENTER_DBM = -76.0
DEEP_SMOOTHING_S = 5.0  # an absolute level, no rise: 5 s of samples, no stretching
DEEP_ENTER_DWELL_S = 20.0
DEEP_ENTER_SIGHTINGS = 10
DEEP_LONG_DWELL_S = 360.0
# Tried and not taken (issue 13, eighth round: a shorter dwell for the second agent, now
# that the street's level it learns keeps window shoppers out near the front; the walk
# to it takes seconds, so a 20 s dwell can hardly decide within 20 s of the door).
# Tuning (the library's four sites with a second agent and random-102, 103, 107, 110,
# 124, 125, 126 with seed 101, basket-stand and supermarket also seed 102; 300 visits;
# the bench's "ours + 2nd agent"): checked in within 20 s of the door with a dwell of
# 20 / 16 / 12 / 10 / 8 s (sightings one per 2 s) 7 / 12 / 15 / 16 / 17 % of the visits,
# no outsider let in by the second agent; 6 s (3 sightings), and 8 s with a 3 s
# smoothing, let a passer-by in; a street margin of 13 dB (12 % at 8 s) or a gate of
# -73 dBm (13 %) gave part of the gain back. p95 after the door stayed about 350 s:
# most walk-ins do not come near it within 20 s. Held out (seeds 501-505, the library's
# four sites with a second agent, random-5005 and 5010; 840 visits), 8 s / 4 sightings:
# within 20 s 8 -> 15 %, p95 485 -> 476 s, recall unchanged, but a window shopper in
# through the second agent at random-5005 (hung 7 m in; precision 1.000 -> 0.995): the
# margin is as thin as the 6 s passer-by said. Not taken.
# A second agent hung too near the street (issue 13, sixth round: random-5005's hangs
# 7 m in and let 12 window shoppers in on seeds 501-505) learns how loud the street is
# there from its own outsiders, as the entrance agent does (``OUTSIDER_HEARD_S``: heard
# from start to end for less than anyone who walks in, also when it let them in: a
# window shopper let in still teaches the level she held): once 10 of them held a level
# for the enter dwell, its gate is the loudest of those levels plus the spread of phones
# (10 dB: the loudest outsider so far is mostly a passer-by, the next window shopper's
# phone may be 10 dB stronger), never below DEEP_ENTER_DBM. At a properly hung agent
# the street holds -77 to -84 dBm there within the hour (the library, tuning seeds
# 101-102), so the gate rises a little late in the hour and costs no visit. Tuning
# (the library's four sites with a second agent, random-102, 103 and 126, the only one
# of random-101..130 under 9 m, seeds 101-102): +5 and +6 dB let random-126's window
# shopper in at -74 dBm (the street then held -80), +8 and +10 dB none, recall
# unchanged, checked in within 20 s of the door 24 -> 22 (+8) and 21 (+10) of 308
# visits; the 0.5-0.95 quantiles of the held levels instead of the loudest, plus
# 8-15 dB, let it in too (passers-by are many and quiet). Held out (seeds 501-505, the
# library's four sites with a second agent, random-5005 and 5010; 840 visits): window
# shoppers in through the second agent 12 -> 0 (random-5005 precision 0.940 -> 1.000,
# recall 0.989 -> 0.984: one visit), recall elsewhere unchanged; within 20 s of the door
# basket-stand 38 -> 32 %, random-5010 15 -> 13 %, mall-open-front 1 -> 0 %.
# Until it has heard those 10, it lets no one in on a level (issue 13, fourteenth round):
# -76 dBm is the street's loudest at the simulator's radio, and an agent whose radio
# reads every phone 8 dB louder (an external antenna, AGENT_TROUBLE=loud) let 23
# passers-by and 27 window shoppers in through it on seeds 501-505, 8 of 9 on the
# tuning runs before it had learned the street (4-25 minutes into the hour at the
# tuning sites; what it learned outlives restarts, ``memory``). Tuning (the
# library's four sites with a second agent, seeds 101-103, and the 19 of random sites
# 111-190 with one, each with its own seed; 763 visits): outsiders in through the
# second agent, without trouble 0 -> 0, loud 16 -> 3 (passers-by 7 -> 0), slow fading
# 5 -> 4; visits found 741 -> 740, 756 -> 756, 749 -> 749; checked in within 20 s of the
# door 48 -> 41, 115 -> 82, 28 -> 26. (Under slow fading the window shoppers it still
# lets in, after it learned the street, held a fade of 10 dB for its 20 s: not looked into.)
DEEP_STREET_SAMPLES = 10
DEEP_STREET_MARGIN_DB = 10.0
# Tried and not taken (issue 13, fourth round: a p95 of 20 s after the door where a site
# has a second agent): deciding there on the walk in towards it, a 12 dB rise (more than
# the thickest front takes) held 12 s, measured as at the entrance. Tuning (the library's
# sites with a second agent and random-102, 103, 107, 110, seeds 101-102, 358 visits):
# no outsider in, checked in by the second agent within 20 s of the door 16 -> 96
# visits (8 s let 3 passers-by and 2 window shoppers in, 10 dB 3-5 passers-by, 14 dB
# halved the fast ones, a 8-12 s look-back lost nearly all of them). Held out (seeds
# 501-505 on the library and random-5005/5010; seeds 601-602 on the library and
# random-6005/6011/6012/6014/6018/6019/6020): in 20 s 10 % -> 23 % and 5 % -> 16 % of
# the visits, but a passer-by in on each set (random-5010, basket-stand) and window
# shoppers 13 -> 2 and 1 -> 2. Walking along the pavement towards the agent's side of
# the store is itself a rise of 10-14 dB at an agent 7-12 m in (random-5005, 5010; the
# others not looked into), and a walk-in's rise there starts on the pavement too, so no
# fixed rise separates them.
# A rise learned from the site's own passers-by might; not built. The level rule stays
# (it let 12 window shoppers in at random-5005, whose second agent hangs only 7 m in:
# hang it 9 m in or more).
# Not built (issue 13, tenth round: both agents' levels together, decided where they
# meet, at the API). A phone's power and the front's loss add the same to both agents'
# levels, so the pair says more than either alone. What it could find at best, an oracle
# that knows every outsider of the hour (each token's 8 s medians at both agents, every
# second; "inside" = the entrance's level, the second agent's, their difference, or their
# mean at that difference louder or deeper than any outsider's by 3 dB, held 4 s):
# checked in within 20 s of the door 166 of 358 walk-ins (46 %) on tuning (the library's
# four sites with a second agent and random-102, 103, 107, 110; seeds 101-102), the
# second agent's level alone 23 %; 174 of 336 (52 %) on seeds 501-502 (the four and
# random-5005, 5010). Of the 192 tuning walk-ins it could not find, 77 stayed within
# 4 m of the front for those 20 s (a basket, a display by the door) and 115 walked on in
# but still read, with noise and a body in the way, as someone outside could. A p95 of
# 20 s is out of reach of levels at two agents, and the oracle's half would shrink under
# the margin unseen window shoppers need: not worth a new wire format.
# Not built either (issue 13, twenty-sixth round: the big stores most missed walk-ins come
# from, with one agent). On random sites 1-190 with their own seeds, recall is 0.98 where
# the far corner is under 40 dB of path loss beyond a metre (10 n log10 of its distance)
# and 0.86 at 45 dB or more (29 sites; random sites 10551-10610, held out, 0.56-0.69 at
# the worst four). Of those sites' 98 missed walk-ins, 87 were never heard for the long
# dwell under any one phone's tokens (half of them for 2 minutes or less: heard at the
# door going in and out, unheard at the back). Joining a shopper's tokens by who she is
# (as only the API could) found 0.842 -> 0.876 on sites 1-60 of them; a second agent
# mid-floor 0.858 -> 0.923; both agents' minutes added up 0.929 -> 0.953 but let 5
# window shoppers in. What is missing there is hearing, not a rule: the walk test's
# far end says so (FAR_END_DBM).
EVALUATE_EVERY_S = 0.5  # decide at most twice a second per token: the median is the cost
TICK_EVERY_S = 1.0  # how often away timeouts are checked
# Decoded frames kept by the pipeline, one per payload heard: a phone sends the same
# bytes for a whole window, so at 1,000 phones (the Pi's load) two windows' tokens and
# the odd other company's payload fit (about 0.5 MB); past it the cache starts afresh.
FRAME_CACHE_SIZE = 4096
# A reading that is no level: bleak reports -127 for a device whose RSSI BlueZ does not
# have, a controller 127 for "not available" (Bluetooth Core, LE Advertising Report),
# and no radio reads a phone louder than +20 dBm. Such an advert of ours is counted, not
# heard: a level it carried would move the phone's median, and an event's ``rssi_max``
# out of the range the API takes (PROTOCOLS.md section 3) has its whole event refused.
LEVELS_DBM = range(-126, 21)

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
# An event's times are moved onto the API's clock only when the Pi's clock was off by
# more than the API tolerates in a signature (300 s): within it the API takes the event
# as it is (a token is good for one 600 s window either side, a time up to 300 s ahead),
# and what the agent knows of the API's time is only as good as a round trip (a slow
# answer, or a sped-up simulated clock, would move events by its error).
CLOCK_SHIFT_IGNORED_S = float(MAX_CLOCK_SKEW_SECONDS)
UPLOAD_BACKOFF_BASE_S = 1.0
UPLOAD_BACKOFF_MAX_S = 300.0  # retry at least every 5 minutes while the API is away
HTTP_TIMEOUT_S = 15.0
# As the agent starts, the radio waits for the API's time (where the phones change token,
# ``service.AgentService._phones_clock``): this long at most for each step of the request
# (httpx's timeout: connecting, then the answer; a few seconds in all where the API is
# silent). An answer slower than that tells the time no better than to half of it, and a
# shopper may be walking in.
API_CLOCK_WAIT_S = 3.0
HEARTBEAT_EVERY_S = 60.0
CONFIG_EVERY_S = 900.0  # re-read the remote settings every 15 minutes
# What the engine learned of its entrance is saved (``memory``) when it changed, at most
# every 2 minutes (and at a clean shutdown): a crash loses at most 2 minutes of the hour
# it takes to learn; a save replaces one row of at most about 15 KB (800 numbers).
KEEP_LEARNED_EVERY_S = 120.0
STATUS_EVERY_S = 10.0  # how often adverts/s and the scanner state are written for `status`
# `calibrate` keeps to the phones' clock as the running agent learned it (its status's
# clock_ahead_of_phones_s) where that status was written this recently: the agent runs.
# Older, the Pi may have rebooted and reached network time since: the Pi's clock is taken.
STATUS_CURRENT_S = 6 * STATUS_EVERY_S
