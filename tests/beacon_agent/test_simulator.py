"""The simulator draws many stores: a library of named sites that spans what installers
meet, random sites from the same ranges, and one's own store from a file."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import replace
from pathlib import Path

import pytest

from beacon_agent import cli, simulator
from rewards_protocol import trace
from rewards_protocol.presence import WINDOW_SECONDS

# The ranges of issue 13, each of which the library must reach at both ends.
SPANS = {"agent_depth_m": (0.5, 5.0), "front_loss_db": (0.0, 12.0), "width_m": (8.0, 50.0),
         "depth_m": (8.0, 50.0), "path_loss_exponent": (2.0, 3.0), "pause_share": (0.0, 0.8),
         "loss": (0.1, 0.5), "noise_db": (2.0, 6.0)}


@pytest.mark.parametrize("name, span", SPANS.items())
def test_the_library_spans_every_range(name: str, span: tuple[float, float]) -> None:
    values = [getattr(site, name) for site in simulator.SITES.values()]
    assert min(values) <= span[0] and max(values) >= span[1]


def test_random_sites_stay_within_the_ranges_and_differ() -> None:
    sites = [simulator.random_site(n) for n in range(1, 41)]
    for name, (low, high) in SPANS.items():
        values = [getattr(site, name) for site in sites]
        assert low <= min(values) and max(values) <= high
        assert max(values) - min(values) > (high - low) / 2, name
    assert any(site.deep_agent for site in sites) and not all(site.deep_agent for site in sites)
    assert simulator.site_named("random-7") == simulator.random_site(7)


def test_a_walk_in_is_at_the_door_when_she_crosses_it_and_inside_after() -> None:
    # What the bench asks of the floor plan: where a walk-in is in her first seconds inside.
    site = simulator.SITES["supermarket"]
    people = simulator.simulate(simulator.Scenario(seed=3, minutes=10, site=site)).people
    walk_in = next(p for p in people if p.visits)
    entered = walk_in.visits[0]["entered"]
    x, y = walk_in.position(entered)
    left, right = site.door
    assert y == pytest.approx(simulator.FRONT_Y, abs=0.01) and left <= x <= right  # times in ms
    assert walk_in.position(entered + 20.0)[1] > simulator.FRONT_Y
    assert walk_in.position(entered - 5.0)[1] < simulator.FRONT_Y


def test_a_site_without_a_second_agent_has_no_trace_for_it() -> None:
    with pytest.raises(ValueError, match="no deep agent"):
        simulator.simulate(simulator.Scenario(site=simulator.SITES["bakery"], agent=simulator.DEEP))


def _first_stop_s(person: simulator.Person) -> float:
    """How long a walk-in first stands still after the door."""
    after = [point for point in person.path if point[0] >= person.visits[0]["entered"]]
    return next(t1 - t0 for (t0, *p0), (t1, *p1) in zip(after, after[1:], strict=False) if p0 == p1)


@pytest.mark.parametrize("pause_share", [0.0, 1.0])
def test_walk_ins_stop_at_the_entrance_only_where_they_pause(pause_share: float) -> None:
    # The first stop is 3-40 s at the entrance, or minutes at a shelf (3-25 minutes over
    # at most four shelves).
    site = simulator.Site(pause_share=pause_share)
    people = simulator.simulate(simulator.Scenario(seed=3, minutes=30, site=site)).people
    stops = [_first_stop_s(p) for p in people if p.role == simulator.WALK_IN]
    at_entrance = [s <= simulator.ENTRANCE_PAUSE_S[1] for s in stops]
    assert stops and all(at_entrance) if pause_share else not any(at_entrance)


def _stays_s(site: simulator.Site) -> list[float]:
    people = simulator.simulate(simulator.Scenario(seed=3, minutes=60, site=site)).people
    return [visit["left"] - visit["entered"] for person in people for visit in person.visits]


def test_walk_ins_stay_as_long_as_the_site_says(tmp_path: Path) -> None:
    # The stay is the site's minutes at the shelves, plus walking between them (at most
    # five legs across this 16 m floor at 0.7-1.05 m/s: under 2.5 minutes).
    quick = replace(simulator.Site(), pause_share=0.0, dwell_minutes=(1.0, 2.0))
    stays = _stays_s(quick)
    assert len(stays) == 20 and all(60.0 <= stay <= 120.0 + 150.0 for stay in stays)
    assert min(_stays_s(replace(quick, dwell_minutes=(3.0, 25.0)))) >= 180.0
    own = tmp_path / "kiosk.toml"
    own.write_text("dwell_minutes = [1, 3]\n")
    assert simulator.load_site(own).dwell_minutes == (1.0, 3.0)
    own.write_text("dwell_minutes = [5, 2]\n")
    with pytest.raises(ValueError, match=r"kiosk.toml: dwell_minutes is how long walk-ins stay"):
        simulator.load_site(own)
    out, truth = tmp_path / "t.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(out), "--truth", str(truth), "--site", "bakery",
                     "--minutes", "2", "--dwell-minutes", "1", "2"]) == 0
    assert json.loads(truth.read_text())["scenario"]["site"]["dwell_minutes"] == [1.0, 2.0]
    with pytest.raises(SystemExit, match="not \\[0.0, 2.0\\]"):
        cli.main(["simulate", "--out", str(out), "--truth", str(truth), "--dwell-minutes", "0", "2"])


def test_phones_rotate_at_the_boundary_by_their_own_clock_also_in_the_door() -> None:
    simulation = simulator.simulate(simulator.Scenario(seed=5, minutes=60,
                                                       site=simulator.SITES["corner-shop"]))
    first_heard: dict[str, float] = {}
    for advert in simulation.adverts:
        first_heard.setdefault(_token(advert), advert.t)
    truth = simulation.truth()
    offsets = []
    for shopper in truth["shoppers"]:
        for token in shopper["tokens"][1:]:  # every token after a phone's first
            boundary = round(first_heard[token] / WINDOW_SECONDS) * WINDOW_SECONDS
            offsets.append(first_heard[token] - boundary)
    assert offsets and all(abs(o) <= simulator.PHONE_CLOCK_SKEW_S + 1.0 for o in offsets)
    assert max(offsets) - min(offsets) > simulator.PHONE_CLOCK_SKEW_S  # clocks differ
    in_the_door = [s for s in truth["shoppers"] if s["role"] == simulator.WALK_IN and any(
        abs(s["visits"][0]["entered"] - first_heard[t]) < 10 for t in s["tokens"][1:])]
    assert in_the_door, "some walk-in's phone rotates as it crosses the door"


def test_without_fixed_intervals_phones_draw_from_the_range_as_before() -> None:
    # The library's draws must not move (the bench's figures on its seeds): these are the
    # first phones of corner-shop, seed 3, as drawn before the site had fixed intervals.
    people = simulator.simulate(simulator.Scenario(seed=3, minutes=10,
                                                   site=simulator.SITES["corner-shop"])).people
    assert [(p.interval_s, p.clock_skew_s) for p in people[:2]] == [
        (0.1589759733158318, -2.920992050670755), (0.8020688401752007, 1.9414230673995867)]
    assert len({p.interval_s for p in people}) == len(people)  # a range: no two alike


def test_phones_advertise_at_a_sites_fixed_intervals_from_its_file(tmp_path: Path) -> None:
    own = tmp_path / "station.toml"
    own.write_text("interval_modes_ms = [100, 250, 1000]\nclock_skew_s = 0\n")
    site = simulator.load_site(own)
    assert site.interval_modes_ms == simulator.ANDROID_INTERVALS_MS and site.clock_skew_s == 0.0
    simulation = simulator.simulate(simulator.Scenario(seed=3, minutes=60, site=site))
    assert {p.interval_s for p in simulation.people} == {0.1, 0.25, 1.0}
    assert {p.clock_skew_s for p in simulation.people} == {0.0}
    first_heard: dict[str, float] = {}
    for advert in simulation.adverts:  # the radio's 0-10 ms on every gap, as before
        first_heard.setdefault(_token(advert), advert.t)
    offsets = [first_heard[token] % WINDOW_SECONDS for shopper in simulation.truth()["shoppers"]
               for token in shopper["tokens"][1:]]
    assert offsets and all(offset < 5.0 for offset in offsets)  # every phone rotates on time


def test_simulate_a_named_site_and_ones_own_store(tmp_path: Path) -> None:
    out, truth = tmp_path / "t.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(out), "--truth", str(truth), "--site",
                     "boutique", "--minutes", "5"]) == 0
    with out.open() as lines:
        header, _ = trace.read(lines)
    assert header is not None and header.agent["site"] == "boutique"
    assert json.loads(truth.read_text())["scenario"]["site"]["front_loss_db"] == 12.0

    own = tmp_path / "harbour-street.toml"
    own.write_text('agent_depth_m = 2.0\nfront_loss_db = 9.0\npavement_m = [1.5, 3.0]\n'
                   'deep_agent = [0.0, 10.0]\n')
    assert cli.main(["simulate", "--out", str(out), "--truth", str(truth), "--site-file",
                     str(own), "--minutes", "5", "--agent", "deep"]) == 0
    scenario = json.loads(truth.read_text())["scenario"]
    assert scenario["agent"] == "deep" and scenario["site"]["name"] == "harbour-street"
    assert scenario["site"]["pavement_m"] == [1.5, 3.0]
    as_json = tmp_path / "mall.json"
    as_json.write_text(json.dumps({"front_loss_db": 0, "door_width_m": 8}))
    assert simulator.load_site(as_json).door_width_m == 8.0


def test_a_site_file_with_a_misspelt_setting_says_which(tmp_path: Path) -> None:
    own = tmp_path / "shop.toml"
    refused = {
        "front_los_db = 9\n": "unknown site settings front_los_db",
        "deaf_share = 1\n": "deaf_share is the share of the time",  # a receiver that hears nothing
        "stall_share = -0.1\n": "stall_share is the share of the time",
        "stamp_late_ms = -5\n": "stamp_late_ms is how late an advert reaches the engine",
        "return_share = 1.5\n": "return_share is the share of passers-by who come back",
        "walk_speed_mps = [0.0, 1.0]\n": "walk_speed_mps is how fast people walk by",
    }
    for text, sentence in refused.items():
        own.write_text(text)
        with pytest.raises(SystemExit, match=sentence):
            cli.main(["simulate", "--out", str(tmp_path / "t"), "--truth", str(tmp_path / "g"),
                      "--site-file", str(own)])
    own.write_text("deaf_share = 0.1\ngroup_share = 0.3\nreturn_share = 0.2\n"
                   "walk_speed_mps = [0.6, 1.2]\n")
    site = simulator.load_site(own)
    assert (site.deaf_share, site.group_share, site.return_share) == (0.1, 0.3, 0.2)
    assert site.walk_speed_mps == (0.6, 1.2)
    with pytest.raises(SystemExit, match="no site named 'shoe-shop'"):
        cli.main(["simulate", "--out", str(tmp_path / "t"), "--truth", str(tmp_path / "g"),
                  "--site", "shoe-shop"])


def test_a_walk_test_reads_the_loudest_spot_outside_and_just_inside_the_door() -> None:
    # The first store: the agent 3.5 m in beside the door; the loudest spot outside is in
    # front of the open door (no glass between), 0.8 m out: 4.3 m from the agent.
    site = simulator.SITES["basket-stand"]
    outside, inside = site.walk_test()
    assert outside == pytest.approx(-59 - 22 * math.log10(4.3), abs=0.5)
    assert inside == round(site.level(simulator.ENTRANCE, site.door_x, simulator.STORE_FRONT_Y), 1)
    assert inside > outside
    # Behind the glass beside the door the front's loss is added: quieter than that.
    beside = site.level(simulator.ENTRANCE, site.door[0] - 0.3, -0.3)
    assert beside < outside


def test_people_who_stay_near_the_store_are_drawn_and_change_no_one_elses_draws() -> None:
    # Those waiting outside and the neighbours come after everyone else: the library's
    # people and their adverts stay as they were (the bench's figures on its seeds).
    site = simulator.SITES["corner-shop"]
    scenario = simulator.Scenario(seed=3, minutes=30, site=site)
    plain = simulator.simulate(scenario)
    stayed = simulator.simulate(replace(scenario, site=replace(site, waiting_per_hour=6, neighbours=2)))
    assert [p.path for p in stayed.people[:len(plain.people)]] == [p.path for p in plain.people]
    others = [a for a in stayed.adverts if stayed.tokens.owners[_token(a)].split("-")[0]
              not in (simulator.WAITING, simulator.NEIGHBOUR)]
    assert [(a.t, a.rssi, a.address) for a in others] == [(a.t, a.rssi, a.address) for a in plain.adverts]

    roles = {p.label: p for p in stayed.people[len(plain.people):]}
    assert sorted(p.role for p in roles.values()) == [simulator.NEIGHBOUR] * 2 + [simulator.WAITING] * 3
    for person in roles.values():
        if person.role == simulator.WAITING:  # along the pavement, then still 5-20 minutes 1-6 m out
            still = max(b[0] - a[0] for a, b in zip(person.path, person.path[1:], strict=False))
            assert 300.0 <= still <= 1200.0 and person.path[0][1] ** 2 > site.width_m ** 2 / 4
            assert all(-6.0 <= y < 0.0 for _, _, y in person.path)
        else:  # behind a wall or ceiling near the agent all along, never out front
            ax, ay, _ = site.agent_position(simulator.ENTRANCE)
            assert person.path[0][0] == 0.0 and person.path[-1][0] >= 30 * 60.0
            assert 10.0 <= person.wall_loss_db <= 20.0 and not person.visits
            assert all(y > 0.0 and math.dist((x, y), (ax, ay)) <= 6.0 + 2 * 1.5 for _, x, y in person.path)


def test_a_site_file_says_who_waits_outside_and_who_lives_next_door(tmp_path: Path) -> None:
    own = tmp_path / "bus-stop.toml"
    own.write_text("waiting_per_hour = 12\nneighbours = 1\n")
    site = simulator.load_site(own)
    assert (site.waiting_per_hour, site.neighbours) == (12.0, 1)
    people = simulator.simulate(simulator.Scenario(seed=5, minutes=30, site=site)).people
    assert [p.role for p in people].count(simulator.WAITING) == 6
    assert [p.role for p in people].count(simulator.NEIGHBOUR) == 1


def _token(advert: trace.Advertisement) -> str:
    return advert.manufacturer_data[0xFFFF][2:].hex()


@pytest.mark.parametrize("gain", [8.0, -8.0])
def test_an_agents_radio_reads_every_phone_louder_or_quieter_and_hears_as_far(gain: float) -> None:
    site = simulator.SITES["corner-shop"]
    other = replace(site, receiver_gain_db=gain)
    assert [round(b - a, 1) for a, b in zip(site.walk_test(), other.walk_test(), strict=True)] == [gain, gain]
    heard = {}
    for name, each in (("plain", site), ("other", other)):
        adverts = list(simulator.simulate(simulator.Scenario(seed=4, minutes=20, site=each)).adverts)
        heard[name] = (len(adverts), sorted(a.rssi for a in adverts)[len(adverts) // 2])
    (plain_count, plain_median), (count, median) = heard["plain"], heard["other"]
    assert (count > plain_count * 1.1) if gain > 0 else (count < plain_count / 1.1)  # the far pavement
    assert abs(median - plain_median) > 2.0 and (median > plain_median) == (gain > 0)


@pytest.mark.parametrize("sensitivity", [-94.0, -106.0])
def test_an_agents_radio_hears_down_to_its_own_floor_at_the_same_levels(
        sensitivity: float, tmp_path: Path) -> None:
    site = simulator.SITES["corner-shop"]
    other = replace(site, sensitivity_dbm=sensitivity)
    plain, heard = (list(simulator.simulate(simulator.Scenario(seed=4, minutes=20, site=each)).adverts)
                    for each in (site, other))
    assert min(a.rssi for a in plain) == simulator.SENSITIVITY_DBM == -100.0
    assert min(a.rssi for a in heard) == sensitivity  # readings pile up against the floor
    # Above both floors, as many adverts at the same levels: only the quiet ones differ.
    floor = max(sensitivity, simulator.SENSITIVITY_DBM)
    loud, loud_too = ([a.rssi for a in adverts if a.rssi >= floor] for adverts in (plain, heard))
    assert abs(len(loud_too) / len(loud) - 1.0) < 0.05
    assert abs(sorted(loud_too)[len(loud_too) // 2] - sorted(loud)[len(loud) // 2]) <= 1
    assert (len(heard) < len(plain) / 1.1) == (sensitivity > simulator.SENSITIVITY_DBM)
    own = tmp_path / "dongle.toml"
    own.write_text(f"sensitivity_dbm = {sensitivity}\n")
    assert simulator.load_site(own).sensitivity_dbm == sensitivity
    own.write_text("sensitivity_dbm = -30\n")
    with pytest.raises(ValueError, match="dongle.toml: sensitivity_dbm is the quietest reading"):
        simulator.load_site(own)


def test_an_agents_clock_ahead_of_the_phones_moves_the_traces_times_not_the_phones() -> None:
    site = simulator.SITES["corner-shop"]
    plain, ahead = (simulator.simulate(simulator.Scenario(seed=4, minutes=5, site=each))
                    for each in (site, replace(site, agent_clock_s=150.0)))
    assert ahead.header.start == plain.header.start + 150.0 == simulator.Scenario.start + 150.0
    assert list(ahead.adverts) == list(plain.adverts)  # the same phones, rotating when they did


def test_slow_fading_holds_for_seconds_where_the_adverts_own_noise_does_not() -> None:
    site = replace(simulator.SITES["corner-shop"], noise_db=0.0, body_shadow_db=0.0, fading_db=5.0)
    simulation = simulator.simulate(simulator.Scenario(seed=4, minutes=20, site=site))
    people = {p.label: p for p in simulation.people}
    readings: dict[str, list[tuple[float, float]]] = {}
    for advert in simulation.adverts:
        person = people[simulation.tokens.owners[_token(advert)]]
        x, y = person.position(advert.t)
        level = site.level(simulator.ENTRANCE, x, y) + person.phone_offset_db
        readings.setdefault(person.label, []).append((advert.t, advert.rssi - level))
    faded = [off for each in readings.values() for _, off in each]
    steps = [abs(b - a) for each in readings.values()
             for (s, a), (u, b) in zip(each, each[1:], strict=False) if u - s <= 1.0]
    spread = math.sqrt(sum(off * off for off in faded) / len(faded))
    assert 4.0 <= spread <= 6.0  # the fading's sigma (plus the reading's rounding)
    assert sum(steps) / len(steps) < 1.5  # from one advert to the next it has hardly moved


def _silences(site: simulator.Site, walk_test: bool = False) -> tuple[int, int]:
    """How many adverts the site's receiver hears in 20 minutes (or a walk test), and how
    often it hears no phone at all for over 3 s."""
    phases = [("under", 0.0, 60.0), ("glass", 90.0, 150.0), ("past", 200.0, 200.0),
              ("inside", 260.0, 320.0)]
    simulation = (simulator.walk_test(site, phases, seed=4) if walk_test
                  else simulator.simulate(simulator.Scenario(seed=4, minutes=20, site=site)))
    times = [advert.t for advert in simulation.adverts]
    return len(times), sum(1 for a, b in zip(times, times[1:], strict=False) if b - a > 3.0)


def test_a_deaf_receiver_hears_no_phone_for_stretches() -> None:
    site = simulator.SITES["corner-shop"]
    deaf = replace(site, deaf_share=0.15)
    (plain, plain_silences), (heard, silences) = _silences(site), _silences(deaf)
    assert 0.75 < heard / plain < 0.92  # the share asked, less what the receiver lost anyway
    assert silences >= plain_silences + 10
    # The installer's own phone, twice a second under the agent, is unheard in the same
    # stretches as everyone's.
    assert _silences(deaf, walk_test=True)[1] >= _silences(site, walk_test=True)[1] + 4


def test_a_busy_agent_hands_the_engine_the_adverts_heard_meanwhile_together_at_the_end() -> None:
    site = simulator.SITES["corner-shop"]
    scenario = simulator.Scenario(seed=4, minutes=20, site=site)
    plain = list(simulator.simulate(scenario).adverts)
    stamped = list(simulator.simulate(replace(scenario, site=replace(site, stall_share=0.03))).adverts)
    assert len(stamped) == len(plain)  # none lost, ...
    moved = [(a.t, b.t) for a, b in zip(plain, stamped, strict=True) if a.t != b.t]
    assert [(a.address, a.rssi) for a in plain] == [(b.address, b.rssi) for b in stamped]
    assert 0.01 * len(plain) < len(moved) < 0.06 * len(plain)  # the share asked, about
    assert all(0.0 < late <= simulator.STALL_S[1] + 0.01 for late in (b - a for a, b in moved))
    together = sum(1 for a, b in zip(stamped, stamped[1:], strict=False)
                   if 0.0 < b.t - a.t <= simulator.STAMPED_APART_S * 1.01)
    assert together >= len(moved) // 4  # in bunches: several heard in one busy stretch
    assert [a.t for a in stamped] == sorted(a.t for a in stamped)


def test_adverts_stamped_late_keep_their_order_and_late_by_the_mean_asked() -> None:
    site = simulator.SITES["corner-shop"]
    scenario = simulator.Scenario(seed=4, minutes=20, site=site)
    plain = list(simulator.simulate(scenario).adverts)
    late = list(simulator.simulate(replace(scenario, site=replace(site, stamp_late_ms=20.0))).adverts)
    assert [(a.address, a.rssi) for a in plain] == [(b.address, b.rssi) for b in late]
    delays = [b.t - a.t for a, b in zip(plain, late, strict=True)]
    assert min(delays) > 0.0
    assert 0.015 < sum(delays) / len(delays) < 0.03  # 20 ms on average, more where they queue
    assert [a.t for a in late] == sorted(a.t for a in late)


def test_people_who_come_in_twos_walk_the_same_way_a_step_apart() -> None:
    site = simulator.SITES["corner-shop"]
    scenario = simulator.Scenario(seed=4, minutes=30, site=site)
    alone = simulator.simulate(scenario).people
    people = simulator.simulate(replace(scenario, site=replace(site, group_share=0.4))).people
    by_label = {p.label: p for p in people}
    companions = [p for p in people if p.label.endswith("+1")]
    assert [p.label for p in people if not p.label.endswith("+1")] == [p.label for p in alone]
    assert 0.25 * len(alone) < len(companions) < 0.55 * len(alone)
    for companion in companions:
        first = by_label[companion.label.removesuffix("+1")]
        lag = companion.path[0][0] - first.path[0][0]
        assert simulator.GROUP_LAG_S[0] <= lag <= simulator.GROUP_LAG_S[1]
        assert companion.role == first.role
        assert [(x, y) for _, x, y in companion.path] == [(x, y) for _, x, y in first.path]
        assert [v["entered"] for v in companion.visits] == pytest.approx(
            [v["entered"] + lag for v in first.visits], abs=0.01)


def test_where_people_stroll_everyone_outside_is_heard_for_longer() -> None:
    # A mall or a market square: the same people at half the pace are heard for about
    # twice as long, a window shopper's walk to the glass and away included.
    site = simulator.SITES["corner-shop"]
    scenario = simulator.Scenario(seed=7, minutes=60, site=site)

    def heard_for(simulation: simulator.Simulation) -> dict[str, float]:
        times: dict[str, list[float]] = {}
        for advert in simulation.adverts:
            times.setdefault(simulation.tokens.owners[_token(advert)], []).append(advert.t)
        roles = {p.label: p.role for p in simulation.people}
        return {label: max(ts) - min(ts) for label, ts in times.items()
                if roles[label] in (simulator.PASSER_BY, simulator.WINDOW_SHOPPER)}

    brisk = heard_for(simulator.simulate(scenario))
    slow = heard_for(simulator.simulate(replace(scenario, site=replace(site, walk_speed_mps=(0.5, 0.75)))))
    both = sorted(brisk.keys() & slow.keys())
    assert len(both) > 50
    assert statistics.median(slow[label] / max(brisk[label], 1.0) for label in both) > 1.6


def test_passers_by_who_come_back_pass_the_door_twice_unheard_round_the_corner() -> None:
    # To the cash machine and back: the same way past the door again minutes on, out of
    # earshot in between. Everyone else is drawn and heard as before.
    site = simulator.SITES["corner-shop"]
    scenario = simulator.Scenario(seed=7, minutes=60, site=site)
    plain = simulator.simulate(scenario)
    back = simulator.simulate(replace(scenario, site=replace(site, return_share=0.5)))
    returners = [p for p in back.people if p.away is not None]
    passers = [p for p in back.people if p.role == simulator.PASSER_BY]
    assert {p.role for p in returners} == {simulator.PASSER_BY}
    assert 0.3 * len(passers) < len(returners) < 0.7 * len(passers)
    assert [p.path for p in plain.people] == [p.path[:len(q.path)] for p, q in zip(back.people, plain.people,
                                                                              strict=True)]
    adverts = list(back.adverts)
    heard: dict[str, list[float]] = {}
    for advert in adverts:
        heard.setdefault(back.tokens.owners[_token(advert)], []).append(advert.t)
    came_back = 0
    for person in returners:
        start, end = person.away
        assert simulator.RETURN_AFTER_S[0] <= end - start <= simulator.RETURN_AFTER_S[1]
        sides = [x > site.door_x for _, x, _ in person.path]
        assert sides[0] == sides[-1] != sides[len(sides) // 2]  # past the door and back
        times = heard.get(person.label, [])
        assert not any(start <= t < end for t in times)
        came_back += any(t >= end for t in times)
    assert came_back >= len(returners) // 2
    others = {p.label for p in back.people if p.away is None}
    plain_heard = [(a.t, a.rssi) for a in plain.adverts if plain.tokens.owners[_token(a)] in others]
    assert [(a.t, a.rssi) for a in adverts if back.tokens.owners[_token(a)] in others] == plain_heard


def bakery_with(**changes: float) -> tuple[simulator.Simulation, simulator.Simulation]:
    """Half an hour at the bakery as the library draws it, and with ``changes`` to its
    phones' apps: everyone walks the same way in both."""
    site = simulator.SITES["bakery"]
    scenario = simulator.Scenario(seed=6, minutes=30, site=site)
    plain = simulator.simulate(scenario)
    changed = simulator.simulate(replace(scenario, site=replace(site, **changes)))
    assert [p.path for p in changed.people] == [p.path for p in plain.people]
    return plain, changed


def test_an_iphone_is_heard_only_while_its_app_is_open() -> None:
    # A walk-in opens the app a few steps before the door and again at shelves; a window
    # shopper perhaps at the glass; someone passing keeps it in the pocket. Everyone else
    # is drawn and heard as before.
    plain, iphones = bakery_with(app_only_share=0.5)
    apps = {p.label: p for p in iphones.people if p.app_open is not None}
    assert 0.3 * len(plain.people) < len(apps) < 0.7 * len(plain.people)
    heard: dict[str, list[float]] = {}
    for advert in iphones.adverts:
        heard.setdefault(iphones.tokens.owners[_token(advert)], []).append(advert.t)
    others = [a for a in plain.adverts if plain.tokens.owners[_token(a)] not in apps]
    assert sum(len(times) for label, times in heard.items() if label not in apps) == len(others)
    for label, person in apps.items():
        times = heard.get(label, [])
        assert all(any(start <= t < end for start, end in person.app_open) for t in times)
        if person.role == simulator.WALK_IN:
            entered = person.visits[0]["entered"]
            start, end = person.app_open[0]
            assert entered - 10.0 <= start <= entered - 3.0 and entered + 10.0 <= end <= entered + 90.0
            assert any(start <= t <= end for t in times)  # heard at the door
        elif person.role == simulator.PASSER_BY:
            assert person.app_open == [] and not times
    assert any(p.app_open for p in apps.values() if p.role == simulator.WINDOW_SHOPPER)


def test_with_the_app_open_a_phone_advertises_as_often_as_the_site_says() -> None:
    # An Android app may ask for low latency while it is open on the screen: when an
    # iPhone's would be open, the phone advertises every 100 ms, at its own interval
    # otherwise. Everyone walks the same way as before; someone passing keeps it closed.
    _, faster = bakery_with(open_app_interval_ms=100.0)
    people = {p.label: p for p in faster.people}
    walk_ins = [p for p in people.values() if p.role == simulator.WALK_IN and p.interval_s > 0.2]
    assert walk_ins and all(p.faster for p in walk_ins)
    assert not any(p.faster for p in people.values() if p.role == simulator.PASSER_BY)
    gaps: dict[tuple[str, bool], list[float]] = {}
    last: dict[str, float] = {}
    for advert in faster.adverts:
        label = faster.tokens.owners[_token(advert)]
        if label in last:
            opened = any(start <= last[label] < end for start, end in people[label].faster)
            gaps.setdefault((label, opened), []).append(advert.t - last[label])
        last[label] = advert.t
    for person in walk_ins:
        assert 0.1 <= min(gaps[person.label, True]) <= 0.111
        assert min(gaps[person.label, False]) >= person.interval_s
    with pytest.raises(ValueError, match="open_app_interval_ms"):
        replace(simulator.SITES["bakery"], open_app_interval_ms=5.0)
